//! What the integration tests share: the test PKI, traced contexts, and
//! paired client and server threads over loopback TCP.
//!
//! [`tool`] runs the command-line tools the tests compare with,
//! [`against_tools`] sets s_client and s_server against a traced end,
//! [`diagnosis`] holds the failure-cause tests' peers and checks,
//! [`flight`] builds a server's TLS 1.2 flight byte by byte,
//! [`hello`] edits ClientHello bytes, and [`reference`] compares traces
//! with what s_client and s_server print.
#![allow(dead_code)]

pub mod against_tools;
pub mod diagnosis;
pub mod flight;
pub mod hello;
pub mod issue;
pub mod reference;
pub mod sink;
pub mod tool;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use openssl::ssl::{
    HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslSession, SslStream,
    SslVerifyMode,
};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::{Credential, KeyType, Pki};

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
    server_ctx_with(pki().server(key), f)
}

/// A traced server context presenting `cred`, tuned by `f`.
pub fn server_ctx_with(cred: &Credential, f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("server ctx");
    cred.install(&mut b).expect("install server credential");
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
    /// The client's session after the exchange, for resumption; `None`
    /// also when the connection did not keep it.
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
    let (listener, addr) = listener();
    let server = server.clone();
    let server_side = thread::spawn(move || match accept_tls(&listener, &server) {
        Ok(mut tls) => {
            serve_ping(&mut tls);
            trace_of(&tls)
        }
        Err(e) => failed_trace(e),
    });

    let mut ssl = client_ssl(client, sni);
    if let Some(s) = session {
        // SAFETY: the session comes from an earlier connection made from
        // this same `client` context.
        unsafe { ssl.set_session(s) }.expect("set session");
    }
    let (client_trace, session) = match ssl.connect(connect_tcp(addr)) {
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

/// A loopback listener on a free port, and its address.
pub fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("local addr");
    (l, addr)
}

/// A TCP connection to `addr` whose every wait gives up after [`TIMEOUT`].
pub fn connect_tcp(addr: SocketAddr) -> TcpStream {
    let tcp = TcpStream::connect(addr).expect("connect");
    set_timeouts(&tcp);
    tcp
}

pub fn set_timeouts(tcp: &TcpStream) {
    set_timeouts_to(tcp, TIMEOUT);
}

pub fn set_timeouts_to(tcp: &TcpStream, t: Duration) {
    tcp.set_read_timeout(Some(t)).expect("read timeout");
    tcp.set_write_timeout(Some(t)).expect("write timeout");
}

/// A client `SSL` of `ctx` asking for `sni` and checking the host
/// "localhost".
pub fn client_ssl(ctx: &SslContext, sni: &str) -> Ssl {
    let mut ssl = Ssl::new(ctx).expect("client ssl");
    ssl.set_hostname(sni).expect("sni");
    ssl.param_mut().set_host("localhost").expect("verify host");
    ssl
}

/// Accepts one connection on `listener` and runs `ctx`'s server handshake
/// on it.
pub fn accept_tls(
    listener: &TcpListener,
    ctx: &SslContext,
) -> Result<SslStream<TcpStream>, HandshakeError<TcpStream>> {
    let (tcp, _) = listener.accept().expect("accept");
    set_timeouts(&tcp);
    Ssl::new(ctx).expect("server ssl").accept(tcp)
}

/// Accepts one connection on `listener` and serves it with `ctx`: a
/// handshake that must succeed, then [`serve_ping`].
pub fn serve_one(listener: &TcpListener, ctx: &SslContext) -> HandshakeTrace {
    let mut tls = accept_tls(listener, ctx).expect("server handshake");
    serve_ping(&mut tls);
    trace_of(&tls)
}

/// The server's part after its handshake: [`PING`], then read until the
/// client closes, then close_notify.
pub fn serve_ping<S: Read + Write>(tls: &mut SslStream<S>) {
    tls.write_all(PING).expect("server write");
    read_to_close(tls);
    let _ = tls.shutdown();
}

/// Reads until the peer's close_notify (0) or an error.
pub fn read_to_close(tls: &mut impl Read) {
    let mut buf = [0u8; 64];
    while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
}

/// A raw TCP server that runs `behave` on the one connection it accepts.
pub fn raw_server(behave: impl FnOnce(TcpStream) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    let (l, addr) = listener();
    let handle = thread::spawn(move || {
        let (tcp, _) = l.accept().expect("accept");
        set_timeouts(&tcp);
        behave(tcp);
    });
    (addr, handle)
}

pub fn trace_of<S>(tls: &SslStream<S>) -> HandshakeTrace {
    openssl_handshake::trace(tls.ssl()).expect("tracing attached")
}

/// The trace of a handshake that failed; blocking sockets must not
/// time out.
pub fn failed_trace<S>(e: HandshakeError<S>) -> HandshakeTrace {
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

/// RFC 7919's ffdhe2048 parameters, as `openssl genpkey` writes them.
pub fn ffdhe2048() -> openssl::dh::Dh<openssl::pkey::Params> {
    let pem = testkit::command::stdout_of(
        std::process::Command::new("openssl").args([
            "genpkey",
            "-genparam",
            "-algorithm",
            "DH",
            "-pkeyopt",
            "group:ffdhe2048",
        ]),
        "the openssl package",
    );
    openssl::dh::Dh::params_from_pem(&pem).expect("DH parameters")
}
