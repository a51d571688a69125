//! TLS 1.1 and older sign with MD5 and SHA-1, which OpenSSL 3 forbids from
//! security level 1 on: a version both ends allow still fails, each end
//! seeing it its own way, and OpenSSL names signatures, not versions.

use crate::decode::HandshakeType;
use crate::event::{Direction, Side};

use super::facts::{alert, alert_text, version_name, Facts};
use super::version::{describe_offer, fix, highest, supported_list, TLS1_2};
use super::{Cause, Diagnosis, Fault};

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    too_old_to_sign(f)
        .or_else(|| refused_as_too_old(f))
        .or_else(|| server_too_old_to_sign(f))
        .or_else(|| client_refused_old_signature(f))
}

/// A TLS 1.1-or-older client meets a server whose version range allows
/// that version but whose security level forbids the SHA-1 (and MD5)
/// signatures those versions use, as OpenSSL 3 does from level 1 on:
/// OpenSSL settles the version, finds nothing to sign with, and names
/// signatures, not versions. Even RSA key transport fails this way.
fn too_old_to_sign(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Server || !f.reason_has(&["no suitable signature algorithm"]) {
        return None;
    }
    let hello = f.client_hello?;
    let local = f.local?;
    if highest(hello) >= TLS1_2 || local.security_level == 0 {
        return None;
    }
    Some(
        Diagnosis::new(
            Cause::NoSharedVersion,
            Fault::Client,
            format!(
                "the client offered {}; TLS 1.1 and older sign with SHA-1 (and MD5), which \
                 this server's security level {} forbids, so it accepts TLS 1.2 and up",
                describe_offer(hello, None),
                local.security_level
            ),
            fix(Fault::Client),
        )
        .with(
            "ClientHello.legacy_version",
            version_name(hello.legacy_version),
        )
        .with("ClientHello.supported_versions", supported_list(hello))
        .with_configured_range(Some(local))
        .with("local.security_level", local.security_level)
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

/// The client's side of [`too_old_to_sign`]: all it sees is internal_error
/// in answer to a ClientHello of TLS 1.1 or older.
fn refused_as_too_old(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client || f.server_hello.is_some() {
        return None;
    }
    let received = f
        .received
        .filter(|a| a.description == alert::INTERNAL_ERROR)?;
    let hello = f.client_hello?;
    if highest(hello) >= TLS1_2 {
        return None;
    }
    let min = f.local.and_then(|l| l.min_version);
    Some(
        Diagnosis::new(
            Cause::NoSharedVersion,
            Fault::Client,
            format!(
                "the server answered this client's ClientHello, which offered {}, with \
                 internal_error: what a server on OpenSSL 3 does when its security level (1 \
                 and up) forbids the SHA-1 and MD5 signatures of TLS 1.1 and older",
                describe_offer(hello, min)
            ),
            fix(Fault::Client),
        )
        .with(
            "ClientHello.legacy_version",
            version_name(hello.legacy_version),
        )
        .with("ClientHello.supported_versions", supported_list(hello))
        .with("alert received", alert_text(received))
        .with_configured_range(f.local)
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

/// The client's side of [`too_old_to_sign`] with the roles swapped: a
/// server that chose TLS 1.1 or older signs its key exchange with MD5 and
/// SHA-1, which this client's security level (1 and up) forbids, so the
/// client refuses the ServerKeyExchange once the version is settled.
fn server_too_old_to_sign(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client || !f.reason_has(&["legacy sigalg disallowed"]) {
        return None;
    }
    let chosen = f.server_hello.map(|s| s.legacy_version)?;
    let local = f.local?;
    if chosen >= TLS1_2 || local.security_level == 0 {
        return None;
    }
    let hello = f.client_hello;
    let min = local.min_version;
    let offered_newer = hello.is_some_and(|h| highest(h) >= TLS1_2);
    let fault = if offered_newer {
        Fault::Server
    } else {
        Fault::Client
    };
    let offer = match hello {
        Some(h) if offered_newer => format!("up to {}", version_name(highest(h))),
        Some(h) => describe_offer(h, min),
        None => "its versions".to_owned(),
    };
    Some(
        Diagnosis::new(
            Cause::NoSharedVersion,
            fault,
            format!(
                "the server chose {}; this client offered {offer}, but TLS 1.1 and older sign \
                 with MD5 and SHA-1, which this client's security level {} forbids, so it \
                 refused the server's signature",
                version_name(chosen),
                local.security_level
            ),
            if offered_newer {
                "Enable TLS 1.2 or 1.3 on the server (SSL_CTX_set_min/max_proto_version); \
                 a server that speaks only TLS 1.1 or older is out of date."
            } else {
                "Let this client offer TLS 1.2 or 1.3; if it must speak TLS 1.1 or older, \
                 only security level 0 allows it (@SECLEVEL=0)."
            },
        )
        .with_some("ClientHello.supported_versions", hello.map(supported_list))
        .with("ServerHello version", version_name(chosen))
        .with_configured_range(Some(local))
        .with("local.security_level", local.security_level)
        .with_some("alert sent", f.sent.map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

/// This server's side of [`server_too_old_to_sign`]: it chose TLS 1.1 or
/// older although the client offered newer, signed its key exchange with
/// MD5 and SHA-1, and the client (OpenSSL 3, at security level 1 and up)
/// answered internal_error, which is all the server hears of it.
fn client_refused_old_signature(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Server || !f.saw(Direction::Write, HandshakeType::SERVER_KEY_EXCHANGE) {
        return None;
    }
    let received = f
        .received
        .filter(|a| a.description == alert::INTERNAL_ERROR)?;
    let chosen = f.server_hello.map(|s| s.legacy_version)?;
    let hello = f.client_hello?;
    if chosen >= TLS1_2 || highest(hello) < TLS1_2 {
        return None;
    }
    Some(
        Diagnosis::new(
            Cause::NoSharedVersion,
            Fault::Server,
            format!(
                "this server chose {}, the newest it allows, though the client offered up to {}; \
                 the client answered this server's key exchange, signed with MD5 and SHA-1 as \
                 TLS 1.1 and older sign, with internal_error: how an OpenSSL 3 client (security \
                 level 1 and up) refuses such a signature",
                version_name(chosen),
                version_name(highest(hello))
            ),
            fix(Fault::Server),
        )
        .with("ClientHello.supported_versions", supported_list(hello))
        .with("ServerHello version", version_name(chosen))
        .with_configured_range(f.local)
        .with("alert received", alert_text(received)),
    )
}
