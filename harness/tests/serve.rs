//! `tls-harness serve` as a real server: connections served at once, each
//! with its own time-outs, a limit on how many, JSON Lines output, and
//! time-outs on `--once`.

mod common;
mod serve_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use common::{Proc, LIMIT};
use harness::hostile::{self, HostileOptions};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use serde_json::Value;
use serve_support::{ecdsa_files, serve};

fn connect(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("time-out");
    tcp.set_write_timeout(Some(Duration::from_secs(10)))
        .expect("time-out");
    tcp
}

/// A complete handshake, a line of data and close_notify; returns the
/// client's own address.
fn good_client(addr: SocketAddr) -> Result<SocketAddr, String> {
    let mut b = SslConnector::builder(SslMethod::tls()).map_err(|e| e.to_string())?;
    b.set_verify(SslVerifyMode::NONE);
    let tcp = connect(addr);
    let local = tcp.local_addr().map_err(|e| e.to_string())?;
    let mut tls = b
        .build()
        .connect("localhost", tcp)
        .map_err(|e| e.to_string())?;
    tls.write_all(b"hello\n").map_err(|e| e.to_string())?;
    let _ = tls.shutdown();
    Ok(local)
}

/// Waits until the server closes `tcp` (end of file or reset); how long
/// it took, or `None` when it is still open at `limit`.
fn closed_within(tcp: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    tcp.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("time-out");
    while start.elapsed() < limit {
        match tcp.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

/// The JSON line serve printed for the connection from `peer`.
fn line_for(server: &Proc, peer: SocketAddr) -> Value {
    let peer = peer.to_string();
    let line = Proc::wait_line(&server.stdout, LIMIT, "the connection's JSON line", |l| {
        let v: Value = serde_json::from_str(l)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l:?}"));
        v["peer"] == peer.as_str()
    });
    serde_json::from_str(&line).expect("parsed above")
}

fn check_timestamps(line: &Value, before: SystemTime) {
    for key in ["timestamp", "ended"] {
        let text = line[key].as_str().expect("a timestamp");
        assert!(text.ends_with('Z'), "{key} in UTC: {text}");
        let t = humantime::parse_rfc3339(text).expect("RFC 3339");
        assert!(
            t >= before - Duration::from_millis(1) && t <= SystemTime::now(),
            "{key} {text} is the time of the run"
        );
    }
    let start = humantime::parse_rfc3339(line["timestamp"].as_str().unwrap_or_default());
    let end = humantime::parse_rfc3339(line["ended"].as_str().unwrap_or_default());
    assert!(start.ok() <= end.ok(), "accepted before it ended: {line}");
}

/// The hostile suite's trickle case: an idle client and one trickling its
/// ClientHello must not keep a good client waiting. Against a server that
/// serves one connection at a time, the good client waits behind the idle
/// one for the whole read time-out (5 s) and its own 5 s time-out ends it.
#[test]
fn slow_clients_do_not_delay_a_good_one() {
    let (_server, addr) = serve(&["--timeout", "5"]);
    let opts = HostileOptions {
        // A byte every 2 s, inside serve's 5 s read time-out.
        idle_limit: Some(Duration::from_secs(8)),
        ..HostileOptions::default()
    };
    let result = hostile::trickle::run(&addr.to_string(), &opts).expect("the case runs");
    assert!(result.passed, "{result:#?}");
    assert!(result.actual.contains("still open"), "{}", result.actual);
}

/// A client that sends a byte every half second never trips the 5 s read
/// time-out; the 2 s handshake deadline ends it.
#[test]
fn the_handshake_deadline_ends_a_trickling_client() {
    let (server, addr) = serve(&common::TRICKLE_LIMITS);
    let mut tcp = connect(addr);
    let local = tcp.local_addr().expect("local address");
    let mut writer = tcp.try_clone().expect("clone");
    let trickle = std::thread::spawn(move || {
        // A record header announcing a 512-byte ClientHello, then its body
        // a byte at a time: far more bytes than the deadline lets through.
        let mut bytes = vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc];
        bytes.resize(5 + 512, 0);
        common::trickle(&mut writer, &bytes, Duration::from_millis(500));
    });
    assert!(
        closed_within(&mut tcp, LIMIT).is_some(),
        "serve kept the trickling connection open for {LIMIT:?}"
    );
    let line = line_for(&server, local);
    assert_eq!(line["succeeded"], false);
    let error = line["error"].as_str().expect("an error");
    assert!(error.contains("--handshake-timeout"), "{error}");
    assert_eq!(line["diagnosis"]["cause"], "timed_out", "{line}");
    // The client never closed: whether the limit fired in a socket wait
    // (OpenSSL would retry) or refused one (OpenSSL reads an end of file),
    // the trace failed for the limit.
    let outcome = &line["trace"]["outcome"];
    assert_eq!(outcome["status"], "failed", "{outcome}");
    let reason = outcome["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("this end stopped waiting: ") && reason.contains("--handshake-timeout"),
        "{outcome}"
    );
    drop(tcp);
    let _ = trickle.join();
}

