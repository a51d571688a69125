//! Extension framing and the contents of the extensions the views keep.

use std::collections::HashSet;

use tls_parser::{
    parse_tls_extension_alpn_content, parse_tls_extension_elliptic_curves_content,
    parse_tls_extension_signature_algorithms_content, parse_tls_extension_sni_content, SNIType,
    TlsExtension, TlsExtensionType,
};

use super::error::{bad, nom_fail, Fail, Res};
use super::names::{NamedGroup, SignatureScheme};
use super::problems::ExtensionProblem;
use super::reader::{escaped, hex, u16_list, Reader};

// The code points come from tls-parser's registry; match patterns need
// plain constants.
macro_rules! extension_types {
    ($($name:ident = $variant:ident;)*) => {
        $(pub(super) const $name: u16 = TlsExtensionType::$variant.0;)*
    };
}
extension_types! {
    EXT_SERVER_NAME = ServerName;
    EXT_STATUS_REQUEST = StatusRequest;
    EXT_STATUS_REQUEST_V2 = StatusRequestv2;
    EXT_PADDING = Padding;
    EXT_COOKIE = Cookie;
    EXT_POST_HANDSHAKE_AUTH = PostHandshakeAuth;
    EXT_MAX_FRAGMENT_LENGTH = MaxFragmentLength;
    EXT_SUPPORTED_GROUPS = SupportedGroups;
    EXT_EC_POINT_FORMATS = EcPointFormats;
    EXT_SIGNATURE_ALGORITHMS = SignatureAlgorithms;
    EXT_SIGNATURE_ALGORITHMS_CERT = SigAlgorithmsCert;
    EXT_ALPN = ApplicationLayerProtocolNegotiation;
    EXT_ENCRYPT_THEN_MAC = EncryptThenMac;
    EXT_EXTENDED_MASTER_SECRET = ExtendedMasterSecret;
    EXT_RECORD_SIZE_LIMIT = RecordSizeLimit;
    EXT_SESSION_TICKET = SessionTicketTLS;
    EXT_PRE_SHARED_KEY = PreSharedKey;
    EXT_EARLY_DATA = EarlyData;
    EXT_SUPPORTED_VERSIONS = SupportedVersions;
    EXT_PSK_KEY_EXCHANGE_MODES = PskExchangeModes;
    EXT_CERTIFICATE_AUTHORITIES = CertificateAuthorities;
    EXT_KEY_SHARE = KeyShare;
    EXT_RENEGOTIATION_INFO = RenegotiationInfo;
}

/// compress_certificate (RFC 8879), which tls-parser's registry lacks.
pub(super) const EXT_COMPRESS_CERTIFICATE: u16 = 27;

/// application_settings (ALPS, draft-vvv-tls-alps) under the code point
/// Chromium sends now, and under its first; neither is in IANA's
/// registry or tls-parser's.
pub(super) const EXT_APPLICATION_SETTINGS: u16 = 0x44cd;
pub(super) const EXT_APPLICATION_SETTINGS_OLD: u16 = 0x4469;

pub(super) struct Extension<'a> {
    pub(super) ty: u16,
    pub(super) data: &'a [u8],
    /// Whether an extension of this type came earlier in the block.
    pub(super) repeated: bool,
}

/// Splits an extensions block into its extensions, rejecting bad framing
/// (which leaves the rest of the block unreadable) and marking each
/// extension of a type seen before as `repeated`.
pub(super) fn split_extensions(block: &[u8]) -> Res<Vec<Extension<'_>>> {
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
        let repeated = !seen.insert(ty);
        out.push(Extension { ty, data, repeated });
    }
    Ok(out)
}

/// As [`split_extensions`], but refusing a repeated type (RFC 8446 4.2,
/// RFC 5246 7.4.1.4) as a whole-message failure, for the messages whose
/// extensions are not read one by one.
pub(super) fn split_unique_extensions(block: &[u8]) -> Res<Vec<Extension<'_>>> {
    let extensions = split_extensions(block)?;
    match extensions.iter().find(|e| e.repeated) {
        Some(e) => bad(ExtensionProblem::repeated(e.ty).to_string()),
        None => Ok(extensions),
    }
}

