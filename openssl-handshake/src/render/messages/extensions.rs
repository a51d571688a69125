//! How the contents of each extension the trace decodes print in the
//! message log, one line (or a few) per extension.

use super::{list, schemes};
use crate::decode::{
    self, ClientHello, EncryptedClientHello, HelloExtensions, SignatureScheme, StatusRequest,
};

/// Every extension a message carried, in the order sent, by the IANA
/// names tshark prints (`-trace` names most alike): the lines above
/// decode only those the trace keeps.
pub(super) fn extension_order(types: &[u16]) -> String {
    let named = types.iter().map(|&t| {
        // As every GREASE group, suite and scheme reads.
        if decode::is_grease(t) {
            format!("GREASE ({t})")
        } else {
            format!("{} ({t})", decode::extension_name(t).unwrap_or("unknown"))
        }
    });
    format!("extensions={}", list(named))
}

/// A ClientHello's status_request: `ocsp (1)` and the lengths of its
/// two lists, as tshark shows them, or the length of a request of
/// another type.
pub(super) fn status_request(r: &StatusRequest) -> String {
    format!("status_request={}", status_request_item(r))
}

/// RFC 6961's requests, in order, separated as lists are.
pub(super) fn status_request_v2(items: &[StatusRequest]) -> String {
    format!(
        "status_request_v2={}",
        list(items.iter().map(status_request_item))
    )
}

/// A request's type, then its OCSPStatusRequest's lists, as tshark
/// names them.
pub(super) fn status_request_item(r: &StatusRequest) -> String {
    let kind = match r.status_type {
        1 => "ocsp",
        2 => "ocsp_multi",
        _ => "unknown",
    };
    match (r.responder_id_list_len, r.request_extensions_len) {
        (Some(ids), Some(exts)) => format!(
            "{kind} ({}) responder_id_list (len={ids}) request_extensions (len={exts})",
            r.status_type
        ),
        _ => format!("{kind} ({}) request (len={})", r.status_type, r.request_len),
    }
}

/// One line per PSK identity, with its obfuscated_ticket_age, and one
/// per binder, below the `pre_shared_key identities=N` line.
pub(super) fn psk_offer(h: &ClientHello) -> Vec<String> {
    let identities = h
        .psk_identity_lengths
        .iter()
        .zip(&h.psk_obfuscated_ticket_ages)
        .enumerate()
        .map(|(i, (len, age))| format!("  identity {i} (len={len}) obfuscated_ticket_age={age}"));
    let binders = h
        .psk_binder_lengths
        .iter()
        .enumerate()
        .map(|(i, len)| format!("  binder {i} (len={len})"));
    identities.chain(binders).collect()
}

/// The extensions both hellos may carry, in `-trace` wording.
pub(super) fn hello_extensions(e: &HelloExtensions) -> Vec<String> {
    let mut v = Vec::new();
    v.extend(e.ec_point_formats.as_ref().map(|formats| {
        format!(
            "ec_point_formats={}",
            list(
                formats
                    .iter()
                    .map(|&f| { format!("{} ({f})", decode::trace_point_format_name(f)) })
            )
        )
    }));
    v.extend(e.renegotiation_info.as_ref().map(|r| {
        format!(
            "renegotiation_info={}",
            if r.is_empty() { "<EMPTY>" } else { r }
        )
    }));
    if e.extended_master_secret {
        v.push("extended_master_secret".to_owned());
    }
    if e.encrypt_then_mac {
        v.push("encrypt_then_mac".to_owned());
    }
    v.extend(e.max_fragment_length.map(max_fragment_length));
    v
}

/// `max_fragment_length=2^10 (1024 bytes) (2)`, as `-trace` prints it
/// (`max_fragment_length := 2^10 (1024 bytes) (2)`).
pub(super) fn max_fragment_length(code: u8) -> String {
    format!(
        "max_fragment_length={} ({code})",
        decode::trace_max_fragment_length_name(code)
    )
}

/// Named as RFC 8879's registry (and tshark) names them.
pub(super) fn compress_certificate(algorithms: &[u16]) -> String {
    let named = algorithms.iter().map(|&a| {
        let name = match a {
            1 => "zlib",
            2 => "brotli",
            3 => "zstd",
            _ => "unknown",
        };
        format!("{name} ({a})")
    });
    format!("compress_certificate={}", list(named))
}

/// `encrypted_client_hello=outer, HKDF-SHA256 (1), AES-128-GCM (1),
/// config_id=11, enc=32 bytes, payload=176 bytes`: the HPKE suite by RFC
/// 9180's names, and the rest as the draft names its fields.
pub(super) fn encrypted_client_hello(e: &EncryptedClientHello) -> String {
    let mut parts = vec![match e.hello_type {
        0 => "outer".to_owned(),
        1 => "inner".to_owned(),
        t => format!("type {t}"),
    }];
    if let Some(s) = e.cipher_suite {
        let name = |n: Option<&str>, id: u16| format!("{} ({id})", n.unwrap_or("unknown"));
        parts.push(name(s.kdf_name(), s.kdf_id));
        parts.push(name(s.aead_name(), s.aead_id));
    }
    parts.extend(e.config_id.map(|c| format!("config_id={c}")));
    parts.extend(e.enc_len.map(|n| format!("enc={n} bytes")));
    parts.extend(e.payload_len.map(|n| format!("payload={n} bytes")));
    format!("encrypted_client_hello={}", parts.join(", "))
}

pub(super) fn signature_algorithms_cert(s: &[SignatureScheme]) -> String {
    format!("signature_algorithms_cert={}", schemes(s))
}

/// Their count, then a line per name.
pub(super) fn certificate_authorities(names: &[String]) -> Vec<String> {
    let count = format!("certificate_authorities={}", names.len());
    std::iter::once(count)
        .chain(names.iter().map(|n| format!("  {n}")))
        .collect()
}
