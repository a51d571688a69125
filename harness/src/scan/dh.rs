//! Finite-field Diffie-Hellman: the prime of each DHE suite's
//! ServerKeyExchange (read during the suite enumeration, so no extra
//! connection), named when it is an RFC 7919 group's; the FFDHE groups
//! accepted at TLS 1.3; and below TLS 1.3, whether the server picks its
//! prime from the client's supported_groups (RFC 7919) and which.
//!
//! OpenSSL 3 lists FFDHE groups in supported_groups only in a ClientHello
//! that also offers TLS 1.3, so the negotiation below TLS 1.3 is asked of
//! servers that do not speak TLS 1.3 (they answer such a ClientHello with
//! their best older version); a server that speaks TLS 1.3 would choose
//! it, and for those the question is not testable here.

use serde::Serialize;

use super::conn::Prober;
use super::groups::{GroupFinding, GroupName, GROUPS};
use super::own_hello;
use super::suites::SuiteFinding;
use crate::case::{alert, Version};
use crate::hostile::fingerprint::Answer;

/// What the server uses for finite-field DH.
#[derive(Debug, Clone, Serialize)]
pub struct DhFinding {
    /// The smallest DH prime seen, in bits.
    pub min_bits: Option<usize>,
    /// Each DHE suite with its prime size, per version.
    pub suites: Vec<(Version, String, usize)>,
    /// The well-known groups whose primes the DHE suites below TLS 1.3
    /// used in the suite enumeration ("ffdhe2048", RFC 3526's "modp_2048",
    /// ...), as OpenSSL names them.
    pub named_primes: Vec<String>,
    /// RFC 7919 groups accepted (TLS 1.3 key shares).
    pub ffdhe_groups: Vec<String>,
    /// RFC 7919 groups the server took from supported_groups below TLS
    /// 1.3, in the order it chose them; `None` when not testable.
    pub negotiated_below_tls13: Option<Vec<String>>,
    /// What ended that enumeration, or why there was none.
    pub negotiation_detail: String,
    /// The probes this rests on.
    pub probes: Vec<String>,
}

