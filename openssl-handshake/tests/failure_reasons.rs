//! A failed handshake says why, even when OpenSSL's error queue is empty:
//! a peer that hangs up, and a record OpenSSL never accepted.

mod common;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

use openssl::ssl::{HandshakeError, Ssl, SslVersion};
use openssl_handshake::SslContextBuilderExt;
use openssl_handshake::{EventKind, HandshakeTrace, ProtocolVersion, TraceOptions};
use testkit::pki::KeyType;

use common::{client_ctx, connect_tcp, listener, raw_server, server_ctx, set_timeouts};

/// A client stream that hangs up (closes its socket) instead of sending
/// its second flight: the server sees EOF after its own first flight.
struct HangUpOnSecondFlight {
    tcp: TcpStream,
    read_anything: bool,
}

impl Read for HangUpOnSecondFlight {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.tcp.read(buf)?;
        self.read_anything |= n > 0;
        Ok(n)
    }
}

impl Write for HangUpOnSecondFlight {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.read_anything {
            let _ = self.tcp.shutdown(Shutdown::Both);
            return Err(io::Error::other("client hangs up"));
        }
        self.tcp.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

fn failed<S>(r: Result<openssl::ssl::SslStream<S>, HandshakeError<S>>) -> HandshakeTrace {
    match r {
        Ok(_) => panic!("the handshake should have failed"),
        Err(HandshakeError::Failure(mid)) => openssl_handshake::trace(mid.ssl()).expect("traced"),
        Err(_) => panic!("expected a handshake failure"),
    }
}

/// The trace of a default traced client whose handshake must fail against
/// a raw TCP peer that runs `peer` on the connection.
fn client_failing_against(peer: impl FnOnce(TcpStream) + Send + 'static) -> HandshakeTrace {
    let (addr, server) = raw_server(peer);
    let tcp = connect_tcp(addr);
    let ctx = client_ctx(|_| {});
    let trace = failed(Ssl::new(&ctx).unwrap().connect(tcp));
    server.join().unwrap();
    trace
}

#[test]
fn a_client_hanging_up_after_the_servers_flight_is_named() {
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    });
    let (listener, addr) = listener();
    let client = thread::spawn(move || {
        let tcp = connect_tcp(addr);
        let ctx = client_ctx(|_| {});
        let stream = HangUpOnSecondFlight {
            tcp,
            read_anything: false,
        };
        let _ = Ssl::new(&ctx).unwrap().connect(stream);
    });
    let (tcp, _) = listener.accept().unwrap();
    set_timeouts(&tcp);
    let trace = failed(Ssl::new(&server).unwrap().accept(tcp));
    client.join().unwrap();
    let failure = trace.failure().expect("failed");
    // A TLS 1.2 server's first flight ends with ServerHelloDone.
    assert_eq!(
        failure.reason,
        "the peer closed the connection (EOF) after ServerHelloDone"
    );
}

/// Reads one whole record, so that closing sends a FIN, not a reset.
fn read_record(tcp: &mut TcpStream) {
    let mut header = [0u8; 5];
    tcp.read_exact(&mut header).unwrap();
    let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
    tcp.read_exact(&mut body).unwrap();
}

#[test]
fn a_server_hanging_up_after_the_client_hello_is_named() {
    let trace = client_failing_against(|mut tcp| {
        read_record(&mut tcp);
        // Hang up with the ClientHello unanswered.
        tcp.shutdown(Shutdown::Both).unwrap();
    });
    let failure = trace.failure().expect("failed");
    assert_eq!(
        failure.reason,
        "the peer closed the connection (EOF) after ClientHello"
    );
}

/// Without messages recorded none can be named as the last: the reason
/// must not say the peer closed before any, when the client wrote its
/// ClientHello (the failure's state says how far it got).
#[test]
fn without_messages_a_hang_up_names_no_message() {
    let (addr, server) = raw_server(|mut tcp| {
        read_record(&mut tcp);
        tcp.shutdown(Shutdown::Both).unwrap();
    });
    let tcp = connect_tcp(addr);
    let ctx = client_ctx(|b| {
        b.trace_handshakes(TraceOptions::default().messages(false))
            .expect("messages off");
    });
    let trace = failed(Ssl::new(&ctx).unwrap().connect(tcp));
    server.join().unwrap();
    let failure = trace.failure().expect("failed");
    assert_eq!(failure.reason, "the peer closed the connection (EOF)");
    assert_eq!(
        failure.to_string(),
        "handshake failed after \"SSLv3/TLS write client hello\": the peer closed the \
         connection (EOF)"
    );
}

