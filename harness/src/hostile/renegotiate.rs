//! The renegotiation case: a real OpenSSL TLS 1.2 client, traced,
//! completes a handshake, asks for a renegotiation (`SSL_renegotiate`,
//! through [`crate::ffi::renegotiate`]) and drives the second handshake.
//!
//! OpenSSL 3.0's client treats a warning no_renegotiation as fatal
//! (`ssl3_read_bytes`: `SSL_R_NO_RENEGOTIATION`, and it sends
//! handshake_failure itself), so whether the server would have kept the
//! connection open cannot be seen from the client. The verdict comes from
//! the traces instead: what the client's trace read from the server, and
//! for the in-process server what its own trace says it sent.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use openssl::ssl::{ErrorCode, Ssl, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl_handshake::{
    AlertLevel, Direction, HandshakeTrace, SslContextBuilderExt, TraceOptions,
};

use super::judge::outcome_text_all_alerts;
use super::suite::{connect_failed, Observed, Spec, Suite};
use super::wire;
use super::{CaseResult, Expected, TracedServer};
use crate::ffi;
use crate::settings::Secs;

/// no_renegotiation (RFC 5246 section 7.2.2).
const NO_RENEGOTIATION: u8 = 100;
/// protocol_version.
const PROTOCOL_VERSION: u8 = 70;

/// What the server answered, as the client's trace read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// A warning no_renegotiation: refused, the session kept.
    Refused,
    /// The second handshake completed.
    Renegotiated,
    /// A fatal alert with this description.
    Fatal(u8),
    /// Anything else: another alert, or no alert and no second handshake.
    Other,
}

/// One renegotiation attempt, seen from the client.
#[derive(Debug, Clone)]
pub(crate) struct Renegotiation {
    /// The client's address, to find the server-side record.
    pub local: Option<SocketAddr>,
    /// The client's trace of the whole connection.
    pub trace: Option<HandshakeTrace>,
    /// How the client's second handshake ended.
    pub result: Result<(), String>,
    pub elapsed: Duration,
    /// [`wire::Served::note`]: the server turned connections away first.
    pub retried: Option<String>,
}

impl Renegotiation {
    /// The server's answer, read off the client's trace.
    pub(crate) fn reply(&self) -> Reply {
        let Some(t) = &self.trace else {
            return Reply::Other;
        };
        let first_read = t.alerts().find(|a| a.direction == Direction::Read);
        match first_read {
            Some(a) if a.level == AlertLevel::Warning && a.description == NO_RENEGOTIATION => {
                Reply::Refused
            }
            Some(a) if a.level == AlertLevel::Fatal => Reply::Fatal(a.description),
            Some(_) => Reply::Other,
            None if self.result.is_ok() && t.handshakes >= 2 && t.succeeded() => {
                Reply::Renegotiated
            }
            None => Reply::Other,
        }
    }

    pub(crate) fn describe(&self) -> String {
        let Some(t) = &self.trace else {
            return "the client left no trace".into();
        };
        let reply = match self.reply() {
            Reply::Refused => "the client read a warning no_renegotiation(100)".to_string(),
            Reply::Renegotiated => format!(
                "the server renegotiated: {} handshakes completed in the client's trace",
                t.handshakes
            ),
            Reply::Fatal(d) => format!("the client read a fatal {}", wire::alert_name(d)),
            Reply::Other => match t.alerts().find(|a| a.direction == Direction::Read) {
                Some(a) => format!("the client read an unexpected {a}"),
                None => "the client read no alert and no second handshake".into(),
            },
        };
        let sent: Vec<String> = t
            .alerts()
            .filter(|a| a.direction == Direction::Write)
            .map(|a| format!("{a}"))
            .collect();
        let client = match (&self.result, sent.is_empty()) {
            (Ok(()), _) => "the client's second handshake succeeded".to_string(),
            (Err(e), true) => format!("the client's second handshake failed ({e})"),
            (Err(e), false) => {
                format!("the client then sent {} ({e})", sent.join(", "))
            }
        };
        let mut text = format!(
            "{reply}; {client}; after {:.2}s",
            self.elapsed.as_secs_f64()
        );
        if let Some(note) = &self.retried {
            text = format!("{text} ({note})");
        }
        text
    }
}

