use super::*;

fn hello(version: u16, hrr: bool, extensions: &[u16]) -> Answer {
    Answer::ServerHello {
        version,
        suite: 0x1301,
        hello_retry_request: hrr,
        extensions: extensions.to_vec(),
        session_id_len: 32,
        ec_point_formats: None,
    }
}

/// What an OpenSSL without TLS 1.3 answers every hello with.
fn openssl_tls12_hello() -> Answer {
    Answer::ServerHello {
        version: 0x0303,
        suite: 0xc02f,
        hello_retry_request: false,
        extensions: vec![0xff01, 11, 35, 23],
        session_id_len: 0,
        ec_point_formats: Some(vec![0, 1, 2]),
    }
}

/// The entry for `name` among those `id` ruled out.
fn ruled_out<'a>(id: &'a Identification, name: &str) -> &'a RuledOut {
    id.ruled_out
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} listed as ruled out"))
}

fn alert(description: u8) -> Answer {
    Answer::Alert {
        level: 2,
        description,
        record_version: 0x0303,
    }
}

#[test]
fn an_order_may_leave_extensions_out_but_not_reorder_them() {
    assert!(is_subsequence(&[11, 0xff01], &[11, 23, 35, 0xff01]));
    assert!(is_subsequence(&[], &[11]));
    assert!(!is_subsequence(&[0xff01, 11], &[11, 23, 35, 0xff01]));
    assert!(!is_subsequence(&[15], &[11, 23]));
}

#[test]
fn a_server_that_only_closes_is_unknown_and_each_alerting_implementation_is_ruled_out() {
    let answers: Vec<(Probe, Answer)> = Probe::ALL.iter().map(|p| (*p, Answer::Closed)).collect();
    let id = conclude(&answers);
    assert!(!id.known);
    assert_eq!(id.name, "unknown");
    assert!(id.basis.is_empty());
    assert_eq!(id.answers.len(), Probe::ALL.len());
    assert!(id.ruled_out.iter().all(|r| !r.contradicted_by.is_empty()));
    assert!(id.summary.contains("no implementation"), "{}", id.summary);
}

#[test]
fn a_server_that_never_answers_is_unknown_for_lack_of_evidence() {
    let answers: Vec<(Probe, Answer)> = Probe::ALL.iter().map(|p| (*p, Answer::NoAnswer)).collect();
    let id = conclude(&answers);
    assert!(!id.known);
    assert!(id.summary.contains("no answer says"), "{}", id.summary);
}

#[test]
fn answers_mixing_two_implementations_name_neither() {
    // OpenSSL's TLS 1.3 extension order with GnuTLS's alerts.
    let answers = vec![
        (Probe::Tls13Hello, hello(0x0304, false, &[43, 51])),
        (Probe::NoSupportedGroups, alert(40)),
        (Probe::NoSignatureAlgorithms, alert(40)),
        (Probe::EmptySuites, alert(50)),
        (Probe::DuplicateExtension, alert(110)),
    ];
    let id = conclude(&answers);
    assert!(!id.known, "{}", id.summary);
    let openssl = ruled_out(&id, "OpenSSL");
    assert!(openssl
        .contradicted_by
        .iter()
        .any(|e| e.probe == "duplicate-extension"));
    let gnutls = ruled_out(&id, "GnuTLS");
    assert!(gnutls
        .contradicted_by
        .iter()
        .any(|e| e.probe == "tls13-hello"));
}

#[test]
fn a_tls12_only_server_is_judged_on_what_tls12_shows() {
    // An OpenSSL configured without TLS 1.3: every TLS 1.3 probe gets a
    // TLS 1.2 ServerHello, which is neutral for all but Botan 2's entry.
    let tls12 = openssl_tls12_hello();
    let answers = vec![
        (Probe::Tls13Hello, tls12.clone()),
        (Probe::Tls12Hello, tls12.clone()),
        (Probe::HrrTrigger, tls12.clone()),
        (Probe::NoSupportedGroups, tls12),
        (Probe::EmptySuites, alert(47)),
        (Probe::DuplicateExtension, alert(47)),
    ];
    let id = conclude(&answers);
    assert!(id.known, "{id:#?}");
    assert_eq!(id.name, "OpenSSL");
    assert!(id.basis.len() >= MIN_MATCHES);
    let botan = ruled_out(&id, "Botan 2");
    assert!(
        botan.matched >= 1,
        "TLS 1.2 for a TLS 1.3 hello is Botan-like"
    );
    assert!(!botan.contradicted_by.is_empty());
}

#[test]
fn one_or_two_matches_are_not_enough_to_name() {
    let answers = vec![(Probe::Tls13Hello, hello(0x0304, false, &[43, 51]))];
    let id = conclude(&answers);
    assert!(!id.known);
    assert!(id.summary.contains("fewer than"), "{}", id.summary);
}

