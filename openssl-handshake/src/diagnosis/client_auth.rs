//! Causes about the client's certificate: required but not sent, or sent
//! and rejected.

use crate::decode::Certificate;
use crate::event::Side;
use crate::version::ProtocolVersion;

use super::cert_policy::{self, Holder};
use super::certificate::{
    chain_error, leaf_alone, missing_intermediate, self_issued, self_signed, top_issuer,
    untrusted_root,
};
use super::facts::{alert, alert_name, alert_text, Facts};
use super::schemes;
use super::validity::{
    first_out_of_date, out_of_date, with_dates_too, CERT_HAS_EXPIRED, CERT_NOT_YET_VALID,
};
use super::{Cause, Diagnosis, Fault};

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    match f.side {
        Side::Server => server_view(f),
        Side::Client => client_view(f),
    }
}

fn server_view(f: &Facts<'_>) -> Option<Diagnosis> {
    let sent_certs = f.client_certificate.map(|c| c.subjects.len());
    if f.reason_has(&["peer did not return a certificate"])
        || f.sent_alert(alert::CERTIFICATE_REQUIRED)
    {
        let sent = if sent_certs.is_some() {
            "an empty Certificate message"
        } else {
            "none"
        };
        let d = match narrowed_request(f) {
            // The client may hold a certificate this server's own list
            // kept it from sending.
            Some(left_out) => Diagnosis::new(
                Cause::ClientCertRequired,
                Fault::Unknown,
                format!(
                    "this server requires a client certificate and the client sent {sent}; \
                     this server's CertificateRequest allows no signature scheme for {} keys, \
                     so a client holding such a certificate sends none",
                    left_out.join(", ")
                ),
                "If the client has a certificate, add a scheme its key makes to this server's \
                 client signature algorithms (SSL_CTX_set1_client_sigalgs_list) or reissue it \
                 with a key the list allows; if it has none, configure it with one.",
            ),
            None => required(format!(
                "this server requires a client certificate and the client sent {sent}"
            )),
        };
        return Some(
            d.with_some(
                "local.require_peer_cert",
                f.local.map(|l| l.require_peer_cert),
            )
            .with_some("client Certificate entries", sent_certs)
            // A client holding a certificate sends none whose key makes
            // none of these (OpenSSL's does so).
            .with_some(
                "CertificateRequest.signature_algorithms",
                f.certificate_request
                    .map(|r| schemes::names(&r.signature_algorithms)),
            )
            .with_raw(f),
        );
    }
    // TLS 1.2 lets an ECDSA client key only on a curve the server allows
    // as a group (RFC 8422, 5.6); OpenSSL checks it at CertificateVerify.
    if sent_certs.is_some_and(|n| n > 0) && f.reason_has(&["wrong curve"]) {
        return Some(
            Diagnosis::new(
                Cause::ClientCertRejected,
                Fault::Unknown,
                "the client's certificate key is on an elliptic curve this server does not \
                 allow as a group, which TLS 1.2 requires of an ECDSA client key"
                    .to_owned(),
                "Add the curve of the client's key to this server's groups \
                 (SSL_CTX_set1_groups_list), or give the client a certificate on a curve the \
                 server allows; TLS 1.3 has no such rule."
                    .to_owned(),
            )
            .with_chain_named("client Certificate", f.client_certificate)
            .with_raw(f),
        );
    }
    let rejected_by_verify = f.verify.is_some_and(|v| !v.is_ok());
    let rejected_by_alert = sent_certs.is_some_and(|n| n > 0)
        && f.sent
            .is_some_and(|a| alert::ABOUT_A_CERTIFICATE.contains(&a.description));
    if !rejected_by_verify && !rejected_by_alert {
        return None;
    }
    let why = f
        .verify
        .map(|v| v.text.clone())
        .or_else(|| f.sent.map(alert_name))
        .unwrap_or_default();
    let subject = f
        .client_certificate
        .and_then(|c| c.subjects.first())
        .map_or("its certificate".to_owned(), |s| format!("[{s}]"));
    // A certificate out of date, a chain that leads to no root this server
    // trusts, or a key, digest or purpose its policy refuses, is named as
    // such.
    let policy = f.verify.and_then(|v| match v.code {
        CERT_NOT_YET_VALID | CERT_HAS_EXPIRED => Some(out_of_date(
            f.client_certificate,
            v.code == CERT_HAS_EXPIRED,
            Holder::Client,
        )),
        // Another error than the dates: the leaf's dates, if out too,
        // would fail next.
        code => chain_error(code, f.client_certificate, Holder::Client)
            .or_else(|| cert_policy::verify_error_in(f, code, Holder::Client))
            .map(|d| with_dates_too(d, f.client_certificate, Holder::Client)),
    });
    let d = policy.unwrap_or_else(|| {
        Diagnosis::new(
            Cause::ClientCertRejected,
            Fault::Client,
            format!("the client sent {subject} and this server rejected it: {why}"),
            format!(
                "Give the client a certificate this server's trust store accepts (the problem: \
                 {why}), or add its issuing CA to the server's client-CA store."
            ),
        )
    });
    Some(
        d.with_some(
            "verify result",
            f.verify.map(|v| format!("{} ({})", v.code, v.text)),
        )
        .with_chain_named("client Certificate", f.client_certificate)
        .with_some("alert sent", f.sent.map(alert_text)),
    )
}

