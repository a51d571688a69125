//! Typed views of recorded TLS handshake messages.
//!
//! OpenSSL's message callback hands over every handshake message whole: a
//! one-byte handshake type, a three-byte body length and the body. The bytes
//! come from the peer, so [`decode_handshake`] treats them as hostile: it never
//! panics, it allocates no more than a small multiple of the input size, and it
//! reports anything it cannot make sense of as a [`DecodeError`].
//!
//! The fixed fields of ClientHello and ServerHello, the contents of the
//! server_name, ALPN, supported_groups and signature_algorithms extensions and
//! the cipher suite names come from `tls-parser`; every list it returns is
//! checked to account for every byte of its extension, since `tls-parser`
//! silently stops at the first item that does not fit. Everything else
//! (extension framing, key_share, pre_shared_key, supported_versions, and the
//! Certificate, CertificateRequest and NewSessionTicket layouts of TLS 1.2 and
//! TLS 1.3) is read by the small bounds-checked reader in this module.
//!
//! Secrets never end up in a view: Finished keeps only the length of its
//! verify_data, and tickets, PSK identities and key shares are only counted.

use std::collections::HashSet;
use std::fmt;
use std::fmt::Write as _;

use openssl::asn1::Asn1ObjectRef;
use openssl::nid::Nid;
use openssl::x509::{X509NameRef, X509};
use serde::{Deserialize, Serialize};
use tls_parser::nom;
use tls_parser::{
    parse_tls_extension_alpn_content, parse_tls_extension_elliptic_curves_content,
    parse_tls_extension_signature_algorithms_content, parse_tls_extension_sni_content,
    parse_tls_handshake_client_hello, parse_tls_handshake_server_hello, SNIType, TlsCipherSuite,
    TlsExtension,
};

// ---------------------------------------------------------------------------
// Handshake type
// ---------------------------------------------------------------------------

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
    pub const HELLO_REQUEST: Self = Self(0);
    /// client_hello (1).
    pub const CLIENT_HELLO: Self = Self(1);
    /// server_hello (2); also carries a TLS 1.3 HelloRetryRequest.
    pub const SERVER_HELLO: Self = Self(2);
    /// hello_verify_request (3), DTLS.
    pub const HELLO_VERIFY_REQUEST: Self = Self(3);
    /// new_session_ticket (4).
    pub const NEW_SESSION_TICKET: Self = Self(4);
    /// end_of_early_data (5), TLS 1.3.
    pub const END_OF_EARLY_DATA: Self = Self(5);
    /// encrypted_extensions (8), TLS 1.3.
    pub const ENCRYPTED_EXTENSIONS: Self = Self(8);
    /// certificate (11).
    pub const CERTIFICATE: Self = Self(11);
    /// server_key_exchange (12), TLS 1.2 and earlier.
    pub const SERVER_KEY_EXCHANGE: Self = Self(12);
    /// certificate_request (13).
    pub const CERTIFICATE_REQUEST: Self = Self(13);
    /// server_hello_done (14), TLS 1.2 and earlier.
    pub const SERVER_HELLO_DONE: Self = Self(14);
    /// certificate_verify (15).
    pub const CERTIFICATE_VERIFY: Self = Self(15);
    /// client_key_exchange (16), TLS 1.2 and earlier.
    pub const CLIENT_KEY_EXCHANGE: Self = Self(16);
    /// finished (20).
    pub const FINISHED: Self = Self(20);
    /// certificate_url (21), RFC 6066.
    pub const CERTIFICATE_URL: Self = Self(21);
    /// certificate_status (22), RFC 6066.
    pub const CERTIFICATE_STATUS: Self = Self(22);
    /// supplemental_data (23), RFC 4680.
    pub const SUPPLEMENTAL_DATA: Self = Self(23);
    /// key_update (24), TLS 1.3.
    pub const KEY_UPDATE: Self = Self(24);
    /// compressed_certificate (25), RFC 8879.
    pub const COMPRESSED_CERTIFICATE: Self = Self(25);
    /// message_hash (254), TLS 1.3 transcript placeholder.
    pub const MESSAGE_HASH: Self = Self(254);

    /// The registered name in CamelCase (`"ClientHello"`, `"ServerHelloDone"`,
    /// ...), or `None` for an unregistered value.
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

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

/// One decoded handshake message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeMessage {
    /// The message type from the first header byte.
    pub handshake_type: HandshakeType,
    /// The body length from the header (equal to the number of body bytes).
    pub length: u32,
    /// The decoded body.
    pub body: Body,
}

/// The body of a handshake message, for the types that are decoded further.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// A ClientHello.
    ClientHello(ClientHello),
    /// A ServerHello, including a TLS 1.3 HelloRetryRequest.
    ServerHello(ServerHello),
    /// A Certificate (TLS 1.2 or TLS 1.3 layout).
    Certificate(Certificate),
    /// A CertificateRequest (TLS 1.2 or TLS 1.3 layout).
    CertificateRequest(CertificateRequest),
    /// A NewSessionTicket (RFC 5077 or TLS 1.3 layout).
    NewSessionTicket(NewSessionTicket),
    /// A Finished.
    Finished(Finished),
    /// Any other type: only the header is decoded.
    Other,
}

/// The parts of a ClientHello worth recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHello {
    /// `legacy_version` (`client_version` before TLS 1.3).
    pub legacy_version: u16,
    /// The 32-byte random, in lowercase hex.
    pub random: String,
    /// The legacy session id in lowercase hex; empty when none was sent.
    pub session_id: String,
    /// The offered cipher suites, in the client's order.
    pub cipher_suites: Vec<CipherSuite>,
    /// The offered compression methods.
    pub compression_methods: Vec<u8>,
    /// The first host_name of the server_name extension. Bytes outside
    /// printable ASCII (and the backslash) are written as `\xNN`.
    pub sni: Option<String>,
    /// The ALPN protocol names, in order, escaped like `sni`.
    pub alpn: Vec<String>,
    /// The supported_versions extension, in order.
    pub supported_versions: Vec<u16>,
    /// The supported_groups extension, in order.
    pub supported_groups: Vec<NamedGroup>,
    /// The groups of the key shares sent in the key_share extension.
    pub key_share_groups: Vec<NamedGroup>,
    /// The signature_algorithms extension, in order.
    pub signature_algorithms: Vec<SignatureScheme>,
    /// Length of the session_ticket extension data, when the extension is present.
    pub session_ticket: Option<usize>,
    /// Number of identities in the pre_shared_key extension; 0 when absent.
    pub psk_identities: usize,
    /// Every extension type, in the order sent.
    pub extensions: Vec<u16>,
}

/// The parts of a ServerHello (or HelloRetryRequest) worth recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerHello {
    /// `legacy_version` (`server_version` before TLS 1.3).
    pub legacy_version: u16,
    /// The 32-byte random, in lowercase hex.
    pub random: String,
    /// The (echoed) session id in lowercase hex; empty when none was sent.
    pub session_id: String,
    /// The selected cipher suite.
    pub cipher_suite: CipherSuite,
    /// The version from the supported_versions extension, when present.
    pub selected_version: Option<u16>,
    /// The group of the key_share extension (the selected group in a
    /// HelloRetryRequest), when present.
    pub key_share_group: Option<NamedGroup>,
    /// The protocol selected by the ALPN extension (TLS 1.2; TLS 1.3 sends it
    /// in EncryptedExtensions), escaped like [`ClientHello::sni`].
    pub alpn: Option<String>,
    /// True when the random is the HelloRetryRequest value of RFC 8446 4.1.3.
    pub hello_retry_request: bool,
    /// Every extension type, in the order sent.
    pub extensions: Vec<u16>,
}

/// A Certificate message: the subject and issuer of every certificate in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The TLS 1.3 certificate_request_context in lowercase hex; empty before TLS 1.3.
    pub request_context: String,
    /// The subject of each certificate, in the order sent, formatted like
    /// `openssl x509 -subject` ("C = US, O = Example, CN = localhost"), or
    /// `<unparseable certificate: N bytes>` for an entry that is not an X.509
    /// certificate.
    pub subjects: Vec<String>,
    /// The issuer of each certificate, formatted like `subjects`.
    pub issuers: Vec<String>,
    /// The DER length of each certificate.
    pub der_lengths: Vec<usize>,
}

/// A CertificateRequest message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRequest {
    /// The requested certificate types (TLS 1.2 and earlier; empty in TLS 1.3).
    pub certificate_types: Vec<u8>,
    /// The accepted signature schemes (the supported_signature_algorithms field
    /// in TLS 1.2, the signature_algorithms extension in TLS 1.3; empty before TLS 1.2).
    pub signature_algorithms: Vec<SignatureScheme>,
    /// Number of acceptable certificate authorities (distinguished names) listed.
    pub certificate_authorities: usize,
    /// The TLS 1.3 certificate_request_context in lowercase hex; empty before TLS 1.3.
    pub request_context: String,
}

/// A NewSessionTicket message. The ticket itself is only measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSessionTicket {
    /// `ticket_lifetime_hint` (TLS 1.2) or `ticket_lifetime` (TLS 1.3), in seconds.
    pub lifetime_hint_secs: u32,
    /// `ticket_age_add` (TLS 1.3 only).
    pub age_add: Option<u32>,
    /// `ticket_nonce` in lowercase hex (TLS 1.3 only).
    pub nonce: Option<String>,
    /// Length of the ticket.
    pub ticket_len: usize,
    /// `max_early_data_size` from the early_data extension (TLS 1.3 only).
    pub early_data_max: Option<u32>,
}

/// A Finished message. The verify_data is derived from key material and is
/// deliberately not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished {
    /// Length of the verify_data.
    pub verify_data_len: usize,
}

/// A cipher suite with its IANA name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        let name = if is_grease(id) {
            Some("GREASE".to_owned())
        } else {
            TlsCipherSuite::from_id(id).map(|suite| suite.name.to_owned())
        };
        Self { id, name }
    }
}

/// A named group (elliptic curve, finite-field group or hybrid KEM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        let name = if is_grease(id) {
            Some("GREASE")
        } else {
            group_name(id)
        };
        Self {
            id,
            name: name.map(str::to_owned),
        }
    }
}

