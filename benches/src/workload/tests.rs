//! The workloads' own checks: resumption, tickets, states-only tracing
//! and the loopback failure path. No speed is checked.

use super::*;

/// A session the server cannot accept must fail the round, not
/// quietly measure a full handshake.
#[test]
fn a_full_handshake_in_a_resumption_workload_is_an_error() {
    let pki = Pki::generate().unwrap();
    let kind = Resumption::Tls12Ticket;
    let mut w = HandshakeWorkload::resumed(&pki, kind, Config::Default, false).unwrap();
    w.run(1).unwrap();
    // A fresh server context has other ticket keys.
    let spec = Spec::resumed(kind, Config::Default, false);
    w.server = config::contexts(&pki, &spec).unwrap().0;
    match w.run(1) {
        Err(BenchError::NotResumed { case, round: 0 }) => assert_eq!(case, kind.name()),
        other => panic!("expected NotResumed, got {other:?}"),
    }
}

/// The states-only variant traces states but no messages; the full
/// one both.
#[test]
fn the_states_only_variant_records_no_messages() {
    let pki = Pki::generate().unwrap();
    let kind = Resumption::Tls12SessionId;
    for (states_only, messages) in [(true, false), (false, true)] {
        let w = if states_only {
            HandshakeWorkload::resumed_states_only(&pki, kind, Config::Default)
        } else {
            HandshakeWorkload::resumed(&pki, kind, Config::Default, true)
        }
        .unwrap();
        let (c, s) = handshake(
            &w.server,
            &w.client,
            w.session.as_ref(),
            &mut Timing::default(),
        )
        .unwrap();
        assert!(c.ssl().session_reused());
        for ssl in [c.ssl(), s.ssl()] {
            let trace = openssl_handshake::trace(ssl).expect("traced");
            assert!(trace.states().count() > 0);
            assert_eq!(trace.messages().count() > 0, messages, "{states_only}");
        }
        close(c, s, &mut Timing::default()).unwrap();
    }
}

/// A TLS 1.3 client reads the tickets the server sent inside the
/// timed handshake, so its trace holds each NewSessionTicket the
/// server's does.
#[test]
fn the_client_processes_tls13_tickets_inside_the_handshake() {
    let pki = Pki::generate().unwrap();
    let tickets = |ssl: &openssl::ssl::SslRef| {
        openssl_handshake::trace(ssl)
            .expect("traced")
            .messages()
            .filter(|m| m.handshake_type.map(|t| t.0) == Some(4))
            .count()
    };
    let full = HandshakeWorkload::full(&pki, &config::HANDSHAKES[3], Config::Default, true);
    let resumed = HandshakeWorkload::resumed(&pki, Resumption::Tls13Psk, Config::Default, true);
    for w in [full.unwrap(), resumed.unwrap()] {
        let (c, s) = w.connection(&mut Timing::default()).unwrap();
        let sent = tickets(s.ssl());
        assert!(sent > 0);
        assert_eq!(tickets(c.ssl()), sent);
        close(c, s, &mut Timing::default()).unwrap();
    }
}

/// A client that refuses the server's certificate ends the loopback
/// run with its own reason, after the server's thread has ended.
#[test]
fn a_failed_loopback_handshake_ends_the_run_with_the_clients_reason() {
    let (pki, stranger) = (Pki::generate().unwrap(), Pki::generate().unwrap());
    let case = &config::HANDSHAKES[0];
    let mut w = HandshakeWorkload::full(&pki, case, Config::Default, true).unwrap();
    // A client that trusts another root.
    w.client = config::contexts(&stranger, &Spec::full(*case, Config::Default, true))
        .unwrap()
        .1;
    match w.run_over_loopback(5) {
        Err(BenchError::Tls { during, source }) => {
            assert_eq!(during, "loopback connect");
            assert!(
                source.to_string().contains("certificate verify failed"),
                "{source}"
            );
        }
        other => panic!("expected the client's verify failure, got {other:?}"),
    }
}
