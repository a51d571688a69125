//! The runner and judge through the library: real cases, and the same
//! cases with a wrong expectation, which must fail and keep both traces.

mod run_support;

use std::sync::Arc;
use std::time::Duration;

use harness::case::{alert, Expectation, ExpectedAlert, Role, Version};
use harness::peer::inproc::Inproc;
use harness::peer::Peer;
use harness::pipeline;
use harness::run::{run_one, Planned, RunOptions, Status};
use harness::transport::Transport;
use openssl_handshake::Cause;
use testkit::pki::Pki;

fn setup() -> (Vec<harness::case::Case>, Arc<dyn Peer>, RunOptions) {
    let (_, cases) = pipeline::plan().expect("plan");
    let pki = Arc::new(Pki::generate().expect("pki"));
    let peer: Arc<dyn Peer> = Arc::new(Inproc::new(pki));
    let opts = run_support::options(Transport::Memory, Duration::from_secs(5));
    (cases, peer, opts)
}

fn case(cases: &[harness::case::Case], id: &str) -> harness::case::Case {
    cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id}"))
        .clone()
}

fn run(
    c: harness::case::Case,
    peer: &Arc<dyn Peer>,
    opts: &RunOptions,
) -> harness::run::CaseResult {
    let p = Planned {
        index: 0,
        case: c,
        skip: None,
    };
    run_one(&p, peer, peer, opts)
}

#[test]
fn a_wrong_suite_expectation_fails_with_both_traces() {
    let (cases, peer, opts) = setup();
    let mut c = case(&cases, "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/alpn");
    assert_eq!(run(c.clone(), &peer, &opts).status, Status::Pass);
    if let Expectation::Success { suite, .. } = &mut c.expect {
        *suite = "ECDHE-RSA-AES256-GCM-SHA384".into();
    }
    let r = run(c, &peer, &opts);
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.reason
            .as_deref()
            .unwrap_or("")
            .contains("expected ECDHE-RSA-AES256-GCM-SHA384"),
        "{:?}",
        r.reason
    );
    let sides = r.sides.expect("traces kept for failures");
    assert!(sides.client[0].trace.is_some() && sides.server[0].trace.is_some());
    assert!(sides.client[0]
        .trace
        .as_ref()
        .is_some_and(|t| t.state_log().starts_with("SSL_connect:")));
}

/// Versions are compared as values: a TLS 1.2 handshake judged against a
/// TLS 1.3 expectation fails naming both, and an external peer's report of
/// another version than the trace's is a disagreement.
#[test]
fn a_wrong_version_expectation_or_report_fails() {
    use harness::peer::ExternalView;
    use openssl_handshake::ProtocolVersion;

    let (cases, peer, opts) = setup();
    let good = case(&cases, "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/default");
    assert_eq!(run(good.clone(), &peer, &opts).status, Status::Pass);
    let mut c = good.clone();
    if let Expectation::Success { version, .. } = &mut c.expect {
        *version = Version::Tls1_3;
    }
    let r = run(c, &peer, &opts);
    assert_eq!(r.status, Status::Fail);
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason.contains("version TLSv1.2 (expected TLSv1.3)"),
        "{reason}"
    );

    // The same connection, its client now an external peer reporting a
    // version: the server's trace is the reference.
    let sides = r.sides.expect("traces kept for failures");
    let (mut client, server) = (sides.client, sides.server);
    let report = |v| ExternalView {
        implementation: "a peer".into(),
        version: Some(v),
        suite: Some("ECDHE-RSA-AES128-GCM-SHA256".into()),
        resumed: Some(false),
        ..ExternalView::default()
    };
    client[0].external = Some(report(ProtocolVersion::Tls1_2));
    assert_eq!(harness::run::judge(&good, &client, &server), Ok(()));
    client[0].external = Some(report(ProtocolVersion::Tls1_3));
    let err = harness::run::judge(&good, &client, &server).unwrap_err();
    assert!(
        err.contains("a peer says version TLSv1.3, the in-process server's trace says TLSv1.2"),
        "{err}"
    );
}

