use openssl_handshake::decode::{decode_handshake, Body, ClientHello};

use super::*;

/// The record's header, and its ClientHello decoded.
fn parse(rec: &[u8], record_version: u16) -> ClientHello {
    assert_eq!(rec[0], CT_HANDSHAKE);
    assert_eq!(u16::from_be_bytes([rec[1], rec[2]]), record_version);
    assert_eq!(
        usize::from(u16::from_be_bytes([rec[3], rec[4]])),
        rec.len() - 5
    );
    let m = decode_handshake(&rec[5..], false).expect("decodes");
    match m.body {
        Body::ClientHello(h) => h,
        _ => panic!("not a ClientHello: {:?}", m.handshake_type),
    }
}

#[test]
fn an_sslv3_hello_has_no_extensions_block() {
    let rec = client_hello(
        Version::Ssl3,
        &[0x000a, 0x0005],
        &ECDHE_GROUPS,
        Some("ignored.example"),
    );
    let h = parse(&rec, 0x0300);
    assert_eq!(h.legacy_version, 0x0300);
    let ids: Vec<u16> = h.cipher_suites.iter().map(|s| s.id).collect();
    assert_eq!(ids, [0x000a, 0x0005, RENEGOTIATION_SCSV]);
    // The body ends with null compression: no extensions block follows.
    assert_eq!(rec[rec.len() - 2..], [1, 0]);
}

#[test]
fn a_tls12_hello_names_the_server_and_carries_groups_and_sigalgs() {
    let rec = client_hello(Version::Tls1_2, &[0xc012], &ECDHE_GROUPS, Some("localhost"));
    let h = parse(&rec, 0x0301);
    assert_eq!(h.legacy_version, 0x0303);
    assert_eq!(h.sni.as_deref(), Some("localhost"));
    assert_eq!(h.extensions, [0, 11, 10, 13, 23, 22]);
    // TLS 1.0's has no signature_algorithms (RFC 5246 brought it).
    let h = parse(
        &client_hello(Version::Tls1, &[0xc012], &ECDHE_GROUPS, None),
        0x0301,
    );
    assert_eq!(h.legacy_version, 0x0301);
    assert_eq!(h.extensions, [11, 10, 23, 22]);
}

#[test]
fn only_a_server_hello_at_the_version_chooses() {
    let hello = |version| Answer::ServerHello {
        version,
        suite: 0x000a,
        hello_retry_request: false,
        extensions: Vec::new(),
        session_id_len: 0,
        ec_point_formats: None,
    };
    assert_eq!(chosen(&hello(0x0302), Version::Tls1_1), Some(0x000a));
    assert_eq!(chosen(&hello(0x0303), Version::Tls1_1), None);
    assert_eq!(chosen(&Answer::Closed, Version::Tls1_1), None);
}

#[test]
fn every_suite_holds_the_dropped_suites_and_what_the_version_allows() {
    let lib = Library::probe().expect("the linked OpenSSL");
    let ids = every_suite(&lib, Version::Ssl3);
    // 3DES and RC4, which OpenSSL 3.0 dropped, AES-SHA, which it kept.
    for id in [0x000a, 0x0005, 0x002f] {
        assert!(ids.contains(&id), "{id:#06x}");
    }
    // Neither GCM (TLS 1.2) nor a TLS 1.3 suite.
    assert!(!ids.contains(&0x009c) && !ids.contains(&0x1301));
    let ids = every_suite(&lib, Version::Tls1_2);
    assert!(ids.contains(&0x009c) && ids.contains(&0x000a));
    assert!(!ids.contains(&0x1301));
}

#[test]
fn extras_go_into_the_hello() {
    let extras = Extras {
        compression: vec![1, 0x40],
        extensions: vec![(15, vec![1])],
    };
    let rec = client_hello_with(Version::Tls1_2, &[0xc02f], &ECDHE_GROUPS, None, &extras);
    let h = parse(&rec, 0x0301);
    assert_eq!(h.compression_methods, [1, 0x40, 0]);
    assert_eq!(h.extensions, [11, 10, 13, 23, 22, 15]);
    // SSLv3's hello carries the extras alone.
    let h = parse(
        &client_hello_with(Version::Ssl3, &[0x000a], &[], None, &extras),
        0x0300,
    );
    assert_eq!(h.extensions, [15]);
    let rec = client_hello_with(Version::Ssl3, &[0x000a], &[], None, &Extras::default());
    assert_eq!(rec[rec.len() - 2..], [1, 0]);
}
