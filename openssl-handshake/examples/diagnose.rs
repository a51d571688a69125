//! One traced handshake against a real peer, and why it failed. Exits 1
//! when the handshake failed (or timed out), 0 when it succeeded.
//!
//! ```text
//! # as a client (verifies the server against --cafile, else the system's roots):
//! cargo run -p openssl-handshake --example diagnose -- connect 127.0.0.1:4433 \
//!     [--cafile root.pem] [--servername localhost] [--max tls1_2]
//! # as a server, for one connection:
//! cargo run -p openssl-handshake --example diagnose -- accept 127.0.0.1:4433 \
//!     --cert chain.pem --key key.pem [--min tls1_2] [--require-client-cert root.pem]
//! ```

use std::error::Error;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

use openssl::ssl::{
    HandshakeError, Ssl, SslContext, SslFiletype, SslMethod, SslVerifyMode, SslVersion,
};
use openssl_handshake::{
    AlertLevel, Diagnosis, HandshakeTrace, Outcome, SslContextBuilderExt, TraceOptions,
};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client reads after its handshake, for a refusal that comes then.
const LINGER: Duration = Duration::from_secs(1);

fn main() -> Result<ExitCode> {
    let args = Args(std::env::args().skip(1).collect());
    let (mode, addr) = match args.0.as_slice() {
        [mode, addr, ..] => (mode.as_str(), addr.as_str()),
        _ => return Err("usage: diagnose connect|accept HOST:PORT [options]".into()),
    };
    let trace = match mode {
        "connect" => connect(addr, &args)?,
        "accept" => accept(addr, &args)?,
        other => return Err(format!("unknown mode {other:?}; use connect or accept").into()),
    };
    // A handshake still in progress is one this program's time-out ended.
    let timed_out = matches!(trace.outcome, Outcome::InProgress);
    let diagnosis = if timed_out {
        let limit = format!("read time-out of {} s", TIMEOUT.as_secs());
        Some(Diagnosis::timed_out(Some(&trace), &limit))
    } else {
        trace.diagnosis()
    };
    // A fatal alert after a handshake that succeeded failed the connection;
    // a warning (say unrecognized_name) did not.
    let failed = timed_out
        || trace.failure().is_some()
        || trace.alerts().any(|a| a.level == AlertLevel::Fatal);
    if !failed {
        println!("the handshake succeeded");
    }
    if let Some(d) = diagnosis {
        println!("{d}");
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

struct Args(Vec<String>);

impl Args {
    /// The value after `--name`.
    fn flag(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .position(|a| a == name)
            .and_then(|i| self.0.get(i + 1))
            .map(String::as_str)
    }
}

fn version(name: Option<&str>) -> Result<Option<SslVersion>> {
    Ok(match name {
        None => None,
        Some("tls1") => Some(SslVersion::TLS1),
        Some("tls1_1") => Some(SslVersion::TLS1_1),
        Some("tls1_2") => Some(SslVersion::TLS1_2),
        Some("tls1_3") => Some(SslVersion::TLS1_3),
        Some(other) => return Err(format!("unknown version {other:?}").into()),
    })
}

fn connect(addr: &str, args: &Args) -> Result<HandshakeTrace> {
    let mut b = SslContext::builder(SslMethod::tls_client())?;
    b.set_max_proto_version(version(args.flag("--max"))?)?;
    b.set_verify(SslVerifyMode::PEER);
    match args.flag("--cafile") {
        Some(ca) => b.set_ca_file(ca)?,
        None => b.set_default_verify_paths()?,
    }
    b.trace_handshakes(TraceOptions::default())?;
    let ctx = b.build();
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(TIMEOUT))?;
    let mut ssl = Ssl::new(&ctx)?;
    let name = args.flag("--servername").unwrap_or("localhost");
    ssl.set_hostname(name)?;
    ssl.param_mut().set_host(name)?;
    Ok(match ssl.connect(tcp) {
        Ok(mut tls) => {
            // A TLS 1.3 server's verdict on a client certificate comes
            // after the client's handshake is done: wait a moment for it.
            tls.get_ref().set_read_timeout(Some(LINGER))?;
            let _ = tls.read(&mut [0u8; 1]);
            openssl_handshake::trace(tls.ssl())
        }
        Err(e) => trace_of_failure(e),
    }
    .ok_or("tracing is not attached")?)
}

fn accept(addr: &str, args: &Args) -> Result<HandshakeTrace> {
    let mut b = SslContext::builder(SslMethod::tls_server())?;
    b.set_certificate_chain_file(args.flag("--cert").ok_or("accept needs --cert")?)?;
    b.set_private_key_file(
        args.flag("--key").ok_or("accept needs --key")?,
        SslFiletype::PEM,
    )?;
    b.set_min_proto_version(version(args.flag("--min"))?)?;
    if let Some(ca) = args.flag("--require-client-cert") {
        b.set_ca_file(ca)?;
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    }
    b.trace_handshakes(TraceOptions::default())?;
    let ctx = b.build();
    let listener = TcpListener::bind(addr)?;
    let (tcp, _) = listener.accept()?;
    tcp.set_read_timeout(Some(TIMEOUT))?;
    Ok(match Ssl::new(&ctx)?.accept(tcp) {
        Ok(tls) => openssl_handshake::trace(tls.ssl()),
        Err(e) => trace_of_failure(e),
    }
    .ok_or("tracing is not attached")?)
}

fn trace_of_failure<S>(e: HandshakeError<S>) -> Option<HandshakeTrace> {
    match e {
        HandshakeError::Failure(mid) | HandshakeError::WouldBlock(mid) => {
            openssl_handshake::trace(mid.ssl())
        }
        HandshakeError::SetupFailure(_) => None,
    }
}
