//! Certificates valid in themselves that a verifier's policy refuses: a
//! key or a signature digest weaker than its security level allows, or a
//! certificate whose key usage rules out identifying a TLS server.
//!
//! The client reads which from its verify error and the chain it
//! received; the server, which hears only an alert, from its own
//! certificate.

use crate::cert::CertificateInfo;

use super::{Cause, Diagnosis, Fault, LocalCertificate};

pub(super) const INVALID_PURPOSE: i32 = 26;
pub(super) const EE_KEY_TOO_SMALL: i32 = 66;
pub(super) const CA_KEY_TOO_SMALL: i32 = 67;
pub(super) const CA_MD_TOO_WEAK: i32 = 68;

/// The security level most current distributions build OpenSSL with,
/// and OpenSSL's own default from 3.2.
const COMMON_LEVEL: u32 = 2;

const SERVER_AUTH: &str = "TLS Web Server Authentication";
const SERVER_GATED_CRYPTO: &str = "Netscape Server Gated Crypto";
/// keyUsage bits that OpenSSL's TLS server purpose accepts (any one).
const SERVER_KEY_USAGES: [&str; 3] = ["Digital Signature", "Key Encipherment", "Key Agreement"];

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

/// The client's verify error `code`, when it is one of this policy's,
/// read against the `chain` the server sent (leaf first) and the
/// client's security `level`.
pub(super) fn client_verify(
    code: i32,
    chain: &[CertificateInfo],
    level: Option<u32>,
) -> Option<Diagnosis> {
    let needs = |what: &str| match level {
        Some(l) => format!(
            "this client's security level {l} requires {what} of at least {} bits of security",
            required_bits(l)
        ),
        None => format!("this client's security level requires a stronger {what}"),
    };
    let d = match code {
        EE_KEY_TOO_SMALL => {
            let leaf = chain.first();
            weak_key(
                leaf,
                whose(leaf, "the server's certificate"),
                &needs("keys"),
            )
        }
        CA_KEY_TOO_SMALL => {
            let weakest = chain
                .iter()
                .skip(1)
                .min_by_key(|c| c.public_key_security_bits);
            let who = match weakest {
                Some(_) => whose(weakest, "the CA certificate"),
                None => "a CA certificate of the verified chain (perhaps a root the server does \
                         not send)"
                    .to_owned(),
            };
            weak_key(weakest, who, &needs("keys"))
        }
        CA_MD_TOO_WEAK => {
            let signed = chain
                .iter()
                .position(|c| weak_digest(&c.signature_algorithm));
            let what = match signed {
                Some(i) => format!(
                    "{} is signed with {}",
                    whose(
                        chain.get(i),
                        if i == 0 {
                            "the server's certificate"
                        } else {
                            "the CA certificate"
                        }
                    ),
                    chain[i].signature_algorithm
                ),
                None => "a certificate of the server's chain is signed with a weak digest".into(),
            };
            Diagnosis::new(
                Cause::ServerCertWeak,
                Fault::Server,
                format!(
                    "{what}; OpenSSL 3 counts SHA-1 and MD5 signatures as under 80 bits of \
                     security, and {}",
                    needs("signatures")
                ),
                "Have the CA reissue the certificate signed with SHA-256 or stronger.",
            )
        }
        INVALID_PURPOSE => {
            let leaf = chain.first();
            let why = leaf.and_then(|c| not_for_servers(&c.extended_key_usage, &c.key_usage));
            let summary = match (leaf, why) {
                (Some(c), Some(why)) => format!(
                    "the server's certificate ({}) is not for identifying a TLS server: {why}",
                    short(&c.subject)
                ),
                _ => "a certificate of the server's chain is not for identifying a TLS server \
                      (a CA's extendedKeyUsage can rule that out for all it issues)"
                    .to_owned(),
            };
            wrong_purpose(summary)
        }
        _ => return None,
    };
    Some(d)
}

