//! Certificates valid in themselves that a verifier's policy refuses: a
//! key or a signature digest weaker than its security level allows, or a
//! certificate whose key usage rules out the role it is used in.
//!
//! The verifier reads which from its verify error and the chain it
//! received; a server whose certificate was refused, which hears only an
//! alert, reads it from its own certificate.

use crate::cert::CertificateInfo;

use super::certificate::short_name_or;
use super::facts::alert::UNSUPPORTED_CERTIFICATE;
use super::facts::Facts;
use super::{Cause, Diagnosis, Fault, LocalCertificate};

const INVALID_PURPOSE: i32 = 26;
const EE_KEY_TOO_SMALL: i32 = 66;
const CA_KEY_TOO_SMALL: i32 = 67;
const CA_MD_TOO_WEAK: i32 = 68;

/// The security level most current distributions build OpenSSL with,
/// and OpenSSL's own default from 3.2.
const COMMON_LEVEL: u32 = 2;

const SERVER_AUTH: &str = "TLS Web Server Authentication";
const SERVER_GATED_CRYPTO: &str = "Netscape Server Gated Crypto";
const CLIENT_AUTH: &str = "TLS Web Client Authentication";
/// keyUsage bits that OpenSSL's TLS server purpose accepts (any one).
const SERVER_KEY_USAGES: [&str; 3] = ["Digital Signature", "Key Encipherment", "Key Agreement"];
/// keyUsage bits that OpenSSL's TLS client purpose accepts (any one).
const CLIENT_KEY_USAGES: [&str; 2] = ["Digital Signature", "Key Agreement"];

/// The bits of security OpenSSL's security `level` requires of keys and
/// signature digests (SSL_CTX_set_security_level(3)).
fn required_bits(level: u32) -> u32 {
    match level {
        0 => 0,
        1 => 80,
        2 => 112,
        3 => 128,
        4 => 192,
        _ => 256,
    }
}

/// Whose certificate a verifier refused.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Holder {
    Server,
    Client,
}

impl Holder {
    pub(super) fn name(self) -> &'static str {
        match self {
            Holder::Server => "server",
            Holder::Client => "client",
        }
    }

    /// The peer that verified the certificate.
    pub(super) fn verifier(self) -> &'static str {
        match self {
            Holder::Server => "client",
            Holder::Client => "server",
        }
    }

    /// Where the verifier keeps the CAs it trusts for this holder.
    pub(super) fn verifier_store(self) -> &'static str {
        match self {
            Holder::Server => "trust store",
            Holder::Client => "client-CA store",
        }
    }

    /// What a refusal is diagnosed as: the server's certificate has a
    /// cause of each kind, a client's is rejected.
    pub(super) fn diagnosis(self, server_cause: Cause, summary: String, fix: String) -> Diagnosis {
        match self {
            Holder::Server => Diagnosis::new(server_cause, Fault::Server, summary, fix),
            Holder::Client => {
                Diagnosis::new(Cause::ClientCertRejected, Fault::Client, summary, fix)
            }
        }
    }
}

/// This end's verify error `code` about the `holder`'s certificate, read
/// against the chain the trace kept and this end's security level.
pub(super) fn verify_error_in(f: &Facts<'_>, code: i32, holder: Holder) -> Option<Diagnosis> {
    let chain = f
        .trace
        .negotiated
        .as_ref()
        .map_or(&[][..], |n| &n.peer_chain);
    let level = f.local.map(|l| l.security_level);
    verify_error(code, holder, chain, level)
}

