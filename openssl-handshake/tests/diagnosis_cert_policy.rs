//! Server certificates valid in themselves that the client's policy
//! refuses: a key or a signature digest under its security level, a
//! certificate that may not identify a TLS server, or one whose keyUsage
//! rules out the key exchange the server chose (checked with gnutls-cli,
//! as OpenSSL's client does not check it). The first three are the test
//! PKI's negatives, served at the level that loads them; the last is
//! issued here, as the test PKI's RSA leaf allows keyEncipherment.

mod common;

use std::process::Stdio;

use common::diagnosis::negative_server;
use common::diagnosis::{assert_cause, assert_diagnosis, pair, rsa, traced_server};
use common::issue::{certificate, certificate_with_usage, CURRENT};
use common::tool::{gnutls_cli, Reaped};
use common::{client_ctx, pki, server_ctx_with};
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::ssl::{SslContext, SslContextBuilder, SslMethod, SslVersion};
use openssl::x509::extension::KeyUsage;
use openssl::x509::X509;
use openssl_handshake::{Cause, Fault, HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Negative};

/// A traced server at security level 0 presenting an RSA leaf for
/// localhost whose keyUsage is digitalSignature alone, issued by a root of
/// its own, and that root.
fn signing_only_server(tune: impl FnOnce(&mut SslContextBuilder)) -> (SslContext, X509) {
    server_with_usage(
        |u| {
            u.digital_signature();
        },
        tune,
    )
}

/// A traced server at security level 0 whose RSA leaf's keyUsage is set
/// by `usage`, and the root that issued it.
fn server_with_usage(
    usage: impl FnOnce(&mut KeyUsage),
    tune: impl FnOnce(&mut SslContextBuilder),
) -> (SslContext, X509) {
    let key = PKey::from_rsa(Rsa::generate(2048).expect("RSA")).expect("pkey");
    let ca_key = PKey::from_rsa(Rsa::generate(2048).expect("RSA")).expect("pkey");
    let sha256 = MessageDigest::sha256();
    let ca = certificate("Policy Test Root", &ca_key, None, sha256, false, CURRENT);
    let issuer = Some((&ca, &ca_key));
    let cert = certificate_with_usage("localhost", &key, issuer, sha256, false, CURRENT, usage);
    let mut server = SslContext::builder(SslMethod::tls_server()).expect("server");
    server.set_security_level(0);
    server.set_certificate(&cert).expect("certificate");
    server.set_private_key(&key).expect("key");
    server
        .trace_handshakes(TraceOptions::default())
        .expect("trace");
    tune(&mut server);
    (server.build(), ca)
}

/// Both sides' traces of a client at `client_level` meeting a server that
/// presents the test PKI's negative `n` (at the level that loads it).
fn handshake(n: Negative, client_level: u32) -> (HandshakeTrace, HandshakeTrace) {
    let server = negative_server(n, |_| {});
    let client = client_ctx(|b| b.set_security_level(client_level));
    let p = pair(&server, &client, "localhost");
    (p.client, p.server)
}

fn summary(trace: &HandshakeTrace) -> String {
    let d = trace.diagnosis().expect("a diagnosis");
    assert_eq!(d.fault, Fault::Server, "{d}");
    d.summary
}

#[test]
fn an_rsa_1024_leaf_under_security_level_2() {
    let (client, server) = handshake(Negative::WeakKey, 2);
    let what = "RSA 1024 leaf, client at level 2";
    assert_cause(&client, Cause::ServerCertWeak, what);
    let s = summary(&client);
    assert!(s.contains("1024-bit RSA key, 80 bits of security"), "{s}");
    assert!(
        s.contains("security level 2 requires keys of at least 112"),
        "{s}"
    );
    assert_cause(&server, Cause::ServerCertWeak, what);
    let s = summary(&server);
    assert!(s.contains("1024-bit RSA key, 80 bits of security"), "{s}");
}

#[test]
fn a_sha1_signed_leaf_under_security_level_1() {
    let (client, server) = handshake(Negative::Sha1Signature, 1);
    let what = "SHA-1 signed leaf, client at level 1";
    assert_cause(&client, Cause::ServerCertWeak, what);
    let s = summary(&client);
    assert!(s.contains("signed with sha1WithRSAEncryption"), "{s}");
    assert!(
        s.contains("security level 1 requires signatures of at least 80"),
        "{s}"
    );
    assert_cause(&server, Cause::ServerCertWeak, what);
    assert!(summary(&server).contains("signed with sha1WithRSAEncryption"));
}

#[test]
fn a_leaf_for_tls_clients_only() {
    let (client, server) = handshake(Negative::WrongPurpose, 2);
    let what = "extendedKeyUsage clientAuth alone";
    for trace in [&client, &server] {
        assert_cause(trace, Cause::ServerCertWrongPurpose, what);
        let s = summary(trace);
        assert!(
            s.contains("extendedKeyUsage names TLS Web Client Authentication"),
            "{s}"
        );
    }
}

/// The premise of the tests above: the same kind of leaf passes where
/// the policy allows it, so the policy alone made the difference.
#[test]
fn the_same_leaves_pass_where_the_policy_allows_them() {
    for (n, level) in [(Negative::WeakKey, 1), (Negative::Sha1Signature, 0)] {
        let (client, server) = handshake(n, level);
        assert!(client.succeeded(), "{:?}", client.outcome);
        assert!(server.succeeded(), "{:?}", server.outcome);
    }
}

