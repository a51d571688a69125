//! Which cases of the matrix a run keeps: the `--versions`, `--suites`,
//! `--keys` and `--options` selections, each left-out case with its reason.

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::case::{Case, Version};
use crate::library::Library;

/// Which cases a run keeps; the others are reported as skipped, never dropped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Filter {
    /// Keep only these versions.
    pub versions: Option<Vec<Version>>,
    /// Keep only cases whose suite (OpenSSL or IANA name) matches.
    #[serde(with = "regex_serde")]
    pub suites: Option<Regex>,
    /// Keep only these credential labels ("rsa2048", "ecdsa" for both
    /// curves, "psk", "anon", "expired", ...).
    pub keys: Option<Vec<String>>,
    /// Keep only these options ("default", "mtls", "resume" for every
    /// resumption kind, "alpn", "sni", "group", "mismatch", "verify", ...).
    pub options: Option<Vec<String>>,
    /// Keep only the results with these ids, exactly as a report gives
    /// them (`tls1_2/.../default@inproc>gnutls-cli`): one failure run
    /// again, in its pairing alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<Vec<String>>,
}

/// Two filters select alike when their lists hold the same values, in
/// any order, and their suite patterns read the same.
impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        fn sorted<T: Ord + Clone>(l: &Option<Vec<T>>) -> Option<Vec<T>> {
            l.clone().map(|mut l| {
                l.sort();
                l
            })
        }
        sorted(&self.versions) == sorted(&other.versions)
            && self.suites.as_ref().map(Regex::as_str) == other.suites.as_ref().map(Regex::as_str)
            && sorted(&self.keys) == sorted(&other.keys)
            && sorted(&self.options) == sorted(&other.options)
            && sorted(&self.cases) == sorted(&other.cases)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |l: &Option<Vec<String>>| l.as_ref().map_or("all".into(), |l| l.join(","));
        let versions = self
            .versions
            .as_ref()
            .map(|v| v.iter().map(|v| v.id().to_owned()).collect::<Vec<_>>());
        write!(
            f,
            "--versions {} --suites {} --keys {} --options {}",
            list(&versions),
            self.suites.as_ref().map_or("all", Regex::as_str),
            list(&self.keys),
            list(&self.options)
        )?;
        for id in self.cases.iter().flatten() {
            write!(f, " --case {id}")?;
        }
        Ok(())
    }
}

impl Filter {
    /// Why `case` is left out, or `None` when it runs.
    pub fn skip_reason(&self, case: &Case, library: &Library) -> Option<String> {
        if let Some(vs) = &self.versions {
            if !vs.contains(&case.version) {
                return Some(format!(
                    "left out by --versions ({} not selected)",
                    case.version.id()
                ));
            }
        }
        if let Some(re) = &self.suites {
            if !suite_matches(re, case, library) {
                return Some(format!("left out by --suites {:?}", re.as_str()));
            }
        }
        if let Some(keys) = &self.keys {
            if !keys.iter().any(|k| key_match(&case.key, k)) {
                return Some(format!("left out by --keys ({} not selected)", case.key));
            }
        }
        if let Some(opts) = &self.options {
            if !opts.iter().any(|o| family_match(&case.option, o)) {
                return Some(format!(
                    "left out by --options ({} not selected)",
                    case.option
                ));
            }
        }
        if let Some(ids) = &self.cases {
            if !ids.iter().any(|id| case_of(id) == case.id) {
                return Some("left out by --case".into());
            }
        }
        None
    }

    /// Whether the result `result_id` (a case in one pairing) is one that
    /// `--case` asks for; every result is without it.
    pub fn wants_result(&self, result_id: &str) -> bool {
        self.cases
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| id == result_id))
    }
}

/// A filter that would select nothing: most often a misspelt value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A `--keys` or `--options` value no case has.
    #[error(
        "{flag} {value}: no case has it (known: {known}; a family, such as ecdsa or rsa, selects \
         its members)"
    )]
    Unknown {
        /// `--keys` or `--options`.
        flag: &'static str,
        /// The value.
        value: String,
        /// The values cases have, comma-separated.
        known: String,
    },
    /// A `--case` id no case has.
    #[error(
        "--case {0}: no case has this id (give it as a report or --list gives \
         it, e.g. tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default@inproc>gnutls-cli)"
    )]
    UnknownCase(String),
    /// A `--suites` pattern that matches no suite.
    #[error("--suites {0:?} matches no suite of the matrix (OpenSSL or IANA names)")]
    NoSuite(String),
    /// Filters that each select cases, but none together.
    #[error("--versions, --suites, --keys, --options and --case together select no case")]
    NoneTogether,
}

