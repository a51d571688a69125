//! [`Hello`]: what the server said on one probe, read from its trace.
//!
//! Findings rest on the server's messages rather than on the handshake's
//! end: a server that requires a client certificate still shows which
//! version, suite and group it picked before it refused. The library
//! decodes ServerHello, CertificateRequest and NewSessionTicket; the few
//! fields it does not decode (the ServerKeyExchange group, DH prime and
//! signature, the CertificateVerify scheme, CA names, ALPN in
//! EncryptedExtensions) are read here from the raw message bytes, with
//! bounds checks and no panics.

use openssl::x509::X509Name;
use openssl_handshake::decode::{Body, HandshakeType};
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
    /// The scheme the server signed with (ServerKeyExchange or CertificateVerify).
    pub signature: Option<u16>,
    /// The CertificateRequest, when the server sent one.
    pub cert_request: Option<CertRequest>,
    /// NewSessionTickets received.
    pub tickets: usize,
    /// Bytes of the ServerHello's session id.
    pub session_id_len: usize,
    /// Whether the ServerHello carried renegotiation_info (RFC 5746).
    pub renegotiation_info: bool,
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
        for m in t.messages() {
            if m.direction != Direction::Read || m.content_type != 22 {
                continue;
            }
            let body = m.raw.as_deref().and_then(|r| r.get(4..)).unwrap_or(&[]);
            match (m.handshake_type, &m.body) {
                (_, Some(Body::ServerHello(sh))) if sh.hello_retry_request => {
                    h.hello_retry = true;
                }
                (_, Some(Body::ServerHello(sh))) => {
                    let wire = sh.selected_version.unwrap_or(sh.legacy_version);
                    h.version = version_of(wire);
                    let id = sh.cipher_suite.id;
                    let name = library
                        .suites
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.name.clone())
                        .or_else(|| sh.cipher_suite.name.clone())
                        .unwrap_or_else(|| format!("0x{id:04X}"));
                    h.suite = Some((id, name));
                    h.group = sh.key_share_group.as_ref().map(|g| g.id);
                    h.session_id_len = sh.session_id.len() / 2;
                    h.renegotiation_info = sh.extensions.contains(&0xff01);
                    h.alpn = sh.alpn.clone();
                }
                (_, Some(Body::CertificateRequest(cr))) => {
                    h.cert_request = Some(CertRequest {
                        ca_names: ca_names(body, h.version),
                        signature_algorithms: cr
                            .signature_algorithms
                            .iter()
                            .map(|s| s.name.clone().unwrap_or_else(|| format!("0x{:04x}", s.id)))
                            .collect(),
                    });
                }
                (_, Some(Body::NewSessionTicket(_))) => h.tickets += 1,
                (_, Some(Body::Certificate(_))) => h.certificate_sent = true,
                (Some(HandshakeType::SERVER_KEY_EXCHANGE), _) => {
                    let kx = h.suite.as_ref().and_then(|(id, _)| {
                        library
                            .suites
                            .iter()
                            .find(|s| s.id == *id)
                            .map(|s| s.kx.as_str())
                    });
                    let tls12 = h.version == Some(Version::Tls1_2);
                    match kx {
                        Some("ECDH") => {
                            if let Some((group, sig)) = ecdhe_params(body, tls12) {
                                h.group = Some(group);
                                h.signature = sig;
                            }
                        }
                        Some("DH") => {
                            if let Some((bits, sig)) = dhe_params(body, tls12) {
                                h.dh_bits = Some(bits);
                                h.signature = sig;
                            }
                        }
                        _ => {}
                    }
                }
                (Some(HandshakeType::CERTIFICATE_VERIFY), _) => {
                    h.signature = Cursor(body).u16();
                }
                (Some(HandshakeType::ENCRYPTED_EXTENSIONS), _) if h.alpn.is_none() => {
                    h.alpn = encrypted_extensions_alpn(body);
                }
                _ => {}
            }
        }
        h.trace = trace;
        h
    }
}

/// The version a wire value names.
pub fn version_of(wire: u16) -> Option<Version> {
    match wire {
        0x0300 => Some(Version::Ssl3),
        0x0301 => Some(Version::Tls1),
        0x0302 => Some(Version::Tls1_1),
        0x0303 => Some(Version::Tls1_2),
        0x0304 => Some(Version::Tls1_3),
        _ => None,
    }
}

/// A bounds-checked reader over a message body.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

/// RFC 8422 ServerECDHParams: curve_type 3 (named_curve), the curve, the
/// point; then, in TLS 1.2, the signature scheme.
fn ecdhe_params(body: &[u8], tls12: bool) -> Option<(u16, Option<u16>)> {
    let mut c = Cursor(body);
    if c.u8()? != 3 {
        return None;
    }
    let group = c.u16()?;
    c.vec8()?;
    Some((group, if tls12 { c.u16() } else { None }))
}

