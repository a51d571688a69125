//! Naming the target's TLS implementation from what it does.
//!
//! [`identify`] sends a handful of fixed ClientHellos ([`Probe`]), each on
//! its own connection, and keeps the first answer to each: the extensions
//! of the ServerHello in the order they were written, or the alert a
//! malformed hello drew. The table (`fingerprint/table.rs`) says what
//! each known implementation answers. An answer either matches an implementation's
//! entry, contradicts it, or says nothing about it (a configuration could
//! explain it). The target is named only when exactly one implementation
//! is left uncontradicted and at least [`MIN_MATCHES`] entries of its row match;
//! since every other implementation is then contradicted by some answer,
//! the evidence is distinctive. Otherwise it is "unknown", with every
//! answer and what ruled each implementation out.

mod answer;
mod probe;
mod table;

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

pub use answer::Answer;
pub(crate) use answer::{answer_in, exchange_flight};
pub use probe::Probe;
use table::{Expect, Implementation, Trait, TABLE};

use super::rng::Rng;

const TLS12: u16 = 0x0303;
const TLS13: u16 = 0x0304;

/// How many entries of an implementation's row must match before the
/// target is named.
pub const MIN_MATCHES: usize = 3;

/// What the fingerprint concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identification {
    /// The implementation, or "unknown".
    pub name: String,
    /// Whether an implementation was named.
    pub known: bool,
    /// The versions the named implementation's entries were seen with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_with: Option<String>,
    /// The answers that matched the named implementation: the basis of
    /// the name. Empty when unknown.
    pub basis: Vec<Evidence>,
    /// Why each other implementation was ruled out, or, when unknown, why
    /// each was not named.
    pub ruled_out: Vec<RuledOut>,
    /// Every probe and its answer.
    pub answers: Vec<ProbeAnswer>,
    /// One line: the name and on how many answers it rests.
    pub summary: String,
}

/// One answer matched against one table entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The probe's id.
    pub probe: String,
    /// The answer, in words.
    pub observed: String,
    /// What the table says about the implementation.
    pub means: String,
}

/// An implementation that was not named, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuledOut {
    /// The implementation.
    pub name: String,
    /// Answers that matched it.
    pub matched: usize,
    /// Answers that contradict it.
    pub contradicted_by: Vec<Evidence>,
}

/// A probe and the target's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeAnswer {
    /// The probe.
    pub probe: Probe,
    /// What it sent, in words.
    pub sends: String,
    /// The answer.
    pub answer: Answer,
    /// The answer in words.
    pub observed: String,
}

/// Probes the server at `addr` (every wait bounded by `timeout`) and
/// names its implementation when the answers allow it.
pub fn identify(addr: SocketAddr, timeout: Duration, seed: u64) -> Identification {
    let mut rng = Rng(seed);
    let mut answers: Vec<(Probe, Answer)> = Vec::with_capacity(Probe::ALL.len());
    for p in Probe::ALL {
        // A server that took no connection for one probe has stopped
        // serving (or turns everyone away): the rest would each wait as long.
        let unsent = answers.iter().find_map(|(q, a)| match a {
            Answer::NoConnection { .. } => Some(q.id()),
            _ => None,
        });
        let answer = match unsent {
            Some(q) => Answer::NotSent { after: q.into() },
            None => probe::send(addr, timeout, p, &mut rng),
        };
        answers.push((p, answer));
    }
    conclude(&answers)
}

impl Identification {
    /// What the first probe met, when the server had stopped taking
    /// connections by then: it could not connect, or it was closed
    /// unanswered and no later probe could connect (a server that exits
    /// after one connection resets the one left in its accept queue).
    /// `None` when the server answered any probe.
    pub fn first_probe_unserved(&self) -> Option<String> {
        let (first, rest) = self.answers.split_first()?;
        let unconnected =
            |a: &Answer| matches!(a, Answer::NoConnection { .. } | Answer::NotSent { .. });
        match &first.answer {
            Answer::NoConnection { .. } => Some(first.observed.clone()),
            Answer::Closed if !rest.is_empty() && rest.iter().all(|a| unconnected(&a.answer)) => {
                Some(format!(
                    "was closed unanswered and the next {}",
                    rest[0].observed
                ))
            }
            _ => None,
        }
    }