impl Filter {
    /// Refuses a `--keys`, `--options` or `--suites` value that selects no
    /// case of `cases`, and filters that together select none: a misspelt
    /// filter would otherwise run nothing and pass.
    pub fn check(&self, cases: &[Case], library: &Library) -> Result<(), FilterError> {
        let each_known = |flag: &'static str,
                          wanted: &[String],
                          of: fn(&Case) -> &str,
                          matches: fn(&str, &str) -> bool| {
            let Some(w) = wanted
                .iter()
                .find(|w| !cases.iter().any(|c| matches(of(c), w)))
            else {
                return Ok(());
            };
            let mut known: Vec<&str> = cases.iter().map(of).collect();
            known.sort_unstable();
            known.dedup();
            Err(FilterError::Unknown {
                flag,
                value: w.clone(),
                known: known.join(", "),
            })
        };
        if let Some(keys) = &self.keys {
            each_known("--keys", keys, |c| &c.key, key_match)?;
        }
        if let Some(options) = &self.options {
            each_known("--options", options, |c| &c.option, family_match)?;
        }
        for id in self.cases.iter().flatten() {
            if !cases.iter().any(|c| c.id == case_of(id)) {
                return Err(FilterError::UnknownCase(id.clone()));
            }
        }
        if let Some(re) = &self.suites {
            if !cases.iter().any(|c| suite_matches(re, c, library)) {
                return Err(FilterError::NoSuite(re.as_str().to_owned()));
            }
        }
        if !cases.iter().any(|c| self.skip_reason(c, library).is_none()) {
            return Err(FilterError::NoneTogether);
        }
        Ok(())
    }
}

/// The case id of a result id: without its `@client>server` pairing.
fn case_of(result_id: &str) -> &str {
    result_id
        .split_once('@')
        .map_or(result_id, |(case, _)| case)
}

/// Whether the case's suite, by OpenSSL or IANA name, matches `re`.
fn suite_matches(re: &Regex, case: &Case, library: &Library) -> bool {
    case.suite.iter().any(|n| {
        let std = library.suite(n).and_then(|s| s.standard_name.as_deref());
        re.is_match(n) || std.is_some_and(|s| re.is_match(s))
    })
}

/// A case's credential `key` is `wanted`, or has it as one of its parts,
/// either way: "psk" selects "rsa2048+psk" as "rsa2048" does, and "rsa"
/// selects "rsa2048" (see [`family_match`]).
fn key_match(key: &str, wanted: &str) -> bool {
    family_match(key, wanted) || key.split('+').any(|part| family_match(part, wanted))
}

/// `value` is `wanted` or belongs to its family: "resume" selects
/// "resume-ticket", "ecdsa" selects "ecdsa-p256", "rsa" "rsa2048" (a key
/// size starts a member as a separator does).
fn family_match(value: &str, wanted: &str) -> bool {
    value == wanted
        || value.strip_prefix(wanted).is_some_and(|rest| {
            rest.starts_with(['-', '+'])
                || (rest.starts_with(|c: char| c.is_ascii_digit())
                    && wanted.ends_with(|c: char| c.is_ascii_alphabetic()))
        })
}

mod regex_serde {
    use regex::Regex;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(re: &Option<Regex>, s: S) -> Result<S::Ok, S::Error> {
        match re {
            Some(re) => s.serialize_some(re.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Regex>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| Regex::new(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::build;
    use crate::oracle::Oracle;

    #[test]
    fn filter_families_and_skip_reasons() {
        let lib = Library::probe().expect("probe the linked OpenSSL");
        let verify = |_| 0;
        let cases = build(&lib, &Oracle::new(&lib, &verify));
        let f = Filter {
            options: Some(vec!["resume".into()]),
            ..Filter::default()
        };
        let kept: Vec<_> = cases
            .iter()
            .filter(|c| f.skip_reason(c, &lib).is_none())
            .collect();
        assert!(!kept.is_empty());
        assert!(kept.iter().all(|c| c.option.starts_with("resume-")));
        let skipped = cases
            .iter()
            .find(|c| c.option == "default")
            .expect("a default case");
        assert!(f
            .skip_reason(skipped, &lib)
            .expect("skipped")
            .contains("--options"));
        assert!(family_match("ecdsa-p384", "ecdsa"));
        assert!(!family_match("ecdsa-p384", "ecd"));
        assert!(family_match("rsa2048+psk", "rsa"));
        assert!(family_match("dsa2048", "dsa"));
        assert!(!family_match("ecdsa-p256", "dsa"));
        assert!(!family_match("rsa2048", "rsa20"));
        // A combined credential is selected by each of its parts.
        assert!(key_match("rsa2048+psk", "psk"));
        assert!(key_match("dsa2048+srp", "srp"));
        assert!(key_match("rsa2048+psk", "rsa2048"));
        assert!(key_match("rsa2048+psk", "rsa2048+psk"));
        assert!(!key_match("rsa2048+psk", "srp"));
        assert!(!key_match("psk", "rsa2048"));
    }
}
