//! Causes about what the ClientHello offered: no suite, group or
//! signature scheme in common, and a ClientHello refused without saying
//! which part (all the client can tell).

use crate::decode::{ClientHello, HandshakeType};
use crate::event::{Direction, Side};

use super::facts::{alert, alert_name, alert_text, is_grease, list, named, version_name, Facts};
use super::retired::{all_retired, deprecated_group};
use super::suite_version::{
    serves, settled_version, suites_need_newer_version, suites_of_another_version,
};
use super::version::{self, TLS1_2, TLS1_3};
use super::{names, Cause, Diagnosis, Fault, LocalConfig};

mod signatures;

use signatures::{no_sigalg, sigalg_names, sigalgs_fit};

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV and TLS_FALLBACK_SCSV: signals, not
/// suites.
const SIGNALLING: [u16; 2] = [0x00ff, 0x5600];
pub(super) const SHOWN: usize = 6;

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    names::diagnose(f).or_else(|| match f.side {
        Side::Server => server_view(f),
        Side::Client => client_view(f),
    })
}

fn server_view(f: &Facts<'_>) -> Option<Diagnosis> {
    let hello = f.client_hello?;
    if f.reason_has(&[
        "no suitable key share",
        "no shared groups",
        "no suitable groups",
    ]) {
        return Some(no_group(f, hello));
    }
    if f.reason_has(&[
        "no suitable signature algorithm",
        "no shared signature algorithms",
        "no suitable digest",
    ]) {
        return Some(no_sigalg(f, hello));
    }
    if !f.reason_has(&["no shared cipher"]) {
        return None;
    }
    let local = f.local?;
    let all_offered = suites(hello);
    let key = local.certificate.as_ref().map(|c| c.key_type.as_str());
    // OpenSSL's server leaves TLS 1.3 out without a certificate that can
    // sign in it, and TLS 1.3 has no DSA scheme (RFC 8446 section 4.2.3).
    let settled = match settled_version(hello, Some(local)) {
        v if v >= TLS1_3 && key == Some("DSA") => TLS1_2,
        v => v,
    };
    // Named before the suite lists, whose texts assume a version both
    // ends allow rules TLS 1.3 out.
    if key == Some("DSA") {
        let usable: Vec<u16> = all_offered
            .iter()
            .copied()
            .filter(|id| serves(*id, settled) && local.usable_ciphers.contains(id))
            .collect();
        if !usable.iter().any(|id| fits(local, "DSA", *id)) {
            return Some(suite_evidence(dsa_server(local, &usable), hello, local));
        }
    }
    if let Some(d) = suites_of_another_version(hello, &all_offered, settled) {
        return Some(suite_evidence(d, hello, local));
    }
    // Only the settled version's suites can be picked: a TLS 1.2 suite
    // both sides list does not help a TLS 1.3 handshake, nor the converse.
    let offered: Vec<u16> = all_offered
        .iter()
        .copied()
        .filter(|id| serves(*id, settled))
        .collect();
    let set_aside = all_offered.len() - offered.len();
    let configured: Vec<u16> = local.ciphers.iter().map(|c| c.id).collect();
    let common: Vec<u16> = offered
        .iter()
        .copied()
        .filter(|id| configured.contains(id))
        .collect();
    let usable: Vec<u16> = common
        .iter()
        .copied()
        .filter(|id| local.usable_ciphers.contains(id))
        .collect();
    if common.is_empty() {
        // What the server could pick within its version range and security
        // level, rather than its whole list: a TLS 1.2-only server's list
        // still names the TLS 1.3 suites.
        let accepts = if local.usable_ciphers.is_empty() {
            &configured
        } else {
            &local.usable_ciphers
        };
        // A client offering nothing a current stack should enable is the
        // one to change, whatever the server could be talked into.
        let names = list(&names_of(hello, &offered), SHOWN);
        let (fault, offered_text, fix) = if let Some(why) = all_retired(&offered) {
            (
                Fault::Client,
                format!(
                    "obsolete suites ({names}: {}), which current servers do not enable",
                    why.join(", ")
                ),
                "Make the client offer current suites: ECDHE with AES-GCM or ChaCha20-Poly1305 \
                 for TLS 1.2, and TLS 1.3.",
            )
        } else {
            (
                Fault::Unknown,
                names,
                "Enable on one side a suite the other offers (SSL_CTX_set_cipher_list for TLS \
                 1.2, SSL_CTX_set_ciphersuites for TLS 1.3), preferring AES-GCM or ChaCha20 \
                 suites.",
            )
        };
        let accepts = list(&local_names(local, accepts), SHOWN);
        let summary = if set_aside == 0 {
            format!("the client offered only {offered_text}; this server accepts {accepts}")
        } else {
            let (these, those) = if settled >= TLS1_3 {
                ("TLS 1.3", "TLS 1.2 and older")
            } else {
                ("TLS 1.2 and older", "TLS 1.3")
            };
            format!(
                "the client's suites for {these} are only {offered_text}; this server accepts \
                 {accepts} ({} is the highest version both allow, and the client's {set_aside} \
                 suites for {those} cannot be used with it)",
                version_name(settled)
            )
        };
        let d = Diagnosis::new(Cause::NoSharedCipher, fault, summary, fix);
        return Some(suite_evidence(d, hello, local));
    }
    if usable.is_empty() {
        if let Some(d) = suites_need_newer_version(hello, local, &common, settled) {
            return Some(suite_evidence(d, hello, local));
        }
        let d = Diagnosis::new(
            Cause::NoSharedCipher,
            Fault::Server,
            format!(
                "the client and this server both list {}, but this server's security level {} \
                 (or its version range) rules them out",
                list(&local_names(local, &common), SHOWN),
                local.security_level
            ),
            "Offer stronger suites on the client, or lower the server's security level \
             (@SECLEVEL in the cipher string) only if those suites must stay.",
        );
        return Some(suite_evidence(d, hello, local));
    }
    // Suites in common survive the security level: what removed them is
    // the certificate, the signature schemes or the groups.
    let fits_key = |id: &u16| key.is_none_or(|k| fits(local, k, *id));
    if let Some(k) = key.filter(|_| !usable.iter().any(fits_key)) {
        return Some(suite_evidence(
            wrong_key_type(k, local, &usable),
            hello,
            local,
        ));
    }
    if let Some(k) = key.filter(|k| settled < TLS1_2 && signs_from_tls12_only(k)) {
        return Some(suite_evidence(
            key_needs_tls12(k, settled, local),
            hello,
            local,
        ));
    }
    if key.is_some_and(|k| !sigalgs_fit(hello, k, false)) {
        return Some(no_sigalg(f, hello));
    }
    if !hello.supported_groups.is_empty() {
        return Some(no_group(f, hello));
    }
    let fitting: Vec<u16> = usable.iter().copied().filter(fits_key).collect();
    let names = local_names(local, &fitting);
    if !names.is_empty() && names.iter().all(|n| n.contains("ECDHE")) {
        // OpenSSL's client and GnuTLS's both leave the extension out when
        // only finite-field groups are enabled, ECDHE suites or not.
        let d = Diagnosis::new(
            Cause::NoSharedGroup,
            Fault::Client,
            format!(
                "the only suites this server could pick for the client are ECDHE ({}), but \
                 the client sent no supported_groups extension, so it named no elliptic curve to \
                 use them with, and OpenSSL picks an ECDHE suite only with a curve both support \
                 (RFC 8422 section 4: such a client should send the extension)",
                list(&names, SHOWN)
            ),
            "Enable an elliptic curve on the client (x25519 or secp256r1, \
             SSL_CTX_set1_groups_list), or suites of another key exchange.",
        );
        return Some(suite_evidence(d, hello, local));
    }
    let d = Diagnosis::new(
        Cause::NoSharedCipher,
        Fault::Unknown,
        format!(
            "the client offered {} and this server found none it can use with its \
             certificate and groups",
            list(&offered_names(hello), SHOWN)
        ),
        "Compare the client's suites, groups and signature schemes with the server's.",
    );
    Some(suite_evidence(d, hello, local))
}

