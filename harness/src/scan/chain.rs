//! The certificate chain of the base probe: each certificate's anatomy,
//! the order and completeness of the chain, days to expiry, the hostname
//! match and the verify result.
//!
//! The handshake's own verify result includes the hostname check; the
//! chain is also verified here without a name, so that a wrong name and
//! a missing intermediate are told apart.

use openssl::asn1::Asn1Time;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509PurposeId, X509Ref, X509StoreContext, X509VerifyResult, X509};
use openssl_handshake::CertificateInfo;
use serde::Serialize;
use testkit::error_chain::Chain;

use super::conn::{Attempt, Offer, Prober};
use super::{sigalgs, Verdict};
use crate::case::Version;
use crate::ffi::verify_errors::{verify_each, VerifyError};

/// One certificate as sent.
#[derive(Debug, Clone, Serialize)]
pub struct CertSummary {
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// notBefore.
    pub not_before: String,
    /// notAfter.
    pub not_after: String,
    /// "rsaEncryption 2048", "id-ecPublicKey 256 prime256v1", ...
    pub key: String,
    /// Key algorithm ("rsaEncryption", "id-ecPublicKey", "ED25519").
    pub key_algorithm: String,
    /// Key size in bits.
    pub key_bits: u32,
    /// Signature algorithm.
    pub signature_algorithm: String,
    /// SANs, "DNS:x" / "IP:y".
    pub subject_alt_names: Vec<String>,
    /// X509v3 Key Usage, as `openssl x509 -text` prints it.
    pub key_usage: Option<String>,
    /// X509v3 Extended Key Usage.
    pub extended_key_usage: Option<String>,
    /// Days from now to notAfter (negative once expired).
    pub days_to_expiry: Option<i32>,
    /// Days from notBefore to notAfter.
    pub lifespan_days: Option<i32>,
    /// Whole days from now to notBefore, where that is still to come (0:
    /// within a day); the table marks such a certificate.
    #[serde(skip)]
    pub not_yet_valid_days: Option<i32>,
}

/// The chain finding.
#[derive(Debug, Clone, Serialize)]
pub struct ChainFinding {
    /// The leaf key's type ("rsa", "ecdsa", "ed25519", ...), telling a
    /// server's chains apart; empty without a certificate.
    pub key_type: String,
    /// The leaf as sent, to tell whether another probe got the same one.
    #[serde(skip)]
    pub leaf_der: Option<Vec<u8>>,
    /// The certificates, in the order sent (leaf first).
    pub certificates: Vec<CertSummary>,
    /// Yes: each certificate is issued by the next one.
    pub ordered: Verdict,
    /// Yes: the chain verifies against the trust store with nothing missing
    /// (dates aside: an expired chain can be complete), or, where that
    /// fails for want of the last certificate's issuer (`chain_verify` 20),
    /// the certificates sent, in order, verify up to the last, a CA
    /// certificate: complete as sent, its issuer not trusted.
    pub complete: Verdict,
    /// Days to the leaf's expiry.
    pub leaf_days_to_expiry: Option<i32>,
    /// The name checked.
    pub hostname: String,
    /// Yes: a SAN (or, without DNS SANs, the CN) matches the name.
    pub hostname_match: Verdict,
    /// The chain verified without a name or dates: code and text.
    pub chain_verify: (i32, String),
    /// The handshake's verify result (chain and name): code and text. The
    /// scan's handshakes run at security level 0, to reach every server,
    /// so this one passes keys and digests that level 1 refuses.
    pub handshake_verify: Option<(i32, String)>,
    /// The chain verified as the linked OpenSSL's clients verify it by
    /// default: with the name, the dates and its default security level
    /// (`client_security_level`: at 1, keys of at least 80-bit strength
    /// and no SHA-1 or MD5 signatures; at 2, 112 bits). `None` without a
    /// chain.
    pub client_verify: Option<(i32, String)>,
    /// Every error `client_verify` met, in the order OpenSSL met them, as
    /// `openssl s_client` prints a `verify error:` line for each (the
    /// first is `client_verify`'s); empty when the chain verifies, could
    /// not be verified (`client_verify` -1) or is missing.
    pub client_verify_errors: Vec<VerifyError>,
    /// The security level `client_verify` ran at.
    pub client_security_level: u32,
    /// Notes on anything odd.
    pub notes: Vec<String>,
    /// The probe.
    pub probes: Vec<String>,
    /// The OCSP staple sent with this chain, for the server's other
    /// chains (the base chain's is `findings.ocsp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp: Option<super::ocsp::OcspFinding>,
}

