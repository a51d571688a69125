//! The heartbeat extension (RFC 6520), and Heartbleed (CVE-2014-0160): a
//! server that answers a HeartbeatRequest whose payload_length claims
//! more bytes than the message carries copies that much of its own memory
//! into the response. The linked OpenSSL has no heartbeats (1.1.0 removed
//! them), so a hello of the scan's own offers the extension at the
//! highest version from TLS 1.0 to TLS 1.2 the server takes; after the
//! server's flight the probe sends, as testssl.sh does, a HeartbeatRequest
//! claiming 16,384 bytes and carrying none, then closes its side. RFC 6520
//! section 4 says to discard such a message silently: any heartbeat back
//! is memory the server should not have sent.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Instant;

use serde::Serialize;

use super::compression::no_older;
use super::conn::Prober;
use super::own_hello::{self, Extras};
use super::Verdict;
use crate::case::Version;
use crate::hostile::fingerprint::Answer;
use crate::hostile::wire::{self, End};
use crate::tls_bytes::record;

/// The extension's type.
pub const HEARTBEAT: u16 = 15;
/// Heartbeat's record content type.
const CT_HEARTBEAT: u8 = 24;
/// The payload_length the request claims; it carries none of it.
const CLAIMED: u16 = 0x4000;

/// The heartbeat finding.
#[derive(Debug, Clone, Serialize)]
pub struct HeartbeatFinding {
    /// Yes: the ServerHello answered the heartbeat extension.
    pub supported: Verdict,
    /// Yes: the server answered the malformed HeartbeatRequest.
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

/// What came back after the HeartbeatRequest.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    /// A heartbeat record, of this many bytes (cut short if the server
    /// closed mid-record).
    Heartbeat(usize),
    /// An alert.
    Alert { level: u8, description: u8 },
    /// The server closed its side with neither.
    Closed,
    /// Nothing until the wait ended.
    Silent,
}

