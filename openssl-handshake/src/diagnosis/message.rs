//! Handshake messages that arrived whole but are wrong: one that does not
//! parse or breaks a rule of its own format (OpenSSL answers
//! decode_error or illegal_parameter), a Finished that does not match
//! the handshake its reader saw, and a signature that does not verify
//! (both decrypt_error). Either end can tell: the
//! reader from OpenSSL's reason, the sender from the alert it gets back.

use crate::decode::HandshakeType;
use crate::event::{Alert, Direction, EventKind, ExitStatus, Side};

use super::decoded;
use super::facts::{alert, alert_text, version_name, Facts};
use super::{Cause, Diagnosis, Fault};

/// OpenSSL's reasons for a message it could not parse or that broke a
/// rule of its format, each with what it means in plain words.
const MALFORMED: [(&str, &str); 26] = [
    (
        "length mismatch",
        "a length field disagrees with the bytes that follow it",
    ),
    ("length too short", "it is shorter than its format requires"),
    ("bad length", "a length field is out of range"),
    ("bad handshake length", "its length is out of range"),
    (
        "bad extension",
        "an extension is malformed, repeated, or not allowed in that message",
    ),
    (
        "no ciphers specified",
        "its cipher_suites list is empty, where every ClientHello must offer at least one suite \
         (RFC 5246 section 7.4.1.2, RFC 8446 section 4.1.2)",
    ),
    (
        "unsolicited extension",
        "it carries an extension this end never offered, which a peer must not send \
         (RFC 5246 section 7.4.1.4, RFC 8446 section 4.2)",
    ),
    ("parse tlsext", "its extensions do not parse"),
    ("clienthello tlsext", "its extensions do not parse"),
    (
        "no compression specified",
        "its compression_methods lack null (0), which every ClientHello must offer \
         (RFC 5246 section 7.4.1.2, RFC 8446 section 4.1.2)",
    ),
    (
        "bad legacy version",
        "it offers supported_versions with a legacy_version of SSL 3.0 or below, where TLS 1.3 \
         requires 0x0303 (RFC 8446 section 4.1.2)",
    ),
    (
        "missing sigalgs extension",
        "it offers TLS 1.3 without signature_algorithms, which TLS 1.3 requires \
         (RFC 8446 section 4.2.3)",
    ),
    (
        "missing supported groups extension",
        "it offers a key_share without supported_groups, which must accompany it \
         (RFC 8446 section 9.2)",
    ),
    ("bad digest length", "its verify_data has the wrong length"),
    (
        "bad key share",
        "its key exchange value (key_share or ClientKeyExchange) does not parse or holds an \
         invalid public key",
    ),
    ("bad ecpoint", "its ECDH public key is not a valid point"),
    (
        "bad dh value",
        "its DH parameters fail the check: the prime p, the generator g or the public value \
         Ys is unusable",
    ),
    (
        "signature algorithms error",
        "its supported_signature_algorithms is empty or of odd length, where it lists one or \
         more two-byte schemes (RFC 5246 section 7.4.1.4.1)",
    ),
    (
        "dh public value length is wrong",
        "its DH public value is not as long as the prime",
    ),
    ("missing tmp dh key", "it carries no DH public value"),
    (
        "inconsistent extms",
        "it resumes a session made with extended_master_secret but leaves that extension \
         out, which RFC 7627 section 5.3 forbids",
    ),
    (
        "renegotiation mismatch",
        "its renegotiation_info is not what RFC 5746 section 3 requires: empty in a first \
         handshake, the previous Finished data in a renegotiation",
    ),
    (
        "ssl3 ext invalid max fragment length",
        "its max_fragment_length is not one of the four lengths RFC 6066 section 4 defines \
         (1 to 4: 2^9 to 2^12 bytes), or, from a server, not the one the client asked for",
    ),
    (
        "invalid ccs message",
        "its ChangeCipherSpec is not the single byte 1",
    ),
    (
        "unknown cipher returned",
        "it chose a cipher suite this end does not have, and so never offered (RFC 5246 \
         section 7.4.1.3, RFC 8446 section 4.1.3: the suite must be one the ClientHello lists)",
    ),
    (
        "wrong cipher returned",
        "it chose a cipher suite this end did not offer, one that does not belong to the \
         version it chose, or not the one its HelloRetryRequest chose (RFC 5246 section \
         7.4.1.3, RFC 8446 sections 4.1.3 and 4.1.4)",
    ),
];

