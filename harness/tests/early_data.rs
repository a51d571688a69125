//! TLS 1.3 early data: `probe --reconnect --early-data` against OpenSSL's
//! and GnuTLS's servers, and `serve --early-data` against `openssl
//! s_client -sess_in -early_data`. What became of the early data is
//! checked by what the other end printed or OpenSSL's own verdict on it.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use common::{harness, run, s_client_held, Proc, LIMIT};
use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod, SslVersion};

/// The test PKI in a temporary directory, and a path in it by name.
struct Pki(tempfile::TempDir);

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("temp dir");
        common::write_pki(dir.path());
        Pki(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.path().join(name).to_str().expect("UTF-8").to_owned()
    }

    /// `text` written to a file in the directory.
    fn file(&self, name: &str, text: &str) -> String {
        std::fs::write(self.0.path().join(name), text).expect("written");
        self.path(name)
    }

    /// `openssl s_server` with the RSA leaf and its chain, and `extra`.
    fn s_server(&self, extra: &[&str]) -> (Proc, String) {
        let (cert, key) = (
            self.path("server-rsa2048.crt"),
            self.path("server-rsa2048.key"),
        );
        let chain = self.path("intermediate.pem");
        let mut args = vec!["-cert", &cert, "-key", &key, "-cert_chain", &chain];
        args.extend(extra);
        common::s_server(&args)
    }

    /// `tls-harness serve --early-data --format json` with the RSA leaf's
    /// chain, and `extra`: the server and its address.
    fn serve(&self, extra: &[&str]) -> (Proc, String) {
        let mut cmd = harness(&["serve", "--listen", "127.0.0.1:0", "--early-data"]);
        cmd.args(extra)
            .args(["--format", "json", "--accept-timeout", "60"]);
        cmd.args(["--cert", &self.path("server-rsa2048.chain.pem")]);
        cmd.args(["--key", &self.path("server-rsa2048.key")]);
        let server = Proc::spawn(cmd);
        let listening = Proc::wait_line(&server.stderr, LIMIT, "serve's address", |l| {
            l.starts_with("listening on ")
        });
        let addr = listening.trim_start_matches("listening on ").trim();
        let addr = addr.to_owned();
        (server, addr)
    }

    /// `probe --reconnect --early-data FILE` against `addr`.
    fn probe(&self, addr: &str, early: &str) -> common::Output {
        let root = self.path("root.pem");
        run(harness(&[
            "probe",
            addr,
            "--cafile",
            &root,
            "--servername",
            "localhost",
            "--reconnect",
            "--early-data",
            early,
        ]))
    }
}

/// `openssl s_client` resuming `session` with `early` as early data: its
/// stdout lines.
fn s_client_early(addr: &str, session: &str, early: &str) -> Vec<String> {
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-sess_in", session]);
    cmd.args(["-early_data", early]);
    s_client_held(cmd, Duration::from_millis(500)).stdout
}

/// `openssl s_client` saving its session (with its TLS 1.3 ticket) to `session`.
fn s_client_session(addr: &str, session: &str) {
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-sess_out", session]);
    s_client_held(cmd, Duration::from_millis(500));
}

fn has(lines: &[String], text: &str) -> bool {
    lines.iter().any(|l| l.contains(text))
}

#[test]
fn an_openssl_server_taking_early_data_gets_the_bytes() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let pki = Pki::new();
    let marker = "early-bytes-8d1f\n";
    let early = pki.file("early", marker);
    let (server, addr) = pki.s_server(&["-early_data"]);
    let o = pki.probe(&addr, &early);
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    let line = format!("early data: accepted ({} bytes)", marker.len());
    assert!(o.stdout.contains(&line), "{}", o.stdout);
    // s_server prints what came early between these two lines.
    Proc::wait_line(&server.stdout, LIMIT, "s_server's early data", |l| {
        l.contains(marker.trim_end())
    });
}

