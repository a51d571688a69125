//! ClientHello and ServerHello (including HelloRetryRequest).

use serde::{Deserialize, Serialize};
use tls_parser::{parse_tls_handshake_client_hello, parse_tls_handshake_server_hello};

use super::error::{bad, nom_fail, Res};
use super::extensions::*;
use super::names::{CipherSuite, NamedGroup, SignatureScheme};
use super::reader::{be16, hex};

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

pub(super) fn decode_client_hello(body: &[u8]) -> Res<ClientHello> {
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

pub(super) fn decode_server_hello(body: &[u8]) -> Res<ServerHello> {
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
