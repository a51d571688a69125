//! Wire code points and their registered names: handshake types, cipher
//! suites, named groups and signature schemes.

use std::fmt;

use serde::{Deserialize, Serialize};
use tls_parser::{TlsCipherSuite, TlsHandshakeType};

/// A handshake message type (RFC 8446 section 4, RFC 5246 section 7.4 and the
/// IANA "TLS HandshakeType" registry).
///
/// Any byte is a valid value; [`HandshakeType::name`] knows the registered
/// ones. `Debug` and `Display` print the name, or `Unknown(N)` for the rest.
/// It serializes as the bare number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HandshakeType(pub u8);

impl HandshakeType {
    /// hello_request (0), TLS 1.2 and earlier.
    pub const HELLO_REQUEST: Self = Self(TlsHandshakeType::HelloRequest.0);
    /// client_hello (1).
    pub const CLIENT_HELLO: Self = Self(TlsHandshakeType::ClientHello.0);
    /// server_hello (2); also carries a TLS 1.3 HelloRetryRequest.
    pub const SERVER_HELLO: Self = Self(TlsHandshakeType::ServerHello.0);
    /// hello_verify_request (3), DTLS.
    pub const HELLO_VERIFY_REQUEST: Self = Self(TlsHandshakeType::HelloVerifyRequest.0);
    /// new_session_ticket (4).
    pub const NEW_SESSION_TICKET: Self = Self(TlsHandshakeType::NewSessionTicket.0);
    /// end_of_early_data (5), TLS 1.3.
    pub const END_OF_EARLY_DATA: Self = Self(TlsHandshakeType::EndOfEarlyData.0);
    /// encrypted_extensions (8), TLS 1.3.
    pub const ENCRYPTED_EXTENSIONS: Self = Self(TlsHandshakeType::EncryptedExtensions.0);
    /// certificate (11).
    pub const CERTIFICATE: Self = Self(TlsHandshakeType::Certificate.0);
    /// server_key_exchange (12), TLS 1.2 and earlier.
    pub const SERVER_KEY_EXCHANGE: Self = Self(TlsHandshakeType::ServerKeyExchange.0);
    /// certificate_request (13).
    pub const CERTIFICATE_REQUEST: Self = Self(TlsHandshakeType::CertificateRequest.0);
    /// server_hello_done (14), TLS 1.2 and earlier.
    pub const SERVER_HELLO_DONE: Self = Self(TlsHandshakeType::ServerDone.0);
    /// certificate_verify (15).
    pub const CERTIFICATE_VERIFY: Self = Self(TlsHandshakeType::CertificateVerify.0);
    /// client_key_exchange (16), TLS 1.2 and earlier.
    pub const CLIENT_KEY_EXCHANGE: Self = Self(TlsHandshakeType::ClientKeyExchange.0);
    /// finished (20).
    pub const FINISHED: Self = Self(TlsHandshakeType::Finished.0);
    /// certificate_url (21), RFC 6066.
    pub const CERTIFICATE_URL: Self = Self(TlsHandshakeType::CertificateURL.0);
    /// certificate_status (22), RFC 6066.
    pub const CERTIFICATE_STATUS: Self = Self(TlsHandshakeType::CertificateStatus.0);
    /// supplemental_data (23), RFC 4680.
    pub const SUPPLEMENTAL_DATA: Self = Self(23);
    /// key_update (24), TLS 1.3.
    pub const KEY_UPDATE: Self = Self(TlsHandshakeType::KeyUpdate.0);
    /// compressed_certificate (25), RFC 8879.
    pub const COMPRESSED_CERTIFICATE: Self = Self(25);
    /// message_hash (254), TLS 1.3 transcript placeholder.
    pub const MESSAGE_HASH: Self = Self(254);

