use super::*;
use crate::decode::{CipherSuite, ClientHello};

fn hello(legacy: u16, versions: &[u16]) -> ClientHello {
    ClientHello {
        legacy_version: legacy,
        cipher_suites: vec![CipherSuite::new(0x1301)],
        compression_methods: vec![0],
        supported_versions: versions.to_vec(),
        ..ClientHello::default()
    }
}

#[test]
fn offers_read_as_a_person_would_say_them() {
    assert_eq!(
        describe_offer(&hello(0x0303, &[0x0a0a, 0x0304, 0x0303]), None),
        "only TLS 1.2 and 1.3"
    );
    assert_eq!(
        describe_offer(&hello(0x0303, &[0x0304]), None),
        "only TLS 1.3"
    );
    assert_eq!(describe_offer(&hello(0x0302, &[]), None), "at most TLS 1.1");
    assert_eq!(
        describe_offer(&hello(0x0302, &[]), Some(0x0301)),
        "only TLS 1.0 and 1.1"
    );
    // draft-ietf-tls-tls13-18 and -28 (RFC 8446 section 4.2.1's
    // predecessors numbered their versions 0x7f00 + draft).
    let drafts = hello(0x0303, &[0x7f12, 0x7f1c]);
    assert_eq!(
        describe_offer(&drafts, None),
        "only TLS 1.3 draft 18 (0x7f12) and 1.3 draft 28 (0x7f1c)"
    );
    assert!(only_drafts(&drafts));
    // An SSLv2-format hello offering SSL 2.0 itself (SSL2_VERSION).
    assert_eq!(describe_offer(&hello(0x0002, &[]), None), "at most SSL 2.0");
    assert!(!only_drafts(&hello(0x0303, &[0x7f1c, 0x0304])));
    assert!(!only_drafts(&hello(0x0303, &[])));
}

#[test]
fn ranges_read_as_a_person_would_say_them() {
    let local = |min, max, level| LocalConfig {
        min_version: min,
        max_version: max,
        ciphers: Vec::new(),
        usable_ciphers: Vec::new(),
        security_level: level,
        verify_peer: false,
        require_peer_cert: false,
        certificate: None,
        expected_name: None,
        disabled_versions: Vec::new(),
    };
    assert_eq!(
        describe_local(&local(Some(TLS1_2), None, 1), Side::Server),
        "TLS 1.2 and up"
    );
    assert_eq!(
        describe_local(&local(Some(TLS1_3), Some(TLS1_3), 1), Side::Server),
        "only TLS 1.3"
    );
    assert_eq!(
        describe_local(&local(None, Some(0x0302), 0), Side::Server),
        "up to TLS 1.1"
    );
    assert_eq!(
        describe_local(&local(None, None, 2), Side::Server),
        "TLS 1.2 and up (security level 2 rules out older ones)"
    );
    // SslAcceptor::mozilla_intermediate_v5's options, at levels 0 and 2.
    let mut mozilla = local(None, None, 0);
    mozilla.disabled_versions = vec![SSL3, 0x0301, 0x0302];
    assert_eq!(
        describe_local(&mozilla, Side::Server),
        "TLS 1.2 and up (SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1 rule out older ones)"
    );
    mozilla.security_level = 2;
    assert_eq!(
        describe_local(&mozilla, Side::Server),
        "TLS 1.2 and up (security level 2 and SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1 rule out \
         older ones)"
    );
    let mut no13 = local(Some(TLS1_2), None, 2);
    no13.disabled_versions = vec![TLS1_3];
    assert_eq!(
        describe_local(&no13, Side::Server),
        "only TLS 1.2 (SSL_OP_NO_TLSv1_3 rules out newer ones)"
    );
    let mut none = local(Some(TLS1_2), None, 2);
    none.disabled_versions = vec![TLS1_2, TLS1_3];
    assert_eq!(
        describe_local(&none, Side::Server),
        "no version: its options (SSL_OP_NO_TLSv1_2, SSL_OP_NO_TLSv1_3) switch off every \
         version from TLS 1.2 to TLS 1.3"
    );
    // A minimum above the maximum, options or not.
    assert_eq!(
        describe_local(&local(Some(TLS1_3), Some(TLS1_2), 2), Side::Server),
        "no version: its minimum TLS 1.3 is above its maximum TLS 1.2"
    );
}

/// TLS 1.2 switched off between enabled versions: a server takes the rest
/// (ssl_choose_server_version checks each version on its own); OpenSSL's
/// client offers only the run below the hole (ssl_get_min_max_version
/// starts again below it), as `s_client -no_tls1_2` does.
#[test]
fn a_hole_is_a_hole_for_a_server_and_a_cap_for_a_client() {
    let mut holed = LocalConfig {
        min_version: None,
        max_version: None,
        ciphers: Vec::new(),
        usable_ciphers: Vec::new(),
        security_level: 0,
        verify_peer: false,
        require_peer_cert: false,
        certificate: None,
        expected_name: None,
        disabled_versions: vec![TLS1_2],
    };
    assert_eq!(
        describe_local(&holed, Side::Server),
        "TLS 1.0, TLS 1.1 and 1.3 (SSL_OP_NO_TLSv1_2 switches TLS 1.2 off)"
    );
    assert_eq!(
        describe_local(&holed, Side::Client),
        "up to TLS 1.1 (SSL_OP_NO_TLSv1_2 caps it at TLS 1.1: OpenSSL's client offers no \
         version above a switched-off one)"
    );
    assert_eq!(client_versions(&holed), [0x0301, 0x0302]);
    assert_eq!(cut(&holed), Some((0x0302, TLS1_2)));
    // TLS 1.3 switched off at the top is a cap, not a cut.
    holed.disabled_versions = vec![TLS1_3];
    assert_eq!(cut(&holed), None);
    assert_eq!(client_versions(&holed).last(), Some(&TLS1_2));
}
