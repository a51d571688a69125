//! `serve --www`: answers an HTTP request with the connection's own trace,
//! as `s_server -www` answers with its session, so that `curl -k` or a
//! browser shows how its handshake went from the server's side, and
//! HTTP-speaking test clients (tlsfuzzer, testssl.sh) get the response
//! they wait for.

use std::io::{self, Read, Write};

use openssl_handshake::HandshakeTrace;

use crate::ffi::socket_tls::SocketTls;

use crate::probe::{summary, TraceFormat};

/// The page when the connection kept no trace.
const NO_TRACE: &str = "no trace was recorded for this connection\n";

/// The longest request head read; a longer one is answered as it stands.
pub(super) const MAX_HEAD: usize = 16 * 1024;

/// Reads a request head (up to the blank line, the end of the stream or
/// [`MAX_HEAD`] bytes), after what came as `early` data, and answers it
/// with the connection's trace as it stands. `Ok(false)` when the client
/// closed before sending anything.
pub(super) fn answer(stream: &mut SocketTls, early: &[u8]) -> io::Result<bool> {
    let head = read_head(stream, early.to_vec())?;
    if head.is_empty() {
        return Ok(false);
    }
    let r = response(&head, openssl_handshake::trace(stream.ssl()));
    stream.write_all(r.as_bytes())?;
    stream.flush()?;
    Ok(true)
}

/// The page for a GET, its head alone for a HEAD, 405 for the rest.
fn response(head: &[u8], trace: Option<HandshakeTrace>) -> String {
    match head.split(|&b| b == b' ').next() {
        Some(b"GET") => page(trace, false),
        Some(b"HEAD") => page(trace, true),
        _ => status("405 Method Not Allowed", "only GET and HEAD are served\n"),
    }
}

fn read_head(stream: &mut impl Read, mut head: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut buf = [0u8; 4096];
    while head.len() < MAX_HEAD && !ends_head(&head) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(head)
}

/// A blank line ends the head; HTTP/0.9-style clients end it with one
/// line feed pair.
fn ends_head(head: &[u8]) -> bool {
    head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n")
}

/// The summary, the `-state` lines and the message log of `trace`.
fn page(trace: Option<HandshakeTrace>, head_only: bool) -> String {
    let body = match trace {
        Some(t) => format!(
            "{}\n{}\n{}",
            summary(&t),
            TraceFormat::State.render(&t),
            TraceFormat::Msg.render(&t)
        ),
        None => NO_TRACE.to_owned(),
    };
    let mut r = status_head("200 OK", body.len());
    if !head_only {
        r += &body;
    }
    r
}

fn status(status: &str, body: &str) -> String {
    status_head(status, body.len()) + body
}

fn status_head(status: &str, length: usize) -> String {
    format!(
        "HTTP/1.0 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response to `request`, read from a stream as a client sent it.
    fn answered(request: &[u8]) -> String {
        let (mut client, mut server) = testkit::duplex::pair();
        client.write_all(request).expect("in memory");
        drop(client);
        let head = read_head(&mut server, Vec::new()).expect("in memory");
        assert_eq!(head, request, "the whole request is read, and no more");
        response(&head, None)
    }

    #[test]
    fn a_get_is_answered_with_a_sized_page() {
        let r = answered(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n");
        let (head, body) = r.split_once("\r\n\r\n").expect("a head");
        assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
        assert!(head.contains(&format!("Content-Length: {}", body.len())));
        assert_eq!(body, NO_TRACE);
    }

    #[test]
    fn head_gets_no_body_and_other_methods_are_refused() {
        let r = answered(b"HEAD / HTTP/1.1\r\n\r\n");
        let length = format!("Content-Length: {}\r\n", NO_TRACE.len());
        assert!(r.ends_with("\r\n\r\n") && r.contains(&length), "{r}");
        let r = answered(b"POST / HTTP/1.0\r\n\r\nbody");
        assert!(r.starts_with("HTTP/1.0 405 "), "{r}");
    }

    #[test]
    fn a_client_that_hangs_up_is_read_to_the_end() {
        let (client, mut server) = testkit::duplex::pair();
        drop(client);
        assert!(read_head(&mut server, Vec::new())
            .expect("in memory")
            .is_empty());
    }

    #[test]
    fn a_request_sent_as_early_data_needs_no_read() {
        // The client sends nothing more and keeps the stream open: a read
        // would wait for ever.
        let (_client, mut server) = testkit::duplex::pair();
        let early = b"GET / HTTP/1.0\r\n\r\n".to_vec();
        assert_eq!(
            read_head(&mut server, early.clone()).expect("in memory"),
            early
        );
    }
}
