//! The command-line tools tests compare with (`openssl`, `tshark`), run
//! to their end for their output.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a tool may run: these finish in well under a second, so one
/// that has not after a minute is stuck, and the test says so.
const LIMIT: Duration = Duration::from_secs(60);

/// Runs `cmd` to its end and returns what it wrote to stdout.
///
/// # Panics
///
/// When the program cannot be started, with a message that names it and
/// `install` (what to install to get it); when it exits unsuccessfully,
/// with its stderr; and when it runs past a minute (it is killed): in a
/// test, each is the failure to report.
pub fn stdout_of(cmd: &mut Command, install: &str) -> Vec<u8> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): install {install}"));
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(LIMIT) {
        Ok(out) => out.unwrap_or_else(|e| panic!("waiting for {program}: {e}")),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("{program} did not finish within {} s", LIMIT.as_secs());
        }
    };
    assert!(
        out.status.success(),
        "{program} {:?}: {}",
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
