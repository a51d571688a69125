//! SNI virtual hosting with traced contexts: a front context whose
//! servername callback moves each connection to its host's context
//! (`SslRef::set_ssl_context`), each host with its own certificate, and a
//! default certificate for names it does not know.
//!
//! Clients connect with each host name and an unknown one. For each
//! connection the program prints the host asked for, the certificate
//! served and the server's trace summary, and checks that the right
//! certificate was served. The exit code is 0 only if it always was.
//!
//! ```text
//! cargo run -p openssl-handshake --example sni_vhost
//! ```

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;

use common::{
    accept, close_after_client, close_first, traced_acceptor, traced_connector, within, BoxError,
};
use openssl::hash::MessageDigest;
use openssl::ssl::{NameType, SniError, Ssl, SslConnector, SslRef};
use openssl_handshake::{HandshakeTrace, TraceOptions};
use testkit::pki::{KeyType, Pki};
use tokio::net::{TcpListener, TcpStream};

/// The virtual hosts and the key type of the certificate each serves.
const HOSTS: [(&str, KeyType); 2] = [
    ("rsa.example", KeyType::Rsa2048),
    ("ecdsa.example", KeyType::EcdsaP256),
];
/// The certificate of the front context, served for any other name.
const DEFAULT: KeyType = KeyType::EcdsaP384;
/// The names the clients ask for: every host, then one the server lacks.
const ASKED: [&str; 3] = ["rsa.example", "ecdsa.example", "unknown.example"];

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let pki = Pki::generate()?;

    // One context per host, each traced: a context is often also used on
    // its own, and tracing costs nothing until a connection uses it.
    let mut vhosts = HashMap::new();
    for (host, key) in HOSTS {
        vhosts.insert(
            host,
            traced_acceptor(&pki, key, TraceOptions::default())?
                .build()
                .into_context(),
        );
    }
    // The front context every connection starts on. A switched connection
    // keeps the trace it began here (with these options), so the server's
    // trace covers the whole handshake, ClientHello included. After the
    // switch OpenSSL takes the certificate and key from the host's context;
    // protocol options and suites stay those of the front.
    let mut front = traced_acceptor(&pki, DEFAULT, TraceOptions::default())?;
    front.set_servername_callback(move |ssl, _alert| {
        // Host names are case-insensitive; SNI carries them as sent.
        let asked = ssl
            .servername(NameType::HOST_NAME)
            .map(str::to_ascii_lowercase);
        if let Some(vhost) = asked.and_then(|name| vhosts.get(name.as_str())) {
            ssl.set_ssl_context(vhost)
                .map_err(|_| SniError::ALERT_FATAL)?;
        }
        // No name or an unknown one: the front's default certificate.
        Ok(())
    });
    let front = front.build();

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let mut traces = HashMap::new();
        for _ in ASKED {
            let (tcp, _) = within("accept", listener.accept()).await?;
            let (peer, trace) = serve(Ssl::new(front.context())?, tcp).await?;
            traces.insert(peer, trace);
        }
        Ok::<_, BoxError>(traces)
    });

    let connector = traced_connector(&pki)?;
    let mut served = Vec::new();
    for name in ASKED {
        served.push(connect(&connector, addr, name).await?);
    }
    let mut server_traces = server.await??;

    let mut wrong = 0;
    for (name, local, peer_cert) in served {
        let server_trace = server_traces
            .remove(&local)
            .ok_or_else(|| format!("the server saw no connection from {local}"))?;
        // Which of the PKI's server certificates came back, found by
        // fingerprint, against what the configuration above says.
        let got = KeyType::ALL
            .into_iter()
            .find(|&k| fingerprint(&pki.server(k).cert).ok() == Some(peer_cert.clone()));
        let expected = HOSTS
            .iter()
            .find(|(host, _)| *host == name)
            .map_or(DEFAULT, |&(_, key)| key);
        println!("== {name}");
        println!(
            "   certificate served: {}, SHA-256 {}",
            got.map_or("not one of the PKI's server certificates", KeyType::name),
            hex(&peer_cert)
        );
        println!("   server trace: {}", summary(&server_trace));
        if got != Some(expected) {
            println!("   WRONG: expected the {expected} certificate");
            wrong += 1;
        }
        let server_sni = server_trace
            .negotiated
            .as_ref()
            .and_then(|n| n.sni.as_deref());
        if server_sni != Some(name) || !server_trace.succeeded() {
            println!("   WRONG: the server's trace does not show a finished handshake for {name}");
            wrong += 1;
        }
    }
    if wrong > 0 {
        return Err(format!("{wrong} checks failed").into());
    }
    println!("every connection got its host's certificate");
    Ok(())
}

/// The server's side of one connection: the handshake, then a clean
/// close. Returns the client's address and the server's trace.
async fn serve(ssl: Ssl, tcp: TcpStream) -> Result<(SocketAddr, HandshakeTrace), BoxError> {
    let (peer, tls) = accept(ssl, tcp).await?;
    let trace = close_after_client(tls, "the client sent data").await?;
    Ok((peer, trace))
}

/// Connects asking for `name`; returns it, the client's address and the
/// SHA-256 fingerprint of the certificate the server presented.
async fn connect(
    connector: &SslConnector,
    addr: SocketAddr,
    name: &'static str,
) -> Result<(&'static str, SocketAddr, Vec<u8>), BoxError> {
    let mut config = connector.configure()?;
    // The test PKI issues every server certificate for localhost, so the
    // client checks the chain and that name, while SNI still carries
    // `name`. With real certificates, leave hostname verification on and
    // it checks `name` itself.
    config.set_verify_hostname(false);
    config.param_mut().set_host(Pki::HOST)?;
    let (local, mut tls) = common::connect(addr, config.into_ssl(name)?).await?;
    let peer_cert = peer_fingerprint(tls.ssl())?;
    close_first(&mut tls, "the server sent data".to_owned()).await?;
    Ok((name, local, peer_cert))
}

fn peer_fingerprint(ssl: &SslRef) -> Result<Vec<u8>, BoxError> {
    let cert = ssl
        .peer_certificate()
        .ok_or("the server sent no certificate")?;
    fingerprint(&cert)
}

fn fingerprint(cert: &openssl::x509::X509Ref) -> Result<Vec<u8>, BoxError> {
    Ok(cert.digest(MessageDigest::sha256())?.to_vec())
}

/// The first bytes of a fingerprint, enough to tell certificates apart.
fn hex(bytes: &[u8]) -> String {
    let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02X}")).collect();
    format!("{}...", head.join(":"))
}

/// One line: outcome, what was agreed, the name asked for, how many
/// messages and how long.
fn summary(t: &HandshakeTrace) -> String {
    let outcome = match t.failure() {
        None if t.succeeded() => "succeeded".to_owned(),
        None => "unfinished".to_owned(),
        Some(f) => f.to_string(),
    };
    let agreed = t.negotiated.as_ref().map_or(String::new(), |n| {
        format!(
            ", {} {} {}, SNI {:?}",
            n.version,
            n.cipher_openssl,
            n.group.as_deref().unwrap_or("-"),
            n.sni.as_deref().unwrap_or("(none)")
        )
    });
    format!(
        "{outcome}{agreed}, {} messages from {}, {:?}",
        t.messages().count(),
        t.messages().next().map_or("-".to_owned(), |m| m.name()),
        t.duration.unwrap_or_default()
    )
}
