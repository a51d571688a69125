//! A matrix case: a stable id, the configs of both endpoints, and what the
//! oracle expects of the handshake between them.

use std::fmt;
use std::str::FromStr;

use openssl_handshake::{Cause, ProtocolVersion};
use serde::{Deserialize, Serialize};
pub use testkit::pki::Negative;

use crate::library::SuiteInfo;

/// A protocol version, ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Version {
    /// SSL 3.0.
    Ssl3,
    /// TLS 1.0.
    Tls1,
    /// TLS 1.1.
    Tls1_1,
    /// TLS 1.2.
    Tls1_2,
    /// TLS 1.3.
    Tls1_3,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 5] = [
        Version::Ssl3,
        Version::Tls1,
        Version::Tls1_1,
        Version::Tls1_2,
        Version::Tls1_3,
    ];

    /// The id used in case ids and on the command line: "ssl3", "tls1", "tls1_1", "tls1_2", "tls1_3".
    pub fn id(self) -> &'static str {
        match self {
            Version::Ssl3 => "ssl3",
            Version::Tls1 => "tls1",
            Version::Tls1_1 => "tls1_1",
            Version::Tls1_2 => "tls1_2",
            Version::Tls1_3 => "tls1_3",
        }
    }

    /// The name OpenSSL uses (`SSL_get_version`, `SSL_CIPHER_get_version`).
    pub fn openssl_name(self) -> &'static str {
        ProtocolVersion::from(self).name()
    }

    /// The name a reader expects: "SSLv3", "TLS 1.0", ...
    pub fn display(self) -> &'static str {
        match self {
            Version::Ssl3 => "SSLv3",
            Version::Tls1 => "TLS 1.0",
            Version::Tls1_1 => "TLS 1.1",
            Version::Tls1_2 => "TLS 1.2",
            Version::Tls1_3 => "TLS 1.3",
        }
    }

    /// Parses OpenSSL's name; "TLSv1.0" is accepted as well as "TLSv1".
    pub fn from_openssl_name(s: &str) -> Option<Version> {
        s.parse::<ProtocolVersion>()
            .ok()
            .and_then(|v| Version::try_from(v).ok())
    }
}

impl From<Version> for ProtocolVersion {
    fn from(v: Version) -> Self {
        match v {
            Version::Ssl3 => ProtocolVersion::Ssl3,
            Version::Tls1 => ProtocolVersion::Tls1,
            Version::Tls1_1 => ProtocolVersion::Tls1_1,
            Version::Tls1_2 => ProtocolVersion::Tls1_2,
            Version::Tls1_3 => ProtocolVersion::Tls1_3,
        }
    }
}

impl TryFrom<ProtocolVersion> for Version {
    /// A version the matrix does not run (DTLS, an unnamed codepoint).
    type Error = ProtocolVersion;

    fn try_from(v: ProtocolVersion) -> Result<Self, ProtocolVersion> {
        Version::ALL
            .into_iter()
            .find(|ours| ProtocolVersion::from(*ours) == v)
            .ok_or(v)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

/// A command-line or policy value that names no version the matrix runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown protocol version {0:?}; use ssl3, tls1, tls1_1, tls1_2 or tls1_3")]
pub struct UnknownVersion(pub String);

impl FromStr for Version {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, UnknownVersion> {
        let lower = s.to_ascii_lowercase().replace(['.', '-', 'v', ' '], "_");
        let v = match lower.as_str() {
            "ssl3" | "ssl_3" | "ssl3_0" | "ssl_3_0" => Version::Ssl3,
            "tls1" | "tls1_0" | "tls_1_0" | "tls_1" | "tls10" => Version::Tls1,
            "tls1_1" | "tls_1_1" | "tls11" => Version::Tls1_1,
            "tls1_2" | "tls_1_2" | "tls12" => Version::Tls1_2,
            "tls1_3" | "tls_1_3" | "tls13" => Version::Tls1_3,
            _ => Version::from_openssl_name(s).ok_or_else(|| UnknownVersion(s.to_owned()))?,
        };
        Ok(v)
    }
}

/// A certificate key type. Mirrors `testkit::pki::KeyType` so that
/// cases serialize on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// RSA, 2048 bits.
    Rsa2048,
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// DSA, 2048 bits.
    Dsa2048,
}

impl KeyKind {
    /// Every key type, in report column order.
    pub const ALL: [KeyKind; 5] = [
        KeyKind::Rsa2048,
        KeyKind::EcdsaP256,
        KeyKind::EcdsaP384,
        KeyKind::Ed25519,
        KeyKind::Dsa2048,
    ];

