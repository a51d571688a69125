//! A client certificate refused, as each end names it. The traced client
//! reads what it sent and its own certificate, as the server sends only an
//! alert and servers differ in which one and in what they check: checked
//! against gnutls-serv, which says access_denied for every certificate it
//! refuses and does not check a client certificate's purpose, and `openssl
//! s_server`, which does. The traced server reads its verify error against
//! the chain the client sent: checked with s_client, which sends only the
//! leaf unless given `-cert_chain`, and gnutls-cli, which sends the file.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::sync::{mpsc, OnceLock};
use std::thread;

use common::diagnosis::{assert_diagnosis, require_client_cert, traced_server, unfinished_trace};
use common::reference;
use common::tool::{gnutls_cli, gnutls_serv, line_where, lines_of, openssl, s_server, Reaped};
use common::{
    accept_tls, client_ctx, client_ssl, connect_tcp, listener, pki, server_ctx_with, trace_of,
    PING, TIMEOUT,
};
use openssl::ssl::{SslContextBuilder, SslVersion};
use openssl_handshake::{
    Cause, Direction, Fault, HandshakeTrace, SslContextBuilderExt, TraceOptions,
};
use testkit::pki::{KeyType, Negative, PkiFiles};

fn files() -> &'static (tempfile::TempDir, PkiFiles) {
    static FILES: OnceLock<(tempfile::TempDir, PkiFiles)> = OnceLock::new();
    FILES.get_or_init(|| {
        // A static is never dropped: under the target directory, not TMPDIR,
        // so a run leaves no key files in TMPDIR.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
        let written = pki().write_pem(dir.path()).expect("write PKI");
        (dir, written)
    })
}

/// gnutls-serv requiring and verifying a client certificate against the
/// test root, on a loopback port that was free a moment ago. Ready once it
/// says its IPv4 socket listens: that bind succeeded, so no other process
/// listens there. When another took the port first it says the bind
/// failed and listens on IPv6 alone: it is started on a fresh port.
fn gnutls_server() -> (Reaped, SocketAddr) {
    let pki = &files().1;
    let leaf = pki.server(KeyType::Rsa2048);
    let mut failed = Vec::new();
    while failed.len() < 3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Reaped::spawn(
            gnutls_serv()
                .args(["-p", &port.to_string(), "--echo", "--require-client-cert"])
                .arg("--verify-client-cert")
                .arg("--x509certfile")
                .arg(&leaf.chain)
                .arg("--x509keyfile")
                .arg(&leaf.key)
                .arg("--x509cafile")
                .arg(&pki.root)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped()),
        )
        .expect("run gnutls-serv (install the gnutls-bin package)");
        // Its "listening" lines go to stderr, unbuffered.
        let err = lines_of(child.stderr.take().expect("stderr was piped"));
        let mut said = Vec::new();
        let ipv4 = line_where(&err, |l| l.contains("listening on IPv4"), |l| said.push(l))
            .unwrap_or_else(|e| {
                panic!("gnutls-serv did not listen within {TIMEOUT:?} ({e}); it said {said:?}")
            });
        if ipv4.ends_with("...done") {
            return (child, SocketAddr::from(([127, 0, 0, 1], port)));
        }
        failed.push(ipv4);
    }
    panic!("gnutls-serv bound no port of its own: {failed:#?}");
}

/// A traced client presenting `install`'s certificate to `addr`. It
/// writes a line and reads once: an echoing server (gnutls-serv --echo,
/// s_server -rev) answers at once, one that refuses the certificate
/// after the client's side of a TLS 1.3 handshake sends its alert.
fn client_with(addr: SocketAddr, install: impl FnOnce(&mut SslContextBuilder)) -> HandshakeTrace {
    let ctx = client_ctx(install);
    match client_ssl(&ctx, "localhost").connect(connect_tcp(addr)) {
        Ok(mut tls) => {
            let _ = tls.write_all(b"ping\n");
            let mut buf = [0u8; 5];
            let _ = tls.read(&mut buf);
            trace_of(&tls)
        }
        Err(e) => unfinished_trace(e),
    }
}

fn negative(n: Negative) -> impl FnOnce(&mut SslContextBuilder) {
    move |b| pki().negative(n).install(b).expect("client credential")
}

