//! The suite runner: starts or resolves the target, runs every case and
//! after each one checks that a good client is still served.

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use openssl::ssl::{
    ErrorCode, HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslVerifyMode,
};

use super::hello::ClientHello;
use super::judge::{outcome_text, Sent};
use super::rng::Rng;
use super::wire::{self, NotServed, Script, RETRY_AFTER};
use super::{
    exhaustion, fingerprint, malformed, renegotiate, trickle, CaseResult, Expected, HostileError,
    HostileOptions, HostileReport, Target, TracedServer, SCHEMA_VERSION,
};

/// Runs every case against `target` and reports each one.
pub fn run(target: Target, opts: &HostileOptions) -> Result<HostileReport, HostileError> {
    let (server, addr, label, idle_limit) = match &target {
        Target::Address(a) => {
            let addr = resolve(a, opts.timeout)?;
            let idle = opts.idle_limit.unwrap_or(Duration::from_secs(12));
            (None, addr, a.clone(), idle)
        }
        Target::InProcess(o) => {
            let s = TracedServer::start(o)?;
            let addr = s.addr();
            let idle = opts
                .idle_limit
                .unwrap_or(o.read_timeout + Duration::from_secs(1));
            (
                Some(s),
                addr,
                format!("in-process traced server {addr}"),
                idle,
            )
        }
    };
    let mut suite = Suite {
        addr,
        opts,
        server: server.as_ref(),
        hello: ClientHello::capture(None)?,
        good: good_client_context().map_err(|e| HostileError::Capture(e.into()))?,
        rng: Rng(opts.seed),
        idle_limit,
        idle_closed_after: None,
        stopped_after: None,
        stop: Stop::Serving,
        last_run: None,
    };
    suite
        .good_handshake_once()
        .map_err(|f| match f.unreachable {
            Some(source) => HostileError::Unreachable {
                target: addr,
                source,
            },
            None => HostileError::TargetDown {
                target: addr,
                reason: f.text,
            },
        })?;
    // Before any hostile input, so the answers are those of a fresh server.
    let implementation = fingerprint::identify(addr, opts.timeout, opts.seed);
    // Its hellos are odd (no suites, a repeated extension): a server they
    // stopped must not have the first case blamed for it.
    suite
        .good_handshake_once()
        .map_err(|f| match implementation.first_probe_unserved() {
            Some(first) => HostileError::ServedOnce {
                target: addr,
                first,
                reason: f.text,
            },
            None => match implementation.stopped_during_probes() {
                Some(stop) => HostileError::StoppedServing {
                    target: addr,
                    connections: stop.connections,
                    last: format!(
                        "{} the last ({}: {})",
                        if stop.last_closed {
                            "closed unanswered"
                        } else {
                            "answered"
                        },
                        stop.last.0,
                        stop.last.1
                    ),
                    last_closed: stop.last_closed,
                    refused: format!("{} {}", stop.refused.0, stop.refused.1),
                    reason: f.text,
                },
                None => HostileError::StoppedByProbes {
                    target: addr,
                    reason: f.text,
                },
            },
        })?;

    let cases: [fn(&mut Suite) -> CaseResult; 12] = [
        malformed::random_bytes,
        malformed::truncated_client_hello,
        malformed::oversized_record,
        malformed::wrong_length_field,
        malformed::garbage_body,
        malformed::sslv2_hello,
        malformed::unknown_suites,
        exhaustion::slowloris,
        trickle::trickle,
        exhaustion::closed_mid_handshake,
        renegotiate::renegotiation,
        exhaustion::flood,
    ];
    // Once the server has stopped serving, the cases after it are
    // reported as not run (Suite::case), not each as its own failure.
    let results: Vec<CaseResult> = cases.iter().map(|case| case(&mut suite)).collect();
    let count = |f: fn(&CaseResult) -> bool| results.iter().filter(|r| f(r)).count();
    let passed = count(|r| r.passed);
    let not_applicable = count(|r| r.not_applicable);
    let not_run = count(|r| r.not_run);
    let failed = results.len() - passed - not_applicable - not_run;
    let mut summary = format!("{passed} passed, {failed} failed");
    if not_applicable > 0 {
        summary += &format!(", {not_applicable} not applicable");
    }
    if let (true, Some(after)) = (not_run > 0, &suite.stopped_after) {
        let stopped = suite.stop.words();
        summary += &format!(", {not_run} not run (the server {stopped} after {after})");
    }
    Ok(HostileReport {
        schema_version: SCHEMA_VERSION,
        target: label,
        openssl: openssl::version::version().to_string(),
        implementation,
        cases: results,
        passed,
        failed,
        not_applicable,
        not_run,
        stopped_after: suite.stopped_after,
        summary,
    })
}

