//! ALPN: offer the protocols to try, remove the one selected, repeat,
//! until the server selects none or refuses.

use serde::Serialize;

use super::conn::{Offer, Prober};
use crate::case::{alert, Version};

/// What the server does with ALPN.
#[derive(Debug, Clone, Serialize)]
pub struct AlpnFinding {
    /// The protocols tried.
    pub offered: Vec<String>,
    /// Those it selected, in the order it selected them.
    pub selected: Vec<String>,
    /// What happened when none of its protocols was left: no ALPN, or an alert.
    pub on_no_overlap: String,
    /// A protocol the server chose that the offer did not hold, while the
    /// offer held some of its own (RFC 7301 section 3.2 forbids it, and
    /// OpenSSL's client refuses the answer), with the offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_offered: Option<String>,
    /// The probes, in order.
    pub probes: Vec<String>,
}

impl AlpnFinding {
    /// The finding when its task could not run.
    pub fn failed() -> Self {
        AlpnFinding {
            offered: Vec::new(),
            selected: Vec::new(),
            on_no_overlap: "the ALPN probe panicked".into(),
            not_offered: None,
            probes: Vec::new(),
        }
    }
}

/// Tries `protocols` at the highest accepted version.
pub fn scan(p: &Prober, accepted: &[Version], protocols: &[String]) -> AlpnFinding {
    let mut f = AlpnFinding {
        offered: protocols.to_vec(),
        selected: Vec::new(),
        on_no_overlap: String::new(),
        not_offered: None,
        probes: Vec::new(),
    };
    let Some(&v) = accepted.last() else {
        f.on_no_overlap = "not testable: no version the linked OpenSSL speaks was accepted".into();
        return f;
    };
    let mut left = protocols.to_vec();
    // The last round offers only a name no server knows, so that what the
    // server does on no overlap is seen even when it selected everything.
    loop {
        let offer_list = if left.is_empty() {
            vec!["tls-harness-unknown/0".to_owned()]
        } else {
            left.clone()
        };
        let id = format!("alpn/{}", f.probes.len() + 1);
        let a = p.run(
            &id,
            &Offer {
                min: Some(v),
                max: Some(v),
                alpn: offer_list.clone(),
                ..Offer::default()
            },
            None,
        );
        f.probes.push(id);
        match a.hello.alpn {
            Some(sel) if left.contains(&sel) => {
                left.retain(|x| *x != sel);
                f.selected.push(sel);
            }
            Some(sel) if left.is_empty() => {
                f.on_no_overlap = format!("selected {sel:?}, which was not offered");
                break;
            }
            Some(sel) => {
                // The answer ends the rounds: what it does with no overlap
                // was not asked.
                f.not_offered = Some(format!(
                    "chose {sel:?} when offered {}, which was not offered (RFC 7301 forbids \
                     it, and OpenSSL's client refuses the answer)",
                    offer_list.join(", ")
                ));
                f.on_no_overlap = "not probed".into();
                break;
            }
            None => {
                f.on_no_overlap = match a.hello.alert {
                    // An alert after a finished handshake (TLS 1.3's
                    // verdict on the client's certificate) is not ALPN's.
                    _ if a.ok => "handshake without ALPN".into(),
                    Some(d) => format!("alert {} ({d})", alert::name(d)),
                    None if a.hello.suite.is_some() => "handshake without ALPN".into(),
                    None => a.error.unwrap_or_else(|| "no ServerHello".into()),
                };
                break;
            }
        }
    }
    f
}
