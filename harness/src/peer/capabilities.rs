//! What a peer's implementation declares it supports, before any case
//! runs: versions, suites per version, groups, signature schemes, the
//! options it can be configured with, and where it answers a failure with
//! another alert than OpenSSL does.
//!
//! Each peer builds its declaration once, from the implementation itself
//! where it can say (`gnutls-cli -l`, `openssl ciphers -V -v`, the
//! library's own API), and the oracle reads it. Nothing here changes
//! during a run.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::case::{Case, Identity, KeyKind, Negative, Role, Version};
use crate::library::SuiteInfo;

mod feature;
pub use feature::Feature;

/// One implementation's declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The implementation and its version, e.g. "gnutls-cli 3.7.9".
    pub implementation: String,
    /// The server role's name, where another program than the client's
    /// plays it (gnutls-serv beside gnutls-cli); `None` names both roles
    /// [`Capabilities::implementation`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_implementation: Option<String>,
    /// `Err(why)` when the implementation can't run at all (a missing tool).
    pub available: Result<(), String>,
    /// The roles it can play.
    pub roles: Vec<Role>,
    /// The protocol versions it speaks.
    pub versions: Vec<Version>,
    /// OpenSSL 3's rule: below TLS 1.2 only at security level 0.
    pub old_versions_need_level0: bool,
    /// OpenSSL's server rule (`is_tls13_capable`): without a certificate
    /// that can sign in TLS 1.3 (or a PSK) it leaves TLS 1.3 out of the
    /// versions it offers.
    pub tls13_needs_certificate: bool,
    /// Which suites it implements, and from which version.
    pub suites: SuiteSupport,
    /// The groups it knows, in the matrix's spelling ("X25519", "P-256",
    /// ...); `None` when it can't say and any name the matrix uses works.
    pub groups: Option<Vec<String>>,
    /// The certificate key types it can sign with and verify.
    pub keys: Vec<KeyKind>,
    /// The signature schemes it lists, in its own spelling, for reports.
    pub signature_schemes: Vec<String>,
    /// Things it can't do in one role, each with the reason.
    pub lacks: Vec<Lack>,
    /// Failures it answers with another alert than OpenSSL.
    pub alerts: Vec<AlertDialect>,
    /// Server certificates that fail OpenSSL's verification but that its
    /// verifying client accepts, each with the reason (a policy of its
    /// own, not a fault).
    #[serde(default)]
    pub client_accepts: Vec<Acceptance>,
    /// Client certificates that fail OpenSSL's verification but that its
    /// server, verifying client certificates, accepts.
    #[serde(default)]
    pub server_accepts: Vec<Acceptance>,
    /// What its client sends when it has no suite to offer.
    #[serde(default)]
    pub empty_offer: EmptyOffer,
    /// In whose order its server picks the ALPN protocol.
    #[serde(default)]
    pub alpn_order: AlpnOrder,
    /// Client certificates its client does not present, each with the
    /// reason: a client that picks its certificate by the CAs the server's
    /// CertificateRequest names (RFC 8446 section 4.2.4, RFC 5246 section
    /// 7.4.4) sends none that chains to another, and the server then sees
    /// a client without a certificate.
    #[serde(default)]
    pub client_withholds: Vec<Acceptance>,
    /// Its TLS 1.3 server picks the version and suite before it looks
    /// for a key that signs in TLS 1.3, so a server with none sends its
    /// ServerHello before it fails with handshake_failure; OpenSSL's
    /// leaves TLS 1.3 out instead ([`Capabilities::tls13_needs_certificate`]).
    #[serde(default)]
    pub tls13_signer_after_hello: bool,
    /// Its client's verification failures reach the harness only as a
    /// failed handshake, with no X509_V_ERR code or words of its own, and
    /// its alert for them is not known (a user's command).
    #[serde(default)]
    pub verify_unreported: bool,
}

