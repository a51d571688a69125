//! Finite-field Diffie-Hellman: the prime size of each DHE suite's
//! ServerKeyExchange (read during the suite enumeration, so no extra
//! connection) and the FFDHE groups accepted at TLS 1.3.

use serde::Serialize;

use super::groups::GroupFinding;
use super::suites::SuiteFinding;
use crate::case::Version;

/// What the server uses for finite-field DH.
#[derive(Debug, Clone, Serialize)]
pub struct DhFinding {
    /// The smallest DH prime seen, in bits.
    pub min_bits: Option<usize>,
    /// Each DHE suite with its prime size, per version.
    pub suites: Vec<(Version, String, usize)>,
    /// RFC 7919 groups accepted (TLS 1.3 key shares).
    pub ffdhe_groups: Vec<String>,
    /// The probes this rests on.
    pub probes: Vec<String>,
}

/// Gathers the DH facts from the suite and group enumerations.
pub fn from_findings(suites: &[SuiteFinding], groups: &[GroupFinding]) -> DhFinding {
    let tls13 = groups.iter().find(|g| g.version == Some(Version::Tls1_3));
    let mut f = DhFinding {
        min_bits: None,
        suites: Vec::new(),
        ffdhe_groups: tls13
            .map(|g| {
                g.accepted
                    .iter()
                    .filter(|x| x.starts_with("ffdhe"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        probes: Vec::new(),
    };
    // "No DHE suite" rests on every probe of the enumerations as much as
    // a prime size does: an enumeration cut short may have missed one.
    for s in suites.iter().filter(|s| s.version < Version::Tls1_3) {
        for (name, bits) in &s.dh_bits {
            f.suites.push((s.version, name.clone(), *bits));
        }
        f.probes.extend(s.probes.iter().cloned());
    }
    if let Some(g) = tls13 {
        f.probes.extend(g.probes.iter().cloned());
    }
    f.min_bits = f.suites.iter().map(|(_, _, b)| *b).min();
    f
}