/// With --max-connections 1, a second connection is closed at once while
/// the first is open, and served once the first has gone.
#[test]
fn max_connections_closes_the_connection_over_the_limit() {
    let (server, addr) = serve(&[
        "--max-connections",
        "1",
        "--timeout",
        "30",
        "--format",
        "json",
    ]);
    let held = connect(addr);
    // serve accepts in order, so the held connection has the only worker
    // by the time the next one is accepted.
    let mut extra = connect(addr);
    let extra_local = extra.local_addr().expect("local address");
    assert!(
        closed_within(&mut extra, Duration::from_secs(20)).is_some(),
        "the connection over the limit was not closed before the held one's 30 s time-out"
    );
    let refused = line_for(&server, extra_local);
    assert_eq!(refused["succeeded"], false);
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("refused")),
        "{refused}"
    );
    // Said once, in the JSON line: not again on stderr.
    let stderr = Proc::drain(&server.stderr);
    assert!(
        !stderr.iter().any(|l| l.starts_with("refused ")),
        "{stderr:?}"
    );
    let held_local = held.local_addr().expect("local address");
    drop(held);
    // Its line says serve is done with it, so its worker is free.
    line_for(&server, held_local);
    let local = good_client(addr).expect("served once the held connection closed");
    assert_eq!(line_for(&server, local)["succeeded"], true);
}

/// `serve --format json`: one JSON object per line, each with the peer and
/// RFC 3339 UTC times.
#[test]
fn json_lines_name_the_peer_and_the_time() {
    let before = SystemTime::now();
    let (server, addr) = serve(&["--format", "json"]);
    let good = good_client(addr).expect("good handshake");
    let line = line_for(&server, good);
    assert_eq!(line["succeeded"], true);
    // Its close_notify, or a reset when it closed with tickets unread.
    let closed = line["closed"].as_str().unwrap_or_default();
    assert!(
        closed.starts_with("by the client") || closed.contains("reset"),
        "{line}"
    );
    assert_eq!(line["trace"]["side"], "server");
    // A client not asked for a certificate was not verified: OpenSSL's
    // X509_V_OK then "does not indicate success" (SSL_get_verify_result).
    let n = &line["trace"]["negotiated"];
    assert!(n["verify"].is_null(), "{n}");
    check_timestamps(&line, before);

    // Not TLS at all: a failed handshake, still one line.
    let mut bad = connect(addr);
    let bad_local = bad.local_addr().expect("local address");
    bad.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("write");
    closed_within(&mut bad, LIMIT);
    let line = line_for(&server, bad_local);
    assert_eq!(line["succeeded"], false);
    assert!(line["error"].is_string(), "{line}");
    assert_eq!(
        line["diagnosis"]["cause"], "plaintext_to_tls_port",
        "{line}"
    );
    check_timestamps(&line, before);
}

/// A client that completes its handshake and then says nothing is closed
/// at `--timeout`, and the summary says this server closed it, and why.
#[test]
fn an_idle_client_is_closed_and_told_apart() {
    let (server, addr) = serve(&["--timeout", "1", "--format", "summary"]);
    let mut b = SslConnector::builder(SslMethod::tls()).expect("connector");
    b.set_verify(SslVerifyMode::NONE);
    let mut tls = b
        .build()
        .connect("localhost", connect(addr))
        .expect("handshake");
    let mut buf = [0u8; 64];
    // Tickets first, then the server's close_notify once it gives up.
    while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
    Proc::wait_line(&server.stdout, LIMIT, "the close line", |l| {
        l == "server: connection closed by this server: the client sent nothing for 1 s (--timeout)"
    });
}

/// A client that sends the first bytes of a record header and stops: it
/// did send something, which the report says, as probe says it of a
/// server.
#[test]
fn a_client_stalling_inside_a_record_header_did_send_something() {
    let (server, addr) = serve(&["--timeout", "1", "--format", "summary"]);
    let sent = [0x16, 0x03, 0x01];
    let mut tcp = connect(addr);
    tcp.write_all(&sent).expect("part of a header");
    let expected = format!(
        "the client sent {} bytes but no whole message, then nothing within 1 s (--timeout)",
        sent.len()
    );
    Proc::wait_line(&server.stdout, LIMIT, "the stall's line", |l| {
        l.ends_with(&expected)
    });
}