/// What a client with no suite it may offer sends instead of a usable
/// ClientHello.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmptyOffer {
    /// Not declared: a server may see any of the three below.
    #[default]
    Unknown,
    /// A bare alert where the ClientHello belongs (OpenSSL: "no ciphers
    /// available", then internal_error).
    BareAlert,
    /// A ClientHello without any suite (GnuTLS), which RFC 5246 section
    /// 7.4.1.2 forbids.
    HelloWithoutSuites,
}

/// In whose order a server picks the ALPN protocol among those both sides
/// have: RFC 7301 (section 3.2) leaves the choice to the server, so either
/// order is legal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlpnOrder {
    /// The first of its own protocols the client also offers (OpenSSL's
    /// `SSL_select_next_proto` as the harness's and s_server's callbacks
    /// call it, rustls).
    #[default]
    Server,
    /// The first of the client's protocols it also has.
    Client,
}

/// A certificate a verifying peer accepts although OpenSSL refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    /// The certificate.
    pub negative: Negative,
    /// Why, checked with the implementation's own tools.
    pub why: String,
}

/// Which suites an implementation has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SuiteSupport {
    /// Every suite of the linked OpenSSL's catalogue, at the versions its
    /// `SSL_CIPHER` metadata allows.
    Catalogue,
    /// By two-byte code: the lowest version each suite may be used at.
    /// TLS 1.3 suites are TLS 1.3 only; others end at TLS 1.2.
    ByCode(HashMap<u16, Version>),
}

/// Something one role of an implementation can't be configured to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lack {
    /// The role that lacks it.
    pub role: Role,
    /// What it lacks.
    pub feature: Feature,
    /// Why, in words.
    pub why: String,
}

/// A failure an implementation answers with its own alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertDialect {
    /// The failure.
    pub failure: FailureKind,
    /// The alert this implementation sends for it, or `None` when it
    /// sends none (it closes the connection).
    pub alert: Option<u8>,
    /// What the implementation does, checked with its own tools.
    pub note: String,
}

/// Failures whose alert depends on the implementation that detects them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Server, TLS 1.2 and older: a required client certificate is missing.
    MissingClientCertificate12,
    /// Server, TLS 1.3: a required client certificate is missing (RFC
    /// 8446 section 4.4.2.4 lets it abort, naming certificate_required).
    MissingClientCertificate13,
    /// Server, TLS 1.3: the client's groups and its own share none (RFC
    /// 8446 section 4.1.1: handshake_failure or insufficient_security).
    NoSharedGroup13,
    /// Server: the client offers only versions above its highest, with
    /// supported_versions.
    ClientVersionsTooHigh,
    /// Server: the client's highest version is below its lowest.
    ClientVersionsTooLow,
    /// Server: an SRP client's password is wrong, so its Finished does not
    /// decrypt.
    SrpWrongPassword,
    /// Client: the server's chain leads to no root it trusts (the root is
    /// not one it trusts, or an intermediate was left out), which OpenSSL
    /// answers with unknown_ca; the server can tell which only from that.
    /// A verifying client that answers otherwise must declare it, or its
    /// server sides are held to unknown_ca's exact causes.
    ServerIssuerUnknown,
    /// Server: the client asks (SNI) for a name it does not serve, and it
    /// refuses such clients.
    SniUnknown,
    /// Client: its lowest version is above the server's highest; the alert
    /// is the client's when its ClientHello lets the server answer with
    /// an older version, which the client then refuses.
    OwnVersionsTooHigh,
}

impl Capabilities {
    /// A declaration with nothing lacking, for `implementation`.
    pub fn new(implementation: impl Into<String>) -> Self {
        Capabilities {
            implementation: implementation.into(),
            server_implementation: None,
            available: Ok(()),
            roles: vec![Role::Client, Role::Server],
            versions: Version::ALL.to_vec(),
            old_versions_need_level0: false,
            tls13_needs_certificate: false,
            suites: SuiteSupport::Catalogue,
            groups: None,
            keys: KeyKind::ALL.to_vec(),
            signature_schemes: Vec::new(),
            lacks: Vec::new(),
            alerts: Vec::new(),
            client_accepts: Vec::new(),
            server_accepts: Vec::new(),
            empty_offer: EmptyOffer::Unknown,
            alpn_order: AlpnOrder::Server,
            client_withholds: Vec::new(),
            tls13_signer_after_hello: false,
            verify_unreported: false,
        }
    }