#[test]
fn a_gnutls_server_taking_early_data_accepts_it() {
    common::require(
        "gnutls-serv",
        "--version",
        "gnutls-bin (apt-get install gnutls-bin)",
    );
    let pki = Pki::new();
    let early = pki.file("early", "GET / HTTP/1.0\r\n\r\n");
    let (_server, addr) = common::gnutls_serv(&[
        "--x509certfile",
        &pki.path("server-rsa2048.chain.pem"),
        "--x509keyfile",
        &pki.path("server-rsa2048.key"),
        "--earlydata",
    ]);
    let o = pki.probe(&addr, &early);
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("early data: accepted (18 bytes)"),
        "{}",
        o.stdout
    );
}

/// A server whose tickets allow no early data: s_client sends none
/// either, and the probe says why.
#[test]
fn a_server_taking_none_is_sent_none_as_s_client_sends_none() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let pki = Pki::new();
    let early = pki.file("early", "early\n");
    let (_server, addr) = pki.s_server(&[]);
    let session = pki.path("session.pem");
    s_client_session(&addr, &session);
    let reference = s_client_early(&addr, &session, &early);
    assert!(has(&reference, "Early data was not sent"), "{reference:?}");

    let o = pki.probe(&addr, &early);
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("early data: not sent"), "{}", o.stdout);
    assert!(
        o.stderr
            .contains("NewSessionTicket has no early_data extension"),
        "{}",
        o.stderr
    );
}

/// An OpenSSL server whose second connection takes no early data (its
/// limit set to 0 there), which OpenSSL answers with a full handshake:
/// the probe says rejected, and why, as the server read none.
#[test]
fn early_data_a_server_will_not_take_reads_as_rejected() {
    let pki = Pki::new();
    let early = pki.file("early", "early\n");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let addr = listener.local_addr().expect("address").to_string();
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
    b.set_certificate_chain_file(pki.path("server-rsa2048.chain.pem"))
        .expect("chain");
    b.set_private_key_file(pki.path("server-rsa2048.key"), SslFiletype::PEM)
        .expect("key");
    b.set_min_proto_version(Some(SslVersion::TLS1_3))
        .expect("TLS 1.3");
    b.set_max_early_data(16384).expect("early data");
    let acceptor = b.build();
    let server = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for limit in [16384, 0] {
            let (tcp, _) = listener.accept().expect("accepted");
            tcp.set_read_timeout(Some(LIMIT)).expect("time-out");
            let mut ssl = openssl::ssl::Ssl::new(acceptor.context()).expect("SSL");
            ssl.set_max_early_data(limit).expect("limit");
            let mut s = openssl::ssl::SslStream::new(ssl, tcp).expect("stream");
            let mut buf = [0u8; 1024];
            let early = s.read_early_data(&mut buf).expect("early data read");
            s.accept().expect("handshake");
            seen.push((early, s.ssl().session_reused()));
            // Until the client's close_notify, then this end's: OpenSSL
            // drops the session of a connection freed without one.
            let _ = std::io::Read::read(&mut s, &mut buf);
            let _ = s.shutdown();
        }
        seen
    });
    let o = pki.probe(&addr, &early);
    let seen = server.join().expect("the server ran");
    assert_eq!(seen, [(0, false), (0, false)], "{}{}", o.stdout, o.stderr);
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("early data: rejected (6 bytes sent early"),
        "{}",
        o.stdout
    );
    assert!(
        o.stderr
            .contains("rejected the early data: it did not resume the session"),
        "{}",
        o.stderr
    );
}

