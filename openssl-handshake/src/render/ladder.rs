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
