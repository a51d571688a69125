//! GnuTLS's names for OpenSSL's suites, and its declaration.
//!
//! A suite's `SSL_CIPHER` metadata (Kx, Au, Enc, Mac) gives the GnuTLS key
//! exchange, cipher and MAC of a priority string; `gnutls-cli -l` gives
//! the suites, protocols and groups GnuTLS implements.

use super::super::capabilities::{
    AlertDialect, AlpnOrder, EmptyOffer, FailureKind, Feature, SuiteSupport,
};
use super::super::Capabilities;
use crate::case::{alert, KeyKind, Negative, Role, Version};
use crate::library::SuiteInfo;

/// OpenSSL `Enc=` values and GnuTLS cipher names.
pub(super) const CIPHERS: [(&str, &str); 13] = [
    ("AESGCM(128)", "AES-128-GCM"),
    ("AESGCM(256)", "AES-256-GCM"),
    ("AES(128)", "AES-128-CBC"),
    ("AES(256)", "AES-256-CBC"),
    ("CHACHA20/POLY1305(256)", "CHACHA20-POLY1305"),
    ("AESCCM(128)", "AES-128-CCM"),
    ("AESCCM(256)", "AES-256-CCM"),
    ("AESCCM8(128)", "AES-128-CCM-8"),
    ("AESCCM8(256)", "AES-256-CCM-8"),
    ("Camellia(128)", "CAMELLIA-128-CBC"),
    ("Camellia(256)", "CAMELLIA-256-CBC"),
    ("3DES(168)", "3DES-CBC"),
    ("RC4(128)", "ARCFOUR-128"),
];

/// A suite's GnuTLS priority names.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Tokens {
    /// `None` for TLS 1.3 suites, which leave the key exchange to the groups.
    pub(super) kx: Option<&'static str>,
    pub(super) cipher: &'static str,
    pub(super) mac: &'static str,
}

pub(super) fn tokens(s: &SuiteInfo) -> Option<Tokens> {
    let cipher = CIPHERS.iter().find(|c| c.0 == s.enc)?.1;
    let mac = match s.mac.as_str() {
        "AEAD" => "AEAD",
        "SHA1" => "SHA1",
        "SHA256" => "SHA256",
        "SHA384" => "SHA384",
        "MD5" => "MD5",
        _ => return None,
    };
    let kx = match (s.kx.as_str(), s.au.as_str()) {
        ("any", _) => None,
        ("RSA", "RSA") => Some("RSA"),
        ("DH", "RSA") => Some("DHE-RSA"),
        ("DH", "DSS") => Some("DHE-DSS"),
        ("ECDH", "RSA") => Some("ECDHE-RSA"),
        ("ECDH", "ECDSA") => Some("ECDHE-ECDSA"),
        ("PSK", "PSK") => Some("PSK"),
        ("DHEPSK", "PSK") => Some("DHE-PSK"),
        ("ECDHEPSK", "PSK") => Some("ECDHE-PSK"),
        ("RSAPSK", "RSA") => Some("RSA-PSK"),
        ("SRP", "SRP") => Some("SRP"),
        ("SRP", "RSA") => Some("SRP-RSA"),
        ("SRP", "DSS") => Some("SRP-DSS"),
        ("DH", "None") => Some("ANON-DH"),
        ("ECDH", "None") => Some("ANON-ECDH"),
        _ => return None,
    };
    Some(Tokens { kx, cipher, mac })
}

