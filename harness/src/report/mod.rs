//! Reports of a matrix run: a terminal table, versioned JSON, JUnit XML
//! and Markdown. Every format ends with, or carries, the same summary.

pub mod diagnosis;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::case::Version;
use crate::matrix::Filter;
use crate::peer::PeerKind;
use crate::run::{CaseResult, Pairing, Status};

/// The version of the JSON report layout. It changes whenever a field is
/// renamed or removed, or changes meaning.
pub const SCHEMA_VERSION: u32 = 2;

/// A whole run: where it ran, and every case's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`] of the layout.
    pub schema_version: u32,
    /// "tls-harness".
    pub tool: String,
    /// The harness's crate version.
    pub tool_version: String,
    /// The linked OpenSSL, as `OpenSSL_version` prints it.
    pub openssl: String,
    /// The peers of the run, with their versions.
    pub peers: Vec<String>,
    /// "tcp" or "memory".
    pub transport: String,
    /// Cases run at once.
    pub jobs: usize,
    /// `[k, n]` when this report is shard k of n.
    pub shard: Option<[u32; 2]>,
    /// What the run was asked to select; shards of one run share it.
    /// Absent from reports written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    /// Wall time of the whole run, in milliseconds.
    pub wall_ms: f64,
    /// The counts by status.
    pub summary: Summary,
    /// Every case, in matrix order.
    pub results: Vec<CaseResult>,
    /// Set when a signal stopped the run before its cases all ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
}

/// How a stopped run ended: the cases it did not run, or whose peers the
/// signal killed, are `skipped` with a reason that says which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopped {
    /// "SIGINT", "SIGTERM" or "SIGHUP".
    pub signal: String,
    /// Cases without a result because of it.
    pub cases_left: usize,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} stopped the run: {} cases have no result",
            self.signal, self.cases_left
        )
    }
}

/// What a run was asked to select, beyond its peers and transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// `--versions`, `--suites`, `--keys` and `--options`.
    pub filter: Filter,
    /// `--external-scope`: "subset" or "full".
    pub external_scope: String,
    /// `--timeout`, in milliseconds.
    pub timeout_ms: u64,
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} --external-scope {} --timeout {} ms",
            self.filter, self.external_scope, self.timeout_ms
        )
    }
}

impl Report {
    /// Recounts the summary from the results.
    pub fn recount(&mut self) {
        self.summary = Summary::of(&self.results);
    }

    /// Whether every case ran and none failed: the exit code is 0 only then.
    pub fn ok(&self) -> bool {
        self.summary.failed == 0 && self.stopped.is_none()
    }

    /// The summary, and whether a signal stopped the run.
    pub fn summary_line(&self) -> String {
        match &self.stopped {
            Some(s) => format!("{}; {s}", self.summary),
            None => self.summary.to_string(),
        }
    }

    /// The results of one version, in order.
    pub fn of_version(&self, v: Version) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(move |r| r.case.version == v)
    }
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Matched the expectation.
    pub passed: usize,
    /// Did not.
    pub failed: usize,
    /// Could not run here.
    pub unsupported: usize,
    /// Left out by a filter.
    pub skipped: usize,
}

impl Summary {
    /// Counts `results`.
    pub fn of(results: &[CaseResult]) -> Summary {
        let mut s = Summary::default();
        for r in results {
            match r.status {
                Status::Pass => s.passed += 1,
                Status::Fail => s.failed += 1,
                Status::Unsupported => s.unsupported += 1,
                Status::Skipped => s.skipped += 1,
            }
        }
        s
    }
}

impl fmt::Display for Summary {
    /// `N passed, N failed, N unsupported, N skipped`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} unsupported, {} skipped",
            self.passed, self.failed, self.unsupported, self.skipped
        )
    }
}

/// The report formats of `matrix --format`, `merge --format` and
/// `scan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for terminals.
    Table,
    /// Versioned JSON with every result, for machines.
    Json,
    /// JUnit XML for CI systems.
    Junit,
    /// Markdown for CI summaries: an overview table, then the failures.
    #[value(alias = "md")]
    Markdown,
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Table => table::render(report),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
    }
}

/// Why a failed case failed; "failed" when it does not say.
fn failure_reason(r: &CaseResult) -> &str {
    r.reason.as_deref().unwrap_or("failed")
}

/// A failed case's `--artifacts` file, or why it has none: "pcapng:
/// PATH" or "pcapng: none, REASON". `None` when nothing was asked.
pub fn artifact_text(r: &CaseResult) -> Option<String> {
    match (&r.artifact, &r.artifact_note) {
        (Some(path), _) => Some(format!("pcapng: {}", path.display())),
        (None, Some(note)) => Some(format!("pcapng: none, {note}")),
        (None, None) => None,
    }
}

