//! The report: one row per configuration, the targets, and the machine,
//! as a table for people and JSON (with a schema version) for tools.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::runner::Method;
use crate::stats::{median, median_interval, spread};

/// The version of the JSON layout; bumped when a field changes meaning
/// or disappears.
pub const SCHEMA_VERSION: u32 = 4;

/// A round whose thread had less of a CPU than this over its slices is
/// flagged: other processes ran in more than a tenth of its time. Its
/// figures are CPU time and so not inflated by the wait, but the other
/// processes also evict caches, which CPU time does not undo.
pub const LOW_CPU_SHARE: f64 = 0.9;

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
    /// Whether `limit_fraction` is impossible: above 1, or with an
    /// interval wholly above 1. TLS cannot outrun the raw cryptography
    /// under it, so such a limit was mismeasured; the table prints
    /// `invalid` for it and no target is judged from it.
    #[serde(default)]
    pub limit_invalid: bool,
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
    /// Each round's CPU share: the thread's CPU time over the wall time
    /// of both variants' slices. Empty for rows not timed in CPU time
    /// (memory, loopback) and in reports before schema 3.
    #[serde(default)]
    pub cpu_shares: Vec<f64>,
    /// How many of `cpu_shares` are below [`LOW_CPU_SHARE`].
    #[serde(default)]
    pub low_share_rounds: usize,
}

