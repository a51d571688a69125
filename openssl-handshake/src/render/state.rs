//! The state log, line for line what `openssl s_client -state` and
//! `openssl s_server -state` print.
//!
//! Their info callback prints a line for each state change, each alert
//! and each exit with a return value of zero ("failed in") or less
//! ("error in"); handshake start and done and successful exits print
//! nothing.

use std::fmt::Write;

use crate::event::{Direction, EventKind};
use crate::trace::HandshakeTrace;

/// The state log of `trace`, one line per printed event.
pub fn state_log(trace: &HandshakeTrace) -> String {
    let prefix = trace.side.state_prefix();
    let mut out = String::new();
    for event in &trace.events {
        // Writing to a String cannot fail.
        let _ = match &event.kind {
            EventKind::State(s) => writeln!(out, "{prefix}:{}", s.long),
            EventKind::Alert(a) => {
                let dir = match a.direction {
                    Direction::Read => "read",
                    Direction::Write => "write",
                };
                writeln!(out, "SSL3 alert {dir}:{}:{}", a.level_text, a.text)
            }
            EventKind::Exit(x) if x.ret == 0 => writeln!(out, "{prefix}:failed in {}", x.long),
            EventKind::Exit(x) if x.ret < 0 => writeln!(out, "{prefix}:error in {}", x.long),
            _ => Ok(()),
        };
    }
    out
}
