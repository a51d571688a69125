//! The SSL 2.0-format ClientHello that old clients and scanners still open
//! with to offer SSL 3.0 or TLS (RFC 5246 appendix E.2). OpenSSL reads it
//! and hands it to the message callback with version 2 (`SSL2_VERSION`) and
//! content type 0, the record's two-byte header stripped.

use super::error::{bad, Res};
use super::hello::ClientHello;
use super::names::{CipherSuite, HandshakeType};
use super::reader::{hex, Reader};
use super::DecodeError;

/// SSL 2.0's CLIENT-HELLO message type.
const CLIENT_HELLO: u8 = 1;

/// Decodes an SSLv2-format ClientHello into the fields a ClientHello has:
/// the version, the cipher specs that name TLS suites (first byte 0), the
/// session id, and the challenge as the random, right-aligned and padded
/// with zeros to 32 bytes as a TLS server reads it (RFC 5246 E.2). As
/// OpenSSL does, a challenge of any length is taken (RFC 5246 E.2 says
/// only that 16 to 32 bytes were historically allowed), and one longer
/// than 32 bytes gives its first 32.
///
/// # Errors
///
/// [`DecodeError::Truncated`] when a field runs past the end, and
/// [`DecodeError::Malformed`] for another message type, cipher specs that
/// are not whole 3-byte entries, a session id longer than 32 bytes (both
/// of which OpenSSL refuses), or bytes after the challenge.
pub fn decode_sslv2_client_hello(msg: &[u8]) -> Result<ClientHello, DecodeError> {
    parse(msg).map_err(|f| f.into_error(HandshakeType::CLIENT_HELLO))
}

fn parse(msg: &[u8]) -> Res<ClientHello> {
    let mut r = Reader::new(msg);
    let kind = r.u8()?;
    if kind != CLIENT_HELLO {
        return bad(format!("SSLv2 message type {kind}, not CLIENT-HELLO (1)"));
    }
    let version = r.u16()?;
    let specs_len = usize::from(r.u16()?);
    let session_len = usize::from(r.u16()?);
    let challenge_len = usize::from(r.u16()?);
    if specs_len == 0 || specs_len % 3 != 0 {
        return bad(format!(
            "cipher_specs of {specs_len} bytes, not whole 3-byte entries"
        ));
    }
    if session_len > 32 {
        return bad(format!("a session id of {session_len} bytes (at most 32)"));
    }
    let specs = r.take(specs_len)?;
    let session = r.take(session_len)?;
    let challenge = r.take(challenge_len)?;
    r.finish("the challenge")?;
    let used = &challenge[..challenge_len.min(32)];
    let mut random = vec![0u8; 32 - used.len()];
    random.extend_from_slice(used);
    Ok(ClientHello {
        legacy_version: version,
        random: hex(&random),
        session_id: hex(session),
        // Entries with a non-zero first byte are SSL 2.0's own ciphers.
        cipher_suites: specs
            .chunks_exact(3)
            .filter(|s| s[0] == 0)
            .map(|s| CipherSuite::new(u16::from_be_bytes([s[1], s[2]])))
            .collect(),
        ..ClientHello::default()
    })
}
