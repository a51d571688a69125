//! Every peer process is started from one thread that lives as long as
//! the harness, and is told to die with that thread
//! ([`crate::ffi::death_signal`]): Linux sends the death signal when the
//! thread that forked a child ends, and a case's own threads end while
//! others still hold their peers. A harness killed outright then takes its
//! peers with it.

use std::io;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Sender};
use std::sync::OnceLock;
use std::thread;

/// A command to start, and where its child goes.
type Request = (Command, Sender<io::Result<Child>>);

/// Starts `cmd` on the spawning thread, or here, without the death
/// signal, if that thread could not be made.
pub(super) fn spawn(mut cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Option<Sender<Request>>> = OnceLock::new();
    let Some(spawner) = SPAWNER.get_or_init(start) else {
        return cmd.spawn();
    };
    let (reply, child) = mpsc::channel();
    if let Err(mpsc::SendError((mut cmd, _))) = spawner.send((cmd, reply)) {
        // The thread is gone (it only ends with a panic, which spawn does
        // not make): start the child here.
        return cmd.spawn();
    }
    child
        .recv()
        .unwrap_or_else(|_| Err(io::Error::other("the peer spawning thread ended")))
}

fn start() -> Option<Sender<Request>> {
    let (tx, rx) = mpsc::channel::<Request>();
    let parent = std::process::id();
    thread::Builder::new()
        .name("peer-spawner".into())
        .spawn(move || {
            for (mut cmd, reply) in rx {
                crate::ffi::death_signal::kill_with_spawning_thread(&mut cmd, parent);
                let _ = reply.send(cmd.spawn());
            }
        })
        .ok()?;
    Some(tx)
}
