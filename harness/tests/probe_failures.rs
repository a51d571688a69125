//! `tls-harness probe` where the handshake fails: a refused version, a
//! trickling server, a version mismatch, a peer hanging up; each is
//! diagnosed, and the state log equals `openssl s_client -state`.

mod common;
mod probe_support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{harness, run};
use probe_support::scripted::after_the_hello;
use probe_support::*;

/// GnuTLS limited to one version answers a ClientHello of only the other
/// with handshake_failure, not protocol_version: from the client's side
/// that is a refused hello, and with one version offered the version is
/// among the suspects the diagnosis names. (TLS 1.3 is offered in
/// supported_versions; TLS 1.2 alone only by the client's own range.)
#[test]
fn a_single_version_refused_with_handshake_failure_names_the_version() {
    let pki = test_pki();
    for (server, client, offered, evidence) in [
        ("TLS1.2", "--tls1_3", "TLS 1.3", "TLS 1.3"),
        ("TLS1.3", "--tls1_2", "TLS 1.2", "absent"),
    ] {
        let priority = format!("NORMAL:-VERS-ALL:+VERS-{server}");
        let (_server, addr) = gnutls_serv(&pki, &["--priority", &priority]);
        let out = probe(&addr, &pki, "json", &[client]);
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        assert!(
            out.stderr.contains("handshake_failure (40)"),
            "{}",
            out.stderr
        );
        let d = &json_lines(&out.stdout)[0]["diagnosis"];
        assert_eq!(d["cause"], "hello_refused", "{d}");
        let summary = d["summary"].as_str().unwrap_or_default();
        assert!(
            summary.contains("no version, suite") && summary.contains(&format!("(only {offered})")),
            "{d}"
        );
        let versions = common::evidence(d, "ClientHello.supported_versions")
            .unwrap_or_else(|| panic!("no supported_versions evidence: {d}"));
        assert_eq!(versions, evidence, "{d}");
    }
}

/// A server that answers a byte every 0.3 s, each inside the 5 s read
/// time-out: the 2 s handshake deadline ends the probe, most often in a
/// socket wait cut short to meet it (after which OpenSSL would retry).
#[test]
fn a_trickling_server_meets_the_handshake_deadline() {
    let (addr, server) = after_the_hello(|tcp| {
        // A handshake record announcing a 16 KiB ServerHello, dribbled.
        let mut bytes = vec![0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0x3f, 0xfb];
        bytes.resize(5 + 0x4000, 0);
        common::trickle(tcp, &bytes, Duration::from_millis(300));
    });
    let mut args = vec!["probe", &addr];
    args.extend(common::TRICKLE_LIMITS);
    let out = run(harness(&args));
    assert_eq!(out.status.code(), Some(4), "{}", out.stderr);
    assert!(out.stderr.contains("--handshake-timeout"), "{}", out.stderr);
    let line = &json_lines(&out.stdout)[0];
    assert_eq!(line["diagnosis"]["cause"], "timed_out", "{line}");
    // The peer never closed: the trace failed for the limit that fired,
    // in a socket wait or before one.
    let outcome = &line["trace"]["outcome"];
    assert_eq!(outcome["status"], "failed", "{outcome}");
    let reason = outcome["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("this end stopped waiting: ") && reason.contains("--handshake-timeout"),
        "{outcome}"
    );
    server.join().expect("server thread");
}

/// A TLS 1.3-only probe against `s_server -tls1_2`: no version in common,
/// which is what the summary and the JSON line diagnose, with the offer as
/// evidence.
#[test]
fn a_version_mismatch_is_diagnosed_in_summary_and_json() {
    require_openssl();
    let pki = test_pki();
    let (_server, addr) = s_server(&pki, &["-tls1_2"]);

    let summary = probe(&addr, &pki, "summary", &["--tls1_3"]);
    assert_eq!(summary.status.code(), Some(1), "{}", summary.stderr);
    assert!(
        summary.stdout.lines().any(|l| l
            .trim_start()
            .starts_with("diagnosis: no_shared_version (fault: ")),
        "{}",
        summary.stdout
    );
    assert!(summary.stdout.contains("fix: "), "{}", summary.stdout);

    let json = probe(&addr, &pki, "json", &["--tls1_3"]);
    assert_eq!(json.status.code(), Some(1), "{}", json.stderr);
    let line = &json_lines(&json.stdout)[0];
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "no_shared_version", "{d}");
    assert!(d["fix"].as_str().is_some_and(|f| !f.is_empty()), "{d}");
    // The client's offer, --tls1_3, is the evidence.
    let offered = common::evidence(d, "ClientHello.supported_versions")
        .unwrap_or_else(|| panic!("no supported_versions evidence: {d}"));
    assert_eq!(offered, "TLS 1.3", "{d}");
}

