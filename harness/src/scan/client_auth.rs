//! Client authentication: whether the server sends a CertificateRequest,
//! the CA names and schemes in it, and whether it goes on without a
//! certificate. Read from the base probe; no extra connection.

use serde::Serialize;

use super::conn::Attempt;
use super::Verdict;
use crate::case::alert;

/// The server's client-certificate request.
#[derive(Debug, Clone, Serialize)]
pub struct ClientAuthFinding {
    /// Yes: a CertificateRequest came.
    pub requested: Verdict,
    /// Whether the handshake failed for want of a certificate (`None`:
    /// not requested, or a client certificate was given).
    pub required: Option<bool>,
    /// The CA names it listed.
    pub ca_names: Vec<String>,
    /// The signature schemes it accepts for the client's certificate.
    pub signature_algorithms: Vec<String>,
    /// What the probe saw.
    pub detail: String,
    /// The probe.
    pub probes: Vec<String>,
}

/// Reads the base probe.
pub fn from_base(base: &Attempt, have_client_cert: bool) -> ClientAuthFinding {
    let probes = vec![base.id.clone()];
    let Some(req) = &base.hello.cert_request else {
        let (requested, detail) = if base.hello.suite.is_some() {
            (Verdict::No, "no CertificateRequest".to_owned())
        } else {
            (
                Verdict::NotTestable,
                base.error
                    .clone()
                    .unwrap_or_else(|| "no ServerHello".into()),
            )
        };
        return ClientAuthFinding {
            requested,
            required: None,
            ca_names: Vec::new(),
            signature_algorithms: Vec::new(),
            detail,
            probes,
        };
    };
    let required = (!have_client_cert).then_some(!base.accepted());
    let detail = match (base.ok, base.rejected_after_handshake, base.hello.alert) {
        (true, None, _) => "the handshake went on".to_owned(),
        // TLS 1.3: the verdict follows the client's Finished.
        (true, Some(d), _) => format!(
            "the server sent alert {} ({d}) after the handshake",
            alert::name(d)
        ),
        (false, _, Some(d)) => format!("the server sent alert {} ({d})", alert::name(d)),
        (false, _, None) => base.error.clone().unwrap_or_default(),
    };
    ClientAuthFinding {
        requested: Verdict::Yes,
        required,
        ca_names: req.ca_names.clone(),
        signature_algorithms: req.signature_algorithms.clone(),
        detail,
        probes,
    }
}
