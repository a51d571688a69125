//! Helpers for the integration tests: running the built binary and
//! external tools with time-outs, and a guard that kills and reaps every
//! child process, whatever happens to the test.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use harness::peer::process::ChildGuard;

pub mod ports;

/// The tls-harness binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_tls-harness");

/// The longest any child may run.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A running child whose output lines arrive on channels. Dropping it
/// kills the child and waits for it, so no process outlives its test.
pub struct Proc {
    child: Child,
    pub stdout: Receiver<String>,
    pub stderr: Receiver<String>,
    pub name: String,
}

impl Proc {
    /// Starts `cmd` with piped stdout and stderr (and stdin, kept open
    /// until the guard drops: `openssl s_server` stops at end of input).
    pub fn spawn(mut cmd: Command) -> Proc {
        let name = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name}: {e}"));
        let stdout = lines(child.stdout.take().expect("piped stdout"));
        let stderr = lines(child.stderr.take().expect("piped stderr"));
        Proc {
            child,
            stdout,
            stderr,
            name,
        }
    }

    /// Writes `bytes` to the child's stdin (a command to `s_client`).
    pub fn write_stdin(&mut self, bytes: &[u8]) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("stdin still open");
        stdin.write_all(bytes).expect("write to the child's stdin");
        stdin.flush().expect("flush the child's stdin");
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes the child's stdin, as `< /dev/null` would.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Waits for a line on `stream` that satisfies `pred`; panics after `limit`.
    pub fn wait_line(
        rx: &Receiver<String>,
        limit: Duration,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if pred(&line) => return line,
                Ok(_) => continue,
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Waits for the child to exit, at most `limit`; kills it after that.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} did not exit within {limit:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The child's exit status, if it has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Every line still to come on `rx`, after the child has exited.
    pub fn drain(rx: &Receiver<String>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(l) = rx.recv_timeout(Duration::from_secs(5)) {
            out.push(l);
        }
        out
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // SIGTERM first, so that a tls-harness child removes its key files
        // (serve's PKI); SIGKILL if it has not gone within two seconds. Not
        // once it has been reaped: its pid may belong to another process.
        if let (Ok(None), Ok(pid)) = (self.child.try_wait(), i32::try_from(self.child.id())) {
            use nix::sys::signal::{kill, Signal};
            let _ = kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Output of a finished command.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to completion, at most `LIMIT`.
pub fn run(cmd: Command) -> Output {
    let mut p = Proc::spawn(cmd);
    p.close_stdin();
    let status = p.wait(LIMIT);
    let stdout = Proc::drain(&p.stdout).join("\n") + "\n";
    let stderr = Proc::drain(&p.stderr).join("\n") + "\n";
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Runs `cmd`, which must refuse (exit status 2) with an error naming
/// each of `says`; returns its output for further checks.
pub fn refused(cmd: Command, says: &[&str]) -> Output {
    let o = run(cmd);
    assert_eq!(o.status.code(), Some(2), "{}{}", o.stdout, o.stderr);
    for s in says {
        assert!(o.stderr.contains(s), "{s:?} is not in: {}", o.stderr);
    }
    o
}

/// The first line of `o`'s standard output (`--format json`) as JSON.
pub fn first_json(o: &Output) -> serde_json::Value {
    let line = o.stdout.lines().next().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// A loopback server for scripted peers: each connection is handed to
/// `handle` on a thread of its own, until the test ends (a scan's
/// connections are many, some at once). Returns its address.
pub fn serve_each(handle: impl Fn(std::net::TcpStream) + Clone + Send + 'static) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for tcp in l.incoming().flatten() {
            let handle = handle.clone();
            std::thread::spawn(move || handle(tcp));
        }
    });
    addr
}

/// The tls-harness binary with `args`.
pub fn harness(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("CI");
    c
}

/// `gnutls-serv` with `args` on a loopback port, started as the matrix
/// starts it: a port another process took first is given up for another.
/// Returns the server and its address.
pub fn gnutls_serv(args: &[&str]) -> (ChildGuard, String) {
    require("gnutls-serv", "--version", "gnutls-bin");
    let args = |port: u16| {
        let mut a = vec!["--port".to_owned(), port.to_string()];
        a.extend(args.iter().map(|s| (*s).to_owned()));
        Ok(a)
    };
    let (g, port) = harness::peer::gnutls::start_server(&args, LIMIT).unwrap_or_else(|e| {
        panic!(
            "gnutls-serv did not start: {}",
            testkit::error_chain::Chain(&e)
        )
    });
    (g, format!("127.0.0.1:{port}"))
}

/// Waits for a line of `server`'s output that `pred` accepts.
pub fn wait_for(server: &mut ChildGuard, what: &str, pred: impl Fn(&str) -> bool) -> String {
    server
        .wait_for_line(Instant::now() + LIMIT, what, pred)
        .unwrap_or_else(|e| panic!("waiting for {what}: {e}; saw {:?}", server.seen()))
}

/// The options the trickle tests give `probe` and `serve`: a 5 s read
/// time-out that a byte every half second never trips, a 2 s handshake
/// deadline that ends the handshake, and JSON output.
pub const TRICKLE_LIMITS: [&str; 6] = [
    "--timeout",
    "5",
    "--handshake-timeout",
    "2",
    "--format",
    "json",
];

/// Writes `bytes` one at a time, `every` apart, until all are written or
/// the other side is gone.
pub fn trickle(w: &mut impl Write, bytes: &[u8], every: Duration) {
    for b in bytes {
        if w.write_all(&[*b]).is_err() {
            return;
        }
        std::thread::sleep(every);
    }
}

/// Fails the test, saying to install `install`, unless `tool version_arg`
/// runs and succeeds.
pub fn require(tool: &str, version_arg: &str, install: &str) {
    testkit::command::stdout_of(Command::new(tool).arg(version_arg), install);
}

/// `openssl s_server -accept 127.0.0.1:0` with `args`, once it accepts;
/// returns the guard and the address its ACCEPT line names.
pub fn s_server(args: &[&str]) -> (Proc, String) {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-accept", "127.0.0.1:0"]).args(args);
    let server = Proc::spawn(cmd);
    let line = Proc::wait_line(&server.stdout, LIMIT, "s_server's ACCEPT line", |l| {
        l.starts_with("ACCEPT ")
    });
    let addr = line.trim_start_matches("ACCEPT ").trim().to_string();
    (server, addr)
}

/// What `openssl s_client` printed: its stdout and stderr lines.
pub struct SClientOutput {
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

/// Runs `openssl s_client` (`cmd`), its stdin held open until `hold`
/// after its handshake ended (its "SSL handshake has read" line, or its
/// exit), so that what the server sends after the handshake, TLS 1.3
/// tickets above all, arrives before end of input makes it close. Timed
/// from the handshake rather than the start: a start slowed by a busy
/// machine must not cut the wait short. s_client prints that line after a
/// failed handshake too, but not with `-quiet` or `-brief`, which callers
/// must not pass.
pub fn s_client_held(cmd: Command, hold: Duration) -> SClientOutput {
    let mut client = Proc::spawn(cmd);
    let deadline = Instant::now() + LIMIT;
    let mut stdout = Vec::new();
    loop {
        match client.stdout.recv_timeout(Duration::from_millis(20)) {
            Ok(line) => {
                let done = line.starts_with("SSL handshake has read");
                stdout.push(line);
                if done {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) if client.try_exit().is_none() => {}
            Err(_) => break,
        }
        assert!(
            Instant::now() < deadline,
            "{}: no handshake within {LIMIT:?}",
            client.name
        );
    }
    std::thread::sleep(hold);
    client.close_stdin();
    client.wait(LIMIT);
    stdout.extend(Proc::drain(&client.stdout));
    SClientOutput {
        stdout,
        stderr: Proc::drain(&client.stderr),
    }
}

/// Writes the test PKI with `tls-harness pki`.
pub fn write_pki(dir: &Path) {
    let o = run(harness(&[
        "pki",
        "--out",
        dir.to_str().expect("utf-8 path"),
    ]));
    assert!(o.status.success(), "pki failed: {}", o.stderr);
}

/// The lines of `text` that start with `prefix`.
pub fn lines_with(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// The value of the evidence from `source` in a JSON diagnosis, if any.
pub fn evidence(diagnosis: &serde_json::Value, source: &str) -> Option<serde_json::Value> {
    diagnosis["evidence"]
        .as_array()?
        .iter()
        .find(|e| e["source"] == source)
        .map(|e| e["value"].clone())
}

/// The Python with tlslite-ng, found as the tlslite peer finds it:
/// `$TLS_HARNESS_TLSLITE_PYTHON`, else the venv ci/test.sh makes.
pub fn tlslite_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("TLS_HARNESS_TLSLITE_PYTHON") {
        return std::path::PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tlslite-venv/bin/python")
}

/// The command lines of the running processes that contain `marker`, but
/// the harness's own (whose arguments may hold it too).
pub fn running(marker: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(marker) && !c.contains("tls-harness"))
        .collect()
}

/// [`gnutls_serv`] with the test PKI's `leaf` in `dir` ("server-rsa2048":
/// its `.chain.pem` and `.key`) and `extra` arguments.
pub fn gnutls_leaf(dir: &Path, leaf: &str, extra: &[&str]) -> (ChildGuard, String) {
    let file = |suffix: &str| {
        let path = dir.join(format!("{leaf}{suffix}"));
        path.to_str().expect("utf-8 path").to_owned()
    };
    let (chain, key) = (file(".chain.pem"), file(".key"));
    let mut args = vec!["--x509certfile", &chain, "--x509keyfile", &key];
    args.extend(extra);
    gnutls_serv(&args)
}

/// How many times `needle` occurs in `haystack`.
pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The operating system's words for reading `path`, which must fail.
pub fn os_error_reading(path: &std::path::Path) -> String {
    let e = std::fs::read_to_string(path).expect_err("the file must not exist");
    let text = e.to_string();
    assert!(!text.is_empty());
    text
}

/// A named pipe at `path` that yields the bytes of `file` to its first
/// reader and nothing to any later one, as a shell's process substitution
/// (`<(...)`) does.
pub fn pipe_once(path: &std::path::Path, file: &std::path::Path) {
    use std::io::Write;
    let mut mkfifo = Command::new("mkfifo");
    mkfifo.arg(path);
    let made = run(mkfifo);
    assert!(made.status.success(), "mkfifo: {}", made.stderr);
    let contents = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let writer = path.to_path_buf();
    std::thread::spawn(move || {
        for c in [contents, Vec::new()] {
            let Ok(mut w) = std::fs::OpenOptions::new().write(true).open(&writer) else {
                return;
            };
            let _ = w.write_all(&c);
        }
    });
}
