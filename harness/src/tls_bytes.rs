//! TLS's wire encodings, for the bytes the harness writes itself rather
//! than through OpenSSL: records, handshake headers and length-prefixed
//! vectors (RFC 8446 section 3). Hostile peers and the scan's own hellos
//! build on these. Lengths are cut to their field's width, never
//! checked: a hostile case may want a wrong one, and every caller's data
//! fits otherwise (a record at most 2^14 + 2049 bytes).

/// A TLS record: content type, version, 16-bit length, payload.
pub(crate) fn record(content_type: u8, version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type];
    out.extend_from_slice(&version.to_be_bytes());
    put_prefixed(&mut out, 2, payload);
    out
}

/// A handshake message with its 4-byte header: type, 24-bit length.
pub(crate) fn handshake_message(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![ty];
    put_prefixed(&mut out, 3, body);
    out
}

/// Writes `data` after its length in `width` bytes (1 to 4).
pub(crate) fn put_prefixed(out: &mut Vec<u8>, width: usize, data: &[u8]) {
    let len = (data.len() as u32).to_be_bytes();
    out.extend_from_slice(&len[4 - width..]);
    out.extend_from_slice(data);
}

/// `data` after its 2-byte length.
pub(crate) fn prefixed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    put_prefixed(&mut out, 2, data);
    out
}

/// An extension: its type, then its data after a 2-byte length.
pub(crate) fn put_extension(out: &mut Vec<u8>, ty: u16, data: &[u8]) {
    out.extend_from_slice(&ty.to_be_bytes());
    put_prefixed(out, 2, data);
}

/// Two-byte values, big-endian.
pub(crate) fn u16s(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a TLS 1.2 ClientHello record's first fields, as RFC
    /// 8446 section 5.1 and 4 lay them out.
    #[test]
    fn records_and_messages_carry_their_lengths() {
        let m = handshake_message(1, &[0xaa; 3]);
        assert_eq!(m, [1, 0, 0, 3, 0xaa, 0xaa, 0xaa]);
        let r = record(22, 0x0301, &m);
        assert_eq!(&r[..5], &[22, 3, 1, 0, 7]);
        let mut e = Vec::new();
        put_extension(&mut e, 10, &prefixed(&u16s(&[0x001d, 0x0017])));
        assert_eq!(e, [0, 10, 0, 6, 0, 4, 0, 0x1d, 0, 0x17]);
        let mut v = Vec::new();
        put_prefixed(&mut v, 1, &[9]);
        put_prefixed(&mut v, 3, &[]);
        assert_eq!(v, [1, 9, 0, 0, 0]);
    }
}