pub(super) fn resolve(target: &str, timeout: Duration) -> Result<SocketAddr, HostileError> {
    crate::resolve::addresses(target, timeout)
        .map_err(|source| HostileError::Address {
            target: target.to_string(),
            source,
        })?
        .into_iter()
        .next()
        .ok_or_else(|| HostileError::NoAddress {
            target: target.to_string(),
        })
}

/// Everything the cases share.
pub(super) struct Suite<'a> {
    pub(super) addr: SocketAddr,
    pub(super) opts: &'a HostileOptions,
    pub(super) server: Option<&'a TracedServer>,
    pub(super) hello: ClientHello,
    pub(super) good: SslContext,
    pub(super) rng: Rng,
    pub(super) idle_limit: Duration,
    /// How long the server kept a connection that sent nothing, as
    /// slowloris measured it: the read time-out trickle must stay inside.
    pub(super) idle_closed_after: Option<Duration>,
    /// After what the server stopped serving (a case's id, or the
    /// implementation probes): the cases after it are not run.
    pub(super) stopped_after: Option<String>,
    /// How it stopped, once `stopped_after` is set.
    pub(super) stop: Stop,
    /// The last case whose input reached the server.
    pub(super) last_run: Option<&'static str>,
}

/// What a case body observed.
pub(super) struct Observed {
    pub(super) actual: String,
    pub(super) problems: Vec<String>,
    pub(super) trace: Option<String>,
    /// The case cannot apply to this server (renegotiation to one without
    /// TLS 1.2): neither passed nor failed.
    pub(super) not_applicable: bool,
    /// The server had stopped serving before the case: neither passed nor
    /// failed.
    pub(super) not_run: bool,
    /// The case's own connection was not served, so its input never
    /// reached the server.
    pub(super) unsent: bool,
}

impl Observed {
    /// A case body that saw only what went wrong.
    pub(super) fn failed(what: String) -> Self {
        Observed {
            actual: what.clone(),
            problems: vec![what],
            trace: None,
            not_applicable: false,
            not_run: false,
            unsent: false,
        }
    }

    /// A case body whose own connection was not served: `what` it met.
    pub(super) fn unsent(what: String) -> Self {
        Observed {
            unsent: true,
            ..Observed::failed(what)
        }
    }

    fn not_run(after: &str, stop: Stop) -> Self {
        Observed {
            actual: format!("not run: the server {} after {after}", stop.words()),
            problems: Vec::new(),
            trace: None,
            not_applicable: false,
            not_run: true,
            unsent: false,
        }
    }
}

/// The parts of a case fixed before it runs.
pub(super) struct Spec {
    pub(super) id: &'static str,
    pub(super) sends: String,
    pub(super) expected: Expected,
    pub(super) why: &'static str,
}