/// Why no renegotiation could be asked for.
#[derive(Debug)]
pub(crate) enum NoRequest {
    /// The server refused TLS 1.2 with protocol_version: it speaks only
    /// TLS 1.3, which has no renegotiation (RFC 8446).
    NoTls12(String),
    /// The server did not take the connection.
    Unserved(wire::NotServed),
    /// Anything else, in words.
    Failed(String),
}

/// How long a server that speaks first (a greeting) gets to do so before
/// the renegotiation is asked for.
const GREETING_WAIT: Duration = Duration::from_millis(250);

/// Handshakes with TLS 1.2 at `addr`, asks for a renegotiation and drives
/// it. `Err` says why the request could not be made at all.
pub(crate) fn request(addr: SocketAddr, timeout: Duration) -> Result<Renegotiation, NoRequest> {
    let start = Instant::now();
    let failed = |e: &dyn std::fmt::Display| NoRequest::Failed(e.to_string());
    let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(|e| failed(&e))?;
    b.set_verify(SslVerifyMode::NONE);
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .and_then(|_| b.set_max_proto_version(Some(SslVersion::TLS1_2)))
        .map_err(|e| failed(&e))?;
    b.trace_handshakes(TraceOptions::default())
        .map_err(|e| failed(&e))?;
    let ctx = b.build();
    let served = wire::connect_served(addr, timeout).map_err(NoRequest::Unserved)?;
    let retried = served.note();
    let tcp = served.stream;
    let local = tcp.local_addr().ok();
    let ssl = Ssl::new(&ctx).map_err(|e| failed(&e))?;
    let mut tls = ssl
        .connect(wire::Deadlined::new(tcp, timeout))
        .map_err(|e| {
            let refused_tls12 = match &e {
                openssl::ssl::HandshakeError::Failure(mid) => {
                    openssl_handshake::trace(mid.ssl())
                        .and_then(|t| t.alert_received().map(|a| a.description))
                        == Some(PROTOCOL_VERSION)
                }
                _ => false,
            };
            let why = format!(
                "the TLS 1.2 handshake failed: {}",
                wire::handshake_error(e, timeout)
            );
            if refused_tls12 {
                NoRequest::NoTls12(why)
            } else {
                NoRequest::Failed(why)
            }
        })?;
    // A server may speak first, as one serving IMAP or SMTP over TLS
    // greets its client: what it sent is read before the request, as
    // OpenSSL's client takes application data arriving inside its
    // renegotiation for an unexpected record and ends the connection.
    let per_wait = tls.get_mut().set_per_wait(GREETING_WAIT.min(timeout));
    let mut greeting = [0u8; 4096];
    while matches!(tls.ssl_read(&mut greeting), Ok(n) if n > 0) {}
    tls.get_mut().set_per_wait(per_wait);
    ffi::renegotiate(&mut tls)
        .map_err(|e| NoRequest::Failed(format!("SSL_renegotiate refused: {e}")))?;
    // Deadlined bounds the whole exchange, not only each read; its read
    // time-out passing shows as "would block", which here means silence.
    let result = tls.do_handshake().map_err(|e| match e.io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::TimedOut => io.to_string(),
        _ if e.code() == ErrorCode::WANT_READ => format!(
            "the server stopped answering during the renegotiation ({} read time-out)",
            Secs(timeout)
        ),
        _ => e.to_string(),
    });
    let trace = openssl_handshake::trace(tls.ssl());
    Ok(Renegotiation {
        local,
        trace,
        result,
        elapsed: start.elapsed(),
        retried,
    })
}

