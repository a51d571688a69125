//! `tls-harness probe HOST:PORT`: one traced client handshake against any
//! server, like `openssl s_client -connect HOST:PORT -state -msg`.

use std::fmt;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use openssl::ssl::{HandshakeError, Ssl, SslContextBuilder, SslMethod, SslVerifyMode};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};

use crate::case::{alert, Role};
use crate::error::HarnessError;
use crate::session::SavedSession;
use crate::settings::TlsSettings;

/// How `probe` and `serve` print a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// Exactly the `-state` lines of `openssl s_client`/`s_server`.
    State,
    /// The message log, like `-msg`.
    Msg,
    /// The trace as JSON.
    Json,
    /// A few lines: what was negotiated, or why it failed.
    Summary,
}

impl FromStr for TraceFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "state" => Ok(TraceFormat::State),
            "msg" => Ok(TraceFormat::Msg),
            "json" => Ok(TraceFormat::Json),
            "summary" => Ok(TraceFormat::Summary),
            other => Err(format!(
                "unknown trace format {other:?}; use state, msg, json or summary"
            )),
        }
    }
}

impl TraceFormat {
    /// Renders `trace` in this format.
    pub fn render(self, trace: &HandshakeTrace) -> String {
        match self {
            TraceFormat::State => trace.state_log(),
            TraceFormat::Msg => trace.message_log(),
            TraceFormat::Json => {
                let mut s = trace.to_json();
                if !s.ends_with('\n') {
                    s.push('\n');
                }
                s
            }
            TraceFormat::Summary => summary(trace),
        }
    }
}

/// What `probe` needs.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// `HOST:PORT`.
    pub target: String,
    /// SNI and the name to verify; defaults to HOST when it is a name.
    pub servername: Option<String>,
    /// Versions, suites, groups, ALPN, client certificate, key log.
    pub tls: TlsSettings,
    /// Trust anchors; `None` is the system trust.
    pub cafile: Option<PathBuf>,
    /// Make a second connection after the first.
    pub reconnect: bool,
    /// Limit for connecting and for each read and write.
    pub timeout: Duration,
}

/// Why a probe failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeFailure {
    /// Nothing listens there.
    Refused(String),
    /// The server did not answer in time.
    TimedOut(String),
    /// The certificate did not verify.
    Verify {
        /// `X509_V_ERR_*`.
        code: i32,
        /// OpenSSL's text for it.
        text: String,
    },
    /// A fatal alert ended the handshake.
    Alert {
        /// Who sent it.
        from: Role,
        /// Its description.
        description: u8,
    },
    /// Anything else, in OpenSSL's words.
    Other(String),
}

impl fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeFailure::Refused(m) => write!(f, "connection refused: {m}"),
            ProbeFailure::TimedOut(m) => write!(f, "time-out: {m}"),
            ProbeFailure::Verify { code, text } => write!(f, "verify error {code}: {text}"),
            ProbeFailure::Alert { from, description } => write!(
                f,
                "alert: the {from} sent fatal alert {} ({description})",
                alert::name(*description)
            ),
            ProbeFailure::Other(m) => write!(f, "handshake failed: {m}"),
        }
    }
}

/// The result of a probe: a trace per connection, and the failure if any.
#[derive(Debug, Clone)]
pub struct ProbeOutcome {
    /// One trace per connection made.
    pub traces: Vec<HandshakeTrace>,
    /// Why it failed, when it did.
    pub failure: Option<ProbeFailure>,
    /// Notes for the user, such as why `--reconnect` did not resume.
    pub notes: Vec<String>,
}

/// Connects to the target and traces the handshake(s).
pub fn probe(opts: &ProbeOptions) -> Result<ProbeOutcome, HarnessError> {
    let (host, addrs) = resolve(&opts.target)?;
    let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
    b.trace_handshakes(TraceOptions::default().messages(true))
        .map_err(|e| HarnessError::Trace(e.to_string()))?;
    opts.tls.apply(&mut b, Role::Client)?;
    TlsSettings::verify_with(&mut b, opts.cafile.as_ref(), SslVerifyMode::PEER)?;
    let ctx = b.build();

    let name = opts
        .servername
        .clone()
        .or_else(|| host.parse::<IpAddr>().is_err().then(|| host.clone()));
    let mut out = ProbeOutcome {
        traces: Vec::new(),
        failure: None,
        notes: Vec::new(),
    };
    let rounds = if opts.reconnect { 2 } else { 1 };
    let mut session: Option<SavedSession> = None;
    for round in 0..rounds {
        let stream = match connect(&addrs, opts.timeout) {
            Ok(s) => s,
            Err(f) => {
                out.failure = Some(f);
                break;
            }
        };
        let mut ssl = Ssl::new(&ctx)?;
        if let Some(n) = &name {
            ssl.set_hostname(n)?;
            ssl.param_mut().set_host(n)?;
        } else if let Ok(ip) = host.parse::<IpAddr>() {
            ssl.param_mut().set_ip(ip)?;
        }
        if let Some(saved) = &session {
            saved.offer(&mut ssl)?;
        }
        match ssl.connect(stream) {
            Ok(mut s) => {
                if opts.reconnect && round == 0 {
                    // TLS 1.3 tickets follow the handshake: one bounded
                    // peek lets OpenSSL read them before the session is
                    // saved for the second connection.
                    let _ = s
                        .get_ref()
                        .set_read_timeout(Some(TICKET_WAIT.min(opts.timeout)));
                    let _ = s.ssl_peek(&mut [0u8; 1]);
                    session = SavedSession::of(s.ssl());
                }
                if round == 1 {
                    let resumed = openssl_handshake::trace(s.ssl())
                        .and_then(|t| t.negotiated)
                        .is_some_and(|n| n.resumed.is_some());
                    if !resumed {
                        out.notes.push(
                            "--reconnect: the server did not resume the session; the second \
                             connection was a full handshake"
                                .into(),
                        );
                    }
                }
                out.traces.extend(openssl_handshake::trace(s.ssl()));
                // As s_client does at end of input: close politely, without
                // reading post-handshake messages.
                let _ = s.shutdown();
            }
            Err(e) => {
                let (trace, failure) = handshake_failure(e);
                out.traces.extend(trace);
                out.failure = Some(failure);
                break;
            }
        }
    }
    Ok(out)
}