/// A signature scheme (TLS 1.3) or hash/signature pair (TLS 1.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        let name = if is_grease(id) {
            Some("GREASE")
        } else {
            signature_scheme_name(id)
        };
        Self {
            id,
            name: name.map(str::to_owned),
        }
    }
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
fn is_grease(id: u16) -> bool {
    id & 0x0f0f == 0x0a0a && id >> 8 == id & 0xff
}

fn group_name(id: u16) -> Option<&'static str> {
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

fn signature_scheme_name(id: u16) -> Option<&'static str> {
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

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a handshake message could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes ended inside a field. `needed` and `have` count bytes of the
    /// innermost length-delimited part being read: the 4-byte header, the
    /// body, or a vector inside the body.
    #[error(
        "{} is truncated: {needed} bytes are needed but only {have} are present",
        describe(*.message)
    )]
    Truncated {
        /// The message type, when at least one byte was present.
        message: Option<HandshakeType>,
        /// Bytes the layout needs.
        needed: usize,
        /// Bytes present.
        have: usize,
    },
    /// The header's body length disagrees with the number of bytes after the header.
    #[error(
        "{} declares a {declared}-byte body but {actual} bytes follow the header",
        describe(Some(*.message))
    )]
    LengthMismatch {
        /// The message type.
        message: HandshakeType,
        /// The body length in the header.
        declared: u32,
        /// The number of bytes after the header.
        actual: usize,
    },
    /// The body does not follow the layout of its type.
    #[error("{} is malformed: {reason}", describe(Some(*.message)))]
    Malformed {
        /// The message type.
        message: HandshakeType,
        /// What is wrong, naming the field or extension.
        reason: String,
    },
}

impl DecodeError {
    /// The type of the message that failed to decode, when known.
    pub fn handshake_type(&self) -> Option<HandshakeType> {
        match self {
            Self::Truncated { message, .. } => *message,
            Self::LengthMismatch { message, .. } | Self::Malformed { message, .. } => {
                Some(*message)
            }
        }
    }
}

fn describe(message: Option<HandshakeType>) -> String {
    match message {
        Some(t) => match t.name() {
            Some(name) => name.to_owned(),
            None => format!("handshake message of unknown type {}", t.0),
        },
        None => "handshake message".to_owned(),
    }
}

/// Internal failure, turned into a [`DecodeError`] once the message type is attached.
#[derive(Debug)]
enum Fail {
    Short { needed: usize, have: usize },
    Bad(String),
}

type Res<T> = Result<T, Fail>;

fn bad<T>(reason: impl Into<String>) -> Res<T> {
    Err(Fail::Bad(reason.into()))
}

impl Fail {
    fn into_error(self, message: HandshakeType) -> DecodeError {
        match self {
            Fail::Short { needed, have } => DecodeError::Truncated {
                message: Some(message),
                needed,
                have,
            },
            Fail::Bad(reason) => DecodeError::Malformed { message, reason },
        }
    }

    /// Puts a failure inside an extension into words naming the extension.
    fn in_extension(self, name: &str) -> Fail {
        match self {
            Fail::Short { needed, have } => Fail::Bad(format!(
                "{name} extension is truncated: {needed} bytes are needed but only {have} are present"
            )),
            Fail::Bad(reason) => Fail::Bad(format!("{name} extension: {reason}")),
        }
    }
}

