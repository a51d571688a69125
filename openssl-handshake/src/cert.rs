//! [`CertificateInfo`]: the anatomy of one certificate, as a reader of
//! `openssl x509 -text` would look for it.

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::nid::Nid;
use openssl::pkey::Id;
use openssl::x509::{GeneralNameRef, X509Ref};
use serde::{Deserialize, Serialize};

use crate::decode::escaped;
use crate::ffi;

mod usage;

pub(crate) use usage::usages;

/// The fields of one certificate of a peer's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// X.509 version as people count it (3 for v3).
    pub version: i32,
    /// Serial number in hex.
    pub serial: String,
    /// e.g. "sha256WithRSAEncryption".
    pub signature_algorithm: String,
    /// Issuer name, e.g. "O = openssl-handshake test, CN = Intermediate".
    pub issuer: String,
    /// Start of validity, as OpenSSL prints it.
    pub not_before: String,
    /// End of validity, as OpenSSL prints it.
    pub not_after: String,
    /// Start of validity in seconds since the Unix epoch.
    pub not_before_unix: i64,
    /// End of validity in seconds since the Unix epoch.
    pub not_after_unix: i64,
    /// Subject name.
    pub subject: String,
    /// e.g. "rsaEncryption", "id-ecPublicKey", "ED25519".
    pub public_key_algorithm: String,
    /// Key size in bits.
    pub public_key_bits: u32,
    /// The key's strength in bits of security, as OpenSSL rates it for
    /// its security levels (`EVP_PKEY_get_security_bits`): 112 for RSA
    /// 2048, 128 for P-256.
    pub public_key_security_bits: u32,
    /// Curve of an EC key, e.g. "prime256v1".
    pub curve: Option<String>,
    /// Subject alternative names, e.g. "DNS:localhost", "IP:127.0.0.1".
    pub subject_alt_names: Vec<String>,
    /// Every extension by name, with whether it is critical.
    pub extensions: Vec<Extension>,
    /// What keyUsage allows ("Digital Signature", ...); `None` without
    /// the extension, which allows any use.
    pub key_usage: Option<Vec<String>>,
    /// The purposes extendedKeyUsage names that OpenSSL recognises ("TLS
    /// Web Server Authentication", ...); `None` without the extension,
    /// which allows any purpose.
    pub extended_key_usage: Option<Vec<String>>,
}

/// One X.509v3 extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Extension {
    /// Long name, e.g. "X509v3 Subject Alternative Name", or the OID.
    pub name: String,
    /// Whether the extension is marked critical.
    pub critical: bool,
}

impl CertificateInfo {
    /// Reads the fields of `cert`.
    pub fn from_x509(cert: &X509Ref) -> Self {
        let serial = cert
            .serial_number()
            .to_bn()
            .and_then(|bn| bn.to_hex_str().map(|s| s.to_string()))
            .unwrap_or_else(|_| "unreadable".to_owned());
        let signature_algorithm = signature_algorithm(cert);
        let (public_key_algorithm, public_key_bits, public_key_security_bits, curve) =
            match cert.public_key() {
                Ok(key) => {
                    let curve = (key.id() == Id::EC)
                        .then(|| key.ec_key().ok())
                        .flatten()
                        .and_then(|ec| ec.group().curve_name())
                        .map(nid_name);
                    (
                        nid_name(Nid::from_raw(key.id().as_raw())),
                        key.bits(),
                        key.security_bits(),
                        curve,
                    )
                }
                Err(_) => ("unreadable".to_owned(), 0, 0, None),
            };
        let (key_usage, extended_key_usage) = usages(cert);
        let subject_alt_names = subject_alt_names(cert);
        CertificateInfo {
            version: cert.version() + 1,
            serial,
            signature_algorithm,
            issuer: ffi::name_oneline(cert.issuer_name()),
            not_before: cert.not_before().to_string(),
            not_after: cert.not_after().to_string(),
            not_before_unix: unix_seconds(cert.not_before()),
            not_after_unix: unix_seconds(cert.not_after()),
            subject: ffi::name_oneline(cert.subject_name()),
            public_key_algorithm,
            public_key_bits,
            public_key_security_bits,
            curve,
            subject_alt_names,
            extensions: ffi::extensions(cert)
                .into_iter()
                .map(|(name, critical)| Extension { name, critical })
                .collect(),
            key_usage,
            extended_key_usage,
        }
    }
}

/// `cert`'s subjectAltName entries, each as "DNS:localhost",
/// "IP:127.0.0.1" and so on.
pub(crate) fn subject_alt_names(cert: &X509Ref) -> Vec<String> {
    cert.subject_alt_names()
        .map(|names| names.iter().map(general_name).collect())
        .unwrap_or_default()
}

/// `t` in seconds since the Unix epoch; 0 if OpenSSL cannot compare it.
pub(crate) fn unix_seconds(t: &Asn1TimeRef) -> i64 {
    Asn1Time::from_unix(0)
        .and_then(|epoch| epoch.diff(t))
        .map_or(0, |d| i64::from(d.days) * 86_400 + i64::from(d.secs))
}

/// The signature the issuer made on `cert`, e.g. "sha256WithRSAEncryption".
pub(crate) fn signature_algorithm(cert: &X509Ref) -> String {
    nid_name(cert.signature_algorithm().object().nid())
}

fn nid_name(nid: Nid) -> String {
    nid.long_name()
        .or_else(|_| nid.short_name())
        .map(str::to_owned)
        .unwrap_or_else(|_| format!("nid {}", nid.as_raw()))
}

/// The subject's commonName values as UTF-8, escaped like
/// [`general_name`]'s, in the order the name holds them.
pub(crate) fn common_names(cert: &X509Ref) -> Vec<String> {
    cert.subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .filter_map(|e| e.data().to_string().ok())
        .map(|cn| escaped(cn.as_bytes()))
        .collect()
}

/// A subjectAltName as `openssl x509 -text` names its kind. The peer
/// chose the bytes: those outside printable ASCII are written as `\xNN`,
/// so that no name forges a line or a terminal escape in text output.
fn general_name(name: &GeneralNameRef) -> String {
    if let Some(dns) = name.dnsname() {
        format!("DNS:{}", escaped(dns.as_bytes()))
    } else if let Some(ip) = name.ipaddress() {
        match <[u8; 4]>::try_from(ip) {
            Ok(v4) => format!("IP:{}", std::net::Ipv4Addr::from(v4)),
            Err(_) => match <[u8; 16]>::try_from(ip) {
                Ok(v6) => format!("IP:{}", std::net::Ipv6Addr::from(v6)),
                Err(_) => format!("IP:<{} bytes>", ip.len()),
            },
        }
    } else if let Some(email) = name.email() {
        format!("email:{}", escaped(email.as_bytes()))
    } else if let Some(uri) = name.uri() {
        format!("URI:{}", escaped(uri.as_bytes()))
    } else {
        "othername".to_owned()
    }
}