/// The precise cases: OpenSSL named what it could not parse.
pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    let reason = f.reason();
    if reason.contains(EXCESSIVE_MESSAGE_SIZE) {
        return Some(too_long(f));
    }
    let named = MALFORMED
        .iter()
        .find(|(r, _)| reason.contains(r))
        .map(|(_, m)| *m)
        .or_else(|| {
            f.sent_alert(alert::MISSING_EXTENSION)
                .then(|| missing(&reason, f.side))
        });
    named
        .map(|meaning| {
            let vague = decoded::VAGUE_REASONS.iter().any(|r| reason.contains(r));
            malformed_here(f, meaning, vague)
        })
        .or_else(|| finished_mismatch(f))
        .or_else(|| bad_signature(f))
}

/// A ServerKeyExchange or CertificateVerify whose signature this end
/// could not verify with the key of the certificate that came with it.
fn bad_signature(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.reason_has(&["bad signature"]) {
        return None;
    }
    let what = offending_message(f);
    let them = f.them();
    Some(
        Diagnosis::new(
            Cause::BadSignature,
            f.peer_fault(),
            format!(
                "{what} carries a signature that does not verify with the key of {them}'s \
                 certificate (bad signature): a certificate and private key that do not belong \
                 together, or a message altered on the way"
            ),
            format!(
                "Check that {them}'s certificate and private key match (`openssl x509 -noout \
                 -pubkey` against `openssl pkey -pubout`); if they do, capture the connection \
                 (tcpdump, or tls-harness's `--pcap`) and look for what rewrites \
                 it."
            ),
        )
        .with_raw(f),
    )
}

/// What no other family explained: an alert that says a message was
/// malformed, without a reason OpenSSL named (or after the handshake,
/// with none at all).
pub(super) fn diagnose_late(f: &Facts<'_>) -> Option<Diagnosis> {
    // A post-handshake message (KeyUpdate, NewSessionTicket) refused from
    // its header, as in the handshake.
    if f.reason().contains(EXCESSIVE_MESSAGE_SIZE) {
        return Some(too_long(f));
    }
    let malformed = |a: u8| matches!(a, alert::DECODE_ERROR | alert::ILLEGAL_PARAMETER);
    if f.sent.is_some_and(|a| malformed(a.description)) {
        return Some(malformed_here(
            f,
            "it does not parse, or a field holds a value its format forbids",
            true,
        ));
    }
    f.received
        .filter(|a| malformed(a.description))
        .map(|a| malformed_there(f, a))
}

/// The message this end read last and was processing when it failed,
/// or, when it was refused before the message callback saw it (too long,
/// say), the point it came after.
fn offending_message(f: &Facts<'_>) -> String {
    match f.trace.last_handshake_message() {
        Some(m) if m.direction == Direction::Read => format!("{}'s {}", f.them(), m.exact_name()),
        Some(m) => format!(
            "a message {} sent after {} wrote {}",
            f.them(),
            f.me(),
            m.name()
        ),
        None => format!("a message from {}", f.them()),
    }
}

/// The peer's message that this end refused, meaning what is wrong;
/// when `meaning` is `vague` (OpenSSL's reason does not say where),
/// what this library's decoder found instead, if anything.
fn malformed_here(f: &Facts<'_>, meaning: &str, vague: bool) -> Diagnosis {
    let last = decoded::last_read(f);
    let found = last.and_then(|m| decoded::defect(f, m)).filter(|_| vague);
    let meaning = found.as_deref().unwrap_or(meaning);
    malformed_named(f, &offending_message(f), meaning)
        .with_some("decoded here", last.and_then(|m| decoded::evidence(f, m)))
        .with_raw(f)
}

/// OpenSSL's reason for a message whose header announces more than it
/// takes for that type.
const EXCESSIVE_MESSAGE_SIZE: &str = "excessive message size";

/// A message whose 4-byte header announced more than this end takes for
/// its type: OpenSSL's read_state_machine refuses it from the header,
/// before the message callback sees it, so it is not the last message
/// decoded but the one OpenSSL had moved to reading, which the state it
/// failed in names (`TLS_ST_CR_CERT` for a Certificate, say).
fn too_long(f: &Facts<'_>) -> Diagnosis {
    let reading = failed_state(f).and_then(message_read_in);
    let what = match reading {
        Some(t) => format!("{}'s {t}", f.them()),
        None => offending_message(f),
    };
    let mut meaning = "its header announces a body longer than this end accepts for that \
                       message, so it was refused before it was read"
        .to_owned();
    // max_cert_list bounds a Certificate (and its compressed form); the
    // other types have fixed limits of their own.
    let certificate = [
        HandshakeType::CERTIFICATE,
        HandshakeType::COMPRESSED_CERTIFICATE,
    ];
    if reading.is_none_or(|t| certificate.contains(&t)) {
        meaning.push_str(
            " (for a certificate chain, SSL_CTX_set_max_cert_list sets the limit, 100 KiB by \
             default)",
        );
    } else if reading == Some(HandshakeType::KEY_UPDATE) {
        meaning.push_str(
            " (a KeyUpdate's body is the one byte request_update, RFC 8446 section 4.6.3)",
        );
    }
    malformed_named(f, &what, &meaning).with_raw(f)
}

