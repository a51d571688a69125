//! Servers that bind a port of their own: one started on a port that was
//! free a moment ago, and the wait until a port listens.

use std::time::{Duration, Instant};

use super::process::{ChildGuard, ProcessError};

/// How to start a server that can't bind port 0 and say which port it got.
pub struct FreePortServer<'a> {
    /// The program and the package that provides it.
    pub program: &'a str,
    /// The package, for the "not found" message.
    pub package: &'a str,
    /// Its arguments for a port.
    pub args: &'a dyn Fn(u16) -> Result<Vec<String>, String>,
    /// The line that says it listens.
    pub listening: &'a dyn Fn(&str) -> bool,
    /// Start it under `stdbuf -oL` ([`ChildGuard::spawn_line_buffered`]).
    pub line_buffered: bool,
}

/// Why a [`FreePortServer`] did not start: the last try's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Its arguments could not be written: why the case can't be set up,
    /// as the peer words it.
    #[error("{0}")]
    Arguments(String),
    /// No loopback port was free.
    #[error("no free loopback port")]
    NoFreePort(#[source] std::io::Error),
    /// It could not be started, or it did not say it listens in time.
    #[error(transparent)]
    Process(ProcessError),
    /// It said it could not bind its port.
    #[error("{program} could not listen: {line}")]
    BindFailed {
        /// The program.
        program: String,
        /// The line that said so.
        line: String,
    },
    /// It said it listens, but the kernel shows no socket of its own.
    #[error(
        "{program} said it listens on {port}, but no socket of its own does \
         (another process may hold the port)"
    )]
    NotOwnSocket {
        /// The program.
        program: String,
        /// The port.
        port: u16,
    },
    /// It exited before it listened.
    #[error("{program} exited ({status}): {stderr}")]
    Exited {
        /// The program.
        program: String,
        /// How it exited.
        status: String,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
}

impl StartError {
    /// Whether a fresh port may help: the one tried was taken first.
    fn port_taken(&self) -> bool {
        match self {
            StartError::NoFreePort(_)
            | StartError::BindFailed { .. }
            | StartError::NotOwnSocket { .. } => true,
            StartError::Exited { stderr, .. } => bind_failed(stderr),
            StartError::Arguments(_) | StartError::Process(_) => false,
        }
    }
}

impl FreePortServer<'_> {
    /// Starts the server on a loopback port that was free a moment ago,
    /// retrying with fresh ports when another process took it first, all
    /// within `ready_within`. Returns the running server and its port, or
    /// why it didn't start.
    pub fn start(&self, ready_within: Duration) -> Result<(ChildGuard, u16), StartError> {
        // One deadline for every try, as the command peer has: a caller's
        // time-out bounds the start, however many ports are taken first.
        let deadline = Instant::now() + ready_within;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match self.try_port(deadline) {
                Ok(started) => return Ok(started),
                Err(e) => e,
            };
            if !error.port_taken() || attempts >= 4 || Instant::now() >= deadline {
                return Err(error);
            }
        }
    }

    /// One try, on a fresh port.
    fn try_port(&self, deadline: Instant) -> Result<(ChildGuard, u16), StartError> {
        let port = super::external::free_port().map_err(StartError::NoFreePort)?;
        let args = (self.args)(port).map_err(StartError::Arguments)?;
        let spawned = if self.line_buffered {
            ChildGuard::spawn_line_buffered(self.program, &args, self.package)
        } else {
            ChildGuard::spawn(self.program, &args, self.package)
        };
        let mut g = spawned.map_err(StartError::Process)?;
        let what = format!("{} to listen", self.program);
        let ready = g.wait_for_line(deadline, &what, |l| (self.listening)(l) || bind_failed(l));
        let program = self.program.to_owned();
        match ready {
            // Checked first: gnutls-serv puts the failure on the line
            // that announces listening, and then listens on IPv6 only,
            // which `wait_listening` would take for success.
            Ok(line) if bind_failed(&line) => Err(StartError::BindFailed { program, line }),
            // Some servers (botan tls_server) say so before they bind, and
            // exit when the bind fails: wait until the kernel shows a
            // socket of theirs, or they exit (a taken port then gets its
            // retry while the deadline allows one).
            Ok(_) => match await_own_socket(&mut g, port, deadline) {
                Readiness::Listening => Ok((g, port)),
                Readiness::Exited => {
                    let cap = g.finish();
                    Err(StartError::Exited {
                        program,
                        status: cap.exit,
                        stderr: cap.stderr.trim().to_owned(),
                    })
                }
                Readiness::TimedOut => Err(StartError::NotOwnSocket { program, port }),
            },
            Err(ProcessError::Exited { status, .. }) => {
                let cap = g.finish();
                Err(StartError::Exited {
                    program,
                    status,
                    stderr: cap.stderr.trim().to_owned(),
                })
            }
            Err(e) => Err(StartError::Process(e)),
        }
    }
}

