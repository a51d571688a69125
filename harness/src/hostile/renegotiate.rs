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

use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl_handshake::{
    AlertLevel, Direction, HandshakeTrace, SslContextBuilderExt, TraceOptions,
};

use super::judge::outcome_text_all_alerts;
use super::suite::{Observed, Spec, Suite};
use super::wire;
use super::{CaseResult, Expected, TracedServer};
use crate::ffi;

/// no_renegotiation (RFC 5246 section 7.2.2).
const NO_RENEGOTIATION: u8 = 100;

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
        format!(
            "{reply}; {client}; after {:.2}s",
            self.elapsed.as_secs_f64()
        )
    }
}

/// Handshakes with TLS 1.2 at `addr`, asks for a renegotiation and drives
/// it. `Err` says why the request could not be made at all.
pub(crate) fn request(addr: SocketAddr, timeout: Duration) -> Result<Renegotiation, String> {
    let start = Instant::now();
    let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    b.set_verify(SslVerifyMode::NONE);
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .and_then(|_| b.set_max_proto_version(Some(SslVersion::TLS1_2)))
        .map_err(|e| e.to_string())?;
    b.trace_handshakes(TraceOptions::default())
        .map_err(|e| e.to_string())?;
    let ctx = b.build();
    let tcp = wire::connect(addr, timeout).map_err(|e| format!("connect: {e}"))?;
    let local = tcp.local_addr().ok();
    let ssl = Ssl::new(&ctx).map_err(|e| e.to_string())?;
    let mut tls = ssl
        .connect(wire::Deadlined::new(tcp, timeout))
        .map_err(|e| {
            let why = super::suite::handshake_error(e, timeout);
            format!("the TLS 1.2 handshake failed: {why}")
        })?;
    ffi::renegotiate(&mut tls).map_err(|e| format!("SSL_renegotiate refused: {e}"))?;
    // Deadlined bounds the whole exchange, not only each read.
    let result = tls.do_handshake().map_err(|e| e.to_string());
    let trace = openssl_handshake::trace(tls.ssl());
    Ok(Renegotiation {
        local,
        trace,
        result,
        elapsed: start.elapsed(),
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
              handshake_failure",
    };
    s.case(spec, |s, expected| {
        let timeout = s.opts.timeout;
        let r = match request(s.addr, timeout) {
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