#[test]
fn gnutls_serv_denies_an_expired_and_a_self_signed_client_certificate() {
    let (_server, addr) = gnutls_server();
    let t = client_with(addr, negative(Negative::Expired));
    let d = assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Client),
        "the client's certificate has expired (notAfter",
        "gnutls-serv and an expired client certificate",
    );
    assert!(d.to_string().contains("access_denied"), "{d}");

    let (_server, addr) = gnutls_server();
    let t = client_with(addr, negative(Negative::SelfSigned));
    assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Client),
        "the client's certificate is self-signed",
        "gnutls-serv and a self-signed client certificate",
    );
}

/// A server certificate (extendedKeyUsage serverAuth) as a client's: s_server
/// refuses it with unsupported_certificate, gnutls-serv accepts it.
#[test]
fn a_server_certificate_as_a_client_certificate_depends_on_the_server() {
    let server_leaf = |b: &mut SslContextBuilder| {
        pki()
            .server(KeyType::EcdsaP256)
            .install(b)
            .expect("client credential")
    };
    let pki_files = &files().1;
    let root = pki_files.root.to_str().expect("utf-8");
    let (_server, _out, port) = s_server(
        pki_files.server(KeyType::Rsa2048),
        &["-Verify", "2", "-verify_return_error", "-CAfile", root],
    );
    let t = client_with(SocketAddr::from(([127, 0, 0, 1], port)), server_leaf);
    let d = assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Client),
        "this client's certificate is not for identifying a TLS client: its extendedKeyUsage \
         names TLS Web Server Authentication",
        "s_server and a serverAuth-only client certificate",
    );
    assert!(d.to_string().contains("unsupported_certificate"), "{d}");

    // gnutls-serv echoes what it reads once it has accepted the client.
    let (_server, addr) = gnutls_server();
    let ctx = client_ctx(server_leaf);
    let mut tls = client_ssl(&ctx, "localhost")
        .connect(connect_tcp(addr))
        .expect("handshake with gnutls-serv");
    tls.write_all(b"ping\n").expect("write");
    let mut echo = [0u8; 5];
    tls.read_exact(&mut echo).expect("gnutls-serv's echo");
    assert_eq!(&echo, b"ping\n");
    let t = trace_of(&tls);
    assert!(t.succeeded(), "{:?}", t.outcome);
    assert!(t.diagnosis().is_none(), "{:?}", t.diagnosis());
}

/// The tool `tool`, presenting the test PKI's files `chain` and `key`, to
/// a traced server at security level 2 that requires a client certificate
/// from the test root; the server's trace.
fn server_heard(tool: &str, chain: &Path, key: &Path) -> HandshakeTrace {
    server_heard_with(tool, chain, key, &[])
}

/// [`server_heard`] with more arguments for the tool.
fn server_heard_with(tool: &str, chain: &Path, key: &Path, args: &[&str]) -> HandshakeTrace {
    let server = server_ctx_with(pki().server(KeyType::Rsa2048), |b| {
        require_client_cert(b);
        b.set_security_level(2);
    });
    let (addr, handle) = traced_server(&server);
    let root = &files().1.root;
    let mut cmd = if tool == "s_client" {
        let mut c = openssl();
        c.args(["s_client", "-connect", &addr.to_string()])
            .arg("-cert")
            .arg(chain)
            .arg("-key")
            .arg(key)
            .arg("-CAfile")
            .arg(root);
        c
    } else {
        let mut c = gnutls_cli();
        c.args(["--port", &addr.port().to_string()])
            .arg("--x509certfile")
            .arg(chain)
            .arg("--x509keyfile")
            .arg(key)
            .arg("--x509cafile")
            .arg(root)
            .arg("localhost");
        c
    };
    cmd.args(args);
    let mut child = Reaped::spawn(
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("spawn the tool");
    // Its stdin closes at once: it ends after the handshake.
    drop(child.stdin.take());
    child.wait_exit();
    handle.join().expect("server thread")
}

/// A leaf without its intermediate, and a chain to a root the server does
/// not trust.
#[test]
fn a_server_names_the_chain_a_client_sent() {
    let pki_files = &files().1;
    let leaf = pki_files.client(KeyType::EcdsaP256);
    // s_client -cert sends the first certificate of the file alone.
    let t = server_heard("s_client", &leaf.chain, &leaf.key);
    assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Unknown),
        "the client sent only its leaf certificate, issued by openssl-handshake test \
         Intermediate CA, which the server could not find",
        "s_client -cert without -cert_chain",
    );
    // OpenSSL's TLS 1.3 server refuses it in the state it names "TLSv1.3
    // early data", where no early data was sent; having read the client's
    // Certificate, it no longer waits for that flight.
    let failure = t.failure().expect("failed").to_string();
    assert!(
        failure.contains("\"TLSv1.3 early data\" (the client's second flight; read Certificate)"),
        "{failure}"
    );
    let untrusted = pki_files.negative(Negative::UntrustedRoot);
    let t = server_heard("gnutls-cli", &untrusted.chain, &untrusted.key);
    assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Unknown),
        "the client's chain ends at Untrusted Root, which the server does not trust",
        "gnutls-cli with a chain to an untrusted root",
    );
}