/// How the wait for a started server's own socket ended.
pub(super) enum Readiness {
    /// A socket of its process group listens on the port.
    Listening,
    /// Its process group has nothing left running: it gave up.
    Exited,
    /// The deadline passed first.
    TimedOut,
}

/// Waits until a socket of `g`'s process group listens on `port`, the
/// group has nothing left running, or `deadline` passes. A command may
/// start its server in the background and end: only a group with nothing
/// left running has given up.
pub(super) fn await_own_socket(g: &mut ChildGuard, port: u16, deadline: Instant) -> Readiness {
    loop {
        let slice = (Instant::now() + Duration::from_millis(50)).min(deadline);
        if wait_listening(port, Some(g.id()), slice) {
            return Readiness::Listening;
        }
        if g.wait_exit(Instant::now()) && !group_running(g.id()) {
            return Readiness::Exited;
        }
        if Instant::now() >= deadline {
            return Readiness::TimedOut;
        }
    }
}

/// Whether a server's line says it could not bind its port.
fn bind_failed(line: &str) -> bool {
    line.contains("bind") || line.contains("in use")
}

/// Waits until a TCP socket listens on `port` (IPv4 or IPv6, any
/// address), as `/proc/net/tcp` shows it, or `deadline` passes; returns
/// whether one does. With an `owner`, only a socket a process of that
/// process group holds counts (the harness starts each peer as the leader
/// of its own group, and a command may be a script whose child listens):
/// another may have taken the port after the owner failed to bind it.
/// Where /proc is missing it can't tell and says yes.
pub fn wait_listening(port: u16, owner: Option<u32>, deadline: Instant) -> bool {
    let needle = format!(":{port:04X} ");
    loop {
        let mut readable = false;
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let Ok(text) = std::fs::read_to_string(table) else {
                continue;
            };
            readable = true;
            // "  0: 00000000:1F90 00000000:0000 0A ... 0 0 12345 ...": local
            // address, state (0A is LISTEN) and, tenth, the socket's inode.
            let mut inodes = text.lines().filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let (local, state, inode) = (f.get(1)?, f.get(3)?, f.get(9)?);
                (*state == "0A" && format!("{local} ").ends_with(&needle)).then_some(*inode)
            });
            let found = match owner {
                None => inodes.next().is_some(),
                Some(group) => inodes.any(|inode| group_holds_socket(group, inode)),
            };
            if found {
                return true;
            }
        }
        if !readable {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether a process of process group `group` has the socket with `inode`
/// open: its leader, or another member. Yes where the leader's descriptors
/// can't be read.
fn group_holds_socket(group: u32, inode: &str) -> bool {
    let socket = format!("socket:[{inode}]");
    let holds = |pid: &str| {
        std::fs::read_dir(format!("/proc/{pid}/fd")).map(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == socket.as_str())
            })
        })
    };
    let leader = group.to_string();
    match holds(&leader) {
        Ok(true) | Err(_) => return true,
        Ok(false) => {}
    }
    members(group).is_some_and(|mut others| {
        others.any(|(pid, _)| pid != leader && holds(&pid).unwrap_or(false))
    })
}

/// Whether process group `group` still has a process that runs: one that
/// exited but is not yet reaped (a zombie) does not count. A command that
/// started its server in the background and ended has one; where /proc is
/// missing it can't tell and says yes.
fn group_running(group: u32) -> bool {
    members(group).is_none_or(|mut all| all.any(|(_, state)| state != "Z"))
}

/// The processes of process group `group`, each with its state letter;
/// `None` where /proc cannot be read.
fn members(group: u32) -> Option<impl Iterator<Item = (String, String)>> {
    let processes = std::fs::read_dir("/proc").ok()?;
    Some(processes.flatten().filter_map(move |p| {
        let pid = p.file_name().into_string().ok()?;
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (state, pgrp) = stat_fields(&pid)?;
        (pgrp == Some(group)).then_some((pid, state))
    }))
}

