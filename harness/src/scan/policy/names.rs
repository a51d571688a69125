//! The suite, group and certificate names a policy gives must be names
//! TLS or the scan knows: a misspelt one would match nothing, and a rule
//! that forbids it would pass whatever the server does (one that allows
//! it fail every server).

use openssl::nid::Nid;
use openssl_handshake::decode::{CipherSuite, NamedGroup};

use super::{Policy, PolicyError};
use crate::scan::chain::is_key_type;

/// OpenSSL's names for groups whose IANA names differ (its curve names
/// among them, as the chain rows print a leaf's curve).
const OPENSSL_GROUP_NAMES: [&str; 5] = ["P-256", "P-384", "P-521", "prime256v1", "prime192v1"];

/// Where a suite or group name is refused: the names to give.
const TLS_NAMES: &str = "give OpenSSL's name or IANA's (`openssl ciphers -stdname` lists \
                         suites; groups as the scan reports them: x25519, secp256r1, \
                         ffdhe2048, ...)";

impl Policy {
    /// Refuses a suite that is neither in `testable` (what the scan can
    /// offer, by OpenSSL's and IANA's names) nor in the IANA registry nor
    /// a static (EC)DH suite by OpenSSL 1.0's name, and a group that is no
    /// registered group.
    pub fn check_names(&self, testable: &[String]) -> Result<(), PolicyError> {
        let suites = [
            (
                "allowed_suites",
                self.allowed_suites.as_deref().unwrap_or_default(),
            ),
            ("forbid_suites", &self.forbid_suites[..]),
            ("require_suites", &self.require_suites[..]),
        ];
        for (key, names) in suites {
            if let Some(name) = names.iter().find(|n| !known_suite(n, testable)) {
                return Err(self.unknown(key, name, "TLS cipher suite", TLS_NAMES));
            }
        }
        let groups = [
            (
                "allowed_groups",
                self.allowed_groups.as_deref().unwrap_or_default(),
            ),
            ("forbid_groups", &self.forbid_groups[..]),
            ("require_groups", &self.require_groups[..]),
        ];
        for (key, names) in groups {
            if let Some(name) = names.iter().find(|n| !known_group(n)) {
                return Err(self.unknown(key, name, "TLS group", TLS_NAMES));
            }
        }
        self.check_certificate_names()
    }

    /// Refuses a key type the scan does not report, a curve that is no
    /// TLS group, and a signature algorithm OpenSSL does not know by the
    /// long name the scan prints.
    fn check_certificate_names(&self) -> Result<(), PolicyError> {
        let given = |names: &Option<Vec<String>>| names.clone().unwrap_or_default();
        let types = given(&self.certificate_types);
        if let Some(name) = types.iter().find(|n| !is_key_type(n)) {
            let hint = "give rsa, rsa-pss, ecdsa, ed25519, ed448 or dsa, as the scan reports a \
                        leaf's key type";
            return Err(self.unknown("certificate_types", name, "key type", hint));
        }
        let curves = given(&self.certificate_curves);
        if let Some(name) = curves.iter().find(|n| !known_curve(n)) {
            let hint = "give an elliptic curve TLS group's name, IANA's or OpenSSL's (P-256, \
                        secp256r1 and prime256v1 are one)";
            return Err(self.unknown("certificate_curves", name, "ECDSA curve", hint));
        }
        let signatures = given(&self.certificate_signatures);
        if let Some(name) = signatures.iter().find(|n| !known_signature(n)) {
            let hint = "give OpenSSL's long name, as the chain rows print the leaf's \
                        (sha256WithRSAEncryption, ecdsa-with-SHA256, rsassaPss, ED25519, ...)";
            return Err(self.unknown("certificate_signatures", name, "signature algorithm", hint));
        }
        Ok(())
    }

    fn unknown(
        &self,
        key: &'static str,
        name: &str,
        kind: &'static str,
        hint: &'static str,
    ) -> PolicyError {
        PolicyError::UnknownName {
            path: self.name.clone().unwrap_or_default(),
            key,
            name: name.to_owned(),
            kind,
            hint,
        }
    }
}

