//! The harness's only unsafe code: the calls into OpenSSL that the `openssl` crate does not make
//! safe, offering a saved session (`SSL_set_session`), asking for a renegotiation
//! (`SSL_renegotiate`), SRP logins (`SSL_CTX_set_srp_*`, OpenSSL 3's deprecated SRP API, under cfg
//! `ossl_srp`, which build.rs sets when the linked library has it), matching a certificate to a
//! host name ([`host`]), automatic DH parameters for a server ([`dh_auto`]), a chain certificate
//! checked as added ([`chain_cert`]), each error of a chain's verification ([`verify_errors`]), and
//! TLS over OpenSSL's own socket BIO ([`socket_tls`]); getaddrinfo's view of a host
//! ([`numeric_host`]); [`no_unwind`], which keeps panics out of the `openssl` crate's callback
//! trampolines; [`death_signal`], the one hook run in a peer process first; and [`exit_at_once`],
//! which ends the process without OpenSSL's atexit cleanup, which would run under other threads.
//!
//! `SSL_set_session(3)` requires the session to come from the same
//! `SSL_CTX` as the connection it is offered on. [`SavedSession`] keeps the
//! context a session was made with and checks it before offering, so the
//! promise that makes the call sound is kept by construction.
//!
//! `SSL_renegotiate(3)` only marks a live connection as wanting a new
//! handshake; [`renegotiate`] takes the connection by `&mut SslRef`, which
//! is a valid `SSL *` that no one else is using.
//!
//! The SRP setters take [`SrpLogin`]s of `'static` C strings, so whatever
//! pointer OpenSSL keeps (the server callback's argument, the client's
//! name and password) outlives every context.
#![allow(unsafe_code)]

pub mod chain_cert;
pub mod death_signal;
pub mod dh_auto;
pub mod host;
pub mod inherited_fd;
mod no_unwind;
pub mod numeric_host;
pub mod socket_tls;
pub mod verify_errors;

pub use no_unwind::no_unwind;

use std::ffi::CStr;
use std::os::raw::c_int;

use foreign_types::ForeignTypeRef;
use openssl::error::ErrorStack;
use openssl::ssl::{SslContext, SslContextBuilder, SslRef, SslSession, SslStream};
use openssl_sys::SSL;

// openssl-sys does not declare it; as in ssl.h: `int SSL_renegotiate(SSL *s);`
// (checked against the header by `the_declarations_match_ssl_h`).
extern "C" {
    fn SSL_renegotiate(s: *mut SSL) -> c_int;
}

/// Ends the process with `code` without running atexit handlers: exit(3)
/// runs OpenSSL's, which frees the library's tables while other threads
/// may still be inside a handshake.
pub fn exit_at_once(code: i32) -> ! {
    // SAFETY: _exit(2) has no preconditions; it ends the process.
    unsafe { libc::_exit(code) }
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

    /// The bytes of early data the session allows (0: none, as in every
    /// session below TLS 1.3).
    pub fn max_early_data(&self) -> u32 {
        self.session.max_early_data()
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

/// An SRP user name and password as C strings that live as long as the
/// program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrpLogin {
    /// The user name (at most 255 bytes, as RFC 5054 allows).
    pub user: &'static CStr,
    /// The password.
    pub password: &'static CStr,
}

/// Why an SRP login could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SrpError {
    /// The linked OpenSSL has no SRP API.
    #[error("the linked OpenSSL was built without SRP or without its deprecated 3.0 API (OPENSSL_NO_SRP or OPENSSL_NO_DEPRECATED_3_0)")]
    Unavailable,
    /// OpenSSL refused a setting.
    #[error("{call} failed")]
    OpenSsl {
        /// The call that failed.
        call: &'static str,
        /// OpenSSL's errors.
        #[source]
        source: ErrorStack,
    },
}

/// Whether the linked OpenSSL has the SRP API.
pub const SRP_AVAILABLE: bool = cfg!(ossl_srp);

/// Makes a client log in with `login` when an SRP suite is negotiated
/// (`SSL_CTX_set_srp_username(3)`, `SSL_CTX_set_srp_password(3)`).
pub fn set_client_srp(b: &mut SslContextBuilder, login: &'static SrpLogin) -> Result<(), SrpError> {
    #[cfg(ossl_srp)]
    {
        srp::set_client(b, login)
    }
    #[cfg(not(ossl_srp))]
    {
        let _ = (b, login);
        Err(SrpError::Unavailable)
    }
}