impl Suite<'_> {
    /// Runs a case body, then the good handshake, and judges the whole.
    pub(super) fn case(
        &mut self,
        spec: Spec,
        body: impl FnOnce(&mut Self, &Expected) -> Observed,
    ) -> CaseResult {
        let start = Instant::now();
        let mut spec = spec;
        let external = self.server.is_none();
        if external {
            spec.expected = spec.expected.for_any_implementation();
        }
        let mut seen = match &self.stopped_after {
            Some(after) => Observed::not_run(after, self.stop),
            None => body(self, &spec.expected),
        };
        let server_alive = match (seen.not_run, self.served_afterwards()) {
            (true, _) => "not checked".to_owned(),
            (false, Ok(desc)) => format!("served a good client afterwards ({desc})"),
            // The case's input never reached a server that has stopped:
            // it stopped after what came before, and this case was not run.
            (
                false,
                Err(Unserved {
                    text,
                    stopped: Some(stop),
                }),
            ) if seen.unsent => {
                let after = self.last_run.unwrap_or("the implementation probes");
                let own = std::mem::replace(&mut seen, Observed::not_run(after, stop)).actual;
                seen.actual += &format!(" (this case's connection: {own})");
                self.stopped_after = Some(after.to_owned());
                self.stop = stop;
                format!("good handshake afterwards failed too: {text}")
            }
            (false, Err(e)) => {
                if let Some(stop) = e.stopped {
                    self.stopped_after = Some(spec.id.to_owned());
                    self.stop = stop;
                }
                let text = e.text;
                // From outside, a listener gone after this case is a crash
                // on its input or a limit on connections reached with it:
                // both are named, as before the first case.
                seen.problems.push(match e.stopped {
                    Some(Stop::Connections) => format!(
                        "the server took no connection after this case ({text}): a server that \
                         serves so many connections only (openssl s_server -naccept N) does \
                         this, and so does one that crashed on this input"
                    ),
                    _ => format!("the server did not serve a good client afterwards: {text}"),
                });
                format!("good handshake afterwards failed: {text}")
            }
        };
        if !seen.unsent && !seen.not_run {
            self.last_run = Some(spec.id);
        }
        // The reasons are OpenSSL 3.0's; another stack is judged by what
        // any correct implementation may do, where implementations differ.
        let why = match &spec.expected {
            Expected::FatalAlertOrClose { .. } if external => format!(
                "{} (That is OpenSSL 3.0's answer; an external target passes with any \
                 decoding alert or a plain close, as RFC 8446 leaves the choice to it.)",
                spec.why
            ),
            _ => spec.why.into(),
        };
        CaseResult {
            id: spec.id.into(),
            sends: spec.sends,
            expected_text: spec.expected.describe(),
            expected: spec.expected,
            why,
            actual: seen.actual,
            server_alive,
            trace: seen.trace,
            passed: seen.problems.is_empty() && !seen.not_applicable && !seen.not_run,
            not_applicable: seen.not_applicable,
            not_run: seen.not_run,
            problems: seen.problems,
            elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// The good handshake after a case. A server that turns clients away
    /// at the transport (accepted, then reset or closed unanswered) is asked again
    /// until the time-out has passed: one at its connection limit after the
    /// flood does so until its workers drain, which is how it should
    /// defend itself. Any other failure is final at once; one that met
    /// silence (the connection taken, nothing answered within the time-out)
    /// is a server that has stopped answering, hung as a deadlocked one
    /// is, and the cases after it would only meet the same silence.
    fn served_afterwards(&self) -> Result<String, Unserved> {
        let start = Instant::now();
        let mut turned_away = 0u32;
        loop {
            match self.good_handshake_once() {
                Ok(desc) if turned_away == 0 => return Ok(desc),
                Ok(desc) => {
                    return Ok(format!(
                        "{desc}, once it stopped turning clients away: {turned_away} turned away \
                         over {:.1}s first",
                        start.elapsed().as_secs_f64()
                    ))
                }
                Err(f) if f.turned_away && start.elapsed() + RETRY_AFTER < self.opts.timeout => {
                    turned_away += 1;
                    std::thread::sleep(RETRY_AFTER);
                }
                Err(f) => {
                    // Silence, nothing listening, or clients turned away to
                    // the end.
                    let refused = f
                        .unreachable
                        .as_ref()
                        .is_some_and(|e| e.kind() == io::ErrorKind::ConnectionRefused);
                    let stopped = if f.silent {
                        Some(Stop::Answering)
                    } else if refused {
                        Some(Stop::Connections)
                    } else {
                        (f.unreachable.is_some() || f.turned_away).then_some(Stop::Serving)
                    };
                    let text = match turned_away {
                        0 => f.text,
                        _ => format!(
                            "{} (and {turned_away} earlier tries over {:.1}s)",
                            f.text,
                            start.elapsed().as_secs_f64()
                        ),
                    };
                    return Err(Unserved { text, stopped });
                }
            }
        }
    }

    /// A real handshake by a well-behaved client, asked once; for the
    /// in-process server, its server-side trace must say it succeeded. A
    /// client turned away is said to be, as the reset alone does not name
    /// the cause.
    pub(super) fn good_handshake(&self) -> Result<String, String> {
        self.good_handshake_once().map_err(|f| match f.turned_away {
            true => format!(
                "{} (accepted, then reset or closed unanswered: turned away, as a server at \
                 its connection limit does)",
                f.text
            ),
            false => f.text,
        })
    }

    fn good_handshake_once(&self) -> Result<String, GoodFailure> {
        let timeout = self.opts.timeout;
        let tcp = wire::connect(self.addr, timeout).map_err(|e| GoodFailure {
            turned_away: turned_away(Some(&e)),
            text: format!("connect: {e}"),
            unreachable: Some(e),
            silent: false,
        })?;
        let local = tcp.local_addr().ok();
        let ssl = Ssl::new(&self.good).map_err(|e| GoodFailure::final_(e.to_string()))?;
        let mut tls = ssl
            .connect(wire::Deadlined::new(tcp, timeout))
            .map_err(|e| GoodFailure {
                unreachable: None,
                turned_away: matches!(&e, HandshakeError::Failure(mid)
                    if mid.error().code() == ErrorCode::SYSCALL
                        && turned_away(mid.error().io_error())),
                silent: matches!(&e, HandshakeError::WouldBlock(mid)
                    if mid.get_ref().received() == 0),
                text: format!("handshake: {}", wire::handshake_error(e, timeout)),
            })?;
        let desc = format!(
            "{} {}",
            tls.ssl().version_str(),
            tls.ssl().current_cipher().map_or("?", |c| c.name())
        );
        tls.write_all(b"tls-harness hostile: good client\n")
            .map_err(|e| format!("writing after the handshake: {e}"))?;
        // close_notify is a courtesy; the handshake is what is checked.
        let _ = tls.shutdown();
        drop(tls);
        if let (Some(server), Some(local)) = (self.server, local) {
            let rec = server
                .record_for(local, timeout)
                .ok_or("the in-process server left no record of the good client")?;
            match &rec.trace {
                Some(t) if t.succeeded() && rec.handshake_ok => {}
                Some(t) => return Err(format!("server-side trace: {}", outcome_text(t)).into()),
                None => return Err("the server recorded no trace for the good client".into()),
            }
        }
        Ok(desc)
    }

    /// Sends `script` and judges the answer and, in process, the trace.
    /// A case that sends `bytes`, then reads the answer until the server
    /// closes or the time-out passes.
    pub(super) fn send_case(&mut self, spec: Spec, bytes: &[u8]) -> CaseResult {
        let wait = self.opts.timeout;
        self.case(spec, |s, e| {
            s.wire_case(
                e,
                &Script {
                    send: bytes,
                    half_close: false,
                    wait,
                },
            )
        })
    }

    pub(super) fn wire_case(&mut self, expected: &Expected, script: &Script) -> Observed {
        let answer = match wire::converse(self.addr, self.opts.timeout, script) {
            Ok(a) => a,
            Err(e) => return connect_failed(&e),
        };
        self.judge(expected, &answer, script.wait, false, Sent::Refusable)
    }
}

/// Why the good client after a case was not served.
#[derive(Debug)]
struct Unserved {
    text: String,
    /// Whether, and how, the server has stopped: nothing listens, it
    /// turned the good client away until the time-out was spent, or it
    /// took the connection and never answered.
    stopped: Option<Stop>,
}

/// How a server stopped, in the words the report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// It turns every client away, or cannot be reached.
    Serving,
    /// Nothing listens any more: connects are refused.
    Connections,
    /// It takes connections but answers none.
    Answering,
}

