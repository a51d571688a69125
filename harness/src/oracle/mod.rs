//! The oracle: what a case must do, worked out from the two endpoint
//! configs, the suites' `SSL_CIPHER` metadata and the library's abilities.
//!
//! It never runs a handshake. Each rule below follows the RFCs and the
//! OpenSSL behaviour it models, and names the alert OpenSSL sends:
//!
//! | rule | failure | alert (sender) |
//! |------|---------|----------------|
//! | no common version | client max below server min | protocol_version (server) |
//! | no common version | client min above server max | protocol_version (client) |
//! | no shared suite | nothing the server can serve | handshake_failure (server) |
//! | no shared group (TLS 1.3) | no key share possible | handshake_failure (server) |
//! | client certificate required, none sent | TLS 1.3 | certificate_required (server) |
//! | client certificate required, none sent | TLS 1.2 and older | handshake_failure (server) |
//! | ALPN with no overlap | server refuses | no_application_protocol (server) |
//! | server certificate fails verification | the pki's exact `X509_V_ERR_*` | (client) |

use crate::case::{
    alert, Case, Endpoint, Expectation, ExpectedAlert, Identity, Negative, ResumeKind, Role,
    Version,
};
use crate::library::{Library, SuiteInfo};
use crate::matrix::GROUPS;
use crate::peer::capabilities::{Capabilities, FailureKind, SuiteSupport};

/// Computes expectations for cases.
pub struct Oracle<'a> {
    library: &'a Library,
    verify_error: &'a dyn Fn(Negative) -> i32,
    /// The linked OpenSSL's own declaration: both sides of the default
    /// matrix.
    linked: Capabilities,
}

/// The declaration of the linked OpenSSL, read from the library: the
/// versions it was built with, its suite catalogue, the matrix's groups
/// it accepts.
pub fn linked_capabilities(library: &Library) -> Capabilities {
    // "OpenSSL 3.0.13 30 Jan 2024" → "inproc OpenSSL 3.0.13".
    let short: Vec<&str> = library.version_text.split_whitespace().take(2).collect();
    let mut caps = Capabilities::new(format!("inproc {}", short.join(" ")));
    caps.versions = Version::ALL
        .into_iter()
        .filter(|v| library.missing(*v).is_none())
        .collect();
    caps.old_versions_need_level0 = library.is_openssl3();
    caps.tls13_needs_certificate = true;
    caps.suites = SuiteSupport::Catalogue;
    caps.groups = Some(
        GROUPS
            .iter()
            .filter(|g| library.group_known(g))
            .map(|g| g.to_string())
            .collect(),
    );
    caps
}

/// One side of a pairing as the oracle sees it.
struct Side<'c> {
    role: Role,
    ep: &'c Endpoint,
    caps: &'c Capabilities,
}

impl<'a> Oracle<'a> {
    /// An oracle for `library`. `verify_error` gives the exact verify error
    /// each negative certificate must produce (the pki's
    /// `Negative::expected_verify_error`).
    pub fn new(library: &'a Library, verify_error: &'a dyn Fn(Negative) -> i32) -> Self {
        Oracle {
            library,
            verify_error,
            linked: linked_capabilities(library),
        }
    }

    /// The expectation for `case` with the linked OpenSSL on both sides.
    pub fn expect(&self, case: &Case) -> Expectation {
        self.expect_between(case, &self.linked, &self.linked)
    }

