//! `probe --starttls` and `scan --starttls`: the plaintext exchange is the
//! one `openssl s_client -starttls` makes, byte for byte (XMPP's stream
//! names the domain s_client names); against real
//! servers from PyPI (aiosmtpd for SMTP, pymap for IMAP, pyftpdlib for FTP)
//! probe upgrades and verifies, scan maps the SMTP server, and a server
//! without STARTTLS is named so, as s_client names it.

mod common;
mod starttls_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{harness, tlslite_python, Proc};
use harness::starttls::{self, StartTls};
use starttls_support::xmpp_exchange;

/// A server that speaks `protocol` up to its go-ahead, then closes, and
/// returns every byte the client sent before that.
fn scripted_server(protocol: StartTls) -> (String, JoinHandle<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let handle = std::thread::spawn(move || {
        let (mut tcp, _) = l.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        if protocol == StartTls::Postgres {
            let mut request = [0u8; 8];
            tcp.read_exact(&mut request).expect("SSLRequest");
            tcp.write_all(b"S").expect("answer");
            return request.to_vec();
        }
        if protocol == StartTls::Ldap {
            // The request's length is in its second byte.
            let mut head = [0u8; 2];
            tcp.read_exact(&mut head).expect("LDAP message");
            let mut rest = vec![0u8; usize::from(head[1])];
            tcp.read_exact(&mut rest).expect("LDAP message");
            // ExtendedResponse, message id 1, success, empty DN and message.
            let ok = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00";
            tcp.write_all(ok).expect("answer");
            return [head.as_slice(), &rest].concat();
        }
        if matches!(protocol, StartTls::Xmpp | StartTls::XmppServer) {
            return xmpp_exchange(&mut tcp);
        }
        let greeting: &[u8] = match protocol {
            StartTls::Smtp => b"220 mx.example ESMTP\r\n",
            StartTls::Imap => b"* OK IMAP4rev1 ready\r\n",
            StartTls::Pop3 => b"+OK POP3 ready\r\n",
            _ => b"220-Welcome\r\n220 FTP ready\r\n",
        };
        tcp.write_all(greeting).expect("greeting");
        let mut sent = Vec::new();
        let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).expect("read") == 0 {
                return sent;
            }
            sent.extend_from_slice(line.as_bytes());
            let words: Vec<&str> = line.split_whitespace().collect();
            let (reply, go): (String, bool) = match (protocol, words.as_slice()) {
                (StartTls::Smtp, ["EHLO", ..]) => (
                    "250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n".into(),
                    false,
                ),
                (StartTls::Smtp, ["STARTTLS"]) => ("220 2.0.0 Ready to start TLS\r\n".into(), true),
                (StartTls::Imap, [tag, "CAPABILITY"]) => (
                    format!("* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n"),
                    false,
                ),
                (StartTls::Imap, [tag, "STARTTLS"]) => (format!("{tag} OK Begin TLS\r\n"), true),
                (StartTls::Pop3, ["STLS"]) => ("+OK Begin TLS\r\n".into(), true),
                (StartTls::Ftp, ["AUTH", "TLS"]) => ("234 AUTH TLS ok\r\n".into(), true),
                _ => ("500 unknown command\r\n".into(), false),
            };
            tcp.write_all(reply.as_bytes()).expect("reply");
            if go {
                return sent;
            }
        }
    });
    (addr, handle)
}

#[test]
fn each_protocol_sends_what_s_client_sends() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    for protocol in [
        StartTls::Smtp,
        StartTls::Imap,
        StartTls::Pop3,
        StartTls::Ftp,
        StartTls::Postgres,
        StartTls::Ldap,
        StartTls::Xmpp,
        StartTls::XmppServer,
    ] {
        let name = protocol.name();
        let (addr, server) = scripted_server(protocol);
        let mut cmd = Command::new("openssl");
        cmd.args(["s_client", "-connect", &addr, "-starttls", name]);
        // XMPP names the server's domain: the host connected to unless
        // given (-xmpphost; probe's --servername).
        let domain = if protocol == StartTls::Xmpp {
            cmd.args(["-xmpphost", "example.org"]);
            "example.org"
        } else {
            "127.0.0.1"
        };
        let mut s_client = Proc::spawn(cmd);
        s_client.close_stdin();
        let reference = server.join().expect("server thread");
        drop(s_client);

        let (addr, server) = scripted_server(protocol);
        let mut tcp = TcpStream::connect(&addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let deadline = Instant::now() + Duration::from_secs(10);
        let upgraded = starttls::upgrade(&mut tcp, protocol, domain, None, deadline);
        let ours = server.join().expect("server thread");
        assert_eq!(upgraded, Ok(()), "{name}");
        assert!(!reference.is_empty(), "{name}: s_client sent nothing");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&reference),
            "{name}"
        );
    }
}