impl Row {
    /// Whether the traced/untraced ratio's interval holds 1: this run
    /// cannot tell what tracing costs (or, for memory, adds) from
    /// nothing. `false` without an interval.
    pub fn ratio_within_noise(&self) -> bool {
        self.traced_ratio_interval
            .is_some_and(|[low, high]| low <= 1.0 && 1.0 <= high)
    }

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
            limit_invalid: false,
            tuned_vs_default: None,
            noise: if med > 0.0 {
                spread(&untraced) / med
            } else {
                0.0
            },
            ratio_noise: spread(&ratios),
            client_us: None,
            server_us: None,
            cpu_shares: Vec::new(),
            low_share_rounds: 0,
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
    /// The median of every row's per-round CPU shares: how much of a CPU
    /// the run had. `None` when no row was timed in CPU time.
    #[serde(default)]
    pub cpu_share: Option<f64>,
    /// Rounds of all rows whose CPU share was below [`LOW_CPU_SHARE`].
    #[serde(default)]
    pub low_share_rounds: usize,
    /// Rounds of all rows with a CPU share.
    #[serde(default)]
    pub share_rounds: usize,
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
     # ~ before tr/untr: its 95 % interval holds 1, so the run did not tell tracing's cost \
     from none (within noise)\n\
     # bytes/conn rows: tr/untr above 1 is memory that tracing adds\n\
     # limit invalid: untraced ran faster than the raw crypto under it, which cannot be; \
     the limit was mismeasured and judges nothing\n";

/// The line a report from a debug build starts its table with.
pub(crate) const UNOPTIMIZED: &str = "# UNOPTIMIZED BUILD: its speeds and speed ratios mean \
     nothing (the rows still run); build with --release (cargo run --release, cargo bench)\n";

fn optimized_before_the_field() -> bool {
    true
}

impl BenchReport {
    pub(crate) fn new(quick: bool, method: Method, mut rows: Vec<Row>, elapsed: Duration) -> Self {
        for row in &mut rows {
            row.limit_invalid = row.limit_fraction.is_some_and(|f| f > 1.0)
                || row
                    .limit_fraction_interval
                    .is_some_and(|[low, _]| low > 1.0);
            row.low_share_rounds = row
                .cpu_shares
                .iter()
                .filter(|&&s| s < LOW_CPU_SHARE)
                .count();
        }
        let shares: Vec<f64> = rows.iter().flat_map(|r| r.cpu_shares.clone()).collect();
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
                let invalid = metric == "limit_fraction" && found.is_some_and(|r| r.limit_invalid);
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
                    met: None,
                    beyond_noise: None,
                    invalid,
                    judged: false,
                    not_judged: None,
                }
            })
            .collect();
        let mut report = BenchReport {
            schema_version: SCHEMA_VERSION,
            crate_version: env!("CARGO_PKG_VERSION").to_owned(),
            openssl_version: openssl::version::version().to_owned(),
            cpu_model: cpu_model(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            quick,
            optimized: !cfg!(debug_assertions),
            elapsed_s: elapsed.as_secs_f64(),
            method,
            cpu_share: (!shares.is_empty()).then(|| median(shares.clone())),
            low_share_rounds: rows.iter().map(|r| r.low_share_rounds).sum(),
            share_rounds: shares.len(),
            notes: NOTES.iter().map(|s| (*s).to_owned()).collect(),
            tuned_settings: Config::TUNED_SETTINGS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            rows,
            targets,
        };
        report.judge_targets();
        report
    }

    /// Gives each target the verdict this report can support (see
    /// [`Target::judge`]), as its table reads it.
    pub(crate) fn judge_targets(&mut self) {
        let (optimized, rounds) = (self.optimized, self.method.rounds);
        for t in &mut self.targets {
            t.judge(optimized, rounds);
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
            "# {} · {} · {} CPUs · benches {} · {} × {} ms in {}{}",
            self.openssl_version,
            self.cpu_model,
            self.cpus,
            self.crate_version,
            count(self.method.rounds, "round"),
            self.method.batch_ms,
            count(self.method.slices, "slice"),
            if self.quick { " (quick)" } else { "" }
        );
        if let Some(share) = self.cpu_share {
            let _ = writeln!(
                out,
                "# times are thread CPU time; median CPU share {share:.2}, {} of {} rounds \
                 below {LOW_CPU_SHARE} (cpu column: ! and their count)",
                self.low_share_rounds, self.share_rounds
            );
        }
        if !self.optimized {
            out.push_str(UNOPTIMIZED);
        }
        let _ = writeln!(
            out,
            "{:<58} {:>12} {:>12} {:>12} {:>21} {:>7} {:>13} {:>6} {:>8}",
            "row",
            "unit",
            "untraced",
            "traced",
            "tr/untr (95 % CI)",
            "limit",
            "tuned/default",
            "noise",
            "cpu"
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{:<58} {:>12} {:>12} {:>12} {:>21} {:>7} {:>13} {:>6} {:>8}",
                r.id,
                r.unit,
                number(r.untraced),
                number(r.traced),
                ratio_column(r),
                match r.limit_fraction {
                    _ if r.limit_invalid => "invalid".to_owned(),
                    Some(f) => format!("{f:.2}"),
                    None => "-".to_owned(),
                },
                r.tuned_vs_default
                    .map_or("-".to_owned(), |f| format!("{f:.3}")),
                if self.method.rounds > 1 {
                    format!("{:.1}%", r.noise * 100.0)
                } else {
                    "-".to_owned()
                },
                cpu_column(r),
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

const NOTES: [&str; 6] = [
    "client and server run in memory on one thread, each slice of a batch timed as a whole in \
     the thread's CPU time (CLOCK_THREAD_CPUTIME_ID) and in wall time: a handshake's rate is \
     handshakes / the slices' CPU time, creation, the client's read of TLS 1.3 tickets, \
     close_notify and free included; a bulk \
     side's time is its wall time around its own calls, scaled by its slice's CPU share",
    "CPU share: CPU time / wall time of a round's slices, per round in each row's cpu_shares; \
     rounds below 0.9 are counted in low_share_rounds; loopback rows (two threads, waits \
     included) are wall time and have none",
    "untraced and traced variants take turns within each round, in slices of the batch whose \
     order flips from slice to slice, and the crypto limit follows them in every round; \
     figures are medians over rounds, ratios medians of per-round ratios, each with a \
     distribution-free 95 % confidence interval from the per-round ratios' order statistics \
     (none under 6 rounds)",
    "limit, timed in CPU time as openssl speed times: for bulk, EVP on records of the size the \
     row's writes make (1 KiB for 1 KiB writes, 16 KiB for larger ones), one context per \
     direction keyed once, a nonce and additional data per record from its sequence number \
     (decryption opens the last record sealed); for handshakes: key-share generation and \
     derivation on both sides plus one signature and one verification (two of each for \
     mTLS); chain verification is not counted, so it is an upper bound",
    "resumed rows check on both sides that every handshake resumed; TLS 1.2 resumption does no \
     public-key operation and has no limit",
    "memory: heap bytes (glibc mallinfo2) freed by dropping N established clients, then \
     servers, each on a thread of its own that then exits, so that glibc's per-thread cache \
     gives back the chunks it holds",
];

/// `n` `what`s, with the plural's s only when `n` is not 1.
fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, what: &str) -> String {
    let s = if n == N::from(1) { "" } else { "s" };
    format!("{n} {what}{s}")
}

/// A row's traced/untraced ratio with its interval when it has one,
/// after `~` when the interval holds 1: the run did not tell the ratio
/// from no effect at all.
fn ratio_column(r: &Row) -> String {
    match r.traced_ratio_interval {
        Some([low, high]) => {
            let mark = if r.ratio_within_noise() { "~" } else { "" };
            format!("{mark}{:.3} ({low:.3}–{high:.3})", r.traced_ratio)
        }
        None => format!("{:.3}", r.traced_ratio),
    }
}

/// A row's median CPU share, then `!` and the count of its rounds below
/// [`LOW_CPU_SHARE`] if any; `-` for a row without shares.
fn cpu_column(r: &Row) -> String {
    if r.cpu_shares.is_empty() {
        return "-".to_owned();
    }
    let share = median(r.cpu_shares.clone());
    match r.low_share_rounds {
        0 => format!("{share:.2}"),
        low => format!("{share:.2}!{low}"),
    }
}

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

mod target;
use target::TARGETS;
pub use target::{Bound, Target};

#[cfg(test)]
mod tests;
