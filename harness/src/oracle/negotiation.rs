//! The rules that decide how two sides meet: the version, suite, group,
//! ALPN and server identity they settle on, and the expectations a broken
//! rule yields.

use super::Side;
use openssl_handshake::Cause;

use crate::case::{
    alert, Endpoint, Expectation, ExpectedAlert, ExpectedCauses, Identity, Role, Version,
};
use crate::library::SuiteInfo;
use crate::peer::capabilities::{AlpnOrder, FailureKind};

/// The range of versions a side can really use: those its implementation
/// speaks, and with OpenSSL 3 TLS 1.1 and older only at security level 0.
pub(super) fn usable_range(side: &Side<'_>) -> Option<(Version, Version)> {
    let (lo, hi) = side.ep.version_range();
    let lo = if side.caps.old_versions_need_level0 && side.ep.security_level != Some(0) {
        lo.max(Version::Tls1_2)
    } else {
        lo
    };
    let spoken: Vec<Version> = Version::ALL
        .into_iter()
        .filter(|v| (lo..=hi).contains(v) && side.caps.versions.contains(v))
        .filter(|v| *v != Version::Tls1_3 || signs_in_tls13(side))
        .collect();
    Some((*spoken.first()?, *spoken.last()?))
}

/// Whether a side may offer TLS 1.3 as far as its credentials go: a
/// server of an implementation with OpenSSL's rule needs a key that signs
/// in TLS 1.3, or a PSK (seen with `s_server -tls1_3` and a DSA leaf: it
/// answers a TLS 1.3 client with protocol_version). A client always may.
pub(super) fn signs_in_tls13(side: &Side<'_>) -> bool {
    if side.role == Role::Client || !side.caps.tls13_needs_certificate || side.ep.psk {
        return true;
    }
    match side.ep.identity {
        Identity::Certificate(k) => k.serves("any", Version::Tls1_3),
        // The matrix gives negatives keys that sign in TLS 1.3.
        Identity::Negative(_) => true,
        Identity::None => false,
    }
}

pub(super) fn negotiated_version(c: &Side<'_>, s: &Side<'_>) -> Result<Version, Expectation> {
    let Some((cmin, cmax)) = usable_range(c) else {
        return Err(failure(
            None,
            None,
            "the client can use none of its versions (no protocols available)".into(),
            causes(&[Cause::NoSharedVersion], &[]),
        ));
    };
    let Some((smin, smax)) = usable_range(s) else {
        // Seen with `s_server -tls1_3` and only a DSA leaf: the client hears
        // protocol_version; the server knows its certificate is why.
        let mut e = version_failure(
            Some((Role::Server, alert::PROTOCOL_VERSION)),
            "the server can use none of its versions with its credentials".into(),
        );
        if let (Expectation::Failure { causes, .. }, Identity::Certificate(_)) =
            (&mut e, s.ep.identity)
        {
            causes.server = vec![Cause::NoSharedSignatureScheme];
        }
        return Err(e);
    };
    let both = |v: &Version| c.caps.versions.contains(v) && s.caps.versions.contains(v);
    if let Some(v) = Version::ALL
        .into_iter()
        .rev()
        .filter(both)
        .find(|v| (cmin..=cmax).contains(v) && (smin..=smax).contains(v))
    {
        return Ok(v);
    }
    if cmax < smin {
        let alert = s
            .caps
            .alert_for(FailureKind::ClientVersionsTooLow)
            .unwrap_or(Some(alert::PROTOCOL_VERSION));
        return Err(version_failure(
            alert.map(|a| (Role::Server, a)),
            format!("the client's highest version ({cmax}) is below the server's lowest ({smin})"),
        ));
    }
    let why =
        format!("the client's lowest version ({cmin}) is above the server's highest ({smax})");
    if let Some(alert) = c.caps.alert_for(FailureKind::OwnVersionsTooHigh) {
        return Err(version_failure(alert.map(|a| (Role::Client, a)), why));
    }
    if cmax == Version::Tls1_3 {
        // A TLS 1.3 client lists its versions in supported_versions, so
        // the server is the one that finds none in common (RFC 8446,
        // section 4.2.1); OpenSSL's server sends protocol_version.
        let alert = s
            .caps
            .alert_for(FailureKind::ClientVersionsTooHigh)
            .unwrap_or(Some(alert::PROTOCOL_VERSION));
        return Err(version_failure(alert.map(|a| (Role::Server, a)), why));
    }
    // Without supported_versions the server answers with its own highest
    // version, which the client refuses.
    Err(version_failure(
        Some((Role::Client, alert::PROTOCOL_VERSION)),
        why,
    ))
}

