//! OCSP stapling: whether the server sends its leaf's OCSP response to a
//! client that asks (status_request, RFC 6066 section 8), as the base
//! probe does, and what it says ([`crate::ocsp`]).

use openssl::x509::X509Ref;
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
    /// The leaf's OCSP responders (its Authority Information Access).
    pub responders: Vec<String>,
    /// Whether the leaf demands a staple: its TLS Feature extension lists
    /// status_request (RFC 7633, "OCSP must-staple").
    pub must_staple: bool,
    /// What was seen, in words.
    pub detail: String,
    /// The probe it rests on.
    pub probes: Vec<String>,
    /// The response as read, for the policy.
    #[serde(skip)]
    staple: Option<ocsp::Staple>,
}

impl OcspFinding {
    /// Whether a client that requires a staple would take this one (the
    /// leaf good in it, and current); `None` when that is not known.
    pub fn usable(&self) -> Option<bool> {
        match (&self.staple, self.stapled) {
            (Some(s), _) => s.usable(),
            (None, Verdict::No) => Some(false),
            (None, _) => None,
        }
    }

    /// The leaf's revocation, when the staple says it is revoked and the
    /// responder's signature verified: what a client that reads staples
    /// (Firefox) refuses the certificate for. An unverified response
    /// proves nothing either way.
    pub fn revoked(&self) -> Option<&str> {
        let s = self.staple.as_ref()?;
        let verified = s.signature_verified == Some(true);
        let said = s.detail.strip_prefix("stapled: ").unwrap_or(&s.detail);
        (verified && s.cert_status.as_deref() == Some("revoked")).then_some(said)
    }
}

/// Reads the staple the base probe got. `base` must have asked for one
/// ([`super::offer::Offer::ocsp`]).
pub fn from_base(base: &Attempt) -> OcspFinding {
    let mut f = read(base);
    if let Some(leaf) = base.chain.first() {
        f.responders = leaf
            .ocsp_responders()
            .map(|r| r.iter().map(|u| u.to_string()).collect())
            .unwrap_or_default();
        f.must_staple = must_staple(leaf);
    }
    if f.must_staple && f.usable() == Some(false) {
        f.detail.push_str(
            "; the leaf demands a staple (TLS Feature status_request, RFC 7633), so clients \
             that enforce it (Firefox) refuse this server",
        );
    }
    f
}

fn read(base: &Attempt) -> OcspFinding {
    let probes = vec![base.id.clone()];
    let unstapled = |stapled, detail| OcspFinding {
        stapled,
        response_status: None,
        cert_status: None,
        this_update: None,
        next_update: None,
        current: Verdict::NotTestable,
        responders: Vec::new(),
        must_staple: false,
        detail,
        probes: probes.clone(),
        staple: None,
    };
    let Some(staple) = &base.ocsp_staple else {
        if base.chain.is_empty() {
            let why = match &base.error {
                Some(e) => format!("the base probe, which asks for the staple, failed: {e}"),
                None => "the server sent no certificate to the base probe".to_owned(),
            };
            return unstapled(Verdict::NotTestable, why);
        }
        return unstapled(Verdict::No, ocsp::Staple::not_sent().detail);
    };
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
        responders: Vec::new(),
        must_staple: false,
        detail: staple.detail.clone(),
        probes,
        staple: Some(staple.clone()),
    }
}

/// Whether `leaf`'s TLS Feature extension lists status_request, read
/// from OpenSSL's own printing of it (the openssl crate has no accessor):
/// "TLS Feature:" (" critical" after it when so), then the features on
/// the next line, comma-separated.
fn must_staple(leaf: &X509Ref) -> bool {
    let Ok(text) = leaf.to_text() else {
        return false;
    };
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line.starts_with("TLS Feature:") {
            return lines
                .next()
                .is_some_and(|features| features.split(", ").any(|f| f == "status_request"));
        }
    }
    false
}