    /// The expectation for `case` between a client and a server that
    /// declare `client` and `server`.
    pub fn expect_between(
        &self,
        case: &Case,
        client: &Capabilities,
        server: &Capabilities,
    ) -> Expectation {
        if self.library.missing(case.version).is_some() {
            let sides = match (
                client.implementation == self.linked.implementation,
                server.implementation == self.linked.implementation,
            ) {
                (true, true) => "client and server",
                (true, false) => "client",
                (false, true) => "server",
                (false, false) => "the harness",
            };
            return unsupported(format!(
                "{sides} ({}): lacks {} (the linked OpenSSL was built without {})",
                self.linked.implementation,
                case.version.display(),
                case.version.openssl_name()
            ));
        }
        if let Some(reason) = case
            .client
            .suites
            .iter()
            .chain(&case.server.suites)
            .find_map(suite_unsupported)
        {
            return unsupported(reason);
        }
        let refusal = client
            .refuses(Role::Client, case)
            .or_else(|| server.refuses(Role::Server, case));
        if let Some(reason) = refusal {
            return unsupported(reason);
        }
        let c = Side {
            role: Role::Client,
            ep: &case.client,
            caps: client,
        };
        let s = Side {
            role: Role::Server,
            ep: &case.server,
            caps: server,
        };

        let (cmin, cmax) = usable_range(&c).unwrap_or(c.ep.version_range());
        // OpenSSL's client refuses to send a ClientHello in which no suite
        // can be used at any version it enables ("no ciphers available").
        if usable_range(&c).is_some()
            && !c.ep.suites.is_empty()
            && !Version::ALL
                .into_iter()
                .filter(|v| (cmin..=cmax).contains(v))
                .any(|v| c.ep.suites.iter().any(|x| c.caps.suite_at(x, v)))
        {
            return failure(
                None,
                None,
                format!(
                    "the client has no suite it can offer from {cmin} to {cmax} (no ciphers available)"
                ),
            );
        }

        let v = match negotiated_version(&c, &s) {
            Ok(v) => v,
            Err(failure) => return failure,
        };

        let Some(suite) = negotiated_suite(&c, &s, v) else {
            return failure(
                Some((Role::Server, alert::HANDSHAKE_FAILURE)),
                None,
                format!("no suite the client offers at {v} can be served by the server"),
            );
        };

        if v == Version::Tls1_3 && !groups_overlap(&case.client.groups, &case.server.groups) {
            return failure(
                Some((Role::Server, alert::HANDSHAKE_FAILURE)),
                None,
                "no key-exchange group in common".into(),
            );
        }

        let certificate_auth = !matches!(suite.au.as_str(), "None" | "PSK");
        if case.client.verify_peer && certificate_auth {
            if let Identity::Negative(problem) =
                effective_server_identity(&case.client, &case.server)
            {
                return failure(
                    None,
                    Some((self.verify_error)(problem)),
                    format!(
                        "the server's certificate is {} and the client verifies it",
                        problem.name()
                    ),
                );
            }
        }

        // OpenSSL only asks for a client certificate when the suite
        // authenticates the server with one (RFC 5246, section 7.4.4).
        if case.server.verify_peer && certificate_auth && case.client.identity == Identity::None {
            let description = if v == Version::Tls1_3 {
                Some(alert::CERTIFICATE_REQUIRED)
            } else {
                server
                    .alert_for(FailureKind::MissingClientCertificate12)
                    .unwrap_or(Some(alert::HANDSHAKE_FAILURE))
            };
            return failure(
                description.map(|d| (Role::Server, d)),
                None,
                "the server requires a client certificate and the client has none".into(),
            );
        }

        let alpn = match negotiated_alpn(&case.client.alpn, &case.server.alpn) {
            Ok(p) => p,
            Err(()) => {
                return failure(
                    Some((Role::Server, alert::NO_APPLICATION_PROTOCOL)),
                    None,
                    "no ALPN protocol in common".into(),
                )
            }
        };

        let group = match (case.client.groups.as_slice(), case.server.groups.as_slice()) {
            ([c], [s]) if c == s && (v == Version::Tls1_3 || suite.needs_ec_group()) => {
                Some(c.clone())
            }
            _ => None,
        };

        let resumed = case.resume.map(|kind| match (kind, v) {
            (_, Version::Tls1_3) => ResumeKind::Tls13Psk,
            (ResumeKind::Tls13Psk, _) => ResumeKind::Ticket,
            (k, _) => k,
        });

        Expectation::Success {
            version: v,
            suite: suite.name.clone(),
            group,
            alpn,
            sni: case.client.sni.clone(),
            resumed,
        }
    }
}

