//! [`LocalConfig`]: this end's own configuration, read from its `SSL`
//! when a handshake fails, so that a diagnosis can set what the peer
//! offered against what this end accepts.

use openssl::asn1::Asn1Time;
use openssl::pkey::Id;
use openssl::ssl::{SslRef, SslVerifyMode};
use openssl::x509::X509Ref;
use serde::{Deserialize, Serialize};

use crate::ffi;

/// What this end was configured to accept, as OpenSSL reported it when the
/// handshake failed.
///
/// Two things are missing because OpenSSL 3.0 has no getter for them: the
/// configured groups (`SSL_get1_groups` returns the peer's) and the ALPN
/// protocols (a client's are in its ClientHello; a server's live in its
/// selection callback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LocalConfig {
    /// The lowest protocol version allowed (0x0303 for TLS 1.2); `None`
    /// when no minimum is set, so the library's lowest applies.
    pub min_version: Option<u16>,
    /// The highest protocol version allowed; `None` when no maximum is
    /// set, so the library's highest applies.
    pub max_version: Option<u16>,
    /// The versions this end's options switch off one by one
    /// (`SSL_OP_NO_TLSv1` and the like; `SslAcceptor::mozilla_intermediate_v5`
    /// switches off TLS 1.0 and 1.1 this way), lowest first; absent from
    /// the JSON when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_versions: Vec<u16>,
    /// The configured cipher suites, in preference order, before the
    /// version range and security level are applied.
    pub ciphers: Vec<LocalCipher>,
    /// The ids of the suites left after the version range, the security
    /// level and the signature algorithms are applied.
    pub usable_ciphers: Vec<u16>,
    /// `SSL_get_security_level`.
    pub security_level: u32,
    /// Whether this end verifies its peer's certificate.
    pub verify_peer: bool,
    /// Whether this end (a server) fails a client that sends no
    /// certificate.
    pub require_peer_cert: bool,
    /// This end's own certificate, when it has one.
    pub certificate: Option<LocalCertificate>,
    /// The host name or IP address this end checks its peer's certificate
    /// against (its verify parameters), when one is set; absent from the
    /// JSON otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_name: Option<String>,
}

/// One configured cipher suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LocalCipher {
    /// The two-byte id.
    pub id: u16,
    /// OpenSSL's name, e.g. "ECDHE-RSA-AES128-GCM-SHA256".
    pub name: String,
    /// The IANA name, when OpenSSL knows it.
    pub iana: Option<String>,
    /// The lowest version it can be used with (0x0303 for the AEAD and
    /// SHA-256 suites of TLS 1.2), as `SSL_CIPHER_get_version` names it.
    pub min_version: Option<u16>,
}

/// The parts of this end's own certificate a diagnosis looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LocalCertificate {
    /// The subject's common name.
    pub common_name: Option<String>,
    /// The DNS names and IP addresses of the subjectAltName extension.
    pub names: Vec<String>,
    /// The key type: "RSA", "EC", "Ed25519", "Ed448", "RSA-PSS", ...
    pub key_type: String,
    /// `notBefore`, as OpenSSL prints it.
    pub not_before: String,
    /// `notAfter`, as OpenSSL prints it.
    pub not_after: String,
    /// Whether it had expired when the handshake failed.
    pub expired: bool,
    /// Whether it was not valid yet when the handshake failed.
    pub not_yet_valid: bool,
    /// Whether it names itself as its issuer.
    pub self_signed: bool,
    /// Key size in bits.
    pub key_bits: u32,
    /// The key's strength in bits of security, as OpenSSL's security
    /// levels count it (112 for RSA 2048, 128 for P-256).
    pub security_bits: u32,
    /// The signature its issuer made, e.g. "sha256WithRSAEncryption".
    pub signature_algorithm: String,
    /// What keyUsage allows; `None` without the extension.
    pub key_usage: Option<Vec<String>>,
    /// The purposes extendedKeyUsage names; `None` without the extension.
    pub extended_key_usage: Option<Vec<String>>,
    /// Whether OpenSSL's purpose check lets it identify a TLS server.
    pub tls_server_use: bool,
    /// Whether OpenSSL's purpose check lets it identify a TLS client.
    pub tls_client_use: bool,
}