#[test]
fn a_wrong_alert_expectation_fails() {
    let (cases, peer, opts) = setup();
    let mut c = case(
        &cases,
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-client-cert",
    );
    assert_eq!(run(c.clone(), &peer, &opts).status, Status::Pass);
    if let Expectation::Failure { alert: a, .. } = &mut c.expect {
        assert_eq!(
            *a,
            Some(ExpectedAlert {
                from: Role::Server,
                description: alert::CERTIFICATE_REQUIRED
            })
        );
        *a = Some(ExpectedAlert {
            from: Role::Server,
            description: alert::PROTOCOL_VERSION,
        });
    }
    assert_eq!(run(c, &peer, &opts).status, Status::Fail);
}

/// The same case with another cause expected of the server: the failure
/// happened as expected, but its diagnosis does not name that cause.
#[test]
fn a_wrong_cause_expectation_fails() {
    let (cases, peer, opts) = setup();
    let mut c = case(
        &cases,
        "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/mismatch-client-cert",
    );
    if let Expectation::Failure { causes, .. } = &mut c.expect {
        assert_eq!(causes.server, [Cause::ClientCertRequired]);
        causes.server = vec![Cause::AlpnMismatch];
    }
    let r = run(c, &peer, &opts);
    assert_eq!(r.status, Status::Fail);
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason
            .contains("the server's diagnosis names client_cert_required (expected alpn_mismatch)"),
        "{reason}"
    );
}

#[test]
fn expecting_success_of_a_negative_certificate_fails() {
    let (cases, peer, opts) = setup();
    let mut c = case(&cases, "tls1_3/TLS_AES_128_GCM_SHA256/wrong-host/verify");
    c.expect = Expectation::Success {
        version: Version::Tls1_3,
        suite: "TLS_AES_128_GCM_SHA256".into(),
        group: None,
        alpn: None,
        sni: None,
        resumed: None,
    };
    let r = run(c, &peer, &opts);
    assert_eq!(r.status, Status::Fail);
    assert!(r
        .reason
        .as_deref()
        .unwrap_or("")
        .contains("expected success"));
}

#[test]
fn a_stalled_peer_fails_with_a_time_out_within_the_case_limit() {
    use harness::transport::Transport as T;
    /// Longer than the case may take.
    const STALL: Duration = Duration::from_secs(4);
    let (cases, _, _) = setup();
    let c = case(&cases, "tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default");
    // A server that accepts and never answers.
    struct Silent;
    impl Peer for Silent {
        fn kind(&self) -> harness::peer::PeerKind {
            harness::peer::PeerKind::Inproc
        }
        fn describe(&self) -> String {
            "silent".into()
        }
        fn capabilities(&self) -> harness::peer::Capabilities {
            harness::peer::Capabilities::new("silent")
        }
        fn serve(
            &self,
            _: &harness::case::Case,
            l: harness::transport::Listener,
            _: usize,
        ) -> Vec<harness::peer::SideOutcome> {
            let conn = l.accept();
            std::thread::sleep(STALL);
            drop(conn);
            vec![harness::peer::SideOutcome::broken(
                Role::Server,
                "silent".into(),
                false,
            )]
        }
        fn connect(
            &self,
            _: &harness::case::Case,
            _: harness::transport::Dialer,
            _: usize,
        ) -> Vec<harness::peer::SideOutcome> {
            unreachable!("only serves")
        }
    }
    let pki = Arc::new(Pki::generate().expect("pki"));
    let client: Arc<dyn Peer> = Arc::new(Inproc::new(pki));
    let silent: Arc<dyn Peer> = Arc::new(Silent);
    for transport in [T::Tcp, T::Memory] {
        let opts = run_support::options(transport, Duration::from_millis(200));
        let start = std::time::Instant::now();
        let p = Planned {
            index: 0,
            case: c.clone(),
            skip: None,
        };
        let r = run_one(&p, &client, &silent, &opts);
        assert_eq!(r.status, Status::Fail);
        // The client waited; the silent server is what did not come.
        assert!(
            r.reason
                .as_deref()
                .unwrap_or("")
                .starts_with("time-out: the client stopped waiting for the server"),
            "{:?}",
            r.reason
        );
        // The case ends at its limit, not when the stalled server wakes.
        let limit = harness::run::case_limit(opts.io_timeout, 1);
        assert!(
            start.elapsed() < STALL.min(limit + Duration::from_secs(2)),
            "took {:?}",
            start.elapsed()
        );
    }
}

