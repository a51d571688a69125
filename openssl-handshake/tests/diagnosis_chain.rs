//! Which certificate of a chain is at fault: a current leaf sent with an
//! intermediate that has expired reads as the intermediate's fault on
//! both sides, not as "the server's certificate has expired"; a client's
//! expired certificate reads as that, not as an untrusted one.

mod common;

use std::process::Stdio;

use common::diagnosis::{
    assert_cause, assert_diagnosis, negative_client, negative_server, pair, rsa, traced_server,
};
use common::issue::{certificate, p256, CURRENT};
use common::tool::gnutls_cli;
use common::{client_ctx, connect_tcp, pki, server_ctx_with};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{HandshakeError, Ssl, SslContext, SslContextBuilder, SslMethod, SslVerifyMode};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;
use openssl_handshake::{Cause, Fault, HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::Negative;

#[test]
fn an_expired_intermediate_is_named_on_both_sides() {
    let n = Negative::ExpiredIntermediate;
    let p = pair(
        &negative_server(n, |_| {}),
        &negative_client(n, |_| {}),
        "localhost",
    );
    for trace in [&p.client, &p.server] {
        assert_cause(trace, Cause::ServerCertExpired, "an expired intermediate");
        let d = trace.diagnosis().expect("a diagnosis");
        assert_eq!(d.fault, Fault::Server, "{d}");
        assert!(
            d.summary.starts_with(
                "the CA certificate the server sends with its own, Expired Intermediate CA, \
                 has expired (notAfter "
            ),
            "{d}"
        );
        assert!(
            d.summary
                .ends_with("the server's own certificate is current"),
            "{d}"
        );
    }
}

/// The client's own certificate out of date: the server names it, with
/// the date, and asks for a renewal, not for another CA.
#[test]
fn an_expired_client_certificate_is_named_by_the_server() {
    let ca_key = p256();
    let ca = certificate(
        "Client CA",
        &ca_key,
        None,
        MessageDigest::sha256(),
        false,
        CURRENT,
    );
    let (leaf, key) = leaf_under(&ca, &ca_key, "localhost", true, (-60, -1));
    let server = requiring_client_certs_from(&ca, |_| {});
    let p = pair(&server, &client_with(&leaf, &key, &[]), "localhost");
    let d = assert_diagnosis(
        &p.server,
        (Cause::ClientCertRejected, Fault::Client),
        "the client's certificate has expired (notAfter ",
        "an expired client certificate",
    );
    assert!(d.fix.starts_with("Renew the client's certificate"), "{d}");
}

/// Every certificate the server sends is current, but the root the client
/// trusts has expired: the client's store is the one out of date. The
/// server also sends the test PKI's intermediate, no part of this chain,
/// as misconfigured servers send stray certificates.
#[test]
fn an_expired_root_in_the_clients_store() {
    let root_key = p256();
    let root = certificate(
        "Expired Root",
        &root_key,
        None,
        MessageDigest::sha256(),
        false,
        (-60, -1),
    );
    let server = serving_leaf_of(&root, &root_key, &[]);
    let client = client_ctx(|b| {
        let mut store = X509StoreBuilder::new().expect("store");
        store.add_cert(root.clone()).expect("root");
        b.set_cert_store(store.build());
    });
    let p = pair(&server, &client, "localhost");
    assert_diagnosis(
        &p.client,
        (Cause::ServerCertExpired, Fault::Unknown),
        "every certificate the server sent is current, so the one that has expired is the root \
         the client trusts at the end of the chain (Expired Root)",
        "an expired root in the client's store",
    );
}

/// A private CA that issues leaves directly, which the client does not
/// trust: the leaf arrives alone and OpenSSL reports the same verify error
/// as for a missing intermediate, so the summary and the fix name both
/// ways out and neither end is blamed.
#[test]
fn a_leaf_from_a_private_root_the_client_lacks() {
    let (root, root_key) = private_root();
    let server = serving_leaf_of(&root, &root_key, &[]);
    let p = pair(&server, &client_ctx(|_| {}), "localhost");
    let d = assert_diagnosis(
        &p.client,
        (Cause::ServerCertMissingIntermediate, Fault::Unknown),
        "the server sent only its leaf certificate, issued by Private Root",
        "a leaf from a private root the client lacks",
    );
    assert!(
        d.fix.ends_with(
            "if Private Root is itself a root CA, add it to the client's trust store instead."
        ),
        "{d}"
    );
}

/// A leaf sent with a CA certificate that did not issue it (here a root
/// the client trusts; in the field, the wrong intermediate, or the root
/// without the intermediate between): OpenSSL's error is the one for a
/// leaf sent alone (s_client: 20, unable to get local issuer
/// certificate), but the summary must not say the leaf came alone above a
/// chain of two.
#[test]
fn a_leaf_sent_with_a_ca_that_did_not_issue_it() {
    let (root, root_key) = private_root();
    let server = serving_leaf_of(&root, &root_key, &[pki().root()]);
    let p = pair(&server, &client_ctx(|_| {}), "localhost");
    let other = common_name(pki().root());
    assert_diagnosis(
        &p.client,
        (Cause::ServerCertMissingIntermediate, Fault::Unknown),
        &format!(
            "the server sent its leaf certificate, issued by Private Root, with {other}, but \
             not Private Root, which the client could not find"
        ),
        "a leaf sent with a CA that did not issue it",
    );
}

/// A leaf both for another host and expired: OpenSSL checks the name
/// before the dates and reports only that (62), so a fix for the name
/// alone would fail next on the date; the diagnosis names both.
#[test]
fn a_leaf_for_another_host_that_has_also_expired_names_both() {
    let (root, root_key) = private_root();
    // For localhost (its subjectAltName), expired since yesterday.
    let (leaf, key) = leaf_under(&root, &root_key, "localhost", false, (-60, -1));
    let client = checked_for_other_host(&root, &serving(&leaf, &key, &[]));
    let d = client.diagnosis().expect("a diagnosis");
    assert_eq!(d.cause, Cause::ServerCertWrongHost, "{d}");
    let verify = common::diagnosis::evidence(&client, "verify result");
    assert_eq!(verify.as_deref(), Some("62 (hostname mismatch)"), "{d}");
    let not_after = leaf.not_after().to_string();
    assert!(
        d.summary.ends_with(&format!(
            "; the server's certificate has also expired (notAfter {not_after})"
        )),
        "{d}"
    );
    assert!(
        d.fix.ends_with(
            "Renew the server's certificate as well: OpenSSL reports one error at a time."
        ),
        "{d}"
    );
}

/// A CA certificate sent beside the chain may be one OpenSSL never checks
/// (an old cross-sign of a root the client holds): one out of date says
/// nothing of what fails next, so only the leaf's dates are added.
#[test]
fn an_expired_certificate_off_the_chain_is_not_added_to_a_wrong_host() {
    let (root, root_key) = private_root();
    let (leaf, key) = leaf_under(&root, &root_key, "localhost", false, CURRENT);
    let old_key = p256();
    let sha256 = MessageDigest::sha256();
    let old = certificate("Old Root", &old_key, None, sha256, false, (-60, -1));
    let client = checked_for_other_host(&root, &serving(&leaf, &key, &[&old]));
    let d = client.diagnosis().expect("a diagnosis");
    assert_eq!(d.cause, Cause::ServerCertWrongHost, "{d}");
    assert!(!d.summary.contains("expired"), "{d}");
    assert!(!d.fix.contains("one error at a time"), "{d}");
}

/// The client's trace of a connection to `server` whose certificate it
/// checks for other.example, trusting `root`; the handshake must fail.
fn checked_for_other_host(root: &X509, server: &SslContext) -> HandshakeTrace {
    let (addr, server) = traced_server(server);
    let client = client_ctx(|b| {
        let mut store = X509StoreBuilder::new().expect("store");
        store.add_cert(root.clone()).expect("root");
        b.set_cert_store(store.build());
    });
    let mut ssl = Ssl::new(&client).expect("client ssl");
    ssl.set_hostname("other.example").expect("sni");
    ssl.param_mut()
        .set_host("other.example")
        .expect("verify host");
    let trace = match ssl.connect(connect_tcp(addr)) {
        Err(HandshakeError::Failure(mid)) => openssl_handshake::trace(mid.ssl()).expect("trace"),
        _ => panic!("the certificate does not cover other.example"),
    };
    let _ = server.join();
    trace
}

/// An untrusted root the server did not send is where its chain leads,
/// not where it ends.
#[test]
fn a_chain_sent_without_its_root_leads_to_it() {
    let root = common_name(pki().root());
    let trusting_nothing = client_ctx(|b| {
        b.set_cert_store(X509StoreBuilder::new().expect("store").build());
    });
    let with_root = server_ctx_with(rsa(), |b| {
        b.add_extra_chain_cert(pki().root().clone()).expect("root");
    });
    for (server, verb) in [
        (server_ctx_with(rsa(), |_| {}), "leads to"),
        (with_root, "ends at"),
    ] {
        let p = pair(&server, &trusting_nothing, "localhost");
        assert_diagnosis(
            &p.client,
            (Cause::ServerCertUntrustedRoot, Fault::Unknown),
            &format!("the server's chain {verb} {root}, which the client does not trust"),
            verb,
        );
    }
}

/// A client whose leaf the server's CA did not issue, sent alone: the
/// verify error (unknown_ca) is the one for an intermediate left out, so
/// the client's diagnosis adds the CAs the server's CertificateRequest
/// named, which tell the two apart.
#[test]
fn a_rejected_client_leaf_is_set_against_the_cas_the_server_named() {
    let (root, root_key) = private_root();
    let (leaf, key) = leaf_under(&root, &root_key, "client", true, CURRENT);
    let test_root = pki().root().clone();
    let server = requiring_client_certs_from(&test_root, |b| {
        let mut names = openssl::stack::Stack::new().expect("stack");
        names
            .push(test_root.subject_name().to_owned().expect("name"))
            .expect("push");
        b.set_client_ca_list(names);
    });
    // Sent with the test root beside it, which did not issue it.
    let p = pair(
        &server,
        &client_with(&leaf, &key, &[&test_root]),
        "localhost",
    );
    let test_root_cn = common_name(&test_root);
    let d = assert_diagnosis(
        &p.client,
        (Cause::ClientCertRejected, Fault::Unknown),
        &format!(
            "the client sent its leaf certificate, issued by Private Root, with {test_root_cn}, \
             but not Private Root"
        ),
        "a client leaf from a CA the server did not name",
    );
    let named = "the server's CertificateRequest names the CAs it accepts: ";
    let (cas, top) = d
        .summary
        .split_once(named)
        .and_then(|(_, a)| a.split_once("; this client's chain goes up to "))
        .unwrap_or_else(|| panic!("the CAs named and the chain's top: {d}"));
    assert!(cas.contains(&test_root_cn), "{d}");
    assert!(top.contains("Private Root"), "{d}");
    assert!(!top.contains(&test_root_cn), "{d}");
}

/// A traced server that requires a client certificate issued under `ca`,
/// tuned by `f`.
fn requiring_client_certs_from(ca: &X509, f: impl FnOnce(&mut SslContextBuilder)) -> SslContext {
    server_ctx_with(rsa(), |b| {
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        let mut store = X509StoreBuilder::new().expect("store");
        store.add_cert(ca.clone()).expect("client CA");
        b.set_cert_store(store.build());
        f(b);
    })
}

/// A traced client that presents `leaf`, with `also`.
fn client_with(leaf: &X509, key: &PKey<Private>, also: &[&X509]) -> SslContext {
    client_ctx(|b| {
        b.set_certificate(leaf).expect("client certificate");
        b.set_private_key(key).expect("client key");
        for c in also {
            b.add_extra_chain_cert((*c).clone())
                .expect("extra certificate");
        }
    })
}

/// The CN of `cert`'s subject, as OpenSSL has it.
fn common_name(cert: &X509) -> String {
    cert.subject_name()
        .entries_by_nid(openssl::nid::Nid::COMMONNAME)
        .map(|e| e.data().to_string().expect("the CN as text"))
        .next()
        .expect("a CN")
}

/// A root CA "Private Root" (P-256), which no test trust store holds.
fn private_root() -> (X509, PKey<Private>) {
    let key = p256();
    let sha256 = MessageDigest::sha256();
    let root = certificate("Private Root", &key, None, sha256, false, CURRENT);
    (root, key)
}

/// A traced server whose leaf `root` issued, sent with `also` (which
/// need not be its chain).
fn serving_leaf_of(root: &X509, root_key: &PKey<Private>, also: &[&X509]) -> SslContext {
    let (leaf, key) = leaf_under(root, root_key, "localhost", false, CURRENT);
    serving(&leaf, &key, also)
}

/// A leaf for `subject` (subjectAltName localhost) that `root` issued, for
/// a client when `client`, valid over `dates` (days from now), and its key.
fn leaf_under(
    root: &X509,
    root_key: &PKey<Private>,
    subject: &str,
    client: bool,
    dates: (i64, i64),
) -> (X509, PKey<Private>) {
    let key = p256();
    let sha256 = MessageDigest::sha256();
    let leaf = certificate(subject, &key, Some((root, root_key)), sha256, client, dates);
    (leaf, key)
}

/// A traced server that sends `leaf` with `also` (which need not be its
/// chain).
fn serving(leaf: &X509, key: &PKey<Private>, also: &[&X509]) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("server context");
    b.set_certificate(leaf).expect("leaf");
    b.set_private_key(key).expect("key");
    for c in also {
        b.add_extra_chain_cert((*c).clone())
            .expect("extra certificate");
    }
    b.trace_handshakes(TraceOptions::default())
        .expect("attach tracing");
    b.build()
}

