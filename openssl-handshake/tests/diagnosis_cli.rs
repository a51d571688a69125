//! Each cause again, with the `openssl` command-line tool as the peer:
//! `openssl s_client` against a traced server, and a traced client against
//! `openssl s_server`. The tool is broken the same way the in-process peer
//! was, and the traced side's diagnosis must name the cause.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use common::against_tools::*;
use common::diagnosis::*;
use common::tool::{openssl, Reaped};
use common::{client_ctx, listener, pki, server_ctx_with, set_timeouts_to, TIMEOUT};
use openssl::ssl::{SslMode, SslOptions, SslVersion};
use openssl_handshake::{Cause, Fault};
use testkit::pki::{KeyType, Negative};

#[test]
fn version_with_the_tool() {
    let server = server_ctx_with(rsa(), |b| {
        b.set_min_proto_version(Some(SslVersion::TLS1_2))
            .expect("min");
    });
    let t = against_s_client(&server, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], b"");
    assert_cause(&t, Cause::NoSharedVersion, "s_client -tls1_1");

    let client = client_ctx(tls12);
    let t = against_s_server(&strings(&["-tls1_3"]), &client);
    assert_cause(&t, Cause::NoSharedVersion, "s_server -tls1_3");
    // This client capped itself at TLS 1.2: the server requiring 1.3 may
    // be right, so the fix names the client's maximum first.
    let d = t.diagnosis().expect("diagnosis");
    assert_eq!(d.fault, Fault::Unknown, "{d}");
    assert!(
        d.fix
            .starts_with("Raise this client's maximum version (set to TLS 1.2"),
        "{d}"
    );

    // A server that speaks only TLS 1.1 chooses it from a client offering
    // 1.2 and 1.3 too, whose security level then refuses its signature.
    let old = strings(&["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    let t = against_s_server(&old, &client_ctx(|_| {}));
    let why = (Cause::NoSharedVersion, Fault::Server);
    assert_diagnosis(&t, why, "the server chose TLS 1.1", "s_server -tls1_1");
}

#[test]
fn suites_with_the_tool() {
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_cipher_list("ECDHE-RSA-AES128-GCM-SHA256")
            .expect("ciphers");
    });
    let t = against_s_client(
        &server,
        &["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"],
        b"",
    );
    assert_cause(&t, Cause::NoSharedCipher, "s_client with another suite");

    let client = client_ctx(|b| {
        tls12(b);
        b.set_cipher_list("ECDHE-RSA-AES256-GCM-SHA384")
            .expect("ciphers");
    });
    let t = against_s_server(
        &strings(&["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]),
        &client,
    );
    assert_cause(&t, Cause::HelloRefused, "s_server with another suite");
}

/// An s_client with TLS 1.3 on and no TLS 1.3 suite refuses itself ("no
/// ciphers available") and sends a bare internal_error alert instead of
/// its ClientHello; the server sees the alert record where the hello
/// belongs.
#[test]
fn a_client_that_gives_up_before_its_hello() {
    let server = server_ctx_with(rsa(), |_| {});
    let t = against_s_client(
        &server,
        &["-ciphersuites", "", "-cipher", "AES256-SHA"],
        b"",
    );
    assert_diagnosis(
        &t,
        (Cause::UnexpectedMessage, Fault::Client),
        "the client sent an alert where its ClientHello belongs",
        "s_client -ciphersuites ''",
    );
}

/// s_client offering TLS 1.3 with RSA+SHA256 alone: RSASSA-PKCS1-v1_5,
/// which TLS 1.3 forbids in the handshake, so the RSA server has no
/// scheme to sign with; the client's offer contradicts itself.
#[test]
fn pkcs1_signatures_alone_in_tls13() {
    let server = server_ctx_with(rsa(), |_| {});
    let t = against_s_client(&server, &["-tls1_3", "-sigalgs", "RSA+SHA256"], b"");
    assert_diagnosis(
        &t,
        (Cause::NoSharedSignatureScheme, Fault::Client),
        "the client offered TLS 1.3 but accepts only the signature schemes rsa_pkcs1_sha256",
        "s_client -tls1_3 -sigalgs RSA+SHA256",
    );
}

/// s_client pinned to TLS 1.1 against a server whose only certificate is
/// Ed25519: the suites and groups match, but EdDSA signs only through TLS
/// 1.2's signature_algorithms, and OpenSSL says just "no shared cipher".
#[test]
fn an_ed25519_server_below_tls12() {
    let server = server_ctx_with(pki().server(KeyType::Ed25519), |b| {
        b.set_min_proto_version(None).expect("min");
        b.set_security_level(0);
    });
    let t = against_s_client(&server, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"], b"");
    assert_diagnosis(
        &t,
        (Cause::NoSharedSignatureScheme, Fault::Client),
        "this server's certificate has an Ed25519 key, which signs only from TLS 1.2 on",
        "s_client -tls1_1 against an Ed25519 server",
    );
}

/// s_client with its default TLS 1.2 suites but only CCM suites for TLS
/// 1.3, which the server does not enable: the server settles on TLS 1.3,
/// so the TLS 1.2 suites both list cannot help, and either side could
/// change.
#[test]
fn tls13_suites_apart_from_the_older_ones() {
    let server = server_ctx_with(rsa(), |_| {});
    let args = ["-ciphersuites", "TLS_AES_128_CCM_SHA256"];
    let t = against_s_client(&server, &args, b"");
    let d = assert_diagnosis(
        &t,
        (Cause::NoSharedCipher, Fault::Unknown),
        "the client's suites for TLS 1.3 are only TLS_AES_128_CCM_SHA256; this server accepts \
         TLS_AES_256_GCM_SHA384",
        "s_client -ciphersuites TLS_AES_128_CCM_SHA256",
    );
    assert!(
        d.summary
            .contains("TLS 1.3 is the highest version both allow"),
        "{d}"
    );
}

/// s_client offering binary curves alone (RFC 8422 deprecates them) with
/// ECDHE suites alone: the client is the one to change.
#[test]
fn deprecated_groups_alone() {
    let server = server_ctx_with(rsa(), tls12);
    let args = [
        "-tls1_2",
        "-groups",
        "sect571r1:sect283k1",
        "-cipher",
        "ECDHE",
    ];
    let t = against_s_client(&server, &args, b"");
    assert_diagnosis(
        &t,
        (Cause::NoSharedGroup, Fault::Client),
        "the client offered only groups RFC 8422 deprecates (sect571r1, sect283k1)",
        "s_client -groups sect571r1:sect283k1",
    );
}

/// s_client with ECDHE suites and finite-field groups alone: it sends no
/// supported_groups extension at all, so the server has no curve.
#[test]
fn ecdhe_suites_without_a_curve() {
    let server = server_ctx_with(rsa(), tls12);
    let args = ["-tls1_2", "-cipher", "ECDHE", "-groups", "ffdhe2048"];
    let t = against_s_client(&server, &args, b"");
    assert_diagnosis(
        &t,
        (Cause::NoSharedGroup, Fault::Client),
        "the only suites this server could pick for the client are ECDHE \
         (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "s_client -cipher ECDHE -groups ffdhe2048",
    );
}

#[test]
fn groups_with_the_tool() {
    let server = server_ctx_with(rsa(), |b| {
        tls13(b);
        b.set_groups_list("P-384").expect("groups");
    });
    let t = against_s_client(&server, &["-tls1_3", "-groups", "X25519"], b"");
    assert_cause(&t, Cause::NoSharedGroup, "s_client -groups X25519");

    let client = client_ctx(|b| {
        tls13(b);
        b.set_groups_list("X25519").expect("groups");
    });
    let t = against_s_server(&strings(&["-tls1_3", "-groups", "P-384"]), &client);
    assert_cause(&t, Cause::HelloRefused, "s_server -groups P-384");
}

#[test]
fn signature_schemes_with_the_tool() {
    let server = server_ctx_with(rsa(), tls13);
    let t = against_s_client(&server, &["-tls1_3", "-sigalgs", "ECDSA+SHA256"], b"");
    assert_cause(
        &t,
        Cause::NoSharedSignatureScheme,
        "s_client -sigalgs ECDSA+SHA256",
    );

    let client = client_ctx(|b| {
        tls13(b);
        b.set_sigalgs_list("ECDSA+SHA256").expect("sigalgs");
    });
    let t = against_s_server(&strings(&["-tls1_3"]), &client);
    assert_cause(&t, Cause::HelloRefused, "RSA s_server, ECDSA-only client");
}

#[test]
fn client_certificates_with_the_tool() {
    for version in ["-tls1_2", "-tls1_3"] {
        // Required and not sent.
        let server = server_ctx_with(rsa(), require_client_cert);
        let t = against_s_client(&server, &[version], b"");
        assert_cause(
            &t,
            Cause::ClientCertRequired,
            &format!("s_client {version}, no cert"),
        );

        let client = client_ctx(|_| {});
        let t = against_s_server(&strings(&[version, "-Verify", "1"]), &client);
        assert_cause(
            &t,
            Cause::ClientCertRequired,
            &format!("s_server {version} -Verify 1"),
        );

        // Sent and rejected: the verifier trusts none of the test PKI.
        let client_files = files().pki.client(KeyType::EcdsaP256);
        let server = server_ctx_with(rsa(), reject_client_certs);
        let t = against_s_client(
            &server,
            &[
                version,
                "-cert",
                &path(&client_files.chain),
                "-key",
                &path(&client_files.key),
            ],
            b"",
        );
        assert_cause(
            &t,
            Cause::ClientCertRejected,
            &format!("s_client {version} with a cert"),
        );

        let client = client_ctx(|b| {
            pki()
                .client(KeyType::EcdsaP256)
                .install(b)
                .expect("client credential");
        });
        let unrelated = path(&files().pki.negative(Negative::SelfSigned).chain);
        let t = against_s_server(
            &strings(&[
                version,
                "-Verify",
                "1",
                "-verify_return_error",
                "-CAfile",
                &unrelated,
            ]),
            &client,
        );
        assert_cause(
            &t,
            Cause::ClientCertRejected,
            &format!("s_server {version} rejecting"),
        );
        // The certificate is fine; the server trusts another CA.
        let d = t.diagnosis().expect("a diagnosis");
        assert_eq!(d.fault, Fault::Unknown, "{d}");
        assert!(
            d.summary.contains(
                "the chain it sent is in date, so the server most likely does not trust its \
                 issuer; the server's CertificateRequest names the CAs it accepts: "
            ),
            "{d}"
        );
    }
}

#[test]
fn server_certificates_with_the_tool() {
    let root = root();
    for (negative, cause) in SERVER_CERT_NEGATIVES {
        for version in ["-tls1_2", "-tls1_3"] {
            let what = format!("{negative} {version}");
            let server = negative_server(negative, |_| {});
            let level = |l: Option<u32>| l.map(|l| format!("DEFAULT:@SECLEVEL={l}"));
            let client_level = level(negative.client_level());
            let mut client_args = vec![
                version,
                "-CAfile",
                &root,
                "-verify_return_error",
                "-verify_hostname",
                "localhost",
                "-servername",
                "localhost",
            ];
            if let Some(l) = &client_level {
                client_args.extend(["-cipher", l]);
            }
            let t = against_s_client(&server, &client_args, b"");
            assert_cause(&t, cause, &format!("s_client verifying, {what}"));

            let mut args = credential_args(negative.name(), pki().negative(negative));
            args.push(version.to_owned());
            if let Some(l) = level(negative.server_level()) {
                args.extend(["-cipher".to_owned(), l]);
            }
            let t = against_s_server(&args, &negative_client(negative, |_| {}));
            assert_cause(&t, cause, &format!("s_server serving {what}"));
        }
    }
}

#[test]
fn sni_with_the_tool() {
    let server = server_ctx_with(rsa(), serve_localhost_only);
    let t = against_s_client(&server, &["-servername", "unknown.example"], b"");
    let what = "s_client -servername unknown.example";
    assert_cause(&t, Cause::SniUnknown, what);

    let mut args = credential_args("rsa", rsa());
    let cert2: Vec<String> = credential_args("rsa2", rsa())
        .into_iter()
        .map(|a| match a.as_str() {
            "-cert" => "-cert2".to_owned(),
            "-key" => "-key2".to_owned(),
            _ => a,
        })
        .filter(|a| a != "-cert_chain")
        .collect();
    args.extend(cert2.into_iter().take(4));
    args.extend(strings(&["-servername", "other.example"]));
    let mut fatal = args.clone();
    fatal.push("-servername_fatal".to_owned());
    let (_server, addr) = s_server(&fatal);
    let t = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
    assert_cause(
        &t,
        Cause::SniUnknown,
        "s_server -servername other.example -servername_fatal",
    );
    // Only a warning (TLS 1.2; TLS 1.3 has none): s_server goes on with
    // its first certificate, which covers localhost, and the client
    // verifies it for that name. The name works; the server lacks it.
    let (_server, addr) = s_server(&args);
    let t = traced_client(&client_ctx(tls12), addr, "localhost", |_| {});
    assert!(t.succeeded(), "{}", t.state_log());
    let d = t.diagnosis().expect("the warning is diagnosed");
    let got = (d.cause, d.fault);
    assert_eq!(got, (Cause::SniUnknown, Fault::Server), "{d}");
    let want = "covers that name and which this client verified";
    assert!(d.summary.contains(want), "{d}");
}

#[test]
fn alpn_with_the_tool() {
    let server = server_ctx_with(rsa(), require_http11);
    let t = against_s_client(&server, &["-alpn", "h2"], b"");
    assert_cause(&t, Cause::AlpnMismatch, "s_client -alpn h2");

    let client = client_ctx(|b| {
        b.set_alpn_protos(b"\x02h2").expect("alpn");
    });
    let t = against_s_server(&strings(&["-alpn", "http/1.1"]), &client);
    assert_cause(&t, Cause::AlpnMismatch, "s_server -alpn http/1.1");
}

#[test]
fn fallback_with_the_tool() {
    let server = server_ctx_with(rsa(), |_| {});
    let t = against_s_client(&server, &["-tls1_2", "-fallback_scsv"], b"");
    assert_cause(&t, Cause::InappropriateFallback, "s_client -fallback_scsv");

    let client = client_ctx(|b| {
        tls12(b);
        b.set_mode(SslMode::SEND_FALLBACK_SCSV);
    });
    let t = against_s_server(&[], &client);
    assert_cause(
        &t,
        Cause::InappropriateFallback,
        "client fallback to s_server",
    );
}

#[test]
fn renegotiation_with_the_tool() {
    let server = server_ctx_with(rsa(), |b| {
        tls12(b);
        b.set_options(SslOptions::NO_RENEGOTIATION);
    });
    let t = against_s_client(&server, &["-tls1_2"], b"R\n");
    assert_cause(&t, Cause::RenegotiationRefused, "s_client renegotiating");

    let (_server, addr) = s_server(&strings(&["-tls1_2", "-no_renegotiation"]));
    let t = traced_client(&client_ctx(tls12), addr, "localhost", |tls| {
        renegotiate(tls);
        let _ = tls.do_handshake();
        let _ = tls.read(&mut [0u8; 16]);
    });
    assert_cause(
        &t,
        Cause::RenegotiationRefused,
        "renegotiating with s_server",
    );
}

#[test]
fn not_tls_from_the_tool() {
    // `-starttls postgres` opens with PostgreSQL's SSLRequest packet, as a
    // client configured for STARTTLS does against a direct-TLS port.
    let server = server_ctx_with(rsa(), |_| {});
    let t = against_s_client(&server, &["-starttls", "postgres"], b"");
    assert_cause(&t, Cause::PlaintextToTlsPort, "s_client -starttls postgres");
}

#[test]
fn time_out_from_the_tool() {
    // `-starttls smtp` waits for the server's greeting, which a TLS server
    // never sends: the server gives up waiting for a ClientHello.
    let (ctx, traces) = hooked_server();
    let (l, addr) = listener();
    let mut child = Reaped::spawn(
        openssl()
            .args([
                "s_client",
                "-connect",
                &addr.to_string(),
                "-starttls",
                "smtp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .expect("spawn openssl s_client");
    let (tcp, _) = l.accept().expect("accept");
    set_timeouts_to(&tcp, Duration::from_millis(300));
    let result = openssl::ssl::Ssl::new(&ctx).expect("ssl").accept(tcp);
    assert!(result.is_err(), "s_client sent nothing");
    drop(result);
    let trace = traces.recv_timeout(TIMEOUT).expect("the hook saw it");
    assert_cause(&trace, Cause::TimedOut, "s_client -starttls smtp");
    let _ = child.kill();
    child.wait_exit();
}
