//! No signature scheme in common: what the client's signature_algorithms
//! leave the server's key, and what ruled out the rest.

use crate::decode::{ClientHello, SignatureScheme};

use super::super::facts::{list, Facts};
use super::super::schemes;
use super::super::suite_version::settled_version;
use super::super::version::TLS1_3;
use super::super::{Cause, Diagnosis, Fault};
use super::SHOWN;

pub(super) fn no_sigalg(f: &Facts<'_>, hello: &ClientHello) -> Diagnosis {
    let cert = f.local.and_then(|l| l.certificate.as_ref());
    let key = cert.map(|c| c.key_type.clone());
    let bits = cert.map(|c| c.key_bits);
    if hello.signature_algorithms.is_empty() {
        return sha1_only(f, key);
    }
    // The key can make some of them: something else ruled those out.
    let tls13 = settled_version(hello, f.local) >= TLS1_3;
    let usable = key
        .as_deref()
        .map(|k| fitting(hello, k, bits, tls13))
        .unwrap_or_default();
    if !usable.is_empty() {
        return ruled_out(f, hello, key, &usable);
    }
    if let Some(k) = key
        .as_deref()
        .filter(|k| tls13 && !fitting(hello, k, bits, false).is_empty())
    {
        return match (k, bits) {
            ("EC", Some(bits)) => curve_in_tls13(f, hello, bits),
            _ => pkcs1_in_tls13(f, hello, k),
        };
    }
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        Fault::Unknown,
        format!(
            "the client accepts only the signature schemes {}, none of which this server's {} \
             certificate can make",
            sigalg_names(hello),
            key.as_deref().unwrap_or("configured")
        ),
        "Give the server a certificate whose key type the client accepts, or enable matching \
         signature schemes on the client (SSL_CTX_set1_sigalgs_list).",
    )
    .with("ClientHello.signature_algorithms", sigalg_names(hello))
    .with_some("local certificate key type", key)
    .with_some("OpenSSL reason", f.reason_text())
}

/// A TLS 1.3 client whose ECDSA schemes are all for other curves than
/// the server key's: in TLS 1.3 each ECDSA scheme names its curve (RFC
/// 8446 section 4.2.3), where TLS 1.2 let any curve sign with any hash.
fn curve_in_tls13(f: &Facts<'_>, hello: &ClientHello, bits: u32) -> Diagnosis {
    let (curve, scheme) = schemes::tls13_ecdsa(bits)
        .map_or((format!("{bits}-bit"), None), |(curve, scheme)| {
            (curve.to_owned(), Some(scheme))
        });
    let fix = match scheme {
        Some(scheme) => format!(
            "Enable {scheme} on the client (SSL_CTX_set1_sigalgs_list), or give the server a \
             certificate on a curve whose scheme the client accepts."
        ),
        None => "Give the server a certificate on P-256, P-384 or P-521, whose TLS 1.3 scheme \
                 the client accepts."
            .to_owned(),
    };
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        Fault::Unknown,
        format!(
            "the client offered TLS 1.3 but accepts only the signature schemes {}: in TLS 1.3 \
             each ECDSA scheme names its curve (RFC 8446 section 4.2.3), and this server's \
             key is on {curve}{}",
            sigalg_names(hello),
            scheme.map_or(String::new(), |s| format!(", which signs only with {s}"))
        ),
        fix,
    )
    .with("ClientHello.signature_algorithms", sigalg_names(hello))
    .with("local certificate key", format!("EC, {bits} bits"))
    .with_some("OpenSSL reason", f.reason_text())
}

/// A TLS 1.3 client whose only RSA schemes are RSASSA-PKCS1-v1_5: TLS
/// 1.3 keeps those for certificates and forbids them in CertificateVerify
/// (RFC 8446 section 4.2.3), so an RSA server has nothing to sign with.
fn pkcs1_in_tls13(f: &Facts<'_>, hello: &ClientHello, key: &str) -> Diagnosis {
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        Fault::Client,
        format!(
            "the client offered TLS 1.3 but accepts only the signature schemes {}: TLS 1.3 \
             keeps RSASSA-PKCS1-v1_5 for certificates and forbids it in the handshake (RFC \
             8446 section 4.2.3), so this server's {key} certificate has none to sign with",
            sigalg_names(hello)
        ),
        "Enable rsa_pss_rsae_* schemes on the client (SSL_CTX_set1_sigalgs_list), or turn TLS \
         1.3 off in it.",
    )
    .with("ClientHello.signature_algorithms", sigalg_names(hello))
    .with("local certificate key type", key)
    .with_some("OpenSSL reason", f.reason_text())
}