/// How long `--reconnect` waits for TLS 1.3 tickets after the handshake.
const TICKET_WAIT: Duration = Duration::from_millis(500);

fn resolve(target: &str) -> Result<(String, Vec<SocketAddr>), HarnessError> {
    let (host, _) = target.rsplit_once(':').ok_or_else(|| {
        HarnessError::Usage(format!(
            "{target:?} is not HOST:PORT (e.g. example.com:443 or 127.0.0.1:4433)"
        ))
    })?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let addrs: Vec<SocketAddr> = target
        .to_socket_addrs()
        .map_err(|e| HarnessError::Io {
            what: format!("resolving {target}"),
            source: e,
        })?
        .collect();
    Ok((host, addrs))
}

fn connect(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, ProbeFailure> {
    let mut last = ProbeFailure::Refused("no address to connect to".into());
    for a in addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => {
                let set = s
                    .set_read_timeout(Some(timeout))
                    .and_then(|_| s.set_write_timeout(Some(timeout)));
                return match set {
                    Ok(()) => Ok(s),
                    Err(e) => Err(ProbeFailure::Other(e.to_string())),
                };
            }
            Err(e) => {
                last = match e.kind() {
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                        ProbeFailure::TimedOut(format!(
                            "connecting to {a} took longer than {:?}",
                            timeout
                        ))
                    }
                    std::io::ErrorKind::ConnectionRefused => {
                        ProbeFailure::Refused(format!("nothing listens on {a}"))
                    }
                    _ => ProbeFailure::Other(format!("connecting to {a}: {e}")),
                }
            }
        }
    }
    Err(last)
}

fn handshake_failure(e: HandshakeError<TcpStream>) -> (Option<HandshakeTrace>, ProbeFailure) {
    match e {
        HandshakeError::SetupFailure(s) => (None, ProbeFailure::Other(s.to_string())),
        HandshakeError::WouldBlock(mid) => (
            openssl_handshake::trace(mid.ssl()),
            ProbeFailure::TimedOut("the server stopped answering during the handshake".into()),
        ),
        HandshakeError::Failure(mid) => {
            let trace = openssl_handshake::trace(mid.ssl());
            let verify = mid.ssl().verify_result();
            let failure = if verify.as_raw() != 0 {
                ProbeFailure::Verify {
                    code: verify.as_raw(),
                    text: verify.error_string().to_string(),
                }
            } else if let Some(a) = trace.as_ref().and_then(|t| t.alert_received()) {
                ProbeFailure::Alert {
                    from: Role::Server,
                    description: a.description,
                }
            } else if let Some(a) = trace.as_ref().and_then(|t| t.alert_sent()) {
                ProbeFailure::Alert {
                    from: Role::Client,
                    description: a.description,
                }
            } else if mid.error().io_error().is_some_and(|io| {
                matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                )
            }) {
                ProbeFailure::TimedOut("the server stopped answering during the handshake".into())
            } else {
                ProbeFailure::Other(mid.error().to_string())
            };
            (trace, failure)
        }
    }
}

/// A few lines on what a trace negotiated, or how it failed.
pub fn summary(t: &HandshakeTrace) -> String {
    let mut s = String::new();
    let side = match t.side {
        openssl_handshake::Side::Client => "client",
        openssl_handshake::Side::Server => "server",
    };
    if let Some(n) = &t.negotiated {
        s += &format!("{side}: {} {}", n.version, n.cipher_openssl);
        if let Some(g) = &n.group {
            s += &format!(" group={g}");
        }
        if let Some(sig) = &n.peer_signature {
            s += &format!(" peer-signature={sig}");
        }
        if let Some(a) = &n.alpn {
            s += &format!(" alpn={a}");
        }
        if let Some(sni) = &n.sni {
            s += &format!(" sni={sni}");
        }
        if let Some(r) = &n.resumed {
            s += &format!(" resumed={r:?}");
        }
        s += &format!(" verify={} ({})", n.verify.code, n.verify.text);
    } else if let Some(f) = t.failure() {
        s += &format!("{side}: {f}");
    } else {
        s += &format!("{side}: handshake did not finish");
    }
    if let Some(d) = t.duration {
        s += &format!(" in {:.2} ms", d.as_secs_f64() * 1e3);
    }
    s.push('\n');
    s
}
