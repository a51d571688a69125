//! `scan --starttls` against a server that refuses STARTTLS on every
//! connection: the TCP connections were made, so no row or probe record
//! says that the scan could not connect; each names the refusal.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::harness;

/// What the server answers STARTTLS with: Postfix's answer when its TLS
/// engine is not available.
const REFUSAL: &str = "454 4.7.0 TLS not available due to local problem";

/// One SMTP connection offering STARTTLS and refusing it.
fn refuse(mut tcp: TcpStream) {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
    let _ = tcp.write_all(b"220 mx.example ESMTP\r\n");
    let refusal = format!("{REFUSAL}\r\n");
    for reply in ["250-mx.example\r\n250 STARTTLS\r\n", &refusal] {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let _ = tcp.write_all(reply.as_bytes());
    }
}

#[test]
fn a_starttls_refusal_is_not_worded_as_no_connection() {
    let addr = common::serve_each(refuse);
    let out = common::run(harness(&[
        "scan",
        &addr,
        "--starttls",
        "smtp",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON report");
    let refused = format!("STARTTLS (smtp): the server answered STARTTLS with {REFUSAL:?}");
    // The scan's own hellos (SSLv2, SSLv3) as OpenSSL's probes (TLS 1.2).
    for id in ["version/ssl2", "version/ssl3", "version/tls1_2"] {
        let error = report["probes"][id]["error"].as_str().unwrap_or_default();
        assert!(error.contains(&refused), "{id}: {error}");
    }
    let text = report["probes"].to_string() + &report["findings"].to_string();
    assert!(!text.contains("could not connect"), "{text}");
    // The server answered, in plaintext: no row says it did not.
    assert!(!text.contains("no answer"), "{text}");
    let ssl3 = &report["findings"]["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|f| f["version"] == "ssl3"))
        .map(|f| f["detail"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        ssl3.as_deref(),
        Some(format!("no TLS answer, twice: {refused}").as_str()),
        "{text}"
    );
}
