//! `tls-harness probe` against `openssl s_server` and a small in-process
//! server: what it reads after the handshake, its exit code, its JSON Lines
//! and its state log and message lines, which must equal what `openssl
//! s_client -state` and `-msg` print for the same server configuration.

mod common;
mod probe_support;

use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::time::{Duration, SystemTime};

use harness::peer::process::ChildGuard;
use openssl::ssl::SslVersion;
use probe_support::*;
use serde_json::Value;
use testkit::msg_lines::message_lines;
use testkit::pki::KeyType;

/// Checks the line's timestamp is RFC 3339 UTC, between `before` and now.
fn check_timestamp(line: &Value, before: SystemTime) {
    let text = line["timestamp"].as_str().expect("a timestamp string");
    assert!(text.ends_with('Z'), "UTC: {text}");
    let t = humantime::parse_rfc3339(text).expect("RFC 3339");
    // Millisecond precision: allow the truncation.
    let before = before - Duration::from_millis(1);
    assert!(
        t >= before && t <= SystemTime::now(),
        "{text} is not the time of the run"
    );
}

/// The trace's alert events as (direction, level, description).
fn trace_alerts(line: &Value) -> Vec<(String, String, u64)> {
    line["trace"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"]["type"] == "alert")
        .map(|e| {
            let a = &e["kind"];
            (
                a["direction"].as_str().unwrap_or_default().to_string(),
                a["level"].as_str().unwrap_or_default().to_string(),
                a["description"].as_u64().unwrap_or(999),
            )
        })
        .collect()
}

#[test]
fn tls13_client_certificate_required_is_a_failure_named_by_its_alert() {
    require_openssl();
    let pki = test_pki();
    let (_server, addr) = s_server(&pki, &["-tls1_3", "-Verify", "1", "-CAfile", p(&pki.root)]);

    let reference = s_client_state(&addr, &pki, &["-tls1_3"]);
    assert!(
        reference
            .iter()
            .any(|l| l.starts_with("SSL3 alert read:fatal:")),
        "s_client saw the server's alert: {reference:#?}"
    );
    let state = probe(&addr, &pki, "state", &["--tls1_3"]);
    assert_eq!(state.status.code(), Some(1), "{}", state.stderr);
    assert_eq!(lines(&state.stdout), reference, "{}", state.stderr);
    assert!(
        state.stderr.contains("certificate_required (116)"),
        "the alert is named: {}",
        state.stderr
    );
    // OpenSSL's lines on stdout, the diagnosis after the failure on stderr.
    assert!(
        state
            .stderr
            .contains("\n  diagnosis: client_cert_required (fault: ")
            && state.stderr.contains("\n  fix: "),
        "{}",
        state.stderr
    );

    let before = SystemTime::now();
    let json = probe(&addr, &pki, "json", &["--tls1_3"]);
    assert_eq!(json.status.code(), Some(1), "{}", json.stderr);
    let out = json_lines(&json.stdout);
    assert_eq!(out.len(), 1, "{}", json.stdout);
    let line = &out[0];
    check_timestamp(line, before);
    assert_eq!(line["peer"], addr.as_str());
    assert_eq!(line["succeeded"], false);
    let failure = line["failure"].as_str().expect("a failure");
    assert!(failure.contains("certificate_required (116)"), "{failure}");
    // -Verify 1, and the probe has no certificate to send.
    assert_eq!(line["diagnosis"]["cause"], "client_cert_required");
    let post = &line["post_handshake"];
    assert_eq!(post["alerts_received"][0]["description"], 116);
    assert_eq!(post["alerts_received"][0]["level"], "fatal");
    assert!(trace_alerts(line).contains(&("read".into(), "fatal".into(), 116)));
}

/// With no client authentication, TLS 1.3 and 1.2: the whole `-state`
/// output, tickets and close_notify included, and the close_notify in the
/// trace.
#[test]
fn state_log_after_the_handshake_equals_s_client() {
    require_openssl();
    let pki = test_pki();
    let (_server, addr) = s_server(&pki, &[]);
    for version in ["-tls1_3", "-tls1_2"] {
        let reference = s_client_state(&addr, &pki, &[version]);
        assert!(
            reference.contains(&"SSL_connect:SSLv3/TLS read server session ticket".to_string()),
            "{version}: s_client read a ticket: {reference:#?}"
        );
        assert_eq!(
            reference.last().map(String::as_str),
            Some("SSL3 alert write:warning:close notify"),
            "{version}: {reference:#?}"
        );
        let flag = version.replace('-', "--");
        let state = probe(&addr, &pki, "state", &[&flag]);
        assert!(state.status.success(), "{version}: {}", state.stderr);
        assert_eq!(lines(&state.stdout), reference, "{version}");

        let json = probe(&addr, &pki, "json", &[&flag]);
        assert!(json.status.success(), "{version}: {}", json.stderr);
        let line = &json_lines(&json.stdout)[0];
        assert_eq!(line["succeeded"], true);
        let post = &line["post_handshake"];
        assert_eq!(post["close_notify_sent"], true, "{post}");
        assert!(trace_alerts(line).contains(&("write".into(), "warning".into(), 0)));
        if version == "-tls1_3" {
            let tickets = reference
                .iter()
                .filter(|l| l.ends_with("read server session ticket"))
                .count();
            assert_eq!(post["tickets"], tickets as u64, "{post}");
        }
    }
}

/// `probe --format msg`: each message line equals the one `openssl
/// s_client -msg` prints against the same server (the probe's lines add
/// the record layer's version, and decoded fields on indented lines). An
/// RSA server, whose signatures always have the same length.
#[test]
fn message_lines_equal_s_client_msg() {
    require_openssl();
    let pki = test_pki();
    let rsa = |ext: &str| pki.dir.path().join(format!("server-rsa2048.{ext}"));
    let (cert, key) = (rsa("crt"), rsa("key"));
    let args = [
        "-cert",
        p(&cert),
        "-key",
        p(&key),
        "-cert_chain",
        p(&pki.intermediate),
    ];
    let (_server, addr) = common::s_server(&args);
    for version in ["-tls1_3", "-tls1_2"] {
        let mut cmd = Command::new("openssl");
        cmd.args(["s_client", "-connect", &addr, "-msg", version])
            .args(["-CAfile", p(&pki.root), "-servername", "localhost"]);
        let reference = message_lines(&(common::s_client_held(cmd, HOLD).stdout.join("\n") + "\n"));
        assert!(
            reference.contains(", NewSessionTicket\n") && reference.contains(" close_notify\n"),
            "{version}: s_client -msg:\n{reference}"
        );
        let flag = version.replace('-', "--");
        let msg = probe(&addr, &pki, "msg", &[&flag]);
        assert!(msg.status.success(), "{version}: {}", msg.stderr);
        assert_eq!(message_lines(&msg.stdout), reference, "{version}");
    }
}

/// A failed handshake's state log equals s_client's too, down to the
/// lines OpenSSL prints once the `SSL` is in error ("error in error").
#[test]
fn state_log_of_a_failed_handshake_equals_s_client() {
    require_openssl();
    let pki = test_pki();
    // TLS 1.2 with a client certificate required: the server answers the
    // probe's empty Certificate with a fatal handshake_failure.
    let (_server, addr) = s_server(&pki, &["-tls1_2", "-Verify", "1"]);
    let reference = s_client_state(&addr, &pki, &["-tls1_2"]);
    assert!(
        reference
            .iter()
            .any(|l| l.starts_with("SSL3 alert read:fatal:")),
        "s_client saw the server's fatal alert: {reference:#?}"
    );
    let state = probe(&addr, &pki, "state", &["--tls1_2"]);
    assert_eq!(state.status.code(), Some(1), "{}", state.stderr);
    assert_eq!(lines(&state.stdout), reference);

    // The summary leads with the failure; what the ServerHello agreed
    // follows it, and nothing there reads as a verified success.
    let summary = probe(&addr, &pki, "summary", &["--tls1_2"]);
    let first = summary.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("client: handshake failed after ")
            && first.contains("handshake_failure (40); agreed before that: TLSv1.2 ")
            && !first.contains("verify="),
        "{}",
        summary.stdout
    );
}

