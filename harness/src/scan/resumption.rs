//! Resumption by session id, by ticket (RFC 5077) and by TLS 1.3 PSK,
//! each proven by a second handshake that offers the first's session.

use serde::Serialize;

use super::conn::{Attempt, Offer, Prober};
use super::early_data::EarlyDataFinding;
use super::Verdict;
use crate::case::Version;
use openssl_handshake::Resumption;

/// One way of resuming.
#[derive(Debug, Clone, Serialize)]
pub struct ResumptionFinding {
    /// "session_id", "ticket" or "psk".
    pub kind: String,
    /// Yes: the second handshake resumed.
    pub resumed: Verdict,
    /// What the two probes saw.
    pub detail: String,
    /// The first and the second probe; and a second pair's where the
    /// first pair's second handshake had to be made again.
    pub probes: Vec<String>,
}

/// Tries the three kinds in parallel; the TLS 1.3 one's first handshake
/// also tells what its tickets allow of early data.
pub fn scan(p: &Prober, accepted: &[Version]) -> (Vec<ResumptionFinding>, EarlyDataFinding) {
    let old = accepted
        .iter()
        .rev()
        .find(|&&v| v < Version::Tls1_3)
        .copied();
    let tls13 = accepted.contains(&Version::Tls1_3);
    std::thread::scope(|s| {
        let kinds = [
            ("session_id", old, Resumption::SessionId),
            ("ticket", old, Resumption::Ticket),
            ("psk", tls13.then_some(Version::Tls1_3), Resumption::Psk),
        ];
        let handles: Vec<_> = kinds
            .into_iter()
            .map(|(kind, v, how)| s.spawn(move || attempt(p, kind, v, how)))
            .collect();
        let mut early = None;
        let mut found = Vec::new();
        for (f, e) in handles.into_iter().filter_map(|h| h.join().ok()) {
            found.push(f);
            early = early.or(e);
        }
        let early = early.unwrap_or_else(|| {
            EarlyDataFinding::without(
                Verdict::NotTestable,
                "the TLS 1.3 resumption probe panicked".into(),
            )
        });
        (found, early)
    })
}

/// One kind's finding and, for TLS 1.3's, the early-data finding.
fn attempt(
    p: &Prober,
    kind: &str,
    v: Option<Version>,
    how: Resumption,
) -> (ResumptionFinding, Option<EarlyDataFinding>) {
    let mut f = ResumptionFinding {
        kind: kind.to_owned(),
        resumed: Verdict::NotApplicable,
        detail: String::new(),
        probes: Vec::new(),
    };
    let psk = how == Resumption::Psk;
    let Some(v) = v else {
        f.detail = match how {
            Resumption::Psk => "TLS 1.3 is not accepted".into(),
            _ => "no TLS 1.2-or-older version is accepted".into(),
        };
        let early = psk.then(|| {
            EarlyDataFinding::without(
                Verdict::NotApplicable,
                "TLS 1.3, which early data is part of, is not accepted".into(),
            )
        });
        return (f, early);
    };
    let offer = Offer {
        min: Some(v),
        max: Some(v),
        no_ticket: how == Resumption::SessionId,
        wait_tickets: how == Resumption::Psk,
        ..Offer::default()
    };
    let id = |n: u32| format!("resume/{kind}/{n}");
    let (first, pair) = resume_pair(p, &offer, how, [id(1), id(2)]);
    let early = psk.then(|| EarlyDataFinding::from_tickets(&first, &id(1)));
    f.probes = pair.probes;
    (f.resumed, f.detail) = (pair.verdict, pair.detail);
    // A second handshake made again after no answer offered a session the
    // server may have dropped with the attempt it abandoned (OpenSSL drops
    // a session whose connection ends in an error): a full handshake then
    // proves nothing, so the pair is made once more.
    if let (Some(why), false) = (pair.retried, f.resumed == Verdict::Yes) {
        let (_, again) = resume_pair(p, &offer, how, [id(3), id(4)]);
        f.probes.extend(again.probes);
        (f.resumed, f.detail) = match again.retried {
            Some(_) if again.verdict != Verdict::Yes => (
                Verdict::NotTestable,
                format!(
                    "each pair's second handshake was made again after no TLS answer ({why}), \
                     and one made again may offer a session the server dropped with the \
                     attempt it abandoned"
                ),
            ),
            _ => (
                again.verdict,
                format!(
                    "{} (on a second pair: the first pair's second handshake was made again \
                     after no TLS answer, {why})",
                    again.detail
                ),
            ),
        };
    }
    (f, early)
}

/// What one pair of handshakes found.
struct Pair {
    verdict: Verdict,
    detail: String,
    /// The probes made.
    probes: Vec<String>,
    /// Why the second handshake was made again, if it was.
    retried: Option<String>,
}

/// A first handshake for a session, then a second offering it; the first
/// handshake's attempt and what the pair found.
fn resume_pair(p: &Prober, offer: &Offer, how: Resumption, ids: [String; 2]) -> (Attempt, Pair) {
    let [first_id, second_id] = ids;
    let first = p.run(&first_id, offer, None);
    let mut pair = Pair {
        verdict: Verdict::NotTestable,
        detail: String::new(),
        probes: vec![first_id],
        retried: None,
    };
    let issued = match how {
        Resumption::SessionId => first.hello.session_id_len > 0,
        _ => first.hello.tickets > 0,
    };
    let session = match (&first.session, first.accepted()) {
        (Some(s), true) if issued => s.clone(),
        _ => {
            (pair.verdict, pair.detail) = if first.accepted() {
                let why = match how {
                    Resumption::SessionId => "the ServerHello had an empty session id".into(),
                    _ => first.no_tickets(),
                };
                (Verdict::No, why)
            } else {
                let why = first.refusal().unwrap_or_default();
                (
                    Verdict::NotTestable,
                    format!("the first handshake failed: {why}"),
                )
            };
            return (first, pair);
        }
    };
    let second = p.run(
        &second_id,
        &Offer {
            wait_tickets: false,
            ..offer.clone()
        },
        Some(&session),
    );
    pair.retried = p.retried_after(&second_id);
    pair.probes.push(second_id);
    let resumed = second.negotiated.as_ref().and_then(|n| n.resumed);
    (pair.verdict, pair.detail) = match (second.ok, resumed) {
        (true, Some(r)) if r == how => (Verdict::Yes, format!("resumed by {}", r.name())),
        (true, Some(r)) => (Verdict::No, format!("resumed, but by {}", r.name())),
        (true, None) => (
            Verdict::No,
            "the second handshake was a full handshake".into(),
        ),
        (false, _) => (
            Verdict::NotTestable,
            format!(
                "the second handshake failed: {}",
                second.error.unwrap_or_default()
            ),
        ),
    };
    (first, pair)
}
