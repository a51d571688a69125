//! Why a probe failed: the failure as the command reports it, worked out
//! from the trace, the verify result and how the connection stopped.

use std::fmt;
use std::time::Duration;

use openssl::ssl::SslRef;
use openssl_handshake::decode::HandshakeType;
use openssl_handshake::{AlertLevel, Diagnosis, Direction, HandshakeTrace};

use crate::case::{alert, Role};
use crate::ffi::socket_tls::Stop;
use crate::starttls::{StartTls, StartTlsError};

/// Why a probe failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeFailure {
    /// Nothing listens there.
    Refused(String),
    /// No route to the host or its network.
    Unreachable(String),
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
    /// The handshake completed, then a fatal alert ended the connection:
    /// how a TLS 1.3 server rejects the client's certificate. (A fatal
    /// alert of this client's own answering the server's close is
    /// [`ProbeFailure::ClosedAfterHandshake`].)
    AlertAfterHandshake {
        /// Who sent it.
        from: Role,
        /// Its description.
        description: u8,
    },
    /// The handshake completed, then the server closed the connection
    /// without close_notify, which OpenSSL answers with a decode_error of
    /// its own (a truncation; many servers close so).
    ClosedAfterHandshake {
        /// The alert this client sent for it.
        description: u8,
    },
    /// The handshake completed, then reading the connection failed
    /// without an alert: the server, or something in between, reset or
    /// broke it.
    LostAfterHandshake(String),
    /// The server did not switch to TLS when asked (`--starttls`).
    StartTls {
        /// The protocol it was asked in.
        protocol: StartTls,
        /// Why not.
        error: StartTlsError,
    },
    /// The server accepted the connection and reset it before any TLS:
    /// what the connect returned, worded.
    ResetAtConnect(String),
    /// This client's own settings allow no handshake (OpenSSL's reason:
    /// no version or no suite it may use), found before its ClientHello:
    /// a local configuration error, not the server's answer.
    Unusable(String),
    /// Anything else, in OpenSSL's words.
    Other(String),
}

/// OpenSSL's reasons for a client that cannot write a ClientHello with
/// its own settings.
const UNUSABLE: [&str; 2] = ["no protocols available", "no ciphers available"];

impl ProbeFailure {
    /// The failure with its text changed by `f`, for the failures that are
    /// text (those a connect meets); any other is returned as it is.
    pub(super) fn map_message(self, f: impl FnOnce(String) -> String) -> Self {
        match self {
            ProbeFailure::Refused(m) => ProbeFailure::Refused(f(m)),
            ProbeFailure::Unreachable(m) => ProbeFailure::Unreachable(f(m)),
            ProbeFailure::TimedOut(m) => ProbeFailure::TimedOut(f(m)),
            ProbeFailure::ResetAtConnect(m) => ProbeFailure::ResetAtConnect(f(m)),
            ProbeFailure::Other(m) => ProbeFailure::Other(f(m)),
            other => other,
        }
    }
}

impl ProbeFailure {
    /// The diagnosis of a failure met before any TLS began, which has no
    /// trace to diagnose: a connection refused, unreachable, reset at
    /// once or not made in time, or not switched to TLS by STARTTLS.
    /// `None` for the failures a trace diagnoses.
    pub(crate) fn before_tls(&self) -> Option<Diagnosis> {
        match self {
            ProbeFailure::Refused(what) => Some(Diagnosis::connection_refused(what)),
            ProbeFailure::Unreachable(what) => Some(Diagnosis::unreachable(what)),
            ProbeFailure::ResetAtConnect(error) => Some(Diagnosis::reset_at_connect(error)),
            // Reset before the server said a word: as a reset meeting the
            // connect is diagnosed, whatever the exchange.
            ProbeFailure::StartTls { error, .. } if error.reset_at_accept() => {
                Some(Diagnosis::reset_at_connect(&self.to_string()))
            }
            ProbeFailure::StartTls { protocol, error } => Some(Diagnosis::starttls_failed(
                protocol.name(),
                &error.to_string(),
            )),
            _ => None,
        }
    }
}

