//! What this library's own decoder found wrong with the message a
//! handshake failed on: a second opinion on OpenSSL's reason where that
//! reason is vague ("bad extension", "length mismatch"), and the only
//! one where it does not name the message at all (the ASN.1 decoder's
//! "too small" for an empty certificate, "signature algorithms error"
//! with internal_error for a CertificateRequest it cannot use).

use crate::decode::{Body, DecodeError};
use crate::event::{Direction, Message, Side};

use super::facts::Facts;
use super::Diagnosis;

/// OpenSSL's reasons that say a message broke its format without saying
/// where: for these, what the decoder names is the better account.
pub(super) const VAGUE_REASONS: [&str; 9] = [
    "length mismatch",
    "length too short",
    "bad length",
    "bad handshake length",
    "bad extension",
    "parse tlsext",
    "clienthello tlsext",
    "bad dh value",
    "signature algorithms error",
];

/// The handshake message this end read last, when it is the last
/// handshake message of the trace: the one OpenSSL was processing when
/// the handshake failed (a message it went on from would be followed by
/// one of this end's own, or by the next one read).
pub(super) fn last_read<'a>(f: &Facts<'a>) -> Option<&'a Message> {
    f.trace
        .last_handshake_message()
        .filter(|m| m.direction == Direction::Read)
}

/// What is wrong with `m`, naming the field or extension, without the
/// message's name; `None` when the decoder found nothing.
pub(super) fn defect(f: &Facts<'_>, m: &Message) -> Option<String> {
    if let Some(error) = &m.decode_error {
        return Some(match error {
            DecodeError::Malformed { reason, .. } => reason.clone(),
            DecodeError::Truncated { needed, have, .. } => {
                format!("it is truncated: {needed} bytes are needed but only {have} are present")
            }
            DecodeError::LengthMismatch {
                declared, actual, ..
            } => format!("its header declares a {declared}-byte body but {actual} bytes follow"),
        });
    }
    let mut defects: Vec<String> = m
        .extension_problems
        .iter()
        .map(ToString::to_string)
        .collect();
    defects.extend(sender_defect(f, m));
    (!defects.is_empty()).then(|| defects.join("; "))
}

/// `m`'s defects as evidence: the decoder's error as it words it, or
/// "Certificate is malformed: ...".
pub(super) fn evidence(f: &Facts<'_>, m: &Message) -> Option<String> {
    match &m.decode_error {
        Some(error) => Some(error.to_string()),
        None => defect(f, m).map(|d| format!("{} is malformed: {d}", m.name())),
    }
}

/// The rules a message's decoder cannot check, for not knowing which end
/// sent it: a server's TLS 1.3 Certificate answers no request, so its
/// certificate_request_context must be empty (RFC 8446 section 4.4.2;
/// OpenSSL's client refuses any other with "length mismatch").
fn sender_defect(f: &Facts<'_>, m: &Message) -> Option<String> {
    let from_server = (f.side == Side::Client) == (m.direction == Direction::Read);
    match &m.body {
        Some(Body::Certificate(c))
            if from_server && m.version == 0x0304 && !c.request_context.is_empty() =>
        {
            Some(format!(
                "its certificate_request_context holds {} bytes where a server's Certificate \
                 leaves it empty (RFC 8446 section 4.4.2)",
                c.request_context.len() / 2
            ))
        }
        _ => None,
    }
}

/// The last resort before an unknown cause: this end failed (or sent a
/// fatal alert) as it read a message its decoder finds malformed, and no
/// family recognised OpenSSL's reason. The defect is the diagnosis, and
/// the peer that sent it is at fault.
pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.failure.is_none() && f.sent.is_none() {
        return None;
    }
    let m = last_read(f)?;
    let meaning = defect(f, m)?;
    Some(
        super::message::malformed_named(f, &format!("{}'s {}", f.them(), m.exact_name()), &meaning)
            .with_some("decoded here", evidence(f, m))
            .with_raw(f),
    )
}
