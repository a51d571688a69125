//! The worker threads of `serve`, one connection each.

use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use openssl::ssl::SslContext;

use super::connection::{self, Conduct, ConnectionReport, Limits};
use crate::pcap::PcapFile;

/// A fixed set of workers fed through a queue that never holds more
/// connections than there are idle workers.
pub(super) struct Pool {
    jobs: Sender<Job>,
    done: Receiver<ConnectionReport>,
    /// Handed to a worker and not yet reported back. Only the owner of
    /// the pool counts, so taking a worker never races with freeing one.
    open: usize,
    max: usize,
}

struct Job {
    tcp: TcpStream,
    peer: SocketAddr,
    accepted: SystemTime,
}

impl Pool {
    /// Starts `workers` threads serving with `ctx` under `limits`, each
    /// connection as `conduct` says. They end when the pool is dropped and
    /// the queue is empty.
    pub(super) fn start(
        workers: usize,
        ctx: &SslContext,
        limits: Limits,
        pcap: Option<Arc<PcapFile>>,
        conduct: Conduct,
    ) -> Pool {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let (report, done) = mpsc::channel();
        for _ in 0..workers {
            let (queue, ctx, report) = (queue.clone(), ctx.clone(), report.clone());
            let (pcap, conduct) = (pcap.clone(), conduct.clone());
            std::thread::spawn(move || loop {
                // The guard is dropped at the end of the statement, so the
                // next worker can wait while this one serves.
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(job) = next else { return };
                let r = connection::handle(
                    job.tcp,
                    job.peer,
                    job.accepted,
                    &ctx,
                    limits,
                    pcap.as_deref(),
                    &conduct,
                );
                if report.send(r).is_err() {
                    return;
                }
            });
        }
        Pool {
            jobs,
            done,
            open: 0,
            max: workers,
        }
    }

    /// Hands `tcp` to a worker; `false` (and the connection closed) when
    /// every worker is busy.
    pub(super) fn try_serve(&mut self, tcp: TcpStream, peer: SocketAddr) -> bool {
        if self.open >= self.max {
            return false;
        }
        let job = Job {
            tcp,
            peer,
            accepted: SystemTime::now(),
        };
        // Workers end only with the pool, so the queue is open.
        let sent = self.jobs.send(job).is_ok();
        self.open += usize::from(sent);
        sent
    }

    /// Connections being served.
    pub(super) fn open(&self) -> usize {
        self.open
    }

    /// The next finished connection, waiting at most `wait`.
    pub(super) fn finished(&mut self, wait: Duration) -> Option<ConnectionReport> {
        let r = if wait.is_zero() {
            self.done.try_recv().ok()
        } else {
            self.done.recv_timeout(wait).ok()
        }?;
        self.open = self.open.saturating_sub(1);
        Some(r)
    }
}
