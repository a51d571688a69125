//! A certificate that does not cover the name the client checks: the
//! diagnosis names what it does cover, as OpenSSL checked it, and the name
//! asked for. A client that checks its server by IP address sends no SNI
//! name, so that name comes from its verify parameters.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::thread::JoinHandle;

use common::{accept_tls, client_ctx, connect_tcp, failed_trace, listener, pki, trace_of};
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{HandshakeError, Ssl, SslContext, SslMethod, SslVerifyMode};
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509NameBuilder, X509};
use openssl_handshake::{Cause, HandshakeTrace, SslContextBuilderExt, TraceOptions};
use testkit::pki::Negative;

/// A P-256 key.
fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A certificate for `key` with subject CN `cn`, issued by `issuer` (its
/// own when `None`), with DNS subjectAltNames `sans`; a CA if it has none.
fn certificate(
    cn: &str,
    sans: &[&str],
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    let (issuer_name, signer) = match issuer {
        Some((ca, ca_key)) => (ca.subject_name(), ca_key),
        None => (name.as_ref(), key),
    };
    b.set_issuer_name(issuer_name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(7).unwrap())
        .unwrap();
    if sans.is_empty() {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
    } else {
        let mut alt = SubjectAlternativeName::new();
        for s in sans {
            alt.dns(s);
        }
        let ctx = b.x509v3_context(issuer.map(|i| &**i.0), None);
        let alt = alt.build(&ctx).unwrap();
        b.append_extension(alt).unwrap();
    }
    b.sign(signer, MessageDigest::sha256()).unwrap();
    b.build()
}

/// One connection accepted with `server`, on a thread: its trace, whether
/// the handshake succeeds or fails.
fn traced_server(server: SslContext) -> (SocketAddr, JoinHandle<HandshakeTrace>) {
    let (l, addr) = listener();
    let side = std::thread::spawn(move || match accept_tls(&l, &server) {
        Ok(tls) => trace_of(&tls),
        Err(e) => failed_trace(e),
    });
    (addr, side)
}

/// Both ends' traces of a client trusting `ca` that checks the name
/// localhost (and sends it as SNI when `sni`) against a server with
/// `cert`, a handshake that must fail.
fn checked_for_localhost(
    cert: &X509,
    key: &PKey<Private>,
    ca: X509,
    sni: bool,
) -> (HandshakeTrace, HandshakeTrace) {
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    b.set_certificate(cert).unwrap();
    b.set_private_key(key).unwrap();
    b.trace_handshakes(TraceOptions::default()).unwrap();
    let (addr, side) = traced_server(b.build());
    let mut c = SslContext::builder(SslMethod::tls_client()).unwrap();
    c.set_verify(SslVerifyMode::PEER);
    let mut store = X509StoreBuilder::new().unwrap();
    store.add_cert(ca).unwrap();
    c.set_cert_store(store.build());
    c.trace_handshakes(TraceOptions::default()).unwrap();
    let mut ssl = Ssl::new(&c.build()).unwrap();
    if sni {
        ssl.set_hostname("localhost").unwrap();
    }
    ssl.param_mut().set_host("localhost").unwrap();
    let client = match ssl.connect(connect_tcp(addr)) {
        Err(HandshakeError::Failure(mid)) => openssl_handshake::trace(mid.ssl()).unwrap(),
        _ => panic!("the certificate does not cover localhost"),
    };
    (client, side.join().expect("server thread"))
}

/// OpenSSL ignores the CN of a certificate with DNS subjectAltNames
/// (RFC 6125): the diagnosis names those, not a CN that matches.
#[test]
fn a_name_only_the_cn_carries_is_not_what_the_certificate_is_for() {
    let sans = ["other.example", "*.svc.example"];
    let (ca_key, key) = (self::key(), self::key());
    let ca = certificate("test CA", &[], &ca_key, None);
    let cert = certificate("localhost", &sans, &key, Some((&ca, &ca_key)));
    let (client, server) = checked_for_localhost(&cert, &key, ca, true);
    // OpenSSL's verdict: X509_V_ERR_HOSTNAME_MISMATCH (62).
    let code = client
        .failure()
        .and_then(|f| f.verify.as_ref())
        .map(|v| v.code);
    assert_eq!(code, Some(62));
    let covered = format!("is for {} (subjectAltName)", sans.join(", "));
    for (side, trace) in [("client", &client), ("server", &server)] {
        let d = trace.diagnosis().expect("diagnosis");
        assert_eq!(d.cause, Cause::ServerCertWrongHost, "{side}: {d}");
        assert!(d.summary.contains(&covered), "{side}: {d}");
        assert!(
            d.summary.ends_with("the client asked for localhost"),
            "{side}: {d}"
        );
    }
}

#[test]
fn a_certificate_that_does_not_cover_the_address_names_it() {
    let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
    pki().negative(Negative::WrongHost).install(&mut b).unwrap();
    b.trace_handshakes(TraceOptions::default()).unwrap();
    let (addr, side) = traced_server(b.build());
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    let mut ssl = Ssl::new(&client_ctx(|_| {})).unwrap();
    ssl.param_mut().set_ip(ip).unwrap();
    let trace = match ssl.connect(connect_tcp(addr)) {
        Err(HandshakeError::Failure(mid)) => openssl_handshake::trace(mid.ssl()).unwrap(),
        _ => panic!("the certificate does not cover 127.0.0.1"),
    };
    let server = side.join().expect("server thread");
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
    // The negative's only name is DNS:wrong.example (testkit's kinds.rs).
    assert!(
        d.summary.contains(
            "names no IP address (it is for wrong.example); the client asked for 127.0.0.1; \
             the client sent no server name (SNI), so a server that picks its certificate by \
             name may have served its default one"
        ),
        "{d}"
    );
    // Without a name to go by, the server may not be at fault.
    assert_eq!(d.fault, openssl_handshake::Fault::Unknown, "{d}");
    assert!(d.fix.contains("send it as SNI"), "{d}");
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
    assert_eq!(evidence("ClientHello.sni").as_deref(), Some("none"), "{d}");
    assert_eq!(
        trace
            .local
            .as_ref()
            .and_then(|l| l.expected_name.as_deref()),
        Some("127.0.0.1")
    );
    // The server hears bad_certificate and no name: it cannot know, but
    // a client that sent no SNI and a certificate without IP names are
    // the likeliest pair.
    let d = server.diagnosis().expect("server's diagnosis");
    assert_eq!(d.cause, Cause::ServerCertInvalid, "{d}");
    assert!(
        d.summary.contains("the client sent no server name (SNI)")
            && d.summary
                .contains("this certificate names no IP address to match ("),
        "{d}"
    );
}

/// A leaf with a DNS and an IP subjectAltName, checked for a name it
/// lacks and for an address it lacks: each summary names what OpenSSL
/// checked, then the names of the other kind a client could use instead.
#[test]
fn a_wrong_host_names_the_subject_alt_names_of_both_kinds() {
    let server = pki().server(testkit::pki::KeyType::EcdsaP256);
    let leaf = X509::from_pem(&server.chain_pem()).unwrap();
    let sans = leaf.subject_alt_names().expect("subjectAltName");
    let dns: Vec<&str> = sans.iter().filter_map(|n| n.dnsname()).collect();
    let ips: Vec<String> = sans
        .iter()
        .filter_map(|n| n.ipaddress())
        .map(|b| {
            <[u8; 4]>::try_from(b)
                .map(|a| IpAddr::from(a).to_string())
                .unwrap()
        })
        .collect();
    assert!(dns.len() == 1 && ips.len() == 1, "{dns:?} {ips:?}");
    let cases: [(&str, String); 2] = [
        (
            "other.example",
            format!(
                "is for {} (subjectAltName; also the address {})",
                dns[0], ips[0]
            ),
        ),
        (
            "127.0.0.2",
            format!(
                "is for {} (subjectAltName; also the name {})",
                ips[0], dns[0]
            ),
        ),
    ];
    for (asked, covered) in cases {
        let mut b = SslContext::builder(SslMethod::tls_server()).unwrap();
        server.install(&mut b).unwrap();
        let (addr, side) = traced_server(b.build());
        let mut ssl = Ssl::new(&client_ctx(|_| {})).unwrap();
        match asked.parse::<IpAddr>() {
            Ok(ip) => ssl.param_mut().set_ip(ip).unwrap(),
            Err(_) => ssl.param_mut().set_host(asked).unwrap(),
        }
        let trace = match ssl.connect(connect_tcp(addr)) {
            Err(HandshakeError::Failure(mid)) => openssl_handshake::trace(mid.ssl()).unwrap(),
            _ => panic!("the certificate does not cover {asked}"),
        };
        let _ = side.join();
        let d = trace.diagnosis().expect("diagnosis");
        assert_eq!(d.cause, Cause::ServerCertWrongHost, "{d}");
        // The client checked a name it did not send (no SNI), which the
        // summary adds after it.
        let expected =
            format!("{covered}; the client asked for {asked}; the client sent no server name");
        assert!(d.summary.contains(&expected), "{d}\nexpected: {expected}");
    }
}

/// A leaf with no CN and only an IP subjectAltName, checked for a host
/// name: OpenSSL has no DNS name or CN to match (62), and the summary names
/// the address it is for, never the subject as if it were a CN.
#[test]
fn a_leaf_without_a_cn_names_its_address() {
    let (ca_key, key) = (self::key(), self::key());
    let ca = certificate("test CA", &[], &ca_key, None);
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "noCN")
        .unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(7).unwrap())
        .unwrap();
    let alt = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(alt).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let cert = b.build();

    let (trace, _) = checked_for_localhost(&cert, &key, ca, false);
    let code = trace
        .failure()
        .and_then(|f| f.verify.as_ref())
        .map(|v| v.code);
    assert_eq!(code, Some(62));
    let d = trace.diagnosis().expect("diagnosis");
    assert!(
        d.summary.contains(
            "names no host name (it is for 127.0.0.1); the client asked for localhost; the client \
             sent no server name (SNI)"
        ),
        "{d}"
    );
}

/// A client that trusts another root answers unknown_ca, which names the
/// issuer, not the name: the server's diagnosis says so even when the
/// name the client sent is not on its certificate either.
#[test]
fn unknown_ca_is_about_the_issuer_even_for_a_name_not_covered() {
    let ca_key = key();
    let ca = certificate("Test CA", &[], &ca_key, None);
    let leaf_key = key();
    let leaf = certificate(
        "other.example",
        &["other.example"],
        &leaf_key,
        Some((&ca, &ca_key)),
    );
    let other_root = certificate("Another CA", &[], &key(), None);
    let (client, server) = checked_for_localhost(&leaf, &leaf_key, other_root, true);
    // A leaf alone from an issuer the client lacks: an intermediate left
    // out or an untrusted root, as either end can tell.
    for (side, trace) in [("client", &client), ("server", &server)] {
        let d = trace.diagnosis().expect("a diagnosis");
        assert!(
            matches!(
                d.cause,
                Cause::ServerCertUntrustedRoot | Cause::ServerCertMissingIntermediate
            ),
            "{side}: {d}"
        );
    }
}
