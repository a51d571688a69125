//! A ladder diagram: client on the left, server on the right, one rung
//! per message or alert.

use std::fmt::Write;

use crate::event::{Direction, EventKind, Side};
use crate::trace::HandshakeTrace;

const WIDTH: usize = 44;

/// The ladder diagram of `trace`, drawn from its side's point of view.
pub fn ladder(trace: &HandshakeTrace) -> String {
    let mut out = format!("{:>10}  {:<w$}{}\n", "", "client", "server", w = WIDTH);
    for event in &trace.events {
        let (direction, label) = match &event.kind {
            EventKind::Message(m) => (m.direction, m.name()),
            EventKind::Alert(a) => (a.direction, format!("Alert({}: {})", a.level_text, a.text)),
            // A ChangeCipherSpec the peer sent, known by its header.
            EventKind::UnreportedRecord(_) => (Direction::Read, "ChangeCipherSpec".to_owned()),
            _ => continue,
        };
        let rightwards = matches!(
            (trace.side, direction),
            (Side::Client, Direction::Write) | (Side::Server, Direction::Read)
        );
        let ms = event.at.as_secs_f64() * 1000.0;
        let rung = if rightwards {
            format!(
                "{label} {}>",
                "-".repeat(WIDTH.saturating_sub(label.len() + 2))
            )
        } else {
            format!(
                "<{} {label}",
                "-".repeat(WIDTH.saturating_sub(label.len() + 2))
            )
        };
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{ms:>8.3}ms  {rung}");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::event::{Event, Message};
    use crate::trace::HandshakeTrace;

    fn message(direction: Direction, handshake_type: u8) -> Event {
        Event {
            at: Duration::from_millis(1),
            kind: EventKind::Message(Box::new(Message {
                direction,
                version: 0x0304,
                record_version: None,
                content_type: 22,
                handshake_type: Some(crate::decode::HandshakeType(handshake_type)),
                length: 4,
                body: None,
                decode_error: None,
                extension_problems: Vec::new(),
                raw: None,
            })),
        }
    }

    #[test]
    fn rungs_point_from_sender_to_receiver_on_either_side() {
        for (side, hello_dir) in [
            (Side::Client, Direction::Write),
            (Side::Server, Direction::Read),
        ] {
            let mut trace = HandshakeTrace::new(side);
            trace.events.push(message(hello_dir, 1));
            let back = if hello_dir == Direction::Write {
                Direction::Read
            } else {
                Direction::Write
            };
            trace.events.push(message(back, 2));
            let lines: Vec<String> = ladder(&trace).lines().map(str::to_owned).collect();
            assert!(
                lines[1].contains("ClientHello") && lines[1].ends_with('>'),
                "{side}: {lines:?}"
            );
            assert!(
                lines[2].contains("<-") && lines[2].ends_with("ServerHello"),
                "{side}: {lines:?}"
            );
        }
    }

    #[test]
    fn a_change_cipher_spec_known_by_its_header_points_from_the_peer() {
        let mut trace = HandshakeTrace::new(Side::Server);
        trace.events.push(Event {
            at: Duration::from_millis(2),
            kind: EventKind::UnreportedRecord(crate::event::RecordHeader {
                content_type: 20,
                version: 0x0303,
                length: 1,
            }),
        });
        let ladder = ladder(&trace);
        let rung = ladder.lines().nth(1).expect("a rung");
        assert!(
            rung.starts_with("   2.000ms  ChangeCipherSpec ") && rung.ends_with('>'),
            "{ladder}"
        );
    }
}
