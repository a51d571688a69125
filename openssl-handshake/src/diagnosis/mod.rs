//! [`Diagnosis`]: why a handshake failed, in plain words, with the
//! evidence it rests on and the fix.
//!
//! A diagnosis is derived from the trace alone: the decoded hellos and
//! certificates, the alerts each way, OpenSSL's reason and verify result,
//! and this end's own configuration ([`LocalConfig`]), which the recorder
//! reads from the `SSL` when the handshake fails. Each family of causes
//! has its own file; [`diagnose`] asks them in order, from the most
//! specific evidence (a verify error, a named alert) to the least.

mod cert_policy;
mod certificate;
mod client_auth;
mod decoded;
mod early_data;
mod facts;
mod key_exchange;
mod legacy_signatures;
mod local;
mod message;
mod names;
mod negotiation;
mod record;
mod renegotiation;
mod retired;
mod schemes;
mod stapling;
mod suite_version;
mod timeout;
mod transport;
mod unconnected;
mod unoffered;
mod validity;
mod version;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use local::{LocalCertificate, LocalCipher, LocalConfig};

use crate::event::Side;
use crate::trace::HandshakeTrace;
pub(crate) use facts::alert;
use facts::{alert_text, Facts};

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Diagnosis {
    /// The cause, with a stable machine name.
    pub cause: Cause,
    /// What happened, in plain words.
    pub summary: String,
    /// The recorded facts the diagnosis rests on.
    pub evidence: Vec<Evidence>,
    /// The side whose configuration has to change, where that can be told.
    pub fault: Fault,
    /// What to change, in one sentence.
    pub fix: String,
}

/// The cause of a failed handshake. New causes may be added; match with a
/// wildcard arm, or use [`Cause::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// The two ends allow no protocol version in common.
    NoSharedVersion,
    /// The two ends allow no cipher suite in common.
    NoSharedCipher,
    /// The two ends allow no key-exchange group in common.
    NoSharedGroup,
    /// The client accepts no signature scheme (or certificate type) the
    /// server's certificate can provide.
    NoSharedSignatureScheme,
    /// The server refused the ClientHello with a handshake_failure alert;
    /// from the client's side, which part it could not accept is unknown.
    HelloRefused,
    /// The server requires a client certificate and the client sent none.
    ClientCertRequired,
    /// The server rejected the client's certificate.
    ClientCertRejected,
    /// The server's certificate has expired.
    ServerCertExpired,
    /// The server's certificate is not valid yet.
    ServerCertNotYetValid,
    /// The server's certificate does not name the host the client wanted.
    ServerCertWrongHost,
    /// The server's chain ends at a root the client does not trust.
    ServerCertUntrustedRoot,
    /// The server sent its leaf without the intermediate that issued it.
    ServerCertMissingIntermediate,
    /// The server's certificate is self-signed.
    ServerCertSelfSigned,
    /// A certificate of the server's chain has a key, or a signature
    /// digest, weaker than the client's security level allows.
    ServerCertWeak,
    /// The server's certificate is not for identifying a TLS server: its
    /// key usage or extended key usage rules that out.
    ServerCertWrongPurpose,
    /// The server chose DHE with a prime shorter than the client's
    /// security level allows.
    WeakDhParameters,
    /// The server's certificate failed verification for another reason.
    ServerCertInvalid,
    /// The server does not serve the name the client asked for (SNI).
    SniUnknown,
    /// The two ends share no application protocol (ALPN).
    AlpnMismatch,
    /// The client retried at a lower version with TLS_FALLBACK_SCSV, and
    /// the server supports a higher one.
    InappropriateFallback,
    /// The ServerHello chose a version below one the client offered, yet
    /// its random carries RFC 8446's downgrade sentinel (the server
    /// supports the higher version), so the client aborted: the
    /// ClientHello was rewritten on the way, or the server is broken.
    DowngradeDetected,
    /// No TCP connection was made: nothing listens on the port (the
    /// connection was refused). No TLS began.
    ConnectionRefused,
    /// No TCP connection was made: no route to the host, or its name does
    /// not resolve. No TLS began.
    Unreachable,
    /// The server did not switch the connection to TLS when asked in its
    /// protocol (STARTTLS): it refused, did not offer it, or did not speak
    /// the protocol. No TLS began.
    #[serde(rename = "starttls_failed")]
    StartTlsFailed,
    /// Plaintext (such as HTTP) was sent to a TLS port.
    PlaintextToTlsPort,
    /// A TLS ClientHello was sent to a port that does not speak TLS.
    TlsToPlaintextPort,
    /// The peer closed the connection mid-handshake without an alert.
    PeerClosed,
    /// A client connected and closed (or reset) the connection without
    /// sending a byte: most often a TCP health check or a port scan, not a
    /// TLS client. Apart from [`Cause::PeerClosed`] so that monitoring
    /// can set it aside; the `tracing` feature reports it at debug, not warn.
    ClosedBeforeHello,
    /// The handshake was abandoned unfinished (a time-out).
    TimedOut,
    /// The peer refused to renegotiate.
    RenegotiationRefused,
    /// The server lacks secure renegotiation (RFC 5746), which OpenSSL 3
    /// clients require.
    NoSecureRenegotiation,
    /// A message arrived that the state machine did not expect.
    UnexpectedMessage,
    /// The record layer refused a record once the handshake was under
    /// way: a version field other than the agreed one, or one that failed
    /// decryption (bad_record_mac).
    RecordRejected,
    /// A handshake message did not parse, or broke a rule of its format
    /// (decode_error, illegal_parameter).
    MalformedMessage,
    /// A Finished did not match the handshake its reader saw: the ends
    /// hashed different messages or derived different secrets.
    FinishedMismatch,
    /// The client refused the server's stapled OCSP response, or its
    /// lack of one (bad_certificate_status_response).
    CertificateStatusRefused,
    /// A signature in the handshake (ServerKeyExchange, CertificateVerify)
    /// did not verify with the key of the signer's certificate: a
    /// certificate and key that do not match, or a message altered.
    BadSignature,
    /// Nothing above fits; the evidence is the raw record. A cause name
    /// this version does not know reads back as this one.
    #[serde(other)]
    Unknown,
}