/// OpenSSL keeps no client chain that failed verification; the server
/// reads the certificates from the client's Certificate message instead,
/// and names the purpose and the key size.
#[test]
fn a_server_names_what_its_policy_refuses_in_a_client_certificate() {
    let pki_files = &files().1;
    let leaf = pki_files.server(KeyType::EcdsaP256);
    let t = server_heard("gnutls-cli", &leaf.chain, &leaf.key);
    assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Client),
        "the client's certificate (localhost) is not for identifying a TLS client: its \
         extendedKeyUsage names TLS Web Server Authentication",
        "gnutls-cli with a server certificate",
    );
    let weak = pki_files.negative(Negative::WeakKey);
    let t = server_heard("gnutls-cli", &weak.chain, &weak.key);
    assert_diagnosis(
        &t,
        (Cause::ClientCertRejected, Fault::Client),
        "the client's certificate (localhost) has a 1024-bit RSA key, 80 bits of security; \
         this server's security level 2 requires keys of at least 112",
        "gnutls-cli with a 1024-bit RSA certificate",
    );
    let chain = &t.negotiated.as_ref().expect("negotiated").peer_chain;
    assert_eq!(chain.len(), 2, "the chain as the client sent it: {chain:?}");
}

/// A client with an ECDSA certificate, asked by `s_server -client_sigalgs`
/// for RSA signatures alone: OpenSSL's client sends an empty Certificate
/// message, and the diagnosis says why rather than that it has none.
#[test]
fn a_client_certificate_the_request_rules_out() {
    let pki_files = &files().1;
    let root = pki_files.root.to_str().expect("utf-8");
    for version in ["-tls1_2", "-tls1_3"] {
        let (_server, _out, port) = s_server(
            pki_files.server(KeyType::Rsa2048),
            &[
                version,
                "-Verify",
                "2",
                "-CAfile",
                root,
                "-client_sigalgs",
                "RSA+SHA256:RSA-PSS+SHA256",
            ],
        );
        let t = client_with(SocketAddr::from(([127, 0, 0, 1], port)), |b| {
            pki()
                .client(KeyType::EcdsaP256)
                .install(b)
                .expect("client credential")
        });
        assert_diagnosis(
            &t,
            (Cause::ClientCertRequired, Fault::Unknown),
            "the server requires a client certificate and this client has one, but sent an \
             empty Certificate message: the server's CertificateRequest accepts only the \
             signature schemes rsa_pkcs1_sha256, rsa_pss_rsae_sha256, none of which this \
             client's EC key can make",
            &format!("s_server {version} -client_sigalgs RSA only"),
        );
    }
}