/// `SSL_get_state` where the failed handshake call returned: the state
/// for the message OpenSSL was reading, which it moves to once the
/// message's header is read, before it checks the length.
fn failed_state(f: &Facts<'_>) -> Option<&'static str> {
    f.trace.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Exit(exit) if exit.status == ExitStatus::Failed => exit.state.name(),
        _ => None,
    })
}

/// The handshake message OpenSSL reads in `state` (an `ssl.h` name).
fn message_read_in(state: &str) -> Option<HandshakeType> {
    Some(match state {
        "TLS_ST_CR_SRVR_HELLO" => HandshakeType::SERVER_HELLO,
        "DTLS_ST_CR_HELLO_VERIFY_REQUEST" => HandshakeType::HELLO_VERIFY_REQUEST,
        "TLS_ST_CR_CERT" | "TLS_ST_SR_CERT" => HandshakeType::CERTIFICATE,
        "TLS_ST_CR_COMP_CERT" | "TLS_ST_SR_COMP_CERT" => HandshakeType::COMPRESSED_CERTIFICATE,
        "TLS_ST_CR_CERT_STATUS" => HandshakeType::CERTIFICATE_STATUS,
        "TLS_ST_CR_KEY_EXCH" => HandshakeType::SERVER_KEY_EXCHANGE,
        "TLS_ST_CR_CERT_REQ" => HandshakeType::CERTIFICATE_REQUEST,
        "TLS_ST_CR_SRVR_DONE" => HandshakeType::SERVER_HELLO_DONE,
        "TLS_ST_CR_SESSION_TICKET" => HandshakeType::NEW_SESSION_TICKET,
        "TLS_ST_CR_FINISHED" | "TLS_ST_SR_FINISHED" => HandshakeType::FINISHED,
        "TLS_ST_CR_HELLO_REQ" => HandshakeType::HELLO_REQUEST,
        "TLS_ST_CR_ENCRYPTED_EXTENSIONS" => HandshakeType::ENCRYPTED_EXTENSIONS,
        "TLS_ST_CR_CERT_VRFY" | "TLS_ST_SR_CERT_VRFY" => HandshakeType::CERTIFICATE_VERIFY,
        "TLS_ST_CR_KEY_UPDATE" | "TLS_ST_SR_KEY_UPDATE" => HandshakeType::KEY_UPDATE,
        "TLS_ST_SR_CLNT_HELLO" => HandshakeType::CLIENT_HELLO,
        "TLS_ST_SR_KEY_EXCH" => HandshakeType::CLIENT_KEY_EXCHANGE,
        "TLS_ST_SR_END_OF_EARLY_DATA" => HandshakeType::END_OF_EARLY_DATA,
        _ => return None,
    })
}

/// `what`, a message of the peer's that this end refused, meaning what
/// is wrong.
pub(super) fn malformed_named(f: &Facts<'_>, what: &str, meaning: &str) -> Diagnosis {
    let refused = f
        .sent
        .map_or(String::new(), |a| format!(" ({})", alert_text(a)));
    Diagnosis::new(
        Cause::MalformedMessage,
        f.peer_fault(),
        format!(
            "{what} is malformed: {meaning}; {} refused it{refused}",
            f.me()
        ),
        format!(
            "Fix the TLS stack of {} (or whatever rewrites the connection on the way): the \
             message log shows the message as it arrived.",
            f.them()
        ),
    )
    .with_some("ClientHello.legacy_version", legacy_version(f))
    .with_some("ServerHello.cipher_suite", chosen_suite(f))
}

/// What a message refused with missing_extension lacks, as far as
/// OpenSSL's reason tells.
fn missing(reason: &str, side: Side) -> &'static str {
    if !reason.contains("no suitable key share") {
        return "it lacks an extension that TLS 1.3 requires there";
    }
    match side {
        // Sent only when the extension is absent; an empty one gets a
        // HelloRetryRequest instead.
        Side::Server => {
            "it offers TLS 1.3 with supported_groups but no key_share, which must accompany \
             them (RFC 8446 section 9.2)"
        }
        Side::Client => {
            "it selects TLS 1.3 with neither a key_share nor a pre_shared_key, so no key can \
             be agreed (RFC 8446 sections 4.2.8 and 4.2.11)"
        }
    }
}