/// RFC 5246 ServerDHParams: p, g, Ys; then, in TLS 1.2, the scheme.
fn dhe_params(body: &[u8], tls12: bool) -> Option<(usize, Option<u16>)> {
    let mut c = Cursor(body);
    let p = c.vec16()?;
    c.vec16()?;
    c.vec16()?;
    let leading = p.iter().take_while(|&&b| b == 0).count();
    let p = &p[leading..];
    let bits = p
        .first()
        .map_or(0, |&b| p.len() * 8 - b.leading_zeros() as usize);
    Some((bits, if tls12 { c.u16() } else { None }))
}

/// The CA names of a CertificateRequest: the certificate_authorities
/// field (TLS 1.2) or extension 47 (TLS 1.3).
fn ca_names(body: &[u8], version: Option<Version>) -> Vec<String> {
    let tls12 = version == Some(Version::Tls1_2);
    let list = if version == Some(Version::Tls1_3) {
        let mut c = Cursor(body);
        c.vec8().and_then(|_| c.vec16()).and_then(|exts| {
            let mut e = Cursor(exts);
            while let (Some(kind), Some(data)) = (e.u16(), e.vec16()) {
                if kind == 47 {
                    return Cursor(data).vec16();
                }
            }
            None
        })
    } else {
        // certificate_types, then (TLS 1.2 only) the schemes, then the names.
        let mut c = Cursor(body);
        c.vec8()
            .and_then(|_| {
                if tls12 {
                    c.vec16().map(|_| ())
                } else {
                    Some(())
                }
            })
            .and_then(|_| c.vec16())
    };
    let mut names = Vec::new();
    let mut c = Cursor(list.unwrap_or(&[]));
    while let Some(der) = c.vec16() {
        names.push(match X509Name::from_der(der) {
            Ok(n) => n
                .entries()
                .map(|e| {
                    let key = e.object().nid().short_name().unwrap_or("?");
                    let value = e
                        .data()
                        .to_string()
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    format!("{key} = {value}")
                })
                .collect::<Vec<_>>()
                .join(", "),
            Err(_) => format!("<unparseable name: {} bytes>", der.len()),
        });
    }
    names
}

/// The ALPN extension (16) of a TLS 1.3 EncryptedExtensions.
fn encrypted_extensions_alpn(body: &[u8]) -> Option<String> {
    let exts = Cursor(body).vec16()?;
    let mut e = Cursor(exts);
    while let (Some(kind), Some(data)) = (e.u16(), e.vec16()) {
        if kind == 16 {
            let list = Cursor(data).vec16()?;
            let proto = Cursor(list).vec8()?;
            return Some(String::from_utf8_lossy(proto).into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dh_prime_bits_ignore_leading_zeros() {
        // p = 00 80 00 (a 16-bit prime field), g = 02, Ys = 01, scheme 0x0401.
        let body = [0, 3, 0, 0x80, 0, 0, 1, 2, 0, 1, 1, 4, 1];
        assert_eq!(dhe_params(&body, true), Some((16, Some(0x0401))));
        assert_eq!(dhe_params(&body[..3], true), None);
    }

    #[test]
    fn truncated_messages_give_nothing() {
        assert_eq!(ecdhe_params(&[3, 0], true), None);
        assert!(ca_names(&[1], Some(Version::Tls1_2)).is_empty());
        assert_eq!(encrypted_extensions_alpn(&[0, 9, 0, 16]), None);
    }

    #[test]
    fn ca_names_in_both_layouts() {
        let mut b = openssl::x509::X509NameBuilder::new().expect("builder");
        b.append_entry_by_text("CN", "Test Root").expect("cn");
        let der = b.build().to_der().expect("der");
        let n = u16::try_from(der.len()).expect("short name");
        let mut names = (n + 2).to_be_bytes().to_vec();
        names.extend(n.to_be_bytes());
        names.extend(&der);
        // TLS 1.2: one certificate type, one scheme, the names.
        let mut tls12 = vec![1, 1, 0, 2, 4, 1];
        tls12.extend(&names);
        assert_eq!(ca_names(&tls12, Some(Version::Tls1_2)), ["CN = Test Root"]);
        // TLS 1.3: empty context, then extension 47 holding the names.
        let ext_len = u16::try_from(names.len()).expect("short");
        let mut exts = vec![0, 47];
        exts.extend(ext_len.to_be_bytes());
        exts.extend(&names);
        let mut tls13 = vec![0];
        tls13.extend(u16::try_from(exts.len()).expect("short").to_be_bytes());
        tls13.extend(&exts);
        assert_eq!(ca_names(&tls13, Some(Version::Tls1_3)), ["CN = Test Root"]);
    }

    #[test]
    fn alpn_in_encrypted_extensions() {
        // extensions: [ alpn(16) len 5: list len 3: "h2" ]
        let body = [0, 9, 0, 16, 0, 5, 0, 3, 2, b'h', b'2'];
        assert_eq!(encrypted_extensions_alpn(&body).as_deref(), Some("h2"));
    }
}
