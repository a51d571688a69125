//! KeyUpdate (TLS 1.3, RFC 8446 section 4.6.3).

use serde::{Deserialize, Serialize};

use super::error::{bad, Res};
use super::reader::Reader;

/// A KeyUpdate message: whether the sender asks its peer to update its
/// own sending keys too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyUpdate {
    /// `request_update`: 0 (update_not_requested) or 1 (update_requested).
    pub request_update: u8,
}

impl KeyUpdate {
    /// The value's name, as `openssl s_client -trace` prints it.
    pub fn request_name(&self) -> &'static str {
        match self.request_update {
            0 => "update_not_requested",
            _ => "update_requested",
        }
    }
}

pub(super) fn decode_key_update(body: &[u8]) -> Res<KeyUpdate> {
    let mut reader = Reader::new(body);
    let request_update = reader.u8()?;
    reader.finish("request_update")?;
    // Any other value is illegal_parameter (RFC 8446 section 4.6.3).
    if request_update > 1 {
        return bad(format!(
            "request_update {request_update} is neither update_not_requested (0) nor \
             update_requested (1)"
        ));
    }
    Ok(KeyUpdate { request_update })
}