/// Reads each extension of `block` with `read`, in order, and returns
/// every type. Bad framing fails the whole message; a repeated extension
/// (left unread) or one `read` refuses is recorded in `problems`, and the
/// others are still read.
pub(super) fn read_each(
    block: &[u8],
    problems: &mut Vec<ExtensionProblem>,
    mut read: impl FnMut(&Extension<'_>) -> Res<()>,
) -> Res<Vec<u16>> {
    let mut types = Vec::new();
    for ext in split_extensions(block)? {
        types.push(ext.ty);
        if ext.repeated {
            problems.push(ExtensionProblem::repeated(ext.ty));
        } else if let Err(fail) = read(&ext) {
            problems.push(ExtensionProblem::malformed(ext.ty, fail));
        }
    }
    Ok(types)
}

/// Checks that a list decoded by `tls-parser` from `data` used every byte:
/// nothing after it (`rest`) and items adding up to the data (`used`).
pub(super) fn check_covers(data: &[u8], rest: &[u8], used: usize) -> Res<()> {
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
pub(super) fn ext_server_name(data: &[u8]) -> Res<Option<String>> {
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
    let mut host_names = names.iter().filter(|(kind, _)| *kind == SNIType::HostName);
    let first = host_names.next().map(|(_, name)| escaped(name));
    if host_names.next().is_some() {
        // OpenSSL refuses such a hello (decode_error), as it does any
        // list of more than one name.
        return bad("more than one host_name, where RFC 6066 section 3 allows one");
    }
    Ok(first)
}

/// application_layer_protocol_negotiation: the protocol names in order.
pub(super) fn ext_alpn(data: &[u8]) -> Res<Vec<String>> {
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

/// Checks that `data` is one non-empty `uint16 what<2..>` list and
/// nothing else, in the words of the other readers, before `tls-parser`
/// reads it (which names only the parser combinator that failed, and
/// takes an empty list). Both lists read this way, named_group_list and
/// supported_signature_algorithms, hold at least one value (RFC 8446
/// sections 4.2.7 and 4.2.3, RFC 5246 section 7.4.1.4.1); OpenSSL
/// refuses an empty one.
fn check_u16_list(data: &[u8], what: &str) -> Res<()> {
    let mut reader = Reader::new(data);
    let list = reader.vec(2)?;
    reader.finish(what)?;
    if list.is_empty() {
        return bad(format!("empty {what}"));
    }
    u16_list(list, what).map(drop)
}

/// supported_groups: the groups in order.
pub(super) fn ext_supported_groups(data: &[u8]) -> Res<Vec<NamedGroup>> {
    check_u16_list(data, "named_group_list")?;
    let (rest, ext) = parse_tls_extension_elliptic_curves_content(data)
        .map_err(|e| nom_fail(data, e, "named_group_list"))?;
    let TlsExtension::EllipticCurves(groups) = ext else {
        return bad("unexpected supported_groups content");
    };
    check_covers(data, rest, groups.len().saturating_mul(2).saturating_add(2))?;
    Ok(groups.iter().map(|g| NamedGroup::new(g.0)).collect())
}

/// signature_algorithms: the schemes in order.
pub(super) fn ext_signature_algorithms(data: &[u8]) -> Res<Vec<SignatureScheme>> {
    check_u16_list(data, "supported_signature_algorithms")?;
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
pub(super) fn ext_client_supported_versions(data: &[u8]) -> Res<Vec<u16>> {
    let mut reader = Reader::new(data);
    let list = reader.vec(1)?;
    reader.finish("the versions list")?;
    if list.is_empty() {
        return bad("empty versions list");
    }
    u16_list(list, "versions list")
}

/// key_share in a ClientHello: the group of each `KeyShareEntry`.
pub(super) fn ext_client_key_share(data: &[u8]) -> Res<Vec<(NamedGroup, usize)>> {
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
        groups.push((NamedGroup::new(group), key_exchange.len()));
    }
    Ok(groups)
}

/// key_share in a ServerHello (a `KeyShareEntry`) or a HelloRetryRequest
/// (just the selected group).
/// Returns the group and the key_exchange length (`None` in a HelloRetryRequest).
pub(super) fn ext_server_key_share(
    data: &[u8],
    hello_retry_request: bool,
) -> Res<(NamedGroup, Option<usize>)> {
    let mut reader = Reader::new(data);
    let group = reader.u16()?;
    let mut len = None;
    if hello_retry_request {
        reader.finish("selected_group")?;
    } else {
        let key_exchange = reader.vec(2)?;
        if key_exchange.is_empty() {
            return bad("empty key_exchange");
        }
        reader.finish("server_share")?;
        len = Some(key_exchange.len());
    }
    Ok((NamedGroup::new(group), len))
}

/// The extensions block after the fixed fields of a hello, given what
/// `tls-parser` made of it (`ext`) and what it left over (`rest`).
///
/// `tls-parser` reads the block as optional and silently skips it when its
/// length field overruns the message, so leftovers are re-read here to say
/// what is wrong (or, for SSL 3.0 ServerHellos, which it reads without
/// extensions, to pick the block up).
pub(super) fn extensions_block<'a>(ext: Option<&'a [u8]>, rest: &'a [u8]) -> Res<Option<&'a [u8]>> {
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

/// An extension whose presence is its whole content (extended_master_secret,
/// encrypt_then_mac, an acknowledging server_name, early_data in hellos,
/// post_handshake_auth).
pub(super) fn ext_empty(data: &[u8]) -> Res<()> {
    match data.len() {
        0 => Ok(()),
        n => bad(format!("{n} bytes where none belong")),
    }
}

/// ec_point_formats: `ECPointFormat ec_point_format_list<1..2^8-1>`.
pub(super) fn ext_ec_point_formats(data: &[u8]) -> Res<Vec<u8>> {
    byte_list(data, "the format list", "empty format list")
}

/// renegotiation_info: `opaque renegotiated_connection<0..255>`, in hex.
pub(super) fn ext_renegotiation_info(data: &[u8]) -> Res<String> {
    let mut reader = Reader::new(data);
    let connection = reader.vec(1)?;
    reader.finish("renegotiated_connection")?;
    Ok(hex(connection))
}

/// psk_key_exchange_modes: `PskKeyExchangeMode ke_modes<1..255>`.
pub(super) fn ext_psk_key_exchange_modes(data: &[u8]) -> Res<Vec<u8>> {
    byte_list(data, "ke_modes", "empty ke_modes")
}

/// The whole of `data` as one non-empty list of one-byte values with a
/// one-byte length, `field<1..255>`; `field` and `empty` name it in errors.
pub(super) fn byte_list(data: &[u8], field: &str, empty: &str) -> Res<Vec<u8>> {
    let mut reader = Reader::new(data);
    let list = reader.vec(1)?;
    reader.finish(field)?;
    if list.is_empty() {
        return bad(empty);
    }
    Ok(list.to_vec())
}

/// pre_shared_key in a ServerHello: `uint16 selected_identity`.
pub(super) fn ext_server_pre_shared_key(data: &[u8]) -> Res<u16> {
    let mut reader = Reader::new(data);
    let selected = reader.u16()?;
    reader.finish("selected_identity")?;
    Ok(selected)
}

/// ALPN in a ServerHello or EncryptedExtensions: exactly one protocol.
pub(super) fn ext_selected_alpn(data: &[u8]) -> Res<String> {
    let names =
        ext_alpn(data).map_err(|f| f.in_extension("application_layer_protocol_negotiation"))?;
    let mut names = names.into_iter();
    match (names.next(), names.next()) {
        (Some(name), None) => Ok(name),
        _ => {
            bad("application_layer_protocol_negotiation extension: more than one protocol selected")
        }
    }
}

/// max_fragment_length (RFC 6066 section 4): one byte, 1 to 4 for 2^9 to
/// 2^12 bytes; any other value is refused (OpenSSL: "ssl3 ext invalid
/// max fragment length").
pub(super) fn ext_max_fragment_length(data: &[u8]) -> Res<u8> {
    match data {
        [code @ 1..=4] => Ok(*code),
        [code] => bad(format!(
            "max_fragment_length extension: {code} is not one of the lengths RFC 6066 defines \
             (1 to 4)"
        )),
        _ => bad(format!(
            "max_fragment_length extension: {} bytes where it takes 1",
            data.len()
        )),
    }
}
