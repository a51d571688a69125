//! The `tls-harness` command: matrix, probe, serve, scan, pki and merge.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use harness::exit::Exit;
use harness::report::{self, Format};
use harness::settings::seconds;
use harness::HarnessError;
use testkit::error_chain::Chain;
use testkit::pki::{Overwrite, Pki};

mod cli {
    pub mod matrix;
    pub mod tls;
}

use cli::matrix::{matrix, MatrixArgs};
use cli::tls::{probe_cmd, serve_cmd, ProbeArgs, ServeArgs};

/// Interop matrix and handshake tracing for OpenSSL.
#[derive(Parser)]
#[command(
    name = "tls-harness",
    version,
    about = "See, test and measure OpenSSL handshakes: why one fails (probe, serve), \
             whether OpenSSL interoperates (matrix), what a server offers (scan, hostile), \
             what tracing costs (bench)",
    after_help = "A handshake with HOST:PORT fails? `tls-harness probe HOST:PORT` prints its \
                  trace, the cause in plain words, whose side is at fault and the fix."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the interop matrix: each version's suites, key types, groups and options (each axis covered, not every combination).
    #[command(after_help = harness::exit::MATRIX_CODES)]
    Matrix(MatrixArgs),
    /// Connect to a server, trace the handshake (like s_client -state -msg) and, when it fails, say why: cause, fault, fix.
    #[command(after_help = harness::exit::PROBE_HELP)]
    Probe(ProbeArgs),
    /// A tracing server that prints each connection's trace (like s_server -state).
    #[command(after_help = harness::exit::SERVE_CODES)]
    Serve(ServeArgs),
    /// Map a live server's versions, suites, groups, resumption and chain from traced probes.
    #[command(after_help = harness::exit::SCAN_CODES)]
    Scan(harness::scan::cli::ScanArgs),
    /// Write the test PKI (root, intermediate, leaves, CSR, negatives) as PEM files.
    Pki {
        /// Directory to write into; created if missing.
        #[arg(long)]
        out: PathBuf,
        /// table (one path a line) or json (a list of paths).
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
        /// Replace key files this command did not write (keys are always written 0600).
        #[arg(long)]
        force: bool,
    },
    /// Send hostile peers (malformed hellos, oversized records, slowloris, a flood, ...) to a TLS server.
    #[command(after_help = harness::exit::HOSTILE_CODES)]
    Hostile(HostileArgs),
    /// Handshake rate and bulk throughput, traced against untraced and against the crypto limit.
    Bench(BenchCommand),
    /// Join JSON shard reports into one report.
    Merge {
        /// JSON reports written by `matrix --format json`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// How to write the merged report.
        #[arg(long, default_value = "json")]
        format: Format,
        /// Write the report here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("server").required(true).args(["target", "in_process"])))]
struct HostileArgs {
    /// The server to test, HOST:PORT (e.g. a running `tls-harness serve`).
    #[arg(long)]
    target: Option<String>,
    /// Start an in-process traced server on 127.0.0.1:0 and check its server-side traces too.
    #[arg(long)]
    in_process: bool,
    /// How to write the report.
    #[arg(long, default_value = "table")]
    format: harness::hostile::ReportFormat,
    /// Seconds each connect, read and write may take; a whole TLS exchange, four times it.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Seconds the server may keep an idle connection (default 12; in process, its time-out + 1).
    #[arg(long)]
    idle_limit: Option<f64>,
    /// Read time-out of the in-process server, in seconds; a whole connection, four times it.
    #[arg(long, default_value_t = 2.0)]
    server_timeout: f64,
    /// Connections the flood opens (at least 1).
    #[arg(long, default_value_t = 1000)]
    flood: usize,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct BenchCommand {
    #[command(flatten)]
    run: benches::cli::BenchArgs,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // An interrupted run must not leave peer processes behind.
    if let Err(e) = harness::interrupt::install() {
        harness::stderr!("tls-harness: installing the SIGINT/SIGTERM handler: {e} (an interrupted run may leave peer processes behind)");
    }
    let result = match cli.command {
        Command::Matrix(a) => matrix(a).map(Exit::from),
        Command::Probe(a) => probe_cmd(a),
        Command::Serve(a) => serve_cmd(a).map(Exit::from),
        Command::Scan(a) => out_writable(a.out.as_ref())
            .and_then(|()| harness::scan::cli::run(a))
            .map(Exit::from),
        Command::Pki { out, format, force } => pki(out, &format, force).map(Exit::from),
        Command::Hostile(a) => hostile_cmd(a).map(Exit::from),
        Command::Bench(a) => bench_cmd(a).map(Exit::from),
        Command::Merge { files, format, out } => merge(files, format, out).map(Exit::from),
    };
    // A case that ended at its deadline may have left a peer running (its
    // thread waits out the peer's own time-out): end it, and let its
    // thread free the test PKI's directory.
    harness::peer::process::kill_live_groups();
    harness::run::wait_for_sides(std::time::Duration::from_secs(5));
    harness::interrupt::remove_leftovers();
    let code = match result {
        Ok(exit) => exit.code(),
        Err(e) => {
            harness::stderr!("tls-harness: {}", Chain(&e));
            Exit::of_error(&e).code()
        }
    };
    // A stopped run exits as the signal would have ended it, so a CI job
    // does not read its report as a whole run.
    let code = harness::interrupt::received_exit_code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(code);
    ExitCode::from(code)
}

fn pki(out: PathBuf, format: &str, force: bool) -> Result<bool, HarnessError> {
    if out.exists() && !out.is_dir() {
        return Err(HarnessError::Usage(format!(
            "--out {}: is not a directory (it takes the directory to write the files in)",
            out.display()
        )));
    }
    std::fs::create_dir_all(&out).map_err(|e| HarnessError::writing(&out, e))?;
    let pki = Pki::generate()?;
    let files = pki.write_pem_with(
        &out,
        if force {
            Overwrite::Any
        } else {
            Overwrite::Ours
        },
    )?;
    let paths: Vec<String> = files
        .all()
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let text = if format == "json" {
        // A list of strings always serializes.
        serde_json::to_string_pretty(&paths).unwrap_or_default() + "\n"
    } else {
        paths.iter().map(|p| format!("{p}\n")).collect()
    };
    // A closed pipe (`| head`) is an error to report, not a panic.
    emit(&text, None)?;
    Ok(true)
}

fn merge(files: Vec<PathBuf>, format: Format, out: Option<PathBuf>) -> Result<bool, HarnessError> {
    let mut reports = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| HarnessError::reading(f, e))?;
        reports.push(report::json::parse(&text, f)?);
    }
    let merged = report::json::merge(reports)?;
    emit(&report::render(&merged, format), out.as_ref())?;
    harness::stderr!("{}", merged.summary_line());
    // Shards may each play nothing; their whole, as an unsharded run, may
    // not (a stopped shard already fails the merge).
    if merged.stopped.is_none() {
        cli::matrix::something_ran(&merged.summary)?;
    }
    Ok(merged.ok())
}

