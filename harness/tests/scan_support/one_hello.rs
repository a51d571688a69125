//! A server of one connection whose answers a test chooses where no real
//! server on this machine gives them (one that compresses, or that
//! answers a malformed heartbeat): it reads a ClientHello, answers with a
//! TLS 1.2 ServerHello and ServerHelloDone laid out as RFC 5246 7.4.1.3
//! and 7.4.5 say, and may answer the next record with a heartbeat.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use harness::case::Version;
use harness::library::Library;
use harness::scan::conn::{Limits, Prober, Target};

/// What the server answers.
pub struct Answers {
    /// The compression_method chosen when the ClientHello offers it; null
    /// otherwise.
    pub compression: u8,
    /// Whether heartbeat is answered when the ClientHello offers it.
    pub heartbeat: bool,
    /// Whether a HeartbeatRequest claiming more payload than it carries is
    /// answered as OpenSSL 1.0.1f did: with that much of "memory".
    pub bleed: bool,
}

/// A record: type, TLS 1.2, length, body (RFC 5246 6.2.1).
fn record(ty: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ty, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

fn read_record(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut header = [0u8; 5];
    s.read_exact(&mut header).ok()?;
    let mut body = vec![0; usize::from(u16::from_be_bytes([header[3], header[4]]))];
    s.read_exact(&mut body).ok()?;
    Some((header[0], body))
}

/// What a ClientHello record's body offers (RFC 5246 7.4.1.2): its
/// compression methods and extension types.
fn offered(hello: &[u8]) -> Option<(Vec<u8>, Vec<u16>)> {
    let skip = |at: usize, width: usize| -> Option<usize> {
        let len = hello
            .get(at..at + width)?
            .iter()
            .fold(0, |n, b| n << 8 | usize::from(*b));
        Some(at + width + len)
    };
    // Header (4), version (2), random (32), then the session id.
    let suites = skip(4 + 2 + 32, 1)?;
    let methods_at = skip(suites, 2)?;
    let methods = hello.get(methods_at + 1..skip(methods_at, 1)?)?.to_vec();
    let mut types = Vec::new();
    let exts_at = skip(methods_at, 1)?;
    if let Some(end) = skip(exts_at, 2) {
        let mut at = exts_at + 2;
        while at + 4 <= end {
            types.push(u16::from_be_bytes([*hello.get(at)?, *hello.get(at + 1)?]));
            at = skip(at + 2, 2)?;
        }
    }
    Some((methods, types))
}

/// The ServerHello (suite ECDHE-RSA-AES128-GCM-SHA256) and ServerHelloDone
/// answering what `hello` offers.
fn flight(a: &Answers, hello: &[u8]) -> Vec<u8> {
    let (methods, types) = offered(hello).unwrap_or_default();
    let method = if methods.contains(&a.compression) {
        a.compression
    } else {
        0
    };
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x5a; 32]);
    body.push(0);
    body.extend_from_slice(&[0xc0, 0x2f, method]);
    let mut exts = Vec::new();
    if a.heartbeat && types.contains(&15) {
        // heartbeat, peer_allowed_to_send (RFC 6520 section 2).
        exts.extend_from_slice(&[0, 15, 0, 1, 1]);
    }
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut messages = vec![2, 0];
    messages.extend_from_slice(&(body.len() as u16).to_be_bytes());
    messages.extend_from_slice(&body);
    messages.extend_from_slice(&[14, 0, 0, 0]);
    record(22, &messages)
}

/// Serves one connection with `answers` on a loopback port; the thread
/// returns the heartbeat record the probe sent, if any.
pub fn serve(answers: Answers) -> (JoinHandle<Option<Vec<u8>>>, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().ok()?;
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let (22, hello) = read_record(&mut s)? else {
            return None;
        };
        let _ = s.write_all(&flight(&answers, &hello));
        let (24, request) = read_record(&mut s)? else {
            return None;
        };
        // heartbeat_request, payload_length 16384, none of it sent.
        if answers.bleed && request.len() < 3 + 16_384 && request[..3] == [1, 0x40, 0] {
            let mut response = vec![2, 0x40, 0];
            response.extend_from_slice(&[0x6d; 16_384 + 16]);
            let _ = s.write_all(&record(24, &response));
        }
        Some(request)
    });
    (server, addr)
}

/// A prober of `addr` with time-outs no answer here comes near.
pub fn prober(addr: SocketAddr) -> Prober {
    let target = Target {
        host: "127.0.0.1".into(),
        addrs: vec![addr],
        servername: None,
        starttls: None,
        starttls_name: None,
    };
    let limits = Limits {
        connect: Duration::from_secs(5),
        io: Duration::from_secs(5),
        handshake: Duration::from_secs(10),
    };
    let library = Library::probe().expect("the linked OpenSSL");
    Prober::new(target, limits, library, Default::default(), 1)
}

/// The version these servers answer at.
pub const AT: Version = Version::Tls1_2;
