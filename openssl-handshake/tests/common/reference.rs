//! Comparing a trace with what `openssl s_client`/`s_server -state -msg`
//! print for the same connection, and the settings both sides share.

use openssl::ssl::{SslContextBuilder, SslStream, SslVerifyMode, SslVersion};
use openssl_handshake::HandshakeTrace;

use super::pki;

pub use testkit::msg_lines::message_lines;

/// One connection's state lines and message header lines.
#[derive(Debug)]
pub struct Logs {
    pub states: String,
    pub messages: String,
}

impl Logs {
    pub fn of(trace: &HandshakeTrace) -> Logs {
        Logs {
            states: trace.state_log(),
            messages: message_lines(&trace.message_log()),
        }
    }
}

/// The lines the tools' info callback prints, one string per connection
/// (each starts with "before SSL initialization", which OpenSSL reports
/// twice as a handshake starts).
pub fn state_lines(output: &str) -> Vec<String> {
    let mut connections: Vec<String> = Vec::new();
    let mut before = false;
    for l in output.lines() {
        let state = l.starts_with("SSL_connect:") || l.starts_with("SSL_accept:");
        if !state && !l.starts_with("SSL3 alert") {
            continue;
        }
        let starts = l.ends_with(":before SSL initialization");
        if (starts && !before) || connections.is_empty() {
            connections.push(String::new());
        }
        before = starts;
        let last = connections.last_mut().expect("pushed above");
        last.push_str(l);
        last.push('\n');
    }
    connections
}

/// Asserts that each connection's state log equals the tool's, and that
/// the message lines of all connections, in order, equal `messages` (the
/// tool's: s_server prints its connections' `-msg` lines without a mark
/// between them).
pub fn assert_logs_match(
    name: &str,
    side: &str,
    tool: &str,
    ours: &[Logs],
    reference: &[Logs],
    messages: &str,
) {
    assert_eq!(ours.len(), reference.len(), "{name}: connections");
    for (i, (o, r)) in ours.iter().zip(reference).enumerate() {
        assert!(
            r.states.lines().count() >= 4,
            "{name}: {tool} printed too little:\n{}",
            r.states
        );
        assert_eq!(
            o.states,
            r.states,
            "{name}, connection {}: our {side}'s state log differs from {tool}'s",
            i + 1
        );
    }
    assert!(
        messages.lines().count() >= 2,
        "{name}: {tool} -msg printed too little"
    );
    let ours: String = ours.iter().map(|o| o.messages.as_str()).collect();
    assert_eq!(
        ours, messages,
        "{name}: our {side}'s message lines differ from {tool} -msg's"
    );
}

pub fn tls12(b: &mut SslContextBuilder) {
    b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
}

pub fn tls13(b: &mut SslContextBuilder) {
    b.set_min_proto_version(Some(SslVersion::TLS1_3)).unwrap();
}

/// As `s_server -Verify 1 -CAfile root.pem` does: the CertificateRequest
/// names the root as the CA a client certificate must chain to.
pub fn require_client_cert(b: &mut SslContextBuilder) {
    b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    b.set_cert_store(pki().trust_store().unwrap());
    b.add_client_ca(pki().root()).unwrap();
}

/// `SSL_VERIFY_POST_HANDSHAKE` (ssl.h), which the openssl crate does not
/// name: the server verifies a client certificate it asks for after the
/// handshake, and asks for none during it.
const SSL_VERIFY_POST_HANDSHAKE: i32 = 0x08;

/// A server that asks for a client certificate only after its handshake.
pub fn ask_for_client_cert_after_handshake(b: &mut SslContextBuilder) {
    let mode = SslVerifyMode::from_bits_retain(SSL_VERIFY_POST_HANDSHAKE);
    b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT | mode);
}

/// A client that answers a TLS 1.3 certificate request after the
/// handshake (`SSL_CTX_set_post_handshake_auth`, s_client `-enable_pha`).
#[allow(unsafe_code)] // a call the `openssl` crate does not wrap
pub fn answer_certificate_requests_after_handshake(b: &mut SslContextBuilder) {
    // SAFETY: the builder owns a live SSL_CTX; the call sets one flag.
    unsafe { openssl_sys::SSL_CTX_set_post_handshake_auth(b.as_ptr(), 1) };
}

/// Schedules a TLS 1.3 certificate request on an established server
/// connection (`SSL_verify_client_post_handshake`); it goes out with the
/// next write.
#[allow(unsafe_code)] // a call the `openssl` crate does not wrap
pub fn request_client_cert<S>(tls: &mut SslStream<S>) {
    extern "C" {
        // __owur int SSL_verify_client_post_handshake(SSL *s); (ssl.h),
        // checked against it as written here by header_check.
        fn SSL_verify_client_post_handshake(s: *mut openssl_sys::SSL) -> libc::c_int;
    }
    // SAFETY: the stream owns a live SSL that this thread alone uses (it
    // is borrowed mutably); the call only schedules the request.
    let scheduled = unsafe {
        SSL_verify_client_post_handshake(foreign_types::ForeignTypeRef::as_ptr(tls.ssl()))
    };
    assert_eq!(scheduled, 1, "SSL_verify_client_post_handshake");
}
