//! Renegotiation: a peer that refuses it (no_renegotiation), and a server
//! without secure renegotiation (RFC 5746), which OpenSSL 3 clients
//! refuse to connect to at all.

use super::facts::{alert, alert_text, Facts};
use super::{Cause, Diagnosis, Fault};
use crate::event::Side;

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    renegotiation_refused(f).or_else(|| legacy_server(f))
}

/// An OpenSSL 3 client meeting a server whose ServerHello lacks
/// renegotiation_info: since 3.0 it no longer connects to such servers
/// unless told to (SSL_OP_LEGACY_SERVER_CONNECT).
fn legacy_server(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client || !f.reason_has(&["unsafe legacy renegotiation disabled"]) {
        return None;
    }
    let extension = f
        .server_hello
        .map(|h| h.common.renegotiation_info.is_some());
    Some(
        Diagnosis::new(
            Cause::NoSecureRenegotiation,
            Fault::Server,
            "the server does not support secure renegotiation (RFC 5746): its ServerHello \
             carries no renegotiation_info, and OpenSSL 3 clients no longer connect to such \
             servers, which are open to the renegotiation attack of CVE-2009-3555",
            "Update the server's TLS stack or enable RFC 5746 on it (every maintained one has \
             it). Only as a stopgap, let this client connect anyway with \
             SSL_OP_LEGACY_SERVER_CONNECT (s_client -legacy_server_connect, or Options = \
             UnsafeLegacyServerConnect in openssl.cnf).",
        )
        .with_some("ServerHello.renegotiation_info present", extension)
        .with_raw(f),
    )
}

fn renegotiation_refused(f: &Facts<'_>) -> Option<Diagnosis> {
    let by_alert = f.alert(alert::NO_RENEGOTIATION);
    if !by_alert && !f.reason_has(&["no renegotiation"]) {
        return None;
    }
    let refuser = if f.sent_alert(alert::NO_RENEGOTIATION) {
        f.me()
    } else {
        f.them()
    };
    // The end that refuses is not the one that asked.
    let asker = if refuser.ends_with("server") {
        "the client"
    } else {
        "the server"
    };
    Some(
        Diagnosis::new(
            Cause::RenegotiationRefused,
            Fault::Unknown,
            format!(
                "{asker} asked to renegotiate and {refuser} refuses renegotiation \
                 (no_renegotiation)"
            ),
            "Do not renegotiate (use TLS 1.3 key updates or a new connection), or allow \
             renegotiation on the refusing side.",
        )
        .with(
            "handshakes completed on this connection",
            f.trace.handshakes_completed(),
        )
        .with_some(
            "renegotiations this end refused",
            Some(f.trace.renegotiations_refused).filter(|n| *n > 0),
        )
        .with_some(
            "alert",
            f.trace
                .alerts()
                .find(|a| a.description == alert::NO_RENEGOTIATION)
                .map(alert_text),
        )
        .with_some("OpenSSL reason", f.reason_text()),
    )
}