/// The ClientHello's legacy_version, when that is what was wrong.
fn legacy_version(f: &Facts<'_>) -> Option<String> {
    if !f.reason_has(&["bad legacy version"]) {
        return None;
    }
    f.client_hello.map(|h| version_name(h.legacy_version))
}

/// The suite a ServerHello chose, when choosing it was what was wrong.
fn chosen_suite(f: &Facts<'_>) -> Option<String> {
    if !f.reason_has(&["cipher returned"]) {
        return None;
    }
    f.server_hello.map(|h| {
        let s = &h.cipher_suite;
        match &s.name {
            Some(name) => format!("0x{:04x} {name}", s.id),
            None => format!("0x{:04x}", s.id),
        }
    })
}

/// The peer refused this end's message as malformed.
fn malformed_there(f: &Facts<'_>, received: &Alert) -> Diagnosis {
    // The alert answers this end's last flight as a whole: which of its
    // messages was refused cannot be told from here.
    let handshake: Vec<_> = f
        .trace
        .messages()
        .filter(|m| m.handshake_type.is_some())
        .collect();
    let start = handshake
        .iter()
        .rposition(|m| m.direction == Direction::Read)
        .map_or(0, |i| i + 1);
    let flight: Vec<String> = handshake[start..].iter().map(|m| m.name()).collect();
    let mine = match flight.as_slice() {
        [] => format!("a message of {}", f.me()),
        [one] => format!("{}'s {one}", f.me()),
        many => format!(
            "a message of {}'s last flight ({})",
            f.me(),
            many.join(", ")
        ),
    };
    // A signature the peer's policy cannot accept is refused the same way.
    let signed = if f.saw(Direction::Write, HandshakeType::CERTIFICATE_VERIFY) && flight.len() > 1 {
        "; a CertificateVerify made with a key the peer does not allow (an ECDSA key on a \
         curve outside its groups, say) draws this alert too"
    } else {
        ""
    };
    Diagnosis::new(
        Cause::MalformedMessage,
        Fault::Unknown,
        format!(
            "{} refused {mine} ({}): it could not parse it, or found a field it forbids{signed}",
            f.them(),
            alert_text(received)
        ),
        format!(
            "Capture the connection (tcpdump, or tls-harness's `--pcap`) and check the \
             message against the RFC: if it conforms, {}'s TLS stack is at fault; if not, \
             this end's is.",
            f.them()
        ),
    )
    .with_raw(f)
}

/// A Finished whose verify_data is not what its reader computed: the two
/// ends hashed different handshake messages, or derived different
/// secrets. Seen from the sender, a decrypt_error right after its
/// Finished says the same, unless it also sent a CertificateVerify, whose
/// bad signature draws that alert too.
fn finished_mismatch(f: &Facts<'_>) -> Option<Diagnosis> {
    let here = f.reason_has(&["digest check failed"]);
    let there = !here
        && f.received_alert(alert::DECRYPT_ERROR)
        && f.trace
            .last_handshake_message()
            .is_some_and(|m| m.direction == Direction::Write)
        && f.saw(Direction::Write, HandshakeType::FINISHED)
        && !f.saw(Direction::Write, HandshakeType::CERTIFICATE_VERIFY);
    if !here && !there {
        return None;
    }
    let (summary, fault, culprit) = if here {
        (
            format!(
                "{}'s Finished does not match the handshake {} saw (digest check failed)",
                f.them(),
                f.me()
            ),
            f.peer_fault(),
            format!("{}'s TLS stack computes its", f.them()),
        )
    } else {
        (
            format!(
                "{} could not verify {}'s Finished (decrypt_error)",
                f.them(),
                f.me()
            ),
            Fault::Unknown,
            "one of the two TLS stacks computes the".to_owned(),
        )
    };
    Some(
        Diagnosis::new(
            Cause::FinishedMismatch,
            fault,
            format!(
                "{summary}: the two ends hashed different handshake messages, or derived \
                 different secrets"
            ),
            format!(
                "Capture the connection (tcpdump, or tls-harness's `--pcap`) and check \
                 that nothing between the ends rewrites a handshake message; if nothing does, \
                 {culprit} Finished wrongly."
            ),
        )
        .with_raw(f),
    )
}
