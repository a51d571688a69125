//! JSON through serde; the layout carries `schema_version`.

use crate::trace::HandshakeTrace;

/// `trace` as pretty-printed JSON.
pub fn json(trace: &HandshakeTrace) -> String {
    // Every field is a string, number, bool, list or map with string
    // keys, which serde_json always serializes.
    serde_json::to_string_pretty(trace).unwrap_or_else(|e| {
        serde_json::json!({ "schema_version": trace.schema_version, "error": e.to_string() })
            .to_string()
    })
}
