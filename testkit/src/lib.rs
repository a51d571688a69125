//! Test material shared by openssl-handshake's tests, examples and benches
//! and by `tls-harness`: a disposable test PKI ([`pki`]), an in-memory
//! duplex stream ([`duplex`]), a client's first flight
//! ([`first_flight`]), the output of a command-line tool
//! ([`command`]), the message lines of `s_client -msg` ([`msg_lines`]),
//! the error printer of the command-line tools ([`error_chain`]), a
//! loopback port held closed ([`closed_port`]) and the
//! check of hand-written FFI declarations against OpenSSL's headers
//! ([`c_check`]).
//!
//! It depends on `openssl` alone, not on `openssl-handshake`, so the library
//! can take it as a dev-dependency. Nothing here is fit for production.
#![forbid(unsafe_code)]

pub mod c_check;
pub mod closed_port;
pub mod command;
pub mod duplex;
pub mod error_chain;
pub mod first_flight;
pub mod msg_lines;
pub mod pki;
