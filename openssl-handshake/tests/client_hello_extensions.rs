//! A traced server's view of `openssl s_client -status -enable_pha -bugs`
//! and of its resumption with the ticket it got: the status_request,
//! padding, post_handshake_auth and pre_shared_key contents of its
//! ClientHellos, and the TLS 1.3 NewSessionTicket and CertificateRequest
//! fields, each as s_client's own `-trace` shows what it sent or
//! received, in the trace's JSON (which must match the schema) and in
//! its message log. Then the certificate_authorities of
//! `s_client -requestCAfile`, named as `openssl x509 -subject` names them.

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::thread;

use common::tool::s_client_trace;
use common::*;
use openssl::ssl::{SslVerifyMode, SslVersion};
use openssl::x509::X509;
use openssl_handshake::decode::{Body, ClientHello, NewSessionTicket};
use openssl_handshake::{Direction, HandshakeTrace};
use serde_json::Value;
use testkit::pki::KeyType;

/// The first extension named `name` in `-trace` output (the ClientHello's,
/// which s_client prints first): its declared length and the bytes of
/// its hex dump.
fn traced_extension(output: &str, name: &str) -> Option<(usize, Vec<u8>)> {
    let header = format!("extension_type={name}(");
    let mut lines = output
        .lines()
        .skip_while(|l| !l.trim().starts_with(&header));
    let first = lines.next()?;
    let length = first
        .split("length=")
        .nth(1)
        .and_then(|n| n.trim().parse().ok())
        .expect("a length on the extension line");
    let mut bytes = Vec::new();
    for line in lines {
        // `0000 - 01 00 00 00 00-...   .....`: offset, hex, ASCII.
        let Some((offset, rest)) = line.trim().split_once(" - ") else {
            break;
        };
        if offset.len() != 4 || u16::from_str_radix(offset, 16).is_err() {
            break;
        }
        let hex = rest.split("   ").next().unwrap_or_default();
        bytes.extend(
            hex.replace('-', " ")
                .split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).expect("a hex byte")),
        );
    }
    Some((length, bytes))
}

/// The values after `key=` on the lines of `output` that start with it.
fn traced_values(output: &str, key: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.trim().strip_prefix(key))
        .map(str::to_owned)
        .collect()
}

/// The extension types of the CertificateRequest in `-trace` output.
fn traced_certificate_request_extensions(output: &str) -> Vec<u16> {
    let mut lines = output
        .lines()
        .skip_while(|l| !l.trim().starts_with("CertificateRequest, Length="));
    lines.next().expect("s_client printed a CertificateRequest");
    lines
        .map(str::trim)
        .take_while(|l| !l.contains(", Length=") && !l.ends_with("Record"))
        .filter_map(|l| l.strip_prefix("extension_type="))
        .map(|l| {
            let n = l.split_once('(').and_then(|(_, n)| n.split_once(')'));
            n.and_then(|(n, _)| n.parse().ok()).expect("a type number")
        })
        .collect()
}

fn be(bytes: &[u8]) -> usize {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | usize::from(b))
}

/// A ClientHello's OfferedPsks (RFC 8446 4.2.11): each identity's length
/// and obfuscated_ticket_age, and each binder's length.
fn offered_psks(data: &[u8]) -> (Vec<usize>, Vec<u32>, Vec<usize>) {
    let identities_end = 2 + be(&data[..2]);
    let (mut lengths, mut ages, mut binders) = (Vec::new(), Vec::new(), Vec::new());
    let mut at = 2;
    while at < identities_end {
        let len = be(&data[at..at + 2]);
        lengths.push(len);
        at += 2 + len;
        ages.push(be(&data[at..at + 4]) as u32);
        at += 4;
    }
    at += 2;
    while at < data.len() {
        let len = usize::from(data[at]);
        binders.push(len);
        at += 1 + len;
    }
    (lengths, ages, binders)
}

fn client_hello(trace: &HandshakeTrace) -> (ClientHello, Value) {
    let hello = trace
        .messages()
        .find_map(|m| match &m.body {
            Some(Body::ClientHello(h)) if m.direction == Direction::Read => Some(h.clone()),
            _ => None,
        })
        .expect("the server read a ClientHello");
    let json = serde_json::to_value(&hello).expect("serializes");
    (hello, json)
}

