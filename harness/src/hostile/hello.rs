//! Genuine ClientHellos, and the byte-level tools to take them apart and
//! put them back together.
//!
//! The hostile inputs start from a ClientHello that the linked OpenSSL
//! really sends: a client is run into an in-memory stream, its first flight
//! is kept, and each case then changes exactly one thing (a length field,
//! the suites list, ...). The rest of the bytes stay realistic, so a server
//! rejects them for the one reason the case is about.

use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use testkit::first_flight::first_flight;

use super::{Cause, HostileError};
use crate::tls_bytes::{handshake_message, put_prefixed, record};

/// Record content types (RFC 8446 section 5.1).
pub(crate) const CT_ALERT: u8 = 21;
/// Handshake records.
pub(crate) const CT_HANDSHAKE: u8 = 22;
/// The handshake type of a ClientHello.
pub(crate) const HT_CLIENT_HELLO: u8 = 1;

/// A ClientHello taken apart into its fields (RFC 8446 section 4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientHello {
    /// The version field of the record header that carried it.
    pub record_version: u16,
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub suites: Vec<u16>,
    pub compression: Vec<u8>,
    pub extensions: Vec<(u16, Vec<u8>)>,
}

impl ClientHello {
    /// Runs a client of the linked OpenSSL until it has written its
    /// ClientHello, and parses what it wrote. `max` caps the version it
    /// offers (TLS 1.2 for the renegotiation case).
    pub(crate) fn capture(max: Option<SslVersion>) -> Result<ClientHello, HostileError> {
        fn capture_err(e: impl Into<Cause>) -> HostileError {
            HostileError::Capture(e.into())
        }
        let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(capture_err)?;
        b.set_verify(SslVerifyMode::NONE);
        b.set_max_proto_version(max).map_err(capture_err)?;
        let ctx = b.build();
        let mut ssl = Ssl::new(&ctx).map_err(capture_err)?;
        ssl.set_hostname("localhost").map_err(capture_err)?;
        let written = first_flight(ssl).map_err(capture_err)?;
        ClientHello::parse_record(&written)
    }

    /// Parses one handshake record holding exactly one ClientHello.
    pub(crate) fn parse_record(bytes: &[u8]) -> Result<ClientHello, HostileError> {
        let bad = HostileError::CapturedHello;
        let mut r = Reader(bytes);
        if r.u8() != Some(CT_HANDSHAKE) {
            return Err(bad("is not in a handshake record"));
        }
        let record_version = r.u16().ok_or_else(|| bad("has a short record header"))?;
        let record = r
            .prefixed(2)
            .ok_or_else(|| bad("is longer than the bytes written"))?;
        let mut m = Reader(record);
        if m.u8() != Some(HT_CLIENT_HELLO) {
            return Err(bad("is not a ClientHello"));
        }
        let body = m.prefixed(3).ok_or_else(|| bad("spans several records"))?;
        let mut h = Reader(body);
        let legacy_version = h.u16().ok_or_else(|| bad("has no version"))?;
        let random: [u8; 32] = h
            .take(32)
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("has no random"))?;
        let session_id = h.prefixed(1).ok_or_else(|| bad("has no session id"))?;
        let suites = h.prefixed(2).ok_or_else(|| bad("has no suites"))?;
        let compression = h.prefixed(1).ok_or_else(|| bad("has no compression"))?;
        let mut exts = Reader(h.prefixed(2).ok_or_else(|| bad("has no extensions"))?);
        let mut extensions = Vec::new();
        while !exts.0.is_empty() {
            let ty = exts.u16().ok_or_else(|| bad("has a cut extension"))?;
            let data = exts.prefixed(2).ok_or_else(|| bad("has a cut extension"))?;
            extensions.push((ty, data.to_vec()));
        }
        Ok(ClientHello {
            record_version,
            legacy_version,
            random,
            session_id: session_id.to_vec(),
            suites: suites
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect(),
            compression: compression.to_vec(),
            extensions,
        })
    }

    /// The ClientHello body: everything after the 4-byte handshake header.
    pub(crate) fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(&self.legacy_version.to_be_bytes());
        out.extend_from_slice(&self.random);
        put_prefixed(&mut out, 1, &self.session_id);
        let suites: Vec<u8> = self.suites.iter().flat_map(|s| s.to_be_bytes()).collect();
        put_prefixed(&mut out, 2, &suites);
        put_prefixed(&mut out, 1, &self.compression);
        let mut exts = Vec::new();
        for (ty, data) in &self.extensions {
            exts.extend_from_slice(&ty.to_be_bytes());
            put_prefixed(&mut exts, 2, data);
        }
        put_prefixed(&mut out, 2, &exts);
        out
    }

    /// The handshake message: type, 24-bit length, body.
    pub(crate) fn message(&self) -> Vec<u8> {
        handshake_message(HT_CLIENT_HELLO, &self.body())
    }

    /// The message in one handshake record, as a client sends it.
    pub(crate) fn record(&self) -> Vec<u8> {
        record(CT_HANDSHAKE, self.record_version, &self.message())
    }
}

/// Whether OpenSSL's `tls_process_client_hello` could parse `body` as a
/// ClientHello: every length-prefixed field fits, the session id is at most
/// 32 bytes and the extensions end exactly at the end of the message.
/// The garbage case uses it to be sure its body fails that parse.
pub(crate) fn parses_as_client_hello(body: &[u8]) -> bool {
    let mut r = Reader(body);
    let ok = r.u16().is_some()
        && r.take(32).is_some()
        && r.prefixed(1).is_some_and(|s| s.len() <= 32)
        && r.prefixed(2).is_some()
        && r.prefixed(1).is_some();
    ok && (r.0.is_empty() || (r.prefixed(2).is_some() && r.0.is_empty()))
}

/// A bounds-checked reader: every getter returns `None` instead of
/// reading past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn prefixed(&mut self, width: usize) -> Option<&'a [u8]> {
        let len = self
            .take(width)?
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captured_client_hello_survives_a_round_trip() {
        let hello = ClientHello::capture(None).expect("capture");
        assert!(hello.suites.contains(&0x1301), "TLS 1.3 suites offered");
        let again = ClientHello::parse_record(&hello.record()).expect("reparse");
        assert_eq!(again, hello);
        assert!(parses_as_client_hello(&hello.body()));
        let tls12 = ClientHello::capture(Some(SslVersion::TLS1_2)).expect("capture 1.2");
        // TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 section 3.3).
        assert!(tls12.suites.contains(&0x00ff));
    }
}
