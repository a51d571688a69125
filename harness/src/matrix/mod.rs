//! Builds the cases: versions x suites x key types x options, mismatched
//! pairs and certificate negatives, from what the linked OpenSSL offers.
//!
//! The matrix only describes endpoints; [`crate::oracle`] then fills in
//! each case's expectation.

use std::collections::HashSet;

use crate::case::{
    Case, CaseKind, Endpoint, Expectation, Identity, KeyKind, Negative, ResumeKind, SrpPassword,
    Version,
};
use crate::library::{Library, SuiteInfo};
use crate::oracle::Oracle;

mod filter;
pub use filter::{Filter, FilterError};

/// The host name the client asks for and verifies (the pki's leaves name it).
pub const HOST: &str = "localhost";

/// A host name no server of the matrix serves, which a client asks for
/// where the server must refuse it.
pub const UNKNOWN_HOST: &str = "unknown.example";

/// The key-exchange groups of the matrix, in `SSL_CTX_set1_groups_list`
/// spelling. Those the library doesn't know become unsupported cases.
pub const GROUPS: [&str; 4] = ["X25519", "P-256", "P-384", "ffdhe2048"];

/// Builds every case of the default matrix, each with the oracle's expectation.
pub fn build(library: &Library, oracle: &Oracle<'_>) -> Vec<Case> {
    let mut b = Builder {
        library,
        cases: Vec::new(),
        ids: HashSet::new(),
    };
    b.suites();
    b.key_types();
    b.groups();
    b.options();
    b.mismatches();
    b.negatives();
    b.client_negatives();
    let mut cases = b.cases;
    for c in &mut cases {
        c.expect = oracle.expect(c);
    }
    cases
}

struct Builder<'a> {
    library: &'a Library,
    cases: Vec<Case>,
    ids: HashSet<String>,
}

