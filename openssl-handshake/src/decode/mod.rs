//! Typed views of recorded TLS handshake messages.
//!
//! OpenSSL's message callback hands over every handshake message whole: a
//! one-byte handshake type, a three-byte body length and the body. The bytes
//! come from the peer, so [`decode_handshake`] treats them as hostile: it never
//! panics, it allocates no more than a small multiple of the input size, and it
//! reports anything it cannot make sense of as a [`DecodeError`].
//!
//! The fixed fields of ClientHello and ServerHello, the contents of the
//! server_name, ALPN, supported_groups and signature_algorithms extensions and
//! the cipher suite names and key exchanges come from `tls-parser`; every
//! list it returns is checked to account for every byte of its extension,
//! since `tls-parser` silently stops at the first item that does not fit.
//! Everything else (extension framing and the other extensions, and the
//! layouts of EncryptedExtensions, Certificate, CertificateRequest,
//! ServerKeyExchange, ClientKeyExchange, CertificateVerify and
//! NewSessionTicket in TLS 1.2 and TLS 1.3) is read by the small
//! bounds-checked reader in `reader.rs`. Names inside certificates and
//! CertificateRequest are printed by OpenSSL itself.
//!
//! Secrets never end up in a view: Finished keeps only the length of its
//! verify_data; tickets, PSK identities and binders, key shares, public
//! values and signatures are only measured.

mod alert_record;
mod certificate;
mod certificate_status;
mod client_extensions;
mod dh_groups;
mod ech;
mod encrypted_extensions;
mod error;
mod extensions;
mod hello;
mod key_exchange;
mod key_update;
mod names;
mod problems;
mod reader;
mod sslv2;
mod tbs_fields;
#[cfg(test)]
mod tests;
mod ticket;

use serde::{Deserialize, Serialize};

use crate::version::ProtocolVersion;

pub use alert_record::AlertRecord;
pub(crate) use certificate::certificates_in;
pub use certificate::{Certificate, CertificateRequest, CertificateVerify};
pub use certificate_status::{ocsp_response_status_name, CertificateStatus};
pub use client_extensions::StatusRequest;
pub use ech::{EncryptedClientHello, HpkeSuite};
pub use encrypted_extensions::EncryptedExtensions;
pub use error::DecodeError;
pub use hello::HelloExtensions;
pub use hello::{ClientHello, ServerHello};
pub use key_exchange::{ClientKeyExchange, KeyExchangeKind, ServerKeyExchange};
pub use key_update::KeyUpdate;
pub use names::{extension_name, CipherSuite, HandshakeType, NamedGroup, SignatureScheme};
pub(crate) use names::{
    is_grease, trace_certificate_type_name, trace_compression_name, trace_group_name,
    trace_max_fragment_length_name, trace_point_format_name, trace_psk_mode_name,
};
pub use problems::{ExtensionFault, ExtensionProblem};
pub(crate) use reader::escaped;
pub use sslv2::decode_sslv2_client_hello;
pub use ticket::NewSessionTicket;

use certificate::{decode_certificate, decode_certificate_request, decode_certificate_verify};
use certificate_status::decode_certificate_status;
use encrypted_extensions::decode_encrypted_extensions;
use hello::{decode_client_hello, decode_server_hello};
use key_exchange::{decode_client_key_exchange, decode_server_key_exchange, suite_signs};
use key_update::decode_key_update;
use reader::be;
use ticket::decode_new_session_ticket;

/// One decoded handshake message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HandshakeMessage {
    /// The message type from the first header byte.
    pub handshake_type: HandshakeType,
    /// The body length from the header (equal to the number of body bytes).
    pub length: u32,
    /// The decoded body.
    pub body: Body,
    /// The extensions that break their format where the rest of the
    /// message reads (a repeated type, a content that does not parse), in
    /// the order sent; each is left out of `body`. Absent in JSON when
    /// there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension_problems: Vec<ExtensionProblem>,
}

