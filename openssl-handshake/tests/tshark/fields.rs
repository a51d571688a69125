//! The mapping from tshark's TLS fields to the trace's JSON.
//!
//! For each message type, [`expected`] reads from our JSON what tshark must
//! show for each field it knows; [`NOT_IN_JSON`] names the fields the JSON
//! deliberately leaves out, with the reason. A field tshark shows that is
//! in neither fails the test, so a new tshark field is a decision, not a
//! silent gap.

use openssl::hash::{hash, MessageDigest};
use serde_json::Value;

/// The message types compared.
const COMPARED: &[u8] = &[1, 2, 4, 8, 11, 12, 13, 15, 16];

/// Fields (or field-name prefixes ending in '.') that the JSON leaves out.
pub const NOT_IN_JSON: &[(&str, &str)] = &[
    (
        "tls.handshake.extensions_length",
        "framing: the decoder checks that the extensions fill the block",
    ),
    (
        "tls.handshake.extension.len",
        "framing: the decoder checks each extension's length against its contents",
    ),
    (
        "tls.handshake.extension.data",
        "bytes of an extension tshark leaves undissected; all such here are empty \
         (session_ticket, encrypt_then_mac, extended_master_secret), whose presence \
         is in `extensions` and the named flags",
    ),
    (
        "tls.handshake.random_time",
        "the random's first four bytes shown as a date; the random is compared whole",
    ),
    (
        "tls.handshake.dnames_len",
        "framing of the CA name list; each name is compared by its values",
    ),
    (
        "tls.handshake.dname_len",
        "framing of one CA name; the name is compared by its values",
    ),
    (
        "tls.handshake.distinguished_names",
        "a CA name's DER; the name is compared by its values",
    ),
    (
        "x509af.",
        "certificate internals other than names (serial, validity, key, extensions, \
         signature): the peer chain's fields are in negotiated.peer_chain, read from OpenSSL",
    ),
    (
        "x509ce.",
        "certificate extensions: named in negotiated.peer_chain, read from OpenSSL",
    ),
    (
        "x509if.",
        "the structure of a name (RDN counts, attribute OIDs); the values are compared",
    ),
    (
        "x509sat.DirectoryString",
        "the CHOICE index of a string type; the string is compared",
    ),
    ("pkcs1.", "public key internals of a certificate"),
    (
        "tls.handshake.extensions.psk.identity.identity",
        "a PSK identity is a ticket: only its length is kept, as for tickets",
    ),
    (
        "tls.handshake.extensions.psk.identity.obfuscated_ticket_age",
        "the ticket's age masked with its age_add; kept out with the ticket",
    ),
    (
        "tls.handshake.extensions.psk.binders",
        "the binders' bytes, MACs keyed by the PSK; only their lengths are kept",
    ),
    ("ber.", "BER encoding details of a certificate"),
];

/// One handshake message as tshark dissected it.
pub struct TsharkMessage {
    pub from_client: bool,
    pub handshake_type: u8,
    /// Every leaf field in dissection order.
    pub fields: Vec<(String, String)>,
}

impl TsharkMessage {
    pub fn from_json(message: &Value, from_client: bool) -> Option<Self> {
        let handshake_type = message["tls.handshake.type"].as_str()?.parse().ok()?;
        let mut fields = Vec::new();
        flatten(message, &mut fields);
        Some(Self {
            from_client,
            handshake_type,
            fields,
        })
    }

    pub fn is_compared(&self) -> bool {
        COMPARED.contains(&self.handshake_type)
    }

    pub fn describe(&self) -> String {
        let from = if self.from_client { "client" } else { "server" };
        format!("handshake type {} from the {from}", self.handshake_type)
    }