    /// The registered name in CamelCase (`"ClientHello"`, `"ServerHelloDone"`,
    /// ...), or `None` for an unregistered value. (tls-parser's names differ
    /// in places, e.g. `ServerDone`, and lack the newer types.)
    pub fn name(self) -> Option<&'static str> {
        let name = match self.0 {
            0 => "HelloRequest",
            1 => "ClientHello",
            2 => "ServerHello",
            3 => "HelloVerifyRequest",
            4 => "NewSessionTicket",
            5 => "EndOfEarlyData",
            8 => "EncryptedExtensions",
            11 => "Certificate",
            12 => "ServerKeyExchange",
            13 => "CertificateRequest",
            14 => "ServerHelloDone",
            15 => "CertificateVerify",
            16 => "ClientKeyExchange",
            20 => "Finished",
            21 => "CertificateUrl",
            22 => "CertificateStatus",
            23 => "SupplementalData",
            24 => "KeyUpdate",
            25 => "CompressedCertificate",
            254 => "MessageHash",
            _ => return None,
        };
        Some(name)
    }
}

impl fmt::Display for HandshakeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Unknown({})", self.0),
        }
    }
}

impl fmt::Debug for HandshakeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<u8> for HandshakeType {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

/// A cipher suite with its IANA name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CipherSuite {
    /// The two-byte identifier.
    pub id: u16,
    /// The IANA name (`TLS_AES_128_GCM_SHA256`, ...), `GREASE` for an RFC 8701
    /// value, or `None` when unknown.
    pub name: Option<String>,
}

impl CipherSuite {
    /// Looks the identifier up in `tls-parser`'s cipher suite table.
    pub fn new(id: u16) -> Self {
        let name = name_or_grease(id, |id| TlsCipherSuite::from_id(id).map(|suite| suite.name));
        Self { id, name }
    }
}

/// A named group (elliptic curve, finite-field group or hybrid KEM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NamedGroup {
    /// The two-byte identifier.
    pub id: u16,
    /// The IANA name (`x25519`, `secp256r1`, `ffdhe2048`, ...), `GREASE` for an
    /// RFC 8701 value, or `None` when unknown.
    pub name: Option<String>,
}

impl NamedGroup {
    /// Names the identifier.
    pub fn new(id: u16) -> Self {
        let name = name_or_grease(id, group_name);
        Self { id, name }
    }
}

/// A signature scheme (TLS 1.3) or hash/signature pair (TLS 1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignatureScheme {
    /// The two-byte identifier.
    pub id: u16,
    /// The RFC 8446 name (`rsa_pss_rsae_sha256`, `ed25519`, ...), the
    /// customary name of a legacy pair (`rsa_pkcs1_sha1`, `ecdsa_sha224`, ...),
    /// `GREASE` for an RFC 8701 value, or `None` when unknown.
    pub name: Option<String>,
}

impl SignatureScheme {
    /// Names the identifier.
    pub fn new(id: u16) -> Self {
        let name = name_or_grease(id, signature_scheme_name);
        Self { id, name }
    }
}

/// `GREASE` for an RFC 8701 value, else the name `table` gives `id`.
fn name_or_grease(id: u16, table: impl FnOnce(u16) -> Option<&'static str>) -> Option<String> {
    let name = if is_grease(id) {
        Some("GREASE")
    } else {
        table(id)
    };
    name.map(str::to_owned)
}

macro_rules! display_named {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match &self.name {
                    Some(name) => f.write_str(name),
                    None => write!(f, "0x{:04x}", self.id),
                }
            }
        }
    )*};
}
display_named!(CipherSuite, NamedGroup, SignatureScheme);

/// True for the sixteen reserved GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ... 0xfafa).
pub(crate) fn is_grease(id: u16) -> bool {
    id & 0x0f0f == 0x0a0a && id >> 8 == id & 0xff
}

