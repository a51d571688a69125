//! The verdict on a case: what the two sides report, checked against the
//! oracle's expectation, and what a report shows of it.

use openssl_handshake::decode::{Body, HandshakeType};
use openssl_handshake::{Direction, HandshakeTrace, ProtocolVersion, Resumption};

use super::Observed;
use crate::case::{alert, Case, Expectation, ExpectedAlert, ExpectedCauses, ResumeKind, Role};
use crate::peer::SideOutcome;
use waited::waited;

/// Checks what happened against the expectation; `Err` says how it differs.
pub fn judge(case: &Case, client: &[SideOutcome], server: &[SideOutcome]) -> Result<(), String> {
    if let Some(why) = waited(client, server) {
        return Err(why);
    }
    // Whatever was expected, a side that never ran tested nothing: a
    // refusal expected of it is not witnessed by its absence.
    if let Some(o) = client.iter().chain(server).find(|o| o.setup_failed) {
        return Err(format!(
            "the {} was not set up, so the case tested nothing: {}",
            o.role,
            o.error.as_deref().unwrap_or("no reason given")
        ));
    }
    let connections = if case.resume.is_some() { 2 } else { 1 };
    // A connection on which the client by design sent nothing (gnutls-cli
    // --resume) only needs the server's handshake to have worked.
    let all_ok = client.len() == connections
        && server.len() == connections
        && client
            .iter()
            .zip(server)
            .all(|(c, s)| c.ok() && (s.ok() || (c.exchange_skipped && s.handshake_ok)));
    match &case.expect {
        Expectation::Pending | Expectation::Unsupported { .. } => {
            Err("the case ran without an expectation (a harness bug)".into())
        }
        Expectation::Success {
            version,
            suite,
            group,
            alpn,
            sni,
            resumed,
        } => {
            if !all_ok {
                return Err(format!(
                    "expected success, but {}",
                    describe_failure(client, server)
                ));
            }
            let c = negotiated(client.first());
            let s = negotiated(server.first());
            // The in-process side's trace is the reference; with two
            // in-process sides, the client's.
            let n = c
                .or(s)
                .ok_or("neither side's trace has negotiated parameters")?;
            let mut wrong = Vec::new();
            if n.version != ProtocolVersion::from(*version) {
                wrong.push(format!(
                    "version {} (expected {})",
                    n.version,
                    version.openssl_name()
                ));
            }
            if &n.cipher_openssl != suite {
                wrong.push(format!("suite {} (expected {suite})", n.cipher_openssl));
            }
            if let Some(g) = group {
                let got = c
                    .and_then(|n| n.group.as_deref())
                    .or(s.and_then(|n| n.group.as_deref()));
                if got.map(normalize_group) != Some(normalize_group(g)) {
                    wrong.push(format!("group {} (expected {g})", got.unwrap_or("none")));
                }
            }
            if &n.alpn != alpn {
                wrong.push(format!(
                    "ALPN {} (expected {})",
                    alpn_text(n.alpn.as_deref()),
                    alpn_text(alpn.as_deref())
                ));
            }
            if sni.is_some() {
                // An external server may not say which name it saw; the
                // client's verification of the switched certificate (the
                // default one names another host) then witnesses it.
                let seen = s.map(|n| n.sni.clone()).or_else(|| {
                    server
                        .first()
                        .and_then(|o| o.external.as_ref())
                        .and_then(|v| v.sni.clone().map(Some))
                });
                if let Some(seen) = seen {
                    if &seen != sni {
                        wrong.push(format!("server saw SNI {seen:?} (expected {sni:?})"));
                    }
                }
            }
            if n.resumed.is_some() {
                wrong.push("the first connection resumed".into());
            }
            // Both ends given a PSK at TLS 1.3 must have keyed the
            // handshake with it (a server without a certificate could not
            // have done otherwise, but the trace must say so).
            let external_psk = case.client.psk && case.server.psk;
            if external_psk && n.version == ProtocolVersion::Tls1_3 {
                for (role, side) in [("client", c), ("server", s)] {
                    if side.is_some_and(|t| !t.external_psk) {
                        wrong.push(format!(
                            "the {role}'s trace does not say an external PSK keyed the handshake"
                        ));
                    }
                }
            }
            if let Some(kind) = resumed {
                let last = negotiated(client.last()).and_then(|n| n.resumed);
                let server_last = negotiated(server.last()).and_then(|n| n.resumed);
                let got = server_last.or(last);
                if got.map(resumption_kind) != Some(Some(*kind)) {
                    wrong.push(format!(
                        "second connection resumed: {} (expected {})",
                        got.map_or("no", |r| r.name()),
                        kind.name()
                    ));
                }
            }
            wrong.extend(disagreements(client, server));
            // Two traced sides must have agreed on the same thing.
            if let (Some(c), Some(s)) = (c, s) {
                for (what, theirs, ours) in [
                    ("version", s.version.to_string(), c.version.to_string()),
                    ("suite", s.cipher_openssl.clone(), c.cipher_openssl.clone()),
                    (
                        "ALPN",
                        alpn_text(s.alpn.as_deref()),
                        alpn_text(c.alpn.as_deref()),
                    ),
                ] {
                    if theirs != ours {
                        wrong.push(format!(
                            "the server's trace says {what} {theirs}, the client's {ours}"
                        ));
                    }
                }
            }
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(format!("handshake succeeded with {}", wrong.join(", ")))
            }
        }
        Expectation::Failure {
            alert: expected_alert,
            verify_error,
            why,
            causes,
        } => {
            if all_ok {
                let agreed = negotiated(client.first())
                    .or(negotiated(server.first()))
                    .map(|n| format!(" with {} {}", n.version, n.cipher_openssl))
                    .unwrap_or_default();
                return Err(format!(
                    "expected failure ({why}), but the handshake succeeded{agreed}"
                ));
            }
            if let Some(a) = expected_alert {
                if !alert_seen(a, client, server) {
                    return Err(format!(
                        "expected {} to send {} ({}), but {}",
                        a.from,
                        alert::name(a.description),
                        a.description,
                        describe_failure(client, server)
                    ));
                }
            }
            if let Some(code) = verify_error {
                let got = client.iter().find_map(verify_of);
                // An external client that names the verification failure
                // without an X509_V_ERR code (GnuTLS's "issuer is
                // unknown" covers several) agrees when it rejected the
                // certificate for that reason, in its own words.
                let refused_for = client.iter().find_map(|o| {
                    let v = o.external.as_ref()?;
                    v.verify_error.as_deref().filter(|_| !o.handshake_ok)
                });
                if let (None, Some(words)) = (got, refused_for) {
                    if !names_reason(*code, words) {
                        return Err(format!(
                            "expected verify error {code} ({}), but the client refused the \
                             certificate for another reason: {words}",
                            verify_reason(*code)
                        ));
                    }
                } else if got != Some(*code) {
                    return Err(format!(
                        "expected verify error {code}, got {}; {}",
                        got.map(|c| c.to_string()).unwrap_or_else(|| "none".into()),
                        describe_failure(client, server)
                    ));
                }
            }
            diagnosed_as(causes, client, server)?;
            if expected_alert.is_none()
                && verify_error.is_none()
                && !witnessed(causes, client, server)
            {
                return Err(format!(
                    "expected failure ({why}), but no side shows that refusal: {}",
                    describe_failure(client, server)
                ));
            }
            Ok(())
        }
    }
}