/// A socket closed with data unread sends a reset, not a FIN (RFC 1122,
/// 4.2.2.13): the failure names the reset as the socket reported it.
#[test]
fn a_server_resetting_after_the_client_hello_is_named() {
    let (addr, server) = raw_server(|mut tcp| {
        let mut header = [0u8; 5];
        tcp.read_exact(&mut header).unwrap();
        // Dropped with the rest of the ClientHello unread.
    });
    let tcp = connect_tcp(addr);
    let ctx = client_ctx(|_| {});
    let (trace, os) = match Ssl::new(&ctx).unwrap().connect(tcp) {
        Err(HandshakeError::Failure(mid)) => (
            openssl_handshake::trace(mid.ssl()).expect("traced"),
            mid.error().io_error().map(|e| e.to_string()),
        ),
        _ => panic!("expected a handshake failure"),
    };
    server.join().unwrap();
    // What the stream itself saw, independent of the trace.
    // Also: nothing the trace read from the SSL was left in the error
    // queue for the caller to mistake for the handshake's error.
    let os = os.expect("an I/O error, not an OpenSSL error");
    assert!(os.contains("reset"), "{os}");
    let failure = trace.failure().expect("failed");
    assert_eq!(
        failure.reason,
        format!("the connection failed: {os} after ClientHello")
    );
    let d = trace.diagnosis().expect("diagnosis");
    assert!(d.summary.contains("reset the connection (TCP RST)"), "{d}");
}

/// A server that answers the ClientHello with a Finished message: OpenSSL
/// rejects it at its header, so the message callback never sees it, but
/// the trace still records the record it came in.
#[test]
fn a_rejected_record_is_recorded() {
    let finished: Vec<u8> = {
        let mut m = vec![20u8, 0, 0, 12];
        m.extend([0u8; 12]);
        let mut r = vec![22u8, 3, 3, 0, m.len() as u8];
        r.extend(m);
        r
    };
    let sent_len = finished.len() - 5;
    let trace = client_failing_against(move |mut tcp| {
        let mut buf = [0u8; 5];
        tcp.read_exact(&mut buf).unwrap();
        tcp.write_all(&finished).unwrap();
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest);
    });
    let failure = trace.failure().expect("failed");
    assert_eq!(failure.reason, "unexpected message");
    let rejected = trace
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::UnacceptedRecord(r) => Some(*r),
            _ => None,
        })
        .expect("the rejected record is in the trace");
    assert_eq!(rejected.content_type, 22);
    assert_eq!(rejected.version, 0x0303);
    assert_eq!(usize::from(rejected.length), sent_len);
}

/// A handshake that fails at the server's certificate had already agreed
/// on a version and a suite; both traces keep them.
#[test]
fn a_failure_after_the_server_hello_keeps_what_was_agreed() {
    use openssl::ssl::{SslContext, SslMethod};
    use openssl_handshake::{SslContextBuilderExt, TraceOptions};
    use testkit::pki::Negative;

    // The negative credentials carry P-256 keys.
    const SUITE: &str = "ECDHE-ECDSA-AES128-GCM-SHA256";
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    common::pki()
        .negative(Negative::UntrustedRoot)
        .install(&mut b)
        .unwrap();
    b.trace_handshakes(TraceOptions::default()).unwrap();
    let server = b.build();
    let client = client_ctx(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.set_cipher_list(SUITE).unwrap();
    });
    let pair = common::connect(&server, &client, None);
    for (side, trace) in [("client", &pair.client), ("server", &pair.server)] {
        assert!(trace.failure().is_some(), "{side} failed");
        let n = trace
            .negotiated
            .as_ref()
            .unwrap_or_else(|| panic!("{side}: nothing agreed: {}", trace.state_log()));
        assert_eq!(n.version, ProtocolVersion::Tls1_2, "{side}");
        assert_eq!(n.cipher_openssl, SUITE, "{side}");
    }
    let verify = pair.client.negotiated.as_ref().unwrap().verify.as_ref();
    assert_eq!(
        verify.map(|v| v.code),
        Some(Negative::UntrustedRoot.expected_verify_error())
    );
}

/// Before the ServerHello nothing is agreed, and the trace says so.
#[test]
fn a_failure_before_the_server_hello_agreed_nothing() {
    let trace = client_failing_against(|mut tcp| {
        let mut buf = [0u8; 5];
        tcp.read_exact(&mut buf).unwrap();
    });
    assert!(trace.negotiated.is_none(), "{:?}", trace.negotiated);
}
