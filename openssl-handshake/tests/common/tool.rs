//! The command-line tools the tests compare with (`openssl`, `tshark`),
//! run as child processes whose every wait is bounded.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use testkit::command::stdout_of;
use testkit::pki::LeafFiles;

use super::TIMEOUT;

/// A child process, killed and reaped when dropped, whatever happened.
pub struct Reaped {
    child: Child,
    program: String,
}

impl Reaped {
    /// Starts `cmd`.
    pub fn spawn(cmd: &mut Command) -> std::io::Result<Reaped> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        Ok(Reaped {
            child: cmd.spawn()?,
            program,
        })
    }

    /// Starts `cmd` with all three standard streams piped, as the tools
    /// that are talked to and read from are: the child, and its stdout's
    /// lines. `what` names the tool and where it comes from when it fails
    /// to start.
    pub fn piped(cmd: &mut Command, what: &str) -> (Reaped, mpsc::Receiver<String>) {
        let cmd = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = Reaped::spawn(cmd).unwrap_or_else(|e| panic!("run {what}: {e}"));
        let out = lines_of(child.stdout.take().expect("stdout was piped"));
        (child, out)
    }

    /// Waits (bounded by [`TIMEOUT`]) for the child to exit on its own.
    pub fn wait_exit(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        while self.child.try_wait().expect("poll child").is_none() {
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {TIMEOUT:?}",
                self.program
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the child to exit and returns its stderr.
    pub fn finish(mut self) -> String {
        self.wait_exit();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err).expect("read stderr");
        }
        err
    }
}

impl Deref for Reaped {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.child
    }
}

impl DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a test names `openssl s_server` when it does not start.
pub const OPENSSL_S_SERVER: &str = "openssl s_server (install the openssl package)";
/// How a test names `openssl s_client` when it does not start.
pub const OPENSSL_S_CLIENT: &str = "openssl s_client (install the openssl package)";

/// The `openssl` command, after checking once that it is installed: a
/// missing tool fails the test saying what to install.
pub fn openssl() -> Command {
    static CHECKED: OnceLock<()> = OnceLock::new();
    checked(&CHECKED, "openssl", "version", "the openssl package")
}

/// The `gnutls-cli` command, checked likewise.
pub fn gnutls_cli() -> Command {
    static CHECKED: OnceLock<()> = OnceLock::new();
    checked(
        &CHECKED,
        "gnutls-cli",
        "--version",
        "the gnutls-bin package",
    )
}

/// The `gnutls-serv` command, checked likewise.
pub fn gnutls_serv() -> Command {
    static CHECKED: OnceLock<()> = OnceLock::new();
    checked(
        &CHECKED,
        "gnutls-serv",
        "--version",
        "the gnutls-bin package",
    )
}

/// `program`, once `program version_arg` has run (the first time only).
fn checked(once: &OnceLock<()>, program: &str, version_arg: &str, package: &str) -> Command {
    once.get_or_init(|| {
        stdout_of(Command::new(program).arg(version_arg), package);
    });
    Command::new(program)
}

/// `openssl s_server` on a free loopback port, serving `leaf` (its chain,
/// also as `-chainCAfile`, and key) with `args`: the child, its stdout's
/// lines, and the port from its `ACCEPT` line.
pub fn s_server(leaf: &LeafFiles, args: &[&str]) -> (Reaped, mpsc::Receiver<String>, u16) {
    let (child, out) = Reaped::piped(
        openssl()
            .args(["s_server", "-accept", "127.0.0.1:0"])
            .arg("-cert")
            .arg(&leaf.chain)
            .arg("-chainCAfile")
            .arg(&leaf.chain)
            .arg("-key")
            .arg(&leaf.key)
            .args(args),
        OPENSSL_S_SERVER,
    );
    let accept = line_where(&out, |l| l.starts_with("ACCEPT "), drop).unwrap_or_else(|e| {
        panic!("openssl s_server printed no ACCEPT line within {TIMEOUT:?}: {e}")
    });
    let port = accept
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in ACCEPT line");
    (child, out, port)
}

/// Lines of a child's output, delivered through a channel so that every
/// wait on them has a time-out. The output is read to its end even when
/// nobody listens any more, so the child never blocks on (or dies of) a
/// full or closed pipe.
pub fn lines_of(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// The first line `want` accepts within [`TIMEOUT`]; the lines before it
/// are passed to `skipped`. An error when the output ends first
/// (`Disconnected`) or time runs out.
pub fn line_where(
    rx: &mpsc::Receiver<String>,
    want: impl Fn(&str) -> bool,
    skipped: impl FnMut(String),
) -> Result<String, mpsc::RecvTimeoutError> {
    line_within(rx, TIMEOUT, want, skipped)
}

/// [`line_where`] with a limit of its own, for a tool slower to start.
pub fn line_within(
    rx: &mpsc::Receiver<String>,
    limit: Duration,
    want: impl Fn(&str) -> bool,
    mut skipped: impl FnMut(String),
) -> Result<String, mpsc::RecvTimeoutError> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if want(&line) => return Ok(line),
            Ok(line) => skipped(line),
            Err(e) => return Err(e),
        }
    }
}

/// What `openssl s_client -trace` with `args` prints for one connection
/// to `addr` (its server name localhost, trusting `root`); it closes once
/// the server's "ping" arrives, and must finish within [`TIMEOUT`].
pub fn s_client_trace<I>(addr: SocketAddr, root: &Path, args: I) -> String
where
    I: IntoIterator,
    I::Item: AsRef<OsStr>,
{
    let mut child = Reaped::spawn(
        openssl()
            .args(["s_client", "-trace", "-connect", &addr.to_string()])
            .args(["-servername", "localhost", "-CAfile"])
            .arg(root)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )
    .expect(OPENSSL_S_CLIENT);
    let rx = lines_of(child.stdout.take().expect("stdout"));
    let deadline = Instant::now() + TIMEOUT;
    let mut output = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.max(Duration::from_millis(1))) {
            Ok(line) => {
                // The payload may follow a hex dump line without a newline.
                if line.ends_with("ping") {
                    // Closing stdin makes s_client send close_notify and exit.
                    drop(child.stdin.take());
                }
                output.push_str(&line);
                output.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return output,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let tail: Vec<&str> = output.lines().rev().take(25).collect();
                panic!(
                    "s_client did not finish within {TIMEOUT:?}; last lines (reversed): {tail:#?}"
                )
            }
        }
    }
}