/// Whether a verify failure a peer words its own way ("The certificate
/// chain uses expired certificate.", `ExpiredContext { .. }`) names the
/// reason of X509_V_ERR `code`. The words are those of the clients the
/// matrix runs (GnuTLS, rustls, Botan, JSSE); a code without words here is not
/// told apart.
fn names_reason(code: i32, words: &str) -> bool {
    let words = words.to_ascii_lowercase();
    let any = |phrases: &[&str]| phrases.iter().any(|p| words.contains(p));
    match code {
        // JSSE's words are the JDK PKIX validator's reason
        // (CertPathValidatorException.BasicReason) its driver adds.
        9 => any(&[
            "not yet valid",
            "notvalidyet",
            "not yet activated",
            "not_yet_valid",
            "notyetvalid",
        ]),
        10 => any(&["expired"]),
        // Unable to get the issuer, or a self-signed certificate not trusted.
        2 | 18 | 19 | 20 | 21 => any(&[
            "issuer is unknown",
            "unknownissuer",
            "issuer not found",
            "no_trust_anchor",
        ]),
        26 => any(&["purpose", "usage"]),
        // GnuTLS says "does not match" of a purpose too.
        62 => any(&[
            "name in the certificate does not match",
            "notvalidforname",
            "provided name",
            // JSSE's HTTPS identity check.
            "no subject alternative dns name matching",
        ]),
        // A key or signature algorithm too weak: webpki says BadSignature
        // for an RSA key below its 2048-bit minimum.
        66 => any(&["insecure", "too weak", "too small", "badsignature"]),
        68 => any(&["insecure", "too weak", "unsupportedsignaturealgorithm"]),
        _ => true,
    }
}