fn hostile_cmd(a: HostileArgs) -> Result<bool, HarnessError> {
    use harness::hostile::{self, HostileOptions, InProcessOptions, ReportFormat, Target};
    out_writable(a.out.as_ref())?;
    // A flood of no connections asks the server nothing; judged, it would
    // fail as if the server had refused them all.
    if a.flood == 0 {
        return Err(HarnessError::Usage("--flood must be at least 1".into()));
    }
    let label = a.target.clone().unwrap_or_else(|| "in-process".into());
    let target = match a.target {
        Some(t) => {
            harness::probe::host_port(&t)?;
            Target::Address(t)
        }
        None => Target::InProcess(InProcessOptions {
            read_timeout: seconds("--server-timeout", a.server_timeout)?,
            ..InProcessOptions::default()
        }),
    };
    let opts = HostileOptions {
        timeout: seconds("--timeout", a.timeout)?,
        idle_limit: a
            .idle_limit
            .map(|s| seconds("--idle-limit", s))
            .transpose()?,
        flood: a.flood,
        ..HostileOptions::default()
    };
    let report = match hostile::run(target, &opts) {
        Ok(report) => report,
        Err(e) => {
            // A script reading JSON still gets a document: why nothing ran.
            if a.format == ReportFormat::Json {
                let doc = serde_json::json!({
                    "schema_version": hostile::SCHEMA_VERSION,
                    "target": label,
                    "error": Chain(&e).to_string(),
                });
                emit(&format!("{doc:#}\n"), a.out.as_ref())?;
            }
            return Err(e.into());
        }
    };
    emit(&report.render(a.format), a.out.as_ref())?;
    if a.out.is_some() || a.format != ReportFormat::Table {
        harness::stderr!("{}", report.summary);
    }
    Ok(report.ok())
}

