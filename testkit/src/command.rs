//! The command-line tools tests compare with (`openssl`, `tshark`), run
//! to their end for their output.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a tool may run: these finish in well under a second, so one
/// that has not after a minute is stuck, and the test says so.
const LIMIT: Duration = Duration::from_secs(60);

/// How often the child is asked whether it has exited.
const POLL: Duration = Duration::from_millis(5);

/// Runs `cmd` to its end and returns what it wrote to stdout.
///
/// # Panics
///
/// When the program cannot be started, with a message that names it and
/// `install` (what to install to get it); when it exits unsuccessfully,
/// with its stderr; and when it runs past a minute (it is killed): in a
/// test, each is the failure to report.
pub fn stdout_of(cmd: &mut Command, install: &str) -> Vec<u8> {
    stdout_within(cmd, install, LIMIT)
}

fn stdout_within(cmd: &mut Command, install: &str, limit: Duration) -> Vec<u8> {
    let (status, stdout, stderr) = run_within(cmd, install, limit);
    assert!(
        status.success(),
        "{} {:?}: {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

/// Runs `cmd` to its end, within a minute, for its exit status, stdout
/// and stderr, whether it succeeded or not.
///
/// # Panics
///
/// When the program cannot be started (naming it and `install`) or runs
/// past the minute (it is killed).
pub fn output_of(cmd: &mut Command, install: &str) -> (ExitStatus, Vec<u8>, Vec<u8>) {
    run_within(cmd, install, LIMIT)
}

fn run_within(cmd: &mut Command, install: &str, limit: Duration) -> (ExitStatus, Vec<u8>, Vec<u8>) {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): install {install}"));
    // Both pipes are drained on threads of their own, so a tool filling
    // one never blocks, while this thread keeps the unreaped child: only
    // it waits for or kills the child, so the kill cannot reach another
    // process that reused the pid.
    let (tx, rx) = mpsc::channel();
    let drain = |pipe: Option<Box<dyn Read + Send>>, which: usize| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = tx.send((which, bytes));
        });
    };
    drain(child.stdout.take().map(|p| Box::new(p) as _), 0);
    drain(child.stderr.take().map(|p| Box::new(p) as _), 1);
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{program} did not finish within {:.1} s",
                    limit.as_secs_f64()
                );
            }
            Err(e) => panic!("waiting for {program}: {e}"),
        }
    };
    // A process the tool left behind may hold its output open: the
    // limit covers that wait too.
    let mut output = [Vec::new(), Vec::new()];
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((which, bytes)) => output[which] = bytes,
            Err(_) => panic!(
                "{program} exited but something it started kept its output open past {:.1} s",
                limit.as_secs_f64()
            ),
        }
    }
    let [stdout, stderr] = output;
    (status, stdout, stderr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_failures_come_back() {
        let out = stdout_of(
            Command::new("sh").args(["-c", "echo out; echo err >&2"]),
            "sh",
        );
        assert_eq!(out, b"out\n");
        let failed = std::panic::catch_unwind(|| {
            stdout_of(
                Command::new("sh").args(["-c", "echo why >&2; exit 3"]),
                "sh",
            )
        });
        let message = *failed
            .expect_err("a failure")
            .downcast::<String>()
            .expect("text");
        assert!(message.contains("why"), "{message}");
    }

    #[test]
    fn a_tool_past_its_limit_is_killed_and_named() {
        let started = Instant::now();
        let stuck = std::panic::catch_unwind(|| {
            stdout_within(Command::new("sleep").arg("30"), "coreutils", POLL * 20)
        });
        let message = *stuck
            .expect_err("a time-out")
            .downcast::<String>()
            .expect("text");
        assert!(
            message.contains("sleep did not finish within 0.1 s"),
            "{message}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the kill ended the wait"
        );
    }

    #[test]
    fn output_held_open_by_a_leftover_process_ends_at_the_limit() {
        let started = Instant::now();
        let held = std::panic::catch_unwind(|| {
            // sh itself exits at once; a limit of seconds lets it start
            // on a busy machine, and only the leftover sleep outlasts it.
            stdout_within(
                Command::new("sh").args(["-c", "sleep 30 & echo started"]),
                "sh",
                Duration::from_secs(2),
            )
        });
        let message = *held
            .expect_err("a time-out")
            .downcast::<String>()
            .expect("text");
        assert!(message.contains("kept its output open"), "{message}");
        // Well before the sleep ends: the limit ended the wait.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the limit ended the wait"
        );
    }
}
