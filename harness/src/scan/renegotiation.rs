//! Secure renegotiation (RFC 5746): whether the ServerHello of a TLS 1.2
//! or older handshake carries renegotiation_info. TLS 1.3 has no
//! renegotiation. Read from the version probes, OpenSSL's and those of
//! the scan's own hellos (which send the SCSV); no extra connection.

use serde::Serialize;

use super::conn::Attempt;
use super::own_hello;
use super::versions::VersionFinding;
use super::Verdict;
use crate::case::Version;
use crate::hostile::fingerprint::Answer;

/// renegotiation_info's extension type (RFC 5746).
const RENEGOTIATION_INFO: u16 = 0xff01;

/// A ServerHello below TLS 1.3 that a probe got.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The probe.
    pub id: String,
    /// Whether it carried renegotiation_info.
    pub renegotiation_info: bool,
}

impl Seen {
    /// What a hello of the scan's own at `v` got, if it was a ServerHello
    /// at `v`.
    pub fn from_answer(id: &str, answer: &Answer, v: Version) -> Option<Seen> {
        own_hello::chosen(answer, v)?;
        let Answer::ServerHello { extensions, .. } = answer else {
            return None;
        };
        Some(Seen {
            id: id.to_owned(),
            renegotiation_info: extensions.contains(&RENEGOTIATION_INFO),
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
}

/// Reads renegotiation_info from the version probes' ServerHellos.
pub fn from_versions(attempts: &[Attempt], versions: &[VersionFinding]) -> RenegotiationFinding {
    let openssl = attempts.iter().filter_map(|a| {
        a.hello
            .version
            .filter(|v| *v < Version::Tls1_3)
            .map(|_| Seen {
                id: a.id.clone(),
                renegotiation_info: a.hello.renegotiation_info,
            })
    });
    let own = versions.iter().filter_map(|v| v.own_hello.clone());
    let old: Vec<Seen> = openssl.chain(own).collect();
    if old.is_empty() {
        return RenegotiationFinding {
            secure: Verdict::NotApplicable,
            detail: "no TLS 1.2-or-older ServerHello, and TLS 1.3 has no renegotiation".into(),
            probes: Vec::new(),
        };
    }
    let without: Vec<&str> = old
        .iter()
        .filter(|a| !a.renegotiation_info)
        .map(|a| a.id.as_str())
        .collect();
    RenegotiationFinding {
        secure: if without.is_empty() {
            Verdict::Yes
        } else {
            Verdict::No
        },
        detail: if without.is_empty() {
            "renegotiation_info in every ServerHello".into()
        } else {
            format!("no renegotiation_info in {}", without.join(", "))
        },
        probes: old.iter().map(|a| a.id.clone()).collect(),
    }
}
