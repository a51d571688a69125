//! The fingerprint's probes: fixed ClientHellos, each sent on its own
//! connection; `answer.rs` reads what comes back.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

use super::super::hello::ClientHello;
use super::super::rng::Rng;
use super::super::wire;
use super::answer::{exchange, Answer};
use crate::tls_bytes::{prefixed, u16s};

/// The probes, each named by what its ClientHello does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Probe {
    /// An ordinary TLS 1.3 ClientHello (it also offers TLS 1.2).
    Tls13Hello,
    /// A TLS 1.2-only ClientHello that also offers heartbeat (RFC 6520).
    Tls12Hello,
    /// A TLS 1.3 ClientHello with an empty key_share list, which a TLS 1.3
    /// server must answer with a HelloRetryRequest.
    HrrTrigger,
    /// A TLS 1.3 ClientHello without supported_groups.
    NoSupportedGroups,
    /// A TLS 1.3 ClientHello without signature_algorithms.
    NoSignatureAlgorithms,
    /// A TLS 1.3 ClientHello with an empty cipher suites list.
    EmptySuites,
    /// A TLS 1.3 ClientHello carrying renegotiation_info twice.
    DuplicateExtension,
}

impl Probe {
    /// Every probe, in the order sent.
    pub const ALL: [Probe; 7] = [
        Probe::Tls13Hello,
        Probe::Tls12Hello,
        Probe::HrrTrigger,
        Probe::NoSupportedGroups,
        Probe::NoSignatureAlgorithms,
        Probe::EmptySuites,
        Probe::DuplicateExtension,
    ];

    /// The probe's stable name.
    pub fn id(self) -> &'static str {
        match self {
            Probe::Tls13Hello => "tls13-hello",
            Probe::Tls12Hello => "tls12-hello",
            Probe::HrrTrigger => "hrr-trigger",
            Probe::NoSupportedGroups => "no-supported-groups",
            Probe::NoSignatureAlgorithms => "no-signature-algorithms",
            Probe::EmptySuites => "empty-suites",
            Probe::DuplicateExtension => "duplicate-extension",
        }
    }

    /// What the probe sends, in words.
    pub fn sends(self) -> &'static str {
        match self {
            Probe::Tls13Hello => "a TLS 1.3 ClientHello (x25519 key share; TLS 1.2 offered too)",
            Probe::Tls12Hello => "a TLS 1.2-only ClientHello that also offers heartbeat",
            Probe::HrrTrigger => "a TLS 1.3 ClientHello with an empty key_share list",
            Probe::NoSupportedGroups => "a TLS 1.3 ClientHello without supported_groups",
            Probe::NoSignatureAlgorithms => "a TLS 1.3 ClientHello without signature_algorithms",
            Probe::EmptySuites => "a TLS 1.3 ClientHello with an empty cipher suites list",
            Probe::DuplicateExtension => "a TLS 1.3 ClientHello carrying renegotiation_info twice",
        }
    }

    /// Whether what the probe tests exists only in TLS 1.3, so that a
    /// server which answers it with TLS 1.2 (by its configuration or
    /// because it has no TLS 1.3) says nothing about it.
    pub(super) fn tls13_only(self) -> bool {
        matches!(
            self,
            Probe::Tls13Hello
                | Probe::HrrTrigger
                | Probe::NoSupportedGroups
                | Probe::NoSignatureAlgorithms
        )
    }

    /// The probe's ClientHello record. `rng` fills the random, the
    /// session id and the x25519 key share, which no server's choice of
    /// answer depends on.
    pub(super) fn record(self, rng: &mut Rng) -> Vec<u8> {
        let tls13 = self != Probe::Tls12Hello;
        let mut hello = base_hello(tls13, rng);
        match self {
            Probe::Tls13Hello | Probe::Tls12Hello => {}
            Probe::HrrTrigger => set(&mut hello, EXT_KEY_SHARE, vec![0, 0]),
            Probe::NoSupportedGroups => hello.extensions.retain(|(t, _)| *t != EXT_GROUPS),
            Probe::NoSignatureAlgorithms => hello.extensions.retain(|(t, _)| *t != EXT_SIGALGS),
            Probe::EmptySuites => hello.suites.clear(),
            Probe::DuplicateExtension => {
                hello.extensions.push((EXT_RENEGOTIATION_INFO, vec![0]));
                hello.extensions.push((EXT_RENEGOTIATION_INFO, vec![0]));
            }
        }
        hello.record()
    }
}

/// Sends `probe` on a new connection and reads the first answer.
pub(super) fn send(addr: SocketAddr, timeout: Duration, probe: Probe, rng: &mut Rng) -> Answer {
    let record = probe.record(rng);
    // A server turning the connection away would be read as closing on
    // the hello.
    let served = match wire::connect_served(addr, timeout) {
        Ok(s) => s,
        Err(e) => {
            return Answer::NoConnection {
                reason: match e {
                    wire::NotServed::Connect(e) => format!("could not connect: {e}"),
                    turned_away => format!("could not connect: {turned_away}"),
                },
            }
        }
    };
    let mut s = served.stream;
    exchange(&mut s, &record, served.connected + timeout)
}

