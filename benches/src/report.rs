//! The report: one row per configuration, the targets, and the machine,
//! as a table for people and JSON (with a schema version) for tools.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::runner::Method;
use crate::stats::{median, median_interval, rounds_for_interval, spread};

/// The version of the JSON layout; bumped when a field changes meaning
/// or disappears.
pub const SCHEMA_VERSION: u32 = 2;

/// What a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Full handshakes in memory, one thread.
    Handshake,
    /// Resumed handshakes in memory, one thread, each checked to resume.
    Resumption,
    /// Application data in memory, send and receive timed apart.
    Bulk,
    /// Heap bytes held per established connection.
    Memory,
    /// Full handshakes over loopback TCP, client and server threads.
    Loopback,
}

/// One configuration's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `kind/config/case[/size][/side]`, what `--filter` matches.
    pub id: String,
    /// What is measured.
    pub kind: Kind,
    /// `default` or `tuned`.
    pub config: Config,
    /// `handshakes/s`, `MB/s` (10^6 bytes) or `bytes/conn`.
    pub unit: String,
    /// The plain `openssl` figure (median over rounds).
    pub untraced: f64,
    /// The same workload traced with messages on (median over rounds).
    pub traced: f64,
    /// Median of the per-round traced/untraced ratios. Above 1 is better
    /// for rates; for memory it is the extra memory tracing holds.
    pub traced_ratio: f64,
    /// A 95 % confidence interval for `traced_ratio`'s true value, from
    /// the per-round ratios' order statistics; `None` under 6 rounds.
    #[serde(default)]
    pub traced_ratio_interval: Option<[f64; 2]>,
    /// The crypto limit in the row's unit, when the work has one.
    pub limit: Option<f64>,
    /// `untraced / limit`: how close to the raw crypto the row runs.
    pub limit_fraction: Option<f64>,
    /// A 95 % confidence interval for `limit_fraction`, as for
    /// `traced_ratio_interval`.
    #[serde(default)]
    pub limit_fraction_interval: Option<[f64; 2]>,
    /// `untraced` of this tuned row over the same default row.
    pub tuned_vs_default: Option<f64>,
    /// (max − min) / median of `untraced` across rounds: 0 for a single
    /// round, whose spread is unknown, which the table prints as `-`.
    pub noise: f64,
    /// max − min of the per-round traced/untraced ratios.
    pub ratio_noise: f64,
    /// Client µs per handshake (untraced), for handshake rows.
    pub client_us: Option<f64>,
    /// Server µs per handshake (untraced), for handshake rows.
    pub server_us: Option<f64>,
}

