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
    /// The ServerHello's compression_method.
    pub compression: u8,
    /// Its extensions, as (type, data).
    pub extensions: Vec<(u16, Vec<u8>)>,
    /// Bytes of heartbeat sent back for a heartbeat record; none: no answer.
    pub heartbeat_reply: Option<usize>,
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

/// The ServerHello (suite ECDHE-RSA-AES128-GCM-SHA256) and ServerHelloDone.
fn flight(a: &Answers) -> Vec<u8> {
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[0x5a; 32]);
    hello.push(0);
    hello.extend_from_slice(&[0xc0, 0x2f, a.compression]);
    let mut exts = Vec::new();
    for (ty, data) in &a.extensions {
        exts.extend_from_slice(&ty.to_be_bytes());
        exts.extend_from_slice(&(data.len() as u16).to_be_bytes());
        exts.extend_from_slice(data);
    }
    hello.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    hello.extend_from_slice(&exts);
    let mut messages = vec![2, 0];
    messages.extend_from_slice(&(hello.len() as u16).to_be_bytes());
    messages.extend_from_slice(&hello);
    messages.extend_from_slice(&[14, 0, 0, 0]);
    record(22, &messages)
}

/// Serves one connection with `answers` on a loopback port.
pub fn serve(answers: Answers) -> (JoinHandle<()>, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        if read_record(&mut s).is_none_or(|(ty, _)| ty != 22) {
            return;
        }
        let _ = s.write_all(&flight(&answers));
        if let (Some((24, _)), Some(n)) = (read_record(&mut s), answers.heartbeat_reply) {
            let _ = s.write_all(&record(24, &vec![2; n]));
        }
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
    };
    let limits = Limits {
        connect: Duration::from_secs(5),
        io: Duration::from_secs(5),
        handshake: Duration::from_secs(10),
    };
    let library = Library::probe().expect("the linked OpenSSL");
    Prober::new(target, limits, library, None, None, 1)
}

/// The version these servers answer at.
pub const AT: Version = Version::Tls1_2;
