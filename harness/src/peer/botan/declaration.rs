//! Botan's declaration, read from `botan tls_ciphers`, and the names its
//! text policy gives OpenSSL's suites.

use std::collections::HashMap;
use std::time::Duration;

use super::{KEYS, PACKAGE, PROGRAM};
use crate::case::{Role, Version};
use crate::library::SuiteInfo;
use crate::peer::capabilities::{Feature, SuiteSupport};
use crate::peer::process::output;
use crate::peer::Capabilities;

/// The declaration: `botan tls_ciphers --policy=all --version=V` for each
/// version Botan names; a version it doesn't know is an error.
pub(super) fn declare(version: &Result<String, String>, catalogue: &[SuiteInfo]) -> Capabilities {
    let mut caps = Capabilities::new(version.clone().unwrap_or_else(|_| "botan".into()));
    if let Err(e) = version {
        caps.available = Err(e.clone());
        return caps;
    }
    caps.versions.clear();
    let mut codes: HashMap<u16, Version> = HashMap::new();
    for (v, name) in [
        (Version::Ssl3, "ssl3"),
        (Version::Tls1, "tls1.0"),
        (Version::Tls1_1, "tls1.1"),
        (Version::Tls1_2, "tls1.2"),
        (Version::Tls1_3, "tls1.3"),
    ] {
        let arg = format!("--version={name}");
        let Ok(cap) = output(
            PROGRAM,
            &["tls_ciphers", "--policy=all", &arg],
            PACKAGE,
            Duration::from_secs(10),
        ) else {
            continue;
        };
        if cap.code != Some(0) {
            continue;
        }
        caps.versions.push(v);
        for l in cap.stdout.lines() {
            let iana = format!("TLS_{}", l.trim());
            let found = catalogue
                .iter()
                .find(|s| s.standard_name.as_deref() == Some(iana.as_str()));
            if let Some(s) = found.filter(|s| tokens(s).is_some()) {
                codes.entry(s.id).or_insert(v);
            }
        }
    }
    caps.suites = SuiteSupport::ByCode(codes);
    caps.keys = KEYS.to_vec();
    caps.groups = Some(
        ["X25519", "P-256", "P-384", "P-521", "ffdhe2048"]
            .iter()
            .map(|g| g.to_string())
            .collect(),
    );
    let tool = "the botan command has no option for it";
    // Seen with Debian's botan 2.19: `tls_ciphers --policy=all` lists no
    // SRP suite at any version, and tls_client/tls_server take no login.
    let srp = "botan tls_ciphers --policy=all lists no SRP suite and the botan command has no SRP login option";
    caps.lack(Role::Client, Feature::Psk, tool)
        .lack(Role::Server, Feature::Psk, tool)
        .lack(Role::Client, Feature::Srp, srp)
        .lack(Role::Server, Feature::Srp, srp)
        .lack(Role::Client, Feature::ClientCertificate, tool)
        .lack(
            Role::Server,
            Feature::ClientCertificate,
            "botan tls_server has no option for the CAs it trusts for clients",
        )
        .lack(Role::Server, Feature::Alpn, tool)
        .lack(
            Role::Server,
            Feature::SessionTickets,
            "botan tls_server has no ticket key, so it resumes by session id only",
        )
        .lack(Role::Server, Feature::SniSwitch, tool)
        .lack(Role::Server, Feature::SniRefusal, tool)
        .lack(
            Role::Client,
            Feature::SniName,
            "botan tls_client sends the host it connects to (localhost) as its SNI",
        )
        .lack(
            Role::Client,
            Feature::RefuseServerCertificate,
            "botan tls_client reports a failed certificate check and carries on",
        )
}

/// A Botan group name for the matrix's spelling.
pub(super) fn group_name(g: &str) -> Option<&'static str> {
    match g {
        "X25519" => Some("x25519"),
        "P-256" => Some("secp256r1"),
        "P-384" => Some("secp384r1"),
        "P-521" => Some("secp521r1"),
        "ffdhe2048" => Some("ffdhe/ietf/2048"),
        _ => None,
    }
}