fn known_suite(name: &str, testable: &[String]) -> bool {
    // OpenSSL 1.1 dropped static DH and ECDH (DH-RSA-AES128-SHA,
    // ECDH-ECDSA-AES128-SHA): real suites, which the scan cannot offer.
    let static_dh = name.starts_with("DH-") || name.starts_with("ECDH-");
    static_dh
        || testable.iter().any(|t| t == name)
        || (0..=u16::MAX).any(|id| CipherSuite::new(id).name.as_deref() == Some(name))
}

fn known_group(name: &str) -> bool {
    OPENSSL_GROUP_NAMES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
        || (0..=u16::MAX).any(|id| {
            NamedGroup::new(id)
                .name
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
}

/// Whether `name` is a TLS group that is an ECDSA curve (not x25519,
/// x448, FFDHE or a hybrid): one a certificate's key can be on.
fn known_curve(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let curve = n.starts_with("secp")
        || n.starts_with("sect")
        || n.starts_with("brainpool")
        || n.starts_with("prime")
        || n.starts_with("p-");
    curve && known_group(name)
}

/// Whether `name` is the long name of a signature algorithm OpenSSL
/// knows (one it can split into digest and key), as the scan prints a
/// certificate's.
fn known_signature(name: &str) -> bool {
    (0..=i32::from(u16::MAX)).map(Nid::from_raw).any(|nid| {
        // Only signature ids: `long_name` of an unknown id is an error.
        nid.signature_algorithms().is_some() && nid.long_name().is_ok_and(|n| n == name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_names_are_refused_and_real_ones_kept() {
        let testable = vec!["AES128-SHA".to_owned()];
        let policy = |text: &str| -> Policy {
            let mut p: Policy = toml::from_str(text).expect("policy");
            p.name = Some("p.toml".into());
            p
        };
        for ok in [
            "forbid_suites = [\"AES128-SHA\", \"TLS_RSA_WITH_AES_256_CBC_SHA\"]",
            "forbid_suites = [\"DH-RSA-AES128-SHA\"]",
            "forbid_groups = [\"x25519\", \"P-256\", \"secp192r1\", \"ffdhe2048\"]",
        ] {
            assert!(policy(ok).check_names(&testable).is_ok(), "{ok}");
        }
        let e = policy("forbid_groups = [\"x25591\"]")
            .check_names(&testable)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "policy p.toml: forbid_groups names \"x25591\", which is no TLS group; give \
             OpenSSL's name or IANA's (`openssl ciphers -stdname` lists suites; groups as the \
             scan reports them: x25519, secp256r1, ffdhe2048, ...)"
        );
        assert!(policy("require_suites = [\"AES128-SAH\"]")
            .check_names(&testable)
            .is_err());
    }

    #[test]
    fn certificate_names_are_checked_too() {
        let policy = |text: &str| -> Result<(), PolicyError> {
            let mut p: Policy = toml::from_str(text).expect("policy");
            p.name = Some("p.toml".into());
            p.check_names(&[])
        };
        // Signatures as `openssl x509 -text` prints them.
        for ok in [
            "certificate_types = [\"RSA\", \"rsa-pss\", \"ecdsa\", \"ed25519\"]",
            "certificate_curves = [\"P-256\", \"secp256r1\", \"prime256v1\", \"secp384r1\"]",
            "certificate_signatures = [\"sha256WithRSAEncryption\", \"ecdsa-with-SHA384\", \
             \"rsassaPss\", \"ED25519\", \"sha1WithRSAEncryption\"]",
        ] {
            assert!(policy(ok).is_ok(), "{ok}");
        }
        for (bad, key) in [
            ("certificate_types = [\"rsaa\"]", "certificate_types"),
            ("certificate_curves = [\"nocurve\"]", "certificate_curves"),
            // A group, but no curve a certificate's key is on.
            ("certificate_curves = [\"x25519\"]", "certificate_curves"),
            (
                "certificate_signatures = [\"sha256WithRSA\"]",
                "certificate_signatures",
            ),
            // A digest is no signature algorithm.
            (
                "certificate_signatures = [\"sha256\"]",
                "certificate_signatures",
            ),
        ] {
            let e = policy(bad).expect_err(bad).to_string();
            assert!(
                e.starts_with(&format!("policy p.toml: {key} names ")),
                "{e}"
            );
        }
        for name in crate::scan::mozilla::NAMES {
            let p = Policy::load(name).expect("builtin");
            assert!(p.check_certificate_names().is_ok(), "{name}");
        }
    }
}
