//! ClientHellos the scan writes itself, for what the linked OpenSSL cannot
//! offer (SSLv3, and the suites OpenSSL 3.0 dropped: 3DES, RC4, DES,
//! SEED, export), as sslscan and testssl.sh write them. The answer is read
//! as far as the ServerKeyExchange (for a DHE prime): no handshake follows.

use openssl_handshake::decode::{decode_handshake_in, Body, DecodeContext};

use crate::case::Version;
use crate::hostile::fingerprint::Answer;
use crate::hostile::hello::{CT_HANDSHAKE, HT_CLIENT_HELLO};
use crate::library::{Library, SuiteInfo};
use crate::tls_bytes::{handshake_message, put_extension, put_prefixed, record, u16s};

use super::conn::Prober;
use super::facts;
use super::versions::VersionFinding;
use super::Verdict;

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV: RFC 5746's signal, which a hello
/// without extensions (SSLv3's) can still carry.
const RENEGOTIATION_SCSV: u16 = 0x00ff;

/// For the ECDHE suites, the groups OpenSSL's probes offer, in their
/// order: x25519, secp256r1, x448, secp521r1, secp384r1, the brainpool
/// curves and secp256k1. A server of only one of them then answers these
/// hellos as it answers OpenSSL's.
pub const ECDHE_GROUPS: [u16; 9] = [
    0x001d, 0x0017, 0x001e, 0x0019, 0x0018, 0x001a, 0x001b, 0x001c, 0x0016,
];

/// TLS 1.2's signature schemes for ECDSA, EdDSA (RFC 8422), RSA, RSA-PSS
/// and DSA keys, SHA-1 ones included, as an old server may sign with
/// nothing else (a server may sign only with a scheme listed: RFC 5246,
/// 7.4.1.4.1): an Ed25519 server's ECDHE_ECDSA suites are otherwise out
/// of reach.
const SIGALGS: [u16; 20] = [
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401,
    0x0501, 0x0601, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202,
];

/// A ClientHello at `v` offering `suites` (and the renegotiation SCSV),
/// in one record. SSLv3's has no extensions block at all; a TLS one names
/// `servername`, lists `groups` (for ECDHE suites, or FFDHE ones: RFC
/// 7919) and carries what TLS 1.2 needs.
pub fn client_hello(
    v: Version,
    suites: &[u16],
    groups: &[u16],
    servername: Option<&str>,
) -> Vec<u8> {
    client_hello_with(v, suites, groups, servername, &Extras::default())
}

/// What a probe adds to [`client_hello`]'s hello.
#[derive(Debug, Default)]
pub struct Extras {
    /// Compression methods offered before null (RFC 5246, 7.4.1.2), which
    /// every hello ends its list with.
    pub compression: Vec<u8>,
    /// Extensions after the usual ones, as (type, data); at SSLv3 the
    /// only ones (OpenSSL 1.0.1 read extensions there too).
    pub extensions: Vec<(u16, Vec<u8>)>,
}

/// [`client_hello`] with `extras`.
pub fn client_hello_with(
    v: Version,
    suites: &[u16],
    groups: &[u16],
    servername: Option<&str>,
    extras: &Extras,
) -> Vec<u8> {
    let version = wire(v);
    let mut body = version.to_be_bytes().to_vec();
    let mut random = [0u8; 32];
    // No handshake follows: a failed draw, leaving zeros, changes nothing
    // the server answers.
    let _ = openssl::rand::rand_bytes(&mut random);
    body.extend_from_slice(&random);
    body.push(0);
    let mut ids = suites.to_vec();
    ids.push(RENEGOTIATION_SCSV);
    put_prefixed(&mut body, 2, &u16s(&ids));
    let mut methods = extras.compression.clone();
    methods.push(0);
    put_prefixed(&mut body, 1, &methods);
    let mut exts = Vec::new();
    if v != Version::Ssl3 {
        if let Some(name) = servername {
            let mut entry = vec![0];
            put_prefixed(&mut entry, 2, name.as_bytes());
            let mut list = Vec::new();
            put_prefixed(&mut list, 2, &entry);
            put_extension(&mut exts, 0, &list);
        }
        put_extension(&mut exts, 11, &[1, 0]);
        let mut list = Vec::new();
        put_prefixed(&mut list, 2, &u16s(groups));
        put_extension(&mut exts, 10, &list);
        if v == Version::Tls1_2 {
            let mut sigalgs = Vec::new();
            put_prefixed(&mut sigalgs, 2, &u16s(&SIGALGS));
            put_extension(&mut exts, 13, &sigalgs);
        }
        // Offered as OpenSSL's ClientHello offers them, so that where only
        // these hellos reach a version its answers to them can be read.
        put_extension(&mut exts, facts::EXTENDED_MASTER_SECRET, &[]);
        put_extension(&mut exts, facts::ENCRYPT_THEN_MAC, &[]);
    }
    for (ty, data) in &extras.extensions {
        put_extension(&mut exts, *ty, data);
    }
    // SSLv3's hello has no extensions block of its own (RFC 6101 lets
    // bytes follow the compression methods, which later servers read as
    // one).
    if v != Version::Ssl3 || !exts.is_empty() {
        put_prefixed(&mut body, 2, &exts);
    }
    // TLS 1.0's record version, as OpenSSL writes a first ClientHello at
    // any TLS version: some servers refuse a higher one.
    let record_version = if v == Version::Ssl3 { version } else { 0x0301 };
    record(
        CT_HANDSHAKE,
        record_version,
        &handshake_message(HT_CLIENT_HELLO, &body),
    )
}

