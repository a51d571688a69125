//! A server that stops answering part-way through a scan (a rate limit,
//! a full backlog, a load balancer dropping connections) must not pass a
//! policy it fails: a probe that got no answer, even on a retry, is
//! neither a yes nor a no. The server here is `openssl s_server` behind a
//! proxy that passes on the first connections and holds every later one
//! open in silence.

mod common;
mod scan_support;

use std::io;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{harness, run, write_pki};
use serde_json::Value;

use scan_support::hello_proxy::{hello_proxy, offers_tls13, pipe_both, HelloAction};
use scan_support::*;

/// Connections the stalling proxy passes on: the scan's first round (the
/// base and default-client probes and one per version, SSLv2's and SSLv3's
/// with hellos of the scan's own).
const ANSWERED: usize = 8;

/// What the proxy does with its `n`th connection (from 1).
#[derive(Clone, Copy)]
enum Action {
    Pass,
    /// Hold it open, reading nothing.
    Stall,
    /// Close it at once, as a middlebox dropping it would.
    Drop,
}

/// Passes the first `ANSWERED` connections on to `upstream`; holds the
/// rest open, reading nothing, until the test ends.
fn stalling_proxy(upstream: String, stop: Arc<AtomicBool>) -> String {
    proxy(upstream, stop, |n| {
        if n <= ANSWERED {
            Action::Pass
        } else {
            Action::Stall
        }
    })
}

/// Runs `act` on each connection, passing some on to `upstream`.
fn proxy(upstream: String, stop: Arc<AtomicBool>, act: fn(usize) -> Action) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    listener.set_nonblocking(true).expect("nonblocking");
    thread::spawn(move || {
        let mut held = Vec::new();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((client, _)) => {
                    n += 1;
                    client.set_nonblocking(false).expect("blocking");
                    match act(n) {
                        Action::Pass => pipe(client, &upstream),
                        Action::Stall => held.push(client),
                        Action::Drop => drop(client),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    });
    addr
}

fn pipe(client: TcpStream, upstream: &str) {
    let server = TcpStream::connect(upstream).expect("upstream");
    pipe_both(client, server);
}

#[test]
fn a_server_that_stops_answering_does_not_pass_a_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, upstream) = s_server(d, &[]);
    // The reference: the server takes AES128-SHA at TLS 1.2, a suite
    // Mozilla's intermediate configuration leaves out.
    let mut c = Command::new("openssl");
    c.args([
        "s_client",
        "-connect",
        &upstream,
        "-tls1_2",
        "-cipher",
        "AES128-SHA",
    ]);
    let o = run(c);
    assert!(o.stdout.contains("Cipher is AES128-SHA"), "{}", o.stdout);

    let stop = Arc::new(AtomicBool::new(false));
    let addr = stalling_proxy(upstream, stop.clone());
    let out = d.join("scan.json");
    let (root, out_s) = (p(d, "root.pem"), p(d, "scan.json"));
    let o = run(harness(&[
        "scan",
        &addr,
        "--servername",
        "localhost",
        "--cafile",
        &root,
        "--timeout",
        "1",
        "--policy",
        "mozilla-intermediate",
        "--format",
        "json",
        "--out",
        &out_s,
    ]));
    stop.store(true, Ordering::Relaxed);
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    assert!(
        o.stderr.contains("incomplete") && o.stderr.contains("allowed_suites"),
        "{}",
        o.stderr
    );
    // It names the unanswered probes the unverified rules rest on, not
    // those no rule reads (SNI).
    assert!(
        o.stderr.contains("suites/tls1_2/1") && !o.stderr.contains("sni/"),
        "{}",
        o.stderr
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report")).expect("JSON");
    // The first round was answered: both versions are taken.
    for v in ["tls1_2", "tls1_3"] {
        assert_eq!(version(&r, v)["accepted"], "yes", "{}", version(&r, v));
    }
    // Everything after went unanswered, each probe tried twice.
    let silent = r["findings"]["unanswered"].as_object().expect("unanswered");
    assert!(silent.contains_key("suites/tls1_2/1"), "{silent:?}");
    // An enumeration cut short by silence is no "none".
    let sigalgs = r["findings"]["sigalgs"].as_array().expect("sigalgs");
    assert_eq!(sigalgs.len(), 2, "{sigalgs:?}");
    for s in sigalgs {
        assert_eq!(s["cut_short"], true, "{s}");
    }
    let first = &r["probes"]["suites/tls1_2/1"];
    assert!(first["retried_after"].is_string(), "{first}");
    assert!(first["unanswered"].is_string(), "{first}");
    let rules = r["policy"]["rules"].as_array().expect("rules");
    assert_eq!(rule(&r, "allowed_suites")["outcome"], "unverified");
    assert!(rules.iter().all(|x| x["outcome"] != "fail"), "{rules:?}");
    // The chain came from an answered probe, but those asking for the
    // server's other certificates went unanswered: one of them might fail
    // the rule.
    let rsa = rule(&r, "min_rsa_bits");
    assert_eq!(rsa["outcome"], "unverified", "{rsa}");
    assert!(
        strings(&rsa["probes"]).contains(&"chain/ecdsa".to_owned()),
        "{rsa}"
    );
}