/// The range of versions a side can really use: those its implementation
/// speaks, and with OpenSSL 3 TLS 1.1 and older only at security level 0.
fn usable_range(side: &Side<'_>) -> Option<(Version, Version)> {
    let (lo, hi) = side.ep.version_range();
    let lo = if side.caps.old_versions_need_level0 && side.ep.security_level != Some(0) {
        lo.max(Version::Tls1_2)
    } else {
        lo
    };
    let spoken: Vec<Version> = Version::ALL
        .into_iter()
        .filter(|v| (lo..=hi).contains(v) && side.caps.versions.contains(v))
        .filter(|v| *v != Version::Tls1_3 || signs_in_tls13(side))
        .collect();
    Some((*spoken.first()?, *spoken.last()?))
}

/// Whether a side may offer TLS 1.3 as far as its credentials go: a
/// server of an implementation with OpenSSL's rule needs a key that signs
/// in TLS 1.3, or a PSK (seen with `s_server -tls1_3` and a DSA leaf: it
/// answers a TLS 1.3 client with protocol_version). A client always may.
fn signs_in_tls13(side: &Side<'_>) -> bool {
    if side.role == Role::Client || !side.caps.tls13_needs_certificate || side.ep.psk {
        return true;
    }
    match side.ep.identity {
        Identity::Certificate(k) => k.serves("any", Version::Tls1_3),
        // The matrix gives negatives keys that sign in TLS 1.3.
        Identity::Negative(_) => true,
        Identity::None => false,
    }
}

fn negotiated_version(c: &Side<'_>, s: &Side<'_>) -> Result<Version, Expectation> {
    let Some((cmin, cmax)) = usable_range(c) else {
        return Err(failure(
            None,
            None,
            "the client can use none of its versions (no protocols available)".into(),
        ));
    };
    let Some((smin, smax)) = usable_range(s) else {
        // Seen with `s_server -tls1_3` and only a DSA leaf.
        return Err(failure(
            Some((Role::Server, alert::PROTOCOL_VERSION)),
            None,
            "the server can use none of its versions with its credentials".into(),
        ));
    };
    let both = |v: &Version| c.caps.versions.contains(v) && s.caps.versions.contains(v);
    if let Some(v) = Version::ALL
        .into_iter()
        .rev()
        .filter(both)
        .find(|v| (cmin..=cmax).contains(v) && (smin..=smax).contains(v))
    {
        return Ok(v);
    }
    if cmax < smin {
        let alert = s
            .caps
            .alert_for(FailureKind::ClientVersionsTooLow)
            .unwrap_or(Some(alert::PROTOCOL_VERSION));
        return Err(failure(
            alert.map(|a| (Role::Server, a)),
            None,
            format!("the client's highest version ({cmax}) is below the server's lowest ({smin})"),
        ));
    }
    let why =
        format!("the client's lowest version ({cmin}) is above the server's highest ({smax})");
    if let Some(alert) = c.caps.alert_for(FailureKind::OwnVersionsTooHigh) {
        return Err(failure(alert.map(|a| (Role::Client, a)), None, why));
    }
    if cmax == Version::Tls1_3 {
        // A TLS 1.3 client lists its versions in supported_versions, so
        // the server is the one that finds none in common (RFC 8446,
        // section 4.2.1); OpenSSL's server sends protocol_version.
        let alert = s
            .caps
            .alert_for(FailureKind::ClientVersionsTooHigh)
            .unwrap_or(Some(alert::PROTOCOL_VERSION));
        return Err(failure(alert.map(|a| (Role::Server, a)), None, why));
    }
    // Without supported_versions the server answers with its own highest
    // version, which the client refuses.
    Err(failure(
        Some((Role::Client, alert::PROTOCOL_VERSION)),
        None,
        why,
    ))
}

/// OpenSSL's server picks by the client's order unless told otherwise:
/// the first client suite that both implementations have at `v`, that the
/// server enables and can serve.
fn negotiated_suite<'c>(c: &Side<'c>, s: &Side<'_>, v: Version) -> Option<&'c SuiteInfo> {
    c.ep.suites.iter().find(|suite| {
        c.caps.suite_at(suite, v)
            && s.caps.suite_at(suite, v)
            && s.ep.suites.iter().any(|x| x.name == suite.name)
            && server_can_serve(suite, c.ep, s.ep, v)
    })
}

