use openssl_handshake::decode::{decode_handshake, Body};

use super::*;

#[test]
fn the_hello_is_an_sslv3_client_hello_without_extensions() {
    let rec = client_hello();
    // Record header: handshake, SSLv3, and a length that covers the rest.
    assert_eq!(rec[..3], [CT_HANDSHAKE, 3, 0]);
    assert_eq!(
        usize::from(u16::from_be_bytes([rec[3], rec[4]])),
        rec.len() - 5
    );
    let m = decode_handshake(&rec[5..], false).expect("decodes");
    let Body::ClientHello(h) = m.body else {
        panic!("not a ClientHello: {:?}", m.handshake_type);
    };
    assert_eq!(h.legacy_version, SSL3);
    assert_eq!(h.cipher_suites.len(), SUITES.len());
    assert!(h.extensions.is_empty());
    // The body ends with null compression: no extensions block follows.
    assert_eq!(rec[rec.len() - 2..], [1, 0]);
}

fn hello(version: u16, suite: u16) -> Answer {
    Answer::ServerHello {
        version,
        suite,
        hello_retry_request: false,
        extensions: Vec::new(),
        session_id_len: 32,
        ec_point_formats: None,
    }
}

fn lib() -> Library {
    Library::probe().expect("the linked OpenSSL")
}

#[test]
fn only_an_sslv3_server_hello_is_a_yes() {
    let lib = lib();
    // Named as OpenSSL names it, like every other version's row.
    let (v, d) = verdict(&hello(SSL3, 0x0035), &lib);
    assert_eq!(v, Verdict::Yes);
    assert!(d.starts_with("ServerHello SSLv3 AES256-SHA "), "{d}");
    // A suite this OpenSSL lacks (RC4 is gone from 3.0's default
    // provider) takes its IANA name.
    let (_, d) = verdict(&hello(SSL3, 0x0005), &lib);
    assert!(
        d.starts_with("ServerHello SSLv3 TLS_RSA_WITH_RC4_128_SHA "),
        "{d}"
    );
    let (v, d) = verdict(&hello(0x0303, 0x0035), &lib);
    assert_eq!(v, Verdict::No);
    assert!(d.contains("0x0303"), "{d}");
}

#[test]
fn refusals_are_no_and_silence_is_not_testable() {
    let lib = lib();
    let alert = Answer::Alert {
        level: 2,
        description: 70,
        record_version: SSL3,
    };
    let (v, d) = verdict(&alert, &lib);
    assert_eq!(v, Verdict::No);
    assert_eq!(d, "refused: fatal alert protocol_version (70)");
    assert_eq!(verdict(&Answer::Closed, &lib).0, Verdict::No);
    assert_eq!(verdict(&Answer::NoAnswer, &lib).0, Verdict::NotTestable);
    let unreadable = Answer::Unreadable {
        reason: "HTTP".into(),
    };
    assert_eq!(verdict(&unreadable, &lib).0, Verdict::NotTestable);
}
