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
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (certificate, key) = self_signed("localhost")?;
//! let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
//! acceptor.set_certificate(&certificate)?;
//! acceptor.set_private_key(&key)?;
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
//! #
//! # /// A throwaway ECDSA P-256 certificate for `host`, valid for a day.
//! # fn self_signed(
//! #     host: &str,
//! # ) -> Result<(openssl::x509::X509, openssl::pkey::PKey<openssl::pkey::Private>), openssl::error::ErrorStack> {
//! #     use openssl::{asn1::Asn1Time, bn::BigNum, ec, hash::MessageDigest, nid::Nid, pkey::PKey, x509};
//! #     let group = ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
//! #     let key = PKey::from_ec_key(ec::EcKey::generate(&group)?)?;
//! #     let mut name = x509::X509NameBuilder::new()?;
//! #     name.append_entry_by_text("CN", host)?;
//! #     let name = name.build();
//! #     let mut cert = x509::X509Builder::new()?;
//! #     cert.set_version(2)?;
//! #     cert.set_serial_number(&*BigNum::from_u32(1)?.to_asn1_integer()?)?;
//! #     cert.set_subject_name(&name)?;
//! #     cert.set_issuer_name(&name)?;
//! #     cert.set_pubkey(&key)?;
//! #     cert.set_not_before(&*Asn1Time::days_from_now(0)?)?;
//! #     cert.set_not_after(&*Asn1Time::days_from_now(1)?)?;
//! #     cert.sign(&key, MessageDigest::sha256())?;
//! #     Ok((cert.build(), key))
//! # }
//! ```
//!
//! How it stays cheap and safe: a trace lives in the `SSL`'s ex_data and
//! is freed with it, but for the Certificate and CertificateRequest
//! messages each thread shares between its connections (the last four it
//! met each way, at most 128 KiB a thread, kept until displaced or the
//! thread exits); the tracer takes no lock of its own on the handshake
//! path, and looks a connection's trace up in ex_data only when it is not
//! one of the two its thread last found; messages
//! are decoded when the trace is read, not while the handshake runs. A
//! traced connection holds about 2 to 3 KiB more than an untraced one for
//! its life (less with [`TraceOptions::messages`] off).
//!
//! # Features
//!
//! - `tracing`: each finished handshake is one `tracing` event (target
//!   `openssl_handshake`; info for success, warn for failure, debug for a
//!   client that left without a byte) in a `tls_handshake` span, with the
//!   fields `side`, `outcome`, `version`, `suite`, `group`, `resumed`,
//!   `sni`, `tag`, `duration_us` and, for a failure, `cause`, `reason`,
//!   `fault` and `summary` (the [`Diagnosis`] in plain words).
//! - `metrics`: through the `metrics` facade, `openssl_handshake_total`
//!   (by side, version, suite, resumed, outcome),
//!   `openssl_handshake_failures_total` (by side and cause) and the
//!   `openssl_handshake_duration_seconds` histogram, described (units,
//!   help) to the recorder installed when tracing is turned on; call
//!   `describe_metrics` once a recorder installed later is in place.
//! - `vendored`: builds OpenSSL from source instead of linking the
//!   system's.
//!
//! OpenSSL 3.0 or newer is required: the state names and message
//! callbacks traced are 3.0's.
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
