//! What each side must name when the two ends share no suite or no
//! version.

use super::*;
use crate::peer::capabilities::AlertDialect;

fn aes128_gcm_rsa() -> SuiteInfo {
    suite("AES128-GCM-SHA256", Version::Tls1_2, "RSA", "RSA")
}

fn ecdhe_ecdsa() -> SuiteInfo {
    suite("ECDHE-ECDSA-AES128-SHA", Version::Tls1, "ECDH", "ECDSA")
}

/// The server's causes for a case with no suite it can serve, from a
/// library that has every suite the case lists.
fn server_refusal_of(c: &Case) -> Vec<Cause> {
    let mut lib = library(true);
    lib.suites.extend([aes128_gcm_rsa(), ecdhe_ecdsa()]);
    let verify = |_| 0;
    match Oracle::new(&lib, &verify).expect(c) {
        Expectation::Failure { causes, why, .. } => {
            assert!(why.contains("no suite"), "{why}");
            assert_eq!(causes.client, [Cause::HelloRefused]);
            causes.server
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_server_without_a_suite_names_the_rule_that_left_none() {
    // Nothing listed on both sides.
    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.server.suites = vec![aes128_gcm_rsa()];
    assert_eq!(server_refusal_of(&c), [Cause::NoSharedCipher]);
    // Listed by both, but for a key type the server lacks.
    let c = case(Version::Tls1_2, ecdhe_ecdsa());
    assert_eq!(server_refusal_of(&c), [Cause::NoSharedSignatureScheme]);
    // An Ed25519 key serves ECDSA suites, but signs only from TLS 1.2 on.
    let mut c = case(Version::Tls1_1, ecdhe_ecdsa());
    c.server.identity = Identity::Certificate(KeyKind::Ed25519);
    c.client.security_level = Some(0);
    c.server.security_level = Some(0);
    assert_eq!(server_refusal_of(&c), [Cause::NoSharedSignatureScheme]);
    // The key fits, the ECDHE suite has no group both allow.
    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.client.groups = vec!["X25519".into()];
    c.server.groups = vec!["P-384".into()];
    assert_eq!(server_refusal_of(&c), [Cause::NoSharedGroup]);
}

#[test]
fn the_client_names_no_shared_version_unless_it_heard_only_handshake_failure() {
    let client_causes = |e: Expectation| match e {
        Expectation::Failure { causes, .. } => causes.client,
        other => panic!("{other:?}"),
    };
    let mut c = case(Version::Tls1_3, tls13());
    c.server.pin(Version::Tls1_2);
    assert_eq!(client_causes(expect(&c)), [Cause::NoSharedVersion]);
    // A server that answers a TLS 1.3-only client with handshake_failure
    // (gnutls-serv limited to TLS 1.2) leaves the client only a refused
    // hello.
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let mut gnutls = linked_capabilities(&lib);
    gnutls.implementation = "gnutls".into();
    gnutls.alerts = vec![AlertDialect {
        failure: FailureKind::ClientVersionsTooHigh,
        alert: Some(alert::HANDSHAKE_FAILURE),
        note: String::new(),
    }];
    let e = o.expect_between(&c, &o.linked, &gnutls);
    assert_eq!(
        alert_of(&e).map(|a| a.description),
        Some(alert::HANDSHAKE_FAILURE)
    );
    assert_eq!(client_causes(e), [Cause::HelloRefused]);
}

#[test]
fn a_server_reads_an_unknown_issuer_exactly_only_from_unknown_ca() {
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let server_causes = |e: Expectation| match e {
        Expectation::Failure { causes, .. } => causes.server,
        other => panic!("{other:?}"),
    };
    let mut gnutls = linked_capabilities(&lib);
    gnutls.implementation = "gnutls".into();
    gnutls.alerts = vec![AlertDialect {
        failure: FailureKind::ServerIssuerUnknown,
        alert: Some(alert::BAD_CERTIFICATE),
        note: String::new(),
    }];
    let mut c = case(Version::Tls1_3, tls13());
    c.client.verify_peer = true;
    for (problem, named) in [
        (Negative::UntrustedRoot, Cause::ServerCertUntrustedRoot),
        (
            Negative::MissingIntermediate,
            Cause::ServerCertMissingIntermediate,
        ),
    ] {
        c.server.identity = Identity::Negative(problem);
        // OpenSSL's unknown_ca lets the server name the problem.
        assert_eq!(server_causes(expect(&c)), [named]);
        // A bare bad_certificate leaves it a certificate refused.
        assert_eq!(
            server_causes(o.expect_between(&c, &gnutls, &o.linked)),
            [named, Cause::ServerCertInvalid]
        );
    }
}

#[test]
fn a_client_that_reports_nothing_is_judged_by_what_the_server_heard() {
    let lib = library(true);
    let verify = |_| 10;
    let o = Oracle::new(&lib, &verify);
    let mut command = linked_capabilities(&lib);
    command.verify_unreported = true;
    let mut c = case(Version::Tls1_3, tls13());
    c.client.verify_peer = true;
    c.server.identity = Identity::Negative(Negative::Expired);
    match o.expect_between(&c, &command, &o.linked) {
        Expectation::Failure {
            verify_error,
            causes,
            ..
        } => {
            assert_eq!(verify_error, None);
            assert_eq!(
                causes.server,
                [Cause::ServerCertExpired, Cause::ServerCertInvalid]
            );
        }
        other => panic!("{other:?}"),
    }
    match o.expect_between(&c, &o.linked, &o.linked) {
        Expectation::Failure { verify_error, .. } => assert_eq!(verify_error, Some(10)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_server_declared_to_fail_with_ed25519_below_tls_1_2_is_unsupported_only_there() {
    use crate::peer::capabilities::Feature;
    let mut lib = library(true);
    lib.suites.push(ecdhe_ecdsa());
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let tlslite =
        linked_capabilities(&lib).lack(Role::Server, Feature::Ed25519BelowTls12, "fails in sign()");
    let at = |v: Version| {
        let mut c = case(v, ecdhe_ecdsa());
        c.server.identity = Identity::Certificate(KeyKind::Ed25519);
        c.client.security_level = Some(0);
        c.server.security_level = Some(0);
        c
    };
    for v in [Version::Tls1, Version::Tls1_1] {
        match o.expect_between(&at(v), &o.linked, &tlslite) {
            Expectation::Unsupported { reason } => {
                assert!(reason.starts_with("server ("), "{reason}");
                assert!(reason.contains("Ed25519 key below TLS 1.2"), "{reason}");
            }
            other => panic!("{v:?}: {other:?}"),
        }
        // As the client it only meets the refusal, which it can play.
        assert!(matches!(
            o.expect_between(&at(v), &tlslite, &o.linked),
            Expectation::Failure { .. }
        ));
    }
    assert!(matches!(
        o.expect_between(&at(Version::Tls1_2), &o.linked, &tlslite),
        Expectation::Success {
            version: Version::Tls1_2,
            ..
        }
    ));
}

/// Below TLS 1.3 a negative leaf serves the suites of its key's kind (a
/// P-256 key, but for the weak key's RSA): the client then refuses it as
/// at TLS 1.3, and a suite of the other kind is no suite at all.
#[test]
fn a_negative_leaf_serves_the_suites_of_its_key_below_tls13() {
    let mut lib = library(true);
    lib.suites.push(ecdhe_ecdsa());
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    for n in Negative::ALL {
        for s in [ecdhe_rsa(), ecdhe_ecdsa()] {
            let mut c = case(Version::Tls1_2, s.clone());
            c.server.identity = Identity::Negative(n);
            c.client.sni = Some("localhost".into());
            c.client.security_level = n.client_level();
            c.server.security_level = n.server_level();
            let e = o.expect(&c);
            let Expectation::Failure { why, .. } = &e else {
                panic!("{n} with {}: {e:?}", s.name);
            };
            if s.au == n.authentication() {
                assert!(why.contains("the server's certificate is"), "{n}: {why}");
            } else {
                assert!(why.contains("no suite"), "{n} with {}: {why}", s.name);
            }
        }
    }
}
