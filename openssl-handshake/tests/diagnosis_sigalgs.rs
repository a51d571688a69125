//! Which signature a server's key can make: TLS 1.3 binds each ECDSA
//! signature scheme to its curve (RFC 8446 section 4.2.3), where TLS 1.2
//! let any curve sign with any hash (a P-384 server meets gnutls-cli
//! accepting ecdsa_secp256r1_sha256 alone), and a DSA key signs only in
//! DHE-DSS suites, which OpenSSL's default list leaves out.

mod common;

use std::process::Stdio;

use common::diagnosis::{assert_diagnosis, traced_server};
use common::tool::{gnutls_cli, openssl};
use common::{pki, server_ctx};
use openssl_handshake::decode::Body;
use openssl_handshake::{Cause, Fault, HandshakeTrace};
use testkit::pki::KeyType;

#[test]
fn a_tls13_ecdsa_scheme_names_its_curve() {
    let server = server_ctx(KeyType::EcdsaP384, |_| {});
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root.pem");
    std::fs::write(&root, pki().root().to_pem().expect("PEM")).expect("write root");
    // GnuTLS names the one code point 0x0403 by the version's meaning.
    let run = |version: &str, ecdsa: &str| -> (bool, HandshakeTrace) {
        let (addr, handle) = traced_server(&server);
        let priority =
            format!("NORMAL:-VERS-ALL:+{version}:-SIGN-ALL:+{ecdsa}:+SIGN-RSA-PSS-RSAE-SHA256");
        let status = gnutls_cli()
            .args(["--port", &addr.port().to_string(), "--x509cafile"])
            .arg(&root)
            .args(["--priority", &priority, "localhost"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run gnutls-cli");
        (status.success(), handle.join().expect("server thread"))
    };
    // The same schemes are served at TLS 1.2: neither the server's
    // security level nor its own list is in the way.
    let (served, tls12) = run("VERS-TLS1.2", "SIGN-ECDSA-SHA256");
    assert!(served && tls12.succeeded(), "{:?}", tls12.outcome);
    let (served, tls13) = run("VERS-TLS1.3", "SIGN-ECDSA-SECP256R1-SHA256");
    assert!(!served, "gnutls-cli should fail at TLS 1.3");
    let offered = |t: &HandshakeTrace| {
        t.messages()
            .find_map(|m| match &m.body {
                Some(Body::ClientHello(h)) => Some(h.signature_algorithms.clone()),
                _ => None,
            })
            .expect("a ClientHello")
    };
    assert_eq!(offered(&tls12), offered(&tls13));
    let d = assert_diagnosis(
        &tls13,
        (Cause::NoSharedSignatureScheme, Fault::Unknown),
        "the client offered TLS 1.3 but accepts only the signature schemes",
        "a P-384 server and a client with ecdsa_secp256r1_sha256 alone",
    );
    assert!(
        d.summary.ends_with(
            "this server's key is on P-384, which signs only with ecdsa_secp384r1_sha384"
        ),
        "{d}"
    );
    assert!(
        d.fix
            .starts_with("Enable ecdsa_secp384r1_sha384 on the client"),
        "{d}"
    );
}

/// A DSA server under OpenSSL's default suites: `openssl s_server` with
/// the same key says only "no shared cipher" to an s_client, whether it
/// offers TLS 1.3 or not (TLS 1.3 has no DSA scheme), and both succeed
/// once DHE-DSS is enabled on both ends, as the fix says.
#[test]
fn a_dsa_server_needs_dss_suites() {
    let run = |server_ciphers: Option<&str>, args: &[&str]| -> (bool, HandshakeTrace) {
        let server = server_ctx(KeyType::Dsa2048, |b| {
            if let Some(c) = server_ciphers {
                b.set_cipher_list(c).expect("cipher list");
                // DHE needs parameters, which s_server sets and a bare
                // context lacks.
                let dh = openssl::dh::Dh::get_2048_256().expect("DH parameters");
                b.set_tmp_dh(&dh).expect("set DH parameters");
            }
        });
        let (addr, handle) = traced_server(&server);
        let status = openssl()
            .args(["s_client", "-connect", &addr.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl s_client");
        (status.success(), handle.join().expect("server thread"))
    };
    for args in [&[][..], &["-tls1_2"][..]] {
        let (ok, t) = run(None, args);
        assert!(!ok, "s_client {args:?} should fail");
        let d = assert_diagnosis(
            &t,
            (Cause::NoSharedSignatureScheme, Fault::Server),
            "this server's certificate has a DSA key, which authenticates only the DHE-DSS suites",
            "a DSA server with OpenSSL's default suites",
        );
        assert!(
            d.fix
                .starts_with("Give the server an RSA or ECDSA certificate"),
            "{d}"
        );
    }
    let dss = "DHE-DSS-AES256-GCM-SHA384";
    let (ok, t) = run(Some(dss), &["-tls1_2", "-cipher", dss]);
    assert!(ok && t.succeeded(), "{:?}", t.outcome);
    // The server enables DHE-DSS, a default client offers none of it (and
    // TLS 1.3, which the DSA key rules out, not the versions).
    let (ok, t) = run(Some(dss), &[]);
    assert!(!ok, "a default s_client offers no DHE-DSS suite");
    let d = assert_diagnosis(
        &t,
        (Cause::NoSharedSignatureScheme, Fault::Unknown),
        "this server's certificate has a DSA key",
        "a DSA server with DHE-DSS alone",
    );
    assert!(
        d.summary
            .contains("of which this server enables TLS_DHE_DSS_WITH_AES_256_GCM_SHA384")
            && !d.summary.contains("highest version"),
        "{d}"
    );
}
