//! `probe --starttls xmpp`: against a scripted stream followed by OpenSSL's
//! own server, and against Prosody, Debian's XMPP server.

mod common;
mod starttls_support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use common::{harness, Proc};
use starttls_support::{read_until, xmpp_exchange, xmpp_exchange_with};

/// A server on a free port that runs `exchange` on one connection, then
/// OpenSSL's own server's handshake with the test PKI's RSA leaf; the
/// thread returns what `exchange` returned.
fn tls_after(
    pki: &std::path::Path,
    exchange: impl FnOnce(&mut TcpStream) -> Vec<u8> + Send + 'static,
) -> (String, std::thread::JoinHandle<Vec<u8>>) {
    use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod};
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
    b.set_certificate_chain_file(pki.join("server-rsa2048.chain.pem"))
        .expect("chain");
    b.set_private_key_file(pki.join("server-rsa2048.key"), SslFiletype::PEM)
        .expect("key");
    let acceptor = b.build();
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = l.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let sent = exchange(&mut tcp);
        let mut tls = acceptor.accept(tcp).expect("TLS after proceed");
        let _ = tls.shutdown();
        sent
    });
    (addr, server)
}

/// `probe ADDR --starttls xmpp --servername localhost`, verifying against
/// the test root in `pki`, with JSON output.
fn probe(addr: &str, pki: &std::path::Path) -> common::Output {
    let root = pki.join("root.pem");
    common::run(harness(&[
        "probe",
        addr,
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
    ]))
}

/// probe over XMPP: the stream names --servername (s_client's -xmpphost),
/// and after `<proceed/>` the handshake is OpenSSL's own server's, which
/// probe verifies.
#[test]
fn probe_upgrades_an_xmpp_stream() {
    let pki = tempfile::tempdir().expect("temp dir");
    common::write_pki(pki.path());
    let (addr, server) = tls_after(pki.path(), xmpp_exchange);
    let out = probe(&addr, pki.path());
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

/// The streams namespace bound under another prefix than `stream:`, or as
/// the default namespace (RFC 6120, section 4.8), and STARTTLS's elements
/// under a prefix of their own: the features are the same features, and
/// probe upgrades and verifies. (`openssl s_client -starttls xmpp` finds
/// the first four, which hold its literal `<starttls xmlns='...'`, and
/// hangs on the last.)
#[test]
fn stream_features_are_known_by_namespace_not_prefix() {
    const STREAMS: &str = "http://etherx.jabber.org/streams";
    const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
    let header = |name: &str, bind: &str| {
        format!(
            "<?xml version='1.0'?><{name} xmlns='jabber:client' {bind} id='1' \
             from='localhost' version='1.0'>"
        )
    };
    let starttls = format!("<starttls xmlns='{TLS}'><required/></starttls>");
    let proceed = format!("<proceed xmlns='{TLS}'/>");
    let cases = [
        (
            "another prefix",
            header("s:stream", &format!("xmlns:s='{STREAMS}'")),
            format!("<s:features>{starttls}</s:features>"),
            proceed.clone(),
        ),
        (
            "the default namespace",
            format!("<?xml version='1.0'?><stream xmlns='{STREAMS}' id='1' version='1.0'>"),
            format!("<features>{starttls}</features>"),
            proceed.clone(),
        ),
        (
            "the features' own default namespace",
            header("stream:stream", &format!("xmlns:stream='{STREAMS}'")),
            format!("<features xmlns='{STREAMS}'>{starttls}</features>"),
            proceed.clone(),
        ),
        (
            "double-quoted attributes",
            header("stream:stream", &format!("xmlns:stream='{STREAMS}'")).replace('\'', "\""),
            format!("<stream:features>{starttls}</stream:features>").replace('\'', "\""),
            proceed.replace('\'', "\""),
        ),
        (
            "STARTTLS's elements under a prefix",
            header("stream:stream", &format!("xmlns:stream='{STREAMS}'")),
            format!("<stream:features><tls:starttls xmlns:tls='{TLS}'/></stream:features>"),
            format!("<t:proceed xmlns:t='{TLS}'></t:proceed>"),
        ),
    ];
    let pki = tempfile::tempdir().expect("temp dir");
    common::write_pki(pki.path());
    for (what, header, features, proceed) in cases {
        let stream = [header, features].concat().into_bytes();
        let (addr, server) = tls_after(pki.path(), move |tcp| {
            xmpp_exchange_with(tcp, &stream, proceed.as_bytes())
        });
        let out = probe(&addr, pki.path());
        server.join().expect("server thread");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}{}",
            out.stdout,
            out.stderr
        );
        let line: serde_json::Value =
            serde_json::from_str(out.stdout.trim()).expect("one JSON line");
        assert_eq!(line["trace"]["negotiated"]["verify"]["code"], 0, "{line}");
    }
}

/// A starttls element of another namespace is no offer of STARTTLS, and
/// the list of what the server offered names its namespace.
#[test]
fn a_starttls_of_another_namespace_is_no_offer() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = l.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        read_until(&mut tcp, b"version='1.0'>");
        tcp.write_all(
            b"<stream:stream xmlns='jabber:client' \
              xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
              <stream:features><starttls xmlns='urn:example:not-tls'/></stream:features>",
        )
        .expect("features");
        // What the client sends after: nothing, until it leaves.
        let mut after = Vec::new();
        let _ = tcp.read_to_end(&mut after);
        after
    });
    let out = common::run(harness(&["probe", &addr, "--starttls", "xmpp"]));
    let after = server.join().expect("server thread");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "STARTTLS (xmpp): the server does not offer STARTTLS (it listed: starttls \
             (urn:example:not-tls))"
        ),
        "{}",
        out.stderr
    );
    assert!(after.is_empty(), "{}", String::from_utf8_lossy(&after));
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
