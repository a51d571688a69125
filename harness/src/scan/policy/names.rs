//! The suite and group names a policy gives must be names TLS knows: a
//! misspelt one would match nothing, and a rule that forbids it would
//! pass whatever the server does.

use openssl_handshake::decode::{CipherSuite, NamedGroup};

use super::{Policy, PolicyError};

/// OpenSSL's names for groups whose IANA names differ.
const OPENSSL_GROUP_NAMES: [&str; 4] = ["P-256", "P-384", "P-521", "prime256v1"];

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
                return Err(self.unknown(key, name, "cipher suite"));
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
                return Err(self.unknown(key, name, "group"));
            }
        }
        Ok(())
    }

    fn unknown(&self, key: &'static str, name: &str, kind: &'static str) -> PolicyError {
        PolicyError::UnknownName {
            path: self.name.clone().unwrap_or_default(),
            key,
            name: name.to_owned(),
            kind,
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
}
