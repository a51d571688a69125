//! [`Negotiated`]: what the two ends agreed on, read from the `SSL` when
//! the handshake is done.

use openssl::nid::Nid;
use openssl::pkey::Id;
use openssl::ssl::{NameType, SslRef};
use openssl::x509::X509;
use serde::{Deserialize, Serialize};

use crate::cert::CertificateInfo;
use crate::decode::{escaped, Body, HandshakeType};
use crate::event::{Direction, Event, EventKind, Message, Side};
use crate::ffi;
use crate::log::{self, Log};
use crate::version::ProtocolVersion;

/// What was agreed in a finished handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Negotiated {
    /// The protocol version; it prints, and is in JSON, as OpenSSL names
    /// it: "TLSv1.3", "TLSv1.2", ...
    pub version: ProtocolVersion,
    /// The suite's OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256".
    pub cipher_openssl: String,
    /// The suite's IANA name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".
    pub cipher_iana: Option<String>,
    /// The key-exchange group, e.g. "x25519", "secp256r1", or for TLS 1.2
    /// DHE the ServerKeyExchange's group ("ffdhe2048", or "DH 1024 bits"
    /// for parameters no standard names); `None` for RSA key exchange and
    /// resumptions without a new key share.
    pub group: Option<String>,
    /// The signature scheme the peer signed with, e.g.
    /// "rsa_pss_rsae_sha256": from its ServerKeyExchange or
    /// CertificateVerify when messages are recorded, else from its key
    /// type and digest ("rsa_pkcs1_md5_sha1" for TLS 1.0 and 1.1, which
    /// has no code point); `None` when the peer did not sign, as in a
    /// resumed handshake.
    pub peer_signature: Option<String>,
    /// The ALPN protocol selected. Bytes outside printable ASCII (and
    /// the backslash) are written as `\xNN`.
    pub alpn: Option<String>,
    /// The server name the client asked for, escaped like `alpn`.
    pub sni: Option<String>,
    /// `None` for a full handshake, else how the session was resumed.
    pub resumed: Option<Resumption>,
    /// Whether a key shared out of band keyed the handshake: a PSK
    /// suite's before TLS 1.3, an external identity in TLS 1.3's
    /// pre_shared_key. Not a resumption, though OpenSSL counts a TLS 1.3
    /// one as reused (`SSL_session_reused`, s_client's "Reused"). TLS 1.3
    /// tells it from a ticket by the selected identity's
    /// obfuscated_ticket_age: 0, as RFC 8446 4.2.11 asks of external
    /// identities, where a ticket's carries a random offset (a server that
    /// gives none, against the RFC, would make a quick resumption read as
    /// external). Absent in JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external_psk: bool,
    /// The peer's certificate chain, leaf first: as OpenSSL holds it, or,
    /// when it kept none (a server drops a client chain that failed
    /// verification), as the peer's Certificate message carried it.
    pub peer_chain: Vec<CertificateInfo>,
    /// The result of verifying the peer's certificate; `None` when the
    /// peer presented none (a client not asked for one, an anonymous or
    /// PSK suite), where OpenSSL's result is X509_V_OK but "does not
    /// indicate success" (`SSL_get_verify_result(3)`).
    pub verify: Option<VerifyResult>,
}

/// How a session was resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resumption {
    /// TLS 1.2 and earlier: the server found the session id in its cache.
    SessionId,
    /// TLS 1.2 and earlier: RFC 5077 session ticket.
    Ticket,
    /// TLS 1.3 pre-shared key from a NewSessionTicket.
    Psk,
    /// Resumed, but this end could not tell how because message tracing
    /// was off: a TLS 1.2 server by id or ticket, a TLS 1.3 end by ticket
    /// or (then no resumption at all) an external PSK.
    Unknown,
}

impl Resumption {
    /// The name JSON gives it: "session_id", "ticket", "psk", "unknown".
    pub fn name(self) -> &'static str {
        match self {
            Resumption::SessionId => "session_id",
            Resumption::Ticket => "ticket",
            Resumption::Psk => "psk",
            Resumption::Unknown => "unknown",
        }
    }
}

/// `SSL_get_verify_result`: an X509 verify code and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerifyResult {
    /// `X509_V_OK` (0) or an `X509_V_ERR_*` code.
    pub code: i32,
    /// `X509_verify_cert_error_string`, e.g. "certificate has expired".
    pub text: String,
}

impl VerifyResult {
    /// Wraps a raw verify code with its text.
    pub fn from_code(code: i32) -> Self {
        VerifyResult {
            code,
            text: ffi::verify_error_string(code),
        }
    }

    /// Whether verification succeeded.
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}

