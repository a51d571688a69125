//! [`Hello`]: what the server said on one probe, read from its trace.
//!
//! Findings rest on the server's messages rather than on the handshake's
//! end: a server that requires a client certificate still shows which
//! version, suite and group it picked before it refused. Every field
//! comes from the bodies the library decoded, so the probes need not keep
//! the messages' bytes.

use openssl_handshake::decode::Body;
use openssl_handshake::{Direction, HandshakeTrace};

use crate::case::Version;
use crate::library::Library;

/// The server's side of one probe.
#[derive(Debug, Clone, Default)]
pub struct Hello {
    /// The probe's trace.
    pub trace: Option<HandshakeTrace>,
    /// The version the ServerHello chose.
    pub version: Option<Version>,
    /// The chosen suite: wire id and OpenSSL name.
    pub suite: Option<(u16, String)>,
    /// The key-exchange group: TLS 1.3 key share or TLS 1.2 named curve.
    pub group: Option<u16>,
    /// Whether a HelloRetryRequest came first.
    pub hello_retry: bool,
    /// Bits of the DH prime of a DHE ServerKeyExchange.
    pub dh_bits: Option<usize>,
    /// The well-known group whose prime that is, if it is one ("ffdhe2048").
    pub dh_group: Option<String>,
    /// The scheme the server signed with (ServerKeyExchange or CertificateVerify).
    pub signature: Option<u16>,
    /// The CertificateRequest, when the server sent one.
    pub cert_request: Option<CertRequest>,
    /// NewSessionTickets received.
    pub tickets: usize,
    /// The largest max_early_data_size among them (TLS 1.3's early_data
    /// extension), when one carried it.
    pub early_data_max: Option<u32>,
    /// Bytes of the ServerHello's session id.
    pub session_id_len: usize,
    /// Whether the ServerHello carried renegotiation_info (RFC 5746).
    pub renegotiation_info: bool,
    /// Whether the ServerHello carried extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Whether the ServerHello carried encrypt_then_mac (RFC 7366).
    pub encrypt_then_mac: bool,
    /// The last byte of a downgrade sentinel ending the ServerHello's
    /// random (RFC 8446 4.1.3): 1 for "DOWNGRD\x01", 0 for "DOWNGRD\x00".
    pub downgrade_sentinel: Option<u8>,
    /// The ALPN protocol the server selected (ServerHello or EncryptedExtensions).
    pub alpn: Option<String>,
    /// The first alert the server sent.
    pub alert: Option<u8>,
    /// Whether a Certificate message came from the server.
    pub certificate_sent: bool,
}

/// A server's CertificateRequest.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CertRequest {
    /// The acceptable CA names, formatted "CN = x, O = y".
    pub ca_names: Vec<String>,
    /// The signature schemes it accepts for the client's certificate.
    pub signature_algorithms: Vec<String>,
}

