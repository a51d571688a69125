//! SSLv3, which the linked OpenSSL cannot offer (3.0 builds leave it out):
//! asked with a ClientHello written here, as sslscan and testssl.sh ask it.
//! A server that takes SSLv3 answers with an SSLv3 ServerHello; one that
//! does not, with an alert or by closing. Only the answer is read: no
//! handshake follows, so the suites a server takes at SSLv3 are not
//! enumerated.

use crate::case::Version;
use crate::hostile::fingerprint::Answer;
use crate::hostile::hello::{handshake_message, record, CT_HANDSHAKE, HT_CLIENT_HELLO};
use crate::library::Library;

use super::conn::Prober;
use super::versions::{probe_id, VersionFinding};
use super::Verdict;

/// SSLv3's version field.
const SSL3: u16 = 0x0300;

/// The suites offered: every one defined for SSLv3 (RFC 6101) and the
/// later ones an SSLv3 server may run (AES, Camellia, SEED, ECDHE, export
/// and anonymous), strongest first, and the renegotiation SCSV, which an
/// SSLv3 ClientHello without extensions uses to signal RFC 5746.
const SUITES: [u16; 40] = [
    0xc014, 0xc00a, 0x0039, 0x0038, 0x0088, 0x0087, 0x0035, 0x0084, 0xc013, 0xc009, 0x0033, 0x0032,
    0x0045, 0x0044, 0x009a, 0x0099, 0x002f, 0x0041, 0x0096, 0xc012, 0xc008, 0x0016, 0x0013, 0x000a,
    0xc011, 0xc007, 0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x003a, 0x0034, 0x001b, 0x0018, 0x0014,
    0x0011, 0x0008, 0x0003, 0x00ff,
];

/// Whether the server takes SSLv3.
pub fn probe(p: &Prober) -> VersionFinding {
    let id = probe_id(Version::Ssl3);
    let answer = p.raw(
        &id,
        "an SSLv3 ClientHello written by the scan (the linked OpenSSL has no SSLv3)",
        &client_hello(),
    );
    let (accepted, detail) = verdict(&answer, p.library());
    VersionFinding {
        version: Version::Ssl3,
        accepted,
        detail,
        probes: vec![id],
    }
}

/// An SSLv3 ClientHello in an SSLv3 record: no session id, null
/// compression and, as SSLv3 defines it, no extensions block at all.
fn client_hello() -> Vec<u8> {
    let mut body = SSL3.to_be_bytes().to_vec();
    let mut random = [0u8; 32];
    // No handshake follows: a failed draw, leaving zeros, changes nothing
    // the server answers.
    let _ = openssl::rand::rand_bytes(&mut random);
    body.extend_from_slice(&random);
    body.push(0);
    let suites: Vec<u8> = SUITES.iter().flat_map(|s| s.to_be_bytes()).collect();
    body.extend_from_slice(&(suites.len() as u16).to_be_bytes());
    body.extend_from_slice(&suites);
    body.extend_from_slice(&[1, 0]);
    record(
        CT_HANDSHAKE,
        SSL3,
        &handshake_message(HT_CLIENT_HELLO, &body),
    )
}

/// What the answer says of SSLv3; suites are named as OpenSSL names
/// them, as in the other versions' rows, where `lib` knows them.
fn verdict(answer: &Answer, lib: &Library) -> (Verdict, String) {
    match answer {
        Answer::ServerHello { version, suite, .. } if *version == SSL3 => {
            let name = match lib.all_suites().find(|s| s.id == *suite) {
                Some(s) => s.name.clone(),
                None => openssl_handshake::decode::CipherSuite::new(*suite)
                    .name
                    .unwrap_or_else(|| format!("{suite:#06x}")),
            };
            (
                Verdict::Yes,
                format!(
                    "ServerHello SSLv3 {name} (to a hello of the scan's own; the other SSLv3 \
                     suites are not enumerated)"
                ),
            )
        }
        Answer::ServerHello { version, .. } => (
            Verdict::No,
            format!(
                "the server answered an SSLv3-only ClientHello with version {version:#06x}, \
                 which it may not choose"
            ),
        ),
        // Worded as the other versions' refusals are.
        Answer::Alert {
            level, description, ..
        } => {
            let level = if *level == 1 { "warning" } else { "fatal" };
            let name = openssl_handshake::Alert::name_of(*description).unwrap_or("alert");
            (
                Verdict::No,
                format!("refused: {level} alert {name} ({description})"),
            )
        }
        Answer::Closed => (
            Verdict::No,
            "the server closed the connection without an answer, twice".into(),
        ),
        Answer::NoAnswer | Answer::NoConnection { .. } => (
            Verdict::NotTestable,
            format!("no answer, twice: {}", answer.describe()),
        ),
        Answer::Unreadable { .. } => (
            Verdict::NotTestable,
            format!("the answer does not read as TLS: {}", answer.describe()),
        ),
    }
}

#[cfg(test)]
mod tests;