/// Turns a `tls-parser` (nom) failure over `input` into a [`Fail`].
fn nom_fail(input: &[u8], err: nom::Err<nom::error::Error<&[u8]>>, what: &str) -> Fail {
    match err {
        nom::Err::Incomplete(needed) => {
            let more = match needed {
                nom::Needed::Size(n) => n.get(),
                nom::Needed::Unknown => 1,
            };
            Fail::Short {
                needed: input.len().saturating_add(more),
                have: input.len(),
            }
        }
        nom::Err::Error(e) | nom::Err::Failure(e) => {
            let at = (e.input.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
            if at <= input.len() {
                Fail::Bad(format!(
                    "{what} rejected at byte {at} ({})",
                    e.code.description()
                ))
            } else {
                Fail::Bad(format!("{what} rejected ({})", e.code.description()))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------

/// A bounds-checked cursor over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Res<&'a [u8]> {
        let end = self.pos.saturating_add(n);
        match self.buf.get(self.pos..end) {
            Some(bytes) => {
                self.pos = end;
                Ok(bytes)
            }
            None => Err(Fail::Short {
                needed: end,
                have: self.buf.len(),
            }),
        }
    }

    /// A big-endian unsigned integer of `n` (at most 4) bytes.
    fn uint(&mut self, n: usize) -> Res<u32> {
        Ok(be(self.take(n.min(4))?))
    }

    fn u8(&mut self) -> Res<u8> {
        let bytes = self.take(1)?;
        Ok(bytes.first().copied().unwrap_or(0))
    }

    fn u16(&mut self) -> Res<u16> {
        Ok(be16(self.take(2)?))
    }

    fn u32(&mut self) -> Res<u32> {
        self.uint(4)
    }

    /// A vector with a `len_bytes`-byte length prefix.
    fn vec(&mut self, len_bytes: usize) -> Res<&'a [u8]> {
        let len = self.uint(len_bytes)?;
        self.take(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// Fails unless everything was read.
    fn finish(&self, after: &str) -> Res<()> {
        match self.remaining() {
            0 => Ok(()),
            1 => bad(format!("1 unexpected byte after {after}")),
            n => bad(format!("{n} unexpected bytes after {after}")),
        }
    }
}

fn be(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

fn be16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |acc, &b| (acc << 8) | u16::from(b))
}

/// A list of two-byte values filling `data` exactly.
fn u16_list(data: &[u8], what: &str) -> Res<Vec<u16>> {
    if data.len() % 2 != 0 {
        return bad(format!("{what} has an odd length ({})", data.len()));
    }
    Ok(data.chunks_exact(2).map(be16).collect())
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for &b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Printable ASCII as is; the backslash and every other byte as `\xNN`.
fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\x5c"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Extensions
// ---------------------------------------------------------------------------

const EXT_SERVER_NAME: u16 = 0;
const EXT_SUPPORTED_GROUPS: u16 = 10;
const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
const EXT_ALPN: u16 = 16;
const EXT_SESSION_TICKET: u16 = 35;
const EXT_PRE_SHARED_KEY: u16 = 41;
const EXT_EARLY_DATA: u16 = 42;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_CERTIFICATE_AUTHORITIES: u16 = 47;
const EXT_KEY_SHARE: u16 = 51;

struct Extension<'a> {
    ty: u16,
    data: &'a [u8],
}

/// Splits an extensions block into its extensions, rejecting bad framing and
/// repeated types (RFC 8446 4.2, RFC 5246 7.4.1.4).
fn split_extensions(block: &[u8]) -> Res<Vec<Extension<'_>>> {
    let mut reader = Reader::new(block);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    while !reader.is_empty() {
        let ty = reader
            .u16()
            .map_err(|_| Fail::Bad("extensions block ends inside an extension type".into()))?;
        let data = reader.vec(2).map_err(|e| match e {
            Fail::Short { needed, have } => Fail::Bad(format!(
                "extension {ty} overruns the extensions block ({needed} bytes needed, {have} present)"
            )),
            other => other,
        })?;
        if !seen.insert(ty) {
            return bad(format!("extension {ty} appears more than once"));
        }
        out.push(Extension { ty, data });
    }
    Ok(out)
}

/// Checks that a list decoded by `tls-parser` from `data` used every byte:
/// nothing after it (`rest`) and items adding up to the data (`used`).
fn check_covers(data: &[u8], rest: &[u8], used: usize) -> Res<()> {
    if !rest.is_empty() {
        return bad(format!("{} unexpected bytes after the list", rest.len()));
    }
    if used != data.len() {
        return bad(format!(
            "list items cover {used} of its {} bytes",
            data.len()
        ));
    }
    Ok(())
}

/// server_name in a ClientHello: the first host_name entry.
fn ext_server_name(data: &[u8]) -> Res<Option<String>> {
    if data.is_empty() {
        return bad("empty server_name list");
    }
    let (rest, ext) =
        parse_tls_extension_sni_content(data).map_err(|e| nom_fail(data, e, "server_name"))?;
    let TlsExtension::SNI(names) = ext else {
        return bad("unexpected server_name content");
    };
    let used = names.iter().fold(2usize, |acc, (_, name)| {
        acc.saturating_add(name.len()).saturating_add(3)
    });
    check_covers(data, rest, used)?;
    if names.is_empty() {
        return bad("empty server_name list");
    }
    Ok(names
        .iter()
        .find(|(kind, _)| *kind == SNIType::HostName)
        .map(|(_, name)| escaped(name)))
}

/// application_layer_protocol_negotiation: the protocol names in order.
fn ext_alpn(data: &[u8]) -> Res<Vec<String>> {
    let (rest, ext) = parse_tls_extension_alpn_content(data)
        .map_err(|e| nom_fail(data, e, "protocol_name_list"))?;
    let TlsExtension::ALPN(names) = ext else {
        return bad("unexpected ALPN content");
    };
    let used = names.iter().fold(2usize, |acc, name| {
        acc.saturating_add(name.len()).saturating_add(1)
    });
    check_covers(data, rest, used)?;
    if names.is_empty() {
        return bad("empty protocol_name_list");
    }
    if names.iter().any(|name| name.is_empty()) {
        return bad("empty protocol name");
    }
    Ok(names.iter().map(|name| escaped(name)).collect())
}

/// supported_groups: the groups in order.
fn ext_supported_groups(data: &[u8]) -> Res<Vec<NamedGroup>> {
    let (rest, ext) = parse_tls_extension_elliptic_curves_content(data)
        .map_err(|e| nom_fail(data, e, "named_group_list"))?;
    let TlsExtension::EllipticCurves(groups) = ext else {
        return bad("unexpected supported_groups content");
    };
    check_covers(data, rest, groups.len().saturating_mul(2).saturating_add(2))?;
    Ok(groups.iter().map(|g| NamedGroup::new(g.0)).collect())
}

/// signature_algorithms: the schemes in order.
fn ext_signature_algorithms(data: &[u8]) -> Res<Vec<SignatureScheme>> {
    let (rest, ext) = parse_tls_extension_signature_algorithms_content(data)
        .map_err(|e| nom_fail(data, e, "supported_signature_algorithms"))?;
    let TlsExtension::SignatureAlgorithms(schemes) = ext else {
        return bad("unexpected signature_algorithms content");
    };
    check_covers(
        data,
        rest,
        schemes.len().saturating_mul(2).saturating_add(2),
    )?;
    Ok(schemes.into_iter().map(SignatureScheme::new).collect())
}

/// supported_versions in a ClientHello: `ProtocolVersion versions<2..254>`.
fn ext_client_supported_versions(data: &[u8]) -> Res<Vec<u16>> {
    let mut reader = Reader::new(data);
    let list = reader.vec(1)?;
    reader.finish("the versions list")?;
    if list.is_empty() {
        return bad("empty versions list");
    }
    u16_list(list, "versions list")
}

/// key_share in a ClientHello: the group of each `KeyShareEntry`.
fn ext_client_key_share(data: &[u8]) -> Res<Vec<NamedGroup>> {
    let mut reader = Reader::new(data);
    let list = reader.vec(2)?;
    reader.finish("client_shares")?;
    let mut entries = Reader::new(list);
    let mut groups = Vec::new();
    while !entries.is_empty() {
        let group = entries.u16()?;
        let key_exchange = entries.vec(2)?;
        if key_exchange.is_empty() {
            return bad(format!("empty key_exchange for group {group}"));
        }
        groups.push(NamedGroup::new(group));
    }
    Ok(groups)
}

/// key_share in a ServerHello (a `KeyShareEntry`) or a HelloRetryRequest
/// (just the selected group).
fn ext_server_key_share(data: &[u8], hello_retry_request: bool) -> Res<NamedGroup> {
    let mut reader = Reader::new(data);
    let group = reader.u16()?;
    if hello_retry_request {
        reader.finish("selected_group")?;
    } else {
        let key_exchange = reader.vec(2)?;
        if key_exchange.is_empty() {
            return bad("empty key_exchange");
        }
        reader.finish("server_share")?;
    }
    Ok(NamedGroup::new(group))
}

/// pre_shared_key in a ClientHello: the number of `PskIdentity` entries.
fn ext_client_pre_shared_key(data: &[u8]) -> Res<usize> {
    let mut reader = Reader::new(data);
    let identities = reader.vec(2)?;
    let binders = reader.vec(2)?;
    reader.finish("binders")?;
    let mut list = Reader::new(identities);
    let mut count = 0usize;
    while !list.is_empty() {
        if list.vec(2)?.is_empty() {
            return bad("empty PSK identity");
        }
        list.u32()?;
        count = count.saturating_add(1);
    }
    if count == 0 {
        return bad("no PSK identities");
    }
    let mut list = Reader::new(binders);
    let mut binder_count = 0usize;
    while !list.is_empty() {
        if list.vec(1)?.len() < 32 {
            return bad("PSK binder shorter than 32 bytes");
        }
        binder_count = binder_count.saturating_add(1);
    }
    if binder_count == 0 {
        return bad("no PSK binders");
    }
    Ok(count)
}

/// A `DistinguishedName certificate_authorities<..>` list: the number of names.
fn count_distinguished_names(list: &[u8]) -> Res<usize> {
    let mut reader = Reader::new(list);
    let mut count = 0usize;
    while !reader.is_empty() {
        if reader.vec(2)?.is_empty() {
            return bad("empty distinguished name");
        }
        count = count.saturating_add(1);
    }
    Ok(count)
}

/// The extensions block after the fixed fields of a hello, given what
/// `tls-parser` made of it (`ext`) and what it left over (`rest`).
///
/// `tls-parser` reads the block as optional and silently skips it when its
/// length field overruns the message, so leftovers are re-read here to say
/// what is wrong (or, for SSL 3.0 ServerHellos, which it reads without
/// extensions, to pick the block up).
fn extensions_block<'a>(ext: Option<&'a [u8]>, rest: &'a [u8]) -> Res<Option<&'a [u8]>> {
    match ext {
        Some(block) if rest.is_empty() => Ok(Some(block)),
        Some(_) => bad(format!(
            "{} unexpected bytes after the extensions",
            rest.len()
        )),
        None if rest.is_empty() => Ok(None),
        None => {
            let mut reader = Reader::new(rest);
            let declared = reader.u16().map_err(|_| {
                Fail::Bad("1 stray byte where the extensions length belongs".into())
            })?;
            let block = reader.take(usize::from(declared)).map_err(|_| {
                Fail::Bad(format!(
                    "extensions block declares {declared} bytes but only {} follow",
                    rest.len().saturating_sub(2)
                ))
            })?;
            reader.finish("the extensions")?;
            Ok(Some(block))
        }
    }
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

/// The random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 4.1.3).
const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// `tls-parser` only says "predicate verification" about an overlong session id.
fn check_session_id_length(body: &[u8]) -> Res<()> {
    match body.get(34) {
        Some(&len) if len > 32 => bad(format!("session_id length {len} exceeds 32")),
        _ => Ok(()),
    }
}

fn decode_client_hello(body: &[u8]) -> Res<ClientHello> {
    check_session_id_length(body)?;
    let (rest, hello) =
        parse_tls_handshake_client_hello(body).map_err(|e| nom_fail(body, e, "fixed fields"))?;
    let block = extensions_block(hello.ext, rest)?;

    let mut view = ClientHello {
        legacy_version: hello.version.0,
        random: hex(hello.random),
        session_id: hex(hello.session_id.unwrap_or_default()),
        cipher_suites: hello
            .ciphers
            .iter()
            .map(|c| CipherSuite::new(c.0))
            .collect(),
        compression_methods: hello.comp.iter().map(|c| c.0).collect(),
        sni: None,
        alpn: Vec::new(),
        supported_versions: Vec::new(),
        supported_groups: Vec::new(),
        key_share_groups: Vec::new(),
        signature_algorithms: Vec::new(),
        session_ticket: None,
        psk_identities: 0,
        extensions: Vec::new(),
    };
    for ext in split_extensions(block.unwrap_or_default())? {
        view.extensions.push(ext.ty);
        let data = ext.data;
        match ext.ty {
            EXT_SERVER_NAME => {
                view.sni = ext_server_name(data).map_err(|f| f.in_extension("server_name"))?;
            }
            EXT_SUPPORTED_GROUPS => {
                view.supported_groups =
                    ext_supported_groups(data).map_err(|f| f.in_extension("supported_groups"))?;
            }
            EXT_SIGNATURE_ALGORITHMS => {
                view.signature_algorithms = ext_signature_algorithms(data)
                    .map_err(|f| f.in_extension("signature_algorithms"))?;
            }
            EXT_ALPN => {
                view.alpn = ext_alpn(data)
                    .map_err(|f| f.in_extension("application_layer_protocol_negotiation"))?;
            }
            EXT_SESSION_TICKET => view.session_ticket = Some(data.len()),
            EXT_PRE_SHARED_KEY => {
                view.psk_identities = ext_client_pre_shared_key(data)
                    .map_err(|f| f.in_extension("pre_shared_key"))?;
            }
            EXT_SUPPORTED_VERSIONS => {
                view.supported_versions = ext_client_supported_versions(data)
                    .map_err(|f| f.in_extension("supported_versions"))?;
            }
            EXT_KEY_SHARE => {
                view.key_share_groups =
                    ext_client_key_share(data).map_err(|f| f.in_extension("key_share"))?;
            }
            _ => {}
        }
    }
    Ok(view)
}

fn decode_server_hello(body: &[u8]) -> Res<ServerHello> {
    if let Some(version) = body.get(..2).map(be16) {
        if !(0x0300..=0x0303).contains(&version) {
            return bad(format!("unsupported legacy_version 0x{version:04x}"));
        }
    }
    check_session_id_length(body)?;
    let (rest, hello) =
        parse_tls_handshake_server_hello(body).map_err(|e| nom_fail(body, e, "fixed fields"))?;
    let block = extensions_block(hello.ext, rest)?;
    let hello_retry_request = hello.random == HELLO_RETRY_REQUEST_RANDOM;

    let mut view = ServerHello {
        legacy_version: hello.version.0,
        random: hex(hello.random),
        session_id: hex(hello.session_id.unwrap_or_default()),
        cipher_suite: CipherSuite::new(hello.cipher.0),
        selected_version: None,
        key_share_group: None,
        alpn: None,
        hello_retry_request,
        extensions: Vec::new(),
    };
    for ext in split_extensions(block.unwrap_or_default())? {
        view.extensions.push(ext.ty);
        let data = ext.data;
        match ext.ty {
            EXT_SUPPORTED_VERSIONS => {
                if data.len() != 2 {
                    return bad(format!(
                        "supported_versions extension: {} bytes where selected_version takes 2",
                        data.len()
                    ));
                }
                view.selected_version = Some(be16(data));
            }
            EXT_KEY_SHARE => {
                view.key_share_group = Some(
                    ext_server_key_share(data, hello_retry_request)
                        .map_err(|f| f.in_extension("key_share"))?,
                );
            }
            EXT_ALPN => {
                let names = ext_alpn(data)
                    .map_err(|f| f.in_extension("application_layer_protocol_negotiation"))?;
                let mut names = names.into_iter();
                view.alpn = names.next();
                if names.next().is_some() {
                    return bad(
                        "application_layer_protocol_negotiation extension: more than one protocol selected",
                    );
                }
            }
            _ => {}
        }
    }
    Ok(view)
}

fn decode_certificate(body: &[u8], tls13: bool) -> Res<Certificate> {
    let mut reader = Reader::new(body);
    let context = if tls13 { reader.vec(1)? } else { &[] };
    let list = reader.vec(3)?;
    reader.finish("certificate_list")?;

    let mut view = Certificate {
        request_context: hex(context),
        subjects: Vec::new(),
        issuers: Vec::new(),
        der_lengths: Vec::new(),
    };
    let mut entries = Reader::new(list);
    while !entries.is_empty() {
        let der = entries.vec(3)?;
        if der.is_empty() {
            return bad("empty certificate entry");
        }
        if tls13 {
            let extensions = entries.vec(2)?;
            split_extensions(extensions).map_err(|f| f.in_extension("certificate entry"))?;
        }
        let (subject, issuer) = match X509::from_der(der) {
            Ok(cert) => (
                format_name(cert.subject_name()),
                format_name(cert.issuer_name()),
            ),
            Err(_) => {
                let placeholder = format!("<unparseable certificate: {} bytes>", der.len());
                (placeholder.clone(), placeholder)
            }
        };
        view.subjects.push(subject);
        view.issuers.push(issuer);
        view.der_lengths.push(der.len());
    }
    Ok(view)
}

fn decode_certificate_request(body: &[u8], tls13: bool) -> Res<CertificateRequest> {
    if tls13 {
        return decode_certificate_request_tls13(body);
    }
    // TLS 1.2 carries supported_signature_algorithms; TLS 1.0 and 1.1 do not,
    // and nothing in the message says which one it is.
    match decode_certificate_request_tls12(body, true) {
        Ok(view) => Ok(view),
        Err(err) => decode_certificate_request_tls12(body, false).map_err(|_| err),
    }
}

fn decode_certificate_request_tls12(body: &[u8], with_sigalgs: bool) -> Res<CertificateRequest> {
    let mut reader = Reader::new(body);
    let types = reader.vec(1)?;
    let signature_algorithms = if with_sigalgs {
        let list = reader.vec(2)?;
        u16_list(list, "supported_signature_algorithms")?
            .into_iter()
            .map(SignatureScheme::new)
            .collect()
    } else {
        Vec::new()
    };
    let authorities = reader.vec(2)?;
    reader.finish("certificate_authorities")?;
    Ok(CertificateRequest {
        certificate_types: types.to_vec(),
        signature_algorithms,
        certificate_authorities: count_distinguished_names(authorities)?,
        request_context: String::new(),
    })
}

fn decode_certificate_request_tls13(body: &[u8]) -> Res<CertificateRequest> {
    let mut reader = Reader::new(body);
    let context = reader.vec(1)?;
    let block = reader.vec(2)?;
    reader.finish("the extensions")?;
    let mut view = CertificateRequest {
        certificate_types: Vec::new(),
        signature_algorithms: Vec::new(),
        certificate_authorities: 0,
        request_context: hex(context),
    };
    for ext in split_extensions(block)? {
        match ext.ty {
            EXT_SIGNATURE_ALGORITHMS => {
                view.signature_algorithms = ext_signature_algorithms(ext.data)
                    .map_err(|f| f.in_extension("signature_algorithms"))?;
            }
            EXT_CERTIFICATE_AUTHORITIES => {
                let mut ext_reader = Reader::new(ext.data);
                let list = ext_reader
                    .vec(2)
                    .map_err(|f| f.in_extension("certificate_authorities"))?;
                ext_reader
                    .finish("authorities")
                    .map_err(|f| f.in_extension("certificate_authorities"))?;
                view.certificate_authorities = count_distinguished_names(list)
                    .map_err(|f| f.in_extension("certificate_authorities"))?;
            }
            _ => {}
        }
    }
    Ok(view)
}

fn decode_new_session_ticket(body: &[u8], tls13: bool) -> Res<NewSessionTicket> {
    let mut reader = Reader::new(body);
    let lifetime_hint_secs = reader.u32()?;
    if !tls13 {
        // RFC 5077 3.3; an empty ticket means the server chose not to issue one.
        let ticket = reader.vec(2)?;
        reader.finish("ticket")?;
        return Ok(NewSessionTicket {
            lifetime_hint_secs,
            age_add: None,
            nonce: None,
            ticket_len: ticket.len(),
            early_data_max: None,
        });
    }
    let age_add = reader.u32()?;
    let nonce = reader.vec(1)?;
    let ticket = reader.vec(2)?;
    if ticket.is_empty() {
        return bad("empty ticket");
    }
    let block = reader.vec(2)?;
    reader.finish("the extensions")?;
    let mut early_data_max = None;
    for ext in split_extensions(block)? {
        if ext.ty == EXT_EARLY_DATA {
            if ext.data.len() != 4 {
                return bad(format!(
                    "early_data extension: {} bytes where max_early_data_size takes 4",
                    ext.data.len()
                ));
            }
            early_data_max = Some(be(ext.data));
        }
    }
    Ok(NewSessionTicket {
        lifetime_hint_secs,
        age_add: Some(age_add),
        nonce: Some(hex(nonce)),
        ticket_len: ticket.len(),
        early_data_max,
    })
}

/// Decodes one handshake message as delivered by OpenSSL's message callback
/// (content type 22): a 1-byte type, a 3-byte length and the body.
///
/// `tls13` is true when the message belongs to a TLS 1.3 handshake (the
/// callback's `version` is 0x0304); it picks the TLS 1.3 layouts of
/// Certificate, CertificateRequest and NewSessionTicket.
///
/// Types other than ClientHello, ServerHello, Certificate, CertificateRequest,
/// NewSessionTicket and Finished decode to [`Body::Other`] once the header is
/// checked.
///
/// # Errors
///
/// [`DecodeError::Truncated`] when the input is shorter than the header or a
/// field runs past the end of its enclosing structure,
/// [`DecodeError::LengthMismatch`] when the header's length is not the number
/// of bytes after it, and [`DecodeError::Malformed`] for any other departure
/// from the message's layout (the reason names the field or extension).
pub fn decode_handshake(msg: &[u8], tls13: bool) -> Result<HandshakeMessage, DecodeError> {
    let handshake_type = msg.first().map(|&b| HandshakeType(b));
    let (Some(handshake_type), Some(length), Some(body)) =
        (handshake_type, msg.get(1..4).map(be), msg.get(4..))
    else {
        return Err(DecodeError::Truncated {
            message: handshake_type,
            needed: 4,
            have: msg.len(),
        });
    };
    if usize::try_from(length).ok() != Some(body.len()) {
        return Err(DecodeError::LengthMismatch {
            message: handshake_type,
            declared: length,
            actual: body.len(),
        });
    }
    let decoded = match handshake_type {
        HandshakeType::CLIENT_HELLO => decode_client_hello(body).map(Body::ClientHello),
        HandshakeType::SERVER_HELLO => decode_server_hello(body).map(Body::ServerHello),
        HandshakeType::CERTIFICATE => decode_certificate(body, tls13).map(Body::Certificate),
        HandshakeType::CERTIFICATE_REQUEST => {
            decode_certificate_request(body, tls13).map(Body::CertificateRequest)
        }
        HandshakeType::NEW_SESSION_TICKET => {
            decode_new_session_ticket(body, tls13).map(Body::NewSessionTicket)
        }
        HandshakeType::FINISHED => Ok(Body::Finished(Finished {
            verify_data_len: body.len(),
        })),
        _ => Ok(Body::Other),
    };
    let body = decoded.map_err(|f| f.into_error(handshake_type))?;
    Ok(HandshakeMessage {
        handshake_type,
        length,
        body,
    })
}

// ---------------------------------------------------------------------------
// Distinguished names
// ---------------------------------------------------------------------------

/// One AttributeTypeAndValue as encoded in a Name.
struct EncodedAttribute<'a> {
    /// Index of the RelativeDistinguishedName (SET) holding it.
    rdn: usize,
    /// The value's tag byte.
    tag: u8,
    /// The value's content octets.
    content: &'a [u8],
    /// The value's whole encoding (tag, length and content).
    encoding: &'a [u8],
}

struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    encoding: &'a [u8],
}

/// One DER element with a single-byte tag and a definite length.
fn read_tlv<'a>(reader: &mut Reader<'a>) -> Option<Tlv<'a>> {
    let start = reader.pos;
    let tag = reader.u8().ok()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = reader.u8().ok()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        usize::try_from(reader.uint(n).ok()?).ok()?
    };
    let content = reader.take(len).ok()?;
    let encoding = reader.buf.get(start..reader.pos)?;
    Some(Tlv {
        tag,
        content,
        encoding,
    })
}

