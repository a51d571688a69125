//! Key-exchange groups: offer every group, remove the one chosen, repeat;
//! at TLS 1.3 and at the best older version, which may differ.
//!
//! At TLS 1.3 the chosen group is the ServerHello's key share; at TLS 1.2
//! the named curve of the ECDHE ServerKeyExchange (OpenSSL 3.0 servers do
//! not pick FFDHE groups by supported_groups below TLS 1.3, so only the
//! curves are tried there). One more probe offering the top two accepted
//! groups swapped tells whether the server prefers its own order.

use serde::Serialize;

use super::conn::{Offer, Prober};
use crate::case::Version;

/// A named group: wire id, OpenSSL's name for `-groups`, the IANA name.
#[derive(Debug, Clone, Copy)]
pub struct GroupName {
    /// The two-byte identifier.
    pub id: u16,
    /// The name `SSL_CTX_set1_groups_list` takes.
    pub openssl: &'static str,
    /// The IANA name.
    pub iana: &'static str,
}

/// The groups OpenSSL 3 can offer, in its default order of preference.
pub const GROUPS: &[GroupName] = &[
    GroupName {
        id: 29,
        openssl: "x25519",
        iana: "x25519",
    },
    GroupName {
        id: 23,
        openssl: "P-256",
        iana: "secp256r1",
    },
    GroupName {
        id: 30,
        openssl: "x448",
        iana: "x448",
    },
    GroupName {
        id: 25,
        openssl: "P-521",
        iana: "secp521r1",
    },
    GroupName {
        id: 24,
        openssl: "P-384",
        iana: "secp384r1",
    },
    GroupName {
        id: 256,
        openssl: "ffdhe2048",
        iana: "ffdhe2048",
    },
    GroupName {
        id: 257,
        openssl: "ffdhe3072",
        iana: "ffdhe3072",
    },
    GroupName {
        id: 258,
        openssl: "ffdhe4096",
        iana: "ffdhe4096",
    },
    GroupName {
        id: 259,
        openssl: "ffdhe6144",
        iana: "ffdhe6144",
    },
    GroupName {
        id: 260,
        openssl: "ffdhe8192",
        iana: "ffdhe8192",
    },
    GroupName {
        id: 26,
        openssl: "brainpoolP256r1",
        iana: "brainpoolP256r1",
    },
    GroupName {
        id: 27,
        openssl: "brainpoolP384r1",
        iana: "brainpoolP384r1",
    },
    GroupName {
        id: 28,
        openssl: "brainpoolP512r1",
        iana: "brainpoolP512r1",
    },
    GroupName {
        id: 22,
        openssl: "secp256k1",
        iana: "secp256k1",
    },
];

/// The IANA name of group `id`.
pub fn iana_name(id: u16) -> String {
    GROUPS
        .iter()
        .find(|g| g.id == id)
        .map_or_else(|| format!("group 0x{id:04x}"), |g| g.iana.to_owned())
}

/// The groups a server accepts.
#[derive(Debug, Clone, Serialize)]
pub struct GroupFinding {
    /// The version the groups were enumerated at.
    pub version: Option<Version>,
    /// IANA names, in the order the server chose them.
    pub accepted: Vec<String>,
    /// The group chosen when every group was offered.
    pub preferred: Option<String>,
    /// Whether the server enforces its own order (`None`: fewer than two groups).
    pub server_order: Option<bool>,
    /// With `server_order`, whether `accepted` is that order all through:
    /// not so for a TLS 1.3 server that takes a usable key share before its
    /// order, whose first choice alone was asked without one. (In JSON the
    /// note says which.)
    #[serde(skip)]
    pub whole_order: bool,
    /// What ended the enumeration, or why there was none.
    pub detail: String,
    /// At TLS 1.2 with an ECDSA certificate: what its curve, offered in
    /// every probe, leaves unknown.
    pub note: Option<String>,
    /// The probes, in order.
    pub probes: Vec<String>,
}

