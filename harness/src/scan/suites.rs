//! The suites a server accepts at each version, and whose order wins.
//!
//! Offer every suite the linked OpenSSL has for the version, note the one
//! chosen, offer the rest, and so on until the server refuses: one
//! connection per accepted suite plus one. When the server picks by its
//! own preference, the sequence is that preference; one more probe
//! offering the accepted suites in reverse tells whether it does. The
//! suites OpenSSL 3.0 dropped are asked after, the same way, with hellos of
//! the scan's own.

use serde::Serialize;

use super::conn::{Offer, Prober};
use super::{legacy_suites, own_hello};
use crate::case::Version;
use crate::library::{Library, SuiteInfo};

/// The suites of one version.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteFinding {
    /// The version.
    pub version: Version,
    /// OpenSSL names, in the order the server chose them.
    pub accepted: Vec<String>,
    /// Their IANA names, in the same order (empty where OpenSSL has none).
    pub iana: Vec<String>,
    /// Whether the server enforces its own order (`None`: fewer than two suites).
    pub server_order: Option<bool>,
    /// DH prime bits of each accepted DHE suite's ServerKeyExchange.
    pub dh_bits: Vec<(String, usize)>,
    /// The well-known group of each DHE suite whose prime is one's.
    pub dh_groups: Vec<(String, String)>,
    /// The accepted suites that authenticate no server (`ADH-*`,
    /// `AECDH-*`), in the same order.
    pub anonymous: Vec<String>,
    /// The accepted suites that encrypt nothing (`NULL-*`, eNULL), in the
    /// same order.
    pub cleartext: Vec<String>,
    /// The accepted suites OpenSSL 3.0 dropped (3DES, RC4, DES, SEED,
    /// export: `legacy_suites.rs`), asked with hellos of the scan's own.
    /// Where the server picks by its own order, `accepted` is that order
    /// over all of them (asked once more with the scan's own hellos,
    /// probes `suites/{version}/merged/N`); else these follow the others,
    /// in the order the server chose among them.
    pub legacy: Vec<String>,
    /// Where the server picks by its own order: the dropped suites' place
    /// in it could not be asked (the scan's own hellos reached fewer of
    /// the suites), so they follow the others. Absent in JSON when not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub legacy_rank_unknown: bool,
    /// Why the enumeration stopped, in the last probe's words.
    pub stopped: String,
    /// The wire id of each accepted suite, in the same order.
    #[serde(skip)]
    ids: Vec<u16>,
    /// The probes, in order.
    pub probes: Vec<String>,
}

