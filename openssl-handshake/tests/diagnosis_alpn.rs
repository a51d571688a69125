//! Application protocols (ALPN, RFC 7301): a server that chooses one the
//! client never offered, which OpenSSL's client refuses as a "bad
//! extension" though the extension parses, and a server that accepts none
//! of the client's, whose fix names what the client offered.

mod common;

use std::process::Stdio;

use common::diagnosis::{assert_diagnosis, evidence, pair, require_http11};
use common::tool::openssl;
use common::{client_ctx, server_ctx_with};
use openssl::ssl::{SslContextBuilder, SslVersion};
use openssl_handshake::{Cause, Fault};
use testkit::pki::KeyType;

/// A server that answers every ALPN offer with `echo/0.1`, as Botan's
/// `tls_server` does (OpenSSL sends whatever its callback returns).
fn answers_echo(version: SslVersion) -> impl FnOnce(&mut SslContextBuilder) {
    move |b| {
        b.set_min_proto_version(Some(version)).expect("min");
        b.set_max_proto_version(Some(version)).expect("max");
        b.set_alpn_select_callback(|_, _| Ok(b"echo/0.1"));
    }
}

#[test]
fn a_protocol_the_client_never_offered() {
    for version in [SslVersion::TLS1_2, SslVersion::TLS1_3] {
        let server = server_ctx_with(
            common::pki().server(KeyType::Rsa2048),
            answers_echo(version),
        );
        // OpenSSL's own client refuses the answer, and names it so.
        let (addr, handle) = common::diagnosis::traced_server(&server);
        let out = openssl()
            .args([
                "s_client",
                "-connect",
                &addr.to_string(),
                "-alpn",
                "h2,http/1.1",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run openssl s_client");
        let _ = handle.join();
        let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && said.contains("bad extension"),
            "{said}"
        );

        let client = client_ctx(|b| {
            b.set_alpn_protos(b"\x02h2\x08http/1.1").expect("alpn");
        });
        let p = pair(&server, &client, "localhost");
        assert_diagnosis(
            &p.client,
            (Cause::AlpnMismatch, Fault::Server),
            "the server chose the application protocol echo/0.1 (ALPN), which this client did \
             not offer (it offered h2, http/1.1)",
            &format!("a server answering echo/0.1 at {version:?}"),
        );
        assert_eq!(
            evidence(&p.client, "server's choice").as_deref(),
            Some("echo/0.1")
        );
    }
}

#[test]
fn a_refused_offer_is_named_in_the_fix() {
    let server = server_ctx_with(common::pki().server(KeyType::Rsa2048), require_http11);
    let client = client_ctx(|b| {
        b.set_alpn_protos(b"\x02h2\x06spdy/3").expect("alpn");
    });
    let p = pair(&server, &client, "localhost");
    let d = assert_diagnosis(
        &p.server,
        (Cause::AlpnMismatch, Fault::Unknown),
        "the client offered only h2, spdy/3 (ALPN) and the server accepts none of them",
        "h2 and spdy/3 against http/1.1",
    );
    assert!(
        d.fix.starts_with(
            "Add one of the client's protocols (h2, spdy/3) to the server's ALPN list"
        ),
        "{d}"
    );
}

/// A server knows its own ALPN list, which OpenSSL cannot report: given
/// it, the summary and the fix name it, and the client's choice
/// diagnosis (the other alpn_mismatch) is left as it was.
#[test]
fn a_server_names_its_own_protocols() {
    let server = server_ctx_with(common::pki().server(KeyType::Rsa2048), require_http11);
    let client = client_ctx(|b| {
        b.set_alpn_protos(b"\x02h2").expect("alpn");
    });
    let p = pair(&server, &client, "localhost");
    let own = ["http/1.1".to_owned()];
    let d = p
        .server
        .diagnosis()
        .expect("a diagnosis")
        .with_server_alpn(&own);
    assert_eq!((d.cause, d.fault), (Cause::AlpnMismatch, Fault::Unknown));
    assert_eq!(
        d.summary,
        "the client offered only h2 (ALPN) and this server accepts none of them: it accepts \
         only http/1.1"
    );
    assert!(
        d.fix.starts_with(
            "Add one of the client's protocols (h2) to this server's ALPN list (http/1.1)"
        ),
        "{d}"
    );
    let client_side = p.client.diagnosis().expect("a diagnosis");
    assert_eq!(client_side.clone().with_server_alpn(&[]), client_side);
}