/// Every client negative of the test PKI against s_server and gnutls-serv,
/// each requiring a client certificate from the test root: the client
/// names the problem whichever alert the server sends (OpenSSL's
/// unknown_ca, unsupported_certificate, certificate_expired, ...;
/// GnuTLS's access_denied for all). gnutls-serv 3.7 checks neither a
/// client certificate's purpose nor its key size at its default priority,
/// and no server checks a name in it.
#[test]
fn every_client_negative_against_both_servers() {
    let pki_files = &files().1;
    let root = pki_files.root.to_str().expect("utf-8");
    let cases = [
        (Negative::Expired, "the client's certificate has expired"),
        (Negative::NotYetValid, "the client's certificate is not valid yet"),
        (Negative::WrongHost, ""),
        (Negative::SelfSigned, "the client's certificate is self-signed"),
        (Negative::UntrustedRoot, "the client's chain ends at Untrusted Root"),
        (Negative::MissingIntermediate, "the client sent only its leaf certificate"),
        (
            Negative::WrongPurpose,
            "this client's certificate is not for identifying a TLS client",
        ),
        (
            Negative::ExpiredIntermediate,
            "the CA certificate the client sends with its own, Expired Intermediate CA, has expired",
        ),
        (Negative::WeakKey, "this client's certificate has a 1024-bit RSA key"),
        (Negative::Sha1Signature, "this client's certificate is signed with sha1"),
    ];
    for (n, summary) in cases {
        let (_s_server, _out, port) = s_server(
            pki_files.server(KeyType::Rsa2048),
            &[
                "-rev",
                "-Verify",
                "3",
                "-verify_return_error",
                "-CAfile",
                root,
            ],
        );
        let (_gnutls, gnutls) = gnutls_server();
        let servers = [
            (SocketAddr::from(([127, 0, 0, 1], port)), "s_server", true),
            (
                gnutls,
                "gnutls-serv",
                !matches!(n, Negative::WrongPurpose | Negative::WeakKey),
            ),
        ];
        for (addr, server, refuses) in servers {
            let t = client_with(addr, |b| {
                // The level at which its holder can load it at all.
                if let Some(level) = n.server_level() {
                    b.set_security_level(level);
                }
                pki()
                    .client_negative(n)
                    .install(b)
                    .expect("client credential")
            });
            let what = format!("{server} and the client negative {n}");
            if !refuses || n == Negative::WrongHost {
                assert!(t.succeeded(), "{what}: {:?}", t.outcome);
                assert!(t.diagnosis().is_none(), "{what}: {:?}", t.diagnosis());
                continue;
            }
            let d = t
                .diagnosis()
                .unwrap_or_else(|| panic!("{what}: no diagnosis"));
            assert_eq!(d.cause, Cause::ClientCertRejected, "{what}: {d}");
            assert!(d.summary.starts_with(summary), "{what}: {d}");
        }
    }
}

/// Every client negative presented by s_client (with its whole chain) and
/// gnutls-cli to a traced server at security level 2 that requires a
/// client certificate from the test root: the server names each from its
/// verify error and the chain the client sent.
#[test]
fn a_server_names_every_client_negative_from_both_tools() {
    let pki_files = &files().1;
    let cases = [
        (Negative::Expired, "has expired"),
        (Negative::NotYetValid, "is not valid yet"),
        (Negative::WrongHost, ""),
        (Negative::SelfSigned, "is self-signed"),
        (Negative::UntrustedRoot, "ends at Untrusted Root"),
        (
            Negative::MissingIntermediate,
            "sent only its leaf certificate",
        ),
        (
            Negative::WrongPurpose,
            "is not for identifying a TLS client",
        ),
        (
            Negative::ExpiredIntermediate,
            "Expired Intermediate CA, has expired",
        ),
        (Negative::WeakKey, "1024-bit RSA key"),
        (Negative::Sha1Signature, "signed with sha1WithRSAEncryption"),
    ];
    for (n, phrase) in cases {
        let f = pki_files.client_negative(n);
        let chain = f.chain.to_str().expect("utf-8");
        // s_client sends its -cert alone unless -cert_chain completes it,
        // and loads a weak certificate only at a level that allows it.
        let mut s_client = vec!["-cert_chain", chain];
        if n.server_level().is_some() {
            s_client.extend(["-cipher", "DEFAULT@SECLEVEL=0"]);
        }
        for (tool, args) in [("s_client", s_client), ("gnutls-cli", vec![])] {
            let t = server_heard_with(tool, &f.chain, &f.key, &args);
            let what = format!("{tool} presenting the client negative {n}");
            if n == Negative::WrongHost {
                assert!(t.succeeded(), "{what}: {:?}", t.outcome);
                continue;
            }
            let d = t
                .diagnosis()
                .unwrap_or_else(|| panic!("{what}: no diagnosis"));
            assert_eq!(d.cause, Cause::ClientCertRejected, "{what}: {d}");
            assert!(d.summary.contains(phrase), "{what}: {d}");
        }
    }
}

/// Both hooks of a traced context: what each heard, in order.
struct Hooks {
    completed: mpsc::Receiver<HandshakeTrace>,
    failed_after: mpsc::Receiver<HandshakeTrace>,
}

impl Hooks {
    /// Sets both hooks on `b`.
    fn on(b: &mut SslContextBuilder) -> Hooks {
        let (completed_tx, completed) = mpsc::channel();
        let (failed_tx, failed_after) = mpsc::channel();
        let options = TraceOptions::default()
            .on_complete(move |t| {
                let _ = completed_tx.send(t.clone());
            })
            .on_failure_after_handshake(move |t| {
                let _ = failed_tx.send(t.clone());
            });
        b.trace_handshakes(options).expect("attach tracing");
        Hooks {
            completed,
            failed_after,
        }
    }

