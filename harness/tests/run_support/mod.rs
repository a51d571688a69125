//! What the tests that run cases through the library share: the options
//! of a quiet run and the report `matrix` would write of its results.
#![allow(dead_code)]

use std::time::Duration;

use harness::report::{Report, Summary, SCHEMA_VERSION};
use harness::run::{CaseResult, RunOptions};
use harness::transport::Transport;

/// One case at a time over `transport`, each wait at most `io_timeout`,
/// no progress bar and nothing recorded.
pub fn options(transport: Transport, io_timeout: Duration) -> RunOptions {
    RunOptions {
        transport,
        jobs: 1,
        io_timeout,
        progress: false,
        artifacts: None,
    }
}

/// The report of a one-job in-memory run of `results`, counted.
pub fn report_of(results: Vec<CaseResult>) -> Report {
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: "tls-harness".into(),
        tool_version: "test".into(),
        openssl: openssl::version::version().into(),
        peers: Vec::new(),
        transport: "memory".into(),
        jobs: 1,
        shard: None,
        wall_ms: 1.0,
        summary: Summary::default(),
        results,
    };
    report.recount();
    report
}
