//! Paired client and server threads over loopback TCP, both traced.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use openssl::ssl::{
    HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslSession, SslStream,
    SslVerifyMode,
};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

/// Every socket wait in the tests gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The payload the server sends after the handshake; reading it makes the
/// client process TLS 1.3 tickets too.
pub const PING: &[u8] = b"ping\n";

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki::generate().expect("test PKI"))
}

/// A traced server context with `key`'s credential, tuned by `f`.
pub fn server_ctx(key: KeyType, f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("server ctx");
    pki()
        .server(key)
        .install(&mut b)
        .expect("install server credential");
    b.trace_handshakes(TraceOptions::default())
        .expect("attach tracing");
    f(&mut b);
    b.build()
}

/// A traced client context that verifies against the test root, tuned by `f`.
pub fn client_ctx(f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_client()).expect("client ctx");
    b.set_verify(SslVerifyMode::PEER);
    b.set_cert_store(pki().trust_store().expect("trust store"));
    b.trace_handshakes(TraceOptions::default())
        .expect("attach tracing");
    f(&mut b);
    b.build()
}

/// Both sides' view of one connection.
pub struct Pair {
    pub client: HandshakeTrace,
    pub server: HandshakeTrace,
    /// The client's session after the exchange, for resumption.
    pub session: Option<SslSession>,
}

/// Runs one connection: handshake, the server sends [`PING`], the client
/// reads it and closes. `session` is offered for resumption.
pub fn connect(server: &SslContext, client: &SslContext, session: Option<&SslSession>) -> Pair {
    connect_with(server, client, session, "localhost")
}

#[allow(unsafe_code)] // SSL_set_session, which the openssl crate marks unsafe
pub fn connect_with(
    server: &SslContext,
    client: &SslContext,
    session: Option<&SslSession>,
    sni: &str,
) -> Pair {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let server = server.clone();
    let server_side = thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        set_timeouts(&tcp);
        let ssl = Ssl::new(&server).expect("server ssl");
        match ssl.accept(tcp) {
            Ok(mut tls) => {
                tls.write_all(PING).expect("server write");
                let mut buf = [0u8; 64];
                // Until the client's close_notify (0) or an error.
                while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
                let _ = tls.shutdown();
                trace_of(&tls)
            }
            Err(e) => failed_trace(e),
        }
    });

    let tcp = TcpStream::connect(addr).expect("connect");
    set_timeouts(&tcp);
    let mut ssl = Ssl::new(client).expect("client ssl");
    ssl.set_hostname(sni).expect("sni");
    ssl.param_mut().set_host("localhost").expect("verify host");
    if let Some(s) = session {
        // SAFETY: the session comes from an earlier connection made from
        // this same `client` context.
        unsafe { ssl.set_session(s) }.expect("set session");
    }
    let (client_trace, session) = match ssl.connect(tcp) {
        Ok(mut tls) => {
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).expect("client reads ping");
            assert_eq!(&buf[..], PING);
            let session = tls.ssl().session().map(|s| s.to_owned());
            let _ = tls.shutdown();
            (trace_of(&tls), session)
        }
        Err(e) => (failed_trace(e), None),
    };
    let server_trace = server_side.join().expect("server thread");
    Pair {
        client: client_trace,
        server: server_trace,
        session,
    }
}

pub fn set_timeouts(tcp: &TcpStream) {
    tcp.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
    tcp.set_write_timeout(Some(TIMEOUT)).expect("write timeout");
}

pub fn trace_of<S>(tls: &SslStream<S>) -> HandshakeTrace {
    openssl_handshake::trace(tls.ssl()).expect("tracing attached")
}

fn failed_trace<S>(e: HandshakeError<S>) -> HandshakeTrace {
    match e {
        HandshakeError::Failure(mid) => {
            openssl_handshake::trace(mid.ssl()).expect("tracing attached")
        }
        HandshakeError::WouldBlock(_) => panic!("blocking sockets never would-block"),
        HandshakeError::SetupFailure(e) => panic!("setup failed: {e}"),
    }
}

/// The long state strings of a trace, in order.
pub fn states(t: &HandshakeTrace) -> Vec<String> {
    t.states().map(|s| s.long.to_string()).collect()
}

/// Asserts that `want` appears in `have` in order (other lines may sit
/// between them).
pub fn assert_in_order(have: &[String], want: &[&str]) {
    let mut rest = have.iter();
    for w in want {
        assert!(
            rest.any(|h| h == w),
            "expected state {w:?} (in this order: {want:#?}) in:\n{have:#?}"
        );
    }
}
