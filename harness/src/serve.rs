//! `tls-harness serve --listen ADDR`: a tracing server, like
//! `openssl s_server -state`, printing each connection's trace.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode};
use openssl_handshake::pki::{KeyType, Pki};
use openssl_handshake::{HandshakeTrace, SslContextBuilderExt, TraceOptions};

use crate::case::Role;
use crate::error::HarnessError;
use crate::probe::TraceFormat;
use crate::settings::TlsSettings;

/// What the server authenticates with.
#[derive(Debug, Clone)]
pub enum ServerIdentity {
    /// A generated test PKI leaf of this type; the PKI is written to a
    /// temporary directory so that clients can find the root.
    Generated(KeyType),
    /// Versions, suites and the certificate chain and key from files
    /// are all in [`TlsSettings`]; this is a marker for that case.
    Files,
}

/// What `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on, e.g. 127.0.0.1:4433 (port 0 picks one).
    pub listen: String,
    /// The server's certificate.
    pub identity: ServerIdentity,
    /// Require client certificates that verify against this CA file.
    pub verify_client: Option<PathBuf>,
    /// Versions, suites, groups, ALPN, seclevel, key log.
    pub tls: TlsSettings,
    /// Stop after the first connection.
    pub once: bool,
    /// How to print each trace.
    pub format: TraceFormat,
    /// Limit for each read and write on a connection.
    pub timeout: Duration,
}

/// Runs the server. `announce` is told the bound address (and the root
/// CA file, when the PKI was generated) before the first accept; traces
/// go to `out`. With `once`, returns after one connection, and `Ok(true)`
/// when its handshake succeeded.
pub fn serve(
    opts: &ServeOptions,
    out: &mut dyn Write,
    announce: &mut dyn FnMut(SocketAddr, Option<&std::path::Path>),
) -> Result<bool, HarnessError> {
    let mut b = SslContextBuilder::new(SslMethod::tls_server())?;
    b.trace_handshakes(TraceOptions::default().messages(true))
        .map_err(|e| HarnessError::Trace(e.to_string()))?;
    opts.tls.apply(&mut b, Role::Server)?;
    // Kept alive while serving: the generated PKI's files live in it.
    let mut pki_dir = None;
    let mut root = None;
    if let ServerIdentity::Generated(k) = opts.identity {
        let pki = Pki::generate().map_err(|e| HarnessError::Pki(e.to_string()))?;
        pki.server(k).install(&mut b)?;
        let dir =
            tempfile::tempdir().map_err(|e| HarnessError::writing(std::env::temp_dir(), e))?;
        let files = pki
            .write_pem(dir.path())
            .map_err(|e| HarnessError::Pki(e.to_string()))?;
        root = Some(files.root.clone());
        pki_dir = Some(dir);
    }
    if let Some(ca) = &opts.verify_client {
        TlsSettings::verify_with(
            &mut b,
            Some(ca),
            SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        )?;
        b.set_session_id_context(b"tls-harness serve")?;
    }
    let ctx = b.build();

    let listener = TcpListener::bind(&opts.listen).map_err(|e| HarnessError::Io {
        what: format!("listening on {}", opts.listen),
        source: e,
    })?;
    let addr = listener.local_addr().map_err(|e| HarnessError::Io {
        what: "reading the bound address".into(),
        source: e,
    })?;
    announce(addr, root.as_deref());

    loop {
        let (stream, _) = listener.accept().map_err(|e| HarnessError::Io {
            what: format!("accepting on {addr}"),
            source: e,
        })?;
        let _ = stream.set_read_timeout(Some(opts.timeout));
        let _ = stream.set_write_timeout(Some(opts.timeout));
        let ssl = Ssl::new(&ctx)?;
        let (trace, ok) = match ssl.accept(stream) {
            Ok(mut s) => {
                let trace = openssl_handshake::trace(s.ssl());
                // Like s_server: take what the client sends until it
                // closes, then close.
                let mut buf = [0u8; 4096];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
                let _ = s.shutdown();
                (trace, true)
            }
            Err(openssl::ssl::HandshakeError::Failure(mid)) => {
                (openssl_handshake::trace(mid.ssl()), false)
            }
            Err(openssl::ssl::HandshakeError::WouldBlock(mid)) => {
                (openssl_handshake::trace(mid.ssl()), false)
            }
            Err(openssl::ssl::HandshakeError::SetupFailure(e)) => return Err(e.into()),
        };
        print_trace(out, trace.as_ref(), opts.format)?;
        if opts.once {
            drop(pki_dir);
            return Ok(ok);
        }
    }
}

fn print_trace(
    out: &mut dyn Write,
    trace: Option<&HandshakeTrace>,
    format: TraceFormat,
) -> Result<(), HarnessError> {
    let text = match trace {
        Some(t) => format.render(t),
        None => "no trace was recorded for this connection\n".to_string(),
    };
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| HarnessError::Io {
            what: "writing the trace".into(),
            source: e,
        })
}
