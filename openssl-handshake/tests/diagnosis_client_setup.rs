//! Client set-ups that fail for their configuration, not a broken peer.
//!
//! A TLS 1.2 client certificate whose ECDSA key is on a curve the server
//! does not allow as a group: OpenSSL refuses it at CertificateVerify
//! ("wrong curve"). The message is well formed; the mismatch is one of
//! configuration, and the server's diagnosis says so, while the client,
//! which hears only an alert after its whole flight, names the flight.
//! And a verify result that was never enforced (SSL_VERIFY_NONE) is not
//! taken for a cause. Checked against `openssl s_client` as the client
//! and `openssl s_server` as the server.

mod common;

use std::process::Stdio;

use common::diagnosis::{assert_diagnosis, require_client_cert, traced_server};
use common::tool::{openssl, s_server, Reaped};
use common::{client_ctx, client_ssl, connect_tcp, pki, server_ctx_with};
use openssl::ssl::{SslContext, SslVersion};
use openssl_handshake::{Cause, Fault, HandshakeTrace, SslContextBuilderExt};
use testkit::pki::{KeyType, PkiFiles};

/// `openssl s_client` with `args`, presenting the test PKI's client
/// certificate of `key` (its whole chain), against a traced `server`;
/// the server's trace.
fn s_client_presenting(
    server: &SslContext,
    files: &PkiFiles,
    key: KeyType,
    args: &[&str],
) -> HandshakeTrace {
    let (addr, handle) = traced_server(server);
    let leaf = files.client(key);
    let mut child = Reaped::spawn(
        openssl()
            .args(["s_client", "-connect", &addr.to_string()])
            .args(args)
            .arg("-cert")
            .arg(&leaf.chain)
            // s_client -cert sends the leaf alone; the chain file again
            // adds its intermediate.
            .arg("-cert_chain")
            .arg(&leaf.chain)
            .arg("-key")
            .arg(&leaf.key)
            .arg("-CAfile")
            .arg(&files.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("spawn s_client");
    drop(child.stdin.take());
    child.wait_exit();
    handle.join().expect("server thread")
}

#[test]
fn a_client_key_on_a_curve_outside_the_servers_groups_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki().write_pem(dir.path()).expect("write PKI");
    let server = server_ctx_with(pki().server(KeyType::Rsa2048), |b| {
        require_client_cert(b);
        b.set_max_proto_version(Some(SslVersion::TLS1_2))
            .expect("max");
        b.set_groups_list("P-384").expect("groups");
    });
    let trace = s_client_presenting(
        &server,
        &files,
        KeyType::EcdsaP256,
        &["-tls1_2", "-groups", "P-384:P-256"],
    );
    // OpenSSL's own reason, the reference for what happened.
    let failure = trace.failure().expect("the handshake failed");
    assert!(failure.reason.contains("wrong curve"), "{failure}");
    let d = assert_diagnosis(
        &trace,
        (Cause::ClientCertRejected, Fault::Unknown),
        "the client's certificate key is on an elliptic curve this server does not allow",
        "a P-256 client key against a P-384-only server",
    );
    assert!(d.fix.contains("SSL_CTX_set1_groups_list"), "{d}");
}

/// The client hears only illegal_parameter after its whole flight, at
/// TLS 1.2 with an ECDSA certificate: the likeliest reading, and what
/// s_server's log says, is the curve of its key.
#[test]
fn the_client_names_the_curve_of_its_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki().write_pem(dir.path()).expect("write PKI");
    let root = files.root.to_str().expect("utf-8").to_owned();
    let (server, _out, port) = s_server(
        files.server(KeyType::Rsa2048),
        &[
            "-tls1_2", "-groups", "P-384", "-Verify", "1", "-CAfile", &root, "-naccept", "1",
        ],
    );
    let client = client_ctx(|b| {
        pki()
            .client(KeyType::EcdsaP256)
            .install(b)
            .expect("client cert");
        b.set_groups_list("P-384").expect("groups");
    });
    let addr = format!("127.0.0.1:{port}").parse().expect("addr");
    let trace = match client_ssl(&client, "localhost").connect(connect_tcp(addr)) {
        Err(openssl::ssl::HandshakeError::Failure(mid)) => {
            openssl_handshake::trace(mid.ssl()).expect("traced")
        }
        _ => panic!("s_server refuses the P-256 client key"),
    };
    // The reference: s_server's own error names the curve.
    let log = server.finish();
    assert!(log.contains("wrong curve"), "{log}");
    let d = assert_diagnosis(
        &trace,
        (Cause::ClientCertRejected, Fault::Unknown),
        "the server refused this client's flight with illegal_parameter",
        "a P-256 client key against a P-384-only server, the client's side",
    );
    assert!(
        d.summary
            .contains("most likely its ECDSA key (P-256) is on a curve the server does not allow"),
        "{d}"
    );
}

