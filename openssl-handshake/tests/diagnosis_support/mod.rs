//! Helpers for the diagnosis tests: traced ends that tolerate failure on
//! either side, raw TCP peers that misbehave on purpose, and an assertion
//! that prints the whole diagnosis and trace when the cause differs.
#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use openssl::ssl::{
    HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslStream, SslVerifyMode,
};
use openssl_handshake::{Cause, HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::duplex;
use testkit::pki::{Credential, Pki};

/// Every socket wait in these tests gives up after this long.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki::generate().expect("test PKI"))
}

/// A traced server context presenting `cred`, tuned by `f`.
pub fn server_ctx(cred: &Credential, f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("server ctx");
    cred.install(&mut b).expect("install server credential");
    b.trace_handshakes(TraceOptions::default())
        .expect("attach tracing");
    f(&mut b);
    b.build()
}

/// A traced client context that verifies against the test root, tuned by
/// `f`.
pub fn client_ctx(f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_client()).expect("client ctx");
    b.set_verify(SslVerifyMode::PEER);
    b.set_cert_store(pki().trust_store().expect("trust store"));
    b.trace_handshakes(TraceOptions::default())
        .expect("attach tracing");
    f(&mut b);
    b.build()
}

/// Both sides' traces of one connection.
pub struct Pair {
    pub client: HandshakeTrace,
    pub server: HandshakeTrace,
}

/// One connection over loopback between the two traced contexts, the
/// client asking for `sni` and checking the host "localhost".
pub fn pair(server: &SslContext, client: &SslContext, sni: &str) -> Pair {
    let (addr, server) = traced_server(server);
    let client = traced_client(client, addr, sni, |_| {});
    Pair {
        client,
        server: server.join().expect("server thread"),
    }
}

pub fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("local addr");
    (l, addr)
}

pub fn set_timeouts(tcp: &TcpStream, t: Duration) {
    tcp.set_read_timeout(Some(t)).expect("read timeout");
    tcp.set_write_timeout(Some(t)).expect("write timeout");
}

/// A traced server that accepts one connection; after a handshake it sends
/// a line and reads until the client closes.
pub fn traced_server(ctx: &SslContext) -> (SocketAddr, JoinHandle<HandshakeTrace>) {
    let (l, addr) = listener();
    let ctx = ctx.clone();
    let handle = thread::spawn(move || {
        let (tcp, _) = l.accept().expect("accept");
        set_timeouts(&tcp, TIMEOUT);
        let ssl = Ssl::new(&ctx).expect("server ssl");
        match ssl.accept(tcp) {
            Ok(mut tls) => {
                let _ = tls.write_all(b"ping\n");
                let mut buf = [0u8; 64];
                while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
                trace_of(&tls)
            }
            Err(e) => failed_trace(e),
        }
    });
    (addr, handle)
}

/// A traced client connection to `addr`; `tune` adjusts its `SslStream`
/// after the handshake (e.g. to renegotiate). It reads once after the
/// handshake, so that an alert the server sends late (TLS 1.3 client
/// authentication) is recorded.
pub fn traced_client(
    ctx: &SslContext,
    addr: SocketAddr,
    sni: &str,
    tune: impl FnOnce(&mut SslStream<TcpStream>),
) -> HandshakeTrace {
    let tcp = TcpStream::connect(addr).expect("connect");
    set_timeouts(&tcp, TIMEOUT);
    let mut ssl = Ssl::new(ctx).expect("client ssl");
    ssl.set_hostname(sni).expect("sni");
    ssl.param_mut().set_host("localhost").expect("verify host");
    match ssl.connect(tcp) {
        Ok(mut tls) => {
            let mut buf = [0u8; 5];
            let _ = tls.read(&mut buf);
            tune(&mut tls);
            let trace = trace_of(&tls);
            let _ = tls.shutdown();
            trace
        }
        Err(e) => failed_trace(e),
    }
}

pub fn trace_of<S>(tls: &SslStream<S>) -> HandshakeTrace {
    openssl_handshake::trace(tls.ssl()).expect("tracing attached")
}

pub fn failed_trace<S>(e: HandshakeError<S>) -> HandshakeTrace {
    match e {
        HandshakeError::Failure(mid) => {
            openssl_handshake::trace(mid.ssl()).expect("tracing attached")
        }
        HandshakeError::WouldBlock(mid) => {
            openssl_handshake::trace(mid.ssl()).expect("tracing attached")
        }
        HandshakeError::SetupFailure(e) => panic!("setup failed: {e}"),
    }
}