fn tickets(trace: &HandshakeTrace) -> Vec<NewSessionTicket> {
    trace
        .messages()
        .filter_map(|m| match &m.body {
            Some(Body::NewSessionTicket(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn assert_logged(log: &str, line: &str) {
    assert!(
        log.lines().any(|l| l.trim() == line),
        "no line {line:?} in the message log:\n{log}"
    );
}

fn assert_matches_schema(trace: &HandshakeTrace) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/trace.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("a valid schema");
    let json: Value = serde_json::from_str(&trace.to_json()).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn s_client_status_pha_padding_and_psk_as_its_trace_shows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki().write_pem(dir.path()).expect("PEM files");
    let (listener, addr) = listener();
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("TLS 1.3");
        // A CertificateRequest in the handshake, which may go unanswered.
        b.set_verify(SslVerifyMode::PEER);
        // Tickets that carry an early_data extension.
        b.set_max_early_data(16384).expect("max early data");
    });
    let served = thread::spawn(move || {
        let first = serve_one(&listener, &server);
        let second = serve_one(&listener, &server);
        (first, second)
    });
    let session = dir.path().join("session.pem");
    let session = session.to_str().expect("UTF-8 path");
    let first_out = s_client_trace(
        addr,
        &files.root,
        &["-status", "-enable_pha", "-bugs", "-sess_out", session],
    );
    let second_out = s_client_trace(addr, &files.root, &["-sess_in", session]);
    let (first, second) = served.join().expect("server thread");

    // status_request: ocsp with two empty lists is 01 0000 0000.
    let (hello, json) = client_hello(&first);
    let log = first.message_log();
    let (_, status) = traced_extension(&first_out, "status_request").expect("-status");
    let request = hello.status_request.expect("status_request decoded");
    assert_eq!(request.status_type, status[0]);
    assert_eq!(request.responder_id_list_len, Some(be(&status[1..3])));
    assert_eq!(request.request_extensions_len, Some(be(&status[3..5])));
    assert_eq!(request.request_len, status.len() - 1);
    assert_eq!(json["status_request"]["status_type"], 1);
    assert_logged(
        &log,
        &format!(
            "status_request=ocsp ({}) responder_id_list (len={}) request_extensions (len={})",
            status[0],
            be(&status[1..3]),
            be(&status[3..5])
        ),
    );

    // post_handshake_auth: sent empty.
    let (pha_len, _) = traced_extension(&first_out, "post_handshake_auth").expect("-enable_pha");
    assert_eq!(pha_len, 0);
    assert!(hello.post_handshake_auth);
    assert_eq!(json["post_handshake_auth"], true);
    assert_logged(&log, "post_handshake_auth");

    // padding: -bugs pads a hello of 256 to 511 bytes; compare whatever
    // s_client says it sent.
    let padding = traced_extension(&first_out, "padding").map(|(len, _)| len);
    assert_eq!(hello.padding_len, padding);
    if let Some(n) = padding {
        assert_eq!(json["padding_len"], n);
        assert_logged(&log, &format!("padding={n} bytes"));
    }

    // The tickets: age_add, nonce and early_data's max_early_data.
    let ages = traced_values(&first_out, "ticket_age_add=");
    let nonces: Vec<String> = traced_values(&first_out, "ticket_nonce (len=")
        .iter()
        .map(|v| v.split(": ").nth(1).unwrap_or_default().to_lowercase())
        .collect();
    let max_early = traced_values(&first_out, "max_early_data=");
    let ours = tickets(&first);
    assert!(!ours.is_empty(), "the server sent no tickets");
    assert_eq!(ours.len(), ages.len(), "{first_out}");
    for (i, ticket) in ours.iter().enumerate() {
        assert_eq!(ticket.age_add.map(|a| a.to_string()), Some(ages[i].clone()));
        assert_eq!(ticket.nonce.as_ref(), Some(&nonces[i]));
        assert_eq!(
            ticket.early_data_max.map(|n| n.to_string()),
            Some(max_early[i].clone())
        );
        assert_eq!(ticket.extensions, [42]);
        assert_logged(&log, &format!("ticket_age_add={}", ages[i]));
        assert_logged(&log, &format!("ticket_nonce={}", nonces[i]));
        assert_logged(&log, &format!("max_early_data={}", max_early[i]));
    }
    assert_logged(&log, "extensions=early_data (42)");

    // The CertificateRequest's extensions, in order.
    let cr_types = traced_certificate_request_extensions(&first_out);
    assert!(cr_types.contains(&13), "{cr_types:?}");
    let request = first
        .messages()
        .find_map(|m| match &m.body {
            Some(Body::CertificateRequest(r)) => Some(r.clone()),
            _ => None,
        })
        .expect("the server sent a CertificateRequest");
    assert_eq!(request.extensions, cr_types);
    let cr_line = log
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("extensions=signature_algorithms (13)"))
        .unwrap_or_else(|| panic!("no CertificateRequest extensions line:\n{log}"));
    for ty in &cr_types {
        assert!(cr_line.contains(&format!("({ty})")), "{cr_line}");
    }

    // The resumption's pre_shared_key: each identity's obfuscated age.
    let (hello, json) = client_hello(&second);
    let log = second.message_log();
    let (_, psk) = traced_extension(&second_out, "psk").expect("a PSK offered");
    let (lengths, ages, binders) = offered_psks(&psk);
    assert_eq!(hello.psk_identity_lengths, lengths);
    assert_eq!(hello.psk_obfuscated_ticket_ages, ages);
    assert_eq!(hello.psk_binder_lengths, binders);
    assert_eq!(json["psk_obfuscated_ticket_ages"], serde_json::json!(ages));
    assert_logged(
        &log,
        &format!("pre_shared_key identities={}", lengths.len()),
    );
    for (i, (len, age)) in lengths.iter().zip(&ages).enumerate() {
        assert_logged(
            &log,
            &format!("identity {i} (len={len}) obfuscated_ticket_age={age}"),
        );
    }
    for (i, len) in binders.iter().enumerate() {
        assert_logged(&log, &format!("binder {i} (len={len})"));
    }
    // s_client asked for none of these this time.
    assert_eq!(hello.status_request, None);
    assert!(!hello.post_handshake_auth);
    assert!(json.get("status_request").is_none());

    assert_matches_schema(&first);
    assert_matches_schema(&second);
}

#[test]
fn s_client_certificate_authorities_as_its_trace_and_x509_show() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki().write_pem(dir.path()).expect("PEM files");
    let (listener, addr) = listener();
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("TLS 1.3");
    });
    let served = thread::spawn(move || serve_one(&listener, &server));
    let out = s_client_trace(
        addr,
        &files.root,
        [OsStr::new("-requestCAfile"), files.root.as_os_str()],
    );
    let trace = served.join().expect("server thread");

    // What s_client sent: the root's subject, alone (RFC 8446 4.2.4:
    // authorities<3..2^16-1>, each a DistinguishedName<1..2^16-1>).
    let root = X509::from_pem(&std::fs::read(&files.root).expect("root.pem")).expect("PEM");
    let der = root.subject_name().to_der().expect("DER");
    let (_, sent) = traced_extension(&out, "certificate_authorities").expect("-requestCAfile");
    let mut expected_bytes = (der.len() + 2).to_be_bytes()[6..].to_vec();
    expected_bytes.extend((der.len() as u16).to_be_bytes());
    expected_bytes.extend(&der);
    assert_eq!(sent, expected_bytes, "{out}");

    // Named as OpenSSL's own tool prints the subject.
    let x509 = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-in"])
        .arg(&files.root)
        .output()
        .expect("openssl x509");
    let printed = String::from_utf8(x509.stdout).expect("UTF-8");
    let subject = printed.trim().strip_prefix("subject=").expect("subject=");
    let (hello, json) = client_hello(&trace);
    assert_eq!(hello.certificate_authorities, [subject]);
    assert_eq!(
        json["certificate_authorities"],
        serde_json::json!([subject])
    );
    let log = trace.message_log();
    assert_logged(&log, "certificate_authorities=1");
    assert_logged(&log, subject);
    // OpenSSL never sends signature_algorithms_cert.
    assert!(hello.signature_algorithms_cert.is_empty());
    assert!(json.get("signature_algorithms_cert").is_none());
    assert_matches_schema(&trace);
}
