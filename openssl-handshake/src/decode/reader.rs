//! A bounds-checked cursor over untrusted bytes and small encoding helpers.

use std::fmt::Write as _;

use super::error::{bad, Fail, Res};

/// A bounds-checked cursor over a byte slice.
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(super) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(super) fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self.pos.saturating_add(n);
        match self.buf.get(self.pos..end) {
            Some(bytes) => {
                self.pos = end;
                Ok(bytes)
            }
            None => Err(Fail::Short {
                needed: end,
                have: self.buf.len(),
            }),
        }
    }

    /// A big-endian unsigned integer of `n` (at most 4) bytes.
    pub(super) fn uint(&mut self, n: usize) -> Res<u32> {
        Ok(be(self.take(n.min(4))?))
    }

    pub(super) fn u8(&mut self) -> Res<u8> {
        let bytes = self.take(1)?;
        Ok(bytes.first().copied().unwrap_or(0))
    }

    pub(super) fn u16(&mut self) -> Res<u16> {
        Ok(be16(self.take(2)?))
    }

    pub(super) fn u32(&mut self) -> Res<u32> {
        self.uint(4)
    }

    /// A vector with a `len_bytes`-byte length prefix.
    pub(super) fn vec(&mut self, len_bytes: usize) -> Res<&'a [u8]> {
        let len = self.uint(len_bytes)?;
        self.take(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// Fails unless everything was read.
    pub(super) fn finish(&self, after: &str) -> Res<()> {
        match self.remaining() {
            0 => Ok(()),
            1 => bad(format!("1 unexpected byte after {after}")),
            n => bad(format!("{n} unexpected bytes after {after}")),
        }
    }
}

pub(super) fn be(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

pub(super) fn be16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |acc, &b| (acc << 8) | u16::from(b))
}

/// A list of two-byte values filling `data` exactly.
pub(super) fn u16_list(data: &[u8], what: &str) -> Res<Vec<u16>> {
    if !data.len().is_multiple_of(2) {
        return bad(format!("{what} has an odd length ({})", data.len()));
    }
    Ok(data.chunks_exact(2).map(be16).collect())
}

pub(super) use crate::render::hex;

/// Printable ASCII as is; the backslash and every other byte as `\xNN`.
pub(crate) fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\x5c"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}
