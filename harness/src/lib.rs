//! `tls-harness`: an interop matrix for OpenSSL handshakes, traced by
//! [`openssl_handshake`].
//!
//! The crate reads as a pipeline, one module per step:
//!
//! 1. [`library`] reads what the linked OpenSSL offers;
//! 2. [`matrix`] builds the [`case::Case`]s from it;
//! 3. [`oracle`] says what each case must do, without running it;
//! 4. [`run`] runs the cases on paired client and server threads through
//!    the [`peer`]s, and judges each outcome against its expectation;
//! 5. [`report`] writes the results as a table, JSON, JUnit XML or Markdown.
//!
//! [`probe`] and [`serve`] trace a single handshake against a live peer;
//! [`scan`] maps a live server's TLS surface from many traced probes.
// Unsafe code only in the module that says why it is sound.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod artifacts;
pub mod case;
pub mod early_data;
pub mod error;
pub mod exit;
pub mod ffi;
pub mod hostile;
pub mod interrupt;
pub mod library;
pub mod matrix;
pub mod ocsp;
pub mod oracle;
pub mod pcap;
pub mod peer;
pub mod pipeline;
pub mod probe;
pub mod report;
pub mod resolve;
pub mod run;
pub mod scan;
pub mod serve;
pub mod settings;
pub mod stall;
pub mod starttls;
pub mod stderr;
mod tls_bytes;
pub mod transport;

pub use error::HarnessError;
