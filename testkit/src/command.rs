//! The command-line tools tests compare with (`openssl`, `tshark`), run
//! to their end for their output.

use std::process::Command;

/// Runs `cmd` to its end and returns what it wrote to stdout.
///
/// # Panics
///
/// When the program cannot be started, with a message that names it and
/// `install` (what to install to get it), and when it exits unsuccessfully,
/// with its stderr: in a test, either is the failure to report.
pub fn stdout_of(cmd: &mut Command, install: &str) -> Vec<u8> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): install {install}"));
    assert!(
        out.status.success(),
        "{program} {:?}: {}",
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
