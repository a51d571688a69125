//! What is measured: the cases (versions, key types, groups, suites) and
//! the two deployment configurations, `default` and `tuned`, that turn a
//! case into a server context and a client connector.
#![forbid(unsafe_code)]

use std::fmt;

use openssl::ssl::{
    SslAcceptor, SslConnector, SslContext, SslMethod, SslOptions, SslVerifyMode, SslVersion,
};
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use serde::{Deserialize, Serialize};
use testkit::pki::{KeyType, Pki};

use crate::error::BenchError;
use crate::sys;

/// How the contexts are configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Config {
    /// `SslAcceptor::mozilla_intermediate_v5` and `SslConnector::builder`
    /// as they come, one context per side shared by every connection.
    Default,
    /// `default` plus the settings openssl-handshake recommends for
    /// services; see [`Config::TUNED_SETTINGS`].
    Tuned,
}

impl Config {
    /// Both configurations, in report order.
    pub const ALL: [Config; 2] = [Config::Default, Config::Tuned];

    /// What `tuned` changes, one line each; their measured effect is the
    /// `tuned/default` column of the report.
    pub const TUNED_SETTINGS: [&'static str; 3] = [
        "SSL_MODE_RELEASE_BUFFERS cleared on both sides: record buffers stay allocated \
         instead of being freed after each record and allocated again",
        "TLS 1.3 server tickets: none (set_num_tickets(0)) when nobody resumes, \
         one instead of two when clients resume",
        "one shared SSL_CTX per side for every connection (both configurations \
         do this; building one per connection is the cost avoided)",
    ];

    /// The lower-case name used in row ids.
    pub const fn name(self) -> &'static str {
        match self {
            Config::Default => "default",
            Config::Tuned => "tuned",
        }
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The protocol version the client pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Version {
    /// TLS 1.2 only.
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// The key-exchange group the client offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Group {
    /// X25519.
    X25519,
    /// NIST P-256 (secp256r1).
    P256,
}

impl Group {
    fn openssl_name(self) -> &'static str {
        match self {
            Group::X25519 => "X25519",
            Group::P256 => "P-256",
        }
    }
}

/// How a resumed handshake finds its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Resumption {
    /// TLS 1.2, server-side session cache looked up by session id.
    Tls12SessionId,
    /// TLS 1.2, stateless session ticket.
    Tls12Ticket,
    /// TLS 1.3 PSK from a NewSessionTicket, with (EC)DHE (psk_dhe_ke).
    Tls13Psk,
}

impl Resumption {
    /// Every kind, in report order.
    pub const ALL: [Resumption; 3] = [
        Resumption::Tls12SessionId,
        Resumption::Tls12Ticket,
        Resumption::Tls13Psk,
    ];

    /// The name used in row ids.
    pub const fn name(self) -> &'static str {
        match self {
            Resumption::Tls12SessionId => "tls12-session-id",
            Resumption::Tls12Ticket => "tls12-ticket",
            Resumption::Tls13Psk => "tls13-psk",
        }
    }

    /// The handshake case a session is first made with.
    pub const fn case(self) -> HandshakeCase {
        let version = match self {
            Resumption::Tls13Psk => Version::Tls13,
            _ => Version::Tls12,
        };
        hs(
            self.name(),
            version,
            KeyType::EcdsaP256,
            Group::X25519,
            false,
        )
    }
}

/// A full handshake to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeCase {
    /// The name used in row ids.
    pub name: &'static str,
    /// The version the client pins.
    pub version: Version,
    /// The server certificate's key (and the client's, for mTLS).
    pub key: KeyType,
    /// The only group the client offers.
    pub group: Group,
    /// Whether the server requires a client certificate.
    pub mtls: bool,
}

const fn hs(
    name: &'static str,
    version: Version,
    key: KeyType,
    group: Group,
    mtls: bool,
) -> HandshakeCase {
    HandshakeCase {
        name,
        version,
        key,
        group,
        mtls,
    }
}

/// The full-handshake cases, in report order.
pub const HANDSHAKES: [HandshakeCase; 8] = [
    hs(
        "tls12-ecdhe-rsa2048-x25519",
        Version::Tls12,
        KeyType::Rsa2048,
        Group::X25519,
        false,
    ),
    hs(
        "tls12-ecdhe-ecdsa-p256-x25519",
        Version::Tls12,
        KeyType::EcdsaP256,
        Group::X25519,
        false,
    ),
    hs(
        "tls13-rsa2048-x25519",
        Version::Tls13,
        KeyType::Rsa2048,
        Group::X25519,
        false,
    ),
    hs(
        "tls13-ecdsa-p256-x25519",
        Version::Tls13,
        KeyType::EcdsaP256,
        Group::X25519,
        false,
    ),
    hs(
        "tls13-ed25519-x25519",
        Version::Tls13,
        KeyType::Ed25519,
        Group::X25519,
        false,
    ),
    hs(
        "tls13-ecdsa-p256-p256",
        Version::Tls13,
        KeyType::EcdsaP256,
        Group::P256,
        false,
    ),
    hs(
        "tls13-rsa2048-p256",
        Version::Tls13,
        KeyType::Rsa2048,
        Group::P256,
        false,
    ),
    hs(
        "tls13-ecdsa-p256-x25519-mtls",
        Version::Tls13,
        KeyType::EcdsaP256,
        Group::X25519,
        true,
    ),
];

/// The record protection of a bulk suite, for the raw limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Cipher {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    Chacha20Poly1305,
    /// AES-128-CBC with HMAC-SHA1, encrypt-then-MAC (RFC 7366), which
    /// OpenSSL negotiates by default.
    Aes128CbcSha1,
}