    /// "rsa2048", "ecdsa-p256", "ecdsa-p384", "ed25519": the pki's names.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa2048 => "rsa2048",
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::EcdsaP384 => "ecdsa-p384",
            KeyKind::Ed25519 => "ed25519",
            KeyKind::Dsa2048 => "dsa2048",
        }
    }

    /// Whether a suite with `Au=` `au` can be served with this key at `v`.
    ///
    /// Ed25519 signs only through `signature_algorithms`, so OpenSSL offers
    /// it for ECDSA suites from TLS 1.2 on (RFC 8422, section 5.1.1). TLS
    /// 1.3 has no DSA signature scheme (RFC 8446, section 4.2.3).
    pub fn serves(self, au: &str, v: Version) -> bool {
        match (self, au) {
            (KeyKind::Dsa2048, "any") => false,
            (KeyKind::Dsa2048, "DSS") => true,
            (_, "any") => true,
            (KeyKind::Rsa2048, "RSA") => true,
            (KeyKind::EcdsaP256 | KeyKind::EcdsaP384, "ECDSA") => true,
            (KeyKind::Ed25519, "ECDSA") => v >= Version::Tls1_2,
            _ => false,
        }
    }
}

/// A command-line value that names no key type the harness makes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key type {0:?}; use rsa2048, ecdsa-p256, ecdsa-p384, ed25519 or dsa2048")]
pub struct UnknownKeyKind(pub String);

impl FromStr for KeyKind {
    type Err = UnknownKeyKind;

    fn from_str(s: &str) -> Result<Self, UnknownKeyKind> {
        KeyKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownKeyKind(s.to_owned()))
    }
}

/// What an endpoint presents to authenticate itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Identity {
    /// Nothing (anonymous or PSK-only suites; a client without a certificate).
    None,
    /// A leaf of this key type chained through the intermediate CA.
    Certificate(KeyKind),
    /// A leaf that must fail verification: the test PKI's negative server
    /// credential, or on a client its client negative
    /// (`Pki::client_negative`).
    Negative(Negative),
}

/// Which password an SRP side holds for the harness user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SrpPassword {
    /// The password the server's verifier was made from.
    Right,
    /// Another one, which the server finds out only when the client's
    /// Finished does not decrypt.
    Wrong,
}

/// How a case resumes its session on a second connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumeKind {
    /// TLS 1.2 and older: the server's session cache, looked up by session id.
    SessionId,
    /// TLS 1.2 and older: a stateless session ticket (RFC 5077).
    Ticket,
    /// TLS 1.3: a ticket used as a resumption PSK.
    Tls13Psk,
}

impl ResumeKind {
    /// The name used in case ids and reports.
    pub fn name(self) -> &'static str {
        match self {
            ResumeKind::SessionId => "session-id",
            ResumeKind::Ticket => "ticket",
            ResumeKind::Tls13Psk => "tls13-psk",
        }
    }
}

/// One side's configuration. Every field maps onto one OpenSSL control;
/// `None` or empty leaves the library default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Lowest version allowed (`SSL_CTX_set_min_proto_version`).
    pub min_version: Option<Version>,
    /// Highest version allowed (`SSL_CTX_set_max_proto_version`).
    pub max_version: Option<Version>,
    /// The suites enabled, in preference order: TLS 1.2-and-older ones go
    /// to the cipher list, TLS 1.3 ones to the ciphersuites. Empty leaves
    /// the library default.
    pub suites: Vec<SuiteInfo>,
    /// Supported groups (`SSL_CTX_set1_groups_list` names), in order.
    pub groups: Vec<String>,
    /// ALPN protocols, offered (client) or accepted (server), in order.
    pub alpn: Vec<String>,
    /// `SSL_CTX_set_security_level`; `None` keeps the library default.
    pub security_level: Option<u32>,
    /// What this side authenticates with.
    pub identity: Identity,
    /// Whether this side has the harness's pre-shared key.
    pub psk: bool,
    /// SRP: the client logs in as the harness user with this password;
    /// the server knows that user's right password.
    #[serde(default)]
    pub srp: Option<SrpPassword>,
    /// Client: verify the server against the test root and host name
    /// "localhost". Server: require a client certificate from the test PKI.
    pub verify_peer: bool,
    /// Client: the SNI host name to send. Server: the name whose
    /// certificate it switches to when a client asks for it.
    pub sni: Option<String>,
    /// Server only: an identity to switch to when the client sends `sni`.
    pub sni_identity: Option<Identity>,
    /// Server only: refuse a client that asks for a name other than `sni`
    /// with a fatal unrecognized_name (RFC 6066 section 3 lets a server
    /// abort or go on); a client that sends no name is served.
    #[serde(default)]
    pub sni_fatal: bool,
    /// Server only: issue session tickets (otherwise `SSL_OP_NO_TICKET`).
    pub tickets: bool,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            min_version: None,
            max_version: None,
            suites: Vec::new(),
            groups: Vec::new(),
            alpn: Vec::new(),
            security_level: None,
            identity: Identity::None,
            psk: false,
            srp: None,
            verify_peer: false,
            sni: None,
            sni_identity: None,
            sni_fatal: false,
            tickets: true,
        }
    }
}

