//! Comparing a trace with what `openssl s_client`/`s_server -state -msg`
//! print for the same connection, and the settings both sides share.

use openssl::ssl::{SslContextBuilder, SslVerifyMode, SslVersion};
use openssl_handshake::HandshakeTrace;

use super::pki;

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

pub use testkit::msg_lines::message_lines;

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
