//! `tls-harness scan` reads TLS compression (CRIME, CVE-2012-4929) from
//! the compression_method of the ServerHello to a hello offering DEFLATE,
//! LZS and null: null from `openssl s_server`, gnutls-serv and tlslite-ng,
//! none of which compresses (testssl.sh `-C` says "not vulnerable" of
//! each). No server here compresses (OpenSSL 3.0 only with zlib, GnuTLS
//! dropped it in 3.6), so one that does is played by a server of one
//! hello, whose method the finding must name.

mod common;
mod scan_support;

use common::write_pki;
use harness::scan::compression;
use harness::scan::Verdict;
use scan_support::one_hello::{self, Answers};
use scan_support::*;

#[test]
fn servers_that_do_not_compress_read_as_testssl_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let policy = d.join("compression.toml");
    std::fs::write(&policy, "forbid_compression = true\n").expect("policy");
    let policy = ["--policy", policy.to_str().expect("utf-8 path")];
    // Each server lives while its guard does.
    let (_openssl, openssl) = s_server(d, &[]);
    let (_gnutls, gnutls) = gnutls_rsa(d, "NORMAL");
    let (_tlslite, tlslite) =
        tlslite_server(d, "server-rsa2048.key", "server-rsa2048.chain.pem", &[]);
    let servers = [
        ("s_server", openssl),
        ("gnutls-serv", gnutls),
        ("tlslite-ng", tlslite),
    ];
    each_at_once(&servers, |name, addr| {
        let reference = testssl_line("-C", addr, "CRIME, TLS (CVE-2012-4929)");
        assert!(reference.contains("not vulnerable"), "{name}: {reference}");
        let r = scan_json(d, addr, &policy);
        let f = &r["findings"]["compression"];
        assert_eq!(f["compressed"], "no", "{name}: {f}");
        assert_eq!(f["method"], 0, "{name}: {f}");
        assert_eq!(f["probes"][0], "compression/tls1_2", "{name}: {f}");
        assert_eq!(
            r["policy"]["rules"][0]["outcome"], "pass",
            "{name}: {}",
            r["policy"]
        );
    });
}

#[test]
fn a_server_that_compresses_is_named_with_its_method() {
    for (method, name) in [
        (compression::DEFLATE, "DEFLATE (1)"),
        (compression::LZS, "LZS (64)"),
    ] {
        // It compresses only with a method the hello offers.
        let (server, addr) = one_hello::serve(Answers {
            compression: method,
            heartbeat: false,
            bleed: false,
        });
        let p = one_hello::prober(addr);
        let f = compression::scan(&p, Ok(one_hello::AT));
        server.join().expect("server");
        assert_eq!(
            (f.compressed, f.method),
            (Verdict::Yes, Some(method)),
            "{f:?}"
        );
        assert!(f.detail.contains(name), "{}", f.detail);
    }
}