/// A client that offers only TLS 1.0 (and lets its security level allow
/// it) against a server told to accept TLS 1.2 and up: the handshake fails
/// with no version in common.
fn tls1_only_client(addr: SocketAddr) -> SocketAddr {
    let mut b = SslConnector::builder(SslMethod::tls()).expect("connector");
    b.set_verify(SslVerifyMode::NONE);
    b.set_security_level(0);
    b.set_cipher_list("DEFAULT@SECLEVEL=0")
        .expect("cipher list");
    b.set_min_proto_version(Some(SslVersion::TLS1))
        .expect("min version");
    b.set_max_proto_version(Some(SslVersion::TLS1))
        .expect("max version");
    let tcp = connect(addr);
    let local = tcp.local_addr().expect("local address");
    let result = b.build().connect("localhost", tcp);
    assert!(
        result.is_err(),
        "a TLS 1.0 handshake with --min-version tls1_2"
    );
    local
}

/// The server's diagnosis of that client, in JSON and in the summary.
#[test]
fn a_tls1_only_client_is_diagnosed() {
    let (server, addr) = serve(&["--min-version", "tls1_2", "--format", "json"]);
    let line = line_for(&server, tls1_only_client(addr));
    assert_eq!(line["succeeded"], false);
    let d = &line["diagnosis"];
    assert_eq!(d["cause"], "no_shared_version", "{d}");
    assert!(d["fix"].as_str().is_some_and(|f| !f.is_empty()), "{d}");
    let evidence = |source: &str| common::evidence(d, source);
    // What each side was set to: the server's --min-version, the
    // client's one version.
    assert_eq!(evidence("local.min_version"), Some("TLS 1.2".into()), "{d}");
    assert_eq!(
        evidence("ClientHello.legacy_version"),
        Some("TLS 1.0".into()),
        "{d}"
    );

    let (server, addr) = serve(&["--min-version", "tls1_2", "--format", "summary"]);
    let peer = tls1_only_client(addr).to_string();
    Proc::wait_line(&server.stdout, LIMIT, "the connection's summary", |l| {
        l.ends_with(&format!("peer={peer}"))
    });
    let diagnosis = Proc::wait_line(&server.stdout, LIMIT, "its diagnosis", |l| {
        l.trim_start().starts_with("diagnosis: ")
    });
    assert!(
        diagnosis
            .trim_start()
            .starts_with("diagnosis: no_shared_version (fault: "),
        "{diagnosis}"
    );

    // OpenSSL's lines alone on stdout; the failure and why on stderr.
    let (server, addr) = serve(&["--min-version", "tls1_2"]);
    let peer = tls1_only_client(addr).to_string();
    Proc::wait_line(&server.stderr, LIMIT, "the failure", |l| {
        l.starts_with(&format!("{peer}: handshake failed"))
    });
    let diagnosis = Proc::wait_line(&server.stderr, LIMIT, "its diagnosis", |l| {
        l.starts_with("  diagnosis: ")
    });
    assert!(
        diagnosis.starts_with("  diagnosis: no_shared_version (fault: "),
        "{diagnosis}"
    );
}

/// `--once` serves one connection and exits with its result; with no
/// client it gives up after --accept-timeout. Without it, the exit says
/// whether every connection worked.
#[test]
fn once_has_an_accept_time_out() {
    let (mut server, _) = serve(&["--once", "--accept-timeout", "1"]);
    let status = server.wait(LIMIT);
    // A time-out's code, not a usage error's.
    assert_eq!(status.code(), Some(4));
    let stderr = Proc::drain(&server.stderr).join("\n");
    assert!(
        stderr.contains("no client connected within 1 s"),
        "{stderr}"
    );

    let (mut server, addr) = serve(&["--once"]);
    good_client(addr).expect("good handshake");
    assert!(server.wait(LIMIT).success());

    // Without --once, the exit at --accept-timeout judges every connection.
    for bad in [false, true] {
        let (mut server, addr) = serve(&["--accept-timeout", "2"]);
        good_client(addr).expect("good handshake");
        if bad {
            let mut tcp = connect(addr);
            tcp.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("write");
            closed_within(&mut tcp, LIMIT);
        }
        assert_eq!(
            server.wait(LIMIT).code(),
            Some(i32::from(bad)),
            "bad: {bad}"
        );
    }
}

/// s_client against `addr` with its stdin held open for a moment after
/// the handshake, so that the server's tickets arrive before it sends
/// close_notify.
fn s_client(addr: &str, root: &str) {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-CAfile", root])
        .args(["-servername", "localhost"]);
    common::s_client_held(cmd, Duration::from_secs(1));
}

