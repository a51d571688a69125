//! An HTTPS server and client with hyper 1 over tokio-openssl, with the
//! crate's `tracing` feature on: every handshake, on either side, becomes a
//! `tracing` event (target `openssl_handshake`, inside a `tls_handshake`
//! span) that the service's subscriber prints like any other log line.
//!
//! The client makes two requests, each on a new connection, and the
//! program checks that both got 200 and that each handshake on each side
//! was reported as a successful event. The exit code is 0 only then.
//!
//! ```text
//! cargo run -p openssl-handshake --features tracing --example hyper_tracing
//! ```

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{accept, connect, traced_acceptor, traced_connector, within, BoxError, WAIT};

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HOST;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use openssl::ssl::{Ssl, SslAcceptor, SslConnector};
use openssl_handshake::TraceOptions;
use testkit::pki::{KeyType, Pki};
use tokio::net::{TcpListener, TcpStream};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Requests the client makes, each on its own connection.
const PATHS: [&str; 2] = ["/first", "/second"];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    // The service's usual subscriber: the fmt layer prints every event,
    // the handshakes among them. The counting layer is only there so this
    // program can check that the events came.
    let handshakes = CountHandshakes::default();
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer())
        .with(handshakes.clone())
        .try_init()?;

    let pki = Pki::generate()?;
    // With the `tracing` feature, tracing on (`trace_handshakes`, inside
    // `traced_acceptor`) is all it takes for the handshakes to appear in
    // the service's logs: no hook needed.
    let acceptor = traced_acceptor(&pki, KeyType::EcdsaP256, TraceOptions::default())?.build();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(accept_loop(listener, acceptor));

    let connector = traced_connector(&pki)?;
    for path in PATHS {
        let (status, body) = get(&connector, addr, path).await?;
        println!("GET {path}: {status} {body:?}");
        if status != StatusCode::OK {
            return Err(format!("GET {path} answered {status}, not 200").into());
        }
    }
    server.abort();

    // One event per handshake per side: the server's and the client's.
    let expected = 2 * PATHS.len();
    let (succeeded, failed) = handshakes.counts();
    println!("handshake events: {succeeded} succeeded, {failed} failed");
    if succeeded != expected || failed != 0 {
        return Err(format!(
            "expected {expected} successful handshake events and no failed one, \
             saw {succeeded} and {failed}"
        )
        .into());
    }
    Ok(())
}

/// Accepts connections and serves each on its own task. Failures are
/// logged, not fatal: one bad client must not stop the server. Accepting
/// waits for as long as the server runs (here until `main` aborts it);
/// every wait inside a connection is bounded.
async fn accept_loop(listener: TcpListener, acceptor: SslAcceptor) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                tracing::warn!("accept: {e}");
                continue;
            }
        };
        let ssl = match Ssl::new(acceptor.context()) {
            Ok(ssl) => ssl,
            Err(e) => {
                tracing::warn!("new SSL: {e}");
                continue;
            }
        };
        tokio::spawn(async move {
            if let Err(e) = serve(ssl, tcp).await {
                // A failed handshake was already reported by its own
                // event, with the cause; this names the connection step.
                tracing::warn!("connection: {e}");
            }
        });
    }
}

/// One connection: the TLS handshake, then HTTP/1.1 until the client
/// closes.
async fn serve(ssl: Ssl, tcp: TcpStream) -> Result<(), BoxError> {
    // A client that never finishes its handshake must not hold a task.
    let (_, tls) = accept(ssl, tcp).await?;
    hyper::server::conn::http1::Builder::new()
        // Nor one that connects and never sends a request.
        .timer(TokioTimer::new())
        .header_read_timeout(WAIT)
        .serve_connection(TokioIo::new(tls), service_fn(hello))
        .await?;
    Ok(())
}

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("hello from {}\n", request.uri().path());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// GET `path` on a new TLS connection; returns the status and body.
async fn get(
    connector: &SslConnector,
    addr: SocketAddr,
    path: &str,
) -> Result<(StatusCode, String), BoxError> {
    let ssl = connector.configure()?.into_ssl(Pki::HOST)?;
    let (_, tls) = connect(addr, ssl).await?;
    let (mut sender, connection) = within(
        "HTTP handshake",
        hyper::client::conn::http1::handshake(TokioIo::new(tls)),
    )
    .await?;
    // The connection future does the I/O; it ends once `sender` is dropped
    // and nothing is in flight.
    let driver = tokio::spawn(connection);
    let request = Request::get(path)
        .header(HOST, Pki::HOST)
        .body(Empty::<Bytes>::new())?;
    let response = within("request", sender.send_request(request)).await?;
    let status = response.status();
    let body = within("response body", response.into_body().collect()).await?;
    drop(sender);
    within("client close", driver).await??;
    Ok((
        status,
        String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    ))
}

/// A `tracing` layer counting the crate's handshake events: info for a
/// success, warn for a failure.
#[derive(Clone, Default)]
struct CountHandshakes {
    succeeded: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

impl CountHandshakes {
    fn counts(&self) -> (usize, usize) {
        (
            self.succeeded.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

impl<S: Subscriber> Layer<S> for CountHandshakes {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if meta.target() != "openssl_handshake" {
            return;
        }
        let count = if *meta.level() == Level::INFO {
            &self.succeeded
        } else {
            &self.failed
        };
        count.fetch_add(1, Ordering::Relaxed);
    }
}
