//! Creates and drops traced connections and checks that the heap returns
//! to its baseline: a recorder that outlived its `SSL` would show up as
//! growth proportional to the count.
//!
//! ```text
//! cargo run --release -p openssl-handshake --example leak_check -- 10000
//! ```
//!
//! The heap is read with glibc's `mallinfo2`, which counts OpenSSL's
//! allocations as well as Rust's. Exits non-zero on growth.

use std::error::Error;

use openssl::ssl::{
    HandshakeError, MidHandshakeSslStream, Ssl, SslContext, SslMethod, SslSessionCacheMode,
    SslStream, SslVerifyMode,
};
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::duplex::{self, DuplexStream};
use testkit::pki::{KeyType, Pki};

/// Growth allowed after the warm-up: allocator bookkeeping, not a leak of
/// even one 10-byte allocation per connection over 10,000 of them.
const SLACK_BYTES: i64 = 64 * 1024;

type Progress = Result<SslStream<DuplexStream>, MidHandshakeSslStream<DuplexStream>>;

fn step(p: Progress) -> Result<Progress, Box<dyn Error>> {
    match p {
        Err(mid) => match mid.handshake() {
            Ok(s) => Ok(Ok(s)),
            Err(HandshakeError::WouldBlock(m)) => Ok(Err(m)),
            Err(e) => Err(e.to_string().into()),
        },
        done => Ok(done),
    }
}

fn start(
    r: Result<SslStream<DuplexStream>, HandshakeError<DuplexStream>>,
) -> Result<Progress, Box<dyn Error>> {
    match r {
        Ok(s) => Ok(Ok(s)),
        Err(HandshakeError::WouldBlock(m)) => Ok(Err(m)),
        Err(e) => Err(e.to_string().into()),
    }
}

fn one_connection(server: &SslContext, client: &SslContext) -> Result<(), Box<dyn Error>> {
    let (client_io, server_io) = duplex::pair();
    let mut c = start(Ssl::new(client)?.connect(client_io))?;
    let mut s = start(Ssl::new(server)?.accept(server_io))?;
    for _ in 0..10 {
        c = step(c)?;
        s = step(s)?;
    }
    let (Ok(c), Ok(s)) = (c, s) else {
        return Err("handshake did not finish".into());
    };
    let traces = (
        openssl_handshake::trace(c.ssl()),
        openssl_handshake::trace(s.ssl()),
    );
    match traces {
        (Some(ct), Some(st)) if ct.succeeded() && st.succeeded() => Ok(()),
        _ => Err("a trace is missing or not successful".into()),
    }
}

#[allow(unsafe_code)] // mallinfo2, which libc cannot offer safely
fn heap_in_use() -> i64 {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks as i64
}

fn main() -> Result<(), Box<dyn Error>> {
    let count: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(10_000);
    let pki = Pki::generate()?;
    let mut sb = SslContext::builder(SslMethod::tls_server())?;
    pki.server(KeyType::EcdsaP256).install(&mut sb)?;
    // A server session cache grows by design; it is not what is measured.
    sb.set_session_cache_mode(SslSessionCacheMode::OFF);
    sb.set_num_tickets(0)?;
    sb.trace_handshakes(TraceOptions::default().raw_bytes(true))?;
    let server = sb.build();
    let mut cb = SslContext::builder(SslMethod::tls_client())?;
    cb.set_verify(SslVerifyMode::PEER);
    cb.set_cert_store(pki.trust_store()?);
    cb.trace_handshakes(TraceOptions::default().on_complete(|t| {
        let _ = t.to_json();
    }))?;
    let client = cb.build();

    for _ in 0..200 {
        one_connection(&server, &client)?;
    }
    let baseline = heap_in_use();
    for _ in 0..count {
        one_connection(&server, &client)?;
    }
    let growth = heap_in_use() - baseline;
    println!(
        "{count} traced connections: heap {baseline} -> {} bytes ({growth:+})",
        baseline + growth
    );
    if growth > SLACK_BYTES {
        return Err(format!("heap grew by {growth} bytes over {count} connections: a leak").into());
    }
    println!("no growth beyond {SLACK_BYTES} bytes of allocator slack");
    Ok(())
}