impl Row {
    /// A row from per-round (untraced, traced) figures.
    pub(crate) fn from_pairs(
        id: String,
        kind: Kind,
        config: Config,
        unit: &str,
        pairs: &[(f64, f64)],
    ) -> Row {
        let untraced: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let ratios: Vec<f64> = pairs.iter().map(|(u, t)| t / u).collect();
        let med = median(untraced.clone());
        Row {
            id,
            kind,
            config,
            unit: unit.to_owned(),
            untraced: med,
            traced: median(pairs.iter().map(|p| p.1).collect()),
            traced_ratio: median(ratios.clone()),
            traced_ratio_interval: median_interval(ratios.clone()),
            limit: None,
            limit_fraction: None,
            limit_fraction_interval: None,
            tuned_vs_default: None,
            noise: if med > 0.0 {
                spread(&untraced) / med
            } else {
                0.0
            },
            ratio_noise: spread(&ratios),
            client_us: None,
            server_us: None,
        }
    }
}

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
    /// miss whose interval reaches the threshold may be the machine's
    /// noise, one whose interval lies wholly past it is not.
    #[serde(default)]
    pub interval: Option<[f64; 2]>,
    /// Whether it was met; `None` if not measured. The table reads a
    /// speed target of an unoptimized build, or a ratio from fewer rounds
    /// than its interval needs, as `not judged`; this still says which
    /// side of the threshold the figure fell on.
    pub met: Option<bool>,
    /// Whether the interval lies wholly on the side of the threshold
    /// that `met` says: `false` when it reaches across, so that another
    /// run may well give the other verdict (`--rounds` narrows it);
    /// `None` without an interval.
    #[serde(default)]
    pub beyond_noise: Option<bool>,
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

    /// [`Target::verdict`] as `report` can support it: a speed measured
    /// by an unoptimized build is not judged (memory is: it does not
    /// depend on the build), nor is a ratio from fewer rounds than its
    /// confidence interval needs, which a burst of load on one round can
    /// carry past the threshold.
    pub(crate) fn verdict_in(&self, report: &BenchReport) -> String {
        if self.measured.is_none() {
            return self.verdict();
        }
        if !report.optimized && self.bound == Bound::AtLeast {
            return "not judged (unoptimized build)".to_owned();
        }
        let (rounds, needed) = (report.method.rounds, rounds_for_interval());
        // A report from before intervals has none at any round count.
        if self.is_ratio() && self.interval.is_none() && rounds < needed {
            let s = if rounds == 1 { "" } else { "s" };
            return format!(
                "not judged ({rounds} round{s}; a verdict needs {needed} for its interval)"
            );
        }
        self.verdict()
    }

    /// Whether the metric is a ratio with an interval, not a difference.
    fn is_ratio(&self) -> bool {
        self.metric != "traced_minus_untraced"
    }

    /// `met`, `MISSED`, or `-` when not measured; `within noise` added
    /// when the interval reaches across the threshold.
    pub(crate) fn verdict(&self) -> String {
        let verdict = match self.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "-",
        };
        match self.beyond_noise {
            Some(false) => format!("{verdict}, within noise"),
            _ => verdict.to_owned(),
        }
    }
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
    fn holds(self, measured: f64, threshold: f64) -> bool {
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

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The `benches` crate version.
    pub crate_version: String,
    /// `OpenSSL_version(OPENSSL_VERSION)` of the linked library.
    pub openssl_version: String,
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Logical CPUs available.
    pub cpus: usize,
    /// Whether this was a `--quick` run.
    pub quick: bool,
    /// Whether the measured code was a release build, as told by debug
    /// assertions being off (code cannot see its optimization level). A
    /// debug build shows that every row runs; its speeds say nothing.
    /// Reports written before the field existed came from release builds.
    #[serde(default = "optimized_before_the_field")]
    pub optimized: bool,
    /// Wall time of the run, s.
    pub elapsed_s: f64,
    /// Rounds, batch length and the rest of the noise-reduction settings.
    pub method: Method,
    /// How the figures are taken, in words.
    pub notes: Vec<String>,
    /// What the `tuned` configuration changes.
    pub tuned_settings: Vec<String>,
    /// One per configuration.
    pub rows: Vec<Row>,
    /// The targets, checked.
    pub targets: Vec<Target>,
}

/// What the table's ratio columns are, printed under the rows: the
/// ratios are not read off the figures beside them.
pub(crate) const TABLE_NOTE: &str = "# tr/untr and limit (untraced ÷ crypto limit): medians of \
     per-round ratios, not quotients of the medians shown\n\
     # bytes/conn rows: tr/untr above 1 is memory that tracing adds\n";

/// The line a report from a debug build starts its table with.
pub(crate) const UNOPTIMIZED: &str = "# UNOPTIMIZED BUILD: its speeds and speed ratios mean \
     nothing (the rows still run); build with --release (cargo run --release, cargo bench)\n";

fn optimized_before_the_field() -> bool {
    true
}