    /// Every value of `name`, in order.
    fn values(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn flatten(v: &Value, out: &mut Vec<(String, String)>) {
    if let Value::Object(map) = v {
        for (name, value) in map {
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for item in items {
                match item {
                    Value::Object(_) => flatten(item, out),
                    Value::String(s) => out.push((name.clone(), s.clone())),
                    other => out.push((name.clone(), other.to_string())),
                }
            }
        }
    }
}

/// How tshark's text of a field is compared with ours.
#[derive(Clone, Copy)]
enum Norm {
    /// A number, decimal or 0x-hex.
    Num,
    /// Bytes as `aa:bb:..`, compared as lowercase hex.
    Hex,
    /// Bytes, compared by their count.
    Len,
    /// Text as is.
    Str,
    /// Numbers, compared as a multiset: tshark's JSON keys each extension
    /// object by its label, and serde_json reads keys sorted, so the wire
    /// order is lost. JA3 (compared exactly) lists the extensions in wire
    /// order.
    NumSet,
    /// Each value appears inside one of ours (a name's attribute values).
    Within,
}

fn normalize(norm: Norm, text: &str) -> String {
    match norm {
        Norm::Num | Norm::NumSet => text
            .strip_prefix("0x")
            .map_or_else(
                || text.parse::<u64>().ok(),
                |h| u64::from_str_radix(h, 16).ok(),
            )
            .map_or_else(|| format!("unparseable {text:?}"), |n| n.to_string()),
        Norm::Hex => text.replace(':', "").to_lowercase(),
        Norm::Len if text.is_empty() => "0".to_owned(),
        Norm::Len => (text.matches(':').count() + 1).to_string(),
        Norm::Str | Norm::Within => text.to_owned(),
    }
}

struct Expect {
    field: &'static str,
    norm: Norm,
    ours: Vec<String>,
}

/// Compares one tshark message with our JSON message; returns the problems.
pub fn compare_message(m: &TsharkMessage, ours: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(body) = ours["body"].as_object().and_then(|b| b.values().next()) else {
        return vec![format!(
            "no decoded body in the trace (decode_error: {})",
            ours["decode_error"]
        )];
    };
    let mut expects = vec![
        Expect {
            field: "tls.handshake.type",
            norm: Norm::Num,
            ours: vec![ours["handshake_type"].to_string()],
        },
        Expect {
            field: "tls.handshake.length",
            norm: Norm::Num,
            ours: vec![ours["length"]
                .as_u64()
                .map_or("?".into(), |n| (n - 4).to_string())],
        },
    ];
    let tls13 = !m
        .values("tls.handshake.certificate_request_context_length")
        .is_empty();
    expects.extend(expected(m.handshake_type, body, tls13));

    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in &m.fields {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        let theirs = m.values(name);
        let excluded_exactly = NOT_IN_JSON.iter().any(|(f, _)| f == name);
        let expect = expects
            .iter()
            .find(|e| e.field == name || (e.field.ends_with('.') && name.starts_with(e.field)));
        if excluded_exactly {
            continue;
        }
        if let Some(e) = expect {
            match e.norm {
                Norm::Within => {
                    for value in &theirs {
                        if !e.ours.iter().any(|o| o.contains(value)) {
                            problems.push(format!("{name} = {value:?} is in none of {:?}", e.ours));
                        }
                    }
                }
                norm => {
                    let mut theirs: Vec<String> =
                        theirs.iter().map(|t| normalize(norm, t)).collect();
                    let mut ours = e.ours.clone();
                    if matches!(norm, Norm::NumSet) {
                        theirs.sort();
                        ours.sort();
                    }
                    if theirs != ours {
                        problems.push(format!("{name}: tshark {theirs:?}, trace {:?}", e.ours));
                    }
                }
            }
        } else if !NOT_IN_JSON
            .iter()
            .any(|(f, _)| f == name || (f.ends_with('.') && name.starts_with(f)))
        {
            problems.push(format!(
                "tshark shows {name} = {theirs:?}, which the test neither compares \
                 nor lists in NOT_IN_JSON"
            ));
        }
    }
    problems
}

fn num(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().flat_map(num).collect(),
        Value::Object(o) => o.get("id").map(num).unwrap_or_default(),
        Value::Bool(_) => Vec::new(),
        other => vec![other.to_string().trim_matches('"').to_owned()],
    }
}

fn text(v: &Value) -> Vec<String> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().flat_map(text).collect(),
        Value::String(s) => vec![s.clone()],
        other => vec![other.to_string()],
    }
}

/// Byte length of a lowercase-hex JSON string.
fn hex_len(v: &Value) -> Vec<String> {
    v.as_str()
        .map(|h| (h.len() / 2).to_string())
        .into_iter()
        .collect()
}

fn count(v: &Value, per_item: usize, framing: usize) -> Vec<String> {
    v.as_array()
        .map(|a| (a.len() * per_item + framing).to_string())
        .into_iter()
        .collect()
}

fn e(field: &'static str, norm: Norm, ours: Vec<String>) -> Expect {
    Expect { field, norm, ours }
}

/// The scheme code points split as tshark shows them (hash, signature bytes).
fn scheme_halves(v: &Value, high: bool) -> Vec<String> {
    num(v)
        .iter()
        .filter_map(|s| s.parse::<u16>().ok())
        .map(|id| if high { id >> 8 } else { id & 0xff }.to_string())
        .collect()
}

fn signature_fields(schemes: &Value) -> Vec<Expect> {
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

fn alpn_fields(protocols: &Value) -> Vec<Expect> {
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

fn group_fields(groups: &Value) -> Vec<Expect> {
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

fn hello_common_fields(b: &Value) -> Vec<Expect> {
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

fn expected(handshake_type: u8, b: &Value, tls13: bool) -> Vec<Expect> {
    match handshake_type {
        1 => {
            let mut v = hello_common_fields(b);
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
            let mut v = hello_common_fields(b);
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
