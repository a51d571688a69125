//! `tls-harness scan` against a target whose TLS is never reached: a port
//! that accepts and stays silent, one nothing listens on, one that
//! answers in plaintext. The scan fails, says why, and no row of its
//! report reads as an answer.

mod common;
mod scan_support;

use std::time::Duration;

use common::{harness, run};
use serde_json::Value;

use scan_support::*;

#[test]
fn a_silent_server_times_out() {
    // Accepts TCP and never answers: every probe must end at its time-out.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).expect("nonblocking");
        let until = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < until {
            if let Ok((s, _)) = listener.accept() {
                held.push(s);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.json");
    let o = run(harness(&[
        "scan",
        &addr,
        "--timeout",
        "0.3",
        "--format",
        "json",
        "--out",
        out.to_str().expect("utf-8"),
    ]));
    // Nothing answered: the command fails, and still writes what it saw.
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("no probe got a ServerHello"),
        "{}",
        o.stderr
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report")).expect("json");
    assert!(r["cannot_scan"].is_string(), "{}", r["cannot_scan"]);
    for v in r["findings"]["versions"].as_array().expect("versions") {
        // Silence is no refusal: whether it takes the version is unknown.
        assert_eq!(v["accepted"], "not_testable", "{v}");
        let detail = v["detail"].as_str().unwrap_or_default();
        let id = format!("version/{}", v["version"].as_str().expect("id"));
        if v["version"] == "ssl3" {
            // The scan's own hello: no OpenSSL trace to diagnose.
            assert_eq!(
                detail,
                "no TLS answer, twice: no answer within the time-out"
            );
            assert!(r["probes"][&id]["unanswered"].is_string(), "{id}");
            continue;
        }
        assert!(detail.starts_with("no TLS answer, twice: time-out"), "{v}");
        assert_eq!(diagnosis(&r, &id)["cause"], "timed_out", "{id}");
    }
    drop(hold);
}

#[test]
fn a_port_nothing_listens_on_cannot_be_scanned_nor_pass_a_policy() {
    let closed = common::ports::ClosedPort::new();
    let addr = closed.addr();
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.toml");
    std::fs::write(&policy, "forbid_suites = [\"AES128-SHA\"]\n").expect("policy");
    let o = run(harness(&[
        "scan",
        &addr,
        "--policy",
        policy.to_str().expect("utf-8"),
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stdout);
    assert!(
        o.stderr
            .contains(&format!("cannot scan {addr}: no connection could be made")),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("CANNOT SCAN"), "{}", o.stdout);
    assert!(!o.stdout.contains("policy"), "{}", o.stdout);
    // Nothing was enumerated: no row may read as an answer.
    let dh = o
        .stdout
        .lines()
        .find(|l| l.starts_with("dh "))
        .unwrap_or_default();
    assert!(
        dh.contains("not testable: no suite or group was enumerated"),
        "{}",
        o.stdout
    );
    let alpn = o
        .stdout
        .lines()
        .find(|l| l.starts_with("alpn "))
        .unwrap_or_default();
    assert!(
        alpn.contains("not testable: ") && !alpn.contains("selected none"),
        "{alpn}"
    );
    own_hello_rows_are_unknown(&o.stdout);
    every_probe_diagnosed_as_probe_does(&addr, &[]);
}

/// Each probe record of a scan of `addr` (with `extra`) that reached no
/// handshake carries the diagnosis probe's JSON line gives the same
/// connection, not null: its cause, fault and summary.
fn every_probe_diagnosed_as_probe_does(addr: &str, extra: &[&str]) {
    let mut args = vec!["probe", addr, "--format", "json", "--timeout", "2"];
    args.extend(extra);
    let line: Value = serde_json::from_str(run(harness(&args)).stdout.trim()).expect("a line");
    let expected = &line["diagnosis"];
    assert!(expected["cause"].is_string(), "{line:#}");
    let mut args = vec!["scan", addr, "--format", "json", "--timeout", "2"];
    args.extend(extra);
    let report: Value = serde_json::from_str(&run(harness(&args)).stdout).expect("scan JSON");
    let probes = report["probes"].as_object().expect("probes");
    assert!(!probes.is_empty(), "{report:#}");
    for (id, record) in probes {
        let d = &record["diagnosis"];
        for field in ["cause", "fault", "summary"] {
            assert_eq!(d[field], expected[field], "{id}: {record:#}");
        }
    }
}

/// The rows the scan's own hellos ask, which no version reached: unknown,
/// not "no version accepted".
fn own_hello_rows_are_unknown(table: &str) {
    for row in [
        "compression ",
        "heartbeat ",
        "weaknesses       CRIME",
        "weaknesses       Heartbleed",
    ] {
        let line = table
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no {row:?} row: {table}"));
        assert!(line.contains("not testable: "), "{line}");
    }
}

/// A server that answers every ClientHello with a handshake_failure alert
/// speaks TLS: the scan says so, rather than asking whether the port is a
/// TLS service.
#[test]
fn a_server_refusing_every_hello_is_named_a_tls_server() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut hello = [0u8; 5];
                if s.read_exact(&mut hello).is_ok() {
                    // alert(21), TLS 1.2, length 2: fatal(2) handshake_failure(40)
                    let _ = s.write_all(&[21, 3, 3, 0, 2, 2, 40]);
                }
            });
        }
    });
    let o = run(harness(&["scan", &addr, "--timeout", "2"]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("the server answers in TLS but refused every ClientHello"),
        "{}",
        o.stderr
    );
    assert!(
        !o.stderr.contains("is this port a TLS service"),
        "{}",
        o.stderr
    );
    own_hello_rows_are_unknown(&o.stdout);
}

