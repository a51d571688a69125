//! The heartbeat extension (RFC 6520), and Heartbleed (CVE-2014-0160): a
//! server that answers a HeartbeatRequest whose payload_length claims
//! more bytes than the message carries copies that much of its own memory
//! into the response. The linked OpenSSL has no heartbeats (1.1.0 removed
//! them), so a hello of the scan's own offers the extension at the
//! highest version below TLS 1.3 the server takes (SSLv3 included: OpenSSL
//! 1.0.1, which Heartbleed struck, reads extensions and answers
//! heartbeats there too); after the server's flight the probe sends, as
//! testssl.sh does, a HeartbeatRequest claiming 16,384 bytes and carrying
//! none (`reply.rs`), then closes its side. RFC 6520 section 4 says to
//! discard such a request silently: a HeartbeatResponse that returns
//! payload is memory the server should not have sent.

use serde::Serialize;

use super::conn::Prober;
use super::own_hello::{self, Extras};
use super::Verdict;
use crate::case::Version;
use crate::hostile::fingerprint::Answer;
use crate::hostile::wire;

mod reply;
use reply::{Reply, CLAIMED};

/// The extension's type.
pub const HEARTBEAT: u16 = 15;

/// The heartbeat finding.
#[derive(Debug, Clone, Serialize)]
pub struct HeartbeatFinding {
    /// Yes: the ServerHello answered the heartbeat extension.
    pub supported: Verdict,
    /// Yes: the server answered the malformed HeartbeatRequest with a
    /// HeartbeatResponse that returns payload.
    pub heartbleed: Verdict,
    /// What the ServerHello said.
    pub detail: String,
    /// What the server did with the request.
    pub heartbleed_detail: String,
    /// The probe.
    pub probes: Vec<String>,
}

impl HeartbeatFinding {
    /// The finding when its task could not run.
    pub fn failed() -> Self {
        let why = "the heartbeat probe panicked".to_owned();
        HeartbeatFinding {
            supported: Verdict::NotTestable,
            heartbleed: Verdict::NotTestable,
            detail: why.clone(),
            heartbleed_detail: why,
            probes: Vec::new(),
        }
    }
}

/// Offers heartbeats at `best`, the best version below TLS 1.3 the server
/// takes, then sends the malformed request.
pub fn scan(p: &Prober, best: Result<Version, Verdict>) -> HeartbeatFinding {
    let v = match best {
        Ok(v) => v,
        Err(verdict) => {
            let why = own_hello::no_older(
                verdict,
                "below TLS 1.3",
                "TLS 1.3 answers heartbeat in its encrypted extensions, and OpenSSL 1.0.1, \
                 which Heartbleed struck, had no TLS 1.3",
            );
            return HeartbeatFinding {
                supported: verdict,
                heartbleed: verdict,
                detail: why.clone(),
                heartbleed_detail: why,
                probes: Vec::new(),
            };
        }
    };
    let id = format!("heartbeat/{}", v.id());
    let offer = format!(
        "a {} ClientHello written by the scan, offering heartbeat (peer_allowed_to_send); \
         then a HeartbeatRequest claiming {CLAIMED} payload bytes and carrying none",
        v.display()
    );
    let name = crate::probe::sni_name(p.target().servername.as_deref());
    let extras = Extras {
        compression: Vec::new(),
        extensions: vec![(HEARTBEAT, vec![1])],
    };
    let suites = own_hello::every_suite(p.library(), v);
    let hello = own_hello::client_hello_with(v, &suites, &own_hello::ECDHE_GROUPS, name, &extras);
    let (answer, _, reply) = p.raw_then(&id, &offer, &hello, |answer, s, deadline| {
        let version = match answer {
            Answer::ServerHello { version, .. } => *version,
            _ => own_hello::wire(v),
        };
        reply::exchange(s, version, deadline)
    });
    let (supported, detail, heartbleed, heartbleed_detail) = judge(&answer, reply);
    HeartbeatFinding {
        supported,
        heartbleed,
        detail,
        heartbleed_detail,
        probes: vec![id],
    }
}