/// A middlebox dropping every other connection: each dropped probe is
/// made again, so the scan sees what the server takes and the policy
/// fails as it does on the server itself.
#[test]
fn connections_dropped_now_and_then_are_retried() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, upstream) = s_server(d, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let addr = proxy(upstream, stop.clone(), |n| {
        if n % 2 == 0 {
            Action::Drop
        } else {
            Action::Pass
        }
    });
    let (root, out) = (p(d, "root.pem"), p(d, "scan.json"));
    let o = run(harness(&[
        "scan",
        &addr,
        "--servername",
        "localhost",
        "--cafile",
        &root,
        "--jobs",
        "1",
        "--policy",
        "mozilla-intermediate",
        "--format",
        "json",
        "--out",
        &out,
    ]));
    stop.store(true, Ordering::Relaxed);
    assert_eq!(o.status.code(), Some(1), "{}", o.stderr);
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("scan.json")).expect("report"))
            .expect("JSON");
    for v in ["tls1_2", "tls1_3"] {
        assert_eq!(version(&r, v)["accepted"], "yes", "{}", version(&r, v));
    }
    let probes = r["probes"].as_object().expect("probes");
    assert!(
        probes.values().any(|p| p["retried_after"].is_string()),
        "no probe was retried"
    );
    let suites = rule(&r, "allowed_suites");
    assert_eq!(suites["outcome"], "fail", "{suites}");
    assert!(
        suites["detail"]
            .as_str()
            .is_some_and(|t| t.contains("AES128-SHA")),
        "{suites}"
    );
}

/// A server (or a middlebox before it) that never answers a TLS 1.3
/// hello: what rests on TLS 1.3 is not known, so its checks are not
/// testable, not "n/a: TLS 1.3 is not accepted".
#[test]
fn checks_resting_on_an_unanswered_version_are_not_testable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, upstream) = s_server(d, &[]);
    let addr = hello_proxy(upstream, |hello| match offers_tls13(hello) {
        Some(false) => HelloAction::Pass,
        _ => HelloAction::Hold,
    });
    let root = p(d, "root.pem");
    let o = run(harness(&[
        "scan",
        &addr,
        "--servername",
        "localhost",
        "--cafile",
        &root,
        "--timeout",
        "1",
        "--format",
        "json",
    ]));
    let r: Value = serde_json::from_str(&o.stdout).expect("JSON");
    assert_eq!(version(&r, "tls1_2")["accepted"], "yes");
    assert_eq!(version(&r, "tls1_3")["accepted"], "not_testable");
    let psk = resumption(&r, "psk");
    let early = &r["findings"]["early_data"];
    for (f, verdict) in [(psk, &psk["resumed"]), (early, &early["offered"])] {
        assert_eq!(verdict, "not_testable", "{f}");
        assert_eq!(
            f["detail"], "whether the server accepts TLS 1.3 is unknown",
            "{f}"
        );
        assert!(strings(&f["probes"]).contains(&"version/tls1_3".to_owned()));
    }
    // What rests on TLS 1.2 alone is still judged.
    let session_id = resumption(&r, "session_id");
    assert_eq!(session_id["resumed"], "yes", "{session_id}");
}