/// Schemes the server's key could make, refused all the same: by its
/// security level (OpenSSL 3 forbids SHA-1 signatures from level 1 on) or
/// by its own signature-scheme list.
fn ruled_out(
    f: &Facts<'_>,
    hello: &ClientHello,
    key: Option<String>,
    usable: &[String],
) -> Diagnosis {
    let level = f.local.map_or(0, |l| l.security_level);
    let sha1 = usable.iter().all(|n| n.ends_with("_sha1"));
    let (why, fault, fix) = if sha1 && level >= 1 {
        (
            format!("SHA-1 signatures, which this server's security level {level} forbids"),
            Fault::Client,
            "Enable SHA-256 or stronger signature schemes on the client \
             (SSL_CTX_set1_sigalgs_list); a server allows SHA-1 signatures only at security \
             level 0.",
        )
    } else if let Some(allowed) = allowed_by_level(usable, level) {
        // The level allows some, so this server's own list refused them;
        // it refuses every scheme its key makes if the client offered all.
        let every = usable_by(key.as_deref(), f, hello, level);
        let all = every.iter().all(|n| usable.contains(n));
        let why = format!(
            "this server's security level {level} allows {}, so its own signature-scheme list \
             (SSL_CTX_set1_sigalgs_list) rules them out",
            list(&allowed, SHOWN)
        );
        if all {
            (
                format!(
                    "{why}: it holds no scheme its key can make at this level, so no client can \
                     connect"
                ),
                Fault::Server,
                "Add to this server's signature-scheme list a scheme its key makes (one of \
                 those above), or remove the list to use OpenSSL's defaults.",
            )
        } else {
            (
                why,
                Fault::Unknown,
                "Add to this server's signature-scheme list one of the schemes above, or enable \
                 on the client one the server's list holds for its key.",
            )
        }
    } else {
        (
            format!(
                "this server's security level {level} or its own signature-scheme list rules \
                 them out"
            ),
            Fault::Unknown,
            "Compare the client's signature schemes with the server's own list \
             (SSL_CTX_set1_sigalgs_list) and security level, and enable one both allow.",
        )
    };
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        fault,
        format!(
            "the client accepts only the signature schemes {}; of those this server's {} \
             certificate could make {}: {why}",
            sigalg_names(hello),
            key.as_deref().unwrap_or("configured"),
            list(usable, SHOWN)
        ),
        fix,
    )
    .with("ClientHello.signature_algorithms", sigalg_names(hello))
    .with_some("local certificate key type", key)
    .with("local.security_level", level)
    .with_some("OpenSSL reason", f.reason_text())
}

/// The schemes of `usable` that security level `level` allows, as
/// OpenSSL weighs a signature: by half its digest's bits, SHA-1 counted
/// as 64 (ssl/t1_lib.c, sigalg_security_bits), against the level's
/// minimum (80, 112, 128, 192 and 256 bits for levels 1 to 5). `None`
/// when it allows none, or a scheme's digest is unknown here.
fn allowed_by_level(usable: &[String], level: u32) -> Option<Vec<String>> {
    let minimum = [0, 80, 112, 128, 192, 256][level.min(5) as usize];
    let bits = |n: &str| match n {
        "ed25519" => Some(128),
        "ed448" => Some(224),
        n if n.ends_with("_sha1") => Some(64),
        n if n.ends_with("_sha224") => Some(112),
        n if n.ends_with("_sha256") => Some(128),
        n if n.ends_with("_sha384") => Some(192),
        n if n.ends_with("_sha512") => Some(256),
        _ => None,
    };
    let allowed: Vec<String> = usable
        .iter()
        .filter(|n| bits(n).is_some_and(|b| b >= minimum))
        .cloned()
        .collect();
    (!allowed.is_empty()).then_some(allowed)
}

/// Every registered scheme `key` can make at the version the hello
/// settles on that `level` allows: what a client offering them all leaves
/// a server's own list to refuse.
fn usable_by(key: Option<&str>, f: &Facts<'_>, hello: &ClientHello, level: u32) -> Vec<String> {
    let Some(key) = key else {
        return Vec::new();
    };
    let all: Vec<SignatureScheme> = (0x0201..=0x080b_u16)
        .map(SignatureScheme::new)
        .filter(|s| s.name.is_some())
        .collect();
    let bits = f
        .local
        .and_then(|l| l.certificate.as_ref())
        .map(|c| c.key_bits);
    let tls13 = settled_version(hello, f.local) >= TLS1_3;
    let fit = schemes::fitting(&all, key, bits, tls13);
    allowed_by_level(&fit, level).unwrap_or_default()
}

/// A TLS 1.2 ClientHello without signature_algorithms, which leaves the
/// server SHA-1 alone (RFC 5246, 7.4.1.4.1); OpenSSL 3 forbids SHA-1
/// signatures from security level 1 on.
fn sha1_only(f: &Facts<'_>, key: Option<String>) -> Diagnosis {
    let level = f.local.map(|l| l.security_level);
    let forbids = level.filter(|l| *l >= 1).map_or(String::new(), |l| {
        format!(", which this server's security level {l} forbids")
    });
    Diagnosis::new(
        Cause::NoSharedSignatureScheme,
        if forbids.is_empty() {
            Fault::Unknown
        } else {
            Fault::Client
        },
        format!(
            "the client sent no signature_algorithms extension, so TLS 1.2 leaves this server \
             only SHA-1 signatures{forbids}"
        ),
        "Make the client send signature_algorithms with SHA-256 or better, as current TLS \
         stacks do; a server accepts SHA-1 signatures only at security level 0.",
    )
    .with("ClientHello.signature_algorithms", "absent")
    .with_some("local certificate key type", key)
    .with_some("local.security_level", level)
    .with_some("OpenSSL reason", f.reason_text())
}

pub(super) fn sigalg_names(h: &ClientHello) -> String {
    schemes::names(&h.signature_algorithms)
}

/// Whether the ClientHello's signature schemes include one `key` can make
/// (no extension: the defaults, which every key fits).
pub(super) fn sigalgs_fit(h: &ClientHello, key: &str, tls13: bool) -> bool {
    h.signature_algorithms.is_empty() || !fitting(h, key, None, tls13).is_empty()
}

/// The ClientHello's signature schemes that `key` (of `bits`, when known)
/// can make.
fn fitting(h: &ClientHello, key: &str, bits: Option<u32>, tls13: bool) -> Vec<String> {
    schemes::fitting(&h.signature_algorithms, key, bits, tls13)
}