/// The declaration, read from `gnutls-cli -l`: its protocols, its suites
/// with the lowest version of each, its groups and signature schemes. A
/// suite whose OpenSSL metadata has no GnuTLS priority names can't be
/// configured, so it is left out.
pub(super) fn declare(
    version: &Result<String, String>,
    listing: &str,
    catalogue: &[SuiteInfo],
) -> Capabilities {
    let name = version.clone().unwrap_or_else(|_| "gnutls".into());
    let mut caps = Capabilities::new(name.clone());
    caps.server_implementation = Some(server_name(&name));
    if let Err(e) = version {
        caps.available = Err(e.clone());
        return caps;
    }
    // Seen with gnutls-cli offering PSK suites at TLS 1.0 to a server that
    // has them only from TLS 1.2 (the matrix's psk cases).
    caps.empty_offer = EmptyOffer::HelloWithoutSuites;
    // gnutls-serv sets no GNUTLS_ALPN_SERVER_PRECEDENCE: seen with
    // `gnutls-serv --alpn http/1.1 --alpn h2` picking h2 for `openssl
    // s_client -alpn h2,http/1.1` and http/1.1 for `-alpn http/1.1,h2`,
    // at TLS 1.2 and 1.3 (gnutls-cli in both orders likewise).
    caps.alpn_order = AlpnOrder::Client;
    let field = |key: &str| -> Vec<String> {
        listing
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|rest| rest.split(',').map(|w| w.trim().to_string()).collect())
            .unwrap_or_default()
    };
    caps.versions = field("Protocols:")
        .iter()
        .filter_map(|p| match p.as_str() {
            "VERS-SSL3.0" => Some(Version::Ssl3),
            "VERS-TLS1.0" => Some(Version::Tls1),
            "VERS-TLS1.1" => Some(Version::Tls1_1),
            "VERS-TLS1.2" => Some(Version::Tls1_2),
            "VERS-TLS1.3" => Some(Version::Tls1_3),
            _ => None,
        })
        .collect();
    let expressible = |code: u16| {
        catalogue
            .iter()
            .find(|s| s.id == code)
            .is_none_or(|s| tokens(s).is_some())
    };
    caps.suites = SuiteSupport::ByCode(
        listing
            .lines()
            .filter_map(suite_code)
            .filter(|(c, _)| expressible(*c))
            .collect(),
    );
    caps.groups = Some(
        field("Groups:")
            .iter()
            .filter_map(|g| {
                let g = g.strip_prefix("GROUP-")?;
                Some(match g {
                    "SECP256R1" => "P-256".to_string(),
                    "SECP384R1" => "P-384".to_string(),
                    "SECP521R1" => "P-521".to_string(),
                    other => other
                        .to_ascii_lowercase()
                        .replace("x25519", "X25519")
                        .replace("x448", "X448"),
                })
            })
            .collect(),
    );
    caps.signature_schemes = field("PK-signatures:");
    let signs = |p: &str| caps.signature_schemes.iter().any(|s| s.starts_with(p));
    caps.keys = KeyKind::ALL
        .into_iter()
        .filter(|k| match k {
            KeyKind::Rsa2048 => signs("SIGN-RSA"),
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 => signs("SIGN-ECDSA"),
            KeyKind::Ed25519 => signs("SIGN-EdDSA-Ed25519"),
            KeyKind::Dsa2048 => signs("SIGN-DSA"),
        })
        .collect();
    caps.alerts = vec![
        AlertDialect {
            failure: FailureKind::MissingClientCertificate12,
            alert: Some(alert::DECODE_ERROR),
            note: "GNUTLS_E_NO_CERTIFICATE_FOUND maps to decode_error; seen with `openssl s_client -tls1_2` against `gnutls-serv --require-client-cert`".into(),
        },
        AlertDialect {
            failure: FailureKind::ServerIssuerUnknown,
            alert: Some(alert::BAD_CERTIFICATE),
            note: "gnutls-cli answers every certificate it cannot verify with bad_certificate; seen with `gnutls-cli --x509cafile` against `openssl s_server` serving a chain from another root, and a leaf without its intermediate".into(),
        },
        AlertDialect {
            failure: FailureKind::ClientVersionsTooHigh,
            alert: Some(alert::HANDSHAKE_FAILURE),
            note: "with TLS 1.3 disabled gnutls-serv ignores supported_versions, negotiates TLS 1.2 and finds none of the client's TLS 1.3 suites; seen with `openssl s_client -tls1_3` against a TLS 1.2 gnutls-serv".into(),
        },
    ];
    // `--version` prints "gnutls-cli 3.7.9".
    let buggy = name
        .split_whitespace()
        .last()
        .is_some_and(|n| n.starts_with("3.7."));
    let mut caps = caps
        .lack(
            Role::Server,
            Feature::SniSwitch,
            "gnutls-serv serves one certificate per key type and can't switch on SNI",
        )
        .accept(
            Negative::WeakKey,
            format!(
                "{name}'s default priority (NORMAL) verifies a chain with a 1024-bit RSA leaf, \
                 where OpenSSL at security level 2 refuses it"
            ),
        )
        .server_accept(
            Negative::WeakKey,
            format!(
                "gnutls-serv ({name}) at its default priority accepts a client certificate with \
                 a 1024-bit RSA key"
            ),
        )
        .server_accept(
            Negative::WrongPurpose,
            format!(
                "gnutls-serv ({name}) does not check a client certificate's extendedKeyUsage: it \
                 accepts one for serverAuth alone"
            ),
        );
    if buggy {
        caps = caps.lack(
            Role::Client,
            Feature::EphemeralPsk,
            format!("{name} crashes (SIGSEGV) after DHE-PSK and ECDHE-PSK handshakes, also against openssl s_server"),
        );
    }
    caps
}

/// "TLS_AES_128_GCM_SHA256   0x13, 0x01   TLS1.3" → (0x1301, TLS 1.3).
pub(super) fn suite_code(line: &str) -> Option<(u16, Version)> {
    if !line.starts_with("TLS_") {
        return None;
    }
    let mut words = line.split_whitespace().skip(1);
    let hi = words.next()?.trim_end_matches(',').strip_prefix("0x")?;
    let lo = words.next()?.strip_prefix("0x")?;
    let v = match words.next()? {
        "SSL3.0" => Version::Ssl3,
        "TLS1.0" => Version::Tls1,
        "TLS1.1" => Version::Tls1_1,
        "TLS1.2" => Version::Tls1_2,
        "TLS1.3" => Version::Tls1_3,
        _ => return None,
    };
    Some((
        u16::from_str_radix(hi, 16).ok()? << 8 | u16::from_str_radix(lo, 16).ok()?,
        v,
    ))
}

/// The server side's name in reports: the program that ran, gnutls-serv,
/// of the version `gnutls-cli --version` gives (one package ships both):
/// "gnutls-cli 3.7.9" is "gnutls-serv 3.7.9".
pub(super) fn server_name(implementation: &str) -> String {
    match implementation.strip_prefix(super::CLIENT) {
        Some(version) => format!("{}{version}", super::SERVER),
        None => implementation.to_owned(),
    }
}

/// GnuTLS's priority token for a group in the matrix's spelling.
pub(super) fn group_token(g: &str) -> Option<&'static str> {
    Some(match g {
        "X25519" | "x25519" => "GROUP-X25519",
        "P-256" | "prime256v1" | "secp256r1" => "GROUP-SECP256R1",
        "P-384" | "secp384r1" => "GROUP-SECP384R1",
        "P-521" | "secp521r1" => "GROUP-SECP521R1",
        "X448" | "x448" => "GROUP-X448",
        "ffdhe2048" => "GROUP-FFDHE2048",
        "ffdhe3072" => "GROUP-FFDHE3072",
        _ => return None,
    })
}
