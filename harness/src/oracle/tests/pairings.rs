//! Expectations that follow a peer's declaration of what its
//! implementation does where the RFCs leave it a choice.

use super::*;
use crate::peer::capabilities::AlpnOrder;

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