/// Reads the chain `probe` got: the base probe's, or where it got none,
/// a version probe's, which verified nothing in its handshake.
pub fn from_probe(p: &Prober, probe: &Attempt, base: &Attempt) -> ChainFinding {
    let mut f = from_base(p, probe);
    if probe.id != base.id {
        f.handshake_verify = None;
        f.notes.push(format!(
            "read from {}: the base probe got no certificate ({})",
            probe.id,
            base.error.as_deref().unwrap_or("no handshake")
        ));
    }
    f
}

/// Reads the base probe's chain.
fn from_base(p: &Prober, base: &Attempt) -> ChainFinding {
    let target = p.target();
    let hostname = target
        .servername
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let mut f = ChainFinding {
        key_type: base
            .chain
            .first()
            .map(|c| key_type(&summary(c).key_algorithm).to_owned())
            .unwrap_or_default(),
        leaf_der: base.chain.first().and_then(|c| c.to_der().ok()),
        certificates: base.chain.iter().map(|c| summary(c)).collect(),
        ordered: Verdict::NotTestable,
        complete: Verdict::NotTestable,
        leaf_days_to_expiry: None,
        hostname_match: Verdict::NotTestable,
        chain_verify: (-1, String::new()),
        handshake_verify: base
            .negotiated
            .as_ref()
            .and_then(|n| n.verify.as_ref())
            .map(|v| (v.code, v.text.clone())),
        client_verify: None,
        client_verify_errors: Vec::new(),
        client_security_level: crate::library::default_security_level(),
        notes: Vec::new(),
        probes: vec![base.id.clone()],
        hostname,
        ocsp: None,
    };
    let Some(leaf) = base.chain.first() else {
        f.chain_verify.1 = format!(
            "no certificate received: {}",
            base.error.clone().unwrap_or_default()
        );
        return f;
    };
    f.leaf_days_to_expiry = f.certificates.first().and_then(|c| c.days_to_expiry);
    let misordered: Vec<usize> = base
        .chain
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[1].issued(&w[0]) != X509VerifyResult::OK)
        .map(|(i, _)| i)
        .collect();
    f.ordered = if misordered.is_empty() {
        Verdict::Yes
    } else {
        for i in &misordered {
            f.notes.push(format!(
                "certificate {} is not issued by certificate {}",
                i,
                i + 1
            ));
        }
        Verdict::No
    };
    match verify_chain(p, &base.chain, Some((&f.hostname, f.client_security_level))) {
        Ok(v) => {
            f.client_verify = Some((v.code, v.text));
            f.client_verify_errors = v.errors;
        }
        Err(e) => f.client_verify = Some((-1, Chain(&e).to_string())),
    }
    match verify_chain(p, &base.chain, None).map(|v| (v.code, v.text)) {
        Ok((code, text)) => {
            f.complete = match code {
                0 => Verdict::Yes,
                // Error 20 says as much of a missing intermediate as of a
                // root that is not trusted: where the certificates sent, in
                // order, verify up to the last (a CA certificate), nothing
                // between them is missing, only its issuer's trust.
                20 if f.ordered == Verdict::Yes && complete_as_sent(&base.chain) => Verdict::Yes,
                // unable to get issuer certificate / ... locally: something
                // between the last certificate sent and a trust anchor is
                // missing.
                2 | 20 => Verdict::No,
                _ => Verdict::NotTestable,
            };
            f.chain_verify = (code, text);
        }
        Err(e) => f.chain_verify.1 = Chain(&e).to_string(),
    }
    // An address in a shorthand form (127.1) is matched as the address.
    let name =
        crate::probe::as_ip(&f.hostname).map_or_else(|| f.hostname.clone(), |ip| ip.to_string());
    f.hostname_match = if crate::ffi::host::certificate_names(leaf, &name) {
        Verdict::Yes
    } else {
        Verdict::No
    };
    f
}

/// A key type a server may hold a certificate of, and what a client
/// offers to be given that one: the signature schemes of its kind and, for
/// TLS 1.2 and older, suites of its authentication.
struct KeyTypeOffer {
    name: &'static str,
    schemes: fn(u16) -> bool,
    authentication: &'static str,
}

const KEY_TYPES: &[KeyTypeOffer] = &[
    KeyTypeOffer {
        name: "ecdsa",
        schemes: |id| id & 0xff == 0x03,
        authentication: "aECDSA",
    },
    KeyTypeOffer {
        name: "rsa",
        schemes: |id| id & 0xff == 0x01 || (0x0804..=0x0806).contains(&id),
        authentication: "aRSA",
    },
    KeyTypeOffer {
        name: "rsa-pss",
        schemes: |id| (0x0809..=0x080b).contains(&id),
        authentication: "aRSA",
    },
    KeyTypeOffer {
        name: "ed25519",
        schemes: |id| id == 0x0807,
        authentication: "aECDSA",
    },
    KeyTypeOffer {
        name: "ed448",
        schemes: |id| id == 0x0808,
        authentication: "aECDSA",
    },
    KeyTypeOffer {
        name: "dsa",
        schemes: |id| id & 0xff == 0x02,
        authentication: "aDSS",
    },
];

