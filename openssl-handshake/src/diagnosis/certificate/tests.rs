use super::*;

fn cert(names: &[&str], cn: Option<&str>) -> LocalCertificate {
    LocalCertificate {
        common_name: cn.map(str::to_owned),
        names: names.iter().map(|n| (*n).to_owned()).collect(),
        key_type: "EC".into(),
        not_before: String::new(),
        not_after: String::new(),
        expired: false,
        not_yet_valid: false,
        self_signed: false,
        key_bits: 256,
        security_bits: 128,
        signature_algorithm: "ecdsa-with-SHA256".into(),
        key_usage: None,
        extended_key_usage: None,
        tls_server_use: true,
        tls_client_use: true,
    }
}

#[test]
fn host_names_match_as_rfc_6125_says() {
    let c = cert(&["localhost", "*.example.com"], None);
    assert!(covers(&c, "LOCALHOST"));
    assert!(covers(&c, "www.example.com"));
    assert!(!covers(&c, "example.com"));
    assert!(!covers(&c, "a.b.example.com"));
    // Without a subjectAltName, the common name.
    assert!(covers(&cert(&[], Some("host.test")), "host.test"));
    assert!(!covers(
        &cert(&["other.test"], Some("host.test")),
        "host.test"
    ));
    // IP subjectAltNames alone leave the CN in force for a host name
    // (`openssl x509 -checkhost` agrees), and cover only addresses.
    let ip_only = cert(&["127.0.0.1", "::1"], Some("localhost"));
    assert!(covers(&ip_only, "localhost"));
    assert!(covers(&ip_only, "0:0:0:0:0:0:0:1"));
    assert!(!covers(&ip_only, "127.0.0.2"));
}

/// Wildcards as `openssl x509 -checkhost` matched each host against a
/// certificate with these subjectAltNames (OpenSSL 3.0.19).
#[test]
fn wildcards_match_as_openssl_matches_them() {
    let cases = [
        ("f*.example.com", "foo.example.com", true),
        ("f*.example.com", "f.example.com", true),
        ("f*.example.com", "FOO.EXAMPLE.COM", true),
        ("f*.example.com", "bar.example.com", false),
        ("f*.example.com", "foo.bar.example.com", false),
        ("*.svc.example", "x.svc.example", true),
        ("*.svc.example", "svc.example", false),
        ("*.com", "a.com", false),
        ("a.*.example.org", "a.b.example.org", false),
        ("*.a.example", "xn--foo.a.example", true),
        ("x*.b.example", "xn--foo.b.example", false),
        ("x*.b.example", "xfoo.b.example", true),
        ("*o.c.example", "foo.c.example", true),
        ("*o.c.example", "o.c.example", true),
        ("f*o.d.example", "foo.d.example", false),
        ("f*o.d.example", "fo.d.example", false),
    ];
    for (pattern, host, matches) in cases {
        assert_eq!(names_cover(&[pattern], host), matches, "{pattern} ~ {host}");
    }
}

#[test]
fn common_names_come_out_of_openssl_s_one_line_form() {
    assert_eq!(
        common_name("C = US, O = Example, CN = localhost"),
        Some("localhost")
    );
    assert_eq!(common_name("O = Example"), None);
    // A value holding ", CN = " is quoted by OpenSSL, and is no CN.
    assert_eq!(
        common_name("O = \"a, CN = evil.example, b\", CN = real.example"),
        Some("real.example")
    );
    // A multi-valued RDN.
    assert_eq!(common_name("O = x + CN = y"), Some("y"));
    assert_eq!(common_name("CN = \"quoted, name\""), Some("quoted, name"));
}

/// The host check reads the leaf's CNs from the name itself: a value
/// that prints as ", CN = evil.example" covers nothing, as
/// `openssl x509 -checkhost` says.
#[test]
fn a_cn_inside_another_value_covers_nothing() {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::x509::{X509Builder, X509NameBuilder};

    let group = EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("O", "a, CN = evil.example, b")
        .unwrap();
    name.append_entry_by_text("CN", "real.example").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    // The reference: `openssl x509 -checkhost`.
    let pem = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(pem.path(), cert.to_pem().unwrap()).unwrap();
    for (host, covered) in [("evil.example", false), ("real.example", true)] {
        let out = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-in"])
            .arg(pem.path())
            .args(["-checkhost", host])
            .output()
            .expect("openssl x509");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(!text.contains("NOT match"), covered, "{text}");
    }

    let der = cert.to_der().unwrap();
    let len3 = |n: usize| [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    let mut body = Vec::new();
    body.extend(len3(der.len() + 3));
    body.extend(len3(der.len()));
    body.extend(&der);
    let mut message = vec![11];
    message.extend(len3(body.len()));
    message.extend(body);
    let view = match crate::decode::decode_handshake(&message, false)
        .unwrap()
        .body
    {
        crate::decode::Body::Certificate(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(view.leaf_common_names, ["real.example"]);
    assert!(!leaf_covers(&view, "evil.example"));
    assert!(leaf_covers(&view, "real.example"));
    assert!(covered_names(&view, Some("evil.example")).contains("is for real.example"));
}