/// OpenSSL's words for a verify code, for a reason line.
fn verify_reason(code: i32) -> String {
    openssl_handshake::VerifyResult::from_code(code).text
}

/// Whether a failure expected without an alert or a verify code to look
/// for was seen for what it is, not merely left uncontradicted: a traced
/// side's diagnosis names an allowed cause, or an external peer reports
/// the alert it sent or received or the certificate it refused (an error
/// line alone could be a crash).
fn witnessed(causes: &ExpectedCauses, client: &[SideOutcome], server: &[SideOutcome]) -> bool {
    let diagnosed = [(Role::Client, client), (Role::Server, server)]
        .into_iter()
        .any(|(role, outcomes)| {
            outcomes
                .iter()
                .filter_map(|o| o.trace.as_ref()?.diagnosis())
                .any(|d| causes.of(role).contains(&d.cause))
        });
    let reported = client.iter().chain(server).any(|o| {
        o.external.as_ref().is_some_and(|v| {
            !o.handshake_ok
                && (v.alert_sent.is_some()
                    || v.alert_received.is_some()
                    || v.verify_error.is_some())
        })
    });
    diagnosed || reported
}

/// Whether each traced side whose handshake failed names a cause the
/// oracle allows for its role: the diagnosis is judged with the outcome.
fn diagnosed_as(
    causes: &ExpectedCauses,
    client: &[SideOutcome],
    server: &[SideOutcome],
) -> Result<(), String> {
    for (role, outcomes) in [(Role::Client, client), (Role::Server, server)] {
        let allowed = causes.of(role);
        if allowed.is_empty() {
            continue;
        }
        let diagnoses = outcomes
            .iter()
            .filter_map(|o| o.trace.as_ref())
            .filter_map(HandshakeTrace::diagnosis);
        for d in diagnoses {
            if !allowed.contains(&d.cause) {
                return Err(format!(
                    "the {role}'s diagnosis names {} (expected {}): {}",
                    d.cause,
                    causes.alternatives(role),
                    d.summary
                ));
            }
        }
    }
    Ok(())
}

/// Where an external peer's own report contradicts the in-process side's
/// trace of the same connection, each disagreement with both views.
fn disagreements(client: &[SideOutcome], server: &[SideOutcome]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (c, s)) in client.iter().zip(server).enumerate() {
        let (ext, traced, ext_role) = match (&c.external, &s.external) {
            (Some(v), None) => (v, negotiated(Some(s)), Role::Client),
            (None, Some(v)) => (v, negotiated(Some(c)), Role::Server),
            _ => continue,
        };
        let Some(n) = traced else { continue };
        let other = match ext_role {
            Role::Client => "server",
            Role::Server => "client",
        };
        for (what, contradiction) in [
            ("version", differ(ext.version, Some(n.version))),
            ("suite", differ(ext.suite.as_ref(), Some(&n.cipher_openssl))),
            ("ALPN", differ(ext.alpn.as_ref(), n.alpn.as_ref())),
            // An external PSK is no resumption, but OpenSSL counts it as
            // one (s_client's "Reused") and GnuTLS does not: both legal.
            (
                "resumed",
                differ(ext.resumed, Some(n.resumed.is_some())).filter(|_| !n.external_psk),
            ),
        ] {
            if let Some((theirs, ours)) = contradiction {
                out.push(format!(
                    "connection {}: {} says {what} {theirs}, the in-process {other}'s trace says {ours}",
                    i + 1,
                    ext.implementation,
                ));
            }
        }
    }
    out
}

/// Both views as text when the peer says something the trace does not.
fn differ<T: PartialEq + ToString>(theirs: Option<T>, ours: Option<T>) -> Option<(String, String)> {
    let t = theirs?;
    (Some(&t) != ours.as_ref()).then(|| {
        let ours = ours.map_or_else(|| "none".to_owned(), |o| o.to_string());
        (t.to_string(), ours)
    })
}