impl Hello {
    /// Reads the server's messages of a probe's trace.
    pub fn read(trace: Option<HandshakeTrace>, library: &Library) -> Hello {
        let mut h = Hello::default();
        let Some(t) = &trace else {
            return h;
        };
        h.alert = t.alert_received().map(|a| a.description);
        let read = || {
            t.messages()
                .filter(|m| m.direction == Direction::Read && m.handshake_type.is_some())
        };
        // A message with a bad extension that the handshake failed on was
        // refused (OpenSSL refuses a repeated extension of a type it
        // knows): it counts no more than one that did not decode, so a
        // ServerHello refused so is no version or suite the server takes.
        let refused = read()
            .last()
            .filter(|m| !m.extension_problems.is_empty() && t.failure().is_some());
        let bodies = read()
            .filter(|m| !refused.is_some_and(|r| std::ptr::eq(*m, r)))
            .filter_map(|m| m.body.as_ref());
        for body in bodies {
            match body {
                Body::ServerHello(sh) if sh.hello_retry_request => h.hello_retry = true,
                Body::ServerHello(sh) => {
                    let wire = sh.selected_version.unwrap_or(sh.legacy_version);
                    h.version = version_of(wire);
                    let id = sh.cipher_suite.id;
                    let name = library
                        .all_suites()
                        .find(|s| s.id == id)
                        .map(|s| s.name.clone())
                        .or_else(|| sh.cipher_suite.name.clone())
                        .unwrap_or_else(|| format!("0x{id:04X}"));
                    h.suite = Some((id, name));
                    h.group = sh.key_share_group.as_ref().map(|g| g.id);
                    h.session_id_len = sh.session_id.len() / 2;
                    h.renegotiation_info = sh.extensions.contains(&0xff01);
                    h.extended_master_secret = sh.common.extended_master_secret;
                    h.encrypt_then_mac = sh.extensions.contains(&ENCRYPT_THEN_MAC);
                    h.downgrade_sentinel = downgrade_sentinel(&sh.random);
                    h.alpn = sh.alpn.clone();
                }
                Body::EncryptedExtensions(ee) if h.alpn.is_none() => h.alpn = ee.alpn.clone(),
                Body::ServerKeyExchange(ske) => {
                    if let Some(g) = &ske.named_group {
                        h.group = Some(g.id);
                    }
                    h.dh_bits = ske.dh_bits().and_then(|b| usize::try_from(b).ok());
                    h.dh_group = ske.dh_group_name().map(str::to_owned);
                    h.signature = ske.signature_scheme_id();
                }
                Body::CertificateVerify(cv) => h.signature = cv.signature_scheme_id(),
                Body::CertificateRequest(cr) => {
                    h.cert_request = Some(CertRequest {
                        ca_names: cr.certificate_authorities.clone(),
                        signature_algorithms: cr
                            .signature_algorithms
                            .iter()
                            .map(|s| s.name.clone().unwrap_or_else(|| format!("0x{:04x}", s.id)))
                            .collect(),
                    });
                }
                Body::NewSessionTicket(t) => {
                    h.tickets += 1;
                    h.early_data_max = h.early_data_max.max(t.early_data_max);
                }
                Body::Certificate(_) => h.certificate_sent = true,
                _ => {}
            }
        }
        h.trace = trace;
        h
    }
}

/// The encrypt_then_mac extension's type (RFC 7366).
pub(super) const ENCRYPT_THEN_MAC: u16 = 22;
/// The extended_master_secret extension's type (RFC 7627).
pub(super) const EXTENDED_MASTER_SECRET: u16 = 23;

/// The version a wire value names.
pub fn version_of(wire: u16) -> Option<Version> {
    Version::try_from(openssl_handshake::ProtocolVersion::from(wire)).ok()
}

/// The last byte of the downgrade sentinel a ServerHello's random (in
/// hex) ends with, if it ends with one.
fn downgrade_sentinel(random: &str) -> Option<u8> {
    // "DOWNGRD" in hex, then the byte that says which.
    const DOWNGRD: &str = "444f574e475244";
    let tail = random.len().checked_sub(16).and_then(|i| random.get(i..))?;
    match tail.strip_prefix(DOWNGRD)? {
        "00" => Some(0),
        "01" => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::downgrade_sentinel;

    #[test]
    fn a_random_ending_in_a_sentinel_names_its_last_byte() {
        let lead = "00".repeat(24);
        assert_eq!(
            downgrade_sentinel(&format!("{lead}444f574e47524401")),
            Some(1)
        );
        assert_eq!(
            downgrade_sentinel(&format!("{lead}444f574e47524400")),
            Some(0)
        );
        assert_eq!(downgrade_sentinel(&format!("{lead}444f574e47524402")), None);
        assert_eq!(downgrade_sentinel(&format!("{lead}0000000000000001")), None);
        assert_eq!(downgrade_sentinel("4401"), None);
    }
}
