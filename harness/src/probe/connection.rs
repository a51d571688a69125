//! One connection a probe made: its trace, what followed the handshake,
//! its failure and diagnosis, and how each output format shows it.

use std::time::SystemTime;

use openssl_handshake::{Diagnosis, HandshakeTrace};
use serde::Serialize;

use super::{
    diagnosis_block, json_line, rfc3339, summary, PostHandshake, ProbeFailure, TraceFormat,
};
use crate::early_data::EarlyData;
use crate::ocsp;
use crate::starttls::StartTls;

/// One connection the probe made, or tried to make.
#[derive(Debug, Clone)]
pub struct ProbeConnection {
    /// When it was opened (wall clock).
    pub started: SystemTime,
    /// The address connected to; the target as given when no connection
    /// was made.
    pub peer: String,
    /// The protocol the connection was switched to TLS from
    /// (`--starttls`), if any.
    pub starttls: Option<StartTls>,
    /// The client-side trace, taken after the close, so that it holds the
    /// tickets, alerts and close_notify that followed the handshake.
    pub trace: Option<HandshakeTrace>,
    /// What happened after the handshake, when it completed.
    pub post_handshake: Option<PostHandshake>,
    /// Why the connection failed, during the handshake or after it.
    pub failure: Option<ProbeFailure>,
    /// The failure's diagnosis: from the trace, or a time-out of the
    /// probe's own. Also set when the server ended a finished handshake
    /// with a fatal alert.
    pub diagnosis: Option<Diagnosis>,
    /// Notes for the user, such as why `--reconnect` did not resume.
    pub notes: Vec<String>,
    /// The OCSP response the server stapled, read, when `--status` asked
    /// for one: what came, or that none did once the handshake finished
    /// (a failed one may have ended before the staple was due).
    pub ocsp: Option<ocsp::Staple>,
    /// With `--showcerts`, the certificates the server sent, in PEM, in
    /// the order sent.
    pub certificates_pem: Option<Vec<String>>,
    /// With `--early-data`, on the resumed connection whose handshake
    /// finished: what was sent early and what the server made of it.
    pub early_data: Option<EarlyData>,
}

impl ProbeConnection {
    pub(super) fn new(peer: String) -> Self {
        ProbeConnection {
            started: SystemTime::now(),
            peer,
            starttls: None,
            trace: None,
            post_handshake: None,
            failure: None,
            diagnosis: None,
            notes: Vec::new(),
            ocsp: None,
            certificates_pem: None,
            early_data: None,
        }
    }

    /// Diagnoses the connection once its trace and failure are known.
    pub(super) fn diagnose(&mut self) {
        self.diagnosis = match &self.failure {
            Some(ProbeFailure::TimedOut(why)) => Some(openssl_handshake::Diagnosis::timed_out(
                self.trace.as_ref(),
                why,
            )),
            Some(
                f @ (ProbeFailure::ResetAtConnect(_)
                | ProbeFailure::Refused(_)
                | ProbeFailure::Unreachable(_)
                | ProbeFailure::StartTls { .. }),
            ) => f.before_tls(),
            Some(ProbeFailure::LostAfterHandshake(error)) => self
                .trace
                .as_ref()
                .map(|t| openssl_handshake::Diagnosis::lost_after_handshake(t, error)),
            _ => self.trace.as_ref().and_then(|t| t.diagnosis()),
        };
    }

    /// The handshake succeeded and nothing went wrong after it.
    pub fn succeeded(&self) -> bool {
        self.failure.is_none() && self.trace.as_ref().is_some_and(|t| t.succeeded())
    }

    /// The connection in `format`. JSON is one line (JSON Lines), with
    /// `number` counting connections from 1.
    pub fn render(&self, format: TraceFormat, number: usize) -> String {
        match (format, &self.trace) {
            (TraceFormat::Json, _) => self.json_line(number),
            (TraceFormat::Summary, Some(t)) => {
                let mut s = summary(t);
                if let Some(o) = &self.ocsp {
                    s += &format!("ocsp: {}\n", o.detail);
                }
                if let Some(e) = &self.early_data {
                    s += &e.summary_line();
                }
                if let Some(f) = self.failure.as_ref().filter(|_| t.succeeded()) {
                    s += &format!("client: {f}\n");
                }
                s + &self.certificate_chain() + &diagnosis_block(self.diagnosis.as_ref())
            }
            (_, Some(t)) => format.render(t),
            // No TLS began (a reset at connect): the diagnosis alone.
            (TraceFormat::Summary, None) => diagnosis_block(self.diagnosis.as_ref()),
            (_, None) => String::new(),
        }
    }

