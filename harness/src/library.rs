//! What the linked OpenSSL offers: protocol versions and cipher suites.
//!
//! Everything here is read from the library at run time, through the
//! `SSL_CIPHER` API and the version-bound controls, so the matrix follows
//! whatever OpenSSL the binary was linked against instead of a list frozen
//! into the source.

use openssl::ssl::{SslContext, SslContextBuilder, SslMethod, SslVersion};
use serde::{Deserialize, Serialize};

use crate::case::Version;
use crate::error::HarnessError;

/// The facts about the linked OpenSSL that the matrix and the oracle use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Library {
    /// `OpenSSL_version(OPENSSL_VERSION)`, e.g. "OpenSSL 3.0.19 27 Jan 2026".
    pub version_text: String,
    /// `OPENSSL_VERSION_NUMBER` of the library loaded at run time.
    pub version_number: i64,
    /// Every protocol version the harness knows, and whether the library
    /// can speak it.
    pub versions: Vec<VersionSupport>,
    /// Every cipher suite of `ALL:@SECLEVEL=0` plus the TLS 1.3 suites,
    /// in the library's own order.
    pub suites: Vec<SuiteInfo>,
    /// The suites that encrypt nothing (`eNULL`, which `ALL` leaves out):
    /// never in the matrix, but a scan must find a server that accepts one.
    #[serde(default)]
    pub cleartext_suites: Vec<SuiteInfo>,
}

/// The linked OpenSSL's security level for a context that sets none:
/// its build's default (Debian builds 2), or what the system's
/// configuration sets; 1, OpenSSL's own, if no context can be made.
pub fn default_security_level() -> u32 {
    openssl::ssl::SslContext::builder(openssl::ssl::SslMethod::tls())
        .map_or(1, |b| b.build().security_level())
}

/// Whether the linked library can speak one protocol version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSupport {
    /// The version.
    pub version: Version,
    /// `None` when available; otherwise why not, as a sentence.
    pub missing: Option<String>,
}

/// One cipher suite, described by OpenSSL's `SSL_CIPHER` API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SuiteInfo {
    /// OpenSSL's name (`SSL_CIPHER_get_name`), e.g. "ECDHE-RSA-AES128-GCM-SHA256".
    pub name: String,
    /// The IANA/RFC name (`SSL_CIPHER_standard_name`), when OpenSSL knows it.
    pub standard_name: Option<String>,
    /// Two-byte wire code (`SSL_CIPHER_get_protocol_id`).
    pub id: u16,
    /// The lowest version the suite may be used with (`SSL_CIPHER_get_version`).
    pub min_version: Version,
    /// The highest version: TLS 1.3 suites are TLS 1.3 only, and no older
    /// suite can be negotiated in TLS 1.3 (RFC 8446, section 4.1.2).
    pub max_version: Version,
    /// Key exchange, as `SSL_CIPHER_description` prints it after `Kx=`
    /// ("RSA", "DH", "ECDH", "PSK", "RSAPSK", "DHEPSK", "ECDHEPSK", "SRP", "any").
    pub kx: String,
    /// Authentication, after `Au=` ("RSA", "ECDSA", "DSS", "PSK", "SRP", "None", "any").
    pub au: String,
    /// Bulk cipher, after `Enc=`.
    pub enc: String,
    /// MAC, after `Mac=`.
    pub mac: String,
}

impl SuiteInfo {
    /// Whether the suite is one of the TLS 1.3 suites, configured with
    /// `SSL_CTX_set_ciphersuites` rather than the cipher list.
    pub fn is_tls13(&self) -> bool {
        self.min_version == Version::Tls1_3
    }

    /// Whether the suite may be negotiated at `v`.
    pub fn allows(&self, v: Version) -> bool {
        self.min_version <= v && v <= self.max_version
    }

    /// Whether the server is not authenticated at all (`Au=None`: the
    /// `ADH-*` and `AECDH-*` suites), so anyone in the path can pose as it.
    pub fn is_anonymous(&self) -> bool {
        self.au == "None"
    }

    /// Whether the key exchange uses a pre-shared key.
    pub fn needs_psk(&self) -> bool {
        self.kx.contains("PSK")
    }

    /// Whether the suite needs an SRP login (`Kx=SRP`; its authentication
    /// is SRP itself, or a certificate for SRP-RSA and SRP-DSS).
    pub fn needs_srp(&self) -> bool {
        self.kx == "SRP"
    }

