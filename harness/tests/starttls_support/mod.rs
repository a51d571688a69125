//! The server's side of STARTTLS exchanges the tests script themselves.

use std::io::{Read, Write};
use std::net::TcpStream;

/// Reads from `tcp` up to and including `end`.
pub fn read_until(tcp: &mut TcpStream, end: &[u8]) -> Vec<u8> {
    let mut got = Vec::new();
    let mut b = [0u8; 1];
    while !got.ends_with(end) {
        tcp.read_exact(&mut b).expect("read");
        got.push(b[0]);
    }
    got
}

/// The server's side of XMPP's STARTTLS, as Prosody answers it (header
/// and features in one write, proceed in another).
pub fn xmpp_exchange(tcp: &mut TcpStream) -> Vec<u8> {
    xmpp_exchange_with(
        tcp,
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
          xmlns:stream='http://etherx.jabber.org/streams' id='x1' from='example.org' \
          version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
          <required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
          <mechanism>PLAIN</mechanism></mechanisms></stream:features>",
        b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    )
}

/// The server's side of XMPP's STARTTLS: `features` (the stream header
/// with them) once the client's header has come, `proceed` once its
/// `<starttls/>` has. Returns what the client sent.
pub fn xmpp_exchange_with(tcp: &mut TcpStream, features: &[u8], proceed: &[u8]) -> Vec<u8> {
    let mut sent = read_until(tcp, b"version='1.0'>");
    tcp.write_all(features).expect("features");
    sent.extend(read_until(tcp, b"/>"));
    tcp.write_all(proceed).expect("proceed");
    sent
}
