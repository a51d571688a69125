//! A stapled OCSP response (RFC 6066 section 8): its status, then the
//! leaf's entry, found by the certificate id made from the leaf and the
//! certificate that issued it (sent, or else from the chain this end
//! verified), and its update times against now, with the five minutes'
//! leeway `openssl ocsp` allows; the fields `openssl ocsp -resp_text` and
//! `s_client -status` print. `probe --status` and the scan's base probe
//! ask for one.
//!
//! The responder's signature is checked as `openssl ocsp -issuer
//! -CAfile` checks it (`OCSP_basic_verify`): the signer found among the
//! certificates the response carries and the chain this end has, its own
//! chain built to this end's trust store (`--cafile`, or the system's),
//! and it must be the leaf's issuer or a responder that issuer delegated
//! to. A staple still reads as it says, as `s_client -status` prints one
//! it never checks; the scan's policy counts a failed signature against
//! the staple ([`Staple::usable`]).

use openssl::hash::MessageDigest;
use openssl::ocsp::{
    OcspBasicResponseRef, OcspCertId, OcspCertStatus, OcspFlag, OcspResponse, OcspResponseStatus,
    OcspStatus,
};
use openssl::ssl::SslRef;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreRef;
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
    /// Whether the responder's signature verified against this end's
    /// trust store; absent when there was no basic response to check.
    pub signature_verified: Option<bool>,
    /// Why it did not verify, in OpenSSL's words.
    pub signature_error: Option<String>,
    /// What it says, in words.
    pub detail: String,
    /// The leaf's issuer was neither sent nor verified, so its entry,
    /// which names the issuer, could not be looked up.
    #[serde(skip)]
    pub issuer_unknown: bool,
}

impl Staple {
    /// Whether a client that requires a staple would take this one (the
    /// leaf good in it, current, and its signature not failing); `None`
    /// when the leaf's entry could not be looked up.
    pub fn usable(&self) -> Option<bool> {
        if self.issuer_unknown {
            return None;
        }
        // A staple whose signature fails is refused outright by clients
        // that check staples (Firefox fails the connection), not ignored.
        Some(
            self.cert_status.as_deref() == Some("good")
                && self.current == Some(true)
                && self.signature_verified != Some(false),
        )
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
            signature_verified: None,
            signature_error: None,
            detail,
            issuer_unknown: false,
        }
    }

    /// Adds the signature's verdict to what the staple says.
    fn signed(mut self, verdict: Result<(), String>) -> Self {
        match verdict {
            Ok(()) => self.detail.push_str("; responder signature verified"),
            Err(why) => {
                self.detail
                    .push_str(&format!("; responder signature NOT verified: {why}"));
                self.signature_error = Some(why);
            }
        }
        self.signature_verified = Some(self.signature_error.is_none());
        self
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
    Some(read(der, &chain, ssl.ssl_context().cert_store()))
}

/// Reads `der`, the response stapled for `chain`'s leaf (leaf first,
/// then any certificates that may have issued it), and checks its
/// signature against `trust`.
pub fn read(der: &[u8], chain: &[X509], trust: &X509StoreRef) -> Staple {
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
    let signature = verify(&basic, chain, trust);
    let Some((leaf, issuer)) = chain.first().and_then(|l| Some((l, issuer_of(l, chain)?))) else {
        let why = "stapled a successful OCSP response; the leaf's issuer was neither sent nor \
                   found in the trust store, so its entry (which names the issuer by its key) \
                   was not looked up";
        return Staple {
            issuer_unknown: true,
            ..Staple::unread(Some(status), why.to_owned())
        }
        .signed(signature);
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
    let staple = match ids.iter().find_map(|id| basic.find_status(id)) {
        Some(entry) => entry_of(status, &entry),
        None => Staple::unread(
            Some(status),
            "stapled a successful OCSP response with no entry for the leaf".to_owned(),
        ),
    };
    staple.signed(signature)
}

/// Checks the response's signature as `openssl ocsp -issuer -CAfile`
/// does, with `chain` as the certificates a signer may be found among or
/// chained through; why it failed, in OpenSSL's words, when it did.
fn verify(
    basic: &OcspBasicResponseRef,
    chain: &[X509],
    trust: &X509StoreRef,
) -> Result<(), String> {
    let mut certs = Stack::new().map_err(|e| e.to_string())?;
    for c in chain {
        certs.push(c.clone()).map_err(|e| e.to_string())?;
    }
    basic.verify(&certs, trust, OcspFlag::empty()).map_err(|e| {
        // "certificate verify error" says little without its data
        // ("Verify error:self-signed certificate").
        let words: Vec<String> = e
            .errors()
            .iter()
            .map(|x| match (x.reason(), x.data()) {
                (Some(r), Some(d)) => format!("{r} ({d})"),
                (Some(r), None) => r.to_owned(),
                (None, _) => format!("error {:#x}", x.code()),
            })
            .collect();
        if words.is_empty() {
            "OCSP_basic_verify failed".to_owned()
        } else {
            words.join("; ")
        }
    })
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
        signature_verified: None,
        signature_error: None,
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
        let trust = openssl::x509::store::X509StoreBuilder::new()
            .expect("store")
            .build();
        let s = read(b"not DER", &[], &trust);
        assert_eq!(s.response_status, None);
        assert!(
            s.detail.contains("7 bytes that are no OCSP response"),
            "{}",
            s.detail
        );
        assert_eq!(s.usable(), Some(false));
    }
}
