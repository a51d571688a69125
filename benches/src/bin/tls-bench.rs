//! Runs the benchmark without the harness, and compares two JSON
//! reports; `ci/bench-compare.sh` uses it to set the system OpenSSL
//! against the vendored build.
//!
//! ```text
//! tls-bench [--quick] [--format table|json] [--filter REGEX]
//! tls-bench compare BASE.json OTHER.json
//! ```
#![forbid(unsafe_code)]

use std::process::ExitCode;

use benches::{BenchOptions, BenchReport};
use regex::Regex;
use testkit::error_chain::Chain;

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tls-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("compare") {
        let [_, base, other] = args.as_slice() else {
            return Err("usage: tls-bench compare BASE.json OTHER.json".into());
        };
        let read = |p: &str| -> Result<BenchReport, String> {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"))?;
            BenchReport::from_json(&text).map_err(|e| format!("{p}: {e}"))
        };
        print!("{}", BenchReport::compare(&read(base)?, &read(other)?));
        return Ok(());
    }
    let mut opts = BenchOptions::default();
    let mut json = false;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => opts.quick = true,
            "--format" => match it.next().as_deref() {
                Some("json") => json = true,
                Some("table") => json = false,
                other => return Err(format!("--format takes table or json, not {other:?}")),
            },
            "--filter" => {
                let re = it.next().ok_or("--filter takes a regex")?;
                opts.filter = Some(Regex::new(&re).map_err(|e| e.to_string())?);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let report = benches::run(&opts).map_err(|e| Chain(&e).to_string())?;
    if json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}