impl Endpoint {
    /// Pins the endpoint to exactly one version.
    pub fn pin(&mut self, v: Version) {
        self.min_version = Some(v);
        self.max_version = Some(v);
    }

    /// The versions this endpoint allows, as an inclusive range.
    pub fn version_range(&self) -> (Version, Version) {
        (
            self.min_version.unwrap_or(Version::Ssl3),
            self.max_version.unwrap_or(Version::Tls1_3),
        )
    }
}

/// The family a case belongs to; it decides the case's place in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// Every suite once, with a credential that fits its authentication.
    Suite,
    /// Every key type at every version, with a representative suite.
    KeyType,
    /// Key-exchange groups.
    Group,
    /// Features: mutual TLS, resumption, ALPN, SNI.
    Option,
    /// Configurations that must not agree.
    Mismatch,
    /// Server certificates that must fail verification.
    Negative,
}

/// One case of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Stable id: `version/suite/key/option`, e.g.
    /// `tls1_2/ECDHE-RSA-AES128-GCM-SHA256/rsa2048/default`.
    pub id: String,
    /// The family of the case.
    pub kind: CaseKind,
    /// The version the case is about (its row in reports).
    pub version: Version,
    /// The suite the case is about, when there is one.
    pub suite: Option<String>,
    /// The credential label (its column in reports): a key type, "psk",
    /// "anon", or a negative variant.
    pub key: String,
    /// The option label: "default", "mtls", "resume-ticket", ...
    pub option: String,
    /// The client's configuration.
    pub client: Endpoint,
    /// The server's configuration.
    pub server: Endpoint,
    /// When set, the case runs a second connection that must resume.
    pub resume: Option<ResumeKind>,
    /// Things the harness changed to make the case possible, such as a
    /// lowered security level, in words.
    pub notes: Vec<String>,
    /// What the oracle expects.
    pub expect: Expectation,
}

impl Case {
    /// Builds the id from its four parts.
    pub fn make_id(version: Version, suite: Option<&str>, key: &str, option: &str) -> String {
        format!(
            "{}/{}/{}/{}",
            version.id(),
            suite.unwrap_or("-"),
            key,
            option
        )
    }
}

/// Which side of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The side that sends the ClientHello.
    Client,
    /// The side that answers it.
    Server,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Client => "client",
            Role::Server => "server",
        })
    }
}

/// An alert the oracle expects one side to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedAlert {
    /// The side that sends it.
    pub from: Role,
    /// The alert description (RFC 8446, section 6), e.g. 40 for handshake_failure.
    pub description: u8,
}

/// The causes the diagnosis of a traced (in-process OpenSSL) side may
/// name for an expected failure, per role; an empty list is not checked.
/// Several are allowed where peers legally differ in what they let that
/// side see (a bare handshake_failure against a precise alert).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedCauses {
    /// What the client's diagnosis may name.
    pub client: Vec<Cause>,
    /// What the server's diagnosis may name.
    pub server: Vec<Cause>,
}

impl ExpectedCauses {
    /// The causes `role`'s diagnosis may name.
    pub fn of(&self, role: Role) -> &[Cause] {
        match role {
            Role::Client => &self.client,
            Role::Server => &self.server,
        }
    }

    /// The causes `role`'s diagnosis may name, as "a or b"; empty when
    /// it is not checked.
    pub fn alternatives(&self, role: Role) -> String {
        let names: Vec<&str> = self.of(role).iter().map(|c| c.name()).collect();
        names.join(" or ")
    }
}