/// Whether the server has what `suite` needs: a certificate for its
/// authentication, the PSK, and a group for ECDHE.
fn server_can_serve(suite: &SuiteInfo, c: &Endpoint, s: &Endpoint, v: Version) -> bool {
    if suite.needs_psk() && !(c.psk && s.psk) {
        return false;
    }
    if suite.needs_ec_group() && !groups_overlap(&c.groups, &s.groups) {
        return false;
    }
    let au = if suite.kx == "RSAPSK" {
        "RSA"
    } else {
        suite.au.as_str()
    };
    match au {
        "None" | "PSK" => true,
        needed => match effective_server_identity(c, s) {
            Identity::Certificate(k) => k.serves(needed, v),
            // The oracle doesn't know a negative leaf's key type, so the
            // matrix serves negatives only with TLS 1.3 suites, where any
            // key type will do.
            Identity::Negative(_) => needed == "any",
            Identity::None => false,
        },
    }
}

/// The certificate the server ends up presenting, after any SNI switch.
fn effective_server_identity(c: &Endpoint, s: &Endpoint) -> Identity {
    match (&c.sni, &s.sni, s.sni_identity) {
        (Some(asked), Some(name), Some(id)) if asked == name => id,
        _ => s.identity,
    }
}

/// Empty means "library default", which always overlaps.
fn groups_overlap(c: &[String], s: &[String]) -> bool {
    c.is_empty() || s.is_empty() || c.iter().any(|g| s.contains(g))
}

/// ALPN as OpenSSL's `SSL_select_next_proto` does it on the harness
/// server: the first server protocol the client also offers. `Ok(None)`
/// when either side doesn't use ALPN; `Err` when both do and share none.
fn negotiated_alpn(c: &[String], s: &[String]) -> Result<Option<String>, ()> {
    if c.is_empty() || s.is_empty() {
        return Ok(None);
    }
    s.iter()
        .find(|p| c.contains(p))
        .cloned()
        .map(Some)
        .ok_or(())
}

/// Why the harness can't run a case using `suite`, if it can't.
fn suite_unsupported(suite: &SuiteInfo) -> Option<String> {
    let pre = format!("{} ({}/{})", suite.name, suite.kx, suite.au);
    if suite.kx == "SRP" || suite.au == "SRP" {
        return Some(format!(
            "client and server (harness): lack SRP credentials for SRP suites (the linked OpenSSL 3 still has the deprecated SRP API, but neither the openssl crate nor openssl-handshake's FFI module declares it) [{pre}]"
        ));
    }
    if suite.au.contains("GOST") || suite.kx.contains("GOST") {
        return Some(format!(
            "server (test PKI): lacks a GOST credential for GOST suites [{pre}]"
        ));
    }
    None
}

fn unsupported(reason: String) -> Expectation {
    Expectation::Unsupported { reason }
}

