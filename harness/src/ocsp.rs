//! A stapled OCSP response (RFC 6066 section 8): its status, then the
//! leaf's entry, found by the certificate id made from the leaf and the
//! certificate that issued it (sent, or else from the chain this end
//! verified), and its update times against now, with the five minutes'
//! leeway `openssl ocsp` allows; the fields `openssl ocsp -resp_text` and
//! `s_client -status` print. `probe --status` and the scan's base probe
//! ask for one.
//!
//! The responder's signature is not checked: that needs a trusted issuer
//! key or responder certificate, which is the client's policy, not the
//! server's configuration.

use openssl::hash::MessageDigest;
use openssl::ocsp::{OcspCertId, OcspCertStatus, OcspResponse, OcspResponseStatus, OcspStatus};
use openssl::ssl::SslRef;
use openssl::x509::{X509Ref, X509VerifyResult, X509};
use openssl_handshake::decode::ocsp_response_status_name;
use serde::Serialize;

/// Seconds thisUpdate and nextUpdate may be off, as `openssl ocsp`'s
/// `-validity_period` allows by default.
const LEEWAY_SECONDS: u32 = 300;

/// What a stapled response says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staple {
    /// Whether the server stapled anything.
    pub stapled: bool,
    /// The response's status, as RFC 6960 names it ("successful",
    /// "tryLater", ...); absent when the bytes are no OCSP response.
    pub response_status: Option<String>,
    /// The leaf's status in it: "good", "revoked" or "unknown"; absent
    /// when the response has no entry for the leaf.
    pub cert_status: Option<String>,
    /// The entry's thisUpdate, as OpenSSL prints times.
    pub this_update: Option<String>,
    /// The entry's nextUpdate; absent when the responder gave none.
    pub next_update: Option<String>,
    /// Whether now lies between thisUpdate and nextUpdate, give or take
    /// five minutes; absent without an entry.
    pub current: Option<bool>,
    /// What it says, in words.
    pub detail: String,
    /// The leaf's issuer was neither sent nor verified, so its entry,
    /// which names the issuer, could not be looked up.
    #[serde(skip)]
    pub issuer_unknown: bool,
}

impl Staple {
    /// Whether a client that requires a staple would take this one (the
    /// leaf good in it, and current); `None` when the leaf's entry could
    /// not be looked up.
    pub fn usable(&self) -> Option<bool> {
        if self.issuer_unknown {
            return None;
        }
        Some(self.cert_status.as_deref() == Some("good") && self.current == Some(true))
    }

    /// What a server that stapled nothing said.
    pub fn not_sent() -> Self {
        Staple {
            stapled: false,
            ..Staple::unread(
                None,
                "no OCSP response stapled (status_request asked)".to_owned(),
            )
        }
    }

    fn unread(response_status: Option<String>, detail: String) -> Self {
        Staple {
            stapled: true,
            response_status,
            cert_status: None,
            this_update: None,
            next_update: None,
            current: None,
            detail,
            issuer_unknown: false,
        }
    }
}

/// What `ssl`'s peer stapled, read against the chain it sent and, for an
/// issuer it left out, the chain this end verified; `None` when it
/// stapled nothing.
pub fn stapled(ssl: &SslRef) -> Option<Staple> {
    let der = ssl.ocsp_status()?;
    let mut chain: Vec<X509> = ssl
        .peer_cert_chain()
        .map(|s| s.iter().map(|c| c.to_owned()).collect())
        .unwrap_or_default();
    if let Some(verified) = ssl.verified_chain() {
        // Its first is the leaf again.
        chain.extend(verified.iter().skip(1).map(|c| c.to_owned()));
    }
    Some(read(der, &chain))
}

/// Reads `der`, the response stapled for `chain`'s leaf (leaf first,
/// then any certificates that may have issued it).
pub fn read(der: &[u8], chain: &[X509]) -> Staple {
    let response = match OcspResponse::from_der(der) {
        Ok(r) => r,
        Err(e) => {
            let why = format!(
                "stapled {} bytes that are no OCSP response ({e})",
                der.len()
            );
            return Staple::unread(None, why);
        }
    };
    let status = ocsp_response_status_name(response.status());
    if response.status() != OcspResponseStatus::SUCCESSFUL {
        let why = format!(
            "stapled an OCSP response whose status is {status}, with no certificate status in it"
        );
        return Staple::unread(Some(status), why);
    }
    let basic = match response.basic() {
        Ok(b) => b,
        Err(e) => {
            let why = format!("stapled a successful OCSP response that is no basic response ({e})");
            return Staple::unread(Some(status), why);
        }
    };
    let Some((leaf, issuer)) = chain.first().and_then(|l| Some((l, issuer_of(l, chain)?))) else {
        let why = "stapled a successful OCSP response; the leaf's issuer was neither sent nor \
                   found in the trust store, so its entry (which names the issuer by its key) \
                   was not looked up";
        return Staple {
            issuer_unknown: true,
            ..Staple::unread(Some(status), why.to_owned())
        };
    };
    // Responders name certificates by a hash of their issuer: SHA-1 as
    // RFC 6960 began, others in newer ones.
    let digests = [
        MessageDigest::sha1(),
        MessageDigest::sha256(),
        MessageDigest::sha384(),
        MessageDigest::sha512(),
    ];
    let ids: Vec<OcspCertId> = digests
        .into_iter()
        .filter_map(|md| OcspCertId::from_cert(md, leaf, issuer).ok())
        .collect();
    match ids.iter().find_map(|id| basic.find_status(id)) {
        Some(entry) => entry_of(status, &entry),
        None => Staple::unread(
            Some(status),
            "stapled a successful OCSP response with no entry for the leaf".to_owned(),
        ),
    }
}

fn entry_of(response_status: String, s: &OcspStatus<'_>) -> Staple {
    let cert_status = match s.status {
        OcspCertStatus::GOOD => "good",
        OcspCertStatus::REVOKED => "revoked",
        _ => "unknown",
    };
    let validity = s.check_validity(LEEWAY_SECONDS, None);
    let mut detail = match cert_status {
        // RFC 6960 section 2.2: the responder knows nothing of it.
        "unknown" => "stapled: the responder does not know the leaf (unknown)".to_owned(),
        known => format!("stapled: the leaf is {known}"),
    };
    if let Some(at) = s.revocation_time {
        match reason_name(s.reason.as_raw()) {
            Some(why) => detail.push_str(&format!(" (revoked {at}, {why})")),
            None => detail.push_str(&format!(" (revoked {at})")),
        }
    }
    detail.push_str(&format!(", thisUpdate {}", s.this_update));
    match s.next_update() {
        Some(n) => detail.push_str(&format!(", nextUpdate {n}")),
        None => detail.push_str(", no nextUpdate"),
    }
    if let Err(e) = &validity {
        let why = e.errors().first().and_then(|r| r.reason());
        detail.push_str(&format!(
            "; not current: {}",
            why.unwrap_or("outside its validity")
        ));
    }
    Staple {
        stapled: true,
        response_status: Some(response_status),
        cert_status: Some(cert_status.to_owned()),
        this_update: Some(s.this_update.to_string()),
        next_update: s.next_update().map(|t| t.to_string()),
        current: Some(validity.is_ok()),
        detail,
        issuer_unknown: false,
    }
}

/// The certificate of `chain` (past the leaf) that issued `leaf`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_no_response_say_so() {
        let s = read(b"not DER", &[]);
        assert_eq!(s.response_status, None);
        assert!(
            s.detail.contains("7 bytes that are no OCSP response"),
            "{}",
            s.detail
        );
        assert_eq!(s.usable(), Some(false));
    }
}