fn bench_cmd(a: BenchCommand) -> Result<bool, HarnessError> {
    out_writable(a.out.as_ref())?;
    let report = benches::run(&a.run.options())?;
    emit(&a.run.render(&report), a.out.as_ref())?;
    Ok(true)
}

/// Refuses an `--out` whose directory does not exist, before a run that
/// may take minutes rather than after it.
fn out_dir_exists(out: Option<&PathBuf>) -> Result<(), HarnessError> {
    match out.and_then(|p| p.parent()) {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(HarnessError::Usage(
            format!("--out: {} is not a directory", dir.display()),
        )),
        _ => Ok(()),
    }
}

/// Refuses an `--out` the report could not be written to, before a run
/// that may take minutes rather than after it: one whose directory is
/// missing, one that is a directory, or one beside which [`emit`]'s
/// temporary file cannot be made (a read-only directory, /proc).
pub(crate) fn out_writable(out: Option<&PathBuf>) -> Result<(), HarnessError> {
    out_dir_exists(out)?;
    let Some(path) = out else {
        return Ok(());
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(HarnessError::Usage(format!(
                "--out: {} is a directory; name a file",
                path.display()
            )))
        }
        // A device or pipe (`--out /dev/stdout`) is written as is.
        Ok(m) if !m.is_file() => return Ok(()),
        _ => {}
    }
    let partial = partial_path(path);
    std::fs::File::create(&partial).map_err(|e| HarnessError::writing(&partial, e))?;
    // Removed at once, so that a run stopped by a signal leaves nothing.
    let _ = std::fs::remove_file(&partial);
    Ok(())
}

/// The temporary file [`emit`] writes before renaming it to `path`.
fn partial_path(path: &std::path::Path) -> PathBuf {
    let mut partial = path.to_owned().into_os_string();
    partial.push(format!(".partial-{}", std::process::id()));
    PathBuf::from(partial)
}

fn emit(text: &str, out: Option<&PathBuf>) -> Result<(), HarnessError> {
    match out {
        // Whole or not at all: a signal that ends the program mid-write
        // leaves the temporary file, not a truncated report. Not for what
        // is no regular file (`--out /dev/stdout`, a pipe): written as is.
        Some(path) if !std::fs::metadata(path).map_or(true, |m| m.is_file()) => {
            std::fs::write(path, text).map_err(|e| HarnessError::writing(path, e))
        }
        Some(path) => {
            let partial = partial_path(path);
            // The error names the file that failed: the temporary one or,
            // when the rename fails, the report's.
            let written = std::fs::write(&partial, text)
                .map_err(|e| HarnessError::writing(&partial, e))
                .and_then(|()| {
                    std::fs::rename(&partial, path).map_err(|e| HarnessError::writing(path, e))
                });
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|e| HarnessError::Io {
                    what: "writing to stdout".into(),
                    source: e,
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks a command's definition only when it is parsed in a
    /// debug build; this walks every subcommand, so a clash (two flags or
    /// groups of one name) fails here rather than when a user runs it.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }

    /// Each example `probe --help` gives is a command line it takes.
    #[test]
    fn the_probe_examples_parse() {
        use clap::Parser;
        let examples: Vec<&str> = harness::exit::PROBE_HELP
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("tls-harness "))
            .collect();
        assert_eq!(examples.len(), 4);
        for e in examples {
            let words = e.split("  ").next().unwrap_or(e).split_whitespace();
            let args = std::iter::once("tls-harness").chain(words);
            if let Err(err) = super::Cli::try_parse_from(args) {
                panic!("{e}: {err}");
            }
        }
    }

    /// An --out the report cannot be written to is refused before the
    /// run, naming what failed; one that can be leaves no file behind.
    #[test]
    fn an_unwritable_bench_out_is_refused_up_front() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let refused = |out: &std::path::Path| {
            super::out_writable(Some(&out.to_owned()))
                .expect_err("refused")
                .to_string()
        };
        let message = refused(dir.path());
        assert!(message.contains("is a directory"), "{message}");
        // /proc takes no new files: the temporary file is what fails.
        let proc_out = std::path::Path::new("/proc/bench-out-check.json");
        let message = refused(proc_out);
        let partial = super::partial_path(proc_out);
        assert_eq!(message, format!("writing {}", partial.display()));
        let out = dir.path().join("report.json");
        super::out_writable(Some(&out)).expect("a writable --out");
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("listing").collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
