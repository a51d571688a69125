//! The state log equals, line for line, what `openssl s_client -state` and
//! `openssl s_server -state` print, and the message lines what `-msg`
//! prints, for handshakes beyond a plain full one:
//! a HelloRetryRequest, a client certificate, resumption by session id, by
//! ticket and by TLS 1.3 PSK, TLS 1.3 early data, and what happens after
//! the handshake: a TLS 1.2 renegotiation and a TLS 1.3 key update the
//! client asks for, and TLS 1.3 post-handshake authentication (client side
//! only: s_server asks for a certificate only at a command on its input).
//!
//! As in `reference_tool.rs`, the real binary and our traced endpoint meet
//! the same peer with the same I/O pattern, and the binary's output is the
//! expectation. A resumed flow compares both connections: the one that
//! made the session and the one that resumed it.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::thread;

use common::reference::{assert_logs_match, message_lines, request_client_cert, state_lines, Logs};
use common::tool::{line_where, openssl, s_server, Reaped, OPENSSL_S_CLIENT};
use common::*;
use openssl::ssl::{Ssl, SslContext, SslSession, SslStream};
use testkit::pki::{KeyType, PkiFiles};

#[path = "reference_flows/flows.rs"]
mod flows;

use flows::{flows, Flow, Resume, Then, CLIENT_KEY, DONE, EARLY, REPLY};

/// What our server does after its handshake.
#[derive(Clone, Copy)]
enum After {
    /// Sends PING, which s_client waits for, then reads to the close.
    Ping,
    /// Reads to the close, as s_server does.
    Read,
}

/// Our traced server for `flow`: reads early data when the flow sends it,
/// completes the handshake, then does `after` and closes. Serves `n`
/// connections; returns their logs.
fn our_server(flow: &Flow, n: usize, after: After) -> (SocketAddr, thread::JoinHandle<Vec<Logs>>) {
    let (listener, addr) = listener();
    // s_server's session id context, the `int` 1: sessions carry it, and
    // so do the tickets whose lengths the message lines show.
    let ctx = server_ctx(KeyType::Rsa2048, |b| {
        (flow.server)(b);
        b.set_session_id_context(&1i32.to_ne_bytes()).unwrap();
    });
    let early = flow.resume == Resume::WithEarlyData;
    let ask = flow.then == Then::ServerAsksForCertificate;
    let handle = thread::spawn(move || {
        (0..n)
            .map(|_| serve_one_flow(&listener, &ctx, (early, ask), after))
            .collect()
    });
    (addr, handle)
}

/// One connection: `early` says whether to read early data first, `ask`
/// whether to ask for the client's certificate once the handshake is done.
fn serve_one_flow(
    listener: &TcpListener,
    ctx: &SslContext,
    (early, ask): (bool, bool),
    after: After,
) -> Logs {
    let (tcp, _) = listener.accept().expect("accept");
    set_timeouts(&tcp);
    let mut tls = SslStream::new(Ssl::new(ctx).unwrap(), tcp).unwrap();
    if early {
        let mut buf = [0u8; 64];
        while tls.read_early_data(&mut buf).expect("read early data") > 0 {}
    }
    tls.accept().expect("server handshake");
    if ask {
        // PING carries the request. A TLS 1.3 server reads the answer as
        // it reads data, so the client sends REPLY after it; the new
        // ticket the answer earns goes out before DONE, which tells the
        // client that all of it is over: both clients read to one point.
        request_client_cert(&mut tls);
        tls.write_all(PING).expect("server write");
        let mut reply = [0u8; 2];
        tls.read_exact(&mut reply).expect("the client's reply");
        tls.write_all(DONE).expect("server write");
        read_to_close(&mut tls);
        let _ = tls.shutdown();
    } else {
        match after {
            After::Ping => serve_ping(&mut tls),
            After::Read => {
                read_to_close(&mut tls);
                let _ = tls.shutdown();
            }
        }
    }
    let trace = trace_of(&tls);
    if ask {
        // The certificate that came after the handshake is the peer's.
        let chain = trace.negotiated.as_ref().map(|n| n.peer_chain.len());
        assert_eq!(
            chain,
            Some(2),
            "the client's leaf and intermediate:\n{trace:?}"
        );
        assert!(trace.succeeded(), "{trace:?}");
    }
    Logs::of(&trace)
}

