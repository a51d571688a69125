//! JSSE's declaration: the protocols and suites its default `SSLContext`
//! enables (the driver's `list`), under the JDK's own `java.security`,
//! and what it was seen to do where OpenSSL differs.

use std::collections::HashMap;

use serde_json::Value;

use crate::case::{alert, KeyKind, Negative, Role, Version};
use crate::library::SuiteInfo;
use crate::peer::capabilities::{AlertDialect, AlpnOrder, FailureKind, Feature, SuiteSupport};
#[cfg(test)]
use crate::peer::external;
use crate::peer::Capabilities;

/// The groups JSSE 17 enables by default, in the matrix's spelling: its
/// default `jdk.tls.namedGroups` (x25519, secp256r1, secp384r1,
/// secp521r1, x448, ffdhe2048 to ffdhe8192; SupportedGroupsExtension).
/// JDK 17 has no API that lists them (`SSLParameters.getNamedGroups`
/// comes with JDK 20), so they are written here.
pub(super) const GROUPS: [&str; 10] = [
    "X25519",
    "P-256",
    "P-384",
    "P-521",
    "X448",
    "ffdhe2048",
    "ffdhe3072",
    "ffdhe4096",
    "ffdhe6144",
    "ffdhe8192",
];

/// JSSE's name for a protocol version.
pub(super) fn protocol_name(v: Version) -> &'static str {
    match v {
        Version::Ssl3 => "SSLv3",
        Version::Tls1 => "TLSv1",
        Version::Tls1_1 => "TLSv1.1",
        Version::Tls1_2 => "TLSv1.2",
        Version::Tls1_3 => "TLSv1.3",
    }
}

