//! `tls-harness serve --listen ADDR`: a tracing server, like
//! `openssl s_server -state`, printing each connection's trace.
//!
//! Connections are served at once by a fixed pool of worker threads, one
//! connection per worker, at most [`ServeOptions::max_connections`]; a
//! connection beyond that is closed as soon as it is accepted. Each
//! connection has its own [`Limits`], so a slow or hostile client holds one
//! worker for a bounded time and never delays the others. Only the
//! accepting thread prints: a connection's trace, whole, when it ends.

pub mod connection;
mod pool;
mod warnings;
mod www;

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::ssl::{SslContextBuilder, SslMethod, SslVerifyMode};
use openssl::stack::Stack;
use openssl_handshake::{Diagnosis, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

pub use connection::{refusal, Closed, Conduct, ConnectionReport, Limits};
use pool::Pool;

use crate::case::Role;
use crate::early_data::EarlyData;
use crate::error::HarnessError;
use crate::pcap::{self, PcapFile};
use crate::probe::{diagnosis_block, summary, TraceFormat};
use crate::settings::Secs;
use crate::settings::TlsSettings;

/// What the server authenticates with.
#[derive(Debug, Clone)]
pub enum ServerIdentity {
    /// A generated test PKI leaf of this type; the PKI is written to a
    /// temporary directory so that clients can find the root.
    Generated(KeyType),
    /// Versions, suites and the certificate chain and key from files
    /// are all in [`TlsSettings`]; this is a marker for that case.
    Files,
}

/// What `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on, e.g. 127.0.0.1:4433 (port 0 picks one).
    pub listen: String,
    /// The server's certificate.
    pub identity: ServerIdentity,
    /// Require client certificates that verify against this CA file.
    pub verify_client: Option<PathBuf>,
    /// Versions, suites, groups, ALPN, seclevel, key log.
    pub tls: TlsSettings,
    /// Stop after the first connection.
    pub once: bool,
    /// How to print each trace.
    pub format: TraceFormat,
    /// Limit for each read and write on a connection.
    pub timeout: Duration,
    /// Limit for a whole handshake, from accept.
    pub handshake_timeout: Duration,
    /// Limit for a whole connection, from accept.
    pub connection_timeout: Duration,
    /// Most connections served at once, each on its own worker thread;
    /// one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Stop when no client has connected for this long; with `once`, an
    /// error.
    pub accept_timeout: Option<Duration>,
    /// Append each connection's bytes and keys here as pcapng.
    pub pcap: Option<PathBuf>,
    /// Answer an HTTP request after the handshake with the connection's
    /// trace, as `s_server -www` answers with its session.
    pub www: bool,
    /// Take TLS 1.3 early data, as `s_server -early_data` does: tickets
    /// allow 16384 bytes, and each connection reads what comes early
    /// before finishing its handshake.
    pub early_data: bool,
}

/// What `serve` tells its caller besides the traces.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notice<'a> {
    /// Bound and about to accept; `root` is the generated PKI's root CA.
    Listening {
        /// The bound address.
        addr: SocketAddr,
        /// The root CA file, when the PKI was generated.
        root: Option<&'a Path>,
    },
    /// Before listening: the configuration lets no client complete a
    /// handshake, and why.
    Warning(String),
    /// A connection was closed at accept: the limit was reached. Told
    /// only in the formats of OpenSSL's lines alone, as [`Notice::Failed`].
    Refused {
        /// The client.
        peer: SocketAddr,
        /// Connections open at the time.
        open: usize,
    },
    /// A connection with `--early-data` finished its handshake, printed in
    /// a format of OpenSSL's lines alone, as [`Notice::Failed`].
    EarlyData {
        /// The client.
        peer: SocketAddr,
        /// What came early and what became of it.
        early: &'a EarlyData,
    },
    /// A connection's `--pcap` capture was cut at its size limit: what
    /// was left out, said in every format, as probe's note is.
    Note {
        /// The client.
        peer: SocketAddr,
        /// What was left out.
        note: &'a str,
    },
    /// A connection failed, printed in a format of OpenSSL's lines alone
    /// (`state`, `msg`), which have no room for why.
    Failed {
        /// The client.
        peer: SocketAddr,
        /// What ended it.
        error: Option<String>,
        /// Its diagnosis, when the trace has one.
        diagnosis: Option<&'a Diagnosis>,
    },
}

