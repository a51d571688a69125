//! Causes about the server's certificate: expired, not yet valid, for
//! another host, from an untrusted root, missing its intermediate,
//! self-signed, or otherwise rejected.
//!
//! The client tells them apart by its verify error. The server sees only
//! the client's alert, and reads the rest from its own certificate
//! ([`super::LocalCertificate`]) and the chain it sent. The chain rules
//! (self-signed, missing intermediate, untrusted root) serve a server
//! verifying a client's chain too.

use std::net::IpAddr;

use crate::decode::Certificate;
use crate::event::{Direction, Side};

use super::cert_policy::{self, Holder};
use super::facts::{alert, alert_name, alert_text, Facts};
use super::validity::{
    clock_behind, current_here, expired, first_out_of_date, not_yet_valid, out_of_date,
    with_dates_too, CERT_HAS_EXPIRED, CERT_NOT_YET_VALID,
};
use super::{Cause, Diagnosis, Fault, LocalCertificate};

const UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
const DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
const SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
const UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;
const HOSTNAME_MISMATCH: i32 = 62;
/// How the decoder names a certificate entry that is no X.509.
const UNPARSEABLE: &str = "<unparseable certificate";
const IP_ADDRESS_MISMATCH: i32 = 64;

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    match f.side {
        Side::Client => client_verify(f),
        Side::Server => server_heard(f),
    }
}

/// A client that rejected the server's certificate without a verify error
/// (a verify callback), or whatever alert about it is left.
pub(super) fn diagnose_late(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client || f.server_certificate.is_none() {
        return None;
    }
    let a = f
        .sent
        .filter(|a| alert::ABOUT_A_CERTIFICATE.contains(&a.description))?;
    // An entry that is no X.509 certificate is refused before any check.
    let unreadable = f
        .server_certificate
        .is_some_and(|c| c.subjects.iter().any(|s| s.starts_with(UNPARSEABLE)));
    let (summary, fix) = if unreadable {
        (
            format!(
                "this client rejected the server's certificate ({}): it is not a DER-encoded \
                 X.509 certificate, so it could not even be read",
                alert_name(a)
            ),
            "Give the server a well-formed certificate (check the file it loads, or what \
             rewrites its Certificate message on the way).",
        )
    } else {
        (
            format!(
                "this client rejected the server's certificate ({})",
                alert_name(a)
            ),
            "Give the server a certificate this client accepts; the alert names the objection.",
        )
    };
    Some(
        Diagnosis::new(Cause::ServerCertInvalid, Fault::Server, summary, fix)
            .with_chain(f.server_certificate)
            .with_raw(f),
    )
}