impl Builder<'_> {
    /// Every suite at every version it allows, with a credential that fits
    /// its authentication. Suite cases run at `@SECLEVEL=0`, as `ALL:@SECLEVEL=0` does.
    fn suites(&mut self) {
        for v in Version::ALL {
            for s in self.library.suites.iter().filter(|s| s.allows(v)) {
                let (identity, psk, key) = credential_for(s);
                let mut c = self.base(CaseKind::Suite, v, Some(s), &key, "default");
                c.client.security_level = Some(0);
                c.server.security_level = Some(0);
                c.server.identity = identity;
                c.client.psk = psk;
                c.server.psk = psk;
                if s.needs_srp() {
                    c.client.srp = Some(SrpPassword::Right);
                    c.server.srp = Some(SrpPassword::Right);
                }
                if s.is_anonymous() {
                    c.notes.push(
                        "anonymous suites need @SECLEVEL=0: the harness lowered it".to_string(),
                    );
                }
                self.push(c);
            }
        }
    }

    /// Every key type at every version, each with a representative suite
    /// for its authentication.
    fn key_types(&mut self) {
        for v in Version::ALL {
            for k in KeyKind::ALL {
                let au = match k {
                    KeyKind::Rsa2048 => "RSA",
                    KeyKind::Dsa2048 => "DSS",
                    _ => "ECDSA",
                };
                let suite = self.representative(v, au).cloned();
                let mut c = self.base(CaseKind::KeyType, v, suite.as_ref(), k.name(), "default");
                c.server.identity = Identity::Certificate(k);
                self.push(c);
            }
        }
    }

    /// Each group alone on both sides: in TLS 1.3 all of them, in TLS 1.2
    /// the elliptic curves with ECDHE (OpenSSL's TLS 1.2 finite-field DHE
    /// uses the server's parameters, covered by the DHE suite cases).
    fn groups(&mut self) {
        for v in [Version::Tls1_2, Version::Tls1_3] {
            let suite = self.representative(v, "RSA").cloned();
            for g in GROUPS {
                if v == Version::Tls1_2 && g.starts_with("ffdhe") {
                    continue;
                }
                let option = format!("group-{}", g.to_ascii_lowercase());
                let mut c = self.base(CaseKind::Group, v, suite.as_ref(), "rsa2048", &option);
                c.client.groups = vec![g.to_string()];
                c.server.groups = vec![g.to_string()];
                self.push(c);
            }
        }
    }

    /// Mutual TLS, resumption, ALPN and SNI at TLS 1.2 and 1.3.
    fn options(&mut self) {
        for v in [Version::Tls1_2, Version::Tls1_3] {
            let suite = self.representative(v, "RSA").cloned();
            let s = suite.as_ref();

            let mut c = self.base(CaseKind::Option, v, s, "rsa2048", "mtls");
            c.server.verify_peer = true;
            c.client.identity = Identity::Certificate(KeyKind::Rsa2048);
            self.push(c);

            let kinds: &[ResumeKind] = if v == Version::Tls1_3 {
                &[ResumeKind::Tls13Psk]
            } else {
                &[ResumeKind::SessionId, ResumeKind::Ticket]
            };
            for &kind in kinds {
                let mut c = self.base(
                    CaseKind::Option,
                    v,
                    s,
                    "rsa2048",
                    &format!("resume-{}", kind.name()),
                );
                c.resume = Some(kind);
                c.server.tickets = kind != ResumeKind::SessionId;
                self.push(c);
            }

            // Keyed by a PSK shared out of band (RFC 8446 2.2), which
            // authenticates the server: it has no certificate. OpenSSL's
            // PSK callbacks key the SHA-256 suites, as the representative is.
            if v == Version::Tls1_3 && s.is_some_and(|x| x.name.ends_with("SHA256")) {
                let mut c = self.base(CaseKind::Option, v, s, "psk", "external-psk");
                (c.client.psk, c.server.psk) = (true, true);
                c.server.identity = Identity::None;
                self.push(c);
            }

            let mut c = self.base(CaseKind::Option, v, s, "rsa2048", "alpn");
            c.client.alpn = vec!["h2".into(), "http/1.1".into()];
            c.server.alpn = vec!["http/1.1".into(), "h2".into()];
            self.push(c);

            // Both orders pick h2: what a server picks when it has the
            // client's only protocol, whatever order it picks in.
            let mut c = self.base(CaseKind::Option, v, s, "rsa2048", "alpn-h2");
            c.client.alpn = vec!["h2".into()];
            c.server.alpn = vec!["h2".into(), "http/1.1".into()];
            self.push(c);

            let mut c = self.base(CaseKind::Option, v, s, "rsa2048", "alpn-mismatch");
            c.client.alpn = vec!["h2".into()];
            c.server.alpn = vec!["http/1.1".into()];
            self.push(c);

            // The default certificate names the wrong host, so the client's
            // verification passes only if the server switched on SNI.
            let mut c = self.base(CaseKind::Option, v, s, "rsa2048", "sni");
            c.client.sni = Some(HOST.into());
            c.server.identity = Identity::Negative(Negative::WrongHost);
            c.server.sni = Some(HOST.into());
            c.server.sni_identity = Some(Identity::Certificate(KeyKind::Rsa2048));
            self.push(c);
        }
    }

    /// Pairs whose configurations can't agree.
    fn mismatches(&mut self) {
        // Client at TLS 1.0-1.1, server at 1.2-1.3.
        let old = self.representative(Version::Tls1_1, "RSA").cloned();
        let new12 = self.representative(Version::Tls1_2, "RSA").cloned();
        let new13 = self.representative(Version::Tls1_3, "any").cloned();
        let mut c = self.base(
            CaseKind::Mismatch,
            Version::Tls1_1,
            old.as_ref(),
            "rsa2048",
            "mismatch-version",
        );
        c.client.min_version = Some(Version::Tls1);
        c.client.max_version = Some(Version::Tls1_1);
        c.client.security_level = Some(0);
        c.server.min_version = Some(Version::Tls1_2);
        c.server.max_version = Some(Version::Tls1_3);
        c.server.suites = new12.iter().chain(&new13).cloned().collect();
        c.server.security_level = None;
        c.notes =
            vec!["the client runs at @SECLEVEL=0 so that it may offer TLS 1.0 and 1.1".into()];
        self.push(c);

        // Client at TLS 1.3 only, server at TLS 1.2 only: the client's
        // lowest version is above the server's highest.
        let mut c = self.base(
            CaseKind::Mismatch,
            Version::Tls1_3,
            new13.as_ref(),
            "rsa2048",
            "mismatch-version-high",
        );
        c.server.pin(Version::Tls1_2);
        c.server.suites = new12.iter().cloned().collect();
        self.push(c);

        for v in [Version::Tls1_2, Version::Tls1_3] {
            let au = if v == Version::Tls1_3 { "any" } else { "RSA" };
            let Some(first) = self.representative(v, au).cloned() else {
                continue;
            };
            // The next suite of the same kind, so only the suite differs.
            let other = self
                .library
                .suites
                .iter()
                .find(|s| {
                    s.allows(v) && s.au == first.au && s.kx == first.kx && s.name != first.name
                })
                .cloned();
            let mut c = self.base(
                CaseKind::Mismatch,
                v,
                Some(&first),
                "rsa2048",
                "mismatch-suite",
            );
            c.server.suites = other.into_iter().collect();
            self.push(c);

            let mut c = self.base(
                CaseKind::Mismatch,
                v,
                Some(&first),
                "rsa2048",
                "mismatch-group",
            );
            c.client.groups = vec!["X25519".into()];
            c.server.groups = vec!["P-256".into()];
            self.push(c);

            let mut c = self.base(
                CaseKind::Mismatch,
                v,
                Some(&first),
                "rsa2048",
                "mismatch-client-cert",
            );
            c.server.verify_peer = true;
            self.push(c);

            // The server serves HOST only and refuses other names, so it
            // ends the handshake at the ClientHello, before any
            // certificate: the name the client verifies plays no part.
            let mut c = self.base(
                CaseKind::Mismatch,
                v,
                Some(&first),
                "rsa2048",
                "mismatch-sni",
            );
            c.client.sni = Some(UNKNOWN_HOST.into());
            c.server.sni = Some(HOST.into());
            c.server.sni_fatal = true;
            self.push(c);
        }

        // An SRP client with the wrong password.
        let srp = self
            .library
            .suites
            .iter()
            .filter(|s| s.allows(Version::Tls1_2) && s.needs_srp() && s.au == "SRP")
            .min_by_key(|s| (!s.enc.starts_with("AES(128)"), s.id))
            .cloned();
        if let Some(suite) = srp {
            let mut c = self.base(
                CaseKind::Mismatch,
                Version::Tls1_2,
                Some(&suite),
                "srp",
                "mismatch-srp-password",
            );
            c.server.identity = Identity::None;
            c.client.srp = Some(SrpPassword::Wrong);
            c.server.srp = Some(SrpPassword::Right);
            self.push(c);
        }
    }

    /// Server certificates that must fail the client's verification: at
    /// TLS 1.3, and at TLS 1.2 (where peers without TLS 1.3, Botan 2, meet
    /// them too) with the suite that the negative leaf's key serves.
    fn negatives(&mut self) {
        for (v, p) in [Version::Tls1_3, Version::Tls1_2]
            .into_iter()
            .flat_map(|v| Negative::ALL.map(|p| (v, p)))
        {
            let au = if v == Version::Tls1_3 {
                "any"
            } else {
                p.authentication()
            };
            let suite = self.representative(v, au).cloned();
            let mut c = self.base(CaseKind::Negative, v, suite.as_ref(), p.name(), "verify");
            c.server.identity = Identity::Negative(p);
            // A client that checks a name sends it (RFC 6066), which lets
            // the server tell a wrong host from other objections.
            c.client.sni = Some(HOST.into());
            // A weak key or signature: the server must be let to load it,
            // and the client held to a level that refuses it.
            c.server.security_level = p.server_level();
            c.client.security_level = p.client_level();
            self.push(c);
        }
    }

    /// Client certificates that must fail the server's verification: at
    /// TLS 1.3, where the server refuses after the client's side of the
    /// handshake is done, and at TLS 1.2 with the RSA server, where it
    /// refuses within the handshake. The client loads its certificate at
    /// the level that allows it, the server verifies at the level that
    /// refuses it.
    fn client_negatives(&mut self) {
        for (v, au) in [(Version::Tls1_3, "any"), (Version::Tls1_2, "RSA")] {
            let suite = self.representative(v, au).cloned();
            for n in Negative::ALL {
                let mut c = self.base(
                    CaseKind::Negative,
                    v,
                    suite.as_ref(),
                    n.name(),
                    "client-verify",
                );
                c.server.verify_peer = true;
                c.client.identity = Identity::Negative(n);
                c.client.security_level = n.server_level();
                c.server.security_level = n.client_level();
                self.push(c);
            }
        }
    }

    /// A case pinned to `v` on both sides with `suite`, an RSA server
    /// certificate and a verifying client.
    fn base(
        &self,
        kind: CaseKind,
        v: Version,
        suite: Option<&SuiteInfo>,
        key: &str,
        option: &str,
    ) -> Case {
        let mut client = Endpoint {
            suites: suite.into_iter().cloned().collect(),
            verify_peer: true,
            ..Endpoint::default()
        };
        client.pin(v);
        let mut server = Endpoint {
            suites: client.suites.clone(),
            identity: Identity::Certificate(KeyKind::Rsa2048),
            ..Endpoint::default()
        };
        server.pin(v);
        let mut notes = Vec::new();
        if v < Version::Tls1_2 && self.library.is_openssl3() {
            client.security_level = Some(0);
            server.security_level = Some(0);
            notes.push(format!(
                "{v} needs @SECLEVEL=0 with OpenSSL 3: the harness lowered it"
            ));
        }
        Case {
            id: Case::make_id(v, suite.map(|s| s.name.as_str()), key, option),
            kind,
            version: v,
            suite: suite.map(|s| s.name.clone()),
            key: key.to_string(),
            option: option.to_string(),
            client,
            server,
            resume: None,
            notes,
            expect: Expectation::Pending,
        }
    }

    /// A case whose id already exists is the same case; keep the first.
    fn push(&mut self, c: Case) {
        if self.ids.insert(c.id.clone()) {
            self.cases.push(c);
        }
    }

    /// The suite that stands for `au` at `v`: ECDHE with AES-128-GCM where
    /// the version has it, then AES-128-CBC, then anything that fits.
    fn representative(&self, v: Version, au: &str) -> Option<&SuiteInfo> {
        self.library
            .suites
            .iter()
            .filter(|s| {
                s.allows(v)
                    && (s.au == au || v == Version::Tls1_3)
                    && !s.needs_psk()
                    && !s.needs_srp()
            })
            .min_by_key(|s| {
                (
                    s.kx != "ECDH" && s.kx != "any",
                    !s.enc.starts_with("AESGCM(128)"),
                    !s.enc.starts_with("AES(128)"),
                    s.id,
                )
            })
    }
}

