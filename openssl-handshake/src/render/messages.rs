//! The message log: one header line per record in the style of
//! `openssl s_client -msg`, followed by the fields decoded from it.

use std::fmt::Write;

use super::version_name;
use crate::decode::{
    self, Body, CipherSuite, ExtensionFault, KeyExchangeKind, NamedGroup, SignatureScheme,
};
use crate::event::{EventKind, Message, RecordHeader};
use crate::trace::HandshakeTrace;

mod extensions;
use extensions::*;

/// The message log of `trace`.
pub fn message_log(trace: &HandshakeTrace) -> String {
    let mut out = String::new();
    // With messages recorded, each alert has its record's line already;
    // the info callback's report of it is for traces without them.
    let alert_records = trace.messages().next().is_some();
    for event in &trace.events {
        // Writing to a String cannot fail.
        let _ = match &event.kind {
            EventKind::Message(m) => write_message(&mut out, m),
            EventKind::Alert(a) if !alert_records => writeln!(
                out,
                "{} Alert {}: {} ({})",
                a.direction.arrow(),
                a.level_text,
                a.text,
                a.description
            ),
            EventKind::UnacceptedRecord(h) => write_refused(&mut out, h),
            EventKind::UnreportedRecord(h) => write_unreported(&mut out, h),
            _ => Ok(()),
        };
    }
    out
}

/// A record OpenSSL read the header of and refused: its header's line as
/// `s_client -msg` prints it, then what the header said.
fn write_refused(out: &mut String, h: &RecordHeader) -> std::fmt::Result {
    if h.version >> 8 == 3 {
        writeln!(
            out,
            "<<< {}, RecordHeader [length 0005]",
            version_name(h.version)
        )?;
    } else {
        writeln!(
            out,
            "<<< Not TLS data or unknown version (version={}, content_type=256) [length 0005]",
            h.version
        )?;
    }
    writeln!(
        out,
        "    refused by OpenSSL: content type {}, version 0x{:04x}, length {}",
        h.content_type, h.version, h.length
    )
}

/// A record OpenSSL took without reporting it (a ChangeCipherSpec it
/// read): its line as a reported one's, less the version OpenSSL would
/// have passed with it, and where it comes from.
fn write_unreported(out: &mut String, h: &RecordHeader) -> std::fmt::Result {
    writeln!(
        out,
        "<<< {} [length {:04x}] (record {})",
        content_name(h.content_type),
        h.length,
        version_name(h.version)
    )?;
    writeln!(
        out,
        "    from its record header: OpenSSL took the record without passing it to the message callback"
    )
}

fn content_name(content_type: u8) -> &'static str {
    match content_type {
        20 => "ChangeCipherSpec",
        21 => "Alert",
        22 => "Handshake",
        _ => "Record",
    }
}