    /// Whether the key exchange is ephemeral elliptic-curve Diffie-Hellman,
    /// which needs a group that both sides support.
    pub fn needs_ec_group(&self) -> bool {
        self.kx == "ECDH" || self.kx == "ECDHEPSK"
    }
}

impl Library {
    /// Reads the versions and suites of the linked OpenSSL.
    pub fn probe() -> Result<Library, HarnessError> {
        let versions = Version::ALL
            .iter()
            .map(|&v| VersionSupport {
                version: v,
                missing: version_missing(v),
            })
            .collect();
        let (suites, cleartext_suites) = enumerate_suites()?;
        Ok(Library {
            version_text: openssl::version::version().to_string(),
            version_number: openssl::version::number(),
            versions,
            suites,
            cleartext_suites,
        })
    }

    /// Why `v` is unavailable, or `None` when the library speaks it.
    pub fn missing(&self, v: Version) -> Option<&str> {
        self.versions
            .iter()
            .find(|s| s.version == v)
            .and_then(|s| s.missing.as_deref())
    }

    /// Every suite the library implements, those that encrypt nothing last.
    pub fn all_suites(&self) -> impl Iterator<Item = &SuiteInfo> {
        self.suites.iter().chain(&self.cleartext_suites)
    }

    /// The suite with OpenSSL name `name`.
    pub fn suite(&self, name: &str) -> Option<&SuiteInfo> {
        self.suites.iter().find(|s| s.name == name)
    }

    /// Whether the library accepts `group` as a supported group.
    pub fn group_known(&self, group: &str) -> bool {
        SslContextBuilder::new(SslMethod::tls())
            .and_then(|mut b| b.set_groups_list(group))
            .is_ok()
    }

    /// Whether OpenSSL 3 or later is linked, where TLS 1.0 and 1.1 need
    /// security level 0 (their signatures use SHA-1 / MD5+SHA-1).
    pub fn is_openssl3(&self) -> bool {
        self.version_number >= 0x3000_0000
    }
}

/// Why the linked library can't speak `v`, or `None` when it can.
///
/// A protocol compiled out (`no-ssl3-method`, ...) still accepts version
/// bounds; only the first `SSL_connect` notices, with "no protocols
/// available", before anything is sent. So the check starts a client
/// handshake into a sink at `@SECLEVEL=0` (which allows every version) and
/// sees whether OpenSSL gets as far as writing a ClientHello. No peer is
/// involved: it tests the library's build, not a case.
fn version_missing(v: Version) -> Option<String> {
    let attempt = (|| -> Result<bool, openssl::error::ErrorStack> {
        let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
        b.set_security_level(0);
        b.set_min_proto_version(Some(v.to_ssl()))?;
        b.set_max_proto_version(Some(v.to_ssl()))?;
        let ctx = b.build();
        let ssl = openssl::ssl::Ssl::new(&ctx)?;
        Ok(match ssl.connect(Sink) {
            // The ClientHello went out and OpenSSL waits for an answer.
            Err(openssl::ssl::HandshakeError::WouldBlock(_)) => true,
            Ok(_) => true,
            Err(_) => false,
        })
    })();
    match attempt {
        Ok(true) => None,
        _ => Some(format!(
            "{}: unsupported by the linked OpenSSL (built without {})",
            v.display(),
            v.openssl_name()
        )),
    }
}

/// A stream that swallows writes and has nothing to read yet.
struct Sink;

