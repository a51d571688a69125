//! ClientHello and ServerHello (including HelloRetryRequest).

use serde::{Deserialize, Serialize};
use tls_parser::{parse_tls_handshake_client_hello, parse_tls_handshake_server_hello};

use super::certificate::ext_certificate_authorities;
use super::client_extensions::*;
use super::ech::{ext_encrypted_client_hello, EncryptedClientHello, EXT_ENCRYPTED_CLIENT_HELLO};
use super::error::{bad, nom_fail, Res};
use super::extensions::*;
use super::names::{CipherSuite, NamedGroup, SignatureScheme};
use super::problems::ExtensionProblem;
use super::reader::{be16, hex, Reader};
use super::DecodeContext;
use crate::version::ProtocolVersion;

/// The parts of a ClientHello worth recording.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// The signature_algorithms_cert extension (RFC 8446 section 4.2.3:
    /// the schemes the client accepts in certificates, when they differ
    /// from `signature_algorithms`), in order; absent in JSON when not
    /// sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature_algorithms_cert: Vec<SignatureScheme>,
    /// The certificate_authorities extension (RFC 8446 section 4.2.4: the
    /// CAs whose certificates the client trusts), each formatted like
    /// [`Certificate::subjects`](super::Certificate::subjects); absent in
    /// JSON when not sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_authorities: Vec<String>,
    /// Length of the session_ticket extension data, when the extension is present.
    pub session_ticket: Option<usize>,
    /// Number of identities in the pre_shared_key extension; 0 when absent.
    pub psk_identities: usize,
    /// The length of each PSK identity (a ticket, only measured).
    pub psk_identity_lengths: Vec<usize>,
    /// The length of each PSK binder (a MAC, only measured).
    pub psk_binder_lengths: Vec<usize>,
    /// The obfuscated_ticket_age of each PSK identity, in the order of
    /// `psk_identity_lengths` (absent in JSON when no PSK was offered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub psk_obfuscated_ticket_ages: Vec<u32>,
    /// The length of each key share's key_exchange, in the order of
    /// `key_share_groups`.
    pub key_share_lengths: Vec<usize>,
    /// The psk_key_exchange_modes extension (0 psk_ke, 1 psk_dhe_ke).
    pub psk_key_exchange_modes: Vec<u8>,
    /// Whether the early_data extension was sent.
    pub early_data: bool,
    /// The status_request extension (RFC 6066), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_request: Option<StatusRequest>,
    /// The status_request_v2 extension (RFC 6961), each request in
    /// order (`status_type` 2 is ocsp_multi); absent in JSON when not
    /// sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_request_v2: Vec<StatusRequest>,
    /// The compress_certificate extension's algorithms (RFC 8879: 1 zlib,
    /// 2 brotli, 3 zstd), in order; absent in JSON when not sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compress_certificate: Vec<u16>,
    /// The application_settings extension (ALPS, draft-vvv-tls-alps,
    /// under either code point): the protocols for which the client
    /// offers to exchange settings in the handshake (Chromium: h2),
    /// escaped like `sni`; absent in JSON when not sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub application_settings: Vec<String>,
    /// The encrypted_client_hello extension (a real one or GREASE, which
    /// look alike), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_client_hello: Option<EncryptedClientHello>,
    /// The record_size_limit extension (RFC 8449), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_size_limit: Option<u16>,
    /// Length of the padding extension (RFC 7685), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub padding_len: Option<usize>,
    /// Length of the cookie in the cookie extension (RFC 8446 4.2.2; a
    /// ClientHello after a HelloRetryRequest echoes it), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_len: Option<usize>,
    /// Whether the (empty) post_handshake_auth extension was sent (absent
    /// in JSON when not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub post_handshake_auth: bool,
    /// The extensions both hellos share.
    #[serde(flatten)]
    pub common: HelloExtensions,
    /// Every extension type, in the order sent.
    pub extensions: Vec<u16>,
}