/// The client's own verify error names the problem.
fn client_verify(f: &Facts<'_>) -> Option<Diagnosis> {
    let v = f.verify.filter(|v| !v.is_ok())?;
    let chain = f.server_certificate;
    // The name checked, which is the SNI name unless only an address was
    // set (no SNI is sent for an IP address).
    let sent = f.client_hello.and_then(|h| h.sni.as_deref());
    let checked = f.local.and_then(|l| l.expected_name.as_deref());
    let sni = checked.or(sent);
    let d = match v.code {
        CERT_HAS_EXPIRED => out_of_date(chain, true, Holder::Server),
        CERT_NOT_YET_VALID => out_of_date(chain, false, Holder::Server),
        HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH => {
            let d = wrong_host(
                chain,
                sni,
                "Connect with a name the certificate covers, or issue the server a certificate \
                 whose subjectAltName includes the name clients use.",
            );
            // A server that said it hosts no such name (a warning
            // unrecognized_name) served its default certificate: the name
            // may be the client's mistake as well as a host left out.
            let unknown_name = f.trace.alerts().find(|a| {
                a.direction == Direction::Read && a.description == alert::UNRECOGNIZED_NAME
            });
            match unknown_name {
                Some(a) => Diagnosis {
                    fault: Fault::Unknown,
                    summary: format!(
                        "{}, which the server said it does not host ({}), so it served a \
                         certificate for another name (most likely its default)",
                        d.summary,
                        alert_name(a)
                    ),
                    fix: format!(
                        "Connect with a name the server hosts, or add a virtual host (an SNI \
                         entry) for {} on the server.",
                        sni.unwrap_or("that name")
                    ),
                    ..d
                }
                .with("alert received", alert_text(a)),
                // No SNI (a client connecting by address sends none): a
                // server that picks its certificate by name had none to
                // go by and may have served its default one.
                None if f.client_hello.is_some() && sent.is_none() => Diagnosis {
                    fault: Fault::Unknown,
                    summary: format!(
                        "{}; the client sent no server name (SNI), so a server that picks its \
                         certificate by name may have served its default one",
                        d.summary
                    ),
                    fix: "Connect with a name the certificate covers and send it as SNI \
                          (s_client -servername, probe --servername), or issue the server a \
                          certificate that also names the address clients use."
                        .to_owned(),
                    ..d
                }
                .with("ClientHello.sni", "none"),
                None => d,
            }
        }
        // A chain that leads to no trusted root; a key, digest or purpose
        // the client's policy refuses; else the verify error's own words.
        code => chain_error(code, chain, Holder::Server)
            .or_else(|| cert_policy::verify_error_in(f, code, Holder::Server))
            .unwrap_or_else(|| {
                Diagnosis::new(
                    Cause::ServerCertInvalid,
                    Fault::Server,
                    format!(
                        "this client could not verify the server's certificate: {}",
                        v.text
                    ),
                    format!(
                        "Fix the server's certificate or the client's trust settings for: {}.",
                        v.text
                    ),
                )
            }),
    };
    let d = match v.code {
        CERT_HAS_EXPIRED | CERT_NOT_YET_VALID => d,
        _ => with_dates_too(d, chain, Holder::Server),
    };
    Some(
        d.with("verify result", format!("{} ({})", v.code, v.text))
            .with_chain(chain)
            .with_some("name checked", checked.filter(|c| Some(*c) != sent))
            .with_some("ClientHello.sni", sent)
            .with_some("alert sent", f.sent.map(alert_text)),
    )
}