fn client_view(f: &Facts<'_>) -> Option<Diagnosis> {
    let received = f.received?;
    if let Some(d) = curve_refused(f, received) {
        return Some(d);
    }
    let requested = f.certificate_request.is_some();
    let sent_certs = f.client_certificate.map(|c| c.subjects.len());
    let empty = requested && sent_certs.is_none_or(|n| n == 0);
    let description = received.description;
    // Servers name a missing certificate differently: certificate_required
    // (TLS 1.3), handshake_failure (OpenSSL, TLS 1.2), decode_error (GnuTLS,
    // TLS 1.2, though the empty list is well formed); and an alert about a
    // certificate, when this client sent an empty list, can only be about
    // the missing one.
    let answered_empty_list = requested
        && sent_certs == Some(0)
        && (description == alert::DECODE_ERROR
            || alert::ABOUT_A_CERTIFICATE.contains(&description));
    if description == alert::CERTIFICATE_REQUIRED
        || (empty && description == alert::HANDSHAKE_FAILURE)
        || answered_empty_list
    {
        if let Some(d) = unusable_certificate(f) {
            return Some(d.with("alert received", alert_text(received)));
        }
        let answer = if description == alert::CERTIFICATE_REQUIRED {
            String::new()
        } else {
            format!(" (the server's answer: {})", alert_name(received))
        };
        return Some(
            required(format!(
                "the server requires a client certificate and this client sent {}{answer}",
                if sent_certs.is_some() {
                    "an empty Certificate message"
                } else {
                    "none"
                }
            ))
            .with("CertificateRequest read", requested)
            .with_some("client Certificate entries", sent_certs)
            .with("alert received", alert_text(received)),
        );
    }
    let sent = f.client_certificate;
    let own = f.local.and_then(|l| l.certificate.as_ref());
    let own_refused = || own.and_then(|c| cert_policy::own_refused(c, Holder::Client, description));
    let with_evidence = |d: Diagnosis| {
        d.with("alert received", alert_text(received))
            .with_chain(sent)
    };
    // A server that will not verify a signature made with this client's
    // key, or on its certificate, may say so with decrypt_error (rustls
    // does, for an RSA key under 2048 bits and for a SHA-1 signature).
    if sent_certs.is_some_and(|n| n > 0) && description == alert::DECRYPT_ERROR {
        if let Some(d) = own_refused() {
            return Some(with_evidence(d));
        }
    }
    // access_denied: the server read the certificate and turned it away
    // (RFC 8446 section 6.2); GnuTLS says so for one that fails its checks.
    let denied = description == alert::ACCESS_DENIED;
    if sent_certs.is_some_and(|n| n > 0)
        && (alert::ABOUT_A_CERTIFICATE.contains(&description) || denied)
        && f.verify.is_none_or(|v| v.is_ok())
    {
        let subject = f
            .client_certificate
            .and_then(|c| c.subjects.first())
            .map_or(String::new(), |s| format!(" [{s}]"));
        // What any server refuses in what this client sent, a certificate
        // out of date or a self-signed leaf, else what servers' policies
        // refuse in its own leaf: its purpose, key or signature.
        let refused = sent
            .filter(|c| first_out_of_date(c).is_some())
            .map(|c| out_of_date(Some(c), true, Holder::Client))
            .or_else(|| {
                sent.filter(|c| c.subjects.len() == 1 && self_issued(Some(c), 0))
                    .map(|_| self_signed(Holder::Client))
            })
            .or_else(|| {
                // The CAs the server asked for tell an intermediate left
                // out from a CA it never accepted, which the verify error
                // alone cannot.
                issuer_unknown(sent, description).map(|d| Diagnosis {
                    summary: format!("{}{}", d.summary, named_authorities(f, sent)),
                    ..d
                })
            })
            .or_else(own_refused);
        if let Some(d) = refused {
            return Some(with_evidence(d));
        }
        // Nothing this end checked explains it: the chain it sent is in
        // date and not a lone self-signed leaf, and its own certificate's
        // key and signature are ones servers take (its purpose is checked
        // above only for unsupported_certificate).
        let own_purpose = match own {
            Some(c) if !c.tls_client_use => {
                "; its certificate is not marked for TLS client authentication (clientAuth), \
                 which some servers require"
            }
            _ => "",
        };
        let (summary, fix) = match description {
            alert::CERTIFICATE_REVOKED => (
                "the server says it is revoked: it checked a CRL or OCSP answer this end \
                 cannot see"
                    .to_owned(),
                "Ask the certificate's CA whether it was revoked, and use a current one.",
            ),
            alert::CERTIFICATE_EXPIRED => (
                "the server says it expired, while by this end's clock the chain it sent is \
                 in date: one of the two clocks is most likely wrong"
                    .to_owned(),
                "Check the server's clock (and this end's) against a time source.",
            ),
            _ => (
                format!(
                    "the chain it sent is in date, so the server most likely does not trust \
                     its issuer{own_purpose}{}",
                    named_authorities(f, sent)
                ),
                "Check that the server trusts the CA that issued this client's certificate \
                 (and admits its identity); else use one issued by a CA the server trusts. The \
                 server's log names the verify error.",
            ),
        };
        return Some(
            Diagnosis::new(
                Cause::ClientCertRejected,
                Fault::Unknown,
                format!(
                    "the server rejected this client's certificate{subject}: {}{}; {summary}",
                    alert_name(received),
                    if denied {
                        " (its verification or access control turned the certificate away)"
                    } else {
                        ""
                    }
                ),
                fix,
            )
            .with("alert received", alert_text(received))
            .with("CertificateRequest read", requested),
        );
    }
    None
}

