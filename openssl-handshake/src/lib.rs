//! Per-connection tracing of OpenSSL handshakes.
//!
//! `openssl-handshake` installs OpenSSL's info and message callbacks on an
//! `SSL_CTX` and records, for each connection, what `openssl s_client
//! -state -msg` would print: every state change, message, alert and exit,
//! with timings, and what was negotiated. One call on an existing
//! [`SslContextBuilder`](openssl::ssl::SslContextBuilder) turns it on, so
//! `SslAcceptor`, `SslConnector` and everything built on them get it too.
//!
//! ```
//! use std::net::{TcpListener, TcpStream};
//! use std::thread;
//!
//! use openssl::ssl::{SslAcceptor, SslConnector, SslMethod, SslVerifyMode};
//! use openssl_handshake::{SslContextBuilderExt, TraceOptions};
//! // Throwaway certificates from the workspace's testkit crate.
//! use testkit::pki::{KeyType, Pki};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pki = Pki::generate()?;
//! let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
//! pki.server(KeyType::EcdsaP256).install(&mut acceptor)?;
//! acceptor.trace_handshakes(TraceOptions::default())?; // the one line
//! let acceptor = acceptor.build();
//!
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let client = thread::spawn(move || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     // Connected first, so that the accept below returns whatever fails here.
//!     let tcp = TcpStream::connect(addr)?;
//!     let mut connector = SslConnector::builder(SslMethod::tls())?;
//!     connector.set_verify(SslVerifyMode::NONE);
//!     let mut tls = connector.build().connect("localhost", tcp)?;
//!     tls.shutdown()?;
//!     Ok(())
//! });
//!
//! let (tcp, _) = listener.accept()?;
//! let tls = acceptor.accept(tcp)?;
//! let trace = openssl_handshake::trace(tls.ssl()).expect("tracing is attached");
//! print!("{}", trace.state_log());
//! assert!(trace.state_log().starts_with("SSL_accept:before SSL initialization\n"));
//! assert!(trace.succeeded());
//! client.join().expect("client thread").map_err(|e| e.to_string())?;
//! # Ok(())
//! # }
//! ```
//!
//! How it stays cheap and safe: a trace lives in the `SSL`'s ex_data and
//! is freed with it, but for the Certificate and CertificateRequest
//! messages each thread shares between its connections (the last four it
//! met each way, at most 128 KiB a thread, kept until displaced or the
//! thread exits); there is no global lock on the handshake path; messages
//! are decoded when the trace is read, not while the handshake runs.
#![warn(missing_docs)]

mod alert;
mod attach;
mod callbacks;
mod cert;
mod clock;
pub mod decode;
mod diagnosis;
mod error;
mod event;
mod ffi;
mod log;
mod micros;
mod negotiated;
mod records;
mod render;
mod sys;
mod telemetry;
mod trace;
mod version;

pub use attach::{SslContextBuilderExt, SslRefExt, TraceOptions};
pub use cert::{CertificateInfo, Extension};
pub use diagnosis::{
    Cause, Diagnosis, Evidence, Fault, LocalCertificate, LocalCipher, LocalConfig,
};
pub use error::Error;
pub use event::{
    Alert, AlertLevel, Direction, Event, EventKind, Exit, ExitStatus, HandshakeState, Message,
    RecordHeader, Side, StateChange,
};
pub use negotiated::{Negotiated, Resumption, VerifyResult};
#[cfg(feature = "metrics")]
pub use telemetry::describe_metrics;
pub use trace::{trace, Failure, HandshakeTrace, Outcome};
pub use version::{ProtocolVersion, UnknownVersion};
