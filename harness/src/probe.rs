//! `tls-harness probe HOST:PORT`: one traced client handshake against any
//! server, like `openssl s_client -connect HOST:PORT -state -msg`,
//! including what the server sends after the handshake ([`after`]).

pub mod after;
mod connect;
mod connection;
mod failure;
mod summary;
mod target;

pub(crate) use after::after_handshake;
pub use after::{PostHandshake, ReadEnd};
use connect::connect;
pub(crate) use connect::{connect_failure, first_connecting};
pub use connection::ProbeConnection;
use failure::handshake_failure;
pub(crate) use failure::wrote_hello;
pub use failure::ProbeFailure;
pub use summary::summary;
pub use target::host_port;
pub(crate) use target::{as_ip, default_servername, resolve, sni_name, wire_name};

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode, StatusType};
use openssl_handshake::{
    Diagnosis, HandshakeTrace, ProtocolVersion, SslContextBuilderExt, TraceOptions,
};
use serde::Serialize;

use crate::case::Role;
use crate::early_data::{self, EarlyData, EarlyDataStatus};
use crate::error::HarnessError;
use crate::ffi::socket_tls::{stopped_at_limit, SocketTls, Stop};
use crate::ffi::SavedSession;
use crate::ocsp;
use crate::pcap::{self, Capture, End, PcapFile};
use crate::report::diagnosis;
use crate::settings::Secs;
use crate::settings::TlsSettings;
use crate::starttls::{self, StartTls};

/// How `probe` and `serve` print a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Exactly the `-state` lines of `openssl s_client`/`s_server`.
    State,
    /// The message log, like `-msg`.
    Msg,
    /// One JSON object per line (JSON Lines): the trace, with the peer
    /// and a timestamp where `probe` and `serve` print it.
    Json,
    /// A few lines: what was negotiated, or why it failed and the
    /// failure's diagnosis.
    Summary,
}