impl Negotiated {
    /// Reads what was negotiated on `ssl`, except the peer chain, which
    /// is returned as certificates so that parsing it can wait until
    /// someone reads the trace.
    ///
    /// A TLS 1.2 server cannot tell a ticket from a session id, nor a
    /// TLS 1.3 end a ticket from an external PSK, without decoding the
    /// hellos, which would cost more than the rest of a resumed
    /// handshake's tracing; they get [`Resumption::Unknown`] here, and
    /// [`Negotiated::refine_resumption`] settles it when the trace is read.
    pub(crate) fn read(ssl: &SslRef, side: Side) -> (Negotiated, Vec<X509>) {
        let cipher = ssl.current_cipher().or_else(|| ffi::pending_cipher(ssl));
        let version = ssl
            .version2()
            .map_or(ProtocolVersion::Other(0), ProtocolVersion::from);
        let resumed = ssl.session_reused().then(|| resumption(ssl, side, version));
        let chain = peer_chain(ssl, side);
        // A resumed handshake signs nothing, and before TLS 1.3 exchanges
        // no key either; OpenSSL answers both from the original session.
        let abbreviated = resumed.is_some();
        let fresh_key = !abbreviated || version == ProtocolVersion::Tls1_3;
        let negotiated = Negotiated {
            cipher_openssl: cipher.map(|c| c.name().to_owned()).unwrap_or_default(),
            cipher_iana: cipher.and_then(|c| c.standard_name()).map(str::to_owned),
            group: ffi::negotiated_group(ssl).filter(|_| fresh_key),
            peer_signature: ffi::peer_signature_nids(ssl)
                .filter(|_| !abbreviated)
                .map(|(key, hash)| signature_scheme(key, hash, chain.first())),
            // Both are the peer's bytes: escaped as the decoder escapes
            // them, so that no name forges a line in text output.
            alpn: ssl.selected_alpn_protocol().map(escaped),
            sni: ssl
                .servername(NameType::HOST_NAME)
                .map(|n| escaped(n.as_bytes())),
            resumed,
            external_psk: !abbreviated
                && version < ProtocolVersion::Tls1_3
                && cipher.is_some_and(ffi::psk_key_exchange),
            peer_chain: Vec::new(),
            verify: (!chain.is_empty()).then(|| VerifyResult::from_code(ffi::verify_result(ssl))),
            version,
        };
        (negotiated, chain)
    }
}

impl Negotiated {
    /// Takes the peer's signature scheme and a finite-field group from the
    /// messages on the wire, which say exactly what was used where the
    /// `SSL` only gives a key type and a digest: the scheme of the last
    /// ServerKeyExchange or CertificateVerify read, the DH group a
    /// ServerKeyExchange carried ("ffdhe2048", or its size), and on a
    /// server the name a ClientHello asked for when OpenSSL kept none.
    /// Only the last handshake's messages count: after a renegotiation
    /// that resumed, the first handshake's signature and group are not
    /// this one's.
    pub(crate) fn refine_from_wire(&mut self, events: &[Event]) {
        let mut scheme = None;
        let mut dh = None;
        let mut sni = None;
        let messages: Vec<&Message> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Message(m) => Some(&**m),
                _ => None,
            })
            .collect();
        for m in &messages[last_handshake_start(&messages)..] {
            let read = m.direction == Direction::Read;
            match &m.body {
                Some(Body::ClientHello(h)) if read => sni = h.sni.clone().or(sni),
                // A server's own ServerKeyExchange names the group as well
                // as the one a client reads; its signature is no peer's.
                Some(Body::ServerKeyExchange(ske)) => {
                    if read {
                        scheme = ske.signature_scheme.clone().or(scheme);
                    }
                    dh = ske
                        .dh_group_name()
                        .map(str::to_owned)
                        .or_else(|| ske.dh_bits().map(|bits| format!("DH {bits} bits")))
                        .or(dh);
                }
                Some(Body::CertificateVerify(cv)) if read => {
                    scheme = cv.signature_scheme.clone().or(scheme);
                }
                _ => {}
            }
        }
        if let Some(s) = scheme {
            self.peer_signature = Some(s.name.unwrap_or_else(|| format!("0x{:04x}", s.id)));
        }
        if self.group.is_none() {
            self.group = dh;
        }
        // OpenSSL's server keeps the name of a TLS 1.2 session it resumes
        // only if a servername callback accepted it the first time; the
        // ClientHello still carries it.
        if self.sni.is_none() {
            self.sni = sni;
        }
    }

    /// Settles [`Resumption::Unknown`] from the last handshake's hellos in
    /// `log`: a TLS 1.2 server's by whether the ClientHello offered a
    /// ticket, a TLS 1.3 end's by whether the PSK selected was external
    /// (then nothing was resumed). It stays unknown when messages were not
    /// recorded.
    pub(crate) fn refine_resumption(&mut self, log: &Log) {
        if self.resumed != Some(Resumption::Unknown) {
            return;
        }
        if self.version < ProtocolVersion::Tls1_3 {
            self.resumed = Some(by_ticket(log::ticket_offered(log)));
            return;
        }
        match log::selected_psk_is_external(log) {
            Some(true) => (self.resumed, self.external_psk) = (None, true),
            Some(false) => self.resumed = Some(Resumption::Psk),
            None => {}
        }
    }
}

