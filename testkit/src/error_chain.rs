//! [`Chain`]: an error and its causes on one line, each said once, as the
//! workspace's command-line tools print them.

use std::error::Error;
use std::fmt;

/// Displays an error, then each error down its `source()` chain after
/// ": ", e.g. "reading policy.toml: No such file or directory (os error 2)".
///
/// The workspace's errors say only their own part and leave the cause to
/// `source()`. Some errors of the `openssl` crate (`ssl::Error`,
/// `HandshakeError`) also repeat their cause in their message, so a cause
/// whose text has been said already is left out.
#[derive(Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = self.0.to_string();
        let mut cause = self.0.source();
        while let Some(c) = cause {
            let text = c.to_string();
            if !text.is_empty() && !said.contains(&text) {
                said.push_str(": ");
                said.push_str(&text);
            }
            cause = c.source();
        }
        f.write_str(&said)
    }
}

impl fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use openssl::ssl::{Ssl, SslContext, SslMethod};

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading {path}")]
    struct Reading {
        path: &'static str,
        source: io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("loading the policy")]
    struct Loading(#[source] Reading);

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn each_cause_follows_once() {
        let io = io::Error::from(io::ErrorKind::NotFound);
        let io_text = io.to_string();
        let err = Loading(Reading {
            path: "p.toml",
            source: io,
        });
        assert_eq!(
            Chain(&err).to_string(),
            format!("loading the policy: reading p.toml: {io_text}")
        );
    }

    /// A failed handshake's `HandshakeError` names OpenSSL's reason, and so
    /// do the `ssl::Error` and the `ErrorStack` under it: it is said once.
    #[test]
    fn a_cause_the_message_repeats_is_said_once() {
        let (client_end, mut server_end) = crate::duplex::pair();
        // A server that answers the ClientHello with plain text.
        io::Write::write_all(&mut server_end, b"this is not a TLS record\r\n\r\n").unwrap();
        let ctx = SslContext::builder(SslMethod::tls_client())
            .unwrap()
            .build();
        let err = Ssl::new(&ctx).unwrap().connect(client_end).unwrap_err();
        let stack = match &err {
            openssl::ssl::HandshakeError::Failure(mid) => mid
                .error()
                .ssl_error()
                .unwrap_or_else(|| panic!("OpenSSL said why: {err:?}"))
                .to_string(),
            other => panic!("expected a handshake failure, got {other}"),
        };
        assert!(!stack.is_empty());
        let text = Chain(&err).to_string();
        assert_eq!(count(&text, &stack), 1, "{text}");
        assert!(text.starts_with("the handshake failed: "), "{text}");
        drop(server_end);
    }
}
