//! TLS_FALLBACK_SCSV (RFC 7507): offer below the server's best version
//! with the SCSV; a server that supports it answers inappropriate_fallback.

use serde::Serialize;

use super::conn::{Offer, Prober};
use super::Verdict;
use crate::case::{alert, Version};

/// Whether the server refuses a downgraded retry.
#[derive(Debug, Clone, Serialize)]
pub struct FallbackFinding {
    /// Yes: it sent inappropriate_fallback.
    pub supported: Verdict,
    /// What the probe saw.
    pub detail: String,
    /// The probe.
    pub probes: Vec<String>,
}

impl FallbackFinding {
    /// The finding when its task could not run.
    pub fn failed() -> Self {
        FallbackFinding {
            supported: Verdict::NotTestable,
            detail: "the fallback probe panicked".into(),
            probes: Vec::new(),
        }
    }
}

/// inappropriate_fallback.
const INAPPROPRIATE_FALLBACK: u8 = 86;

/// Offers the second-best accepted version with the SCSV; where the
/// server accepts a single version, the one below it, which the server
/// refuses either way: only inappropriate_fallback then says anything.
pub fn scan(p: &Prober, accepted: &[Version]) -> FallbackFinding {
    let (lower, single) = match accepted {
        [.., lower, _best] => (*lower, false),
        [only] => match Version::ALL
            .iter()
            .rev()
            .find(|v| *v < only && **v >= Version::Tls1)
        {
            Some(below) => (*below, true),
            None => return not_applicable(format!("the server accepts only {}", only.display())),
        },
        [] => return not_applicable("the server accepts no version".into()),
    };
    let a = p.run(
        "fallback",
        &Offer {
            min: Some(lower),
            max: Some(lower),
            fallback_scsv: true,
            ..Offer::default()
        },
        None,
    );
    let (supported, detail) = match a.hello.alert {
        Some(INAPPROPRIATE_FALLBACK) => (
            Verdict::Yes,
            format!(
                "{} with the SCSV: alert inappropriate_fallback",
                lower.display()
            ),
        ),
        Some(d) if single => (
            Verdict::NotApplicable,
            format!(
                "the server accepts only one version, so no retry below it can succeed; {} with \
                 the SCSV: alert {} ({d}), which does not say whether it checks the SCSV",
                lower.display(),
                alert::name(d)
            ),
        ),
        Some(d) => (
            Verdict::No,
            format!(
                "{} with the SCSV: alert {} ({d})",
                lower.display(),
                alert::name(d)
            ),
        ),
        None if a.ok => (
            Verdict::No,
            format!("{} with the SCSV: the handshake succeeded", lower.display()),
        ),
        None => (
            Verdict::NotTestable,
            a.error.unwrap_or_else(|| "no answer".into()),
        ),
    };
    FallbackFinding {
        supported,
        detail,
        probes: vec!["fallback".into()],
    }
}

fn not_applicable(why: String) -> FallbackFinding {
    FallbackFinding {
        supported: Verdict::NotApplicable,
        detail: format!("{why}; there is nothing to fall back from"),
        probes: Vec::new(),
    }
}
