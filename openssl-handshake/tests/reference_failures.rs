//! For handshakes that fail, the state log (its "error in" and alert
//! lines included) and the message lines equal what `openssl s_client` and
//! `openssl s_server -state -msg` print for the same connection: an
//! untrusted server certificate, no shared cipher, no common version, and a
//! client certificate missing at TLS 1.2 and at TLS 1.3 (where the server
//! refuses it after the client's side of the handshake is done), and after
//! the handshake, when a TLS 1.3 server asks for it then (client side: a
//! diagnosis still names it on both sides).
//!
//! As in `reference_flows.rs`, the real binary and our traced endpoint meet
//! the same peer with the same I/O pattern, and the binary's output is the
//! expectation.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::thread;

use common::reference::{
    answer_certificate_requests_after_handshake, ask_for_client_cert_after_handshake,
    assert_logs_match, message_lines, request_client_cert, require_client_cert, state_lines, tls12,
    tls13, Logs,
};
use common::tool::{openssl, s_server, Reaped, OPENSSL_S_CLIENT};
use common::*;
use openssl::ssl::{HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslVerifyMode};
use openssl::x509::store::X509StoreBuilder;
use openssl_handshake::{Cause, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, PkiFiles};

struct Case {
    name: &'static str,
    /// Our server's settings, and the same for s_server.
    server: fn(&mut SslContextBuilder),
    s_server: &'static [&'static str],
    /// Our client's settings, and the same for s_client.
    client: fn(&mut SslContextBuilder),
    s_client: &'static [&'static str],
    /// Whether the client trusts the test root.
    trusting: bool,
    /// Whether the server asks for the client's certificate only after the
    /// handshake (TLS 1.3 post-handshake authentication).
    asked_after: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "untrusted server certificate",
            server: tls13,
            s_server: &["-tls1_3"],
            client: tls13,
            s_client: &["-tls1_3"],
            trusting: false,
            asked_after: false,
        },
        Case {
            name: "no shared cipher",
            server: |b| {
                tls12(b);
                b.set_cipher_list("AES128-GCM-SHA256").unwrap();
            },
            s_server: &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
            client: |b| {
                tls12(b);
                b.set_cipher_list("ECDHE-RSA-AES256-GCM-SHA384").unwrap();
            },
            s_client: &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"],
            trusting: true,
            asked_after: false,
        },
        Case {
            name: "no common version",
            server: tls13,
            s_server: &["-tls1_3"],
            client: tls12,
            s_client: &["-tls1_2"],
            trusting: true,
            asked_after: false,
        },
        Case {
            name: "TLS 1.2 client certificate missing",
            server: |b| {
                tls12(b);
                require_client_cert(b);
            },
            s_server: &["-tls1_2", "-Verify", "1"],
            client: tls12,
            s_client: &["-tls1_2"],
            trusting: true,
            asked_after: false,
        },
        Case {
            name: "TLS 1.3 client certificate missing",
            server: |b| {
                tls13(b);
                require_client_cert(b);
            },
            s_server: &["-tls1_3", "-Verify", "1"],
            client: tls13,
            s_client: &["-tls1_3"],
            trusting: true,
            asked_after: false,
        },
        Case {
            name: "TLS 1.3 certificate missing after the handshake",
            server: |b| {
                tls13(b);
                require_client_cert(b);
                ask_for_client_cert_after_handshake(b);
            },
            s_server: &[],
            client: |b| {
                tls13(b);
                answer_certificate_requests_after_handshake(b);
            },
            s_client: &["-tls1_3", "-enable_pha"],
            trusting: true,
            asked_after: true,
        },
    ]
}

impl Case {
    fn needs_client_ca(&self) -> bool {
        self.s_server.contains(&"-Verify")
    }

    /// Our traced client context: verifying the server against the test
    /// root, or against an empty store when the case says it distrusts it.
    fn our_client(&self) -> SslContext {
        let mut b = SslContext::builder(SslMethod::tls_client()).unwrap();
        b.set_verify(SslVerifyMode::PEER);
        if self.trusting {
            b.set_cert_store(pki().trust_store().unwrap());
        } else {
            b.set_cert_store(X509StoreBuilder::new().unwrap().build());
        }
        b.trace_handshakes(TraceOptions::default()).unwrap();
        (self.client)(&mut b);
        b.build()
    }
}

/// Our traced server for `case`, for one connection: the handshake, and if
/// it succeeds, PING and a read to the client's close.
fn our_server(case: &Case) -> (SocketAddr, thread::JoinHandle<Logs>) {
    let (listener, addr) = listener();
    let ctx = server_ctx(KeyType::Rsa2048, case.server);
    let asked_after = case.asked_after;
    let handle = thread::spawn(move || match accept_tls(&listener, &ctx) {
        Ok(mut tls) if asked_after => {
            // PING carries the request; the client's answer, read next, is
            // refused.
            request_client_cert(&mut tls);
            tls.write_all(PING).expect("server write");
            let refused = tls.read_exact(&mut [0u8; 1]);
            assert!(refused.is_err(), "the server took a missing certificate");
            let trace = trace_of(&tls);
            // The handshake succeeded; what failed after it is still named.
            let cause = trace.diagnosis().map(|d| d.cause);
            assert_eq!(cause, Some(Cause::ClientCertRequired), "{trace:?}");
            Logs::of(&trace)
        }
        Ok(mut tls) => {
            serve_ping(&mut tls);
            Logs::of(&trace_of(&tls))
        }
        Err(e) => Logs::of(&failed_trace(e)),
    });
    (addr, handle)
}

