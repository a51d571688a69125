//! The hostile-peer suite: bytes chosen by a stranger, sent to a traced
//! TLS server, which must answer each with the right alert or a clean
//! close, keep serving good clients, and trace what happened.
//!
//! [`run`] sends every case to a [`Target`]: a server that is already
//! listening (such as `tls-harness serve`), or an in-process
//! [`TracedServer`] the suite starts for itself, whose server-side traces
//! it can then check too. Each case carries an [`Expected`] outcome,
//! derived from the RFCs and from what the OpenSSL source does (the reasons
//! are in [`CaseResult::why`]), never from running the case. After every
//! case a good client must complete a real handshake.
//!
//! Every network wait has a time-out, so a misbehaving server turns into a
//! failed case, never a hung suite.

pub mod hello;
pub mod renegotiate;
pub mod server;
pub mod trickle;
pub mod wire;

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::time::{Duration, Instant};

use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl_handshake::{AlertLevel, Direction, HandshakeTrace, Outcome};
use serde::Serialize;

use hello::{handshake_message, parses_as_client_hello, record, ClientHello, CT_HANDSHAKE};
pub use server::{ConnectionRecord, InProcessOptions, TracedServer};
use wire::{Answer, End, Script};

/// The version of the JSON layout of [`HostileReport`].
pub const SCHEMA_VERSION: u32 = 1;

/// Where the suite sends its cases.
#[derive(Debug, Clone)]
pub enum Target {
    /// A server that is already listening, as HOST:PORT.
    Address(String),
    /// A traced server that the suite starts on 127.0.0.1 and stops at the
    /// end; its server-side traces are checked too.
    InProcess(InProcessOptions),
}

/// How hard and how long the suite pushes.
#[derive(Debug, Clone)]
pub struct HostileOptions {
    /// Limit for each connect, read and write, and for the good handshake
    /// after each case.
    pub timeout: Duration,
    /// How long an idle connection may stay open before the server must
    /// have dropped it (the slowloris case). `None`: the in-process
    /// server's time-out plus one second, or 12 s for an address (the
    /// default `tls-harness serve --timeout` is 10 s).
    pub idle_limit: Option<Duration>,
    /// Connections the flood opens.
    pub flood: usize,
    /// How many of them are opened at once.
    pub flood_batch: usize,
    /// Connect time-out for each flood connection. A full accept queue
    /// makes the kernel drop SYNs, so those connects wait this long.
    pub flood_connect_timeout: Duration,
    /// Seed for the random and garbage bytes, so a run can be repeated.
    pub seed: u64,
}

impl Default for HostileOptions {
    fn default() -> Self {
        HostileOptions {
            timeout: Duration::from_secs(5),
            idle_limit: None,
            flood: 1000,
            flood_batch: 100,
            flood_connect_timeout: Duration::from_millis(500),
            seed: 0x7115_4a7d_0b5e_55ed,
        }
    }
}

/// Why the suite could not run at all. A case that fails is a result in
/// the report, not an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostileError {
    /// The in-process server could not be started.
    #[error("could not start the in-process traced server: {0}")]
    Server(String),
    /// No genuine ClientHello could be captured from the linked OpenSSL.
    #[error("could not capture a genuine ClientHello from the linked OpenSSL: {0}")]
    Capture(String),
    /// The target address is not usable.
    #[error("target {target:?}: {reason}; give HOST:PORT, e.g. 127.0.0.1:4433")]
    Address {
        /// What was given.
        target: String,
        /// Why it can't be used.
        reason: String,
    },
    /// The target did not complete a good handshake before any hostile
    /// input, so nothing it does afterwards would mean anything.
    #[error(
        "target {target} failed a good TLS handshake before any hostile input ({reason}); \
         check that it is running and serving TLS"
    )]
    TargetDown {
        /// The address.
        target: SocketAddr,
        /// What went wrong.
        reason: String,
    },
}