/// The identity, PSK and column label a suite needs.
fn credential_for(s: &SuiteInfo) -> (Identity, bool, String) {
    let psk = s.needs_psk();
    let (identity, label) = match (s.kx.as_str(), s.au.as_str()) {
        ("RSAPSK", _) => (Identity::Certificate(KeyKind::Rsa2048), "rsa2048+psk"),
        ("SRP", "RSA") => (Identity::Certificate(KeyKind::Rsa2048), "rsa2048+srp"),
        ("SRP", "DSS") => (Identity::Certificate(KeyKind::Dsa2048), "dsa2048+srp"),
        ("SRP", _) => (Identity::None, "srp"),
        (_, "PSK") => (Identity::None, "psk"),
        (_, "RSA") | (_, "any") => (Identity::Certificate(KeyKind::Rsa2048), "rsa2048"),
        (_, "ECDSA") => (Identity::Certificate(KeyKind::EcdsaP256), "ecdsa-p256"),
        (_, "None") => (Identity::None, "anon"),
        (_, "DSS") => (Identity::Certificate(KeyKind::Dsa2048), "dsa2048"),
        (_, "SRP") => (Identity::None, "srp"),
        (_, other) => return (Identity::None, psk, other.to_ascii_lowercase()),
    };
    (identity, psk, label.to_string())
}

