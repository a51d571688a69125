//! OCSP stapling (RFC 6066 section 8, RFC 6961's single staple in TLS
//! 1.3's Certificate): whether the server sends its leaf's OCSP response
//! to a client that asks, as the base probe does, and what it says.
//!
//! The response is read as `openssl ocsp -resp_text` reads it: its status,
//! then the leaf's entry, found by the certificate id made from the leaf
//! and the certificate in the chain that issued it, and its update times
//! against now, with OpenSSL's default five minutes' leeway. The
//! responder's signature is not checked: that needs a trusted issuer key
//! or responder certificate, which is the client's policy, not the
//! server's configuration.

use openssl::hash::MessageDigest;
use openssl::ocsp::{OcspCertId, OcspCertStatus, OcspResponse, OcspResponseStatus};
use openssl::x509::{X509Ref, X509VerifyResult, X509};
use serde::Serialize;

use super::conn::Attempt;
use super::Verdict;

/// Seconds thisUpdate and nextUpdate may be off, as `openssl ocsp`'s
/// `-validity_period` allows by default.
const LEEWAY_SECONDS: u32 = 300;

/// The OCSP stapling finding.
#[derive(Debug, Clone, Serialize)]
pub struct OcspFinding {
    /// Yes: the server stapled an OCSP response when the base probe asked
    /// (status_request).
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
}

impl OcspFinding {
    fn without_entry(stapled: Verdict, status: Option<String>, detail: String) -> Self {
        OcspFinding {
            stapled,
            response_status: status,
            cert_status: None,
            this_update: None,
            next_update: None,
            current: Verdict::NotTestable,
            detail,
            probes: Vec::new(),
        }
    }

    /// Whether a client that requires a staple would take this one: a
    /// successful response, the leaf good in it, and current.
    pub fn usable(&self) -> bool {
        self.cert_status.as_deref() == Some("good") && self.current == Verdict::Yes
    }
}

/// Reads the staple the base probe got. `base` must have asked for one
/// ([`super::offer::Offer::ocsp`]).
pub fn from_base(base: &Attempt) -> OcspFinding {
    let mut f = read(base);
    f.probes = vec![base.id.clone()];
    f
}

fn read(base: &Attempt) -> OcspFinding {
    if base.chain.is_empty() {
        let why = match &base.error {
            Some(e) => format!("the base probe, which asks for the staple, failed: {e}"),
            None => "the server sent no certificate to the base probe".to_owned(),
        };
        return OcspFinding::without_entry(Verdict::NotTestable, None, why);
    }
    let Some(der) = &base.ocsp_staple else {
        return OcspFinding::without_entry(
            Verdict::No,
            None,
            "no OCSP response stapled (status_request asked)".to_owned(),
        );
    };
    let response = match OcspResponse::from_der(der) {
        Ok(r) => r,
        Err(e) => {
            return OcspFinding::without_entry(
                Verdict::Yes,
                None,
                format!(
                    "stapled {} bytes that are no OCSP response ({e})",
                    der.len()
                ),
            )
        }
    };
    let status = response_status_name(response.status());
    if response.status() != OcspResponseStatus::SUCCESSFUL {
        return OcspFinding::without_entry(
            Verdict::Yes,
            Some(status.clone()),
            format!("stapled an OCSP response whose status is {status}, with no certificate status in it"),
        );
    }
    let basic = match response.basic() {
        Ok(b) => b,
        Err(e) => {
            return OcspFinding::without_entry(
                Verdict::Yes,
                Some(status),
                format!("stapled a successful OCSP response that is no basic response ({e})"),
            )
        }
    };
    let leaf = &base.chain[0];
    let Some(issuer) = issuer_of(leaf, &base.chain) else {
        return OcspFinding::without_entry(
            Verdict::Yes,
            Some(status),
            "stapled a successful OCSP response; the leaf's issuer was not sent, so its \
             entry (which names the issuer by its key) was not looked up"
                .to_owned(),
        );
    };
    // Responders name certificates by a hash of their issuer: SHA-1 as
    // RFC 6960 began, SHA-256 in newer ones.
    let ids = [MessageDigest::sha1(), MessageDigest::sha256()]
        .into_iter()
        .filter_map(|md| OcspCertId::from_cert(md, leaf, issuer).ok());
    let Some(entry) = ids
        .collect::<Vec<_>>()
        .iter()
        .find_map(|id| basic.find_status(id).map(|s| entry_of(&s)))
    else {
        return OcspFinding::without_entry(
            Verdict::Yes,
            Some(status),
            "stapled a successful OCSP response with no entry for the leaf".to_owned(),
        );
    };
    let detail = entry.detail();
    OcspFinding {
        stapled: Verdict::Yes,
        response_status: Some(status),
        cert_status: Some(entry.cert_status),
        this_update: Some(entry.this_update),
        next_update: entry.next_update,
        current: entry.current,
        detail,
        probes: Vec::new(),
    }
}

