//! Seeds the fuzz corpora from real handshakes: every message a traced
//! client and server exchange (TLS 1.2 and 1.3, with client auth and
//! tickets), as the decoder target's input (a TLS 1.3 flag byte, then the
//! message), and each client's first flight as the record target's input.
//!
//! ```text
//! cargo run -p openssl-handshake --example fuzz_corpus -- fuzz/corpus
//! ```

use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use openssl::ssl::{Ssl, SslContext, SslMethod, SslVerifyMode, SslVersion};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

fn main() -> Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    let (decode_dir, records_dir) = (out.join("decode_handshake"), out.join("server_records"));
    std::fs::create_dir_all(&decode_dir)?;
    std::fs::create_dir_all(&records_dir)?;
    let pki = Pki::generate()?;
    let mut written = 0;
    for (i, (key, max)) in [
        (KeyType::Rsa2048, SslVersion::TLS1_2),
        (KeyType::EcdsaP256, SslVersion::TLS1_2),
        (KeyType::EcdsaP384, SslVersion::TLS1_3),
        (KeyType::Ed25519, SslVersion::TLS1_3),
    ]
    .into_iter()
    .enumerate()
    {
        let traces = handshake(&pki, key, max)?;
        for (j, trace) in traces.iter().enumerate() {
            for (k, m) in trace.messages().enumerate() {
                let (Some(raw), Some(_)) = (&m.raw, m.handshake_type) else {
                    continue;
                };
                let mut input = vec![u8::from(m.version == 0x0304)];
                input.extend_from_slice(raw);
                std::fs::write(decode_dir.join(format!("{i}-{j}-{k}")), &input)?;
                written += 1;
                if k == 0 && trace.side == openssl_handshake::Side::Client {
                    // The ClientHello as it goes on the wire: one record.
                    let mut record = vec![22, 3, 1];
                    record.extend_from_slice(&u16::try_from(raw.len())?.to_be_bytes());
                    record.extend_from_slice(raw);
                    std::fs::write(records_dir.join(format!("{i}")), &record)?;
                }
            }
        }
    }
    // A browser's ClientHello, with the extensions OpenSSL never sends
    // (ECH, ALPS): a seed for their decoders.
    let browser = include_bytes!("../tests/browser/chromium-156-client-hello.bin");
    std::fs::write(
        decode_dir.join("chromium-client-hello"),
        [&[0u8][..], browser].concat(),
    )?;
    written += 1;
    println!("wrote {written} messages to {}", out.display());
    Ok(())
}

fn handshake(pki: &Pki, key: KeyType, max: SslVersion) -> Result<Vec<HandshakeTrace>> {
    let options = TraceOptions::default().raw_bytes(true);
    let mut s = SslContext::builder(SslMethod::tls_server())?;
    pki.server(key).install(&mut s)?;
    s.set_verify(SslVerifyMode::PEER);
    s.set_cert_store(pki.trust_store()?);
    s.trace_handshakes(options.clone())?;
    let server = s.build();
    let mut c = SslContext::builder(SslMethod::tls_client())?;
    c.set_max_proto_version(Some(max))?;
    c.set_verify(SslVerifyMode::PEER);
    c.set_cert_store(pki.trust_store()?);
    pki.client(key).install(&mut c)?;
    c.trace_handshakes(options)?;
    let client = c.build();

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let srv = thread::spawn(move || -> Result<HandshakeTrace> {
        let (tcp, _) = listener.accept()?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut tls = Ssl::new(&server)?.accept(tcp)?;
        tls.write_all(b"x")?;
        let _ = tls.read(&mut [0u8; 8]);
        openssl_handshake::trace(tls.ssl()).ok_or_else(|| "no server trace".into())
    });
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut ssl = Ssl::new(&client)?;
    ssl.set_hostname(Pki::HOST)?;
    let mut tls = ssl.connect(tcp)?;
    tls.read_exact(&mut [0u8; 1])?;
    let _ = tls.shutdown();
    let client_trace = openssl_handshake::trace(tls.ssl()).ok_or("no client trace")?;
    drop(tls);
    let server_trace = srv.join().map_err(|_| "server thread panicked")??;
    Ok(vec![client_trace, server_trace])
}