/// Whether `case` is in the interop subset that pairings with external
/// peers run. Every suite against every external peer would spawn
/// hundreds of processes; the subset keeps what tells implementations
/// apart: every key type at every version with its representative suite,
/// the groups, options (mutual TLS, resumption, ALPN, SNI), the
/// mismatches and certificate negatives, every TLS 1.3 suite, and at
/// TLS 1.2 the first suite of each key exchange and authentication pair
/// (RSA, DHE, ECDHE, PSK, anonymous, ...).
pub fn interop_subset(case: &Case, library: &Library) -> bool {
    match case.kind {
        CaseKind::KeyType
        | CaseKind::Group
        | CaseKind::Option
        | CaseKind::Mismatch
        | CaseKind::Negative => true,
        CaseKind::Suite => {
            let Some(suite) = case.suite.as_deref().and_then(|n| library.suite(n)) else {
                return false;
            };
            // A suite case that is also its version's representative
            // suite for its key stands for the key-type case of that id.
            let representative = Builder {
                library,
                cases: Vec::new(),
                ids: HashSet::new(),
            }
            .representative(case.version, &suite.au)
            .is_some_and(|r| r.name == suite.name);
            representative
                || match case.version {
                    Version::Tls1_3 => true,
                    Version::Tls1_2 => library
                        .suites
                        .iter()
                        .find(|s| s.allows(Version::Tls1_2) && s.kx == suite.kx && s.au == suite.au)
                        .is_some_and(|first| first.name == suite.name),
                    _ => false,
                }
        }
    }
}