/// The chains a server sends a client that can verify only one key type,
/// for each type other than those of `known` (a server may hold an RSA
/// and an ECDSA certificate, and gives each client the one it can use).
/// Asked at TLS 1.3 where taken (it has no DSA), else at the highest
/// version taken; a leaf already seen is not reported twice. Also the
/// probes that got no answer: a chain they would have found is unseen.
pub fn others(
    p: &Prober,
    accepted: &[Version],
    known: &ChainFinding,
) -> (Vec<ChainFinding>, Vec<String>) {
    let Some(&highest) = accepted.iter().max() else {
        return Default::default();
    };
    let wanted: Vec<&KeyTypeOffer> = KEY_TYPES
        .iter()
        .filter(|k| k.name != known.key_type)
        .collect();
    let attempts: Vec<Attempt> = std::thread::scope(|s| {
        let handles: Vec<_> = wanted
            .iter()
            .filter_map(|k| {
                let v = if accepted.contains(&Version::Tls1_3) && k.name != "dsa" {
                    Version::Tls1_3
                } else if highest == Version::Tls1_3 {
                    *accepted.iter().filter(|v| **v < Version::Tls1_3).max()?
                } else {
                    highest
                };
                // Below TLS 1.2 there are no signature schemes to ask by.
                if v < Version::Tls1_2 && !matches!(k.name, "rsa" | "ecdsa" | "dsa") {
                    return None;
                }
                let schemes: Vec<&str> = sigalgs::SCHEMES
                    .iter()
                    .filter(|(id, _)| (k.schemes)(*id))
                    .filter(|(id, _)| v != Version::Tls1_3 || (id >> 8) >= 4)
                    .map(|(_, name)| *name)
                    .collect();
                let offer = Offer {
                    min: Some(v),
                    max: Some(v),
                    cipher_list: (v != Version::Tls1_3).then(|| k.authentication.to_owned()),
                    sigalgs: (v >= Version::Tls1_2).then(|| schemes.join(":")),
                    verify: true,
                    ocsp: true,
                    ..Offer::default()
                };
                let id = format!("chain/{}", k.name);
                Some(s.spawn(move || p.run(&id, &offer, None)))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let der = |a: &Attempt| a.chain.first().and_then(|c| c.to_der().ok());
    let mut found = Vec::new();
    for a in attempts.iter().filter(|a| a.ok) {
        let Some(leaf) = der(a) else { continue };
        let known_leaf = known.leaf_der.as_ref() == Some(&leaf);
        if known_leaf || seen.contains(&leaf) {
            continue;
        }
        seen.push(leaf);
        let mut chain = from_base(p, a);
        chain.ocsp = Some(super::ocsp::from_base(a));
        found.push(chain);
    }
    let unanswered = attempts
        .iter()
        .filter(|a| a.unanswered.is_some())
        .map(|a| a.id.clone())
        .collect();
    (found, unanswered)
}

impl ChainFinding {
    /// Notes the probes for other chains that got no answer, and rests on
    /// them, so that the certificate rules are not verified without them.
    pub fn missing_others(mut self, unanswered: Vec<String>) -> Self {
        for id in unanswered {
            self.notes.push(format!(
                "{id} got no TLS answer: a certificate of that key type, if the server has one, \
                 is not examined"
            ));
            self.probes.push(id);
        }
        self
    }
}

/// Whether `name` (in any case) is a key type [`key_type`] reports, but
/// "other": one a policy's `certificate_types` may give.
pub fn is_key_type(name: &str) -> bool {
    KEY_TYPES.iter().any(|k| k.name.eq_ignore_ascii_case(name))
}

/// "rsa", "ecdsa", "ed25519", ... from a key algorithm's long name.
pub fn key_type(algorithm: &str) -> &'static str {
    match algorithm {
        "rsaEncryption" | "RSA" => "rsa",
        "rsassaPss" | "RSASSA-PSS" => "rsa-pss",
        "id-ecPublicKey" => "ecdsa",
        "ED25519" => "ed25519",
        "ED448" => "ed448",
        "dsaEncryption" => "dsa",
        _ => "other",
    }
}

fn summary(c: &X509Ref) -> CertSummary {
    let info = CertificateInfo::from_x509(c);
    let now = Asn1Time::days_from_now(0).ok();
    let days = now
        .as_ref()
        .and_then(|now| now.diff(c.not_after()).ok())
        .map(|d| d.days);
    let not_yet_valid_days = now
        .as_ref()
        .and_then(|now| now.diff(c.not_before()).ok())
        .filter(|d| d.days > 0 || (d.days == 0 && d.secs > 0))
        .map(|d| d.days);
    let key = match &info.curve {
        Some(curve) => format!(
            "{} {} {curve}",
            info.public_key_algorithm, info.public_key_bits
        ),
        None => format!("{} {}", info.public_key_algorithm, info.public_key_bits),
    };
    CertSummary {
        subject: info.subject,
        issuer: info.issuer,
        not_before: info.not_before,
        not_after: info.not_after,
        key,
        key_algorithm: info.public_key_algorithm,
        key_bits: info.public_key_bits,
        signature_algorithm: info.signature_algorithm,
        subject_alt_names: info.subject_alt_names,
        key_usage: info.key_usage.map(|u| u.join(", ")),
        extended_key_usage: info.extended_key_usage.map(|u| u.join(", ")),
        days_to_expiry: days,
        lifespan_days: c.not_before().diff(c.not_after()).ok().map(|d| d.days),
        not_yet_valid_days,
    }
}

/// Whether `chain` (leaf first) verifies, dates aside, with its last
/// certificate as the trust anchor: OpenSSL then checks that each
/// certificate is signed by the next and that those above the leaf are
/// CA certificates, as `openssl verify -partial_chain -no_check_time`
/// with the last certificate as `-CAfile` does.
fn complete_as_sent(chain: &[X509]) -> bool {
    let (Some(leaf), Some(last)) = (chain.first(), chain.last()) else {
        return false;
    };
    if chain.len() < 2 {
        return false;
    }
    let verified = || -> Result<bool, openssl::error::ErrorStack> {
        let mut store = X509StoreBuilder::new()?;
        store.add_cert(last.clone())?;
        store.set_flags(X509VerifyFlags::PARTIAL_CHAIN | X509VerifyFlags::NO_CHECK_TIME)?;
        let store = store.build();
        let mut untrusted = Stack::new()?;
        for c in &chain[1..] {
            untrusted.push(c.clone())?;
        }
        let mut ctx = X509StoreContext::new()?;
        ctx.init(&store, leaf, &untrusted, |c| c.verify_cert())
    };
    verified().unwrap_or(false)
}

/// Why a chain could not be put to verification (not why it failed it).
#[derive(Debug, thiserror::Error)]
enum ChainVerifyError {
    /// OpenSSL refused to set up the store or the verification.
    #[error(transparent)]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// The server sent no certificate.
    #[error("no certificate")]
    NoCertificate,
}

/// Verifies the chain as sent against `--cafile` or the system store:
/// with a name and a security level, as a client does (the name, the
/// dates, the keys' and signatures' strength); without, for its issuers
/// alone.
fn verify_chain(
    p: &Prober,
    chain: &[X509],
    as_client: Option<(&str, u32)>,
) -> Result<Verified, ChainVerifyError> {
    let mut store = X509StoreBuilder::new()?;
    match &p.files().cas {
        Some(cas) => {
            for c in cas {
                store.add_cert(c.clone())?;
            }
        }
        None => store.set_default_paths()?,
    }
    match as_client {
        Some((name, level)) => {
            let mut param = X509VerifyParam::new()?;
            param.set_auth_level(i32::try_from(level).unwrap_or(i32::MAX));
            // As SSL_connect verifies: a leaf only for client
            // authentication is refused (X509_V_ERR_INVALID_PURPOSE).
            param.set_purpose(X509PurposeId::SSL_SERVER)?;
            match crate::probe::as_ip(name) {
                Some(ip) => param.set_ip(ip),
                None => param.set_host(name),
            }?;
            store.set_param(&param)?;
        }
        // Completeness is a question of issuers, not dates: an expired
        // leaf with its whole chain is complete (the name's verification
        // reports the expiry).
        None => store.set_flags(X509VerifyFlags::NO_CHECK_TIME)?,
    }
    let store = store.build();
    let mut untrusted = Stack::new()?;
    for c in chain.iter().skip(1) {
        untrusted.push(c.clone())?;
    }
    let mut ctx = X509StoreContext::new()?;
    let leaf = chain.first().ok_or(ChainVerifyError::NoCertificate)?;
    ctx.init(&store, leaf, &untrusted, |c| {
        // As a client, every error (its result is the first); for the
        // issuers, the first alone, which says what is missing.
        let errors = match as_client {
            Some(_) => verify_each(c)?,
            None => {
                c.verify_cert()?;
                Vec::new()
            }
        };
        let (code, text) = errors.first().map_or_else(
            || (c.error().as_raw(), c.error().error_string().to_owned()),
            |e| (e.code, e.text.clone()),
        );
        Ok(Verified { code, text, errors })
    })
    .map_err(ChainVerifyError::from)
}

/// A chain's verify result: the first error's code and text (0 and "ok"
/// when it verifies), and, verified as a client, every error met.
struct Verified {
    code: i32,
    text: String,
    errors: Vec<VerifyError>,
}