impl Stop {
    fn words(self) -> &'static str {
        match self {
            Stop::Serving => "stopped serving",
            Stop::Connections => "stopped taking connections",
            Stop::Answering => "stopped answering",
        }
    }
}

/// Why the good client was not served, and whether the server merely
/// turned it away at the transport, which it may do for a while.
struct GoodFailure {
    text: String,
    turned_away: bool,
    /// The connect's own error: nothing listens, or no route to it.
    unreachable: Option<std::io::Error>,
    /// The connection was taken, and nothing came back within the
    /// time-out.
    silent: bool,
}

impl GoodFailure {
    fn final_(text: String) -> Self {
        GoodFailure {
            text,
            turned_away: false,
            unreachable: None,
            silent: false,
        }
    }
}

impl From<String> for GoodFailure {
    fn from(text: String) -> Self {
        GoodFailure::final_(text)
    }
}

impl From<&str> for GoodFailure {
    fn from(text: &str) -> Self {
        GoodFailure::final_(text.to_owned())
    }
}

/// Whether a connect or handshake ended as a server ends one it will not
/// serve yet: accepted, then reset or closed unanswered (OpenSSL's syscall
/// error with no OS error is an end of file). A refused connect is not
/// one: nothing listens, so a server that crashed on the case and was
/// restarted must not pass as busy.
fn turned_away(e: Option<&io::Error>) -> bool {
    e.is_none_or(|e| {
        matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::UnexpectedEof
                | io::ErrorKind::BrokenPipe
        )
    })
}

pub(super) fn good_client_context() -> Result<SslContext, openssl::error::ErrorStack> {
    let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
    // The check is that the server still completes handshakes; which CA
    // signed it is not the point, and an address target's CA is unknown.
    b.set_verify(SslVerifyMode::NONE);
    Ok(b.build())
}

/// A case whose own connection the server did not take.
pub(super) fn connect_failed(e: &NotServed) -> Observed {
    Observed::unsent(e.to_string())
}

#[cfg(test)]
impl<'a> Suite<'a> {
    /// A suite against `addr` with no in-process server, for a case's tests.
    pub(super) fn at(addr: SocketAddr, opts: &'a HostileOptions) -> Self {
        Suite {
            addr,
            opts,
            server: None,
            hello: ClientHello::capture(None).expect("hello"),
            good: good_client_context().expect("context"),
            rng: Rng(1),
            idle_limit: Duration::from_secs(1),
            idle_closed_after: None,
            stopped_after: None,
            stop: Stop::Serving,
            last_run: None,
        }
    }
}

#[cfg(test)]
mod tests;