/// The contents of the TLS 1.2-era extensions that either hello may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HelloExtensions {
    /// The ec_point_formats extension (0 uncompressed, 1 and 2 the
    /// ANSI X9.62 compressed forms), when present.
    pub ec_point_formats: Option<Vec<u8>>,
    /// The renegotiation_info extension's renegotiated_connection in
    /// lowercase hex (empty on an initial handshake), when present.
    pub renegotiation_info: Option<String>,
    /// Whether the (empty) extended_master_secret extension was sent.
    pub extended_master_secret: bool,
    /// Whether the (empty) encrypt_then_mac extension was sent.
    pub encrypt_then_mac: bool,
    /// The max_fragment_length code (RFC 6066 section 4: 1 = 2^9 bytes
    /// ... 4 = 2^12), asked for by a client and echoed by a TLS 1.2
    /// server, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fragment_length: Option<u8>,
}

impl HelloExtensions {
    /// Reads the extensions `block` holds, in order: their types, the
    /// shared ones each hello records alike, and the rest handed to
    /// `own`, which reads those its hello records. An extension that is
    /// repeated or does not read is recorded in `problems` and left out.
    fn read(
        block: Option<&[u8]>,
        problems: &mut Vec<ExtensionProblem>,
        mut own: impl FnMut(&Extension<'_>) -> Res<()>,
    ) -> Res<(Vec<u16>, HelloExtensions)> {
        let mut common = HelloExtensions::default();
        let types = read_each(block.unwrap_or_default(), problems, |ext| {
            if !common.take(ext)? {
                own(ext)?;
            }
            Ok(())
        })?;
        Ok((types, common))
    }

    /// Reads `ext` into `self` when it is one of these; returns whether it was.
    fn take(&mut self, ext: &Extension<'_>) -> Res<bool> {
        match ext.ty {
            EXT_EC_POINT_FORMATS => {
                self.ec_point_formats = Some(
                    ext_ec_point_formats(ext.data)
                        .map_err(|f| f.in_extension("ec_point_formats"))?,
                );
            }
            EXT_RENEGOTIATION_INFO => {
                self.renegotiation_info = Some(
                    ext_renegotiation_info(ext.data)
                        .map_err(|f| f.in_extension("renegotiation_info"))?,
                );
            }
            EXT_EXTENDED_MASTER_SECRET => {
                ext_empty(ext.data).map_err(|f| f.in_extension("extended_master_secret"))?;
                self.extended_master_secret = true;
            }
            EXT_ENCRYPT_THEN_MAC => {
                ext_empty(ext.data).map_err(|f| f.in_extension("encrypt_then_mac"))?;
                self.encrypt_then_mac = true;
            }
            EXT_MAX_FRAGMENT_LENGTH => {
                self.max_fragment_length = Some(ext_max_fragment_length(ext.data)?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The parts of a ServerHello (or HelloRetryRequest) worth recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// True when the random is the HelloRetryRequest value of RFC 8446
    /// 4.1.3 and legacy_version is TLS 1.2's, except where the client
    /// offered no TLS 1.3 (the message's version is known and below it),
    /// as OpenSSL's client reads a ServerHello then.
    pub hello_retry_request: bool,
    /// The selected compression method (0, null, in every version in use).
    pub compression_method: u8,
    /// Length of the server's key share (absent in a HelloRetryRequest).
    pub key_share_len: Option<usize>,
    /// The selected_identity of the pre_shared_key extension (TLS 1.3
    /// resumption), when present.
    pub pre_shared_key: Option<u16>,
    /// Whether the server acknowledged server_name with an empty extension.
    pub server_name_ack: bool,
    /// Whether a TLS 1.2 server acknowledged session_ticket with an empty
    /// extension: it will send a NewSessionTicket (RFC 5077 section 3.2).
    /// Absent in JSON when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub session_ticket_ack: bool,
    /// Whether a TLS 1.2 server acknowledged status_request with an empty
    /// extension: it will send a CertificateStatus (RFC 6066 section 8).
    /// Absent in JSON when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub status_request_ack: bool,
    /// Length of the cookie in the cookie extension (RFC 8446 4.2.2: a
    /// HelloRetryRequest may carry one for the client to echo), when
    /// present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie_len: Option<usize>,
    /// The extensions both hellos share.
    #[serde(flatten)]
    pub common: HelloExtensions,
    /// Every extension type, in the order sent.
    pub extensions: Vec<u16>,
}

/// The random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 4.1.3).
pub(super) const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// `tls-parser` only says "predicate verification" about an overlong session id.
pub(super) fn check_session_id_length(body: &[u8]) -> Res<()> {
    match body.get(34) {
        Some(&len) if len > 32 => bad(format!("session_id length {len} exceeds 32")),
        _ => Ok(()),
    }
}

/// An odd-length cipher_suites (two bytes a suite, RFC 8446 section
/// 4.1.2), named as such: `tls-parser` names only the combinator that
/// stopped on it. A list that runs past the body is left to it
/// (truncated).
fn check_cipher_suites_length(body: &[u8]) -> Res<()> {
    let mut reader = Reader::new(body);
    // legacy_version and random, then legacy_session_id.
    let suites = reader
        .take(34)
        .and_then(|_| reader.vec(1))
        .and_then(|_| reader.vec(2));
    match suites {
        Ok(suites) if !suites.len().is_multiple_of(2) => bad(format!(
            "cipher_suites has an odd length ({})",
            suites.len()
        )),
        _ => Ok(()),
    }
}

pub(super) fn decode_client_hello(
    body: &[u8],
    problems: &mut Vec<ExtensionProblem>,
) -> Res<ClientHello> {
    check_session_id_length(body)?;
    check_cipher_suites_length(body)?;
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
        ..ClientHello::default()
    };
    (view.extensions, view.common) = HelloExtensions::read(block, problems, |ext| {
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
            EXT_SIGNATURE_ALGORITHMS_CERT => {
                view.signature_algorithms_cert = ext_signature_algorithms(data)
                    .map_err(|f| f.in_extension("signature_algorithms_cert"))?;
            }
            EXT_CERTIFICATE_AUTHORITIES => {
                view.certificate_authorities = ext_certificate_authorities(data)?;
            }
            EXT_ALPN => {
                view.alpn = ext_alpn(data)
                    .map_err(|f| f.in_extension("application_layer_protocol_negotiation"))?;
            }
            EXT_SESSION_TICKET => view.session_ticket = Some(data.len()),
            EXT_PRE_SHARED_KEY => {
                let offer = ext_client_pre_shared_key(data)
                    .map_err(|f| f.in_extension("pre_shared_key"))?;
                view.psk_identities = offer.identity_lengths.len();
                view.psk_identity_lengths = offer.identity_lengths;
                view.psk_obfuscated_ticket_ages = offer.obfuscated_ticket_ages;
                view.psk_binder_lengths = offer.binder_lengths;
            }
            EXT_STATUS_REQUEST => {
                view.status_request =
                    Some(ext_status_request(data).map_err(|f| f.in_extension("status_request"))?);
            }
            EXT_STATUS_REQUEST_V2 => {
                view.status_request_v2 =
                    ext_status_request_v2(data).map_err(|f| f.in_extension("status_request_v2"))?;
            }
            // OpenSSL 3.0 ignores record_size_limit, a cookie unless it
            // verifies cookies, and post_handshake_auth below TLS 1.3, and
            // completes the handshake whatever their contents: a malformed
            // one is left unread (its type stays in `extensions`) rather
            // than costing the hello's other fields.
            EXT_RECORD_SIZE_LIMIT => view.record_size_limit = ext_record_size_limit(data).ok(),
            EXT_PADDING => view.padding_len = Some(ext_padding(data)),
            EXT_COMPRESS_CERTIFICATE => {
                view.compress_certificate = ext_compress_certificate(data)
                    .map_err(|f| f.in_extension("compress_certificate"))?;
            }
            EXT_COOKIE => view.cookie_len = ext_cookie(data).ok(),
            // Nor does it read ALPS (whose list is ALPN's) or ECH.
            EXT_APPLICATION_SETTINGS | EXT_APPLICATION_SETTINGS_OLD => {
                view.application_settings = ext_alpn(data).unwrap_or_default();
            }
            EXT_ENCRYPTED_CLIENT_HELLO => {
                view.encrypted_client_hello = ext_encrypted_client_hello(data).ok();
            }
            EXT_POST_HANDSHAKE_AUTH => {
                view.post_handshake_auth = true;
            }
            EXT_SUPPORTED_VERSIONS => {
                view.supported_versions = ext_client_supported_versions(data)
                    .map_err(|f| f.in_extension("supported_versions"))?;
            }
            EXT_KEY_SHARE => {
                let shares = ext_client_key_share(data).map_err(|f| f.in_extension("key_share"))?;
                (view.key_share_groups, view.key_share_lengths) = shares.into_iter().unzip();
            }
            EXT_PSK_KEY_EXCHANGE_MODES => {
                view.psk_key_exchange_modes = ext_psk_key_exchange_modes(data)
                    .map_err(|f| f.in_extension("psk_key_exchange_modes"))?;
            }
            EXT_EARLY_DATA => {
                ext_empty(data).map_err(|f| f.in_extension("early_data"))?;
                view.early_data = true;
            }
            _ => {}
        }
        Ok(())
    })?;
    // Its binders cover the hello up to them, so nothing may follow it.
    if let Some(at) = view
        .extensions
        .iter()
        .position(|&t| t == EXT_PRE_SHARED_KEY)
    {
        if at + 1 < view.extensions.len() {
            problems.push(ExtensionProblem::misplaced(
                EXT_PRE_SHARED_KEY,
                "pre_shared_key is not the last extension, where RFC 8446 section 4.2.11 \
                 requires it",
            ));
        }
    }
    Ok(view)
}

pub(super) fn decode_server_hello(
    body: &[u8],
    ctx: DecodeContext,
    problems: &mut Vec<ExtensionProblem>,
) -> Res<ServerHello> {
    if let Some(version) = body.get(..2).map(be16) {
        if !(0x0300..=0x0303).contains(&version) {
            return bad(format!("unsupported legacy_version 0x{version:04x}"));
        }
    }
    check_session_id_length(body)?;
    let (rest, hello) =
        parse_tls_handshake_server_hello(body).map_err(|e| nom_fail(body, e, "fixed fields"))?;
    let block = extensions_block(hello.ext, rest)?;
    // The random makes a HelloRetryRequest (RFC 8446 4.1.3), as tshark
    // reads it, but for a client that did not offer TLS 1.3: OpenSSL's then
    // reads a ServerHello. The message callback's version says which: it
    // is TLS 1.3 at the server's hello only where the client offered it.
    // OpenSSL's client also asks for TLS 1.2's legacy_version, which a
    // retry carries (RFC 8446 4.1.4).
    let hello_retry_request = hello.random == HELLO_RETRY_REQUEST_RANDOM
        && hello.version.0 == 0x0303
        && ctx.version.is_none_or(|v| v == ProtocolVersion::Tls1_3);

    let mut view = ServerHello {
        legacy_version: hello.version.0,
        random: hex(hello.random),
        session_id: hex(hello.session_id.unwrap_or_default()),
        cipher_suite: CipherSuite::new(hello.cipher.0),
        selected_version: None,
        key_share_group: None,
        alpn: None,
        hello_retry_request,
        compression_method: hello.compression.0,
        key_share_len: None,
        pre_shared_key: None,
        server_name_ack: false,
        session_ticket_ack: false,
        status_request_ack: false,
        cookie_len: None,
        common: HelloExtensions::default(),
        extensions: Vec::new(),
    };
    (view.extensions, view.common) = HelloExtensions::read(block, problems, |ext| {
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
                let (group, len) = ext_server_key_share(data, hello_retry_request)
                    .map_err(|f| f.in_extension("key_share"))?;
                view.key_share_group = Some(group);
                view.key_share_len = len;
            }
            EXT_ALPN => view.alpn = Some(ext_selected_alpn(data)?),
            EXT_PRE_SHARED_KEY => {
                view.pre_shared_key = Some(
                    ext_server_pre_shared_key(data)
                        .map_err(|f| f.in_extension("pre_shared_key"))?,
                );
            }
            EXT_SERVER_NAME => {
                ext_empty(data).map_err(|f| f.in_extension("server_name"))?;
                view.server_name_ack = true;
            }
            EXT_COOKIE => {
                view.cookie_len = Some(ext_cookie(data).map_err(|f| f.in_extension("cookie"))?);
            }
            EXT_SESSION_TICKET => {
                ext_empty(data).map_err(|f| f.in_extension("session_ticket"))?;
                view.session_ticket_ack = true;
            }
            EXT_STATUS_REQUEST => {
                ext_empty(data).map_err(|f| f.in_extension("status_request"))?;
                view.status_request_ack = true;
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(view)
}
