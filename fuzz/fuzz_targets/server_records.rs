//! Arbitrary bytes as a client's records into a traced server `SSL`
//! through an in-memory stream; the trace is then read and rendered in
//! every format, which decodes whatever was recorded.
#![no_main]

use std::io::{self, Read, Write};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use openssl::ssl::{Ssl, SslContext, SslMethod};
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

/// Reads come from the fuzz input, then EOF; writes are dropped.
struct Input<'a>(&'a [u8]);

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Input<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// The expects below fail only when OpenSSL cannot make a key, a context or
// an SSL at all: the machine's fault, not an input's, and nothing to fuzz.
fn server() -> &'static SslContext {
    static CTX: OnceLock<SslContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let pki = Pki::generate().expect("test PKI");
        let mut b = SslContext::builder(SslMethod::tls_server()).expect("context");
        pki.server(KeyType::EcdsaP256)
            .install(&mut b)
            .expect("credential");
        b.set_security_level(0);
        b.trace_handshakes(TraceOptions::default().raw_bytes(true))
            .expect("tracing");
        b.build()
    })
}

fuzz_target!(|data: &[u8]| {
    let ssl = Ssl::new(server()).expect("ssl");
    // 'static is not needed: the stream lives only in this call.
    let result = ssl.accept(Input(data));
    let trace = match &result {
        Ok(s) => openssl_handshake::trace(s.ssl()),
        Err(openssl::ssl::HandshakeError::Failure(m)) => openssl_handshake::trace(m.ssl()),
        Err(openssl::ssl::HandshakeError::WouldBlock(m)) => openssl_handshake::trace(m.ssl()),
        Err(openssl::ssl::HandshakeError::SetupFailure(_)) => None,
    };
    if let Some(t) = trace {
        let _ = (t.state_log(), t.message_log(), t.to_json(), t.ladder());
    }
});
