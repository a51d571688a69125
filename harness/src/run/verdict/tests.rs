use super::waited::time_out;
use super::*;

/// The error line OpenSSL gives for a failed handshake names the same
/// reason as the trace's failure: it is said once.
#[test]
fn a_failure_is_described_without_repeating_its_reason() {
    let fixture =
        include_str!("../../../../openssl-handshake/schema/fixtures/tls13-unknown-ca-client.json");
    let trace: HandshakeTrace = serde_json::from_str(fixture).expect("fixture");
    let stack = "error:0A000086:SSL routines:tls_post_process_server_certificate:\
                 certificate verify failed:../ssl/statem/statem_clnt.c:1889:";
    let mut client = SideOutcome::broken(Role::Client, stack.to_owned(), false);
    client.trace = Some(trace);
    let text = describe_failure(&[client.clone()], &[]);
    assert_eq!(
        text.matches("certificate verify failed").count(),
        1,
        "{text}"
    );
    client.error = Some("time-out waiting for the peer".into());
    let text = describe_failure(&[client], &[]);
    assert!(text.ends_with("; time-out waiting for the peer"), "{text}");
}

/// An external peer's error line leads with its implementation, which
/// the side's label already names: it is said once.
#[test]
fn an_external_peer_is_named_once() {
    let mut client = crate::peer::external::reported_nothing(
        Role::Client,
        "command badc",
        "the command failed".into(),
    );
    let cap = crate::peer::process::Captured {
        exit: "exit status 1".into(),
        ..Default::default()
    };
    crate::peer::external::attach(std::slice::from_mut(&mut client), &cap);
    assert_eq!(
        describe_failure(&[client], &[]),
        "client (command badc): error: the command failed; exit status 1"
    );
}

/// A wait after the handshake is not put in the state it ended in.
#[test]
fn a_time_out_after_the_handshake_says_so() {
    let fixture =
        include_str!("../../../../openssl-handshake/schema/fixtures/tls13-success-client.json");
    let mut client = SideOutcome::broken(
        Role::Client,
        "ping/pong: no answer within the time-out (os error 11)".into(),
        true,
    );
    client.trace = Some(serde_json::from_str(fixture).expect("fixture"));
    let stalled = time_out(&client);
    assert!(
        stalled.starts_with("time-out: the client stopped waiting for the server in \""),
        "{stalled}"
    );
    client.handshake_ok = true;
    assert_eq!(
        time_out(&client),
        "time-out: the client stopped waiting for the server after its handshake \
         finished: ping/pong: no answer within the time-out (os error 11)"
    );
}

#[test]
fn group_names_normalize() {
    assert_eq!(normalize_group("prime256v1"), normalize_group("P-256"));
    assert_eq!(normalize_group("X25519"), normalize_group("x25519"));
    assert_ne!(normalize_group("P-384"), normalize_group("P-256"));
}

/// A side the case's deadline ended did not stop waiting itself: the
/// harness stopped waiting for it, as its error says.
#[test]
fn a_side_the_case_deadline_ended_is_not_said_to_have_waited() {
    let late = SideOutcome::broken(
        Role::Client,
        format!("time-out: the client {} 12 s", super::super::CASE_DEADLINE),
        true,
    );
    assert_eq!(
        time_out(&late),
        "time-out: the client did not finish within the case's 12 s"
    );
}

