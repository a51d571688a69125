//! What tshark must show for the two hellos, read from our JSON.

use openssl::hash::{hash, MessageDigest};
use serde_json::Value;

use crate::expected::{alpn_fields, count, e, group_fields, hex_len, num, signature_fields, text};
use crate::fields::{Expect, Norm};

/// The fields both hellos carry.
fn common_fields(b: &Value) -> Vec<Expect> {
    let random = b["random"].as_str().unwrap_or_default();
    let session_id = &b["session_id"];
    let mut v = vec![
        e(
            "tls.handshake.version",
            Norm::Num,
            num(&b["legacy_version"]),
        ),
        e("tls.handshake.random", Norm::Hex, vec![random.to_owned()]),
        e(
            "tls.handshake.random_bytes",
            Norm::Hex,
            vec![random.get(8..).unwrap_or_default().to_owned()],
        ),
        e(
            "tls.handshake.session_id_length",
            Norm::Num,
            hex_len(session_id),
        ),
        e("tls.handshake.session_id", Norm::Hex, text(session_id)),
        e(
            "tls.handshake.extension.type",
            Norm::NumSet,
            num(&b["extensions"]),
        ),
        e(
            "tls.handshake.extensions_ec_point_format",
            Norm::Num,
            num(&b["ec_point_formats"]),
        ),
        e(
            "tls.handshake.extensions_ec_point_formats_length",
            Norm::Num,
            count(&b["ec_point_formats"], 1, 0),
        ),
        e(
            "tls.handshake.extensions_reneg_info_len",
            Norm::Num,
            hex_len(&b["renegotiation_info"]),
        ),
        e(
            "tls.handshake.extensions_reneg_info",
            Norm::Hex,
            text(&b["renegotiation_info"]),
        ),
    ];
    v.extend(alpn_fields(&b["alpn"]));
    v
}

/// JA3 leaves out GREASE values (RFC 8701).
fn not_grease(id: &str) -> bool {
    id.parse::<u16>()
        .map_or(true, |n| !(n & 0x0f0f == 0x0a0a && n >> 8 == n & 0xff))
}

fn ja3_list(v: &Value) -> String {
    num(v)
        .into_iter()
        .filter(|s| not_grease(s))
        .collect::<Vec<_>>()
        .join("-")
}