/// The server: the client's alert, read against this end's certificate.
fn server_heard(f: &Facts<'_>) -> Option<Diagnosis> {
    let a = f.received?;
    let about_cert = alert::ABOUT_A_CERTIFICATE.contains(&a.description);
    let sent_chain = f.server_certificate?;
    // A client that sent its own certificate and got no further than that
    // is not objecting to ours (client_auth looks at that case).
    let own = f.local.and_then(|l| l.certificate.as_ref());
    let sni = f.client_hello.and_then(|h| h.sni.as_deref());
    let host_mismatch = match (own, sni) {
        (Some(c), Some(name)) => !covers(c, name),
        _ => false,
    };
    let host_refused = host_mismatch && a.description == alert::HANDSHAKE_FAILURE;
    if !(about_cert || host_refused) {
        // A client that will not verify a signature made with this key, or
        // on this certificate, may say so with decrypt_error (rustls does,
        // for an RSA key under 2048 bits and for a SHA-1 signature).
        if a.description != alert::DECRYPT_ERROR {
            return None;
        }
        let d = own.and_then(|c| cert_policy::own_refused(c, Holder::Server, a.description))?;
        return Some(
            d.with("alert received", alert_text(a))
                .with_some("local certificate", own.map(describe))
                .with_chain(Some(sent_chain)),
        );
    }
    let last = sent_chain.subjects.len().saturating_sub(1);
    // certificate_expired also means "not currently valid" (RFC 5246
    // section 7.2.2); rustls sends it for a certificate not valid yet.
    let d = if own.is_some_and(|c| c.not_yet_valid) {
        not_yet_valid(own.map(|c| c.not_before.as_str()), Holder::Server)
    } else if own.is_some_and(|c| c.expired) {
        expired(own.map(|c| c.not_after.as_str()), Holder::Server)
    } else if first_out_of_date(sent_chain).is_some() {
        // This server's own certificate is current: the chain it sent
        // says which one is not (GnuTLS says bad_certificate for it).
        out_of_date(Some(sent_chain), true, Holder::Server)
    } else if a.description == alert::CERTIFICATE_EXPIRED {
        current_here(sent_chain) // the client's clock, or a root only it holds
    } else if own.is_some_and(|c| c.self_signed) || (last == 0 && self_issued(Some(sent_chain), 0))
    {
        self_signed(Holder::Server)
    } else if host_mismatch && a.description != alert::UNKNOWN_CA {
        // unknown_ca names an issuer the client could not trust, whatever
        // the name; a refused name gets another alert.
        wrong_host(
            Some(sent_chain),
            sni,
            "Serve a certificate whose subjectAltName includes the name the client asks for \
             (select it by SNI), or have clients use a name the certificate covers.",
        )
        .with_some("local certificate names", own.map(|c| c.names.join(", ")))
    } else if let Some(d) =
        own.and_then(|c| cert_policy::own_refused(c, Holder::Server, a.description))
    {
        d.with_some("local certificate", own.map(describe))
    } else if a.description == alert::UNKNOWN_CA {
        // The client could not find an issuer: which one the chain says.
        if leaf_alone(sent_chain) && !self_issued(Some(sent_chain), 0) {
            missing_intermediate(Some(sent_chain), Holder::Server)
        } else {
            untrusted_root(Some(sent_chain), Holder::Server)
        }
    } else {
        rejected_unsaid(a, sent_chain, sni.is_none())
    };
    Some(
        d.with("alert received", alert_text(a))
            .with_chain(Some(sent_chain))
            .with_some("ClientHello.sni", sni)
            .with_some(
                "local certificate validity",
                own.map(|c| format!("{} to {}", c.not_before, c.not_after)),
            ),
    )
}

/// A client that rejected this server's chain with an alert that names
/// no reason (GnuTLS answers every verify failure with bad_certificate):
/// the chain suggests where to look, but the client's log alone says.
fn rejected_unsaid(a: &crate::event::Alert, chain: &Certificate, no_sni: bool) -> Diagnosis {
    let last = chain.subjects.len().saturating_sub(1);
    let hint = if leaf_alone(chain) && !self_issued(Some(chain), 0) {
        let issuer = short_name_or(chain.issuers.first(), "an intermediate CA");
        let sent = leaf_sent_as(chain, &issuer);
        format!(
            "; this server sent {sent}: if that is an intermediate, the client cannot build the \
             chain without it, and if it is a root, the client may not trust it"
        )
    } else if self_issued(Some(chain), last) {
        let root = short_name_or(chain.subjects.get(last), "its root");
        format!("; the chain ends at {root}, which the client may not trust")
    } else if no_sni && leaf_alt_names(chain, "IP:").is_empty() {
        // Clients send no SNI when they connect by address, which they
        // then check against the certificate's IP subjectAltNames.
        let dns = leaf_alt_names(chain, "DNS:");
        let names = if dns.is_empty() {
            "no subjectAltName".to_owned()
        } else {
            dns.join(", ")
        };
        format!(
            "; the client sent no server name (SNI): if it connected by IP address and checks \
             it, this certificate names no IP address to match ({names})"
        )
    } else {
        String::new()
    };
    Diagnosis::new(
        Cause::ServerCertInvalid,
        Fault::Unknown,
        format!(
            "the client rejected this server's certificate ({}) without saying why{hint}",
            alert_name(a)
        ),
        format!(
            "Read the client's own log for its verify error (an untrusted root, a missing \
             intermediate, a host name the certificate does not cover, {}a name constraint or \
             a policy), then fix the certificate, the client's trust store or its clock.",
            // OpenSSL's alert for a certificate not valid yet.
            clock_behind(chain).map_or(String::new(), |c| format!("{c}, "))
        ),
    )
}