/// A server that closes right after its handshake: the probe stops
/// reading at its close_notify, records it, and answers with its own, as
/// s_client does.
#[test]
fn close_notify_from_the_server_is_traced() {
    require_openssl();
    let pki = test_pki();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let mut b = pki
        .pki
        .server(KeyType::EcdsaP256)
        .acceptor()
        .expect("server with the ECDSA credential");
    b.set_max_proto_version(Some(SslVersion::TLS1_3))
        .expect("version");
    let acceptor = b.build();
    let server = std::thread::spawn(move || {
        // s_client, then the probe's state and JSON runs.
        for _ in 0..3 {
            let (tcp, _) = listener.accept().expect("accept");
            tcp.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("time-out");
            if let Ok(mut tls) = acceptor.accept(tcp) {
                let _ = tls.shutdown();
                // Wait for the client's close_notify (bounded by the time-out).
                let _ = tls.shutdown();
            }
        }
    });

    let addr = addr.to_string();
    let reference = s_client_state(&addr, &pki, &[]);
    assert!(
        reference.contains(&"SSL3 alert read:warning:close notify".to_string()),
        "{reference:#?}"
    );
    let state = probe(&addr, &pki, "state", &[]);
    assert!(state.status.success(), "{}", state.stderr);
    assert_eq!(lines(&state.stdout), reference);

    let json = probe(&addr, &pki, "json", &[]);
    assert!(json.status.success(), "{}", json.stderr);
    let line = &json_lines(&json.stdout)[0];
    let post = &line["post_handshake"];
    assert_eq!(post["ended"], "close_notify", "{post}");
    assert_eq!(post["close_notify_received"], true, "{post}");
    assert_eq!(post["close_notify_sent"], true, "{post}");
    let alerts = trace_alerts(line);
    assert!(alerts.contains(&("read".into(), "warning".into(), 0)));
    assert!(alerts.contains(&("write".into(), "warning".into(), 0)));
    server.join().expect("server thread");
}

