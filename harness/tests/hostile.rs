//! The hostile-peer suite, run in full against the in-process traced
//! server and against a `tls-harness serve` process.

mod common;

use std::time::Duration;

use common::{harness, Proc};
use harness::hostile::{self, HostileOptions, InProcessOptions, ReportFormat, Target};

fn check(report: &hostile::HostileReport) {
    let table = report.render(ReportFormat::Table);
    println!("{table}");
    assert!(
        table.ends_with(&format!(
            "{} passed, {} failed\n",
            report.passed, report.failed
        )),
        "the table ends with the summary line"
    );
    let json: serde_json::Value =
        serde_json::from_str(&report.render(ReportFormat::Json)).expect("the JSON report parses");
    assert_eq!(json["cases"].as_array().map(Vec::len), Some(12));
    assert_eq!(report.cases.len(), 12, "every case is reported");
    assert_eq!(report.failed, 0, "{table}");
    // Both targets here are the linked OpenSSL, so the fingerprint must
    // name it, in the table and in the JSON.
    assert_eq!(report.implementation.name, "OpenSSL", "{table}");
    assert!(
        table.contains("\nimplementation: OpenSSL ("),
        "the table names the implementation"
    );
    assert_eq!(json["implementation"]["name"], "OpenSSL");
    assert!(json["implementation"]["basis"]
        .as_array()
        .is_some_and(|b| !b.is_empty()));
}

#[test]
fn hostile_peers_against_the_in_process_server() {
    let target = Target::InProcess(InProcessOptions::default());
    let report = hostile::run(target, &HostileOptions::default()).expect("the suite runs");
    check(&report);
    // Every case was also checked against the server-side trace.
    for c in &report.cases {
        assert!(c.trace.is_some(), "{} has a trace check", c.id);
    }
}

/// A server whose read time-out is far below the suite's idle limit
/// drops a trickling client at it: trickle's bytes come within what
/// slowloris measured, so such a server is not failed for its defence.
#[test]
fn a_short_read_time_out_passes_trickle() {
    let target = Target::InProcess(InProcessOptions {
        read_timeout: Duration::from_millis(300),
        ..InProcessOptions::default()
    });
    let report = hostile::run(target, &HostileOptions::default()).expect("the suite runs");
    check(&report);
}

#[test]
fn hostile_peers_against_tls_harness_serve() {
    let server = Proc::spawn(harness(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--key-type",
        "ecdsa-p256",
        "--timeout",
        "2",
    ]));
    // serve announces "listening on ADDR" on stderr before its first accept.
    let line = Proc::wait_line(
        &server.stderr,
        Duration::from_secs(30),
        "tls-harness serve to announce its address",
        |l| l.starts_with("listening on "),
    );
    let addr = line.trim_start_matches("listening on ").trim().to_string();
    let opts = HostileOptions {
        // serve --timeout 2 drops an idle peer after 2 s.
        idle_limit: Some(Duration::from_secs(4)),
        ..HostileOptions::default()
    };
    let report = hostile::run(Target::Address(addr), &opts).expect("the suite runs");
    check(&report);
    // serve runs TLS over OpenSSL's socket BIO, which reports the end of
    // the stream, so OpenSSL alerts decode_error; the reason given must
    // fit that server, not only the in-process one's stream BIO.
    let truncated = report
        .cases
        .iter()
        .find(|c| c.id == "truncated-client-hello")
        .expect("the case");
    assert!(
        truncated.actual.starts_with("fatal decode_error(50)"),
        "{}",
        truncated.actual
    );
    for c in &report.cases {
        assert!(!c.why.contains("a Rust server"), "{}: {}", c.id, c.why);
    }
    assert!(
        truncated.why.contains("socket BIO does"),
        "{}",
        truncated.why
    );
}

/// A server that serves one connection and stops listening, as
/// `openssl s_server -naccept 1` does, is reported as that: the first
/// probe, an ordinary hello, already found it gone, so the odd probes
/// did not stop it.
#[test]
fn a_server_that_serves_one_connection_is_not_blamed_on_the_probes() {
    use std::net::TcpListener;
    use testkit::pki::{KeyType, Pki};

    let pki = Pki::generate().expect("test PKI");
    let acceptor = pki
        .server(KeyType::EcdsaP256)
        .acceptor()
        .expect("acceptor")
        .build();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let addr = listener.local_addr().expect("address");
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("time-out");
        if let Ok(mut tls) = acceptor.accept(tcp) {
            let mut line = [0u8; 64];
            while matches!(std::io::Read::read(&mut tls, &mut line), Ok(n) if n > 0) {}
        }
        // The listener goes with the thread: nothing listens any more.
    });
    let e = hostile::run(
        Target::Address(addr.to_string()),
        &HostileOptions::default(),
    )
    .expect_err("the suite cannot run");
    server.join().expect("server thread");
    let text = e.to_string();
    assert!(
        matches!(e, hostile::HostileError::ServedOnce { .. }),
        "{text}"
    );
    assert!(
        text.contains("stopped serving right after the first good handshake"),
        "{text}"
    );
    assert!(!text.contains("does not survive"), "{text}");
}