/// A failure expected without an alert or a verify code to look for must
/// be seen, not merely left uncontradicted: a server that never started,
/// or two sides that report a failure without any evidence of the
/// refusal, fail the case.
#[test]
fn an_expected_refusal_needs_a_witness() {
    use harness::peer::{external, SideOutcome};

    let (cases, peer, opts) = setup();
    let c = case(
        &cases,
        "tls1_3/TLS_AES_128_GCM_SHA256/expired/client-verify",
    );
    assert!(matches!(
        &c.expect,
        Expectation::Failure {
            alert: None,
            verify_error: None,
            ..
        }
    ));
    let r = run(c.clone(), &peer, &opts);
    assert_eq!(r.status, Status::Pass, "{:?}", r.reason);

    let client = || {
        vec![SideOutcome::broken(
            Role::Client,
            "connection refused".into(),
            false,
        )]
    };
    let absent = vec![external::not_run(
        Role::Server,
        "a peer 1.0",
        "exited (exit status 1)".into(),
    )];
    let err = harness::run::judge(&c, &client(), &absent).unwrap_err();
    assert!(err.contains("the server was not set up"), "{err}");

    let silent = vec![SideOutcome::broken(Role::Server, "closed".into(), false)];
    let err = harness::run::judge(&c, &client(), &silent).unwrap_err();
    assert!(err.contains("no side shows that refusal"), "{err}");
}

/// An external client that refuses a certificate without an X509_V_ERR
/// code agrees with the expected code only when its own words name that
/// reason: an expired certificate refused as "issuer unknown" (a client
/// that trusts another root) was not checked for expiry.
#[test]
fn a_refusal_in_the_peers_words_must_name_the_expected_reason() {
    use harness::peer::{ExternalView, SideOutcome};

    let (cases, _, _) = setup();
    let c = case(&cases, "tls1_3/TLS_AES_128_GCM_SHA256/expired/verify");
    assert!(matches!(
        c.expect,
        Expectation::Failure {
            verify_error: Some(10),
            ..
        }
    ));
    let refusing = |words: &str| {
        let mut o = SideOutcome::broken(Role::Client, "PKI verification failed".into(), false);
        o.external = Some(ExternalView {
            implementation: "gnutls-cli 3.7.9".into(),
            verify_error: Some(words.into()),
            ..ExternalView::default()
        });
        vec![o]
    };
    let server = vec![SideOutcome::broken(Role::Server, "closed".into(), false)];
    let err = harness::run::judge(&c, &refusing("The certificate issuer is unknown."), &server)
        .unwrap_err();
    assert!(
        err.contains("expected verify error 10 (certificate has expired), but the client refused the certificate for another reason"),
        "{err}"
    );
    let words = "The certificate chain uses expired certificate.";
    assert_eq!(harness::run::judge(&c, &refusing(words), &server), Ok(()));
}

/// With both sides in process, both traces are read: a server whose trace
/// says another suite than the client's fails the case, though the
/// client's alone matches the expectation.
#[test]
fn two_traced_sides_must_agree() {
    let (cases, peer, opts) = setup();
    let good = case(&cases, "tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/alpn");
    let mut wrong = good.clone();
    if let Expectation::Success { suite, .. } = &mut wrong.expect {
        *suite = "ECDHE-RSA-AES256-GCM-SHA384".into();
    }
    let sides = run(wrong, &peer, &opts).sides.expect("kept for a failure");
    let (client, mut server) = (sides.client, sides.server);
    assert_eq!(harness::run::judge(&good, &client, &server), Ok(()));
    let n = server[0]
        .trace
        .as_mut()
        .and_then(|t| t.negotiated.as_mut())
        .expect("the server's negotiated parameters");
    n.cipher_openssl = "ECDHE-RSA-AES256-GCM-SHA384".into();
    let err = harness::run::judge(&good, &client, &server).unwrap_err();
    assert!(
        err.contains("the server's trace says suite ECDHE-RSA-AES256-GCM-SHA384, the client's ECDHE-RSA-AES128-GCM-SHA256"),
        "{err}"
    );
}