/// Where the last handshake's messages start: at the ClientHello the last
/// ServerHello answered (a renegotiation refused after it got none), or
/// at the first when no ServerHello came.
fn last_handshake_start(messages: &[&Message]) -> usize {
    let is = |m: &&Message, t| m.handshake_type == Some(t);
    messages
        .iter()
        .rposition(|m| is(m, HandshakeType::SERVER_HELLO))
        .and_then(|sh| {
            messages[..sh]
                .iter()
                .rposition(|m| is(m, HandshakeType::CLIENT_HELLO))
        })
        .unwrap_or(0)
}

fn resumption(ssl: &SslRef, side: Side, version: ProtocolVersion) -> Resumption {
    match (version, side) {
        (ProtocolVersion::Tls1_3, _) => Resumption::Unknown,
        (_, Side::Client) => by_ticket(ssl.session().map(ffi::session_has_ticket)),
        (_, Side::Server) => Resumption::Unknown,
    }
}

fn by_ticket(ticket: Option<bool>) -> Resumption {
    match ticket {
        Some(true) => Resumption::Ticket,
        Some(false) => Resumption::SessionId,
        None => Resumption::Unknown,
    }
}

/// OpenSSL gives a server the client's chain without its leaf, and a
/// client the server's chain with it.
fn peer_chain(ssl: &SslRef, side: Side) -> Vec<X509> {
    let mut chain: Vec<X509> = Vec::new();
    if side == Side::Server {
        chain.extend(ssl.peer_certificate());
    }
    if let Some(stack) = ssl.peer_cert_chain() {
        chain.extend(stack.iter().map(|c| c.to_owned()));
    }
    chain
}

/// Names a signature the way RFC 8446 names SignatureScheme values.
fn signature_scheme(key: Nid, hash: Option<Nid>, leaf: Option<&X509>) -> String {
    let hash = match hash {
        Some(Nid::SHA1) => "sha1",
        Some(Nid::SHA224) => "sha224",
        Some(Nid::SHA256) => "sha256",
        Some(Nid::SHA384) => "sha384",
        Some(Nid::SHA512) => "sha512",
        // TLS 1.0 and 1.1 sign with RSA over MD5 and SHA-1 joined, which
        // has no code point; the name follows the scheme names' pattern.
        Some(Nid::MD5_SHA1) => "md5_sha1",
        Some(_) | None => "unknown",
    };
    match key {
        k if k.as_raw() == openssl_sys::NID_ED25519 => "ed25519".to_owned(),
        k if k.as_raw() == openssl_sys::NID_ED448 => "ed448".to_owned(),
        // OpenSSL names the key type (EVP_PKEY_RSA, rsaEncryption); NID_rsa
        // is the older name of the same.
        Nid::RSA | Nid::RSAENCRYPTION => format!("rsa_pkcs1_{hash}"),
        Nid::RSASSAPSS => {
            let pss_key = leaf
                .and_then(|c| c.public_key().ok())
                .is_some_and(|k| k.id() == Id::RSA_PSS);
            format!("rsa_pss_{}_{hash}", if pss_key { "pss" } else { "rsae" })
        }
        Nid::X9_62_ID_ECPUBLICKEY => match hash {
            "sha256" => "ecdsa_secp256r1_sha256".to_owned(),
            "sha384" => "ecdsa_secp384r1_sha384".to_owned(),
            "sha512" => "ecdsa_secp521r1_sha512".to_owned(),
            other => format!("ecdsa_{other}"),
        },
        other => format!(
            "{}_{hash}",
            other.short_name().unwrap_or("unknown").to_lowercase()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenSSL reports an RSA key as rsaEncryption (EVP_PKEY_RSA), and a
    /// TLS 1.0/1.1 signature's digest as MD5-SHA1, as `s_client` prints
    /// ("Peer signature type: RSA", "Peer signing digest: MD5-SHA1").
    #[test]
    fn rsa_schemes_are_named_from_what_openssl_reports() {
        let rsa = Nid::RSAENCRYPTION;
        assert_eq!(
            signature_scheme(rsa, Some(Nid::SHA256), None),
            "rsa_pkcs1_sha256"
        );
        assert_eq!(
            signature_scheme(rsa, Some(Nid::MD5_SHA1), None),
            "rsa_pkcs1_md5_sha1"
        );
        assert_eq!(
            signature_scheme(Nid::X9_62_ID_ECPUBLICKEY, Some(Nid::SHA1), None),
            "ecdsa_sha1"
        );
    }
}
