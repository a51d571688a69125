//! Runs the benchmark without the harness, and compares two JSON
//! reports; `ci/bench-compare.sh` uses it to set the system OpenSSL
//! against the vendored build.
//!
//! ```text
//! tls-bench [--quick] [--format table|json] [--filter REGEX]
//! tls-bench compare BASE.json OTHER.json
//! ```
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use benches::cli::BenchArgs;
use benches::BenchReport;
use clap::{Parser, Subcommand};
use testkit::error_chain::Chain;

/// Handshake rate and bulk throughput of OpenSSL, traced and untraced,
/// against the machine's crypto limit.
#[derive(Parser)]
#[command(name = "tls-bench", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: BenchArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Set two JSON reports side by side, row by row, as OTHER/BASE ratios.
    Compare {
        /// The report to compare against.
        base: PathBuf,
        /// The report to set beside it.
        other: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Compare { base, other }) => compare(&base, &other),
        None => benches::run(&cli.run.options())
            .map_err(|e| Chain(&e).to_string())
            .and_then(|report| to_stdout(&cli.run.render(&report))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tls-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn compare(base: &Path, other: &Path) -> Result<(), String> {
    let read = |p: &Path| -> Result<BenchReport, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        BenchReport::from_json(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    to_stdout(&BenchReport::compare(&read(base)?, &read(other)?))
}

/// Writes `text` to stdout; a closed pipe is an error, not a panic.
fn to_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("writing to stdout: {e}"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// As in tls-harness: clap's own checks of the definition, run eagerly.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
