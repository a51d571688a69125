//! What a declaration changes in an expectation where its implementation
//! legally answers otherwise than OpenSSL: the alert its server sends for
//! a missing TLS 1.3 client certificate and for no TLS 1.3 group in
//! common, the client certificates its client does not present, and a
//! TLS 1.3 server that finds it has no signer only after its ServerHello
//! (all seen with JSSE).

use super::*;
use crate::peer::capabilities::AlertDialect;
use openssl_handshake::Cause;

fn oracle_and_linked() -> (Library, Capabilities) {
    let lib = library(true);
    let caps = linked_capabilities(&lib);
    (lib, caps)
}

fn dialect(failure: FailureKind, alert: u8) -> AlertDialect {
    AlertDialect {
        failure,
        alert: Some(alert),
        note: "test".into(),
    }
}

#[test]
fn a_server_declares_its_alerts_for_a_missing_certificate_and_no_group_at_tls13() {
    let (lib, linked) = oracle_and_linked();
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let mut server = linked.clone();
    server.alerts = vec![
        dialect(
            FailureKind::MissingClientCertificate13,
            alert::BAD_CERTIFICATE,
        ),
        dialect(FailureKind::NoSharedGroup13, alert::UNEXPECTED_MESSAGE),
    ];
    let mut c = case(Version::Tls1_3, tls13());
    c.server.verify_peer = true;
    let got = o.expect_between(&c, &linked, &server);
    let a = alert_of(&got).expect("an alert");
    assert_eq!(
        (a.from, a.description),
        (Role::Server, alert::BAD_CERTIFICATE)
    );

    let mut c = case(Version::Tls1_3, tls13());
    c.client.groups = vec!["X25519".into()];
    c.server.groups = vec!["P-256".into()];
    match o.expect_between(&c, &linked, &server) {
        Expectation::Failure { alert, causes, .. } => {
            let a = alert.expect("an alert");
            assert_eq!(a.description, alert::UNEXPECTED_MESSAGE);
            assert_eq!(causes.client, [Cause::UnexpectedMessage]);
            assert_eq!(causes.server, [Cause::NoSharedGroup]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_withheld_client_certificate_is_no_certificate() {
    let (lib, linked) = oracle_and_linked();
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let client = linked
        .clone()
        .withhold(Negative::UntrustedRoot, "not under a CA the server names");
    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.server.verify_peer = true;
    c.client.identity = Identity::Negative(Negative::UntrustedRoot);
    match o.expect_between(&c, &client, &linked) {
        Expectation::Failure { alert, causes, .. } => {
            let a = alert.expect("an alert");
            assert_eq!(a.description, alert::HANDSHAKE_FAILURE);
            assert_eq!(causes.server, [Cause::ClientCertRequired]);
        }
        other => panic!("{other:?}"),
    }
    // A client that presents it has it refused.
    match o.expect_between(&c, &linked, &linked) {
        Expectation::Failure { causes, .. } => {
            assert_eq!(causes.server, [Cause::ClientCertRejected]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_tls13_server_without_a_signer_that_says_so_late_lets_the_client_name_nothing() {
    let (lib, linked) = oracle_and_linked();
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let mut server = linked.clone();
    server.tls13_needs_certificate = false;
    server.tls13_signer_after_hello = true;
    let mut c = case(Version::Tls1_3, tls13());
    c.server.identity = Identity::Certificate(KeyKind::Dsa2048);
    match o.expect_between(&c, &linked, &server) {
        Expectation::Failure { alert, causes, .. } => {
            let a = alert.expect("an alert");
            assert_eq!(a.description, alert::HANDSHAKE_FAILURE);
            assert_eq!(causes.client, [Cause::HelloRefused, Cause::Unknown]);
        }
        other => panic!("{other:?}"),
    }
}
