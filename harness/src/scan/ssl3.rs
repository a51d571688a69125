//! SSLv3, which the linked OpenSSL cannot offer (3.0 builds leave it out):
//! asked with ClientHellos of the scan's own (`own_hello.rs`), as sslscan
//! and testssl.sh ask it. A server that takes SSLv3 answers with an SSLv3
//! ServerHello; one that does not, with an alert or by closing. Its suites
//! there are enumerated the same way.

use crate::case::Version;
use crate::hostile::fingerprint::Answer;
use crate::library::Library;

use super::conn::Prober;
use super::own_hello::{self, wire};
use super::renegotiation;
use super::suites::{self, SuiteFinding};
use super::versions::{probe_id, VersionFinding};
use super::Verdict;

/// Whether the server takes SSLv3.
pub fn probe(p: &Prober) -> VersionFinding {
    let id = probe_id(Version::Ssl3);
    let hello = own_hello::client_hello(
        Version::Ssl3,
        &own_hello::every_suite(p.library(), Version::Ssl3),
        &[],
        None,
    );
    let (answer, _) = p.raw(
        &id,
        "an SSLv3 ClientHello written by the scan (the linked OpenSSL has no SSLv3)",
        &hello,
    );
    let (accepted, detail) = verdict(&answer, p.library());
    VersionFinding {
        version: Version::Ssl3,
        accepted,
        detail,
        own_hello: renegotiation::Seen::from_answer(&id, &answer, Version::Ssl3),
        probes: vec![id],
        openssl_reached: false,
    }
}

/// The suites a server that takes SSLv3 accepts there, and whose order wins.
pub fn suites(p: &Prober) -> SuiteFinding {
    let v = Version::Ssl3;
    let e = own_hello::enumerate(
        p,
        v,
        &own_hello::every_suite(p.library(), Version::Ssl3),
        "suites/ssl3",
        true,
    );
    let mut f = SuiteFinding::new(v);
    f.server_order = e.server_order;
    f.stopped = if e.stopped.is_empty() {
        "every suite offered was accepted".into()
    } else {
        e.stopped.clone()
    };
    f.take(p.library(), e);
    f
}

/// What the answer says of SSLv3; suites are named as in the other
/// versions' rows.
fn verdict(answer: &Answer, lib: &Library) -> (Verdict, String) {
    match answer {
        Answer::ServerHello { version, suite, .. } if *version == wire(Version::Ssl3) => (
            Verdict::Yes,
            format!(
                "ServerHello SSLv3 {} (to a hello of the scan's own)",
                suites::name_of(lib, *suite).name
            ),
        ),
        Answer::ServerHello { version, .. } => (
            Verdict::No,
            format!(
                "the server answered an SSLv3-only ClientHello with version {version:#06x}, \
                 which it may not choose"
            ),
        ),
        other => own_hello::not_a_hello(other),
    }
}

#[cfg(test)]
mod tests;
