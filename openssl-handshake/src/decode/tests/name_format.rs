use super::*;
use crate::ffi::name_oneline;

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n @ 0..=0x7f => out.push(n as u8),
        n @ 0x80..=0xff => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
const OID_UID: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01];

fn atv(oid: &[u8], value: Vec<u8>) -> Vec<u8> {
    tlv(0x30, &[tlv(0x06, oid), value].concat())
}

fn name_from_rdns(rdns: &[Vec<Vec<u8>>]) -> X509Name {
    let sets: Vec<u8> = rdns
        .iter()
        .flat_map(|attributes| tlv(0x31, &attributes.concat()))
        .collect();
    X509Name::from_der(&tlv(0x30, &sets)).unwrap()
}

/// A certificate with these names, signed by a throwaway key.
fn cert_with(subject: &X509NameRef, issuer: &X509NameRef) -> X509 {
    let (_, key) = localhost_cert();
    signed_cert(subject, issuer, &key, None)
}

/// What `openssl x509 -noout -subject -issuer` prints for `cert`, without
/// the `subject=` and `issuer=` prefixes.
fn openssl_cli_names(cert: &X509) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cert.pem");
    std::fs::write(&path, cert.to_pem().unwrap()).unwrap();
    let path = path.to_str().expect("UTF-8 temp path");
    let out = openssl_cli(&["x509", "-noout", "-subject", "-issuer", "-in", path]);
    let text = String::from_utf8(out).unwrap();
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {text}"))
            .to_owned()
    };
    (field("subject="), field("issuer="))
}

/// Each name is printed as the subject and as the issuer of a certificate,
/// and must read exactly as `openssl x509` prints it.
fn assert_prints_like_openssl(names: &[X509Name]) {
    for pair in names.windows(2) {
        let cert = cert_with(&pair[0], &pair[1]);
        let (subject, issuer) = openssl_cli_names(&cert);
        assert_eq!(name_oneline(cert.subject_name()), subject);
        assert_eq!(name_oneline(cert.issuer_name()), issuer);
        let decoded = decode_handshake(
            &wrap(
                11,
                &vec_prefixed(3, &vec_prefixed(3, &cert.to_der().unwrap())),
            ),
            false,
        )
        .unwrap();
        let Body::Certificate(view) = decoded.body else {
            panic!("{decoded:?}")
        };
        assert_eq!((view.subjects, view.issuers), (vec![subject], vec![issuer]));
    }
}

#[test]
fn names_print_as_openssl_x509_prints_them() {
    let cases: &[&[(&str, &str)]] = &[
        &[("C", "US"), ("O", "Example"), ("CN", "localhost")],
        &[
            ("C", "US"),
            ("O", "Ex, \"Inc\""),
            ("CN", "h\u{e9}llo"),
            ("emailAddress", "a@b.c"),
            ("L", "#hash"),
            ("ST", "trail "),
        ],
        &[("CN", "a\"b"), ("O", "x\\y"), ("OU", "a#b"), ("L", "#")],
        &[("CN", "a+b"), ("O", " x"), ("OU", " "), ("L", "a;b<c>d")],
        &[("CN", "tab\there\u{7f}"), ("O", "a,\"b\\c")],
        &[],
    ];
    let names: Vec<X509Name> = cases.iter().map(|c| built_name(c)).collect();
    assert_prints_like_openssl(&names);
}

#[test]
fn multi_valued_rdns_and_odd_string_types_print_as_openssl_does() {
    let utf8 = |s: &str| tlv(0x0c, s.as_bytes());
    let names = [
        name_from_rdns(&[
            vec![atv(OID_CN, utf8("a")), atv(OID_UID, utf8("b"))],
            vec![atv(OID_O, utf8("z"))],
        ]),
        name_from_rdns(&[
            // BMPString "Āb", T61String "é" (Latin-1), UniversalString "😀".
            vec![atv(OID_CN, tlv(0x1e, &[0x01, 0x00, 0x00, 0x62]))],
            vec![atv(OID_O, tlv(0x14, &[0xe9]))],
            vec![atv(OID_CN, tlv(0x1c, &[0x00, 0x01, 0xf6, 0x00]))],
            // An unregistered attribute type and a non-string value.
            vec![atv(&[0x2a, 0x03, 0x04], utf8("foo"))],
            vec![atv(OID_CN, tlv(0x30, &[]))],
        ]),
        built_name(&[("CN", "end")]),
    ];
    assert_prints_like_openssl(&names);
}
