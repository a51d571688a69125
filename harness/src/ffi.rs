//! The harness's only calls into OpenSSL that the `openssl` crate does not
//! make safe: offering a saved session (`SSL_set_session`) and asking for a
//! renegotiation (`SSL_renegotiate`).
//!
//! `SSL_set_session(3)` requires the session to come from the same
//! `SSL_CTX` as the connection it is offered on. [`SavedSession`] keeps the
//! context a session was made with and checks it before offering, so the
//! promise that makes the call sound is kept by construction.
//!
//! `SSL_renegotiate(3)` only marks a live connection as wanting a new
//! handshake; [`renegotiate`] takes the connection by `&mut SslRef`, which
//! is a valid `SSL *` that no one else is using.
#![allow(unsafe_code)]

use std::os::raw::c_int;

use foreign_types::ForeignTypeRef;
use openssl::error::ErrorStack;
use openssl::ssl::{SslContext, SslRef, SslSession, SslStream};
use openssl_sys::SSL;

// openssl-sys does not declare it; as in ssl.h: `int SSL_renegotiate(SSL *s);`
// (checked against the header by `the_declaration_matches_ssl_h`).
extern "C" {
    fn SSL_renegotiate(s: *mut SSL) -> c_int;
}

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

/// Asks for a renegotiation on the stream's next read, write or handshake
/// (`SSL_renegotiate(3)`); the new handshake runs when the caller next
/// drives the connection (`SslStream::do_handshake`). Fails when OpenSSL
/// refuses, e.g. on TLS 1.3, which has no renegotiation, or with
/// `SSL_OP_NO_RENEGOTIATION` set.
pub fn renegotiate<S>(stream: &mut SslStream<S>) -> Result<(), ErrorStack> {
    // SAFETY: the stream owns a valid SSL for the whole borrow, and the
    // `&mut` borrow of the stream means no other Rust code can use that SSL
    // meanwhile (SslStream gives out no `&mut SslRef`, hence the stream).
    // SSL_renegotiate only sets flags on it and keeps no pointer.
    let r = unsafe { SSL_renegotiate(stream.ssl().as_ptr()) };
    if r == 1 {
        Ok(())
    } else {
        Err(ErrorStack::get())
    }
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// A server that allows client renegotiation; returns its address and
    /// the thread, which reads until the client closes.
    pub(crate) fn renegotiating_server(
        max: SslVersion,
    ) -> (std::net::SocketAddr, thread::JoinHandle<()>) {
        let pki = Pki::generate().unwrap();
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        pki.server(KeyType::EcdsaP256)
            .install(&mut acceptor)
            .unwrap();
        acceptor.set_max_proto_version(Some(max)).unwrap();
        // SSL_OP_ALLOW_CLIENT_RENEGOTIATION is SSL_OP_BIT(8) in ssl.h; the
        // openssl crate does not name it.
        acceptor.set_options(openssl::ssl::SslOptions::from_bits_retain(1 << 8));
        let acceptor = acceptor.build();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut tls = acceptor.accept(tcp).unwrap();
            let mut buf = [0u8; 64];
            while matches!(std::io::Read::read(&mut tls, &mut buf), Ok(n) if n > 0) {}
        });
        (addr, server)
    }

    fn traced_client(max: SslVersion) -> SslContext {
        use openssl_handshake::{SslContextBuilderExt, TraceOptions};
        let mut b = SslConnector::builder(SslMethod::tls()).unwrap();
        b.set_verify(SslVerifyMode::NONE);
        b.set_max_proto_version(Some(max)).unwrap();
        b.trace_handshakes(TraceOptions::default()).unwrap();
        b.build().into_context()
    }

    #[test]
    fn renegotiate_runs_a_second_tls12_handshake() {
        let (addr, server) = renegotiating_server(SslVersion::TLS1_2);
        let ctx = traced_client(SslVersion::TLS1_2);
        let tcp = TcpStream::connect(addr).unwrap();
        let mut tls = Ssl::new(&ctx).unwrap().connect(tcp).unwrap();
        renegotiate(&mut tls).expect("TLS 1.2 can renegotiate");
        tls.do_handshake().expect("the server allows renegotiation");
        let trace = openssl_handshake::trace(tls.ssl()).expect("traced");
        assert_eq!(trace.handshakes, 2, "{}", trace.state_log());
        let _ = tls.shutdown();
        drop(tls);
        server.join().unwrap();
    }

    #[test]
    fn renegotiate_is_refused_on_tls13() {
        let (addr, server) = renegotiating_server(SslVersion::TLS1_3);
        let ctx = traced_client(SslVersion::TLS1_3);
        let tcp = TcpStream::connect(addr).unwrap();
        let mut tls = Ssl::new(&ctx).unwrap().connect(tcp).unwrap();
        assert_eq!(tls.ssl().version2(), Some(SslVersion::TLS1_3));
        assert!(renegotiate(&mut tls).is_err());
        let _ = tls.shutdown();
        drop(tls);
        server.join().unwrap();
    }

    /// The C compiler accepts SSL_renegotiate as an `int (*)(SSL *)`, the
    /// C spelling of the Rust declaration, only if ssl.h agrees; -Werror
    /// turns an incompatible pointer into a failure.
    #[test]
    fn the_declaration_matches_ssl_h() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("renegotiate.c");
        std::fs::write(
            &src,
            "#include <openssl/ssl.h>\nint (*check)(SSL *) = SSL_renegotiate;\n",
        )
        .unwrap();
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
        let out = std::process::Command::new(&cc)
            .args(["-std=c11", "-Wall", "-Werror", "-fsyntax-only"])
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("could not run the C compiler `{cc}` (install gcc): {e}"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // And a wrong prototype is refused, so the check can fail.
        std::fs::write(
            &src,
            "#include <openssl/ssl.h>\nlong (*check)(const SSL *) = SSL_renegotiate;\n",
        )
        .unwrap();
        let out = std::process::Command::new(&cc)
            .args(["-std=c11", "-Wall", "-Werror", "-fsyntax-only"])
            .arg(&src)
            .output()
            .unwrap();
        assert!(!out.status.success());
    }
}