/// gnutls-cli answers every verify failure with bad_certificate. Here it
/// trusts the chain and refuses only the host name, as its own output
/// says: the server, which cannot see why, must not claim an untrusted
/// root (a chain sent with its root) or a missing intermediate (a leaf
/// sent alone), only point at them.
#[test]
fn a_bare_bad_certificate_blames_nothing_the_server_cannot_see() {
    let (private_root, root_key) = private_root();
    let with_root = server_ctx_with(rsa(), |b| {
        b.add_extra_chain_cert(pki().root().clone()).expect("root");
    });
    let cases = [
        (
            with_root,
            pki().root(),
            "the chain ends at openssl-handshake test Root CA",
        ),
        (
            serving_leaf_of(&private_root, &root_key, &[]),
            &private_root,
            "this server sent only its leaf certificate, issued by Private Root",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (server, ca, hint) in cases {
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.to_pem().expect("PEM")).expect("write CA");
        let (addr, handle) = traced_server(&server);
        let out = gnutls_cli()
            .args(["--port", &addr.port().to_string(), "--x509cafile"])
            .arg(&ca_file)
            .args(["--verify-hostname", "foo.example", "127.0.0.1"])
            .stdin(Stdio::null())
            .output()
            .expect("run gnutls-cli");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.contains("The name in the certificate does not match the expected"),
            "gnutls-cli should refuse the name alone: {said}"
        );
        let d = assert_diagnosis(
            &handle.join().expect("server thread"),
            (Cause::ServerCertInvalid, Fault::Unknown),
            "the client rejected this server's certificate (bad certificate) without saying why",
            hint,
        );
        assert!(d.summary.contains(hint), "{d}");
    }
}
