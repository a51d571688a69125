//! OCSP stapling: whether the server sends its leaf's OCSP response to a
//! client that asks (status_request, RFC 6066 section 8), as the base
//! probe does, and what it says ([`crate::ocsp`]).

use serde::Serialize;

use super::conn::Attempt;
use super::Verdict;
use crate::ocsp;

/// The OCSP stapling finding.
#[derive(Debug, Clone, Serialize)]
pub struct OcspFinding {
    /// Yes: the server stapled an OCSP response when the base probe asked.
    pub stapled: Verdict,
    /// The response's status, as RFC 6960 names it ("successful",
    /// "tryLater", ...), when one was stapled.
    pub response_status: Option<String>,
    /// The leaf's status in the response: "good", "revoked" or
    /// "unknown"; absent when the response has no entry for the leaf.
    pub cert_status: Option<String>,
    /// The entry's thisUpdate, as OpenSSL prints times.
    pub this_update: Option<String>,
    /// The entry's nextUpdate; absent when the responder gave none.
    pub next_update: Option<String>,
    /// Yes: now lies between thisUpdate and nextUpdate, give or take five
    /// minutes.
    pub current: Verdict,
    /// What was seen, in words.
    pub detail: String,
    /// The probe it rests on.
    pub probes: Vec<String>,
    /// The response as read, for the policy.
    #[serde(skip)]
    staple: Option<ocsp::Staple>,
}

impl OcspFinding {
    /// Whether a client that requires a staple would take this one: the
    /// leaf good in it, and current.
    pub fn usable(&self) -> bool {
        self.staple.as_ref().is_some_and(ocsp::Staple::usable)
    }
}

/// Reads the staple the base probe got. `base` must have asked for one
/// ([`super::offer::Offer::ocsp`]).
pub fn from_base(base: &Attempt) -> OcspFinding {
    let probes = vec![base.id.clone()];
    let unstapled = |stapled, detail| OcspFinding {
        stapled,
        response_status: None,
        cert_status: None,
        this_update: None,
        next_update: None,
        current: Verdict::NotTestable,
        detail,
        probes: probes.clone(),
        staple: None,
    };
    if base.chain.is_empty() {
        let why = match &base.error {
            Some(e) => format!("the base probe, which asks for the staple, failed: {e}"),
            None => "the server sent no certificate to the base probe".to_owned(),
        };
        return unstapled(Verdict::NotTestable, why);
    }
    let Some(der) = &base.ocsp_staple else {
        return unstapled(Verdict::No, ocsp::Staple::not_sent().detail);
    };
    let staple = ocsp::read(der, &base.chain);
    OcspFinding {
        stapled: Verdict::Yes,
        response_status: staple.response_status.clone(),
        cert_status: staple.cert_status.clone(),
        this_update: staple.this_update.clone(),
        next_update: staple.next_update.clone(),
        current: match staple.current {
            Some(true) => Verdict::Yes,
            Some(false) => Verdict::No,
            None => Verdict::NotTestable,
        },
        detail: staple.detail.clone(),
        probes: probes.clone(),
        staple: Some(staple),
    }
}
