//! Exhausting the server: a peer that sends nothing, one that leaves in
//! the middle of the handshake, and a flood of connections.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use openssl_handshake::Outcome;

use super::judge::Sent;
use super::suite::{connect_failed, Observed, Spec, Suite};
use super::wire::{self, Answer, End, Script};
use super::{CaseResult, ConnectionRecord, Expected, TracedServer};

use crate::settings::Secs;

pub(super) fn slowloris(s: &mut Suite) -> CaseResult {
    let wait = s.idle_limit;
    let spec = Spec {
        id: "slowloris",
        sends: format!("a connection that sends nothing (waits up to {})", Secs(wait)),
        expected: Expected::Close,
        why: "the server must not let an idle peer hold a connection: its read time-out ends SSL_accept \
              and it closes; with nothing received there is nothing to alert about",
    };
    s.case(spec, |s, e| {
        let script = Script {
            send: &[],
            half_close: false,
            wait,
        };
        let answer = match wire::converse(s.addr, s.opts.timeout, &script) {
            Ok(a) => a,
            Err(err) => return connect_failed(&err),
        };
        if answer.end.closed() {
            s.idle_closed_after = Some(answer.elapsed);
        }
        s.judge(e, &answer, wait, false, Sent::Refusable)
    })
}

pub(super) fn closed_mid_handshake(s: &mut Suite) -> CaseResult {
    let spec = Spec {
        id: "closed-mid-handshake",
        sends: "a genuine ClientHello, then end of stream once the server's first flight arrives".into(),
        expected: Expected::FatalAlertOrClose { any_of: vec![50] },
        why: "the server is waiting for the client's next flight when the stream ends; OpenSSL sends \
              decode_error on an unexpected EOF only when BIO_eof() reports it, which its socket BIO \
              does (openssl s_server, tls-harness serve) and the openssl crate's stream BIO does not, \
              so the in-process server fails with SSL_ERROR_SYSCALL and closes",
    };
    let hello = s.hello.record();
    s.case(spec, |s, e| {
        let timeout = s.opts.timeout;
        let served = match wire::connect_served(s.addr, timeout) {
            Ok(t) => t,
            Err(err) => return connect_failed(&err),
        };
        let retried = served.note();
        let mut tcp = served.stream;
        let local = tcp.local_addr().ok();
        let _ = tcp.write_all(&hello);
        let start = Instant::now();
        let (bytes, end) = first_flight(&mut tcp, start + timeout);
        let (rest, end) = if end.closed() {
            (Vec::new(), end)
        } else {
            let _ = tcp.shutdown(Shutdown::Write);
            wire::read_until_close(&mut tcp, Instant::now() + timeout)
        };
        let answer = Answer {
            local,
            bytes: [bytes, rest].concat(),
            end,
            elapsed: start.elapsed(),
            after_send: true,
            retried,
        };
        // The first flight's wait and then the close's.
        let waited = answer.elapsed;
        s.judge(e, &answer, waited, true, Sent::GenuineHello)
    })
}

/// Reads until at least one whole record has arrived.
fn first_flight(tcp: &mut TcpStream, deadline: Instant) -> (Vec<u8>, End) {
    let mut got = Vec::new();
    while Instant::now() < deadline {
        let slice = (Instant::now() + Duration::from_millis(50)).min(deadline);
        let (bytes, end) = wire::read_until_close(tcp, slice);
        got.extend_from_slice(&bytes);
        if end.closed() {
            return (got, end);
        }
        if wire::records(&got).next().is_some() {
            break;
        }
    }
    (got, End::StillOpen)
}

/// How many flood connections are half-closed to see the server close them.
const FLOOD_SAMPLE: usize = 16;

