//! A server's TLS 1.2 flight built byte by byte, for the tests of what a
//! traced client makes of messages OpenSSL's own server never sends:
//! handshake messages, the records that carry them, and a raw server
//! that answers a traced client's hello with them.

use std::io::Write;

use openssl::ssl::SslContext;
use openssl_handshake::HandshakeTrace;

use super::diagnosis::{read_record, rsa, traced_client};
use super::raw_server;

/// A handshake message: its header announcing `announced` body bytes,
/// then `body` (which may be shorter: OpenSSL refuses some from the
/// header).
pub fn message(handshake_type: u8, announced: usize, body: &[u8]) -> Vec<u8> {
    let mut out = vec![handshake_type];
    out.extend_from_slice(&(announced as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// A handshake message whose header tells its body's length.
pub fn whole(handshake_type: u8, body: &[u8]) -> Vec<u8> {
    message(handshake_type, body.len(), body)
}

/// `content` with a length prefix of `len_bytes` bytes.
pub fn prefixed(len_bytes: usize, content: &[u8]) -> Vec<u8> {
    let len = (content.len() as u32).to_be_bytes();
    [&len[4 - len_bytes..], content].concat()
}

/// `content` in TLS 1.2 handshake records of at most 2^14 bytes.
pub fn records(content: &[u8]) -> Vec<u8> {
    content
        .chunks(1 << 14)
        .flat_map(|chunk| {
            let mut r = vec![22, 3, 3];
            r.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            r.extend_from_slice(chunk);
            r
        })
        .collect()
}

/// A TLS 1.2 ServerHello choosing `suite`, with an empty
/// renegotiation_info (RFC 5746), which OpenSSL's client requires.
pub fn server_hello(suite: u16) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x22; 32]); // random
    body.push(0); // no session id
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0); // null compression
    body.extend_from_slice(&[0, 5, 0xff, 0x01, 0, 1, 0]);
    whole(2, &body)
}

/// A TLS 1.2 Certificate carrying the test server's chain, which the
/// client's trust store verifies.
pub fn certificate() -> Vec<u8> {
    let cred = rsa();
    let ders: Vec<Vec<u8>> = std::iter::once(&cred.cert)
        .chain(&cred.chain)
        .map(|c| c.to_der().expect("DER"))
        .collect();
    let list: Vec<u8> = ders.iter().flat_map(|d| prefixed(3, d)).collect();
    whole(11, &prefixed(3, &list))
}

/// The trace of a client on `ctx` whose hello a raw server answers with
/// `flight`, then closes its side and reads the client's answer.
pub fn client_trace_of_flight(ctx: &SslContext, flight: Vec<u8>) -> HandshakeTrace {
    let (addr, server) = raw_server(move |mut tcp| {
        if read_record(&mut tcp).is_err() {
            return;
        }
        let _ = tcp.write_all(&records(&flight));
        let _ = tcp.shutdown(std::net::Shutdown::Write);
        let _ = read_record(&mut tcp);
    });
    let trace = traced_client(ctx, addr, "localhost", |_| {});
    server.join().expect("server thread");
    trace
}