/// The early data a ticket allows with `--early-data`: one record's worth,
/// as `s_server -early_data` allows.
const MAX_EARLY_DATA: u32 = 16 * 1024;

/// How often the accept loop looks for a new connection while idle.
const POLL: Duration = Duration::from_millis(5);
/// How often a failing accept is reported while it keeps failing.
const ACCEPT_WARNING_EVERY: Duration = Duration::from_secs(10);

/// Runs the server. `notify` hears the bound address (and the root CA
/// file, when the PKI was generated) before the first accept, and every
/// refused connection; each connection's trace goes to `out` when it
/// ends. With `once`, returns after one connection; else at the accept
/// time-out. `Ok(true)` when every connection served succeeded (with
/// `once`, when there was one): its handshake did, and no fatal alert
/// ended it after.
pub fn serve(
    opts: &ServeOptions,
    out: &mut dyn Write,
    notify: &mut dyn FnMut(Notice<'_>),
) -> Result<bool, HarnessError> {
    if opts.max_connections == 0 {
        return Err(HarnessError::Usage(
            "--max-connections must be at least 1".into(),
        ));
    }
    // Bound first, before the test PKI is generated (a second or so): an
    // address in use or mistyped is told at once. The form first: a bare
    // port is a usage mistake, not a lookup failure.
    let well_formed = opts
        .listen
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !well_formed {
        return Err(HarnessError::Usage(format!(
            "--listen {:?}: give ADDRESS:PORT, e.g. 127.0.0.1:4433, 0.0.0.0:4433 (every \
             address) or [::]:4433; port 0 takes a free one",
            opts.listen
        )));
    }
    // A host name in --listen is looked up within the I/O time-out, as a
    // probe's target is, rather than for as long as the resolver takes.
    let listener = crate::resolve::addresses(&opts.listen, opts.timeout)
        .and_then(|addrs| TcpListener::bind(&addrs[..]))
        .map_err(|e| HarnessError::Io {
            what: format!("listening on {}", opts.listen),
            source: e,
        })?;
    let addr = listener.local_addr().map_err(|e| HarnessError::Io {
        what: "reading the bound address".into(),
        source: e,
    })?;
    // Polled, so that the accept wait has a time-out and finished
    // connections are printed while no client arrives.
    listener
        .set_nonblocking(true)
        .map_err(|e| HarnessError::Io {
            what: format!("setting up {addr}"),
            source: e,
        })?;
    let mut b = SslContextBuilder::new(SslMethod::tls_server())?;
    b.trace_handshakes(TraceOptions::default().messages(true))?;
    opts.tls.apply(&mut b, Role::Server)?;
    let pcap = match &opts.pcap {
        Some(path) => {
            pcap::keys_into_captures(&mut b, opts.tls.keylog_sink()?)?;
            let file = PcapFile::append_to(path)
                .map_err(|e| HarnessError::option_file("--pcap", path, e))?;
            Some(Arc::new(file))
        }
        None => None,
    };
    // Kept alive while serving: the generated PKI's files live in it.
    let mut _pki_dir = None;
    let mut root = None;
    let mut generated_chain = None;
    if let ServerIdentity::Generated(k) = opts.identity {
        let pki = Pki::generate()?;
        pki.server(k).install(&mut b)?;
        generated_chain = Some(pki.server(k).chain.clone());
        // Removed also when a signal ends the program: it holds keys.
        let dir =
            crate::interrupt::TempDir::create(tempfile::Builder::new().prefix("tls-harness-serve"))
                .map_err(|e| HarnessError::writing(std::env::temp_dir(), e))?;
        let files = dir.fill(|path| pki.write_pem(path))?;
        root = Some(files.root.clone());
        _pki_dir = Some(dir);
    }
    if let Some(ca) = &opts.verify_client {
        // Read once: the file may be a pipe.
        let cas = crate::settings::pem_certificates(
            "--verify-client",
            ca,
            "a PEM file of CA certificates",
            "CA file",
        )?;
        // The CertificateRequest names these CAs, as `s_server -Verify 1
        // -CAfile` does: a client holding several certificates picks by them.
        let mut names = Stack::new()?;
        for c in cas {
            names.push(c.subject_name().to_owned()?)?;
            b.cert_store_mut().add_cert(c)?;
        }
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        b.set_client_ca_list(names);
        b.set_session_id_context(b"tls-harness serve")?;
    }
    if opts.early_data {
        // What `s_server -early_data` allows.
        b.set_max_early_data(MAX_EARLY_DATA)?;
    }
    let ctx = b.build();
    let chain = warnings::chain_of(opts, generated_chain.as_deref());
    let warned = warnings::serving_nobody(opts, ctx.security_level(), &chain);
    for why in warned.into_iter().chain(warnings::www_unreadable(opts)) {
        notify(Notice::Warning(why));
    }

    notify(Notice::Listening {
        addr,
        root: root.as_deref(),
    });

    let limits = Limits {
        io: opts.timeout,
        handshake: opts.handshake_timeout,
        connection: opts.connection_timeout,
    };
    let workers = if opts.once { 1 } else { opts.max_connections };
    let conduct = Conduct {
        www: opts.www,
        early_data: opts.early_data,
        alpn: opts.tls.alpn.clone(),
    };
    let mut pool = Pool::start(workers, &ctx, limits, pcap, conduct);
    let mut last_accept = Instant::now();
    let mut accept_warned: Option<Instant> = None;
    let mut served = Served::default();
    let accepting = loop {
        // Reports first: a connection that has ended frees its worker
        // before the next accept.
        while let Some(r) = pool.finished(Duration::ZERO) {
            served.add(&r);
            report_ended(out, notify, &r, opts.format)?;
        }
        match listener.accept() {
            Ok((tcp, peer)) => {
                last_accept = Instant::now();
                if !pool.try_serve(tcp, peer) {
                    // Said once: on stdout where the format has room for it.
                    if matches!(opts.format, TraceFormat::State | TraceFormat::Msg) {
                        notify(Notice::Refused {
                            peer,
                            open: opts.max_connections,
                        });
                    }
                    print_report(
                        out,
                        &ConnectionReport::refused(peer, opts.max_connections),
                        opts.format,
                    )?;
                } else if opts.once {
                    break Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if let Some(limit) = opts.accept_timeout.filter(|l| last_accept.elapsed() >= *l) {
                    break Err(limit);
                }
                // The idle wait: a finished connection ends it early.
                if let Some(r) = pool.finished(POLL) {
                    served.add(&r);
                    report_ended(out, notify, &r, opts.format)?;
                }
            }
            // A connection reset before it was accepted is the client's
            // business; no descriptor left (EMFILE, ENFILE) is the
            // operator's, said once a burst. The server keeps going.
            Err(e) => {
                if e.kind() != io::ErrorKind::ConnectionAborted
                    && accept_warned.is_none_or(|t| t.elapsed() >= ACCEPT_WARNING_EVERY)
                {
                    // EMFILE and ENFILE (Linux's numbers): this process's or
                    // the system's descriptors.
                    let hint = if matches!(e.raw_os_error(), Some(24 | 23)) {
                        " (raise `ulimit -n` or lower --max-connections)"
                    } else {
                        ""
                    };
                    crate::stderr!(
                        "tls-harness serve: cannot accept a connection: {e}; clients wait in \
                         the backlog{hint}"
                    );
                    accept_warned = Some(Instant::now());
                }
                std::thread::sleep(POLL);
            }
        }
    };
    drop(listener);
    // Connections still open end within their own deadline.
    let drain_limit = opts.connection_timeout + opts.timeout + Duration::from_secs(1);
    let drain_end = Instant::now() + drain_limit;
    while pool.open() > 0 {
        let left = drain_end.saturating_duration_since(Instant::now());
        match pool.finished(left) {
            Some(r) => {
                served.add(&r);
                report_ended(out, notify, &r, opts.format)?;
            }
            None => {
                return Err(HarnessError::Io {
                    what: "waiting for the open connections to end".into(),
                    source: io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("still open after {}", Secs(drain_limit)),
                    ),
                })
            }
        }
    }
    match accepting {
        Ok(()) => Ok(served.any && !served.failed),
        Err(limit) if opts.once => Err(HarnessError::NoClient {
            what: format!("waiting for a client on {addr}"),
            source: io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no client connected within {} (--accept-timeout)",
                    Secs(limit)
                ),
            ),
        }),
        Err(_) => Ok(!served.failed),
    }
}