/// s_client against `addr` for each connection of `flow`, as our client
/// runs: read PING (and any tickets before it), then close. Returns each
/// run's logs.
fn s_client_runs(flow: &Flow, addr: SocketAddr, files: &PkiFiles, dir: &Path) -> Vec<Logs> {
    let session = dir.join("session.pem");
    let early = dir.join("early.txt");
    std::fs::write(&early, EARLY).unwrap();
    (0..flow.connections())
        .map(|i| {
            let mut cmd = openssl();
            cmd.args(["s_client", "-connect", &addr.to_string(), "-state", "-msg"])
                .args(["-servername", "localhost", "-verify_hostname", "localhost"])
                .arg("-CAfile")
                .arg(&files.root)
                .args(flow.s_client);
            if flow.client_cert {
                let leaf = files.client(CLIENT_KEY);
                // -cert sends the leaf alone; -cert_chain adds what follows.
                cmd.arg("-cert").arg(&leaf.cert).arg("-key").arg(&leaf.key);
                cmd.arg("-cert_chain").arg(&files.intermediate);
            }
            match (i, flow.resume) {
                (_, Resume::No) => {}
                (0, _) => {
                    cmd.arg("-sess_out").arg(&session);
                }
                (_, Resume::Yes) => {
                    cmd.arg("-sess_in").arg(&session);
                }
                (_, Resume::WithEarlyData) => {
                    cmd.arg("-sess_in")
                        .arg(&session)
                        .arg("-early_data")
                        .arg(&early);
                }
            }
            let (mut child, out) = Reaped::piped(&mut cmd, OPENSSL_S_CLIENT);
            let mut seen = String::new();
            // s_client writes what it reads straight to stdout while its
            // own prints (a ticket's dump) may sit in a buffer, so PING can
            // end a line rather than fill one.
            // s_client is killed with the panic, when it comes.
            let mut wait_for = |last: &str| {
                let line = |l: &str| l.ends_with(last);
                if let Err(e) = line_where(&out, line, |l| seen += &format!("{l}\n")) {
                    panic!(
                        "{}: s_client read no {last} ({e}) after:\n{seen}",
                        flow.name
                    )
                }
            };
            wait_for("ping");
            let mut stdin = child.stdin.take().expect("stdin");
            if flow.then == Then::ServerAsksForCertificate {
                stdin.write_all(REPLY).expect("s_client's stdin");
                wait_for("done");
            }
            if let Some(command) = flow.then.command() {
                // s_client acts on a command line, and finishes what it
                // starts before it reads on (to the EOF).
                stdin.write_all(command).expect("s_client's stdin");
            }
            drop(stdin);
            let states = child.finish();
            // The child has exited: the rest of its stdout is in the channel.
            seen.extend(out.iter().map(|l| format!("{l}\n")));
            // What s_client prints of the session comes before the data.
            if i > 0 {
                assert!(
                    seen.contains("\nReused, "),
                    "{}: s_client did not resume:\n{seen}",
                    flow.name
                );
            }
            if i > 0 && flow.resume == Resume::WithEarlyData {
                assert!(
                    seen.contains("\nEarly data was accepted"),
                    "{}: early data refused:\n{seen}",
                    flow.name
                );
            }
            let mut lines = state_lines(&states);
            assert_eq!(
                lines.len(),
                1,
                "{}: one connection per s_client run",
                flow.name
            );
            Logs {
                states: lines.remove(0),
                messages: message_lines(&seen),
            }
        })
        .collect()
}

/// Our traced client for each connection of `flow`, against `addr`.
#[allow(unsafe_code)] // SSL_set_session, which the openssl crate marks unsafe
fn our_client_runs(flow: &Flow, addr: SocketAddr) -> Vec<Logs> {
    let ctx = flow.our_client();
    let mut session: Option<SslSession> = None;
    (0..flow.connections())
        .map(|i| {
            let mut ssl = client_ssl(&ctx, "localhost");
            if let Some(s) = &session {
                // SAFETY: the session comes from an earlier connection of
                // this same context.
                unsafe { ssl.set_session(s) }.expect("set session");
            }
            let mut tls = SslStream::new(ssl, connect_tcp(addr)).unwrap();
            if session.is_some() && flow.resume == Resume::WithEarlyData {
                tls.write_early_data(EARLY).expect("write early data");
            }
            tls.connect().expect("client handshake");
            assert_eq!(tls.ssl().session_reused(), i > 0, "{}: resumed", flow.name);
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).expect("client reads ping");
            if flow.then == Then::ServerAsksForCertificate {
                tls.write_all(REPLY).expect("client writes");
                tls.read_exact(&mut buf).expect("client reads DONE");
                assert_eq!(&buf[..], DONE);
            }
            session = tls.ssl().session().map(|s| s.to_owned());
            flow.then.run(&mut tls);
            let _ = tls.shutdown();
            Logs::of(&trace_of(&tls))
        })
        .collect()
}