/// A server that accepts and resets at once: whether the reset meets the
/// connect or the ClientHello (a race; the unit tests of
/// `probe::connection` pin the first), the failed probe carries a
/// diagnosis in summary and JSON, the server's hang-up (peer_closed).
#[test]
fn a_server_that_resets_at_accept_is_diagnosed() {
    const RUNS: usize = 4;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    let server = std::thread::spawn(move || {
        for _ in 0..RUNS * 2 {
            let Ok((tcp, _)) = listener.accept() else {
                return;
            };
            // SO_LINGER 0: the close sends a RST.
            let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
        }
    });
    for _ in 0..RUNS {
        let out = run(harness(&["probe", &addr, "--format", "json"]));
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        let line = &json_lines(&out.stdout)[0];
        let d = &line["diagnosis"];
        assert_eq!(d["cause"], "peer_closed", "{line}");
        assert_eq!(d["fault"], "server", "{line}");
        let out = run(harness(&["probe", &addr]));
        assert!(
            out.stdout
                .contains("diagnosis: peer_closed (fault: server)"),
            "{}{}",
            out.stdout,
            out.stderr
        );
    }
    drop(server);
}

/// A listening socket whose accept queue is full drops further SYNs, so
/// a connect to it times out: no TCP connection, so no TLS began, and the
/// diagnosis says that rather than that the peer sent no TLS record.
#[test]
fn a_connect_that_times_out_is_diagnosed_as_no_connection() {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().expect("address");
    listener.bind(&any.into()).expect("bind");
    listener.listen(0).expect("listen");
    let addr = listener
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .expect("address");
    // Fill the queue: these connections are never accepted.
    let filled: Vec<Socket> = (0..8)
        .map(|_| {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            s.set_nonblocking(true).expect("non-blocking");
            let _ = s.connect(&addr.into());
            s
        })
        .collect();
    let out = run(harness(&[
        "probe",
        &addr.to_string(),
        "--timeout",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}{}", out.stdout, out.stderr);
    let line = &json_lines(&out.stdout)[0];
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "timed_out", "{line}");
    let summary = d["summary"].as_str().expect("summary");
    assert!(
        summary.starts_with("no TLS began: no TCP connection was made (connecting to "),
        "{summary}"
    );
    assert!(!summary.contains("sent no TLS record"), "{summary}");
    drop(filled);
}

/// A port nothing listens on: no TLS began, and the JSON line still
/// carries a diagnosis a monitoring pipeline can key on.
#[test]
fn a_refused_connection_is_diagnosed() {
    let closed = common::ports::ClosedPort::new();
    let out = run(harness(&["probe", &closed.addr(), "--format", "json"]));
    assert_eq!(out.status.code(), Some(3), "{}", out.stderr);
    let line = &json_lines(&out.stdout)[0];
    assert!(line.get("starttls").is_none(), "{line}");
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "connection_refused", "{d}");
    assert_eq!(d["fault"], "server", "{d}");
}

/// A handshake that succeeds carries no diagnosis.
#[test]
fn a_successful_probe_has_no_diagnosis() {
    require_openssl();
    let pki = test_pki();
    let (_server, addr) = s_server(&pki, &["-tls1_2"]);
    let json = probe(&addr, &pki, "json", &[]);
    assert!(json.status.success(), "{}", json.stderr);
    assert!(json_lines(&json.stdout)[0]["diagnosis"].is_null());
    let summary = probe(&addr, &pki, "summary", &[]);
    assert!(summary.status.success(), "{}", summary.stderr);
    assert!(!summary.stdout.contains("diagnosis:"), "{}", summary.stdout);
}