/// A raw TCP server that runs `behave` on the one connection it accepts.
pub fn raw_server(behave: impl FnOnce(TcpStream) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    let (l, addr) = listener();
    let handle = thread::spawn(move || {
        let (tcp, _) = l.accept().expect("accept");
        set_timeouts(&tcp, TIMEOUT);
        behave(tcp);
    });
    (addr, handle)
}

/// Reads one TLS record (header and body) from `tcp`.
pub fn read_record(tcp: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut header = [0u8; 5];
    tcp.read_exact(&mut header)?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; len];
    tcp.read_exact(&mut body)?;
    Ok([header.to_vec(), body].concat())
}

/// The bytes of the ClientHello an untraced default client sends.
pub fn client_hello_bytes() -> Vec<u8> {
    let ctx = SslContext::builder(SslMethod::tls_client())
        .expect("ctx")
        .build();
    let mut ssl = Ssl::new(&ctx).expect("ssl");
    ssl.set_hostname("localhost").expect("sni");
    // The peer end never answers, so the client stops after its first flight.
    let (mut io, _peer) = duplex::pair();
    io.record_writes();
    match ssl.connect(io) {
        Err(HandshakeError::WouldBlock(mid)) => mid.get_ref().written().to_vec(),
        Ok(_) => panic!("a handshake cannot finish without a server"),
        Err(e) => panic!("capturing a ClientHello: {e}"),
    }
}

/// A traced context whose completion hook sends each finished trace (also
/// abandoned ones) down the returned channel.
pub fn hooked(b: &mut SslContextBuilder) -> mpsc::Receiver<HandshakeTrace> {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    b.trace_handshakes(TraceOptions::default().on_complete(move |t| {
        if let Ok(tx) = tx.lock() {
            let _ = tx.send(t.clone());
        }
    }))
    .expect("attach tracing");
    rx
}

/// Asserts the diagnosis of `trace` has `want` as its cause, printing the
/// diagnosis and the trace's message log when it does not.
pub fn assert_cause(trace: &HandshakeTrace, want: Cause, what: &str) {
    let d = trace.diagnosis();
    let got = d.as_ref().map(|d| d.cause);
    assert_eq!(
        got,
        Some(want),
        "{what} ({} side): wanted {want}, diagnosis was:\n{}\n--- outcome: {:?}\n--- messages:\n{}\n--- states:\n{}",
        trace.side,
        d.map_or("none".to_owned(), |d| d.to_string()),
        trace.outcome,
        trace.message_log(),
        trace.state_log()
    );
    let d = trace.diagnosis().expect("checked above");
    eprintln!("{what} ({} side):\n{d}\n", trace.side);
    assert!(!d.summary.is_empty() && !d.fix.is_empty(), "{what}: {d}");
    let json = serde_json::to_value(&d).expect("diagnosis serializes");
    assert_eq!(json["cause"], want.name(), "{what}: {json}");
}

/// The value of the evidence from `source`, when there is one.
pub fn evidence(trace: &HandshakeTrace, source: &str) -> Option<String> {
    trace
        .diagnosis()?
        .evidence
        .into_iter()
        .find(|e| e.source == source)
        .map(|e| e.value)
}

/// Schedules a renegotiation on `tls` (`SSL_renegotiate`, which the
/// `openssl` crate does not wrap) and asserts OpenSSL accepted it.
#[allow(unsafe_code)] // the one call the `openssl` crate lacks
pub fn renegotiate<S>(tls: &mut SslStream<S>) {
    extern "C" {
        // int SSL_renegotiate(SSL *s); the library's header check covers
        // the same declaration in its sys module.
        fn SSL_renegotiate(s: *mut openssl_sys::SSL) -> libc::c_int;
    }
    // SAFETY: the stream owns a live SSL that this thread alone uses (it
    // is borrowed mutably); SSL_renegotiate only schedules a new handshake.
    let scheduled = unsafe { SSL_renegotiate(foreign_types::ForeignTypeRef::as_ptr(tls.ssl())) };
    assert_eq!(scheduled, 1, "SSL_renegotiate");
}
