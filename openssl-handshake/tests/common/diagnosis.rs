//! Helpers for the diagnosis tests: traced ends that tolerate failure on
//! either side, the configurations each cause is built from (the
//! in-process and the `openssl`-tool tests break a peer the same way),
//! and an assertion that prints the whole diagnosis and trace when the
//! cause differs.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use openssl::ssl::{
    AlpnError, HandshakeError, NameType, SniError, Ssl, SslAlert, SslContext, SslContextBuilder,
    SslMethod, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::store::X509StoreBuilder;
use openssl_handshake::{
    Cause, Diagnosis, Fault, HandshakeTrace, SslContextBuilderExt, TraceOptions,
};
use testkit::first_flight::first_flight;
use testkit::pki::{Credential, KeyType, Negative};

use super::{
    accept_tls, client_ssl, connect_tcp, listener, pki, read_to_close, trace_of, Pair, PING,
};

/// Each server certificate that fails verification, with the cause it
/// must be diagnosed as.
pub const SERVER_CERT_NEGATIVES: [(Negative, Cause); 10] = [
    (Negative::Expired, Cause::ServerCertExpired),
    (Negative::NotYetValid, Cause::ServerCertNotYetValid),
    (Negative::WrongHost, Cause::ServerCertWrongHost),
    (Negative::SelfSigned, Cause::ServerCertSelfSigned),
    (Negative::UntrustedRoot, Cause::ServerCertUntrustedRoot),
    (
        Negative::MissingIntermediate,
        Cause::ServerCertMissingIntermediate,
    ),
    (Negative::WrongPurpose, Cause::ServerCertWrongPurpose),
    (Negative::ExpiredIntermediate, Cause::ServerCertExpired),
    (Negative::WeakKey, Cause::ServerCertWeak),
    (Negative::Sha1Signature, Cause::ServerCertWeak),
];

/// A traced server presenting `n`, at the security level that lets it
/// load it, tuned by `f`.
pub fn negative_server(n: Negative, f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("server ctx");
    if let Some(level) = n.server_level() {
        b.set_security_level(level);
    }
    pki().negative(n).install(&mut b).expect("install negative");
    b.trace_handshakes(TraceOptions::default())
        .expect("attach tracing");
    f(&mut b);
    b.build()
}

/// A traced, verifying client at the security level that refuses `n`,
/// tuned by `f`.
pub fn negative_client(n: Negative, f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    super::client_ctx(|b| {
        if let Some(level) = n.client_level() {
            b.set_security_level(level);
        }
        f(b);
    })
}

/// The server credential most tests present.
pub fn rsa() -> &'static Credential {
    pki().server(KeyType::Rsa2048)
}

pub fn tls12(b: &mut SslContextBuilder) {
    b.set_max_proto_version(Some(SslVersion::TLS1_2))
        .expect("max version");
}

/// No minimum version, security level 2: TLS 1.0 is in range, but the
/// level forbids the SHA-1 and MD5 signatures TLS 1.1 and older make.
pub fn no_minimum_at_level_2(b: &mut SslContextBuilder) {
    b.set_min_proto_version(None).expect("min");
    b.set_security_level(2);
}

pub fn tls13(b: &mut SslContextBuilder) {
    b.set_min_proto_version(Some(SslVersion::TLS1_3))
        .expect("min version");
}

/// A server's verify mode that asks for a client certificate and requires one.
const CLIENT_CERT_REQUIRED: SslVerifyMode =
    SslVerifyMode::PEER.union(SslVerifyMode::FAIL_IF_NO_PEER_CERT);

/// The server demands a client certificate issued by the test root.
pub fn require_client_cert(b: &mut SslContextBuilder) {
    b.set_verify(CLIENT_CERT_REQUIRED);
    b.set_cert_store(pki().trust_store().expect("store"));
}

/// The server demands a client certificate and trusts none.
pub fn reject_client_certs(b: &mut SslContextBuilder) {
    b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    b.set_cert_store(X509StoreBuilder::new().expect("store").build());
}

/// The server serves "localhost" alone and refuses any other SNI name
/// with a fatal unrecognized_name alert.
pub fn serve_localhost_only(b: &mut SslContextBuilder) {
    b.set_servername_callback(|ssl, alert| {
        if ssl.servername(NameType::HOST_NAME) == Some("localhost") {
            Ok(())
        } else {
            *alert = SslAlert::UNRECOGNIZED_NAME;
            Err(SniError::ALERT_FATAL)
        }
    });
}

