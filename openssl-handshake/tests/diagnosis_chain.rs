//! Which certificate of a chain is at fault: a current leaf sent with an
//! intermediate that has expired reads as the intermediate's fault on
//! both sides, not as "the server's certificate has expired".

mod common;

use common::diagnosis::{assert_cause, negative_client, negative_server, pair};
use openssl_handshake::{Cause, Fault};
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
