//! Scripted servers for one connection: they read the client's first
//! flight, then answer with bytes a test chose, so a test can send what no
//! real stack would (a truncated message, a malformed alert, a replayed
//! flight) and check how the probe names it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// A server for one connection that reads the client's first flight,
/// then does `then` with it; its address, and the thread to join.
pub fn after_the_flight(
    then: impl FnOnce(&mut TcpStream, &[u8]) + Send + 'static,
) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("time-out");
        let mut flight = [0u8; 4096];
        let n = tcp.read(&mut flight).unwrap_or(0);
        then(&mut tcp, &flight[..n]);
    });
    (addr, server)
}

/// [`after_the_flight`] for a `then` that needs only the connection.
pub fn after_the_hello(
    then: impl FnOnce(&mut TcpStream) + Send + 'static,
) -> (String, std::thread::JoinHandle<()>) {
    after_the_flight(move |tcp, _| then(tcp))
}

/// A server for one connection that reads the ClientHello and answers
/// with the record `answer` makes from its legacy_session_id, then waits
/// a moment before closing, so the answer is read before the close.
pub fn after_the_hello_answering(
    answer: impl FnOnce(&[u8]) -> Vec<u8> + Send + 'static,
) -> (String, std::thread::JoinHandle<()>) {
    after_the_flight(move |tcp, hello| {
        // Record header 5, handshake header 4, version 2, random 32.
        let sid_len = usize::from(hello.get(43).copied().unwrap_or(0));
        let sid = hello.get(44..44 + sid_len).expect("a whole session id");
        let _ = tcp.write_all(&answer(sid));
        std::thread::sleep(Duration::from_millis(200));
    })
}

/// A ServerHello record: `version`, a fixed random, `sid` echoed, `suite`,
/// no compression and `extensions` (each already encoded).
pub fn server_hello(version: u16, sid: &[u8], suite: &[u8], extensions: &[u8]) -> Vec<u8> {
    record(22, &server_hello_message(version, sid, suite, extensions))
}

/// [`server_hello`]'s handshake message alone.
pub fn server_hello_message(version: u16, sid: &[u8], suite: &[u8], extensions: &[u8]) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&[0x11; 32]);
    body.push(sid.len() as u8);
    body.extend_from_slice(sid);
    body.extend_from_slice(suite);
    body.push(0);
    body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    body.extend_from_slice(extensions);
    handshake(2, &body)
}

/// A handshake message of `kind` around `body`.
pub fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind, 0];
    m.extend_from_slice(&(body.len() as u16).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// A TLS 1.2-framed record of `content_type` around `body`.
pub fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}
