//! Causes about the protocol version: no version in common, and a
//! downgraded retry refused as an inappropriate fallback.

use crate::decode::{ClientHello, HandshakeType};
use crate::event::{Direction, Side};

use super::facts::{alert, alert_text, is_grease, is_tls13_draft, version_name, Facts};
use super::{Cause, Diagnosis, Fault, LocalConfig};
use range::{client_versions, cut, describe_local, effective_range, option_name, options_in};

/// The highest version RFC 7568 prohibits.
const SSL3: u16 = 0x0300;
const TLS1_0: u16 = 0x0301;
pub(super) const TLS1_2: u16 = 0x0303;
pub(super) const TLS1_3: u16 = 0x0304;
/// The TLS_FALLBACK_SCSV signalling suite (RFC 7507).
const FALLBACK_SCSV: u16 = 0x5600;

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    fallback(f)
        .or_else(|| no_shared_version(f))
        .or_else(|| super::legacy_signatures::diagnose(f))
}

/// The last 8 bytes of a ServerHello random that chose TLS 1.2 (`01`) or
/// an older version (`00`) for a client offering more: "DOWNGRD" then the
/// byte (RFC 8446 section 4.1.3), in the decoder's hex.
const DOWNGRADE_SENTINELS: [(&str, u16); 2] =
    [("444f574e47524401", TLS1_3), ("444f574e47524400", TLS1_2)];