/// What the oracle expects, computed from configs and suite metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Expectation {
    /// The oracle has not looked at the case yet.
    Pending,
    /// The handshake completes with these parameters.
    Success {
        /// The negotiated version.
        version: Version,
        /// The negotiated suite, OpenSSL name.
        suite: String,
        /// The group, when the case pins one.
        group: Option<String>,
        /// The ALPN protocol both sides settle on.
        alpn: Option<String>,
        /// The SNI name the server sees.
        sni: Option<String>,
        /// How the second connection resumes, when the case resumes.
        resumed: Option<ResumeKind>,
    },
    /// The handshake fails this way.
    Failure {
        /// The alert that ends it, when the oracle can name it.
        alert: Option<ExpectedAlert>,
        /// The client's certificate verify error (`X509_V_ERR_*`).
        verify_error: Option<i32>,
        /// Why it must fail, in words.
        why: String,
        /// What each traced side's diagnosis may name.
        #[serde(default)]
        causes: ExpectedCauses,
    },
    /// The case can't run here, and why.
    Unsupported {
        /// The reason, as a sentence a reader understands.
        reason: String,
    },
}

/// The alert descriptions the oracle names (RFC 8446 section 6, RFC 7301).
pub mod alert {
    /// unexpected_message.
    pub const UNEXPECTED_MESSAGE: u8 = 10;
    /// bad_record_mac.
    pub const BAD_RECORD_MAC: u8 = 20;
    /// handshake_failure.
    pub const HANDSHAKE_FAILURE: u8 = 40;
    /// bad_certificate.
    pub const BAD_CERTIFICATE: u8 = 42;
    /// certificate_unknown.
    pub const CERTIFICATE_UNKNOWN: u8 = 46;
    /// unknown_ca.
    pub const UNKNOWN_CA: u8 = 48;
    /// access_denied.
    pub const ACCESS_DENIED: u8 = 49;
    /// decode_error.
    pub const DECODE_ERROR: u8 = 50;
    /// protocol_version.
    pub const PROTOCOL_VERSION: u8 = 70;
    /// insufficient_security.
    pub const INSUFFICIENT_SECURITY: u8 = 71;
    /// unrecognized_name.
    pub const UNRECOGNIZED_NAME: u8 = 112;
    /// certificate_required (TLS 1.3).
    pub const CERTIFICATE_REQUIRED: u8 = 116;
    /// no_application_protocol.
    pub const NO_APPLICATION_PROTOCOL: u8 = 120;

    /// The IANA name of an alert description; "unassigned" for one the
    /// registry does not list, as the library's alerts read.
    pub fn name(description: u8) -> &'static str {
        openssl_handshake::Alert::name_of(description).unwrap_or("unassigned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_parses_cli_and_openssl_spellings() {
        for v in Version::ALL {
            assert_eq!(v.id().parse::<Version>(), Ok(v));
            assert_eq!(v.openssl_name().parse::<Version>(), Ok(v));
        }
        assert_eq!("1.2".parse::<Version>().ok(), None);
        assert_eq!("TLS1.2".parse::<Version>(), Ok(Version::Tls1_2));
        assert_eq!(
            "tls9".parse::<Version>(),
            Err(UnknownVersion("tls9".into()))
        );
    }

    #[test]
    fn versions_convert_to_the_librarys_and_keep_their_order() {
        for w in Version::ALL.windows(2) {
            let (a, b) = (ProtocolVersion::from(w[0]), ProtocolVersion::from(w[1]));
            assert!(a < b, "{a} < {b}");
        }
        for v in Version::ALL {
            assert_eq!(Version::try_from(ProtocolVersion::from(v)), Ok(v));
        }
        let dtls = ProtocolVersion::Dtls1_2;
        assert_eq!(Version::try_from(dtls), Err(dtls));
    }

    #[test]
    fn ed25519_serves_ecdsa_suites_only_from_tls12() {
        assert!(!KeyKind::Ed25519.serves("ECDSA", Version::Tls1_1));
        assert!(KeyKind::Ed25519.serves("ECDSA", Version::Tls1_2));
        assert!(!KeyKind::Rsa2048.serves("ECDSA", Version::Tls1_2));
        assert!(KeyKind::EcdsaP384.serves("any", Version::Tls1_3));
    }

    #[test]
    fn id_has_four_parts() {
        let id = Case::make_id(Version::Tls1_2, Some("AES128-SHA"), "rsa2048", "default");
        assert_eq!(
            id.split('/').collect::<Vec<_>>(),
            ["tls1_2", "AES128-SHA", "rsa2048", "default"]
        );
    }
}
