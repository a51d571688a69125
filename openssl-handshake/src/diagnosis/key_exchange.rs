//! A key exchange the client will not go through with: DHE with a prime
//! shorter than its security level allows (the Logjam-era 1024-bit
//! parameters, "dh key too small"), or RSA key transport to a
//! certificate whose keyUsage forbids encryption, which GnuTLS refuses
//! and OpenSSL's own server still picks.

use crate::decode::{Body, HandshakeType, KeyExchangeKind, ServerKeyExchange};
use crate::event::{Direction, Message, Side};

use super::facts::{alert, alert_name, alert_text, Facts};
use super::{Cause, Diagnosis, Fault};

/// The shortest DH prime OpenSSL's security level 2 accepts: most
/// distributions' default, and OpenSSL's own from 3.2.
const COMMON_MIN_DH_BITS: u32 = 2048;

/// The fix for a prime shorter than `min_bits`: the smallest RFC 7919
/// group that long, where there is one.
fn fix(min_bits: u32) -> String {
    let group = [2048, 3072, 4096, 6144, 8192]
        .into_iter()
        .find(|g| *g >= min_bits)
        .map_or_else(
            || "no RFC 7919 group is that long".to_owned(),
            |g| format!("an RFC 7919 group such as ffdhe{g}, or SSL_CTX_set_dh_auto"),
        );
    format!(
        "Give the server DH parameters of {min_bits} bits or more ({group}), or have it prefer \
         ECDHE suites. Lowering the client's security level (@SECLEVEL) would accept them, but \
         also weaker keys and suites on every connection."
    )
}

/// A TLS 1.2 server that signed its key exchange with an ECDSA
/// certificate on a curve this client did not offer: RFC 8422 (section
/// 5.1) lets a server use such a certificate only on an offered curve,
/// and OpenSSL's client refuses it ("wrong curve", illegal_parameter).
/// The message parses, so it is no malformed message.
pub(super) fn unoffered_certificate_curve(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Client || !f.reason_has(&["wrong curve"]) {
        return None;
    }
    let leaf = f.trace.negotiated.as_ref()?.peer_chain.first()?;
    let curve = leaf.curve.as_deref()?;
    // OpenSSL names the certificate's curve; the ClientHello, IANA.
    let iana = match curve {
        "prime256v1" => "secp256r1",
        other => other,
    };
    let offered: Vec<String> = f
        .client_hello?
        .supported_groups
        .iter()
        .map(|g| g.name.clone().unwrap_or_else(|| format!("0x{:04x}", g.id)))
        .collect();
    // OpenSSL says "wrong curve" at TLS 1.3 too, for a signature scheme
    // that names another curve than the certificate's: not this rule.
    let tls12 = f.server_hello.is_some_and(|s| {
        s.selected_version.is_none() && s.legacy_version == super::version::TLS1_2
    });
    if !tls12 || offered.iter().any(|g| g == iana) {
        return None;
    }
    let mut d = Diagnosis::new(
        Cause::NoSharedGroup,
        Fault::Server,
        format!(
            "the server signed its key exchange with an ECDSA certificate on {iana}, a curve this \
             client did not offer (it offered {}): TLS 1.2 lets a server use an ECDSA \
             certificate only on a curve the client offers (RFC 8422, section 5.1), so this \
             client refused it",
            offered.join(", ")
        ),
        format!(
            "Offer {iana} in the client's groups (s_client -groups, SSL_CTX_set1_groups_list), or \
             give the server a certificate on a curve the client offers; a server should refuse \
             such a client rather than sign on another curve (GnuTLS does not)."
        ),
    )
    .with_some("OpenSSL reason", f.reason_text())
    .with("server certificate key", format!("EC {curve}"))
    .with("ClientHello.supported_groups", offered.join(", "));
    if let Some(a) = f.sent {
        d = d.with("alert sent", alert_text(a));
    }
    Some(d)
}

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    weak_dh(f)
        .or_else(|| rsa_without_key_encipherment(f))
        .or_else(|| signing_without_digital_signature(f))
}

/// The mirror of [`rsa_without_key_encipherment`]: the server signed its
/// handshake (a TLS 1.3 CertificateVerify, a TLS 1.2 ServerKeyExchange)
/// with a certificate whose keyUsage does not allow digitalSignature,
/// which GnuTLS refuses and OpenSSL's own server does anyway.
fn signing_without_digital_signature(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Server {
        return None;
    }
    let usages = f.local?.certificate.as_ref()?.key_usage.as_ref()?;
    if usages.iter().any(|u| u == "Digital Signature") {
        return None;
    }
    let signed = f.trace.messages().find_map(|m| {
        let t = m.handshake_type?;
        let signing = [
            HandshakeType::CERTIFICATE_VERIFY,
            HandshakeType::SERVER_KEY_EXCHANGE,
        ];
        (m.direction == Direction::Write && signing.contains(&t)).then_some(t)
    })?;
    refused_for_usage(
        f,
        usages,
        format!(
            "this server signed its {} with its certificate's key, but the certificate's \
             keyUsage ({}) does not allow signing (digitalSignature)",
            signed.name().unwrap_or("handshake"),
            usages.join(", ")
        ),
        "Reissue the certificate with keyUsage digitalSignature, which TLS 1.3 and the ECDHE \
         and DHE suites need.",
    )
}