/// What the response says of the leaf.
struct Entry {
    cert_status: String,
    revoked_at: Option<String>,
    this_update: String,
    next_update: Option<String>,
    current: Verdict,
    stale_why: Option<String>,
}

fn entry_of(s: &openssl::ocsp::OcspStatus<'_>) -> Entry {
    let cert_status = match s.status {
        OcspCertStatus::GOOD => "good",
        OcspCertStatus::REVOKED => "revoked",
        _ => "unknown",
    };
    let validity = s.check_validity(LEEWAY_SECONDS, None);
    Entry {
        cert_status: cert_status.to_owned(),
        revoked_at: s
            .revocation_time
            .map(|t| match reason_name(s.reason.as_raw()) {
                Some(why) => format!("{t}, {why}"),
                None => t.to_string(),
            }),
        this_update: s.this_update.to_string(),
        next_update: s.next_update().map(|t| t.to_string()),
        current: if validity.is_ok() {
            Verdict::Yes
        } else {
            Verdict::No
        },
        stale_why: validity.err().map(|e| {
            e.errors()
                .first()
                .and_then(|r| r.reason())
                .unwrap_or("outside its validity")
                .to_owned()
        }),
    }
}

impl Entry {
    fn detail(&self) -> String {
        let mut d = format!("stapled: the leaf is {}", self.cert_status);
        if let Some(at) = &self.revoked_at {
            d.push_str(&format!(" (revoked {at})"));
        }
        d.push_str(&format!(", thisUpdate {}", self.this_update));
        match &self.next_update {
            Some(n) => d.push_str(&format!(", nextUpdate {n}")),
            None => d.push_str(", no nextUpdate"),
        }
        if let Some(why) = &self.stale_why {
            d.push_str(&format!("; not current: {why}"));
        }
        d
    }
}

/// The certificate sent that issued `leaf`.
fn issuer_of<'a>(leaf: &X509Ref, chain: &'a [X509]) -> Option<&'a X509> {
    chain
        .iter()
        .skip(1)
        .find(|c| c.issued(leaf) == X509VerifyResult::OK)
}

/// RFC 5280's name for a CRLReason, as `openssl ocsp` prints it; none
/// for a revocation without one.
fn reason_name(code: i32) -> Option<&'static str> {
    Some(match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => return None,
    })
}

/// RFC 6960's name for a response status.
fn response_status_name(s: OcspResponseStatus) -> String {
    let name = match s {
        OcspResponseStatus::SUCCESSFUL => "successful",
        OcspResponseStatus::MALFORMED_REQUEST => "malformedRequest",
        OcspResponseStatus::INTERNAL_ERROR => "internalError",
        OcspResponseStatus::TRY_LATER => "tryLater",
        OcspResponseStatus::SIG_REQUIRED => "sigRequired",
        OcspResponseStatus::UNAUTHORIZED => "unauthorized",
        other => return format!("unknown ({})", other.as_raw()),
    };
    name.to_owned()
}