/// What a case must see, fixed before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expected {
    /// A plaintext fatal alert with one of these descriptions, then a close.
    FatalAlert {
        /// The acceptable alert descriptions.
        any_of: Vec<u8>,
    },
    /// A close with no alert.
    Close,
    /// Either of the above: implementations legitimately differ here.
    FatalAlertOrClose {
        /// The acceptable alert descriptions.
        any_of: Vec<u8>,
    },
    /// An encrypted warning no_renegotiation(100), and the connection stays
    /// open with its session.
    RenegotiationRefused,
    /// What any correct server may do with a secure (RFC 5746)
    /// renegotiation request: refuse it with a warning no_renegotiation and
    /// stay open, carry it out (no alert, still open), or end the
    /// connection with a fatal handshake_failure or no_renegotiation.
    RenegotiationHandled,
    /// Every connection ends within its time-out and the server keeps
    /// serving.
    ServerSurvives,
}

impl Expected {
    /// The expectation for a target that is not the in-process OpenSSL:
    /// judged by what any correct TLS implementation may do rather than
    /// by what OpenSSL 3.0 does. A fatal alert in answer to garbage is as
    /// correct as a silent close, and which decoding alert a server picks
    /// is its own choice; a secure renegotiation may be refused or carried
    /// out (RFC 5746).
    pub fn for_any_implementation(&self) -> Expected {
        let with_parse_alerts = |any_of: &[u8]| {
            let mut all = any_of.to_vec();
            for d in ANY_PARSE_ALERT {
                if !all.contains(d) {
                    all.push(*d);
                }
            }
            all
        };
        match self {
            Expected::FatalAlert { any_of } | Expected::FatalAlertOrClose { any_of } => {
                Expected::FatalAlertOrClose {
                    any_of: with_parse_alerts(any_of),
                }
            }
            Expected::Close => Expected::FatalAlertOrClose {
                any_of: with_parse_alerts(&[]),
            },
            Expected::RenegotiationRefused | Expected::RenegotiationHandled => {
                Expected::RenegotiationHandled
            }
            Expected::ServerSurvives => Expected::ServerSurvives,
        }
    }

    /// The expectation in words.
    pub fn describe(&self) -> String {
        let alerts = |any: &[u8]| {
            any.iter()
                .map(|d| wire::alert_name(*d))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match self {
            Expected::FatalAlert { any_of } => format!("fatal {}, then close", alerts(any_of)),
            Expected::Close => "close without an alert".into(),
            Expected::FatalAlertOrClose { any_of } => {
                format!(
                    "fatal {} then close, or a close without an alert",
                    alerts(any_of)
                )
            }
            Expected::RenegotiationRefused => {
                "encrypted warning no_renegotiation(100); connection stays open".into()
            }
            Expected::RenegotiationHandled => {
                "warning no_renegotiation and open, renegotiated and open, or fatal \
                 handshake_failure/no_renegotiation then close"
                    .into()
            }
            Expected::ServerSurvives => {
                "every connect ends within its time-out; all closed; server keeps serving".into()
            }
        }
    }
}

/// One case: what was sent, what was expected and what happened.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Stable name, e.g. `oversized-record`.
    pub id: String,
    /// What the hostile client sends.
    pub sends: String,
    /// The expected outcome.
    pub expected: Expected,
    /// [`Expected::describe`].
    pub expected_text: String,
    /// Why that is the right outcome (RFC section, OpenSSL behaviour).
    pub why: String,
    /// What the server did, seen from the wire.
    pub actual: String,
    /// The good handshake after the case, or why it failed.
    pub server_alive: String,
    /// The server-side trace of the case's connection (in-process target).
    pub trace: Option<String>,
    /// Every way the case fell short; empty when it passed.
    pub problems: Vec<String>,
    /// Whether the case passed.
    pub passed: bool,
    /// Wall time of the case, including the good handshake after it.
    pub elapsed_ms: u64,
}

/// The suite's result.
#[derive(Debug, Clone, Serialize)]
pub struct HostileReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The address the cases were sent to, and what it was.
    pub target: String,
    /// The linked OpenSSL.
    pub openssl: String,
    /// Every case, in the order run.
    pub cases: Vec<CaseResult>,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// "N passed, N failed".
    pub summary: String,
}