/// aiosmtpd on a free port, with STARTTLS when given a certificate and
/// key; the child is ready when this returns.
fn smtp_server(tls: Option<(&str, &str)>) -> (Proc, String) {
    let script = "import ssl, sys, time\n\
        from aiosmtpd.controller import Controller\n\
        ctx = None\n\
        if len(sys.argv) > 2:\n    \
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n    \
            ctx.load_cert_chain(sys.argv[2], sys.argv[3])\n\
        c = Controller(object(), hostname='127.0.0.1', port=int(sys.argv[1]), tls_context=ctx)\n\
        c.start()\n\
        time.sleep(60)\n";
    let (server, port) = venv_server("python", |port| {
        let mut args = vec!["-c".to_owned(), script.to_owned(), port];
        if let Some((cert, key)) = tls {
            args.extend([cert.to_owned(), key.to_owned()]);
        }
        args
    });
    (server, format!("127.0.0.1:{port}"))
}

#[test]
fn probe_upgrades_an_smtp_connection_or_says_why_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let (cert, key, root) = (
        pem("server-rsa2048.chain.pem"),
        pem("server-rsa2048.key"),
        pem("root.pem"),
    );

    let (_server, addr) = smtp_server(Some((&cert, &key)));
    let args = [
        "probe",
        &addr,
        "--starttls",
        "smtp",
        "--cafile",
        &root,
        "--servername",
        "localhost",
        "--format",
        "json",
    ];
    let out = common::run(harness(&args));
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    let line: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON line");
    assert_eq!(line["succeeded"], true, "{line}");
    assert_eq!(line["starttls"], "smtp", "{line}");
    assert_eq!(line["trace"]["negotiated"]["verify"]["code"], 0, "{line}");

    // scan connects the same way for every probe. The versions are the
    // ones Python's default server context allows (TLS 1.2 and up), as
    // testssl.sh --starttls smtp reports them.
    let args = [
        "scan",
        &addr,
        "--starttls",
        "smtp",
        "--cafile",
        &root,
        "--servername",
        "localhost",
        "--format",
        "json",
    ];
    let out = common::run(harness(&args));
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON report");
    assert_eq!(report["starttls"], "smtp");
    assert_eq!(report["cannot_scan"], serde_json::Value::Null, "{report}");
    let accepted: Vec<&str> = report["findings"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter(|v| v["accepted"] == "yes")
        .filter_map(|v| v["version"].as_str())
        .collect();
    assert_eq!(accepted, ["tls1_2", "tls1_3"], "{report}");

    // Without a certificate aiosmtpd offers no STARTTLS; s_client says so
    // before it tries anyway.
    let (_plain, addr) = smtp_server(None);
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", &addr, "-starttls", "smtp"]);
    let reference = common::run(cmd);
    assert!(
        reference
            .stderr
            .contains("Didn't find STARTTLS in server response"),
        "{}",
        reference.stderr
    );
    let out = common::run(harness(&["probe", &addr, "--starttls", "smtp"]));
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("STARTTLS (smtp): the server does not offer STARTTLS (it listed: "),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("diagnosis: starttls_failed (fault: server)"),
        "{}",
        out.stdout
    );
}

/// A server from the venv ci/test.sh makes, a console script or, as
/// "python", the venv's python, started with `args` for a port (given as
/// text) as [`common::ports::serve_on_free_port`] starts servers: ready once a
/// socket of its own listens.
fn venv_server(program: &str, args: impl Fn(String) -> Vec<String>) -> (Proc, u16) {
    let python = tlslite_python();
    let program = if program == "python" {
        python
    } else {
        python.with_file_name(program)
    };
    assert!(
        program.is_file(),
        "no {}: ci/test.sh installs it into target/tlslite-venv",
        program.display()
    );
    common::ports::serve_on_free_port(|port| {
        let mut cmd = Command::new(&program);
        cmd.args(args(port.to_string()));
        cmd
    })
}

