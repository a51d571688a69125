//! Judging a case: the answer on the wire against the expectation, and
//! the in-process server's trace against the wire.

use std::net::SocketAddr;
use std::time::Duration;

use openssl_handshake::{AlertLevel, Direction, HandshakeTrace, Outcome};

use super::suite::{Observed, Suite};
use super::wire::{self, Answer};
use super::{Expected, TracedServer};

use crate::settings::Secs;

/// What the server was sent, for what its answer may hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    /// Bytes it must refuse: an answer holds alerts at most.
    Refusable,
    /// A genuine ClientHello, then the end of the stream: it may answer
    /// with its first flight before it notices.
    GenuineHello,
}

impl Suite<'_> {
    pub(super) fn judge(
        &self,
        expected: &Expected,
        a: &Answer,
        wait: Duration,
        eof_alert: bool,
        sent: Sent,
    ) -> Observed {
        let mut problems = Vec::new();
        if !a.end.closed() {
            problems.push(format!(
                "the server did not close the connection within {}",
                Secs(wait)
            ));
        }
        // Another implementation may say goodbye politely before closing.
        let alert = match expected {
            Expected::FatalAlertOrClose { .. } => a.alert_past_courtesies(),
            _ => a.alert(),
        };
        // Whatever a server sends a hostile peer must be an alert: more
        // (a ServerHello, an SSL 2.0 answer, garbage) means it went on.
        if sent == Sent::Refusable {
            if let Some(more) = a.beyond_alerts() {
                problems.push(format!("the server answered with {more}"));
            }
        }
        match (expected, alert) {
            (
                Expected::FatalAlert { any_of } | Expected::FatalAlertOrClose { any_of },
                Some((2, d)),
            ) if any_of.contains(&d) => {}
            (Expected::Close | Expected::FatalAlertOrClose { .. }, None) => {}
            (Expected::FatalAlert { .. }, None) => {
                problems.push("the server sent no alert".into());
            }
            (_, Some((l, d))) => problems.push(format!(
                "unexpected alert {} {}",
                wire::level_name(l),
                wire::alert_name(d)
            )),
            (_, None) => {}
        }
        let trace = self.server.map(|server| {
            check_trace(
                server,
                a.local,
                alert,
                self.opts.timeout,
                eof_alert,
                &mut problems,
            )
        });
        Observed {
            actual: a.describe(),
            problems,
            trace,
            not_applicable: false,
            not_run: false,
            unsent: false,
        }
    }
}

/// Checks the server-side trace of the connection from `local`: it must
/// not have succeeded, and the alert it says was sent must be the one seen
/// on the wire. `eof_alert` allows a decode_error in the trace that the
/// wire could not show (sent after the client had gone).
fn check_trace(
    server: &TracedServer,
    local: Option<SocketAddr>,
    wire_alert: Option<(u8, u8)>,
    wait: Duration,
    eof_alert: bool,
    problems: &mut Vec<String>,
) -> String {
    let t = match server.traced(local, wait, problems) {
        Ok((_, t)) => t,
        Err(note) => return note,
    };
    if t.succeeded() {
        problems.push("the trace says the handshake succeeded".into());
    }
    if let Some(p) = &t.hook_panic {
        problems.push(format!("the completion hook panicked: {p}"));
    }
    let sent = t.alert_sent();
    match (wire_alert, sent) {
        (Some((l, d)), Some(a)) if a.description == d && level_matches(a.level, l) => {
            // A fatal alert ends the handshake, so the failure must name it.
            let named = t
                .failure()
                .and_then(|f| f.alert_sent.as_ref())
                .is_some_and(|fa| fa.description == d);
            if !named {
                problems.push("the trace's failure does not name the alert sent".into());
            }
        }
        (None, None) => {}
        (None, Some(a)) if eof_alert && a.description == 50 => {}
        (w, s) => problems.push(format!(
            "the wire showed {} but the trace says {}",
            w.map_or("no alert".into(), |(l, d)| format!(
                "{} {}",
                wire::level_name(l),
                wire::alert_name(d)
            )),
            s.map_or("no alert was sent".into(), |a| format!("it sent {a}"))
        )),
    }
    outcome_text(&t)
}

fn level_matches(level: AlertLevel, wire: u8) -> bool {
    matches!(
        (level, wire),
        (AlertLevel::Warning, 1) | (AlertLevel::Fatal, 2)
    ) || level == AlertLevel::Unknown(wire)
}

/// A one-line account of a server-side trace.
pub(super) fn outcome_text(t: &HandshakeTrace) -> String {
    let alert = t
        .alert_sent()
        .map_or("no alert sent".into(), |a| format!("sent {a}"));
    match &t.outcome {
        Outcome::Succeeded => format!("succeeded; {alert}"),
        Outcome::InProgress => format!(
            "in progress ({} would-block exit(s): the read timed out); {alert}",
            t.would_block_count()
        ),
        Outcome::Failed(f) => {
            let reason = if f.reason.is_empty() {
                "no OpenSSL reason"
            } else {
                f.reason.as_str()
            };
            format!("failed in \"{}\" ({reason}); {alert}", f.state_text)
        }
        other => format!("{other:?}; {alert}"),
    }
}

pub(super) fn outcome_text_all_alerts(t: &HandshakeTrace) -> String {
    let alerts: Vec<String> = t
        .alerts()
        .map(|a| {
            let dir = if a.direction == Direction::Write {
                "sent"
            } else {
                "received"
            };
            format!("{dir} {a}")
        })
        .collect();
    let status = match &t.outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::InProgress => "in progress",
        Outcome::Failed(_) => "failed",
        _ => "unfinished",
    };
    if alerts.is_empty() {
        format!("{status}; no alerts")
    } else {
        format!("{status}; {}", alerts.join(", "))
    }
}