/// Every suite a server might run at `v` (below TLS 1.3), for a hello
/// that wants any ServerHello at all: the linked OpenSSL's suites that
/// `v` allows (at SSLv3, those OpenSSL dates TLS 1.0, ECDHE's included:
/// tlslite-ng runs them at SSLv3), then the ones OpenSSL 3.0 dropped,
/// then those that encrypt nothing. No PSK or SRP suite: a hello without
/// their extensions cannot get one.
pub fn every_suite(lib: &Library, v: Version) -> Vec<u16> {
    let newest = v.max(Version::Tls1);
    let usable = |s: &&SuiteInfo| {
        s.min_version <= newest && !s.is_tls13() && !s.needs_psk() && s.kx != "SRP"
    };
    let mut ids: Vec<u16> = lib.suites.iter().filter(usable).map(|s| s.id).collect();
    ids.extend(super::suites::legacy_lacking(lib));
    ids.extend(lib.cleartext_suites.iter().filter(usable).map(|s| s.id));
    ids
}

/// The highest version below TLS 1.3 that `versions` found taken, by
/// OpenSSL's handshakes or the scan's own hellos. Else not applicable, or
/// not testable where a version that might have been taken went
/// unanswered.
pub fn best_older(versions: &[VersionFinding]) -> Result<Version, Verdict> {
    let older = versions.iter().filter(|v| v.version < Version::Tls1_3);
    match older
        .clone()
        .filter(|v| v.accepted == Verdict::Yes)
        .map(|v| v.version)
        .max()
    {
        Some(best) => Ok(best),
        None if older.clone().all(|v| v.accepted == Verdict::No) => Err(Verdict::NotApplicable),
        None => Err(Verdict::NotTestable),
    }
}

/// Why there is no version to probe, for [`best_older`]'s verdict.
pub fn no_older(verdict: Verdict, versions: &str, why_not: &str) -> String {
    if verdict == Verdict::NotApplicable {
        format!("no version {versions} accepted ({why_not})")
    } else {
        format!(
            "no version {versions} was found taken, and whether some are is unknown (their \
             probes got no TLS answer)"
        )
    }
}

/// The version's two bytes on the wire.
pub fn wire(v: Version) -> u16 {
    openssl_handshake::ProtocolVersion::from(v).wire()
}

/// A wire version as the scan's rows name it ("TLS 1.2"), or its number.
pub fn version_name(wire: u16) -> String {
    Version::try_from(openssl_handshake::ProtocolVersion::from(wire)).map_or_else(
        |_| format!("version {wire:#06x}"),
        |v| v.display().to_owned(),
    )
}

/// The suite a server answered `v` with, when it did so with a ServerHello
/// at `v`.
pub fn chosen(answer: &Answer, v: Version) -> Option<u16> {
    match answer {
        Answer::ServerHello { version, suite, .. } if *version == wire(v) => Some(*suite),
        _ => None,
    }
}

/// What an answer other than the hello asked for says: an alert or a
/// closed connection refuses, silence or bytes that are not TLS say
/// nothing. Worded as the OpenSSL-driven probes' refusals are.
pub fn not_a_hello(answer: &Answer) -> (Verdict, String) {
    match answer {
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
        Answer::ServerHello { .. }
        | Answer::Sslv2ServerHello { .. }
        | Answer::Sslv2Error { .. } => (Verdict::No, format!("answered: {}", answer.describe())),
        Answer::Closed => (
            Verdict::No,
            "the server closed the connection without an answer, twice".into(),
        ),
        Answer::NoAnswer | Answer::NoConnection { .. } | Answer::NotSent { .. } => (
            Verdict::NotTestable,
            format!("no TLS answer, twice: {}", answer.describe()),
        ),
        Answer::Unreadable { .. } => (
            Verdict::NotTestable,
            format!("the answer does not read as TLS: {}", answer.describe()),
        ),
    }
}