impl LocalConfig {
    /// Reads the configuration of `ssl`. Called from the callback that
    /// records a failed handshake, never on a successful one.
    pub(crate) fn read(ssl: &SslRef) -> LocalConfig {
        // The certificate getters can drain the caller's errors, and the IP
        // getter queues one of its own when no address is set.
        ffi::with_error_queue_aside(|| LocalConfig::read_unguarded(ssl))
    }

    fn read_unguarded(ssl: &SslRef) -> LocalConfig {
        let (min, max) = ffi::proto_version_bounds(ssl);
        let version = |v: i32| u16::try_from(v).ok().filter(|v| *v != 0);
        let verify = ssl.verify_mode();
        LocalConfig {
            min_version: version(min),
            max_version: version(max),
            disabled_versions: ffi::disabled_versions(ssl),
            ciphers: ffi::configured_ciphers(ssl)
                .into_iter()
                .map(|(id, name, iana, min_version)| LocalCipher {
                    id,
                    name,
                    iana,
                    min_version,
                })
                .collect(),
            usable_ciphers: ffi::supported_ciphers(ssl)
                .into_iter()
                .map(|(id, ..)| id)
                .collect(),
            security_level: ssl.security_level(),
            verify_peer: verify.contains(SslVerifyMode::PEER),
            require_peer_cert: verify.contains(SslVerifyMode::FAIL_IF_NO_PEER_CERT),
            certificate: ssl.certificate().map(LocalCertificate::of),
            expected_name: ffi::expected_name(ssl),
        }
    }
}

impl LocalCertificate {
    fn of(cert: &X509Ref) -> LocalCertificate {
        let now = Asn1Time::days_from_now(0).ok();
        // A certificate is valid from notBefore to notAfter, both
        // included (RFC 5280 section 4.1.2.5).
        let against_now =
            |t: &openssl::asn1::Asn1TimeRef| now.as_ref().and_then(|n| t.compare(n).ok());
        let common_name = cert
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .next()
            .and_then(|e| e.data().to_string().ok());
        let names = cert
            .subject_alt_names()
            .map(|sans| {
                sans.iter()
                    .filter_map(|n| {
                        n.dnsname().map(str::to_owned).or_else(|| {
                            n.ipaddress().and_then(|ip| match ip.len() {
                                4 => <[u8; 4]>::try_from(ip)
                                    .ok()
                                    .map(|a| std::net::Ipv4Addr::from(a).to_string()),
                                16 => <[u8; 16]>::try_from(ip)
                                    .ok()
                                    .map(|a| std::net::Ipv6Addr::from(a).to_string()),
                                _ => None,
                            })
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let self_signed = cert
            .subject_name()
            .try_cmp(cert.issuer_name())
            .is_ok_and(|o| o.is_eq());
        let key = cert.public_key().ok();
        let key_type = match key.as_ref().map(|k| k.id()) {
            Some(Id::RSA) => "RSA".to_owned(),
            Some(Id::RSA_PSS) => "RSA-PSS".to_owned(),
            Some(Id::EC) => "EC".to_owned(),
            Some(Id::ED25519) => "Ed25519".to_owned(),
            Some(Id::ED448) => "Ed448".to_owned(),
            Some(Id::DSA) => "DSA".to_owned(),
            Some(other) => format!("key type {}", other.as_raw()),
            None => "unknown".to_owned(),
        };
        let (key_usage, extended_key_usage) = crate::cert::usages(cert);
        LocalCertificate {
            common_name,
            names,
            key_type,
            not_before: cert.not_before().to_string(),
            not_after: cert.not_after().to_string(),
            expired: against_now(cert.not_after()).is_some_and(|o| o.is_lt()),
            not_yet_valid: against_now(cert.not_before()).is_some_and(|o| o.is_gt()),
            self_signed,
            key_bits: key.as_ref().map_or(0, |k| k.bits()),
            security_bits: key.as_ref().map_or(0, |k| k.security_bits()),
            signature_algorithm: crate::cert::signature_algorithm(cert),
            key_usage,
            extended_key_usage,
            tls_server_use: ffi::fit_for_tls(cert, true),
            tls_client_use: ffi::fit_for_tls(cert, false),
        }
    }
}
