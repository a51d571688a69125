//! Where only the scan's own hellos reach a server (3DES alone, which
//! OpenSSL 3.0 dropped), the extended master secret (RFC 7627) and
//! encrypt-then-MAC (RFC 7366) are read from their ServerHellos, which
//! answer the extensions those hellos offer as OpenSSL's do: yes for
//! tlslite-ng, no for gnutls-serv with %NO_SESSION_HASH and %NO_ETM, as
//! gnutls-cli's "- Options:" line reports each.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, write_pki};
use scan_support::*;

/// gnutls-cli's "- Options:" line for a 3DES connection to `addr`.
fn gnutls_options(addr: &str) -> String {
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    let mut c = Command::new("gnutls-cli");
    c.args(["--insecure", "--priority", "NORMAL:+3DES-CBC:-VERS-TLS1.3"])
        .args(["-p", port, host]);
    let out = run(c).stdout;
    out.lines()
        .find(|l| l.starts_with("- Options:"))
        .unwrap_or_else(|| panic!("no Options line from gnutls-cli: {out}"))
        .to_owned()
}

#[test]
fn a_3des_only_server_is_read_from_the_scans_own_hellos() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let chain = "server-rsa2048.chain.pem";
    let (_tlslite, tlslite) =
        tlslite_server(d, "server-rsa2048.key", chain, &["--cipherlist", "3des"]);
    let (_gnutls, gnutls) = gnutls_rsa(
        d,
        "NONE:+VERS-TLS1.2:+3DES-CBC:+SHA1:+RSA:+ECDHE-RSA:+COMP-NULL:+SIGN-ALL:+GROUP-ALL:\
         +CTYPE-X509:%NO_ETM:%NO_SESSION_HASH",
    );
    for (name, addr, offers) in [
        ("tlslite-ng", &tlslite, true),
        ("gnutls-serv", &gnutls, false),
    ] {
        let options = gnutls_options(addr);
        assert_eq!(
            options.contains("extended master secret"),
            offers,
            "{name}: {options}"
        );
        assert_eq!(options.contains("EtM"), offers, "{name}: {options}");
        let want = if offers { "yes" } else { "no" };
        // OpenSSL reaches nothing here: the scan ends CANNOT SCAN (exit 2),
        // its own hellos' rows standing.
        let (o, text) = scan_any(d, addr, &["--format", "json"]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", o.stderr);
        let r: serde_json::Value = serde_json::from_str(&text).expect("scan JSON");
        let v12 = version(&r, "tls1_2");
        assert_eq!(v12["openssl_reached"], false, "{name}: {v12}");
        let ms = &r["findings"]["master_secret"];
        assert_eq!(ms["extended"], want, "{name}: {ms}");
        assert!(
            strings(&ms["probes"]).contains(&"version/tls1_2/legacy".to_owned()),
            "{ms}"
        );
        let etm = &r["findings"]["encrypt_then_mac"];
        assert_eq!(etm["supported"], want, "{name}: {etm}");
        let detail = etm["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("3DES_EDE_CBC"), "{name}: {detail}");
    }
}

/// A server that prefers RC4 answers those hellos with RC4, which says
/// nothing of CBC: the version is asked once more with the dropped CBC
/// suites alone. gnutls-serv preferring RC4 over 3DES takes 3DES then, with
/// encrypt_then_mac (as gnutls-cli's Options line shows for 3DES);
/// tlslite-ng with RC4 alone refuses, so no CBC suite is taken.
#[test]
fn a_stream_suite_chosen_is_asked_again_with_cbc_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_gnutls, gnutls) = gnutls_rsa(
        d,
        "NONE:+VERS-TLS1.2:+ARCFOUR-128:+3DES-CBC:+SHA1:+RSA:+ECDHE-RSA:+COMP-NULL:+SIGN-ALL:\
         +GROUP-ALL:+CTYPE-X509:%SERVER_PRECEDENCE",
    );
    let options = gnutls_options(&gnutls);
    assert!(options.contains("EtM"), "{options}");
    let (_tlslite, tlslite) = tlslite_server(
        d,
        "server-rsa2048.key",
        "server-rsa2048.chain.pem",
        &["--cipherlist", "rc4"],
    );
    for (name, addr, want) in [
        ("gnutls-serv", &gnutls, "yes"),
        ("tlslite-ng", &tlslite, "not_applicable"),
    ] {
        let (_, text) = scan_any(d, addr, &["--format", "json"]);
        let r: serde_json::Value = serde_json::from_str(&text).expect("scan JSON");
        let etm = &r["findings"]["encrypt_then_mac"];
        assert_eq!(etm["supported"], want, "{name}: {etm}");
        let probes = strings(&etm["probes"]);
        assert!(
            probes.contains(&"encrypt_then_mac/tls1_2/own".to_owned()),
            "{name}: {etm}"
        );
    }
}
