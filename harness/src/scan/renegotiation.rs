//! Renegotiation, which TLS 1.3 does not have. Secure renegotiation (RFC
//! 5746): whether the ServerHello of a TLS 1.2 or older handshake carries
//! renegotiation_info, read from the version probes, OpenSSL's and those
//! of the scan's own hellos (which send the SCSV). Client-initiated
//! renegotiation: whether the server runs a second handshake when the
//! client asks for one, each costing it a full key exchange (a denial of
//! service lever; OpenSSL 3 servers refuse it by default), asked on one
//! more connection at the highest version below TLS 1.3.

use serde::Serialize;

use super::conn::{Attempt, ClientRenegotiation, Offer, Prober};
use super::versions::{older_hellos, VersionFinding};
use super::Verdict;
use super::{facts, own_hello};
use crate::case::Version;
use crate::hostile::fingerprint::Answer;

/// renegotiation_info's extension type (RFC 5746).
const RENEGOTIATION_INFO: u16 = 0xff01;

/// A ServerHello below TLS 1.3 that a probe got.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The probe.
    pub id: String,
    /// The version the ServerHello chose.
    pub version: Version,
    /// Whether it carried renegotiation_info.
    pub renegotiation_info: bool,
    /// Whether it carried extended_master_secret, which the hello offered
    /// (not at SSLv3).
    pub extended_master_secret: bool,
    /// Whether it carried encrypt_then_mac, likewise.
    pub encrypt_then_mac: bool,
    /// The suite it chose.
    pub suite: u16,
}

impl Seen {
    /// What a hello of the scan's own at `v` got, if it was a ServerHello
    /// at `v`.
    pub fn from_answer(id: &str, answer: &Answer, v: Version) -> Option<Seen> {
        let suite = own_hello::chosen(answer, v)?;
        let Answer::ServerHello { extensions, .. } = answer else {
            return None;
        };
        Some(Seen {
            id: id.to_owned(),
            version: v,
            renegotiation_info: extensions.contains(&RENEGOTIATION_INFO),
            extended_master_secret: extensions.contains(&facts::EXTENDED_MASTER_SECRET),
            encrypt_then_mac: extensions.contains(&facts::ENCRYPT_THEN_MAC),
            suite,
        })
    }
}

/// Whether the server supports RFC 5746.
#[derive(Debug, Clone, Serialize)]
pub struct RenegotiationFinding {
    /// Yes: every TLS 1.2-or-older ServerHello carried renegotiation_info.
    pub secure: Verdict,
    /// What the probes saw.
    pub detail: String,
    /// The probes.
    pub probes: Vec<String>,
    /// Yes: the server renegotiated when the client asked.
    pub client_initiated: Verdict,
    /// What that probe saw.
    pub client_detail: String,
    /// That probe.
    pub client_probes: Vec<String>,
}

/// The answer to a renegotiation the client asked for.
pub struct ClientInitiated {
    verdict: Verdict,
    detail: String,
    probe: Option<String>,
}

/// Asks for a renegotiation after a handshake at the highest version
/// below TLS 1.3 that the server accepts.
pub fn ask_client_initiated(p: &Prober, accepted: &[Version]) -> ClientInitiated {
    let Some(v) = accepted
        .iter()
        .rev()
        .find(|&&v| v < Version::Tls1_3)
        .copied()
    else {
        return ClientInitiated {
            verdict: Verdict::NotApplicable,
            detail: "no TLS 1.2-or-older version is accepted".into(),
            probe: None,
        };
    };
    let id = "renegotiation/client";
    let offer = Offer {
        min: Some(v),
        max: Some(v),
        renegotiate: true,
        ..Offer::default()
    };
    let a = p.run(id, &offer, None);
    let at = v.display();
    let (verdict, detail) = match &a.renegotiation {
        Some(ClientRenegotiation::Accepted) => (
            Verdict::Yes,
            format!(
                "at {at}: a second handshake at the client's request (each costs the server \
                 a full key exchange)"
            ),
        ),
        Some(ClientRenegotiation::Refused(why)) => {
            (Verdict::No, format!("at {at}: refused with {why}"))
        }
        // Silence is no refusal: the server may be slow, or may drop it.
        Some(ClientRenegotiation::NoAnswer(why)) => {
            (Verdict::NotTestable, format!("at {at}: {why}"))
        }
        None => (
            Verdict::NotTestable,
            format!(
                "the handshake at {at} failed: {}",
                a.refusal().unwrap_or_default()
            ),
        ),
    };
    ClientInitiated {
        verdict,
        detail,
        probe: Some(id.to_owned()),
    }
}

impl RenegotiationFinding {
    /// The finding with what the client-initiated probe saw.
    pub fn with_client(mut self, c: ClientInitiated) -> Self {
        self.client_initiated = c.verdict;
        self.client_detail = c.detail;
        if c.verdict == Verdict::Yes && self.secure == Verdict::No {
            self.client_detail += ", and without RFC 5746's binding: the insecure \
                                   renegotiation an attacker in the middle splices its own \
                                   prefix into (CVE-2009-3555)";
        }
        self.client_probes.extend(c.probe);
        self
    }
}

/// The version probes' ServerHellos below TLS 1.3: OpenSSL's, then those
/// of the scan's own hellos.
pub fn older_seen(attempts: &[Attempt], versions: &[VersionFinding]) -> Vec<Seen> {
    let openssl = older_hellos(attempts).into_iter().map(|(a, v)| Seen {
        id: a.id.clone(),
        version: v,
        renegotiation_info: a.hello.renegotiation_info,
        extended_master_secret: a.hello.extended_master_secret,
        encrypt_then_mac: a.hello.encrypt_then_mac,
        suite: a.hello.suite.as_ref().map_or(0, |(id, _)| *id),
    });
    let own = versions.iter().filter_map(|v| v.own_hello.clone());
    openssl.chain(own).collect()
}

/// Reads renegotiation_info from the version probes' ServerHellos.
pub fn from_versions(attempts: &[Attempt], versions: &[VersionFinding]) -> RenegotiationFinding {
    let old = older_seen(attempts, versions);
    if old.is_empty() {
        return RenegotiationFinding {
            secure: Verdict::NotApplicable,
            detail: "no TLS 1.2-or-older ServerHello, and TLS 1.3 has no renegotiation".into(),
            probes: Vec::new(),
            client_initiated: Verdict::NotApplicable,
            client_detail: "no TLS 1.2-or-older version is accepted".into(),
            client_probes: Vec::new(),
        };
    }
    // By version, each once (OpenSSL's probe and the scan's own hello
    // may both have reached one); the probes are in the row's list.
    let mut without: Vec<&str> = Vec::new();
    for a in old.iter().filter(|a| !a.renegotiation_info) {
        if !without.contains(&a.version.display()) {
            without.push(a.version.display());
        }
    }
    RenegotiationFinding {
        secure: if without.is_empty() {
            Verdict::Yes
        } else {
            Verdict::No
        },
        detail: if without.is_empty() {
            "renegotiation_info in every ServerHello".into()
        } else {
            format!(
                "no renegotiation_info in the ServerHello at {}",
                without.join(", ")
            )
        },
        probes: old.iter().map(|a| a.id.clone()).collect(),
        client_initiated: Verdict::NotTestable,
        client_detail: "not asked".into(),
        client_probes: Vec::new(),
    }
}