/// The attributes of a DER-encoded Name, in order, with their RDN index.
fn encoded_attributes(der: &[u8]) -> Option<Vec<EncodedAttribute<'_>>> {
    let mut top = Reader::new(der);
    let name = read_tlv(&mut top)?;
    if name.tag != 0x30 || !top.is_empty() {
        return None;
    }
    let mut rdns = Reader::new(name.content);
    let mut out = Vec::new();
    let mut rdn = 0usize;
    while !rdns.is_empty() {
        let set = read_tlv(&mut rdns)?;
        if set.tag != 0x31 {
            return None;
        }
        let mut attributes = Reader::new(set.content);
        while !attributes.is_empty() {
            let attribute = read_tlv(&mut attributes)?;
            if attribute.tag != 0x30 {
                return None;
            }
            let mut parts = Reader::new(attribute.content);
            let oid = read_tlv(&mut parts)?;
            let value = read_tlv(&mut parts)?;
            if oid.tag != 0x06 || !parts.is_empty() {
                return None;
            }
            out.push(EncodedAttribute {
                rdn,
                tag: value.tag,
                content: value.content,
                encoding: value.encoding,
            });
        }
        rdn = rdn.saturating_add(1);
    }
    Some(out)
}

/// Formats a name the way OpenSSL 3's `openssl x509 -subject` does by default
/// (`-nameopt oneline`), without the `subject=` prefix:
/// `C = US, O = Example, CN = localhost`.
///
/// Fields use short names (dotted OIDs when unknown), ` = ` and `, `, and
/// ` + ` between the parts of a multi-valued RDN. Values are converted to
/// UTF-8; bytes outside printable ASCII are written `\XX`, `"` and `\` are
/// backslash-escaped, and a value with `,+;<>`, a leading space or `#`, or a
/// trailing space is put in double quotes. Values of non-string types are
/// dumped as `#` and the hex of their DER encoding.
pub(crate) fn format_name(name: &X509NameRef) -> String {
    let der = name.to_der().ok();
    let entries: Vec<_> = name.entries().collect();
    let encoded = der
        .as_deref()
        .and_then(encoded_attributes)
        .filter(|attributes| attributes.len() == entries.len());

    let mut out = String::new();
    let mut previous_rdn = None;
    for (i, entry) in entries.iter().enumerate() {
        let attribute = encoded.as_ref().and_then(|list| list.get(i));
        let rdn = attribute.map(|a| a.rdn);
        if i > 0 {
            let same_rdn = rdn.is_some() && rdn == previous_rdn;
            out.push_str(if same_rdn { " + " } else { ", " });
        }
        previous_rdn = rdn;
        out.push_str(&field_name(entry.object()));
        out.push_str(" = ");
        match attribute {
            Some(a) => push_value(&mut out, a.tag, a.content, a.encoding),
            None => push_escaped(&mut out, entry.data().as_slice()),
        }
    }
    out
}