/// The CAs the server's CertificateRequest names as those it accepts,
/// against the top of the chain this client sent: where to look when the
/// server does not trust its issuer. Empty when the request named none.
fn named_authorities(f: &Facts<'_>, sent: Option<&Certificate>) -> String {
    let Some(cas) = f
        .certificate_request
        .map(|r| &r.certificate_authorities)
        .filter(|c| !c.is_empty())
    else {
        return String::new();
    };
    // Followed from the leaf: a certificate sent beside the chain, not
    // part of it, must not be named as its top.
    let top = sent.and_then(top_issuer).map_or(String::new(), |i| {
        format!("; this client's chain goes up to {i}")
    });
    format!(
        "; the server's CertificateRequest names the CAs it accepts: {}{top}",
        super::facts::list(cas, 4)
    )
}

/// A server that found no trusted issuer for what this client sent
/// (unknown_ca from OpenSSL, access_denied from GnuTLS): a leaf sent
/// alone lacks its intermediate, a chain that ends at a self-issued
/// certificate ends at a root the server does not trust.
fn issuer_unknown(sent: Option<&Certificate>, description: u8) -> Option<Diagnosis> {
    if ![alert::UNKNOWN_CA, alert::ACCESS_DENIED].contains(&description) {
        return None;
    }
    let c = sent?;
    if leaf_alone(c) && !self_issued(sent, 0) {
        return Some(missing_intermediate(sent, Holder::Client));
    }
    let last = c.subjects.len().checked_sub(1)?;
    self_issued(sent, last).then(|| untrusted_root(sent, Holder::Client))
}

