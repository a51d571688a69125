//! SSLv2, which nothing in OpenSSL 3 speaks and DROWN (CVE-2016-0800)
//! attacks through: asked with an SSLv2 CLIENT-HELLO of the scan's own, as
//! sslscan and testssl.sh ask it. A server that speaks SSLv2 answers with a
//! SERVER-HELLO listing the cipher specs it would use; an empty list still
//! means SSLv2 is on (CVE-2015-3197 let clients use the specs anyway).
//! Anything else is a no.

use serde::Serialize;

use crate::hostile::fingerprint::Answer;

use super::conn::Prober;
use super::own_hello;
use super::Verdict;

/// Whether the server speaks SSLv2.
#[derive(Debug, Clone, Serialize)]
pub struct Sslv2Finding {
    /// Yes, no, or not testable (no answer).
    pub accepted: Verdict,
    /// What the probe saw.
    pub detail: String,
    /// The cipher specs its SERVER-HELLO named, e.g. "RC4_128_WITH_MD5".
    pub cipher_specs: Vec<String>,
    /// The probe this rests on.
    pub probes: Vec<String>,
}

/// The probe's id.
pub const PROBE: &str = "version/ssl2";

/// SSLv2's version number.
const SSL2: u16 = 0x0002;

/// Every SSLv2 cipher spec, by its 3-byte code and name.
const SPECS: [(u32, &str); 7] = [
    (0x0700c0, "DES_192_EDE3_CBC_WITH_MD5"),
    (0x050080, "IDEA_128_CBC_WITH_MD5"),
    (0x030080, "RC2_128_CBC_WITH_MD5"),
    (0x010080, "RC4_128_WITH_MD5"),
    (0x060040, "DES_64_CBC_WITH_MD5"),
    (0x040080, "RC2_128_CBC_EXPORT40_WITH_MD5"),
    (0x020080, "RC4_128_EXPORT40_WITH_MD5"),
];

/// Asks the server.
pub fn probe(p: &Prober) -> Sslv2Finding {
    let (answer, _) = p.raw(
        PROBE,
        "an SSLv2 CLIENT-HELLO written by the scan, offering every SSLv2 cipher spec",
        &client_hello(),
    );
    let (accepted, detail) = verdict(&answer);
    Sslv2Finding {
        accepted,
        detail,
        cipher_specs: spec_names(&answer),
        probes: vec![PROBE.to_owned()],
    }
}

impl Sslv2Finding {
    /// For a scan that never asked.
    pub fn failed() -> Self {
        Sslv2Finding {
            accepted: Verdict::NotTestable,
            detail: "the probe panicked".into(),
            cipher_specs: Vec::new(),
            probes: Vec::new(),
        }
    }
}

/// The CLIENT-HELLO: a 2-byte header with the top bit set, then msg type
/// 1, version 2, the lengths of the cipher specs, session id (none) and
/// challenge (16 bytes), then those.
fn client_hello() -> Vec<u8> {
    let specs: Vec<u8> = SPECS
        .iter()
        .flat_map(|(code, _)| code.to_be_bytes()[1..].to_vec())
        .collect();
    let mut challenge = [0u8; 16];
    // No handshake follows: a failed draw, leaving zeros, changes nothing
    // the server answers.
    let _ = openssl::rand::rand_bytes(&mut challenge);
    let mut msg = vec![1];
    msg.extend_from_slice(&SSL2.to_be_bytes());
    for len in [specs.len(), 0, challenge.len()] {
        msg.extend_from_slice(&(len as u16).to_be_bytes());
    }
    msg.extend_from_slice(&specs);
    msg.extend_from_slice(&challenge);
    let mut out = (0x8000 | msg.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&msg);
    out
}

/// The cipher specs of an SSLv2 SERVER-HELLO, by name.
fn spec_names(answer: &Answer) -> Vec<String> {
    match answer {
        Answer::Sslv2ServerHello {
            version,
            cipher_specs,
        } if *version == SSL2 => cipher_specs
            .iter()
            .map(|c| match SPECS.iter().find(|(code, _)| code == c) {
                Some((_, name)) => (*name).to_owned(),
                None => format!("{c:#08x}"),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn verdict(answer: &Answer) -> (Verdict, String) {
    match answer {
        Answer::Sslv2ServerHello { version, .. } if *version == SSL2 => {
            let names = spec_names(answer);
            let detail = if names.is_empty() {
                "SERVER-HELLO with no cipher spec: SSLv2 is on, its ciphers off, which \
                 CVE-2015-3197 let clients use anyway"
                    .to_owned()
            } else {
                format!("SERVER-HELLO with {}", names.join(", "))
            };
            (Verdict::Yes, detail)
        }
        other => own_hello::not_a_hello(other),
    }
}

#[cfg(test)]
mod tests;
