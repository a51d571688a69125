//! What was negotiated comes from the messages on the wire where the
//! `SSL` only knows a key type and a digest: the peer's signature scheme
//! and a TLS 1.2 DHE group. Each expectation is the configuration the
//! test gave the signing side.

mod common;

use openssl::ssl::{SslContextBuilder, SslVerifyMode, SslVersion};
use testkit::pki::KeyType;

use common::{client_ctx, connect, pki, server_ctx};

fn tls12(b: &mut SslContextBuilder) {
    b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
}

fn peer_signature(t: &openssl_handshake::HandshakeTrace) -> Option<String> {
    t.negotiated.as_ref()?.peer_signature.clone()
}

#[test]
fn the_servers_tls12_signature_scheme_is_the_one_it_was_told_to_use() {
    for (sigalgs, scheme) in [
        ("ECDSA+SHA384", "ecdsa_secp384r1_sha384"),
        ("ECDSA+SHA256", "ecdsa_secp256r1_sha256"),
    ] {
        let server = server_ctx(KeyType::EcdsaP256, |b| {
            tls12(b);
            b.set_sigalgs_list(sigalgs).unwrap();
        });
        let pair = connect(&server, &client_ctx(tls12), None);
        assert!(pair.client.succeeded(), "{:?}", pair.client.outcome);
        assert_eq!(peer_signature(&pair.client).as_deref(), Some(scheme));
    }
}

#[test]
fn the_clients_certificate_verify_scheme_reaches_the_servers_trace() {
    for (version, sigalgs, key, scheme) in [
        (
            SslVersion::TLS1_2,
            "ECDSA+SHA256",
            KeyType::EcdsaP256,
            "ecdsa_secp256r1_sha256",
        ),
        (
            SslVersion::TLS1_3,
            "rsa_pss_rsae_sha384",
            KeyType::Rsa2048,
            "rsa_pss_rsae_sha384",
        ),
    ] {
        // The client's list also limits the server's signature: give the
        // server a key of the same type.
        let server = server_ctx(key, |b| {
            b.set_max_proto_version(Some(version)).unwrap();
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
            b.set_verify_cert_store(pki().trust_store().unwrap())
                .unwrap();
        });
        let client = client_ctx(|b| {
            pki().client(key).install(b).unwrap();
            b.set_sigalgs_list(sigalgs).unwrap();
        });
        let pair = connect(&server, &client, None);
        assert!(pair.server.succeeded(), "{:?}", pair.server.outcome);
        assert_eq!(
            peer_signature(&pair.server).as_deref(),
            Some(scheme),
            "{version:?}"
        );
    }
}

#[test]
fn a_tls12_dhe_group_is_named() {
    let server = server_ctx(KeyType::Rsa2048, |b| {
        tls12(b);
        b.set_cipher_list("DHE-RSA-AES128-GCM-SHA256").unwrap();
        b.set_tmp_dh(&common::ffdhe2048()).unwrap();
    });
    let pair = connect(&server, &client_ctx(tls12), None);
    // The client reads the group in the ServerKeyExchange; the server
    // wrote it there.
    for t in [&pair.client, &pair.server] {
        assert!(t.succeeded(), "{:?}", t.outcome);
        let n = t.negotiated.as_ref().unwrap();
        assert_eq!(n.cipher_openssl, "DHE-RSA-AES128-GCM-SHA256");
        assert_eq!(n.group.as_deref(), Some("ffdhe2048"), "{:?}", t.side);
    }
}

/// TLS 1.0 and 1.1 sign with RSA over MD5 and SHA-1 joined (RFC 4346
/// section 7.4.3), which has no code point; `s_client` prints "Peer
/// signature type: RSA" and "Peer signing digest: MD5-SHA1".
#[test]
fn a_tls11_rsa_signature_is_named_md5_sha1() {
    let tls11 = |b: &mut SslContextBuilder| {
        b.set_security_level(0);
        b.set_min_proto_version(Some(SslVersion::TLS1_1)).unwrap();
        b.set_max_proto_version(Some(SslVersion::TLS1_1)).unwrap();
    };
    let p = connect(
        &server_ctx(KeyType::Rsa2048, tls11),
        &client_ctx(tls11),
        None,
    );
    assert!(p.client.succeeded(), "{}", p.client.state_log());
    assert_eq!(
        peer_signature(&p.client).as_deref(),
        Some("rsa_pkcs1_md5_sha1")
    );
}