/// The case, as the suite runs it.
pub(super) fn renegotiation(s: &mut Suite) -> CaseResult {
    let spec = Spec {
        id: "renegotiation",
        sends: "after a TLS 1.2 handshake, a renegotiation by OpenSSL's own client \
                (SSL_renegotiate: a ClientHello with RFC 5746 renegotiation_info)"
            .into(),
        expected: Expected::RenegotiationRefused,
        why: "OpenSSL 3.0 disables client-initiated renegotiation by default \
              (SSL_OP_ALLOW_CLIENT_RENEGOTIATION unset): tls_process_client_hello answers a ClientHello \
              after the handshake with a warning no_renegotiation and carries on with the session \
              (RFC 5246 7.2.2); OpenSSL 3.0's client then ends the connection itself with \
              handshake_failure. Only a secure (RFC 5746) renegotiation is asked for: whether a \
              server would also take a legacy one is not seen",
    };
    s.case(spec, |s, expected| {
        let timeout = s.opts.timeout;
        let r = match request(s.addr, timeout) {
            Ok(r) => r,
            // Nothing to renegotiate: legal for a server that is not the
            // in-process OpenSSL, which speaks TLS 1.2.
            Err(NoRequest::NoTls12(why)) if *expected == Expected::RenegotiationHandled => {
                return Observed {
                    actual: format!(
                        "not applicable: the server speaks no TLS 1.2, and TLS 1.3 has no \
                         renegotiation ({why})"
                    ),
                    problems: Vec::new(),
                    trace: None,
                    not_applicable: true,
                    not_run: false,
                    unsent: false,
                }
            }
            Err(NoRequest::Unserved(e)) => return connect_failed(&e),
            Err(NoRequest::NoTls12(why) | NoRequest::Failed(why)) => {
                return Observed {
                    actual: format!("no renegotiation request was made: {why}"),
                    problems: vec![format!("could not make the renegotiation request: {why}")],
                    trace: None,
                    not_applicable: false,
                    not_run: false,
                    unsent: false,
                }
            }
        };
        let mut problems = Vec::new();
        let reply = r.reply();
        if *expected == Expected::RenegotiationHandled {
            let legal = matches!(
                reply,
                Reply::Refused | Reply::Renegotiated | Reply::Fatal(40 | NO_RENEGOTIATION)
            );
            if !legal {
                problems.push(format!(
                    "neither refused, carried out nor ended with a fatal alert: {}",
                    r.describe()
                ));
            }
        } else if reply != Reply::Refused {
            problems.push(
                "the client's trace did not read a warning no_renegotiation(100) from the server"
                    .into(),
            );
        }
        let trace = s
            .server
            .map(|server| check_server_trace(server, r.local, timeout, &mut problems));
        Observed {
            actual: r.describe(),
            problems,
            trace,
            not_applicable: false,
            not_run: false,
            unsent: false,
        }
    })
}

/// The in-process server's trace of the connection: the first handshake
/// succeeded, the refused attempt counts as a second one, the server sent
/// the warning, and it sent no fatal alert of its own (the connection was
/// ended by the client's alert, not by the server).
fn check_server_trace(
    server: &TracedServer,
    local: Option<SocketAddr>,
    wait: Duration,
    problems: &mut Vec<String>,
) -> String {
    let (rec, t) = match server.traced(local, wait, problems) {
        Ok(found) => found,
        Err(note) => return note,
    };
    if !rec.handshake_ok {
        problems.push("the first handshake is not recorded as a success".into());
    }
    // The refusal happens inside the state machine (the ClientHello is read
    // in TLS_ST_SR_CLNT_HELLO before it is refused), so OpenSSL reports a
    // second HANDSHAKE_START and DONE around it, and the trace counts the
    // attempt as a second handshake.
    if t.handshakes != 2 {
        problems.push(format!(
            "the trace counts {} handshakes, not the first one and the refused attempt",
            t.handshakes
        ));
    }
    let refused = t.alerts().any(|a| {
        a.direction == Direction::Write
            && a.level == AlertLevel::Warning
            && a.description == NO_RENEGOTIATION
    });
    if !refused {
        problems.push("the trace has no warning no_renegotiation sent".into());
    }
    if let Some(a) = t
        .alerts()
        .find(|a| a.direction == Direction::Write && a.level == AlertLevel::Fatal)
    {
        problems.push(format!(
            "the server ended the connection itself: it sent {a}"
        ));
    }
    format!(
        "{}; handshakes: {}",
        outcome_text_all_alerts(&t),
        t.handshakes
    )
}