/// A server that hangs up after reading the ClientHello: over a socket,
/// OpenSSL alerts decode_error and ends "in error", and the probe prints
/// those lines as s_client does.
#[test]
fn state_log_of_a_peer_hanging_up_equals_s_client() {
    require_openssl();
    let pki = test_pki();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().take(3).flatten() {
            let mut header = [0u8; 5];
            if tcp.read_exact(&mut header).is_ok() {
                let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
                let _ = tcp.read_exact(&mut body);
            }
            let _ = tcp.shutdown(std::net::Shutdown::Both);
        }
    });
    let reference = s_client_state(&addr, &pki, &[]);
    assert_eq!(
        reference.last().map(String::as_str),
        Some("SSL_connect:error in error")
    );
    assert!(
        reference
            .iter()
            .any(|l| l == "SSL3 alert write:fatal:decode error"),
        "s_client alerts decode_error at the end of file: {reference:#?}"
    );
    let state = probe(&addr, &pki, "state", &[]);
    assert_eq!(state.status.code(), Some(1), "{}", state.stderr);
    assert_eq!(lines(&state.stdout), reference);
    assert!(state.stderr.contains("end of file"), "{}", state.stderr);
    // The summary says whose the decode_error is.
    let summary = probe(&addr, &pki, "summary", &[]);
    assert!(
        summary
            .stdout
            .contains("sent fatal alert decode_error (50) (OpenSSL's answer to the end of file)"),
        "{}",
        summary.stdout
    );
}

/// A TLS 1.3 server's middlebox-compatibility change_cipher_spec after its
/// HelloRetryRequest (RFC 8446, D.4), then a hang-up (`s_server
/// -stateless` closes after the second ClientHello): OpenSSL reads that
/// record whole and drops it, so it is neither refused nor cut short but
/// taken, unreported.
#[test]
fn a_compatibility_change_cipher_spec_is_not_a_refused_record() {
    require_openssl();
    let pki = test_pki();
    let (_server, addr) = s_server(&pki, &["-stateless", "-groups", "P-384"]);
    let out = probe(&addr, &pki, "json", &["--groups", "X25519:P-384"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let line = &json_lines(&out.stdout)[0];
    let events = line["trace"]["events"].as_array().expect("events");
    assert!(
        !events
            .iter()
            .any(|e| e["kind"]["type"] == "unaccepted_record"),
        "{line}"
    );
    // Taken unreported (OpenSSL 3.0, 3.1) or reported (3.2+).
    assert!(
        events.iter().any(|e| {
            let k = &e["kind"];
            k["content_type"] == 20
                && (k["type"] == "unreported_record"
                    || (k["type"] == "message" && k["direction"] == "read"))
        }),
        "{line}"
    );
    // All of it arrived: the HelloRetryRequest's record (its message and
    // a 5-byte header), then the 6 bytes of the compatibility record.
    let hrr = events
        .iter()
        .find(|e| e["kind"]["direction"] == "read" && e["kind"]["handshake_type"] == 2)
        .expect("a HelloRetryRequest");
    let hrr_record = hrr["kind"]["length"].as_u64().expect("length") + 5;
    assert_eq!(
        line["trace"]["bytes_received"].as_u64(),
        Some(hrr_record + 6),
        "{line}"
    );
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "peer_closed", "{d}");
    assert!(
        !d["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("in the middle of"),
        "{d}"
    );
}

/// A change_cipher_spec before any ServerHello is no compatibility record
/// (the version is not settled, though the client offers TLS 1.3): OpenSSL
/// refuses it with unexpected_message, and the record stays in the trace
/// as refused, as `s_client -msg` prints its header alone.
#[test]
fn a_change_cipher_spec_before_the_server_hello_is_refused() {
    let (addr, server) = after_the_hello(|tcp| {
        let _ = tcp.write_all(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
        // Held open: the refusal, not a close, ends the handshake.
        let _ = tcp.read(&mut [0u8; 4096]);
    });
    let out = run(harness(&["probe", &addr, "--format", "json"]));
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let line = &json_lines(&out.stdout)[0];
    let refused = line["trace"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .any(|e| e["kind"]["type"] == "unaccepted_record" && e["kind"]["content_type"] == 20);
    assert!(refused, "{line}");
    assert_eq!(line["diagnosis"]["cause"], "unexpected_message", "{line}");
    server.join().expect("server thread");
}