fn client_view(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.reason_has(&["no ciphers available"])
        && !f.saw(Direction::Write, HandshakeType::CLIENT_HELLO)
    {
        return Some(
            Diagnosis::new(
                Cause::NoSharedCipher,
                Fault::Client,
                "this client has no cipher suite it may use with its version range and security \
                 level, so it sent no hello",
                "Enable suites for the versions this client allows.",
            )
            .with_some("local.security_level", f.local.map(|l| l.security_level))
            .with_raw(f),
        );
    }
    let received = f.received?;
    let hello = f.client_hello?;
    let refused = received.description == alert::HANDSHAKE_FAILURE
        || received.description == alert::INSUFFICIENT_SECURITY;
    if !refused || f.server_hello.is_some() {
        return None;
    }
    // A server without the one version offered may still answer
    // handshake_failure rather than protocol_version (GnuTLS limited to
    // TLS 1.2 does so to a TLS 1.3-only client, and the other way round),
    // so a single version joins the suspects.
    let only = version::only_version(hello, f.local);
    let (version, versions) = match only {
        Some(_) => ("version, ", "versions, "),
        None => ("", ""),
    };
    Some(
        Diagnosis::new(
            Cause::HelloRefused,
            Fault::Unknown,
            format!(
                "the server refused this client's ClientHello ({}): it shares no {version}\
                 suite, group or signature scheme it accepts with what this client offered{}; \
                 the server's own log names which",
                alert_name(received),
                only.map_or(String::new(), |v| format!(" (only {})", version_name(v))),
            ),
            format!(
                "Compare this offer with the server's configuration (`tls-harness scan` lists \
                 what it accepts), then widen the client's {versions}suites, groups or \
                 signature schemes."
            ),
        )
        .with("alert received", alert_text(received))
        .with(
            "ClientHello.supported_versions",
            version::supported_list(hello),
        )
        .with("ClientHello.cipher_suites", list(&offered_names(hello), 12))
        .with("ClientHello.supported_groups", group_names(hello))
        .with("ClientHello.signature_algorithms", sigalg_names(hello)),
    )
}

