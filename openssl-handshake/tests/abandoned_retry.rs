//! A client that leaves right after the server's HelloRetryRequest: the
//! traced server's handshake fails and is recorded, and the process lives.
//! (OpenSSL 3.0 then has no session for the connection, and reading the
//! negotiated group without one dereferenced a null pointer.)

mod common;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use common::*;
use openssl::ssl::{HandshakeError, Ssl, SslContext, SslMethod, SslVerifyMode};
use openssl_handshake::Outcome;
use testkit::first_flight::first_flight;
use testkit::pki::KeyType;

#[test]
fn a_client_leaving_after_a_hello_retry_request_fails_the_traced_handshake_cleanly() {
    // The server takes only P-256; the client's one key share is X25519,
    // so the server must ask again (RFC 8446 section 4.1.4).
    let server = server_ctx(KeyType::EcdsaP256, |b| {
        b.set_groups_list("P-256").expect("server groups")
    });
    let hello = client_hello("X25519:P-256");

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let server_side = thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        set_timeouts(&tcp);
        let ssl = Ssl::new(&server).expect("server ssl");
        match ssl.accept(tcp) {
            Ok(_) => panic!("the handshake cannot succeed: the client left"),
            Err(HandshakeError::Failure(mid)) => {
                openssl_handshake::trace(mid.ssl()).expect("tracing attached")
            }
            Err(e) => panic!("unexpected accept error: {e}"),
        }
    });

    let mut tcp = TcpStream::connect(addr).expect("connect");
    set_timeouts(&tcp);
    tcp.write_all(&hello).expect("send the ClientHello");
    let record = read_record(&mut tcp).expect("the server answers");
    // A ServerHello whose random is the HelloRetryRequest constant.
    assert_eq!(record[0], 22, "a handshake record");
    assert_eq!(record[5], 2, "a ServerHello");
    assert_eq!(
        &record[11..15],
        &[0xcf, 0x21, 0xad, 0x74],
        "the HelloRetryRequest random"
    );
    drop(tcp);

    let trace = server_side.join().expect("the server thread ends");
    assert!(
        matches!(trace.outcome, Outcome::Failed(_)),
        "{:?}",
        trace.outcome
    );
    assert!(!trace.succeeded());
}

/// The ClientHello a client offering `groups` sends (a key share for the
/// first one only), captured from a stream that never answers.
fn client_hello(groups: &str) -> Vec<u8> {
    let mut b = SslContext::builder(SslMethod::tls_client()).expect("client ctx");
    b.set_verify(SslVerifyMode::NONE);
    b.set_groups_list(groups).expect("client groups");
    let ctx = b.build();
    first_flight(Ssl::new(&ctx).expect("client ssl")).expect("capturing the ClientHello")
}

/// Reads one whole TLS record.
fn read_record(tcp: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut record = vec![0u8; 5];
    tcp.read_exact(&mut record)?;
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    record.resize(5 + len, 0);
    tcp.read_exact(&mut record[5..])?;
    Ok(record)
}