#[cfg(test)]
mod tests {
    use openssl::ssl::SslVersion;

    use super::*;
    use crate::ffi::tests::renegotiating_server;

    /// A server with OpenSSL's defaults (client renegotiation refused)
    /// from TLS version `min` on, which writes `greeting` first.
    fn server(
        min: SslVersion,
        greeting: &'static [u8],
    ) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
        use openssl::ssl::SslAcceptor;
        let pki = testkit::pki::Pki::generate().unwrap();
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        pki.server(testkit::pki::KeyType::EcdsaP256)
            .install(&mut b)
            .unwrap();
        b.set_min_proto_version(Some(min)).unwrap();
        let acceptor = b.build();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            if let Ok(mut tls) = acceptor.accept(tcp) {
                let _ = std::io::Write::write_all(&mut tls, greeting);
                let mut buf = [0u8; 64];
                while matches!(std::io::Read::read(&mut tls, &mut buf), Ok(n) if n > 0) {}
            }
        });
        (addr, server)
    }

    /// A server that completes a TLS 1.2 handshake and then never reads
    /// again leaves the renegotiation ClientHello unanswered: the client's
    /// failure says the server went silent, not that a read would block.
    #[test]
    fn a_silent_server_is_said_to_stop_answering_the_renegotiation() {
        use openssl::ssl::SslAcceptor;
        let pki = testkit::pki::Pki::generate().unwrap();
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        pki.server(testkit::pki::KeyType::EcdsaP256)
            .install(&mut b)
            .unwrap();
        let acceptor = b.build();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let tls = acceptor.accept(tcp);
            std::thread::sleep(Duration::from_secs(3));
            drop(tls);
        });
        let r = request(addr, Duration::from_millis(500)).expect("the request is made");
        let e = r.result.expect_err("no second handshake");
        assert_eq!(
            e,
            "the server stopped answering during the renegotiation (500 ms read time-out)"
        );
    }

    /// A server that speaks first, as IMAP over TLS does, is asked only
    /// once its greeting is read: its refusal is what the client reads.
    #[test]
    fn a_greeting_is_read_before_the_request() {
        let (addr, server) = server(SslVersion::TLS1_2, b"* OK IMAP4rev1 ready\r\n");
        let r = request(addr, Duration::from_secs(5)).expect("the request is made");
        assert_eq!(r.reply(), Reply::Refused, "{}", r.describe());
        server.join().expect("server thread");
    }

    /// A server that speaks TLS 1.3 alone has nothing to renegotiate.
    #[test]
    fn a_tls13_only_server_is_told_apart() {
        let (addr, server) = server(SslVersion::TLS1_3, b"");
        match request(addr, Duration::from_secs(5)) {
            Err(NoRequest::NoTls12(why)) => assert!(why.contains("protocol version"), "{why}"),
            other => panic!("{other:?}"),
        }
        server.join().expect("server thread");
    }

    #[test]
    fn a_server_that_allows_renegotiation_is_seen_to_carry_it_out() {
        let (addr, server) = renegotiating_server(SslVersion::TLS1_2);
        let r = request(addr, Duration::from_secs(5)).expect("the request is made");
        assert_eq!(r.reply(), Reply::Renegotiated, "{}", r.describe());
        server
            .join()
            .expect("the server thread ends when the client closes");
    }
}