fn failure(alert: Option<(Role, u8)>, verify_error: Option<i32>, why: String) -> Expectation {
    Expectation::Failure {
        alert: alert.map(|(from, description)| ExpectedAlert { from, description }),
        verify_error,
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseKind, KeyKind};
    use crate::library::VersionSupport;

    fn suite(name: &str, min: Version, kx: &str, au: &str) -> SuiteInfo {
        SuiteInfo {
            name: name.into(),
            standard_name: None,
            id: 0,
            min_version: min,
            max_version: if min == Version::Tls1_3 {
                Version::Tls1_3
            } else {
                Version::Tls1_2
            },
            kx: kx.into(),
            au: au.into(),
            enc: "AESGCM(128)".into(),
            mac: "AEAD".into(),
        }
    }

    fn ecdhe_rsa() -> SuiteInfo {
        suite(
            "ECDHE-RSA-AES128-GCM-SHA256",
            Version::Tls1_2,
            "ECDH",
            "RSA",
        )
    }

    fn tls13() -> SuiteInfo {
        suite("TLS_AES_128_GCM_SHA256", Version::Tls1_3, "any", "any")
    }

    fn library(without_ssl3: bool) -> Library {
        Library {
            version_text: "OpenSSL 3.0.0 test".into(),
            version_number: 0x3000_0000,
            versions: Version::ALL
                .iter()
                .map(|&v| VersionSupport {
                    version: v,
                    missing: (without_ssl3 && v == Version::Ssl3).then(|| {
                        "SSLv3: unsupported by the linked OpenSSL (built without SSLv3)".into()
                    }),
                })
                .collect(),
            suites: vec![ecdhe_rsa(), tls13()],
        }
    }

    fn case(v: Version, s: SuiteInfo) -> Case {
        let mut client = Endpoint {
            suites: vec![s.clone()],
            verify_peer: true,
            ..Endpoint::default()
        };
        client.pin(v);
        let mut server = Endpoint {
            suites: vec![s.clone()],
            identity: Identity::Certificate(KeyKind::Rsa2048),
            ..Endpoint::default()
        };
        server.pin(v);
        Case {
            id: "test".into(),
            kind: CaseKind::Suite,
            version: v,
            suite: Some(s.name),
            key: "rsa2048".into(),
            option: "default".into(),
            client,
            server,
            resume: None,
            notes: vec![],
            expect: Expectation::Pending,
        }
    }

    fn expect(c: &Case) -> Expectation {
        let lib = library(true);
        let verify = |p: Negative| match p {
            Negative::Expired => 10,
            _ => 99,
        };
        Oracle::new(&lib, &verify).expect(c)
    }

    fn alert_of(e: &Expectation) -> Option<ExpectedAlert> {
        match e {
            Expectation::Failure { alert, .. } => *alert,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn plain_case_succeeds_with_its_suite_and_version() {
        let c = case(Version::Tls1_2, ecdhe_rsa());
        match expect(&c) {
            Expectation::Success {
                version,
                suite,
                resumed,
                ..
            } => {
                assert_eq!(version, Version::Tls1_2);
                assert_eq!(suite, "ECDHE-RSA-AES128-GCM-SHA256");
                assert_eq!(resumed, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn version_missing_from_library_is_unsupported_with_reason() {
        let c = case(
            Version::Ssl3,
            suite("AES128-SHA", Version::Ssl3, "RSA", "RSA"),
        );
        match expect(&c) {
            Expectation::Unsupported { reason } => {
                assert!(reason.starts_with("client and server ("), "{reason}");
                assert!(reason.contains("lacks SSLv3"), "{reason}");
                assert!(reason.contains("built without SSLv3"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn client_max_below_server_min_is_protocol_version_from_server() {
        let mut c = case(
            Version::Tls1_2,
            suite("ECDHE-RSA-AES128-SHA", Version::Tls1, "ECDH", "RSA"),
        );
        c.client.min_version = Some(Version::Tls1);
        c.client.max_version = Some(Version::Tls1_1);
        c.client.security_level = Some(0);
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::PROTOCOL_VERSION)
        );
    }

    #[test]
    fn client_min_above_server_max_is_protocol_version_from_the_server_with_supported_versions() {
        // Seen with `openssl s_client -tls1_3` against `s_server -tls1_2`:
        // the server writes "alert protocol version".
        let mut c = case(Version::Tls1_3, tls13());
        c.server.pin(Version::Tls1_2);
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::PROTOCOL_VERSION)
        );
    }

    #[test]
    fn client_min_above_server_max_is_protocol_version_from_the_client_without_it() {
        // `s_client -tls1_2` against `s_server -tls1`: the server answers
        // TLS 1.0 and the client writes "alert protocol version".
        let mut c = case(Version::Tls1_2, ecdhe_rsa());
        c.server.pin(Version::Tls1);
        c.server.security_level = Some(0);
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Client, alert::PROTOCOL_VERSION)
        );
    }

    #[test]
    fn a_client_whose_suites_fit_none_of_its_versions_fails_before_sending() {
        let mut c = case(Version::Tls1, ecdhe_rsa());
        c.client.security_level = Some(0);
        c.server.security_level = Some(0);
        match expect(&c) {
            Expectation::Failure { alert, why, .. } => {
                assert_eq!(alert, None);
                assert!(why.contains("no ciphers available"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_declared_suite_version_limit_is_honoured() {
        let s = suite("PSK-AES128-CBC-SHA256", Version::Tls1, "PSK", "PSK");
        let mut c = case(Version::Tls1, s.clone());
        c.client.security_level = Some(0);
        c.server.security_level = Some(0);
        c.client.psk = true;
        c.server.psk = true;
        c.server.identity = Identity::None;
        let lib = library(true);
        let verify = |_| 0;
        let o = Oracle::new(&lib, &verify);
        assert!(matches!(o.expect(&c), Expectation::Success { .. }));
        // A server that has the suite only from TLS 1.2 (as `gnutls-cli -l`
        // lists it) can't serve it at TLS 1.0.
        let mut gnutls = linked_capabilities(&lib);
        gnutls.implementation = "gnutls".into();
        gnutls.suites = SuiteSupport::ByCode([(s.id, Version::Tls1_2)].into());
        gnutls.old_versions_need_level0 = false;
        let a = alert_of(&o.expect_between(&c, &o.linked, &gnutls)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::HANDSHAKE_FAILURE)
        );
        // As the client it has nothing to offer at TLS 1.0.
        assert!(matches!(
            o.expect_between(&c, &gnutls, &o.linked),
            Expectation::Failure { alert: None, .. }
        ));
    }

    #[test]
    fn an_unknown_group_is_unsupported_naming_the_side() {
        let mut c = case(Version::Tls1_3, tls13());
        c.client.groups = vec!["brainpoolP512r1tls13".into()];
        c.server.groups = vec!["brainpoolP512r1tls13".into()];
        match expect(&c) {
            Expectation::Unsupported { reason } => {
                assert!(reason.starts_with("client ("), "{reason}");
                assert!(
                    reason.contains("lacks group brainpoolP512r1tls13"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn old_versions_need_security_level_zero_on_openssl3() {
        let mut c = case(
            Version::Tls1,
            suite("AES128-SHA", Version::Ssl3, "RSA", "RSA"),
        );
        // Without level 0 the server cannot go below TLS 1.2.
        assert!(matches!(expect(&c), Expectation::Failure { .. }));
        c.client.security_level = Some(0);
        c.server.security_level = Some(0);
        assert!(matches!(
            expect(&c),
            Expectation::Success {
                version: Version::Tls1,
                ..
            }
        ));
    }

    #[test]
    fn no_shared_suite_is_handshake_failure_from_server() {
        let mut c = case(Version::Tls1_2, ecdhe_rsa());
        c.server.suites = vec![suite(
            "ECDHE-RSA-AES256-GCM-SHA384",
            Version::Tls1_2,
            "ECDH",
            "RSA",
        )];
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::HANDSHAKE_FAILURE)
        );
    }

    #[test]
    fn suite_needing_a_key_the_server_lacks_is_no_shared_suite() {
        let mut c = case(
            Version::Tls1_1,
            suite("ECDHE-ECDSA-AES128-SHA", Version::Tls1, "ECDH", "ECDSA"),
        );
        c.client.security_level = Some(0);
        c.server.security_level = Some(0);
        c.server.identity = Identity::Certificate(KeyKind::Ed25519);
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(a.description, alert::HANDSHAKE_FAILURE);
        c.server.identity = Identity::Certificate(KeyKind::EcdsaP256);
        assert!(matches!(expect(&c), Expectation::Success { .. }));
    }

    #[test]
    fn psk_suite_needs_psk_on_both_sides() {
        let s = suite("PSK-AES128-GCM-SHA256", Version::Tls1_2, "PSK", "PSK");
        let mut c = case(Version::Tls1_2, s);
        c.server.identity = Identity::None;
        c.client.psk = true;
        assert!(matches!(expect(&c), Expectation::Failure { .. }));
        c.server.psk = true;
        assert!(matches!(expect(&c), Expectation::Success { .. }));
    }

    #[test]
    fn no_shared_group_in_tls13_is_handshake_failure() {
        let mut c = case(Version::Tls1_3, tls13());
        c.client.groups = vec!["X25519".into()];
        c.server.groups = vec!["P-256".into()];
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::HANDSHAKE_FAILURE)
        );
        c.server.groups = vec!["X25519".into()];
        match expect(&c) {
            Expectation::Success { group, .. } => assert_eq!(group.as_deref(), Some("X25519")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_client_certificate_alert_depends_on_version() {
        let mut c = case(Version::Tls1_3, tls13());
        c.server.verify_peer = true;
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::CERTIFICATE_REQUIRED)
        );

        let mut c = case(Version::Tls1_2, ecdhe_rsa());
        c.server.verify_peer = true;
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::HANDSHAKE_FAILURE)
        );

        c.client.identity = Identity::Certificate(KeyKind::Rsa2048);
        assert!(matches!(expect(&c), Expectation::Success { .. }));
    }

    #[test]
    fn alpn_without_overlap_is_no_application_protocol() {
        let mut c = case(Version::Tls1_3, tls13());
        c.client.alpn = vec!["h2".into()];
        c.server.alpn = vec!["http/1.1".into()];
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::NO_APPLICATION_PROTOCOL)
        );
        c.client.alpn = vec!["h2".into(), "http/1.1".into()];
        match expect(&c) {
            Expectation::Success { alpn, .. } => assert_eq!(alpn.as_deref(), Some("http/1.1")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn negative_certificate_expects_the_pki_verify_error() {
        let mut c = case(Version::Tls1_3, tls13());
        c.server.identity = Identity::Negative(Negative::Expired);
        match expect(&c) {
            Expectation::Failure {
                verify_error,
                alert,
                ..
            } => {
                assert_eq!(verify_error, Some(10));
                assert_eq!(alert, None);
            }
            other => panic!("{other:?}"),
        }
        // A client that doesn't verify accepts it.
        c.client.verify_peer = false;
        assert!(matches!(expect(&c), Expectation::Success { .. }));
    }

    #[test]
    fn sni_switches_to_the_good_certificate() {
        let mut c = case(Version::Tls1_3, tls13());
        c.server.identity = Identity::Negative(Negative::WrongHost);
        c.server.sni = Some("localhost".into());
        c.server.sni_identity = Some(Identity::Certificate(KeyKind::Rsa2048));
        assert!(matches!(expect(&c), Expectation::Failure { .. }));
        c.client.sni = Some("localhost".into());
        match expect(&c) {
            Expectation::Success { sni, .. } => assert_eq!(sni.as_deref(), Some("localhost")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn srp_suites_are_unsupported_with_reason_and_dss_ones_run() {
        let c = case(Version::Tls1_2, suite("X", Version::Tls1_2, "SRP", "SRP"));
        match expect(&c) {
            Expectation::Unsupported { reason } => {
                assert!(reason.contains("SRP credentials"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let mut c = case(
            Version::Tls1_2,
            suite("DHE-DSS-X", Version::Tls1, "DH", "DSS"),
        );
        c.server.identity = Identity::Certificate(KeyKind::Dsa2048);
        assert!(matches!(expect(&c), Expectation::Success { .. }));
        // TLS 1.3 has no DSA scheme: an OpenSSL server with only a DSA
        // leaf leaves TLS 1.3 out and answers protocol_version.
        let mut c = case(Version::Tls1_3, tls13());
        c.server.identity = Identity::Certificate(KeyKind::Dsa2048);
        let a = alert_of(&expect(&c)).expect("an alert");
        assert_eq!(
            (a.from, a.description),
            (Role::Server, alert::PROTOCOL_VERSION)
        );
    }

    #[test]
    fn resumption_kind_follows_the_version() {
        let mut c = case(Version::Tls1_3, tls13());
        c.resume = Some(ResumeKind::Tls13Psk);
        assert!(matches!(
            expect(&c),
            Expectation::Success {
                resumed: Some(ResumeKind::Tls13Psk),
                ..
            }
        ));
        let mut c = case(Version::Tls1_2, ecdhe_rsa());
        c.resume = Some(ResumeKind::SessionId);
        assert!(matches!(
            expect(&c),
            Expectation::Success {
                resumed: Some(ResumeKind::SessionId),
                ..
            }
        ));
    }
}