#[test]
fn reconnect_prints_one_json_object_per_connection() {
    require_openssl();
    let pki = test_pki();
    let (_server, addr) = s_server(&pki, &["-tls1_3"]);
    let before = SystemTime::now();
    let json = probe(&addr, &pki, "json", &["--reconnect"]);
    assert!(json.status.success(), "{}", json.stderr);
    let out = json_lines(&json.stdout);
    assert_eq!(out.len(), 2, "{}", json.stdout);
    for (i, line) in out.iter().enumerate() {
        check_timestamp(line, before);
        assert_eq!(line["connection"], i as u64 + 1);
        assert_eq!(line["peer"], addr.as_str());
        assert_eq!(line["succeeded"], true);
    }
    assert!(
        out[0]["timestamp"].as_str() <= out[1]["timestamp"].as_str(),
        "in order"
    );
    assert!(out[0]["trace"]["negotiated"]["resumed"].is_null());
    assert!(
        !out[1]["trace"]["negotiated"]["resumed"].is_null(),
        "the second connection resumed with the first one's ticket"
    );
}

/// A server that leaves no session to offer is said to have left none,
/// not to have refused to resume one: at TLS 1.3 without tickets
/// (`-num_tickets 0`), and at TLS 1.2 without tickets or a session cache,
/// whose ServerHello s_client shows with an empty Session-ID.
#[test]
fn reconnect_to_a_server_that_left_no_session_says_so() {
    require_openssl();
    let pki = test_pki();
    let cases: [(&[&str], &str); 2] = [
        (
            &["-tls1_3", "-num_tickets", "0"],
            "the server sent no NewSessionTicket",
        ),
        (
            &["-tls1_2", "-no_ticket", "-no_cache"],
            "the server sent an empty session id and no NewSessionTicket",
        ),
    ];
    for (args, why) in cases {
        let (_server, addr) = s_server(&pki, args);
        if args.contains(&"-tls1_2") {
            let mut c = Command::new("openssl");
            c.args(["s_client", "-connect", &addr, "-CAfile", p(&pki.root)]);
            let o = common::run(c);
            assert!(
                o.stdout.lines().any(|l| l.trim() == "Session-ID:"),
                "{}",
                o.stdout
            );
            assert!(!o.stdout.contains("TLS session ticket:"), "{}", o.stdout);
        }
        let json = probe(&addr, &pki, "json", &["--reconnect"]);
        let out = json_lines(&json.stdout);
        assert_eq!(out.len(), 2, "{}", json.stdout);
        let expected = format!(
            "--reconnect: the first connection left no session to resume ({why}); the second \
             connection was a full handshake"
        );
        let notes = out[1]["notes"].as_array().expect("notes");
        assert!(notes.iter().any(|n| n == &expected), "{args:?}: {notes:?}");
    }
}

