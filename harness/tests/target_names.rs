//! The name probe and scan send as SNI and check the certificate against:
//! a name in another script goes out as its IDNA A-label (RFC 6066,
//! section 3: HostName is ASCII); an address in a shorthand form
//! getaddrinfo reads (`127.1`) is an address, sent as no SNI and checked
//! against the certificate's IP names; a `--servername` no host can have
//! is a usage error. `openssl s_server -servername NAME
//! -servername_fatal` is the witness: it prints each SNI name it gets and
//! refuses a connection with another.

mod common;
mod scan_support;

use std::path::Path;
use std::process::Command;

use common::{first_json, harness, refused, run, write_pki, Proc, LIMIT};

/// The A-label of "bücher.example", as Python's idna codec and libidn2
/// write it (RFC 3492's Punycode).
const A_LABEL: &str = "xn--bcher-kva.example";

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("utf-8").to_owned()
}

/// `openssl s_server` with the test PKI's leaf and intermediate for
/// connections without SNI, and `cert2`/`key2` for those that ask for
/// `name`; any other name is refused (unrecognized_name).
fn sni_server(d: &Path, name: &str, cert2: &str, key2: &str) -> (Proc, String) {
    common::require("openssl", "version", "openssl");
    common::s_server(&[
        "-cert",
        &p(d, "server-rsa2048.crt"),
        "-cert_chain",
        &p(d, "intermediate.pem"),
        "-key",
        &p(d, "server-rsa2048.key"),
        "-cert2",
        cert2,
        "-key2",
        key2,
        "-servername",
        name,
        "-servername_fatal",
    ])
}

/// The SNI names `server` was sent, read up to the line for `last`.
fn names_sent(server: &Proc, last: &str) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let line = Proc::wait_line(&server.stdout, LIMIT, "s_server's SNI line", |l| {
            l.starts_with("Hostname in TLS extension: ")
        });
        let name = line
            .trim_start_matches("Hostname in TLS extension: ")
            .trim()
            .trim_matches('"')
            .to_owned();
        let done = name == last;
        names.push(name);
        if done {
            return names;
        }
    }
}

#[test]
fn a_name_in_another_script_is_sent_and_checked_as_its_a_label() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write_pki(d);
    let (cert, key) = (p(d, "idn.crt"), p(d, "idn.key"));
    let mut req = Command::new("openssl");
    req.args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=idn test", "-keyout", &key, "-out", &cert])
        .args(["-addext", &format!("subjectAltName=DNS:{A_LABEL}")]);
    assert!(run(req).status.success(), "openssl req");
    let (server, addr) = sni_server(d, A_LABEL, &cert, &key);
    let o = run(harness(&[
        "probe",
        &addr,
        "--servername",
        "bücher.example",
        "--cafile",
        &cert,
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    let line = first_json(&o);
    assert_eq!(line["trace"]["negotiated"]["sni"], A_LABEL, "{line:#}");
    assert_eq!(line["trace"]["negotiated"]["verify"]["code"], 0, "{line:#}");
    assert_eq!(names_sent(&server, A_LABEL), [A_LABEL]);
}

/// s_client too sends no SNI for `127.1` (its is_dNS_name refuses
/// all-numeric names); the probe connects to 127.0.0.1, sends no name the
/// server would refuse, and checks the test leaf's IP name, 127.0.0.1. So
/// does scan.
#[test]
fn a_shorthand_address_is_no_sni_name_and_is_checked_as_an_address() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = sni_server(
        d,
        "localhost",
        &p(d, "server-rsa2048.crt"),
        &p(d, "server-rsa2048.key"),
    );
    let port = addr.rsplit_once(':').expect("HOST:PORT").1;
    let root = p(d, "root.pem");
    for host in ["127.1", "0x7f000001", "2130706433"] {
        let target = format!("{host}:{port}");
        let mut s_client = Command::new("openssl");
        s_client
            .args(["s_client", "-connect", &target, "-CAfile", &root])
            .args(["-verify_return_error", "-brief"]);
        let reference = run(s_client);
        assert!(
            reference.stderr.contains("CONNECTION ESTABLISHED"),
            "{}",
            reference.stderr
        );
        let o = run(harness(&[
            "probe", &target, "--cafile", &root, "--format", "json",
        ]));
        assert!(o.status.success(), "{host}: {}{}", o.stdout, o.stderr);
        let line = first_json(&o);
        assert!(line["trace"]["negotiated"]["sni"].is_null(), "{line:#}");
    }
    // A scan's seventy-odd connections want a server that answers each.
    let (_www, addr) = scan_support::s_server(d, &[]);
    let port = addr.rsplit_once(':').expect("HOST:PORT").1;
    let report = run(harness(&[
        "scan",
        &format!("127.1:{port}"),
        "--cafile",
        &root,
        "--format",
        "json",
    ]));
    assert!(report.status.success(), "{}", report.stderr);
    let r: serde_json::Value = serde_json::from_str(&report.stdout).expect("scan JSON");
    let chain = &r["findings"]["chain"];
    assert_eq!(chain["hostname_match"], "yes", "{chain:#}");
    assert_eq!(chain["handshake_verify"][0], 0, "{chain:#}");
}

/// `s_client -servername 'a b'` sends the space in SNI as given; no host
/// name holds one, so probe and scan refuse it as a usage error, and take
/// a name in another script or with `_`.
#[test]
fn a_servername_no_host_can_have_is_a_usage_error() {
    let closed = common::ports::ClosedPort::new();
    let addr = closed.addr();
    for command in ["probe", "scan"] {
        for bad in ["a b", "a/b", "<b>x</b>", "host:443", "a..b", "."] {
            refused(
                harness(&[command, &addr, "--servername", bad]),
                &["--servername", "not a host name"],
            );
        }
        for good in ["bücher.example", "_acme-challenge.example", "Example.COM"] {
            let o = run(harness(&[command, &addr, "--servername", good]));
            assert!(!o.stderr.contains("--servername"), "{good}: {}", o.stderr);
        }
    }
}
