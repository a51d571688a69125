//! What an in-process side does once its handshake call returns: the
//! ping and pong that show data flows, the close, and the outcome it
//! reports, with the trace taken before anything the peer could see.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use openssl::ssl::{HandshakeError, SslStream};

use crate::case::Role;
use crate::ffi::SavedSession;
use crate::peer::{SideOutcome, PING, PONG};
use crate::transport::Conn;

/// Completes a client connection: ping, pong, close; keeps the session.
pub(super) fn finish_client(
    r: Result<SslStream<Conn>, HandshakeError<Conn>>,
) -> (SideOutcome, Option<SavedSession>) {
    match r {
        Ok(mut stream) => {
            let exchange = match stream.write_all(PING) {
                // A server that failed the handshake after this side
                // finished it (refusing a TLS 1.3 client's certificate)
                // may have reset the connection; its alert, which says
                // why, can still be read.
                Err(e) if !is_timeout(&e) => {
                    let _ = stream.read(&mut [0u8; 64]);
                    Err(e)
                }
                written => written.and_then(|_| read_exact_or_eof(&mut stream, PONG.len())),
            }
            .map_err(|e| Stalled::now("ping/pong", e));
            let session = SavedSession::of(stream.ssl());
            // A close_notify is a courtesy here; a failure to send it is
            // no part of the case.
            let _ = stream.shutdown();
            (success(Role::Client, &stream, exchange), session)
        }
        Err(e) => (failed(Role::Client, &e), None),
    }
}

/// Completes a server connection: answer the ping, wait for the close.
pub(super) fn finish(role: Role, r: Result<SslStream<Conn>, HandshakeError<Conn>>) -> SideOutcome {
    match r {
        Ok(mut stream) => {
            let exchange = read_exact_or_eof(&mut stream, PING.len())
                .and_then(|_| stream.write_all(PONG))
                .and_then(|_| stream.flush())
                .map_err(|e| Stalled::now("ping/pong", e));
            // Wait for the client's close so its read of the pong is not
            // cut short by our socket closing; without a pong, nothing is
            // to be read.
            if exchange.is_ok() {
                let mut sink = [0u8; 64];
                let _ = stream.read(&mut sink);
            }
            let _ = stream.shutdown();
            success(role, &stream, exchange)
        }
        Err(mut e) => {
            let outcome = failed(role, &e);
            // Its alert is on its way; closing on the client's unread
            // flight and data would reset the connection under it.
            if let (HandshakeError::Failure(mid), false) = (&mut e, outcome.timed_out) {
                mid.get_mut().linger(LINGER);
            }
            outcome
        }
    }
}

/// How long a server that failed a handshake waits for its client to
/// close after it (see [`Conn::linger`]): a client reading the alert
/// closes at once.
const LINGER: Duration = Duration::from_secs(1);

fn read_exact_or_eof(stream: &mut SslStream<Conn>, n: usize) -> std::io::Result<()> {
    let mut buf = vec![0u8; n];
    stream.read_exact(&mut buf)
}

/// An exchange after the handshake that failed: what it was doing, why,
/// and when, taken before this side does anything its peer could see
/// (a close_notify), so that a peer's end can be put before or after it.
struct Stalled {
    what: &'static str,
    error: std::io::Error,
    at: Instant,
}

impl Stalled {
    fn now(what: &'static str, error: std::io::Error) -> Self {
        Stalled {
            what,
            error,
            at: Instant::now(),
        }
    }
}

fn success(role: Role, stream: &SslStream<Conn>, exchange: Result<(), Stalled>) -> SideOutcome {
    let (exchange_ok, error, gave_up) = match exchange {
        Ok(()) => (true, None, None),
        Err(Stalled { what, error, at }) => {
            let t = is_timeout(&error);
            // A time-out's report says it came after the handshake.
            let when = if t { "" } else { " after the handshake" };
            let text = format!("{what}{when}: {}", io_text(&error));
            (false, Some(text), t.then_some(at))
        }
    };
    SideOutcome {
        role,
        trace: openssl_handshake::trace(stream.ssl()),
        handshake_ok: true,
        exchange_ok,
        verify_code: Some(stream.ssl().verify_result().as_raw()),
        error,
        timed_out: gave_up.is_some(),
        gave_up,
        exchange_skipped: false,
        external: None,
        setup_failed: false,
    }
}

