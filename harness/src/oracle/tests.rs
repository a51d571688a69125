use super::*;
use crate::case::{CaseKind, ExpectedAlert, KeyKind, SrpPassword};
use crate::library::{SuiteInfo, VersionSupport};

fn suite(name: &str, min: Version, kx: &str, au: &str) -> SuiteInfo {
    SuiteInfo {
        name: name.into(),
        standard_name: None,
        id: 0,
        min_version: min,
        max_version: if min == Version::Tls1_3 {
            Version::Tls1_3
        } else {
            Version::Tls1_2
        },
        kx: kx.into(),
        au: au.into(),
        enc: "AESGCM(128)".into(),
        mac: "AEAD".into(),
    }
}

fn ecdhe_rsa() -> SuiteInfo {
    suite(
        "ECDHE-RSA-AES128-GCM-SHA256",
        Version::Tls1_2,
        "ECDH",
        "RSA",
    )
}

fn tls13() -> SuiteInfo {
    suite("TLS_AES_128_GCM_SHA256", Version::Tls1_3, "any", "any")
}

fn library(without_ssl3: bool) -> Library {
    Library {
        version_text: "OpenSSL 3.0.0 test".into(),
        version_number: 0x3000_0000,
        versions: Version::ALL
            .iter()
            .map(|&v| VersionSupport {
                version: v,
                missing: (without_ssl3 && v == Version::Ssl3).then(|| {
                    "SSLv3: unsupported by the linked OpenSSL (built without SSLv3)".into()
                }),
            })
            .collect(),
        suites: vec![ecdhe_rsa(), tls13()],
        cleartext_suites: Vec::new(),
    }
}

fn case(v: Version, s: SuiteInfo) -> Case {
    let mut client = Endpoint {
        suites: vec![s.clone()],
        verify_peer: true,
        ..Endpoint::default()
    };
    client.pin(v);
    let mut server = Endpoint {
        suites: vec![s.clone()],
        identity: Identity::Certificate(KeyKind::Rsa2048),
        ..Endpoint::default()
    };
    server.pin(v);
    Case {
        id: "test".into(),
        kind: CaseKind::Suite,
        version: v,
        suite: Some(s.name),
        key: "rsa2048".into(),
        option: "default".into(),
        client,
        server,
        resume: None,
        notes: vec![],
        expect: Expectation::Pending,
    }
}

fn expect(c: &Case) -> Expectation {
    let lib = library(true);
    let verify = |p: Negative| match p {
        Negative::Expired => 10,
        _ => 99,
    };
    Oracle::new(&lib, &verify).expect(c)
}