    /// Where the server stopped taking connections, when it answered the
    /// first probe (else see [`Identification::first_probe_unserved`]) and
    /// a later one could not connect.
    pub fn stopped_during_probes(&self) -> Option<ProbesStop> {
        let at = self
            .answers
            .iter()
            .position(|a| matches!(a.answer, Answer::NoConnection { .. }))?;
        let last = self.answers.get(at.checked_sub(1)?)?;
        if at == 1 && last.answer == Answer::Closed {
            return None;
        }
        let refused = &self.answers[at];
        Some(ProbesStop {
            connections: 1 + at,
            last: (last.probe.id(), last.sends.clone()),
            last_closed: last.answer == Answer::Closed,
            refused: (refused.probe.id(), refused.observed.clone()),
        })
    }
}

/// Where a server stopped taking connections during the probes, after
/// answering the first ([`Identification::stopped_during_probes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbesStop {
    /// Connections it took before it stopped, the good handshake's
    /// included.
    pub connections: usize,
    /// The last probe that connected, and what it sent.
    pub last: (&'static str, String),
    /// Whether that probe was closed unanswered, a crash on its hello: a
    /// connection a server exiting at a limit leaves in its accept queue is
    /// reset at once, which the probe takes as turned away and makes
    /// again, to be refused.
    pub last_closed: bool,
    /// The first probe that could not connect, and what it met.
    pub refused: (&'static str, String),
}

impl ProbesStop {
    /// What stops a server so: [`stop_reading`].
    pub fn reading(&self) -> String {
        stop_reading(self.connections, self.last_closed)
    }
}

/// What stops a server that took `n` connections, the last of them a probe
/// it answered or (`last_closed`) closed unanswered. One that serves N
/// connections only answers the Nth and refuses the next; one that took
/// the last probe's hello and closed it unanswered before refusing the
/// next crashed on it.
pub fn stop_reading(n: usize, last_closed: bool) -> String {
    if last_closed {
        format!(
            "a crash on that last hello does this (a server that serves {n} connections only, \
             as openssl s_server -naccept {n} does, would have answered it)"
        )
    } else {
        format!(
            "a server that serves {n} connections only (openssl s_server -naccept {n}) does \
             this, and so does one that crashed on that last hello"
        )
    }
}

/// Matches answers against the table. Pure: no network.
pub fn conclude(answers: &[(Probe, Answer)]) -> Identification {
    // A server that answers the plain TLS 1.3 hello with TLS 1.2 does not
    // speak TLS 1.3 (by configuration or at all): how it answers the
    // other TLS 1.3 probes is its TLS 1.2 code's business.
    let no_tls13 = answers.iter().any(|(p, a)| {
        *p == Probe::Tls13Hello
            && matches!(a, Answer::ServerHello { version, .. } if *version < TLS13)
    });
    let scored: Vec<Score> = TABLE
        .iter()
        .map(|imp| score(imp, answers, no_tls13))
        .collect();
    let uncontradicted: Vec<&Score> = scored.iter().filter(|s| s.against.is_empty()).collect();
    let answers_out = answers
        .iter()
        .map(|(p, a)| ProbeAnswer {
            probe: *p,
            sends: p.sends().into(),
            answer: a.clone(),
            observed: a.describe(),
        })
        .collect();
    let named = match uncontradicted.as_slice() {
        [only] if only.matched.len() >= MIN_MATCHES => Some(*only),
        _ => None,
    };
    let ruled_out = scored
        .iter()
        .filter(|s| named.is_none_or(|n| n.imp.name != s.imp.name))
        .map(|s| RuledOut {
            name: s.imp.name.into(),
            matched: s.matched.len(),
            contradicted_by: s.against.clone(),
        })
        .collect();
    match named {
        Some(n) => Identification {
            name: n.imp.name.into(),
            known: true,
            seen_with: Some(n.imp.seen_with.into()),
            summary: format!(
                "{} ({} entries of its table row matched by the answers to {} probes; \
                 every other implementation in the table is contradicted)",
                n.imp.name,
                n.matched.len(),
                probes_in(&n.matched)
            ),
            basis: n.matched.clone(),
            ruled_out,
            answers: answers_out,
        },
        None => {
            let why = match uncontradicted.as_slice() {
                [] => "no implementation in the table fits every answer".to_string(),
                [one] => format!(
                    "only {} fits, but on {} matching entries, fewer than {MIN_MATCHES}",
                    one.imp.name,
                    one.matched.len()
                ),
                many if many.iter().all(|s| s.matched.is_empty()) => {
                    "no answer says anything about the implementations in the table".to_string()
                }
                many => format!(
                    "the answers fit {}",
                    many.iter()
                        .map(|s| s.imp.name)
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            };
            Identification {
                name: "unknown".into(),
                known: false,
                seen_with: None,
                summary: format!("unknown ({why})"),
                basis: Vec::new(),
                ruled_out,
                answers: answers_out,
            }
        }
    }
}

/// How many different probes `evidence` comes from.
fn probes_in(evidence: &[Evidence]) -> usize {
    let mut probes: Vec<&str> = evidence.iter().map(|e| e.probe.as_str()).collect();
    probes.sort_unstable();
    probes.dedup();
    probes.len()
}

struct Score {
    imp: &'static Implementation,
    matched: Vec<Evidence>,
    against: Vec<Evidence>,
}

fn score(imp: &'static Implementation, answers: &[(Probe, Answer)], no_tls13: bool) -> Score {
    let mut s = Score {
        imp,
        matched: Vec::new(),
        against: Vec::new(),
    };
    for t in imp.traits {
        let Some((_, answer)) = answers.iter().find(|(p, _)| *p == t.probe) else {
            continue;
        };
        let evidence = || Evidence {
            probe: t.probe.id().into(),
            observed: answer.describe(),
            means: t.evidence.into(),
        };
        match verdict(t, answer, no_tls13) {
            Verdict::Match => s.matched.push(evidence()),
            Verdict::Contradiction => s.against.push(evidence()),
            Verdict::Neutral => {}
        }
    }
    s
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Match,
    Contradiction,
    Neutral,
}

/// Whether `answer` matches, contradicts or says nothing about `t`;
/// `no_tls13`: the server answered the plain TLS 1.3 hello with an older
/// version.
fn verdict(t: &Trait, answer: &Answer, no_tls13: bool) -> Verdict {
    use Verdict::*;
    // A TLS 1.2 answer to something only TLS 1.3 has is up to the
    // server's configuration.
    let below_tls13 = match answer {
        Answer::ServerHello { version, .. } => *version < TLS13,
        _ => no_tls13,
    };
    if t.probe.tls13_only() && below_tls13 {
        return match t.expect {
            Expect::Negotiates(v) if matches!(answer, Answer::ServerHello { version, .. } if *version == v) => {
                Match
            }
            _ => Neutral,
        };
    }
    match t.expect {
        Expect::Order {
            version,
            hrr,
            order,
        } => match answer {
            Answer::ServerHello {
                version: v,
                hello_retry_request: r,
                extensions,
                ..
            } if *v == version && *r == hrr => {
                if !is_subsequence(extensions, order) {
                    Contradiction
                } else if extensions.len() >= 2 {
                    Match
                } else {
                    // One extension or none has no order to show.
                    Neutral
                }
            }
            _ => Neutral,
        },
        Expect::PointFormats(formats) => match answer {
            Answer::ServerHello {
                version: TLS12,
                ec_point_formats: Some(f),
                ..
            } => agreement(f.as_slice() == formats),
            _ => Neutral,
        },
        Expect::TicketSessionId(len) => match answer {
            Answer::ServerHello {
                version: TLS12,
                extensions,
                session_id_len,
                ..
            } if extensions.contains(&35) => agreement(*session_id_len == len),
            _ => Neutral,
        },
        Expect::Negotiates(v) => match answer {
            Answer::ServerHello {
                version,
                hello_retry_request: false,
                ..
            } if *version == v => Match,
            Answer::ServerHello { .. } => Contradiction,
            _ => Neutral,
        },
        Expect::Alert(d) => match answer {
            Answer::Alert {
                level: 2,
                description,
                ..
            } if *description == d => Match,
            // Each implementation here alerts; a silent close is another's.
            Answer::Alert { .. } | Answer::ServerHello { .. } | Answer::Closed => Contradiction,
            _ => Neutral,
        },
        Expect::AlertRecordVersion(v) => match answer {
            Answer::Alert { record_version, .. } if *record_version == v => Match,
            Answer::Alert { .. } => Contradiction,
            _ => Neutral,
        },
        Expect::Accepts => match answer {
            Answer::ServerHello { .. } => Match,
            Answer::Alert { .. } | Answer::Closed => Contradiction,
            _ => Neutral,
        },
    }
}

/// A match when the answer agrees with the trait, else a contradiction.
fn agreement(agrees: bool) -> Verdict {
    if agrees {
        Verdict::Match
    } else {
        Verdict::Contradiction
    }
}

/// Whether `seen` appears in `order` in the same relative order.
fn is_subsequence(seen: &[u16], order: &[u16]) -> bool {
    let mut rest = order.iter();
    seen.iter().all(|s| rest.any(|o| o == s))
}

#[cfg(test)]
mod tests;
