//! SNI: what the server does for a name it does not know, and for none.

use serde::Serialize;

use super::conn::{Attempt, Offer, Prober};
use crate::case::alert;

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
pub fn scan(p: &Prober, base: &Attempt) -> SniFinding {
    let base_leaf = base.chain.first().and_then(|c| c.to_der().ok());
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
                    format!("{warned}the same certificate as the base probe")
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