impl BenchReport {
    pub(crate) fn new(quick: bool, method: Method, mut rows: Vec<Row>, elapsed: Duration) -> Self {
        let defaults: HashMap<String, f64> = rows
            .iter()
            .filter(|r| r.config == Config::Default)
            .map(|r| (r.id.clone(), r.untraced))
            .collect();
        for row in rows.iter_mut().filter(|r| r.config == Config::Tuned) {
            let default_id = row.id.replacen("/tuned/", "/default/", 1);
            row.tuned_vs_default = defaults.get(&default_id).map(|d| row.untraced / d);
        }
        let targets = TARGETS
            .iter()
            .map(|&(name, row, metric, bound, threshold)| {
                let found = rows.iter().find(|r| r.id == row);
                let (measured, interval) = match (found, metric) {
                    (None, _) => (None, None),
                    (Some(r), "traced_ratio") => (Some(r.traced_ratio), r.traced_ratio_interval),
                    (Some(r), "traced_minus_untraced") => (Some(r.traced - r.untraced), None),
                    (Some(r), _) => (r.limit_fraction, r.limit_fraction_interval),
                };
                Target {
                    name: name.to_owned(),
                    row: row.to_owned(),
                    metric: metric.to_owned(),
                    bound,
                    threshold,
                    measured,
                    interval,
                    met: measured.map(|m| bound.holds(m, threshold)),
                    beyond_noise: interval.map(|[low, high]| {
                        bound.holds(low, threshold) == bound.holds(high, threshold)
                    }),
                }
            })
            .collect();
        BenchReport {
            schema_version: SCHEMA_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_owned(),
            openssl_version: openssl::version::version().to_owned(),
            cpu_model: cpu_model(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            quick,
            optimized: !cfg!(debug_assertions),
            elapsed_s: elapsed.as_secs_f64(),
            method,
            notes: NOTES.iter().map(|s| (*s).to_owned()).collect(),
            tuned_settings: Config::TUNED_SETTINGS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            rows,
            targets,
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail; NaN and
        // infinities become null.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A report from [`BenchReport::to_json`] output.
    pub fn from_json(json: &str) -> Result<BenchReport, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// One line per row, then the targets.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# {} · {} · {} CPUs · benches {} · {} rounds × {} ms in {} slices{}",
            self.openssl_version,
            self.cpu_model,
            self.cpus,
            self.crate_version,
            self.method.rounds,
            self.method.batch_ms,
            self.method.slices,
            if self.quick { " (quick)" } else { "" }
        );
        if !self.optimized {
            out.push_str(UNOPTIMIZED);
        }
        let _ = writeln!(
            out,
            "{:<58} {:>12} {:>12} {:>12} {:>8} {:>7} {:>7} {:>6}",
            "row", "unit", "untraced", "traced", "tr/untr", "limit", "tuned/", "noise"
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{:<58} {:>12} {:>12} {:>12} {:>8.3} {:>7} {:>7} {:>6}",
                r.id,
                r.unit,
                number(r.untraced),
                number(r.traced),
                r.traced_ratio,
                r.limit_fraction
                    .map_or("-".to_owned(), |f| format!("{f:.2}")),
                r.tuned_vs_default
                    .map_or("-".to_owned(), |f| format!("{f:.3}")),
                if self.method.rounds > 1 {
                    format!("{:.1}%", r.noise * 100.0)
                } else {
                    "-".to_owned()
                },
            );
        }
        out.push_str(TABLE_NOTE);
        let _ = writeln!(out, "\ntargets:");
        for t in &self.targets {
            let _ = writeln!(
                out,
                "  {:<52} {}: {} {}",
                t.name,
                t.condition(),
                t.figure(),
                t.verdict_in(self)
            );
        }
        let _ = writeln!(out, "elapsed: {:.1} s", self.elapsed_s);
        out
    }
}

/// The targets the project holds itself to: name, row id, metric, bound,
/// threshold.
const TARGETS: [(&str, &str, &str, Bound, f64); 10] = [
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

const NOTES: [&str; 5] = [
    "client and server run in memory on one thread; each side's time is summed around its own \
     OpenSSL calls; a handshake's rate is 1 / (client + server time), creation and free included",
    "untraced and traced variants take turns within each round, in slices of the batch whose \
     order flips from slice to slice, and the raw AEAD limit for bulk follows them; figures \
     are medians over rounds, ratios medians of per-round ratios, each with a \
     distribution-free 95 % confidence interval from the per-round ratios' order statistics \
     (none under 6 rounds)",
    "limit for bulk: EVP on records of the size the row's writes make (1 KiB for 1 KiB \
     writes, 16 KiB for larger ones), one context per direction keyed once, a nonce and \
     additional data per record from its sequence number (decryption opens the last record \
     sealed); for handshakes: key-share generation and derivation on both sides plus one \
     signature and one verification (two of each for mTLS); chain verification is not \
     counted, so it is an upper bound",
    "resumed rows check on both sides that every handshake resumed; TLS 1.2 resumption does no \
     public-key operation and has no limit",
    "memory: heap bytes (glibc mallinfo2) freed by dropping N established clients, then servers",
];

/// The CPU model from /proc/cpuinfo, or `unknown`.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

pub(crate) fn number(v: f64) -> String {
    if !v.is_finite() {
        "-".to_owned()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests;