fn negotiated(o: Option<&SideOutcome>) -> Option<&openssl_handshake::Negotiated> {
    o?.trace.as_ref()?.negotiated.as_ref()
}

fn resumption_kind(r: Resumption) -> Option<ResumeKind> {
    match r {
        Resumption::SessionId => Some(ResumeKind::SessionId),
        Resumption::Ticket => Some(ResumeKind::Ticket),
        Resumption::Psk => Some(ResumeKind::Tls13Psk),
        _ => None,
    }
}

/// "secp256r1", "prime256v1", "P-256" all name one group.
fn normalize_group(g: &str) -> String {
    match g.to_ascii_lowercase().as_str() {
        "secp256r1" | "prime256v1" | "p-256" => "p-256".into(),
        "secp384r1" | "p-384" => "p-384".into(),
        "secp521r1" | "p-521" => "p-521".into(),
        other => other.to_string(),
    }
}

/// Whether the expected alert was sent by its side or received by the
/// other. The sender's trace is the better witness; a TLS 1.3 client
/// whose certificate is refused only reads the alert after its handshake,
/// which its error text then names.
fn alert_seen(a: &ExpectedAlert, client: &[SideOutcome], server: &[SideOutcome]) -> bool {
    let (sender, receiver) = match a.from {
        Role::Client => (client, server),
        Role::Server => (server, client),
    };
    let sent = sender.iter().filter_map(|o| o.trace.as_ref()).any(|t| {
        t.alert_sent()
            .is_some_and(|x| x.description == a.description)
    });
    let received = receiver.iter().filter_map(|o| o.trace.as_ref()).any(|t| {
        t.alert_received()
            .is_some_and(|x| x.description == a.description)
    });
    let ext_sent = sender
        .iter()
        .filter_map(|o| o.external.as_ref())
        .any(|v| v.alert_sent == Some(a.description));
    let ext_received = receiver
        .iter()
        .filter_map(|o| o.external.as_ref())
        .any(|v| v.alert_received == Some(a.description));
    if ext_sent || ext_received {
        return true;
    }
    let words = alert::name(a.description).replace('_', " ");
    let named = receiver
        .iter()
        .filter_map(|o| o.error.as_deref())
        .any(|e| e.contains(&words));
    sent || received || named
}

fn verify_of(o: &SideOutcome) -> Option<i32> {
    let from_trace = o.trace.as_ref().and_then(|t| {
        t.failure()
            .and_then(|f| f.verify.as_ref().map(|v| v.code))
            .or_else(|| t.negotiated.as_ref()?.verify.as_ref().map(|v| v.code))
    });
    from_trace.or(o.verify_code).filter(|&c| c != 0)
}

/// The side's name, with an external peer's implementation.
fn named(name: &str, o: &SideOutcome) -> String {
    match &o.external {
        Some(v) => format!("{name} ({})", v.implementation),
        None => name.to_string(),
    }
}

/// An external peer's error is its summary, which leads with the
/// implementation that [`named`] already gives: the rest.
fn without_implementation<'a>(o: &SideOutcome, error: &'a str) -> &'a str {
    o.external
        .as_ref()
        .and_then(|v| error.strip_prefix(v.implementation.as_str()))
        .and_then(|rest| rest.strip_prefix("; "))
        .unwrap_or(error)
}

