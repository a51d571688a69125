//! What the matrix covers with the external peers, read through `matrix
//! --list` (the expectation each pairing's declarations give) and short
//! runs: the names reasons and reports give each side, and cases that
//! each peer must play rather than leave unsupported.

mod common;

use std::process::Command;

use common::{harness, require, run};
use serde_json::Value;

/// `matrix --list` of `peers`, every case, as JSON.
fn listed(peers: &str) -> Vec<Value> {
    let mut cmd = harness(&[
        "matrix",
        "--list",
        "--peers",
        peers,
        "--external-scope",
        "full",
        "--format",
        "json",
    ]);
    if peers.contains("tlslite") {
        let python = common::tlslite_python();
        assert!(
            python.is_file(),
            "no tlslite-ng venv at {}",
            python.display()
        );
        cmd.env("TLS_HARNESS_TLSLITE_PYTHON", &python);
    }
    let o = run(cmd);
    assert!(o.status.success(), "{}", o.stderr);
    serde_json::from_str(&o.stdout).expect("a JSON list")
}

/// The first two words of `line` ("OpenSSL 3.0.19"), as a person names a
/// version without its date.
fn two_words(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A reason names the program that plays its side: gnutls-serv for the
/// server, gnutls-cli for the client (one package ships both, of one
/// version).
#[test]
fn reasons_name_gnutls_serv_for_the_server_side() {
    require("gnutls-cli", "--version", "gnutls-bin");
    let list = listed("gnutls-cli");
    let reasons = |pairing: &str, side: &str| -> Vec<String> {
        list.iter()
            .filter(|v| v["id"].as_str().is_some_and(|id| id.ends_with(pairing)))
            .filter_map(|v| v["expect"]["reason"].as_str())
            .filter(|r| r.starts_with(side))
            .map(str::to_owned)
            .collect()
    };
    let served = reasons("@inproc>gnutls-cli", "server (");
    assert!(!served.is_empty(), "no case gnutls-serv can't serve");
    for r in &served {
        assert!(r.starts_with("server (gnutls-serv "), "{r}");
    }
    let clients = reasons("@gnutls-cli>inproc", "client (");
    assert!(!clients.is_empty(), "no case gnutls-cli can't play");
    for r in &clients {
        assert!(r.starts_with("client (gnutls-cli "), "{r}");
    }
}

/// The report names each peer by its implementation's name and version,
/// without the build date `openssl version` adds.
#[test]
fn peers_are_described_by_name_and_version() {
    require("openssl", "version", "openssl");
    let case = "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default@inproc>openssl-cli";
    let o = run(harness(&[
        "matrix",
        "--peers",
        "inproc,openssl-cli",
        "--case",
        case,
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    let report: Value = serde_json::from_str(&o.stdout).expect("a report");
    let peers: Vec<&str> = report["peers"]
        .as_array()
        .expect("peers")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // The linked library's version line is the report's "openssl".
    let linked = two_words(report["openssl"].as_str().expect("openssl"));
    let tool = Command::new("openssl")
        .arg("version")
        .output()
        .expect("openssl version");
    // Debian's openssl tool and libssl are one version, so the tool's
    // line names no other library.
    let tool = two_words(&String::from_utf8_lossy(&tool.stdout));
    assert_eq!(
        peers,
        [
            format!("inproc ({linked})"),
            format!("openssl-cli ({tool})")
        ]
    );
}

/// gnutls-serv and tlslite-ng's server pick ALPN in the client's order,
/// which RFC 7301 allows: the `alpn` case (client h2 then http/1.1, server
/// the other way round) runs against them and expects h2, as each was
/// seen to pick by hand (`gnutls-serv --alpn http/1.1 --alpn h2`, a
/// tlslite-ng server with `alpn=[b"http/1.1", b"h2"]`, both against
/// `openssl s_client -alpn h2,http/1.1`).
#[test]
fn alpn_runs_against_servers_that_pick_in_the_clients_order() {
    require("gnutls-cli", "--version", "gnutls-bin");
    let list = listed("gnutls-cli,tlslite");
    for server in ["gnutls-cli", "tlslite"] {
        for v in [
            "tls1_2/ECDHE-RSA-AES128-GCM-SHA256",
            "tls1_3/TLS_AES_128_GCM_SHA256",
        ] {
            let id = format!("{v}/rsa2048/alpn@inproc>{server}");
            let e = &list
                .iter()
                .find(|c| c["id"] == id.as_str())
                .unwrap_or_else(|| panic!("no case {id}"))["expect"];
            assert_eq!(e["outcome"], "success", "{id}: {e}");
            assert_eq!(e["alpn"], "h2", "{id}: {e}");
        }
    }
}

/// Botan 2 has no TLS 1.3, so the in-process client of TLS 1.0 and 1.1
/// meets its server of TLS 1.2 and 1.3 as one of TLS 1.2: the server
/// refuses the client's version with protocol_version (seen by hand:
/// `botan tls_server` with `allow_tls12` only answers `openssl s_client
/// -tls1_1` with a fatal protocol_version, "Client version TLS v1.1 is
/// unacceptable by policy"), rather than the case being unsupported for
/// the TLS 1.3 suite Botan lacks.
#[test]
fn mismatch_version_runs_against_botan_capped_at_tls12() {
    require("botan", "version", "botan");
    let list = listed("botan");
    let id = "tls1_1/ECDHE-RSA-AES128-SHA/rsa2048/mismatch-version@inproc>botan";
    let e = &list
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))["expect"];
    assert_eq!(e["outcome"], "failure", "{e}");
    assert_eq!(e["alert"]["from"], "server", "{e}");
    assert_eq!(e["alert"]["description"], 70, "{e}");
}

/// Every server-certificate negative also runs at TLS 1.2, the highest
/// version Botan 2 speaks, with the suite its leaf's key serves: the
/// in-process client refuses Botan's server with the pki's verify error
/// (each seen by hand: `botan tls_server` with the negative leaf and an
/// ECDHE policy, against `openssl s_client -verify_return_error -tls1_2`,
/// printed the alert that client sent, e.g. "Alert: certificate_expired").
/// Botan's `tls_client` reports a failed check and carries on (seen by
/// hand against `openssl s_server` with the expired leaf: "Certificate
/// validation status: Certificate has expired", then "Handshake
/// complete"), so the other way stays unsupported, naming that.
#[test]
fn server_certificate_negatives_run_against_botan_at_tls12() {
    require("botan", "version", "botan");
    let list = listed("inproc,botan");
    let find = |id: &str| -> &Value {
        &list
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no case {id}"))["expect"]
    };
    for n in testkit::pki::Negative::ALL {
        let suite = match n.authentication() {
            "RSA" => "ECDHE-RSA-AES128-GCM-SHA256",
            _ => "ECDHE-ECDSA-AES128-GCM-SHA256",
        };
        let case = format!("tls1_2/{suite}/{n}/verify");
        let e = find(&format!("{case}@inproc>botan"));
        assert_eq!(e["outcome"], "failure", "{case}: {e}");
        assert_eq!(e["verify_error"], n.expected_verify_error(), "{case}: {e}");
        let e = find(&format!("{case}@botan>inproc"));
        let reason = e["reason"].as_str().unwrap_or_default();
        assert!(
            reason.starts_with("client (botan ") && reason.contains("carries on"),
            "{case}: {e}"
        );
        // Against the linked OpenSSL as well, as at TLS 1.3.
        let e = find(&case);
        assert_eq!(e["verify_error"], n.expected_verify_error(), "{case}: {e}");
    }
}
