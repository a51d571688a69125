//! `tls-harness scan` reads what a server's TLS 1.3 tickets allow of early
//! data (0-RTT) as `openssl s_client` prints it after a ticket arrives
//! ("Max Early Data: N"): none from `openssl s_server` and gnutls-serv by
//! default, 16384 bytes from `s_server -early_data` and gnutls-serv
//! `--earlydata`. The policy rule `forbid_early_data` fails only those.

mod common;
mod scan_support;

use std::process::Command;
use std::time::Duration;

use common::write_pki;
use harness::case::Version;
use harness::scan::{resumption, Verdict};
use openssl_handshake::decode::HandshakeType;
use scan_support::one_hello;
use scan_support::*;

/// The largest "Max Early Data" s_client prints for the tickets `addr`
/// sends at TLS 1.3.
fn s_client_max_early_data(addr: &str) -> u32 {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-tls1_3"]);
    let out = common::s_client_held(c, Duration::from_secs(1)).stdout;
    out.iter()
        .filter_map(|l| l.trim().strip_prefix("Max Early Data: "))
        .map(|n| n.parse().expect("a number"))
        .max()
        .unwrap_or_else(|| panic!("no ticket's Max Early Data from s_client: {out:?}"))
}

/// `openssl s_server -early_data` with the RSA leaf and its intermediate,
/// plus `extra`. Without -www, which -early_data excludes, it serves one
/// connection at a time.
fn s_server_early_data(d: &std::path::Path, extra: &[&str]) -> (common::Proc, String) {
    let (c, k) = (p(d, "server-rsa2048.crt"), p(d, "server-rsa2048.key"));
    let chain = p(d, "intermediate.pem");
    let args = [
        "-cert",
        &c,
        "-key",
        &k,
        "-cert_chain",
        &chain,
        "-early_data",
    ];
    common::s_server(&[&args[..], extra].concat())
}

#[test]
fn early_data_is_read_as_s_client_prints_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("early.toml");
    std::fs::write(&policy, "forbid_early_data = true\n").expect("policy");
    // s_server -early_data serves one connection at a time.
    let policy = [
        "--policy",
        policy.to_str().expect("utf-8 path"),
        "--jobs",
        "1",
    ];
    let (_plain, plain) = s_server(d, &[]);
    let (_early, early) = s_server_early_data(d, &[]);
    let (_gnutls, gnutls_plain) = common::gnutls_leaf(d, "server-rsa2048", &[]);
    let (_gnutls_early, gnutls_early) = common::gnutls_leaf(d, "server-rsa2048", &["--earlydata"]);
    for (name, addr, allows) in [
        ("s_server", &plain, false),
        ("s_server -early_data", &early, true),
        ("gnutls-serv", &gnutls_plain, false),
        ("gnutls-serv --earlydata", &gnutls_early, true),
    ] {
        let max = s_client_max_early_data(addr);
        assert_eq!(max > 0, allows, "{name}: s_client's Max Early Data {max}");
        let r = scan_json(d, addr, &policy);
        let f = &r["findings"]["early_data"];
        let outcome = &r["policy"]["rules"][0]["outcome"];
        assert_eq!(f["probes"][0], "resume/psk/1", "{name}: {f}");
        if max > 0 {
            assert_eq!(f["offered"], "yes", "{name}: {f}");
            assert_eq!(f["max_bytes"], max, "{name}: {f}");
            assert_eq!(outcome, "fail", "{name}: {}", r["policy"]);
        } else {
            assert_eq!(f["offered"], "no", "{name}: {f}");
            assert_eq!(outcome, "pass", "{name}: {}", r["policy"]);
        }
    }
}

/// Tickets come a round trip after the client's Finished: on a slow path
/// (200 ms each way) they come late; the probe waits for them all, as
/// many as s_client gets through the same path (`-num_tickets 3`).
#[test]
fn tickets_on_a_slow_path_are_waited_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    // OpenSSL's server writes its tickets once the client's Finished has
    // come (GnuTLS's come with its own flight).
    let (_server, addr) = s_server_early_data(d, &["-num_tickets", "3"]);
    let slow = slow_path::start(&addr, Duration::from_millis(200));
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &slow, "-tls1_3"]);
    let seen = common::s_client_held(c, Duration::from_secs(2)).stdout;
    let arrived = seen
        .iter()
        .filter(|l| l.contains("Post-Handshake New Session Ticket arrived"))
        .count();
    assert!(arrived > 0, "s_client got no ticket: {seen:?}");
    // The TLS 1.3 resumption probes alone: a whole scan over this path
    // takes long.
    let p = one_hello::prober(slow.parse().expect("address"));
    let (_, f) = resumption::scan(&p, &[Version::Tls1_3]);
    assert_eq!(f.offered, Verdict::Yes, "{f:?}");
    assert_eq!(f.max_bytes, Some(16384), "{f:?}");
    let records = p.into_records();
    let trace = records["resume/psk/1"].trace.as_ref().expect("a trace");
    let tickets = trace
        .messages()
        .filter(|m| m.handshake_type == Some(HandshakeType::NEW_SESSION_TICKET))
        .count();
    assert_eq!(tickets, arrived);
}
