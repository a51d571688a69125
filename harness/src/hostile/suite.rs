//! The suite runner: starts or resolves the target, runs every case and
//! after each one checks that a good client is still served.

use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use openssl::ssl::{HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslVerifyMode};

use super::hello::ClientHello;
use super::judge::outcome_text;
use super::wire::{self, Script};
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
    };
    suite
        .good_handshake()
        .map_err(|reason| HostileError::TargetDown {
            target: addr,
            reason,
        })?;
    // Before any hostile input, so the answers are those of a fresh server.
    let implementation = fingerprint::identify(addr, opts.timeout, opts.seed);

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
    let results: Vec<CaseResult> = cases.iter().map(|case| case(&mut suite)).collect();
    let passed = results.iter().filter(|r| r.passed).count();
    let failed = results.len() - passed;
    Ok(HostileReport {
        schema_version: SCHEMA_VERSION,
        target: label,
        openssl: openssl::version::version().to_string(),
        implementation,
        cases: results,
        passed,
        failed,
        summary: format!("{passed} passed, {failed} failed"),
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
}

/// What a case body observed.
pub(super) struct Observed {
    pub(super) actual: String,
    pub(super) problems: Vec<String>,
    pub(super) trace: Option<String>,
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
        let mut seen = body(self, &spec.expected);
        let server_alive = match self.good_handshake() {
            Ok(desc) => format!("served a good client afterwards ({desc})"),
            Err(e) => {
                seen.problems.push(format!(
                    "the server did not serve a good client afterwards: {e}"
                ));
                format!("good handshake afterwards failed: {e}")
            }
        };
        CaseResult {
            id: spec.id.into(),
            sends: spec.sends,
            expected_text: spec.expected.describe(),
            expected: spec.expected,
            // The reasons are OpenSSL 3.0's; another stack is judged by
            // what any correct implementation may do.
            why: if external {
                format!(
                    "{} (That is OpenSSL 3.0's answer; an external target passes with any \
                     decoding alert or a plain close, as RFC 8446 leaves the choice to it.)",
                    spec.why
                )
            } else {
                spec.why.into()
            },
            actual: seen.actual,
            server_alive,
            trace: seen.trace,
            passed: seen.problems.is_empty(),
            problems: seen.problems,
            elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// A real handshake by a well-behaved client; for the in-process
    /// server, its server-side trace must say it succeeded.
    pub(super) fn good_handshake(&self) -> Result<String, String> {
        let timeout = self.opts.timeout;
        let tcp = wire::connect(self.addr, timeout).map_err(|e| format!("connect: {e}"))?;
        let local = tcp.local_addr().ok();
        let ssl = Ssl::new(&self.good).map_err(|e| e.to_string())?;
        let mut tls = ssl
            .connect(wire::Deadlined::new(tcp, timeout))
            .map_err(|e| format!("handshake: {}", handshake_error(e, timeout)))?;
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
                Some(t) => return Err(format!("server-side trace: {}", outcome_text(t))),
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
            Err(e) => {
                return Observed {
                    actual: format!("could not connect: {e}"),
                    problems: vec![format!("could not connect: {e}")],
                    trace: None,
                }
            }
        };
        self.judge(expected, &answer, script.wait, false)
    }
}

/// Why a client handshake over a [`wire::Deadlined`] socket failed: its
/// read time-out passing shows as "would block", which here means silence,
/// and the exchange's deadline as an I/O error that says so.
pub(super) fn handshake_error<S: std::fmt::Debug>(
    e: HandshakeError<S>,
    timeout: Duration,
) -> String {
    match e {
        HandshakeError::WouldBlock(_) => format!(
            "the server stopped answering ({} s read time-out)",
            timeout.as_secs_f64()
        ),
        HandshakeError::Failure(ref mid)
            if mid
                .error()
                .io_error()
                .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut) =>
        {
            mid.error()
                .io_error()
                .map_or_else(String::new, |io| io.to_string())
        }
        e => e.to_string(),
    }
}

pub(super) fn good_client_context() -> Result<SslContext, openssl::error::ErrorStack> {
    let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
    // The check is that the server still completes handshakes; which CA
    // signed it is not the point, and an address target's CA is unknown.
    b.set_verify(SslVerifyMode::NONE);
    Ok(b.build())
}

pub(super) fn connect_failed(e: &io::Error) -> Observed {
    Observed {
        actual: format!("could not connect: {e}"),
        problems: vec![format!("could not connect: {e}")],
        trace: None,
    }
}

/// splitmix64: small, seedable, and good enough for garbage bytes.
pub(crate) struct Rng(pub(super) u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, TcpStream};

    use super::*;

    /// A listener that accepts nothing and says nothing: the good client's
    /// wait ends at its read time-out, and says so.
    #[test]
    fn a_silent_server_is_reported_as_silence_not_a_would_block() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
        let tcp = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
        let timeout = Duration::from_millis(200);
        tcp.set_read_timeout(Some(timeout)).expect("time-out");
        let ctx = good_client_context().expect("context");
        let e = Ssl::new(&ctx)
            .expect("ssl")
            .connect(tcp)
            .expect_err("nothing answers");
        assert_eq!(
            handshake_error(e, timeout),
            "the server stopped answering (0.2 s read time-out)"
        );
    }
}