/// Both sides' failures, in a sentence.
fn describe_failure(client: &[SideOutcome], server: &[SideOutcome]) -> String {
    let side = |name: &str, outs: &[SideOutcome]| -> Option<String> {
        let o = outs.iter().find(|o| !o.ok())?;
        let mut parts = Vec::new();
        let failure = o.trace.as_ref().and_then(|t| t.failure());
        if let Some(f) = failure {
            parts.push(f.to_string());
        } else if let Some(t) = &o.trace {
            if let Some(a) = t.alert_sent() {
                parts.push(format!("sent {a}"));
            }
            if let Some(a) = t.alert_received() {
                parts.push(format!("received {a}"));
            }
        }
        // OpenSSL's error line repeats the reason the failure already gives.
        let repeats =
            |e: &str| failure.is_some_and(|f| !f.reason.is_empty() && e.contains(&f.reason));
        if let Some(e) = o.error.as_deref().filter(|e| !repeats(e)) {
            parts.push(without_implementation(o, e).to_owned());
        }
        let name = named(name, o);
        Some(format!(
            "{name}: {}",
            if parts.is_empty() {
                "failed".into()
            } else {
                parts.join("; ")
            }
        ))
    };
    // A command says nothing of its handshake, so its side reads as if
    // it worked; an error line on its standard error is its own word on
    // why not ("no shared cipher"), which JSON and JUnit carry whole.
    let said = |name: &str, outs: &[SideOutcome]| -> Option<String> {
        let o = outs.first().filter(|o| o.ok())?;
        let x = o.external.as_ref().filter(|x| x.handshake_unreported)?;
        let line = crate::peer::process_peer::error_line_in(&x.stderr)?;
        Some(format!("{} wrote: {line}", named(name, o)))
    };
    let parts: Vec<String> = [
        side("client", client).or_else(|| said("client", client)),
        side("server", server).or_else(|| said("server", server)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "both sides succeeded".into()
    } else {
        parts.join(" | ")
    }
}

/// The client's view of what was negotiated, or how it failed. With an
/// external client, the in-process server's trace speaks for what both
/// ends share; what only the client knows (its handshake time) is then
/// unknown rather than taken from the server.
pub(super) fn observe(client: &[SideOutcome], server: &[SideOutcome]) -> Observed {
    let client_trace = client.first().and_then(|o| o.trace.as_ref());
    let server_trace = server.first().and_then(|o| o.trace.as_ref());
    let s = negotiated(server.first());
    let c = negotiated(client.first()).or(s);
    let failed = client.iter().chain(server).any(|o| !o.ok());
    // The client's peer signature is the server's; a server's own peer
    // signature would be the client's CertificateVerify.
    let signature = match negotiated(client.first()) {
        Some(n) => n.peer_signature.clone(),
        None => server_trace.and_then(own_signature),
    };
    // An external server that names the SNI it saw speaks for itself.
    let sni = s.and_then(|n| n.sni.clone()).or_else(|| {
        server
            .first()
            .and_then(|o| o.external.as_ref())
            .and_then(|v| v.sni.clone())
    });
    Observed {
        version: c.map(|n| n.version),
        suite: c.map(|n| n.cipher_openssl.clone()),
        group: c
            .and_then(|n| n.group.clone())
            .or_else(|| s.and_then(|n| n.group.clone())),
        signature,
        alpn: c.and_then(|n| n.alpn.clone()),
        sni,
        resumed: negotiated(client.last())
            .or(negotiated(server.last()))
            .filter(|_| client.len() > 1)
            .and_then(|n| n.resumed)
            .map(|r| r.name().to_owned()),
        handshake_ms: client_trace
            .and_then(|t| t.duration)
            .map(|d| d.as_secs_f64() * 1e3),
        failure: failed.then(|| describe_failure(client, server)),
    }
}

/// The signature scheme a server's trace shows it signed with: that of the
/// ServerKeyExchange or CertificateVerify it wrote after its last
/// ServerHello (a HelloRetryRequest is followed by the real one). `None`
/// when it did not sign, messages were not recorded, or the signature
/// names no scheme (TLS 1.0 and 1.1).
fn own_signature(trace: &HandshakeTrace) -> Option<String> {
    let written: Vec<_> = trace
        .messages()
        .filter(|m| m.direction == Direction::Write)
        .collect();
    let hello = written
        .iter()
        .rposition(|m| m.handshake_type == Some(HandshakeType::SERVER_HELLO))?;
    written[hello..].iter().rev().find_map(|m| {
        let scheme = match m.body.as_ref()? {
            Body::ServerKeyExchange(ske) => ske.signature_scheme.as_ref(),
            Body::CertificateVerify(cv) => cv.signature_scheme.as_ref(),
            _ => None,
        }?;
        Some(
            scheme
                .name
                .clone()
                .unwrap_or_else(|| format!("0x{:04x}", scheme.id)),
        )
    })
}

/// An ALPN protocol as a verdict names it: quoted, or "none".
fn alpn_text(p: Option<&str>) -> String {
    p.map_or_else(|| "none".into(), |p| format!("{p:?}"))
}

mod waited;

#[cfg(test)]
mod tests;