/// A probe `id`: a hello at `v` offering `suites`, and the answer.
pub fn ask(p: &Prober, id: &str, v: Version, suites: &[u16]) -> (Answer, Vec<Vec<u8>>) {
    let ids: Vec<String> = suites.iter().map(|s| format!("{s:#06x}")).collect();
    let offer = format!(
        "a {} ClientHello written by the scan, offering {}",
        v.display(),
        ids.join(" ")
    );
    let name = crate::probe::sni_name(p.target().servername.as_deref());
    p.raw(id, &offer, &client_hello(v, suites, &ECDHE_GROUPS, name))
}

/// The suites a server accepts among `candidates` at `v`, asked as the
/// OpenSSL-driven enumeration asks: offer all, note the one chosen, offer
/// the rest, until it refuses; then, with `ask_order`, the accepted ones
/// reversed, to learn whose order wins. Probes are named `{prefix}/1`,
/// ..., `{prefix}/order`. Each DHE suite's prime is read from the
/// ServerKeyExchange that follows its ServerHello.
pub fn enumerate(
    p: &Prober,
    v: Version,
    candidates: &[u16],
    prefix: &str,
    ask_order: bool,
) -> Enumeration {
    let ask = |id: &str, suites: &[u16]| ask(p, id, v, suites);
    let mut left = candidates.to_vec();
    let mut e = Enumeration::default();
    while !left.is_empty() {
        let id = format!("{prefix}/{}", e.probes.len() + 1);
        let (answer, flight) = ask(&id, &left);
        e.probes.push(id);
        match chosen(&answer, v).and_then(|s| left.iter().position(|x| *x == s)) {
            Some(i) => {
                let suite = left.remove(i);
                if let Some(dh) = dh_prime(&flight, wire(v), suite) {
                    e.dh.push((suite, dh));
                }
                e.accepted.push(suite);
            }
            None => {
                e.stopped = match chosen(&answer, v) {
                    Some(s) => format!("the server chose {s:#06x}, which was not offered"),
                    None => answer.describe(),
                };
                break;
            }
        }
    }
    if ask_order && e.accepted.len() >= 2 {
        let reversed: Vec<u16> = e.accepted.iter().rev().copied().collect();
        let id = format!("{prefix}/order");
        let (answer, _) = ask(&id, &reversed);
        e.probes.push(id);
        e.server_order = match chosen(&answer, v) {
            Some(s) if Some(&s) == e.accepted.first() => Some(true),
            Some(s) if Some(&s) == e.accepted.last() => Some(false),
            _ => None,
        };
    }
    e
}

/// The DHE prime of the ServerKeyExchange in `flight`, decoded as `suite`
/// at the version `wire` lays it out: its size in bits and, when it is
/// one, the well-known group's name.
pub fn dh_prime(flight: &[Vec<u8>], wire: u16, suite: u16) -> Option<DhPrime> {
    let v = openssl_handshake::ProtocolVersion::from(wire);
    let ctx = DecodeContext::new(Some(v), Some(suite));
    flight
        .iter()
        .find_map(|m| match decode_handshake_in(m, ctx).ok()?.body {
            Body::ServerKeyExchange(ske) => Some(DhPrime {
                bits: usize::try_from(ske.dh_bits()?).ok()?,
                group: ske.dh_group_name().map(str::to_owned),
            }),
            _ => None,
        })
}

/// A DHE prime a server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhPrime {
    /// Its size in bits.
    pub bits: usize,
    /// The well-known group it is, if one.
    pub group: Option<String>,
}

/// What [`enumerate`] found.
#[derive(Debug, Default)]
pub struct Enumeration {
    /// Wire ids, in the order the server chose them.
    pub accepted: Vec<u16>,
    /// Whether its order wins (`None`: fewer than two, no clear answer,
    /// or not asked).
    pub server_order: Option<bool>,
    /// The DHE prime each accepted DHE suite came with.
    pub dh: Vec<(u16, DhPrime)>,
    /// The last answer, when it was no suite: why the enumeration stopped.
    pub stopped: String,
    /// The probes, in order.
    pub probes: Vec<String>,
}

#[cfg(test)]
mod tests;
