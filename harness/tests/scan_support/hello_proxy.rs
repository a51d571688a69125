//! A proxy in front of a server that decides what to do with each
//! connection by its ClientHello: what a middlebox, or a server busy
//! elsewhere, does to some probes of a scan.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

/// What the proxy does with one connection.
pub enum HelloAction {
    /// Passes the connection on.
    Pass,
    /// Holds it open in silence until the client gives up.
    Hold,
    /// Passes the hello on but none of the server's answer; once the
    /// client gives up, ends the server's connection too: a server that
    /// answered a client which had already gone.
    Swallow,
    /// Closes it unanswered: a server intolerant of the hello.
    Close,
}

/// Listens on a free port and acts on each connection's first record, a
/// ClientHello, as `act` says; returns the address.
pub fn hello_proxy(
    upstream: String,
    act: impl Fn(&[u8]) -> HelloAction + Send + Sync + 'static,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let act = Arc::new(act);
    thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let (upstream, act) = (upstream.clone(), act.clone());
            thread::spawn(move || {
                // The record header, then the record whole.
                let mut hello = vec![0u8; 5];
                if client.read_exact(&mut hello).is_err() {
                    return;
                }
                hello.resize(5 + usize::from(u16::from_be_bytes([hello[3], hello[4]])), 0);
                if client.read_exact(&mut hello[5..]).is_err() {
                    return;
                }
                let action = act(&hello);
                match action {
                    HelloAction::Hold => {
                        let _ = client.read(&mut [0u8; 1]);
                        return;
                    }
                    HelloAction::Close => return,
                    _ => {}
                }
                let mut server = TcpStream::connect(&upstream).expect("upstream");
                server.write_all(&hello).expect("hello");
                match action {
                    HelloAction::Swallow => {
                        let mut answer = server.try_clone().expect("clone");
                        thread::spawn(move || io::copy(&mut answer, &mut io::sink()));
                        let _ = io::copy(&mut client, &mut io::sink());
                        let _ = server.shutdown(std::net::Shutdown::Both);
                    }
                    _ => pipe_both(client, server),
                }
            });
        }
    });
    addr
}

/// Copies each way until either side ends.
pub fn pipe_both(client: TcpStream, server: TcpStream) {
    for (mut from, mut to) in [
        (
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
        ),
        (server, client),
    ] {
        thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    }
}

/// The ClientHello's legacy_session_id and extensions, walked field by
/// field; `None` when the record is not a whole ClientHello.
fn hello_fields(record: &[u8]) -> Option<(&[u8], &[u8])> {
    let skip = |at: usize, len_bytes: usize| -> Option<usize> {
        let len = record.get(at..at + len_bytes)?;
        let n = len.iter().fold(0usize, |n, b| n << 8 | usize::from(*b));
        Some(at + len_bytes + n)
    };
    // Record header, handshake header, client_version, random.
    let id_at = 5 + 4 + 2 + 32;
    let suites_at = skip(id_at, 1)?;
    let extensions_at = skip(skip(suites_at, 2)?, 1)?;
    let end = skip(extensions_at, 2)?;
    Some((
        record.get(id_at + 1..suites_at)?,
        record.get(extensions_at + 2..end)?,
    ))
}

/// The extension of type `kind`'s body, if the hello has one.
fn extension(record: &[u8], kind: u16) -> Option<&[u8]> {
    let (_, mut rest) = hello_fields(record)?;
    while rest.len() >= 4 {
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let body = rest.get(4..4 + len)?;
        if u16::from_be_bytes([rest[0], rest[1]]) == kind {
            return Some(body);
        }
        rest = &rest[4 + len..];
    }
    None
}

/// Whether a ClientHello record offers TLS 1.3: a supported_versions
/// extension listing 0x0304 (RFC 8446 4.2.1).
pub fn offers_tls13(record: &[u8]) -> Option<bool> {
    hello_fields(record)?;
    Some(extension(record, 0x002b).is_some_and(|list| {
        list.get(1..)
            .is_some_and(|l| l.chunks(2).any(|v| v == [0x03, 0x04]))
    }))
}

/// Whether a ClientHello below TLS 1.3 offers a session by its id: a
/// session id and no session ticket (RFC 5077 3.4: a client offering a
/// ticket may send an id of its own as well).
pub fn offers_session_id(record: &[u8]) -> bool {
    let Some((id, _)) = hello_fields(record) else {
        return false;
    };
    let ticket = extension(record, 0x0023).is_some_and(|t| !t.is_empty());
    !id.is_empty() && !ticket && offers_tls13(record) == Some(false)
}