fn alert_of(e: &Expectation) -> Option<ExpectedAlert> {
    match e {
        Expectation::Failure { alert, .. } => *alert,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn plain_case_succeeds_with_its_suite_and_version() {
    let c = case(Version::Tls1_2, ecdhe_rsa());
    match expect(&c) {
        Expectation::Success {
            version,
            suite,
            resumed,
            ..
        } => {
            assert_eq!(version, Version::Tls1_2);
            assert_eq!(suite, "ECDHE-RSA-AES128-GCM-SHA256");
            assert_eq!(resumed, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn version_missing_from_library_is_unsupported_with_reason() {
    let c = case(
        Version::Ssl3,
        suite("AES128-SHA", Version::Ssl3, "RSA", "RSA"),
    );
    match expect(&c) {
        Expectation::Unsupported { reason } => {
            assert!(reason.starts_with("client and server ("), "{reason}");
            assert!(reason.contains("lacks SSLv3"), "{reason}");
            assert!(reason.contains("built without SSLv3"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn client_max_below_server_min_is_protocol_version_from_server() {
    let mut c = case(
        Version::Tls1_2,
        suite("ECDHE-RSA-AES128-SHA", Version::Tls1, "ECDH", "RSA"),
    );
    c.client.min_version = Some(Version::Tls1);
    c.client.max_version = Some(Version::Tls1_1);
    c.client.security_level = Some(0);
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::PROTOCOL_VERSION)
    );
}

#[test]
fn client_min_above_server_max_is_protocol_version_from_the_server_with_supported_versions() {
    // Seen with `openssl s_client -tls1_3` against `s_server -tls1_2`:
    // the server writes "alert protocol version".
    let mut c = case(Version::Tls1_3, tls13());
    c.server.pin(Version::Tls1_2);
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::PROTOCOL_VERSION)
    );
}

#[test]
fn client_min_above_server_max_is_protocol_version_from_the_client_without_it() {
    // `s_client -tls1_2` against `s_server -tls1`: the server answers
    // TLS 1.0 and the client writes "alert protocol version".
    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.server.pin(Version::Tls1);
    c.server.security_level = Some(0);
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Client, alert::PROTOCOL_VERSION)
    );
}

#[test]
fn a_client_whose_suites_fit_none_of_its_versions_fails_before_sending() {
    let mut c = case(Version::Tls1, ecdhe_rsa());
    c.client.security_level = Some(0);
    c.server.security_level = Some(0);
    match expect(&c) {
        Expectation::Failure {
            alert, why, causes, ..
        } => {
            assert_eq!(alert, None);
            assert!(why.contains("no ciphers available"), "{why}");
            // The client names it; the server sees whatever the client
            // sends instead of a usable hello.
            assert_eq!(causes.client, [Cause::NoSharedCipher]);
            assert_eq!(causes.server, [Cause::UnexpectedMessage]);
        }
        other => panic!("{other:?}"),
    }
    // A client that sends a hello without suites instead (GnuTLS).
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let mut gnutls = linked_capabilities(&lib);
    gnutls.empty_offer = EmptyOffer::HelloWithoutSuites;
    match o.expect_between(&c, &gnutls, &o.linked) {
        Expectation::Failure { causes, .. } => {
            assert_eq!(causes.server, [Cause::MalformedMessage]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_refused_server_certificate_names_its_problem_on_both_sides() {
    let mut c = case(Version::Tls1_3, tls13());
    c.client.verify_peer = true;
    c.server.identity = Identity::Negative(Negative::NotYetValid);
    match expect(&c) {
        Expectation::Failure { causes, .. } => {
            assert_eq!(causes.client, [Cause::ServerCertNotYetValid]);
            assert_eq!(causes.server, [Cause::ServerCertNotYetValid]);
        }
        other => panic!("{other:?}"),
    }
    // A wrong host the server can tell only from the name the client sent.
    c.server.identity = Identity::Negative(Negative::WrongHost);
    let server_causes = |c: &Case| match expect(c) {
        Expectation::Failure { causes, .. } => causes.server,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        server_causes(&c),
        [Cause::ServerCertWrongHost, Cause::ServerCertInvalid]
    );
    c.client.sni = Some("localhost".into());
    assert_eq!(server_causes(&c), [Cause::ServerCertWrongHost]);
}

#[test]
fn a_declared_suite_version_limit_is_honoured() {
    let s = suite("PSK-AES128-CBC-SHA256", Version::Tls1, "PSK", "PSK");
    let mut c = case(Version::Tls1, s.clone());
    c.client.security_level = Some(0);
    c.server.security_level = Some(0);
    c.client.psk = true;
    c.server.psk = true;
    c.server.identity = Identity::None;
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    assert!(matches!(o.expect(&c), Expectation::Success { .. }));
    // A server that has the suite only from TLS 1.2 (as `gnutls-cli -l`
    // lists it) can't serve it at TLS 1.0.
    let mut gnutls = linked_capabilities(&lib);
    gnutls.implementation = "gnutls".into();
    gnutls.suites = SuiteSupport::ByCode([(s.id, Version::Tls1_2)].into());
    gnutls.old_versions_need_level0 = false;
    let a = alert_of(&o.expect_between(&c, &o.linked, &gnutls)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::HANDSHAKE_FAILURE)
    );
    // As the client it has nothing to offer at TLS 1.0.
    assert!(matches!(
        o.expect_between(&c, &gnutls, &o.linked),
        Expectation::Failure { alert: None, .. }
    ));
}

#[test]
fn an_unknown_group_is_unsupported_naming_the_side() {
    let mut c = case(Version::Tls1_3, tls13());
    c.client.groups = vec!["brainpoolP512r1tls13".into()];
    c.server.groups = vec!["brainpoolP512r1tls13".into()];
    match expect(&c) {
        Expectation::Unsupported { reason } => {
            assert!(reason.starts_with("client ("), "{reason}");
            assert!(
                reason.contains("lacks group brainpoolP512r1tls13"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn old_versions_need_security_level_zero_on_openssl3() {
    let mut c = case(
        Version::Tls1,
        suite("AES128-SHA", Version::Ssl3, "RSA", "RSA"),
    );
    // Without level 0 the server cannot go below TLS 1.2.
    assert!(matches!(expect(&c), Expectation::Failure { .. }));
    c.client.security_level = Some(0);
    c.server.security_level = Some(0);
    assert!(matches!(
        expect(&c),
        Expectation::Success {
            version: Version::Tls1,
            ..
        }
    ));
}

#[test]
fn no_shared_suite_is_handshake_failure_from_server() {
    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.server.suites = vec![suite(
        "ECDHE-RSA-AES256-GCM-SHA384",
        Version::Tls1_2,
        "ECDH",
        "RSA",
    )];
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::HANDSHAKE_FAILURE)
    );
}

#[test]
fn suite_needing_a_key_the_server_lacks_is_no_shared_suite() {
    let mut c = case(
        Version::Tls1_1,
        suite("ECDHE-ECDSA-AES128-SHA", Version::Tls1, "ECDH", "ECDSA"),
    );
    c.client.security_level = Some(0);
    c.server.security_level = Some(0);
    c.server.identity = Identity::Certificate(KeyKind::Ed25519);
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(a.description, alert::HANDSHAKE_FAILURE);
    c.server.identity = Identity::Certificate(KeyKind::EcdsaP256);
    assert!(matches!(expect(&c), Expectation::Success { .. }));
}

#[test]
fn psk_suite_needs_psk_on_both_sides() {
    let s = suite("PSK-AES128-GCM-SHA256", Version::Tls1_2, "PSK", "PSK");
    let mut c = case(Version::Tls1_2, s);
    c.server.identity = Identity::None;
    c.client.psk = true;
    assert!(matches!(expect(&c), Expectation::Failure { .. }));
    c.server.psk = true;
    assert!(matches!(expect(&c), Expectation::Success { .. }));
}

#[test]
fn srp_suites_need_an_srp_login_on_both_sides_and_srp_rsa_a_certificate() {
    let s = suite("SRP-AES-128-CBC-SHA", Version::Tls1_2, "SRP", "SRP");
    let mut c = case(Version::Tls1_2, s);
    c.server.identity = Identity::None;
    c.client.srp = Some(SrpPassword::Right);
    assert!(matches!(expect(&c), Expectation::Failure { .. }));
    c.server.srp = Some(SrpPassword::Right);
    match expect(&c) {
        Expectation::Success { suite, .. } => assert_eq!(suite, "SRP-AES-128-CBC-SHA"),
        other => panic!("{other:?}"),
    }
    // The server's certificate signs SRP-RSA's key exchange.
    let s = suite("SRP-RSA-AES-128-CBC-SHA", Version::Tls1_2, "SRP", "RSA");
    let mut c = case(Version::Tls1_2, s);
    c.client.srp = Some(SrpPassword::Right);
    c.server.srp = Some(SrpPassword::Right);
    assert!(matches!(expect(&c), Expectation::Success { .. }));
    c.server.identity = Identity::None;
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::HANDSHAKE_FAILURE)
    );
}

#[test]
fn a_wrong_srp_password_is_bad_record_mac_from_the_server() {
    let s = suite("SRP-AES-128-CBC-SHA", Version::Tls1_2, "SRP", "SRP");
    let mut c = case(Version::Tls1_2, s);
    c.server.identity = Identity::None;
    c.client.srp = Some(SrpPassword::Wrong);
    c.server.srp = Some(SrpPassword::Right);
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::BAD_RECORD_MAC)
    );
}

#[test]
fn no_shared_group_in_tls13_is_handshake_failure() {
    let mut c = case(Version::Tls1_3, tls13());
    c.client.groups = vec!["X25519".into()];
    c.server.groups = vec!["P-256".into()];
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::HANDSHAKE_FAILURE)
    );
    c.server.groups = vec!["X25519".into()];
    match expect(&c) {
        Expectation::Success { group, .. } => assert_eq!(group.as_deref(), Some("X25519")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_client_certificate_alert_depends_on_version() {
    let mut c = case(Version::Tls1_3, tls13());
    c.server.verify_peer = true;
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::CERTIFICATE_REQUIRED)
    );

    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.server.verify_peer = true;
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::HANDSHAKE_FAILURE)
    );

    c.client.identity = Identity::Certificate(KeyKind::Rsa2048);
    assert!(matches!(expect(&c), Expectation::Success { .. }));
}

#[test]
fn alpn_without_overlap_is_no_application_protocol() {
    let mut c = case(Version::Tls1_3, tls13());
    c.client.alpn = vec!["h2".into()];
    c.server.alpn = vec!["http/1.1".into()];
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::NO_APPLICATION_PROTOCOL)
    );
    c.client.alpn = vec!["h2".into(), "http/1.1".into()];
    match expect(&c) {
        Expectation::Success { alpn, .. } => assert_eq!(alpn.as_deref(), Some("http/1.1")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn negative_certificate_expects_the_pki_verify_error() {
    let mut c = case(Version::Tls1_3, tls13());
    c.server.identity = Identity::Negative(Negative::Expired);
    match expect(&c) {
        Expectation::Failure {
            verify_error,
            alert,
            ..
        } => {
            assert_eq!(verify_error, Some(10));
            assert_eq!(alert, None);
        }
        other => panic!("{other:?}"),
    }
    // A client that doesn't verify accepts it.
    c.client.verify_peer = false;
    assert!(matches!(expect(&c), Expectation::Success { .. }));
}

#[test]
fn sni_switches_to_the_good_certificate() {
    let mut c = case(Version::Tls1_3, tls13());
    c.server.identity = Identity::Negative(Negative::WrongHost);
    c.server.sni = Some("localhost".into());
    c.server.sni_identity = Some(Identity::Certificate(KeyKind::Rsa2048));
    assert!(matches!(expect(&c), Expectation::Failure { .. }));
    c.client.sni = Some("localhost".into());
    match expect(&c) {
        Expectation::Success { sni, .. } => assert_eq!(sni.as_deref(), Some("localhost")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dss_suites_run_and_a_dsa_only_server_refuses_tls13() {
    let mut c = case(
        Version::Tls1_2,
        suite("DHE-DSS-X", Version::Tls1, "DH", "DSS"),
    );
    c.server.identity = Identity::Certificate(KeyKind::Dsa2048);
    assert!(matches!(expect(&c), Expectation::Success { .. }));
    // TLS 1.3 has no DSA scheme: an OpenSSL server with only a DSA
    // leaf leaves TLS 1.3 out and answers protocol_version.
    let mut c = case(Version::Tls1_3, tls13());
    c.server.identity = Identity::Certificate(KeyKind::Dsa2048);
    let a = alert_of(&expect(&c)).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::PROTOCOL_VERSION)
    );
}

#[test]
fn resumption_kind_follows_the_version() {
    let mut c = case(Version::Tls1_3, tls13());
    c.resume = Some(ResumeKind::Tls13Psk);
    assert!(matches!(
        expect(&c),
        Expectation::Success {
            resumed: Some(ResumeKind::Tls13Psk),
            ..
        }
    ));
    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.resume = Some(ResumeKind::SessionId);
    assert!(matches!(
        expect(&c),
        Expectation::Success {
            resumed: Some(ResumeKind::SessionId),
            ..
        }
    ));
}

#[test]
fn a_client_whose_own_policy_accepts_a_negative_is_expected_to_succeed() {
    let lib = library(true);
    let verify = |_: Negative| 66;
    let oracle = Oracle::new(&lib, &verify);
    let mut c = case(Version::Tls1_3, tls13());
    c.server.identity = Identity::Negative(Negative::WeakKey);
    let strict = &oracle.linked;
    match oracle.expect_between(&c, strict, strict) {
        Expectation::Failure { causes, .. } => {
            assert_eq!(causes.client, [Cause::ServerCertWeak]);
        }
        other => panic!("{other:?}"),
    }
    let lenient = strict
        .clone()
        .accept(Negative::WeakKey, "a policy of its own");
    assert!(
        matches!(
            oracle.expect_between(&c, &lenient, strict),
            Expectation::Success { .. }
        ),
        "a client accepting the key completes the handshake"
    );
    // Its acceptance is of that certificate alone.
    c.server.identity = Identity::Negative(Negative::Sha1Signature);
    assert!(matches!(
        oracle.expect_between(&c, &lenient, strict),
        Expectation::Failure { .. }
    ));
}

mod dialects;
mod pairings;
mod refusals;
mod sni;

#[test]
fn a_refused_client_certificate_is_named_on_both_sides_unless_the_server_accepts_it() {
    let mut c = case(Version::Tls1_3, tls13());
    c.server.verify_peer = true;
    c.client.identity = Identity::Negative(Negative::Expired);
    match expect(&c) {
        Expectation::Failure { causes, .. } => {
            assert_eq!(causes.client, [Cause::ClientCertRejected]);
            assert_eq!(causes.server, [Cause::ClientCertRejected]);
        }
        other => panic!("{other:?}"),
    }
    // No server checks a name in a client certificate.
    c.client.identity = Identity::Negative(Negative::WrongHost);
    assert!(matches!(expect(&c), Expectation::Success { .. }));
    // A server whose policy of its own accepts it (gnutls-serv and a
    // serverAuth-only client certificate).
    c.client.identity = Identity::Negative(Negative::WrongPurpose);
    assert!(matches!(expect(&c), Expectation::Failure { .. }));
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let gnutls = linked_capabilities(&lib).server_accept(Negative::WrongPurpose, "no EKU check");
    assert!(matches!(
        o.expect_between(&c, &o.linked, &gnutls),
        Expectation::Success { .. }
    ));
}