    /// With `--showcerts`, the chain as `s_client -showcerts` prints it:
    /// "Certificate chain", then each certificate's number, subject and
    /// issuer (from the trace's Certificate message) and PEM; empty
    /// otherwise.
    pub fn certificate_chain(&self) -> String {
        let Some(pems) = &self.certificates_pem else {
            return String::new();
        };
        // As s_client says of a resumption, or a server that sent none.
        if pems.is_empty() {
            return "no peer certificate available\n".to_owned();
        }
        let sent = self.trace.as_ref().and_then(|t| {
            t.messages().find_map(|m| match &m.body {
                Some(openssl_handshake::decode::Body::Certificate(c))
                    if m.direction == openssl_handshake::Direction::Read =>
                {
                    Some(c)
                }
                _ => None,
            })
        });
        let mut s = "Certificate chain\n".to_owned();
        for (i, pem) in pems.iter().enumerate() {
            let name = |names: Option<&Vec<String>>| {
                names.and_then(|n| n.get(i)).cloned().unwrap_or_default()
            };
            s += &format!(" {i} s:{}\n", name(sent.map(|c| &c.subjects)));
            s += &format!("   i:{}\n", name(sent.map(|c| &c.issuers)));
            s += pem;
        }
        s
    }

    /// The connection as one line of JSON: when it was opened
    /// (`timestamp`, RFC 3339 UTC), the peer, whether it succeeded, why
    /// not and its diagnosis, what followed the handshake and the trace.
    pub fn json_line(&self, number: usize) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            timestamp: String,
            peer: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            starttls: Option<&'static str>,
            connection: usize,
            succeeded: bool,
            failure: Option<String>,
            diagnosis: Option<&'a Diagnosis>,
            post_handshake: Option<&'a PostHandshake>,
            notes: &'a [String],
            ocsp: Option<&'a ocsp::Staple>,
            certificates_pem: Option<&'a [String]>,
            early_data: Option<&'a EarlyData>,
            trace: Option<&'a HandshakeTrace>,
        }
        let line = Line {
            timestamp: rfc3339(self.started),
            peer: &self.peer,
            starttls: self.starttls.map(StartTls::name),
            connection: number,
            succeeded: self.succeeded(),
            failure: self.failure.as_ref().map(ToString::to_string),
            diagnosis: self.diagnosis.as_ref(),
            post_handshake: self.post_handshake.as_ref(),
            notes: &self.notes,
            ocsp: self.ocsp.as_ref(),
            certificates_pem: self.certificates_pem.as_deref(),
            early_data: self.early_data.as_ref(),
            trace: self.trace.as_ref(),
        };
        json_line(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reset that meets the connect leaves no trace, yet the failed
    /// probe is diagnosed: the server's hang-up, in summary and JSON.
    #[test]
    fn a_reset_at_connect_is_diagnosed() {
        let mut c = ProbeConnection::new("127.0.0.1:1".into());
        c.failure = Some(ProbeFailure::ResetAtConnect(
            "127.0.0.1:1 accepted the connection and reset it at once".into(),
        ));
        c.diagnose();
        let d = c.diagnosis.as_ref().expect("a diagnosis");
        assert_eq!(
            (d.cause, d.fault),
            (
                openssl_handshake::Cause::PeerClosed,
                openssl_handshake::Fault::Server
            )
        );
        let text = c.render(TraceFormat::Summary, 1);
        assert!(
            text.contains("diagnosis: peer_closed (fault: server)"),
            "{text}"
        );
        let line: serde_json::Value =
            serde_json::from_str(&c.render(TraceFormat::Json, 1)).expect("a JSON line");
        assert_eq!(line["diagnosis"]["cause"], "peer_closed", "{line}");
    }
}