/// A TLS server on 127.0.0.1 that serves one connection at a time, and
/// stops listening after `limit` connections or (as if it crashed) at the
/// first one whose number (from 1) and first byte `crashes` on, which it
/// closes unanswered.
fn stopping_server(limit: usize, crashes: fn(usize, u8) -> bool) -> String {
    let (acceptor, listener, addr) = tls_listener();
    std::thread::spawn(move || {
        for (i, tcp) in listener.incoming().take(limit).enumerate() {
            let Ok(tcp) = tcp else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
            let mut first = [0u8; 1];
            match tcp.peek(&mut first) {
                Ok(1) if crashes(i + 1, first[0]) => return,
                Ok(1) => {}
                _ => continue,
            }
            serve_until_closed(&acceptor, tcp);
        }
    });
    addr
}

/// An ECDSA server's acceptor and a listener on 127.0.0.1, and its address.
fn tls_listener() -> (openssl::ssl::SslAcceptor, std::net::TcpListener, String) {
    use testkit::pki::{KeyType, Pki};

    let pki = Pki::generate().expect("test PKI");
    let acceptor = pki
        .server(KeyType::EcdsaP256)
        .acceptor()
        .expect("acceptor")
        .build();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let addr = listener.local_addr().expect("address").to_string();
    (acceptor, listener, addr)
}

/// Completes the handshake on `tcp` and reads until the client closes.
fn serve_until_closed(acceptor: &openssl::ssl::SslAcceptor, tcp: std::net::TcpStream) {
    if let Ok(mut tls) = acceptor.accept(tcp) {
        let mut line = [0u8; 64];
        while matches!(std::io::Read::read(&mut tls, &mut line), Ok(n) if n > 0) {}
    }
}

/// A server that stops listening on the first case's random bytes, as one
/// that crashes on them: that case fails, and every case after it is
/// reported as not run, not each as a failure of its own.
#[test]
fn the_cases_after_the_server_stopped_are_not_run() {
    // Anything but a TLS handshake record "crashes" it.
    let addr = stopping_server(usize::MAX, |_, first| first != 22);
    let report =
        hostile::run(Target::Address(addr), &HostileOptions::default()).expect("the suite runs");
    let table = report.render(ReportFormat::Table);
    println!("{table}");
    let first = &report.cases[0];
    assert_eq!(first.id, "random-bytes");
    assert!(!first.passed && !first.not_run, "{table}");
    let rest = &report.cases[1..];
    assert!(rest.iter().all(|c| c.not_run && !c.passed), "{table}");
    assert_eq!(
        (report.passed, report.failed, report.not_run),
        (0, 1, rest.len())
    );
    assert_eq!(report.stopped_after.as_deref(), Some("random-bytes"));
    assert!(!report.ok());
    let summary = format!(
        "0 passed, 1 failed, {} not run (the server stopped taking connections after \
         random-bytes)",
        rest.len()
    );
    assert_eq!(report.summary, summary);
    assert!(table.ends_with(&format!("{summary}\n")), "{table}");
    assert_eq!(table.matches("[not run]").count(), rest.len(), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&report.render(ReportFormat::Json)).expect("the JSON report parses");
    assert_eq!(json["not_run"], rest.len());
    assert_eq!(json["stopped_after"], "random-bytes");
    assert_eq!(json["cases"][1]["not_run"], true);
    assert_eq!(json["cases"][1]["passed"], false);
}

/// A server that stops listening once it has served so many connections,
/// the last of them a case it answered, as `openssl s_server -naccept N`
/// does: from outside that looks like a crash on that case's input, so the
/// case fails with both named, not as if the input had surely killed it,
/// and the summary says the server stopped taking connections.
#[test]
fn a_connection_limit_met_on_a_case_names_the_limit_and_a_crash() {
    // The good handshake, the probes, the good handshake after them, then
    // random-bytes, its good client and truncated-client-hello.
    let served = 2 + hostile::fingerprint::Probe::ALL.len() + 3;
    let addr = stopping_server(served, |_, _| false);
    let report =
        hostile::run(Target::Address(addr), &HostileOptions::default()).expect("the suite runs");
    let table = report.render(ReportFormat::Table);
    println!("{table}");
    let last = &report.cases[1];
    assert_eq!(last.id, "truncated-client-hello");
    assert!(!last.passed && !last.not_run, "{table}");
    // Its answer was right: the only problem is the listener gone after it.
    assert_eq!(last.problems.len(), 1, "{table}");
    let problem = &last.problems[0];
    assert!(
        problem.starts_with("the server took no connection after this case (connect: "),
        "{problem}"
    );
    assert!(problem.contains("-naccept"), "{problem}");
    assert!(problem.contains("crashed on this input"), "{problem}");
    assert_eq!(
        report.stopped_after.as_deref(),
        Some("truncated-client-hello")
    );
    let rest = report.cases.len() - 2;
    assert_eq!((report.failed, report.not_run), (1, rest), "{table}");
    assert!(
        report.summary.ends_with(&format!(
            "1 failed, {rest} not run (the server stopped taking connections after \
             truncated-client-hello)"
        )),
        "{}",
        report.summary
    );
}

