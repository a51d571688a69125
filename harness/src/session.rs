//! Resumption: the one place the harness calls `SSL_set_session`.
//!
//! `SSL_set_session(3)` requires the session to come from the same
//! `SSL_CTX` as the connection it is offered on. [`SavedSession`] keeps the
//! context a session was made with and checks it before offering, so the
//! promise that makes the call sound is kept by construction.
#![allow(unsafe_code)]

use openssl::ssl::{SslContext, SslRef, SslSession};

/// A session together with the context that made it.
#[derive(Clone)]
pub struct SavedSession {
    session: SslSession,
    context: SslContext,
}

impl std::fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedSession").finish_non_exhaustive()
    }
}

/// Why a session could not be offered.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The connection was made from another context than the session.
    #[error(
        "the saved session belongs to another SSL_CTX than this connection; \
         offer it only on connections made from the context that made it"
    )]
    OtherContext,
    /// OpenSSL refused the session.
    #[error("SSL_set_session failed")]
    OpenSsl(#[source] openssl::error::ErrorStack),
}

impl SavedSession {
    /// The session `ssl` holds after its handshake, with its context.
    pub fn of(ssl: &SslRef) -> Option<Self> {
        Some(SavedSession {
            session: ssl.session()?.to_owned(),
            context: ssl.ssl_context().to_owned(),
        })
    }

    /// The context that made the session: connections made from it may
    /// offer it.
    pub fn context(&self) -> &SslContext {
        &self.context
    }

    /// Offers the session for resumption on `ssl`'s next handshake.
    pub fn offer(&self, ssl: &mut SslRef) -> Result<(), SessionError> {
        if !std::ptr::eq(ssl.ssl_context(), &*self.context) {
            return Err(SessionError::OtherContext);
        }
        // SAFETY: `ssl` was made from the context that made the session,
        // as just checked, which is what SSL_set_session(3) requires.
        unsafe { ssl.set_session(&self.session) }.map_err(SessionError::OpenSsl)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{TcpListener, TcpStream};
    use std::thread;

    use openssl::ssl::{Ssl, SslAcceptor, SslConnector, SslMethod, SslVerifyMode, SslVersion};
    use testkit::pki::{KeyType, Pki};

    use super::*;

    /// One TLS 1.2 handshake against a fresh server; returns the session.
    fn handshake(client: &SslContext) -> SavedSession {
        let pki = Pki::generate().unwrap();
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        pki.server(KeyType::EcdsaP256)
            .install(&mut acceptor)
            .unwrap();
        let acceptor = acceptor.build();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let mut tls = acceptor.accept(tcp).unwrap();
            let _ = tls.shutdown();
        });
        let tcp = TcpStream::connect(addr).unwrap();
        let mut tls = Ssl::new(client).unwrap().connect(tcp).unwrap();
        let saved = SavedSession::of(tls.ssl()).expect("a TLS 1.2 session");
        let _ = tls.shutdown();
        server.join().unwrap();
        saved
    }

    fn client_context() -> SslContext {
        let mut b = SslConnector::builder(SslMethod::tls()).unwrap();
        b.set_verify(SslVerifyMode::NONE);
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        b.build().into_context()
    }

    #[test]
    fn a_session_is_offered_only_on_its_own_context() {
        let a = client_context();
        let b = client_context();
        assert!(SavedSession::of(&Ssl::new(&a).unwrap()).is_none());
        let saved = handshake(&a);
        let mut on_b = Ssl::new(&b).unwrap();
        assert!(matches!(
            saved.offer(&mut on_b),
            Err(SessionError::OtherContext)
        ));
        let mut on_a = Ssl::new(&a).unwrap();
        saved.offer(&mut on_a).unwrap();
    }
}