fn failed(role: Role, e: &HandshakeError<Conn>) -> SideOutcome {
    match e {
        HandshakeError::SetupFailure(stack) => {
            SideOutcome::not_set_up(role, format!("handshake setup: {stack}"))
        }
        HandshakeError::Failure(mid) => {
            let timed_out = mid.error().io_error().is_some_and(is_timeout);
            let error = match mid.error().io_error() {
                Some(io) if timed_out => io_text(io),
                _ => mid.error().to_string(),
            };
            SideOutcome {
                role,
                trace: openssl_handshake::trace(mid.ssl()),
                handshake_ok: false,
                exchange_ok: false,
                verify_code: Some(mid.ssl().verify_result().as_raw()),
                error: Some(if error.is_empty() {
                    "handshake failed".into()
                } else {
                    error
                }),
                timed_out,
                gave_up: timed_out.then(Instant::now),
                exchange_skipped: false,
                external: None,
                setup_failed: false,
            }
        }
        // Blocking streams with time-outs report a stall as "would block".
        HandshakeError::WouldBlock(mid) => SideOutcome {
            role,
            trace: openssl_handshake::trace(mid.ssl()),
            handshake_ok: false,
            exchange_ok: false,
            verify_code: None,
            error: Some("time-out waiting for the peer".into()),
            timed_out: true,
            gave_up: Some(Instant::now()),
            exchange_skipped: false,
            external: None,
            setup_failed: false,
        },
    }
}

pub(super) fn io_outcome(role: Role, what: &str, e: &std::io::Error) -> SideOutcome {
    SideOutcome::broken(role, format!("{what}: {}", io_text(e)), is_timeout(e))
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn io_text(e: &std::io::Error) -> String {
    if is_timeout(e) {
        // A socket read time-out surfaces as EAGAIN, whose own words
        // ("Resource temporarily unavailable") hide what happened.
        return format!("no answer within the time-out ({e})");
    }
    // An SSL error wrapped in io::Error carries OpenSSL's reason.
    e.to_string()
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, TcpStream};
    use std::thread;

    use openssl::ssl::{Ssl, SslContext, SslMethod, SslVerifyMode, SslVersion};
    use openssl_handshake::{SslContextBuilderExt, TraceOptions};
    use socket2::SockRef;
    use testkit::pki::{KeyType, Pki};

    use super::*;

    fn tls13(builder: &mut openssl::ssl::SslContextBuilder) {
        builder
            .set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("TLS 1.3");
    }

    /// A TLS 1.3 client has finished its handshake, and writes, when the
    /// server refuses its missing certificate. Here the server resets the
    /// connection before the client writes: the client still reports the
    /// alert that says why, which came before the reset.
    #[test]
    fn a_client_reset_after_its_handshake_still_reads_the_alert() {
        let pki = Pki::generate().expect("test PKI");
        let mut server = SslContext::builder(SslMethod::tls_server()).expect("context");
        tls13(&mut server);
        pki.server(KeyType::Rsa2048)
            .install(&mut server)
            .expect("leaf");
        server.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        let server = server.build();
        let mut client = SslContext::builder(SslMethod::tls_client()).expect("context");
        tls13(&mut client);
        client.set_verify(SslVerifyMode::NONE);
        client
            .trace_handshakes(TraceOptions::default())
            .expect("traced");
        let client = client.build();

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let refusing = thread::spawn(move || {
            let (tcp, _) = listener.accept().expect("accept");
            // Closed with a zero linger, a socket resets its connection.
            SockRef::from(&tcp)
                .set_linger(Some(Duration::ZERO))
                .expect("linger");
            let refused = Ssl::new(&server).expect("SSL").accept(tcp);
            assert!(refused.is_err(), "the server must refuse the client");
        });
        let tcp = TcpStream::connect(addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("time-out");
        let stream = Ssl::new(&client)
            .expect("SSL")
            .connect(Conn::Tcp(tcp))
            .expect("a TLS 1.3 client finishes before the server checks it");
        refusing.join().expect("server thread");
        let Conn::Tcp(tcp) = stream.get_ref() else {
            unreachable!("made from a TcpStream")
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while SockRef::from(tcp).take_error().expect("SO_ERROR").is_none() {
            assert!(Instant::now() < deadline, "the reset never came");
            thread::sleep(Duration::from_millis(1));
        }

        let (outcome, _) = finish_client(Ok(stream));
        assert!(!outcome.exchange_ok, "{outcome:?}");
        let trace = outcome.trace.expect("traced");
        let alert = trace.alert_received().expect("the server's alert, read");
        assert_eq!(alert.name, "certificate_required", "{alert:?}");
    }
}
