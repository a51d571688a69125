//! The `openssl` tool's declaration: the suites it can use at each
//! version, as `openssl ciphers` lists them.

use std::collections::HashMap;
use std::time::Duration;

use super::{PACKAGE, PROGRAM};
use crate::case::{Role, Version};
use crate::peer::capabilities::{EmptyOffer, Feature, SuiteSupport};
use crate::peer::process::output;
use crate::peer::Capabilities;

/// The declaration, read from the tool: `openssl ciphers -s -V -<version>`
/// lists the suites it can use at each version, and a version the tool was
/// built without is an unknown option.
pub(super) fn declare(version: &Result<String, String>) -> Capabilities {
    // "OpenSSL 3.0.13 30 Jan 2024 (Library: ...)" → "openssl-cli OpenSSL 3.0.13".
    let short = version
        .as_deref()
        .map_or("openssl".to_string(), super::short_version);
    let mut caps = Capabilities::new(format!("openssl-cli {short}"));
    if let Err(e) = version {
        caps.available = Err(e.clone());
        return caps;
    }
    // Seen with `s_client -ciphersuites "" -cipher AES256-SHA` at TLS 1.3.
    caps.empty_offer = EmptyOffer::BareAlert;
    let mut codes: HashMap<u16, Version> = HashMap::new();
    caps.versions.clear();
    for v in Version::ALL {
        let flag = format!("-{}", v.id());
        // Every RFC 8446 suite as a candidate: the default list leaves
        // out the CCM ones, which -ciphersuites can still turn on.
        let args = [
            "ciphers",
            "-s",
            "-V",
            "-psk",
            "-srp",
            &flag,
            "-ciphersuites",
            TLS13_SUITES,
            "ALL:@SECLEVEL=0",
        ];
        let Ok(cap) = output(PROGRAM, &args, PACKAGE, Duration::from_secs(10)) else {
            continue;
        };
        let listed: Vec<u16> = cap.stdout.lines().filter_map(suite_code).collect();
        if cap.code != Some(0) || listed.is_empty() {
            continue;
        }
        caps.versions.push(v);
        for code in listed {
            codes.entry(code).or_insert(v);
        }
    }
    caps.suites = SuiteSupport::ByCode(codes);
    caps.tls13_needs_certificate = true;
    // OpenSSL 3 allows TLS 1.1 and older only at security level 0.
    caps.old_versions_need_level0 = version.as_deref().is_ok_and(|v| {
        v.split_whitespace()
            .nth(1)
            .is_some_and(|n| !n.starts_with("1."))
    });
    let major3 = version.as_deref().is_ok_and(|v| {
        v.split_whitespace()
            .nth(1)
            .is_some_and(|n| n.starts_with("3."))
    });
    if major3 {
        // apps/lib/tlssrp_depr.c passes SSL_CTX_set_srp_cb_arg the address
        // of its own pointer parameter, dead once set-up returns. Seen with
        // 3.0.22: s_server reads a garbage user name and answers
        // unknown_psk_identity; s_client ignores -srppass and stalls.
        caps = caps
            .lack(
                Role::Server,
                Feature::Srp,
                "s_server -srpvfile hands its SRP callback a dangling argument (openssl/openssl#32566) and refuses the login with unknown_psk_identity",
            )
            .lack(
                Role::Client,
                Feature::Srp,
                "s_client -srpuser hands its SRP callback a dangling argument (openssl/openssl#32565), loses -srppass and stalls",
            );
    }
    caps.lack(
        Role::Server,
        Feature::AlpnRefusal,
        "with no protocol in common s_server ignores the extension instead of sending no_application_protocol",
    )
}

/// The five suites of RFC 8446, appendix B.4.
pub(super) const TLS13_SUITES: &str = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:\
    TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256";

/// "          0xC0,0x0A - ECDHE-ECDSA-AES256-SHA  TLSv1 Kx=ECDH ..." → 0xc00a.
pub(super) fn suite_code(line: &str) -> Option<u16> {
    let word = line.split_whitespace().next()?;
    let (hi, lo) = word.split_once(',')?;
    let hi = u16::from_str_radix(hi.strip_prefix("0x")?, 16).ok()?;
    let lo = u16::from_str_radix(lo.strip_prefix("0x")?, 16).ok()?;
    Some(hi << 8 | lo)
}