fn write_message(out: &mut String, m: &Message) -> std::fmt::Result {
    let content = content_name(m.content_type);
    if m.sslv2_format() {
        // As `s_server -msg` prints an SSLv2-format ClientHello.
        write!(
            out,
            "{} Not TLS data or unknown version (version=2, content_type=0) [length {:04x}]",
            m.direction.arrow(),
            m.length
        )?;
    } else {
        write!(
            out,
            "{} {}, {} [length {:04x}]",
            m.direction.arrow(),
            version_name(m.version),
            content,
            m.length
        )?;
    }
    if m.content_type == 22 || m.handshake_type.is_some() {
        write!(out, ", {}", m.name())?;
    }
    if let Some(Body::Alert(a)) = &m.body {
        // As `s_client -msg` ends an alert record's line.
        write!(out, ", {} {}", a.level_name(), a.description_name())?;
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
    for problem in &m.extension_problems {
        let kind = match problem.fault {
            ExtensionFault::Misplaced { .. } => "misplaced",
            _ => "malformed",
        };
        writeln!(out, "    {kind} extension: {problem}")?;
    }
    Ok(())
}

fn details(body: &Body) -> Vec<String> {
    match body {
        Body::ClientHello(h) => {
            let mut v = vec![
                format!("client_version={}", hello_version_name(h.legacy_version)),
                format!("random={}", h.random),
                format!("session_id={}", or_empty(&h.session_id)),
                format!("cipher_suites={}", suites(&h.cipher_suites)),
                format!(
                    "compression_methods={}",
                    list(h.compression_methods.iter().map(|&c| compression(c)))
                ),
                format!("server_name={}", h.sni.as_deref().unwrap_or("(none)")),
                format!("alpn={}", list(h.alpn.iter().map(String::as_str))),
                format!(
                    "supported_versions={}",
                    list(h.supported_versions.iter().map(|v| version_name(*v)))
                ),
                format!("supported_groups={}", groups(&h.supported_groups)),
                format!(
                    "key_share={}",
                    list(
                        h.key_share_groups
                            .iter()
                            .zip(&h.key_share_lengths)
                            .map(|(g, n)| format!("{} (len={n})", group(g)))
                    )
                ),
                format!("signature_algorithms={}", schemes(&h.signature_algorithms)),
                format!(
                    "session_ticket={}",
                    h.session_ticket
                        .map_or("(none)".to_owned(), |n| format!("{n} bytes"))
                ),
            ];
            if !h.signature_algorithms_cert.is_empty() {
                v.push(signature_algorithms_cert(&h.signature_algorithms_cert));
            }
            if !h.certificate_authorities.is_empty() {
                v.extend(certificate_authorities(&h.certificate_authorities));
            }
            if !h.psk_key_exchange_modes.is_empty() {
                v.push(format!(
                    "psk_key_exchange_modes={}",
                    list(
                        h.psk_key_exchange_modes
                            .iter()
                            .map(|&m| { format!("{} ({m})", decode::trace_psk_mode_name(m)) })
                    )
                ));
            }
            v.extend(h.status_request.as_ref().map(status_request));
            if !h.status_request_v2.is_empty() {
                v.push(status_request_v2(&h.status_request_v2));
            }
            if !h.compress_certificate.is_empty() {
                v.push(compress_certificate(&h.compress_certificate));
            }
            if !h.application_settings.is_empty() {
                v.push(format!(
                    "application_settings={}",
                    list(h.application_settings.iter())
                ));
            }
            v.extend(
                h.encrypted_client_hello
                    .as_ref()
                    .map(encrypted_client_hello),
            );
            v.extend(
                h.record_size_limit
                    .map(|n| format!("record_size_limit={n}")),
            );
            v.extend(h.padding_len.map(|n| format!("padding={n} bytes")));
            v.extend(h.cookie_len.map(|n| format!("cookie={n} bytes")));
            if h.post_handshake_auth {
                v.push("post_handshake_auth".to_owned());
            }
            if h.psk_identities > 0 {
                v.push(format!("pre_shared_key identities={}", h.psk_identities));
                v.extend(psk_offer(h));
            }
            if h.early_data {
                v.push("early_data".to_owned());
            }
            v.extend(hello_extensions(&h.common));
            v.push(extension_order(&h.extensions));
            v
        }
        Body::ServerHello(h) => {
            // As `-trace`: the field, then the extension that overrides it.
            let mut v = vec![format!("server_version={}", version_name(h.legacy_version))];
            v.extend(
                h.selected_version
                    .map(|s| format!("supported_versions={}", version_name(s))),
            );
            v.extend([
                format!("random={}", h.random),
                format!("session_id={}", or_empty(&h.session_id)),
                format!("cipher_suite={}", suite(&h.cipher_suite)),
                // With a colon, as -trace prints this one field.
                format!("compression_method: {}", compression(h.compression_method)),
            ]);
            v.extend(h.key_share_group.as_ref().map(|g| match h.key_share_len {
                Some(n) => format!("key_share={} (len={n})", group(g)),
                None => format!("key_share={}", group(g)),
            }));
            // As the ClientHello that echoes it prints it.
            v.extend(h.cookie_len.map(|n| format!("cookie={n} bytes")));
            v.extend(
                h.pre_shared_key
                    .map(|i| format!("pre_shared_key selected_identity={i}")),
            );
            v.extend(h.alpn.as_ref().map(|a| format!("alpn={a}")));
            if h.server_name_ack {
                v.push("server_name acknowledged".to_owned());
            }
            if h.session_ticket_ack {
                v.push("session_ticket acknowledged".to_owned());
            }
            if h.status_request_ack {
                v.push("status_request acknowledged".to_owned());
            }
            v.extend(hello_extensions(&h.common));
            v.push(extension_order(&h.extensions));
            if h.hello_retry_request {
                v.push("HelloRetryRequest".to_owned());
            }
            v
        }
        Body::EncryptedExtensions(e) => {
            let mut v = Vec::new();
            v.extend(e.alpn.as_ref().map(|a| format!("alpn={a}")));
            if e.server_name_ack {
                v.push("server_name acknowledged".to_owned());
            }
            if !e.supported_groups.is_empty() {
                v.push(format!("supported_groups={}", groups(&e.supported_groups)));
            }
            if e.early_data {
                v.push("early_data accepted".to_owned());
            }
            v.extend(e.max_fragment_length.map(max_fragment_length));
            v.extend(
                e.record_size_limit
                    .map(|n| format!("record_size_limit={n}")),
            );
            v.push(extension_order(&e.extensions));
            v
        }
        // An empty one (a client with no certificate to send) as `-trace`
        // words it.
        Body::Certificate(c) if c.subjects.is_empty() => {
            let mut v = request_context(&c.request_context);
            v.push("certificate_list, length=0".to_owned());
            v
        }
        Body::Certificate(c) => {
            let mut v = request_context(&c.request_context);
            v.extend(
                c.subjects
                    .iter()
                    .zip(&c.issuers)
                    .enumerate()
                    .map(|(i, (s, iss))| format!("{i} s:{s}\n      i:{iss}")),
            );
            v.extend(
                c.leaf_status
                    .as_ref()
                    .map(|s| format!("0 status_request: {}", certificate_status(s))),
            );
            v
        }
        Body::CertificateStatus(s) => vec![certificate_status(s)],
        Body::CertificateRequest(r) => {
            let mut v = request_context(&r.request_context);
            if !r.certificate_types.is_empty() {
                v.push(format!(
                    "certificate_types={}",
                    list(
                        r.certificate_types.iter().map(|&t| {
                            format!("{} ({t})", decode::trace_certificate_type_name(t))
                        })
                    )
                ));
            }
            v.push(format!(
                "signature_algorithms={}",
                schemes(&r.signature_algorithms)
            ));
            if !r.signature_algorithms_cert.is_empty() {
                v.push(signature_algorithms_cert(&r.signature_algorithms_cert));
            }
            v.extend(certificate_authorities(&r.certificate_authorities));
            if !r.extensions.is_empty() {
                v.push(extension_order(&r.extensions));
            }
            v
        }
        Body::ServerKeyExchange(k) => {
            let mut v = vec![format!("KeyExchangeAlgorithm={}", k.kind.name())];
            v.extend(
                k.named_group
                    .as_ref()
                    .map(|g| format!("  named_curve: {}", group(g))),
            );
            v.extend(k.point_len.map(|n| format!("  point (len={n})")));
            v.extend(k.dh_p_len.map(|n| format!("  dh_p (len={n})")));
            v.extend(k.dh_bits.map(|bits| match &k.dh_group {
                Some(name) => format!("  DH size: {bits} bits ({name})"),
                None => format!("  DH size: {bits} bits"),
            }));
            v.extend(k.dh_g_len.map(|n| format!("  dh_g (len={n})")));
            v.extend(k.dh_public_len.map(|n| format!("  dh_Ys (len={n})")));
            v.extend(k.signature_scheme.as_ref().map(signature_algorithm));
            if k.signature_len > 0 {
                v.push(format!("Signature (len={})", k.signature_len));
            }
            v
        }
        Body::ClientKeyExchange(k) => {
            let field = match k.kind {
                KeyExchangeKind::Ecdhe => "ecdh_Yc",
                KeyExchangeKind::Dhe => "dh_Yc",
                KeyExchangeKind::Rsa => "EncryptedPreMasterSecret",
                _ => "exchange_keys",
            };
            vec![
                format!("KeyExchangeAlgorithm={}", k.kind.name()),
                format!("  {field} (len={})", k.exchange_len),
            ]
        }
        Body::CertificateVerify(c) => {
            let mut v: Vec<String> = c.signature_scheme.iter().map(signature_algorithm).collect();
            v.push(format!("Signature (len={})", c.signature_len));
            v
        }
        Body::NewSessionTicket(t) => {
            let mut v = vec![format!(
                "lifetime={}s ticket={} bytes{}",
                t.lifetime_hint_secs,
                t.ticket_len,
                t.age_add.map_or(String::new(), |_| " (TLS 1.3)".to_owned())
            )];
            // RFC 8446 section 4.6.1: servers MUST NOT use more than seven
            // days (RFC 5077's tickets have no such bound).
            if t.age_add.is_some() && t.lifetime_hint_secs > SEVEN_DAYS {
                v.push(format!(
                    "lifetime above the {SEVEN_DAYS}s (seven days) RFC 8446 allows"
                ));
            }
            // The TLS 1.3 fields, named as `-trace` names them.
            v.extend(t.age_add.map(|a| format!("ticket_age_add={a}")));
            v.extend(
                t.nonce
                    .as_deref()
                    .map(|n| format!("ticket_nonce={}", or_empty(n))),
            );
            v.extend(t.early_data_max.map(|n| format!("max_early_data={n}")));
            if !t.extensions.is_empty() {
                v.push(extension_order(&t.extensions));
            }
            v
        }
        Body::Finished(f) => vec![format!("verify_data={} bytes", f.verify_data_len)],
        Body::KeyUpdate(k) => vec![format!("{} ({})", k.request_name(), k.request_update)],
        // An alert says all it has on its header line.
        Body::Other | Body::Alert(_) => Vec::new(),
    }
}

/// A stapled status: its type, the response's length and, for OCSP, its
/// status (`status_type=ocsp (1) response (len=1491): successful`).
fn certificate_status(s: &decode::CertificateStatus) -> String {
    let mut line = format!(
        "status_type={} ({}) response (len={})",
        s.status_type_name(),
        s.status_type,
        s.response_len
    );
    match (&s.ocsp_response_status, s.status_type_name()) {
        (Some(status), _) => line += &format!(": {status}"),
        (None, "ocsp") => line += ": not an OCSPResponse",
        _ => {}
    }
    line
}

/// A hello's version as `-trace` names it (ssl_version_tbl in OpenSSL's
/// ssl/t1_trace.c), SSL 2.0's too, which an SSLv2-format ClientHello
/// may carry.
fn hello_version_name(version: u16) -> String {
    match version {
        0x0002 => "SSL 2.0".to_owned(),
        v => version_name(v),
    }
}

fn signature_algorithm(s: &SignatureScheme) -> String {
    format!("Signature Algorithm: {}", scheme(s))
}

fn compression(id: u8) -> String {
    format!("{} (0x{id:02x})", decode::trace_compression_name(id))
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

/// `ecdh_x25519 (29)`, as `-trace` prints a group; `GREASE (2570)` for an
/// RFC 8701 value, as suites and schemes name theirs.
fn group(g: &NamedGroup) -> String {
    let name = match g.name.as_deref() {
        Some(grease @ "GREASE") => grease,
        _ => decode::trace_group_name(g.id),
    };
    format!("{name} ({})", g.id)
}

fn groups(g: &[NamedGroup]) -> String {
    list(g.iter().map(group))
}

/// `rsa_pss_rsae_sha256 (0x0804)`, as `-trace` prints a scheme, and
/// `UNKNOWN (0xfefe)` as it prints one it does not know.
fn scheme(s: &SignatureScheme) -> String {
    format!(
        "{} (0x{:04x})",
        s.name.as_deref().unwrap_or("UNKNOWN"),
        s.id
    )
}

fn schemes(s: &[SignatureScheme]) -> String {
    list(s.iter().map(scheme))
}

/// The longest ticket_lifetime RFC 8446 allows (section 4.6.1).
const SEVEN_DAYS: u32 = 604_800;

/// A TLS 1.3 certificate_request_context, only when not empty: a
/// post-handshake CertificateRequest's, and the Certificate echoing it.
fn request_context(context: &str) -> Vec<String> {
    if context.is_empty() {
        return Vec::new();
    }
    vec![format!("certificate_request_context={context}")]
}

#[cfg(test)]
mod tests;