#[test]
fn probe_upgrades_imap_and_ftp_servers() {
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let (cert, key, root) = (
        pem("server-rsa2048.chain.pem"),
        pem("server-rsa2048.key"),
        pem("root.pem"),
    );
    let ftpd = "import sys\n\
        from pyftpdlib.authorizers import DummyAuthorizer\n\
        from pyftpdlib.handlers import TLS_FTPHandler\n\
        from pyftpdlib.servers import FTPServer\n\
        a = DummyAuthorizer()\n\
        a.add_anonymous(sys.argv[4])\n\
        h = TLS_FTPHandler\n\
        h.certfile, h.keyfile, h.authorizer = sys.argv[2], sys.argv[3], a\n\
        FTPServer(('127.0.0.1', int(sys.argv[1])), h).serve_forever()\n";
    for protocol in ["imap", "ftp"] {
        let (_server, port) = match protocol {
            "imap" => {
                let pid = pem("pymap.pid");
                venv_server("pymap", |port| {
                    [
                        "--pid-file",
                        &pid,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        &port,
                        "--cert",
                        &cert,
                        "--key",
                        &key,
                        "dict",
                    ]
                    .map(String::from)
                    .to_vec()
                })
            }
            _ => {
                let home = dir.path().to_str().expect("utf-8 path");
                venv_server("python", |port| {
                    ["-c", ftpd, &port, &cert, &key, home]
                        .map(String::from)
                        .to_vec()
                })
            }
        };
        let addr = format!("127.0.0.1:{port}");
        let args = [
            "probe",
            &addr,
            "--starttls",
            protocol,
            "--cafile",
            &root,
            "--servername",
            "localhost",
            "--format",
            "json",
        ];
        let out = common::run(harness(&args));
        assert!(
            out.status.success(),
            "{protocol}: {}{}",
            out.stdout,
            out.stderr
        );
        let line: serde_json::Value =
            serde_json::from_str(out.stdout.trim()).expect("one JSON line");
        assert_eq!(line["succeeded"], true, "{protocol}: {line}");
        assert_eq!(line["trace"]["negotiated"]["verify"]["code"], 0, "{line}");
    }
}

/// One SMTP connection that says go ahead and then sends more plaintext.
fn injected_go_ahead(tcp: std::net::TcpStream) {
    go_ahead_then(tcp, b"250 injected\r\n");
}

/// One SMTP connection that says go ahead, sends `after`, then reads
/// until the client leaves.
fn go_ahead_then(mut tcp: std::net::TcpStream, after: &[u8]) {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    tcp.write_all(b"220 mx ESMTP\r\n").expect("greeting");
    let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("EHLO");
    tcp.write_all(b"250-mx\r\n250 STARTTLS\r\n")
        .expect("EHLO reply");
    line.clear();
    reader.read_line(&mut line).expect("STARTTLS");
    tcp.write_all(&[b"220 go ahead\r\n", after].concat())
        .expect("go-ahead and more");
    let _ = reader.read_to_end(&mut Vec::new());
}

/// A server that says go ahead and then answers the ClientHello with
/// nothing: the time-out's fix points at the server's TLS after the
/// go-ahead, not at a STARTTLS exchange the server might want first.
#[test]
fn silence_after_the_go_ahead_points_at_the_servers_tls() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || go_ahead_then(l.accept().expect("accept").0, b""));
    let args = ["probe", &addr, "--starttls", "smtp", "--timeout", "1"];
    let out = common::run(harness(&[&args[..], &["--format", "json"]].concat()));
    server.join().expect("server thread");
    assert_eq!(out.status.code(), Some(4), "{}", out.stderr);
    let line: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON line");
    let fix = line["diagnosis"]["fix"].as_str().unwrap_or_default();
    assert!(
        fix.starts_with("The server agreed to STARTTLS (smtp)"),
        "{fix}"
    );
    assert!(!fix.contains("such as a STARTTLS"), "{fix}");
}

/// A server that says go ahead and then sends more plaintext (a pipelined
/// or injected reply): the client did upgrade, so the fault is the
/// server's, not the client's "use STARTTLS".
#[test]
fn plaintext_after_the_go_ahead_is_the_servers_fault() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let (tcp, _) = l.accept().expect("accept");
        injected_go_ahead(tcp);
    });
    let args = [
        "probe",
        &addr,
        "--starttls",
        "smtp",
        "--linger",
        "0",
        "--format",
        "json",
    ];
    let out = common::run(harness(&args));
    server.join().expect("server thread");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    let line: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON line");
    let d = &line["diagnosis"];
    assert_eq!(d["fault"], "server", "{d}");
    let summary = d["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with("the server agreed to STARTTLS (smtp) and then answered"),
        "{summary}"
    );
}

