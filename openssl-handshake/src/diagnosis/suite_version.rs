//! Suites that cannot be used at the version the server settles on:
//! TLS 1.3 suites serve TLS 1.3 alone and the others only older
//! versions, and TLS 1.2's AEAD and SHA-256 suites need TLS 1.2.

use crate::decode::ClientHello;

use super::facts::{list, version_name};
use super::negotiation::{local_names, offered_names, SHOWN};
use super::version::{self, TLS1_3};
use super::{Cause, Diagnosis, Fault, LocalConfig};

/// Whether suite `id` can serve `version`: TLS 1.3 suites (0x13xx) serve
/// TLS 1.3 alone, the others only older versions.
pub(super) fn serves(id: u16, version: u16) -> bool {
    (id >> 8 == 0x13) == (version >= TLS1_3)
}

/// The version a server settles on: the highest both allow (the server's
/// own maximum unknown is taken as TLS 1.3).
pub(super) fn settled_version(hello: &ClientHello, local: Option<&LocalConfig>) -> u16 {
    let server_max = local.and_then(|l| l.max_version).unwrap_or(TLS1_3);
    version::highest(hello).min(server_max)
}

/// Suites both sides list that need a newer version than the one the
/// server settles on (TLS 1.2's AEAD and SHA-256 suites below TLS 1.2, as
/// `SSL_CIPHER_get_version` says): the side whose range stops lower is
/// the one to change.
pub(super) fn suites_need_newer_version(
    hello: &ClientHello,
    local: &LocalConfig,
    common: &[u16],
    settled: u16,
) -> Option<Diagnosis> {
    let min_of = |id: &u16| {
        local
            .ciphers
            .iter()
            .find(|c| c.id == *id)
            .and_then(|c| c.min_version)
    };
    let needed = common.iter().map(min_of).collect::<Option<Vec<u16>>>()?;
    let lowest = needed.into_iter().min()?;
    if lowest <= settled {
        return None;
    }
    let names = list(&local_names(local, common), SHOWN);
    let server_allows_more = local.max_version.is_none_or(|m| m > settled);
    let client_allows_more = version::highest(hello) > settled;
    let (fault, whose, fix) = if server_allows_more == client_allows_more {
        (
            Fault::Unknown,
            "both sides allow at most",
            format!(
                "Enable {} on both sides, or suites their versions can use.",
                version_name(lowest)
            ),
        )
    } else if server_allows_more {
        (
            Fault::Client,
            "the client offered at most",
            format!(
                "Enable {} on the client, or give it suites its versions can use.",
                version_name(lowest)
            ),
        )
    } else {
        (
            Fault::Server,
            "this server allows at most",
            format!(
                "Enable {} on the server (SSL_CTX_set_max_proto_version), or suites its \
                 versions can use.",
                version_name(lowest)
            ),
        )
    };
    Some(Diagnosis::new(
        Cause::NoSharedCipher,
        fault,
        format!(
            "{whose} {}, but the suites both sides list ({names}) need {} or later",
            version_name(settled),
            version_name(lowest)
        ),
        fix,
    ))
}

/// An offer whose suites all belong to a version other than the one the
/// server settles on fails whatever either side enables. The
/// server takes the highest version both allow, so a client that offers
/// TLS 1.3 without a TLS 1.3 suite fails against every TLS 1.3 server.
pub(super) fn suites_of_another_version(
    hello: &ClientHello,
    offered: &[u16],
    settled: u16,
) -> Option<Diagnosis> {
    let client_max = version::highest(hello);
    if offered.is_empty() || offered.iter().any(|id| serves(*id, settled)) {
        return None;
    }
    let names = list(&offered_names(hello), SHOWN);
    let (summary, fault, fix) = if settled >= TLS1_3 {
        (
            format!(
                "the client offered TLS 1.3 but only suites of TLS 1.2 and older ({names}); \
                 this server settles on TLS 1.3, the highest version both allow, and those \
                 suites cannot be used with it"
            ),
            Fault::Client,
            "Give the client TLS 1.3 suites (SSL_CTX_set_ciphersuites), or turn TLS 1.3 off \
             in it.",
        )
    } else {
        (
            format!(
                "the client offered only TLS 1.3 suites ({names}), but {} is the highest \
                 version both allow, and TLS 1.3 suites cannot be used with it",
                version_name(settled)
            ),
            // A client whose own range stops below TLS 1.3 contradicts
            // itself; otherwise the server could enable TLS 1.3 instead.
            if client_max < TLS1_3 {
                Fault::Client
            } else {
                Fault::Unknown
            },
            "Enable TLS 1.3 on the server, or give the client suites for older versions \
             (SSL_CTX_set_cipher_list).",
        )
    };
    Some(Diagnosis::new(Cause::NoSharedCipher, fault, summary, fix))
}
