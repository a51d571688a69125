//! What the async examples share: the error type, the bound on every
//! network wait, and contexts traced with the test PKI's certificates.

use std::error::Error;
use std::future::Future;
use std::time::Duration;

use openssl::ssl::{SslAcceptor, SslAcceptorBuilder, SslConnector, SslMethod};
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

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
