//! `tls-harness matrix`: its flags, the run and `--list`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use harness::case::Version;
use harness::matrix::Filter;
use harness::peer::PeerKind;
use harness::pipeline::{self, ExternalScope, MatrixOptions};
use harness::report::{self, Format, Summary};
use harness::transport::Transport;
use harness::HarnessError;

use crate::emit;
use harness::settings::seconds;

#[derive(Args)]
pub(crate) struct MatrixArgs {
    /// Versions to run, comma-separated (ssl3,tls1,tls1_1,tls1_2,tls1_3).
    #[arg(long, value_delimiter = ',')]
    versions: Option<Vec<Version>>,
    /// Run only cases whose suite (OpenSSL or IANA name) matches this regex.
    #[arg(long)]
    suites: Option<regex::Regex>,
    /// Credentials to run, comma-separated: rsa2048, ecdsa-p256, ecdsa-p384, ed25519, ecdsa, psk, anon, expired, ... (a combined one, rsa2048+psk, is selected by either part)
    #[arg(long, value_delimiter = ',')]
    keys: Option<Vec<String>>,
    /// Options to run, comma-separated: default, mtls, resume, alpn, sni, group, mismatch, verify, ...
    #[arg(long, value_delimiter = ',')]
    options: Option<Vec<String>>,
    /// Run only the result with this id, as a report gives it (its
    /// pairing's `@client>server` included; quote it for the shell);
    /// repeatable. It runs whatever --external-scope says.
    #[arg(long = "case", value_name = "ID")]
    cases: Option<Vec<String>>,
    /// Peer kinds to pair, comma-separated: inproc, openssl-cli, gnutls-cli, rustls, botan, tlslite, jsse.
    /// Runs inproc with inproc, and each external kind as the server of
    /// the inproc client and as the client of the inproc server.
    #[arg(long, value_delimiter = ',', default_value = "inproc")]
    peers: Vec<PeerKind>,
    /// Which cases pairings with external peers run.
    #[arg(long, default_value = "subset")]
    external_scope: ExternalScope,
    /// Your own server or client as the `command` peer: NAME=TEMPLATE, run
    /// by sh with {port} {cert} {key} {ca} {version} {suite} {cipher}
    /// {ciphersuites} {seclevel} filled in, each already quoted. A template
    /// with {cert} is a server (it listens on {port} and answers each
    /// line); any other is a client (it sends its stdin, prints what it
    /// receives and exits when its stdin ends). Adds `command` to --peers.
    #[arg(long)]
    peer_cmd: Option<harness::peer::command::CommandSpec>,
    /// How the two ends of a case are connected.
    #[arg(long, default_value = "tcp")]
    transport: Transport,
    /// Cases run at once; defaults to the number of cores.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N (e.g. 2/4); `merge` joins the JSON reports.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
    /// List each pairing's cases and their expectations without running them.
    #[arg(long)]
    list: bool,
    /// How to write the report.
    #[arg(long, default_value = "table")]
    format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seconds each read, write or accept may take; a whole case ends after
    /// (connections + 2) of these, whatever its sides are still doing.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Write DIR/CASE_ID.pcapng for each failed case: its connections as
    /// the in-process side saw them, with its key log, so Wireshark
    /// decrypts TLS 1.3. Each failed case's report names its file.
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
    /// Run even when a peer named in --peers cannot run here (its tool is
    /// missing), reporting its cases as unsupported; without this, exit 2.
    /// A run in which no case could run at all still exits 2.
    #[arg(long)]
    allow_unavailable_peers: bool,
}

/// A `--shard` value that is not K/N with 1 <= K <= N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ShardError {
    /// No `/`.
    #[error("use K/N, e.g. 1/4")]
    NoSlash,
    /// K is not a number.
    #[error("shard {0:?} is not a number")]
    Index(String),
    /// N is not a number.
    #[error("shard count {0:?} is not a number")]
    Count(String),
    /// K is 0 or above N, or N is 0.
    #[error("shard {0}/{1}: K must be between 1 and N")]
    OutOfRange(u32, u32),
}

fn parse_shard(s: &str) -> Result<(u32, u32), ShardError> {
    let (k, n) = s.split_once('/').ok_or(ShardError::NoSlash)?;
    let k: u32 = k
        .trim()
        .parse()
        .map_err(|_| ShardError::Index(k.to_owned()))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| ShardError::Count(n.to_owned()))?;
    if n == 0 || k == 0 || k > n {
        return Err(ShardError::OutOfRange(k, n));
    }
    Ok((k, n))
}

