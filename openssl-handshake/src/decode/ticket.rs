//! NewSessionTicket, in the RFC 5077 and TLS 1.3 layouts.

use serde::{Deserialize, Serialize};

use super::error::{bad, Res};
use super::extensions::{read_each, EXT_EARLY_DATA};
use super::problems::ExtensionProblem;
use super::reader::{be, hex, Reader};

/// A NewSessionTicket message. The ticket itself is only measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewSessionTicket {
    /// `ticket_lifetime_hint` (TLS 1.2) or `ticket_lifetime` (TLS 1.3), in seconds.
    pub lifetime_hint_secs: u32,
    /// `ticket_age_add` (TLS 1.3 only).
    pub age_add: Option<u32>,
    /// `ticket_nonce` in lowercase hex (TLS 1.3 only).
    pub nonce: Option<String>,
    /// Length of the ticket.
    pub ticket_len: usize,
    /// `max_early_data_size` from the early_data extension (TLS 1.3 only).
    pub early_data_max: Option<u32>,
    /// Every extension type, in the order sent (TLS 1.3 only; absent in
    /// JSON when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<u16>,
}

pub(super) fn decode_new_session_ticket(
    body: &[u8],
    tls13: bool,
    problems: &mut Vec<ExtensionProblem>,
) -> Res<NewSessionTicket> {
    let mut reader = Reader::new(body);
    let lifetime_hint_secs = reader.u32()?;
    if !tls13 {
        // RFC 5077 3.3; an empty ticket means the server chose not to issue one.
        let ticket = reader.vec(2)?;
        reader.finish("ticket")?;
        return Ok(NewSessionTicket {
            lifetime_hint_secs,
            age_add: None,
            nonce: None,
            ticket_len: ticket.len(),
            early_data_max: None,
            extensions: Vec::new(),
        });
    }
    let age_add = reader.u32()?;
    let nonce = reader.vec(1)?;
    let ticket = reader.vec(2)?;
    if ticket.is_empty() {
        return bad("empty ticket");
    }
    let block = reader.vec(2)?;
    reader.finish("the extensions")?;
    let mut early_data_max = None;
    let extensions = read_each(block, problems, |ext| {
        if ext.ty == EXT_EARLY_DATA {
            if ext.data.len() != 4 {
                return bad(format!(
                    "early_data extension: {} bytes where max_early_data_size takes 4",
                    ext.data.len()
                ));
            }
            early_data_max = Some(be(ext.data));
        }
        Ok(())
    })?;
    Ok(NewSessionTicket {
        lifetime_hint_secs,
        age_add: Some(age_add),
        nonce: Some(hex(nonce)),
        ticket_len: ticket.len(),
        early_data_max,
        extensions,
    })
}