fn md5_hex(s: &str) -> String {
    hash(MessageDigest::md5(), s.as_bytes())
        .expect("md5")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// ClientHello (1) and ServerHello (2).
pub fn expected_hello(handshake_type: u8, b: &Value) -> Vec<Expect> {
    match handshake_type {
        1 => {
            let mut v = common_fields(b);
            let sni = text(&b["sni"]);
            let ja3 = format!(
                "{},{},{},{},{}",
                b["legacy_version"],
                ja3_list(&b["cipher_suites"]),
                ja3_list(&b["extensions"]),
                ja3_list(&b["supported_groups"]),
                ja3_list(&b["ec_point_formats"]),
            );
            let identities: Vec<u64> = b["psk_identity_lengths"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let binders: Vec<u64> = b["psk_binder_lengths"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let psk_totals = |lengths: &[u64], per_item: u64| {
                if lengths.is_empty() {
                    Vec::new()
                } else {
                    vec![lengths
                        .iter()
                        .map(|n| n + per_item)
                        .sum::<u64>()
                        .to_string()]
                }
            };
            v.extend([
                e(
                    "tls.handshake.extensions.psk.identity.identity_length",
                    Norm::Num,
                    num(&b["psk_identity_lengths"]),
                ),
                e(
                    "tls.handshake.extensions.psk.identities.length",
                    Norm::Num,
                    psk_totals(&identities, 2 + 4),
                ),
                e(
                    "tls.handshake.extensions.psk.binders_len",
                    Norm::Num,
                    psk_totals(&binders, 1),
                ),
            ]);
            let shares = b["key_share_lengths"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let shares_total: u64 = shares.iter().filter_map(Value::as_u64).map(|n| n + 4).sum();
            v.extend([
                e(
                    "tls.handshake.cipher_suites_length",
                    Norm::Num,
                    count(&b["cipher_suites"], 2, 0),
                ),
                e(
                    "tls.handshake.ciphersuite",
                    Norm::Num,
                    num(&b["cipher_suites"]),
                ),
                e(
                    "tls.handshake.comp_methods_length",
                    Norm::Num,
                    count(&b["compression_methods"], 1, 0),
                ),
                e(
                    "tls.handshake.comp_method",
                    Norm::Num,
                    num(&b["compression_methods"]),
                ),
                e(
                    "tls.handshake.extensions_server_name",
                    Norm::Str,
                    sni.clone(),
                ),
                e(
                    "tls.handshake.extensions_server_name_type",
                    Norm::Num,
                    sni.iter().map(|_| "0".into()).collect(),
                ),
                e(
                    "tls.handshake.extensions_server_name_len",
                    Norm::Num,
                    sni.iter().map(|s| s.len().to_string()).collect(),
                ),
                e(
                    "tls.handshake.extensions_server_name_list_len",
                    Norm::Num,
                    sni.iter().map(|s| (s.len() + 3).to_string()).collect(),
                ),
                e(
                    "tls.handshake.extensions.supported_version",
                    Norm::Num,
                    num(&b["supported_versions"]),
                ),
                e(
                    "tls.handshake.extensions.supported_versions_len",
                    Norm::Num,
                    count(&b["supported_versions"], 2, 0),
                ),
                e(
                    "tls.extension.psk_ke_mode",
                    Norm::Num,
                    num(&b["psk_key_exchange_modes"]),
                ),
                e(
                    "tls.extension.psk_ke_modes_length",
                    Norm::Num,
                    count(&b["psk_key_exchange_modes"], 1, 0),
                ),
                e(
                    "tls.handshake.extensions_key_share_group",
                    Norm::Num,
                    num(&b["key_share_groups"]),
                ),
                e(
                    "tls.handshake.extensions_key_share_key_exchange_length",
                    Norm::Num,
                    num(&b["key_share_lengths"]),
                ),
                e(
                    "tls.handshake.extensions_key_share_key_exchange",
                    Norm::Len,
                    num(&b["key_share_lengths"]),
                ),
                e(
                    "tls.handshake.extensions_key_share_client_length",
                    Norm::Num,
                    vec![shares_total.to_string()],
                ),
                e("tls.handshake.ja3_full", Norm::Str, vec![ja3.clone()]),
                e("tls.handshake.ja3", Norm::Str, vec![md5_hex(&ja3)]),
            ]);
            v.extend(group_fields(&b["supported_groups"]));
            v.extend(signature_fields(&b["signature_algorithms"]));
            v
        }
        2 => {
            let mut v = common_fields(b);
            let ja3s = format!(
                "{},{},{}",
                b["legacy_version"],
                b["cipher_suite"]["id"],
                ja3_list(&b["extensions"]),
            );
            v.extend([
                e(
                    "tls.handshake.ciphersuite",
                    Norm::Num,
                    num(&b["cipher_suite"]),
                ),
                e(
                    "tls.handshake.comp_method",
                    Norm::Num,
                    num(&b["compression_method"]),
                ),
                e(
                    "tls.handshake.extensions.supported_version",
                    Norm::Num,
                    num(&b["selected_version"]),
                ),
                e(
                    "tls.handshake.extensions_key_share_group",
                    Norm::Num,
                    num(&b["key_share_group"]),
                ),
                e(
                    "tls.handshake.extensions_key_share_key_exchange_length",
                    Norm::Num,
                    num(&b["key_share_len"]),
                ),
                e(
                    "tls.handshake.extensions_key_share_key_exchange",
                    Norm::Len,
                    num(&b["key_share_len"]),
                ),
                e(
                    "tls.handshake.extensions.psk.identity.selected",
                    Norm::Num,
                    num(&b["pre_shared_key"]),
                ),
                e("tls.handshake.ja3s_full", Norm::Str, vec![ja3s.clone()]),
                e("tls.handshake.ja3s", Norm::Str, vec![md5_hex(&ja3s)]),
            ]);
            v
        }
        _ => Vec::new(),
    }
}