const EXT_SERVER_NAME: u16 = 0;
const EXT_GROUPS: u16 = 10;
const EXT_POINT_FORMATS: u16 = 11;
const EXT_SIGALGS: u16 = 13;
const EXT_HEARTBEAT: u16 = 15;
const EXT_ETM: u16 = 22;
const EXT_EMS: u16 = 23;
const EXT_SESSION_TICKET: u16 = 35;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_PSK_MODES: u16 = 45;
const EXT_KEY_SHARE: u16 = 51;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;

/// TLS 1.3 suites, then TLS 1.2 ECDHE, DHE and RSA suites, then the
/// renegotiation SCSV: a list every implementation here finds something in.
const SUITES_13: [u16; 3] = [0x1302, 0x1303, 0x1301];
const SUITES_12: [u16; 23] = [
    0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc02b, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc028, 0xc023, 0xc027,
    0xc00a, 0xc014, 0xc009, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
];
const SIGALGS: [u16; 14] = [
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401,
    0x0501, 0x0601,
];
/// x25519, secp256r1, secp384r1.
const GROUPS: [u16; 3] = [0x001d, 0x0017, 0x0018];

/// The ClientHello every probe starts from.
fn base_hello(tls13: bool, rng: &mut Rng) -> ClientHello {
    let mut random = [0u8; 32];
    rng.fill(&mut random);
    let mut session_id = vec![0u8; 32];
    rng.fill(&mut session_id);
    let mut suites = Vec::new();
    if tls13 {
        suites.extend_from_slice(&SUITES_13);
    }
    suites.extend_from_slice(&SUITES_12);
    let name = b"localhost";
    let mut sni = vec![0];
    sni.extend_from_slice(&u16s(&[name.len() as u16]));
    sni.extend_from_slice(name);
    let mut extensions = vec![
        (EXT_SERVER_NAME, prefixed(&sni)),
        (EXT_POINT_FORMATS, vec![3, 0, 1, 2]),
        (EXT_GROUPS, prefixed(&u16s(&GROUPS))),
        (EXT_SESSION_TICKET, vec![]),
        (EXT_ETM, vec![]),
        (EXT_EMS, vec![]),
        (EXT_SIGALGS, prefixed(&u16s(&SIGALGS))),
    ];
    if tls13 {
        let mut share = vec![0u8; 32];
        rng.fill(&mut share);
        let mut entry = u16s(&[0x001d, 32]);
        entry.extend_from_slice(&share);
        extensions.push((EXT_SUPPORTED_VERSIONS, vec![4, 0x03, 0x04, 0x03, 0x03]));
        extensions.push((EXT_PSK_MODES, vec![1, 1]));
        extensions.push((EXT_KEY_SHARE, prefixed(&entry)));
    } else {
        // Mode 1: peer_allowed_to_send (RFC 6520 section 2).
        extensions.push((EXT_HEARTBEAT, vec![1]));
    }
    ClientHello {
        record_version: 0x0301,
        legacy_version: 0x0303,
        random,
        session_id,
        suites,
        compression: vec![0],
        extensions,
    }
}

fn set(hello: &mut ClientHello, ty: u16, data: Vec<u8>) {
    if let Some(e) = hello.extensions.iter_mut().find(|(t, _)| *t == ty) {
        e.1 = data;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_probe_is_a_well_formed_client_hello_that_differs_where_it_says() {
        let mut rng = Rng(1);
        for p in Probe::ALL {
            let h = ClientHello::parse_record(&p.record(&mut rng)).expect("every probe parses");
            let has = |ty| h.extensions.iter().any(|(t, _)| *t == ty);
            match p {
                Probe::Tls12Hello => assert!(!has(EXT_SUPPORTED_VERSIONS) && has(EXT_HEARTBEAT)),
                Probe::NoSupportedGroups => assert!(!has(EXT_GROUPS) && has(EXT_KEY_SHARE)),
                Probe::NoSignatureAlgorithms => assert!(!has(EXT_SIGALGS)),
                Probe::EmptySuites => assert!(h.suites.is_empty()),
                Probe::DuplicateExtension => assert_eq!(
                    h.extensions
                        .iter()
                        .filter(|(t, _)| *t == EXT_RENEGOTIATION_INFO)
                        .count(),
                    2
                ),
                Probe::HrrTrigger => assert!(h.extensions.contains(&(EXT_KEY_SHARE, vec![0, 0]))),
                Probe::Tls13Hello => {
                    assert!(has(EXT_SUPPORTED_VERSIONS) && has(EXT_KEY_SHARE) && has(EXT_GROUPS))
                }
            }
        }
    }
}