/// Which of `N` shards a case belongs to: FNV-1a of its id, so that the
/// split depends only on the id and stays stable as the matrix grows.
pub fn shard_of(id: &str, n: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h % u64::from(n.max(1))) as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix() -> (Library, Vec<Case>) {
        let lib = Library::probe().expect("probe the linked OpenSSL");
        let verify = |_| 0;
        let cases = build(&lib, &Oracle::new(&lib, &verify));
        (lib, cases)
    }

    #[test]
    fn ids_are_unique_and_every_case_has_an_expectation() {
        let (_, cases) = matrix();
        let mut seen = HashSet::new();
        for c in &cases {
            assert!(seen.insert(&c.id), "duplicate id {}", c.id);
            assert_ne!(c.expect, Expectation::Pending, "{}", c.id);
            assert_eq!(c.id.split('/').count(), 4, "{}", c.id);
        }
    }

    #[test]
    fn every_suite_appears_once_per_version_it_allows() {
        let (lib, cases) = matrix();
        for s in &lib.suites {
            for v in Version::ALL.into_iter().filter(|v| s.allows(*v)) {
                let n = cases
                    .iter()
                    .filter(|c| {
                        c.kind == CaseKind::Suite
                            && c.version == v
                            && c.suite.as_deref() == Some(&s.name)
                    })
                    .count();
                assert_eq!(n, 1, "{} at {v}", s.name);
            }
        }
    }

    #[test]
    fn missing_versions_stay_in_the_matrix_as_unsupported() {
        let (lib, cases) = matrix();
        for v in Version::ALL {
            if lib.missing(v).is_some() {
                let of_v: Vec<_> = cases.iter().filter(|c| c.version == v).collect();
                assert!(!of_v.is_empty(), "{v} dropped");
                for c in of_v {
                    match &c.expect {
                        Expectation::Unsupported { reason: r } => {
                            assert!(r.starts_with("client and server ("), "{r}");
                            assert!(r.contains(&format!("lacks {}", v.display())), "{r}");
                        }
                        other => panic!("{}: {other:?}", c.id),
                    }
                }
            }
        }
    }

    #[test]
    fn mismatch_sni_asks_a_refusing_server_for_another_name() {
        let (_, cases) = matrix();
        let sni: Vec<_> = cases
            .iter()
            .filter(|c| c.option == "mismatch-sni")
            .collect();
        let versions: Vec<_> = sni.iter().map(|c| c.version).collect();
        assert_eq!(versions, [Version::Tls1_2, Version::Tls1_3]);
        for c in sni {
            assert_eq!(c.client.sni.as_deref(), Some(UNKNOWN_HOST));
            assert_eq!(c.server.sni.as_deref(), Some(HOST));
            assert!(c.server.sni_fatal && c.server.sni_identity.is_none());
        }
    }

    #[test]
    fn shards_partition_the_cases() {
        let (_, cases) = matrix();
        let n = 3;
        let total: usize = (1..=n)
            .map(|k| cases.iter().filter(|c| shard_of(&c.id, n) == k).count())
            .sum();
        assert_eq!(total, cases.len());
        assert!((1..=n).all(|k| cases.iter().any(|c| shard_of(&c.id, n) == k)));
    }
}