impl HostileReport {
    /// Whether every case passed.
    pub fn ok(&self) -> bool {
        self.failed == 0
    }

    /// The report as text in `format`. The table ends with the summary
    /// line; JSON carries it in `summary`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Table => self.table(),
            ReportFormat::Json => {
                // Serializing plain structs of strings and numbers cannot
                // fail; the fallback keeps the signature infallible anyway.
                serde_json::to_string_pretty(self)
                    .map(|s| s + "\n")
                    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
            }
        }
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "hostile peers against {} ({})",
            self.target, self.openssl
        );
        for c in &self.cases {
            let verdict = if c.passed { "pass" } else { "FAIL" };
            let _ = writeln!(out, "[{verdict}] {:<22} {}", c.id, c.sends);
            let _ = writeln!(out, "       expected: {}", c.expected_text);
            let _ = writeln!(out, "       actual:   {}", c.actual);
            let _ = writeln!(out, "       server:   {}", c.server_alive);
            if let Some(t) = &c.trace {
                let _ = writeln!(out, "       trace:    {t}");
            }
            for p in &c.problems {
                let _ = writeln!(out, "       problem:  {p}");
            }
        }
        let _ = writeln!(out, "{}", self.summary);
        out
    }
}

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// One block per case, then "N passed, N failed".
    Table,
    /// [`HostileReport`] as JSON.
    Json,
}

impl FromStr for ReportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" => Ok(ReportFormat::Table),
            "json" => Ok(ReportFormat::Json),
            other => Err(format!("unknown format {other:?}; use table or json")),
        }
    }
}

/// Runs every case against `target` and reports each one.
pub fn run(target: Target, opts: &HostileOptions) -> Result<HostileReport, HostileError> {
    let (server, addr, label, idle_limit) = match &target {
        Target::Address(a) => {
            let addr = resolve(a)?;
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
        hello12: ClientHello::capture(Some(SslVersion::TLS1_2))?,
        good: good_client_context().map_err(|e| HostileError::Capture(e.to_string()))?,
        rng: Rng(opts.seed),
        idle_limit,
    };
    suite
        .good_handshake()
        .map_err(|reason| HostileError::TargetDown {
            target: addr,
            reason,
        })?;

    let cases: [fn(&mut Suite) -> CaseResult; 12] = [
        random_bytes,
        truncated_client_hello,
        oversized_record,
        wrong_length_field,
        garbage_body,
        sslv2_hello,
        unknown_suites,
        slowloris,
        trickle::trickle,
        closed_mid_handshake,
        renegotiation,
        flood,
    ];
    let results: Vec<CaseResult> = cases.iter().map(|case| case(&mut suite)).collect();
    let passed = results.iter().filter(|r| r.passed).count();
    let failed = results.len() - passed;
    Ok(HostileReport {
        schema_version: SCHEMA_VERSION,
        target: label,
        openssl: openssl::version::version().to_string(),
        cases: results,
        passed,
        failed,
        summary: format!("{passed} passed, {failed} failed"),
    })
}

fn resolve(target: &str) -> Result<SocketAddr, HostileError> {
    let err = |reason: String| HostileError::Address {
        target: target.to_string(),
        reason,
    };
    target
        .to_socket_addrs()
        .map_err(|e| err(e.to_string()))?
        .next()
        .ok_or_else(|| err("it resolves to no address".into()))
}

/// Everything the cases share.
struct Suite<'a> {
    addr: SocketAddr,
    opts: &'a HostileOptions,
    server: Option<&'a TracedServer>,
    hello: ClientHello,
    hello12: ClientHello,
    good: SslContext,
    rng: Rng,
    idle_limit: Duration,
}

/// What a case body observed.
struct Observed {
    actual: String,
    problems: Vec<String>,
    trace: Option<String>,
}

/// The parts of a case fixed before it runs.
struct Spec {
    id: &'static str,
    sends: String,
    expected: Expected,
    why: &'static str,
}

