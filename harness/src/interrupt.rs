//! SIGINT, SIGTERM and SIGHUP (the terminal closed). A matrix run asked to
//! stop (Ctrl-C, or a CI job's time-out, which sends SIGTERM first) ends
//! the cases under way, runs no more, and still writes its report, so the
//! job's log shows what ran and what was left; a second signal ends the
//! program at once. Every other command ends at the first. Either way no
//! peer process outlives the harness.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::peer::process::kill_live_groups;

/// The first signal the handling thread took, 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);
/// The last signal raised, set inside the signal handler itself: a signal
/// that interrupts a blocking read makes that read fail at once, and the
/// command may then end before the handling thread has run, so this is
/// what says the failure was the signal's, not a time-out's.
static RAISED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();
/// Whether the running command stops gently at the first signal.
static GENTLE: AtomicBool = AtomicBool::new(false);

/// Starts the thread that handles SIGINT, SIGTERM and SIGHUP (unless
/// SIGHUP is ignored, as `nohup` leaves it: that choice stands).
pub fn install() -> std::io::Result<()> {
    let mut wanted = vec![SIGINT, SIGTERM];
    if !ignored_at_start(SIGHUP) {
        wanted.push(SIGHUP);
    }
    let raised = RAISED.get_or_init(Arc::default);
    for &signal in &wanted {
        let number = usize::try_from(signal).unwrap_or_default();
        signal_hook::flag::register_usize(signal, Arc::clone(raised), number)?;
    }
    let mut signals = Signals::new(&wanted)?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let first = RECEIVED
                    .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok();
                // Peers stalled in a case would otherwise hold the run up.
                kill_live_groups();
                if !first || !GENTLE.load(Ordering::SeqCst) {
                    // Exiting runs no destructors: the key files go first.
                    // The list stays locked until the process ends, so no
                    // directory is made, or written to, after this.
                    let dirs = lock(&TEMP_DIRS);
                    remove_all(&dirs);
                    // Not exit(3): OpenSSL's atexit cleanup would free its
                    // tables under threads still in a handshake, a crash
                    // at exit. What was printed is flushed first.
                    let _ = std::io::Write::flush(&mut std::io::stdout());
                    crate::ffi::exit_at_once(exit_code(signal));
                }
                crate::stderr!(
                    "tls-harness: {}: finishing the report; send it again to stop at once",
                    name(signal)
                );
            }
        })?;
    Ok(())
}

/// Makes the first signal ask the run to stop rather than end the
/// program; a matrix run calls it once its plan is made.
pub fn stop_gently() {
    GENTLE.store(true, Ordering::SeqCst);
}

/// The signal that asked the run to stop, by name, if one did.
pub fn received() -> Option<&'static str> {
    match signal() {
        0 => None,
        signal => Some(name(signal)),
    }
}

/// The first signal the handling thread took, else one raised that it
/// has yet to take; 0 for none.
fn signal() -> i32 {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => RAISED
            .get()
            .map_or(0, |r| i32::try_from(r.load(Ordering::SeqCst)).unwrap_or(0)),
        signal => signal,
    }
}

/// Whether `signal` was ignored when the process started (`nohup` ignores
/// SIGHUP), read from `SigIgn` in /proc/self/status; false where that is
/// not there to read.
fn ignored_at_start(signal: i32) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok());
    match (mask, u32::try_from(signal - 1)) {
        (Some(mask), Ok(bit)) if bit < 64 => mask & (1 << bit) != 0,
        _ => false,
    }
}

/// The shell's code for a program ended by `signal`: 130 for SIGINT, 143
/// for SIGTERM, 129 for SIGHUP.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}

/// The exit code for the signal that stopped the run, if one did.
pub fn received_exit_code() -> Option<i32> {
    match signal() {
        0 => None,
        signal => Some(exit_code(signal)),
    }
}

fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Removes the temporary directories still held, for a program about to
/// exit: a side thread still running past the wait for it would otherwise
/// take its directory's removal with it when the process ends.
pub fn remove_leftovers() {
    let dirs = lock(&TEMP_DIRS);
    remove_all(&dirs);
}

fn remove_all(dirs: &[PathBuf]) {
    for dir in dirs {
        // Again if a file written beside the fill (a peer's policy file)
        // came between listing and rmdir.
        for _ in 0..3 {
            if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
                break;
            }
        }
    }
}

/// The temporary directories a signal that ends the program at once must
/// remove (the test PKI's keys, GnuTLS's SRP files).
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn lock(dirs: &Mutex<Vec<PathBuf>>) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
    // A poisoned list still lists whole paths.
    dirs.lock().unwrap_or_else(|p| p.into_inner())
}

/// A temporary directory removed when dropped, as `tempfile`'s is, and
/// also when a signal ends the program without running destructors. It
/// is made, written by [`TempDir::fill`] and removed with the list of
/// them locked, so the signal's handler finds each one either absent or
/// listed, and never half-written.
pub struct TempDir(Option<tempfile::TempDir>);

impl TempDir {
    /// Makes a directory with `builder` in the system's temporary
    /// directory.
    pub fn create(builder: &tempfile::Builder<'_, '_>) -> std::io::Result<Self> {
        let mut dirs = lock(&TEMP_DIRS);
        let dir = builder.tempdir()?;
        dirs.push(dir.path().to_path_buf());
        Ok(TempDir(Some(dir)))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        match &self.0 {
            Some(dir) => dir.path(),
            // Only Drop takes it out.
            None => Path::new(""),
        }
    }

    /// Runs `write` on the directory's path while no signal can remove
    /// it, for writes done in this process that take moments; one that
    /// takes longer (a child process writing) would hold a signal up.
    pub fn fill<T>(&self, write: impl FnOnce(&Path) -> T) -> T {
        let _dirs = lock(&TEMP_DIRS);
        write(self.path())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let mut dirs = lock(&TEMP_DIRS);
        if let Some(dir) = self.0.take() {
            dirs.retain(|d| d != dir.path());
            let _ = dir.close();
        }
    }
}