/// The server speaks http/1.1 alone and fails a handshake offering
/// nothing else.
pub fn require_http11(b: &mut SslContextBuilder) {
    b.set_alpn_select_callback(|_, client| {
        openssl::ssl::select_next_proto(b"\x08http/1.1", client).ok_or(AlpnError::ALERT_FATAL)
    });
}

/// One connection over loopback between the two traced contexts, the
/// client asking for `sni` and checking the host "localhost".
pub fn pair(server: &SslContext, client: &SslContext, sni: &str) -> Pair {
    let (addr, server) = traced_server(server);
    let client = traced_client(client, addr, sni, |_| {});
    Pair {
        client,
        server: server.join().expect("server thread"),
        session: None,
    }
}

/// A traced server that accepts one connection; after a handshake it sends
/// a line and reads until the client closes.
pub fn traced_server(ctx: &SslContext) -> (SocketAddr, JoinHandle<HandshakeTrace>) {
    let (l, addr) = listener();
    let ctx = ctx.clone();
    let handle = thread::spawn(move || match accept_tls(&l, &ctx) {
        Ok(mut tls) => {
            let _ = tls.write_all(PING);
            read_to_close(&mut tls);
            trace_of(&tls)
        }
        Err(e) => unfinished_trace(e),
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
    match client_ssl(ctx, sni).connect(connect_tcp(addr)) {
        Ok(mut tls) => {
            let mut buf = [0u8; 5];
            let _ = tls.read(&mut buf);
            tune(&mut tls);
            let trace = trace_of(&tls);
            let _ = tls.shutdown();
            trace
        }
        Err(e) => unfinished_trace(e),
    }
}

/// The trace of a handshake that did not finish: failed, or given up on
/// when a socket wait timed out.
pub fn unfinished_trace<S>(e: HandshakeError<S>) -> HandshakeTrace {
    match e {
        HandshakeError::WouldBlock(mid) => {
            openssl_handshake::trace(mid.ssl()).expect("tracing attached")
        }
        e => super::failed_trace(e),
    }
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

/// What a traced server on `ctx` made of `bytes` from a raw client that
/// then reads a little of the answer and hangs up.
pub fn server_trace_of_bytes(ctx: &SslContext, bytes: &[u8]) -> HandshakeTrace {
    server_trace_of_flights(ctx, &[bytes])
}

/// As [`server_trace_of_bytes`], with a read of the answer after each
/// flight.
pub fn server_trace_of_flights(ctx: &SslContext, flights: &[&[u8]]) -> HandshakeTrace {
    let (addr, server) = traced_server(ctx);
    let mut tcp = connect_tcp(addr);
    for flight in flights {
        tcp.write_all(flight).expect("write");
        let _ = tcp.read(&mut [0u8; 16 * 1024]);
    }
    drop(tcp);
    server.join().expect("server thread")
}

/// The bytes of the ClientHello an untraced default client sends.
pub fn client_hello_bytes() -> Vec<u8> {
    let ctx = SslContext::builder(SslMethod::tls_client())
        .expect("ctx")
        .build();
    let mut ssl = Ssl::new(&ctx).expect("ssl");
    ssl.set_hostname("localhost").expect("sni");
    first_flight(ssl).expect("capturing a ClientHello")
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
    // A string broken across lines without `\` keeps the indentation
    // (OpenSSL's own dates have two spaces: "Dec  2").
    assert!(
        !d.summary.contains("   ") && !d.fix.contains("   "),
        "{what}: a run of spaces in {d}"
    );
    let json = serde_json::to_value(&d).expect("diagnosis serializes");
    assert_eq!(json["cause"], want.name(), "{what}: {json}");
}

/// [`assert_cause`], then the fault and how the summary begins; returns
/// the diagnosis for further checks.
pub fn assert_diagnosis(
    trace: &HandshakeTrace,
    (cause, fault): (Cause, Fault),
    summary_start: &str,
    what: &str,
) -> Diagnosis {
    assert_cause(trace, cause, what);
    let d = trace.diagnosis().expect("checked by assert_cause");
    assert_eq!(d.fault, fault, "{what}: {d}");
    assert!(d.summary.starts_with(summary_start), "{what}: {d}");
    d
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

/// Makes `tls`'s next handshake (a renegotiation) ask for the peer's
/// certificate and require one: `SSL_set_verify` on a live stream, which
/// the `openssl` crate offers only on an `Ssl` not yet in one.
#[allow(unsafe_code)] // a call the `openssl` crate does not wrap here
pub fn require_client_cert_from_now<S>(tls: &mut SslStream<S>) {
    // SAFETY: the stream owns a live SSL that this thread alone uses (it
    // is borrowed mutably); SSL_set_verify only stores the mode, and a
    // null callback keeps OpenSSL's own verification.
    unsafe {
        openssl_sys::SSL_set_verify(
            foreign_types::ForeignTypeRef::as_ptr(tls.ssl()),
            CLIENT_CERT_REQUIRED.bits(),
            None,
        )
    };
}

/// Schedules a renegotiation on `tls` (`SSL_renegotiate`, which the
/// `openssl` crate does not wrap) and asserts OpenSSL accepted it.
#[allow(unsafe_code)] // the one call the `openssl` crate lacks
pub fn renegotiate<S>(tls: &mut SslStream<S>) {
    extern "C" {
        // int SSL_renegotiate(SSL *s); (ssl.h), checked against it as
        // written here by header_check.
        fn SSL_renegotiate(s: *mut openssl_sys::SSL) -> libc::c_int;
    }
    // SAFETY: the stream owns a live SSL that this thread alone uses (it
    // is borrowed mutably); SSL_renegotiate only schedules a new handshake.
    let scheduled = unsafe { SSL_renegotiate(foreign_types::ForeignTypeRef::as_ptr(tls.ssl())) };
    assert_eq!(scheduled, 1, "SSL_renegotiate");
}

/// `SSL_KEY_UPDATE_REQUESTED` (ssl.h): the peer must update its keys too.
/// The library's header check covers this value and the declaration below
/// in its sys module.
pub const KEY_UPDATE_REQUESTED: libc::c_int = 1;

/// Schedules a TLS 1.3 key update of `kind` on `tls` (`SSL_key_update`,
/// which the `openssl` crate does not wrap); it is sent at the next write
/// or handshake call.
#[allow(unsafe_code)] // the one call the `openssl` crate lacks
pub fn key_update<S>(tls: &mut SslStream<S>, kind: libc::c_int) {
    extern "C" {
        // int SSL_key_update(SSL *s, int updatetype); (ssl.h), checked
        // against it as written here by header_check.
        fn SSL_key_update(s: *mut openssl_sys::SSL, updatetype: libc::c_int) -> libc::c_int;
    }
    // SAFETY: the stream owns a live SSL that this thread alone uses (it
    // is borrowed mutably); SSL_key_update only schedules the message.
    let scheduled =
        unsafe { SSL_key_update(foreign_types::ForeignTypeRef::as_ptr(tls.ssl()), kind) };
    assert_eq!(scheduled, 1, "SSL_key_update");
}

/// A server context for the silent-peer tests: the RSA credential and a
/// hook instead of the default tracing, so that an abandoned handshake's
/// trace still arrives.
pub fn hooked_server() -> (SslContext, mpsc::Receiver<HandshakeTrace>) {
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("ctx");
    rsa().install(&mut b).expect("credential");
    let traces = hooked(&mut b);
    (b.build(), traces)
}

/// A TCP stream that changes its `nth` write (counted from 1) with
/// `change` on the way out: a middlebox, or a bit flipped in transit.
pub struct Altered<F> {
    tcp: TcpStream,
    writes: usize,
    nth: usize,
    change: F,
}

impl<F: FnMut(&mut Vec<u8>)> Altered<F> {
    pub fn new(tcp: TcpStream, nth: usize, change: F) -> Self {
        Altered {
            tcp,
            writes: 0,
            nth,
            change,
        }
    }
}

impl<F> Read for Altered<F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.read(buf)
    }
}

impl<F: FnMut(&mut Vec<u8>)> Write for Altered<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        if self.writes != self.nth {
            return self.tcp.write(buf);
        }
        let mut changed = buf.to_vec();
        (self.change)(&mut changed);
        self.tcp.write_all(&changed)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// A trace from `tests/traces/`, recorded by `tls-harness probe --format
/// json` against a hostile TLS 1.3 server (its flight under the
/// handshake keys built by hand, which OpenSSL's server cannot be made
/// to send).
pub fn recorded_trace(name: &str) -> HandshakeTrace {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/traces")
        .join(name);
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    HandshakeTrace::from_json(&json).expect("a trace")
}
