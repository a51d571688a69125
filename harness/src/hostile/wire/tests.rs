//! The wire's tests: deadlines, connections turned away, and what an
//! answer is said to hold.

use std::net::TcpListener;

use super::*;

/// A peer that answers every wait in time, a byte at a time, is still
/// cut off at the exchange's deadline.
#[test]
fn a_trickling_peer_meets_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().expect("accept");
        for _ in 0..200 {
            if peer.write_all(b"x").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let per_wait = Duration::from_millis(200);
    let mut s = Deadlined::new(connect(addr, per_wait).expect("connect"), per_wait);
    let start = Instant::now();
    let mut buf = [0u8; 16];
    let err = loop {
        match s.read(&mut buf) {
            Ok(n) => assert!(n > 0, "the peer does not close"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert!(
        err.to_string().contains("did not finish within 800 ms"),
        "{err}"
    );
    // The peer trickles for 10 s; the reads stop near 0.8 s.
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// A server at its connection limit closes new connections at accept
/// (`serve --max-connections`) until a slot frees: a case's own
/// connection is asked again, so the case's input reaches the server,
/// and the answer says it had to be.
#[test]
fn a_connection_turned_away_at_accept_is_asked_again() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = std::thread::spawn(move || {
        for (i, stream) in listener.incoming().take(4).enumerate() {
            let mut stream = stream.expect("accept");
            if i == 3 {
                let mut got = [0u8; 5];
                stream.read_exact(&mut got).expect("the case's input");
                stream.write_all(&got).expect("echo");
            }
        }
    });
    let script = Script {
        send: b"hello",
        half_close: true,
        wait: Duration::from_secs(5),
    };
    let answer = converse(addr, Duration::from_secs(5), &script).expect("served at last");
    // Checked before the join: a client that took the first close for
    // the answer leaves the server waiting for three more.
    assert_eq!(answer.bytes, b"hello", "{}", answer.describe());
    assert_eq!(answer.end, End::Closed);
    let note = answer.retried.as_deref().unwrap_or_default();
    assert!(note.contains("turned away 3 connection(s)"), "{note}");
    assert!(answer.describe().contains(note));
    server.join().expect("server thread");
}

/// One that turns every connection away is named for that once the
/// time-out is spent, not judged on its closes.
#[test]
fn a_server_that_turns_every_connection_away_is_named() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || listener.incoming().for_each(drop));
    let start = Instant::now();
    let script = Script {
        send: b"hello",
        half_close: false,
        wait: Duration::from_secs(1),
    };
    match converse(addr, Duration::from_secs(1), &script) {
        Err(e @ NotServed::TurnedAway { tries, .. }) => {
            assert!(tries > 1, "{e}");
            assert!(
                e.to_string().contains("turned away every connection"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "bounded by the time-out"
    );
}

fn answer(bytes: &[u8]) -> Answer {
    Answer {
        local: None,
        bytes: bytes.to_vec(),
        end: End::Closed,
        elapsed: Duration::ZERO,
        after_send: true,
        retried: None,
    }
}

/// A server that closes as soon as it has read the input: the time
/// reported runs from the last byte sent, not from the connect, which
/// the turn-away glance (50 ms) precedes.
#[test]
fn the_time_to_the_close_runs_from_the_last_byte_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().expect("accept");
        let mut got = [0u8; 5];
        let _ = peer.read_exact(&mut got);
    });
    let script = Script {
        send: b"hello",
        half_close: false,
        wait: Duration::from_secs(5),
    };
    let a = converse(addr, Duration::from_secs(5), &script).expect("served");
    assert!(a.end.closed(), "{:?}", a.end);
    assert!(a.elapsed < TURN_AWAY_GLANCE, "{:?}", a.elapsed);
    assert!(
        a.describe().ends_with("s after the last byte sent"),
        "{}",
        a.describe()
    );
}

/// Alerts alone are an answer to a hostile peer; a ServerHello, an SSL
/// 2.0 SERVER-HELLO or garbage is the server going on with it.
#[test]
fn anything_but_alerts_is_named() {
    let fatal = [21, 3, 3, 0, 2, 2, 50];
    let close_notify = [21, 3, 3, 0, 2, 1, 0];
    assert_eq!(answer(&[]).beyond_alerts(), None);
    assert_eq!(
        answer(&[fatal, close_notify].concat()).beyond_alerts(),
        None
    );
    let server_hello = [22, 3, 3, 0, 4, 2, 0, 0, 0];
    let more = answer(&[&server_hello[..], &fatal].concat()).beyond_alerts();
    assert!(more.is_some_and(|m| m.starts_with("a ServerHello")));
    let sslv2 = [0x80, 0x2e, 0x04, 0x00, 0x01];
    let more = answer(&sslv2).beyond_alerts();
    assert!(more.is_some_and(|m| m.contains("SSL 2.0 SERVER-HELLO")));
    let more = answer(&[0x80, 0x2e, 0x07, 0, 0, 0]).beyond_alerts();
    assert!(more.is_some_and(|m| m.starts_with("a record of content type 128")));
    let more = answer(&[&fatal[..], b"garbage"].concat()).beyond_alerts();
    assert_eq!(more.as_deref(), Some("7 byte(s) that are no TLS record"));
    // Two alerts in one record (content type 21, 4 bytes) are alerts
    // wrongly coalesced, not something other than an alert.
    let more = answer(&[21, 3, 3, 0, 4, 2, 22, 2, 10]).beyond_alerts();
    assert!(
        more.as_deref()
            .is_some_and(|m| m.starts_with("an alert record of 4 byte(s) where an alert is 2")),
        "{more:?}"
    );
}

/// A courtesy warning before the fatal alert: the answer names both, so
/// the alert the verdict rests on is shown.
#[test]
fn every_alert_is_described() {
    let close_notify = [21, 3, 3, 0, 2, 1, 0];
    let record_overflow = [21, 3, 3, 0, 2, 2, 22];
    let text = answer(&[close_notify, record_overflow].concat()).describe();
    assert!(
        text.starts_with("warning close_notify(0), then fatal record_overflow(22); 14 byte(s)"),
        "{text}"
    );
}

/// The alert a TLS 1.3 server sends after its ServerHello is
/// encrypted: an alert-sized application-data record last is named as
/// likely one, only after a TLS 1.3 ServerHello.
#[test]
fn an_encrypted_alert_after_a_tls13_server_hello_is_not_called_none() {
    // ServerHello: legacy_version, random, empty session id, suite
    // 0x1301, no compression, supported_versions = TLS 1.3.
    let hello = |version: &[u8]| {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.extend_from_slice(&[0, 0x13, 0x01, 0]);
        let ext = [&[0, 43, 0, 2][..], version].concat();
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let len = (body.len() as u32).to_be_bytes();
        let msg = [&[2][..], &len[1..], &body].concat();
        let mut rec = vec![22, 3, 3];
        rec.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        rec.extend_from_slice(&msg);
        rec
    };
    let encrypted = |len: u16| {
        let mut rec = vec![23, 3, 3];
        rec.extend_from_slice(&len.to_be_bytes());
        rec.extend(std::iter::repeat_n(0x5a, usize::from(len)));
        rec
    };
    let ccs = [20, 3, 3, 0, 1, 1];
    let flight = [hello(&[3, 4]), ccs.to_vec(), encrypted(2000)].concat();
    let alerted = answer(&[flight.clone(), encrypted(19)].concat());
    assert!(alerted.ends_in_encrypted_alert());
    assert!(
        alerted.describe().contains("likely an alert"),
        "{}",
        alerted.describe()
    );
    // The flight alone, or a TLS 1.2 ServerHello, claims nothing.
    assert!(!answer(&flight).ends_in_encrypted_alert());
    let tls12 = answer(&[hello(&[3, 3]), encrypted(19)].concat());
    assert!(!tls12.ends_in_encrypted_alert());
    assert!(tls12.describe().starts_with("no alert;"));
}

/// A warning user_canceled or close_notify before a close is a
/// courtesy, not the alert the answer is judged by.
#[test]
fn courtesies_before_a_close_are_passed_over() {
    let user_canceled = [21, 3, 3, 0, 2, 1, 90];
    let close_notify = [21, 3, 3, 0, 2, 1, 0];
    let polite = answer(&[user_canceled, close_notify].concat());
    assert_eq!(polite.alert(), Some((1, 90)));
    assert_eq!(polite.alert_past_courtesies(), None);
    let fatal = [21, 3, 3, 0, 2, 2, 40];
    let then = answer(&[user_canceled, fatal].concat());
    assert_eq!(then.alert_past_courtesies(), Some((2, 40)));
}
