//! A client that asks (SNI) for a name the server does not serve.

use super::*;
use crate::peer::capabilities::AlertDialect;

/// A server that serves "localhost" only, and a client that asks for
/// `asked`.
fn asking(asked: Option<&str>, fatal: bool) -> Case {
    let mut c = case(Version::Tls1_2, ecdhe_rsa());
    c.server.sni = Some("localhost".into());
    c.server.sni_fatal = fatal;
    c.client.sni = asked.map(str::to_string);
    c
}

#[test]
fn a_refused_name_ends_with_unrecognized_name_named_on_both_sides() {
    for v in [Version::Tls1_2, Version::Tls1_3] {
        let mut c = asking(Some("unknown.example"), true);
        let s = if v == Version::Tls1_3 {
            tls13()
        } else {
            ecdhe_rsa()
        };
        (c.client.suites, c.server.suites) = (vec![s.clone()], vec![s]);
        c.client.pin(v);
        c.server.pin(v);
        match expect(&c) {
            Expectation::Failure {
                alert,
                verify_error,
                causes,
                ..
            } => {
                let from_server = ExpectedAlert {
                    from: Role::Server,
                    description: alert::UNRECOGNIZED_NAME,
                };
                assert_eq!(alert, Some(from_server), "{v}");
                assert_eq!(verify_error, None, "{v}: no certificate was sent");
                assert_eq!(causes.client, [Cause::SniUnknown], "{v}");
                assert_eq!(causes.server, [Cause::SniUnknown], "{v}");
            }
            other => panic!("{v}: {other:?}"),
        }
    }
}

#[test]
fn the_served_name_no_name_or_a_lenient_server_succeed() {
    // DNS names compare without case, as s_server and GnuTLS compare them.
    for asked in [Some("localhost"), Some("LocalHost"), None] {
        let e = expect(&asking(asked, true));
        assert!(matches!(e, Expectation::Success { .. }), "{asked:?}: {e:?}");
    }
    let e = expect(&asking(Some("unknown.example"), false));
    assert!(matches!(e, Expectation::Success { .. }), "{e:?}");
}

/// rustls's access_denied: the client's diagnosis still names the name.
#[test]
fn a_server_denying_access_at_the_hello_is_read_as_the_name() {
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let mut server = o.linked.clone();
    server.alerts = vec![AlertDialect {
        failure: FailureKind::SniUnknown,
        alert: Some(alert::ACCESS_DENIED),
        note: String::new(),
    }];
    match o.expect_between(&asking(Some("unknown.example"), true), &o.linked, &server) {
        Expectation::Failure { alert, causes, .. } => {
            assert_eq!(alert.map(|a| a.description), Some(alert::ACCESS_DENIED));
            assert_eq!(causes.client, [Cause::SniUnknown]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_server_that_cannot_refuse_a_name_makes_the_case_unsupported() {
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let server = o
        .linked
        .clone()
        .lack(Role::Server, Feature::SniRefusal, "no option");
    let c = asking(Some("unknown.example"), true);
    match o.expect_between(&c, &o.linked, &server) {
        Expectation::Unsupported { reason } => {
            assert!(reason.contains("refusing a client over SNI"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // A client that can only send the host it connects to can't ask.
    let client = o
        .linked
        .clone()
        .lack(Role::Client, Feature::SniName, "no option");
    assert!(matches!(
        o.expect_between(&c, &client, &o.linked),
        Expectation::Unsupported { .. }
    ));
    assert!(matches!(
        o.expect_between(&asking(Some("localhost"), true), &client, &o.linked),
        Expectation::Success { .. }
    ));
}