/// The body of a handshake message, for the types that are decoded further,
/// or of an alert record.
// A ClientHello is the largest by far, but a trace holds each message
// boxed already (`EventKind::Message`), one per handshake message, and
// boxing the variant would change what callers match on.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Body {
    /// A ClientHello.
    ClientHello(ClientHello),
    /// A ServerHello, including a TLS 1.3 HelloRetryRequest.
    ServerHello(ServerHello),
    /// A Certificate (TLS 1.2 or TLS 1.3 layout).
    Certificate(Certificate),
    /// A CertificateRequest (TLS 1.2 or TLS 1.3 layout).
    CertificateRequest(CertificateRequest),
    /// A CertificateStatus: the server's stapled OCSP response (TLS 1.2
    /// and earlier; TLS 1.3 carries it in [`Certificate::leaf_status`]).
    CertificateStatus(CertificateStatus),
    /// A NewSessionTicket (RFC 5077 or TLS 1.3 layout).
    NewSessionTicket(NewSessionTicket),
    /// A TLS 1.3 EncryptedExtensions.
    EncryptedExtensions(EncryptedExtensions),
    /// A ServerKeyExchange (TLS 1.2 and earlier).
    ServerKeyExchange(ServerKeyExchange),
    /// A ClientKeyExchange (TLS 1.2 and earlier).
    ClientKeyExchange(ClientKeyExchange),
    /// A CertificateVerify.
    CertificateVerify(CertificateVerify),
    /// A Finished.
    Finished(Finished),
    /// A TLS 1.3 KeyUpdate.
    KeyUpdate(KeyUpdate),
    /// An alert record's level and description.
    Alert(AlertRecord),
    /// Any other type: only the header is decoded.
    Other,
}

/// A Finished message. The verify_data is derived from key material and is
/// deliberately not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finished {
    /// Length of the verify_data.
    pub verify_data_len: usize,
}

/// What a message's layout depends on beyond its own bytes: the protocol
/// version and the cipher suite the ServerHello selected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeContext {
    /// The protocol version of the connection (the message callback's
    /// `version`), `None` when unknown.
    pub version: Option<ProtocolVersion>,
    /// The cipher suite from the connection's ServerHello, when known.
    pub cipher_suite: Option<u16>,
}

impl DecodeContext {
    /// A context for `version` (`None` when unknown) and the selected suite.
    pub fn new(version: Option<ProtocolVersion>, cipher_suite: Option<u16>) -> Self {
        Self {
            version,
            cipher_suite,
        }
    }

    fn tls13(self) -> bool {
        self.version == Some(ProtocolVersion::Tls1_3)
    }

    /// Whether signatures carry a SignatureAndHashAlgorithm (TLS 1.2 and
    /// later); `None` when the version is unknown.
    fn signature_scheme_sent(self) -> Option<bool> {
        self.version.map(|v| match v {
            ProtocolVersion::Ssl3
            | ProtocolVersion::Tls1
            | ProtocolVersion::Tls1_1
            | ProtocolVersion::Dtls1 => false,
            ProtocolVersion::Other(wire) => wire >= 0x0303,
            _ => true,
        })
    }

    fn key_exchange(self) -> Option<KeyExchangeKind> {
        self.cipher_suite.and_then(KeyExchangeKind::of_suite)
    }
}

/// Decodes one handshake message as delivered by OpenSSL's message callback
/// (content type 22): a 1-byte type, a 3-byte length and the body.
///
/// `tls13` is true when the message belongs to a TLS 1.3 handshake (the
/// callback's `version` is 0x0304); it picks the TLS 1.3 layouts of
/// Certificate, CertificateRequest and NewSessionTicket. False picks
/// their earlier layouts and otherwise leaves the version unknown: a
/// ServerHello with the HelloRetryRequest random is then a retry, as
/// tshark reads it (give the version to [`decode_handshake_in`] to decode
/// as a TLS 1.2 client, which reads a ServerHello there). The key exchange
/// messages of TLS 1.2 also depend on the selected cipher suite: see
/// [`decode_handshake_in`].
///
/// # Errors
///
/// [`DecodeError::Truncated`] when the input is shorter than the header or a
/// field runs past the end of its enclosing structure,
/// [`DecodeError::LengthMismatch`] when the header's length is not the number
/// of bytes after it, and [`DecodeError::Malformed`] for any other departure
/// from the message's layout (the reason names the field or extension).
///
/// In a ClientHello, ServerHello, EncryptedExtensions, or a TLS 1.3
/// CertificateRequest or NewSessionTicket, an extension that is repeated or
/// whose content does not parse does not fail the message: it is
/// recorded in [`HandshakeMessage::extension_problems`] and the rest is
/// decoded. Framing that leaves the rest unreadable (an extension or the
/// extensions block running past its end) still fails it.
pub fn decode_handshake(msg: &[u8], tls13: bool) -> Result<HandshakeMessage, DecodeError> {
    let version = tls13.then_some(ProtocolVersion::Tls1_3);
    decode_handshake_in(msg, DecodeContext::new(version, None))
}

