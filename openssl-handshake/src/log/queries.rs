//! What the rest of the crate asks of a log without building its events:
//! each reads the one message it needs.

use openssl::x509::X509;

use super::{Entry, Log};
use crate::decode::{self, Body, HandshakeType};
use crate::event::Direction;
use crate::version::ProtocolVersion;

/// Whether the last handshake's ClientHello offered a session ticket;
/// `None` when messages were not recorded.
pub(crate) fn ticket_offered(log: &Log) -> Option<bool> {
    let hello = answered_client_hello(log)?;
    match decode::decode_handshake(hello.bytes, false).ok()?.body {
        Body::ClientHello(hello) => Some(hello.session_ticket.is_some_and(|n| n > 0)),
        _ => None,
    }
}

/// Whether the PSK the last TLS 1.3 ServerHello selected is an external
/// one rather than a ticket: RFC 8446 4.2.11 gives an external identity
/// an obfuscated_ticket_age of 0, where a ticket's age is offset by a
/// random 32-bit ticket_age_add. `None` without a selected PSK, or when
/// messages were not recorded.
pub(crate) fn selected_psk_is_external(log: &Log) -> Option<bool> {
    let (hello, server_hello) = answered_hellos(log);
    let selected = match decode::decode_handshake(server_hello?.bytes, false)
        .ok()?
        .body
    {
        Body::ServerHello(sh) => sh.pre_shared_key?,
        _ => return None,
    };
    match decode::decode_handshake(hello?.bytes, false).ok()?.body {
        Body::ClientHello(h) => h
            .psk_obfuscated_ticket_ages
            .get(usize::from(selected))
            .map(|&age| age == 0),
        _ => None,
    }
}

/// The server name (SNI) the last handshake's ClientHello asked for;
/// `None` without one, or when messages were not recorded.
pub(crate) fn client_hello_sni(log: &Log) -> Option<String> {
    let hello = answered_client_hello(log)?;
    match decode::decode_handshake(hello.bytes, false).ok()?.body {
        Body::ClientHello(hello) => hello.sni,
        _ => None,
    }
}

/// The finite-field group of the last TLS 1.2 DHE ServerKeyExchange,
/// read or written, for `suite` ("ffdhe2048", or "DH 1024 bits" for parameters no
/// standard names): OpenSSL names no group for DHE. `None` without one,
/// or when messages were not recorded.
pub(crate) fn dh_group(log: &Log, suite: u16) -> Option<String> {
    // The last: a renegotiation's, as the trace's refinement reads it.
    let m = log
        .entries()
        .filter_map(|(_, e)| match e {
            Entry::Message(m) if m.handshake_type() == Some(HandshakeType::SERVER_KEY_EXCHANGE) => {
                Some(m)
            }
            _ => None,
        })
        .last()?;
    let context = decode::DecodeContext::new(Some(ProtocolVersion::from(m.version)), Some(suite));
    match decode::decode_handshake_in(m.bytes, context).ok()?.body {
        Body::ServerKeyExchange(ske) => ske
            .dh_group_name()
            .map(str::to_owned)
            .or_else(|| ske.dh_bits().map(|bits| format!("DH {bits} bits"))),
        _ => None,
    }
}

/// The certificates of the last Certificate message read from the peer
/// (a renegotiation's, when there was one), for a peer whose chain OpenSSL
/// did not keep (a server drops a client's chain that failed
/// verification); none when messages were not recorded.
pub(crate) fn peer_certificates(log: &Log) -> Vec<X509> {
    log.entries()
        .filter_map(|(_, e)| match e {
            Entry::Message(m)
                if m.direction == Direction::Read
                    && m.handshake_type() == Some(HandshakeType::CERTIFICATE) =>
            {
                Some(decode::certificates_in(
                    m.bytes,
                    ProtocolVersion::from(m.version) == ProtocolVersion::Tls1_3,
                ))
            }
            _ => None,
        })
        .last()
        .unwrap_or_default()
}

/// The ClientHello the last ServerHello answered: the last handshake's
/// (after a HelloRetryRequest, the second; after a renegotiation, the
/// renegotiation's, and not that of one refused after it, which got no
/// ServerHello). The last ClientHello when none was answered.
fn answered_client_hello(log: &Log) -> Option<super::RawMessage<'_>> {
    let (answered, _) = answered_hellos(log);
    answered.or_else(|| {
        log.entries()
            .filter_map(|(_, e)| match e {
                Entry::Message(m) if m.handshake_type() == Some(HandshakeType::CLIENT_HELLO) => {
                    Some(m)
                }
                _ => None,
            })
            .last()
    })
}

/// The last ServerHello and the ClientHello it answered.
fn answered_hellos(log: &Log) -> (Option<super::RawMessage<'_>>, Option<super::RawMessage<'_>>) {
    let (mut last, mut answered, mut server_hello) = (None, None, None);
    for (_, e) in log.entries() {
        if let Entry::Message(m) = e {
            match m.handshake_type() {
                Some(HandshakeType::CLIENT_HELLO) => last = Some(m),
                Some(HandshakeType::SERVER_HELLO) => (answered, server_hello) = (last, Some(m)),
                _ => {}
            }
        }
    }
    (answered, server_hello)
}
