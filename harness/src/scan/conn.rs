//! One traced client handshake per probe, against the scanned server.
//!
//! Every probe builds its own `SSL_CTX`: groups and signature algorithms
//! can only be set per context, and a fresh context keeps one probe's
//! session cache and options out of the next. Connections are bounded by
//! a counting semaphore (`--jobs`), and each has a connect, a read and a
//! whole-handshake time-out.

use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openssl::ssl::{
    Ssl, SslContextBuilder, SslMethod, SslMode, SslOptions, SslVerifyMode, StatusType,
};
use openssl::x509::X509;
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::error_chain::Chain;

use crate::ffi::SavedSession;

pub use super::attempt::{Attempt, ClientRenegotiation, ProbeRecord};
use super::facts::Hello;
pub use super::offer::Offer;
use super::LocalFiles;
use crate::case::Version;
use crate::ffi::socket_tls::{SocketTls, Stop};
use crate::hostile::fingerprint::{exchange_flight, Answer};
use crate::library::Library;
use crate::starttls::{self, StartTls};

mod error;
mod slots;
mod tickets;
use error::{ConnectError, ProbeSetupError};
use slots::Slots;

/// Where to connect and what to call the server.
#[derive(Debug, Clone)]
pub struct Target {
    /// HOST as given (brackets removed).
    pub host: String,
    /// Its resolved addresses.
    pub addrs: Vec<SocketAddr>,
    /// The SNI name, when there is one.
    pub servername: Option<String>,
    /// Every connection is asked to switch to TLS first, in this protocol.
    pub starttls: Option<StartTls>,
    /// The host name that exchange gives (`--name`).
    pub starttls_name: Option<String>,
}

/// The time-outs every probe runs under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Opening the TCP connection.
    pub connect: Duration,
    /// Each read and write.
    pub io: Duration,
    /// The whole handshake.
    pub handshake: Duration,
}

/// Makes probes and keeps their traces.
pub struct Prober {
    target: Target,
    limits: Limits,
    library: Library,
    files: Arc<LocalFiles>,
    raw_bytes: bool,
    slots: Slots,
    connections: AtomicUsize,
    /// Connections that reached TLS: with `--starttls`, those the server
    /// switched; without, all of them.
    reached_tls: AtomicUsize,
    /// Connections whose STARTTLS exchange ran out of time.
    starttls_timed_out: AtomicUsize,
    records: Mutex<BTreeMap<String, ProbeRecord>>,
}

impl Prober {
    /// A prober allowing `jobs` connections at once, its trust anchors
    /// and client certificate from `files`.
    pub fn new(
        target: Target,
        limits: Limits,
        library: Library,
        files: Arc<LocalFiles>,
        jobs: usize,
    ) -> Self {
        Prober {
            target,
            limits,
            library,
            files,
            raw_bytes: false,
            slots: Slots::new(jobs.max(1)),
            connections: AtomicUsize::new(0),
            reached_tls: AtomicUsize::new(0),
            starttls_timed_out: AtomicUsize::new(0),
            records: Mutex::new(BTreeMap::new()),
        }
    }

    /// Keeps each traced message's bytes (`--raw-bytes`); the findings
    /// need only the decoded bodies.
    pub fn keep_raw_bytes(mut self, on: bool) -> Self {
        self.raw_bytes = on;
        self
    }

    /// The linked OpenSSL's versions and suites.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The scanned server.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The trust anchors and client certificate the scan read.
    pub fn files(&self) -> &LocalFiles {
        &self.files
    }

    /// TCP connections opened so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    /// Connections that reached TLS (with `--starttls`, that the server
    /// switched to it) so far.
    pub fn reached_tls(&self) -> usize {
        self.reached_tls.load(Ordering::Relaxed)
    }

    /// Connections whose STARTTLS exchange ran out of time.
    pub fn starttls_timed_out(&self) -> usize {
        self.starttls_timed_out.load(Ordering::Relaxed)
    }