fn no_group(f: &Facts<'_>, hello: &ClientHello) -> Diagnosis {
    let names = group_names(hello);
    let offered: Vec<u16> = hello
        .supported_groups
        .iter()
        .map(|g| g.id)
        .filter(|id| !is_grease(*id))
        .collect();
    // A client offering nothing a current stack should enable is the one
    // to change, as with obsolete suites.
    let d = if !offered.is_empty() && offered.iter().all(|id| deprecated_group(*id)) {
        Diagnosis::new(
            Cause::NoSharedGroup,
            Fault::Client,
            format!(
                "the client offered only groups RFC 8422 deprecates ({names}), which current \
                 servers do not enable; this server enables none of them"
            ),
            "Make the client offer current groups: x25519 and secp256r1 (and secp384r1).",
        )
    } else {
        Diagnosis::new(
            Cause::NoSharedGroup,
            Fault::Unknown,
            format!("the client offered only the groups {names}; this server enables none of them"),
            "Enable a common group on both ends (SSL_CTX_set1_groups_list), e.g. x25519 and \
             secp256r1.",
        )
    };
    d.with("ClientHello.supported_groups", group_names(hello))
        .with(
            "ClientHello.key_share",
            list(
                &named(hello.key_share_groups.iter().map(|g| (g.id, &g.name))),
                12,
            ),
        )
        .with_some("OpenSSL reason", f.reason_text())
}

/// Keys whose signatures TLS defines only through TLS 1.2's
/// signature_algorithms: EdDSA (RFC 8422 section 5.1.3) and RSA-PSS
/// with its own key type (RFC 8446 section 4.2.3). TLS 1.0 and 1.1 sign
/// with RSA PKCS#1 v1.5, DSA or ECDSA over fixed digests, so such a
/// certificate serves no suite there, though suites and groups match.
fn signs_from_tls12_only(key: &str) -> bool {
    matches!(key, "Ed25519" | "Ed448" | "RSA-PSS")
}