    /// The name of what plays `role`: the server's own name where it has
    /// one, else [`Capabilities::implementation`].
    pub fn implementation_as(&self, role: Role) -> &str {
        match (role, &self.server_implementation) {
            (Role::Server, Some(name)) => name,
            _ => &self.implementation,
        }
    }

    /// Declares that its verifying client accepts `negative`.
    pub fn accept(mut self, negative: Negative, why: impl Into<String>) -> Self {
        self.client_accepts.push(Acceptance {
            negative,
            why: why.into(),
        });
        self
    }

    /// Why its verifying client accepts `negative`, if it does.
    pub fn accepts(&self, negative: Negative) -> Option<&str> {
        self.client_accepts
            .iter()
            .find(|a| a.negative == negative)
            .map(|a| a.why.as_str())
    }

    /// Declares that its client does not present the client negative
    /// `negative`.
    pub fn withhold(mut self, negative: Negative, why: impl Into<String>) -> Self {
        self.client_withholds.push(Acceptance {
            negative,
            why: why.into(),
        });
        self
    }

    /// Why its client does not present the client negative `negative`,
    /// if it does not.
    pub fn withholds(&self, negative: Negative) -> Option<&str> {
        self.client_withholds
            .iter()
            .find(|a| a.negative == negative)
            .map(|a| a.why.as_str())
    }

    /// Declares that its server accepts the client negative `negative`.
    pub fn server_accept(mut self, negative: Negative, why: impl Into<String>) -> Self {
        self.server_accepts.push(Acceptance {
            negative,
            why: why.into(),
        });
        self
    }

    /// Why its server accepts the client negative `negative`, if it does.
    pub fn server_accepts(&self, negative: Negative) -> Option<&str> {
        self.server_accepts
            .iter()
            .find(|a| a.negative == negative)
            .map(|a| a.why.as_str())
    }

    /// Adds a lack.
    pub fn lack(mut self, role: Role, feature: Feature, why: impl Into<String>) -> Self {
        self.lacks.push(Lack {
            role,
            feature,
            why: why.into(),
        });
        self
    }

    /// Whether the implementation has `suite` at `v`.
    pub fn suite_at(&self, suite: &SuiteInfo, v: Version) -> bool {
        if !suite.allows(v) {
            return false;
        }
        match &self.suites {
            SuiteSupport::Catalogue => true,
            SuiteSupport::ByCode(codes) => codes.get(&suite.id).is_some_and(|&min| min <= v),
        }
    }

    /// Whether the implementation has `suite` at all.
    pub fn has_suite(&self, suite: &SuiteInfo) -> bool {
        match &self.suites {
            SuiteSupport::Catalogue => true,
            SuiteSupport::ByCode(codes) => codes.contains_key(&suite.id),
        }
    }

    /// Whether it knows `group` (matrix spelling).
    pub fn has_group(&self, group: &str) -> bool {
        self.groups.as_ref().is_none_or(|gs| {
            gs.iter()
                .any(|g| normalize_group(g) == normalize_group(group))
        })
    }

    /// The alert it sends for `failure`, when it differs from OpenSSL's.
    pub fn alert_for(&self, failure: FailureKind) -> Option<Option<u8>> {
        self.alerts
            .iter()
            .find(|a| a.failure == failure)
            .map(|a| a.alert)
    }

    /// Why the implementation can't run at all: a missing tool, or a
    /// declaration read from it that names no version or no suite, which
    /// means its listing could not be read (a changed output format), not
    /// that it speaks no TLS. Without this, every case of such a peer
    /// would be "unsupported" and a run would pass having tested nothing
    /// of it.
    pub fn unavailable(&self) -> Option<String> {
        if let Err(e) = &self.available {
            return Some(e.clone());
        }
        if self.versions.is_empty() {
            return Some(format!(
                "{} declares no protocol version: its listing could not be read",
                self.implementation
            ));
        }
        if matches!(&self.suites, SuiteSupport::ByCode(codes) if codes.is_empty()) {
            return Some(format!(
                "{} declares no cipher suite: its listing could not be read",
                self.implementation
            ));
        }
        None
    }