/// The declaration from the driver's `list` line (`None`: it printed
/// none, and `why` says what happened instead).
pub(super) fn declare(listed: Result<Value, String>, catalogue: &[SuiteInfo]) -> Capabilities {
    let mut caps = Capabilities::new("jsse");
    let v = match listed {
        Ok(v) => v,
        Err(why) => {
            caps.available = Err(why);
            return caps;
        }
    };
    caps.implementation = format!("JSSE (Java {})", v["version"].as_str().unwrap_or("?"));
    let names = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    // The default SSLContext's protocols: TLS 1.3 and 1.2 with JDK 17,
    // whose java.security lists TLSv1 and TLSv1.1 (and SSLv3) among
    // jdk.tls.disabledAlgorithms. A case at TLS 1.0 or 1.1 is then
    // unsupported by this side, as for any peer lacking a version; a
    // version mismatch it can still play expects JSSE's refusal.
    let protocols = names("protocols");
    caps.versions = Version::ALL
        .into_iter()
        .filter(|v| protocols.iter().any(|p| p == protocol_name(*v)))
        .collect();
    // The default SSLContext's suites, by their IANA names: no anonymous,
    // NULL, RC4 or 3DES suite (disabledAlgorithms), and nothing beyond
    // what the JDK enables by default.
    let mut codes = HashMap::new();
    for name in names("suites") {
        if let Some(s) = catalogue
            .iter()
            .find(|s| s.standard_name.as_deref() == Some(name.as_str()))
        {
            codes.insert(s.id, s.min_version);
        }
    }
    caps.suites = SuiteSupport::ByCode(codes);
    caps.groups = Some(GROUPS.iter().map(|g| g.to_string()).collect());
    // Seen with the driver against `openssl s_server` and `s_client`:
    // RSA, ECDSA P-256 and P-384 and Ed25519 sign and verify at TLS 1.2
    // and 1.3 (JDK 15 added EdDSA to TLS), and DSA with the DHE-DSS
    // suites at TLS 1.2 (TLS 1.3 has no DSA scheme: a JSSE server with
    // only a DSA key answers a TLS 1.3 client with handshake_failure,
    // "No available authentication scheme", which the oracle's suite
    // rule already expects).
    caps.keys = KeyKind::ALL.to_vec();
    let empty = "JSSE's server answers an empty client Certificate with bad_certificate \
                 (\"Empty client certificate chain\"), where RFC 5246 section 7.4.6 names \
                 handshake_failure and RFC 8446 section 4.4.2.4 certificate_required; both \
                 let the server abort (seen from the in-process client at TLS 1.2 and 1.3)";
    caps.alerts = vec![
        AlertDialect {
            failure: FailureKind::ServerIssuerUnknown,
            alert: Some(alert::CERTIFICATE_UNKNOWN),
            note: "JSSE answers every chain its PKIX path builder can't complete (no \
                   trusted root, a missing intermediate, and also an expired or not yet \
                   valid certificate) with certificate_unknown, never unknown_ca (seen \
                   against openssl s_server with the test PKI's negatives; RFC 8446 \
                   section 6.2 lets certificate_unknown stand for any other certificate \
                   problem)"
                .into(),
        },
        AlertDialect {
            failure: FailureKind::MissingClientCertificate12,
            alert: Some(alert::BAD_CERTIFICATE),
            note: empty.into(),
        },
        AlertDialect {
            failure: FailureKind::MissingClientCertificate13,
            alert: Some(alert::BAD_CERTIFICATE),
            note: empty.into(),
        },
        AlertDialect {
            failure: FailureKind::NoSharedGroup13,
            alert: Some(alert::UNEXPECTED_MESSAGE),
            note: "JSSE 17's TLS 1.3 server answers a ClientHello whose groups it shares \
                   none of with unexpected_message (\"No common named group\", seen with \
                   `openssl s_client -tls1_3 -groups X25519` against a server limited to \
                   secp256r1); RFC 8446 section 4.1.1 says it MUST send handshake_failure \
                   or insufficient_security, so this is JSSE's deviation, declared so the \
                   matrix holds it to it"
                .into(),
        },
    ];
    // Seen with `openssl s_client -tls1_3` against the driver's server
    // with the test PKI's DSA key: ServerHello, then handshake_failure
    // ("No available authentication scheme").
    caps.tls13_signer_after_hello = true;
    caps.alpn_order = AlpnOrder::Server;
    let weak = "the JDK's jdk.certpath.disabledAlgorithms refuses RSA keys below 1024 bits only \
                (\"RSA keySize < 1024\"), so a 1024-bit key passes";
    let sha1 = "the JDK's jdk.certpath.disabledAlgorithms refuses SHA-1 only in chains to the \
                JDK's own roots (\"SHA1 jdkCA & usage TLSServer\"), not to the test root";
    let no_psk = "JSSE has no API for external pre-shared keys (it resumes with PSKs only)";
    let no_srp = "JSSE has no SRP (RFC 5054)";
    // JSSE's key manager offers a client certificate only when its chain
    // reaches a CA the server's CertificateRequest names (RFC 8446
    // section 4.2.4, RFC 5246 section 7.4.4): the test root, which none
    // of these reaches, so the client sends an empty Certificate (seen
    // against the in-process server at TLS 1.2 and 1.3).
    let unlisted = "JSSE's client presents only a certificate issued under a CA the \
                    server's CertificateRequest names, and this one's chain reaches none";
    caps.accept(Negative::WeakKey, weak)
        .withhold(Negative::SelfSigned, unlisted)
        .withhold(Negative::UntrustedRoot, unlisted)
        .withhold(Negative::MissingIntermediate, unlisted)
        .accept(Negative::Sha1Signature, sha1)
        .server_accept(Negative::WeakKey, weak)
        .server_accept(Negative::Sha1Signature, sha1)
        .lack(Role::Client, Feature::Psk, no_psk)
        .lack(Role::Server, Feature::Psk, no_psk)
        .lack(Role::Client, Feature::Srp, no_srp)
        .lack(Role::Server, Feature::Srp, no_srp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_have_jsse_names() {
        for g in GROUPS {
            assert!(external::iana_group_name(g).is_some(), "{g}");
        }
        assert_eq!(external::iana_group_name("P-256"), Some("secp256r1"));
        assert_eq!(external::iana_group_name("brainpoolP256r1"), None);
    }

    #[test]
    fn an_unreadable_listing_is_unavailable() {
        let caps = declare(Err("java not found".into()), &[]);
        assert!(caps.unavailable().is_some());
        let caps = declare(
            Ok(serde_json::json!({"version": "17", "protocols": []})),
            &[],
        );
        assert!(caps.unavailable().is_some());
    }
}