impl fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeFailure::Refused(m) => write!(f, "connection refused: {m}"),
            ProbeFailure::Unreachable(m) => write!(f, "unreachable: {m}"),
            ProbeFailure::TimedOut(m) => write!(f, "time-out: {m}"),
            ProbeFailure::Verify { code, text } => write!(f, "verify error {code}: {text}"),
            ProbeFailure::Alert { from, description } => write!(
                f,
                "alert: the {from} sent fatal alert {} ({description})",
                alert::name(*description)
            ),
            // This client refusing what the server sent later (a record
            // that does not decrypt) is not the server rejecting it.
            ProbeFailure::AlertAfterHandshake {
                from: Role::Client,
                description,
            } => write!(
                f,
                "failed after the handshake: this client sent fatal alert {} ({description}), \
                 refusing what the server sent",
                alert::name(*description)
            ),
            ProbeFailure::AlertAfterHandshake { from, description } => {
                write!(
                    f,
                    "rejected after the handshake: the {from} sent fatal alert {} ({description})",
                    alert::name(*description)
                )?;
                if *from == Role::Server && *description == alert::CERTIFICATE_REQUIRED {
                    write!(
                        f,
                        "; the server requires a client certificate and this client sent none \
                         it could use (--cert, --key)"
                    )?;
                }
                Ok(())
            }
            ProbeFailure::ClosedAfterHandshake { description } => write!(
                f,
                "closed after the handshake: the server closed the connection without \
                 close_notify, and this client answered with fatal alert {} ({description}), as \
                 OpenSSL does to a truncation",
                alert::name(*description)
            ),
            ProbeFailure::LostAfterHandshake(m) => {
                write!(f, "connection lost after the handshake: {m}")
            }
            ProbeFailure::StartTls { protocol, error } => {
                write!(f, "STARTTLS ({}): {error}", protocol.name())
            }
            ProbeFailure::Unusable(m) => write!(
                f,
                "local configuration: {m}: this client's settings allow no handshake, so it \
                 sent no ClientHello"
            ),
            ProbeFailure::ResetAtConnect(m) | ProbeFailure::Other(m) => {
                write!(f, "handshake failed: {m}")
            }
        }
    }
}

pub(super) fn handshake_failure(
    ssl: &SslRef,
    stop: Stop,
    timeout: Duration,
    bytes_in: u64,
) -> (Option<HandshakeTrace>, ProbeFailure) {
    let trace = openssl_handshake::trace(ssl);
    let verify = ssl.verify_result();
    let alert = |a: Option<&openssl_handshake::Alert>| a.map(|a| a.description);
    // The server's verdict is its fatal alert; a warning before it (an
    // unrecognized_name, say) ended nothing.
    let received = alert(trace.as_ref().and_then(|t| {
        t.alerts()
            .find(|a| a.direction == Direction::Read && a.level == AlertLevel::Fatal)
    }));
    let sent = alert(trace.as_ref().and_then(|t| t.alert_sent()));
    // OpenSSL's reason as the trace holds it, not the raw error-queue line
    // with its codes and source file.
    let reason = trace
        .as_ref()
        .and_then(|t| t.failure())
        .map(|f| f.reason.clone())
        .filter(|r| !r.is_empty());
    let failure = match (stop, received, sent, reason) {
        (Stop::TimedOut, ..) => ProbeFailure::TimedOut(crate::stall::stalled(
            Role::Server,
            trace.as_ref(),
            timeout,
            bytes_in,
        )),
        _ if verify.as_raw() != 0 => ProbeFailure::Verify {
            code: verify.as_raw(),
            text: verify.error_string().to_string(),
        },
        (_, Some(description), ..) => ProbeFailure::Alert {
            from: Role::Server,
            description,
        },
        // Its alert (protocol_version) says so only to the server.
        (_, _, _, Some(reason))
            if UNUSABLE.contains(&reason.as_str()) && !trace.as_ref().is_some_and(wrote_hello) =>
        {
            ProbeFailure::Unusable(reason)
        }
        // OpenSSL's own decode_error for it never reached the server.
        (Stop::Eof, ..) => {
            ProbeFailure::Other("the server closed the connection (end of file)".into())
        }
        (_, _, Some(description), _) => ProbeFailure::Alert {
            from: Role::Client,
            description,
        },
        (_, _, _, Some(reason)) => ProbeFailure::Other(reason),
        (Stop::Failed(e), ..) => ProbeFailure::Other(e),
        (Stop::CloseNotify, ..) => {
            ProbeFailure::Other("the server closed the connection with close_notify".into())
        }
    };
    (trace, failure)
}

/// Whether the trace shows this client's ClientHello written.
pub(crate) fn wrote_hello(trace: &HandshakeTrace) -> bool {
    trace.messages().any(|m| {
        m.direction == Direction::Write && m.handshake_type == Some(HandshakeType::CLIENT_HELLO)
    })
}