/// The command that runs a failed result again alone: its pairing's peers,
/// its id (`--case`) and the run's `--timeout`. A user's own command peer
/// gets its `--peer-cmd` again, as the report's peers name it; a
/// tlslite pairing gets the `TLS_HARNESS_TLSLITE_PYTHON` of the process
/// writing the report (the run's own, unless `merge` writes it), as
/// without it a rerun from elsewhere finds no tlslite-ng.
pub fn rerun_command(report: &Report, r: &CaseResult) -> String {
    let (client, server) = (r.pairing.client, r.pairing.server);
    let python = [client, server]
        .contains(&PeerKind::Tlslite)
        .then(|| std::env::var(crate::peer::tlslite::PYTHON_VAR).ok())
        .flatten()
        .map(|p| {
            format!(
                "{}={} ",
                crate::peer::tlslite::PYTHON_VAR,
                crate::peer::command::quote(&p)
            )
        })
        .unwrap_or_default();
    // --peer-cmd adds the command peer by itself.
    let mut peers: Vec<&str> = [client, server]
        .into_iter()
        .filter(|k| *k != PeerKind::Command)
        .map(PeerKind::name)
        .collect();
    peers.dedup();
    let mut s = format!(
        "{python}tls-harness matrix --peers {} --case '{}'",
        peers.join(","),
        r.id
    );
    if let Some(sel) = &report.selection {
        s += &format!(" --timeout {}", sel.timeout_ms as f64 / 1e3);
    }
    if report.transport != "tcp" {
        s += &format!(" --transport {}", report.transport);
    }
    if client == PeerKind::Command || server == PeerKind::Command {
        // The report's peers name it "command (NAME: TEMPLATE)".
        let spec = report
            .peers
            .iter()
            .find_map(|p| {
                p.strip_prefix("command (")?
                    .strip_suffix(')')?
                    .split_once(": ")
            })
            .map_or_else(
                || "'NAME=TEMPLATE'".to_owned(),
                |(name, template)| crate::peer::command::quote(&format!("{name}={template}")),
            );
        s += &format!(" --peer-cmd {spec}");
    }
    s
}

/// The implementations in a report's pairings, and the counts of each
/// (client, server) pair: the interop view.
pub struct PairingView {
    /// Client implementations (rows), in report order.
    pub clients: Vec<PeerKind>,
    /// Server implementations (columns), in report order.
    pub servers: Vec<PeerKind>,
    /// `(pairing, passed, failed, unsupported)` for every pairing that ran.
    pub counts: Vec<(Pairing, usize, usize, usize)>,
}

impl PairingView {
    /// The view of `report`, or `None` when it has only inproc with inproc.
    pub fn of(report: &Report) -> Option<PairingView> {
        let mut counts: Vec<(Pairing, usize, usize, usize)> = Vec::new();
        for r in &report.results {
            let i = match counts.iter().position(|c| c.0 == r.pairing) {
                Some(i) => i,
                None => {
                    counts.push((r.pairing, 0, 0, 0));
                    counts.len() - 1
                }
            };
            match r.status {
                Status::Pass => counts[i].1 += 1,
                Status::Fail => counts[i].2 += 1,
                Status::Unsupported => counts[i].3 += 1,
                Status::Skipped => {}
            }
        }
        if counts.iter().all(|c| c.0 == Pairing::INPROC) {
            return None;
        }
        let kinds = |f: fn(&Pairing) -> PeerKind| -> Vec<PeerKind> {
            PeerKind::ALL
                .into_iter()
                .filter(|k| counts.iter().any(|c| f(&c.0) == *k))
                .collect()
        };
        Some(PairingView {
            clients: kinds(|p| p.client),
            servers: kinds(|p| p.server),
            counts,
        })
    }

    /// The cell of one client and server: "passed/ran", then "✗failed"
    /// and "–unsupported"; empty when the pair is not run.
    pub fn cell(&self, client: PeerKind, server: PeerKind) -> String {
        let Some(&(_, p, f, u)) = self
            .counts
            .iter()
            .find(|c| c.0.client == client && c.0.server == server)
        else {
            return String::new();
        };
        let mut cell = format!("{p}/{}", p + f);
        if f > 0 {
            cell.push_str(&format!(" ✗{f}"));
        }
        if u > 0 {
            cell.push_str(&format!(" –{u}"));
        }
        cell
    }
}

/// A short description of what a result negotiated or how it ended.
pub(crate) fn outcome_text(r: &CaseResult) -> String {
    match (&r.observed, r.status) {
        (_, Status::Skipped | Status::Unsupported) => String::new(),
        (Some(o), _) if o.failure.is_none() => {
            let mut parts: Vec<String> = Vec::new();
            if let Some(v) = o.version {
                parts.push(v.to_string());
            }
            if let Some(s) = &o.suite {
                parts.push(s.clone());
            }
            if let Some(g) = &o.group {
                parts.push(g.clone());
            }
            if let Some(a) = &o.alpn {
                parts.push(format!("alpn={a}"));
            }
            if let Some(r) = &o.resumed {
                parts.push(format!("resumed={r}"));
            }
            parts.join(" ")
        }
        (Some(_), Status::Pass) => match &r.case.expect {
            crate::case::Expectation::Failure { why, .. } => format!("failed as expected: {why}"),
            _ => "failed".into(),
        },
        _ => String::new(),
    }
}