impl TraceFormat {
    /// Renders `trace` in this format.
    pub fn render(self, trace: &HandshakeTrace) -> String {
        match self {
            TraceFormat::State => trace.state_log(),
            TraceFormat::Msg => trace.message_log(),
            TraceFormat::Json => json_line(trace),
            TraceFormat::Summary => summary(trace) + &diagnosis_block(trace.diagnosis().as_ref()),
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
    /// Ask for the server's OCSP response (status_request).
    pub status: bool,
    /// Keep the certificates the server sent, in PEM, as `s_client
    /// -showcerts` prints them.
    pub showcerts: bool,
    /// Limit for connecting and for each read and write.
    pub timeout: Duration,
    /// Limit for each whole handshake, from the connect: a server that
    /// trickles its answer inside `timeout` still ends here.
    pub handshake_timeout: Duration,
    /// How long to keep reading after the handshake, for tickets and
    /// alerts the server sends then; zero skips it.
    pub linger: Duration,
    /// Write each connection's bytes and keys here as pcapng.
    pub pcap: Option<PathBuf>,
    /// Ask the server to switch to TLS first, in this protocol.
    pub starttls: Option<StartTls>,
    /// The host name the STARTTLS exchange gives, as s_client's `-name`
    /// (see [`starttls::upgrade`]).
    pub name: Option<String>,
    /// With `reconnect`: bytes to send as TLS 1.3 early data on the second
    /// connection, with the first one's session.
    pub early_data: Option<Vec<u8>>,
}

/// How long `probe` reads after the handshake unless told otherwise:
/// enough for a server on the same continent to answer the client's
/// Finished.
pub const DEFAULT_LINGER: Duration = Duration::from_secs(1);

/// The result of a probe: every connection made, in order.
#[derive(Debug, Clone)]
pub struct ProbeOutcome {
    /// One entry per connection (two with `--reconnect`, unless the first
    /// failed).
    pub connections: Vec<ProbeConnection>,
}

impl ProbeOutcome {
    /// The first failure, if any connection failed, with the number of
    /// its connection (from 1).
    pub fn failure(&self) -> Option<(usize, &ProbeFailure)> {
        self.connections
            .iter()
            .enumerate()
            .find_map(|(i, c)| c.failure.as_ref().map(|f| (i + 1, f)))
    }

    /// The traces, one per connection that got as far as a handshake.
    pub fn traces(&self) -> impl Iterator<Item = &HandshakeTrace> {
        self.connections.iter().filter_map(|c| c.trace.as_ref())
    }
}

/// `value` as one line of JSON, newline included.
pub(crate) fn json_line(value: &impl Serialize) -> String {
    // The lines hold strings, numbers, lists and structs with string keys,
    // which serde_json always serializes; the fallback keeps this total.
    let mut s = serde_json::to_string(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
    s.push('\n');
    s
}

/// The lines a summary adds for a diagnosis; empty without one.
pub(crate) fn diagnosis_block(d: Option<&Diagnosis>) -> String {
    d.map(|d| diagnosis::block(d, "  ")).unwrap_or_default()
}

/// A wall-clock time as RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// Connects to the target and traces the handshake(s).
pub fn probe(opts: &ProbeOptions) -> Result<ProbeOutcome, HarnessError> {
    // The command's own mistakes first: they are not the server's.
    host_port(&opts.target)?;
    let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
    b.trace_handshakes(TraceOptions::default().messages(true))?;
    opts.tls.apply(&mut b, Role::Client)?;
    TlsSettings::verify_with(
        &mut b,
        "--cafile",
        opts.cafile.as_ref(),
        SslVerifyMode::PEER,
    )?;
    let pcap = match &opts.pcap {
        Some(path) => {
            pcap::keys_into_captures(&mut b, opts.tls.keylog_sink()?)?;
            Some(
                PcapFile::append_to(path)
                    .map_err(|e| HarnessError::option_file("--pcap", path, e))?,
            )
        }
        None => None,
    };
    // A name that does not resolve is a connection that failed, reported
    // (and, with --format json, printed) as a refused one is.
    let (host, addrs) = match resolve(&opts.target, opts.timeout) {
        Ok(found) => found,
        Err(HarnessError::Unreachable { what, source }) => {
            let mut conn = ProbeConnection::new(opts.target.clone());
            conn.starttls = opts.starttls;
            let why = format!("{what}: {source}");
            if source.kind() == std::io::ErrorKind::TimedOut {
                conn.diagnosis = Some(openssl_handshake::Diagnosis::resolve_timed_out(&why));
                conn.failure = Some(ProbeFailure::TimedOut(why));
            } else {
                conn.failure = Some(ProbeFailure::Unreachable(why));
                conn.diagnose();
            }
            if let Some(file) = &pcap {
                conn.notes.push(no_packets(file));
            }
            return Ok(ProbeOutcome {
                connections: vec![conn],
            });
        }
        Err(e) => return Err(e),
    };
    let ctx = b.build();

    let name = default_servername(opts.servername.clone(), &host);
    let mut out = ProbeOutcome {
        connections: Vec::new(),
    };
    let rounds = if opts.reconnect { 2 } else { 1 };
    let mut session: Option<SavedSession> = None;
    // Why the first connection left no session to offer, when it did not.
    let mut left_nothing = None;
    // What the first connection negotiated and how many tickets it read.
    let mut first = (None, 0);
    for round in 0..rounds {
        let mut conn = ProbeConnection::new(opts.target.clone());
        conn.starttls = opts.starttls;
        let (mut stream, addr) = match connect(&addrs, opts.timeout) {
            Ok((stream, addr, dead)) => {
                conn.notes.extend(dead.iter().map(|d| {
                    format!("{d}; connected to {addr}, a later address the name resolved to")
                }));
                (stream, addr)
            }
            Err(f) => {
                conn.failure = Some(f);
                if let Some(file) = &pcap {
                    conn.notes.push(no_packets(file));
                }
                conn.diagnose();
                if let Some(ProbeFailure::TimedOut(why)) = &conn.failure {
                    conn.diagnosis = Some(openssl_handshake::Diagnosis::connect_timed_out(why));
                }
                out.connections.push(conn);
                break;
            }
        };
        conn.peer = addr.to_string();
        // The address connected to, not getpeername's, which fails once a
        // server that accepted has reset the connection: it is captured too.
        let capture = pcap
            .as_ref()
            .and_then(|_| Some(Capture::new(stream.local_addr().ok()?, addr)));
        if let (Some(file), None) = (&pcap, &capture) {
            conn.notes.push(no_packets(file));
        }
        // From the connect: a STARTTLS exchange is part of it.
        let handshake_deadline = Instant::now() + opts.handshake_timeout;
        if let Some(protocol) = opts.starttls {
            // The capture keeps the exchange, so that Wireshark sees the
            // upgrade before the TLS.
            let deadline = handshake_deadline;
            // s_client's -xmpphost defaults to the host it connects to.
            let domain = name.as_deref().unwrap_or(&host);
            let upgraded = match &capture {
                Some(c) => starttls::upgrade(
                    &mut c.record(&mut stream, End::Client),
                    protocol,
                    domain,
                    opts.name.as_deref(),
                    deadline,
                ),
                None => starttls::upgrade(
                    &mut stream,
                    protocol,
                    domain,
                    opts.name.as_deref(),
                    deadline,
                ),
            };
            if let Err(error) = upgraded {
                conn.failure = Some(ProbeFailure::StartTls { protocol, error });
                conn.diagnose();
                if let (Some(file), Some(c)) = (&pcap, &capture) {
                    file.append(c)
                        .map_err(|e| HarnessError::writing(file.path(), e))?;
                }
                out.connections.push(conn);
                break;
            }
        }
        let mut ssl = Ssl::new(&ctx)?;
        if let Some(c) = &capture {
            pcap::attach(&mut ssl, c)?;
        }
        // An address is checked as one and not sent as SNI, which allows
        // no IP literal (RFC 6066, section 3), as gnutls-cli does.
        let expected = name.as_deref().unwrap_or(host.as_str());
        match as_ip(expected) {
            Some(ip) => ssl.param_mut().set_ip(ip)?,
            None => {
                ssl.set_hostname(expected)?;
                ssl.param_mut().set_host(expected)?;
            }
        }
        if let Some(saved) = &session {
            saved.offer(&mut ssl)?;
        }
        let early = match &opts.early_data {
            Some(data) if round == 1 => {
                Some(early_bytes(data, session.as_ref(), first, &mut conn.notes))
            }
            _ => None,
        };
        if opts.status {
            ssl.set_status_type(StatusType::OCSP)?;
        }
        let recording = capture.clone().map(|c| (c, End::Client));
        let mut s = SocketTls::new(ssl, stream, opts.timeout, handshake_deadline, recording)?;
        let handshake = match early {
            Some(bytes) if !bytes.is_empty() => s.write_early_data(bytes),
            _ => Ok(()),
        };
        match handshake.and_then(|()| s.connect()) {
            Ok(()) => {
                conn.early_data = early.map(|bytes| EarlyData {
                    status: s.early_data_status(),
                    bytes: bytes.len() as u64,
                    counted_by: Role::Client,
                    failed_after: false,
                });
                // A resumption sends no certificate, so nothing to staple.
                let resumed = s.ssl().session_reused();
                conn.certificates_pem = opts.showcerts.then(|| certificates_pem(s.ssl()));
                conn.ocsp = (opts.status && !resumed)
                    .then(|| ocsp::stapled(s.ssl()).unwrap_or_else(ocsp::Staple::not_sent));
                if opts.status && resumed {
                    conn.notes.push(
                        "--status: the session was resumed, which sends no certificate and so \
                         no OCSP response"
                            .into(),
                    );
                }
                // Read what the server sends after the handshake, then
                // close as s_client does at end of input: close_notify,
                // without waiting for the server's.
                let reading = after::read_after(&mut s, opts.linger);
                s.set_deadline(Instant::now() + opts.timeout);
                s.shutdown();
                conn.trace = openssl_handshake::trace(s.ssl());
                let post = PostHandshake::new(reading, conn.trace.as_ref());
                conn.failure = post.failure();
                conn.post_handshake = Some(post);
                if let Some(e) = &mut conn.early_data {
                    e.failed_after = conn.failure.is_some();
                }
                if opts.linger.is_zero() && verdict_comes_later(conn.trace.as_ref()) {
                    conn.notes.push(
                        "--linger 0: a TLS 1.3 server's verdict on the client's certificate \
                         arrives after this client's handshake is done, so it was not read"
                            .into(),
                    );
                }
                // Saved after the reads, so a TLS 1.3 ticket is in it.
                session = SavedSession::of(s.ssl());
                if round == 0 && opts.reconnect {
                    left_nothing = conn
                        .trace
                        .as_ref()
                        .and_then(|t| after::nothing_to_resume(t, opts.linger.is_zero()));
                    first = (
                        conn.trace
                            .as_ref()
                            .and_then(|t| t.negotiated.as_ref())
                            .map(|n| n.version),
                        conn.post_handshake.as_ref().map_or(0, |p| p.tickets),
                    );
                }
                if let Some(e) = &conn.early_data {
                    early_data_note(e, resumed, &mut conn.notes);
                }
                if round == 1 {
                    let resumed = conn
                        .trace
                        .as_ref()
                        .and_then(|t| t.negotiated.as_ref())
                        .is_some_and(|n| n.resumed.is_some());
                    if let (false, Some(why)) = (resumed, left_nothing) {
                        conn.notes.push(format!(
                            "--reconnect: the first connection left no session to resume \
                             ({why}); the second connection was a full handshake"
                        ));
                    } else if !resumed {
                        conn.notes.push(
                            "--reconnect: the server did not resume the session; the second \
                             connection was a full handshake"
                                .into(),
                        );
                    }
                }
            }
            Err(stop) => {
                let late = Instant::now() >= handshake_deadline;
                // Only a wait this end refused makes the trace's own reason wrong.
                let refused_wait = stop == Stop::TimedOut;
                let received = s.bytes_received();
                let (mut trace, mut failure) =
                    handshake_failure(s.ssl(), stop, opts.timeout, received);
                // A chain the client refused is the one worth reading, and a
                // staple may have come before the failure.
                conn.certificates_pem = opts.showcerts.then(|| certificates_pem(s.ssl()));
                conn.ocsp = opts.status.then(|| ocsp::stapled(s.ssl())).flatten();
                if late {
                    failure = ProbeFailure::TimedOut(format!(
                        "the handshake did not finish within {} (--handshake-timeout)",
                        Secs(opts.handshake_timeout)
                    ));
                }
                if let (true, ProbeFailure::TimedOut(why)) = (refused_wait, &failure) {
                    stopped_at_limit(trace.as_mut(), why);
                }
                conn.trace = trace;
                conn.failure = Some(failure);
            }
        }
        conn.diagnose();
        if let (Some(protocol), Some(d)) = (opts.starttls, conn.diagnosis.as_mut()) {
            starttls::after_go_ahead(d, protocol, conn.trace.as_ref());
        }
        if let (Some(file), Some(c)) = (&pcap, &capture) {
            file.append(c)
                .map_err(|e| HarnessError::writing(file.path(), e))?;
            conn.notes.extend(c.cut_note());
        }
        let failed = conn.failure.is_some();
        out.connections.push(conn);
        if failed {
            break;
        }
    }
    Ok(out)
}

/// What to send as early data on the resumed connection: `data`, cut to
/// what the first connection's session allows, with a note when it is
/// cut or nothing can be sent. `first` is what the first connection
/// negotiated and how many tickets it read.
fn early_bytes<'a>(
    data: &'a [u8],
    session: Option<&SavedSession>,
    first: (Option<ProtocolVersion>, usize),
    notes: &mut Vec<String>,
) -> &'a [u8] {
    if data.is_empty() {
        notes.push("--early-data: the file is empty, so nothing was sent early".into());
        return data;
    }
    let allowed = session.map_or(0, SavedSession::max_early_data);
    if allowed == 0 {
        notes.push(format!(
            "--early-data: nothing was sent early: {}",
            early_data::not_sent_because(first.0, first.1)
        ));
        return &[];
    }
    let allowed = usize::try_from(allowed).unwrap_or(usize::MAX);
    if data.len() > allowed {
        notes.push(format!(
            "--early-data: the session allows {allowed} bytes of early data; the first \
             {allowed} of {} were sent",
            data.len()
        ));
    }
    &data[..data.len().min(allowed)]
}

/// Why early data that was sent did not reach the server.
fn early_data_note(e: &EarlyData, resumed: bool, notes: &mut Vec<String>) {
    if e.status != EarlyDataStatus::Rejected {
        return;
    }
    notes.push(if resumed {
        "--early-data: the server resumed the session but rejected the early data \
         (a server's own choice, e.g. by the ticket's age or its application's policy)"
            .into()
    } else {
        "--early-data: the server rejected the early data: it did not resume the session, \
         so it could not read it"
            .into()
    });
}

/// The certificates the server sent, in PEM, in the order sent; none for
/// a resumption, which sends none.
fn certificates_pem(ssl: &openssl::ssl::SslRef) -> Vec<String> {
    if ssl.session_reused() {
        return Vec::new();
    }
    ssl.peer_cert_chain()
        .map(|chain| {
            chain
                .iter()
                .filter_map(|c| c.to_pem().ok())
                .map(|pem| String::from_utf8_lossy(&pem).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A TLS 1.3 handshake in which the server asked for a certificate: its
/// answer to the one sent comes after the client's side is done.
pub(crate) fn verdict_comes_later(trace: Option<&HandshakeTrace>) -> bool {
    trace.is_some_and(|t| {
        t.negotiated
            .as_ref()
            .is_some_and(|n| n.version == openssl_handshake::ProtocolVersion::Tls1_3)
            && t.messages().any(|m| {
                m.direction == openssl_handshake::Direction::Read
                    && m.handshake_type
                        == Some(openssl_handshake::decode::HandshakeType::CERTIFICATE_REQUEST)
            })
    })
}

/// Why `--pcap`'s file has nothing of a connection: it holds the TCP
/// handshake only of a connection made, and the file is written anyway
/// (a new section, which an earlier capture in it keeps before it).
fn no_packets(file: &PcapFile) -> String {
    format!(
        "--pcap {} holds no packets of this connection: no TCP connection was made",
        file.path().display()
    )
}