pub(super) struct Tokens {
    pub(super) kx: &'static str,
    pub(super) sig: &'static str,
    pub(super) cipher: &'static str,
    pub(super) mac: &'static str,
}

/// A suite's Botan policy names, from its OpenSSL metadata.
pub(super) fn tokens(s: &SuiteInfo) -> Option<Tokens> {
    let cipher = match s.enc.as_str() {
        "AESGCM(128)" => "AES-128/GCM",
        "AESGCM(256)" => "AES-256/GCM",
        "AES(128)" => "AES-128",
        "AES(256)" => "AES-256",
        "CHACHA20/POLY1305(256)" => "ChaCha20Poly1305",
        "AESCCM(128)" => "AES-128/CCM",
        "AESCCM(256)" => "AES-256/CCM",
        "AESCCM8(128)" => "AES-128/CCM(8)",
        "AESCCM8(256)" => "AES-256/CCM(8)",
        "Camellia(128)" => "Camellia-128",
        "Camellia(256)" => "Camellia-256",
        "CamelliaGCM(128)" => "Camellia-128/GCM",
        "CamelliaGCM(256)" => "Camellia-256/GCM",
        "ARIAGCM(128)" => "ARIA-128/GCM",
        "ARIAGCM(256)" => "ARIA-256/GCM",
        "3DES(168)" => "3DES",
        _ => return None,
    };
    let mac = match s.mac.as_str() {
        "AEAD" => "AEAD",
        "SHA1" => "SHA-1",
        "SHA256" => "SHA-256",
        "SHA384" => "SHA-384",
        _ => return None,
    };
    let kx = match s.kx.as_str() {
        "ECDH" => "ECDH",
        "DH" => "DH",
        "RSA" => "RSA",
        "PSK" => "PSK",
        "ECDHEPSK" => "ECDHE_PSK",
        "DHEPSK" => "DHE_PSK",
        _ => return None,
    };
    // Botan calls the "signature" of a suite without one (static RSA,
    // plain PSK) IMPLICIT.
    let sig = match s.au.as_str() {
        "RSA" if s.kx == "RSA" => "IMPLICIT",
        "RSA" => "RSA",
        "ECDSA" => "ECDSA",
        "DSS" => "DSA",
        "PSK" => "IMPLICIT",
        _ => return None,
    };
    Some(Tokens {
        kx,
        sig,
        cipher,
        mac,
    })
}

pub(super) fn push_new(v: &mut Vec<&'static str>, x: &'static str) {
    if !v.contains(&x) {
        v.push(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(name: &str, kx: &str, au: &str) -> SuiteInfo {
        SuiteInfo {
            name: name.into(),
            standard_name: None,
            id: 0,
            min_version: Version::Tls1_2,
            max_version: Version::Tls1_2,
            kx: kx.into(),
            au: au.into(),
            enc: "AESGCM(128)".into(),
            mac: "AEAD".into(),
        }
    }

    /// Each signature method a policy can name has a declared key that
    /// serves it, so no suite Botan lists is left out for want of a key.
    #[test]
    fn every_signature_method_has_a_declared_key() {
        for (name, kx, au) in [
            ("ECDHE-RSA-AES128-GCM-SHA256", "ECDH", "RSA"),
            ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDH", "ECDSA"),
            ("DHE-DSS-AES128-GCM-SHA256", "DH", "DSS"),
        ] {
            let t = tokens(&suite(name, kx, au)).expect("Botan names");
            assert!(
                KEYS.iter().any(|k| k.serves(au, Version::Tls1_2)),
                "{name}: no declared key signs {}",
                t.sig
            );
        }
        let dss = tokens(&suite("DHE-DSS-AES128-GCM-SHA256", "DH", "DSS")).expect("Botan names");
        assert_eq!((dss.kx, dss.sig), ("DH", "DSA"));
    }
}