/// OpenSSL's server picks by the client's order unless told otherwise:
/// the first client suite that both implementations have at `v`, that the
/// server enables and can serve.
pub(super) fn negotiated_suite<'c>(
    c: &Side<'c>,
    s: &Side<'_>,
    v: Version,
) -> Option<&'c SuiteInfo> {
    c.ep.suites.iter().find(|suite| {
        c.caps.suite_at(suite, v)
            && s.caps.suite_at(suite, v)
            && s.ep.suites.iter().any(|x| x.name == suite.name)
            && server_can_serve(suite, c.ep, s.ep, v)
    })
}

/// Whether the server has what `suite` needs: a certificate for its
/// authentication, the PSK or SRP login, and a group for ECDHE.
pub(super) fn server_can_serve(suite: &SuiteInfo, c: &Endpoint, s: &Endpoint, v: Version) -> bool {
    has_login(suite, c, s) && has_group(suite, c, s) && authenticates(suite, c, s, v)
}

/// What the server's diagnosis names when it can serve none of the
/// client's suites at `v`: the first rule, in the order a server applies
/// them, that leaves no suite standing. Nothing listed on both sides is
/// no_shared_cipher; none its certificate can authenticate at `v` (an
/// ECDSA suite for an RSA key, Ed25519 before TLS 1.2) is
/// no_shared_signature_scheme; none with a group in common is
/// no_shared_group. Suites out for a missing PSK or SRP login name no
/// rule of the three, so any of them may be named.
pub(super) fn server_refusal(c: &Side<'_>, s: &Side<'_>, v: Version) -> Vec<Cause> {
    let any = vec![
        Cause::NoSharedCipher,
        Cause::NoSharedSignatureScheme,
        Cause::NoSharedGroup,
    ];
    let listed: Vec<&SuiteInfo> =
        c.ep.suites
            .iter()
            .filter(|x| c.caps.suite_at(x, v) && s.caps.suite_at(x, v))
            .filter(|x| s.ep.suites.iter().any(|y| y.name == x.name))
            .collect();
    if listed.is_empty() {
        return vec![Cause::NoSharedCipher];
    }
    let signed: Vec<&SuiteInfo> = listed
        .into_iter()
        .filter(|x| authenticates(x, c.ep, s.ep, v))
        .collect();
    if signed.is_empty() {
        return vec![Cause::NoSharedSignatureScheme];
    }
    let logged_in: Vec<&SuiteInfo> = signed
        .into_iter()
        .filter(|x| has_login(x, c.ep, s.ep))
        .collect();
    if logged_in.is_empty() {
        return any;
    }
    if !logged_in.iter().any(|x| has_group(x, c.ep, s.ep)) {
        return vec![Cause::NoSharedGroup];
    }
    any
}

/// The PSK or SRP login a suite needs, if any, is there on both sides.
fn has_login(suite: &SuiteInfo, c: &Endpoint, s: &Endpoint) -> bool {
    (!suite.needs_psk() || (c.psk && s.psk))
        && (!suite.needs_srp() || (c.srp.is_some() && s.srp.is_some()))
}

/// An ECDHE suite has a group both sides allow.
fn has_group(suite: &SuiteInfo, c: &Endpoint, s: &Endpoint) -> bool {
    !suite.needs_ec_group() || groups_overlap(&c.groups, &s.groups)
}

