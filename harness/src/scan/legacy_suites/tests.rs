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
