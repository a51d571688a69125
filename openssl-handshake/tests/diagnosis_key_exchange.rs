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
