//! What a TLS client sends before it hears from the server: its first
//! flight, the ClientHello, captured without a server.

use openssl::ssl::{HandshakeError, Ssl};

use crate::duplex;

/// Why no first flight was captured.
#[derive(Debug, thiserror::Error)]
pub enum FirstFlightError {
    /// The client could not be set up.
    #[error("the client could not be set up")]
    Setup(#[source] openssl::error::ErrorStack),
    /// The client failed before it had written its hello.
    #[error("the client failed before it had written its hello")]
    Handshake(#[source] openssl::ssl::Error),
    /// The client finished a handshake, which a lone client cannot.
    #[error("the client finished a handshake without a server")]
    Finished,
}

/// Runs `ssl` as a client into a stream that never answers and returns
/// what it wrote until it waited for the server: the record holding its
/// ClientHello.
pub fn first_flight(ssl: Ssl) -> Result<Vec<u8>, FirstFlightError> {
    // The server end stays open, so the client's read finds nothing yet
    // (WouldBlock) instead of end of file.
    let (mut client, _server) = duplex::pair();
    client.record_writes();
    match ssl.connect(client) {
        Err(HandshakeError::WouldBlock(mid)) => Ok(mid.get_ref().written().to_vec()),
        Err(HandshakeError::SetupFailure(e)) => Err(FirstFlightError::Setup(e)),
        Err(HandshakeError::Failure(mid)) => Err(FirstFlightError::Handshake(mid.into_error())),
        Ok(_) => Err(FirstFlightError::Finished),
    }
}

#[cfg(test)]
mod tests {
    use openssl::ssl::{SslContext, SslMethod};

    use super::*;

    #[test]
    fn a_client_hello_in_one_handshake_record() {
        let ctx = SslContext::builder(SslMethod::tls_client())
            .expect("client ctx")
            .build();
        let hello = first_flight(Ssl::new(&ctx).expect("ssl")).expect("first flight");
        // A handshake record (RFC 8446 section 5.1) whose length covers the
        // rest, holding a ClientHello (type 1).
        assert_eq!(hello[0], 22);
        let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
        assert_eq!(hello.len(), 5 + len);
        assert_eq!(hello[5], 1);
    }
}