/// The same server scanned: every probe meets the plaintext, and the scan
/// says so, the server's fault, not "is this port a TLS service?".
#[test]
fn scan_names_plaintext_after_the_go_ahead() {
    let addr = common::serve_each(injected_go_ahead);
    let out = common::run(harness(&[
        "scan",
        &addr,
        "--starttls",
        "smtp",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let why = report["cannot_scan"].as_str().unwrap_or_default();
    assert!(
        why.starts_with(
            "no probe got a ServerHello, at any version: the server agreed to STARTTLS (smtp)"
        ),
        "{why}"
    );
    assert_eq!(report["probes"]["base"]["diagnosis"]["fault"], "server");
    // The scan's own hellos show the text as text.
    let ssl3 = report["probes"]["version/ssl3"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(ssl3.contains("starting \"250 injected\\r\\n\""), "{ssl3}");
}

/// A server that answers the connection at once with `sent`, which is no
/// SMTP reply (another protocol's banner; a TLS record from a port that is
/// TLS from the start), then holds the connection open past --timeout:
/// probe names what came, as a failed upgrade (1), not a silence (4), and
/// says so without waiting for a line end that never comes.
#[test]
fn a_greeting_that_is_no_smtp_reply_is_named_at_once() {
    let record: &[u8] = &[0x16, 0x03, 0x03, 0x00, 0x10, 0x01, 0x01, 0x01];
    for sent in [&b"HELLO THERE\r\n"[..], record] {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr").to_string();
        let bytes = sent.to_vec();
        let server = std::thread::spawn(move || {
            let (mut tcp, _) = l.accept().expect("accept");
            tcp.write_all(&bytes).expect("greeting");
            tcp.set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            // Held until the client leaves.
            let _ = tcp.read(&mut [0u8; 64]);
        });
        let started = Instant::now();
        let out = common::run(harness(&[
            "probe",
            &addr,
            "--starttls",
            "smtp",
            "--timeout",
            "5",
        ]));
        server.join().expect("server thread");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "waited {:?} for a line end",
            started.elapsed()
        );
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        // Text as a quoted line, bytes in hex.
        let text = std::str::from_utf8(sent)
            .ok()
            .map(str::trim_end)
            .filter(|t| !t.contains(char::is_control));
        let shown = match text {
            Some(text) => format!("{text:?}"),
            None => sent.iter().map(|b| format!("{b:02x}")).collect(),
        };
        let expected = "STARTTLS (smtp): the server's greeting is not an SMTP reply: ";
        let why = out.stderr.split_once(expected).map(|(_, why)| why);
        assert!(
            why.is_some_and(|why| why.contains(&shown)),
            "{}",
            out.stderr
        );
    }
}

/// A port that speaks TLS from its first byte, `openssl s_server`, probed
/// with --starttls: it waits silent where SMTP's greeting is due (s_client
/// -starttls smtp waits there with no end), and closes on LDAP's request,
/// which is no TLS record. Either way probe says the port may be TLS from
/// its first byte, and to probe it without --starttls.
#[test]
fn a_port_of_tls_from_the_first_byte_is_named_so() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let (cert, key) = (pem("server-rsa2048.chain.pem"), pem("server-rsa2048.key"));
    let (_server, addr) = common::s_server(&["-cert", &cert, "-key", &key]);
    for (protocol, exit) in [("smtp", 4), ("ldap", 1), ("postgres", 1)] {
        let out = common::run(harness(&[
            "probe",
            &addr,
            "--starttls",
            protocol,
            "--timeout",
            "1",
        ]));
        assert_eq!(out.status.code(), Some(exit), "{protocol}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("a port that speaks TLS from its first byte (implicit TLS"),
            "{protocol}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("probe it without --starttls"),
            "{protocol}: {}",
            out.stderr
        );
    }
}

/// A server of another protocol that speaks first (SSH) probed with
/// --starttls postgres: its banner's `S` came with the rest of the
/// banner, so it is no SSLRequest answer, and no handshake follows.
#[test]
fn an_ssh_banner_is_no_postgres_go_ahead() {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = l.accept().expect("accept");
        tcp.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").expect("banner");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        // What the client sends: its SSLRequest, and no more.
        let mut sent = Vec::new();
        let _ = tcp.read_to_end(&mut sent);
        sent
    });
    let out = common::run(harness(&[
        "probe",
        &addr,
        "--starttls",
        "postgres",
        "--timeout",
        "5",
    ]));
    let sent = server.join().expect("server thread");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("STARTTLS (postgres): the server sent 20 more bytes after its one-byte"),
        "{}",
        out.stderr
    );
    assert_eq!(sent, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f], "no ClientHello");
}