/// Enumerates the groups at TLS 1.3 and at the best older version (with
/// ECDHE suites), each when accepted, in parallel.
///
/// `cert_curve` is the group of the leaf's ECDSA key: at TLS 1.2 the
/// client's supported_groups also bounds the curve of the server's ECDSA
/// certificate (RFC 8422, section 5.1), so once that curve is found it is
/// offered last in every later probe.
pub fn scan(p: &Prober, accepted: &[Version], cert_curve: Option<u16>) -> Vec<GroupFinding> {
    let mut versions = Vec::new();
    if accepted.contains(&Version::Tls1_3) {
        versions.push(Version::Tls1_3);
    }
    if let Some(&v) = accepted
        .iter()
        .rev()
        .find(|&&v| (Version::Tls1..Version::Tls1_3).contains(&v))
    {
        versions.push(v);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = versions
            .iter()
            .map(|&v| s.spawn(move || enumerate(p, v, cert_curve)))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// The group of an ECDSA leaf's curve.
pub fn curve_group(leaf: &openssl::x509::X509Ref) -> Option<u16> {
    let key = leaf.public_key().ok()?;
    let nid = key.ec_key().ok()?.group().curve_name()?;
    match nid {
        openssl::nid::Nid::X9_62_PRIME256V1 => Some(23),
        openssl::nid::Nid::SECP384R1 => Some(24),
        openssl::nid::Nid::SECP521R1 => Some(25),
        openssl::nid::Nid::BRAINPOOL_P256R1 => Some(26),
        openssl::nid::Nid::BRAINPOOL_P384R1 => Some(27),
        openssl::nid::Nid::BRAINPOOL_P512R1 => Some(28),
        openssl::nid::Nid::SECP256K1 => Some(22),
        _ => None,
    }
}

fn enumerate(p: &Prober, v: Version, cert_curve: Option<u16>) -> GroupFinding {
    let mut f = GroupFinding {
        version: Some(v),
        accepted: Vec::new(),
        preferred: None,
        server_order: None,
        whole_order: false,
        detail: String::new(),
        note: None,
        probes: Vec::new(),
    };
    let cipher_list = (v != Version::Tls1_3).then(|| "ECDHE:!aNULL".to_owned());
    let library = p.library();
    let mut left: Vec<GroupName> = GROUPS
        .iter()
        .copied()
        .filter(|g| match v {
            // RFC 8446 keeps the brainpool and Koblitz curves out of TLS 1.3.
            Version::Tls1_3 => matches!(g.id, 23..=25 | 29 | 30 | 256..=260),
            _ => g.id < 256,
        })
        .filter(|g| library.group_known(g.openssl))
        .collect();
    let mut order = Vec::new();
    // At TLS 1.3: what a usable key share does to the server's order.
    let mut key_share = None;
    // What the anchor case means when the server follows the client's order.
    let mut hidden = None;
    // The certificate's curve, once found accepted (TLS 1.2 only).
    let anchor = |order: &[GroupName]| -> Option<GroupName> {
        let c = cert_curve.filter(|_| v < Version::Tls1_3)?;
        order.iter().copied().find(|g| g.id == c)
    };
    while !left.is_empty() {
        let id = format!("groups/{}/{}", v.id(), f.probes.len() + 1);
        let mut offered = left.clone();
        offered.extend(anchor(&order));
        let a = p.run(&id, &offer(v, &cipher_list, &offered), None);
        f.probes.push(id);
        match a
            .hello
            .group
            .and_then(|g| left.iter().position(|x| x.id == g))
        {
            Some(i) => order.push(left.remove(i)),
            None => {
                let rest: Vec<&str> = left.iter().map(|g| g.iana).collect();
                f.detail = match (a.hello.group, a.error, anchor(&order)) {
                    (Some(g), _, Some(c)) if g == c.id => {
                        hidden = Some(format!(
                            "none of {}: offered ahead of {c}, the certificate's curve, which \
                             the server took instead",
                            rest.join(", "),
                            c = c.iana
                        ));
                        format!(
                            "the server chose {} again, its certificate's curve, which TLS 1.2 \
                         must offer (RFC 8422, 5.1): whether it accepts {} is hidden behind it",
                            c.iana,
                            rest.join(", ")
                        )
                    }
                    (Some(g), _, _) => {
                        format!("the server chose {}, which was not offered", iana_name(g))
                    }
                    (None, Some(e), _) => e,
                    (None, None, _) => "no group in the server's answer".into(),
                };
                break;
            }
        }
    }
    if order.len() >= 2 {
        // The top two, swapped: the cheapest question that tells the
        // server's order from the client's (a key share for a large FFDHE
        // group would cost both sides hundreds of milliseconds).
        let mut swapped = vec![order[1], order[0]];
        // An ECDSA leaf's curve goes last, accepted as a key-exchange group
        // or not: a server may serve the certificate only to clients that
        // list its curve (RFC 8422 section 5.1; tlslite-ng does).
        let leaf_curve = cert_curve
            .filter(|_| v < Version::Tls1_3)
            .and_then(|c| GROUPS.iter().copied().find(|g| g.id == c));
        swapped.extend(
            anchor(&order)
                .or(leaf_curve)
                .filter(|c| c.id != order[0].id && c.id != order[1].id),
        );
        let id = format!("groups/{}/order", v.id());
        let a = p.run(&id, &offer(v, &cipher_list, &swapped), None);
        f.probes.push(id);
        f.server_order = match a.hello.group {
            Some(g) if g == order[0].id => Some(true),
            Some(g) if g == order[1].id => Some(false),
            _ => None,
        };
        // Its choice against the client's order and key share, in every
        // probe: the enumeration found its order.
        f.whole_order = f.server_order == Some(true);
        if v == Version::Tls1_3 && f.server_order == Some(false) {
            // An elliptic-curve decoy where there is one: its key share
            // costs nothing, a large FFDHE group's hundreds of milliseconds.
            let decoy = left.iter().find(|g| g.id < 256).or(left.first()).copied();
            key_share = Some(without_key_share(p, &mut f, &mut order, decoy));
        }
    }
    f.note = match (f.server_order, hidden) {
        // The server takes the client's first acceptable group, so the
        // groups offered before the certificate's curve are not accepted.
        (Some(false), Some(h)) => Some(h),
        (_, Some(_)) => Some(f.detail.clone()),
        _ => key_share,
    };
    f.preferred = order.first().map(|g| g.iana.to_owned());
    f.accepted = order.iter().map(|g| g.iana.to_owned()).collect();
    f
}

/// At TLS 1.3 the client sends a key share for its first group, and a
/// server may take a usable key share before its own order (OpenSSL does,
/// asking with a HelloRetryRequest only when none is usable): so the top
/// two groups swapped, the second with its key share, answered with that
/// second group says nothing of the order yet. Offering every accepted
/// group behind one the server refused (`decoy`, which gets the key share)
/// makes the server choose by its order, asked in two opposite orders: a
/// group chosen both times is its own first choice, wherever the client
/// lists it; the client's first both times is the client's order. Every
/// accepted group is offered, as the server's favourite may be any of them
/// (not one of the top two, which a usable key share put there). Puts the
/// server's favourite first; returns the note the finding carries.
fn without_key_share(
    p: &Prober,
    f: &mut GroupFinding,
    order: &mut [GroupName],
    decoy: Option<GroupName>,
) -> String {
    let Some(decoy) = decoy else {
        f.server_order = None;
        return format!(
            "a key share for {} was taken over {}; whether the server's own order would \
             choose otherwise is not testable, as it accepts every group this OpenSSL \
             can offer (none is left to carry a key share it refuses)",
            order[1].iana, order[0].iana
        );
    };
    let mut ask = |id: &str, groups: Vec<GroupName>| {
        let id = format!("groups/{}/{id}", Version::Tls1_3.id());
        let mut offered = vec![decoy];
        offered.extend(groups);
        let a = p.run(&id, &offer(Version::Tls1_3, &None, &offered), None);
        f.probes.push(id);
        a.hello.group
    };
    let forward = ask("order-without-key-share", order.to_vec());
    let backward = ask(
        "order-without-key-share/2",
        order.iter().rev().copied().collect(),
    );
    let (first, last) = (order[0].id, order[order.len() - 1].id);
    let favourite = forward
        .filter(|&g| Some(g) == backward)
        .and_then(|g| order.iter().position(|x| x.id == g));
    f.server_order = match (favourite, forward, backward) {
        (Some(i), _, _) => {
            // Only its first choice is known: the rest keep the order the
            // enumeration found them in. Of two, that is the whole order.
            order[..=i].rotate_right(1);
            f.whole_order = order.len() <= 2;
            Some(true)
        }
        (None, Some(a), Some(b)) if a == first && b == last => Some(false),
        _ => None,
    };
    let name = |g: Option<u16>| g.map_or_else(|| "nothing".to_owned(), iana_name);
    match f.server_order {
        Some(true) => format!(
            "a key share it accepts is taken first (no HelloRetryRequest); without one it \
             asks for {}, its own first choice, whichever the client lists first",
            order[0].iana
        ),
        Some(false) => format!(
            "a key share it accepts is taken first (no HelloRetryRequest); without one it \
             asks for the client's first group ({} one way round, {} the other)",
            name(forward),
            name(backward)
        ),
        None => format!(
            "offered behind {} (refused, with the key share), it chose {} with the \
             accepted groups in one order and {} in the opposite one",
            decoy.iana,
            name(forward),
            name(backward)
        ),
    }
}

fn offer(v: Version, cipher_list: &Option<String>, groups: &[GroupName]) -> Offer {
    Offer {
        min: Some(v),
        max: Some(v),
        cipher_list: cipher_list.clone(),
        groups: Some(
            groups
                .iter()
                .map(|g| g.openssl)
                .collect::<Vec<_>>()
                .join(":"),
        ),
        ..Offer::default()
    }
}