/// s_client against `addr`: it runs until the failure ends it.
fn s_client_run(case: &Case, addr: SocketAddr, files: &PkiFiles) -> (Logs, String) {
    let mut cmd = openssl();
    cmd.args(["s_client", "-connect", &addr.to_string(), "-state", "-msg"])
        .args(["-servername", "localhost", "-verify_return_error"])
        .args(case.s_client);
    if case.trusting {
        cmd.arg("-CAfile").arg(&files.root);
    } else {
        cmd.args(["-no-CAfile", "-no-CApath", "-no-CAstore"]);
    }
    let (mut child, out) = Reaped::piped(&mut cmd, OPENSSL_S_CLIENT);
    // Held open until s_client exits: at the end of its input it would
    // close the connection itself, racing the server's refusal.
    let stdin = child.stdin.take().expect("stdin");
    let states = child.finish();
    drop(stdin);
    let stdout: String = out.iter().map(|l| format!("{l}\n")).collect();
    let mut lines = state_lines(&states);
    assert_eq!(lines.len(), 1, "{}: one connection:\n{states}", case.name);
    let logs = Logs {
        states: lines.remove(0),
        messages: message_lines(&stdout),
    };
    (logs, stdout)
}

/// The client both servers meet, and ours against our server: the
/// handshake, then, if it succeeded, a read, which is where a TLS 1.3
/// client hears that the server refused it; then close_notify.
fn client_run(case: &Case, addr: impl ToSocketAddrs) -> Logs {
    let tcp = TcpStream::connect(addr).unwrap();
    set_timeouts(&tcp);
    let mut ssl = Ssl::new(&case.our_client()).unwrap();
    ssl.set_hostname("localhost").unwrap();
    match ssl.connect(tcp) {
        Ok(mut tls) => {
            let _ = tls.read(&mut [0u8; 16]);
            if case.asked_after {
                // Where the refusal arrives.
                let _ = tls.read(&mut [0u8; 16]);
                let cause = trace_of(&tls).diagnosis().map(|d| d.cause);
                assert_eq!(cause, Some(Cause::ClientCertRequired), "{}", case.name);
            }
            let _ = tls.shutdown();
            Logs::of(&trace_of(&tls))
        }
        Err(HandshakeError::Failure(mid)) => Logs::of(&trace_of_ssl(mid.ssl())),
        Err(e) => panic!("{}: {e}", case.name),
    }
}

fn trace_of_ssl(ssl: &openssl::ssl::SslRef) -> openssl_handshake::HandshakeTrace {
    openssl_handshake::trace(ssl).expect("tracing attached")
}

#[test]
fn failed_client_logs_match_s_client() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki().write_pem(dir.path()).unwrap();
    for case in cases() {
        let (addr, served) = our_server(&case);
        let (reference, stdout) = s_client_run(&case, addr, &files);
        served.join().expect("server thread");

        let (addr, served) = our_server(&case);
        let ours = client_run(&case, addr);
        served.join().expect("server thread");
        // Every case ends with a fatal alert, sent or received.
        assert!(
            reference.states.contains(":fatal:"),
            "{}: s_client saw no failure:\n{}\n{stdout}",
            case.name,
            reference.states
        );
        assert_logs_match(
            case.name,
            "client",
            "s_client",
            &[ours],
            std::slice::from_ref(&reference),
            &reference.messages,
        );
    }
}

#[test]
fn failed_server_logs_match_s_server() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki().write_pem(dir.path()).unwrap();
    for case in cases() {
        if case.asked_after {
            // s_server asks for a certificate after the handshake only at a
            // command on its input, which this client-driven exchange
            // cannot time.
            continue;
        }
        let mut args = vec!["-naccept", "1", "-state", "-msg"];
        args.extend(case.s_server);
        if case.needs_client_ca() {
            args.extend(["-CAfile", files.root.to_str().unwrap()]);
        }
        let (child, out, port) = s_server(files.server(KeyType::Rsa2048), &args);
        client_run(&case, ("127.0.0.1", port));
        let states = state_lines(&child.finish());
        let stdout: String = out.iter().map(|l| format!("{l}\n")).collect();
        let reference: Vec<Logs> = states
            .into_iter()
            .map(|states| Logs {
                states,
                messages: String::new(),
            })
            .collect();

        let (addr, served) = our_server(&case);
        client_run(&case, addr);
        let ours = served.join().expect("server thread");
        assert_logs_match(
            case.name,
            "server",
            "s_server",
            &[ours],
            &reference,
            &message_lines(&stdout),
        );
    }
}