/// An external client whose process failed before any handshake leaves
/// the server waiting: the client's end is the headline, not the wait,
/// but only when it came before the server gave up.
#[test]
fn a_peer_that_ended_first_is_the_headline() {
    let gave_up = std::time::Instant::now();
    let second = std::time::Duration::from_secs(1);
    let client_ended = |ended: Option<std::time::Instant>| {
        let mut client = crate::peer::external::reported_nothing(
            Role::Client,
            "command bad",
            "the command failed".into(),
        );
        let cap = crate::peer::process::Captured {
            exit: "exit status 3".into(),
            ended,
            ..Default::default()
        };
        crate::peer::external::attach(std::slice::from_mut(&mut client), &cap);
        client
    };
    let mut server = SideOutcome::broken(
        Role::Server,
        "accept: no answer within the time-out (accept timed out)".into(),
        true,
    );
    server.gave_up = Some(gave_up);
    let first = client_ended(gave_up.checked_sub(second));
    let why = waited(std::slice::from_ref(&first), std::slice::from_ref(&server));
    let why = why.expect("a wait");
    assert_eq!(
        why,
        "the client (command bad) ended without a handshake: error: the command failed; \
         exit status 3; so the server stopped waiting for the client: accept: no answer \
         within the time-out (accept timed out)"
    );
    let expect_wait = |client: &SideOutcome, server: &SideOutcome| {
        let why = waited(std::slice::from_ref(client), std::slice::from_ref(server));
        let why = why.expect("a wait");
        assert!(why.starts_with("time-out: "), "{why}");
    };
    // Ended after the wait: it came late, or ended because of it.
    expect_wait(&client_ended(gave_up.checked_add(second)), &server);
    // Killed by the harness at the case's end: it was still running.
    expect_wait(&client_ended(None), &server);
    // An in-process peer's end is not known.
    let mut inproc = first.clone();
    inproc.external = None;
    expect_wait(&inproc, &server);
    // One that timed out itself, was never set up, or said nothing went
    // wrong did not end in failure first.
    for change in [
        (|c: &mut SideOutcome| c.timed_out = true) as fn(&mut SideOutcome),
        |c| c.setup_failed = true,
        |c| c.error = None,
        |c| c.handshake_ok = true,
    ] {
        let mut client = first.clone();
        change(&mut client);
        expect_wait(&client, &server);
    }
    // A server whose handshake finished had one with the client.
    let mut shook = server.clone();
    shook.handshake_ok = true;
    expect_wait(&first, &shook);
    // A server the case's deadline ended waited for nothing: the harness
    // stopped waiting for it.
    let late = SideOutcome::broken(
        Role::Server,
        format!("time-out: the server {} 3 s", super::super::CASE_DEADLINE),
        true,
    );
    let why = waited(std::slice::from_ref(&first), std::slice::from_ref(&late));
    assert_eq!(why.as_deref(), late.error.as_deref());
    // Of two connections, the one that ended is named.
    let mut resumed = first.clone();
    resumed.handshake_ok = true;
    resumed.error = None;
    let why = waited(&[resumed, first], std::slice::from_ref(&server)).expect("a wait");
    assert!(
        why.starts_with("the client (command bad) ended without a handshake on connection 2: "),
        "{why}"
    );
}

/// A side that completed its handshake and exchange with `trace`.
fn traced(role: Role, fixture: &str) -> SideOutcome {
    SideOutcome {
        trace: Some(serde_json::from_str(fixture).expect("fixture")),
        handshake_ok: true,
        exchange_ok: true,
        error: None,
        ..SideOutcome::broken(role, String::new(), false)
    }
}

/// An external side that reports a completed handshake.
fn external_ok(role: Role, view: crate::peer::ExternalView) -> SideOutcome {
    crate::peer::external::outcome(role, view, true, true, None)
}

/// With only the server traced, the server's signature is the one it
/// wrote, not the client's it read: the client's trace of the same
/// handshake names it as its peer's.
#[test]
fn an_untraced_client_is_observed_with_the_servers_own_signature() {
    for (server, client) in [
        (
            include_str!("../../../../openssl-handshake/schema/fixtures/tls12-success-server.json"),
            include_str!("../../../../openssl-handshake/schema/fixtures/tls12-success-client.json"),
        ),
        (
            include_str!("../../../../openssl-handshake/schema/fixtures/tls13-success-server.json"),
            include_str!("../../../../openssl-handshake/schema/fixtures/tls13-success-client.json"),
        ),
    ] {
        let theirs = traced(Role::Client, client);
        let expected = negotiated(Some(&theirs)).and_then(|n| n.peer_signature.clone());
        assert!(expected.is_some(), "the client fixture names a signature");
        let external = external_ok(Role::Client, Default::default());
        let seen = observe(&[external], &[traced(Role::Server, server)]);
        assert_eq!(seen.signature, expected);
        // The server's time is not the client's.
        assert_eq!(seen.handshake_ms, None);
        let both = observe(&[theirs], &[traced(Role::Server, server)]);
        assert_eq!(both.signature, expected);
        assert!(both.handshake_ms.is_some());
    }
}

/// An external server that says which name it saw is observed with it.
#[test]
fn an_external_servers_sni_is_observed() {
    let client = traced(
        Role::Client,
        include_str!("../../../../openssl-handshake/schema/fixtures/tls13-success-client.json"),
    );
    let view = crate::peer::ExternalView {
        sni: Some("example.test".into()),
        ..Default::default()
    };
    let seen = observe(
        std::slice::from_ref(&client),
        &[external_ok(Role::Server, view)],
    );
    assert_eq!(seen.sni.as_deref(), Some("example.test"));
    let silent = observe(&[client], &[external_ok(Role::Server, Default::default())]);
    assert_eq!(silent.sni, None);
}