/// A client that refused the handshake, before a message of its own after
/// its hello, from a server that used its key as its certificate's
/// keyUsage does not allow (`what`).
fn refused_for_usage(
    f: &Facts<'_>,
    usages: &[String],
    what: String,
    fix: &str,
) -> Option<Diagnosis> {
    let a = f.received?;
    if !client_stopped_after_hello(f) {
        return None;
    }
    Some(
        Diagnosis::new(
            Cause::ServerCertWrongPurpose,
            Fault::Server,
            format!(
                "{what}; the client then ended the handshake ({})",
                alert_name(a)
            ),
            fix,
        )
        .with("local certificate key usage", usages.join(", "))
        .with("alert received", alert_text(a)),
    )
}

/// TLS 1.2 RSA key transport encrypts the premaster secret to the
/// certificate's key, which keyUsage must then allow (RFC 5246 section
/// 7.4.2: keyEncipherment). OpenSSL's server picks such a suite anyway.
fn rsa_without_key_encipherment(f: &Facts<'_>) -> Option<Diagnosis> {
    if f.side != Side::Server {
        return None;
    }
    let suite = f.server_hello?.cipher_suite.name.as_deref()?;
    let usages = f.local?.certificate.as_ref()?.key_usage.as_ref()?;
    if !suite.starts_with("TLS_RSA_WITH_") || usages.iter().any(|u| u == "Key Encipherment") {
        return None;
    }
    refused_for_usage(
        f,
        usages,
        format!(
            "this server chose {suite}, RSA key transport, which encrypts to its certificate's \
             key, but the certificate's keyUsage ({}) does not allow encryption (RFC 5246 \
             section 7.4.2 requires keyEncipherment)",
            usages.join(", ")
        ),
        "Prefer ECDHE suites, which need only digitalSignature, and drop the RSA key-transport \
         suites (TLS_RSA_WITH_*), or reissue the certificate with keyUsage keyEncipherment as \
         well.",
    )
}

fn weak_dh(f: &Facts<'_>) -> Option<Diagnosis> {
    let ske = dhe_parameters(f)?;
    let bits = ske.dh_bits?;
    match f.side {
        Side::Client if f.reason_has(&["dh key too small"]) => {
            let min = f.local.map_or(COMMON_MIN_DH_BITS, |l| {
                min_dh_bits(l.security_level).max(COMMON_MIN_DH_BITS)
            });
            let needs = f.local.map_or_else(
                || "this client's security level requires more".to_owned(),
                |l| {
                    format!(
                        "this client's security level {} requires at least {}",
                        l.security_level,
                        min_dh_bits(l.security_level)
                    )
                },
            );
            Some(
                Diagnosis::new(
                    Cause::WeakDhParameters,
                    Fault::Server,
                    format!("the server chose DHE with a {bits}-bit prime; {needs}"),
                    fix(min),
                )
                .with("ServerKeyExchange.dh_bits", bits)
                .with_raw(f),
            )
        }
        // The client refused the handshake as soon as it had read these
        // parameters: before its ClientKeyExchange, with no other cause in
        // sight.
        Side::Server if bits < COMMON_MIN_DH_BITS && refused_after_key_exchange(f) => {
            let a = f.received?;
            Some(
                Diagnosis::new(
                    Cause::WeakDhParameters,
                    Fault::Server,
                    format!(
                        "the client refused the handshake ({}) right after this server's DHE \
                         parameters, a {bits}-bit prime; clients at OpenSSL security level 2 \
                         or above (most distributions' default, and OpenSSL's own from 3.2) \
                         refuse primes under {COMMON_MIN_DH_BITS} bits",
                        alert_name(a)
                    ),
                    fix(COMMON_MIN_DH_BITS),
                )
                .with("ServerKeyExchange.dh_bits", bits)
                .with("alert received", alert_text(a)),
            )
        }
        _ => None,
    }
}

/// The DH prime bits each security level requires
/// (SSL_CTX_set_security_level(3): the same as for RSA keys).
fn min_dh_bits(level: u32) -> u32 {
    match level {
        0 => 0,
        1 => 1024,
        2 => 2048,
        3 => 3072,
        4 => 7680,
        _ => 15360,
    }
}

/// The server's DHE parameters, if this handshake had any.
fn dhe_parameters<'a>(f: &Facts<'a>) -> Option<&'a ServerKeyExchange> {
    f.trace.messages().find_map(|m| match m.body.as_ref()? {
        Body::ServerKeyExchange(s) if s.kind == KeyExchangeKind::Dhe => Some(s),
        _ => None,
    })
}

/// Whether the client answered the server's flight with a fatal
/// handshake_failure or insufficient_security, and nothing else.
fn refused_after_key_exchange(f: &Facts<'_>) -> bool {
    let refusal = f.received.is_some_and(|a| {
        matches!(
            a.description,
            alert::HANDSHAKE_FAILURE | alert::INSUFFICIENT_SECURITY
        )
    });
    refusal && client_stopped_after_hello(f)
}

/// Whether the client sent no handshake message after its ClientHello.
fn client_stopped_after_hello(f: &Facts<'_>) -> bool {
    !f.trace
        .messages()
        .any(|m| m.direction == Direction::Read && after_hello(m))
}

/// A client's handshake message after its ClientHello: Certificate,
/// ClientKeyExchange, CertificateVerify or Finished.
fn after_hello(m: &Message) -> bool {
    m.handshake_type.is_some() && !matches!(m.body, Some(Body::ClientHello(_)))
}
