//! A ServerHello below the version the client offered whose random ends
//! with RFC 8446's downgrade sentinel ("DOWNGRD" then 01 for TLS 1.2, 00
//! for older; section 4.1.3): OpenSSL's client aborts with
//! illegal_parameter and the reason "inappropriate fallback", which it also
//! gives for a server's refusal of a TLS_FALLBACK_SCSV retry. The probe
//! offered no SCSV, so the diagnosis is the downgrade, not a fallback.

mod common;
mod probe_support;

use probe_support::scripted::{after_the_hello_answering, server_hello};
use probe_support::*;

/// A scripted ServerHello at `version` choosing `suite`, with an empty
/// renegotiation_info (so that OpenSSL does not refuse a legacy server
/// first) and the random's last 8 bytes set to `tail`.
fn downgrading_server(version: u16, suite: [u8; 2], tail: &'static [u8; 8]) -> String {
    let (addr, _server) = after_the_hello_answering(move |sid| {
        let mut r = server_hello(version, sid, &suite, &[0xff, 0x01, 0, 1, 0]);
        // Record header 5, handshake header 4, version 2: the random is
        // bytes 11 to 43.
        r[35..43].copy_from_slice(tail);
        r
    });
    addr
}

#[test]
fn a_downgrade_sentinel_is_not_a_fallback() {
    let pki = test_pki();
    // The version chosen, its suite, the random's tail, the probe's
    // options, then the versions the summary must name.
    type Case<'a> = (
        u16,
        [u8; 2],
        &'static [u8; 8],
        &'a [&'a str],
        &'a str,
        &'a str,
    );
    let cases: [Case; 2] = [
        // TLS 1.2 with ECDHE-RSA-AES128-GCM-SHA256 for a TLS 1.3 client.
        (
            0x0303,
            [0xc0, 0x2f],
            b"DOWNGRD\x01",
            &[],
            "TLS 1.2",
            "TLS 1.3",
        ),
        // TLS 1.1 with AES128-SHA for a client offering up to TLS 1.2.
        (
            0x0302,
            [0x00, 0x2f],
            b"DOWNGRD\x00",
            &[
                "--min-version",
                "tls1_1",
                "--max-version",
                "tls1_2",
                "--cipher",
                "ALL:@SECLEVEL=0",
            ],
            "TLS 1.1",
            "TLS 1.2",
        ),
    ];
    for (version, suite, tail, extra, chosen, supported) in cases {
        let addr = downgrading_server(version, suite, tail);
        let out = probe(&addr, &pki, "json", extra);
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        let d = &json_lines(&out.stdout)[0]["diagnosis"];
        let reason = common::evidence(d, "OpenSSL reason");
        assert!(
            reason.is_some_and(|r| r
                .as_str()
                .is_some_and(|r| r.contains("inappropriate fallback"))),
            "{chosen}: {d}"
        );
        assert_eq!(d["cause"], "downgrade_detected", "{chosen}: {d}");
        assert_eq!(d["fault"], "unknown", "{chosen}: {d}");
        let summary = d["summary"].as_str().unwrap_or_default();
        assert!(
            summary.starts_with(&format!(
                "the server chose {chosen} for a ClientHello offering "
            )),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("saying it supports {supported}")),
            "{summary}"
        );
        assert!(!summary.contains("FALLBACK_SCSV"), "{summary}");
    }
}
