//! The state log equals, line for line, what the real `openssl s_client
//! -state` and `openssl s_server -state` print for the same handshake.
//!
//! Each comparison runs the real binary and one of our traced endpoints
//! against the same peer with the same I/O pattern, and compares the
//! binary's output with our trace. Nothing is pasted in by hand.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::thread;

use common::tool::{line_where, openssl, s_server, Reaped, OPENSSL_S_CLIENT};
use common::*;
use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslVersion};
use testkit::pki::KeyType;

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

fn wait_for_line(rx: &std::sync::mpsc::Receiver<String>, want: impl Fn(&str) -> bool) -> String {
    line_where(rx, want, drop).unwrap_or_else(|e| {
        panic!("openssl did not print the expected line within {TIMEOUT:?}: {e}")
    })
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
fn serve(
    listener: std::net::TcpListener,
    ctx: SslContext,
    n: usize,
) -> thread::JoinHandle<Vec<String>> {
    thread::spawn(move || {
        (0..n)
            .map(|_| serve_one(&listener, &ctx).state_log())
            .collect()
    })
}

#[test]
fn client_state_log_matches_s_client() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki().write_pem(dir.path()).unwrap();
    for case in cases() {
        let (listener, addr) = listener();
        let port = addr.port();
        let server = server_ctx(case.key, case.configure);
        let served = serve(listener, server, 2);

        // The reference: s_client reads PING (and any tickets before it),
        // then stdin closes and it sends close_notify, as our client does.
        let (mut child, out) = Reaped::piped(
            openssl()
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
                .args(case.tool_flags),
            OPENSSL_S_CLIENT,
        );
        wait_for_line(&out, |l| l == "ping");
        drop(child.stdin.take());
        let reference = state_lines(&child.finish());

        let client = client_ctx(case.configure);
        let tcp = connect_tcp(addr);
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
        let mut args = vec!["-naccept", "1", "-state"];
        args.extend(case.tool_flags);
        let (child, _out, port) = s_server(files.server(case.key), &args);

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

        let (listener, addr) = listener();
        let server = server_ctx(case.key, case.configure);
        let ours_thread = thread::spawn(move || {
            let mut tls = accept_tls(&listener, &server).expect("server handshake");
            read_to_close(&mut tls);
            let _ = tls.shutdown();
            trace_of(&tls).state_log()
        });
        run_client(addr.port());
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
