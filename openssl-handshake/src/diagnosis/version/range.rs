//! The versions this end's configuration lets it speak: its minimum and
//! maximum, what its security level leaves, and the versions its options
//! switch off one by one (`SSL_OP_NO_TLSv1` and the like).
//!
//! The two sides read a switched-off version differently. A server takes
//! any version left (`ssl_choose_server_version` checks each on its own),
//! so a switched-off one is a hole. OpenSSL's client offers only the
//! lowest unbroken run of them (`ssl_get_min_max_version` starts again
//! below each hole), so switching off TLS 1.2 leaves it TLS 1.0 and 1.1
//! even with TLS 1.3 enabled.

use crate::diagnosis::facts::version_name;
use crate::diagnosis::LocalConfig;
use crate::event::Side;

use super::{SSL3, TLS1_0, TLS1_2, TLS1_3};

/// The range set: its minimum (`None`: the library's lowest, unless a
/// security level of 1 or more rules out versions below TLS 1.2) and
/// maximum, before options.
fn set_range(l: &LocalConfig) -> (Option<u16>, u16) {
    let min = match l.min_version {
        Some(v) => Some(v),
        None if l.security_level >= 1 => Some(TLS1_2),
        None => None,
    };
    (min, l.max_version.unwrap_or(TLS1_3))
}

/// What a server may speak, ascending: its range less the versions its
/// options switch off, from TLS 1.0 where nothing sets a minimum (OpenSSL
/// 3 is built without SSL 3.0 unless asked to be).
fn server_versions(l: &LocalConfig) -> Vec<u16> {
    let (min, max) = set_range(l);
    (min.unwrap_or(TLS1_0)..=max)
        .filter(|v| !l.disabled_versions.contains(v))
        .collect()
}

/// What OpenSSL's client offers, ascending: the lowest unbroken run of
/// [`server_versions`].
pub(super) fn client_versions(l: &LocalConfig) -> Vec<u16> {
    let all = server_versions(l);
    let run = all
        .windows(2)
        .position(|w| w[1] != w[0] + 1)
        .map_or(all.len(), |i| i + 1);
    all[..run].to_vec()
}

/// Where OpenSSL's client stops below a switched-off version with an
/// enabled one above it: the highest version it offers, and the one
/// switched off above that.
pub(super) fn cut(l: &LocalConfig) -> Option<(u16, u16)> {
    let top = *client_versions(l).last()?;
    (server_versions(l).last() > Some(&top)).then_some((top, top + 1))
}

/// The versions `side` may speak.
fn versions(l: &LocalConfig, side: Side) -> Vec<u16> {
    match side {
        Side::Server => server_versions(l),
        Side::Client => client_versions(l),
    }
}

/// A server's range as (lowest, highest): `None` for the lowest where
/// nothing narrowed the library's. An empty range comes back with its
/// lowest above its highest.
pub(super) fn effective_range(l: &LocalConfig) -> (Option<u16>, Option<u16>) {
    range_of(l, &server_versions(l))
}

fn range_of(l: &LocalConfig, v: &[u16]) -> (Option<u16>, Option<u16>) {
    let (min, max) = set_range(l);
    match (v.first(), v.last()) {
        (Some(&lo), Some(&hi)) => ((min.is_some() || lo > TLS1_0).then_some(lo), Some(hi)),
        _ => (Some(min.unwrap_or(TLS1_0).max(max + 1)), Some(max)),
    }
}

/// The option that switches `version` off, as ssl.h names it.
pub(super) fn option_name(version: u16) -> String {
    match version {
        SSL3 => "SSL_OP_NO_SSLv3".to_owned(),
        TLS1_0 => "SSL_OP_NO_TLSv1".to_owned(),
        v => format!("SSL_OP_NO_TLSv1_{}", v.saturating_sub(TLS1_0)),
    }
}

/// The options that switch off versions between `from` and `to`.
pub(super) fn options_in(l: &LocalConfig, from: u16, to: u16) -> Vec<String> {
    l.disabled_versions
        .iter()
        .filter(|v| (from..=to).contains(*v))
        .map(|v| option_name(*v))
        .collect()
}

/// "TLS 1.2 and up", "only TLS 1.3", "TLS 1.0, 1.1 and 1.3", with what
/// narrowed it beyond the minimum and maximum set, as `side` reads it.
pub(super) fn describe_local(l: &LocalConfig, side: Side) -> String {
    let (set_min, set_max) = set_range(l);
    let floor = set_min.unwrap_or(TLS1_0);
    let v = versions(l, side);
    let (Some(&lo), Some(&hi)) = (v.first(), v.last()) else {
        return if floor > set_max {
            format!(
                "no version: its minimum {} is above its maximum {}",
                version_name(floor),
                version_name(set_max)
            )
        } else {
            format!(
                "no version: its options ({}) switch off every version from {} to {}",
                options_in(l, floor, set_max).join(", "),
                version_name(floor),
                version_name(set_max)
            )
        };
    };
    let (min, max) = range_of(l, &v);
    let holes: Vec<u16> = (lo..=hi).filter(|x| !v.contains(x)).collect();
    let text = if !holes.is_empty() {
        let names: Vec<String> = v.iter().map(|x| version_name(*x)).collect();
        match names.split_last() {
            Some((last, rest)) => format!(
                "{} and {}",
                rest.join(", "),
                last.trim_start_matches("TLS ")
            ),
            None => String::new(),
        }
    } else {
        match (min, max) {
            (Some(a), Some(b)) if a == b => format!("only {}", version_name(a)),
            (Some(a), Some(TLS1_3)) => format!("{} and up", version_name(a)),
            (Some(a), Some(b)) => format!("{} to {}", version_name(a), version_name(b)),
            (None, Some(b)) => format!("up to {}", version_name(b)),
            (_, None) => "every version the library allows".to_owned(),
        }
    };
    let rule = |n: usize| if n == 1 { "rules" } else { "rule" };
    let mut why = Vec::new();
    // Options below what the level leaves count too: clearing either alone
    // would not bring those versions back.
    let set = l.min_version.unwrap_or(TLS1_0);
    let older = if lo > set {
        options_in(l, set, lo - 1)
    } else {
        Vec::new()
    };
    let level = (l.min_version.is_none() && l.security_level >= 1)
        .then(|| format!("security level {}", l.security_level));
    let count = older.len() + usize::from(level.is_some());
    let causes: Vec<String> = level
        .into_iter()
        .chain((!older.is_empty()).then(|| older.join(", ")))
        .collect();
    if !causes.is_empty() {
        why.push(format!(
            "{} {} out older ones",
            causes.join(" and "),
            rule(count)
        ));
    }
    if !holes.is_empty() {
        let off = options_in(l, lo, hi);
        let names: Vec<String> = holes.iter().map(|x| version_name(*x)).collect();
        let verb = if off.len() == 1 { "switches" } else { "switch" };
        why.push(format!(
            "{} {verb} {} off",
            off.join(", "),
            names.join(", ")
        ));
    }
    if hi < set_max {
        let off = options_in(l, hi + 1, set_max);
        if side == Side::Client && server_versions(l).last() > Some(&hi) {
            why.push(format!(
                "{} {} it at {}: OpenSSL's client offers no version above a switched-off one",
                off.join(", "),
                if off.len() == 1 { "caps" } else { "cap" },
                version_name(hi)
            ));
        } else if !off.is_empty() {
            why.push(format!(
                "{} {} out newer ones",
                off.join(", "),
                rule(off.len())
            ));
        }
    }
    match why.is_empty() {
        true => text,
        false => format!("{text} ({})", why.join("; ")),
    }
}
