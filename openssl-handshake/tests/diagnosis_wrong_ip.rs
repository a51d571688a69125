//! A client that checks its server by IP address sends no SNI name, so the
//! name it asked for comes from its verify parameters: the diagnosis of a
//! certificate that does not cover the address names the address.

mod common;

use std::net::IpAddr;

use common::{accept_tls, client_ctx, connect_tcp, failed_trace, listener, pki, trace_of};
use openssl::ssl::{HandshakeError, Ssl};
use openssl_handshake::{Cause, SslContextBuilderExt, TraceOptions};
use testkit::pki::Negative;

#[test]
fn a_certificate_that_does_not_cover_the_address_names_it() {
    let mut b = openssl::ssl::SslContext::builder(openssl::ssl::SslMethod::tls_server()).unwrap();
    pki().negative(Negative::WrongHost).install(&mut b).unwrap();
    b.trace_handshakes(TraceOptions::default()).unwrap();
    let server = b.build();
    let (l, addr) = listener();
    let side = std::thread::spawn(move || match accept_tls(&l, &server) {
        Ok(tls) => trace_of(&tls),
        Err(e) => failed_trace(e),
    });
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    let mut ssl = Ssl::new(&client_ctx(|_| {})).unwrap();
    ssl.param_mut().set_ip(ip).unwrap();
    let trace = match ssl.connect(connect_tcp(addr)) {
        Err(HandshakeError::Failure(mid)) => openssl_handshake::trace(mid.ssl()).unwrap(),
        _ => panic!("the certificate does not cover 127.0.0.1"),
    };
    let _ = side.join();
    // OpenSSL's verdict: X509_V_ERR_IP_ADDRESS_MISMATCH (64).
    assert_eq!(
        trace
            .failure()
            .and_then(|f| f.verify.as_ref())
            .map(|v| v.code),
        Some(64)
    );
    let d = trace.diagnosis().expect("diagnosis");
    assert_eq!(d.cause, Cause::ServerCertWrongHost, "{d}");
    assert!(d.summary.ends_with("the client asked for 127.0.0.1"), "{d}");
    // The address was checked, never sent: no SNI in the ClientHello.
    let evidence = |k: &str| {
        d.evidence
            .iter()
            .find(|e| e.source == k)
            .map(|e| e.value.clone())
    };
    assert_eq!(
        evidence("name checked").as_deref(),
        Some("127.0.0.1"),
        "{d}"
    );
    assert_eq!(evidence("ClientHello.sni"), None, "{d}");
    assert_eq!(
        trace
            .local
            .as_ref()
            .and_then(|l| l.expected_name.as_deref()),
        Some("127.0.0.1")
    );
}