pub(crate) fn matrix(a: MatrixArgs) -> Result<bool, HarnessError> {
    let filter = Filter {
        versions: a.versions,
        suites: a.suites,
        keys: a.keys,
        options: a.options,
        cases: a.cases,
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    if jobs == 0 {
        return Err(HarnessError::Usage("--jobs must be at least 1".into()));
    }
    crate::out_writable(a.out.as_ref())?;
    if let Some(dir) = &a.artifacts {
        if dir.exists() && !dir.is_dir() {
            return Err(HarnessError::Usage(format!(
                "--artifacts {}: not a directory (it names where each failed case's pcapng \
                 goes; give a directory, which is made if missing)",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| HarnessError::writing(dir, e))?;
    }
    let mut peers = a.peers;
    if a.peer_cmd.is_some() && !peers.contains(&PeerKind::Command) {
        peers.push(PeerKind::Command);
    }
    let opts = MatrixOptions {
        command: a.peer_cmd,
        filter,
        peers,
        transport: a.transport,
        jobs,
        shard: a.shard,
        io_timeout: seconds("--timeout", a.timeout)?,
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        external_scope: a.external_scope,
        artifacts: a.artifacts,
        allow_unavailable_peers: a.allow_unavailable_peers,
    };
    if a.list {
        return list(&opts, a.format, a.out.as_ref()).map(|_| true);
    }
    let report = pipeline::run_matrix(&opts)?;
    emit(&report::render(&report, a.format), a.out.as_ref())?;
    if a.out.is_some() || a.format != Format::Table {
        harness::stderr!("{}", report.summary_line());
    }
    // A shard may hold no case a pairing can play; a whole run may not
    // (unless it was stopped first, which its exit code says).
    if opts.shard.is_none_or(|(_, n)| n == 1) && report.stopped.is_none() {
        something_ran(&report.summary)?;
    }
    Ok(report.ok())
}

/// A whole run (unsharded, or its merged shards) in which no case ran
/// would pass having tested nothing.
pub(crate) fn something_ran(s: &Summary) -> Result<(), HarnessError> {
    if s.passed + s.failed == 0 {
        return Err(HarnessError::NothingRan {
            unsupported: s.unsupported,
            skipped: s.skipped,
        });
    }
    Ok(())
}

/// `matrix --list`: every pairing's cases with the expectation its peers'
/// declarations give, and the reason a case would be skipped.
pub(crate) fn list(
    opts: &MatrixOptions,
    format: Format,
    out: Option<&PathBuf>,
) -> Result<(), HarnessError> {
    let m = pipeline::plan_matrix(opts)?;
    let mut rows = Vec::new();
    for pp in &m.pairings {
        let pairing = harness::run::Pairing {
            client: pp.client.kind(),
            server: pp.server.kind(),
        };
        for p in &pp.cases {
            rows.push((pairing.result_id(&p.case.id), pairing, p));
        }
    }
    let text = match format {
        // The table lists what would run; the JSON also what would be
        // skipped, and why.
        Format::Table => rows
            .iter()
            .filter(|(_, _, p)| p.skip.is_none())
            .map(|(id, _, p)| format!("{id}\t{}\n", expectation_text(&p.case.expect)))
            .collect(),
        Format::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(id, pairing, p)| {
                    serde_json::json!({
                        "id": id,
                        "pairing": pairing,
                        "index": p.index,
                        "skip": p.skip,
                        "expect": p.case.expect,
                    })
                })
                .collect();
            // Plain values always serialize.
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
        other => {
            return Err(HarnessError::Usage(format!(
                "matrix --list writes table or json, not {}",
                clap::ValueEnum::to_possible_value(&other)
                    .map_or_else(|| format!("{other:?}"), |v| v.get_name().to_owned())
            )))
        }
    };
    emit(&text, out)
}

pub(crate) fn expectation_text(e: &harness::case::Expectation) -> String {
    use harness::case::Expectation;
    match e {
        Expectation::Success { version, suite, .. } => {
            format!("success {} {suite}", version.openssl_name())
        }
        Expectation::Failure { why, causes, .. } => {
            use harness::case::Role;
            let expected: Vec<String> = [Role::Client, Role::Server]
                .into_iter()
                .filter(|r| !causes.of(*r).is_empty())
                .map(|r| format!("{r}: {}", causes.alternatives(r)))
                .collect();
            if expected.is_empty() {
                format!("failure: {why}")
            } else {
                format!("failure: {why} [diagnosis {}]", expected.join("; "))
            }
        }
        Expectation::Unsupported { reason } => format!("unsupported: {reason}"),
        Expectation::Pending => "pending".into(),
    }
}