/// Gathers the DH facts from the suite and group enumerations and the
/// negotiation below TLS 1.3 ([`negotiation`]).
pub fn from_findings(
    suites: &[SuiteFinding],
    groups: &[GroupFinding],
    negotiation: Negotiation,
) -> DhFinding {
    let tls13 = groups.iter().find(|g| g.version == Some(Version::Tls1_3));
    let mut f = DhFinding {
        min_bits: None,
        suites: Vec::new(),
        named_primes: Vec::new(),
        ffdhe_groups: tls13
            .map(|g| {
                g.accepted
                    .iter()
                    .filter(|x| x.starts_with("ffdhe"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        negotiated_below_tls13: negotiation.accepted,
        negotiation_detail: negotiation.detail,
        probes: Vec::new(),
    };
    // "No DHE suite" rests on every probe of the enumerations as much as
    // a prime size does: an enumeration cut short may have missed one.
    for s in suites.iter().filter(|s| s.version < Version::Tls1_3) {
        for (name, bits) in &s.dh_bits {
            f.suites.push((s.version, name.clone(), *bits));
        }
        for (_, group) in &s.dh_groups {
            if !f.named_primes.contains(group) {
                f.named_primes.push(group.clone());
            }
        }
        f.probes.extend(s.probes.iter().cloned());
    }
    if let Some(g) = tls13 {
        f.probes.extend(g.probes.iter().cloned());
    }
    f.probes.extend(negotiation.probes);
    if f.suites.is_empty() && f.negotiated_below_tls13.as_ref().is_none_or(Vec::is_empty) {
        // Nothing to negotiate: the server took no DHE suite below TLS 1.3,
        // which is why it refused the negotiation's hello too.
        f.negotiated_below_tls13 = Some(Vec::new());
        f.negotiation_detail = "no DHE suite below TLS 1.3".into();
    }
    f.min_bits = f.suites.iter().map(|(_, _, b)| *b).min();
    f
}

/// The RFC 7919 negotiation below TLS 1.3.
#[derive(Debug)]
pub struct Negotiation {
    /// The groups taken from supported_groups; `None`: not testable.
    pub accepted: Option<Vec<String>>,
    /// What ended the enumeration, or why there was none.
    pub detail: String,
    /// The probes.
    pub probes: Vec<String>,
}

impl Negotiation {
    /// The finding when its task could not run.
    pub fn failed() -> Self {
        Negotiation {
            accepted: None,
            detail: "not testable: the DH negotiation probe panicked".into(),
            probes: Vec::new(),
        }
    }
}

/// Offers the FFDHE groups with DHE suites alone, removes the one whose
/// prime the server used, and repeats, at the best version below TLS 1.3.
///
/// The ClientHellos are the scan's own: OpenSSL's client lists FFDHE
/// groups only when it also offers TLS 1.3, which a server that speaks it
/// would choose (and one whose TLS 1.3 handshakes fail, for its signature
/// schemes say, would fail), whatever the groups. A ServerHello is as far
/// as the question goes: the prime is in the ServerKeyExchange after it.
pub fn negotiation(p: &Prober, accepted: &[Version]) -> Negotiation {
    let mut n = Negotiation {
        accepted: None,
        detail: String::new(),
        probes: Vec::new(),
    };
    let Some(&best) = accepted.iter().rev().find(|&&v| v < Version::Tls1_3) else {
        n.accepted = Some(Vec::new());
        n.detail = "no version below TLS 1.3".into();
        return n;
    };
    let library = p.library();
    // Anonymous DHE (ADH-*) included: it negotiates its group the same
    // way, and a server may have nothing else (OpenSSL's "DHE" alias
    // leaves it out; its kx "DH" covers both, its PSK ones are "DHEPSK").
    let suites: Vec<u16> = library
        .all_suites()
        .filter(|s| s.kx == "DH" && s.allows(best))
        .map(|s| s.id)
        .collect();
    let mut left: Vec<&GroupName> = GROUPS
        .iter()
        .filter(|g| (256..=260).contains(&g.id) && library.group_known(g.openssl))
        .collect();
    let mut order = Vec::new();
    while !left.is_empty() {
        let id = format!("dh/{}/{}", best.id(), n.probes.len() + 1);
        let ids: Vec<u16> = left.iter().map(|g| g.id).collect();
        let names: Vec<&str> = left.iter().map(|g| g.openssl).collect();
        let offer = format!(
            "a {} ClientHello written by the scan, offering its {} DHE suites (anonymous \
             ones included) and groups {}",
            best.display(),
            suites.len(),
            names.join(":")
        );
        let name = crate::probe::sni_name(p.target().servername.as_deref());
        let hello = own_hello::client_hello(best, &suites, &ids, name);
        let (answer, flight) = p.raw(&id, &offer, &hello);
        n.probes.push(id);
        let prime = match &answer {
            Answer::ServerHello { version, suite, .. } => {
                own_hello::dh_prime(&flight, *version, *suite)
                    .map(|d| (d.bits, d.group))
                    .ok_or_else(|| {
                        format!(
                            "not testable: the server answered with suite {suite:#06x} and no DH \
                         ServerKeyExchange that reads"
                        )
                    })
            }
            // Only DHE suites were offered: refusing them is an answer.
            Answer::Alert {
                description: alert::HANDSHAKE_FAILURE | alert::INSUFFICIENT_SECURITY,
                ..
            }
            | Answer::Closed => {
                n.detail = own_hello::not_a_hello(&answer).1;
                break;
            }
            other => Err(format!("not testable: {}", own_hello::not_a_hello(other).1)),
        };
        let (bits, group) = match prime {
            Ok(x) => x,
            Err(e) => {
                n.detail = e;
                // Nothing taken and nothing refused: no answer to give.
                if order.is_empty() {
                    return n;
                }
                break;
            }
        };
        let taken = group
            .as_deref()
            .and_then(|g| left.iter().position(|x| x.openssl == g));
        match (taken, group) {
            (Some(i), _) => order.push(left.remove(i).openssl.to_owned()),
            (None, g) => {
                n.detail = match g {
                    Some(g) => format!(
                        "the server used the {g} prime, which was not offered: it picks its \
                         prime itself"
                    ),
                    None => {
                        format!(
                            "the server used a {bits}-bit prime of its own, not an offered group"
                        )
                    }
                };
                // Groups "taken" before were its own prime coinciding
                // with an offered one, not a negotiation.
                order.clear();
                break;
            }
        }
    }
    if left.is_empty() {
        n.detail = "every FFDHE group this OpenSSL can offer was taken".into();
    }
    n.accepted = Some(order);
    n
}
