//! Child processes for the external peers: spawned with piped stdin,
//! stdout and stderr, read line by line on helper threads, bounded by a
//! deadline, and always killed and reaped by a guard.
//!
//! The guard is the one place that owns a child. Each child leads a
//! process group of its own, which the guard kills whole (a wrapper such
//! as stdbuf and whatever the tool forks go with it) before it reaps the
//! child, also when the child exited by itself and left something
//! running, so nothing a peer started outlives its case, whether the case
//! passes, fails, times out or panics. The child's exit is watched without
//! reaping it: until it is reaped, its pid stays the group's id and cannot
//! pass to an unrelated process. The harness kills every live group when
//! it gets SIGINT, SIGTERM or SIGHUP ([`crate::interrupt`]), and a child
//! dies with the harness when it is killed outright (process/spawner.rs).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use crate::settings::Secs;

mod groups;
mod spawner;
pub use groups::kill_live_groups;
use groups::{kill_group, live_groups};

/// Most bytes of each stream kept in a result; the rest is cut, with a note.
const CAPTURE_LIMIT: usize = 32 * 1024;

/// How long a finished child's output is awaited once its group is dead:
/// only a process that left the group (`setsid`) can hold it open longer,
/// and the readers end at once otherwise, but on a loaded machine a reader
/// thread may wait a while for its turn.
const OUTPUT_GRACE: Duration = Duration::from_secs(3);

/// Why a child could not be started or waited for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The program is not on `PATH`.
    #[error("{program} not found; install {package}")]
    NotFound {
        /// The program.
        program: String,
        /// The Debian package that provides it.
        package: String,
    },
    /// The program exists but could not be started.
    #[error("could not start {program}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The deadline passed before the awaited line or exit.
    #[error("time-out after {} waiting for {what}", Secs(*waited))]
    TimedOut {
        /// What was awaited.
        what: String,
        /// How long.
        waited: Duration,
    },
    /// The child exited before printing the awaited line.
    #[error("{program} exited ({status}) before {what}")]
    Exited {
        /// The program.
        program: String,
        /// Its exit status.
        status: String,
        /// What was awaited.
        what: String,
    },
}

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Everything a finished child printed, and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The command line, for reports.
    pub command: String,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Every line of both streams in arrival order, for parsing.
    pub lines: Vec<String>,
    /// How the child ended: "exit status 0", or "killed by the harness".
    pub exit: String,
    /// The exit code, when the child exited by itself.
    pub code: Option<i32>,
    /// When the harness first saw that the child had exited by itself: it
    /// ended then or before (how long before depends on when the harness
    /// looked: at once when its output closes, which a process it left
    /// behind may delay). `None` when the harness killed it.
    pub ended: Option<Instant>,
}

/// A running child. Dropping it kills and reaps the process.
pub struct ChildGuard {
    child: Child,
    stdin: Option<ChildStdin>,
    program: String,
    command: String,
    lines: Receiver<(Stream, String)>,
    seen: Vec<String>,
    capture: Arc<Mutex<(String, String)>>,
    readers: Vec<JoinHandle<()>>,
    killed: bool,
    /// The exit status, once the child is reaped.
    status: Option<ExitStatus>,
    /// When [`ChildGuard::exited`] first found the child ended.
    ended: Option<Instant>,
}

impl ChildGuard {
    /// Starts `program` with `args`; `package` names what provides it, for
    /// the "not found" message.
    pub fn spawn(
        program: &str,
        args: &[String],
        package: &str,
    ) -> Result<ChildGuard, ProcessError> {
        Self::spawn_with(Command::new(program), program, args, package)
    }

    /// Starts `program` under `stdbuf -oL -eL` when stdbuf exists, so a
    /// program that buffers a piped stdout (gnutls-serv does) still
    /// prints each line as it happens and loses nothing when killed.
    pub fn spawn_line_buffered(
        program: &str,
        args: &[String],
        package: &str,
    ) -> Result<ChildGuard, ProcessError> {
        if which("stdbuf").is_some() {
            let mut cmd = Command::new("stdbuf");
            cmd.args(["-oL", "-eL", program]);
            Self::spawn_with(cmd, program, args, package)
        } else {
            Self::spawn(program, args, package)
        }
    }

