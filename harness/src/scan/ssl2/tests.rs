use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::hostile::fingerprint::exchange_flight;

use super::*;

#[test]
fn the_hello_is_an_sslv2_client_hello() {
    let h = client_hello();
    let len = usize::from(u16::from_be_bytes([h[0], h[1]]) & 0x7fff);
    assert_eq!(len, h.len() - 2);
    // Type 1, version 2, 21 bytes of specs, no session id, 16 of challenge.
    assert_eq!(h[2..11], [1, 0, 2, 0, 21, 0, 0, 0, 16]);
    assert_eq!(h[11..14], [0x07, 0x00, 0xc0]);
    assert_eq!(h.len(), 2 + 9 + 21 + 16);
}

/// `reply` sent by a one-shot server once it has read a hello; the answer
/// the scan's reader makes of it.
fn answer_to(reply: Vec<u8>) -> Answer {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let _ = s.read(&mut [0u8; 512]);
        s.write_all(&reply).expect("reply");
    });
    let mut s = TcpStream::connect(addr).expect("connect");
    let (a, _) = exchange_flight(
        &mut s,
        &client_hello(),
        Instant::now() + Duration::from_secs(5),
    );
    server.join().expect("server");
    a
}

/// An SSLv2 SERVER-HELLO: header, type 4, no session-id hit, X.509, version
/// 2, a 3-byte "certificate", `specs`, a 16-byte connection id.
fn server_hello(specs: &[u32]) -> Vec<u8> {
    let cert = [0x30, 0x01, 0x00];
    let mut m = vec![4, 0, 1, 0, 2];
    for len in [cert.len(), specs.len() * 3, 16] {
        m.extend_from_slice(&(len as u16).to_be_bytes());
    }
    m.extend_from_slice(&cert);
    for s in specs {
        m.extend_from_slice(&s.to_be_bytes()[1..]);
    }
    m.extend_from_slice(&[7; 16]);
    let mut out = (0x8000 | m.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&m);
    out
}

#[test]
fn a_server_hello_is_a_yes_naming_its_specs() {
    let a = answer_to(server_hello(&[0x0700c0, 0x010080]));
    let (v, d) = verdict(&a);
    assert_eq!(v, Verdict::Yes, "{a:?}");
    assert_eq!(
        d,
        "SERVER-HELLO with DES_192_EDE3_CBC_WITH_MD5, RC4_128_WITH_MD5"
    );
    // SSLv2 on with its ciphers off is still SSLv2 on.
    let (v, d) = verdict(&answer_to(server_hello(&[])));
    assert_eq!(v, Verdict::Yes);
    assert!(d.contains("CVE-2015-3197"), "{d}");
}

#[test]
fn an_sslv2_error_or_a_tls_alert_is_a_no() {
    // SSLv2 ERROR, NO-CIPHER-ERROR (1).
    let a = answer_to(vec![0x80, 0x03, 0x00, 0x00, 0x01]);
    assert_eq!(a, Answer::Sslv2Error { code: 1 });
    assert_eq!(verdict(&a).0, Verdict::No);
    // What OpenSSL 3, GnuTLS and tlslite-ng answer: a protocol_version alert.
    let a = answer_to(vec![0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);
    let (v, d) = verdict(&a);
    assert_eq!(v, Verdict::No);
    assert_eq!(d, "refused: fatal alert protocol_version (70)");
}
