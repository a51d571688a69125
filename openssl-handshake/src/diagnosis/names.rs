//! Causes about the names in the ClientHello: a server name (SNI) the
//! server does not serve, and no application protocol (ALPN) in common.

use super::facts::{alert, alert_text, list, Facts};
use super::{Cause, Diagnosis, Fault};

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    sni(f).or_else(|| alpn(f))
}

fn sni(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.alert(alert::UNRECOGNIZED_NAME) {
        return None;
    }
    let name = f.client_hello.and_then(|h| h.sni.clone());
    let asked = name
        .as_deref()
        .map_or("no name".to_owned(), |n| format!("\"{n}\""));
    let own = f
        .local
        .and_then(|l| l.certificate.as_ref())
        .map(|c| c.names.join(", "))
        .filter(|n| !n.is_empty());
    let serves = own
        .as_deref()
        .map_or(String::new(), |n| format!(" (its certificate covers {n})"));
    Some(
        Diagnosis::new(
            Cause::SniUnknown,
            Fault::Client,
            format!(
                "the client asked for {asked} (SNI) and the server does not serve that name{serves}"
            ),
            "Connect with a host name the server is configured for, or add that name to the \
             server's virtual hosts and certificate.",
        )
        .with_some("ClientHello.sni", name)
        .with_some("local certificate names", own)
        .with_some("alert", f.any_alert().map(alert_text)),
    )
}

fn alpn(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.alert(alert::NO_APPLICATION_PROTOCOL) && !f.reason_has(&["no application protocol"]) {
        return None;
    }
    let offered = f.client_hello.map(|h| h.alpn.clone()).unwrap_or_default();
    let offer = if offered.is_empty() {
        "no application protocol".to_owned()
    } else {
        format!("only {}", list(&offered, 8))
    };
    Some(
        Diagnosis::new(
            Cause::AlpnMismatch,
            Fault::Unknown,
            format!("the client offered {offer} (ALPN) and the server accepts none of them"),
            "Offer on the client a protocol the server accepts (e.g. h2 or http/1.1), or add the \
             client's protocol to the server's ALPN list.",
        )
        .with("ClientHello.alpn", list(&offered, 8))
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}