#[test]
fn client_state_logs_match_s_client_beyond_a_full_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki().write_pem(dir.path()).unwrap();
    for flow in flows() {
        let n = flow.connections();
        let (addr, served) = our_server(&flow, n, After::Ping);
        let reference = s_client_runs(&flow, addr, &files, dir.path());
        served.join().expect("server thread");

        let (addr, served) = our_server(&flow, n, After::Ping);
        let ours = our_client_runs(&flow, addr);
        served.join().expect("server thread");
        let messages: String = reference.iter().map(|r| r.messages.as_str()).collect();
        compare(&flow, "client", "s_client", &ours, &reference, &messages);
    }
}

#[test]
fn server_state_logs_match_s_server_beyond_a_full_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki().write_pem(dir.path()).unwrap();
    for flow in flows() {
        if flow.then == Then::ServerAsksForCertificate {
            // s_server asks only at a command on its input while it
            // serves, which this client-driven exchange cannot time.
            continue;
        }
        let n = flow.connections();
        let naccept = n.to_string();
        let mut args = vec!["-naccept", &naccept, "-state", "-msg"];
        args.extend(flow.s_server);
        if flow.client_cert {
            args.extend(["-CAfile", files.root.to_str().unwrap()]);
        }
        let (child, out, port) = s_server(files.server(KeyType::Rsa2048), &args);
        the_same_client(&flow, ("127.0.0.1", port));
        let states = state_lines(&child.finish());
        // The child has exited: the rest of its stdout is in the channel.
        let stdout: String = out.iter().map(|l| format!("{l}\n")).collect();
        let messages = message_lines(&stdout);
        let reference: Vec<Logs> = states
            .into_iter()
            .map(|states| Logs {
                states,
                messages: String::new(),
            })
            .collect();

        let (addr, served) = our_server(&flow, n, After::Read);
        the_same_client(&flow, addr);
        let ours = served.join().expect("server thread");
        compare(&flow, "server", "s_server", &ours, &reference, &messages);
    }
}

/// The client both servers meet: handshake (resuming and sending early
/// data as the flow says), close_notify, then read to the server's close
/// (which also takes in TLS 1.3 tickets).
#[allow(unsafe_code)] // SSL_set_session, which the openssl crate marks unsafe
fn the_same_client(flow: &Flow, addr: impl std::net::ToSocketAddrs) {
    let ctx = flow.our_client();
    let addr = addr.to_socket_addrs().unwrap().next().unwrap();
    let mut session: Option<SslSession> = None;
    for i in 0..flow.connections() {
        let tcp = TcpStream::connect(addr).unwrap();
        set_timeouts(&tcp);
        let mut ssl = client_ssl(&ctx, "localhost");
        if let Some(s) = &session {
            // SAFETY: the session comes from an earlier connection of this
            // same context.
            unsafe { ssl.set_session(s) }.expect("set session");
        }
        let mut tls = SslStream::new(ssl, tcp).unwrap();
        if session.is_some() && flow.resume == Resume::WithEarlyData {
            tls.write_early_data(EARLY).expect("write early data");
        }
        tls.connect().expect("client handshake");
        assert_eq!(tls.ssl().session_reused(), i > 0, "{}: resumed", flow.name);
        flow.then.run(&mut tls);
        let _ = tls.shutdown();
        let mut buf = [0u8; 64];
        while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
        session = tls.ssl().session().map(|s| s.to_owned());
    }
}

/// Each connection's state lines, and the message lines of all of them.
fn compare(flow: &Flow, side: &str, tool: &str, ours: &[Logs], reference: &[Logs], messages: &str) {
    assert_eq!(
        reference.len(),
        flow.connections(),
        "{}: {tool} connections:\n{reference:#?}",
        flow.name
    );
    // What the client asked for after the handshake is on the wire, so
    // that equal logs are not two that both left it out.
    let hellos = messages.matches(", ClientHello").count();
    match flow.then {
        Then::Nothing => {}
        Then::Renegotiate => assert_eq!(hellos, 2, "{}: {tool}:\n{messages}", flow.name),
        Then::ServerAsksForCertificate => assert!(
            messages.contains(", CertificateRequest\n"),
            "{}: {tool}:\n{messages}",
            flow.name
        ),
        Then::KeyUpdate => assert!(
            messages.contains(", KeyUpdate"),
            "{}: {tool}:\n{messages}",
            flow.name
        ),
    }
    assert_logs_match(flow.name, side, tool, ours, reference, messages);
}