impl std::io::Read for Sink {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::WouldBlock.into())
    }
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every suite OpenSSL compiled in, filtered to what `ALL:@SECLEVEL=0`
/// enables, plus the TLS 1.3 suites.
///
/// The `openssl` crate has no `SSL_get_ciphers`, so the candidates come
/// from `SSL_bytes_to_cipher_list` fed with every two-byte code: it returns
/// each suite the library knows, disabled or not. A candidate is kept when
/// the library accepts it alone as a cipher list (so its algorithms are
/// available); eNULL suites, which `ALL` leaves out, come back apart.
fn enumerate_suites() -> Result<(Vec<SuiteInfo>, Vec<SuiteInfo>), HarnessError> {
    let ctx = SslContext::builder(SslMethod::tls())?.build();
    let ssl = openssl::ssl::Ssl::new(&ctx)?;
    let mut codes = Vec::with_capacity(2 * 65536);
    for code in 0u16..=u16::MAX {
        codes.extend_from_slice(&code.to_be_bytes());
    }
    let lists = ssl.bytes_to_cipher_list(&codes, false)?;
    let (mut out, mut cleartext) = (Vec::new(), Vec::new());
    for c in lists.suites.iter() {
        let version = match Version::from_openssl_name(c.version()) {
            Some(v) => v,
            // A DTLS-only or otherwise unknown protocol family.
            None => continue,
        };
        let fields = DescriptionFields::parse(&c.description());
        let info = SuiteInfo {
            name: c.name().to_string(),
            standard_name: c.standard_name().map(str::to_string),
            id: u16::from_be_bytes(c.protocol_id()),
            min_version: version,
            max_version: if version == Version::Tls1_3 {
                Version::Tls1_3
            } else {
                Version::Tls1_2
            },
            kx: fields.kx,
            au: fields.au,
            enc: fields.enc,
            mac: fields.mac,
        };
        if enables(&info, ":!eNULL") {
            out.push(info);
        } else if enables(&info, "") {
            cleartext.push(info);
        }
    }
    // Same order as `openssl ciphers`: TLS 1.3 first, then by id; stable
    // across runs, which keeps case ids and shards deterministic.
    for list in [&mut out, &mut cleartext] {
        list.sort_by(|a, b| b.is_tls13().cmp(&a.is_tls13()).then(a.id.cmp(&b.id)));
        list.dedup_by(|a, b| a.name == b.name);
    }
    Ok((out, cleartext))
}

/// Whether `s`, followed by `filter`, is a cipher list the library accepts.
fn enables(s: &SuiteInfo, filter: &str) -> bool {
    let Ok(mut b) = SslContextBuilder::new(SslMethod::tls()) else {
        return false;
    };
    if s.is_tls13() {
        b.set_ciphersuites(&s.name).is_ok()
    } else {
        b.set_cipher_list(&format!("{}{filter}:@SECLEVEL=0", s.name))
            .is_ok()
    }
}

/// The `Kx=`, `Au=`, `Enc=` and `Mac=` fields of `SSL_CIPHER_description`.
#[derive(Debug, Default, PartialEq, Eq)]
struct DescriptionFields {
    kx: String,
    au: String,
    enc: String,
    mac: String,
}

impl DescriptionFields {
    fn parse(description: &str) -> Self {
        let mut f = DescriptionFields::default();
        for word in description.split_whitespace() {
            if let Some((key, value)) = word.split_once('=') {
                let slot = match key {
                    "Kx" => &mut f.kx,
                    "Au" => &mut f.au,
                    "Enc" => &mut f.enc,
                    "Mac" => &mut f.mac,
                    _ => continue,
                };
                *slot = value.to_string();
            }
        }
        f
    }
}

impl Version {
    /// The `openssl` crate's version constant.
    pub fn to_ssl(self) -> SslVersion {
        match self {
            Version::Ssl3 => SslVersion::SSL3,
            Version::Tls1 => SslVersion::TLS1,
            Version::Tls1_1 => SslVersion::TLS1_1,
            Version::Tls1_2 => SslVersion::TLS1_2,
            Version::Tls1_3 => SslVersion::TLS1_3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_fields_are_split() {
        let f = DescriptionFields::parse(
            "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH     Au=RSA  Enc=AESGCM(128) Mac=AEAD\n",
        );
        assert_eq!(f.kx, "ECDH");
        assert_eq!(f.au, "RSA");
        assert_eq!(f.enc, "AESGCM(128)");
        assert_eq!(f.mac, "AEAD");
    }

    #[test]
    fn catalogue_has_tls13_and_tls12_suites_with_metadata() {
        let lib = Library::probe().expect("probe the linked OpenSSL");
        let tls13: Vec<_> = lib.suites.iter().filter(|s| s.is_tls13()).collect();
        assert!(tls13.iter().any(|s| s.name == "TLS_AES_128_GCM_SHA256"));
        for s in &lib.suites {
            assert!(!s.kx.is_empty() && !s.au.is_empty(), "{s:?}");
            assert!(s.enc != "None", "ALL excludes eNULL: {s:?}");
        }
        assert!(lib.cleartext_suites.iter().all(|s| s.enc == "None"));
        assert!(lib.cleartext_suites.iter().any(|s| s.name == "NULL-SHA256"));
        if let Some(s) = lib.suite("ECDHE-RSA-AES128-GCM-SHA256") {
            assert_eq!((s.kx.as_str(), s.au.as_str()), ("ECDH", "RSA"));
            assert_eq!(s.min_version, Version::Tls1_2);
        }
        assert!(lib.missing(Version::Tls1_2).is_none());
    }
}