pub(super) fn flood(s: &mut Suite) -> CaseResult {
    let (n, batch) = (
        s.opts.flood,
        s.opts.flood_batch.clamp(1, s.opts.flood.max(1)),
    );
    let connect_timeout = s.opts.flood_connect_timeout;
    let spec = Spec {
        id: "flood",
        sends: format!(
            "{n} connections opened {batch} at a time (connect time-out {}), held, then all closed",
            Secs(connect_timeout)
        ),
        expected: Expected::ServerSurvives,
        why: "when the accept queue is full the kernel drops SYNs, so connects may time out; that is \
              allowed. Every connect must end within its time-out and the server must serve a good \
              client once the flood is closed",
    };
    s.case(spec, |s, _| {
        let start = Instant::now();
        let before_hooks = s.server.map(|sv| sv.hook_count());
        let before_records = s.server.map(|sv| sv.record_count());
        let addr = s.addr;
        let mut open: Vec<TcpStream> = Vec::with_capacity(n);
        let (mut timed_out, mut refused, mut other) = (0usize, 0usize, 0usize);
        let mut first_other = None;
        let mut left = n;
        while left > 0 {
            let k = left.min(batch);
            left -= k;
            let results: Vec<io::Result<TcpStream>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..k)
                    .map(|_| scope.spawn(move || TcpStream::connect_timeout(&addr, connect_timeout)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(io::Error::other("the connect thread panicked")))
                    })
                    .collect()
            });
            for r in results {
                match r {
                    Ok(t) => open.push(t),
                    Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
                        timed_out += 1
                    }
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => refused += 1,
                    Err(e) => {
                        other += 1;
                        first_other.get_or_insert(e.to_string());
                    }
                }
            }
        }
        let connected = open.len();
        let locals: Vec<SocketAddr> = open.iter().filter_map(|t| t.local_addr().ok()).collect();
        // Every one is half-closed, and a sample must be closed by the
        // server in turn: one that keeps connections whose peer has gone
        // leaks them. (All of them, as a server serving one at a time
        // waits on whichever it took first.)
        let sample = connected.min(FLOOD_SAMPLE);
        let deadline = Instant::now() + s.opts.timeout;
        for t in &open {
            let _ = t.shutdown(Shutdown::Write);
        }
        let kept = open[..sample]
            .iter_mut()
            .map(|t| wire::read_until_close(t, deadline).1)
            .filter(|end| !end.closed())
            .count();
        drop(open);
        let mut actual = format!(
            "{connected} connected, {timed_out} timed out, {refused} refused, {other} other errors; \
             {} of the first {sample} closed by the server once the client had; all {connected} \
             closed after {:.2}s",
            sample - kept,
            start.elapsed().as_secs_f64()
        );
        if let Some(e) = &first_other {
            let _ = write!(actual, " (first error: {e})");
        }
        let mut problems = Vec::new();
        if connected == 0 {
            problems.push("no flood connection got through".into());
        }
        if kept > 0 {
            problems.push(format!(
                "{kept} of {sample} flood connections the client had closed were still open on \
                 the server's side after {}: it keeps connections whose peer has gone",
                Secs(s.opts.timeout)
            ));
        }
        let trace = match (s.server, before_hooks, before_records) {
            (Some(server), Some(hooks0), Some(records0)) => {
                Some(flood_traces(server, &locals, hooks0, records0, s.opts.timeout, &mut problems))
            }
            _ => None,
        };
        Observed {
            actual,
            problems,
            trace,
            not_applicable: false,
            not_run: false,
            // Every connect refused: nothing reached the server.
            unsent: n > 0 && refused == n,
        }
    })
}

/// Every flood connection the server accepted must have a record, none
/// may have succeeded, and the completion hook must have fired exactly
/// once for each one whose handshake ended (a time-out leaves it in
/// progress, and then the hook does not fire).
fn flood_traces(
    server: &TracedServer,
    locals: &[SocketAddr],
    hooks0: usize,
    records0: usize,
    wait: Duration,
    problems: &mut Vec<String>,
) -> String {
    let deadline = Instant::now() + wait;
    while server.record_count() < records0 + locals.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let records: Vec<ConnectionRecord> = server
        .records()
        .into_iter()
        .skip(records0)
        .filter(|r| locals.contains(&r.peer))
        .collect();
    if records.len() != locals.len() {
        problems.push(format!(
            "{} of {} flood connections left no server record within {}",
            locals.len() - records.len().min(locals.len()),
            locals.len(),
            Secs(wait)
        ));
    }
    let (mut failed, mut waiting, mut succeeded, mut untraced) = (0, 0, 0, 0);
    for r in &records {
        match r.trace.as_ref().map(|t| &t.outcome) {
            Some(Outcome::Failed(_)) => failed += 1,
            Some(Outcome::Succeeded) => succeeded += 1,
            Some(_) => waiting += 1, // in progress
            None => untraced += 1,
        }
    }
    if succeeded > 0 {
        problems.push(format!(
            "{succeeded} flood connections are traced as successful handshakes"
        ));
    }
    if untraced > 0 {
        problems.push(format!("{untraced} flood connections have no trace"));
    }
    // Every handshake reaches the hook once: a failed one when it fails, one
    // still in progress at its time-out when the server drops its SSL
    // (reported as abandoned), which may be just after its record was kept.
    let expected_hooks = failed + waiting;
    let hooks_now = || server.hook_count() - hooks0.min(server.hook_count());
    while hooks_now() < expected_hooks && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let hooks = hooks_now();
    if hooks != expected_hooks {
        problems.push(format!(
            "the completion hook fired {hooks} times for {failed} failed and {waiting} \
             abandoned handshakes"
        ));
    }
    format!(
        "{} records: {failed} failed, {waiting} in progress (timed out), {succeeded} succeeded; hook fired {hooks} times",
        records.len()
    )
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::super::HostileOptions;
    use super::*;

    /// A server that keeps every connection, its peer gone or not, fails
    /// the flood: the half-closed sample stays open on its side.
    #[test]
    fn a_server_that_keeps_connections_whose_peer_has_gone_fails_the_flood() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
        let addr = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            for stream in listener.incoming().take(20) {
                kept.push(stream);
            }
            std::thread::sleep(Duration::from_secs(5));
        });
        let opts = HostileOptions {
            timeout: Duration::from_millis(500),
            flood: 20,
            flood_batch: 20,
            ..HostileOptions::default()
        };
        let mut suite = Suite::at(addr, &opts);
        let result = flood(&mut suite);
        assert!(
            result
                .problems
                .iter()
                .any(|p| p.starts_with("16 of 16 flood connections the client had closed")),
            "{:?}",
            result.problems
        );
    }
}
