//! The message log: one header line per record in the style of
//! `openssl s_client -msg`, followed by the fields decoded from it.

use std::fmt::Write;

use super::version_name;
use crate::decode::{Body, CipherSuite, NamedGroup, SignatureScheme};
use crate::event::{EventKind, Message};
use crate::trace::HandshakeTrace;

/// The message log of `trace`.
pub fn message_log(trace: &HandshakeTrace) -> String {
    let mut out = String::new();
    for event in &trace.events {
        // Writing to a String cannot fail.
        let _ = match &event.kind {
            EventKind::Message(m) => write_message(&mut out, m),
            EventKind::Alert(a) => writeln!(
                out,
                "{} Alert {}: {} ({})",
                a.direction.arrow(),
                a.level_text,
                a.text,
                a.description
            ),
            _ => Ok(()),
        };
    }
    out
}

fn write_message(out: &mut String, m: &Message) -> std::fmt::Result {
    let content = match m.content_type {
        20 => "ChangeCipherSpec",
        21 => "Alert",
        22 => "Handshake",
        _ => "Record",
    };
    write!(
        out,
        "{} {}, {} [length {:04x}]",
        m.direction.arrow(),
        version_name(m.version),
        content,
        m.length
    )?;
    if m.content_type == 22 {
        write!(out, ", {}", m.name())?;
    }
    if let Some(v) = m.record_version {
        write!(out, " (record {})", version_name(v))?;
    }
    writeln!(out)?;
    if let Some(e) = &m.decode_error {
        writeln!(out, "    undecodable: {e}")?;
    }
    for line in m.body.as_ref().map(details).unwrap_or_default() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}

fn details(body: &Body) -> Vec<String> {
    match body {
        Body::ClientHello(h) => vec![
            format!("client_version={}", version_name(h.legacy_version)),
            format!("random={}", h.random),
            format!("session_id={}", or_empty(&h.session_id)),
            format!("cipher_suites={}", suites(&h.cipher_suites)),
            format!("server_name={}", h.sni.as_deref().unwrap_or("(none)")),
            format!("alpn={}", list(h.alpn.iter().map(String::as_str))),
            format!(
                "supported_versions={}",
                list(h.supported_versions.iter().map(|v| version_name(*v)))
            ),
            format!("supported_groups={}", groups(&h.supported_groups)),
            format!("key_share={}", groups(&h.key_share_groups)),
            format!("signature_algorithms={}", schemes(&h.signature_algorithms)),
            format!(
                "session_ticket={}",
                h.session_ticket
                    .map_or("(none)".to_owned(), |n| format!("{n} bytes"))
            ),
        ],
        Body::ServerHello(h) => {
            let version = h.selected_version.unwrap_or(h.legacy_version);
            let mut v = vec![
                format!("version={}", version_name(version)),
                format!("random={}", h.random),
                format!("session_id={}", or_empty(&h.session_id)),
                format!("cipher_suite={}", suite(&h.cipher_suite)),
            ];
            v.extend(
                h.key_share_group
                    .as_ref()
                    .map(|g| format!("key_share={}", group(g))),
            );
            v.extend(h.alpn.as_ref().map(|a| format!("alpn={a}")));
            if h.hello_retry_request {
                v.push("HelloRetryRequest".to_owned());
            }
            v
        }
        Body::Certificate(c) => c
            .subjects
            .iter()
            .zip(&c.issuers)
            .enumerate()
            .map(|(i, (s, iss))| format!("{i} s:{s}\n      i:{iss}"))
            .collect(),
        Body::CertificateRequest(r) => vec![
            format!("signature_algorithms={}", schemes(&r.signature_algorithms)),
            format!("certificate_authorities={}", r.certificate_authorities),
        ],
        Body::NewSessionTicket(t) => vec![format!(
            "lifetime={}s ticket={} bytes{}",
            t.lifetime_hint_secs,
            t.ticket_len,
            t.age_add.map_or(String::new(), |_| " (TLS 1.3)".to_owned())
        )],
        Body::Finished(f) => vec![format!("verify_data={} bytes", f.verify_data_len)],
        Body::Other => Vec::new(),
    }
}

fn or_empty(s: &str) -> &str {
    if s.is_empty() {
        "(empty)"
    } else {
        s
    }
}

fn list<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    let v: Vec<String> = items.map(|s| s.as_ref().to_owned()).collect();
    if v.is_empty() {
        "(none)".to_owned()
    } else {
        v.join(",")
    }
}

fn named(id: u16, name: &Option<String>) -> String {
    name.clone().unwrap_or_else(|| format!("0x{id:04x}"))
}

fn suite(s: &CipherSuite) -> String {
    named(s.id, &s.name)
}

fn suites(s: &[CipherSuite]) -> String {
    list(s.iter().map(suite))
}

fn group(g: &NamedGroup) -> String {
    named(g.id, &g.name)
}

fn groups(g: &[NamedGroup]) -> String {
    list(g.iter().map(group))
}

fn schemes(s: &[SignatureScheme]) -> String {
    list(s.iter().map(|x| named(x.id, &x.name)))
}