/// The server's certificate, after any SNI switch, can authenticate
/// `suite` at `v` (or the suite needs none).
fn authenticates(suite: &SuiteInfo, c: &Endpoint, s: &Endpoint, v: Version) -> bool {
    // TLS 1.3 with a PSK on both ends: the key authenticates. OpenSSL's
    // PSK callbacks give it SHA-256, so it keys the SHA-256 suites only.
    if v == Version::Tls1_3 && c.psk && s.psk && suite.name.ends_with("SHA256") {
        return true;
    }
    let au = if suite.kx == "RSAPSK" {
        "RSA"
    } else {
        suite.au.as_str()
    };
    match au {
        "None" | "PSK" | "SRP" => true,
        needed => match effective_server_identity(c, s) {
            Identity::Certificate(k) => k.serves(needed, v),
            // A negative leaf's key serves TLS 1.3 and the suites of its
            // kind below it.
            Identity::Negative(n) => needed == "any" || needed == n.authentication(),
            Identity::None => false,
        },
    }
}

/// The certificate the server ends up presenting, after any SNI switch.
pub(super) fn effective_server_identity(c: &Endpoint, s: &Endpoint) -> Identity {
    match (&c.sni, &s.sni, s.sni_identity) {
        (Some(asked), Some(name), Some(id)) if asked == name => id,
        _ => s.identity,
    }
}

/// Empty means "library default", which always overlaps.
pub(super) fn groups_overlap(c: &[String], s: &[String]) -> bool {
    c.is_empty() || s.is_empty() || c.iter().any(|g| s.contains(g))
}

/// ALPN as the server picks it, in the order its implementation declares:
/// the first server protocol the client also offers (OpenSSL's
/// `SSL_select_next_proto` on the harness server), or the first client
/// protocol the server also has. `Ok(None)` when either side doesn't use
/// ALPN; `Err` when both do and share none.
pub(super) fn negotiated_alpn(
    c: &[String],
    s: &[String],
    order: AlpnOrder,
) -> Result<Option<String>, ()> {
    if c.is_empty() || s.is_empty() {
        return Ok(None);
    }
    let (first, other) = match order {
        AlpnOrder::Server => (s, c),
        AlpnOrder::Client => (c, s),
    };
    first
        .iter()
        .find(|p| other.contains(p))
        .cloned()
        .map(Some)
        .ok_or(())
}

/// Why the harness can't run a case using `suite`, if it can't.
pub(super) fn suite_unsupported(suite: &SuiteInfo) -> Option<String> {
    let pre = format!("{} ({}/{})", suite.name, suite.kx, suite.au);
    if suite.au.contains("GOST") || suite.kx.contains("GOST") {
        return Some(format!(
            "server (test PKI): lacks a GOST credential for GOST suites [{pre}]"
        ));
    }
    None
}

pub(super) fn unsupported(reason: String) -> Expectation {
    Expectation::Unsupported { reason }
}

pub(super) fn failure(
    alert: Option<(Role, u8)>,
    verify_error: Option<i32>,
    why: String,
    causes: ExpectedCauses,
) -> Expectation {
    Expectation::Failure {
        alert: alert.map(|(from, description)| ExpectedAlert { from, description }),
        verify_error,
        why,
        causes,
    }
}

/// What each side's diagnosis may name.
pub(super) fn causes(client: &[Cause], server: &[Cause]) -> ExpectedCauses {
    ExpectedCauses {
        client: client.to_vec(),
        server: server.to_vec(),
    }
}

/// No version in common, with `alert` expected: the server names it; the
/// client names it when it refused the server's version itself or heard
/// protocol_version, and a refused hello when the server said only
/// handshake_failure, which could mean a suite or group as well. Without
/// an expected alert, either.
fn version_failure(alert: Option<(Role, u8)>, why: String) -> Expectation {
    let client: &[Cause] = match alert {
        Some((Role::Server, alert::HANDSHAKE_FAILURE)) => &[Cause::HelloRefused],
        Some(_) => &[Cause::NoSharedVersion],
        None => &[Cause::NoSharedVersion, Cause::HelloRefused],
    };
    failure(alert, None, why, causes(client, &[Cause::NoSharedVersion]))
}