impl Cause {
    /// The stable machine name, as in JSON: "no_shared_version", ...
    pub fn name(self) -> &'static str {
        match self {
            Cause::NoSharedVersion => "no_shared_version",
            Cause::NoSharedCipher => "no_shared_cipher",
            Cause::NoSharedGroup => "no_shared_group",
            Cause::NoSharedSignatureScheme => "no_shared_signature_scheme",
            Cause::HelloRefused => "hello_refused",
            Cause::ClientCertRequired => "client_cert_required",
            Cause::ClientCertRejected => "client_cert_rejected",
            Cause::ServerCertExpired => "server_cert_expired",
            Cause::ServerCertNotYetValid => "server_cert_not_yet_valid",
            Cause::ServerCertWrongHost => "server_cert_wrong_host",
            Cause::ServerCertUntrustedRoot => "server_cert_untrusted_root",
            Cause::ServerCertMissingIntermediate => "server_cert_missing_intermediate",
            Cause::ServerCertSelfSigned => "server_cert_self_signed",
            Cause::ServerCertWeak => "server_cert_weak",
            Cause::ServerCertWrongPurpose => "server_cert_wrong_purpose",
            Cause::WeakDhParameters => "weak_dh_parameters",
            Cause::ServerCertInvalid => "server_cert_invalid",
            Cause::SniUnknown => "sni_unknown",
            Cause::AlpnMismatch => "alpn_mismatch",
            Cause::InappropriateFallback => "inappropriate_fallback",
            Cause::DowngradeDetected => "downgrade_detected",
            Cause::ConnectionRefused => "connection_refused",
            Cause::Unreachable => "unreachable",
            Cause::StartTlsFailed => "starttls_failed",
            Cause::PlaintextToTlsPort => "plaintext_to_tls_port",
            Cause::TlsToPlaintextPort => "tls_to_plaintext_port",
            Cause::PeerClosed => "peer_closed",
            Cause::ClosedBeforeHello => "closed_before_hello",
            Cause::TimedOut => "timed_out",
            Cause::RenegotiationRefused => "renegotiation_refused",
            Cause::NoSecureRenegotiation => "no_secure_renegotiation",
            Cause::UnexpectedMessage => "unexpected_message",
            Cause::RecordRejected => "record_rejected",
            Cause::MalformedMessage => "malformed_message",
            Cause::FinishedMismatch => "finished_mismatch",
            Cause::CertificateStatusRefused => "certificate_status_refused",
            Cause::BadSignature => "bad_signature",
            Cause::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One recorded fact: where it was found and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Evidence {
    /// Where in the trace: "ClientHello.supported_versions",
    /// "alert received", "OpenSSL reason", "local.min_version", ...
    pub source: String,
    /// What it holds, as text.
    pub value: String,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.value)
    }
}