/// Offers heartbeats at `best`, the best version from TLS 1.0 to TLS 1.2
/// the server takes, then sends the malformed request.
pub fn scan(p: &Prober, best: Result<Version, Verdict>) -> HeartbeatFinding {
    let v = match best {
        Ok(v) => v,
        Err(verdict) => {
            let why = no_older(
                verdict,
                "from TLS 1.0 to TLS 1.2",
                "SSLv3 has no extensions; TLS 1.3 answers heartbeat in its encrypted \
                 extensions, and OpenSSL 1.0.1, which Heartbleed struck, had no TLS 1.3",
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
        overread(s, version, deadline)
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

/// Sends the HeartbeatRequest as a `version` record, closes this side, and
/// reads what comes back until the server closes or `deadline`. A server
/// that answers heartbeats does so before it reads the close.
fn overread(s: &mut TcpStream, version: u16, deadline: Instant) -> Reply {
    let [hi, lo] = CLAIMED.to_be_bytes();
    let request = record(CT_HEARTBEAT, version, &[1, hi, lo]);
    // A server that refused the record may be gone already: what it sent
    // is still read.
    let _ = s.write_all(&request).and_then(|()| s.flush());
    let _ = s.shutdown(Shutdown::Write);
    let (bytes, end) = wire::read_until_close(s, deadline);
    read_reply(&bytes, &end)
}

/// The first heartbeat or alert record in `bytes`, else how the read ended.
fn read_reply(bytes: &[u8], end: &End) -> Reply {
    let mut whole = 0;
    for (ty, _, body) in wire::records(bytes) {
        match ty {
            CT_HEARTBEAT => return Reply::Heartbeat(body.len()),
            CT_ALERT => {
                if let [level, description, ..] = *body {
                    return Reply::Alert { level, description };
                }
            }
            _ => {}
        }
        whole += 5 + body.len();
    }
    // A heartbeat record the server did not finish sending is one still.
    if bytes.get(whole) == Some(&CT_HEARTBEAT) {
        return Reply::Heartbeat(bytes.len().saturating_sub(whole + 5));
    }
    match end {
        End::StillOpen => Reply::Silent,
        End::Closed | End::Reset => Reply::Closed,
    }
}

/// Alert's record content type.
const CT_ALERT: u8 = 21;

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
            "a hello offering heartbeat got no ServerHello: {}",
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
            format!("{at} ServerHello without heartbeat: the server does no heartbeats"),
        )
    };
    let (heartbleed, heartbleed_detail) = match reply {
        Some(Reply::Heartbeat(len)) => (
            Verdict::Yes,
            format!(
                "the server answered a HeartbeatRequest claiming {CLAIMED} payload bytes and \
                 carrying none with {len} bytes of heartbeat: memory it should not have sent \
                 (RFC 6520 section 4 says to discard such a request)"
            ),
        ),
        Some(Reply::Alert { level, description }) => (
            Verdict::No,
            format!(
                "the server refused the malformed HeartbeatRequest with a {} alert {}",
                wire::level_name(level),
                openssl_handshake::Alert::name_of(description).map_or_else(
                    || description.to_string(),
                    |n| format!("{n} ({description})")
                )
            ),
        ),
        Some(Reply::Closed) => (
            Verdict::No,
            "the server sent no heartbeat back for the malformed HeartbeatRequest and closed \
             when this end did"
                .into(),
        ),
        Some(Reply::Silent) => (
            Verdict::No,
            "the server sent nothing back for the malformed HeartbeatRequest before the \
             time-out"
                .into(),
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

    /// Records as RFC 5246 6.2.1 lays them out: type, version, length.
    fn rec(ty: u8, body: &[u8]) -> Vec<u8> {
        record(ty, 0x0303, body)
    }

    #[test]
    fn a_heartbeat_back_is_an_overread() {
        let mut bytes = rec(22, &[14, 0, 0, 0]);
        bytes.extend(rec(CT_HEARTBEAT, &[2; 40]));
        assert_eq!(read_reply(&bytes, &End::Closed), Reply::Heartbeat(40));
        // Cut short: the header and 3 of its bytes arrived.
        let cut = &rec(CT_HEARTBEAT, &[2; 40])[..8];
        assert_eq!(read_reply(cut, &End::Closed), Reply::Heartbeat(3));
        let (supported, _, bleeds, detail) =
            judge(&hello(vec![65281, HEARTBEAT]), Some(Reply::Heartbeat(40)));
        assert_eq!((supported, bleeds), (Verdict::Yes, Verdict::Yes));
        assert!(detail.contains("with 40 bytes"), "{detail}");
    }

    #[test]
    fn an_alert_a_close_or_silence_is_no_overread() {
        assert_eq!(
            read_reply(&rec(CT_ALERT, &[2, 10]), &End::Closed),
            Reply::Alert {
                level: 2,
                description: 10
            }
        );
        assert_eq!(read_reply(&[], &End::Reset), Reply::Closed);
        assert_eq!(read_reply(&[], &End::StillOpen), Reply::Silent);
        let (supported, detail, bleeds, why) = judge(&hello(vec![]), Some(Reply::Closed));
        assert_eq!((supported, bleeds), (Verdict::No, Verdict::No));
        assert!(detail.contains("without heartbeat"), "{detail}");
        assert!(why.contains("closed when this end did"), "{why}");
        let (_, _, _, why) = judge(
            &hello(vec![HEARTBEAT]),
            Some(Reply::Alert {
                level: 2,
                description: 10,
            }),
        );
        assert!(why.contains("fatal alert unexpected_message (10)"), "{why}");
    }

    #[test]
    fn no_server_hello_tests_neither() {
        let (supported, _, bleeds, why) = judge(&Answer::NoAnswer, None);
        assert_eq!(
            (supported, bleeds),
            (Verdict::NotTestable, Verdict::NotTestable)
        );
        assert!(why.contains("no ServerHello"), "{why}");
    }
}
