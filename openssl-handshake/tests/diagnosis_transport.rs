//! The transport under a handshake giving out: a peer that hangs up
//! mid-handshake or before its hello, and one that stays silent until
//! this end's time-out. Raw sockets play the misbehaving peer (and an
//! in-memory pair, one that hangs up in a renegotiation).

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use common::diagnosis::*;
use common::{
    client_ctx, client_ssl, listener, raw_server, server_ctx_with, set_timeouts_to, trace_of,
    TIMEOUT,
};
use openssl::ssl::{Ssl, SslOptions, SslStream, SslVerifyMode};
use openssl_handshake::{Cause, Fault};

#[test]
fn peer_closed_mid_handshake() {
    // The server reads the ClientHello and hangs up.
    let (addr, server) = raw_server(|mut tcp| {
        let _ = read_record(&mut tcp);
        let _ = tcp.shutdown(Shutdown::Both);
    });
    let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    server.join().expect("server thread");
    assert_cause(
        &trace,
        Cause::PeerClosed,
        "server hung up after the ClientHello",
    );
    // Nothing came back: a server past its connection limit does this.
    let d = trace.diagnosis().expect("diagnosis");
    assert!(
        d.fix.contains("(a connection limit it had reached, "),
        "{d}"
    );

    // The client sends a ClientHello and hangs up.
    let (addr, server) = traced_server(&server_ctx_with(rsa(), |_| {}));
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.write_all(&client_hello_bytes()).expect("write hello");
    let _ = tcp.shutdown(Shutdown::Both);
    let trace = server.join().expect("server thread");
    assert_cause(
        &trace,
        Cause::PeerClosed,
        "client hung up after its ClientHello",
    );
    assert_eq!(trace.diagnosis().expect("diagnosis").fault, Fault::Client);

    // A client that connects and closes without a byte (a TCP health
    // check), and one that leaves after part of a record header.
    for (sent, cause) in [
        (&[][..], Cause::ClosedBeforeHello),
        (&[22, 3, 1][..], Cause::PeerClosed),
    ] {
        let (addr, server) = traced_server(&server_ctx_with(rsa(), |_| {}));
        let mut tcp = TcpStream::connect(addr).expect("connect");
        tcp.write_all(sent).expect("write");
        let _ = tcp.shutdown(Shutdown::Both);
        let trace = server.join().expect("server thread");
        assert_eq!(trace.bytes_received, sent.len() as u64);
        assert_cause(
            &trace,
            cause,
            &format!("{} bytes, then a close", sent.len()),
        );
    }
}

#[test]
fn timed_out() {
    // A client that connects and says nothing; the server gives up.
    let (ctx, traces) = hooked_server();
    let (l, addr) = listener();
    let silent = TcpStream::connect(addr).expect("connect");
    let (tcp, _) = l.accept().expect("accept");
    set_timeouts_to(&tcp, Duration::from_millis(200));
    let ssl = openssl::ssl::Ssl::new(&ctx).expect("ssl");
    let result = ssl.accept(tcp);
    assert!(result.is_err(), "nothing was sent, so no handshake");
    drop(result);
    drop(silent);
    let trace = traces.recv_timeout(TIMEOUT).expect("the hook saw it");
    assert_cause(&trace, Cause::TimedOut, "silent client");
    let d = trace.diagnosis().expect("diagnosed");
    assert!(
        d.summary
            .contains("the client connected but sent no ClientHello"),
        "{d}"
    );
    assert!(!d.fix.contains("reachable"), "{d}");

    // A server that accepts and says nothing; the client gives up.
    let (l, addr) = listener();
    let mut b =
        openssl::ssl::SslContext::builder(openssl::ssl::SslMethod::tls_client()).expect("ctx");
    let traces = hooked(&mut b);
    let ctx = b.build();
    let tcp = TcpStream::connect(addr).expect("connect");
    let (silent, _) = l.accept().expect("accept");
    set_timeouts_to(&tcp, Duration::from_millis(200));
    let result = openssl::ssl::Ssl::new(&ctx).expect("ssl").connect(tcp);
    assert!(result.is_err(), "nothing was answered, so no handshake");
    drop(result);
    drop(silent);
    let trace = traces.recv_timeout(TIMEOUT).expect("the hook saw it");
    assert_cause(&trace, Cause::TimedOut, "silent server");
    // Connected, and the ClientHello written: reachability is not in
    // question, what the server did with the hello is.
    let d = trace.diagnosis().expect("diagnosed");
    assert!(
        d.summary.contains(
            "the connection was made and this client sent its ClientHello, but the server sent \
             nothing back"
        ),
        "{d}"
    );
    assert!(!d.fix.contains("reachable"), "{d}");
    assert!(d.fix.contains("the server's own log"), "{d}");
}