/// Which side has to change its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Fault {
    /// The client.
    Client,
    /// The server.
    Server,
    /// Either, or it cannot be told from this side.
    Unknown,
}

impl Fault {
    /// The fault of `side`.
    pub(crate) fn of(side: Side) -> Fault {
        match side {
            Side::Client => Fault::Client,
            Side::Server => Fault::Server,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::Client => "client",
            Fault::Server => "server",
            Fault::Unknown => "unknown",
        })
    }
}

impl Diagnosis {
    pub(crate) fn new(
        cause: Cause,
        fault: Fault,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Diagnosis {
        Diagnosis {
            cause,
            summary: summary.into(),
            evidence: Vec::new(),
            fault,
            fix: fix.into(),
        }
    }

    /// Adds one piece of evidence.
    pub(crate) fn with(mut self, source: &str, value: impl fmt::Display) -> Diagnosis {
        self.evidence.push(Evidence {
            source: source.to_owned(),
            value: value.to_string(),
        });
        self
    }

    /// Adds a piece of evidence when there is one.
    pub(crate) fn with_some(self, source: &str, value: Option<impl fmt::Display>) -> Diagnosis {
        match value {
            Some(v) => self.with(source, v),
            None => self,
        }
    }

    /// The diagnosis of a connection that broke after its handshake
    /// succeeded in a way only the code reading or writing it saw: `error`
    /// is what the read or write returned (a reset, a broken pipe). The
    /// trace records the handshake's success and nothing after it, so only
    /// the caller can say so. (A fatal alert, or an end of file OpenSSL
    /// answered, is in the trace, whose own diagnosis names it.)
    pub fn lost_after_handshake(trace: &HandshakeTrace, error: &str) -> Diagnosis {
        let (them, peer) = match trace.side {
            crate::Side::Client => ("the server", Fault::Server),
            crate::Side::Server => ("the client", Fault::Client),
        };
        let how = if error.to_ascii_lowercase().contains("reset") {
            "reset the connection (TCP RST)"
        } else {
            "ended the connection"
        };
        let state = trace
            .states()
            .last()
            .map_or_else(String::new, |s| s.long.to_string());
        Diagnosis::new(
            Cause::PeerClosed,
            peer,
            format!("{them} {how} without an alert after the handshake completed"),
            format!(
                "The handshake worked: look in {them}'s own log for why it hung up (a crash, an \
                 idle or connection limit, a filter); a reset often comes from a firewall or \
                 load balancer in between."
            ),
        )
        .with("how it ended", error)
        .with("last state", state)
        .with_some("last message", trace.last_message_text())
    }
}

/// Several lines: the cause and summary, the fault and fix, then each
/// piece of evidence.
impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.cause, self.summary)?;
        writeln!(f, "fault: {}", self.fault)?;
        write!(f, "fix: {}", self.fix)?;
        for e in &self.evidence {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

/// The diagnosis of `trace`: `None` when the handshake did not fail and
/// no fatal alert or refused renegotiation was recorded.
pub(crate) fn diagnose(trace: &HandshakeTrace) -> Option<Diagnosis> {
    let f = Facts::of(trace)?;
    // A connection that failed after its handshake: what the handshake
    // agreed (versions, suites, groups, the server's certificate) is not in
    // question, only the records, messages and alerts that came later; a
    // TLS 1.3 client learns there that the server refused its certificate.
    let after: [fn(&Facts<'_>) -> Option<Diagnosis>; 8] = [
        transport::diagnose,
        renegotiation::diagnose,
        client_auth::diagnose,
        early_data::diagnose,
        record::diagnose,
        transport::diagnose_late,
        message::diagnose_late,
        decoded::diagnose,
    ];
    if f.after_handshake {
        return after
            .iter()
            .find_map(|family| family(&f))
            .or_else(|| Some(unknown(&f)));
    }
    let families: [fn(&Facts<'_>) -> Option<Diagnosis>; 18] = [
        transport::diagnose,
        renegotiation::diagnose,
        early_data::diagnose,
        stapling::diagnose,
        // OpenSSL calls it a bad extension, but the extension parses.
        names::unoffered_alpn,
        // A group or signature scheme never offered, before OpenSSL's
        // other reading of the same reasons.
        unoffered::diagnose,
        // Nor is a ServerKeyExchange signed on an unoffered curve malformed.
        key_exchange::unoffered_certificate_curve,
        message::diagnose,
        version::diagnose,
        certificate::diagnose,
        client_auth::diagnose,
        key_exchange::diagnose,
        negotiation::diagnose,
        record::diagnose,
        transport::diagnose_late,
        certificate::diagnose_late,
        message::diagnose_late,
        decoded::diagnose,
    ];
    families
        .iter()
        .find_map(|family| family(&f))
        .or_else(|| Some(unknown(&f)))
}

/// Nothing fits: the raw record of the failure.
fn unknown(f: &Facts<'_>) -> Diagnosis {
    // internal_error says the sender failed on its own, "unrelated to the
    // peer or the correctness of the protocol" (RFC 8446 section 6.2).
    if let Some(a) = f
        .received
        .filter(|a| a.description == facts::alert::INTERNAL_ERROR)
    {
        let them = f.them();
        return Diagnosis::new(
            Cause::Unknown,
            f.peer_fault(),
            format!(
                "{them} ended the handshake after \"{}\" with internal_error: a failure of its \
                 own, which TLS says is unrelated to this end or the protocol (RFC 8446 section \
                 6.2), so only its log names it",
                f.state()
            ),
            format!(
                "Read {them}'s log for the error it hit at this point ({}).",
                alert_text(a)
            ),
        )
        .with_raw(f);
    }
    Diagnosis::new(
        Cause::Unknown,
        Fault::Unknown,
        format!(
            "the handshake failed after \"{}\" for a reason this library does not recognise",
            f.state()
        ),
        "Read the evidence below, or rerun with `openssl s_client -state -msg` against the same peer.",
    )
    .with_raw(f)
}

impl Diagnosis {
    /// Adds what every failure records: reason, alerts, state, last
    /// message and verify result.
    pub(crate) fn with_raw(self, f: &Facts<'_>) -> Diagnosis {
        self.with_some("OpenSSL reason", f.reason_text())
            .with_some("alert sent", f.sent.map(alert_text))
            .with_some("alert received", f.received.map(alert_text))
            .with("last state", f.state())
            .with_some("last message", f.last_message())
            .with_some(
                "verify result",
                f.verify.map(|v| format!("{} ({})", v.code, v.text)),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_json_names() {
        for cause in [
            Cause::NoSharedVersion,
            Cause::ServerCertMissingIntermediate,
            Cause::PlaintextToTlsPort,
            Cause::Unknown,
        ] {
            let json = serde_json::to_string(&cause).expect("serializes");
            assert_eq!(json, format!("\"{}\"", cause.name()));
        }
        let later: Cause = serde_json::from_str("\"a_cause_from_a_later_version\"")
            .expect("an unknown name reads back");
        assert_eq!(later, Cause::Unknown);
    }

    /// A reset after a handshake that succeeded is the peer's hang-up,
    /// named as a reset; another error is named as an end.
    #[test]
    fn a_connection_lost_after_the_handshake_is_the_peers_hang_up() {
        let trace = HandshakeTrace::new(crate::Side::Client);
        let reset = "Connection reset by peer (os error 104)";
        let d = Diagnosis::lost_after_handshake(&trace, reset);
        assert_eq!((d.cause, d.fault), (Cause::PeerClosed, Fault::Server));
        assert!(d
            .summary
            .starts_with("the server reset the connection (TCP RST)"));
        assert!(d
            .evidence
            .iter()
            .any(|e| e.source == "how it ended" && e.value == reset));
        let trace = HandshakeTrace::new(crate::Side::Server);
        let d = Diagnosis::lost_after_handshake(&trace, "Broken pipe (os error 32)");
        assert_eq!(d.fault, Fault::Client);
        assert!(d.summary.starts_with("the client ended the connection"));
    }
}
