//! Handshake rate and bulk throughput of OpenSSL through the `openssl`
//! crate, traced with openssl-handshake and untraced, set against the
//! crypto limit measured in the same run.
//!
//! [`run`] is what `tls-harness bench` calls; the criterion benches in
//! `benches/` call the same [`workload`] functions, so both always
//! measure the same thing.
//!
//! ```no_run
//! let options = benches::BenchOptions {
//!     quick: true,
//!     ..Default::default()
//! };
//! let report = benches::run(&options)?;
//! print!("{}", report.to_table());
//! # Ok::<(), benches::BenchError>(())
//! ```
#![warn(missing_docs)]

pub mod cli;
mod compare;
pub mod config;
mod error;
pub mod limit;
mod report;
mod runner;
mod stats;
mod sys;
pub mod workload;

pub use error::BenchError;
pub use report::{BenchReport, Bound, Kind, Row, Target, LOW_CPU_SHARE, SCHEMA_VERSION};
pub use runner::{run, BenchOptions, Method};
