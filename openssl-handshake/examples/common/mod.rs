//! What the async examples share: the error type, the bound on every
//! network wait, contexts traced with the test PKI's certificates, and
//! the handshake and clean close of each side.
// Each example uses a part of it.
#![allow(dead_code)]

use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use openssl::ssl::{Ssl, SslAcceptor, SslAcceptorBuilder, SslConnector, SslMethod};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

pub type BoxError = Box<dyn Error + Send + Sync>;

/// The bound on every network wait: a peer that stalls becomes an error
/// naming the step, never a hang.
pub const WAIT: Duration = Duration::from_secs(10);

/// Awaits `step`, failing with a message naming it if it takes longer
/// than [`WAIT`].
pub async fn within<T, E: Into<BoxError>>(
    what: &str,
    step: impl Future<Output = Result<T, E>>,
) -> Result<T, BoxError> {
    match tokio::time::timeout(WAIT, step).await {
        Ok(result) => result.map_err(|e| format!("{what}: {}", e.into()).into()),
        Err(_) => Err(format!("{what}: no progress within {WAIT:?}").into()),
    }
}

/// A server context presenting the PKI's `key` certificate, with the
/// one line that turns tracing on. A service installs its own
/// certificate instead.
pub fn traced_acceptor(
    pki: &Pki,
    key: KeyType,
    options: TraceOptions,
) -> Result<SslAcceptorBuilder, BoxError> {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
    pki.server(key).install(&mut b)?;
    b.trace_handshakes(options)?;
    Ok(b)
}

/// A client that trusts the PKI's root, every handshake traced.
pub fn traced_connector(pki: &Pki) -> Result<SslConnector, BoxError> {
    let mut connector = SslConnector::builder(SslMethod::tls())?;
    connector.set_cert_store(pki.trust_store()?);
    connector.trace_handshakes(TraceOptions::default())?;
    Ok(connector.build())
}

/// The server's side of a handshake on `tcp`, bounded by [`WAIT`] so that
/// a client that never finishes it does not hold a task. Returns the
/// client's address and the stream.
pub async fn accept(
    ssl: Ssl,
    tcp: TcpStream,
) -> Result<(SocketAddr, SslStream<TcpStream>), BoxError> {
    let peer = tcp.peer_addr()?;
    let mut tls = SslStream::new(ssl, tcp)?;
    within("server handshake", Pin::new(&mut tls).accept()).await?;
    Ok((peer, tls))
}

/// Connects to `addr` and runs the client's side of the handshake.
/// Returns the client's own address and the stream.
pub async fn connect(
    addr: SocketAddr,
    ssl: Ssl,
) -> Result<(SocketAddr, SslStream<TcpStream>), BoxError> {
    let tcp = within("connect", TcpStream::connect(addr)).await?;
    let local = tcp.local_addr()?;
    let mut tls = SslStream::new(ssl, tcp)?;
    within("client handshake", Pin::new(&mut tls).connect()).await?;
    Ok((local, tls))
}

/// The server's clean close: it waits for the client's close_notify
/// before answering with its own, so neither side writes to a socket the
/// other has already closed; data instead is the error `extra`. Returns
/// the server's trace, which stays readable for as long as the
/// connection lives.
pub async fn close_after_client(
    mut tls: SslStream<TcpStream>,
    extra: &str,
) -> Result<HandshakeTrace, BoxError> {
    let n = within("server read to close", tls.read(&mut [0u8; 64])).await?;
    if n != 0 {
        return Err(extra.into());
    }
    within("server close", tls.shutdown()).await?;
    Ok(openssl_handshake::trace(tls.ssl()).ok_or("server: no trace")?)
}

/// The client's clean close: its close_notify, then the server's; data
/// instead is the error `extra`.
pub async fn close_first(tls: &mut SslStream<TcpStream>, extra: String) -> Result<(), BoxError> {
    within("client close", tls.shutdown()).await?;
    let n = within("client read to close", tls.read(&mut [0u8; 64])).await?;
    if n != 0 {
        return Err(extra.into());
    }
    Ok(())
}
