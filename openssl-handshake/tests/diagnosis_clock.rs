//! A client whose clock is wrong refuses a server's current chain: ahead,
//! OpenSSL says certificate_expired; behind, bad_certificate. The server,
//! whose own clock finds every certificate it sent current, must not
//! claim that the client's root has expired: it names the client's clock
//! first, with the dates it knows.

mod common;

use common::against_tools::{against_s_client, root};
use common::diagnosis::{assert_diagnosis, rsa};
use common::{pki, server_ctx_with};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::x509::X509;
use openssl_handshake::{Cause, Fault};

const DAY: i64 = 86_400;

/// `t` in Unix seconds.
fn unix(t: &Asn1TimeRef) -> i64 {
    let now = Asn1Time::days_from_now(0).expect("now");
    let d = now.diff(t).expect("a time difference");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs();
    i64::try_from(now).expect("seconds") + i64::from(d.days) * DAY + i64::from(d.secs)
}

/// The CN of `cert`'s subject.
fn common_name(cert: &X509) -> String {
    cert.subject_name()
        .entries_by_nid(openssl::nid::Nid::COMMONNAME)
        .map(|e| e.data().to_string().expect("the CN as text"))
        .next()
        .expect("a CN")
}

/// What `s_client -attime at` (verifying, as a client whose clock reads
/// `at`) leaves the traced server to say.
fn refused_at(at: i64) -> openssl_handshake::HandshakeTrace {
    let at = at.to_string();
    let root = root();
    let server = server_ctx_with(rsa(), |_| {});
    let args = [
        "-CAfile",
        &root,
        "-servername",
        "localhost",
        "-verify_return_error",
        "-attime",
        &at,
    ];
    against_s_client(&server, &args, b"")
}

/// A day past the leaf's notAfter (the root and intermediate last
/// longer), s_client says certificate_expired: the server names the
/// client's clock and the leaf's notAfter before the root it cannot see.
#[test]
fn a_client_clock_ahead_is_named_before_an_expired_root() {
    let leaf = &rsa().cert;
    let until = unix(leaf.not_after());
    for ca in &rsa().chain {
        assert!(unix(ca.not_after()) > until, "the leaf must end first");
    }
    let t = refused_at(until + DAY);
    let d = assert_diagnosis(
        &t,
        (Cause::ServerCertExpired, Fault::Unknown),
        "the client refused this server's chain as expired, but every certificate it sent is \
         current by this server's clock: most likely the client's clock is ahead, or it checks \
         against a time past the leaf's notAfter ",
        "a client clock a day past the leaf's notAfter",
    );
    let not_after = leaf.not_after().to_string();
    assert!(
        d.summary
            .contains(&format!("past the leaf's notAfter {not_after}")),
        "{d}"
    );
    let root_cn = common_name(pki().root());
    assert!(
        d.summary.contains(&format!(
            "; else a root the client trusts at the end of the chain ({root_cn}) has expired"
        )),
        "{d}"
    );
    assert!(
        d.fix.starts_with(&format!(
            "Check the client's clock first (it must read before {not_after})"
        )),
        "{d}"
    );
    let dates = d
        .evidence
        .iter()
        .find(|e| e.source == "validity of the certificates sent")
        .unwrap_or_else(|| panic!("the dates of the chain sent: {d}"));
    let leaf_dates = format!("localhost: {} to {not_after}", leaf.not_before());
    assert!(dates.value.starts_with(&leaf_dates), "{d}");
}

/// A day before the chain became valid, s_client says bad_certificate,
/// which names no reason: the fix lists a clock behind the date the
/// server knows among the client's possible verify errors.
#[test]
fn a_client_clock_behind_is_among_the_possible_reasons() {
    let leaf = &rsa().cert;
    // The certificate that became valid last, the leaf on a tie.
    let (whose, from) = rsa().chain.iter().fold(
        ("the leaf's".to_owned(), leaf.not_before()),
        |(whose, from), ca| match ca.not_before().compare(from) {
            Ok(std::cmp::Ordering::Greater) => (format!("{}'s", common_name(ca)), ca.not_before()),
            _ => (whose, from),
        },
    );
    let t = refused_at(unix(from) - DAY);
    let d = assert_diagnosis(
        &t,
        (Cause::ServerCertInvalid, Fault::Unknown),
        "the client rejected this server's certificate (bad certificate) without saying why",
        "a client clock a day before the chain became valid",
    );
    assert!(
        d.fix.contains(&format!(
            "a clock that reads before {whose} notBefore {from}"
        )),
        "{d}"
    );
}
