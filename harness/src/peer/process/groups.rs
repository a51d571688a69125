//! The process groups of the live children, each led by its child: killed
//! whole when a child is reaped, and all at once when the run is stopped.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// The process groups of the children alive now, by leader pid.
pub(super) fn live_groups() -> std::sync::MutexGuard<'static, HashSet<u32>> {
    static GROUPS: OnceLock<Mutex<HashSet<u32>>> = OnceLock::new();
    // A poisoned set still lists whole pids.
    GROUPS
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

pub(super) fn kill_group(leader: u32) {
    if let Ok(pid) = i32::try_from(leader) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Kills the process group of every child alive now: what a case left
/// behind when it ended at its deadline (its thread waits out the peer's
/// own, longer, time-out). The program calls it as it exits; a library
/// user running cases on other threads must not.
pub fn kill_live_groups() {
    // Killed with the set locked, so no guard reaps a child (freeing its
    // group id for reuse) between the copy and the kill.
    for g in live_groups().iter() {
        kill_group(*g);
    }
}
