//! Whether a client with the linked OpenSSL's defaults connects: its
//! security level, suites, groups and signature schemes, SNI as given,
//! and no legacy (pre-RFC 5746) servers.
//!
//! Every other probe, the base one included, runs at security level 0 to
//! reach any server, so a server that only such a probe reaches (a
//! 1024-bit DH prime, which level 2 refuses) would show no sign of it.
//! The certificate is not verified here: the chain rows judge it as such
//! a client would.

use serde::Serialize;

use super::conn::{Attempt, Offer, Prober};
use super::Verdict;
use crate::case::Version;

/// The probe's id.
pub const PROBE: &str = "default_client";

/// What a client with the linked OpenSSL's defaults gets.
#[derive(Debug, Clone, Serialize)]
pub struct DefaultClientFinding {
    /// Yes: the handshake went through and the server kept the
    /// connection; not testable: no answer.
    pub connects: Verdict,
    /// The security level the linked OpenSSL's clients run at by default.
    pub security_level: u32,
    /// The version negotiated, when it connects.
    pub version: Option<Version>,
    /// The suite negotiated (OpenSSL's name), when it connects.
    pub suite: Option<String>,
    /// What the probe saw.
    pub detail: String,
    /// The probe.
    pub probes: Vec<String>,
}

impl DefaultClientFinding {
    /// The finding of a probe that panicked.
    pub fn failed() -> Self {
        DefaultClientFinding {
            connects: Verdict::NotTestable,
            security_level: crate::library::default_security_level(),
            version: None,
            suite: None,
            detail: "the probe panicked".into(),
            probes: Vec::new(),
        }
    }

    /// The row's text: "connects: TLS 1.3 TLS_AES_256_GCM_SHA384",
    /// "refused: ...", or "not testable: ...".
    pub fn text(&self) -> String {
        let verdict = match self.connects {
            Verdict::Yes => "connects",
            Verdict::No => "refused",
            other => other.text(),
        };
        format!("{verdict}: {}", self.detail)
    }
}

/// Makes one handshake with the linked OpenSSL's client defaults.
pub fn probe(p: &Prober) -> DefaultClientFinding {
    let offer = Offer {
        openssl_defaults: true,
        ..Offer::default()
    };
    from_attempt(&p.run(PROBE, &offer, None))
}

fn from_attempt(a: &Attempt) -> DefaultClientFinding {
    let level = crate::library::default_security_level();
    let mut f = DefaultClientFinding {
        connects: Verdict::Yes,
        security_level: level,
        version: None,
        suite: None,
        detail: String::new(),
        probes: vec![a.id.clone()],
    };
    if a.accepted() {
        f.version = a.hello.version;
        f.suite = a.hello.suite.as_ref().map(|(_, name)| name.clone());
        f.detail = format!(
            "{} {}",
            f.version.map_or("?", Version::display),
            f.suite.as_deref().unwrap_or("?")
        );
    } else if let Some(why) = &a.unanswered {
        // Silence is no refusal, as in the version rows.
        f.connects = Verdict::NotTestable;
        f.detail = format!("no TLS answer, twice: {why}");
    } else {
        f.connects = Verdict::No;
        f.detail = format!(
            "{}, so a client with OpenSSL's defaults (security level {level}) cannot connect",
            a.refusal().unwrap_or_else(|| "no handshake".to_owned())
        );
    }
    f
}