/// [`gnutls_serv`] requiring a client certificate, offering what
/// `priority` allows.
fn gnutls_serv_requiring_a_certificate(pki: &TestPki, priority: &str) -> (ChildGuard, String) {
    gnutls_serv(pki, &["--require-client-cert", "--priority", priority])
}

/// The same rejection from GnuTLS: gnutls-serv requiring a certificate
/// says so itself, and the probe names the alert it received.
#[test]
fn gnutls_serv_requiring_a_certificate_fails_the_probe() {
    let pki = test_pki();
    let (mut server, addr) =
        gnutls_serv_requiring_a_certificate(&pki, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
    let out = probe(&addr, &pki, "json", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("certificate_required (116)"),
        "{}",
        out.stderr
    );
    let line = &json_lines(&out.stdout)[0];
    assert_eq!(line["succeeded"], false);
    assert_eq!(
        line["post_handshake"]["alerts_received"][0]["description"],
        116
    );
    assert_eq!(line["diagnosis"]["cause"], "client_cert_required");
    common::wait_for(&mut server, "gnutls-serv's own verdict", |l| {
        l.contains("Certificate is required")
    });
}

/// In TLS 1.2 GnuTLS answers the empty Certificate with decode_error,
/// not the handshake_failure OpenSSL sends; the diagnosis still names
/// the missing certificate, and gives the alert it rests on.
#[test]
fn gnutls_serv_tls12_answers_a_missing_certificate_with_decode_error() {
    let pki = test_pki();
    let (mut server, addr) =
        gnutls_serv_requiring_a_certificate(&pki, "NORMAL:-VERS-ALL:+VERS-TLS1.2");
    let out = probe(&addr, &pki, "json", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("decode_error (50)"), "{}", out.stderr);
    let d = &json_lines(&out.stdout)[0]["diagnosis"];
    assert_eq!(d["cause"], "client_cert_required", "{d}");
    assert_eq!(d["fault"], "client", "{d}");
    assert!(
        d["summary"]
            .as_str()
            .is_some_and(|s| s.contains("decode error")),
        "{d}"
    );
    let evidence = |source: &str| {
        common::evidence(d, source).unwrap_or_else(|| panic!("no {source} evidence: {d}"))
    };
    assert_eq!(evidence("CertificateRequest read"), "true");
    assert_eq!(evidence("client Certificate entries"), "0");
    common::wait_for(&mut server, "gnutls-serv's own verdict", |l| {
        l.contains("No certificate was found")
    });
}