/// `serve --early-data --www` answers a request s_client sent early, and
/// rejects the same ticket's early data the second time (OpenSSL's
/// anti-replay), as s_client reports.
#[test]
fn serve_takes_s_client_early_data_once_per_ticket() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let pki = Pki::new();
    let request = pki.file("request", "GET / HTTP/1.0\r\n\r\n");
    let (server, addr) = pki.serve(&["--www"]);
    let session = pki.path("session.pem");
    s_client_session(&addr, &session);
    let first = s_client_early(&addr, &session, &request);
    assert!(has(&first, "Early data was accepted"), "{first:?}");
    assert!(has(&first, "HTTP/1.0 200 OK"), "{first:?}");
    let replay = s_client_early(&addr, &session, &request);
    assert!(has(&replay, "Early data was rejected"), "{replay:?}");

    let lines: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            let line = Proc::wait_line(&server.stdout, LIMIT, &format!("line {i}"), |_| true);
            serde_json::from_str(&line).expect("a JSON line")
        })
        .collect();
    // Its EndOfEarlyData came in a TLS 1.3 record, whose version field is
    // 0x0303 (RFC 8446 section 5.1), not the ClientHello's record's.
    let end_of_early_data = lines[1]["trace"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"]["handshake_type"] == 5)
        .cloned()
        .expect("an EndOfEarlyData");
    assert_eq!(end_of_early_data["kind"]["record_version"], 0x0303);
    let early: Vec<_> = lines.iter().map(|l| l["early_data"].clone()).collect();
    let expect = |status: &str, bytes: u64| serde_json::json!({"status": status, "bytes": bytes});
    let sent = std::fs::metadata(Path::new(&request))
        .expect("request")
        .len();
    assert_eq!(
        early,
        [
            expect("not_sent", 0),
            expect("accepted", sent),
            expect("rejected", 0)
        ],
        "{lines:?}"
    );
}

/// More early data than serve reads (16,384 bytes), from s_client whose
/// saved session was edited to allow 28,672: OpenSSL refuses it ("too much
/// early data"), and the diagnosis names the limit, not an unexpected
/// message alone.
#[test]
fn early_data_past_the_limit_is_named_so() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let pki = Pki::new();
    let big = pki.file("big", &"x".repeat(20_000));
    let (server, addr) = pki.serve(&[]);
    let session = pki.path("session.pem");
    s_client_session(&addr, &session);
    // The session's max_early_data, [15] { INTEGER 16384 }, made 28672.
    let pem = std::fs::read_to_string(&session).expect("the session");
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut der = openssl::base64::decode_block(&body).expect("base64");
    let at = der
        .windows(6)
        .position(|w| w == [0xaf, 0x04, 0x02, 0x02, 0x40, 0x00])
        .expect("max_early_data 16384 in the session");
    der[at + 4] = 0x70;
    let edited = format!(
        "-----BEGIN SSL SESSION PARAMETERS-----\n{}\n-----END SSL SESSION PARAMETERS-----\n",
        openssl::base64::encode_block(&der)
    );
    let session = pki.file("edited.pem", &edited);
    s_client_early(&addr, &session, &big);

    let lines: Vec<serde_json::Value> = (0..2)
        .map(|i| {
            let line = Proc::wait_line(&server.stdout, LIMIT, &format!("line {i}"), |_| true);
            serde_json::from_str(&line).expect("a JSON line")
        })
        .collect();
    let line = &lines[1];
    let error = line["error"].as_str().unwrap_or_default();
    assert!(error.contains("too much early data"), "{line}");
    assert_eq!(line["early_data"]["status"], "accepted", "{line}");
    let summary = line["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("more early data than this server reads (recv_max_early_data)"),
        "{line}"
    );
}

/// `s_server -early_data -recv_max_early_data 5`: its tickets allow 16,384
/// bytes but it reads 5, and ends the handshake when more come; the probe,
/// which kept to its ticket, puts the fault with the server.
#[test]
fn a_server_reading_less_early_data_than_its_ticket_allows_is_blamed() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let pki = Pki::new();
    let early = pki.file("early", "more than five bytes\n");
    let (_server, addr) = pki.s_server(&["-early_data", "-recv_max_early_data", "5"]);
    let o = pki.probe(&addr, &early);
    assert_eq!(o.status.code(), Some(1), "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout
            .contains("diagnosis: unexpected_message (fault: server)"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("passes its recv_max_early_data"),
        "{}",
        o.stdout
    );
    // The early_data extension in EncryptedExtensions said accepted; the
    // server's abort followed it.
    assert!(
        o.stdout.contains(
            "early data: accepted (21 bytes) by the server's EncryptedExtensions, but the \
             connection then failed"
        ),
        "{}",
        o.stdout
    );
}