/// Makes a server accept `login` on SRP suites: its username callback
/// finds the user and sets a verifier made from the password with a fresh
/// salt (`SSL_set_srp_server_param_pw(3)`) in the 2048-bit group of RFC
/// 5054, appendix A. Another user name ends the handshake with OpenSSL's
/// default for an unknown SRP user, unknown_psk_identity.
pub fn set_server_srp(b: &mut SslContextBuilder, login: &'static SrpLogin) -> Result<(), SrpError> {
    #[cfg(ossl_srp)]
    {
        srp::set_server(b, login)
    }
    #[cfg(not(ossl_srp))]
    {
        let _ = (b, login);
        Err(SrpError::Unavailable)
    }
}

#[cfg(ossl_srp)]
mod srp {
    use std::ffi::CStr;
    use std::os::raw::{c_char, c_int, c_void};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use openssl::error::ErrorStack;
    use openssl::ssl::SslContextBuilder;
    use openssl_sys::{SSL, SSL_AD_INTERNAL_ERROR, SSL_CTX, SSL_ERROR_NONE};

    use super::{SrpError, SrpLogin};

    /// `SSL3_AL_FATAL` in ssl3.h: what the username callback returns to
    /// end the handshake with the alert it left in `*ad`.
    pub(super) const SSL3_AL_FATAL: c_int = 2;

    /// The group id `SSL_set_srp_server_param_pw` looks up with
    /// `SRP_get_default_gN`: RFC 5054's 2048-bit group, which every SRP
    /// client accepts and which costs a fraction of the 8192-bit default
    /// of `openssl srp`.
    pub(super) const GROUP: &CStr = c"2048";

    // openssl-sys declares none of them; as in ssl.h (deprecated in 3.0,
    // checked against the header by `the_declarations_match_ssl_h`).
    extern "C" {
        fn SSL_CTX_set_srp_username(ctx: *mut SSL_CTX, name: *mut c_char) -> c_int;
        fn SSL_CTX_set_srp_password(ctx: *mut SSL_CTX, password: *mut c_char) -> c_int;
        fn SSL_CTX_set_srp_cb_arg(ctx: *mut SSL_CTX, arg: *mut c_void) -> c_int;
        fn SSL_CTX_set_srp_username_callback(
            ctx: *mut SSL_CTX,
            cb: Option<unsafe extern "C" fn(*mut SSL, *mut c_int, *mut c_void) -> c_int>,
        ) -> c_int;
        fn SSL_get_srp_username(s: *mut SSL) -> *mut c_char;
        fn SSL_set_srp_server_param_pw(
            s: *mut SSL,
            user: *const c_char,
            pass: *const c_char,
            grp: *const c_char,
        ) -> c_int;
    }

    fn check(call: &'static str, r: c_int) -> Result<(), SrpError> {
        if r == 1 {
            Ok(())
        } else {
            Err(SrpError::OpenSsl {
                call,
                source: ErrorStack::get(),
            })
        }
    }

    pub(super) fn set_client(
        b: &mut SslContextBuilder,
        login: &'static SrpLogin,
    ) -> Result<(), SrpError> {
        let ctx = b.as_ptr();
        // SAFETY: `ctx` is the builder's valid SSL_CTX, borrowed mutably.
        // OpenSSL never writes through the pointer (its `char *` is only
        // ssl.h's missing const). It copies the name; older releases keep
        // the password's pointer as given, which is why both are 'static:
        // they outlive the context whatever it keeps.
        let r = unsafe { SSL_CTX_set_srp_username(ctx, login.user.as_ptr().cast_mut()) };
        check("SSL_CTX_set_srp_username", r)?;
        // SAFETY: as above, for the password.
        let r = unsafe { SSL_CTX_set_srp_password(ctx, login.password.as_ptr().cast_mut()) };
        check("SSL_CTX_set_srp_password", r)
    }