/// Enumerates the suites of every accepted version, versions in parallel:
/// those OpenSSL's handshakes reached (`accepted`) with them and then the
/// scan's own hellos, those only the scan's own hellos reached (`own_only`,
/// TLS 1.0 to 1.2) with those alone.
pub fn scan(p: &Prober, accepted: &[Version], own_only: &[Version]) -> Vec<SuiteFinding> {
    let mut versions: Vec<(Version, bool)> = accepted.iter().map(|&v| (v, true)).collect();
    versions.extend(
        own_only
            .iter()
            .filter(|v| p.library().missing(**v).is_none())
            .map(|&v| (v, false)),
    );
    versions.sort();
    std::thread::scope(|s| {
        let handles: Vec<_> = versions
            .iter()
            .map(|&(v, openssl)| s.spawn(move || enumerate(p, v, openssl)))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// The suites a client can offer at `v`, those that encrypt nothing
/// last: PSK and SRP suites need credentials the scan does not have.
fn candidates(p: &Prober, v: Version) -> Vec<&SuiteInfo> {
    p.library()
        .all_suites()
        .filter(|s| s.allows(v) && !s.needs_psk() && s.kx != "SRP")
        .collect()
}

fn offer(v: Version, suites: &[&SuiteInfo]) -> Offer {
    let names: Vec<&str> = suites.iter().map(|s| s.name.as_str()).collect();
    let mut o = Offer {
        min: Some(v),
        max: Some(v),
        ..Offer::default()
    };
    if v == Version::Tls1_3 {
        o.ciphersuites = Some(names.join(":"));
    } else {
        o.cipher_list = Some(names.join(":"));
    }
    o
}

impl SuiteFinding {
    /// Nothing found yet at `v`.
    pub fn new(version: Version) -> Self {
        SuiteFinding {
            version,
            accepted: Vec::new(),
            iana: Vec::new(),
            server_order: None,
            dh_bits: Vec::new(),
            dh_groups: Vec::new(),
            anonymous: Vec::new(),
            cleartext: Vec::new(),
            legacy: Vec::new(),
            legacy_rank_unknown: false,
            stopped: String::new(),
            ids: Vec::new(),
            probes: Vec::new(),
        }
    }

    /// Adds what an enumeration with the scan's own hellos found: its
    /// suites, their DH primes and its probes.
    pub fn take(&mut self, lib: &Library, e: own_hello::Enumeration) {
        for id in e.accepted {
            self.accept(lib, id);
            let name = self.accepted.last().cloned().unwrap_or_default();
            if let Some((_, dh)) = e.dh.iter().find(|(s, _)| *s == id) {
                self.dh_bits.push((name.clone(), dh.bits));
                if let Some(g) = &dh.group {
                    self.dh_groups.push((name, g.clone()));
                }
            }
        }
        self.probes.extend(e.probes);
    }

    /// Adds the suite with wire id `id` to those accepted.
    pub fn accept(&mut self, lib: &Library, id: u16) {
        let n = name_of(lib, id);
        if n.legacy {
            self.legacy.push(n.name.clone());
        }
        if n.anonymous {
            self.anonymous.push(n.name.clone());
        }
        if n.cleartext {
            self.cleartext.push(n.name.clone());
        }
        self.accepted.push(n.name);
        self.iana.push(n.iana.unwrap_or_default());
        self.ids.push(id);
    }

    /// Puts the accepted suites in the order `ids` gives (the same suites),
    /// each list that follows `accepted`'s order with them.
    fn reorder(&mut self, lib: &Library, ids: &[u16]) {
        let mut sorted = SuiteFinding::new(self.version);
        for &id in ids {
            sorted.accept(lib, id);
        }
        self.accepted = sorted.accepted;
        self.iana = sorted.iana;
        self.anonymous = sorted.anonymous;
        self.cleartext = sorted.cleartext;
        self.legacy = sorted.legacy;
        self.ids = sorted.ids;
    }
}

/// A suite's names and what it lacks.
pub struct SuiteName {
    /// As the linked OpenSSL names it, else as the legacy table does, else
    /// its IANA name (else its id).
    pub name: String,
    /// Its IANA name, when known.
    pub iana: Option<String>,
    /// It authenticates no server.
    pub anonymous: bool,
    /// It encrypts nothing.
    pub cleartext: bool,
    /// One OpenSSL 3.0 dropped (`legacy_suites.rs`).
    pub legacy: bool,
}

/// The suite with wire id `id`, named.
pub fn name_of(lib: &Library, id: u16) -> SuiteName {
    let iana = || openssl_handshake::decode::CipherSuite::new(id).name;
    if let Some(s) = lib.all_suites().find(|s| s.id == id) {
        return SuiteName {
            name: s.name.clone(),
            iana: s.standard_name.clone(),
            anonymous: s.is_anonymous(),
            cleartext: s.enc == "None",
            legacy: false,
        };
    }
    if let Some(l) = legacy_suites::by_id(id) {
        return SuiteName {
            name: l.name.to_owned(),
            iana: iana(),
            anonymous: l.is_anonymous(),
            cleartext: false,
            legacy: true,
        };
    }
    let iana = iana();
    let name = iana.clone().unwrap_or_else(|| format!("{id:#06x}"));
    SuiteName {
        anonymous: name.contains("_anon_"),
        cleartext: name.contains("_NULL_"),
        iana,
        name,
        legacy: false,
    }
}

fn enumerate(p: &Prober, v: Version, openssl: bool) -> SuiteFinding {
    let mut left = if openssl {
        candidates(p, v)
    } else {
        Vec::new()
    };
    let mut f = SuiteFinding::new(v);
    while !left.is_empty() {
        let id = format!("suites/{}/{}", v.id(), f.probes.len() + 1);
        let a = p.run(&id, &offer(v, &left), None);
        f.probes.push(id);
        let chosen = a
            .hello
            .suite
            .as_ref()
            .filter(|_| a.hello.version == Some(v))
            .and_then(|(wire, _)| left.iter().position(|s| s.id == *wire));
        match chosen {
            Some(i) => {
                let s = left.remove(i);
                if let Some(bits) = a.hello.dh_bits {
                    f.dh_bits.push((s.name.clone(), bits));
                }
                if let Some(group) = &a.hello.dh_group {
                    f.dh_groups.push((s.name.clone(), group.clone()));
                }
                f.accept(p.library(), s.id);
            }
            None => {
                f.stopped = match (&a.hello.suite, a.error) {
                    (Some((_, name)), _) => {
                        format!("the server chose {name}, which was not offered")
                    }
                    (None, Some(e)) => e,
                    (None, None) => "no ServerHello".into(),
                };
                break;
            }
        }
    }
    if !openssl {
        f.stopped = "the server took none of the linked OpenSSL's suites".into();
    } else if left.is_empty() && f.stopped.is_empty() {
        f.stopped = "every suite the linked OpenSSL offers was accepted".into();
    }
    if f.accepted.len() >= 2 {
        let reversed: Vec<&SuiteInfo> = f
            .accepted
            .iter()
            .rev()
            .filter_map(|n| p.library().all_suites().find(|s| &s.name == n))
            .collect();
        let id = format!("suites/{}/order", v.id());
        let a = p.run(&id, &offer(v, &reversed), None);
        f.probes.push(id);
        let first = a.hello.suite.map(|(_, n)| n);
        f.server_order = match first {
            Some(n) if Some(&n) == f.accepted.first() => Some(true),
            Some(n) if Some(&n) == f.accepted.last() => Some(false),
            _ => None,
        };
    }
    if v < Version::Tls1_3 {
        let lacking = legacy_lacking(p.library());
        if !lacking.is_empty() {
            let prefix = format!("suites/{}/legacy", v.id());
            let only = f.accepted.is_empty();
            let e = own_hello::enumerate(p, v, &lacking, &prefix, only);
            if only {
                f.server_order = e.server_order;
            }
            f.take(p.library(), e);
            // A server that picks by its own order may rank a dropped
            // suite above OpenSSL's (GnuTLS, Botan and tlslite-ng put
            // ECDHE-RSA-DES-CBC3-SHA before AES-256 suites): the own hellos
            // ask the order once more over them all.
            if !only && f.server_order == Some(true) && !f.legacy.is_empty() {
                let prefix = format!("suites/{}/merged", v.id());
                let e = own_hello::enumerate(p, v, &f.ids, &prefix, false);
                let mut same = e.accepted.clone();
                same.sort_unstable();
                let mut ids = f.ids.clone();
                ids.sort_unstable();
                if same == ids {
                    f.reorder(p.library(), &e.accepted);
                } else {
                    f.legacy_rank_unknown = true;
                }
                f.probes.extend(e.probes);
            }
        }
    }
    f
}

/// The legacy suites the linked OpenSSL cannot offer itself.
pub fn legacy_lacking(lib: &Library) -> Vec<u16> {
    legacy_suites::LEGACY_SUITES
        .iter()
        .map(|l| l.id)
        .filter(|id| lib.all_suites().all(|s| s.id != *id))
        .collect()
}
