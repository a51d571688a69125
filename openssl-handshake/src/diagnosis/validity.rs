//! Certificates out of their validity period: which one of the chain as
//! sent (the leaf, an intermediate the peer still sends after its CA
//! replaced it, or, when all it sent are current, the root the verifier
//! trusts), for either end's chain.

use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::Asn1Time;

use crate::decode::Certificate;

use super::cert_policy::Holder;
use super::certificate::{short_name_or, top_issuer};
use super::{Cause, Diagnosis, Fault};

pub(super) const CERT_NOT_YET_VALID: i32 = 9;
pub(super) const CERT_HAS_EXPIRED: i32 = 10;

/// The diagnosis of a chain (leaf first, as `holder` sent it) refused for
/// its dates. `expired_hint` says which cause to give when the chain
/// cannot tell (the verify error or alert said which).
pub(super) fn out_of_date(
    chain: Option<&Certificate>,
    expired_hint: bool,
    holder: Holder,
) -> Diagnosis {
    let who = holder.name();
    let verifier = holder.verifier();
    match (chain.and_then(first_out_of_date), chain) {
        (Some((0, true, t)), _) => expired(Some(&date(t)), holder),
        (Some((0, false, t)), _) => not_yet_valid(Some(&date(t)), holder),
        (Some((i, is_expired, t)), Some(c)) => {
            let (cause, state, field) = words(is_expired);
            holder.diagnosis(
                cause,
                format!(
                    "the CA certificate the {who} sends with its own, {}, {state} ({field} {}); \
                     the {who}'s own certificate is current",
                    short_name_or(c.subjects.get(i), "an intermediate"),
                    date(t)
                ),
                format!(
                    "Have the {who} send the CA's current intermediate certificate in place of \
                     the out-of-date one (the CA publishes it): the leaf, then the \
                     intermediates it was issued under."
                ),
            )
        }
        (_, Some(c)) if !c.subjects.is_empty() => {
            let (cause, state, _) = words(expired_hint);
            let d = holder.diagnosis(
                cause,
                format!(
                    "every certificate the {who} sent is current, so the one that {state} is \
                     the root the {verifier} trusts at the end of the chain ({})",
                    short_name_or(top_issuer(c), "a root CA")
                ),
                format!(
                    "Update the {verifier}'s trust store (e.g. the ca-certificates package), or \
                     have the {who} send a chain that leads to a current root the {verifier} \
                     trusts."
                ),
            );
            Diagnosis {
                fault: Fault::Unknown,
                ..d
            }
        }
        _ if expired_hint => expired(None, holder),
        _ => not_yet_valid(None, holder),
    }
}

/// The client refused this server's chain with certificate_expired,
/// though every certificate sent is current by this server's clock. The
/// client checked them against another time: most often its clock is
/// ahead (or it verifies at a time it set, as `s_client -attime` does);
/// else a root in its own store has expired. Only the client's log
/// tells which, so the fault is unknown and the fix starts at its clock.
/// rustls says certificate_expired for "not valid yet" too, so a clock
/// behind the latest notBefore is named as well.
pub(super) fn current_here(chain: &Certificate) -> Diagnosis {
    // The certificate whose notAfter comes first is the one a clock
    // running ahead passes first (the leaf, as a rule).
    let first_end = dated(chain, &chain.not_after_unix).min_by_key(|(_, t)| *t);
    let ahead = first_end.map_or_else(
        || "the client's clock is ahead, or it checks against a time it set".to_owned(),
        |(i, t)| {
            format!(
                "the client's clock is ahead, or it checks against a time past {} notAfter {}",
                whose(chain, i),
                date(t)
            )
        },
    );
    let behind = last_start(chain).map_or(String::new(), |(i, t)| {
        format!(
            "; a client that says certificate_expired for a certificate not valid yet, as \
             rustls does, may instead be behind {} notBefore {}",
            whose(chain, i),
            date(t)
        )
    });
    let root = short_name_or(top_issuer(chain), "a root CA");
    let before = first_end.map_or(String::new(), |(_, t)| {
        format!(" (it must read before {})", date(t))
    });
    Diagnosis::new(
        Cause::ServerCertExpired,
        Fault::Unknown,
        format!(
            "the client refused this server's chain as expired, but every certificate it sent \
             is current by this server's clock: most likely {ahead}; else a root the client \
             trusts at the end of the chain ({root}) has expired{behind}"
        ),
        format!(
            "Check the client's clock first{before}; if it is right, update the client's trust \
             store (e.g. the ca-certificates package), or have this server send a chain that \
             leads to a current root the client trusts."
        ),
    )
    .with("validity of the certificates sent", validity_of(chain))
}

/// The certificate of `chain` that became valid last, and when: a
/// verifier whose clock reads before that refuses the chain as not valid
/// yet. `None` when no date was read.
fn last_start(chain: &Certificate) -> Option<(usize, i64)> {
    dated(chain, &chain.not_before_unix).min_by_key(|(_, t)| std::cmp::Reverse(*t))
}

