//! A rustls server on 127.0.0.1:0 with the crate's defaults (ring
//! provider, TLS 1.2 and 1.3), one thread per connection, for as long as
//! the test holds it.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::ring;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use testkit::pki::{KeyType, Pki};

/// The running server; dropping it stops the accept loop.
pub struct RustlsServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl RustlsServer {
    pub fn start(pki: &Pki) -> RustlsServer {
        let cred = pki.server(KeyType::EcdsaP256);
        let mut chain = vec![CertificateDer::from(cred.cert.to_der().expect("leaf DER"))];
        for c in &cred.chain {
            chain.push(CertificateDer::from(c.to_der().expect("chain DER")));
        }
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            cred.key.private_key_to_pkcs8().expect("PKCS#8 key"),
        ));
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("rustls versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("rustls certificate");
        config.ticketer = ring::Ticketer::new().expect("rustls ticketer");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((tcp, _)) => {
                        let config = config.clone();
                        std::thread::spawn(move || serve(config, tcp));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        RustlsServer { addr, stop }
    }
}

impl Drop for RustlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Handshakes and echoes one read; every error ends the connection, as
/// a server's would.
fn serve(config: Arc<ServerConfig>, tcp: std::net::TcpStream) {
    use std::io::{Read, Write};
    let _ = tcp.set_nonblocking(false);
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(5)));
    let Ok(conn) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = StreamOwned::new(conn, tcp);
    let mut buf = [0u8; 1024];
    if let Ok(n) = tls.read(&mut buf) {
        let _ = tls.write_all(&buf[..n]);
    }
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