/// What a client's policy weighs in this end's certificate.
fn describe(c: &LocalCertificate) -> String {
    let usage = |u: &Option<Vec<String>>| u.as_ref().map_or("any".to_owned(), |u| u.join(", "));
    format!(
        "{}-bit {} key ({} bits of security), signed with {}, key usage: {}, extended key usage: {}",
        c.key_bits,
        c.key_type,
        c.security_bits,
        c.signature_algorithm,
        usage(&c.key_usage),
        usage(&c.extended_key_usage)
    )
}

fn wrong_host(chain: Option<&Certificate>, asked: Option<&str>, fix: &str) -> Diagnosis {
    let for_whom = chain.map_or_else(
        || "does not cover the name".to_owned(),
        |c| covered_names(c, asked),
    );
    // An address as the certificate's are written (OpenSSL spells a
    // checked IPv6 address in full).
    let asked = asked.map_or("another name".to_owned(), |a| {
        a.parse::<IpAddr>()
            .map_or(a.to_owned(), |ip| ip.to_string())
    });
    Diagnosis::new(
        Cause::ServerCertWrongHost,
        Fault::Server,
        format!("the server's certificate {for_whom}; the client asked for {asked}"),
        fix,
    )
}

/// What the leaf of `chain` is for, as OpenSSL checks `asked` against it
/// (RFC 6125): an address against its IP subjectAltNames, a host name
/// against its DNS ones, or its CN where it has none.
/// The names of the other kind follow, as the ones a client could use
/// instead.
fn covered_names(chain: &Certificate, asked: Option<&str>) -> String {
    let ip = asked.is_some_and(|a| a.parse::<IpAddr>().is_ok());
    let (kind, other_kind) = if ip { ("IP:", "DNS:") } else { ("DNS:", "IP:") };
    let names = leaf_alt_names(chain, kind);
    let others = leaf_alt_names(chain, other_kind);
    let also = match (others.len(), ip) {
        (0, _) => String::new(),
        (1, true) => format!("; also the name {}", others[0]),
        (_, true) => format!("; also the names {}", others.join(", ")),
        (1, false) => format!("; also the address {}", others[0]),
        (_, false) => format!("; also the addresses {}", others.join(", ")),
    };
    let cn = (!chain.leaf_common_names.is_empty()).then(|| chain.leaf_common_names.join(", "));
    match (names.is_empty(), ip, cn) {
        (false, _, _) => format!("is for {} (subjectAltName{also})", names.join(", ")),
        (true, true, _) if others.is_empty() => "names no IP address".to_owned(),
        (true, true, _) => format!("names no IP address (it is for {})", others.join(", ")),
        (true, false, Some(cn)) => {
            format!("is for {cn} (its CN: it has no DNS subjectAltName{also})")
        }
        (true, false, None) if others.is_empty() => "does not cover the name".to_owned(),
        (true, false, None) => format!("names no host name (it is for {})", others.join(", ")),
    }
}

/// The `holder`'s leaf is its own issuer.
pub(super) fn self_signed(holder: Holder) -> Diagnosis {
    let (who, verifier) = (holder.name(), holder.verifier());
    holder.diagnosis(
        Cause::ServerCertSelfSigned,
        format!(
            "the {who}'s certificate is self-signed: no CA the {verifier} trusts vouches for it"
        ),
        format!(
            "Give the {who} a certificate issued by a CA the {verifier} trusts, or add this \
             certificate to the {verifier}'s trust store."
        ),
    )
}

/// A verify error about the chain the `holder` sent: its leaf is
/// self-signed, it lacks the intermediate its leaf names, or it leads to
/// no root the verifier trusts.
pub(super) fn chain_error(
    code: i32,
    chain: Option<&Certificate>,
    holder: Holder,
) -> Option<Diagnosis> {
    let alone = chain.is_some_and(leaf_alone);
    Some(match code {
        DEPTH_ZERO_SELF_SIGNED_CERT => self_signed(holder),
        SELF_SIGNED_CERT_IN_CHAIN => untrusted_root(chain, holder),
        UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | UNABLE_TO_GET_ISSUER_CERT
        | UNABLE_TO_VERIFY_LEAF_SIGNATURE
            if alone && !self_issued(chain, 0) =>
        {
            missing_intermediate(chain, holder)
        }
        UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | UNABLE_TO_GET_ISSUER_CERT
        | UNABLE_TO_VERIFY_LEAF_SIGNATURE => untrusted_root(chain, holder),
        _ => return None,
    })
}