/// The finding's verdicts and details from the answer to the hello and
/// the reply to the request (none where no ServerHello came).
fn judge(answer: &Answer, reply: Option<Reply>) -> (Verdict, String, Verdict, String) {
    let Answer::ServerHello {
        version,
        extensions,
        ..
    } = answer
    else {
        let why = format!(
            "the scan's own hello offering heartbeat got no ServerHello ({}), so neither \
             heartbeats nor Heartbleed could be asked",
            own_hello::not_a_hello(answer).1
        );
        return (Verdict::NotTestable, why.clone(), Verdict::NotTestable, why);
    };
    let at = own_hello::version_name(*version);
    let (supported, detail) = if extensions.contains(&HEARTBEAT) {
        (Verdict::Yes, format!("{at} ServerHello answered heartbeat"))
    } else {
        (
            Verdict::No,
            format!("{at} ServerHello without heartbeat: the server does not do heartbeats"),
        )
    };
    let sent = format!("the HeartbeatRequest claiming {CLAIMED} payload bytes and carrying none");
    let (heartbleed, heartbleed_detail) = match reply {
        Some(Reply::Response {
            payload_len,
            record_len,
        }) if payload_len > 0 => (
            Verdict::Yes,
            format!(
                "the server answered {sent} with a HeartbeatResponse of {payload_len} payload \
                 bytes ({record_len} bytes of record read): memory it should not have sent \
                 (RFC 6520 section 4 says to discard such a request)"
            ),
        ),
        Some(Reply::Response { .. }) => (
            Verdict::No,
            format!(
                "the server answered {sent} with an empty HeartbeatResponse: it did not discard \
                 the request as RFC 6520 section 4 says, but returned no memory"
            ),
        ),
        Some(Reply::Alert { level, description }) => (
            Verdict::No,
            format!(
                "the server refused {sent}, sent before the handshake finished, with a {} alert {}",
                wire::level_name(level),
                openssl_handshake::Alert::name_of(description).map_or_else(
                    || description.to_string(),
                    |n| format!("{n} ({description})")
                )
            ),
        ),
        Some(Reply::Closed) => (
            Verdict::No,
            format!("the server sent nothing back for {sent} and closed when this end did"),
        ),
        Some(Reply::Reset) => (
            Verdict::No,
            format!("the server sent nothing back for {sent} and reset the connection"),
        ),
        Some(Reply::Silent) => (
            Verdict::No,
            format!("the server sent nothing back for {sent} before the time-out"),
        ),
        None => (
            Verdict::NotTestable,
            "no ServerHello below TLS 1.3 to send the HeartbeatRequest after".into(),
        ),
    };
    (supported, detail, heartbleed, heartbleed_detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(extensions: Vec<u16>) -> Answer {
        Answer::ServerHello {
            version: 0x0303,
            suite: 0xc02f,
            hello_retry_request: false,
            extensions,
            session_id_len: 0,
            ec_point_formats: None,
        }
    }

    #[test]
    fn a_response_with_payload_is_heartbleed() {
        let leak = Reply::Response {
            payload_len: 16384,
            record_len: 16403,
        };
        let (supported, _, bleeds, detail) = judge(&hello(vec![65281, HEARTBEAT]), Some(leak));
        assert_eq!((supported, bleeds), (Verdict::Yes, Verdict::Yes));
        assert!(detail.contains("of 16384 payload bytes"), "{detail}");
        let empty = Reply::Response {
            payload_len: 0,
            record_len: 19,
        };
        let (_, _, bleeds, detail) = judge(&hello(vec![HEARTBEAT]), Some(empty));
        assert_eq!(bleeds, Verdict::No, "{detail}");
        assert!(detail.contains("returned no memory"), "{detail}");
    }

    #[test]
    fn an_alert_a_close_or_silence_is_no_heartbleed() {
        let (supported, detail, bleeds, why) = judge(&hello(vec![]), Some(Reply::Closed));
        assert_eq!((supported, bleeds), (Verdict::No, Verdict::No));
        assert!(detail.contains("without heartbeat"), "{detail}");
        assert!(why.contains("closed when this end did"), "{why}");
        let alert = Reply::Alert {
            level: 2,
            description: 10,
        };
        let (_, _, _, why) = judge(&hello(vec![HEARTBEAT]), Some(alert));
        assert!(why.contains("fatal alert unexpected_message (10)"), "{why}");
        let (_, _, _, why) = judge(&hello(vec![HEARTBEAT]), Some(Reply::Reset));
        assert!(why.contains("reset the connection"), "{why}");
    }

    #[test]
    fn no_server_hello_tests_neither() {
        let (supported, _, bleeds, why) = judge(&Answer::NoAnswer, None);
        assert_eq!(
            (supported, bleeds),
            (Verdict::NotTestable, Verdict::NotTestable)
        );
        assert!(why.contains("got no ServerHello"), "{why}");
    }
}
