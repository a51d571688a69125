//! `probe --starttls xmpp`: against a scripted stream followed by OpenSSL's
//! own server, and against Prosody, Debian's XMPP server.

mod common;
mod starttls_support;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::{harness, Proc};
use starttls_support::xmpp_exchange;

/// probe over XMPP: the stream names --servername (s_client's -xmpphost),
/// and after `<proceed/>` the handshake is OpenSSL's own server's, which
/// probe verifies.
#[test]
fn probe_upgrades_an_xmpp_stream() {
    use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod};
    let pki = tempfile::tempdir().expect("temp dir");
    common::write_pki(pki.path());
    let file = |name: &str| pki.path().join(name);
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
    b.set_certificate_chain_file(file("server-rsa2048.chain.pem"))
        .expect("chain");
    b.set_private_key_file(file("server-rsa2048.key"), SslFiletype::PEM)
        .expect("key");
    let acceptor = b.build();
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = l.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let sent = xmpp_exchange(&mut tcp);
        let mut tls = acceptor.accept(tcp).expect("TLS after proceed");
        let _ = tls.shutdown();
        sent
    });
    let root = file("root.pem");
    let args = [
        "probe",
        &addr,
        "--starttls",
        "xmpp",
        "--servername",
        "localhost",
        "--cafile",
        root.to_str().expect("utf-8 path"),
        "--linger",
        "0",
        "--format",
        "json",
    ];
    let out = common::run(harness(&args));
    let sent = server.join().expect("server thread");
    assert_eq!(out.status.code(), Some(0), "{}{}", out.stdout, out.stderr);
    assert!(
        String::from_utf8_lossy(&sent).contains(" to='localhost' "),
        "{}",
        String::from_utf8_lossy(&sent)
    );
    let line: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON line");
    assert_eq!(line["trace"]["negotiated"]["verify"]["code"], 0, "{line}");
}

/// Prosody, the XMPP server Debian ships, on a free port in the
/// foreground, serving `localhost` with the test PKI's RSA certificate;
/// ready when this returns. Client connections only: s2s is off, so it
/// takes no second port another test may have picked.
fn prosody(pki: &std::path::Path, dir: &std::path::Path) -> (Proc, u16) {
    common::require("prosody", "--help", "prosody (apt-get install prosody)");
    let path = |name: &str| pki.join(name).display().to_string();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let config = dir.join("prosody.cfg.lua");
    let write_config = |c2s: u16| {
        std::fs::write(
            &config,
            format!(
                "run_as_root = true\n\
                 data_path = {data:?}\n\
                 c2s_ports = {{ {c2s} }}\n\
                 interfaces = {{ \"127.0.0.1\" }}\n\
                 log = {{ {{ levels = {{ min = \"info\" }}, to = \"console\" }} }}\n\
                 modules_enabled = {{ \"tls\"; \"saslauth\" }}\n\
                 modules_disabled = {{ \"s2s\" }}\n\
                 c2s_require_encryption = true\n\
                 ssl = {{ certificate = {:?}; key = {:?} }}\n\
                 VirtualHost \"localhost\"\n",
                path("server-rsa2048.chain.pem"),
                path("server-rsa2048.key"),
            ),
        )
        .expect("config");
    };
    // A port it fails to bind, it logs ("Failed to open server port N
    // on 127.0.0.1, this port is in use by another application") and
    // runs on without.
    common::ports::serve_on_free_port_watching(
        |port| {
            write_config(port);
            let mut cmd = Command::new("prosody");
            cmd.arg("--config").arg(&config).arg("-F");
            cmd
        },
        |l| l.contains("Failed to open server port"),
    )
}

/// Against Prosody: probe upgrades and verifies; a domain Prosody does not
/// serve is refused with its stream error, in its words.
#[test]
fn probe_upgrades_prosodys_xmpp_stream() {
    let pki = tempfile::tempdir().expect("temp dir");
    common::write_pki(pki.path());
    let dir = tempfile::tempdir().expect("temp dir");
    let (_server, port) = prosody(pki.path(), dir.path());
    let addr = format!("127.0.0.1:{port}");
    let root = pki.path().join("root.pem");
    let probe = |name: &str| {
        common::run(harness(&[
            "probe",
            &addr,
            "--starttls",
            "xmpp",
            "--servername",
            name,
            "--cafile",
            root.to_str().expect("utf-8 path"),
            "--linger",
            "0",
            "--format",
            "json",
        ]))
    };
    let out = probe("localhost");
    assert_eq!(out.status.code(), Some(0), "{}{}", out.stdout, out.stderr);
    let line: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON line");
    assert_eq!(line["trace"]["negotiated"]["verify"]["code"], 0, "{line}");

    let out = probe("nosuch.example");
    assert_eq!(out.status.code(), Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "STARTTLS (xmpp): the server answered the stream header with \"stream error host-unknown"
        ),
        "{}",
        out.stderr
    );
}
