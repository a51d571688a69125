use super::*;

/// testssl.sh's table of every suite: `0xC0,0x12 - NAME IANA_NAME ...`.
const MAPPING: &str = "/etc/testssl/cipher-mapping.txt";

#[test]
fn every_name_is_testssls_and_every_id_tls_parsers() {
    let text = std::fs::read_to_string(MAPPING).unwrap_or_else(|e| {
        panic!("{MAPPING}: {e}; install testssl.sh (apt-get install testssl.sh), the reference")
    });
    for suite in LEGACY_SUITES {
        let [hi, lo] = suite.id.to_be_bytes();
        let key = format!("0x{hi:02X},0x{lo:02X}");
        let row: Vec<&str> = text
            .lines()
            .map(str::split_whitespace)
            .find_map(|mut f| (f.next() == Some(key.as_str())).then(|| f.collect()))
            .unwrap_or_else(|| panic!("{key} is not in {MAPPING}"));
        // "-", the OpenSSL name, the IANA name.
        assert_eq!(row.get(1), Some(&suite.name), "{key}");
        let iana = openssl_handshake::decode::CipherSuite::new(suite.id).name;
        assert_eq!(iana.as_deref(), row.get(2).copied(), "{key}");
    }
}

#[test]
fn ids_are_unique_and_anonymous_ones_named() {
    for (i, a) in LEGACY_SUITES.iter().enumerate() {
        assert!(LEGACY_SUITES[i + 1..].iter().all(|b| b.id != a.id), "{a:?}");
        let iana = openssl_handshake::decode::CipherSuite::new(a.id).name;
        assert_eq!(
            a.is_anonymous(),
            iana.is_some_and(|n| n.contains("_anon_")),
            "{a:?}"
        );
    }
}

#[test]
fn renamed_suites_have_both_names_in_ssl3_h() {
    let header = std::fs::read_to_string("/usr/include/openssl/ssl3.h")
        .expect("/usr/include/openssl/ssl3.h; install libssl-dev");
    let renamed: Vec<_> = LEGACY_SUITES.iter().filter(|s| s.alias.is_some()).collect();
    assert_eq!(renamed.len(), 6);
    for s in renamed {
        let alias = s.alias.unwrap_or_default();
        for n in [s.name, alias] {
            assert!(header.contains(&format!("\"{n}\"")), "{n} not in ssl3.h");
        }
        assert_eq!(canonical(alias), s.name);
    }
    assert_eq!(canonical("DES-CBC3-SHA"), "DES-CBC3-SHA");
}
