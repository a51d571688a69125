//! The mapping from tshark's TLS fields to the trace's JSON.
//!
//! For each message type, `expected` reads from our JSON what tshark must
//! show for each field it knows; [`NOT_IN_JSON`] names the fields the JSON
//! deliberately leaves out, with the reason. A field tshark shows that is
//! in neither fails the test, so a new tshark field is a decision, not a
//! silent gap.

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
pub enum Norm {
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

pub struct Expect {
    pub field: &'static str,
    pub norm: Norm,
    pub ours: Vec<String>,
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
    expects.extend(crate::expected::expected(m.handshake_type, body, tls13));

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