fn fallback(f: &Facts<'_>) -> Option<Diagnosis> {
    if !f.alert(alert::INAPPROPRIATE_FALLBACK) && !f.reason_has(&["inappropriate fallback"]) {
        return None;
    }
    // OpenSSL gives one reason for both: the server's refusal of a
    // fallback retry, and this client's abort on a downgrade sentinel.
    if let Some(d) = downgrade(f) {
        return Some(d);
    }
    let hello = f.client_hello;
    let client_max = hello.map(highest);
    let server_max = match f.side {
        Side::Server => f.local.map(|l| l.max_version.unwrap_or(TLS1_3)),
        Side::Client => None,
    };
    let at = client_max.map_or("a lower version".to_owned(), version_name);
    let above = server_max.map_or("a higher version".to_owned(), version_name);
    Some(
        Diagnosis::new(
            Cause::InappropriateFallback,
            Fault::Client,
            format!(
                "the client retried at {at} with TLS_FALLBACK_SCSV, saying an attempt at a higher \
                 version failed; the server supports {above}, so it refuses the retry as a \
                 possible downgrade"
            ),
            "Find out why the client's first attempt at the higher version failed (often a \
             middlebox or a flaky network) instead of retrying at a lower version.",
        )
        .with_some(
            "ClientHello.cipher_suites has TLS_FALLBACK_SCSV",
            hello.map(|h| h.cipher_suites.iter().any(|c| c.id == FALLBACK_SCSV)),
        )
        .with_some("ClientHello highest version", client_max.map(version_name))
        .with_some(
            "highest version this server accepts",
            server_max.map(version_name),
        )
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

/// The client aborted (illegal_parameter) on a ServerHello below a
/// version it offered whose random carries the downgrade sentinel: the
/// server says it supports the higher version, so the choice was not its
/// own free one (RFC 8446 section 4.1.3).
fn downgrade(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client || !f.sent_alert(alert::ILLEGAL_PARAMETER) {
        return None;
    }
    let hello = f.server_hello?;
    let (_, supported) = DOWNGRADE_SENTINELS
        .iter()
        .find(|(tail, _)| hello.random.ends_with(tail))?;
    let chosen = hello.selected_version.unwrap_or(hello.legacy_version);
    let offered = f.client_hello.map(highest);
    let marker = &hello.random[hello.random.len().saturating_sub(16)..];
    Some(
        Diagnosis::new(
            Cause::DowngradeDetected,
            Fault::Unknown,
            format!(
                "the server chose {} for a ClientHello offering {}, but its random ends with the \
                 downgrade sentinel {marker} (\"DOWNGRD\"), saying it supports {}; this client \
                 aborted, as RFC 8446 section 4.1.3 requires, since the lower version was not \
                 the server's free choice",
                version_name(chosen),
                offered.map_or("a higher version".to_owned(), version_name),
                version_name(*supported)
            ),
            "Look for what sits between the ends and rewrites the ClientHello (a TLS-inspecting \
             proxy or firewall that strips the higher version, or an active attack); if nothing \
             does, the server's TLS stack sets the sentinel wrongly.",
        )
        .with("ServerHello.random", &hello.random)
        .with("ServerHello version", version_name(chosen))
        .with_some("ClientHello highest version", offered.map(version_name))
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

fn no_shared_version(f: &Facts<'_>) -> Option<Diagnosis> {
    let local_none = f.reason_has(&["no protocols available"]);
    if !f.alert(alert::PROTOCOL_VERSION)
        && !local_none
        && !f.reason_has(&[
            "unsupported protocol",
            "version too low",
            "wrong ssl version",
        ])
    {
        return None;
    }
    if local_none && !f.saw(Direction::Write, HandshakeType::CLIENT_HELLO) {
        return Some(nothing_enabled(f));
    }
    match f.side {
        Side::Server => Some(no_tls13_signer(f).unwrap_or_else(|| server_view(f))),
        Side::Client => Some(client_view(f)),
    }
}

/// A server whose range leaves TLS 1.3 alone, and a client that offered
/// it: OpenSSL does not offer TLS 1.3 from a server whose certificate
/// cannot sign there (a DSA key, or no TLS 1.3 scheme for its key in the
/// server's signature-algorithm list), and says "unsupported protocol".
fn no_tls13_signer(f: &Facts<'_>) -> Option<Diagnosis> {
    let hello = f.client_hello?;
    let local = f.local?;
    let cert = local.certificate.as_ref()?;
    if effective_range(local) != (Some(TLS1_3), Some(TLS1_3)) || !offered(hello).contains(&TLS1_3) {
        return None;
    }
    let why = if cert.key_type == "DSA" {
        "has a DSA key, which TLS 1.3 has no signature scheme for".to_owned()
    } else {
        format!(
            "has a key ({}) for which this server's signature-algorithm list \
             (SSL_CTX_set1_sigalgs) allows no TLS 1.3 scheme (an EC key needs its own curve's \
             ecdsa scheme)",
            cert.key_type
        )
    };
    Some(
        Diagnosis::new(
            Cause::NoSharedSignatureScheme,
            Fault::Server,
            format!(
                "the client offered TLS 1.3, the one version this server allows, but this \
                 server's certificate {why}: OpenSSL does not offer TLS 1.3 with a \
                 certificate that cannot sign there, so it found no version to speak"
            ),
            "Give this server a certificate that can sign at TLS 1.3 (RSA, ECDSA or Ed25519) \
             with its scheme in the server's signature-algorithm list.",
        )
        .with("ClientHello.supported_versions", supported_list(hello))
        .with_configured_range(Some(local))
        .with("local.certificate key", cert.key_type.clone())
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text()),
    )
}

/// The server: the client's offer against its own range.
fn server_view(f: &Facts<'_>) -> Diagnosis {
    let hello = f.client_hello;
    let offer = hello.map_or("versions this trace did not record".to_owned(), |h| {
        describe_offer(h, None)
    });
    let (min, max) = f.local.map_or((None, None), effective_range);
    let client_max = hello.map(highest);
    let fault = match (client_max, min, max) {
        _ if hello.is_some_and(only_drafts) => Fault::Client,
        (Some(c), _, _) if c <= SSL3 => Fault::Client,
        (Some(c), Some(lo), _) if c < lo => {
            if c < TLS1_2 {
                Fault::Client
            } else {
                Fault::Server
            }
        }
        (_, _, Some(hi)) if hi < TLS1_2 => Fault::Server,
        _ => Fault::Unknown,
    };
    // A version the client offered that this server's options switch off.
    let switched_off: Vec<String> = match (hello, f.local) {
        (Some(h), Some(l)) => offered_or_legacy(h)
            .into_iter()
            .filter(|v| l.disabled_versions.contains(v))
            .map(option_name)
            .collect(),
        _ => Vec::new(),
    };
    let fix = match (fault, switched_off.is_empty()) {
        (Fault::Server | Fault::Unknown, false) => format!(
            "Clear {} on the server (SSL_CTX_clear_options), which switches off a version \
             the client offers, or give both ends an overlapping range, ideally TLS 1.2 and 1.3.",
            switched_off.join(", ")
        ),
        _ => fix(fault).to_owned(),
    };
    Diagnosis::new(
        Cause::NoSharedVersion,
        fault,
        format!(
            "the client offered {offer}; this server accepts {}",
            f.local
                .map_or("other versions".to_owned(), |l| describe_local(
                    l,
                    Side::Server
                ))
        ),
        fix,
    )
    .with_some(
        "ClientHello.legacy_version",
        hello.map(|h| version_name(h.legacy_version)),
    )
    .with_some("ClientHello.supported_versions", hello.map(supported_list))
    // What was set, apart from what the security level leaves of it.
    .with_configured_range(f.local)
    .with_some(
        "versions this server accepts",
        min.zip(max)
            .map(|(lo, hi)| format!("{} to {}", version_name(lo), version_name(hi))),
    )
    .with_some("local.security_level", f.local.map(|l| l.security_level))
    .with_some("alert", f.any_alert().map(alert_text))
    .with_some("OpenSSL reason", f.reason_text())
}

/// The client: its own offer, and the server's refusal or choice.
fn client_view(f: &Facts<'_>) -> Diagnosis {
    let hello = f.client_hello;
    let min = f.local.and_then(|l| l.min_version);
    let offer = hello.map_or("its versions".to_owned(), |h| describe_offer(h, min));
    let chosen = f
        .server_hello
        .map(|s| s.selected_version.unwrap_or(s.legacy_version));
    let client_max = hello.map(highest);
    let ours = f.local.map(|l| (l, client_versions(l)));
    // A maximum below TLS 1.3 is this client's own choice (set, or left by
    // an option that switches TLS 1.3 off): a server that requires more
    // may be right, so either end could move.
    let capped = ours
        .as_ref()
        .and_then(|(l, v)| Some((*l, *v.last()?)))
        .filter(|&(_, m)| {
            m < TLS1_3 && chosen.is_none() && client_max.is_some_and(|c| c >= TLS1_2)
        });
    // Likewise a minimum this client raised above TLS 1.2 (by setting it,
    // or by switching TLS 1.2 off), against a server that refused.
    let raised = ours
        .as_ref()
        .and_then(|(l, v)| Some((*l, *v.first()?)))
        .filter(|&(_, m)| m > TLS1_2 && chosen.is_none());
    // A switched-off version below an enabled one: OpenSSL's client then
    // offers only the versions below it, which is this client's to mend.
    let cut = f.local.and_then(cut);
    let (summary, fault) = match chosen {
        Some(v) => (
            format!(
                "the server chose {}; this client offered {offer}",
                version_name(v)
            ),
            if v < TLS1_2 {
                Fault::Server
            } else {
                Fault::Client
            },
        ),
        None => (
            format!(
                "this client offered {offer}; the server accepts none of them (protocol_version \
                 alert)"
            ),
            if client_max.is_some_and(|m| m < TLS1_2) || cut.is_some() {
                Fault::Client
            } else if capped.is_some() || raised.is_some() {
                Fault::Unknown
            } else {
                Fault::Server
            },
        ),
    };
    let fix = match (cut, capped, raised) {
        (Some((top, off)), ..) => format!(
            "Clear {} on this client (SSL_CTX_clear_options): OpenSSL's client offers no version \
             above one switched off, so it offers {} at most though it enables newer ones.",
            option_name(off),
            version_name(top)
        ),
        (None, _, Some((l, min))) => format!(
            "Lower this client's minimum version ({} {}), or enable {} on the server.",
            version_name(min),
            match l.min_version {
                Some(m) if m == min => "set by SSL_CTX_set_min_proto_version or MinProtocol in \
                                        openssl.cnf"
                    .to_owned(),
                _ => format!(
                    "left by its options {}",
                    options_in(l, SSL3, min - 1).join(", ")
                ),
            },
            version_name(min)
        ),
        (None, Some((l, max)), None) => match l.max_version {
            Some(m) if m == max => format!(
                "Raise this client's maximum version (set to {} by SSL_CTX_set_max_proto_version \
                 or MaxProtocol in openssl.cnf; OpenSSL here speaks TLS 1.3), or enable a version \
                 it offers on the server.",
                version_name(max)
            ),
            _ => format!(
                "Clear {} on this client (SSL_CTX_clear_options), which leaves it {} at most, or \
                 enable a version it offers on the server.",
                option_name(max + 1),
                version_name(max)
            ),
        },
        (None, None, None) => fix(fault).to_owned(),
    };
    Diagnosis::new(Cause::NoSharedVersion, fault, summary, fix)
        .with_some(
            "ClientHello.legacy_version",
            hello.map(|h| version_name(h.legacy_version)),
        )
        .with_some("ClientHello.supported_versions", hello.map(supported_list))
        .with_some("ServerHello version", chosen.map(version_name))
        .with_configured_range(f.local)
        .with_some("alert", f.any_alert().map(alert_text))
        .with_some("OpenSSL reason", f.reason_text())
}

/// A client whose own configuration allows no version: no hello was sent.
fn nothing_enabled(f: &Facts<'_>) -> Diagnosis {
    Diagnosis::new(
        Cause::NoSharedVersion,
        Fault::of(f.side),
        format!(
            "{} enables no protocol version it may use ({}), so it sent no hello",
            f.me(),
            f.local
                .map_or("its range is unknown".to_owned(), |l| describe_local(
                    l, f.side
                ))
        ),
        "Widen this end's version range, or lower its security level if it must speak TLS 1.1 \
         or older (OpenSSL 3 allows those only at security level 0).",
    )
    .with_configured_range(f.local)
    .with_some("local.security_level", f.local.map(|l| l.security_level))
    .with_some("OpenSSL reason", f.reason_text())
}

impl Diagnosis {
    /// Adds the version range this end was configured with, as set.
    pub(super) fn with_configured_range(self, local: Option<&LocalConfig>) -> Diagnosis {
        self.with_some(
            "local.min_version",
            local.and_then(|l| l.min_version).map(version_name),
        )
        .with_some(
            "local.max_version",
            local.and_then(|l| l.max_version).map(version_name),
        )
        .with_some(
            "local options",
            local
                .map(|l| options_in(l, SSL3, TLS1_3).join(", "))
                .filter(|names| !names.is_empty()),
        )
    }
}

pub(super) fn fix(fault: Fault) -> &'static str {
    match fault {
        Fault::Client => {
            "Upgrade the client or enable TLS 1.2 or 1.3 in it (e.g. SSL_CTX_set_max_proto_version)."
        }
        Fault::Server => {
            "Enable a version the client offers on the server (SSL_CTX_set_min/max_proto_version), \
             ideally TLS 1.2 and 1.3."
        }
        _ => "Give both ends an overlapping version range, ideally TLS 1.2 and 1.3.",
    }
}

/// The versions a ClientHello offers, ascending: supported_versions when
/// present, else nothing (only the legacy maximum is known).
/// Whether a ClientHello offers TLS 1.3 drafts and nothing else, which no
/// server speaks since RFC 8446.
fn only_drafts(h: &ClientHello) -> bool {
    let v = offered(h);
    !v.is_empty() && v.iter().all(|v| is_tls13_draft(*v))
}

/// The highest version a ClientHello offers: the top of
/// supported_versions, else its legacy_version, but at most TLS 1.2: a
/// server negotiates TLS 1.2 or older with a hello lacking the extension
/// even if its legacy_version says TLS 1.3 (RFC 8446 section 4.2.1).
pub(super) fn highest(h: &ClientHello) -> u16 {
    offered(h)
        .last()
        .copied()
        .unwrap_or(h.legacy_version.min(TLS1_2))
}

/// [`offered`], or without supported_versions the legacy version alone.
fn offered_or_legacy(h: &ClientHello) -> Vec<u16> {
    let v = offered(h);
    if v.is_empty() {
        vec![h.legacy_version]
    } else {
        v
    }
}

fn offered(h: &ClientHello) -> Vec<u16> {
    let mut v: Vec<u16> = h
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

pub(super) fn supported_list(h: &ClientHello) -> String {
    let v = offered(h);
    if v.is_empty() {
        "absent".to_owned()
    } else {
        v.into_iter()
            .map(version_name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The one version a ClientHello offers, if it offers exactly one: from
/// its supported_versions, or without them its legacy version when this
/// end's own minimum (`local`, the client's) is that version too.
pub(super) fn only_version(h: &ClientHello, local: Option<&LocalConfig>) -> Option<u16> {
    match offered(h)[..] {
        [one] => Some(one),
        [] => {
            let min = local.and_then(|l| client_versions(l).first().copied())?;
            (min == h.legacy_version).then_some(min)
        }
        _ => None,
    }
}

/// "only TLS 1.0 and 1.1", "only TLS 1.3", "at most TLS 1.1". Without
/// supported_versions a ClientHello names only its highest version; a
/// client's own minimum (`min`) fills in the rest.
pub(super) fn describe_offer(h: &ClientHello, min: Option<u16>) -> String {
    let mut v = offered(h);
    if v.is_empty() {
        match min.filter(|m| *m <= h.legacy_version && h.legacy_version <= TLS1_3) {
            Some(m) => v = (m..=h.legacy_version).collect(),
            None => return format!("at most {}", version_name(h.legacy_version)),
        }
    }
    let names: Vec<String> = v.iter().map(|v| version_name(*v)).collect();
    match names.split_last() {
        None => "no version".to_owned(),
        Some((one, [])) => format!("only {one}"),
        Some((last, rest)) => format!(
            "only {} and {}",
            rest.join(", "),
            last.trim_start_matches("TLS ")
        ),
    }
}

mod range;
#[cfg(test)]
mod tests;