    fn spawn_with(
        mut cmd: Command,
        program: &str,
        args: &[String],
        package: &str,
    ) -> Result<ChildGuard, ProcessError> {
        if which(program).is_none() {
            return Err(ProcessError::NotFound {
                program: program.into(),
                package: package.into(),
            });
        }
        let command = std::iter::once(program.to_string())
            .chain(args.iter().map(|a| shell_word(a)))
            .collect::<Vec<_>>()
            .join(" ");
        // Spawned with the live groups locked: a signal's kill of them all
        // (`kill_live_groups`) must not fall between the child's start and
        // its group's entry, or the child would outlive the run.
        let mut groups = live_groups();
        cmd.args(args)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawner::spawn(cmd).map_err(|source| ProcessError::Spawn {
            program: program.into(),
            source,
        })?;
        groups.insert(child.id());
        drop(groups);
        // Started as a signal was killing the others: the run is stopping.
        if crate::interrupt::received().is_some() {
            kill_group(child.id());
        }
        let (tx, rx) = mpsc::channel();
        let capture = Arc::new(Mutex::new((String::new(), String::new())));
        let mut readers = Vec::with_capacity(2);
        if let Some(out) = child.stdout.take() {
            readers.push(reader(out, Stream::Stdout, tx.clone(), capture.clone()));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(reader(err, Stream::Stderr, tx, capture.clone()));
        }
        Ok(ChildGuard {
            stdin: child.stdin.take(),
            child,
            program: program.into(),
            command,
            lines: rx,
            seen: Vec::new(),
            capture,
            readers,
            killed: false,
            status: None,
            ended: None,
        })
    }

