//! DHE parameters weaker than the client's security level allows: the
//! 1024-bit primes servers kept long after Logjam, which OpenSSL's client
//! refuses from level 2 on ("dh key too small").

mod common;

use common::diagnosis::{assert_cause, pair, rsa, tls12};
use common::{client_ctx, server_ctx_with};
use openssl::dh::Dh;
use openssl_handshake::{Cause, Fault};

/// A TLS 1.2 DHE server with RFC 5114's 1024-bit group (at security level
/// 1, the highest that lets it set one), and a client at `client_level`.
fn handshake(client_level: u32) -> common::Pair {
    let server = server_ctx_with(rsa(), |b| {
        b.set_security_level(1);
        tls12(b);
        b.set_cipher_list("DHE-RSA-AES128-GCM-SHA256")
            .expect("ciphers");
        let dh = Dh::get_1024_160().expect("RFC 5114 group");
        b.set_tmp_dh(&dh).expect("1024-bit DH at level 1");
    });
    let client = client_ctx(|b| {
        tls12(b);
        b.set_security_level(client_level);
    });
    pair(&server, &client, "localhost")
}

#[test]
fn a_1024_bit_dh_prime_under_security_level_2() {
    let p = handshake(2);
    for (trace, wanted) in [
        (&p.client, "security level 2 requires at least 2048"),
        (&p.server, "refuse primes under 2048 bits"),
    ] {
        assert_cause(
            trace,
            Cause::WeakDhParameters,
            "DHE 1024, client at level 2",
        );
        let d = trace.diagnosis().expect("a diagnosis");
        assert_eq!(d.fault, Fault::Server, "{d}");
        assert!(d.summary.contains("1024-bit prime"), "{d}");
        assert!(d.summary.contains(wanted), "{d}");
    }
}

/// The premise: at level 1 the same server's handshake completes.
#[test]
fn the_same_parameters_pass_at_level_1() {
    let p = handshake(1);
    assert!(p.client.succeeded(), "{:?}", p.client.outcome);
    assert!(p.server.succeeded(), "{:?}", p.server.outcome);
}

/// At security level 3 a 2048-bit prime is refused too, and the fix asks
/// for what level 3 accepts (3072 bits, ffdhe3072), not for 2048 bits.
/// The server's certificate is a self-signed RSA 3072 one, which level 3
/// accepts, with the client not verifying, so the prime is what fails.
#[test]
fn a_2048_bit_dh_prime_under_security_level_3() {
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::ssl::{SslContext, SslMethod, SslVerifyMode};
    use openssl_handshake::{SslContextBuilderExt, TraceOptions};

    let key = PKey::from_rsa(Rsa::generate(3072).expect("RSA 3072")).expect("key");
    let cert = common::issue::certificate(
        "localhost",
        &key,
        None,
        MessageDigest::sha256(),
        false,
        common::issue::CURRENT,
    );

    let mut server = SslContext::builder(SslMethod::tls_server()).expect("server");
    server.set_certificate(&cert).expect("certificate");
    server.set_private_key(&key).expect("key");
    tls12(&mut server);
    server
        .set_cipher_list("DHE-RSA-AES128-GCM-SHA256")
        .expect("ciphers");
    let dh = Dh::params_from_pem(FFDHE2048).expect("ffdhe2048");
    server.set_tmp_dh(&dh).expect("DH");
    server
        .trace_handshakes(TraceOptions::default())
        .expect("trace");
    let client = client_ctx(|b| {
        tls12(b);
        b.set_verify(SslVerifyMode::NONE);
        b.set_security_level(3);
    });
    let p = pair(&server.build(), &client, "localhost");
    assert_cause(&p.client, Cause::WeakDhParameters, "DHE 2048, client at 3");
    let d = p.client.diagnosis().expect("a diagnosis");
    assert!(
        d.summary
            .contains("security level 3 requires at least 3072"),
        "{d}"
    );
    assert!(
        d.fix.contains("3072 bits or more") && d.fix.contains("ffdhe3072"),
        "{d}"
    );
}

/// RFC 7919's ffdhe2048, as `openssl genpkey -genparam -algorithm DH
/// -pkeyopt group:ffdhe2048` writes it.
const FFDHE2048: &[u8] = b"-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
";
