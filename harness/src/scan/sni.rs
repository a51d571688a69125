//! SNI: what the server does for a name it does not know, and for none.

use serde::Serialize;

use super::conn::{Attempt, Offer, Prober};
use crate::case::{alert, Version};

/// The server's answer to one server name.
#[derive(Debug, Clone, Serialize)]
pub struct SniCase {
    /// The name sent, or `None`.
    pub name: Option<String>,
    /// "alert unrecognized_name (112)", "same certificate as for the given name", ...
    pub behaviour: String,
    /// The probe.
    pub probe: String,
}

/// SNI behaviour.
#[derive(Debug, Clone, Serialize)]
pub struct SniFinding {
    /// An unknown name, then no name.
    pub cases: Vec<SniCase>,
}

impl SniFinding {
    /// The finding when its task could not run.
    pub fn failed() -> Self {
        SniFinding { cases: Vec::new() }
    }
}

/// A name under `.invalid` (RFC 2606), which no server can hold.
pub const UNKNOWN_NAME: &str = "unknown-name.tls-harness.invalid";

/// Probes an unknown name and no name; compares the leaves with `base`'s.
///
/// Both run with an offer the given name's handshake succeeds with: the
/// default one where `base` went through (or got a certificate), else the
/// highest version below TLS 1.3 that does (a server whose TLS 1.3
/// handshakes all fail, for its signature schemes say, fails them whatever
/// the name, which says nothing of SNI). Where the given name's handshake
/// fails at every one of them, the cases are not testable.
pub fn scan(p: &Prober, base: &Attempt) -> SniFinding {
    // A handshake that went through without a certificate (anonymous
    // suites) is a reference too: the cases then compare no certificate.
    let reference = if !base.chain.is_empty() || base.accepted() {
        Reference {
            leaf: base.chain.first().and_then(|leaf| leaf.to_der().ok()),
            max: None,
            named: "the base probe".to_owned(),
        }
    } else {
        match with_the_given_name(p) {
            Some(r) => r,
            None => return not_testable(base),
        }
    };
    let base_leaf = reference.leaf;
    let cases = [Some(UNKNOWN_NAME.to_owned()), None]
        .into_iter()
        .map(|name| {
            let id = if name.is_some() {
                "sni/unknown"
            } else {
                "sni/none"
            };
            let a = p.run(
                id,
                &Offer {
                    max: reference.max,
                    sni: Some(name.clone()),
                    ..Offer::default()
                },
                None,
            );
            let leaf = a.chain.first().and_then(|c| c.to_der().ok());
            // A server that does not know the name may say so with a
            // warning and carry on with its default certificate.
            let warned = match (a.hello.alert, &leaf) {
                (Some(d @ alert::UNRECOGNIZED_NAME), Some(_)) => {
                    format!("warning alert {} ({d}), then ", alert::name(d))
                }
                _ => String::new(),
            };
            let behaviour = match (a.hello.alert, &leaf) {
                (Some(d), None) => format!("alert {} ({d})", alert::name(d)),
                (_, Some(l)) if Some(l) == base_leaf.as_ref() => {
                    format!("{warned}the same certificate as {}", reference.named)
                }
                (_, Some(_)) => {
                    // Its subject, and its key and serial, which tell two
                    // certificates for one name apart (RSA and ECDSA).
                    let which = a
                        .chain
                        .first()
                        .map(|c| {
                            let info = openssl_handshake::CertificateInfo::from_x509(c);
                            let key = match &info.curve {
                                Some(curve) => format!("EC {curve}"),
                                None => {
                                    format!(
                                        "{} {}",
                                        info.public_key_algorithm, info.public_key_bits
                                    )
                                }
                            };
                            format!("{}; key {key}; serial {}", info.subject, info.serial)
                        })
                        .unwrap_or_default();
                    format!("{warned}a different certificate ({which})")
                }
                (None, None) => a.error.unwrap_or_else(|| "no certificate".into()),
            };
            SniCase {
                name,
                behaviour,
                probe: id.to_owned(),
            }
        })
        .collect();
    SniFinding { cases }
}

/// What the SNI cases are compared with: the given name's leaf, and the
/// highest version offered to get it (`None`: the default offer).
struct Reference {
    leaf: Option<Vec<u8>>,
    max: Option<Version>,
    /// How the rows name the probe that got it.
    named: String,
}

/// The given name asked again below TLS 1.3, one version lower each time,
/// until its handshake goes through or brings a certificate.
fn with_the_given_name(p: &Prober) -> Option<Reference> {
    [Version::Tls1_2, Version::Tls1_1, Version::Tls1]
        .into_iter()
        .filter(|&v| p.library().missing(v).is_none())
        .find_map(|v| {
            let id = format!("sni/named/{}", v.id());
            let a = p.run(
                &id,
                &Offer {
                    max: Some(v),
                    ..Offer::default()
                },
                None,
            );
            if a.chain.is_empty() && !a.accepted() {
                return None;
            }
            let leaf = a.chain.first().and_then(|leaf| leaf.to_der().ok());
            Some(Reference {
                leaf,
                max: Some(v),
                named: format!("for the given name at {} ({id})", v.display()),
            })
        })
}

/// Both cases when the given name's own handshake fails at every offer
/// tried: the same failure without SNI would say nothing of SNI.
fn not_testable(base: &Attempt) -> SniFinding {
    let why = base.error.as_deref().unwrap_or("no certificate");
    let cases = [Some(UNKNOWN_NAME.to_owned()), None]
        .into_iter()
        .map(|name| SniCase {
            name,
            behaviour: format!(
                "not testable: the given name's handshake fails too ({}: {why}), at every \
                 version tried",
                super::BASE_PROBE
            ),
            probe: super::BASE_PROBE.to_owned(),
        })
        .collect();
    SniFinding { cases }
}