/// A client that verifies nothing (SSL_VERIFY_NONE, no trust store) still
/// gets a verify result from OpenSSL, which never failed its handshake:
/// the failure is the certificate the server wanted, as s_server says.
#[test]
fn an_unenforced_verify_result_is_not_the_cause() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki().write_pem(dir.path()).expect("write PKI");
    let root = files.root.to_str().expect("utf-8").to_owned();
    let (server, _out, port) = s_server(
        files.server(KeyType::Rsa2048),
        &["-tls1_2", "-Verify", "1", "-CAfile", &root, "-naccept", "1"],
    );
    let mut b = openssl::ssl::SslContext::builder(openssl::ssl::SslMethod::tls_client())
        .expect("client ctx");
    b.set_verify(openssl::ssl::SslVerifyMode::NONE);
    b.trace_handshakes(openssl_handshake::TraceOptions::default())
        .expect("trace");
    let client = b.build();
    let addr = format!("127.0.0.1:{port}").parse().expect("addr");
    let (trace, verify) = match client_ssl(&client, "localhost").connect(connect_tcp(addr)) {
        Err(openssl::ssl::HandshakeError::Failure(mid)) => (
            openssl_handshake::trace(mid.ssl()).expect("traced"),
            mid.ssl().verify_result().as_raw(),
        ),
        _ => panic!("s_server requires a client certificate"),
    };
    let log = server.finish();
    assert!(log.contains("peer did not return a certificate"), "{log}");
    // OpenSSL did compute a failing result; it was not enforced.
    assert_ne!(verify, 0);
    let failure = trace.failure().expect("failed");
    assert!(failure.verify.is_none(), "{failure}");
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(d.cause, Cause::ClientCertRequired, "{d}");
}

/// A server whose own signature-algorithm list (which its
/// CertificateRequest carries) has only ECDSA P-256: `openssl s_client`
/// holding an Ed25519 certificate sends an empty Certificate, and the
/// server hears only that the client sent none. Its diagnosis must not
/// blame a client that may hold a certificate: it names the key kinds its
/// request left out.
#[test]
fn a_narrowed_certificate_request_is_named_when_no_certificate_comes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki().write_pem(dir.path()).expect("write PKI");
    let server = server_ctx_with(pki().server(KeyType::EcdsaP256), |b| {
        require_client_cert(b);
        b.set_sigalgs_list("ECDSA+SHA256").expect("sigalgs");
    });
    let trace = s_client_presenting(&server, &files, KeyType::Ed25519, &[]);
    let failure = trace.failure().expect("the handshake failed");
    assert!(
        failure.reason.contains("peer did not return a certificate"),
        "{failure}"
    );
    let d = assert_diagnosis(
        &trace,
        (Cause::ClientCertRequired, Fault::Unknown),
        "this server requires a client certificate and the client sent an empty Certificate",
        "Ed25519 client, P-256-only request",
    );
    assert!(
        d.summary
            .contains("allows no signature scheme for RSA, ECDSA P-384, Ed25519 keys"),
        "{d}"
    );
}

/// A server that trusts another CA for client certificates and names it
/// in its CertificateRequest (`s_server -CAfile` does): the client's
/// diagnosis names the CAs the server accepts beside the top of its own
/// chain, where the mismatch shows.
#[test]
fn a_refused_client_certificate_names_the_cas_the_server_accepts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let other = dir.path().join("other.pem");
    let made = openssl()
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-subj",
            "/CN=Other Client CA",
            "-days",
            "2",
            "-keyout",
        ])
        .arg(dir.path().join("other.key"))
        .arg("-out")
        .arg(&other)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl req");
    assert!(made.success());
    let other = other.to_str().expect("utf-8");
    let files = pki().write_pem(dir.path()).expect("write PKI");
    let (_server, _out, port) = s_server(
        files.server(KeyType::Rsa2048),
        &[
            "-tls1_2",
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            other,
        ],
    );
    let client = client_ctx(|b| {
        pki()
            .client(KeyType::Rsa2048)
            .install(b)
            .expect("client credential")
    });
    let addr = format!("127.0.0.1:{port}").parse().expect("addr");
    let t = match client_ssl(&client, "localhost").connect(connect_tcp(addr)) {
        Err(openssl::ssl::HandshakeError::Failure(mid)) => {
            openssl_handshake::trace(mid.ssl()).expect("traced")
        }
        _ => panic!("s_server refuses a client certificate from the test root"),
    };
    let d = assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Unknown),
        "the server rejected this client's certificate",
        "a client certificate from a CA s_server does not trust",
    );
    assert!(
        d.summary
            .contains("the server's CertificateRequest names the CAs it accepts: CN = Other Client CA")
            && d.summary
                .contains("this client's chain goes up to O = openssl-handshake test, CN = openssl-handshake test Root CA"),
        "{d}"
    );
}
