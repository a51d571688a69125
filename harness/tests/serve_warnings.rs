//! `serve` warns at start of a configuration no client can complete a
//! handshake with (a DSA key without DHE-DSS suites or at TLS 1.3 alone;
//! TLS 1.1 and older above security level 0; a chain whose CA key is
//! below the security level), and still serves, as
//! `s_server` does. Whether a configuration serves anyone is read from
//! the most willing `openssl s_client` there is (every suite, level 0).

mod common;

use std::process::Command;

use common::{harness, run, Proc, LIMIT};

/// Starts serve with `args`; its address and the warnings it printed
/// before listening.
fn started(args: &[&str]) -> (Proc, String, Vec<String>) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--once"];
    all.extend(args);
    let server = Proc::spawn(harness(&all));
    let mut warnings = Vec::new();
    loop {
        let line = server
            .stderr
            .recv_timeout(LIMIT)
            .unwrap_or_else(|e| panic!("serve {args:?} did not start: {e}"));
        if let Some(addr) = line.strip_prefix("listening on ") {
            return (server, addr.trim().to_owned(), warnings);
        }
        if line.starts_with("warning: ") {
            warnings.push(line);
        }
    }
}

/// Whether the most willing s_client completes a handshake with `addr`,
/// at `version` (an s_client flag) or any.
fn anyone_served(addr: &str, version: Option<&str>) -> bool {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr, "-cipher", "ALL:@SECLEVEL=0"])
        .args(version);
    // s_client prints "Cipher is" for a TLS 1.3 handshake the server
    // then aborts; its exit status tells.
    run(c).status.success()
}

#[test]
fn a_configuration_that_serves_nobody_is_warned_of() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let cases: [(&[&str], Option<&str>, &str); 7] = [
        (&["--key-type", "dsa2048"], None, "DHE-DSS"),
        // The generated PKI's intermediate is RSA 2048: 112 bits.
        (
            &["--key-type", "ecdsa-p256", "--seclevel", "3"],
            None,
            "ca key too small",
        ),
        (
            &["--key-type", "dsa2048", "--tls1_3"],
            Some("-tls1_3"),
            "TLS 1.3",
        ),
        (&["--tls1"], Some("-tls1"), "security level 2 forbids"),
        (
            &["--tls1_1", "--seclevel", "1"],
            Some("-tls1_1"),
            "security level 1",
        ),
        // The same with what they lacked: no warning, and served.
        (
            &[
                "--key-type",
                "dsa2048",
                "--cipher",
                "DHE-DSS-AES128-GCM-SHA256",
            ],
            None,
            "",
        ),
        (&["--tls1", "--seclevel", "0"], Some("-tls1"), ""),
    ];
    for (args, version, why) in cases {
        let (mut server, addr, warnings) = started(args);
        let served = anyone_served(&addr, version);
        assert_eq!(served, why.is_empty(), "{args:?}: served {served}");
        if why.is_empty() {
            assert!(warnings.is_empty(), "{args:?}: {warnings:?}");
        } else {
            assert_eq!(warnings.len(), 1, "{args:?}: {warnings:?}");
            assert!(warnings[0].contains(why), "{args:?}: {warnings:?}");
            assert!(
                warnings[0].contains("every handshake will fail"),
                "{warnings:?}"
            );
        }
        // serve --once: 0 when its one handshake worked.
        assert_eq!(server.wait(LIMIT).success(), served, "{args:?}");
    }
}

/// `--www` answers in HTTP/1.0: with h2 first in `--alpn`, a client that
/// offers h2 and http/1.1 (s_client here, as browsers and curl do) gets h2
/// and is sent HTTP/1.0, which an h2 client cannot read. serve warns of
/// that at start, and not where http/1.1 comes first (serve picks in its
/// own order) or alone.
#[test]
fn a_www_page_sent_over_h2_is_warned_of() {
    for (alpn, warned) in [
        ("h2,http/1.1", true),
        ("http/1.1,h2", false),
        ("http/1.1", false),
    ] {
        let (mut server, addr, warnings) =
            started(&["--www", "--alpn", alpn, "--format", "summary"]);
        assert_eq!(warnings.len(), usize::from(warned), "{alpn}: {warnings:?}");
        if warned {
            assert!(
                warnings[0].contains("--www answers in HTTP/1.0, and --alpn puts h2 first"),
                "{warnings:?}"
            );
        }
        let mut c = Command::new("openssl");
        c.args([
            "s_client",
            "-connect",
            &addr,
            "-alpn",
            "h2,http/1.1",
            "-quiet",
        ]);
        let mut client = Proc::spawn(c);
        client.write_stdin(b"GET / HTTP/1.0\r\n\r\n");
        let status = client.wait(LIMIT);
        let out: Vec<String> = Proc::drain(&client.stdout);
        assert!(status.success(), "{alpn}: {out:?}");
        assert!(
            out.first().is_some_and(|l| l.starts_with("HTTP/1.0 200")),
            "{alpn}: {out:?}"
        );
        // What the connection agreed on: h2 where offered, which the
        // HTTP/1.0 answer then contradicts.
        assert!(server.wait(LIMIT).success(), "{alpn}");
        let summary = Proc::drain(&server.stdout).join("\n");
        let agreed = if warned { "alpn=h2 " } else { "alpn=http/1.1 " };
        assert!(summary.contains(agreed), "{alpn}: {summary}");
    }
}