    pub(super) fn set_server(
        b: &mut SslContextBuilder,
        login: &'static SrpLogin,
    ) -> Result<(), SrpError> {
        let ctx = b.as_ptr();
        let arg: *const SrpLogin = login;
        // SAFETY: `ctx` is the builder's valid SSL_CTX. The argument is a
        // 'static SrpLogin that the callback only reads, so it stays valid
        // for every connection of the context.
        let r = unsafe { SSL_CTX_set_srp_cb_arg(ctx, arg.cast_mut().cast()) };
        check("SSL_CTX_set_srp_cb_arg", r)?;
        // SAFETY: `ctx` is valid; the callback has ssl.h's signature
        // (checked by the declaration test) and catches every panic.
        let r = unsafe { SSL_CTX_set_srp_username_callback(ctx, Some(lookup)) };
        check("SSL_CTX_set_srp_username_callback", r)
    }

    /// The server's username callback: the harness user gets a verifier,
    /// anyone else the default alert OpenSSL left in `*ad`
    /// (unknown_psk_identity).
    unsafe extern "C" fn lookup(ssl: *mut SSL, ad: *mut c_int, arg: *mut c_void) -> c_int {
        let r = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `arg` is the &'static SrpLogin set_server installed,
            // and nothing writes to it.
            let login = unsafe { &*arg.cast::<SrpLogin>() };
            // SAFETY: `ssl` is the connection OpenSSL calls back for; the
            // name it returns is NUL-terminated, owned by that connection
            // and read before anything else touches it.
            let name = unsafe { SSL_get_srp_username(ssl) };
            // SAFETY: checked non-null just before; NUL-terminated as said.
            if name.is_null() || unsafe { CStr::from_ptr(name) } != login.user {
                return SSL3_AL_FATAL;
            }
            // SAFETY: `ssl` is valid for the call and the three strings
            // are NUL-terminated; OpenSSL copies what it keeps.
            let r = unsafe {
                SSL_set_srp_server_param_pw(
                    ssl,
                    login.user.as_ptr(),
                    login.password.as_ptr(),
                    GROUP.as_ptr(),
                )
            };
            if r < 0 {
                // SAFETY: `ad` is the writable int OpenSSL passed.
                unsafe { *ad = SSL_AD_INTERNAL_ERROR };
                return SSL3_AL_FATAL;
            }
            SSL_ERROR_NONE
        }));
        r.unwrap_or_else(|_| {
            // SAFETY: as above: OpenSSL's writable alert slot.
            unsafe { *ad = SSL_AD_INTERNAL_ERROR };
            SSL3_AL_FATAL
        })
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
        let acceptor = pki.server(KeyType::EcdsaP256).acceptor().unwrap().build();
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

    #[cfg(ossl_srp)]
    static USER: SrpLogin = SrpLogin {
        user: c"alice",
        password: c"password123",
    };

    /// One TLS 1.2 SRP handshake: the server knows USER; the client logs
    /// in with `login`. Returns the client's result and the suite.
    #[cfg(ossl_srp)]
    fn srp_handshake(login: &'static SrpLogin) -> Result<String, String> {
        use openssl::ssl::SslContextBuilder;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let mut b = SslContextBuilder::new(SslMethod::tls()).unwrap();
            b.set_cipher_list("SRP-AES-128-CBC-SHA").unwrap();
            set_server_srp(&mut b, &USER).unwrap();
            let ctx = b.build();
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let _ = Ssl::new(&ctx).unwrap().accept(tcp);
        });
        let mut b = SslContextBuilder::new(SslMethod::tls()).unwrap();
        b.set_cipher_list("SRP-AES-128-CBC-SHA").unwrap();
        b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
        set_client_srp(&mut b, login).unwrap();
        let ctx = b.build();
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        let r = Ssl::new(&ctx).unwrap().connect(tcp);
        server.join().unwrap();
        match r {
            Ok(tls) => Ok(tls.ssl().current_cipher().unwrap().name().to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[cfg(ossl_srp)]
    #[test]
    fn an_srp_login_negotiates_an_srp_suite() {
        assert_eq!(srp_handshake(&USER).as_deref(), Ok("SRP-AES-128-CBC-SHA"));
    }

    #[cfg(ossl_srp)]
    #[test]
    fn a_wrong_password_or_user_is_refused() {
        static WRONG: SrpLogin = SrpLogin {
            user: c"alice",
            password: c"not alice's",
        };
        static UNKNOWN: SrpLogin = SrpLogin {
            user: c"bob",
            password: c"password123",
        };
        // The keys differ, so the server can't read the client's Finished.
        let e = srp_handshake(&WRONG).unwrap_err();
        assert!(e.contains("bad record mac"), "{e}");
        // OpenSSL's default alert when the username callback refuses.
        let e = srp_handshake(&UNKNOWN).unwrap_err();
        assert!(e.contains("unknown psk identity"), "{e}");
    }

    /// Every function an `extern "C"` block of the crate declares, read
    /// from the source and spelled in C, compiles as a pointer initialised
    /// with the header's function only if the two prototypes agree
    /// (-Werror turns an incompatible pointer into a failure). Constants
    /// are checked with static assertions.
    #[test]
    fn the_declarations_match_ssl_h() {
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut checks: Vec<String> = testkit::c_check::declared_in_tree(source.as_ref())
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            // Declared under cfg(ossl_srp), which the headers may lack.
            .filter(|f| cfg!(ossl_srp) || !f.name.contains("_srp_"))
            .map(testkit::c_check::Declared::pointer_check)
            .collect();
        assert!(
            checks.iter().any(|c| c.contains("= SSL_renegotiate;")),
            "{checks:?}"
        );
        checks.push(
            "long (*cb)(BIO *, int, const char *, size_t, int, long, int, size_t *) = 0; \
             BIO_callback_fn_ex same_cb = 0; void check_cb(void) { cb = same_cb; }"
                .into(),
        );
        {
            use super::socket_tls as s;
            checks.extend([
                format!(
                    "_Static_assert(BIO_CB_READ == {}, \"BIO_CB_READ\");",
                    s::BIO_CB_READ
                ),
                format!(
                    "_Static_assert(BIO_CB_WRITE == {}, \"BIO_CB_WRITE\");",
                    s::BIO_CB_WRITE
                ),
                format!(
                    "_Static_assert(BIO_CB_RETURN == {}, \"BIO_CB_RETURN\");",
                    s::BIO_CB_RETURN
                ),
                format!(
                    "_Static_assert(BIO_NOCLOSE == {}, \"BIO_NOCLOSE\");",
                    s::BIO_NOCLOSE
                ),
                format!(
                    "_Static_assert(SSL_R_UNEXPECTED_EOF_WHILE_READING == {}, \"eof\");",
                    s::SSL_R_UNEXPECTED_EOF_WHILE_READING
                ),
                format!(
                    "_Static_assert(SSL_EARLY_DATA_REJECTED == {}, \"rejected\");",
                    s::SSL_EARLY_DATA_REJECTED
                ),
                format!(
                    "_Static_assert(SSL_EARLY_DATA_ACCEPTED == {}, \"accepted\");",
                    s::SSL_EARLY_DATA_ACCEPTED
                ),
            ]);
        }
        #[cfg(ossl_srp)]
        checks.extend(
            [
                &format!(
                    "_Static_assert(SSL3_AL_FATAL == {}, \"SSL3_AL_FATAL\");",
                    super::srp::SSL3_AL_FATAL
                ),
                "_Static_assert(SSL_ERROR_NONE == 0, \"SSL_ERROR_NONE\");",
                "_Static_assert(SSL_AD_INTERNAL_ERROR == 80, \"SSL_AD_INTERNAL_ERROR\");",
            ]
            .map(String::from),
        );
        for line in &checks {
            if let Err(e) = compile(line) {
                panic!("{line}\n{e}");
            }
        }
        // And a wrong prototype is refused, so the check can fail.
        assert!(compile("long (*check)(const SSL *) = SSL_renegotiate;").is_err());
        #[cfg(ossl_srp)]
        assert!(compile(
            "int (*check)(SSL_CTX *, int (*)(SSL *, void *)) = SSL_CTX_set_srp_username_callback;"
        )
        .is_err());
    }

    /// Compiles `line` after the SSL and SRP headers, deprecated
    /// declarations allowed (the SRP API is deprecated in OpenSSL 3.0).
    fn compile(line: &str) -> Result<(), String> {
        let source = format!(
            "#define OPENSSL_SUPPRESS_DEPRECATED\n#include <openssl/ssl.h>\n#include <openssl/srp.h>\n{line}\n"
        );
        let include: Vec<std::path::PathBuf> = option_env!("HARNESS_OPENSSL_INCLUDE")
            .map(Into::into)
            .into_iter()
            .collect();
        testkit::c_check::compile(&source, &include)
    }
}