    /// Asserts that the handshake succeeded and that the connection then
    /// failed for want of a client certificate, each heard once; returns
    /// what the second hook heard.
    fn assert_refused_after_success(&self, who: &str) -> HandshakeTrace {
        let done = self.completed.try_recv().expect("the completion hook ran");
        assert!(done.succeeded(), "{who}: {done:?}");
        assert!(self.completed.try_recv().is_err(), "{who}: one completion");
        let late = self
            .failed_after
            .try_recv()
            .expect("the refusal reached its hook");
        assert!(
            self.failed_after.try_recv().is_err(),
            "{who}: one late failure"
        );
        // The outcome is still the handshake's; the diagnosis names why the
        // connection failed.
        assert!(late.succeeded(), "{who}");
        let cause = late.diagnosis().map(|d| d.cause);
        assert_eq!(cause, Some(Cause::ClientCertRequired), "{who}: {late:?}");
        late
    }
}

/// A TLS 1.3 client's handshake is over before the server judges its
/// certificate: its completion hook hears of success, and the refusal,
/// arriving at its first read, reaches `on_failure_after_handshake` once.
/// From our own server and from gnutls-serv.
#[test]
fn a_refusal_after_the_client_handshake_reaches_its_own_hook() {
    let (_gnutls, gnutls) = gnutls_server();
    let ours = server_ctx_with(pki().server(KeyType::Rsa2048), |b| {
        require_client_cert(b);
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .expect("TLS 1.3 only");
    });
    let (addr, server) = traced_server(&ours);
    for (peer, addr) in [("our server", addr), ("gnutls-serv", gnutls)] {
        let mut hooks = None;
        let trace = client_with(addr, |b| hooks = Some(Hooks::on(b)));
        let late = hooks.expect("hooks set").assert_refused_after_success(peer);
        // What the hook heard is what the trace read after it says.
        assert!(trace.succeeded(), "{peer}");
        assert_eq!(late.negotiated, trace.negotiated, "{peer}");
        assert_eq!(late.diagnosis(), trace.diagnosis(), "{peer}");
    }
    let server = server.join().expect("server thread");
    let cause = server.diagnosis().map(|d| d.cause);
    assert_eq!(cause, Some(Cause::ClientCertRequired), "{server:?}");
}

/// A TLS 1.3 server that asks for a certificate after the handshake and
/// refuses the client's empty answer: both handshakes succeeded, and both
/// ends' second hooks hear of the refusal, the server's as the alert it
/// sends, the client's as the one it reads.
#[test]
fn a_certificate_refused_after_both_handshakes_reaches_both_hooks() {
    let mut server_hooks = None;
    let ours = server_ctx_with(pki().server(KeyType::Rsa2048), |b| {
        reference::tls13(b);
        reference::ask_for_client_cert_after_handshake(b);
        server_hooks = Some(Hooks::on(b));
    });
    let (listener, addr) = listener();
    let server = thread::spawn(move || {
        let mut tls = accept_tls(&listener, &ours).expect("handshake");
        // PING carries the request; the answer, read next, is refused.
        reference::request_client_cert(&mut tls);
        tls.write_all(PING).expect("server write");
        let refused = tls.read_exact(&mut [0u8; 1]);
        assert!(refused.is_err(), "the server took a missing certificate");
    });
    let mut client_hooks = None;
    let client = client_ctx(|b| {
        reference::answer_certificate_requests_after_handshake(b);
        client_hooks = Some(Hooks::on(b));
    });
    let mut tls = client_ssl(&client, "localhost")
        .connect(connect_tcp(addr))
        .expect("handshake");
    // The request and PING, then where the refusal arrives.
    let _ = tls.read(&mut [0u8; 16]);
    let _ = tls.read(&mut [0u8; 16]);
    server.join().expect("server thread");
    let late = server_hooks
        .expect("hooks")
        .assert_refused_after_success("server");
    let sent = late.alerts().last().expect("the server's alert");
    assert_eq!(sent.direction, Direction::Write);
    assert_eq!(sent.name, "certificate_required");
    let late = client_hooks
        .expect("hooks")
        .assert_refused_after_success("client");
    let heard = late.alerts().last().expect("the server's alert");
    assert_eq!(heard.direction, Direction::Read);
    assert_eq!(heard.name, "certificate_required");
}