pub(super) fn group_name(id: u16) -> Option<&'static str> {
    let name = match id {
        1 => "sect163k1",
        2 => "sect163r1",
        3 => "sect163r2",
        4 => "sect193r1",
        5 => "sect193r2",
        6 => "sect233k1",
        7 => "sect233r1",
        8 => "sect239k1",
        9 => "sect283k1",
        10 => "sect283r1",
        11 => "sect409k1",
        12 => "sect409r1",
        13 => "sect571k1",
        14 => "sect571r1",
        15 => "secp160k1",
        16 => "secp160r1",
        17 => "secp160r2",
        18 => "secp192k1",
        19 => "secp192r1",
        20 => "secp224k1",
        21 => "secp224r1",
        22 => "secp256k1",
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        34 => "GC256A",
        35 => "GC256B",
        36 => "GC256C",
        37 => "GC256D",
        38 => "GC512A",
        39 => "GC512B",
        40 => "GC512C",
        41 => "curveSM2",
        0x0100 => "ffdhe2048",
        0x0101 => "ffdhe3072",
        0x0102 => "ffdhe4096",
        0x0103 => "ffdhe6144",
        0x0104 => "ffdhe8192",
        0x0200 => "MLKEM512",
        0x0201 => "MLKEM768",
        0x0202 => "MLKEM1024",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        0x6399 => "X25519Kyber768Draft00",
        0x639a => "SecP256r1Kyber768Draft00",
        0xff01 => "arbitrary_explicit_prime_curves",
        0xff02 => "arbitrary_explicit_char2_curves",
        _ => return None,
    };
    Some(name)
}

pub(super) fn signature_scheme_name(id: u16) -> Option<&'static str> {
    let name = match id {
        // Legacy TLS 1.2 hash/signature pairs.
        0x0101 => "rsa_pkcs1_md5",
        0x0201 => "rsa_pkcs1_sha1",
        0x0202 => "dsa_sha1",
        0x0203 => "ecdsa_sha1",
        0x0301 => "rsa_pkcs1_sha224",
        0x0302 => "dsa_sha224",
        0x0303 => "ecdsa_sha224",
        0x0402 => "dsa_sha256",
        0x0502 => "dsa_sha384",
        0x0602 => "dsa_sha512",
        // RFC 8446 and later registrations.
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0708 => "sm2sig_sm3",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        _ => return None,
    };
    Some(name)
}

/// The name of TLS extension type `id` in the IANA "TLS ExtensionType
/// Values" registry, as tshark prints it (`server_name`, `session_ticket`,
/// `application_layer_protocol_negotiation`), also for the types in
/// common use that tshark names and IANA does not (`application_settings`,
/// `next_protocol_negotiation`, `channel_id`); the code points Chromium
/// sends that tshark 4.0 does not know are named after BoringSSL's
/// `tls1.h` (0xca34 `trust_anchors`), but for ALPS's current code point,
/// 17613, `application_settings_new`, as tshark's name for its first,
/// 17513, is BoringSSL's for this one; `reserved` for a value IANA
/// reserved (40 and 46, TLS 1.3 draft types, and the GREASE values of
/// RFC 8701); `None` for the rest. (`tls-parser`'s names are its Rust
/// constants, `SessionTicketTLS`, which no tool prints.)
pub fn extension_name(id: u16) -> Option<&'static str> {
    if is_grease(id) {
        return Some("reserved");
    }
    let name = match id {
        0 => "server_name",
        1 => "max_fragment_length",
        2 => "client_certificate_url",
        3 => "trusted_ca_keys",
        4 => "truncated_hmac",
        5 => "status_request",
        6 => "user_mapping",
        7 => "client_authz",
        8 => "server_authz",
        9 => "cert_type",
        10 => "supported_groups",
        11 => "ec_point_formats",
        12 => "srp",
        13 => "signature_algorithms",
        14 => "use_srtp",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        17 => "status_request_v2",
        18 => "signed_certificate_timestamp",
        19 => "client_certificate_type",
        20 => "server_certificate_type",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        24 => "token_binding",
        25 => "cached_info",
        26 => "tls_lts",
        27 => "compress_certificate",
        28 => "record_size_limit",
        29 => "pwd_protect",
        30 => "pwd_clear",
        31 => "password_salt",
        32 => "ticket_pinning",
        33 => "tls_cert_with_extern_psk",
        // IANA's "delegated_credential" (RFC 9345); tshark keeps the
        // drafts' plural.
        34 => "delegated_credentials",
        35 => "session_ticket",
        36 => "TLMSP",
        37 => "TLMSP_proxying",
        38 => "TLMSP_delegate",
        39 => "supported_ekt_ciphers",
        40 | 46 => "reserved",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        48 => "oid_filters",
        49 => "post_handshake_auth",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        52 => "transparency_info",
        53 => "connection_id (deprecated)",
        54 => "connection_id",
        55 => "external_id_hash",
        56 => "external_session_id",
        57 => "quic_transport_parameters",
        58 => "ticket_request",
        59 => "dnssec_chain",
        0x3374 => "next_protocol_negotiation",
        0x4469 => "application_settings",
        0x44cd => "application_settings_new",
        0x754f => "channel_id_old",
        0x7550 => "channel_id",
        0xca34 => "trust_anchors",
        0xfe0d => "encrypted_client_hello",
        0xff01 => "renegotiation_info",
        0xffa5 => "quic_transport_parameters (drafts version)",
        0xffce => "encrypted_server_name",
        _ => return None,
    };
    Some(name)
}