fn field_name(object: &Asn1ObjectRef) -> String {
    let nid = object.nid();
    if nid != Nid::UNDEF {
        if let Ok(short) = nid.short_name() {
            return short.to_owned();
        }
    }
    object.to_string()
}

/// Appends one attribute value, converting it to UTF-8 from its string type.
fn push_value(out: &mut String, tag: u8, content: &[u8], encoding: &[u8]) {
    let utf8 = match tag {
        // UTF8String: the bytes as they are.
        0x0c => Some(content.to_vec()),
        // NumericString, PrintableString, T61String, IA5String, UTCTime,
        // GeneralizedTime, VisibleString: one byte per character.
        0x12 | 0x13 | 0x14 | 0x16 | 0x17 | 0x18 | 0x1a => {
            code_points_to_utf8(content.iter().map(|&b| u32::from(b)))
        }
        // UniversalString: four bytes per character.
        0x1c if content.len() % 4 == 0 => code_points_to_utf8(content.chunks_exact(4).map(be)),
        // BMPString: two bytes per character.
        0x1e if content.len() % 2 == 0 => code_points_to_utf8(content.chunks_exact(2).map(be)),
        _ => None,
    };
    match utf8 {
        Some(bytes) => push_escaped(out, &bytes),
        None => {
            out.push('#');
            for &b in encoding {
                let _ = write!(out, "{b:02X}");
            }
        }
    }
}

fn code_points_to_utf8(chars: impl Iterator<Item = u32>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for c in chars {
        // Truncating casts below keep exactly the bits each UTF-8 byte carries.
        match c {
            0..=0x7f => out.push(c as u8),
            0x80..=0x7ff => {
                out.extend_from_slice(&[0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8])
            }
            0xd800..=0xdfff => return None,
            0x800..=0xffff => out.extend_from_slice(&[
                0xe0 | (c >> 12) as u8,
                0x80 | ((c >> 6) & 0x3f) as u8,
                0x80 | (c & 0x3f) as u8,
            ]),
            0x1_0000..=0x10_ffff => out.extend_from_slice(&[
                0xf0 | (c >> 18) as u8,
                0x80 | ((c >> 12) & 0x3f) as u8,
                0x80 | ((c >> 6) & 0x3f) as u8,
                0x80 | (c & 0x3f) as u8,
            ]),
            _ => return None,
        }
    }
    Some(out)
}