/// A process's state letter and process group, from `/proc/PID/stat`:
/// the first and third fields after the command name, which is in
/// parentheses and may hold spaces and parentheses itself.
fn stat_fields(pid: &str) -> Option<(String, Option<u32>)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.to_owned();
    Some((state, fields.nth(1).and_then(|g| g.parse().ok())))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, TcpListener};
    use std::sync::Mutex;

    use super::*;

    /// A port another process takes between `free_port` and the server's
    /// bind is given up for a fresh one, even where the server (here
    /// gnutls-serv) announces listening on the same line as the failure.
    #[test]
    fn a_port_taken_before_the_server_binds_is_given_up() {
        // The first port, and the listener holding it: none when another
        // test took it first, which takes it just as well.
        let taken: Mutex<Option<(u16, Option<TcpListener>)>> = Mutex::new(None);
        let args = |port: u16| {
            let mut taken = taken.lock().map_err(|e| e.to_string())?;
            if taken.is_none() {
                let held = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                    Ok(l) => Some(l),
                    Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => None,
                    Err(e) => return Err(e.to_string()),
                };
                *taken = Some((port, held));
            }
            Ok(vec!["-p".to_owned(), port.to_string(), "--echo".to_owned()])
        };
        let (_server, port) = crate::peer::gnutls::start_server(&args, Duration::from_secs(10))
            .expect("gnutls-serv (apt-get install gnutls-bin) starts on a second port");
        let (first, _held) = taken
            .lock()
            .expect("lock")
            .take()
            .expect("the first port was taken");
        assert_ne!(
            port, first,
            "the server was reported on the port it failed to bind"
        );
    }

    /// A server that says it listens but binds nothing is not taken to
    /// listen because another process holds its port.
    #[test]
    fn a_listener_of_another_process_does_not_count() {
        let taken: Mutex<Vec<TcpListener>> = Mutex::new(Vec::new());
        let args = |port: u16| {
            // A port another test took first (tests run at once and may be
            // handed the same free port) is just as taken.
            match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                Ok(l) => taken.lock().map_err(|e| e.to_string())?.push(l),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {}
                Err(e) => return Err(e.to_string()),
            }
            Ok(vec!["-c".to_owned(), "echo listening; sleep 5".to_owned()])
        };
        let server = FreePortServer {
            program: "sh",
            package: "dash",
            args: &args,
            listening: &|l: &str| l == "listening",
            line_buffered: false,
        };
        // The start waits this long in all for a socket that never comes;
        // it also bounds sh's start, which took over 0.2 s once while CI
        // compiled the benches beside it.
        let began = Instant::now();
        let err = server
            .start(Duration::from_secs(2))
            .map(|(_, port)| port)
            .expect_err("no attempt listened on a socket of its own");
        assert!(matches!(err, StartError::NotOwnSocket { .. }), "{err}");
        // Well short of four tries of 2 s each: the time-out is overall.
        let took = began.elapsed();
        assert!(took < Duration::from_secs(5), "the start took {took:?}");
    }

    /// A server that says it listens before it binds, then exits when the
    /// bind fails (botan tls_server: "Error: server bind failed"), gets
    /// its retry on a fresh port at once, not when the deadline has passed.
    #[test]
    fn a_server_that_exits_after_saying_it_listens_is_tried_again() {
        let tries = Mutex::new(0);
        let args = |port: u16| {
            let mut n = tries.lock().map_err(|e| e.to_string())?;
            *n += 1;
            let script = if *n == 1 {
                "echo listening; echo 'Error: server bind failed' >&2; exit 1".to_owned()
            } else {
                format!(
                    "echo listening; exec python3 -c 'import socket, time; \
                     s = socket.socket(); s.bind((\"127.0.0.1\", {port})); s.listen(); \
                     time.sleep(10)'"
                )
            };
            Ok(vec!["-c".to_owned(), script])
        };
        let server = FreePortServer {
            program: "sh",
            package: "dash",
            args: &args,
            listening: &|l: &str| l == "listening",
            line_buffered: false,
        };
        server
            .start(Duration::from_secs(10))
            .expect("started on the second port");
        assert_eq!(*tries.lock().expect("lock"), 2);
    }

    /// A script's child that listens speaks for the script, as a command
    /// peer's may, while a listener outside its process group does not.
    #[test]
    fn a_socket_held_in_the_process_group_counts() {
        let theirs = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a port");
        let taken = theirs.local_addr().expect("address").port();
        let port = crate::peer::external::free_port().expect("a free port");
        // `; exit` keeps sh from replacing itself with python: the socket
        // is its child's.
        let script = format!(
            "python3 -c 'import socket, time; s = socket.socket(); \
             s.bind((\"127.0.0.1\", {port})); s.listen(); time.sleep(10)'; exit"
        );
        let group = ChildGuard::spawn("sh", &["-c".to_owned(), script], "dash").expect("sh starts");
        let soon = || Instant::now() + Duration::from_secs(5);
        assert!(
            wait_listening(port, Some(group.id()), soon()),
            "the child's socket on {port} was not seen"
        );
        assert!(
            !wait_listening(
                taken,
                Some(group.id()),
                Instant::now() + Duration::from_millis(200)
            ),
            "another process's socket on {taken} was taken for the group's"
        );
        assert!(wait_listening(taken, None, soon()));
    }

    /// A command that started its server in the background and ended
    /// still runs in its group; one that ended alone does not.
    #[test]
    fn a_background_child_keeps_the_group_running() {
        let soon = || Instant::now() + Duration::from_secs(5);
        let mut left = ChildGuard::spawn("sh", &["-c".into(), "sleep 3 & exit 0".into()], "dash")
            .expect("sh starts");
        assert!(left.wait_exit(soon()), "sh exits at once");
        assert!(group_running(left.id()), "the sleep it left runs on");
        let mut alone =
            ChildGuard::spawn("sh", &["-c".into(), "exit 0".into()], "dash").expect("sh starts");
        assert!(alone.wait_exit(soon()), "sh exits at once");
        assert!(!group_running(alone.id()), "nothing of it runs");
    }
}