/// The server's certificate cannot sign at the version the two ends
/// settled on, which is below TLS 1.2.
fn key_needs_tls12(key: &str, settled: u16, local: &LocalConfig) -> Diagnosis {
    let version = version_name(settled);
    let summary = format!(
        "this server's certificate has an {key} key, which signs only from TLS 1.2 on \
         (TLS 1.0 and 1.1 have no signature_algorithms to name it), and {version} is the \
         highest version both ends allow"
    );
    if local.max_version.is_some_and(|m| m < TLS1_2) {
        return Diagnosis::new(
            Cause::NoSharedSignatureScheme,
            Fault::Server,
            summary,
            "Enable TLS 1.2 and 1.3 on the server (TLS 1.0 and 1.1 are deprecated, RFC 8996), \
             or give it an ECDSA or RSA certificate.",
        );
    }
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        Fault::Client,
        summary,
        format!(
            "Enable TLS 1.2 and 1.3 on the client ({version} is deprecated, RFC 8996); a server \
             that must still serve it needs an ECDSA or RSA certificate beside its {key} one."
        ),
    )
}

fn suite_evidence(d: Diagnosis, hello: &ClientHello, local: &LocalConfig) -> Diagnosis {
    let configured: Vec<u16> = local.ciphers.iter().map(|c| c.id).collect();
    d.with("ClientHello.cipher_suites", list(&offered_names(hello), 24))
        .with("local.ciphers", list(&local_names(local, &configured), 24))
        .with(
            "local.usable_ciphers",
            list(&local_names(local, &local.usable_ciphers), 24),
        )
        .with("local.security_level", local.security_level)
}

/// The real suites a ClientHello offers, without GREASE or signals.
fn suites(h: &ClientHello) -> Vec<u16> {
    h.cipher_suites
        .iter()
        .map(|c| c.id)
        .filter(|id| !is_grease(*id) && !SIGNALLING.contains(id))
        .collect()
}

pub(super) fn offered_names(h: &ClientHello) -> Vec<String> {
    names_of(h, &suites(h))
}

/// The names of the offered suites among `ids`, in the client's order.
fn names_of(h: &ClientHello, ids: &[u16]) -> Vec<String> {
    named(
        h.cipher_suites
            .iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| (c.id, &c.name)),
    )
}

pub(super) fn local_names(local: &LocalConfig, ids: &[u16]) -> Vec<String> {
    ids.iter()
        .map(|id| match local.ciphers.iter().find(|c| c.id == *id) {
            Some(c) => c.iana.clone().unwrap_or_else(|| c.name.clone()),
            None => format!("0x{id:04x}"),
        })
        .collect()
}

fn group_names(h: &ClientHello) -> String {
    list(
        &named(h.supported_groups.iter().map(|g| (g.id, &g.name))),
        12,
    )
}

/// Whether a TLS 1.2 suite (OpenSSL name) authenticates with `key`;
/// TLS 1.3 suites work with any key.
fn suite_fits_key(suite: &str, key: &str) -> bool {
    // TLS 1.3 suites name no key type, but there is no DSA scheme.
    if suite.starts_with("TLS_") {
        return key != "DSA";
    }
    let (ecdsa, dss) = (suite.contains("ECDSA"), suite.contains("DSS"));
    let psk_or_anon = suite.contains("PSK") || suite.contains("ADH") || suite.contains("AECDH");
    match key {
        "EC" | "Ed25519" | "Ed448" => ecdsa || psk_or_anon,
        "RSA" | "RSA-PSS" => !ecdsa && !dss,
        "DSA" => dss || psk_or_anon,
        _ => true,
    }
}

/// Whether the configured suite `id` can be used with a certificate key
/// of type `key` (a suite this end does not list is given the benefit).
fn fits(local: &LocalConfig, key: &str, id: u16) -> bool {
    local
        .ciphers
        .iter()
        .find(|c| c.id == id)
        .is_none_or(|c| suite_fits_key(&c.name, key))
}