/// This client has a certificate and sent none: OpenSSL's client sends
/// one only when the server's CertificateRequest allows a signature
/// scheme its key can make, and before TLS 1.3 its certificate type.
fn unusable_certificate(f: &Facts<'_>) -> Option<Diagnosis> {
    let own = f.local?.certificate.as_ref()?;
    let request = f.certificate_request?;
    let key = own.key_type.as_str();
    let tls13 = f
        .trace
        .negotiated
        .as_ref()
        .is_some_and(|n| n.version == ProtocolVersion::Tls1_3);
    let schemes = &request.signature_algorithms;
    let why = if !schemes.is_empty()
        && schemes::fitting(schemes, key, Some(own.key_bits), tls13).is_empty()
    {
        format!(
            "the server's CertificateRequest accepts only the signature schemes {}, none of \
             which this client's {key} key can make",
            schemes::names(schemes)
        )
    } else if !request.certificate_types.is_empty()
        && !request.certificate_types.contains(&certificate_type(key))
    {
        format!(
            "the server's CertificateRequest accepts only the certificate types {:?} (RFC 5246 \
             section 7.4.4), not this client's {key} key's ({})",
            request.certificate_types,
            certificate_type(key)
        )
    } else {
        return None;
    };
    Some(
        Diagnosis::new(
            Cause::ClientCertRequired,
            Fault::Unknown,
            format!(
                "the server requires a client certificate and this client has one, but sent an \
                 empty Certificate message: {why}, so OpenSSL's client sent none"
            ),
            "Give the client a certificate whose key the server's CertificateRequest allows, or \
             widen what the server asks for (SSL_CTX_set1_client_sigalgs_list).",
        )
        .with(
            "CertificateRequest.signature_algorithms",
            schemes::names(schemes),
        )
        .with("local certificate key type", key),
    )
}

/// The TLS 1.2 ClientCertificateType a key signs as: rsa_sign (1),
/// dss_sign (2), or ecdsa_sign (64), which RFC 8422 also gives EdDSA.
fn certificate_type(key: &str) -> u8 {
    match key {
        "RSA" | "RSA-PSS" => 1,
        "DSA" => 2,
        _ => 64,
    }
}

/// The client's side of the server's "wrong curve": at TLS 1.2 a server
/// takes an ECDSA client key only on a curve among its groups (RFC 8422
/// section 5.6), and OpenSSL's answers illegal_parameter to the client's
/// flight. The server never says which groups it allows, so this is the
/// likeliest reading, not a certainty.
fn curve_refused(f: &Facts<'_>, received: &crate::alert::Alert) -> Option<Diagnosis> {
    let own = f.local?.certificate.as_ref()?;
    let tls12 = f.server_hello.is_some_and(|s| {
        s.selected_version.is_none() && s.legacy_version == super::version::TLS1_2
    });
    let after_flight = f
        .trace
        .last_handshake_message()
        .is_some_and(|m| m.direction == crate::event::Direction::Write);
    if received.description != alert::ILLEGAL_PARAMETER
        || own.key_type != "EC"
        || !tls12
        || !after_flight
        || !f.saw(
            crate::event::Direction::Write,
            crate::decode::HandshakeType::CERTIFICATE_VERIFY,
        )
    {
        return None;
    }
    let curve = match own.key_bits {
        256 => "P-256".to_owned(),
        384 => "P-384".to_owned(),
        521 => "P-521".to_owned(),
        bits => format!("a {bits}-bit curve"),
    };
    Some(
        Diagnosis::new(
            Cause::ClientCertRejected,
            Fault::Unknown,
            format!(
                "the server refused this client's flight with illegal_parameter after its \
                 CertificateVerify: most likely its ECDSA key ({curve}) is on a curve the server \
                 does not allow as a group, which TLS 1.2 requires of an ECDSA client key (the \
                 server's log says \"wrong curve\" then)"
            ),
            "Give the client a certificate on a curve the server allows (P-256 is the common \
             one), add the curve to the server's groups (SSL_CTX_set1_groups_list), or use \
             TLS 1.3, which has no such rule.",
        )
        .with("alert received", alert_text(received))
        .with("local.certificate key", format!("EC {curve}")),
    )
}

/// The key kinds this server's CertificateRequest left without a
/// signature scheme, when it left any.
fn narrowed_request(f: &Facts<'_>) -> Option<Vec<&'static str>> {
    let request = f.certificate_request?;
    let tls13 = f
        .server_hello
        .is_some_and(|s| s.selected_version == Some(super::version::TLS1_3));
    let left_out = schemes::kinds_left_out(&request.signature_algorithms, tls13);
    // Lists without Ed25519 or P-384 are common hardening (FIPS builds);
    // one without RSA or P-256 turns away the certificates most clients
    // hold.
    let common = left_out.iter().any(|k| ["RSA", "ECDSA P-256"].contains(k));
    common.then_some(left_out)
}

fn required(summary: String) -> Diagnosis {
    Diagnosis::new(
        Cause::ClientCertRequired,
        Fault::Client,
        summary,
        "Configure the client with a certificate and key the server trusts (e.g. \
         `openssl s_client -cert ... -key ...`), or stop requiring one on the server.",
    )
}