/// The server, refused with an alert about its certificate: whether its
/// own certificate is one that clients' policies refuse.
pub(super) fn server_own(own: &LocalCertificate) -> Option<Diagnosis> {
    if !own.tls_server_use {
        let why = not_for_servers(&own.extended_key_usage, &own.key_usage)
            .unwrap_or_else(|| "OpenSSL's purpose check rules it out".to_owned());
        return Some(wrong_purpose(format!(
            "this server's certificate is not for identifying a TLS server: {why}"
        )));
    }
    let required = required_bits(COMMON_LEVEL);
    if own.security_bits < required {
        return Some(Diagnosis::new(
            Cause::ServerCertWeak,
            Fault::Server,
            format!(
                "this server's certificate has a {}-bit {} key, {} bits of security; clients at \
                 OpenSSL security level {COMMON_LEVEL} or above (most distributions' default, \
                 and OpenSSL's own from 3.2) require {required}",
                own.key_bits, own.key_type, own.security_bits
            ),
            STRONGER_KEY,
        ));
    }
    if weak_digest(&own.signature_algorithm) {
        return Some(Diagnosis::new(
            Cause::ServerCertWeak,
            Fault::Server,
            format!(
                "this server's certificate is signed with {}; OpenSSL 3 clients refuse SHA-1 \
                 and MD5 signatures at security level 1 and above",
                own.signature_algorithm
            ),
            "Have the CA reissue the certificate signed with SHA-256 or stronger.",
        ));
    }
    None
}

const STRONGER_KEY: &str =
    "Reissue the certificate with a stronger key: RSA of 2048 bits or more, \
     or ECDSA P-256. Lowering the client's security level (@SECLEVEL in its cipher string) would \
     accept it, but also weaker keys and suites on every connection.";

fn weak_key(cert: Option<&CertificateInfo>, whose: String, needs: &str) -> Diagnosis {
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
    Diagnosis::new(
        Cause::ServerCertWeak,
        Fault::Server,
        format!("{whose} {has}; {needs}"),
        STRONGER_KEY,
    )
}

fn wrong_purpose(summary: String) -> Diagnosis {
    Diagnosis::new(
        Cause::ServerCertWrongPurpose,
        Fault::Server,
        summary,
        "Give the server a certificate whose extendedKeyUsage includes serverAuth (TLS Web \
         Server Authentication), or has no extendedKeyUsage at all, and whose keyUsage, if \
         present, allows Digital Signature.",
    )
}

/// Why these usages rule out a TLS server, or `None` if they do not.
fn not_for_servers(extended: &Option<Vec<String>>, key: &Option<Vec<String>>) -> Option<String> {
    if let Some(purposes) = extended {
        if !purposes
            .iter()
            .any(|p| p == SERVER_AUTH || p == SERVER_GATED_CRYPTO)
        {
            return Some(format!(
                "its extendedKeyUsage names {}, not TLS Web Server Authentication",
                none_or_list(purposes)
            ));
        }
    }
    if let Some(usages) = key {
        if !usages
            .iter()
            .any(|u| SERVER_KEY_USAGES.contains(&u.as_str()))
        {
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
        Some(c) => format!("{role} ({})", short(&c.subject)),
        None => role.to_owned(),
    }
}

/// The common name of a one-line name, or all of it.
fn short(name: &str) -> &str {
    name.split(", ")
        .find_map(|part| part.strip_prefix("CN = "))
        .unwrap_or(name)
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
        assert!(not_for_servers(&client_only, &None)
            .is_some_and(|w| w.contains("names TLS Web Client Authentication")));
        assert_eq!(not_for_servers(&names(&[SERVER_AUTH]), &None), None);
        assert_eq!(not_for_servers(&None, &None), None);
        let signing_only = names(&["Certificate Sign", "CRL Sign"]);
        assert!(not_for_servers(&None, &signing_only)
            .is_some_and(|w| w.contains("allows only Certificate Sign, CRL Sign")));
        assert_eq!(not_for_servers(&None, &names(&["Key Encipherment"])), None);
    }
}
