//! With info events filtered out, as many services run, a failed
//! handshake's warning still sits in the application's span (its
//! connection, its peer), not at the root: the handshake's own span is then
//! disabled, and the event must not name it as its parent.
#![cfg(feature = "tracing")]

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use common::{accept_tls, listener, server_ctx};
use testkit::pki::KeyType;

/// Where the subscriber writes, shared with the test.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failure_keeps_the_application_span_when_info_is_filtered_out() {
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let server = server_ctx(KeyType::Rsa2048, |_| {});
    let (l, addr) = listener();
    let client = std::thread::spawn(move || {
        let mut tcp = TcpStream::connect(addr).expect("connect");
        let _ = tcp.write_all(b"GET / HTTP/1.0\r\n\r\n");
        let _ = std::io::Read::read(&mut tcp, &mut [0u8; 64]);
    });
    tracing::subscriber::with_default(subscriber, || {
        let _conn = tracing::warn_span!("conn", peer = "test").entered();
        assert!(
            accept_tls(&l, &server).is_err(),
            "plain HTTP is no handshake"
        );
    });
    client.join().expect("client thread");
    let out = String::from_utf8_lossy(&sink.0.lock().expect("sink")).into_owned();
    let line = out
        .lines()
        .find(|l| l.contains("TLS handshake failed"))
        .unwrap_or_else(|| panic!("no failure event: {out}"));
    assert!(line.contains("conn{peer=\"test\"}"), "{line}");
}
