use super::declaration::Tokens;
use super::*;

fn suite(name: &str, kx: &str, au: &str, enc: &str, mac: &str, tls13: bool) -> SuiteInfo {
    SuiteInfo {
        name: name.into(),
        standard_name: None,
        id: 0,
        min_version: if tls13 {
            Version::Tls1_3
        } else {
            Version::Tls1_2
        },
        max_version: if tls13 {
            Version::Tls1_3
        } else {
            Version::Tls1_2
        },
        kx: kx.into(),
        au: au.into(),
        enc: enc.into(),
        mac: mac.into(),
    }
}

#[test]
fn suites_become_priority_tokens() {
    let s = suite(
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDH",
        "RSA",
        "AESGCM(128)",
        "AEAD",
        false,
    );
    assert_eq!(
        tokens(&s),
        Some(Tokens {
            kx: Some("ECDHE-RSA"),
            cipher: "AES-128-GCM",
            mac: "AEAD"
        })
    );
    let s = suite(
        "TLS_CHACHA20_POLY1305_SHA256",
        "any",
        "any",
        "CHACHA20/POLY1305(256)",
        "AEAD",
        true,
    );
    assert_eq!(tokens(&s).map(|t| t.kx), Some(None));
    let s = suite(
        "ARIA128-GCM-SHA256",
        "RSA",
        "RSA",
        "ARIAGCM(128)",
        "AEAD",
        false,
    );
    assert_eq!(tokens(&s), None);
}

#[test]
fn description_gives_version_and_cipher() {
    let (v, c) = describe("(TLS1.2-X.509)-(ECDHE-SECP256R1)-(RSA-SHA256)-(AES-128-GCM)");
    assert_eq!(v, Some(ProtocolVersion::Tls1_2));
    assert_eq!(c.as_deref(), Some("AES-128-GCM"));
    let (v, c) = describe("(TLS1.3-X.509)--(AES-256-GCM)");
    assert_eq!(
        (v, c.as_deref()),
        (Some(ProtocolVersion::Tls1_3), Some("AES-256-GCM"))
    );
    let (v, _) = describe("(TLS1.0-X.509)-(ECDHE-SECP256R1)-(RSA-SHA1)-(AES-128-CBC)-(SHA1)");
    assert_eq!(v, Some(ProtocolVersion::Tls1));
}

#[test]
fn suite_list_lines_give_codes() {
    assert_eq!(
        suite_code("TLS_AES_128_GCM_SHA256   \t0x13, 0x01\tTLS1.3"),
        Some((0x1301, Version::Tls1_3))
    );
    assert_eq!(
        suite_code("TLS_PSK_AES_128_CBC_SHA256  \t0x00, 0xae\tTLS1.2"),
        Some((0x00ae, Version::Tls1_2))
    );
    assert_eq!(suite_code("Certificate types: CTYPE-X509"), None);
}

/// gnutls-serv's refusal of a client certificate is its verify report;
/// other handshake errors are not.
#[test]
fn certificate_errors_are_refusals_of_the_certificate() {
    assert!(super::errors::refused_certificate(
        "Error in the certificate."
    ));
    assert!(super::errors::refused_certificate(
        "Error in the certificate verification."
    ));
    assert!(!super::errors::refused_certificate(
        "Certificate is required."
    ));
    assert!(!super::errors::refused_certificate(
        "The TLS connection was non-properly terminated."
    ));
}

/// The server side is named by the program that ran: `gnutls-serv
/// --version` says "gnutls-serv 3.7.9" where gnutls-cli says
/// "gnutls-cli 3.7.9".
#[test]
fn the_server_side_is_named_gnutls_serv() {
    assert_eq!(server_name("gnutls-cli 3.7.9"), "gnutls-serv 3.7.9");
    assert_eq!(server_name("gnutls (missing)"), "gnutls (missing)");
}

/// The errors whose alert GnuTLS's table fixes, in gnutls_strerror's
/// words; the SNI one as gnutls-serv --sni-hostname-fatal prints it.
#[test]
fn handshake_errors_name_the_alert_gnutls_sends() {
    use super::errors::alert_for_error;
    let sni = alert_for_error("The SNI host name not recognised.");
    assert_eq!(sni, Some(crate::case::alert::UNRECOGNIZED_NAME));
    assert_eq!(alert_for_error("Certificate is required."), Some(116));
    assert_eq!(
        alert_for_error("The TLS connection was non-properly terminated."),
        None
    );
}