/// A suite to measure bulk transfer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BulkSuite {
    /// The name used in row ids.
    pub name: &'static str,
    /// The version the client pins.
    pub version: Version,
    /// The OpenSSL suite name the client offers alone.
    pub openssl_name: &'static str,
    /// What protects the records.
    pub cipher: Cipher,
}

const fn bulk(
    name: &'static str,
    version: Version,
    openssl_name: &'static str,
    cipher: Cipher,
) -> BulkSuite {
    BulkSuite {
        name,
        version,
        openssl_name,
        cipher,
    }
}

/// The bulk suites, in report order. All use an ECDSA P-256 server
/// certificate and X25519; only the record protection matters here.
pub const BULK_SUITES: [BulkSuite; 7] = [
    bulk(
        "tls12-aes128gcm",
        Version::Tls12,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        Cipher::Aes128Gcm,
    ),
    bulk(
        "tls12-aes256gcm",
        Version::Tls12,
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        Cipher::Aes256Gcm,
    ),
    bulk(
        "tls12-chacha20",
        Version::Tls12,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        Cipher::Chacha20Poly1305,
    ),
    bulk(
        "tls12-aes128cbc-sha1",
        Version::Tls12,
        "ECDHE-ECDSA-AES128-SHA",
        Cipher::Aes128CbcSha1,
    ),
    bulk(
        "tls13-aes128gcm",
        Version::Tls13,
        "TLS_AES_128_GCM_SHA256",
        Cipher::Aes128Gcm,
    ),
    bulk(
        "tls13-aes256gcm",
        Version::Tls13,
        "TLS_AES_256_GCM_SHA384",
        Cipher::Aes256Gcm,
    ),
    bulk(
        "tls13-chacha20",
        Version::Tls13,
        "TLS_CHACHA20_POLY1305_SHA256",
        Cipher::Chacha20Poly1305,
    ),
];

/// Plaintext bytes per `SSL_write` in the bulk workloads.
pub const BULK_SIZES: [usize; 3] = [1024, 16 * 1024, 1024 * 1024];

/// Everything that decides how a pair of contexts is built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec<'a> {
    pub case: HandshakeCase,
    pub config: Config,
    pub traced: bool,
    /// Traced with `TraceOptions::messages(false)`: states, alerts and
    /// timings only. Meaningful only with `traced`.
    pub states_only: bool,
    pub resumption: Option<Resumption>,
    pub suite: Option<&'a BulkSuite>,
}

impl<'a> Spec<'a> {
    /// Full handshakes of `case`.
    pub(crate) fn full(case: HandshakeCase, config: Config, traced: bool) -> Self {
        Spec {
            case,
            config,
            traced,
            states_only: false,
            resumption: None,
            suite: None,
        }
    }

    /// Handshakes resuming a session of `kind`.
    pub(crate) fn resumed(kind: Resumption, config: Config, traced: bool) -> Self {
        Spec {
            resumption: Some(kind),
            ..Spec::full(kind.case(), config, traced)
        }
    }

    /// A connection negotiating `suite` (ECDSA P-256, X25519) for bulk data.
    pub(crate) fn bulk(suite: &'a BulkSuite, config: Config, traced: bool) -> Self {
        let case = hs(
            suite.name,
            suite.version,
            KeyType::EcdsaP256,
            Group::X25519,
            false,
        );
        Spec {
            suite: Some(suite),
            ..Spec::full(case, config, traced)
        }
    }
}

/// The server context and client connector for `spec`.
pub(crate) fn contexts(
    pki: &Pki,
    spec: &Spec<'_>,
) -> Result<(SslContext, SslConnector), BenchError> {
    let mut server = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
    pki.server(spec.case.key).install(&mut server)?;
    // Needed for server-side session caching whenever peers are verified.
    server.set_session_id_context(b"benches")?;
    if spec.case.mtls {
        server.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        server.set_cert_store(pki.trust_store()?);
    }
    if let Some(suite) = spec.suite.filter(|s| s.cipher == Cipher::Aes128CbcSha1) {
        // mozilla_intermediate_v5 offers no CBC suite; a legacy deployment
        // enables one explicitly.
        server.set_cipher_list(suite.openssl_name)?;
    }
    if spec.resumption == Some(Resumption::Tls12SessionId) {
        server.set_options(SslOptions::NO_TICKET);
    }

    let mut client = SslConnector::builder(SslMethod::tls())?;
    client.set_cert_store(pki.trust_store()?);
    match spec.case.version {
        Version::Tls12 => client.set_max_proto_version(Some(SslVersion::TLS1_2))?,
        Version::Tls13 => client.set_min_proto_version(Some(SslVersion::TLS1_3))?,
    }
    let groups = match (spec.case.version, spec.case.group) {
        // In TLS 1.2 supported_groups also names the curves an ECDSA
        // certificate may use, so P-256 must be offered after X25519.
        (Version::Tls12, Group::X25519) => "X25519:P-256",
        (_, group) => group.openssl_name(),
    };
    client.set_groups_list(groups)?;
    if let Some(suite) = spec.suite {
        match suite.version {
            Version::Tls12 => client.set_cipher_list(suite.openssl_name)?,
            Version::Tls13 => client.set_ciphersuites(suite.openssl_name)?,
        }
    }
    if spec.case.mtls {
        pki.client(spec.case.key).install(&mut client)?;
    }

    if spec.config == Config::Tuned {
        sys::keep_record_buffers(&mut server);
        sys::keep_record_buffers(&mut client);
        server.set_num_tickets(if spec.resumption.is_some() { 1 } else { 0 })?;
    }
    if spec.traced {
        let options = || TraceOptions::default().messages(!spec.states_only);
        server.trace_handshakes(options())?;
        client.trace_handshakes(options())?;
    }
    Ok((server.build().into_context(), client.build()))
}