/// A server that stops once the good handshakes around the probes are
/// done, before the first case connects: no case reached it, so none
/// failed and none ran, and the run still does not pass.
#[test]
fn a_server_gone_before_the_first_case_runs_none() {
    // The good handshake, the probes, the good handshake after them.
    let served = 2 + hostile::fingerprint::Probe::ALL.len();
    let addr = stopping_server(served, |_, _| false);
    let report =
        hostile::run(Target::Address(addr), &HostileOptions::default()).expect("the suite runs");
    let table = report.render(ReportFormat::Table);
    println!("{table}");
    assert!(report.cases.iter().all(|c| c.not_run), "{table}");
    assert_eq!(report.failed, 0, "{table}");
    assert_eq!(
        report.stopped_after.as_deref(),
        Some("the implementation probes")
    );
    assert!(!report.ok());
}

/// A TLS server on 127.0.0.1 that serves one connection at a time until
/// the first bytes of one satisfy `hangs`; from then on it takes every
/// connection and never reads from or answers any, as a deadlocked one
/// does.
fn hanging_server(hangs: fn(&[u8]) -> bool) -> String {
    let (acceptor, listener, addr) = tls_listener();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        let mut hung = false;
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            if hung {
                held.push(tcp);
                continue;
            }
            let _ = tcp.set_read_timeout(Some(Duration::from_millis(500)));
            let mut first = [0u8; 5];
            match tcp.peek(&mut first) {
                Ok(n) if hangs(&first[..n]) => {
                    hung = true;
                    held.push(tcp);
                    continue;
                }
                Ok(n) if n > 0 => {}
                _ => continue,
            }
            serve_until_closed(&acceptor, tcp);
        }
    });
    addr
}

/// A server that hangs on the SSLv2 hello keeps taking connections but
/// answers none: the good client after that case meets silence, so the
/// suite stops there, and the cases after it are not run, not each failed
/// with a diagnosis of its own (a flood "leak", a slowloris time-out).
#[test]
fn a_server_that_hangs_stops_the_suite_as_one_that_stopped_listening() {
    // An SSL 2.0 record header with its top bit set, then CLIENT-HELLO (1)
    // offering version 0x0002 (RFC 6101 appendix E.2).
    let addr = hanging_server(|b| b.len() == 5 && b[0] & 0x80 != 0 && b[2..] == [1, 0, 2]);
    let opts = HostileOptions {
        timeout: Duration::from_secs(1),
        idle_limit: Some(Duration::from_secs(1)),
        flood: 20,
        ..HostileOptions::default()
    };
    let report = hostile::run(Target::Address(addr), &opts).expect("the suite runs");
    let table = report.render(ReportFormat::Table);
    println!("{table}");
    let at = report
        .cases
        .iter()
        .position(|c| c.id == "sslv2-hello")
        .expect("the SSLv2 case");
    assert!(report.cases[..at].iter().all(|c| !c.not_run), "{table}");
    let hung = &report.cases[at];
    assert!(!hung.passed && !hung.not_run, "{table}");
    let rest = &report.cases[at + 1..];
    assert!(
        rest.iter().all(|c| c.not_run && c.problems.is_empty()),
        "{table}"
    );
    assert_eq!(report.not_run, rest.len(), "{table}");
    assert_eq!(report.stopped_after.as_deref(), Some("sslv2-hello"));
    assert!(!report.ok());
    let stopped = format!(
        ", {} not run (the server stopped answering after sslv2-hello)",
        rest.len()
    );
    assert!(report.summary.ends_with(&stopped), "{}", report.summary);
    let json: serde_json::Value =
        serde_json::from_str(&report.render(ReportFormat::Json)).expect("the JSON report parses");
    assert_eq!(json["not_run"], rest.len());
    assert_eq!(json["stopped_after"], "sslv2-hello");
}

/// A server that crashes on the sixth probe's hello takes that connection
/// and closes it unanswered, then nothing listens. A server that serves so
/// many connections only would have answered it, so the report offers a
/// crash on that hello, not a connection limit.
#[test]
fn a_crash_on_a_probe_is_not_offered_as_a_connection_limit() {
    use hostile::fingerprint::Probe;

    // The good handshake, then five probes; the seventh connection is the
    // sixth probe's.
    let addr = stopping_server(usize::MAX, |n, _| n == 7);
    let e = hostile::run(Target::Address(addr), &HostileOptions::default())
        .expect_err("the suite cannot run");
    let text = e.to_string();
    assert!(
        matches!(e, hostile::HostileError::StoppedServing { .. }),
        "{text}"
    );
    let took = format!(
        "it took 7 (the good handshake and 6 probes), closed unanswered the last ({}: ",
        Probe::ALL[5].id()
    );
    assert!(text.contains(&took), "{text}");
    assert!(
        text.contains(&format!("and the probe {} ", Probe::ALL[6].id())),
        "{text}"
    );
    assert!(
        text.contains("; a crash on that last hello does this"),
        "{text}"
    );
    assert!(!text.contains("-naccept 6"), "{text}");
}