/// A verify error `code`, when it is one of this policy's, read against
/// the `chain` the `holder` sent (leaf first; empty when the verifier
/// kept none) and the verifier's security `level`.
fn verify_error(
    code: i32,
    holder: Holder,
    chain: &[CertificateInfo],
    level: Option<u32>,
) -> Option<Diagnosis> {
    let verifier = holder.verifier();
    let needs = |what: &str| match level {
        Some(l) => format!(
            "this {verifier}'s security level {l} requires {what} of at least {} bits of security",
            required_bits(l)
        ),
        None => format!("this {verifier}'s security level requires stronger {what}"),
    };
    let leaf_role = format!("the {}'s certificate", holder.name());
    let d = match code {
        EE_KEY_TOO_SMALL => {
            let leaf = chain.first();
            weak_key(holder, leaf, whose(leaf, &leaf_role), &needs("keys"), level)
        }
        CA_KEY_TOO_SMALL => {
            let weakest = chain
                .iter()
                .skip(1)
                .min_by_key(|c| c.public_key_security_bits);
            let who = match weakest {
                Some(_) => whose(weakest, "the CA certificate"),
                None => format!(
                    "a CA certificate of the {}'s chain (perhaps a root it does not send)",
                    holder.name()
                ),
            };
            weak_key(holder, weakest, who, &needs("keys"), level)
        }
        CA_MD_TOO_WEAK => {
            let signed = chain
                .iter()
                .position(|c| weak_digest(&c.signature_algorithm));
            let what = match signed {
                Some(i) => {
                    let role = if i == 0 {
                        leaf_role.as_str()
                    } else {
                        "the CA certificate"
                    };
                    format!(
                        "{} is signed with {}",
                        whose(chain.get(i), role),
                        chain[i].signature_algorithm
                    )
                }
                None => format!(
                    "a certificate of the {}'s chain is signed with a weak digest",
                    holder.name()
                ),
            };
            holder.diagnosis(
                Cause::ServerCertWeak,
                format!(
                    "{what}; OpenSSL 3 counts SHA-1 and MD5 signatures as under 80 bits of \
                     security, and {}",
                    needs("signatures")
                ),
                STRONGER_DIGEST.to_owned(),
            )
        }
        INVALID_PURPOSE => {
            let leaf = chain.first();
            let why = leaf.and_then(|c| not_for(holder, &c.extended_key_usage, &c.key_usage));
            let summary = match (leaf, why) {
                (Some(c), Some(why)) => format!(
                    "{} is not for identifying a TLS {}: {why}",
                    whose(Some(c), &leaf_role),
                    holder.name()
                ),
                _ => format!(
                    "a certificate of the {0}'s chain is not for identifying a TLS {0} (its \
                     extendedKeyUsage or keyUsage, or a CA's, rules that out)",
                    holder.name()
                ),
            };
            wrong_purpose(holder, summary)
        }
        _ => return None,
    };
    Some(d)
}

/// The `holder`, refused with `alert` about its certificate: whether its
/// own certificate is one that verifiers' policies refuse. Clients check
/// a server certificate's purpose; servers differ (OpenSSL and rustls
/// refuse a client certificate for another purpose with
/// unsupported_certificate, GnuTLS does not check), so a client's purpose
/// is named only under that alert.
pub(super) fn own_refused(own: &LocalCertificate, holder: Holder, alert: u8) -> Option<Diagnosis> {
    let who = holder.name();
    let verifier = holder.verifier();
    let usable = match holder {
        Holder::Server => own.tls_server_use,
        Holder::Client => own.tls_client_use || alert != UNSUPPORTED_CERTIFICATE,
    };
    if !usable {
        let why = not_for(holder, &own.extended_key_usage, &own.key_usage)
            .unwrap_or_else(|| "OpenSSL's purpose check rules it out".to_owned());
        return Some(wrong_purpose(
            holder,
            format!("this {who}'s certificate is not for identifying a TLS {who}: {why}"),
        ));
    }
    let required = required_bits(COMMON_LEVEL);
    // 0 when OpenSSL could not rate the key: no evidence either way.
    if (1..required).contains(&own.security_bits) {
        return Some(holder.diagnosis(
            Cause::ServerCertWeak,
            format!(
                "this {who}'s certificate has a {}-bit {} key, {} bits of security; {verifier}s \
                 at OpenSSL security level {COMMON_LEVEL} or above (most distributions' default, \
                 and OpenSSL's own from 3.2) require {required}",
                own.key_bits, own.key_type, own.security_bits
            ),
            stronger_key(holder, COMMON_LEVEL),
        ));
    }
    if weak_digest(&own.signature_algorithm) {
        let browsers = match holder {
            Holder::Server => ", browsers",
            Holder::Client => "",
        };
        return Some(holder.diagnosis(
            Cause::ServerCertWeak,
            format!(
                "this {who}'s certificate is signed with {}; current {verifier}s refuse SHA-1 \
                 and MD5 signatures (OpenSSL 3 at security level 1 and above, GnuTLS, \
                 rustls{browsers})",
                own.signature_algorithm
            ),
            STRONGER_DIGEST.to_owned(),
        ));
    }
    None
}

const STRONGER_DIGEST: &str =
    "Have the CA reissue the certificate signed with SHA-256 or stronger.";

/// The fix for a key too weak for the verifier's security `level`: the
/// smallest RSA and EC keys that level accepts (SP 800-57's equivalences,
/// as SSL_CTX_set_security_level(3) gives them).
fn stronger_key(holder: Holder, level: u32) -> String {
    let (rsa, ec) = match required_bits(level) {
        0..=112 => (2048, "P-256"),
        113..=128 => (3072, "P-256 (or Ed25519)"),
        129..=192 => (7680, "P-384"),
        _ => (15360, "P-521"),
    };
    format!(
        "Reissue the certificate with a stronger key: RSA of {rsa} bits or more, or ECDSA {ec}, \
         which security level {level} accepts. Lowering the {}'s security level (@SECLEVEL in \
         its cipher string) would accept it, but also weaker keys and suites on every \
         connection.",
        holder.verifier()
    )
}