/// Appends UTF-8 bytes with the escaping of OpenSSL's `oneline` name format.
fn push_escaped(out: &mut String, bytes: &[u8]) {
    let mut quote = false;
    let mut value = String::with_capacity(bytes.len());
    let last = bytes.len().saturating_sub(1);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' | b'\\' => {
                value.push('\\');
                value.push(char::from(b));
            }
            b',' | b'+' | b';' | b'<' | b'>' => {
                quote = true;
                value.push(char::from(b));
            }
            // OpenSSL applies the "last character" rule instead of the "first
            // character" one to a one-character value, so a lone '#' stays bare.
            b' ' if i == 0 || i == last => {
                quote = true;
                value.push(' ');
            }
            b'#' if i == 0 && i != last => {
                quote = true;
                value.push('#');
            }
            0x20..=0x7e => value.push(char::from(b)),
            _ => {
                let _ = write!(value, "\\{b:02X}");
            }
        }
    }
    if quote {
        out.push('"');
        out.push_str(&value);
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::ssl::{
        select_next_proto, AlpnError, ErrorCode, Ssl, SslContext, SslMethod, SslStream,
        SslVerifyMode, SslVersion,
    };
    use openssl::x509::{X509Builder, X509Name, X509NameBuilder, X509NameRef};
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::io::{self, Read, Write};
    use std::rc::Rc;

    // ----- in-memory handshakes -------------------------------------------

    type Queue = Rc<RefCell<VecDeque<u8>>>;
    type Log = Rc<RefCell<Vec<u8>>>;

    /// One end of an in-memory connection; everything it writes is also logged.
    struct End {
        incoming: Queue,
        outgoing: Queue,
        log: Log,
    }

    impl Read for End {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut queue = self.incoming.borrow_mut();
            if queue.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(queue.len());
            for (slot, byte) in buf.iter_mut().zip(queue.drain(..n)) {
                *slot = byte;
            }
            Ok(n)
        }
    }

    impl Write for End {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.outgoing.borrow_mut().extend(buf.iter().copied());
            self.log.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The handshake messages each side sent in plaintext records.
    struct Transcript {
        client: Vec<Vec<u8>>,
        server: Vec<Vec<u8>>,
    }

    fn step(result: Result<(), openssl::ssl::Error>) -> bool {
        match result {
            Ok(()) => true,
            Err(e) if e.code() == ErrorCode::WANT_READ => false,
            Err(e) => panic!("handshake failed: {e}"),
        }
    }

    fn run_handshake(client_ctx: &SslContext, server_ctx: &SslContext) -> Transcript {
        let to_server: Queue = Rc::default();
        let to_client: Queue = Rc::default();
        let client_log: Log = Rc::default();
        let server_log: Log = Rc::default();
        let mut client_ssl = Ssl::new(client_ctx).unwrap();
        client_ssl.set_hostname("example.test").unwrap();
        let client_end = End {
            incoming: to_client.clone(),
            outgoing: to_server.clone(),
            log: client_log.clone(),
        };
        let server_end = End {
            incoming: to_server,
            outgoing: to_client,
            log: server_log.clone(),
        };
        let mut client = SslStream::new(client_ssl, client_end).unwrap();
        let mut server = SslStream::new(Ssl::new(server_ctx).unwrap(), server_end).unwrap();
        let (mut client_done, mut server_done) = (false, false);
        for _ in 0..20 {
            if !client_done {
                client_done = step(client.connect());
            }
            if !server_done {
                server_done = step(server.accept());
            }
            if client_done && server_done {
                break;
            }
        }
        assert!(client_done && server_done, "handshake did not finish");
        let tls12 = client.ssl().version2() == Some(SslVersion::TLS1_2);
        let client_wire = client_log.borrow().clone();
        let server_wire = server_log.borrow().clone();
        Transcript {
            client: plaintext_handshake_messages(&client_wire, tls12),
            server: plaintext_handshake_messages(&server_wire, tls12),
        }
    }

    /// Reassembles the handshake messages of the plaintext records on a wire.
    /// TLS 1.3 encrypts under content type 23, so every type-22 record is
    /// plaintext there; TLS 1.2 goes on encrypting under type 22 after
    /// ChangeCipherSpec, so a TLS 1.2 stream is cut at its CCS.
    fn plaintext_handshake_messages(wire: &[u8], tls12: bool) -> Vec<Vec<u8>> {
        let mut stream = Vec::new();
        let mut rest = wire;
        while rest.len() >= 5 {
            let content_type = rest[0];
            let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            let fragment = &rest[5..5 + len];
            rest = &rest[5 + len..];
            match content_type {
                20 if tls12 => break,
                22 => stream.extend_from_slice(fragment),
                _ => {}
            }
        }
        let mut messages = Vec::new();
        let mut rest = &stream[..];
        while rest.len() >= 4 {
            let n = 4 + be(&rest[1..4]) as usize;
            messages.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        messages
    }

    fn make_cert(subject: &[(&str, &str)]) -> (X509, PKey<Private>) {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        for (field, value) in subject {
            name.append_entry_by_text(field, value).unwrap();
        }
        let name = name.build();
        let mut builder = X509Builder::new().unwrap();
        builder.set_version(2).unwrap();
        let serial = BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap();
        builder.set_serial_number(&serial).unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(&name).unwrap();
        builder.set_pubkey(&key).unwrap();
        builder
            .set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        builder
            .set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        builder.sign(&key, MessageDigest::sha256()).unwrap();
        (builder.build(), key)
    }

    fn localhost_cert() -> (X509, PKey<Private>) {
        make_cert(&[("C", "US"), ("O", "Example"), ("CN", "localhost")])
    }

    fn client_ctx(max: Option<SslVersion>, groups: Option<&str>) -> SslContext {
        let mut builder = SslContext::builder(SslMethod::tls_client()).unwrap();
        builder.set_verify(SslVerifyMode::NONE);
        builder.set_alpn_protos(b"\x02h2\x08http/1.1").unwrap();
        builder.set_max_proto_version(max).unwrap();
        if let Some(groups) = groups {
            builder.set_groups_list(groups).unwrap();
        }
        builder.build()
    }

    fn server_ctx(
        cert: &X509,
        key: &PKey<Private>,
        groups: Option<&str>,
        request_client_cert: bool,
    ) -> SslContext {
        let mut builder = SslContext::builder(SslMethod::tls_server()).unwrap();
        builder.set_certificate(cert).unwrap();
        builder.set_private_key(key).unwrap();
        builder.set_alpn_select_callback(|_, offered| {
            select_next_proto(b"\x08http/1.1", offered).ok_or(AlpnError::NOACK)
        });
        if request_client_cert {
            builder.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
        }
        if let Some(groups) = groups {
            builder.set_groups_list(groups).unwrap();
        }
        builder.build()
    }

    fn wrap(handshake_type: u8, body: &[u8]) -> Vec<u8> {
        let len = u32::try_from(body.len()).unwrap().to_be_bytes();
        let mut msg = vec![handshake_type, len[1], len[2], len[3]];
        msg.extend_from_slice(body);
        msg
    }

    fn vec_prefixed(len_bytes: usize, content: &[u8]) -> Vec<u8> {
        let len = u32::try_from(content.len()).unwrap().to_be_bytes();
        let mut out = len[4 - len_bytes..].to_vec();
        out.extend_from_slice(content);
        out
    }

    fn ext(ty: u16, data: &[u8]) -> Vec<u8> {
        let mut out = ty.to_be_bytes().to_vec();
        out.extend(vec_prefixed(2, data));
        out
    }

    fn client_hello(msg: &[u8]) -> ClientHello {
        match decode_handshake(msg, false).unwrap().body {
            Body::ClientHello(hello) => hello,
            other => panic!("not a ClientHello: {other:?}"),
        }
    }

    fn server_hello(msg: &[u8]) -> ServerHello {
        match decode_handshake(msg, true).unwrap().body {
            Body::ServerHello(hello) => hello,
            other => panic!("not a ServerHello: {other:?}"),
        }
    }

    fn names<T: fmt::Display>(items: &[T]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }

    fn tls13_transcript() -> Transcript {
        let (cert, key) = localhost_cert();
        run_handshake(
            &client_ctx(None, None),
            &server_ctx(&cert, &key, None, false),
        )
    }

    // ----- ClientHello / ServerHello from real handshakes ----------------

    #[test]
    fn client_hello_from_openssl() {
        let transcript = tls13_transcript();
        let msg = &transcript.client[0];
        let decoded = decode_handshake(msg, false).unwrap();
        assert_eq!(decoded.handshake_type, HandshakeType::CLIENT_HELLO);
        assert_eq!(decoded.length as usize, msg.len() - 4);
        let hello = client_hello(msg);

        assert_eq!(hello.sni.as_deref(), Some("example.test"));
        assert_eq!(hello.alpn, vec!["h2".to_owned(), "http/1.1".to_owned()]);
        assert!(hello.supported_versions.contains(&0x0304));
        assert!(hello.supported_versions.contains(&0x0303));
        assert!(names(&hello.key_share_groups).contains(&"x25519".to_owned()));
        assert!(names(&hello.supported_groups).contains(&"secp256r1".to_owned()));
        let suites = names(&hello.cipher_suites);
        assert!(suites.contains(&"TLS_AES_128_GCM_SHA256".to_owned()));
        assert!(suites.contains(&"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_owned()));
        let sigalgs = names(&hello.signature_algorithms);
        for expected in ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "ed25519"] {
            assert!(
                sigalgs.contains(&expected.to_owned()),
                "{expected} in {sigalgs:?}"
            );
        }
        assert_eq!(hello.legacy_version, 0x0303);
        assert_eq!(hello.random.len(), 64);
        assert_eq!(
            hello.session_id.len(),
            64,
            "TLS 1.3 compatibility session id"
        );
        assert_eq!(hello.compression_methods, vec![0]);
        assert_eq!(hello.session_ticket, Some(0));
        assert_eq!(hello.psk_identities, 0);
        for ty in [0, 10, 13, 16, 43, 51] {
            assert!(hello.extensions.contains(&ty), "extension {ty}");
        }
        let unique: HashSet<_> = hello.extensions.iter().collect();
        assert_eq!(unique.len(), hello.extensions.len());

        let json = serde_json::to_string(&decoded).unwrap();
        let back: HandshakeMessage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, decoded);
    }

    #[test]
    fn tls13_server_hello_from_openssl() {
        let transcript = tls13_transcript();
        assert_eq!(
            transcript.server.len(),
            1,
            "only the ServerHello is plaintext"
        );
        let hello = server_hello(&transcript.server[0]);
        assert_eq!(hello.legacy_version, 0x0303);
        assert_eq!(hello.selected_version, Some(0x0304));
        // The server answers one of the client's key shares (x25519 on
        // OpenSSL 3.0, a hybrid ML-KEM group on 3.5 and later).
        let offered = client_hello(&transcript.client[0]).key_share_groups;
        let chosen = hello.key_share_group.clone().expect("a key share");
        assert!(offered.contains(&chosen), "{chosen:?} not in {offered:?}");
        assert!(hello
            .cipher_suite
            .name
            .as_deref()
            .unwrap()
            .starts_with("TLS_"));
        assert!(!hello.hello_retry_request);
        assert_eq!(
            hello.alpn, None,
            "TLS 1.3 sends ALPN in EncryptedExtensions"
        );
        assert_eq!(hello.session_id.len(), 64);
        assert!(hello.extensions.contains(&43) && hello.extensions.contains(&51));
    }

    #[test]
    fn hello_retry_request_from_openssl() {
        assert_eq!(
            openssl::sha::sha256(b"HelloRetryRequest"),
            HELLO_RETRY_REQUEST_RANDOM
        );
        let (cert, key) = localhost_cert();
        let transcript = run_handshake(
            &client_ctx(None, Some("X25519:P-256")),
            &server_ctx(&cert, &key, Some("P-256"), false),
        );
        assert_eq!(transcript.server.len(), 2);
        let retry = server_hello(&transcript.server[0]);
        assert!(retry.hello_retry_request);
        assert_eq!(retry.random, hex(&HELLO_RETRY_REQUEST_RANDOM));
        assert_eq!(retry.selected_version, Some(0x0304));
        assert_eq!(retry.key_share_group, Some(NamedGroup::new(23)));
        assert_eq!(
            retry.key_share_group.unwrap().name.as_deref(),
            Some("secp256r1")
        );
        let hello = server_hello(&transcript.server[1]);
        assert!(!hello.hello_retry_request);
        assert_eq!(hello.key_share_group, Some(NamedGroup::new(23)));

        assert_eq!(transcript.client.len(), 2);
        let first = client_hello(&transcript.client[0]);
        let second = client_hello(&transcript.client[1]);
        assert_eq!(names(&first.key_share_groups), vec!["x25519".to_owned()]);
        assert_eq!(
            names(&second.key_share_groups),
            vec!["secp256r1".to_owned()]
        );
        assert_eq!(first.random, second.random);
        assert_eq!(first.session_id, second.session_id);
    }

    #[test]
    fn tls12_handshake_from_openssl() {
        let (cert, key) = localhost_cert();
        let transcript = run_handshake(
            &client_ctx(Some(SslVersion::TLS1_2), None),
            &server_ctx(&cert, &key, None, true),
        );
        let server: Vec<_> = transcript
            .server
            .iter()
            .map(|m| decode_handshake(m, false).unwrap())
            .collect();
        let types: Vec<_> = server
            .iter()
            .map(|m| m.handshake_type.to_string())
            .collect();
        assert_eq!(
            types,
            [
                "ServerHello",
                "Certificate",
                "ServerKeyExchange",
                "CertificateRequest",
                "ServerHelloDone",
                "NewSessionTicket"
            ]
        );

        let Body::ServerHello(hello) = &server[0].body else {
            panic!("{:?}", server[0])
        };
        assert_eq!(hello.legacy_version, 0x0303);
        assert_eq!(hello.selected_version, None);
        assert_eq!(hello.alpn.as_deref(), Some("http/1.1"));
        assert!(hello
            .cipher_suite
            .name
            .as_deref()
            .unwrap()
            .starts_with("TLS_ECDHE_ECDSA_WITH_"));

        let Body::Certificate(certificate) = &server[1].body else {
            panic!("{:?}", server[1])
        };
        assert_eq!(certificate.request_context, "");
        assert_eq!(
            certificate.subjects,
            ["C = US, O = Example, CN = localhost"]
        );
        assert_eq!(certificate.issuers, certificate.subjects);
        assert_eq!(certificate.der_lengths, [cert.to_der().unwrap().len()]);

        assert_eq!(server[2].body, Body::Other);

        let Body::CertificateRequest(request) = &server[3].body else {
            panic!("{:?}", server[3])
        };
        assert!(request.certificate_types.contains(&64), "ecdsa_sign");
        assert!(names(&request.signature_algorithms).contains(&"ecdsa_secp256r1_sha256".into()));
        assert_eq!(request.certificate_authorities, 0);
        assert_eq!(request.request_context, "");

        let Body::NewSessionTicket(ticket) = &server[5].body else {
            panic!("{:?}", server[5])
        };
        assert!(ticket.ticket_len > 0);
        assert!(ticket.lifetime_hint_secs > 0);
        assert_eq!((ticket.age_add, ticket.nonce.as_deref()), (None, None));

        let client: Vec<_> = transcript
            .client
            .iter()
            .map(|m| decode_handshake(m, false).unwrap())
            .collect();
        let types: Vec<_> = client
            .iter()
            .map(|m| m.handshake_type.to_string())
            .collect();
        assert_eq!(types, ["ClientHello", "Certificate", "ClientKeyExchange"]);
        let Body::ClientHello(hello) = &client[0].body else {
            panic!("{:?}", client[0])
        };
        assert!(!hello.supported_versions.contains(&0x0304));
        assert!(hello.key_share_groups.is_empty());
        let Body::Certificate(empty) = &client[1].body else {
            panic!("{:?}", client[1])
        };
        assert!(empty.subjects.is_empty() && empty.der_lengths.is_empty());
        assert_eq!(client[2].body, Body::Other);
    }

    // ----- assembled TLS 1.3 layouts --------------------------------------

    #[test]
    fn tls13_certificate_layout() {
        let (cert, _) = localhost_cert();
        let der = cert.to_der().unwrap();
        let mut entries = vec_prefixed(3, &der);
        entries.extend(vec_prefixed(2, &ext(5, &[1, 2, 3])));
        entries.extend(vec_prefixed(3, b"not a certificate"));
        entries.extend(vec_prefixed(2, &[]));
        let mut body = vec_prefixed(1, &[0xab, 0xcd]);
        body.extend(vec_prefixed(3, &entries));
        let msg = wrap(11, &body);

        let decoded = decode_handshake(&msg, true).unwrap();
        let Body::Certificate(view) = decoded.body else {
            panic!("{decoded:?}")
        };
        assert_eq!(view.request_context, "abcd");
        assert_eq!(
            view.subjects,
            [
                "C = US, O = Example, CN = localhost",
                "<unparseable certificate: 17 bytes>"
            ]
        );
        assert_eq!(view.issuers, view.subjects);
        assert_eq!(view.der_lengths, [der.len(), 17]);

        // The same bytes are not a TLS 1.2 Certificate.
        assert!(decode_handshake(&msg, false).is_err());
        // An entry without its extensions field is cut short.
        let mut body = vec_prefixed(1, &[]);
        body.extend(vec_prefixed(3, &vec_prefixed(3, &der)));
        assert!(matches!(
            decode_handshake(&wrap(11, &body), true),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn tls13_certificate_request_layout() {
        let (cert, _) = localhost_cert();
        let dn = cert.subject_name().to_der().unwrap();
        let mut extensions = ext(13, &vec_prefixed(2, &[0x04, 0x03, 0x08, 0x04, 0x0a, 0x0a]));
        let authorities = [vec_prefixed(2, &dn), vec_prefixed(2, &dn)].concat();
        extensions.extend(ext(47, &vec_prefixed(2, &authorities)));
        let mut body = vec_prefixed(1, &[7]);
        body.extend(vec_prefixed(2, &extensions));

        let decoded = decode_handshake(&wrap(13, &body), true).unwrap();
        let Body::CertificateRequest(view) = decoded.body else {
            panic!("{decoded:?}")
        };
        assert_eq!(view.request_context, "07");
        assert_eq!(
            names(&view.signature_algorithms),
            ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "GREASE"]
        );
        assert_eq!(view.certificate_authorities, 2);
        assert!(view.certificate_types.is_empty());
    }

    #[test]
    fn tls13_new_session_ticket_layout() {
        let mut body = 7200u32.to_be_bytes().to_vec();
        body.extend(0x0102_0304u32.to_be_bytes());
        body.extend(vec_prefixed(1, &[0, 1]));
        body.extend(vec_prefixed(2, &[0x55; 10]));
        body.extend(vec_prefixed(2, &ext(42, &16384u32.to_be_bytes())));

        let decoded = decode_handshake(&wrap(4, &body), true).unwrap();
        assert_eq!(
            decoded.body,
            Body::NewSessionTicket(NewSessionTicket {
                lifetime_hint_secs: 7200,
                age_add: Some(0x0102_0304),
                nonce: Some("0001".into()),
                ticket_len: 10,
                early_data_max: Some(16384),
            })
        );
        // Read as RFC 5077, age_add's first bytes become an overlong ticket length.
        assert!(matches!(
            decode_handshake(&wrap(4, &body), false),
            Err(DecodeError::Truncated {
                needed: 264,
                have: 33,
                ..
            })
        ));
    }

    #[test]
    fn finished_keeps_only_the_length() {
        let verify_data = [0x5a; 12];
        let decoded = decode_handshake(&wrap(20, &verify_data), true).unwrap();
        assert_eq!(
            decoded.body,
            Body::Finished(Finished {
                verify_data_len: 12
            })
        );
        let json = serde_json::to_string(&decoded).unwrap();
        assert!(!json.contains("5a5a") && !json.contains("90"), "{json}");
        assert!(!format!("{decoded:?}").contains("5a"));
    }

    // ----- header handling ------------------------------------------------

    #[test]
    fn every_prefix_of_a_client_hello_is_an_error() {
        let transcript = tls13_transcript();
        let msg = &transcript.client[0];
        let body_len = msg.len() - 4;
        for n in 0..msg.len() {
            let err = decode_handshake(&msg[..n], false).unwrap_err();
            if n < 4 {
                assert_eq!(
                    err,
                    DecodeError::Truncated {
                        message: (n > 0).then_some(HandshakeType::CLIENT_HELLO),
                        needed: 4,
                        have: n
                    }
                );
            } else {
                assert_eq!(
                    err,
                    DecodeError::LengthMismatch {
                        message: HandshakeType::CLIENT_HELLO,
                        declared: body_len as u32,
                        actual: n - 4
                    }
                );
            }
        }
        // With the header patched to match, a cut body still fails, except
        // when the cut falls exactly where the optional extensions begin.
        let mut decoded_ok = 0;
        for n in 4..msg.len() {
            let mut cut = wrap(1, &msg[4..n]);
            cut[0] = 1;
            match decode_handshake(&cut, false) {
                Ok(m) => {
                    let Body::ClientHello(hello) = m.body else {
                        panic!()
                    };
                    assert!(hello.extensions.is_empty());
                    decoded_ok += 1;
                }
                Err(e) => assert_eq!(e.handshake_type(), Some(HandshakeType::CLIENT_HELLO)),
            }
        }
        assert_eq!(decoded_ok, 1);
    }

    #[test]
    fn wrong_length_field_is_a_length_mismatch() {
        let transcript = tls13_transcript();
        let msg = transcript.client[0].clone();
        let actual = msg.len() - 4;
        for declared in [actual - 1, actual + 1, 0, 0xff_ffff] {
            let mut patched = msg.clone();
            patched[1..4].copy_from_slice(&u32::try_from(declared).unwrap().to_be_bytes()[1..]);
            let err = decode_handshake(&patched, false).unwrap_err();
            assert_eq!(
                err,
                DecodeError::LengthMismatch {
                    message: HandshakeType::CLIENT_HELLO,
                    declared: declared as u32,
                    actual
                }
            );
            assert_eq!(
                err.to_string(),
                format!(
                    "ClientHello declares a {declared}-byte body but {actual} bytes follow the header"
                )
            );
        }
    }

    #[test]
    fn unknown_and_undecoded_types_are_other() {
        let decoded = decode_handshake(&[99, 0, 0, 3, 1, 2, 3], false).unwrap();
        assert_eq!(decoded.handshake_type, HandshakeType(99));
        assert_eq!(decoded.length, 3);
        assert_eq!(decoded.body, Body::Other);
        assert_eq!(decoded.handshake_type.to_string(), "Unknown(99)");
        assert_eq!(format!("{:?}", HandshakeType(99)), "Unknown(99)");
        assert_eq!(HandshakeType(99).name(), None);
        assert_eq!(serde_json::to_string(&HandshakeType(99)).unwrap(), "99");

        for ty in [0u8, 5, 8, 12, 14, 15, 16, 24, 25] {
            let decoded = decode_handshake(&wrap(ty, &[0xde, 0xad]), true).unwrap();
            assert_eq!(decoded.body, Body::Other);
        }
        let err = decode_handshake(&[99, 0, 0, 3, 1], false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "handshake message of unknown type 99 declares a 3-byte body but 1 bytes follow the header"
        );
        assert_eq!(
            decode_handshake(&[], false).unwrap_err().to_string(),
            "handshake message is truncated: 4 bytes are needed but only 0 are present"
        );
    }

    #[test]
    fn handshake_type_names() {
        let expected = [
            (HandshakeType::HELLO_REQUEST, "HelloRequest"),
            (HandshakeType::CLIENT_HELLO, "ClientHello"),
            (HandshakeType::SERVER_HELLO, "ServerHello"),
            (HandshakeType::HELLO_VERIFY_REQUEST, "HelloVerifyRequest"),
            (HandshakeType::NEW_SESSION_TICKET, "NewSessionTicket"),
            (HandshakeType::END_OF_EARLY_DATA, "EndOfEarlyData"),
            (HandshakeType::ENCRYPTED_EXTENSIONS, "EncryptedExtensions"),
            (HandshakeType::CERTIFICATE, "Certificate"),
            (HandshakeType::SERVER_KEY_EXCHANGE, "ServerKeyExchange"),
            (HandshakeType::CERTIFICATE_REQUEST, "CertificateRequest"),
            (HandshakeType::SERVER_HELLO_DONE, "ServerHelloDone"),
            (HandshakeType::CERTIFICATE_VERIFY, "CertificateVerify"),
            (HandshakeType::CLIENT_KEY_EXCHANGE, "ClientKeyExchange"),
            (HandshakeType::FINISHED, "Finished"),
            (HandshakeType::CERTIFICATE_URL, "CertificateUrl"),
            (HandshakeType::CERTIFICATE_STATUS, "CertificateStatus"),
            (HandshakeType::SUPPLEMENTAL_DATA, "SupplementalData"),
            (HandshakeType::KEY_UPDATE, "KeyUpdate"),
            (
                HandshakeType::COMPRESSED_CERTIFICATE,
                "CompressedCertificate",
            ),
            (HandshakeType::MESSAGE_HASH, "MessageHash"),
        ];
        for (ty, name) in expected {
            assert_eq!(ty.name(), Some(name));
            assert_eq!(format!("{ty} {ty:?}"), format!("{name} {name}"));
        }
        let named = (0..=255u8)
            .filter(|&b| HandshakeType(b).name().is_some())
            .count();
        assert_eq!(named, expected.len());
    }

    #[test]
    fn registry_names() {
        assert_eq!(
            CipherSuite::new(0x1301).name.as_deref(),
            Some("TLS_AES_128_GCM_SHA256")
        );
        assert_eq!(
            CipherSuite::new(0xc02f).name.as_deref(),
            Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        );
        assert_eq!(CipherSuite::new(0x3a3a).name.as_deref(), Some("GREASE"));
        assert_eq!(CipherSuite::new(0x3a4a).name, None);
        assert_eq!(NamedGroup::new(29).to_string(), "x25519");
        assert_eq!(NamedGroup::new(0x0104).to_string(), "ffdhe8192");
        assert_eq!(NamedGroup::new(0x11ec).to_string(), "X25519MLKEM768");
        assert_eq!(NamedGroup::new(0xfafa).to_string(), "GREASE");
        assert_eq!(NamedGroup::new(0x1234).to_string(), "0x1234");
        assert_eq!(SignatureScheme::new(0x0201).to_string(), "rsa_pkcs1_sha1");
        assert_eq!(SignatureScheme::new(0x0303).to_string(), "ecdsa_sha224");
        assert_eq!(SignatureScheme::new(0x0807).to_string(), "ed25519");
        assert_eq!(SignatureScheme::new(0x0a0a).to_string(), "GREASE");
    }

    // ----- hostile input ---------------------------------------------------

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut msg = Vec::new();
        for _ in 0..10_000 {
            let len = rng.below(200);
            msg.clear();
            msg.extend((0..len).map(|_| rng.next() as u8));
            let fix_length = rng.below(4) != 0;
            for ty in 0..=255u8 {
                if let Some(first) = msg.first_mut() {
                    *first = ty;
                }
                if fix_length && len >= 4 {
                    let body_len = (len as u32 - 4).to_be_bytes();
                    msg[1..4].copy_from_slice(&body_len[1..]);
                }
                for tls13 in [false, true] {
                    let _ = decode_handshake(&msg, tls13);
                }
            }
        }
    }

    #[test]
    fn mutated_real_messages_never_panic() {
        let (cert, key) = localhost_cert();
        let tls12 = run_handshake(
            &client_ctx(Some(SslVersion::TLS1_2), None),
            &server_ctx(&cert, &key, None, true),
        );
        let retry = run_handshake(
            &client_ctx(None, Some("X25519:P-256")),
            &server_ctx(&cert, &key, Some("P-256"), false),
        );
        let mut corpus: Vec<Vec<u8>> = Vec::new();
        corpus.extend(tls12.client);
        corpus.extend(tls12.server);
        corpus.extend(retry.client);
        corpus.extend(retry.server);
        let der = cert.to_der().unwrap();
        let mut entry = vec_prefixed(3, &der);
        entry.extend(vec_prefixed(2, &[]));
        let mut body = vec_prefixed(1, &[]);
        body.extend(vec_prefixed(3, &entry));
        corpus.push(wrap(11, &body));

        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut decoded = 0usize;
        for i in 0..10_000 {
            let mut msg = corpus[i % corpus.len()].clone();
            for _ in 0..=rng.below(3) {
                match rng.below(4) {
                    0 if !msg.is_empty() => {
                        let at = rng.below(msg.len());
                        msg[at] ^= 1 << rng.below(8);
                    }
                    1 if !msg.is_empty() => {
                        let at = rng.below(msg.len());
                        msg[at] = rng.next() as u8;
                    }
                    2 => {
                        let at = rng.below(msg.len() + 1);
                        msg.truncate(at);
                    }
                    _ => {
                        let at = rng.below(msg.len() + 1);
                        msg.insert(at, rng.next() as u8);
                    }
                }
            }
            if msg.len() >= 4 && rng.below(10) != 0 {
                let body_len = (msg.len() as u32 - 4).to_be_bytes();
                msg[1..4].copy_from_slice(&body_len[1..]);
            }
            for tls13 in [false, true] {
                if let Ok(m) = decode_handshake(&msg, tls13) {
                    decoded += 1;
                    serde_json::to_string(&m).unwrap();
                }
            }
        }
        assert!(decoded > 0);
    }

    #[test]
    fn malformed_extensions_are_rejected_with_a_reason() {
        let transcript = tls13_transcript();
        let body = &transcript.client[0][4..];

        // A second server_name appended to a real ClientHello.
        let mut dup = body.to_vec();
        let sni = ext(0, &{
            let mut list = vec![0u8];
            list.extend(vec_prefixed(2, b"a.test"));
            vec_prefixed(2, &list)
        });
        append_extension(&mut dup, &sni);
        let err = decode_handshake(&wrap(1, &dup), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ClientHello is malformed: extension 0 appears more than once"
        );

        // Unknown extensions are only framed, never interpreted.
        let mut unknown = body.to_vec();
        append_extension(&mut unknown, &ext(0xfe00, &[0, 3, 5, b'h', b'2']));
        assert!(decode_handshake(&wrap(1, &unknown), false).is_ok());

        // A protocol name overrunning the ALPN list: tls-parser returns an
        // empty list without complaint, the byte count catches it.
        let hello = hello_with_extensions(&ext(16, &[0, 3, 5, b'h', b'2']));
        let err = decode_handshake(&hello, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ClientHello is malformed: application_layer_protocol_negotiation extension: \
             list items cover 2 of its 5 bytes"
        );

        let hello = hello_with_extensions(&ext(10, &[0, 3, 0, 29, 0]));
        let err = decode_handshake(&hello, false).unwrap_err();
        assert!(err.to_string().contains("supported_groups"), "{err}");

        let hello = hello_with_extensions(&ext(16, &[0, 4, 5, b'h', b'2', b'x']));
        let err = decode_handshake(&hello, false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ClientHello is malformed: application_layer_protocol_negotiation"),
            "{err}"
        );

        let hello = hello_with_extensions(&ext(13, &[0, 3, 4, 3, 8]));
        assert!(decode_handshake(&hello, false).is_err());

        let hello = hello_with_extensions(&ext(43, &[3, 3, 4, 9]));
        assert!(decode_handshake(&hello, false).is_err());
        let hello = hello_with_extensions(&ext(43, &[2, 3, 4]));
        assert_eq!(client_hello(&hello).supported_versions, [0x0304]);
        let hello = hello_with_extensions(&ext(43, &[2, 3, 4, 9]));
        assert!(decode_handshake(&hello, false).is_err());

        let hello = hello_with_extensions(&ext(51, &[0, 6, 0, 29, 0, 3, 1, 2]));
        let err = decode_handshake(&hello, false).unwrap_err();
        assert!(
            err.to_string().contains("key_share extension is truncated"),
            "{err}"
        );

        // Extensions block length larger than what is left.
        let mut overrun = hello_with_extensions(&ext(23, &[]));
        let last = overrun.len() - 5;
        overrun[last] = 9;
        assert!(decode_handshake(&overrun, false).is_err());

        // A well-formed PSK extension counts identities.
        let mut identities = vec_prefixed(2, b"ticket-1");
        identities.extend(1u32.to_be_bytes());
        identities.extend(vec_prefixed(2, b"ticket-2"));
        identities.extend(2u32.to_be_bytes());
        let binders = [vec_prefixed(1, &[1; 32]), vec_prefixed(1, &[2; 32])].concat();
        let psk = [vec_prefixed(2, &identities), vec_prefixed(2, &binders)].concat();
        let hello = hello_with_extensions(&[ext(0x2a2a, &[]), ext(41, &psk)].concat());
        let view = client_hello(&hello);
        assert_eq!(view.psk_identities, 2);
        assert_eq!(view.extensions, [0x2a2a, 41]);
    }

    /// A minimal ClientHello with the given extensions block contents.
    fn hello_with_extensions(extensions: &[u8]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend([0x11; 32]);
        body.push(0);
        body.extend(vec_prefixed(2, &[0x13, 0x01]));
        body.extend(vec_prefixed(1, &[0]));
        body.extend(vec_prefixed(2, extensions));
        wrap(1, &body)
    }

    /// Appends an extension to the ClientHello body `body` (whose last field
    /// is the extensions block), fixing the block length.
    fn append_extension(body: &mut Vec<u8>, extension: &[u8]) {
        let hello = ClientHelloLayout::of(body);
        let block_len = be16(&body[hello.block_at..hello.block_at + 2]) as usize + extension.len();
        body[hello.block_at..hello.block_at + 2]
            .copy_from_slice(&u16::try_from(block_len).unwrap().to_be_bytes());
        body.extend_from_slice(extension);
    }

    struct ClientHelloLayout {
        block_at: usize,
    }

    impl ClientHelloLayout {
        fn of(body: &[u8]) -> Self {
            let mut at = 2 + 32;
            at += 1 + usize::from(body[at]);
            at += 2 + be16(&body[at..at + 2]) as usize;
            at += 1 + usize::from(body[at]);
            Self { block_at: at }
        }
    }

    // ----- distinguished names ---------------------------------------------

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n @ 0..=0x7f => out.push(n as u8),
            n @ 0x80..=0xff => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
    const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
    const OID_UID: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01];

    fn atv(oid: &[u8], value: Vec<u8>) -> Vec<u8> {
        tlv(0x30, &[tlv(0x06, oid), value].concat())
    }

    fn name_from_rdns(rdns: &[Vec<Vec<u8>>]) -> X509Name {
        let sets: Vec<u8> = rdns
            .iter()
            .flat_map(|attributes| tlv(0x31, &attributes.concat()))
            .collect();
        X509Name::from_der(&tlv(0x30, &sets)).unwrap()
    }

    fn built_name(entries: &[(&str, &str)]) -> X509Name {
        let mut builder = X509NameBuilder::new().unwrap();
        for (field, value) in entries {
            builder.append_entry_by_text(field, value).unwrap();
        }
        builder.build()
    }

    fn formatted(name: &X509NameRef) -> String {
        format_name(name)
    }

    #[test]
    fn name_format_matches_openssl_oneline() {
        // Expected strings are what `openssl x509 -noout -subject` (OpenSSL 3)
        // prints for the same names, without "subject=".
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("C", "US"), ("O", "Example"), ("CN", "localhost")],
                "C = US, O = Example, CN = localhost",
            ),
            (
                &[
                    ("C", "US"),
                    ("O", "Ex, \"Inc\""),
                    ("CN", "h\u{e9}llo"),
                    ("emailAddress", "a@b.c"),
                    ("L", "#hash"),
                    ("ST", "trail "),
                ],
                "C = US, O = \"Ex, \\\"Inc\\\"\", CN = h\\C3\\A9llo, emailAddress = a@b.c, L = \"#hash\", ST = \"trail \"",
            ),
            (
                &[("CN", "a\"b"), ("O", "x\\y"), ("OU", "a#b"), ("L", "#")],
                "CN = a\\\"b, O = x\\\\y, OU = a#b, L = #",
            ),
            (
                &[("CN", "a+b"), ("O", " x"), ("OU", " "), ("L", "a;b<c>d")],
                "CN = \"a+b\", O = \" x\", OU = \" \", L = \"a;b<c>d\"",
            ),
            (
                &[("CN", "tab\there\u{7f}"), ("O", "a,\"b\\c")],
                "CN = tab\\09here\\7F, O = \"a,\\\"b\\\\c\"",
            ),
            (&[], ""),
        ];
        for (entries, expected) in cases {
            assert_eq!(formatted(&built_name(entries)), *expected);
        }
    }

    #[test]
    fn name_format_of_multi_valued_rdns_and_odd_types() {
        let utf8 = |s: &str| tlv(0x0c, s.as_bytes());
        let name = name_from_rdns(&[
            vec![atv(OID_CN, utf8("a")), atv(OID_UID, utf8("b"))],
            vec![atv(OID_O, utf8("z"))],
        ]);
        assert_eq!(formatted(&name), "CN = a + UID = b, O = z");

        let name = name_from_rdns(&[
            // BMPString "Āb", T61String "é" (Latin-1), UniversalString "😀".
            vec![atv(OID_CN, tlv(0x1e, &[0x01, 0x00, 0x00, 0x62]))],
            vec![atv(OID_O, tlv(0x14, &[0xe9]))],
            vec![atv(OID_CN, tlv(0x1c, &[0x00, 0x01, 0xf6, 0x00]))],
            // An unregistered attribute type and a non-string value.
            vec![atv(&[0x2a, 0x03, 0x04], utf8("foo"))],
            vec![atv(OID_CN, tlv(0x30, &[]))],
        ]);
        assert_eq!(
            formatted(&name),
            "CN = \\C4\\80b, O = \\C3\\A9, CN = \\F0\\9F\\98\\80, 1.2.3.4 = foo, CN = #3000"
        );
    }
}
