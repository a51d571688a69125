//! The server side of a driver program of ours (the tlslite and jsse
//! peers): one process that announces its port as a JSON line, serves a
//! case's connections, and writes a `handshake` or `error` line for each.

use std::time::Instant;

use serde_json::Value;
use testkit::error_chain::Chain;

use super::external;
use super::process::{Captured, ChildGuard};
use super::ServerControl;

/// How a driver's serving went.
pub enum Served {
    /// It listened: what it wrote, and how many connections to read
    /// from it.
    Lines(Captured, usize),
    /// It never listened: why, and what it wrote.
    NeverListened(String, Captured),
}

/// Waits for the driver `g` (`what`, as errors name it) to announce its
/// port, hands the address on, and waits for a line per connection the
/// client made (at most one time-out past the client's end).
pub fn serve(mut g: ChildGuard, ctl: &ServerControl, connections: usize, what: &str) -> Served {
    let deadline = external::process_deadline(ctl.io_timeout, connections);
    let ready = g.wait_for_line(
        Instant::now() + ctl.io_timeout * 2,
        &format!("{what} to listen"),
        |l| l.contains("\"listening\""),
    );
    let port = match ready {
        Ok(line) => serde_json::from_str::<Value>(&line)
            .ok()
            .and_then(|v| v["port"].as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .ok_or(format!("{what} announced no port: {line}")),
        Err(e) => Err(Chain(&e).to_string()),
    };
    let port = match port {
        Ok(port) => port,
        Err(why) => return Served::NeverListened(why, g.finish()),
    };
    let _ = ctl.ready.send(external::loopback(port));
    let made = ctl.connections_made(deadline, connections).max(1);
    let limit = Instant::now() + ctl.io_timeout;
    g.wait_until(limit, |lines| {
        lines
            .iter()
            .filter(|l| l.contains("\"handshake\"") || l.contains("\"error\""))
            .count()
            >= made
    });
    Served::Lines(g.finish(), made)
}
