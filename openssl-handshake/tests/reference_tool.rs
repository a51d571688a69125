//! The state log equals, line for line, what the real `openssl s_client
//! -state` and `openssl s_server -state` print for the same handshake.
//!
//! Each comparison runs the real binary and one of our traced endpoints
//! against the same peer with the same I/O pattern, and compares the
//! binary's output with our trace. Nothing is pasted in by hand.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslVersion};
use testkit::pki::KeyType;

/// Kills and reaps the child when dropped, whatever happened.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Reaped {
    /// Waits for the child to exit and returns its stderr.
    fn finish(mut self) -> String {
        let deadline = Instant::now() + TIMEOUT;
        while self.0.try_wait().expect("poll child").is_none() {
            assert!(
                Instant::now() < deadline,
                "openssl did not exit within {TIMEOUT:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
        let mut err = String::new();
        if let Some(mut e) = self.0.stderr.take() {
            e.read_to_string(&mut err).expect("read stderr");
        }
        err
    }
}

/// The lines the tools' info callback prints.
fn state_lines(output: &str) -> String {
    output
        .lines()
        .filter(|l| {
            l.starts_with("SSL_connect:")
                || l.starts_with("SSL_accept:")
                || l.starts_with("SSL3 alert")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Lines of a child's stdout, delivered through a channel so that every
/// wait on them has a time-out.
fn lines_of(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for_line(rx: &mpsc::Receiver<String>, want: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if want(&line) => return line,
            Ok(_) => continue,
            Err(e) => panic!("openssl did not print the expected line within {TIMEOUT:?}: {e}"),
        }
    }
}

struct Case {
    name: &'static str,
    key: KeyType,
    tool_flags: &'static [&'static str],
    configure: fn(&mut SslContextBuilder),
}

fn cases() -> Vec<Case> {
    fn rsa_kx(b: &mut SslContextBuilder) {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_cipher_list("AES128-GCM-SHA256").unwrap();
    }
    fn ecdhe(b: &mut SslContextBuilder) {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_cipher_list("ECDHE-ECDSA-AES256-GCM-SHA384").unwrap();
    }
    fn tls13(b: &mut SslContextBuilder) {
        b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
    }
    vec![
        Case {
            name: "TLS 1.2 RSA key exchange",
            key: KeyType::Rsa2048,
            tool_flags: &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
            configure: rsa_kx,
        },
        Case {
            name: "TLS 1.2 ECDHE-ECDSA",
            key: KeyType::EcdsaP256,
            tool_flags: &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
            configure: ecdhe,
        },
        Case {
            name: "TLS 1.3",
            key: KeyType::Rsa2048,
            tool_flags: &["-tls1_3"],
            configure: tls13,
        },
    ]
}

/// Our traced server: handshake, send PING, read to the client's
/// close_notify, close. Serves `n` connections and returns their traces.
fn serve(listener: TcpListener, ctx: SslContext, n: usize) -> thread::JoinHandle<Vec<String>> {
    thread::spawn(move || {
        (0..n)
            .map(|_| {
                let (tcp, _) = listener.accept().expect("accept");
                set_timeouts(&tcp);
                let mut tls = Ssl::new(&ctx)
                    .unwrap()
                    .accept(tcp)
                    .expect("server handshake");
                tls.write_all(PING).unwrap();
                let mut buf = [0u8; 64];
                while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
                let _ = tls.shutdown();
                trace_of(&tls).state_log()
            })
            .collect()
    })
}

#[test]
fn client_state_log_matches_s_client() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki().write_pem(dir.path()).unwrap();
    for case in cases() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = server_ctx(case.key, case.configure);
        let served = serve(listener, server, 2);

        // The reference: s_client reads PING (and any tickets before it),
        // then stdin closes and it sends close_notify, as our client does.
        let mut child = Reaped(
            Command::new("openssl")
                .args([
                    "s_client",
                    "-connect",
                    &format!("127.0.0.1:{port}"),
                    "-state",
                    "-servername",
                    "localhost",
                ])
                .arg("-CAfile")
                .arg(&files.root)
                .args(case.tool_flags)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run openssl s_client (install the openssl package)"),
        );
        let out = lines_of(child.0.stdout.take().unwrap());
        wait_for_line(&out, |l| l == "ping");
        drop(child.0.stdin.take());
        let reference = state_lines(&child.finish());

        let client = client_ctx(case.configure);
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        set_timeouts(&tcp);
        let mut ssl = Ssl::new(&client).unwrap();
        ssl.set_hostname("localhost").unwrap();
        let mut tls = ssl.connect(tcp).expect("client handshake");
        let mut buf = [0u8; 5];
        tls.read_exact(&mut buf).unwrap();
        let _ = tls.shutdown();
        let ours = trace_of(&tls).state_log();
        drop(tls);
        served.join().expect("server thread");

        assert!(
            reference.lines().count() > 5,
            "{}: s_client printed too little:\n{reference}",
            case.name
        );
        assert_eq!(
            ours, reference,
            "{}: our client's state log differs from s_client's",
            case.name
        );
    }
}

#[test]
fn server_state_log_matches_s_server() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki().write_pem(dir.path()).unwrap();
    for case in cases() {
        let leaf = files.server(case.key);
        let mut child = Reaped(
            Command::new("openssl")
                .args([
                    "s_server",
                    "-accept",
                    "127.0.0.1:0",
                    "-naccept",
                    "1",
                    "-state",
                ])
                .arg("-cert")
                .arg(&leaf.chain)
                .arg("-chainCAfile")
                .arg(&leaf.chain)
                .arg("-key")
                .arg(&leaf.key)
                .args(case.tool_flags)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run openssl s_server (install the openssl package)"),
        );
        let out = lines_of(child.0.stdout.take().unwrap());
        let accept = wait_for_line(&out, |l| l.starts_with("ACCEPT "));
        let port: u16 = accept
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port in ACCEPT line");

        // The same client against s_server and against our server:
        // handshake, then close_notify.
        let client = client_ctx(case.configure);
        let run_client = |port: u16| {
            let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
            set_timeouts(&tcp);
            let mut ssl = Ssl::new(&client).unwrap();
            ssl.set_hostname("localhost").unwrap();
            let mut tls = ssl.connect(tcp).expect("client handshake");
            let _ = tls.shutdown();
            // Wait for the server's close_notify or its close.
            let mut buf = [0u8; 16];
            let _ = tls.read(&mut buf);
        };
        run_client(port);
        let reference = state_lines(&child.finish());

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = server_ctx(case.key, case.configure);
        let ours_thread = thread::spawn(move || {
            let (tcp, _) = listener.accept().expect("accept");
            set_timeouts(&tcp);
            let mut tls = Ssl::new(&server)
                .unwrap()
                .accept(tcp)
                .expect("server handshake");
            let mut buf = [0u8; 64];
            while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
            let _ = tls.shutdown();
            trace_of(&tls).state_log()
        });
        run_client(port);
        let ours = ours_thread.join().expect("server thread");

        assert!(
            reference.lines().count() > 5,
            "{}: s_server printed too little:\n{reference}",
            case.name
        );
        assert_eq!(
            ours, reference,
            "{}: our server's state log differs from s_server's",
            case.name
        );
    }
}
