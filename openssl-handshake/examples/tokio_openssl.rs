//! A traced async TLS server and client with tokio and tokio-openssl.
//!
//! The server accepts a few connections concurrently and logs each
//! handshake from its `on_complete` hook; each connection echoes one line.
//! Then both sides' state logs are printed, connection by connection. The
//! exit code is 0 only if every handshake and echo succeeded.
//!
//! The sockets are non-blocking, so the logs show each wait for the peer
//! as an `error in ...` line followed by the same state again, exactly as
//! `openssl s_client -nbio -state` prints it.
//!
//! ```text
//! cargo run -p openssl-handshake --example tokio_openssl
//! ```

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{
    accept, close_after_client, close_first, connect, traced_acceptor, traced_connector, within,
    BoxError,
};
use openssl::ssl::{Ssl, SslConnector};
use openssl_handshake::{HandshakeTrace, TraceOptions};
use testkit::pki::{KeyType, Pki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How many clients connect at once.
const CONNECTIONS: usize = 3;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    // A throw-away CA and server certificate for localhost; a service
    // installs its own certificate here instead.
    let pki = Pki::generate()?;

    let logged = Arc::new(AtomicUsize::new(0));
    let counter = logged.clone();
    // Tracing with a hook. The hook runs on the task that drives the
    // handshake, once, when it succeeds or fails: the place to log it.
    let hook = TraceOptions::default().on_complete(move |t| {
        counter.fetch_add(1, Ordering::Relaxed);
        log_handshake(t);
    });
    let acceptor = traced_acceptor(&pki, KeyType::EcdsaP256, hook)?.build();

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let mut connections = Vec::new();
        for _ in 0..CONNECTIONS {
            let (tcp, _) = within("accept", listener.accept()).await?;
            // Each connection gets its own task, so one slow client does
            // not hold up the others.
            connections.push(tokio::spawn(serve(Ssl::new(acceptor.context())?, tcp)));
        }
        let mut traces = HashMap::new();
        for connection in connections {
            let (peer, trace) = connection.await??;
            traces.insert(peer, trace);
        }
        Ok::<_, BoxError>(traces)
    });

    let connector = traced_connector(&pki)?;
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|i| tokio::spawn(client(connector.clone(), addr, i)))
        .collect();
    let mut client_traces = Vec::new();
    for c in clients {
        client_traces.push(c.await??);
    }
    let mut server_traces = server.await??;

    // Pair the two ends of each connection by the client's port.
    for (i, (local, client_trace)) in client_traces.iter().enumerate() {
        let server_trace = server_traces
            .remove(local)
            .ok_or_else(|| format!("the server saw no connection from {local}"))?;
        println!("\n== connection {i} ({local}): client state log");
        print!("{}", client_trace.state_log());
        println!("== connection {i} ({local}): server state log");
        print!("{}", server_trace.state_log());
        if !client_trace.succeeded() || !server_trace.succeeded() {
            return Err(format!("connection {i}: a handshake did not succeed").into());
        }
    }
    let logged = logged.load(Ordering::Relaxed);
    if logged != CONNECTIONS {
        return Err(format!("the hook logged {logged} handshakes, not {CONNECTIONS}").into());
    }
    println!("\n{CONNECTIONS} connections, every handshake traced and logged");
    Ok(())
}

/// One line per finished handshake, as a service would log it.
fn log_handshake(t: &HandshakeTrace) {
    match (t.failure(), &t.negotiated) {
        (None, Some(n)) => println!(
            "server: handshake done: {} {} {} in {:?}",
            n.version,
            n.cipher_openssl,
            n.group.as_deref().unwrap_or("-"),
            t.duration.unwrap_or_default()
        ),
        (None, None) => println!("server: handshake done"),
        (Some(f), _) => eprintln!("server: {f}"),
    }
}

/// The server's side of one connection: handshake, echo one line, then a
/// clean close. Returns the client's address and the server's trace.
async fn serve(ssl: Ssl, tcp: TcpStream) -> Result<(SocketAddr, HandshakeTrace), BoxError> {
    let (peer, mut tls) = accept(ssl, tcp).await?;
    let mut line = [0u8; 64];
    let n = within("server read", tls.read(&mut line)).await?;
    within("server write", tls.write_all(&line[..n])).await?;
    let trace = close_after_client(tls, "the client sent more than one line").await?;
    Ok((peer, trace))
}

/// One client: handshake, send a line, read its echo, close.
async fn client(
    connector: SslConnector,
    addr: SocketAddr,
    i: usize,
) -> Result<(SocketAddr, HandshakeTrace), BoxError> {
    let ssl = connector.configure()?.into_ssl(Pki::HOST)?;
    let (local, mut tls) = connect(addr, ssl).await?;
    let sent = format!("hello from client {i}\n");
    within("client write", tls.write_all(sent.as_bytes())).await?;
    let mut echo = vec![0u8; sent.len()];
    within("client read", tls.read_exact(&mut echo)).await?;
    if echo != sent.as_bytes() {
        return Err(format!("client {i}: the echo differs from what was sent").into());
    }
    close_first(&mut tls, format!("client {i}: data after the echo")).await?;
    let trace = openssl_handshake::trace(tls.ssl()).ok_or("client: no trace")?;
    Ok((local, trace))
}
