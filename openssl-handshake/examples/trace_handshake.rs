//! One traced TLS handshake over loopback, printed as both sides' state
//! logs, the client's message log and what was negotiated.
//!
//! ```text
//! cargo run -p openssl-handshake --example trace_handshake
//! ```

use std::error::Error;
use std::io::Read;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use openssl::ssl::{SslAcceptor, SslConnector, SslMethod};
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let pki = Pki::generate()?;
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
    pki.server(KeyType::EcdsaP256).install(&mut acceptor)?;
    acceptor.trace_handshakes(TraceOptions::default())?;
    let acceptor = acceptor.build();

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || -> Result<String, Box<dyn Error + Send + Sync>> {
        let (tcp, _) = listener.accept()?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut tls = acceptor.accept(tcp)?;
        tls.write_all(b"hello\n")?;
        let _ = tls.read(&mut [0u8; 16]);
        let trace = openssl_handshake::trace(tls.ssl()).ok_or("no trace")?;
        Ok(trace.state_log())
    });

    let mut connector = SslConnector::builder(SslMethod::tls())?;
    connector.set_cert_store(pki.trust_store()?);
    connector.trace_handshakes(TraceOptions::default())?;
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = connector.build().connect(Pki::HOST, tcp)?;
    let mut line = [0u8; 6];
    tls.read_exact(&mut line)?;
    let _ = tls.shutdown();
    let trace = openssl_handshake::trace(tls.ssl()).ok_or("no trace")?;

    println!("== client state log (as openssl s_client -state prints it)");
    print!("{}", trace.state_log());
    println!("\n== server state log (as openssl s_server -state prints it)");
    print!("{}", server.join().map_err(|_| "server thread panicked")??);
    println!("\n== client message log");
    print!("{}", trace.message_log());
    println!("\n== negotiated");
    println!("{}", serde_json::to_string_pretty(&trace.negotiated)?);
    Ok(())
}
