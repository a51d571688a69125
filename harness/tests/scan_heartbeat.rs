//! `tls-harness scan` reads heartbeat support (RFC 6520) from the
//! ServerHello and Heartbleed (CVE-2014-0160) from what the server does
//! with a HeartbeatRequest claiming 16,384 bytes it does not carry, as
//! testssl.sh `-H` reads both: gnutls-serv `--heartbeat` answers the
//! extension and refuses the request, gnutls-serv without it and
//! `openssl s_server` (OpenSSL 3 has no heartbeats) do not answer the
//! extension, tlslite-ng answers it and ignores the request, at TLS 1.2
//! and, for an SSLv3-only server, at SSLv3. No server
//! here over-reads (the OpenSSL releases Heartbleed struck are long
//! gone), so one that does is played by a server of one hello.

mod common;
mod scan_support;

use common::write_pki;
use harness::scan::heartbeat;
use harness::scan::Verdict;
use scan_support::one_hello::{self, Answers};
use scan_support::*;

#[test]
fn heartbeat_and_heartbleed_are_read_as_testssl_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("heartbleed.toml");
    std::fs::write(&policy, "forbid_heartbleed = true\n").expect("policy");
    let policy = ["--policy", policy.to_str().expect("utf-8 path")];
    let check = |name: &str, addr: &str| {
        let reference = testssl_line("-H", addr, "Heartbleed (CVE-2014-0160)");
        assert!(reference.contains("not vulnerable"), "{name}: {reference}");
        let r = scan_json(d, addr, &policy);
        let f = &r["findings"]["heartbeat"];
        let said_none = reference.contains("no heartbeat extension");
        assert_eq!(
            f["supported"],
            if said_none { "no" } else { "yes" },
            "{name}: {f}"
        );
        assert_eq!(f["heartbleed"], "no", "{name}: {f}");
        assert_eq!(
            r["policy"]["rules"][0]["outcome"], "pass",
            "{name}: {}",
            r["policy"]
        );
        let weakness = r["findings"]["weaknesses"]
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["name"] == "Heartbleed"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(weakness["affected"], "no", "{name}: {weakness}");
        f.clone()
    };

    // Each server lives while its guard does.
    let (_gnutls, gnutls) = gnutls_rsa(d, "NORMAL");
    let (_beating, beating) = common::gnutls_leaf(d, "server-rsa2048", &["--heartbeat"]);
    let rsa = ("server-rsa2048.key", "server-rsa2048.chain.pem");
    let (_tlslite, tlslite) = tlslite_server(d, rsa.0, rsa.1, &[]);
    let (_openssl, openssl) = s_server(d, &[]);
    // OpenSSL 1.0.1 answered heartbeats at SSLv3 too: an SSLv3-only
    // server is asked there, as testssl.sh asks it.
    let sslv3 = ["--ssl3", "--max-ver", "ssl3"];
    let (_tlslite_ssl3, tlslite_ssl3) = tlslite_server(d, rsa.0, rsa.1, &sslv3);
    let servers = [
        ("gnutls-serv", gnutls),
        ("gnutls-serv --heartbeat", beating),
        ("tlslite-ng", tlslite),
        ("s_server", openssl),
        ("tlslite-ng SSLv3", tlslite_ssl3),
    ];
    let found = each_at_once(&servers, check);
    let supported: Vec<&serde_json::Value> = found.iter().map(|f| &f["supported"]).collect();
    assert_eq!(supported, ["no", "yes", "yes", "no", "yes"], "{found:?}");
    let why = found[1]["heartbleed_detail"].as_str().unwrap_or_default();
    assert!(why.contains("sent before the handshake finished"), "{why}");
    assert_eq!(found[4]["probes"][0], "heartbeat/ssl3", "{}", found[4]);
}

/// A TLS 1.3-only server has no version to ask heartbeats at: n/a, and
/// the rule passes on the version probes, each named once.
#[test]
fn a_tls13_only_server_is_not_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("heartbleed.toml");
    std::fs::write(&policy, "forbid_heartbleed = true\n").expect("policy");
    let (_server, addr) = s_server(d, &["-tls1_3"]);
    let r = scan_json(
        d,
        &addr,
        &["--policy", policy.to_str().expect("utf-8 path")],
    );
    let f = &r["findings"]["heartbeat"];
    assert_eq!(f["supported"], "not_applicable", "{f}");
    assert_eq!(f["heartbleed"], "not_applicable", "{f}");
    let rule = &r["policy"]["rules"][0];
    assert_eq!(rule["outcome"], "pass", "{rule}");
    let probes = strings(&rule["probes"]);
    assert!(probes.contains(&"version/tls1_2".to_owned()), "{probes:?}");
    let mut distinct = probes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), probes.len(), "each probe once: {probes:?}");
}

#[test]
fn a_heartbeat_answered_with_memory_is_heartbleed() {
    let (server, addr) = one_hello::serve(Answers {
        compression: 0,
        heartbeat: true,
        bleed: true,
    });
    let p = one_hello::prober(addr);
    let f = heartbeat::scan(&p, Ok(one_hello::AT));
    let sent = server.join().expect("server");
    // testssl.sh's request: heartbeat_request, payload_length 16384, no payload.
    assert_eq!(sent.as_deref(), Some(&[1, 0x40, 0][..]));
    assert_eq!(
        (f.supported, f.heartbleed),
        (Verdict::Yes, Verdict::Yes),
        "{f:?}"
    );
    assert!(
        f.heartbleed_detail.contains("of 16384 payload bytes"),
        "{}",
        f.heartbleed_detail
    );
    assert_eq!(f.probes, ["heartbeat/tls1_2"]);
}

#[test]
fn a_heartbeat_ignored_is_no_heartbleed() {
    let (server, addr) = one_hello::serve(Answers {
        compression: 0,
        heartbeat: true,
        bleed: false,
    });
    let p = one_hello::prober(addr);
    let f = heartbeat::scan(&p, Ok(one_hello::AT));
    let sent = server.join().expect("server");
    assert_eq!(
        sent.as_deref(),
        Some(&[1, 0x40, 0][..]),
        "the request was sent"
    );
    assert_eq!(
        (f.supported, f.heartbleed),
        (Verdict::Yes, Verdict::No),
        "{f:?}"
    );
    assert!(
        f.heartbleed_detail.contains("closed when this end did"),
        "{}",
        f.heartbleed_detail
    );
}
