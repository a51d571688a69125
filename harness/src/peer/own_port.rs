//! Servers that bind a port of their own: one started on a port that was
//! free a moment ago, and the wait until a port listens.

use std::time::{Duration, Instant};

use testkit::error_chain::Chain;

use super::process::{ChildGuard, ProcessError};

/// How to start a server that can't bind port 0 and say which port it got.
pub struct FreePortServer<'a> {
    /// The program and the package that provides it.
    pub program: &'a str,
    /// The package, for the "not found" message.
    pub package: &'a str,
    /// Its arguments for a port.
    pub args: &'a dyn Fn(u16) -> Result<Vec<String>, String>,
    /// The line that says it listens.
    pub listening: &'a dyn Fn(&str) -> bool,
    /// Start it under `stdbuf -oL` ([`ChildGuard::spawn_line_buffered`]).
    pub line_buffered: bool,
}

impl FreePortServer<'_> {
    /// Starts the server on a loopback port that was free a moment ago,
    /// retrying with fresh ports when another process took it first.
    /// Returns the running server and its port, or why it didn't start.
    pub fn start(&self, ready_within: Duration) -> Result<(ChildGuard, u16), String> {
        let mut last_error = String::new();
        for _attempt in 0..4 {
            let port = match super::external::free_port() {
                Ok(p) => p,
                Err(e) => {
                    last_error = format!("no free loopback port: {e}");
                    continue;
                }
            };
            let args = (self.args)(port)?;
            let spawned = if self.line_buffered {
                ChildGuard::spawn_line_buffered(self.program, &args, self.package)
            } else {
                ChildGuard::spawn(self.program, &args, self.package)
            };
            let mut g = spawned.map_err(|e| Chain(&e).to_string())?;
            let what = format!("{} to listen", self.program);
            let ready = g.wait_for_line(Instant::now() + ready_within, &what, |l| {
                (self.listening)(l) || l.contains("bind") || l.contains("Address already in use")
            });
            match ready {
                Ok(l) if (self.listening)(&l) => {
                    // Some servers (botan tls_server) say so before they
                    // call listen(): wait until the kernel agrees.
                    if !wait_listening(port, Instant::now() + ready_within) {
                        return Err(format!(
                            "{} said it listens on {port}, but nothing does",
                            self.program
                        ));
                    }
                    return Ok((g, port));
                }
                Ok(l) => last_error = l,
                Err(ProcessError::Exited { status, .. }) => {
                    let cap = g.finish();
                    last_error =
                        format!("{} exited ({status}): {}", self.program, cap.stderr.trim());
                    if !cap.stderr.contains("bind") && !cap.stderr.contains("in use") {
                        break;
                    }
                }
                Err(e) => {
                    last_error = Chain(&e).to_string();
                    break;
                }
            }
        }
        Err(last_error)
    }
}

/// Waits until a TCP socket listens on `port` (IPv4 or IPv6, any
/// address), as `/proc/net/tcp` shows it, or `deadline` passes; returns
/// whether one does. Where /proc is missing it can't tell and says yes.
pub fn wait_listening(port: u16, deadline: Instant) -> bool {
    let needle = format!(":{port:04X} ");
    loop {
        let mut readable = false;
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else {
                continue;
            };
            readable = true;
            // "  0: 00000000:1F90 00000000:0000 0A ..." — state 0A is LISTEN.
            let listening = text.lines().any(|l| {
                let mut f = l.split_whitespace();
                let local = f.nth(1).unwrap_or("");
                let state = f.nth(1).unwrap_or("");
                state == "0A" && format!("{local} ").ends_with(&needle)
            });
            if listening {
                return true;
            }
        }
        if !readable {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
