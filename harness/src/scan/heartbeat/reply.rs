//! The HeartbeatRequest the probe sends after the server's flight, and
//! what the server sends back (RFC 6520 section 4: type, payload_length,
//! payload, at least 16 bytes of padding).

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Instant;

use crate::hostile::hello::CT_ALERT;
use crate::hostile::wire::{self, End};
use crate::tls_bytes::record;

/// Heartbeat's record content type.
const CT_HEARTBEAT: u8 = 24;
/// heartbeat_request and heartbeat_response.
const REQUEST: u8 = 1;
const RESPONSE: u8 = 2;
/// The payload_length the request claims; it carries none of it.
pub const CLAIMED: u16 = 0x4000;
/// More than a response to the request can hold (a record of 2^14 bytes
/// and its header, twice): reading stops there.
const READ_CAP: usize = 2 * (5 + (1 << 14) + 2048);

/// What came back after the HeartbeatRequest.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// A HeartbeatResponse: the payload_length it claims, and the bytes of
    /// its record that came (fewer where the server closed mid-record).
    Response { payload_len: u16, record_len: usize },
    /// An alert.
    Alert { level: u8, description: u8 },
    /// The server closed its side with neither.
    Closed,
    /// The server's kernel reset the connection.
    Reset,
    /// Nothing decisive until the wait ended.
    Silent,
}

/// The request: `version`'s record, heartbeat_request, payload_length
/// [`CLAIMED`], no payload, no padding.
pub fn request(version: u16) -> Vec<u8> {
    let [hi, lo] = CLAIMED.to_be_bytes();
    record(CT_HEARTBEAT, version, &[REQUEST, hi, lo])
}

/// Sends the request, closes this side, and reads until a response or an
/// alert, the server's close, or `deadline`. A server that answers
/// heartbeats does so before it reads the close.
pub fn exchange(s: &mut TcpStream, version: u16, deadline: Instant) -> Reply {
    // A server that refused the record may be gone already: what it sent
    // is still read.
    let _ = s.write_all(&request(version)).and_then(|()| s.flush());
    let _ = s.shutdown(Shutdown::Write);
    let mut bytes = Vec::new();
    // A server streaming other records is not read without end.
    let decisive = |b: &[u8]| {
        first_decisive(b).or_else(|| (b.len() > READ_CAP).then(|| tail(b).unwrap_or(Reply::Silent)))
    };
    match wire::read_until(s, &mut bytes, deadline, decisive) {
        Ok(reply) => reply,
        Err(end) => read(&bytes, &end),
    }
}

/// What `bytes`, read until `end`, say: the first response or alert,
/// else a response cut short, else how the read ended.
pub fn read(bytes: &[u8], end: &End) -> Reply {
    first_decisive(bytes)
        .or_else(|| tail(bytes))
        .unwrap_or(match end {
            End::StillOpen => Reply::Silent,
            End::Closed => Reply::Closed,
            End::Reset => Reply::Reset,
        })
}

/// The first complete HeartbeatResponse or alert record; a heartbeat
/// request of the server's own (it may send one: the probe offered
/// peer_allowed_to_send) is passed over.
fn first_decisive(bytes: &[u8]) -> Option<Reply> {
    wire::records(bytes).find_map(|(ty, _, body)| match (ty, body) {
        (CT_HEARTBEAT, [RESPONSE, hi, lo, ..]) => Some(Reply::Response {
            payload_len: u16::from_be_bytes([*hi, *lo]),
            record_len: body.len(),
        }),
        (CT_ALERT, [level, description, ..]) => Some(Reply::Alert {
            level: *level,
            description: *description,
        }),
        _ => None,
    })
}

/// A HeartbeatResponse the server did not finish sending, after the
/// complete records.
fn tail(bytes: &[u8]) -> Option<Reply> {
    let whole: usize = wire::records(bytes).map(|(_, _, b)| 5 + b.len()).sum();
    match bytes.get(whole..)? {
        [CT_HEARTBEAT, _, _, _, _, RESPONSE, hi, lo, ..] => Some(Reply::Response {
            payload_len: u16::from_be_bytes([*hi, *lo]),
            record_len: bytes.len() - whole - 5,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as RFC 5246 6.2.1 lays them out: type, version, length.
    fn rec(ty: u8, body: &[u8]) -> Vec<u8> {
        record(ty, 0x0303, body)
    }

    /// A HeartbeatMessage (RFC 6520 section 4) with `payload` and 16
    /// bytes of padding.
    fn heartbeat(ty: u8, payload: &[u8]) -> Vec<u8> {
        let mut m = vec![ty];
        m.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        m.extend_from_slice(payload);
        m.extend_from_slice(&[0; 16]);
        rec(CT_HEARTBEAT, &m)
    }

    #[test]
    fn the_request_claims_what_it_does_not_carry() {
        // testssl.sh's: 18 03 03 00 03 01 40 00.
        assert_eq!(request(0x0303), [24, 3, 3, 0, 3, 1, 0x40, 0]);
    }

    #[test]
    fn a_response_is_read_after_the_flight_and_a_request_of_the_servers() {
        let mut bytes = rec(22, &[14, 0, 0, 0]);
        bytes.extend(heartbeat(REQUEST, &[7; 8]));
        bytes.extend(heartbeat(RESPONSE, &[9; 100]));
        let want = Reply::Response {
            payload_len: 100,
            record_len: 119,
        };
        assert_eq!(read(&bytes, &End::Closed), want);
        // Cut short: the header and 10 bytes of its body arrived.
        let cut = &heartbeat(RESPONSE, &[9; 100])[..15];
        let want = Reply::Response {
            payload_len: 100,
            record_len: 10,
        };
        assert_eq!(read(cut, &End::Closed), want);
        // The server's own request alone decides nothing.
        assert_eq!(read(&heartbeat(REQUEST, &[1]), &End::Closed), Reply::Closed);
    }

    #[test]
    fn an_alert_a_close_a_reset_or_silence() {
        let alert = Reply::Alert {
            level: 2,
            description: 10,
        };
        assert_eq!(read(&rec(CT_ALERT, &[2, 10]), &End::Closed), alert);
        assert_eq!(read(&[], &End::Closed), Reply::Closed);
        assert_eq!(read(&[], &End::Reset), Reply::Reset);
        assert_eq!(read(&[], &End::StillOpen), Reply::Silent);
    }
}
