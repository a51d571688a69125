//! Every finding as a row of the table and the Markdown: family, what
//! was asked, what was found, and the probes it rests on.

use std::fmt::Write;

use super::super::chain::ChainFinding;
use super::super::{ScanReport, Verdict};

/// One line of the result: family, what, the finding, its probes.
pub struct Row {
    /// "versions", "suites", ...
    pub family: &'static str,
    /// What was asked ("TLS 1.2", "session_id", ...).
    pub item: String,
    /// What was found.
    pub value: String,
    /// The probe ids.
    pub probes: Vec<String>,
}

/// The rows of one certificate chain, their items led by `prefix`.
fn chain_rows(
    row: &mut impl FnMut(&'static str, String, String, &[String]),
    ch: &ChainFinding,
    prefix: &str,
) {
    for (i, c) in ch.certificates.iter().enumerate() {
        row(
            "chain",
            format!("{prefix}#{i}"),
            format!(
                "subject: {}; issuer: {}; key: {}; signed with {}; valid {} .. {} ({}); SANs: {}; \
                 key usage: {}{}",
                c.subject,
                c.issuer,
                c.key,
                c.signature_algorithm,
                c.not_before,
                c.not_after,
                match (c.days_to_expiry, c.not_yet_valid_days) {
                    (Some(-1), _) => "EXPIRED 1 day ago".into(),
                    (Some(d), _) if d < 0 => format!("EXPIRED {} days ago", -d),
                    (_, Some(0)) => "NOT YET VALID, for less than a day more".into(),
                    (_, Some(1)) => "NOT YET VALID, for 1 more day".into(),
                    (_, Some(n)) => format!("NOT YET VALID, for {n} more days"),
                    (Some(d), None) => format!("{d} days left"),
                    (None, None) => "? days left".into(),
                },
                list(&c.subject_alt_names),
                c.key_usage.as_deref().unwrap_or("-"),
                c.extended_key_usage
                    .as_deref()
                    .map(|u| format!("; extended key usage: {u}"))
                    .unwrap_or_default()
            ),
            &ch.probes,
        );
    }
    row(
        "chain",
        format!("{prefix}order"),
        ch.ordered.text().into(),
        &ch.probes,
    );
    // Complete with verify 20: up to the last certificate sent, whose
    // issuer is not trusted (see `ChainFinding::complete`).
    let complete = match ch.certificates.last() {
        Some(last) if ch.complete == Verdict::Yes && ch.chain_verify.0 == 20 => format!(
            "yes as sent, if {} is a root: it is not among the trusted ones (an intermediate \
             of that name would be missing)",
            last.issuer
        ),
        _ => ch.complete.text().to_owned(),
    };
    row(
        "chain",
        format!("{prefix}complete"),
        format!(
            "{complete} (issuers only, dates not checked: verify {}: {})",
            ch.chain_verify.0, ch.chain_verify.1
        ),
        &ch.probes,
    );
    row(
        "chain",
        format!("{prefix}hostname {}", ch.hostname),
        ch.hostname_match.text().into(),
        &ch.probes,
    );
    if let Some((code, text)) = &ch.client_verify {
        // Each error where there are several, as s_client prints each.
        let result = match &ch.client_verify_errors[..] {
            [_, _, ..] => ch
                .client_verify_errors
                .iter()
                .map(|e| format!("{}: {} (depth {})", e.code, e.text, e.depth))
                .collect::<Vec<_>>()
                .join("; then "),
            _ => format!("{code}: {text}"),
        };
        row(
            "chain",
            format!("{prefix}verify (level {})", ch.client_security_level),
            result,
            &ch.probes,
        );
    }
    // The handshake's own, at the scan's level 0: shown where it differs.
    if let Some((code, text)) = ch
        .handshake_verify
        .as_ref()
        .filter(|h| ch.client_verify.as_ref().is_none_or(|c| c.0 != h.0))
    {
        row(
            "chain",
            format!("{prefix}handshake verify (level 0)"),
            format!("{code}: {text}"),
            &ch.probes,
        );
    }
    if let Some(o) = &ch.ocsp {
        row(
            "chain",
            format!("{prefix}OCSP staple"),
            yn(o.stapled, &o.detail),
            &o.probes,
        );
    }
    for n in &ch.notes {
        row("chain", format!("{prefix}note"), n.clone(), &ch.probes);
    }
}

/// ALPN's rounds: each offers what the server has not yet chosen, so the
/// list is what it accepts, in the order it chose them.
fn chosen(selected: &[String]) -> String {
    match selected {
        [] => "selected none".to_owned(),
        [one] => format!("selected {one}"),
        many => format!("accepts {}, chosen in that order", many.join(", ")),
    }
}

fn yn(v: Verdict, detail: &str) -> String {
    if detail.is_empty() {
        v.text().to_owned()
    } else {
        format!("{}: {detail}", v.text())
    }
}

fn list(xs: &[String]) -> String {
    if xs.is_empty() {
        "none".into()
    } else {
        xs.join(", ")
    }
}

/// Every finding as a row.
pub fn rows(r: &ScanReport) -> Vec<Row> {
    let f = &r.findings;
    let mut out = Vec::new();
    let mut row = |family, item: String, value: String, probes: &[String]| {
        out.push(Row {
            family,
            item,
            value,
            probes: probes.to_vec(),
        })
    };
    row(
        "versions",
        "SSLv2".into(),
        yn(f.sslv2.accepted, &f.sslv2.detail),
        &f.sslv2.probes,
    );
    for v in &f.versions {
        row(
            "versions",
            v.version.display().into(),
            yn(v.accepted, &v.detail),
            &v.probes,
        );
    }
    let dc = &f.default_client;
    row(
        "default_client",
        "OpenSSL defaults".into(),
        dc.text(),
        &dc.probes,
    );
    for s in &f.suites {
        let order = match s.server_order {
            Some(true) if s.legacy_rank_unknown => {
                "server order; the dropped suites' place in it is unknown, they follow"
            }
            Some(true) => "server order",
            Some(false) => "client order",
            None => "order: n/a",
        };
        // The accepted suites that lack something, each kind named once.
        let lacking = |what: &str, names: &[String]| {
            if names.is_empty() {
                String::new()
            } else {
                format!("; {what}: {}", names.join(", "))
            }
        };
        let anonymous = lacking("anonymous, so no server authentication", &s.anonymous);
        let cleartext = lacking("no encryption at all", &s.cleartext);
        let legacy = lacking(
            "dropped from OpenSSL 3.0, found with the scan's own hellos",
            &s.legacy,
        );
        row(
            "suites",
            s.version.display().into(),
            format!(
                "{} ({order}){anonymous}{cleartext}{legacy}",
                list(&s.accepted)
            ),
            &s.probes,
        );
    }
    for g in &f.groups {
        let preferred = g.preferred.as_deref().unwrap_or("?");
        let order = match g.server_order {
            // A TLS 1.3 server that takes a group it has a key share for
            // before its own order says: the enumeration finds its first
            // choice (asked without a usable key share) but not the order
            // of the rest.
            Some(true) if !g.whole_order => {
                format!("server prefers {preferred}; the order of the rest is not determined")
            }
            Some(true) => format!("server order, prefers {preferred}"),
            Some(false) => "client order".to_owned(),
            None => "order: n/a".to_owned(),
        };
        row(
            "groups",
            g.version.map_or("-".into(), |v| v.display().to_owned()),
            match &g.note {
                Some(n) => format!("{} ({order}); {n}", list(&g.accepted)),
                None => format!("{} ({order})", list(&g.accepted)),
            },
            &g.probes,
        );
    }
    for s in &f.sigalgs {
        let found = if s.accepted.is_empty() && s.cut_short {
            format!("not testable: {}", s.detail)
        } else if s.accepted.is_empty() {
            format!("none: {}", s.detail)
        } else {
            list(&s.accepted)
        };
        row("sigalgs", s.version.display().into(), found, &s.probes);
    }
    let dh = &f.dh;
    let below = match &dh.negotiated_below_tls13 {
        Some(g) if !g.is_empty() => list(g),
        Some(_) => format!("none ({})", dh.negotiation_detail),
        None => dh.negotiation_detail.clone(),
    };
    let dh_text = match (dh.min_bits, dh.ffdhe_groups.is_empty()) {
        // No suite or group was enumerated: "none" would read as an answer.
        (None, true) if r.cannot_scan.is_some() => {
            "not testable: no suite or group was enumerated".to_owned()
        }
        (None, true)
            if dh
                .negotiated_below_tls13
                .as_ref()
                .is_some_and(Vec::is_empty) =>
        {
            "no finite-field DH".to_owned()
        }
        (bits, _) => format!(
            "{}{}; FFDHE groups: TLS 1.3 {}; below TLS 1.3 {below}",
            bits.map_or("no DHE prime measured".into(), |b| format!(
                "smallest DHE prime {b} bits"
            )),
            if dh.named_primes.is_empty() {
                String::new()
            } else {
                format!(" ({})", dh.named_primes.join(", "))
            },
            list(&dh.ffdhe_groups)
        ),
    };
    row("dh", "parameters".into(), dh_text, &dh.probes);
    let a = &f.alpn;
    row(
        "alpn",
        format!("offered {}", list(&a.offered)),
        match &a.not_offered {
            // Nothing selected because nothing was asked.
            _ if a.selected.is_empty() && a.probes.is_empty() => {
                format!(
                    "not testable: {}",
                    a.on_no_overlap.trim_start_matches("not testable: ")
                )
            }
            Some(n) if a.selected.is_empty() => {
                format!("{n}; with no overlap: {}", a.on_no_overlap)
            }
            Some(n) => format!(
                "{}, then {n}; with no overlap: {}",
                chosen(&a.selected),
                a.on_no_overlap
            ),
            // The first offer, of every protocol, ended the rounds: what it
            // got is its own answer, not one to a separate offer of none.
            None if a.selected.is_empty() && !a.offered.is_empty() => {
                match a.on_no_overlap.strip_prefix("alert ") {
                    Some(alert) => format!("the server refused them with alert {alert}"),
                    None if a.on_no_overlap == "handshake without ALPN" => {
                        "selected none: handshake without ALPN".into()
                    }
                    None => format!("not testable: {}", a.on_no_overlap),
                }
            }
            None => format!(
                "{}; with no overlap: {}",
                chosen(&a.selected),
                a.on_no_overlap
            ),
        },
        &a.probes,
    );
    for c in &f.sni.cases {
        // The name is too long for the item column: it leads the value.
        let (item, value) = match &c.name {
            Some(n) => ("unknown name".into(), format!("{n}: {}", c.behaviour)),
            None => ("(no SNI)".into(), c.behaviour.clone()),
        };
        row("sni", item, value, std::slice::from_ref(&c.probe));
    }
    for w in &f.weaknesses {
        row(
            "weaknesses",
            w.name.into(),
            format!("{} ({})", yn(w.affected, &w.detail), w.reference),
            &w.probes,
        );
    }
    for x in &f.resumption {
        row(
            "resumption",
            x.kind.clone(),
            yn(x.resumed, &x.detail),
            &x.probes,
        );
    }
    let ca = &f.client_auth;
    let mut ca_text = yn(ca.requested, &ca.detail);
    if ca.requested == Verdict::Yes {
        let _ = write!(
            ca_text,
            "; required: {}; CA names: {}",
            // Asked only without a client certificate of the scan's own.
            ca.required
                .map_or("not asked (--cert was given)", |r| if r {
                    "yes"
                } else {
                    "no"
                }),
            list(&ca.ca_names)
        );
    }
    row(
        "client_auth",
        "certificate request".into(),
        ca_text,
        &ca.probes,
    );
    // A server with several certificates: each chain's rows are named by
    // its leaf's key type.
    let several = !f.other_chains.is_empty();
    for ch in std::iter::once(&f.chain).chain(&f.other_chains) {
        let prefix = if several {
            format!("{} ", ch.key_type)
        } else {
            String::new()
        };
        chain_rows(&mut row, ch, &prefix);
    }
    let ms = &f.master_secret;
    row(
        "master_secret",
        "RFC 7627".into(),
        yn(ms.extended, &ms.detail),
        &ms.probes,
    );
    let etm = &f.encrypt_then_mac;
    row(
        "encrypt_then_mac",
        "RFC 7366".into(),
        yn(etm.supported, &etm.detail),
        &etm.probes,
    );
    let ed = &f.early_data;
    row(
        "early_data",
        "RFC 8446 4.2.10".into(),
        yn(ed.offered, &ed.detail),
        &ed.probes,
    );
    let cz = &f.compression;
    row(
        "compression",
        "RFC 3749".into(),
        yn(cz.compressed, &cz.detail),
        &cz.probes,
    );
    let hb = &f.heartbeat;
    row(
        "heartbeat",
        "RFC 6520".into(),
        yn(hb.supported, &hb.detail),
        &hb.probes,
    );
    let oc = &f.ocsp;
    row(
        "ocsp_stapling",
        "RFC 6066".into(),
        yn(oc.stapled, &oc.detail),
        &oc.probes,
    );
    let dg = &f.downgrade;
    row(
        "downgrade",
        "RFC 8446 4.1.3".into(),
        yn(dg.protected, &dg.detail),
        &dg.probes,
    );
    let fb = &f.fallback_scsv;
    row(
        "fallback_scsv",
        "RFC 7507".into(),
        yn(fb.supported, &fb.detail),
        &fb.probes,
    );
    let rn = &f.renegotiation;
    row(
        "renegotiation",
        "RFC 5746".into(),
        yn(rn.secure, &rn.detail),
        &rn.probes,
    );
    row(
        "renegotiation",
        "client-initiated".into(),
        yn(rn.client_initiated, &rn.client_detail),
        &rn.client_probes,
    );
    for row in &mut out {
        let silent: Vec<&str> = row
            .probes
            .iter()
            .filter(|p| f.unanswered.contains_key(*p))
            .map(String::as_str)
            .collect();
        if !silent.is_empty() {
            row.value += &format!("; incomplete: no TLS answer to {}", silent.join(", "));
        }
    }
    out
}
