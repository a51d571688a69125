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

use super::conn::{Offer, Prober};
use super::groups::{GroupFinding, GROUPS};
use super::suites::SuiteFinding;
use crate::case::Version;

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
    if f.negotiated_below_tls13.is_none() && f.suites.is_empty() {
        // Nothing to negotiate: the server took no DHE suite below TLS 1.3.
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
    if accepted.contains(&Version::Tls1_3) {
        n.detail = "not testable: OpenSSL lists FFDHE groups only in a ClientHello that \
                    offers TLS 1.3, which this server would choose"
            .into();
        return n;
    }
    // From the lowest version too, so a server with DHE only there is asked.
    let lowest = accepted.first().copied().unwrap_or(best);
    let library = p.library();
    let mut left: Vec<&str> = GROUPS
        .iter()
        .filter(|g| (256..=260).contains(&g.id) && library.group_known(g.openssl))
        .map(|g| g.openssl)
        .collect();
    let mut order = Vec::new();
    while !left.is_empty() {
        let id = format!("dh/{}/{}", best.id(), n.probes.len() + 1);
        let offer = Offer {
            min: Some(lowest),
            max: Some(Version::Tls1_3),
            // Anonymous DHE included: it negotiates its group the same way.
            cipher_list: Some("DHE:!PSK".into()),
            groups: Some(left.join(":")),
            ..Offer::default()
        };
        let a = p.run(&id, &offer, None);
        n.probes.push(id);
        let taken = a
            .hello
            .dh_group
            .as_deref()
            .filter(|_| a.hello.version != Some(Version::Tls1_3))
            .and_then(|g| left.iter().position(|x| *x == g));
        match taken {
            Some(i) => order.push(left.remove(i).to_owned()),
            None => {
                let (detail, own_prime) = match (&a.hello.dh_group, a.hello.dh_bits, a.error) {
                    _ if a.hello.version == Some(Version::Tls1_3) => {
                        ("the server answered with TLS 1.3".to_owned(), false)
                    }
                    (Some(g), _, _) => (
                        format!(
                            "the server used the {g} prime, which was not offered: it picks \
                             its prime itself"
                        ),
                        true,
                    ),
                    (None, Some(bits), _) => (
                        format!(
                            "the server used a {bits}-bit prime of its own, not an offered group"
                        ),
                        true,
                    ),
                    (None, None, Some(e)) => (e, false),
                    (None, None, None) => {
                        ("no DHE key exchange in the server's answer".into(), false)
                    }
                };
                n.detail = detail;
                if own_prime {
                    // Groups "taken" before were its own prime coinciding
                    // with an offered one, not a negotiation.
                    order.clear();
                }
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
