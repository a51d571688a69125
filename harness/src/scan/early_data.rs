//! TLS 1.3 early data (0-RTT): whether the server's session tickets let a
//! client send application data in its first flight of a resumption, data
//! that an attacker who recorded it can replay (RFC 8446 section 8). A
//! ticket says so with an early_data extension naming max_early_data_size
//! (4.6.1), which `openssl s_client -sess_out` prints as "Max Early Data".
//! Read from the TLS 1.3 resumption probe's first handshake, which waits
//! for the tickets; no early data is sent.

use serde::Serialize;

use super::conn::Attempt;
use super::Verdict;

/// The early-data finding.
#[derive(Debug, Clone, Serialize)]
pub struct EarlyDataFinding {
    /// Yes: a ticket allows early data.
    pub offered: Verdict,
    /// The largest max_early_data_size a ticket named, when one did.
    pub max_bytes: Option<u32>,
    /// What the probe saw.
    pub detail: String,
    /// The probe.
    pub probes: Vec<String>,
}

impl EarlyDataFinding {
    /// The finding where it cannot arise or could not be asked.
    pub fn without(offered: Verdict, detail: String) -> Self {
        EarlyDataFinding {
            offered,
            max_bytes: None,
            detail,
            probes: Vec::new(),
        }
    }

    /// What the tickets of `first`, probe `id`, allow.
    pub fn from_tickets(first: &Attempt, id: &str) -> Self {
        let h = &first.hello;
        let (offered, detail) = match (first.accepted(), h.tickets, h.early_data_max) {
            (false, _, _) => (
                Verdict::NotTestable,
                format!(
                    "the TLS 1.3 handshake failed: {}",
                    first.refusal().unwrap_or_default()
                ),
            ),
            (true, 0, _) => (
                Verdict::No,
                format!(
                    "{}, so no ticket to send early data with",
                    first.no_tickets()
                ),
            ),
            (true, n, Some(max)) if max > 0 => (
                Verdict::Yes,
                format!(
                    "{} {max} bytes of early data (0-RTT), which an attacker can replay",
                    if n == 1 {
                        "its NewSessionTicket allows"
                    } else {
                        "its NewSessionTickets allow up to"
                    }
                ),
            ),
            (true, n, _) => (
                Verdict::No,
                format!("its {n} NewSessionTicket(s) allow no early data"),
            ),
        };
        EarlyDataFinding {
            offered,
            max_bytes: h.early_data_max.filter(|_| first.accepted()),
            detail,
            probes: vec![id.to_owned()],
        }
    }
}
