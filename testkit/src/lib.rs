//! Test material shared by openssl-handshake's tests, examples and benches
//! and by `tls-harness`: a disposable test PKI ([`pki`]), an in-memory
//! duplex stream ([`duplex`]) and the output of a command-line tool
//! ([`command`]).
//!
//! It depends on `openssl` alone, not on `openssl-handshake`, so the library
//! can take it as a dev-dependency. Nothing here is fit for production.
#![forbid(unsafe_code)]

pub mod command;
pub mod duplex;
pub mod pki;
