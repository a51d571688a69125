use super::*;

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

fn built_name(entries: &[(&str, &str)]) -> X509Name {
    let mut builder = X509NameBuilder::new().unwrap();
    for (field, value) in entries {
        builder.append_entry_by_text(field, value).unwrap();
    }
    builder.build()
}

fn formatted(name: &X509NameRef) -> String {
    format_name(name)
}

#[test]
fn name_format_matches_openssl_oneline() {
    // Expected strings are what `openssl x509 -noout -subject` (OpenSSL 3)
    // prints for the same names, without "subject=".
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("C", "US"), ("O", "Example"), ("CN", "localhost")],
            "C = US, O = Example, CN = localhost",
        ),
        (
            &[
                ("C", "US"),
                ("O", "Ex, \"Inc\""),
                ("CN", "h\u{e9}llo"),
                ("emailAddress", "a@b.c"),
                ("L", "#hash"),
                ("ST", "trail "),
            ],
            "C = US, O = \"Ex, \\\"Inc\\\"\", CN = h\\C3\\A9llo, emailAddress = a@b.c, L = \"#hash\", ST = \"trail \"",
        ),
        (
            &[("CN", "a\"b"), ("O", "x\\y"), ("OU", "a#b"), ("L", "#")],
            "CN = a\\\"b, O = x\\\\y, OU = a#b, L = #",
        ),
        (
            &[("CN", "a+b"), ("O", " x"), ("OU", " "), ("L", "a;b<c>d")],
            "CN = \"a+b\", O = \" x\", OU = \" \", L = \"a;b<c>d\"",
        ),
        (
            &[("CN", "tab\there\u{7f}"), ("O", "a,\"b\\c")],
            "CN = tab\\09here\\7F, O = \"a,\\\"b\\\\c\"",
        ),
        (&[], ""),
    ];
    for (entries, expected) in cases {
        assert_eq!(formatted(&built_name(entries)), *expected);
    }
}

#[test]
fn name_format_of_multi_valued_rdns_and_odd_types() {
    let utf8 = |s: &str| tlv(0x0c, s.as_bytes());
    let name = name_from_rdns(&[
        vec![atv(OID_CN, utf8("a")), atv(OID_UID, utf8("b"))],
        vec![atv(OID_O, utf8("z"))],
    ]);
    assert_eq!(formatted(&name), "CN = a + UID = b, O = z");

    let name = name_from_rdns(&[
        // BMPString "Āb", T61String "é" (Latin-1), UniversalString "😀".
        vec![atv(OID_CN, tlv(0x1e, &[0x01, 0x00, 0x00, 0x62]))],
        vec![atv(OID_O, tlv(0x14, &[0xe9]))],
        vec![atv(OID_CN, tlv(0x1c, &[0x00, 0x01, 0xf6, 0x00]))],
        // An unregistered attribute type and a non-string value.
        vec![atv(&[0x2a, 0x03, 0x04], utf8("foo"))],
        vec![atv(OID_CN, tlv(0x30, &[]))],
    ]);
    assert_eq!(
        formatted(&name),
        "CN = \\C4\\80b, O = \\C3\\A9, CN = \\F0\\9F\\98\\80, 1.2.3.4 = foo, CN = #3000"
    );
}