    /// Why it can't play `role` in `case`, naming the side and what is
    /// missing; `None` when it can.
    pub fn refuses(&self, role: Role, case: &Case) -> Option<String> {
        let side = format!("{role} ({})", self.implementation_as(role));
        if let Some(e) = self.unavailable() {
            return Some(format!("{side}: unavailable: {e}"));
        }
        if !self.roles.contains(&role) {
            return Some(format!("{side}: lacks the {role} role"));
        }
        let ep = match role {
            Role::Client => &case.client,
            Role::Server => &case.server,
        };
        let (lo, hi) = ep.version_range();
        if !self.versions.iter().any(|v| (lo..=hi).contains(v)) {
            let wanted = if lo == hi {
                lo.display().to_string()
            } else {
                format!("{} to {}", lo.display(), hi.display())
            };
            return Some(format!("{side}: lacks {wanted}"));
        }
        // A declared lack first: it says why better than the suites it
        // leaves out (rustls's PSK, Botan's SRP).
        if let Some(l) = self
            .lacks
            .iter()
            .find(|l| l.role == role && l.feature.needed(role, case))
        {
            return Some(format!("{side}: lacks {} ({})", l.feature.name(), l.why));
        }
        if let Some(s) = ep.suites.iter().find(|s| !self.has_suite(s)) {
            return Some(format!(
                "{side}: lacks suite {} ({}, 0x{:04x})",
                s.name,
                s.standard_name.as_deref().unwrap_or("no IANA name"),
                s.id
            ));
        }
        if let Some(g) = ep.groups.iter().find(|g| !self.has_group(g)) {
            return Some(format!("{side}: lacks group {g}"));
        }
        // Its own certificates, and the peer's, whose signatures it checks.
        let peer = match role {
            Role::Client => &case.server,
            Role::Server => &case.client,
        };
        let identities = [Some(ep.identity), ep.sni_identity, Some(peer.identity)];
        for id in identities.into_iter().flatten() {
            if let Identity::Certificate(k) = id {
                if !self.keys.contains(&k) {
                    return Some(format!("{side}: lacks {} signatures", k.name()));
                }
            }
        }
        None
    }
}

/// "secp256r1", "prime256v1", "P-256" all name one group.
pub fn normalize_group(g: &str) -> String {
    match g.to_ascii_lowercase().as_str() {
        "secp256r1" | "prime256v1" | "p-256" => "p-256".into(),
        "secp384r1" | "p-384" => "p-384".into(),
        "secp521r1" | "p-521" => "p-521".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_support_by_code_has_a_lowest_version() {
        let s = SuiteInfo {
            name: "PSK-AES128-CBC-SHA256".into(),
            standard_name: None,
            id: 0x00ae,
            min_version: Version::Tls1,
            max_version: Version::Tls1_2,
            kx: "PSK".into(),
            au: "PSK".into(),
            enc: "AES(128)".into(),
            mac: "SHA256".into(),
        };
        let mut caps = Capabilities::new("test");
        assert!(caps.suite_at(&s, Version::Tls1));
        caps.suites = SuiteSupport::ByCode([(0x00ae, Version::Tls1_2)].into());
        assert!(!caps.suite_at(&s, Version::Tls1));
        assert!(caps.suite_at(&s, Version::Tls1_2));
        assert!(!caps.suite_at(&s, Version::Tls1_3));
    }

    #[test]
    fn group_names_normalize() {
        assert_eq!(normalize_group("prime256v1"), normalize_group("P-256"));
        let mut caps = Capabilities::new("test");
        caps.groups = Some(vec!["X25519".into(), "secp256r1".into()]);
        assert!(caps.has_group("P-256"));
        assert!(!caps.has_group("ffdhe2048"));
    }
}
