//! The flags of a bench run, shared by `tls-bench` and `tls-harness bench`
//! so that both take the same ones and print the same report.

use regex::Regex;

use crate::{BenchOptions, BenchReport};

/// What to run and how to print it.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Short measurements (under a minute in all); noisier figures.
    #[arg(long)]
    pub quick: bool,
    /// How to write the report.
    #[arg(long, value_enum, default_value = "table")]
    pub format: BenchFormat,
    /// Run only rows whose id matches this regex (e.g. '^bulk/default/tls13').
    #[arg(long)]
    pub filter: Option<Regex>,
    /// Rounds per row (default 21, 3 with --quick). Each ratio's 95 %
    /// confidence interval narrows about as 1/√rounds; from 6 rounds on
    /// it is printed, and a ratio target judged.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub rounds: Option<u16>,
}

/// The report formats of a bench run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchFormat {
    /// Aligned rows, then the targets and whether each was met.
    Table,
    /// The whole report as JSON, for CI and `tls-bench compare`.
    Json,
}

impl BenchArgs {
    /// The options [`crate::run`] takes.
    pub fn options(&self) -> BenchOptions {
        BenchOptions {
            quick: self.quick,
            filter: self.filter.clone(),
            rounds: self.rounds.map(usize::from),
        }
    }

    /// `report` in the chosen format, ending with a newline.
    pub fn render(&self, report: &BenchReport) -> String {
        match self.format {
            BenchFormat::Table => report.to_table(),
            BenchFormat::Json => report.to_json() + "\n",
        }
    }
}