/// A server that answers every ClientHello with a ServerHello carrying one
/// extension twice, which OpenSSL refuses (RFC 8446 section 4.2): the port
/// speaks TLS, and the scan names the refused ServerHello rather than
/// saying none came or asking whether the port is a TLS service.
#[test]
fn a_server_whose_every_server_hello_is_refused_is_named_a_tls_server() {
    use std::io::{Read, Write};
    const RENEGOTIATION_INFO: u16 = 0xff01;
    let [hi, lo] = RENEGOTIATION_INFO.to_be_bytes();
    let ext = [hi, lo, 0, 1, 0];
    let mut body = vec![3, 3];
    body.extend([0x11; 32]); // random
    body.push(0); // no session id
    body.extend([0xc0, 0x2f, 0]); // ECDHE-RSA-AES128-GCM-SHA256, no compression
    body.extend([0, 2 * ext.len() as u8]);
    body.extend(ext.repeat(2));
    let mut hello = vec![2, 0, 0, body.len() as u8];
    hello.extend(body);
    let mut record = vec![22, 3, 3, 0, hello.len() as u8];
    record.extend(hello);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let record = record.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                if s.read(&mut [0u8; 16 * 1024]).is_ok_and(|n| n > 0) {
                    let _ = s.write_all(&record);
                    let _ = s.read(&mut [0u8; 64]);
                }
            });
        }
    });
    let o = run(harness(&["scan", &addr, "--timeout", "2"]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    let why = o
        .stderr
        .split_once(
            "no probe completed a handshake: the server answered with a ServerHello OpenSSL \
             refused (",
        )
        .map(|(_, why)| why)
        .unwrap_or_else(|| panic!("{}", o.stderr));
    assert!(
        why.contains(&RENEGOTIATION_INFO.to_string()),
        "the repeated extension: {why}"
    );
    for wrong in ["no probe got a ServerHello", "is this port a TLS service"] {
        assert!(!o.stderr.contains(wrong), "{}", o.stderr);
    }
}

/// `scan --starttls smtp` against a mail server that lists no STARTTLS:
/// every connection is made, none reaches TLS, and the scan says that
/// rather than that no connection could be made.
#[test]
fn a_server_that_never_switches_to_tls_is_named_so() {
    let addr = scripted(&[b"220 mail ESMTP\r\n", b"250-mail\r\n250 SIZE 1000\r\n"]);
    let o = run(harness(&[
        "scan",
        &addr,
        "--starttls",
        "smtp",
        "--timeout",
        "2",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stdout);
    assert!(
        o.stderr
            .contains("every connection was made, but the server switched none to TLS"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("does not offer STARTTLS"), "{}", o.stderr);
    every_probe_diagnosed_as_probe_does(&addr, &["--starttls", "smtp"]);
}

/// `scan --starttls smtp` against a server that resets each connection
/// before its greeting (SO_LINGER 0): every probe record carries probe's
/// diagnosis of that reset, the one a reset at connect gets, not a failed
/// STARTTLS.
#[test]
fn a_reset_before_the_greeting_is_diagnosed_as_probe_does() {
    let addr = common::serve_each(|tcp| {
        std::thread::sleep(Duration::from_millis(100));
        let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
    });
    every_probe_diagnosed_as_probe_does(&addr, &["--starttls", "smtp"]);
    let reset = openssl_handshake::Diagnosis::reset_at_connect("").summary;
    let line: Value = serde_json::from_str(
        run(harness(&[
            "probe",
            &addr,
            "--starttls",
            "smtp",
            "--format",
            "json",
        ]))
        .stdout
        .trim(),
    )
    .expect("a line");
    assert_eq!(line["diagnosis"]["summary"], reset.as_str(), "{line:#}");
}

/// A plaintext service (here one answering every request with an HTTP
/// error) refuses no TLS version: OpenSSL's "wrong version number" is its
/// reading of the text's first bytes as a record header. Each version row
/// is unknown and names the text, and none reads as a refusal.
#[test]
fn a_plaintext_service_refuses_no_version() {
    use std::io::{Read, Write};
    let addr = common::serve_each(|mut c| {
        let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = c.read(&mut [0u8; 512]);
        let _ = c.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
    });
    let o = run(harness(&["scan", &addr, "--timeout", "2"]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stdout);
    assert!(o.stdout.contains("CANNOT SCAN"), "{}", o.stdout);
    for v in ["TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"] {
        let row = o
            .stdout
            .lines()
            .find(|l| l.starts_with("versions ") && l.contains(&format!(" {v} ")))
            .unwrap_or_else(|| panic!("no {v} row: {}", o.stdout));
        assert!(
            row.contains("not testable: ") && row.contains("answered in text (\"HTTP/\")"),
            "{row}"
        );
    }
}

/// An SMTP server that delays its greeting past `--timeout` (as Postfix's
/// postscreen does, by 6 s) refuses nothing: the scan says every
/// exchange ran out of time and asks for a longer --timeout, not whether
/// the server offers STARTTLS.
#[test]
fn a_greeting_slower_than_the_timeout_asks_for_a_longer_one() {
    use std::io::{Read, Write};
    let addr = common::serve_each(|mut c| {
        std::thread::sleep(Duration::from_secs(3));
        let _ = c.write_all(b"220 mail ESMTP\r\n");
        let _ = c.read(&mut [0u8; 512]);
    });
    let o = run(harness(&[
        "scan",
        &addr,
        "--starttls",
        "smtp",
        "--timeout",
        "1",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stdout);
    assert!(
        o.stderr.contains("each STARTTLS exchange ran out of time")
            && o.stderr.contains("needs a longer --timeout"),
        "{}",
        o.stderr
    );
    assert!(!o.stderr.contains("does it offer STARTTLS"), "{}", o.stderr);
}
