//! The targets the project holds itself to, and their verdicts.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::BenchReport;
use crate::stats::rounds_for_interval;

/// One target of the benchmark issue, checked against this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// What the target is about.
    pub name: String,
    /// The row it reads.
    pub row: String,
    /// `traced_ratio`, `limit_fraction` or `traced_minus_untraced`.
    pub metric: String,
    /// Whether the figure must be at least or at most `threshold`.
    pub bound: Bound,
    /// The figure the target sets.
    pub threshold: f64,
    /// The figure this run measured; `None` if the row was filtered out.
    pub measured: Option<f64>,
    /// For a ratio, the 95 % confidence interval of its true value: a
    /// miss whose interval reaches the threshold may be this run's
    /// round-to-round noise, one whose interval lies wholly past it is
    /// beyond that noise (not beyond drift between runs, which it does
    /// not cover).
    #[serde(default)]
    pub interval: Option<[f64; 2]>,
    /// Whether it was met; `None` when not judged (see `judged`), so
    /// that `false` is always a miss the run can support.
    pub met: Option<bool>,
    /// Whether the interval lies wholly on the side of the threshold
    /// that `met` says: `false` when it reaches across, so that another
    /// run may well give the other verdict (`--rounds` narrows it);
    /// `None` without an interval or a verdict.
    #[serde(default)]
    pub beyond_noise: Option<bool>,
    /// Whether the run supports a verdict on the target: `false` for a
    /// speed from an unoptimized build, a ratio from fewer rounds than
    /// its interval needs, a mismeasured limit, or a row that did not
    /// run; the table then reads `not judged`.
    #[serde(default = "judged_before_the_field")]
    pub judged: bool,
    /// Why not, when `judged` is `false`: what the table's `not judged
    /// (...)` says, or that the row did not run.
    #[serde(default)]
    pub not_judged: Option<String>,
    /// Whether the target reads a limit fraction the row marks invalid
    /// (above 1); such a target is not judged and `met` is `None`.
    #[serde(default)]
    pub invalid: bool,
}

impl Target {
    /// `metric >= threshold`, what the target asks.
    pub(crate) fn condition(&self) -> String {
        format!("{} {} {}", self.metric, self.bound.symbol(), self.threshold)
    }

    /// The figure measured, with its interval when it has one.
    pub(crate) fn figure(&self) -> String {
        // Ratios to four places, so that a miss never prints as the
        // threshold itself; bytes whole.
        let places = if self.threshold >= 10.0 { 0 } else { 4 };
        let mut figure = self
            .measured
            .map_or("not run".to_owned(), |m| format!("{m:.places$}"));
        if let Some([low, high]) = self.interval {
            let _ = write!(figure, " (95 % CI {low:.places$}–{high:.places$})");
        }
        figure
    }

    /// [`Target::verdict`] as `report` can support it, else `not judged`
    /// and why ([`Target::unjudgeable`]).
    pub(crate) fn verdict_in(&self, report: &BenchReport) -> String {
        match self.unjudgeable(report.optimized, report.method.rounds) {
            Some(why) => format!("not judged ({why})"),
            None => self.verdict(),
        }
    }

    /// Why a run (`optimized` or not, of `rounds` rounds) cannot support
    /// a verdict on the measured figure: a speed measured by an
    /// unoptimized build (memory does not depend on the build), a ratio
    /// from fewer rounds than its confidence interval needs, which a
    /// burst of load on one round can carry past the threshold, or a
    /// mismeasured limit. `None` when it can, or when nothing was measured.
    fn unjudgeable(&self, optimized: bool, rounds: usize) -> Option<String> {
        if self.invalid {
            return Some("limit fraction above 1: the limit was mismeasured".to_owned());
        }
        self.measured?;
        if !optimized && self.bound == Bound::AtLeast {
            return Some("unoptimized build".to_owned());
        }
        let needed = rounds_for_interval();
        // A report from before intervals has none at any round count.
        if self.is_ratio() && self.interval.is_none() && rounds < needed {
            let s = if rounds == 1 { "" } else { "s" };
            return Some(format!(
                "{rounds} round{s}; a verdict needs {needed} for its interval"
            ));
        }
        None
    }