/// Decodes one handshake message (as [`decode_handshake`]) knowing the
/// connection's version and selected cipher suite, which fix the layouts
/// of ServerKeyExchange, ClientKeyExchange and CertificateVerify. Without
/// them the decoder tries the layouts in turn.
///
/// Types other than ClientHello, ServerHello, EncryptedExtensions,
/// Certificate, CertificateRequest, ServerKeyExchange, ClientKeyExchange,
/// CertificateVerify, NewSessionTicket and Finished decode to
/// [`Body::Other`] once the header is checked.
///
/// # Errors
///
/// As [`decode_handshake`].
pub fn decode_handshake_in(
    msg: &[u8],
    context: DecodeContext,
) -> Result<HandshakeMessage, DecodeError> {
    let tls13 = context.tls13();
    let handshake_type = msg.first().map(|&b| HandshakeType(b));
    let (Some(handshake_type), Some(length), Some(body)) =
        (handshake_type, msg.get(1..4).map(be), msg.get(4..))
    else {
        return Err(DecodeError::Truncated {
            message: handshake_type,
            needed: 4,
            have: msg.len(),
        });
    };
    if usize::try_from(length).ok() != Some(body.len()) {
        return Err(DecodeError::LengthMismatch {
            message: handshake_type,
            declared: length,
            actual: body.len(),
        });
    }
    let mut problems = Vec::new();
    let decoded = match handshake_type {
        HandshakeType::CLIENT_HELLO => {
            decode_client_hello(body, &mut problems).map(Body::ClientHello)
        }
        HandshakeType::SERVER_HELLO => {
            decode_server_hello(body, context, &mut problems).map(Body::ServerHello)
        }
        HandshakeType::ENCRYPTED_EXTENSIONS => {
            decode_encrypted_extensions(body, &mut problems).map(Body::EncryptedExtensions)
        }
        HandshakeType::CERTIFICATE => decode_certificate(body, tls13).map(Body::Certificate),
        HandshakeType::CERTIFICATE_REQUEST => {
            decode_certificate_request(body, tls13, context.signature_scheme_sent(), &mut problems)
                .map(Body::CertificateRequest)
        }
        HandshakeType::CERTIFICATE_STATUS => {
            decode_certificate_status(body).map(Body::CertificateStatus)
        }
        HandshakeType::SERVER_KEY_EXCHANGE => decode_server_key_exchange(
            body,
            context.key_exchange(),
            context.signature_scheme_sent(),
            context.cipher_suite.and_then(suite_signs),
        )
        .map(Body::ServerKeyExchange),
        HandshakeType::CLIENT_KEY_EXCHANGE => {
            decode_client_key_exchange(body, context.key_exchange()).map(Body::ClientKeyExchange)
        }
        HandshakeType::CERTIFICATE_VERIFY => {
            decode_certificate_verify(body, context.signature_scheme_sent())
                .map(Body::CertificateVerify)
        }
        HandshakeType::NEW_SESSION_TICKET => {
            decode_new_session_ticket(body, tls13, &mut problems).map(Body::NewSessionTicket)
        }
        HandshakeType::FINISHED => Ok(Body::Finished(Finished {
            verify_data_len: body.len(),
        })),
        HandshakeType::KEY_UPDATE => decode_key_update(body).map(Body::KeyUpdate),
        _ => Ok(Body::Other),
    };
    let body = decoded.map_err(|f| f.into_error(handshake_type))?;
    Ok(HandshakeMessage {
        handshake_type,
        length,
        body,
        extension_problems: problems,
    })
}
