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
}