    /// Sets `met`, `beyond_noise`, `judged` and `not_judged` from the
    /// figure, as a run (`optimized` or not, of `rounds` rounds) can
    /// support them; the table's verdict reads the same rule.
    pub(crate) fn judge(&mut self, optimized: bool, rounds: usize) {
        let why = match self.measured {
            None => Some("not measured: its row did not run".to_owned()),
            Some(_) => self.unjudgeable(optimized, rounds),
        };
        let (bound, threshold) = (self.bound, self.threshold);
        self.met = None;
        self.beyond_noise = None;
        if why.is_none() {
            self.met = self.measured.map(|m| bound.holds(m, threshold));
            self.beyond_noise = self
                .interval
                .map(|[low, high]| bound.holds(low, threshold) == bound.holds(high, threshold));
        }
        self.judged = why.is_none();
        self.not_judged = why;
    }

    /// Whether the metric is a ratio with an interval, not a difference.
    fn is_ratio(&self) -> bool {
        self.metric != "traced_minus_untraced"
    }

    /// `met`, `MISSED`, or `-` when not measured; `within noise` added
    /// when the interval reaches across the threshold.
    /// Read off the figure, not `met`, so that it holds for a report
    /// judged under other conditions (see [`Target::verdict_in`]).
    pub(crate) fn verdict(&self) -> String {
        let (bound, threshold) = (self.bound, self.threshold);
        let verdict = match self.measured.map(|m| bound.holds(m, threshold)) {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "-",
        };
        let across = self
            .interval
            .is_some_and(|[low, high]| bound.holds(low, threshold) != bound.holds(high, threshold));
        if across && self.measured.is_some() {
            format!("{verdict}, within noise")
        } else {
            verdict.to_owned()
        }
    }
}

/// Reports from before the field gave a verdict on every measured target.
fn judged_before_the_field() -> bool {
    true
}

/// Which side of its threshold a target's figure must be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// At least the threshold (a ratio of rates).
    AtLeast,
    /// At most the threshold (extra memory).
    AtMost,
}

impl Bound {
    pub(super) fn holds(self, measured: f64, threshold: f64) -> bool {
        match self {
            Bound::AtLeast => measured >= threshold,
            Bound::AtMost => measured <= threshold,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Bound::AtLeast => ">=",
            Bound::AtMost => "<=",
        }
    }
}

/// The targets the project holds itself to: name, row id, metric, bound,
/// threshold.
pub(super) const TARGETS: [(&str, &str, &str, Bound, f64); 10] = [
    (
        "full TLS 1.3 handshake, traced/untraced",
        "handshake/default/tls13-ecdsa-p256-x25519",
        "traced_ratio",
        Bound::AtLeast,
        0.97,
    ),
    (
        "TLS 1.2 session-id resumption, traced/untraced",
        "resumption/default/tls12-session-id",
        "traced_ratio",
        Bound::AtLeast,
        0.97,
    ),
    (
        "TLS 1.2 ticket resumption, traced/untraced",
        "resumption/default/tls12-ticket",
        "traced_ratio",
        Bound::AtLeast,
        0.97,
    ),
    (
        "memory tracing adds per client, bytes",
        "memory/default/tls13-ecdsa-p256-x25519/client",
        "traced_minus_untraced",
        Bound::AtMost,
        4096.0,
    ),
    (
        "memory tracing adds per server, bytes",
        "memory/default/tls13-ecdsa-p256-x25519/server",
        "traced_minus_untraced",
        Bound::AtMost,
        4096.0,
    ),
    (
        "memory tracing adds per client, RSA chain, bytes",
        "memory/default/tls13-rsa2048-x25519/client",
        "traced_minus_untraced",
        Bound::AtMost,
        4096.0,
    ),
    (
        "memory tracing adds per server, RSA chain, bytes",
        "memory/default/tls13-rsa2048-x25519/server",
        "traced_minus_untraced",
        Bound::AtMost,
        4096.0,
    ),
    (
        "bulk 16 KiB send, traced/untraced",
        "bulk/default/tls13-aes128gcm/16KiB/send",
        "traced_ratio",
        Bound::AtLeast,
        0.99,
    ),
    (
        "bulk 16 KiB receive, traced/untraced",
        "bulk/default/tls13-aes128gcm/16KiB/receive",
        "traced_ratio",
        Bound::AtLeast,
        0.99,
    ),
    (
        "bulk TLS 1.3 AES-128-GCM 16 KiB send / raw AEAD",
        "bulk/default/tls13-aes128gcm/16KiB/send",
        "limit_fraction",
        Bound::AtLeast,
        0.80,
    ),
];