/// The other role: a server certificate (extendedKeyUsage serverAuth)
/// presented as a client certificate.
#[test]
fn a_server_certificate_sent_as_a_client_certificate() {
    let server = server_ctx_with(pki().server(KeyType::EcdsaP256), |b| {
        common::diagnosis::require_client_cert(b)
    });
    let client = client_ctx(|b| {
        pki()
            .server(KeyType::EcdsaP256)
            .install(b)
            .expect("client credential");
    });
    let p = pair(&server, &client, "localhost");
    assert_cause(
        &p.server,
        Cause::ClientCertRejected,
        "serverAuth-only client certificate",
    );
    let d = p.server.diagnosis().expect("a diagnosis");
    assert_eq!(d.fault, Fault::Client, "{d}");
    assert!(
        d.summary.contains("not for identifying a TLS client"),
        "{d}"
    );
    assert!(d.fix.contains("clientAuth"), "{d}");
    // The client, refused with an alert, reads the same from its own.
    assert_cause(
        &p.client,
        Cause::ClientCertRejected,
        "serverAuth-only client certificate (client side)",
    );
    let d = p.client.diagnosis().expect("a diagnosis");
    assert!(
        d.summary
            .contains("this client's certificate is not for identifying a TLS client"),
        "{d}"
    );
    assert!(d.fix.contains("clientAuth"), "{d}");
}

/// RSA key transport to a certificate whose keyUsage is signing alone:
/// OpenSSL's server picks the suite anyway, gnutls-cli refuses it (RFC
/// 5246 section 7.4.2 wants keyEncipherment) with internal_error.
#[test]
fn rsa_key_transport_to_a_signing_only_certificate() {
    let (server, ca) = signing_only_server(|b| {
        b.set_max_proto_version(Some(SslVersion::TLS1_2))
            .expect("TLS 1.2");
        b.set_cipher_list("AES128-GCM-SHA256").expect("RSA suite");
    });
    let trace = gnutls_cli_to(&server, &ca, "NORMAL:-KX-ALL:+RSA:-VERS-TLS1.3");
    let d = assert_diagnosis(
        &trace,
        (Cause::ServerCertWrongPurpose, Fault::Server),
        "this server chose TLS_RSA_WITH_AES_128_GCM_SHA256, RSA key transport",
        "RSA key transport, keyUsage digitalSignature",
    );
    assert!(d.summary.contains("keyUsage (Digital Signature)"), "{d}");
}

/// The server's trace of gnutls-cli, trusting `ca`, with `priority`.
fn gnutls_cli_to(server: &SslContext, ca: &X509, priority: &str) -> HandshakeTrace {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root.pem");
    std::fs::write(&root, ca.to_pem().expect("PEM")).expect("write root");
    let (addr, handle) = traced_server(server);
    let mut client = Reaped::spawn(
        gnutls_cli()
            .args(["--port", &addr.port().to_string(), "--x509cafile"])
            .arg(&root)
            .args(["--priority", priority, "localhost"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("spawn gnutls-cli");
    client.wait_exit();
    handle.join().expect("server thread")
}

/// The mirror case: a certificate whose keyUsage allows encryption alone
/// signs the TLS 1.3 CertificateVerify or an ECDHE ServerKeyExchange;
/// OpenSSL's server signs anyway, gnutls-cli refuses it ("Peer's
/// certificate does not allow digital signatures", in its debug log).
#[test]
fn signing_with_an_encryption_only_certificate() {
    let cases = [
        ("NORMAL:-VERS-ALL:+VERS-TLS1.3", "CertificateVerify"),
        (
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA",
            "ServerKeyExchange",
        ),
    ];
    for (priority, signed) in cases {
        let (server, ca) = server_with_usage(
            |u| {
                u.key_encipherment();
            },
            |_| {},
        );
        let trace = gnutls_cli_to(&server, &ca, priority);
        let d = assert_diagnosis(
            &trace,
            (Cause::ServerCertWrongPurpose, Fault::Server),
            &format!("this server signed its {signed} with its certificate's key"),
            priority,
        );
        assert!(d.summary.contains("keyUsage (Key Encipherment)"), "{d}");
    }
}

/// A 2048-bit RSA leaf is weak for a client at security level 3 (112 bits
/// against 128, verify error 66 as `s_client -auth_level 3` reports): the
/// fix asks for what level 3 accepts, RSA 3072 or P-256, not for 2048.
#[test]
fn an_rsa_2048_leaf_under_security_level_3() {
    let server = server_ctx_with(rsa(), |_| {});
    let client = client_ctx(|b| b.set_security_level(3));
    let p = pair(&server, &client, "localhost");
    assert_cause(&p.client, Cause::ServerCertWeak, "RSA 2048, client at 3");
    let d = p.client.diagnosis().expect("a diagnosis");
    assert!(d.summary.contains("requires keys of at least 128"), "{d}");
    assert!(
        d.fix.contains("RSA of 3072 bits or more, or ECDSA P-256"),
        "{d}"
    );
}