/// The connections served so far (refusals at --max-connections are not
/// served): whether there was one, and whether one failed.
#[derive(Default)]
struct Served {
    any: bool,
    failed: bool,
}

impl Served {
    fn add(&mut self, r: &ConnectionReport) {
        self.any = true;
        self.failed |= !r.connection_ok();
    }
}

/// Prints a connection that ended, and tells `notify` why it failed
/// where the format has no room for it.
fn report_ended(
    out: &mut dyn Write,
    notify: &mut dyn FnMut(Notice<'_>),
    report: &ConnectionReport,
    format: TraceFormat,
) -> Result<(), HarnessError> {
    print_report(out, report, format)?;
    if let Some(note) = &report.pcap_note {
        notify(Notice::Note {
            peer: report.peer,
            note,
        });
    }
    let lines_only = matches!(format, TraceFormat::State | TraceFormat::Msg);
    if let (true, Some(early)) = (lines_only, &report.early_data) {
        notify(Notice::EarlyData {
            peer: report.peer,
            early,
        });
    }
    if lines_only && !report.connection_ok() {
        notify(Notice::Failed {
            peer: report.peer,
            error: report.failure(),
            diagnosis: report.diagnosis.as_ref(),
        });
    }
    Ok(())
}

fn print_report(
    out: &mut dyn Write,
    report: &ConnectionReport,
    format: TraceFormat,
) -> Result<(), HarnessError> {
    let text = match (format, &report.trace) {
        (TraceFormat::Json, _) => report.json_line(),
        (TraceFormat::Summary, Some(t)) => format!(
            "{} peer={}\n{}{}{}{}",
            summary(t).trim_end(),
            report.peer,
            report
                .ended_by()
                .map(|e| format!("server: {e}\n"))
                .unwrap_or_default(),
            report
                .closed_at_limit()
                .map(|c| format!("server: connection closed {c}\n"))
                .unwrap_or_default(),
            report
                .early_data
                .as_ref()
                .map(EarlyData::summary_line)
                .unwrap_or_default(),
            diagnosis_block(report.diagnosis.as_ref())
        ),
        (TraceFormat::Summary, None) => format!(
            "server: {} peer={}\n",
            report.error.as_deref().unwrap_or("no trace"),
            report.peer
        ),
        (_, Some(t)) => format.render(t),
        // Refused at accept: the notice said so; s_server would print
        // nothing either.
        (_, None)
            if report
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("refused")) =>
        {
            String::new()
        }
        (_, None) => "no trace was recorded for this connection\n".to_string(),
    };
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| HarnessError::Io {
            what: "writing the trace".into(),
            source: e,
        })
}
