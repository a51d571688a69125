//! Editing a ClientHello record's bytes, for hellos no TLS stack would
//! send: the offsets of its fields, and cutting bytes out with every
//! enclosing length kept right.

/// Where the fields of a ClientHello record start.
pub struct HelloLayout {
    /// The cipher_suites' two length bytes.
    pub suites: usize,
    /// The compression_methods length byte.
    pub compression: usize,
    /// The extensions' two length bytes.
    pub extensions: usize,
}

/// The layout of `record`, one ClientHello in one record.
pub fn layout(record: &[u8]) -> HelloLayout {
    let u16_at = |i: usize| usize::from(u16::from_be_bytes([record[i], record[i + 1]]));
    // Record header 5, handshake header 4, legacy_version 2, random 32.
    let session_id = 5 + 4 + 2 + 32;
    let suites = session_id + 1 + usize::from(record[session_id]);
    let compression = suites + 2 + u16_at(suites);
    let extensions = compression + 1 + usize::from(record[compression]);
    assert_eq!(
        extensions + 2 + u16_at(extensions),
        record.len(),
        "one ClientHello"
    );
    HelloLayout {
        suites,
        compression,
        extensions,
    }
}

/// Removes `n` bytes at `at` from a ClientHello record, shortening the
/// record, the handshake message and, when `in_extensions`, the
/// extensions block.
pub fn cut(record: &mut Vec<u8>, at: usize, n: usize, in_extensions: bool) {
    let shorten = |r: &mut Vec<u8>, i: usize, width: usize| {
        let mut v = r[i..i + width]
            .iter()
            .fold(0usize, |v, b| v << 8 | usize::from(*b));
        v -= n;
        for k in (0..width).rev() {
            r[i + k] = (v & 0xff) as u8;
            v >>= 8;
        }
    };
    let extensions = layout(record).extensions;
    record.drain(at..at + n);
    shorten(record, 3, 2);
    shorten(record, 6, 3);
    if in_extensions {
        shorten(record, extensions, 2);
    }
}

/// Where extension `kind` starts in a ClientHello record, and its whole
/// length (type, length and body).
pub fn extension(record: &[u8], kind: u16) -> Option<(usize, usize)> {
    let mut at = layout(record).extensions + 2;
    while at + 4 <= record.len() {
        let t = u16::from_be_bytes([record[at], record[at + 1]]);
        let len = 4 + usize::from(u16::from_be_bytes([record[at + 2], record[at + 3]]));
        if t == kind {
            return Some((at, len));
        }
        at += len;
    }
    None
}

/// `record` with its cipher_suites replaced by `suites`, which must not
/// be more than it had.
pub fn with_suites(record: &[u8], suites: &[u16]) -> Vec<u8> {
    let mut hello = record.to_vec();
    let at = layout(&hello).suites;
    let had = usize::from(u16::from_be_bytes([hello[at], hello[at + 1]]));
    let want = 2 * suites.len();
    cut(&mut hello, at + 2 + want, had - want, false);
    hello[at..at + 2].copy_from_slice(&(want as u16).to_be_bytes());
    for (i, id) in suites.iter().enumerate() {
        hello[at + 2 + 2 * i..at + 4 + 2 * i].copy_from_slice(&id.to_be_bytes());
    }
    hello
}

/// `record` (one ClientHello in one record) with `extension` (type,
/// length and body) appended to its extensions, every enclosing length
/// grown to match.
pub fn with_extension(record: &[u8], extension: &[u8]) -> Vec<u8> {
    let grow = |r: &mut Vec<u8>, i: usize, width: usize| {
        let mut v = r[i..i + width]
            .iter()
            .fold(0usize, |v, b| v << 8 | usize::from(*b));
        v += extension.len();
        for k in (0..width).rev() {
            r[i + k] = (v & 0xff) as u8;
            v >>= 8;
        }
    };
    let block = layout(record).extensions;
    let mut out = record.to_vec();
    out.extend_from_slice(extension);
    grow(&mut out, 3, 2);
    grow(&mut out, 6, 3);
    grow(&mut out, block, 2);
    out
}
