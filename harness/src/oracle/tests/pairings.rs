//! Expectations that follow a peer's declaration of what its
//! implementation does where the RFCs leave it a choice.

use super::*;
use crate::peer::capabilities::{AlpnOrder, SuiteSupport};

/// The matrix's `alpn` case: both sides have h2 and http/1.1, each
/// preferring another.
fn both_orders(v: Version) -> Case {
    let s = if v == Version::Tls1_3 {
        tls13()
    } else {
        ecdhe_rsa()
    };
    let mut c = case(v, s);
    c.client.alpn = vec!["h2".into(), "http/1.1".into()];
    c.server.alpn = vec!["http/1.1".into(), "h2".into()];
    c
}

fn alpn_of(e: Expectation) -> Option<String> {
    match e {
        Expectation::Success { alpn, .. } => alpn,
        other => panic!("expected success, got {other:?}"),
    }
}

/// RFC 7301 (section 3.2) lets the server pick: a server that declares
/// the client's order (gnutls-serv, tlslite-ng) settles on the client's
/// first protocol, OpenSSL's harness server on its own first.
#[test]
fn alpn_follows_the_order_the_server_declares() {
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let mut client_order = linked_capabilities(&lib);
    client_order.implementation = "client-order server".into();
    client_order.alpn_order = AlpnOrder::Client;
    for v in [Version::Tls1_2, Version::Tls1_3] {
        let c = both_orders(v);
        let linked = o.expect_between(&c, &o.linked, &o.linked);
        assert_eq!(alpn_of(linked).as_deref(), Some("http/1.1"), "{v}");
        let theirs = o.expect_between(&c, &o.linked, &client_order);
        assert_eq!(alpn_of(theirs).as_deref(), Some("h2"), "{v}");
    }
    // Nothing in common is refused in either order.
    let mut c = both_orders(Version::Tls1_2);
    c.server.alpn = vec!["spdy/3".into()];
    let refused = o.expect_between(&c, &o.linked, &client_order);
    assert_eq!(
        alert_of(&refused).map(|a| a.description),
        Some(alert::NO_APPLICATION_PROTOCOL)
    );
}

/// The matrix's `mismatch-version` case: a client of TLS 1.0 and 1.1, a
/// server of TLS 1.2 and 1.3 with a suite for each.
fn old_client_new_server() -> Case {
    let mut old = suite("ECDHE-RSA-AES128-SHA", Version::Tls1, "ECDH", "RSA");
    old.id = 0xc013;
    let mut new12 = ecdhe_rsa();
    new12.id = 0xc02f;
    let mut new13 = tls13();
    new13.id = 0x1301;
    let mut c = case(Version::Tls1_1, old);
    c.client.min_version = Some(Version::Tls1);
    c.client.security_level = Some(0);
    c.server.min_version = Some(Version::Tls1_2);
    c.server.max_version = Some(Version::Tls1_3);
    c.server.suites = vec![new12, new13];
    c
}

/// A server of TLS 1.0 to 1.2 only, with no TLS 1.3 suite (Botan 2).
fn up_to_tls12(lib: &Library) -> Capabilities {
    let mut caps = linked_capabilities(lib);
    caps.implementation = "botan-like".into();
    caps.versions = vec![Version::Tls1, Version::Tls1_1, Version::Tls1_2];
    caps.suites = SuiteSupport::ByCode([(0xc013, Version::Tls1), (0xc02f, Version::Tls1_2)].into());
    caps
}

/// A server allowed TLS 1.2 and 1.3 whose implementation stops at TLS
/// 1.2 plays the case capped at TLS 1.2, without its TLS 1.3 suite: the
/// old client then meets protocol_version, as from any server.
#[test]
fn a_side_is_capped_at_the_highest_version_its_implementation_speaks() {
    let lib = library(true);
    let verify = |_| 0;
    let o = Oracle::new(&lib, &verify);
    let botan = up_to_tls12(&lib);
    let c = old_client_new_server();
    let fitted = fit_to_pairing(&c, &o.linked, &botan);
    assert_eq!(
        fitted.server.version_range(),
        (Version::Tls1_2, Version::Tls1_2)
    );
    let names: Vec<&str> = fitted
        .server
        .suites
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["ECDHE-RSA-AES128-GCM-SHA256"]);
    assert_eq!(fitted.client, c.client);
    let note = fitted.notes.last().expect("a note");
    assert!(
        note.contains("server (botan-like) runs at TLS 1.2 at most"),
        "{note}"
    );
    let e = o.expect_between(&fitted, &o.linked, &botan);
    assert_eq!(
        alert_of(&e),
        Some(ExpectedAlert {
            from: Role::Server,
            description: alert::PROTOCOL_VERSION
        })
    );
    // The linked OpenSSL speaks TLS 1.3: nothing to cap.
    assert_eq!(fit_to_pairing(&c, &o.linked, &o.linked), c);
    // A side its implementation speaks nothing of stays as it is, and
    // unsupported: a TLS 1.3-only client is no TLS 1.2 client.
    let mut high = case(Version::Tls1_3, tls13());
    high.server.pin(Version::Tls1_2);
    let fitted = fit_to_pairing(&high, &botan, &o.linked);
    assert_eq!(fitted, high);
    assert!(matches!(
        o.expect_between(&fitted, &botan, &o.linked),
        Expectation::Unsupported { .. }
    ));
}