/// Either end may lack the root, so neither is named at fault.
pub(super) fn untrusted_root(chain: Option<&Certificate>, holder: Holder) -> Diagnosis {
    let root = short_name_or(chain.and_then(top_issuer), "a CA");
    let (who, verifier) = (holder.name(), holder.verifier());
    let cause = match holder {
        Holder::Server => Cause::ServerCertUntrustedRoot,
        Holder::Client => Cause::ClientCertRejected,
    };
    // "Ends at" only when the root itself was sent: a chain sent without
    // its root names it only as the last certificate's issuer.
    let sent_root = chain.and_then(top).is_some_and(|i| self_issued(chain, i));
    let ends = if sent_root { "ends at" } else { "leads to" };
    let store = holder.verifier_store();
    Diagnosis::new(
        cause,
        Fault::Unknown,
        format!("the {who}'s chain {ends} {root}, which the {verifier} does not trust"),
        format!(
            "Add that root CA to the {verifier}'s {store}, or give the {who} a certificate from \
             a CA the {verifier} trusts."
        ),
    )
}

/// The verify error is the same whether the leaf's issuer is an
/// intermediate the holder left out or a root the verifier lacks (a
/// private CA issuing leaves directly): neither end can tell which, so the
/// summary and the fix name both, and neither end is named at fault. The
/// first is by far the commoner, and names the cause.
pub(super) fn missing_intermediate(chain: Option<&Certificate>, holder: Holder) -> Diagnosis {
    let issuer = short_name_or(chain.and_then(|c| c.issuers.first()), "an intermediate CA");
    let (who, verifier) = (holder.name(), holder.verifier());
    let store = holder.verifier_store();
    let how = match holder {
        Holder::Server => "e.g. SSL_CTX_use_certificate_chain_file",
        Holder::Client => "e.g. SSL_CTX_use_certificate_chain_file, or s_client -cert_chain",
    };
    let cause = match holder {
        Holder::Server => Cause::ServerCertMissingIntermediate,
        Holder::Client => Cause::ClientCertRejected,
    };
    let sent = chain.map_or_else(
        || format!("only its leaf certificate, issued by {issuer}"),
        |c| leaf_sent_as(c, &issuer),
    );
    Diagnosis::new(
        cause,
        Fault::Unknown,
        format!(
            "the {who} sent {sent}, which the {verifier} could not find: most often an \
             intermediate the {who} left out, else a root the {verifier} does not trust"
        ),
        format!(
            "Configure the {who} to send the full chain (leaf then intermediates, {how}); if \
             {issuer} is itself a root CA, add it to the {verifier}'s {store} instead."
        ),
    )
}

/// What a holder whose leaf leads nowhere sent, for "the server sent …":
/// its leaf alone, or its leaf with certificates that did not issue it (a
/// wrong intermediate, or the root without the intermediate between), so
/// that the summary never says "only its leaf" above a longer chain. The
/// leaf sent again (s_client's -cert with a -cert_chain that holds it)
/// adds nothing.
fn leaf_sent_as(chain: &Certificate, issuer: &str) -> String {
    let leaf = chain.subjects.first();
    let others: Vec<&String> = chain
        .subjects
        .iter()
        .skip(1)
        .filter(|s| Some(*s) != leaf)
        .collect();
    // Common names alone may not tell the issuer from a certificate sent
    // in its stead (the same CN under another O): then whole names.
    let short = |n: &String| short_name_or(Some(n), "a certificate without a subject");
    let alike = others.iter().any(|o| short(o) == issuer);
    let (issuer, others): (String, Vec<String>) = match chain.issuers.first() {
        Some(full) if alike => (
            format!("[{full}]"),
            others.into_iter().map(|o| format!("[{o}]")).collect(),
        ),
        _ => (issuer.to_owned(), others.into_iter().map(short).collect()),
    };
    if others.is_empty() {
        format!("only its leaf certificate, issued by {issuer}")
    } else {
        format!(
            "its leaf certificate, issued by {issuer}, with {}, but not {issuer}",
            others.join(" and ")
        )
    }
}