// ---------------------------------------------------------------------------
// Names as `openssl s_client -trace` prints them (ssl/t1_trace.c)
// ---------------------------------------------------------------------------

/// A group as `-trace` names it: OpenSSL's own name where it differs from
/// the IANA one (`ecdh_x25519`, `secp256r1 (P-256)`), the IANA name
/// otherwise, `UNKNOWN` when neither knows it.
pub(crate) fn trace_group_name(id: u16) -> &'static str {
    match id {
        1 => "sect163k1 (K-163)",
        3 => "sect163r2 (B-163)",
        6 => "sect233k1 (K-233)",
        7 => "sect233r1 (B-233)",
        9 => "sect283k1 (K-283)",
        10 => "sect283r1 (B-283)",
        11 => "sect409k1 (K-409)",
        12 => "sect409r1 (B-409)",
        13 => "sect571k1 (K-571)",
        14 => "sect571r1 (B-571)",
        19 => "secp192r1 (P-192)",
        21 => "secp224r1 (P-224)",
        23 => "secp256r1 (P-256)",
        24 => "secp384r1 (P-384)",
        25 => "secp521r1 (P-521)",
        29 => "ecdh_x25519",
        30 => "ecdh_x448",
        _ => group_name(id).unwrap_or("UNKNOWN"),
    }
}

/// A ClientCertificateType as `-trace` names it (`rsa_sign`, `ecdsa_sign`).
pub(crate) fn trace_certificate_type_name(id: u8) -> &'static str {
    match id {
        1 => "rsa_sign",
        2 => "dss_sign",
        3 => "rsa_fixed_dh",
        4 => "dss_fixed_dh",
        5 => "rsa_ephemeral_dh",
        6 => "dss_ephemeral_dh",
        20 => "fortezza_dms",
        64 => "ecdsa_sign",
        65 => "rsa_fixed_ecdh",
        66 => "ecdsa_fixed_ecdh",
        _ => "UNKNOWN",
    }
}

/// An ECPointFormat as `-trace` names it.
pub(crate) fn trace_point_format_name(id: u8) -> &'static str {
    match id {
        0 => "uncompressed",
        1 => "ansiX962_compressed_prime",
        2 => "ansiX962_compressed_char2",
        _ => "UNKNOWN",
    }
}

/// A PskKeyExchangeMode as `-trace` names it.
pub(crate) fn trace_psk_mode_name(id: u8) -> &'static str {
    match id {
        0 => "psk_ke",
        1 => "psk_dhe_ke",
        _ => "UNKNOWN",
    }
}

/// A compression method as `-trace` names it.
pub(crate) fn trace_compression_name(id: u8) -> &'static str {
    match id {
        0 => "No Compression",
        1 => "Zlib Compression",
        _ => "UNKNOWN",
    }
}

/// A max_fragment_length code as `-trace` names it (`2^10 (1024 bytes)`).
pub(crate) fn trace_max_fragment_length_name(code: u8) -> &'static str {
    match code {
        1 => "2^9 (512 bytes)",
        2 => "2^10 (1024 bytes)",
        3 => "2^11 (2048 bytes)",
        4 => "2^12 (4096 bytes)",
        _ => "UNKNOWN",
    }
}
