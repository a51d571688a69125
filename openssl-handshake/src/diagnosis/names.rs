//! Causes about the names in the ClientHello: a server name (SNI) the
//! server does not serve, and no application protocol (ALPN) in common,
//! or one the server chose that the client never offered.

use super::certificate::leaf_covers;
use super::facts::{alert, alert_text, list, Facts};
use super::{Cause, Diagnosis, Fault};
use crate::decode::Body;
use crate::event::{Direction, Side};

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    sni(f).or_else(|| alpn(f))
}

fn sni(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.alert(alert::UNRECOGNIZED_NAME) {
        return denied_at_hello(f);
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
    let d = if f.trace.succeeded() {
        went_on(f, &asked)
    } else {
        Diagnosis::new(
            Cause::SniUnknown,
            Fault::Client,
            format!(
                "the client asked for {asked} (SNI) and the server does not serve that name{serves}"
            ),
            "Connect with a host name the server is configured for, or add that name to the \
             server's virtual hosts and certificate.",
        )
    };
    Some(
        d.with_some("ClientHello.sni", name)
            .with_some("local certificate names", own)
            .with_some("alert", f.any_alert().map(alert_text)),
    )
}

/// A fatal access_denied in answer to a ClientHello that named a server,
/// before any ServerHello: the server will not serve this client, and
/// nothing of the offer was weighed yet. rustls answers so when it has no
/// certificate for the name asked (its resolver found none); a server's
/// access control may too, so whose fault it is stays open.
fn denied_at_hello(f: &Facts<'_>) -> Option<Diagnosis> {
    let heard = f
        .received
        .filter(|a| a.description == alert::ACCESS_DENIED)?;
    let name = f.client_hello.and_then(|h| h.sni.clone())?;
    if f.side != Side::Client || f.server_hello.is_some() || f.trace.succeeded() {
        return None;
    }
    Some(
        Diagnosis::new(
            Cause::SniUnknown,
            Fault::Unknown,
            format!(
                "the server refused this client's ClientHello with access_denied before \
                 choosing anything: most likely it has no certificate for \"{name}\" (SNI), as \
                 rustls answers then; else its access control turned this client away"
            ),
            "Connect with a host name the server is configured for, or give the server a \
             certificate for this one; if it should serve this client, check its access rules.",
        )
        .with("ClientHello.sni", name)
        .with("alert received", alert_text(heard)),
    )
}

/// A warning unrecognized_name and a handshake that went on: the server
/// served another certificate (most likely its default). Where this client
/// verified that certificate and it covers the very name, the name works
/// and only the server's list of names lacks it; otherwise either end may
/// be wrong.
fn went_on(f: &Facts<'_>, asked: &str) -> Diagnosis {
    let sni = f.client_hello.and_then(|h| h.sni.as_deref());
    let verified = f
        .trace
        .negotiated
        .as_ref()
        .and_then(|n| n.verify.as_ref())
        .is_some_and(|v| v.is_ok());
    let covered = sni
        .zip(f.server_certificate)
        .is_some_and(|(name, c)| leaf_covers(c, name));
    let warned = format!(
        "the server warned that it does not serve {asked} (SNI; a warning unrecognized_name) and \
         went on with another certificate"
    );
    if f.side == Side::Client && verified && covered {
        Diagnosis::new(
            Cause::SniUnknown,
            Fault::Server,
            format!(
                "{warned}, which covers that name and which this client verified: the handshake \
                 succeeded"
            ),
            "Add the name to the server's virtual hosts (its SNI configuration), which its \
             certificate already covers: some clients end the handshake on this warning.",
        )
    } else {
        Diagnosis::new(
            Cause::SniUnknown,
            Fault::Unknown,
            format!("{warned}; the handshake succeeded"),
            "If the server should serve that name, add it to its virtual hosts; if not, connect \
             with a name it serves. Some clients end the handshake on this warning.",
        )
    }
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
    let fix = if offered.is_empty() {
        "Offer on the client a protocol the server accepts (h2 or http/1.1 for HTTPS), or let \
         the server accept clients that offer none."
            .to_owned()
    } else {
        format!(
            "Add one of the client's protocols ({}) to the server's ALPN list, or offer on the \
             client one the server accepts.",
            list(&offered, 8)
        )
    };
    Some(
        Diagnosis::new(
            Cause::AlpnMismatch,
            Fault::Unknown,
            format!("the client offered {offer} (ALPN) and the server accepts none of them"),
            fix,
        )
        .with("ClientHello.alpn", list(&offered, 8))
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

/// The client: the server chose an application protocol this client did
/// not offer, which RFC 7301 section 3.2 forbids (the server must pick one
/// of the client's or refuse), and OpenSSL refuses it ("bad extension",
/// as though the extension were malformed).
pub(super) fn unoffered_alpn(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client {
        return None;
    }
    // The last choice, as `client_hello` is the last offer (a
    // renegotiation offers again).
    let chosen = f
        .trace
        .messages()
        .filter_map(|m| match &m.body {
            Some(Body::ServerHello(h)) if m.direction == Direction::Read => h.alpn.clone(),
            Some(Body::EncryptedExtensions(e)) if m.direction == Direction::Read => e.alpn.clone(),
            _ => None,
        })
        .last()?;
    let offered = f.client_hello.map(|h| h.alpn.clone()).unwrap_or_default();
    if offered.contains(&chosen) {
        return None;
    }
    let offer = if offered.is_empty() {
        "none".to_owned()
    } else {
        list(&offered, 8)
    };
    Some(
        Diagnosis::new(
            Cause::AlpnMismatch,
            Fault::Server,
            format!(
                "the server chose the application protocol {chosen} (ALPN), which this client \
                 did not offer (it offered {offer}); a server must choose one the client offers \
                 or refuse with no_application_protocol (RFC 7301 section 3.2)"
            ),
            "Make the server choose a protocol from the client's list, or refuse with \
             no_application_protocol when it has none of them.",
        )
        .with("ClientHello.alpn", offer)
        .with("server's choice", chosen)
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

impl Diagnosis {
    /// A server's diagnosis with its own ALPN `protocols` named: OpenSSL
    /// cannot report them (a server's list lives in its selection
    /// callback), so only the application that set them can add them.
    /// Changes only an alpn_mismatch of a server that refused the client's
    /// offer; call it on a trace of this server's own.
    pub fn with_server_alpn(self, protocols: &[String]) -> Diagnosis {
        let offered = self
            .evidence
            .iter()
            .find(|e| e.source == "ClientHello.alpn")
            .map(|e| e.value.clone());
        // A choice the client never offered is the other alpn_mismatch.
        let chose = self.evidence.iter().any(|e| e.source == "server's choice");
        let Some(offered) = offered.filter(|o| {
            self.cause == Cause::AlpnMismatch && !chose && !protocols.is_empty() && o != "none"
        }) else {
            return self;
        };
        let own = list(protocols, 8);
        Diagnosis {
            summary: format!(
                "the client offered only {offered} (ALPN) and this server accepts none of them: \
                 it accepts only {own}"
            ),
            fix: format!(
                "Add one of the client's protocols ({offered}) to this server's ALPN list \
                 ({own}), or offer on the client one this server accepts ({own})."
            ),
            ..self
        }
        .with("local ALPN protocols", own)
    }
}