/// The issuer the chain ends at: followed from the leaf through the
/// certificates sent, which may hold others that are no part of it.
pub(super) fn top_issuer(chain: &Certificate) -> Option<&String> {
    chain.issuers.get(top(chain)?)
}

/// Whether no certificate sent leads on from the leaf: it came alone, or
/// with others (even itself again) that are not its issuer's.
pub(super) fn leaf_alone(chain: &Certificate) -> bool {
    top(chain) == Some(0)
}

/// The certificate the chain ends at, followed from the leaf: the first
/// whose issuer was not sent (or is itself).
fn top(chain: &Certificate) -> Option<usize> {
    let mut at = 0;
    for _ in 0..chain.subjects.len() {
        let issuer = chain.issuers.get(at)?;
        match (0..chain.subjects.len()).find(|&j| j != at && &chain.subjects[j] == issuer) {
            Some(next) => at = next,
            None => break,
        }
    }
    Some(at)
}

/// Whether certificate `i` of a chain names itself as its issuer.
pub(super) fn self_issued(chain: Option<&Certificate>, i: usize) -> bool {
    chain.is_some_and(
        |c| matches!((c.subjects.get(i), c.issuers.get(i)), (Some(s), Some(is)) if s == is),
    )
}

/// "localhost" out of "C = US, O = Example, CN = localhost".
/// The common name of `name` (all of it when it has none), or `otherwise`
/// when there is no name.
pub(super) fn short_name_or(name: Option<&String>, otherwise: &str) -> String {
    name.map_or_else(
        || otherwise.to_owned(),
        |n| common_name(n).unwrap_or(n).to_owned(),
    )
}

/// The first CN of a name printed as `XN_FLAG_ONELINE` prints it, for
/// showing: RDNs are split at `, ` and ` + ` outside the quotes OpenSSL
/// puts around a value holding either (a value may hold ", CN = ").
fn common_name(name: &str) -> Option<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in name.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            _ if !quoted && (name[i..].starts_with(", ") || name[i..].starts_with(" + ")) => {
                parts.push(&name[start..i]);
                start = i + 2;
            }
            _ => {}
        }
    }
    parts.push(&name[start..]);
    parts
        .into_iter()
        .find_map(|part| part.trim_start_matches(['+', ' ']).strip_prefix("CN = "))
        .map(|cn| cn.trim().trim_matches('"'))
}

impl Diagnosis {
    /// Adds the chain's subjects and issuers, leaf first.
    pub(super) fn with_chain(self, chain: Option<&Certificate>) -> Diagnosis {
        self.with_chain_named("Certificate chain", chain)
    }

    /// [`Diagnosis::with_chain`] as evidence from `source`.
    pub(super) fn with_chain_named(self, source: &str, chain: Option<&Certificate>) -> Diagnosis {
        let Some(c) = chain else {
            return self;
        };
        let lines: Vec<String> = c
            .subjects
            .iter()
            .zip(&c.issuers)
            .map(|(s, i)| match s.starts_with(UNPARSEABLE) {
                // Nothing unreadable names its issuer.
                true => format!("[{s}]"),
                false => format!("[{s}] issued by [{i}]"),
            })
            .collect();
        self.with(source, lines.join("; "))
    }
}

mod host;

pub(super) use host::leaf_covers;
#[cfg(test)]
use host::names_cover;
use host::{covers, leaf_alt_names};

#[cfg(test)]
mod tests;