/// A trace read while the handshake waits (the client's read time-out
/// returns would-block) counts the bytes so far: the ClientHello record
/// the server read, and the 3 bytes it answered with. The caller's
/// time-out diagnosis then says what came.
#[test]
fn a_trace_read_mid_handshake_counts_the_bytes_so_far() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (addr, server) = raw_server(move |mut tcp| {
        let hello = read_record(&mut tcp).expect("the ClientHello");
        tcp.write_all(&[0x16, 0x03, 0x03]).expect("3 bytes");
        let _ = tx.send(hello.len() as u64);
        // Silent until the client is done.
        let _ = read_record(&mut tcp);
    });
    let ctx = client_ctx(|_| {});
    let tcp = TcpStream::connect(addr).expect("connect");
    set_timeouts_to(&tcp, Duration::from_millis(300));
    let mut ssl = openssl::ssl::Ssl::new(&ctx).expect("ssl");
    ssl.set_hostname("localhost").expect("sni");
    let Err(openssl::ssl::HandshakeError::WouldBlock(mid)) = ssl.connect(tcp) else {
        panic!("the read time-out returns would-block");
    };
    let trace = openssl_handshake::trace(mid.ssl()).expect("traced");
    let hello = rx.recv_timeout(TIMEOUT).expect("the server read it");
    assert_eq!((trace.bytes_sent, trace.bytes_received), (hello, 3));
    let d = openssl_handshake::Diagnosis::timed_out(Some(&trace), "0.3 s");
    assert!(
        d.summary
            .contains("the peer sent 3 bytes but no whole handshake message"),
        "{d}"
    );
    drop(mid);
    server.join().expect("server");
}

/// A client that hangs up when asked for its certificate, as Chromium
/// does against `tls-harness serve --verify-client` to choose one before
/// it connects again (seen by hand; OpenSSL's and GnuTLS's clients answer
/// on the same connection): the server's diagnosis says it asked and
/// heard nothing, blaming no side. Not asked, the same hang-up reads as one
/// after its Finished, the client's fault.
#[test]
fn a_client_that_hangs_up_when_asked_for_its_certificate_is_named_so() {
    for (ask, said, fault) in [
        (
            true,
            "after this server asked for its certificate (CertificateRequest), sending none",
            Fault::Unknown,
        ),
        (
            false,
            "without an alert, after this server wrote Finished",
            Fault::Client,
        ),
    ] {
        let ctx = server_ctx_with(rsa(), |b| {
            if ask {
                require_client_cert(b);
            }
        });
        let trace = server_trace_of_bytes(&ctx, &client_hello_bytes());
        let d = trace.diagnosis().expect("diagnosis");
        assert_eq!((d.cause, d.fault), (Cause::PeerClosed, fault), "{d}");
        assert!(d.summary.contains(said), "{d}");
    }
}

/// The same hang-up in a TLS 1.2 renegotiation: a server that asks for a
/// certificate without requiring one, then renegotiates to require it (as
/// one guarding a single path does), names the renegotiation's
/// CertificateRequest, which the client left unanswered, though it
/// answered the first one (with an empty Certificate).
#[test]
fn a_client_that_hangs_up_when_a_renegotiation_asks_for_its_certificate_is_named_so() {
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_verify(SslVerifyMode::PEER);
        // What OpenSSL needs to resume sessions of a server that verifies
        // clients; without it the renegotiation fails with internal_error.
        b.set_session_id_context(b"renegotiation").expect("context");
        // A full renegotiation, which can ask for a certificate.
        b.set_options(SslOptions::NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    });
    let client = client_ctx(|_| {});
    let (c, s) = testkit::duplex::pair();
    let mut client = SslStream::new(client_ssl(&client, "localhost"), c).expect("client");
    let mut server = SslStream::new(Ssl::new(&server).expect("ssl"), s).expect("server");
    // In memory, each end taking turns, so that neither waits on the other.
    for _ in 0..8 {
        let _ = client.connect();
        let _ = server.accept();
    }
    assert!(server.ssl().is_init_finished(), "first handshake");
    require_client_cert_from_now(&mut server);
    renegotiate(&mut server);
    server.do_handshake().expect("HelloRequest sent");
    let mut buf = [0u8; 16];
    // The client answers the HelloRequest with a ClientHello, which the
    // server answers with its flight, CertificateRequest included; the
    // client hangs up before reading it.
    let asked = |server: &SslStream<_>| {
        trace_of(server)
            .messages()
            .filter(|m| m.exact_name() == "CertificateRequest")
            .count()
            == 2
    };
    for _ in 0..8 {
        if asked(&server) {
            break;
        }
        let _ = client.read(&mut buf);
        let _ = server.read(&mut buf);
    }
    assert!(asked(&server), "{}", trace_of(&server).message_log());
    drop(client);
    let read = server.read(&mut buf);
    assert!(
        !matches!(read, Ok(n) if n > 0),
        "the client hung up: {read:?}"
    );
    let trace = trace_of(&server);
    assert_eq!(trace.handshakes, 2, "{}", trace.state_log());
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(
        (d.cause, d.fault),
        (Cause::PeerClosed, Fault::Unknown),
        "{d}"
    );
    assert!(
        d.summary.contains(
            "after this server asked for its certificate (CertificateRequest), sending none"
        ),
        "{d}"
    );
}
