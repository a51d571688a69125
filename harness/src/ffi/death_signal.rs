//! A peer process that dies with the harness: OpenSSL's and GnuTLS's
//! servers do not read their standard input, so a harness killed outright
//! (SIGKILL, the OOM killer, a CI job's hard time-out), which runs no
//! handler to kill them, would leave them listening for good.

use std::io;
use std::process::Command;

use nix::errno::Errno;
use nix::sys::signal::Signal;

/// Makes the child `cmd` starts get SIGKILL when the thread that starts
/// it ends (prctl(2) PR_SET_PDEATHSIG: the parent is that thread), and not
/// start at all when the harness (`parent`) is already gone.
pub fn kill_with_spawning_thread(cmd: &mut Command, parent: u32) {
    let check = move || {
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
        // Death before the prctl sent nothing: the child was adopted.
        // (std passes on only the errno; ESRCH: no such process.)
        if nix::unistd::getppid().as_raw() as u32 != parent {
            return Err(io::Error::from(Errno::ESRCH));
        }
        Ok(())
    };
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe functions may be called: it makes two system
    // calls (prctl and getppid) and, on failure, returns an io::Error
    // made from an errno, which allocates nothing.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, check);
    }
}