    /// Every probe made, by id.
    pub fn into_records(self) -> BTreeMap<String, ProbeRecord> {
        self.records.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one traced handshake and records it under `id`. A probe the
    /// server does not answer, or whose connection ends before a byte
    /// comes back, is made once more: a server or a middlebox may drop or
    /// stall one connection of many (a rate limit, a full backlog), which
    /// says nothing about the offer.
    pub fn run(&self, id: &str, offer: &Offer, resume: Option<&SavedSession>) -> Attempt {
        let _slot = self.slots.take();
        let started = Instant::now();
        let once = || match self.handshake(id, offer, resume) {
            Ok(a) => a,
            Err(error) => Attempt::failed(id, Chain(&error).to_string()),
        };
        let mut attempt = once();
        let retried_after = attempt.retry();
        if retried_after.is_some() {
            attempt = once();
        }
        if attempt.diagnosis.is_none() {
            attempt.diagnosis = attempt.hello.trace.as_ref().and_then(|t| t.diagnosis());
        }
        if let (Some(protocol), Some(d)) = (self.target.starttls, attempt.diagnosis.as_mut()) {
            starttls::after_go_ahead(d, protocol, attempt.hello.trace.as_ref());
        }
        let record = ProbeRecord {
            offer: offer.describe(resume.is_some()),
            error: attempt.refusal(),
            diagnosis: attempt.diagnosis.clone(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
            trace: attempt.hello.trace.clone(),
            unanswered: attempt.unanswered.clone(),
            retried_after,
        };
        if let Ok(mut records) = self.records.lock() {
            records.insert(id.to_owned(), record);
        }
        attempt
    }

    /// Sends `record`, a ClientHello written byte by byte for what the
    /// linked OpenSSL cannot offer, reads the first answer (and after a
    /// ServerHello below TLS 1.3 the rest of its flight, each message
    /// whole) and records it under `id` with `offer` saying what was sent
    /// (no trace: OpenSSL took no part). No answer, or a connection closed
    /// without one, is tried once more, as in [`Prober::run`].
    pub fn raw(&self, id: &str, offer: &str, record: &[u8]) -> (Answer, Vec<Vec<u8>>) {
        let (answer, flight, _) = self.raw_then(id, offer, record, |_, _, _| ());
        (answer, flight)
    }

    /// [`Prober::raw`], then, on a connection whose answer was a
    /// ServerHello below TLS 1.3, `after` with that answer, the stream and
    /// the end of one more read's wait: what the probe does next on the
    /// connection.
    pub fn raw_then<T>(
        &self,
        id: &str,
        offer: &str,
        record: &[u8],
        after: impl Fn(&Answer, &mut TcpStream, Instant) -> T,
    ) -> (Answer, Vec<Vec<u8>>, Option<T>) {
        let _slot = self.slots.take();
        let started = Instant::now();
        let once = || match self.connect() {
            Ok((mut s, deadline)) => {
                // The answer to a hello is one wait.
                let wait = (Instant::now() + self.limits.io).min(deadline);
                let (answer, flight) = exchange_flight(&mut s, record, wait);
                // Its own wait: a flight that came late in the
                // handshake's time must not leave none to answer in.
                let older =
                    matches!(answer, Answer::ServerHello { version, .. } if version < 0x0304);
                let next = older.then(|| after(&answer, &mut s, Instant::now() + self.limits.io));
                (answer, flight, next, None)
            }
            Err(e) => {
                let reason = e.answer_reason();
                let diagnosis = e.diagnosis(self.limits.connect);
                (Answer::NoConnection { reason }, Vec::new(), None, diagnosis)
            }
        };
        let unanswered = |a: &Answer| matches!(a, Answer::NoAnswer | Answer::NoConnection { .. });
        let (mut answer, mut flight, mut next, mut diagnosis) = once();
        let retried_after =
            (unanswered(&answer) || answer == Answer::Closed).then(|| answer.describe());
        if retried_after.is_some() {
            (answer, flight, next, diagnosis) = once();
        }
        let record = ProbeRecord {
            offer: offer.to_owned(),
            // Worded as the version rows word it.
            error: (!matches!(answer, Answer::ServerHello { .. }))
                .then(|| super::own_hello::not_a_hello(&answer).1),
            // Only a connection never made or switched: a hello written
            // here has no trace for the rest.
            diagnosis,
            elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
            trace: None,
            unanswered: unanswered(&answer).then(|| answer.describe()),
            retried_after,
        };
        if let Ok(mut records) = self.records.lock() {
            records.insert(id.to_owned(), record);
        }
        (answer, flight, next)
    }

    /// The probes so far that got no TLS answer, even on a retry, and why.
    pub fn unanswered(&self) -> BTreeMap<String, String> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records
            .iter()
            .filter_map(|(id, r)| Some((id.clone(), r.unanswered.clone()?)))
            .collect()
    }

    /// Why the probe recorded under `id` was made once more, if it was.
    pub fn retried_after(&self, id: &str) -> Option<String> {
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        records.get(id)?.retried_after.clone()
    }

    fn context(&self, offer: &Offer) -> Result<SslContextBuilder, ProbeSetupError> {
        let e = |what: &str, source: openssl::error::ErrorStack| ProbeSetupError::Setting {
            what: what.to_owned(),
            source,
        };
        let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(|x| e("context", x))?;
        b.trace_handshakes(
            TraceOptions::default()
                .messages(true)
                .raw_bytes(self.raw_bytes),
        )
        .map_err(ProbeSetupError::Trace)?;
        if offer.no_ticket {
            b.set_options(SslOptions::NO_TICKET);
        }
        if offer.fallback_scsv {
            b.set_mode(SslMode::SEND_FALLBACK_SCSV);
        }
        b.set_min_proto_version(offer.min.map(Version::to_ssl))
            .map_err(|x| e("min version", x))?;
        b.set_max_proto_version(offer.max.map(Version::to_ssl))
            .map_err(|x| e("max version", x))?;
        // A scanner must reach servers that OpenSSL 3 would refuse: old
        // versions, SHA-1 signatures, small keys, no RFC 5746. One probe
        // keeps the defaults, to see what a client with them would.
        if !offer.openssl_defaults {
            b.set_security_level(0);
            b.set_options(SslOptions::from_bits_retain(
                openssl_sys::SSL_OP_LEGACY_SERVER_CONNECT,
            ));
            let list = offer
                .cipher_list
                .as_deref()
                .unwrap_or("ALL:COMPLEMENTOFALL");
            b.set_cipher_list(&format!("{list}:@SECLEVEL=0"))
                .map_err(|x| e("cipher list", x))?;
            // OpenSSL's default TLS 1.3 list leaves out the CCM suites, so a
            // server that allows only those would read as refusing TLS 1.3.
            let suites = match &offer.ciphersuites {
                Some(s) => s.clone(),
                None => super::offer::every_tls13_suite(&self.library),
            };
            b.set_ciphersuites(&suites)
                .map_err(|x| e("ciphersuites", x))?;
        }
        // OpenSSL's default list leaves out the brainpool curves and
        // secp256k1, so a server of only those would read as refusing
        // every version; they follow its defaults, which keep the key
        // share.
        let every_group;
        let groups = match &offer.groups {
            Some(g) => Some(g),
            None if !offer.openssl_defaults => {
                every_group = super::offer::every_group(&self.library);
                Some(&every_group)
            }
            None => None,
        };
        if let Some(g) = groups {
            b.set_groups_list(g).map_err(|x| e("groups", x))?;
        }
        if let Some(s) = &offer.sigalgs {
            b.set_sigalgs_list(s).map_err(|x| e("sigalgs", x))?;
        }
        if !offer.alpn.is_empty() {
            let mut wire = Vec::new();
            for p in &offer.alpn {
                wire.push(
                    u8::try_from(p.len()).map_err(|_| ProbeSetupError::AlpnTooLong(p.clone()))?,
                );
                wire.extend_from_slice(p.as_bytes());
            }
            b.set_alpn_protos(&wire).map_err(|x| e("alpn", x))?;
        }
        self.files
            .present_client(&mut b)
            .map_err(|x| e("client certificate", x))?;
        // Verification is recorded, never enforced: a scan wants to see
        // what comes after a bad certificate too.
        b.set_verify(SslVerifyMode::NONE);
        if offer.verify {
            self.files
                .trust(&mut b)
                .map_err(|x| e("trust anchors", x))?;
        }
        Ok(b)
    }

    fn handshake(
        &self,
        id: &str,
        offer: &Offer,
        resume: Option<&SavedSession>,
    ) -> Result<Attempt, ProbeSetupError> {
        // A session is offered only on the context that made it
        // (SSL_set_session(3)); the resuming offer differs from the first
        // only in how long it reads afterwards.
        let ctx = match resume {
            Some(saved) => saved.context().clone(),
            None => self.context(offer)?.build(),
        };
        let mut ssl = Ssl::new(&ctx)?;
        let sni = match &offer.sni {
            Some(s) => s.clone(),
            None => self.target.servername.clone(),
        };
        if let Some(name) = crate::probe::sni_name(sni.as_deref()) {
            ssl.set_hostname(name)?;
        }
        if offer.verify {
            let host = self.target.servername.as_ref().unwrap_or(&self.target.host);
            let param = ssl.param_mut();
            match crate::probe::as_ip(host) {
                Some(ip) => param.set_ip(ip),
                None => param.set_host(host),
            }?;
        }
        if let Some(s) = resume {
            s.offer(&mut ssl)?;
        }
        if offer.ocsp {
            ssl.set_status_type(StatusType::OCSP)?;
        }
        let (stream, deadline) = match self.connect() {
            Ok(s) => s,
            Err(e) => {
                return Ok(Attempt {
                    diagnosis: e.diagnosis(self.limits.connect),
                    ..Attempt::unreached(id, Chain(&e).to_string())
                })
            }
        };
        let mut s = SocketTls::new(ssl, stream, self.limits.io, deadline, None)?;
        let lib = &self.library;
        let started = Instant::now();
        match s.connect() {
            Ok(()) => {
                // A TLS 1.3 server that asked for a certificate gives its
                // verdict on the client's (none, or --cert) after the
                // client's Finished: a fatal alert, or its tickets.
                let verdict_due =
                    crate::probe::verdict_comes_later(openssl_handshake::trace(s.ssl()).as_ref());
                let after = tickets::After {
                    verdict: verdict_due,
                    tickets: offer.wait_tickets,
                };
                let waited = tickets::await_after(&mut s, after, started.elapsed(), self.limits.io);
                let ticket_wait = waited.filter(|_| offer.wait_tickets);
                let renegotiation = offer.renegotiate.then(|| {
                    s.set_deadline(Instant::now() + self.limits.handshake);
                    match s.renegotiate() {
                        Ok(()) => ClientRenegotiation::Accepted,
                        Err(Stop::TimedOut) => ClientRenegotiation::NoAnswer(format!(
                            "no answer to the renegotiation's ClientHello within {:?}",
                            self.limits.io.min(self.limits.handshake)
                        )),
                        Err(stop) => ClientRenegotiation::Refused(
                            last_alert_received(openssl_handshake::trace(s.ssl()).as_ref())
                                .unwrap_or_else(|| io::Error::from(stop).to_string()),
                        ),
                    }
                });
                let trace = openssl_handshake::trace(s.ssl());
                let rejected_after_handshake = verdict_due
                    .then(|| fatal_alert_after_handshake(trace.as_ref()))
                    .flatten();
                let chain = chain_of(s.ssl());
                let session = SavedSession::of(s.ssl());
                let negotiated = trace.as_ref().and_then(|t| t.negotiated.clone());
                // The ticket wait's deadline has passed: without a new one
                // the close_notify is never written, and a server that
                // sees the connection end without it drops the session
                // from its cache (`s_server -no_ticket`'s stateful TLS 1.3
                // tickets read as no resumption at all).
                s.set_deadline(Instant::now() + self.limits.io);
                s.shutdown();
                Ok(Attempt {
                    id: id.to_owned(),
                    ok: true,
                    hello: Hello::read(trace, lib),
                    negotiated,
                    error: None,
                    diagnosis: None,
                    session,
                    chain,
                    ocsp_staple: crate::ocsp::stapled(s.ssl()),
                    unanswered: None,
                    closed_silently: false,
                    rejected_after_handshake,
                    renegotiation,
                    ticket_wait,
                })
            }
            Err(stop) => {
                let trace = openssl_handshake::trace(s.ssl());
                let timed_out = stop == Stop::TimedOut;
                let failure = trace
                    .as_ref()
                    .and_then(|t| t.failure().map(|f| f.to_string()));
                // Which limit ended it: a silent peer meets the wait for
                // each read, a trickling one the whole handshake's.
                let limit = if Instant::now() >= deadline {
                    format!(
                        "the handshake took longer than {:?} (--handshake-timeout)",
                        self.limits.handshake
                    )
                } else {
                    format!(
                        "no answer within {:?} (--timeout; the handshake may take {:?})",
                        self.limits.io, self.limits.handshake
                    )
                };
                let (error, diagnosis) = match (timed_out, failure) {
                    (true, _) => {
                        let after = trace
                            .as_ref()
                            .and_then(|t| t.states().last())
                            .map(|s| format!(", after \"{}\"", s.long))
                            .unwrap_or_default();
                        let d = openssl_handshake::Diagnosis::timed_out(trace.as_ref(), &limit);
                        (format!("time-out: {limit}{after}"), Some(d))
                    }
                    (false, Some(f)) => (f, None),
                    (false, None) => (io::Error::from(stop).to_string(), None),
                };
                let hello = Hello::read(trace, lib);
                // Stalled after its ServerHello, the server still answered
                // what most probes ask: which version and suite it takes.
                let unanswered = (timed_out && hello.version.is_none()).then(|| error.clone());
                let closed_silently = !timed_out && s.bytes_received() == 0;
                Ok(Attempt {
                    id: id.to_owned(),
                    ok: false,
                    hello,
                    negotiated: None,
                    error: Some(error),
                    diagnosis,
                    session: None,
                    chain: chain_of(s.ssl()),
                    // A server that refuses after its first flight (a
                    // client certificate it wanted) stapled all the same.
                    ocsp_staple: crate::ocsp::stapled(s.ssl()),
                    unanswered,
                    closed_silently,
                    rejected_after_handshake: None,
                    renegotiation: None,
                    ticket_wait: None,
                })
            }
        }
    }

    /// A connection to the target, switched to TLS first with `--starttls`,
    /// and the handshake's deadline, which the switch counts toward (as
    /// probe's does): every probe, OpenSSL's and the scan's own hellos,
    /// connects here.
    fn connect(&self) -> Result<(TcpStream, Instant), ConnectError> {
        let mut last = ConnectError::NoAddress(self.target.host.clone());
        for a in &self.target.addrs {
            match TcpStream::connect_timeout(a, self.limits.connect) {
                Ok(s) => {
                    self.connections.fetch_add(1, Ordering::Relaxed);
                    let deadline = Instant::now() + self.limits.handshake;
                    let upgraded = self.upgrade(s, deadline)?;
                    self.reached_tls.fetch_add(1, Ordering::Relaxed);
                    return Ok((upgraded, deadline));
                }
                Err(source) => last = ConnectError::Connect { addr: *a, source },
            }
        }
        Err(last)
    }

    fn upgrade(&self, mut s: TcpStream, deadline: Instant) -> Result<TcpStream, ConnectError> {
        let Some(protocol) = self.target.starttls else {
            return Ok(s);
        };
        s.set_read_timeout(Some(self.limits.io))
            .and_then(|()| s.set_write_timeout(Some(self.limits.io)))
            .map_err(ConnectError::Timeouts)?;
        let domain = self
            .target
            .servername
            .as_deref()
            .unwrap_or(&self.target.host);
        let name = self.target.starttls_name.as_deref();
        starttls::upgrade(&mut s, protocol, domain, name, deadline).map_err(|source| {
            if matches!(source, starttls::StartTlsError::TimedOut { .. }) {
                self.starttls_timed_out.fetch_add(1, Ordering::Relaxed);
            }
            ConnectError::StartTls {
                protocol: protocol.name(),
                source,
            }
        })?;
        Ok(s)
    }
}

/// The first fatal alert the server sent after the handshake was done.
fn fatal_alert_after_handshake(trace: Option<&openssl_handshake::HandshakeTrace>) -> Option<u8> {
    crate::probe::after_handshake(trace?)
        .iter()
        .find_map(|e| match &e.kind {
            openssl_handshake::EventKind::Alert(a)
                if a.direction == openssl_handshake::Direction::Read
                    && a.level == openssl_handshake::AlertLevel::Fatal =>
            {
                Some(a.description)
            }
            _ => None,
        })
}

/// The last alert the server sent, as "warning alert no_renegotiation (100)".
fn last_alert_received(trace: Option<&openssl_handshake::HandshakeTrace>) -> Option<String> {
    trace?
        .alerts()
        .filter(|a| a.direction == openssl_handshake::Direction::Read)
        .last()
        .map(|a| a.to_string())
}

fn chain_of(ssl: &openssl::ssl::SslRef) -> Vec<X509> {
    ssl.peer_cert_chain()
        .map(|s| s.iter().map(|c| c.to_owned()).collect())
        .unwrap_or_default()
}