/// The whole `-state` output of one connection, close_notify both ways
/// included, equals `openssl s_server -state` for the same client.
#[test]
fn state_log_equals_s_server_to_the_close() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    let (chain, key, root) = ecdsa_files(&dir);

    let (mut reference, reference_addr) = common::s_server(&[
        "-state",
        "-naccept",
        "1",
        "-cert",
        &chain,
        "-chainCAfile",
        &chain,
        "-key",
        &key,
    ]);
    s_client(&reference_addr, &root);
    reference.wait(LIMIT);
    // -state goes to stderr, among s_server's other messages.
    let expected: Vec<String> = Proc::drain(&reference.stderr)
        .into_iter()
        .filter(|l| l.starts_with("SSL_accept:") || l.starts_with("SSL3 alert "))
        .collect();
    assert!(
        expected.contains(&"SSL3 alert write:warning:close notify".to_string()),
        "{expected:#?}"
    );

    let (mut server, addr) = serve(&["--once", "--cert", &chain, "--key", &key]);
    s_client(&addr.to_string(), &root);
    assert!(server.wait(LIMIT).success());
    assert_eq!(Proc::drain(&server.stdout), expected);
}

/// Sends an HTTP GET over TLS to `addr` and reads the response to the
/// server's close.
fn http_get(addr: &str) -> String {
    let mut b = SslConnector::builder(SslMethod::tls()).expect("connector");
    b.set_verify(SslVerifyMode::NONE);
    let tcp = connect(addr.parse().expect("an address"));
    let mut tls = b.build().connect("localhost", tcp).expect("handshake");
    tls.write_all(b"GET / HTTP/1.0\r\n\r\n").expect("request");
    let mut response = Vec::new();
    tls.read_to_end(&mut response)
        .expect("response to the close");
    String::from_utf8(response).expect("text")
}

/// `--www` answers a GET with the connection's trace: its `-state` lines
/// are those `openssl s_server -www -state` prints for the same request.
#[test]
fn www_answers_with_the_trace() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    let (chain, key, _) = ecdsa_files(&dir);
    let identity = ["-cert", &chain, "-chainCAfile", &chain, "-key", &key];
    let (mut reference, reference_addr) =
        common::s_server(&[&["-www", "-state", "-naccept", "1"][..], &identity].concat());
    let reference_page = http_get(&reference_addr);
    reference.wait(LIMIT);
    assert!(
        reference_page.starts_with("HTTP/1.0 200 ok"),
        "{reference_page}"
    );
    let expected = common::lines_with(&Proc::drain(&reference.stderr).join("\n"), "SSL_accept:");
    assert!(expected.len() > 5, "{expected:#?}");

    let (mut server, addr) = serve(&["--once", "--www", "--cert", &chain, "--key", &key]);
    let page = http_get(&addr.to_string());
    assert!(server.wait(LIMIT).success());
    let (head, body) = page.split_once("\r\n\r\n").expect("a response head");
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(
        head.contains(&format!("Content-Length: {}\r\n", body.len())),
        "{head}"
    );
    assert!(body.starts_with("server: TLSv1.3 "), "{body}");
    assert_eq!(common::lines_with(body, "SSL_accept:"), expected);
    assert!(
        body.contains("<<< TLS 1.3, Handshake"),
        "the message log: {body}"
    );
}

/// Out of file descriptors, the server cannot accept: clients wait in the
/// backlog, and the operator is told why on stderr.
#[test]
fn running_out_of_descriptors_is_reported() {
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", common::BIN])
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--key-type",
            "ecdsa-p256",
        ])
        .args(["--max-connections", "4096"]);
    let p = Proc::spawn(cmd);
    let line = Proc::wait_line(&p.stderr, LIMIT, "serve's address", |l| {
        l.starts_with("listening on ")
    });
    let addr: SocketAddr = line
        .trim_start_matches("listening on ")
        .trim()
        .parse()
        .expect("an address");
    // More idle connections than the 64 descriptors allow.
    let held: Vec<TcpStream> = (0..100).map(|_| connect(addr)).collect();
    let warning = Proc::wait_line(&p.stderr, LIMIT, "the accept warning", |l| {
        l.contains("cannot accept a connection")
    });
    assert!(warning.contains("Too many open files"), "{warning}");
    drop(held);
}

/// `--listen` is bound before the test PKI is generated (a second or so):
/// an address in use is told first. With no temporary directory for the
/// generated PKI (TMPDIR names none), the bind's error comes, not that
/// directory's.
#[test]
fn an_address_in_use_is_told_before_the_pki_is_made() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = common::harness(&["serve", "--listen", &addr, "--once"]);
    c.env("TMPDIR", dir.path().join("no-such-dir"));
    let o = common::refused(c, &[&format!("listening on {addr}: ")]);
    assert!(!o.stderr.contains("no-such-dir"), "{}", o.stderr);
}