impl Suite<'_> {
    /// Runs a case body, then the good handshake, and judges the whole.
    fn case(
        &mut self,
        spec: Spec,
        body: impl FnOnce(&mut Self, &Expected) -> Observed,
    ) -> CaseResult {
        let start = Instant::now();
        let mut spec = spec;
        if self.server.is_none() {
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
            why: spec.why.into(),
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
    fn good_handshake(&self) -> Result<String, String> {
        let timeout = self.opts.timeout;
        let tcp = wire::connect(self.addr, timeout).map_err(|e| format!("connect: {e}"))?;
        let local = tcp.local_addr().ok();
        let ssl = Ssl::new(&self.good).map_err(|e| e.to_string())?;
        let mut tls = ssl.connect(tcp).map_err(|e| format!("handshake: {e}"))?;
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
    fn send_case(&mut self, spec: Spec, bytes: &[u8]) -> CaseResult {
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

    fn wire_case(&mut self, expected: &Expected, script: &Script) -> Observed {
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

    fn judge(&self, expected: &Expected, a: &Answer, wait: Duration, eof_alert: bool) -> Observed {
        let mut problems = Vec::new();
        if !a.end.closed() {
            problems.push(format!(
                "the server did not close the connection within {:.1}s",
                wait.as_secs_f64()
            ));
        }
        let alert = a.alert();
        match (expected, alert) {
            (
                Expected::FatalAlert { any_of } | Expected::FatalAlertOrClose { any_of },
                Some((2, d)),
            ) if any_of.contains(&d) => {}
            (Expected::Close | Expected::FatalAlertOrClose { .. }, None) => {}
            (Expected::FatalAlert { .. }, None) => {
                problems.push("the server sent no alert".into());
            }
            (_, Some((l, d))) => problems.push(format!(
                "unexpected alert {} {}",
                wire::level_name(l),
                wire::alert_name(d)
            )),
            (_, None) => {}
        }
        let trace = self.server.map(|server| {
            check_trace(
                server,
                a.local,
                alert,
                self.opts.timeout,
                eof_alert,
                &mut problems,
            )
        });
        Observed {
            actual: a.describe(),
            problems,
            trace,
        }
    }
}

/// Checks the server-side trace of the connection from `local`: it must
/// not have succeeded, and the alert it says was sent must be the one seen
/// on the wire. `eof_alert` allows a decode_error in the trace that the
/// wire could not show (sent after the client had gone).
fn check_trace(
    server: &TracedServer,
    local: Option<SocketAddr>,
    wire_alert: Option<(u8, u8)>,
    wait: Duration,
    eof_alert: bool,
    problems: &mut Vec<String>,
) -> String {
    let Some(rec) = local.and_then(|l| server.record_for(l, wait)) else {
        problems.push("the in-process server left no record of the connection".into());
        return "no record".into();
    };
    let Some(t) = &rec.trace else {
        problems.push(format!(
            "no trace was recorded for the connection ({})",
            rec.error.as_deref().unwrap_or("no error")
        ));
        return "no trace".into();
    };
    if t.succeeded() {
        problems.push("the trace says the handshake succeeded".into());
    }
    if let Some(p) = &t.hook_panic {
        problems.push(format!("the completion hook panicked: {p}"));
    }
    let sent = t.alert_sent();
    match (wire_alert, sent) {
        (Some((l, d)), Some(a)) if a.description == d && level_matches(a.level, l) => {
            // A fatal alert ends the handshake, so the failure must name it.
            let named = t
                .failure()
                .and_then(|f| f.alert_sent.as_ref())
                .is_some_and(|fa| fa.description == d);
            if !named {
                problems.push("the trace's failure does not name the alert sent".into());
            }
        }
        (None, None) => {}
        (None, Some(a)) if eof_alert && a.description == 50 => {}
        (w, s) => problems.push(format!(
            "the wire showed {} but the trace says {}",
            w.map_or("no alert".into(), |(l, d)| format!(
                "{} {}",
                wire::level_name(l),
                wire::alert_name(d)
            )),
            s.map_or("no alert was sent".into(), |a| format!("it sent {a}"))
        )),
    }
    outcome_text(t)
}

fn level_matches(level: AlertLevel, wire: u8) -> bool {
    matches!(
        (level, wire),
        (AlertLevel::Warning, 1) | (AlertLevel::Fatal, 2)
    ) || level == AlertLevel::Unknown(wire)
}

/// A one-line account of a server-side trace.
fn outcome_text(t: &HandshakeTrace) -> String {
    let alert = t
        .alert_sent()
        .map_or("no alert sent".into(), |a| format!("sent {a}"));
    match &t.outcome {
        Outcome::Succeeded => format!("succeeded; {alert}"),
        Outcome::InProgress => format!(
            "in progress ({} would-block exit(s): the read timed out); {alert}",
            t.would_block_count()
        ),
        Outcome::Failed(f) => {
            let reason = if f.reason.is_empty() {
                "no OpenSSL reason"
            } else {
                f.reason.as_str()
            };
            format!("failed in \"{}\" ({reason}); {alert}", f.state)
        }
        other => format!("{other:?}; {alert}"),
    }
}

fn good_client_context() -> Result<SslContext, openssl::error::ErrorStack> {
    let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
    // The check is that the server still completes handshakes; which CA
    // signed it is not the point, and an address target's CA is unknown.
    b.set_verify(SslVerifyMode::NONE);
    Ok(b.build())
}

/// Alert descriptions a record-level or decoding failure can produce.
const ANY_PARSE_ALERT: &[u8] = &[10, 20, 22, 40, 47, 50, 70];

fn random_bytes(s: &mut Suite) -> CaseResult {
    let mut bytes = vec![0u8; 1024];
    s.rng.fill(&mut bytes);
    // The answer depends on which header fields the bytes happen to break,
    // so the expectation is read off the first bytes, the way OpenSSL's
    // record layer (ssl3_get_record) reads them.
    let (expected, why) = if bytes[0] & 0x80 != 0 && bytes[2] == 1 {
        (
            Expected::FatalAlertOrClose {
                any_of: ANY_PARSE_ALERT.to_vec(),
            },
            "the first bytes look like an SSLv2 record header, so OpenSSL parses an SSLv2 hello and rejects it",
        )
    } else if bytes[1] != 3 {
        (
            Expected::Close,
            "the first record's major version is not 3; OpenSSL's record layer treats a first record that \
             does not look like TLS with SSL_AD_NO_ALERT (\"Doesn't look like TLS - don't send an alert\")",
        )
    } else {
        (
            Expected::FatalAlertOrClose {
                any_of: ANY_PARSE_ALERT.to_vec(),
            },
            "the header passes as TLS, so the record layer or the decoder rejects what follows",
        )
    };
    let spec = Spec {
        id: "random-bytes",
        sends: format!("1024 random bytes, starting {:02x?}", &bytes[..5]),
        expected,
        why,
    };
    s.send_case(spec, &bytes)
}

fn truncated_client_hello(s: &mut Suite) -> CaseResult {
    let full = s.hello.record();
    let cut = 5 + (full.len() - 5) / 2;
    let spec = Spec {
        id: "truncated-client-hello",
        sends: format!(
            "the first {cut} of {} bytes of a genuine ClientHello record, then end of stream",
            full.len()
        ),
        expected: Expected::FatalAlertOrClose { any_of: vec![50] },
        why: "nothing is wrong until the stream ends inside the record. OpenSSL sends decode_error on \
              an unexpected EOF only when BIO_eof() says so (ssl3_read_n); the openssl crate's stream \
              BIO answers 0 to BIO_CTRL_EOF, so a Rust server closes without an alert",
    };
    let wait = s.opts.timeout;
    s.case(spec, |s, e| {
        let answer = wire::converse(
            s.addr,
            s.opts.timeout,
            &Script {
                send: &full[..cut],
                half_close: true,
                wait,
            },
        );
        match answer {
            Ok(a) => s.judge(e, &a, wait, true),
            Err(err) => connect_failed(&err),
        }
    })
}

fn oversized_record(s: &mut Suite) -> CaseResult {
    // 2^14 of plaintext plus the 2048 bytes of expansion TLS 1.2 allows
    // (RFC 5246 section 6.2.3), plus one.
    let len = (1 << 14) + 2048 + 1;
    let mut payload = s.hello.message();
    let pad = len - payload.len().min(len);
    let mut tail = vec![0u8; pad];
    s.rng.fill(&mut tail);
    payload.extend_from_slice(&tail);
    let bytes = record(CT_HANDSHAKE, 0x0301, &payload);
    let spec = Spec {
        id: "oversized-record",
        sends: format!("a handshake record of {len} bytes (2^14 + 2048 + 1) starting with a genuine ClientHello"),
        expected: Expected::FatalAlert { any_of: vec![22] },
        why: "RFC 5246 6.2.3 / RFC 8446 5.2: a record longer than allowed gets record_overflow; OpenSSL \
              checks the header's length against its read buffer before reading the body",
    };
    s.send_case(spec, &bytes)
}

fn wrong_length_field(s: &mut Suite) -> CaseResult {
    let mut msg = s.hello.message();
    let real = msg.len() - 4;
    let claimed = real - 16;
    msg[1..4].copy_from_slice(&(claimed as u32).to_be_bytes()[1..]);
    let bytes = record(CT_HANDSHAKE, s.hello.record_version, &msg);
    let spec = Spec {
        id: "wrong-length-field",
        sends: format!("a genuine ClientHello whose handshake length says {claimed} for a {real}-byte body"),
        expected: Expected::FatalAlert { any_of: vec![50] },
        why: "the message ends 16 bytes early, inside the extensions, so their length prefix overruns it: \
              RFC 8446 6.2 decode_error; OpenSSL's tls_process_client_hello reports SSL_R_LENGTH_MISMATCH \
              with SSL_AD_DECODE_ERROR",
    };
    s.send_case(spec, &bytes)
}

fn garbage_body(s: &mut Suite) -> CaseResult {
    // 10,000 bytes: the 4-byte header of a ClientHello and 9,996 bytes of
    // garbage, drawn until the body cannot parse as a ClientHello (a
    // random draw that does is about as likely as guessing a 16-bit
    // length and more, but the check makes the expectation certain).
    let mut body = vec![0u8; 10_000 - 4];
    loop {
        s.rng.fill(&mut body);
        if !parses_as_client_hello(&body) {
            break;
        }
    }
    let bytes = record(CT_HANDSHAKE, 0x0301, &handshake_message(1, &body));
    let spec = Spec {
        id: "garbage-body",
        sends: "a 10,000-byte ClientHello message (type 1, correct lengths) with a random body".into(),
        expected: Expected::FatalAlert { any_of: vec![50] },
        why: "the body's length-prefixed fields do not fit (checked before sending); OpenSSL's \
              tls_process_client_hello answers SSL_AD_DECODE_ERROR before any version or suite logic",
    };
    s.send_case(spec, &bytes)
}

fn sslv2_hello(s: &mut Suite) -> CaseResult {
    // An SSL 2.0 CLIENT-HELLO as old clients sent it: version 0x0002, three
    // cipher specs, no session id, a 16-byte challenge.
    let specs: [u8; 9] = [0x01, 0x00, 0x80, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x2f];
    let mut challenge = [0u8; 16];
    s.rng.fill(&mut challenge);
    let mut msg = vec![1, 0x00, 0x02, 0, specs.len() as u8, 0, 0, 0, 16];
    msg.extend_from_slice(&specs);
    msg.extend_from_slice(&challenge);
    let mut bytes = vec![0x80 | (msg.len() >> 8) as u8, msg.len() as u8];
    bytes.extend_from_slice(&msg);
    let spec = Spec {
        id: "sslv2-hello",
        sends: "an SSLv2-format CLIENT-HELLO offering SSL 2.0".into(),
        expected: Expected::FatalAlert { any_of: vec![70] },
        why: "OpenSSL still parses an SSLv2-format first record, then refuses version 0x0002 \
              (\"real SSLv2 ... we don't support it\") with SSL_AD_PROTOCOL_VERSION; RFC 6176 forbids SSL 2.0",
    };
    s.send_case(spec, &bytes)
}

fn unknown_suites(s: &mut Suite) -> CaseResult {
    let mut hello = s.hello.clone();
    // Unassigned code points, none of them GREASE (RFC 8701 values are
    // 0x?A?A) or a signalling value.
    hello.suites = vec![0x7777, 0x7e7e, 0x1337, 0xeeee];
    let bytes = hello.record();
    let spec = Spec {
        id: "unknown-suites",
        sends: "a genuine ClientHello whose suites list holds only 4 unassigned suites".into(),
        expected: Expected::FatalAlert { any_of: vec![40, 71] },
        why: "RFC 8446 4.1.1 / RFC 5246 7.4.1.3: no acceptable parameters means handshake_failure (or \
              insufficient_security); OpenSSL skips unknown suites and fails with SSL_R_NO_SHARED_CIPHER, \
              SSL_AD_HANDSHAKE_FAILURE",
    };
    s.send_case(spec, &bytes)
}

fn slowloris(s: &mut Suite) -> CaseResult {
    let wait = s.idle_limit;
    let spec = Spec {
        id: "slowloris",
        sends: format!("a connection that sends nothing (waits up to {:.1}s)", wait.as_secs_f64()),
        expected: Expected::Close,
        why: "the server must not let an idle peer hold a connection: its read time-out ends SSL_accept \
              and it closes; with nothing received there is nothing to alert about",
    };
    s.case(spec, |s, e| {
        s.wire_case(
            e,
            &Script {
                send: &[],
                half_close: false,
                wait,
            },
        )
    })
}

fn closed_mid_handshake(s: &mut Suite) -> CaseResult {
    let spec = Spec {
        id: "closed-mid-handshake",
        sends: "a genuine ClientHello, then end of stream once the server's first flight arrives".into(),
        expected: Expected::FatalAlertOrClose { any_of: vec![50] },
        why: "the server is waiting for the client's next flight when the stream ends; OpenSSL sends \
              decode_error on an unexpected EOF only when BIO_eof() reports it, which the openssl \
              crate's BIO does not, so a Rust server fails with SSL_ERROR_SYSCALL and closes",
    };
    let hello = s.hello.record();
    s.case(spec, |s, e| {
        let start = Instant::now();
        let timeout = s.opts.timeout;
        let mut tcp = match wire::connect(s.addr, timeout) {
            Ok(t) => t,
            Err(err) => return connect_failed(&err),
        };
        let local = tcp.local_addr().ok();
        let _ = tcp.write_all(&hello);
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
        };
        s.judge(e, &answer, timeout, true)
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

fn renegotiation(s: &mut Suite) -> CaseResult {
    let spec = Spec {
        id: "renegotiation",
        sends: "after a TLS 1.2 handshake, an encrypted renegotiation ClientHello (RFC 5746 renegotiation_info)".into(),
        expected: Expected::RenegotiationRefused,
        why: "OpenSSL 3.0 disables client-initiated renegotiation by default \
              (SSL_OP_ALLOW_CLIENT_RENEGOTIATION unset): tls_process_client_hello answers a ClientHello \
              after the handshake with a warning no_renegotiation and carries on with the session \
              (RFC 5246 7.2.2)",
    };
    s.case(spec, |s, expected| {
        let timeout = s.opts.timeout;
        let r = match renegotiate::request(s.addr, timeout, &s.hello12, &mut s.rng) {
            Ok(r) => r,
            Err(why) => {
                return Observed {
                    actual: format!("no renegotiation request was made: {why}"),
                    problems: vec![format!("could not make the renegotiation request: {why}")],
                    trace: None,
                }
            }
        };
        let mut problems = Vec::new();
        let open = r.end == End::StillOpen;
        if *expected == Expected::RenegotiationHandled {
            let legal = matches!(
                (r.alert(), open),
                (Some((1, 100)), true) | (None, true) | (Some((2, 40 | 100)), false)
            );
            if !legal {
                problems.push(format!(
                    "neither refused, carried out nor ended with a fatal alert: {}",
                    r.describe()
                ));
            }
        } else {
            if r.alert() != Some((1, 100)) {
                problems
                    .push("the server did not answer with a warning no_renegotiation(100)".into());
            }
            if !open {
                problems
                    .push("the server closed the connection instead of keeping the session".into());
            }
        }
        let trace = s.server.map(|server| {
            let Some(rec) = r.local.and_then(|l| server.record_for(l, timeout)) else {
                problems.push("the in-process server left no record of the connection".into());
                return "no record".into();
            };
            let Some(t) = &rec.trace else {
                problems.push("no trace was recorded for the connection".into());
                return "no trace".into();
            };
            if !(rec.handshake_ok && t.succeeded()) {
                problems.push("the first handshake is not traced as a success".into());
            }
            // The refusal happens inside the state machine (the ClientHello
            // is read in TLS_ST_SR_CLNT_HELLO before it is refused), so
            // OpenSSL reports a second HANDSHAKE_START and DONE around it,
            // and the trace counts the attempt as a second handshake.
            if t.handshakes != 2 {
                problems.push(format!(
                    "the trace counts {} handshakes, not the first one and the refused attempt",
                    t.handshakes
                ));
            }
            let refused = t.alerts().any(|a| {
                a.direction == Direction::Write
                    && a.level == AlertLevel::Warning
                    && a.description == 100
            });
            if !refused {
                problems.push("the trace has no warning no_renegotiation sent".into());
            }
            format!(
                "{}; handshakes: {}",
                outcome_text_all_alerts(t),
                t.handshakes
            )
        });
        Observed {
            actual: r.describe(),
            problems,
            trace,
        }
    })
}

fn outcome_text_all_alerts(t: &HandshakeTrace) -> String {
    let alerts: Vec<String> = t
        .alerts()
        .map(|a| {
            let dir = if a.direction == Direction::Write {
                "sent"
            } else {
                "received"
            };
            format!("{dir} {a}")
        })
        .collect();
    let status = match &t.outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::InProgress => "in progress",
        Outcome::Failed(_) => "failed",
        _ => "unfinished",
    };
    if alerts.is_empty() {
        format!("{status}; no alerts")
    } else {
        format!("{status}; {}", alerts.join(", "))
    }
}

fn flood(s: &mut Suite) -> CaseResult {
    let (n, batch) = (s.opts.flood, s.opts.flood_batch.max(1));
    let connect_timeout = s.opts.flood_connect_timeout;
    let spec = Spec {
        id: "flood",
        sends: format!(
            "{n} connections opened {batch} at a time (connect time-out {:.1}s), held, then all closed",
            connect_timeout.as_secs_f64()
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
        drop(open);
        let mut actual = format!(
            "{connected} connected, {timed_out} timed out, {refused} refused, {other} other errors; \
             all {connected} closed after {:.2}s",
            start.elapsed().as_secs_f64()
        );
        if let Some(e) = &first_other {
            let _ = write!(actual, " (first error: {e})");
        }
        let mut problems = Vec::new();
        if connected == 0 {
            problems.push("no flood connection got through".into());
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
            "{} of {} flood connections left no server record within {:.1}s",
            locals.len() - records.len().min(locals.len()),
            locals.len(),
            wait.as_secs_f64()
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

fn connect_failed(e: &io::Error) -> Observed {
    Observed {
        actual: format!("could not connect: {e}"),
        problems: vec![format!("could not connect: {e}")],
        trace: None,
    }
}

/// splitmix64: small, seedable, and good enough for garbage bytes.
pub(crate) struct Rng(u64);

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
    use super::*;

    #[test]
    fn another_implementation_may_alert_or_close_and_may_renegotiate() {
        let relaxed = Expected::Close.for_any_implementation();
        match &relaxed {
            Expected::FatalAlertOrClose { any_of } => {
                assert!(any_of.contains(&50) && any_of.contains(&10), "{any_of:?}")
            }
            other => panic!("{other:?}"),
        }
        match (Expected::FatalAlert { any_of: vec![70] }).for_any_implementation() {
            Expected::FatalAlertOrClose { any_of } => assert!(any_of.contains(&70)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Expected::RenegotiationRefused.for_any_implementation(),
            Expected::RenegotiationHandled
        );
        assert_eq!(
            Expected::ServerSurvives.for_any_implementation(),
            Expected::ServerSurvives
        );
    }
}