    /// The process id, for diagnostics.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The lines read so far, in arrival order.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Waits until a line satisfies `pred` and returns it, or fails at
    /// `deadline` or when the child closes its output first. A child that
    /// exited while a process it started holds its output open is waited
    /// for as long as that output stays open: a client may leave its
    /// answer to that process.
    pub fn wait_for_line(
        &mut self,
        deadline: Instant,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String, ProcessError> {
        let start = Instant::now();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((_, line)) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return Ok(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(ProcessError::TimedOut {
                        what: what.into(),
                        waited: start.elapsed(),
                    })
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // Output closed; the exit should follow, but a child
                    // that closed its streams and lives on is not waited
                    // for past the deadline.
                    if self.wait_exit(deadline) {
                        return Err(self.exited_before(what));
                    }
                    return Err(ProcessError::Exited {
                        program: self.program.clone(),
                        status: "still running with its output closed".into(),
                        what: what.into(),
                    });
                }
            }
        }
    }

    /// The error of a child that exited before `what`: reaped, with how
    /// it ended.
    fn exited_before(&mut self, what: &str) -> ProcessError {
        let status = self.reap().map(|s| describe(&s));
        ProcessError::Exited {
            program: self.program.clone(),
            status: status.unwrap_or_else(|| "exit status unknown".into()),
            what: what.into(),
        }
    }

    /// Waits until the lines seen so far satisfy `done`, at most until
    /// `deadline`; returns whether they did. Stops early when the child
    /// closes its output.
    pub fn wait_until(&mut self, deadline: Instant, done: impl Fn(&[String]) -> bool) -> bool {
        loop {
            if done(&self.seen) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((_, line)) => self.seen.push(line),
                Err(_) => return done(&self.seen),
            }
        }
    }

    /// Writes `bytes` to the child's stdin.
    pub fn write_stdin(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self.stdin.as_mut() {
            Some(s) => s.write_all(bytes).and_then(|_| s.flush()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Closes the child's stdin, as end of input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the child to exit by itself until `deadline`; returns
    /// whether it did.
    pub fn wait_exit(&mut self, deadline: Instant) -> bool {
        loop {
            if self.exited() {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            // Reading output doubles as the pause between polls: it
            // returns as soon as the child prints or closes its streams.
            match self.lines.recv_timeout(left.min(Duration::from_millis(20))) {
                Ok((_, line)) => self.seen.push(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    // Output closed: the exit is imminent; poll for it
                    // until the deadline.
                    loop {
                        if self.exited() {
                            return true;
                        }
                        if Instant::now() >= deadline {
                            return false;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
        }
    }

    /// Ends the child (killing it if it still runs), reaps it, and returns
    /// everything it printed.
    pub fn finish(mut self) -> Captured {
        self.stdin = None;
        let running = !self.exited();
        let status = self.reap();
        // Running when looked at, and ended by the kill rather than by
        // itself in between (which closing its stdin often brings about).
        self.killed = running && status.is_none_or(|s| s.signal() == Some(Signal::SIGKILL as i32));
        let held_open = !self.await_output();
        let (stdout, mut stderr) = {
            let c = self.capture.lock().unwrap_or_else(|p| p.into_inner());
            (c.0.clone(), c.1.clone())
        };
        if held_open {
            stderr.push_str(
                "[tls-harness: output still open after the peer's process group was killed: \
                 a process it started left the group and was not waited for]\n",
            );
        }
        let (exit, code) = match status {
            _ if self.killed => ("killed by the harness".into(), None),
            Some(s) => (describe(&s), s.code()),
            None => ("exit status unknown".into(), None),
        };
        // Ended by itself between the look and the kill: by now, at most.
        let ended = (!self.killed).then(|| self.ended.unwrap_or_else(Instant::now));
        Captured {
            command: self.command.clone(),
            stdout,
            stderr,
            lines: std::mem::take(&mut self.seen),
            exit,
            code,
            ended,
        }
    }
}

impl ChildGuard {
    /// Whether the child has exited (or been reaped), without reaping it;
    /// the first time it has, notes when.
    fn exited(&mut self) -> bool {
        let ended = self.status.is_some() || self.ended_now();
        if ended && self.ended.is_none() {
            self.ended = Some(Instant::now());
        }
        ended
    }

    /// Whether the child has exited, asked of the system now; notes nothing.
    fn ended_now(&self) -> bool {
        let Ok(pid) = i32::try_from(self.child.id()) else {
            return false;
        };
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        match waitid(Id::Pid(Pid::from_raw(pid)), flags) {
            Ok(s) => s != WaitStatus::StillAlive,
            // Reaped by someone else (SIGCHLD ignored, a waitpid(-1)).
            Err(Errno::ECHILD) => true,
            Err(_) => false,
        }
    }

    /// Kills the child's process group (the child, if it still runs, and
    /// anything it left running), then reaps the child. The group is
    /// killed first because only an unreaped child keeps the group id
    /// surely its own.
    fn reap(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            kill_group(self.child.id());
            let _ = self.child.kill();
            live_groups().remove(&self.child.id());
            self.status = self.child.wait().ok();
        }
        self.status
    }

    /// Takes in the output still to come, for at most [`OUTPUT_GRACE`]
    /// once the group is dead; false when a reader was left running.
    fn await_output(&mut self) -> bool {
        let deadline = Instant::now() + OUTPUT_GRACE;
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
            if let Ok((_, line)) = self.lines.recv_timeout(Duration::from_millis(10)) {
                self.seen.push(line);
            }
        }
        while let Ok((_, line)) = self.lines.try_recv() {
            self.seen.push(line);
        }
        // A reader still blocked on a pipe someone holds is left to end
        // by itself (dropping its handle detaches it).
        let all_done = self.readers.iter().all(|r| r.is_finished());
        self.readers.clear();
        all_done
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // After SIGKILL the wait is short.
        self.stdin = None;
        self.reap();
    }
}

fn reader(
    stream: impl Read + Send + 'static,
    which: Stream,
    tx: mpsc::Sender<(Stream, String)>,
    capture: Arc<Mutex<(String, String)>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf)
                .trim_end_matches(['\n', '\r'])
                .to_string();
            {
                let mut c = capture.lock().unwrap_or_else(|p| p.into_inner());
                let text = match which {
                    Stream::Stdout => &mut c.0,
                    Stream::Stderr => &mut c.1,
                };
                if text.len() < CAPTURE_LIMIT {
                    text.push_str(&line);
                    text.push('\n');
                    if text.len() >= CAPTURE_LIMIT {
                        text.push_str("[output cut at 32 KiB]\n");
                    }
                }
            }
            // The receiver is gone once the guard has finished; keep
            // draining so the child never blocks on a full pipe.
            let _ = tx.send((which, line));
        }
    })
}

/// The path of `program` on `PATH`, if it is there.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Runs `program args` to completion (at most `limit`) and returns its
/// first output line; used for version strings.
pub fn first_line(
    program: &str,
    args: &[&str],
    package: &str,
    limit: Duration,
) -> Result<String, ProcessError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut g = ChildGuard::spawn(program, &args, package)?;
    g.close_stdin();
    let line = g.wait_for_line(Instant::now() + limit, "its version", |l| {
        !l.trim().is_empty()
    });
    drop(g);
    line.map(|l| l.trim().to_string())
}

/// Runs `program args` to completion (at most `limit`, then it is killed)
/// and returns everything it printed; used to read what a tool declares
/// it supports.
pub fn output(
    program: &str,
    args: &[&str],
    package: &str,
    limit: Duration,
) -> Result<Captured, ProcessError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut g = ChildGuard::spawn(program, &args, package)?;
    g.close_stdin();
    if !g.wait_exit(Instant::now() + limit) {
        return Err(ProcessError::TimedOut {
            what: format!("{program} to finish"),
            waited: limit,
        });
    }
    Ok(g.finish())
}

fn describe(s: &ExitStatus) -> String {
    match s.code() {
        Some(c) => format!("exit status {c}"),
        None => format!("{s}"),
    }
}

/// Quotes a word for a copy-pasteable command line when it needs it.
fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests;