fn weak_key(
    holder: Holder,
    cert: Option<&CertificateInfo>,
    whose: String,
    needs: &str,
    level: Option<u32>,
) -> Diagnosis {
    let has = cert.map_or_else(
        || "has a key too small".to_owned(),
        |c| {
            let kind = match (c.public_key_algorithm.as_str(), &c.curve) {
                ("rsaEncryption", _) => "RSA".to_owned(),
                ("id-ecPublicKey", Some(curve)) => format!("EC ({curve})"),
                (other, _) => other.to_owned(),
            };
            format!(
                "has a {}-bit {kind} key, {} bits of security",
                c.public_key_bits, c.public_key_security_bits
            )
        },
    );
    holder.diagnosis(
        Cause::ServerCertWeak,
        format!("{whose} {has}; {needs}"),
        stronger_key(holder, level.unwrap_or(COMMON_LEVEL)),
    )
}

fn wrong_purpose(holder: Holder, summary: String) -> Diagnosis {
    let fix = match holder {
        Holder::Server => {
            "Give the server a certificate whose extendedKeyUsage includes serverAuth (TLS Web \
             Server Authentication), or has no extendedKeyUsage at all, and whose keyUsage, if \
             present, allows Digital Signature."
        }
        Holder::Client => {
            "Give the client a certificate whose extendedKeyUsage includes clientAuth (TLS Web \
             Client Authentication), or has no extendedKeyUsage at all, and whose keyUsage, if \
             present, allows Digital Signature."
        }
    };
    holder.diagnosis(Cause::ServerCertWrongPurpose, summary, fix.to_owned())
}

/// Why these usages rule out the holder's role, or `None` if they do not.
fn not_for(
    holder: Holder,
    extended: &Option<Vec<String>>,
    key: &Option<Vec<String>>,
) -> Option<String> {
    let (purposes_allowed, usages_allowed): (&[&str], &[&str]) = match holder {
        Holder::Server => (&[SERVER_AUTH, SERVER_GATED_CRYPTO], &SERVER_KEY_USAGES),
        Holder::Client => (&[CLIENT_AUTH], &CLIENT_KEY_USAGES),
    };
    if let Some(purposes) = extended {
        if !purposes
            .iter()
            .any(|p| purposes_allowed.contains(&p.as_str()))
        {
            return Some(format!(
                "its extendedKeyUsage names {}, not {}",
                none_or_list(purposes),
                purposes_allowed[0]
            ));
        }
    }
    if let Some(usages) = key {
        if !usages.iter().any(|u| usages_allowed.contains(&u.as_str())) {
            return Some(format!("its keyUsage allows only {}", none_or_list(usages)));
        }
    }
    None
}

fn none_or_list(items: &[String]) -> String {
    if items.is_empty() {
        "no purpose OpenSSL knows".to_owned()
    } else {
        items.join(", ")
    }
}

/// Whether a signature algorithm's digest is SHA-1 or MD5 (or older),
/// which OpenSSL 3 rates under the 80 bits security level 1 requires.
fn weak_digest(algorithm: &str) -> bool {
    let a = algorithm.to_ascii_lowercase();
    ["sha1", "md5", "md4", "md2"].iter().any(|d| a.contains(d))
}

/// `role` followed by the certificate's common name, when there is one.
fn whose(cert: Option<&CertificateInfo>, role: &str) -> String {
    match cert {
        Some(c) => format!("{role} ({})", short_name_or(Some(&c.subject), role)),
        None => role.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_require_what_the_man_page_says() {
        assert_eq!(
            (0..=5).map(required_bits).collect::<Vec<_>>(),
            [0, 80, 112, 128, 192, 256]
        );
    }

    #[test]
    fn weak_digests_are_sha1_and_md5_in_any_spelling() {
        for weak in [
            "sha1WithRSAEncryption",
            "ecdsa-with-SHA1",
            "dsaWithSHA1",
            "md5WithRSAEncryption",
        ] {
            assert!(weak_digest(weak), "{weak}");
        }
        for strong in [
            "sha256WithRSAEncryption",
            "ecdsa-with-SHA384",
            "ED25519",
            "rsassaPss",
        ] {
            assert!(!weak_digest(strong), "{strong}");
        }
    }

    #[test]
    fn usages_that_rule_out_a_server() {
        let names = |n: &[&str]| Some(n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        let client_only = names(&["TLS Web Client Authentication"]);
        assert!(not_for(Holder::Server, &client_only, &None)
            .is_some_and(|w| w.contains("names TLS Web Client Authentication")));
        assert_eq!(not_for(Holder::Server, &names(&[SERVER_AUTH]), &None), None);
        assert_eq!(not_for(Holder::Server, &None, &None), None);
        let signing_only = names(&["Certificate Sign", "CRL Sign"]);
        assert!(not_for(Holder::Server, &None, &signing_only)
            .is_some_and(|w| w.contains("allows only Certificate Sign, CRL Sign")));
        assert_eq!(
            not_for(Holder::Server, &None, &names(&["Key Encipherment"])),
            None
        );
    }
}
