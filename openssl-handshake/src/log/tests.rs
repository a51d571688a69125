use super::*;

fn message(bytes: &[u8], record_version: Option<u16>, direction: Direction) -> RawMessage<'_> {
    RawMessage {
        bytes,
        version: 0x0303,
        record_version,
        content_type: sys::SSL3_RT_HANDSHAKE as u8,
        direction,
    }
}

/// Every kind of entry reads back as written, in order, with its time.
#[test]
fn entries_read_back_as_written() {
    let mut log = Log::new(16);
    let hello = [1u8, 0, 0, 2, 3, 3];
    log.push_mark(1, false);
    log.push_message(2, message(&hello, Some(0x0301), Direction::Write));
    log.push_alert(3, 0x4008, 0x0228);
    let header = RecordHeader {
        content_type: 22,
        version: 0x0303,
        length: 513,
    };
    log.push_unaccepted(4, header);
    log.push_message(5, message(&[], None, Direction::Read));
    let entered = SeenState {
        state: 3,
        own: None,
    };
    log.push_state(6, entered);
    log.push_exit(7, -1, ExitStatus::WouldBlock, entered);
    let ccs = RecordHeader {
        content_type: 20,
        version: 0x0303,
        length: 1,
    };
    log.push_unreported(8, ccs);
    log.push_mark(u64::MAX, true);
    let read: Vec<_> = log.entries().collect();
    assert_eq!(read.len(), 9);
    assert_eq!(
        read.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6, 7, 8, u32::MAX]
    );
    assert!(matches!(read[0].1, Entry::HandshakeStart));
    let Entry::Message(m) = read[1].1 else {
        panic!("not a message")
    };
    assert_eq!(m.bytes, hello);
    assert_eq!(m.record_version, Some(0x0301));
    assert_eq!(m.direction, Direction::Write);
    assert_eq!(m.handshake_type(), Some(HandshakeType::CLIENT_HELLO));
    assert!(matches!(
        read[2].1,
        Entry::Alert {
            where_: 0x4008,
            ret: 0x0228
        }
    ));
    assert!(matches!(read[3].1, Entry::Unaccepted(h) if h == header));
    let Entry::Message(empty) = read[4].1 else {
        panic!("not a message")
    };
    assert!(empty.bytes.is_empty() && empty.record_version.is_none());
    assert_eq!(empty.direction, Direction::Read);
    assert!(matches!(
        read[5].1,
        Entry::State(SeenState {
            state: 3,
            own: None
        })
    ));
    assert!(matches!(
        read[6].1,
        Entry::Exit {
            ret: -1,
            status: ExitStatus::WouldBlock,
            state: SeenState {
                state: 3,
                own: None
            }
        }
    ));
    assert!(matches!(read[7].1, Entry::Unreported(h) if h == ccs));
    assert!(matches!(read[8].1, Entry::HandshakeDone));
    assert_eq!(
        log.first_message(HandshakeType::CLIENT_HELLO)
            .map(|m| m.bytes),
        Some(&hello[..])
    );
}

/// A Certificate message reads back as written, between other entries,
/// and two connections' logs hold one copy of it.
#[test]
fn certificate_messages_are_shared() {
    let mut request = vec![0x3c; 300];
    request[0] = HandshakeType::CERTIFICATE_REQUEST.0;
    let mut chain = vec![0x5a; 700];
    chain[0] = HandshakeType::CERTIFICATE.0;
    let logs: Vec<Log> = (0..2)
        .map(|i| {
            let mut log = Log::new(8);
            log.push_mark(i, false);
            log.push_message(2, message(&request, Some(0x0303), Direction::Read));
            log.push_message(3, message(&chain, Some(0x0303), Direction::Read));
            log.push_message(4, message(&[20, 0, 0, 0], None, Direction::Read));
            log
        })
        .collect();
    for log in &logs {
        let read: Vec<_> = log.entries().collect();
        assert_eq!(read.len(), 4);
        for (i, bytes) in [(1, &request), (2, &chain)] {
            let Entry::Message(m) = read[i].1 else {
                panic!("not a message")
            };
            assert_eq!((read[i].0, m.bytes), (i as u32 + 1, &bytes[..]));
            assert_eq!(m.record_version, Some(0x0303));
            assert_eq!(m.direction, Direction::Read);
        }
        assert!(matches!(read[3].1, Entry::Message(f) if f.bytes == [20, 0, 0, 0]));
    }
    for i in 0..2 {
        assert!(Arc::ptr_eq(&logs[0].shared[i], &logs[1].shared[i]));
    }
    // A full log refuses a shared message as it does any other.
    let mut full = Log::new(1);
    full.push_mark(0, false);
    full.push_message(1, message(&chain, None, Direction::Read));
    assert!(full.shared.is_empty());
    assert_eq!((full.entries().count(), full.dropped), (1, 1));
}

/// A log that filled up still takes the alerts and refused records that
/// say what ended the connection, up to its reserve; and no entry that
/// would take it past its bytes.
#[test]
fn a_full_log_keeps_room_for_what_ends_the_connection() {
    let mut log = Log::new(1);
    log.push_mark(0, false);
    log.push_state(
        1,
        SeenState {
            state: 1,
            own: None,
        },
    );
    let header = RecordHeader {
        content_type: 71,
        version: 0x4554,
        length: 8239,
    };
    log.push_unaccepted(2, header);
    log.push_alert(3, sys::SSL_CB_WRITE_ALERT, 2 << 8 | 70);
    let events = log.events(false, false);
    assert_eq!(events.len(), 3);
    assert!(matches!(events[1].kind, crate::EventKind::UnacceptedRecord(h) if h == header));
    assert!(matches!(&events[2].kind, crate::EventKind::Alert(a) if a.description == 70));
    assert_eq!(log.dropped, 1);
    for _ in 0..RESERVED {
        log.push_alert(4, sys::SSL_CB_READ_ALERT, 1 << 8);
    }
    assert_eq!(log.dropped, 3);

    let mut log = Log::new(crate::HandshakeTrace::MAX_EVENTS);
    let big = vec![1u8; MAX_BYTES / 2];
    for _ in 0..3 {
        log.push_message(0, message(&big, None, Direction::Read));
    }
    assert_eq!((log.entries().count(), log.dropped), (1, 2));
    assert!(log.bytes.len() <= MAX_BYTES);

    // Certificates, kept as shared copies, count towards the bound too: a
    // peer sending a different 16 KiB one each renegotiation fills it.
    let mut log = Log::new(crate::HandshakeTrace::MAX_EVENTS);
    let mut kept = 0;
    for i in 0..40u8 {
        let mut cert = vec![i; 16 * 1024];
        cert[0] = 11; // Certificate
        log.push_message(0, message(&cert, None, Direction::Read));
        kept = log.shared.iter().map(|c| c.len()).sum::<usize>();
    }
    assert!(log.dropped > 0, "the bound was reached");
    assert!(log.bytes.len() + kept <= MAX_BYTES, "{kept}");
}

/// Past its limit the log counts what it refuses and keeps the rest.
#[test]
fn a_full_log_counts_what_it_drops() {
    let mut log = Log::new(2);
    for _ in 0..5 {
        log.push_message(0, message(&[2, 0, 0, 0], None, Direction::Read));
    }
    assert_eq!(log.entries().count(), 2);
    assert_eq!(log.dropped, 3);
}
