use super::*;

fn failed(reason: &str) -> Outcome {
    let mut t = HandshakeTrace::new(Side::Client);
    t.gave_up(reason);
    t.outcome
}

#[test]
fn giving_up_fails_a_handshake_in_progress() {
    let Outcome::Failed(f) = failed("time-out") else {
        panic!("still in progress");
    };
    assert_eq!(f.reason, "time-out");
    assert_eq!(f.state, None);
}

#[test]
fn giving_up_replaces_a_failure_reason_and_keeps_a_success() {
    let mut t = HandshakeTrace::new(Side::Server);
    t.gave_up("first");
    t.gave_up("second");
    assert_eq!(t.failure().map(|f| f.reason.as_str()), Some("second"));
    t.outcome = Outcome::Succeeded;
    t.gave_up("late");
    assert!(t.succeeded());
}

/// A message event: `handshake_type` for content type 22, `version` as
/// OpenSSL reports it (the highest offered until the ServerHello is read).
fn message(
    direction: Direction,
    content_type: u8,
    handshake_type: Option<u8>,
    version: u16,
) -> Event {
    message_with(direction, content_type, handshake_type, version, None)
}

fn message_with(
    direction: Direction,
    content_type: u8,
    handshake_type: Option<u8>,
    version: u16,
    body: Option<Body>,
) -> Event {
    Event {
        at: Duration::ZERO,
        kind: EventKind::Message(Box::new(Message {
            direction,
            version,
            record_version: Some(0x0303),
            content_type,
            handshake_type: handshake_type.map(HandshakeType),
            length: 4,
            body,
            decode_error: None,
            extension_problems: Vec::new(),
            raw: None,
        })),
    }
}

fn ccs_taken() -> Event {
    Event {
        at: Duration::ZERO,
        kind: EventKind::UnreportedRecord(crate::event::RecordHeader {
            content_type: 20,
            version: 0x0303,
            length: 1,
        }),
    }
}

/// A HelloRetryRequest for secp256r1 (RFC 8446, section 4.1.4), decoded.
fn hello_retry_request() -> Body {
    let mut body = vec![3, 3];
    body.extend(openssl::sha::sha256(b"HelloRetryRequest"));
    body.extend([0, 0x13, 0x01, 0]);
    let extensions = [0, 0x2b, 0, 2, 3, 4, 0, 0x33, 0, 2, 0, 0x17];
    body.extend(u16::try_from(extensions.len()).unwrap_or(0).to_be_bytes());
    body.extend(extensions);
    let mut msg = vec![2, 0];
    msg.extend(u16::try_from(body.len()).unwrap_or(0).to_be_bytes());
    msg.extend(body);
    crate::decode::decode_handshake(&msg, true)
        .expect("a HelloRetryRequest")
        .body
}

/// TLS 1.2 with a warning alert before the ServerHello (which OpenSSL's
/// client reports at the version it offered, TLS 1.3): the peer's
/// ChangeCipherSpec after its ticket is what it was last heard sending.
#[test]
fn a_tls12_change_cipher_spec_is_heard_after_an_alert_at_the_offered_version() {
    use Direction::{Read, Write};
    let mut t = HandshakeTrace::new(Side::Client);
    t.events = vec![
        message(Write, 22, Some(1), 0x0304),
        message(Read, 21, None, 0x0304),
        message(Read, 22, Some(2), 0x0304),
        message(Read, 22, Some(4), 0x0303),
        ccs_taken(),
    ];
    assert_eq!(t.last_heard(), Some(4));
}

/// TLS 1.3's compatibility ChangeCipherSpec after a HelloRetryRequest is
/// passed over, taken unreported (OpenSSL 3.0, 3.1) or reported (3.2+).
#[test]
fn a_tls13_compatibility_change_cipher_spec_is_passed_over() {
    use Direction::{Read, Write};
    for ccs in [ccs_taken(), message(Read, 20, None, 0x0304)] {
        let mut t = HandshakeTrace::new(Side::Client);
        t.events = vec![
            message(Write, 22, Some(1), 0x0304),
            message_with(Read, 22, Some(2), 0x0304, Some(hello_retry_request())),
            message(Write, 22, Some(1), 0x0304),
            ccs,
        ];
        assert_eq!(t.last_heard(), Some(1));
    }
    // Undecoded, the hellos say nothing; a later handshake message does.
    let mut t = HandshakeTrace::new(Side::Client);
    t.events = vec![
        message(Read, 22, Some(2), 0x0304),
        ccs_taken(),
        message(Read, 22, Some(8), 0x0304),
        ccs_taken(),
    ];
    assert_eq!(t.last_heard(), Some(2));
}