/// A clock that would refuse `chain` as not valid yet, for a verifier
/// whose alert does not say why: "a clock that reads before the leaf's
/// notBefore ...". `None` when no date was read.
pub(super) fn clock_behind(chain: &Certificate) -> Option<String> {
    last_start(chain).map(|(i, t)| {
        format!(
            "a clock that reads before {} notBefore {}",
            whose(chain, i),
            date(t)
        )
    })
}

/// "the leaf's", or "Intermediate CA's" for another certificate of
/// `chain`.
fn whose(chain: &Certificate, i: usize) -> String {
    match i {
        0 => "the leaf's".to_owned(),
        i => format!(
            "{}'s",
            short_name_or(chain.subjects.get(i), "a CA certificate")
        ),
    }
}

/// Each certificate's index with its date in `times` (0, for an entry
/// that did not parse, left out).
fn dated<'a>(chain: &'a Certificate, times: &'a [i64]) -> impl Iterator<Item = (usize, i64)> + 'a {
    times
        .iter()
        .copied()
        .enumerate()
        .take(chain.subjects.len())
        .filter(|(_, t)| *t != 0)
}

/// Each certificate of `chain` with its dates, leaf first.
fn validity_of(chain: &Certificate) -> String {
    let dates = chain.not_before_unix.iter().zip(&chain.not_after_unix);
    chain
        .subjects
        .iter()
        .zip(dates)
        .filter(|(_, (from, until))| **from != 0 || **until != 0)
        .map(|(s, (from, until))| {
            format!(
                "{}: {} to {}",
                short_name_or(Some(s), "a certificate"),
                date(*from),
                date(*until)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `holder`'s own certificate has expired (on `not_after`).
pub(super) fn expired(not_after: Option<&str>, holder: Holder) -> Diagnosis {
    let who = holder.name();
    let when = not_after.map_or(String::new(), |d| format!(" (notAfter {d})"));
    holder.diagnosis(
        Cause::ServerCertExpired,
        format!("the {who}'s certificate has expired{when}"),
        format!("Renew the {who}'s certificate and install the new one (with its chain)."),
    )
}

/// The `holder`'s own certificate is not valid until `not_before`.
pub(super) fn not_yet_valid(not_before: Option<&str>, holder: Holder) -> Diagnosis {
    let who = holder.name();
    let when = not_before.map_or(String::new(), |d| format!(" (notBefore {d})"));
    holder.diagnosis(
        Cause::ServerCertNotYetValid,
        format!("the {who}'s certificate is not valid yet{when}"),
        "Check both machines' clocks, or install a certificate that is valid now.".to_owned(),
    )
}

/// The first certificate of `chain` out of its validity now: its index,
/// whether it has expired (rather than not begun), and the date passed.
pub(super) fn first_out_of_date(chain: &Certificate) -> Option<(usize, bool, i64)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    (0..chain.subjects.len()).find_map(|i| {
        let (from, until) = (
            *chain.not_before_unix.get(i)?,
            *chain.not_after_unix.get(i)?,
        );
        if until != 0 && until < now {
            Some((i, true, until))
        } else if from > now {
            Some((i, false, from))
        } else {
            None
        }
    })
}

/// `d`, a diagnosis of a verify error about something other than dates,
/// with the leaf's dates when they are out too: OpenSSL stops at the first
/// error (and checks the host before the dates), so a fix for that one
/// alone would only meet this one next. Only the leaf: it is on every path
/// OpenSSL builds, while a CA certificate sent may be off it (an old
/// cross-sign of a root the verifier holds, which it never checks).
pub(super) fn with_dates_too(
    d: Diagnosis,
    chain: Option<&Certificate>,
    holder: Holder,
) -> Diagnosis {
    let Some((0, is_expired, t)) = chain.and_then(first_out_of_date) else {
        return d;
    };
    let who = holder.name();
    let (state, field, also) = if is_expired {
        (
            "has also expired",
            "notAfter",
            format!("Renew the {who}'s certificate as well"),
        )
    } else {
        (
            "is also not valid yet",
            "notBefore",
            "Check both machines' clocks as well".to_owned(),
        )
    };
    Diagnosis {
        summary: format!(
            "{}; the {who}'s certificate {state} ({field} {})",
            d.summary,
            date(t)
        ),
        fix: format!("{} {also}: OpenSSL reports one error at a time.", d.fix),
        ..d
    }
}

fn words(expired: bool) -> (Cause, &'static str, &'static str) {
    if expired {
        (Cause::ServerCertExpired, "has expired", "notAfter")
    } else {
        (
            Cause::ServerCertNotYetValid,
            "is not valid yet",
            "notBefore",
        )
    }
}

/// Unix seconds as OpenSSL prints a time ("Dec  1 10:43:00 2026 GMT").
fn date(t: i64) -> String {
    Asn1Time::from_unix(t as libc::time_t).map_or_else(|_| t.to_string(), |a| a.to_string())
}