/// A DSA server none of whose suites the client can take: TLS 1.3 has no
/// DSA scheme, and below it only DHE-DSS suites use the key, which
/// OpenSSL's DEFAULT list leaves out. `usable` are the suites both ends
/// allow at the version they settle on.
fn dsa_server(local: &LocalConfig, usable: &[u16]) -> Diagnosis {
    let dss: Vec<u16> = local
        .ciphers
        .iter()
        .filter(|c| c.name.contains("DSS"))
        .map(|c| c.id)
        .collect();
    let (fault, enabled) = if dss.is_empty() {
        (
            Fault::Server,
            "none of which this server enables (OpenSSL's DEFAULT list has none)".to_owned(),
        )
    } else {
        (
            Fault::Unknown,
            format!(
                "of which this server enables {}",
                list(&local_names(local, &dss), SHOWN)
            ),
        )
    };
    let ecdsa = usable.iter().filter(|id| !fits(local, "RSA", **id)).count();
    let needs = match (ecdsa, usable.len() - ecdsa) {
        (0, _) => "an RSA certificate",
        (_, 0) => "an ECDSA certificate",
        _ => "an RSA or ECDSA certificate",
    };
    let offer = if usable.is_empty() {
        "the client offers none of them".to_owned()
    } else {
        format!(
            "the suites both sides allow ({}) need {needs}",
            list(&local_names(local, usable), SHOWN)
        )
    };
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        fault,
        format!(
            "this server's certificate has a DSA key, which authenticates only the DHE-DSS \
             suites of TLS 1.2 and older (TLS 1.3 has no DSA at all), {enabled}; {offer}"
        ),
        "Give the server an RSA or ECDSA certificate (DSA is obsolete); a server that must \
         keep it needs DHE-DSS suites enabled on both ends, at TLS 1.2 or older.",
    )
}

/// The suites both ends allow (`usable`) all authenticate with another
/// key type than the server's certificate has.
fn wrong_key_type(key: &str, local: &LocalConfig, usable: &[u16]) -> Diagnosis {
    let both = list(&local_names(local, usable), SHOWN);
    // Not one suite this server can use at all (its list within its
    // version range and level) fits its own key: no client can connect.
    if !local.usable_ciphers.iter().any(|id| fits(local, key, *id)) {
        let own = list(&local_names(local, &local.usable_ciphers), SHOWN);
        let tls13_off = local
            .max_version
            .filter(|v| *v < TLS1_3)
            .map_or(String::new(), |v| {
                format!(
                    "; TLS 1.3, whose suites work with any key, is off (its maximum version is \
                     {})",
                    version_name(v)
                )
            });
        // Suites of its list that would suit its key, which something
        // else of its own (its signature schemes, its level) removed.
        let listed: Vec<u16> = local
            .ciphers
            .iter()
            .filter(|c| !c.name.starts_with("TLS_") && suite_fits_key(&c.name, key))
            .map(|c| c.id)
            .collect();
        let (setting, fix) = if listed.is_empty() {
            (
                "its cipher list".to_owned(),
                format!(
                    "Enable on this server suites for its {key} key (its cipher list, \
                     SSL_CTX_set_cipher_list), or give it a certificate of the type its suites \
                     need."
                ),
            )
        } else {
            (
                format!(
                    "its signature-scheme list or security level, which rule out the suites of \
                     its list for its key ({})",
                    list(&local_names(local, &listed), SHOWN)
                ),
                format!(
                    "Allow on this server a signature scheme its {key} key makes (its list, \
                     SSL_CTX_set1_sigalgs_list, or the defaults), or give it a certificate of \
                     the type its suites need."
                ),
            )
        };
        return Diagnosis::new(
            Cause::NoSharedSignatureScheme,
            Fault::Server,
            format!(
                "this server's own settings can never work: every suite it can use ({own}) needs \
                 another certificate type than its own, whose key is {key}, as {setting} \
                 leaves it{tls13_off}; no client can connect, whatever it offers"
            ),
            fix,
        );
    }
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        Fault::Unknown,
        format!(
            "the suites both sides allow ({both}) need a certificate type this server lacks: \
             its certificate's key is {key}"
        ),
        "Give the server a certificate of the type those suites need (or a second one), or \
         enable on the client suites for the server's key type.",
    )
}
