//! What tshark must show for each message type, read from our JSON.

use serde_json::Value;

use crate::fields::{Expect, Norm};
use crate::hellos::expected_hello;

pub fn num(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().flat_map(num).collect(),
        Value::Object(o) => o.get("id").map(num).unwrap_or_default(),
        Value::Bool(_) => Vec::new(),
        other => vec![other.to_string().trim_matches('"').to_owned()],
    }
}

pub fn text(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().flat_map(text).collect(),
        Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

/// Byte length of a lowercase-hex JSON string.
pub fn hex_len(v: &Value) -> Vec<String> {
    v.as_str()
        .map(|h| (h.len() / 2).to_string())
        .into_iter()
        .collect()
}

pub fn count(v: &Value, per_item: usize, framing: usize) -> Vec<String> {
    v.as_array()
        .map(|a| (a.len() * per_item + framing).to_string())
        .into_iter()
        .collect()
}

pub fn e(field: &'static str, norm: Norm, ours: Vec<String>) -> Expect {
    Expect { field, norm, ours }
}

/// The scheme code points split as tshark shows them (hash, signature bytes).
pub fn scheme_halves(v: &Value, high: bool) -> Vec<String> {
    num(v)
        .iter()
        .filter_map(|s| s.parse::<u16>().ok())
        .map(|id| if high { id >> 8 } else { id & 0xff }.to_string())
        .collect()
}

pub fn signature_fields(schemes: &Value) -> Vec<Expect> {
    vec![
        e("tls.handshake.sig_hash_alg", Norm::Num, num(schemes)),
        e(
            "tls.handshake.sig_hash_hash",
            Norm::Num,
            scheme_halves(schemes, true),
        ),
        e(
            "tls.handshake.sig_hash_sig",
            Norm::Num,
            scheme_halves(schemes, false),
        ),
        e(
            "tls.handshake.sig_hash_alg_len",
            Norm::Num,
            count(schemes, 2, 0),
        ),
    ]
}

pub fn alpn_fields(protocols: &Value) -> Vec<Expect> {
    let names = text(protocols);
    let total: usize = names.iter().map(|n| n.len() + 1).sum();
    vec![
        e(
            "tls.handshake.extensions_alpn_str",
            Norm::Str,
            names.clone(),
        ),
        e(
            "tls.handshake.extensions_alpn_str_len",
            Norm::Num,
            names.iter().map(|n| n.len().to_string()).collect(),
        ),
        e(
            "tls.handshake.extensions_alpn_len",
            Norm::Num,
            vec![total.to_string()],
        ),
    ]
}

pub fn group_fields(groups: &Value) -> Vec<Expect> {
    vec![
        e(
            "tls.handshake.extensions_supported_group",
            Norm::Num,
            num(groups),
        ),
        e(
            "tls.handshake.extensions_supported_groups_length",
            Norm::Num,
            count(groups, 2, 0),
        ),
    ]
}

pub fn expected(handshake_type: u8, b: &Value, tls13: bool) -> Vec<Expect> {
    match handshake_type {
        1 | 2 => expected_hello(handshake_type, b),
        4 => vec![
            e(
                "tls.handshake.session_ticket_lifetime_hint",
                Norm::Num,
                num(&b["lifetime_hint_secs"]),
            ),
            e(
                "tls.handshake.session_ticket_age_add",
                Norm::Num,
                num(&b["age_add"]),
            ),
            e(
                "tls.handshake.session_ticket_nonce_length",
                Norm::Num,
                hex_len(&b["nonce"]),
            ),
            e(
                "tls.handshake.session_ticket_nonce",
                Norm::Hex,
                text(&b["nonce"]),
            ),
            e(
                "tls.handshake.session_ticket_length",
                Norm::Num,
                num(&b["ticket_len"]),
            ),
            e(
                "tls.handshake.session_ticket",
                Norm::Len,
                num(&b["ticket_len"]),
            ),
            e(
                "tls.handshake.max_early_data_size",
                Norm::Num,
                num(&b["early_data_max"]),
            ),
        ],
        8 => {
            let mut v = vec![e(
                "tls.handshake.extension.type",
                Norm::NumSet,
                num(&b["extensions"]),
            )];
            v.extend(alpn_fields(&b["alpn"]));
            v.extend(group_fields(&b["supported_groups"]));
            v
        }
        11 => {
            let lengths = num(&b["der_lengths"]);
            // Each entry: a 3-byte length and the DER, and in TLS 1.3 (which
            // has a request context) an extensions block, empty here (a
            // non-empty one shows fields this test does not know).
            let per_entry = if tls13 { 5 } else { 3 };
            let total: u64 = lengths
                .iter()
                .filter_map(|l| l.parse::<u64>().ok())
                .map(|n| n + per_entry)
                .sum();
            let mut names = text(&b["subjects"]);
            names.extend(text(&b["issuers"]));
            vec![
                e(
                    "tls.handshake.certificate_request_context_length",
                    Norm::Num,
                    hex_len(&b["request_context"]),
                ),
                e(
                    "tls.handshake.certificates_length",
                    Norm::Num,
                    vec![total.to_string()],
                ),
                e(
                    "tls.handshake.certificate_length",
                    Norm::Num,
                    lengths.clone(),
                ),
                e("tls.handshake.certificate", Norm::Len, lengths),
                x509_names(names),
            ]
        }
        12 => {
            let mut v = vec![
                e(
                    "tls.handshake.server_curve_type",
                    Norm::Num,
                    num(&b["curve_type"]),
                ),
                e(
                    "tls.handshake.server_named_curve",
                    Norm::Num,
                    num(&b["named_group"]),
                ),
                e(
                    "tls.handshake.server_point_len",
                    Norm::Num,
                    num(&b["point_len"]),
                ),
                e(
                    "tls.handshake.server_point",
                    Norm::Len,
                    num(&b["point_len"]),
                ),
                e("tls.handshake.p_len", Norm::Num, num(&b["dh_p_len"])),
                e("tls.handshake.p", Norm::Len, num(&b["dh_p_len"])),
                e("tls.handshake.g_len", Norm::Num, num(&b["dh_g_len"])),
                e("tls.handshake.g", Norm::Len, num(&b["dh_g_len"])),
                e("tls.handshake.ys_len", Norm::Num, num(&b["dh_public_len"])),
                e("tls.handshake.ys", Norm::Len, num(&b["dh_public_len"])),
                e("tls.handshake.sig_len", Norm::Num, num(&b["signature_len"])),
                e("tls.handshake.sig", Norm::Len, num(&b["signature_len"])),
            ];
            v.extend(signature_fields(&b["signature_scheme"]));
            v
        }
        13 => {
            let mut v = vec![
                e(
                    "tls.handshake.cert_types_count",
                    Norm::Num,
                    count(&b["certificate_types"], 1, 0),
                ),
                e(
                    "tls.handshake.cert_type",
                    Norm::Num,
                    num(&b["certificate_types"]),
                ),
                e(
                    "tls.handshake.certificate_request_context_length",
                    Norm::Num,
                    hex_len(&b["request_context"]),
                ),
                e(
                    "tls.handshake.extension.type",
                    Norm::NumSet,
                    num(&b["extensions"]),
                ),
                x509_names(text(&b["certificate_authorities"])),
            ];
            v.extend(signature_fields(&b["signature_algorithms"]));
            v
        }
        15 => {
            let mut v = vec![
                e(
                    "tls.handshake.client_cert_vrfy.sig_len",
                    Norm::Num,
                    num(&b["signature_len"]),
                ),
                e(
                    "tls.handshake.client_cert_vrfy.sig",
                    Norm::Len,
                    num(&b["signature_len"]),
                ),
            ];
            v.extend(signature_fields(&b["signature_scheme"]));
            v
        }
        16 => vec![
            e(
                "tls.handshake.client_point_len",
                Norm::Num,
                num(&b["exchange_len"]),
            ),
            e(
                "tls.handshake.client_point",
                Norm::Len,
                num(&b["exchange_len"]),
            ),
            e("tls.handshake.yc_len", Norm::Num, num(&b["exchange_len"])),
            e("tls.handshake.yc", Norm::Len, num(&b["exchange_len"])),
            e("tls.handshake.epms_len", Norm::Num, num(&b["exchange_len"])),
            e("tls.handshake.epms", Norm::Len, num(&b["exchange_len"])),
        ],
        _ => Vec::new(),
    }
}

/// The string values of X.509 names (x509sat.uTF8String, .printableString,
/// .CountryName, ...) must each appear in one of the formatted names.
fn x509_names(names: Vec<String>) -> Expect {
    e("x509sat.", Norm::Within, names)
}