#[test]
fn answers_that_fit_several_implementations_name_them_all_and_pick_none() {
    // key_share first with the alert GnuTLS and rustls both send: only
    // the TLS 1.2 order or the repeated extension would tell them apart.
    let answers = vec![
        (Probe::Tls13Hello, hello(0x0304, false, &[51, 43])),
        (Probe::NoSupportedGroups, alert(40)),
        (Probe::NoSignatureAlgorithms, alert(40)),
        (Probe::EmptySuites, alert(50)),
    ];
    let id = conclude(&answers);
    assert!(!id.known, "{id:#?}");
    assert!(id.summary.contains("GnuTLS and rustls"), "{}", id.summary);
}

#[test]
fn a_server_without_tls13_is_not_judged_by_its_alerts_to_tls13_only_probes() {
    // OpenSSL with -no_tls1_3 and an ECDSA key: TLS 1.2 for the TLS 1.3
    // hello, then handshake_failure where a TLS 1.3 OpenSSL sends
    // missing_extension.
    let tls12 = openssl_tls12_hello();
    let answers = vec![
        (Probe::Tls13Hello, tls12.clone()),
        (Probe::Tls12Hello, tls12),
        (Probe::NoSupportedGroups, alert(40)),
        (Probe::NoSignatureAlgorithms, alert(40)),
        (Probe::EmptySuites, alert(47)),
        (Probe::DuplicateExtension, alert(47)),
    ];
    let id = conclude(&answers);
    assert_eq!(id.name, "OpenSSL", "{id:#?}");
}

/// A server that exits after one connection resets the one left in its
/// accept queue: the first probe closed unanswered, then nothing
/// connects. A server that closes on every probe still listens.
#[test]
fn a_server_gone_before_the_first_probe_is_told_from_one_that_closes() {
    let refused = || Answer::NoConnection {
        reason: "Connection refused".into(),
    };
    let mut gone = vec![
        (Probe::Tls13Hello, Answer::Closed),
        (Probe::Tls12Hello, refused()),
    ];
    gone.extend(Probe::ALL[2..].iter().map(|p| {
        (
            *p,
            Answer::NotSent {
                after: "tls12-hello".into(),
            },
        )
    }));
    let first = conclude(&gone).first_probe_unserved();
    assert!(first.is_some_and(|f| f.contains("closed unanswered")));
    gone[0].1 = refused();
    assert!(conclude(&gone).first_probe_unserved().is_some());
    let closing: Vec<_> = Probe::ALL.iter().map(|p| (*p, Answer::Closed)).collect();
    assert_eq!(conclude(&closing).first_probe_unserved(), None);
    let mut later = closing.clone();
    later[3].1 = refused();
    assert_eq!(conclude(&later).first_probe_unserved(), None);
}

/// A server that answered the first probes and then took no connection
/// (`s_server -naccept 3`: the good handshake and two probes) is told by
/// where it stopped; one gone before the first probe is not this case.
#[test]
fn where_a_server_stopped_during_the_probes_is_named() {
    let refused = || Answer::NoConnection {
        reason: "Connection refused".into(),
    };
    let mut answers = vec![
        (Probe::ALL[0], hello(0x0304, false, &[43, 51])),
        (Probe::ALL[1], openssl_tls12_hello()),
        (Probe::ALL[2], refused()),
    ];
    answers.extend(Probe::ALL[3..].iter().map(|p| {
        let after = Probe::ALL[2].id().into();
        (*p, Answer::NotSent { after })
    }));
    let stop = conclude(&answers).stopped_during_probes().expect("stopped");
    assert_eq!(stop.connections, 3);
    assert_eq!(stop.last.0, Probe::ALL[1].id());
    assert_eq!(stop.refused.0, Probe::ALL[2].id());
    assert!(!stop.last_closed);
    assert!(stop.reading().contains("(openssl s_server -naccept 3)"));
    // Closed unanswered before the refusal: a server at its limit would
    // have answered it, so only a crash is offered.
    answers[1].1 = Answer::Closed;
    let stop = conclude(&answers).stopped_during_probes().expect("stopped");
    assert!(stop.last_closed);
    assert!(stop.reading().starts_with("a crash on that last hello"));
    // Gone before the first probe: first_probe_unserved's case.
    answers[0].1 = refused();
    assert_eq!(conclude(&answers).stopped_during_probes(), None);
    // Every probe connected: no stop.
    let answered: Vec<_> = Probe::ALL.iter().map(|p| (*p, Answer::Closed)).collect();
    assert_eq!(conclude(&answered).stopped_during_probes(), None);
}
