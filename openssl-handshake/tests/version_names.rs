//! `Negotiated::version` prints exactly what `SSL_get_version` says for the
//! connection, so state and summary lines keep matching `openssl s_client`,
//! and it compares as a value.

use openssl::ssl::{
    ErrorCode, Ssl, SslContext, SslContextBuilder, SslMethod, SslStream, SslVerifyMode, SslVersion,
};
use openssl_handshake::{ProtocolVersion, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Pki};

/// A traced context pinned to `v`; TLS 1.0 and 1.1 need security level 0
/// on OpenSSL 3.
fn pinned(method: SslMethod, v: SslVersion, f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    let mut b = SslContext::builder(method).expect("context");
    b.set_min_proto_version(Some(v)).expect("min version");
    b.set_max_proto_version(Some(v)).expect("max version");
    b.set_cipher_list("DEFAULT:@SECLEVEL=0")
        .expect("cipher list");
    b.set_security_level(0);
    b.trace_handshakes(TraceOptions::default())
        .expect("attach tracing");
    f(&mut b);
    b.build()
}

fn step(result: Result<(), openssl::ssl::Error>) -> bool {
    match result {
        Ok(()) => true,
        Err(e) if e.code() == ErrorCode::WANT_READ => false,
        Err(e) => panic!("handshake failed: {e}"),
    }
}

#[test]
fn the_version_prints_as_ssl_get_version_and_compares_as_a_value() {
    let pki = Pki::generate().expect("test PKI");
    let mut seen = Vec::new();
    for v in [
        SslVersion::TLS1,
        SslVersion::TLS1_1,
        SslVersion::TLS1_2,
        SslVersion::TLS1_3,
    ] {
        let server = pinned(SslMethod::tls_server(), v, |b| {
            pki.server(KeyType::EcdsaP256)
                .install(b)
                .expect("server credential");
        });
        let client = pinned(SslMethod::tls_client(), v, |b| {
            b.set_verify(SslVerifyMode::NONE)
        });
        let (client_end, server_end) = testkit::duplex::pair();
        let mut c = SslStream::new(Ssl::new(&client).unwrap(), client_end).unwrap();
        let mut s = SslStream::new(Ssl::new(&server).unwrap(), server_end).unwrap();
        let (mut c_done, mut s_done) = (false, false);
        for _ in 0..20 {
            c_done = c_done || step(c.connect());
            s_done = s_done || step(s.accept());
        }
        assert!(c_done && s_done, "{v:?}: the handshake did not finish");
        for tls in [c.ssl(), s.ssl()] {
            let trace = openssl_handshake::trace(tls).expect("traced");
            let n = trace.negotiated.expect("negotiated");
            assert_eq!(n.version.to_string(), tls.version_str(), "{v:?}");
            assert_eq!(n.version.name(), tls.version_str(), "{v:?}");
            assert_eq!(n.version, ProtocolVersion::from(v));
            assert_eq!(tls.version_str().parse(), Ok(n.version));
        }
        seen.push(ProtocolVersion::from(v));
    }
    // Oldest first, as the versions were made.
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}
