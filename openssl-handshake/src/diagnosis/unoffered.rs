//! A peer's message that picks what this end never offered: a
//! ServerKeyExchange on a group outside the ClientHello's
//! supported_groups (OpenSSL: "wrong curve"), or a signature made with a
//! scheme outside the signature_algorithms this end sent ("wrong
//! signature type"). OpenSSL gives those reasons for other faults too
//! (a certificate on an unoffered curve, a scheme that does not fit the
//! key), so the decoded message says which it is.

use crate::decode::{Body, NamedGroup, SignatureScheme};
use crate::event::Side;

use super::decoded::last_read;
use super::facts::{list, Facts};
use super::message::malformed_named;
use super::Diagnosis;

/// How many offered groups or schemes a summary lists.
const SHOWN: usize = 8;

/// Both cases, in the order OpenSSL checks a ServerKeyExchange: its
/// group, then its signature.
pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    unoffered_group(f).or_else(|| unoffered_scheme(f))
}

/// A group as the JSON names it, with its code point.
fn group_text(g: &NamedGroup) -> String {
    format!(
        "{} (0x{:04x})",
        g.name.as_deref().unwrap_or("unknown"),
        g.id
    )
}

/// A scheme as the JSON names it, with its code point.
fn scheme_text(s: &SignatureScheme) -> String {
    format!(
        "{} (0x{:04x})",
        s.name.as_deref().unwrap_or("unknown"),
        s.id
    )
}

/// A ServerKeyExchange naming a group the client did not offer, which
/// RFC 8422 section 5.4 rules out (the server picks one of the
/// client's); OpenSSL's client answers "wrong curve" and
/// illegal_parameter, as it does for a certificate on an unoffered
/// curve, which the group in the message tells apart.
fn unoffered_group(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client || !f.reason_has(&["wrong curve"]) {
        return None;
    }
    let m = last_read(f)?;
    let Some(Body::ServerKeyExchange(ske)) = &m.body else {
        return None;
    };
    let group = ske.named_group.as_ref()?;
    let offered = &f.client_hello?.supported_groups;
    if offered.is_empty() || offered.iter().any(|g| g.id == group.id) {
        return None;
    }
    let offered: Vec<String> = offered.iter().map(group_text).collect();
    Some(
        malformed_named(
            f,
            "the server's ServerKeyExchange",
            &format!(
                "it names the ECDHE group {}, which this client did not offer (it offered {}), \
                 where the server must pick one of the client's supported_groups (RFC 8422 \
                 section 5.4; OpenSSL: wrong curve)",
                group_text(group),
                list(&offered, SHOWN)
            ),
        )
        .with("ServerKeyExchange.named_curve", group_text(group))
        .with("ClientHello.supported_groups", offered.join(", "))
        .with_raw(f),
    )
}

/// A ServerKeyExchange or CertificateVerify signed with a scheme this
/// end did not offer, which RFC 5246 section 7.4.1.4.1 and RFC 8446
/// section 4.4.3 rule out; OpenSSL answers "wrong signature type" and
/// illegal_parameter, as it does for an offered scheme that does not fit
/// the certificate's key.
fn unoffered_scheme(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.reason_has(&["wrong signature type"]) {
        return None;
    }
    let m = last_read(f)?;
    let (message, scheme) = match &m.body {
        Some(Body::ServerKeyExchange(s)) => ("ServerKeyExchange", s.signature_scheme.as_ref()?),
        Some(Body::CertificateVerify(c)) => ("CertificateVerify", c.signature_scheme.as_ref()?),
        _ => return None,
    };
    // A client offers its schemes in its hello; a server in its
    // CertificateRequest.
    let (offered, field) = match f.side {
        Side::Client => (
            &f.client_hello?.signature_algorithms,
            "ClientHello.signature_algorithms",
        ),
        Side::Server => (
            &f.certificate_request?.signature_algorithms,
            "CertificateRequest.signature_algorithms",
        ),
    };
    if offered.is_empty() {
        return None;
    }
    let texts: Vec<String> = offered.iter().map(scheme_text).collect();
    let meaning = if offered.iter().any(|s| s.id == scheme.id) {
        format!(
            "it is signed with {}, a scheme {} offered but one that does not fit the key of {}'s \
             certificate, or that this version does not allow (OpenSSL: wrong signature type)",
            scheme_text(scheme),
            f.me(),
            f.them()
        )
    } else {
        format!(
            "it is signed with {}, a scheme {} did not offer (it offered {}), where the signer \
             must use one of those (RFC 5246 section 7.4.1.4.1, RFC 8446 section 4.4.3; \
             OpenSSL: wrong signature type)",
            scheme_text(scheme),
            f.me(),
            list(&texts, SHOWN)
        )
    };
    Some(
        malformed_named(f, &format!("{}'s {message}", f.them()), &meaning)
            .with(&format!("{message}.signature_scheme"), scheme_text(scheme))
            .with(field, texts.join(", "))
            .with_raw(f),
    )
}
