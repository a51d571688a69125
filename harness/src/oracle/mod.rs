//! The oracle: what a case must do, worked out from the two endpoint
//! configs, the suites' `SSL_CIPHER` metadata and the library's abilities.
//!
//! It never runs a handshake. Each rule below follows the RFCs and the
//! OpenSSL behaviour it models, names the alert OpenSSL sends and the
//! causes a traced side's diagnosis may give (client / server; "any of"
//! where peers legally show that side different things):
//!
//! | rule | failure | alert (sender) | diagnosis |
//! |------|---------|----------------|-----------|
//! | no common version | client max below server min | protocol_version (server) | no_shared_version (hello_refused where the server says only handshake_failure) / no_shared_version |
//! | no common version | client min above server max | protocol_version (client) | the same |
//! | no shared suite | nothing the server can serve | handshake_failure (server) | hello_refused / no_shared_cipher (none listed by both), _signature_scheme (none its certificate authenticates) or _group (none with a group in common) |
//! | no shared group (TLS 1.3) | no key share possible | handshake_failure (server) | hello_refused / no_shared_group |
//! | client certificate required, none sent | TLS 1.3 | certificate_required (server) | client_cert_required on both |
//! | client certificate required, none sent | TLS 1.2 and older | handshake_failure (server) | client_cert_required on both |
//! | ALPN with no overlap | server refuses | no_application_protocol (server) | alpn_mismatch on both |
//! | SNI names a host the server does not serve | a server that refuses such clients | unrecognized_name (server) | sni_unknown on both (rustls's access_denied too; unknown on the client for another alert) |
//! | wrong SRP password | the client's Finished fails to decrypt | bad_record_mac (server) | record_rejected on both |
//! | client certificate fails verification | the pki's client negative | (server) | client_cert_rejected on both |
//! | server certificate fails verification | the pki's exact `X509_V_ERR_*` | (client) | its server_cert_* on both (on the server, that or server_cert_invalid for a wrong host without SNI, and for an issuer not found when the client's alert is not unknown_ca) |

use openssl_handshake::Cause;

use crate::case::{
    alert, Case, Endpoint, Expectation, Identity, Negative, ResumeKind, Role, SrpPassword, Version,
};
use crate::library::Library;
use crate::matrix::GROUPS;
use crate::peer::capabilities::{Capabilities, EmptyOffer, FailureKind, Feature, SuiteSupport};

mod fit;
mod negotiation;

pub use fit::fit_to_pairing;

use negotiation::{
    causes, effective_server_identity, failure, groups_overlap, negotiated_alpn, negotiated_suite,
    negotiated_version, server_refusal, suite_unsupported, unsupported, usable_range,
};

/// Computes expectations for cases.
pub struct Oracle<'a> {
    library: &'a Library,
    verify_error: &'a dyn Fn(Negative) -> i32,
    /// The linked OpenSSL's own declaration: both sides of the default
    /// matrix.
    linked: Capabilities,
}

/// The declaration of the linked OpenSSL, read from the library: the
/// versions it was built with, its suite catalogue, the matrix's groups
/// it accepts.
pub fn linked_capabilities(library: &Library) -> Capabilities {
    // "OpenSSL 3.0.13 30 Jan 2024" → "inproc OpenSSL 3.0.13".
    let short: Vec<&str> = library.version_text.split_whitespace().take(2).collect();
    let mut caps = Capabilities::new(format!("inproc {}", short.join(" ")));
    caps.versions = Version::ALL
        .into_iter()
        .filter(|v| library.missing(*v).is_none())
        .collect();
    caps.old_versions_need_level0 = library.is_openssl3();
    caps.tls13_needs_certificate = true;
    caps.suites = SuiteSupport::Catalogue;
    caps.empty_offer = EmptyOffer::BareAlert;
    caps.groups = Some(
        GROUPS
            .iter()
            .filter(|g| library.group_known(g))
            .map(|g| g.to_string())
            .collect(),
    );
    if !crate::ffi::SRP_AVAILABLE {
        let why = crate::ffi::SrpError::Unavailable.to_string();
        caps = caps.lack(Role::Client, Feature::Srp, why.clone()).lack(
            Role::Server,
            Feature::Srp,
            why,
        );
    }
    caps
}

/// One side of a pairing as the oracle sees it.
struct Side<'c> {
    role: Role,
    ep: &'c Endpoint,
    caps: &'c Capabilities,
}

impl<'a> Oracle<'a> {
    /// An oracle for `library`. `verify_error` gives the exact verify error
    /// each negative certificate must produce (the pki's
    /// `Negative::expected_verify_error`).
    pub fn new(library: &'a Library, verify_error: &'a dyn Fn(Negative) -> i32) -> Self {
        Oracle {
            library,
            verify_error,
            linked: linked_capabilities(library),
        }
    }

    /// The expectation for `case` with the linked OpenSSL on both sides.
    pub fn expect(&self, case: &Case) -> Expectation {
        self.expect_between(case, &self.linked, &self.linked)
    }

    /// The expectation for `case` between a client and a server that
    /// declare `client` and `server`.
    pub fn expect_between(
        &self,
        case: &Case,
        client: &Capabilities,
        server: &Capabilities,
    ) -> Expectation {
        if self.library.missing(case.version).is_some() {
            let sides = match (
                client.implementation == self.linked.implementation,
                server.implementation == self.linked.implementation,
            ) {
                (true, true) => "client and server",
                (true, false) => "client",
                (false, true) => "server",
                (false, false) => "the harness",
            };
            return unsupported(format!(
                "{sides} ({}): lacks {} (the linked OpenSSL was built without {})",
                self.linked.implementation,
                case.version.display(),
                case.version.openssl_name()
            ));
        }
        if let Some(reason) = case
            .client
            .suites
            .iter()
            .chain(&case.server.suites)
            .find_map(suite_unsupported)
        {
            return unsupported(reason);
        }
        let refusal = client
            .refuses(Role::Client, case)
            .or_else(|| server.refuses(Role::Server, case));
        if let Some(reason) = refusal {
            return unsupported(reason);
        }
        let c = Side {
            role: Role::Client,
            ep: &case.client,
            caps: client,
        };
        let s = Side {
            role: Role::Server,
            ep: &case.server,
            caps: server,
        };

        let (cmin, cmax) = usable_range(&c).unwrap_or(c.ep.version_range());
        // OpenSSL's client refuses to send a ClientHello in which no suite
        // can be used at any version it enables ("no ciphers available").
        if usable_range(&c).is_some()
            && !c.ep.suites.is_empty()
            && !Version::ALL
                .into_iter()
                .filter(|v| (cmin..=cmax).contains(v))
                .any(|v| c.ep.suites.iter().any(|x| c.caps.suite_at(x, v)))
        {
            return failure(
                None,
                None,
                format!(
                    "the client has no suite it can offer from {cmin} to {cmax} (no ciphers available)"
                ),
                // The server sees what the client does instead: OpenSSL
                // sends a bare alert, GnuTLS a hello without suites.
                causes(
                    &[Cause::NoSharedCipher],
                    match client.empty_offer {
                        EmptyOffer::BareAlert => &[Cause::UnexpectedMessage],
                        EmptyOffer::HelloWithoutSuites => &[Cause::MalformedMessage],
                        EmptyOffer::Unknown => &[
                            Cause::MalformedMessage,
                            Cause::UnexpectedMessage,
                            Cause::PeerClosed,
                            Cause::ClosedBeforeHello,
                        ],
                    },
                ),
            );
        }

        let v = match negotiated_version(&c, &s) {
            Ok(v) => v,
            Err(failure) => return failure,
        };

        // OpenSSL's server calls its servername callback once the
        // ClientHello's extensions are parsed, before it picks a suite.
        if let Some(refused) = sni_refusal(case, server) {
            return refused;
        }

        let Some(suite) = negotiated_suite(&c, &s, v) else {
            // The client hears only handshake_failure; the server names
            // the rule that left no suite. A server that fails only after
            // its ServerHello (JSSE without a TLS 1.3 signer) leaves the
            // client's diagnosis nothing to name.
            let late = v == Version::Tls1_3 && server.tls13_signer_after_hello;
            let client_causes: &[Cause] = if late {
                &[Cause::HelloRefused, Cause::Unknown]
            } else {
                &[Cause::HelloRefused]
            };
            return failure(
                Some((Role::Server, alert::HANDSHAKE_FAILURE)),
                None,
                format!("no suite the client offers at {v} can be served by the server"),
                causes(client_causes, &server_refusal(&c, &s, v)),
            );
        };

        if v == Version::Tls1_3 && !groups_overlap(&case.client.groups, &case.server.groups) {
            let description = server
                .alert_for(FailureKind::NoSharedGroup13)
                .unwrap_or(Some(alert::HANDSHAKE_FAILURE));
            // An alert other than handshake_failure at the ClientHello
            // is read as what it says (JSSE's unexpected_message).
            let client: &[Cause] = match description {
                Some(alert::HANDSHAKE_FAILURE) => &[Cause::HelloRefused],
                Some(alert::UNEXPECTED_MESSAGE) => &[Cause::UnexpectedMessage],
                _ => &[],
            };
            return failure(
                description.map(|d| (Role::Server, d)),
                None,
                "no key-exchange group in common".into(),
                causes(client, &[Cause::NoSharedGroup]),
            );
        }

        let certificate_auth = !matches!(suite.au.as_str(), "None" | "PSK" | "SRP");
        if case.client.verify_peer && certificate_auth {
            // A client whose own policy accepts the certificate carries on.
            let refused = match effective_server_identity(&case.client, &case.server) {
                Identity::Negative(n) if c.caps.accepts(n).is_none() => Some(n),
                _ => None,
            };
            if let Some(problem) = refused {
                let named = server_cert_cause(problem);
                // A client that reports nothing of its own (a user's
                // command) is judged by what the server heard.
                let opaque = c.caps.verify_unreported;
                // Only unknown_ca tells the server that no issuer was found.
                let issuer_unknown_said = c
                    .caps
                    .alert_for(FailureKind::ServerIssuerUnknown)
                    .is_none_or(|a| a == Some(alert::UNKNOWN_CA));
                // The server hears only an alert and reads the rest from
                // its own certificate and the chain it sent; the name the
                // client checked it knows only from SNI, and another alert
                // than unknown_ca (GnuTLS's bare bad_certificate) does not
                // say whether the root or an intermediate was missing.
                let widened = opaque
                    || (problem == Negative::WrongHost && case.client.sni.is_none())
                    || (matches!(
                        problem,
                        Negative::UntrustedRoot | Negative::MissingIntermediate
                    ) && !issuer_unknown_said);
                let named_or_invalid = [named, Cause::ServerCertInvalid];
                return failure(
                    None,
                    (!opaque).then(|| (self.verify_error)(problem)),
                    format!(
                        "the server's certificate is {} and the client verifies it",
                        problem.name()
                    ),
                    causes(
                        &[named],
                        if widened {
                            &named_or_invalid
                        } else {
                            std::slice::from_ref(&named)
                        },
                    ),
                );
            }
        }

        // A client certificate the server verifies and refuses; none checks
        // a name in it.
        // A client certificate the client does not present (JSSE's picks
        // one issued under a CA the server names) is no certificate.
        let client_identity = match case.client.identity {
            Identity::Negative(n) if c.caps.withholds(n).is_some() => Identity::None,
            id => id,
        };
        if case.server.verify_peer && certificate_auth {
            let refused = match client_identity {
                Identity::Negative(n)
                    if n != Negative::WrongHost && s.caps.server_accepts(n).is_none() =>
                {
                    Some(n)
                }
                _ => None,
            };
            if let Some(problem) = refused {
                // The alert differs by server (OpenSSL names the verify
                // error, GnuTLS says access_denied); both sides name it.
                return failure(
                    None,
                    None,
                    format!(
                        "the client's certificate is {} and the server verifies it",
                        problem.name()
                    ),
                    causes(&[Cause::ClientCertRejected], &[Cause::ClientCertRejected]),
                );
            }
        }

        // OpenSSL only asks for a client certificate when the suite
        // authenticates the server with one (RFC 5246, section 7.4.4).
        if case.server.verify_peer && certificate_auth && client_identity == Identity::None {
            let description = if v == Version::Tls1_3 {
                server
                    .alert_for(FailureKind::MissingClientCertificate13)
                    .unwrap_or(Some(alert::CERTIFICATE_REQUIRED))
            } else {
                server
                    .alert_for(FailureKind::MissingClientCertificate12)
                    .unwrap_or(Some(alert::HANDSHAKE_FAILURE))
            };
            return failure(
                description.map(|d| (Role::Server, d)),
                None,
                "the server requires a client certificate and the client has none".into(),
                causes(&[Cause::ClientCertRequired], &[Cause::ClientCertRequired]),
            );
        }

        let alpn = match negotiated_alpn(&case.client.alpn, &case.server.alpn, server.alpn_order) {
            Ok(p) => p,
            Err(()) => {
                return failure(
                    Some((Role::Server, alert::NO_APPLICATION_PROTOCOL)),
                    None,
                    "no ALPN protocol in common".into(),
                    causes(&[Cause::AlpnMismatch], &[Cause::AlpnMismatch]),
                )
            }
        };

        // A wrong SRP password gives the client other keys than the
        // server's, which the server finds out when the client's Finished
        // fails to decrypt.
        if suite.needs_srp() && case.client.srp == Some(SrpPassword::Wrong) {
            let description = server
                .alert_for(FailureKind::SrpWrongPassword)
                .unwrap_or(Some(alert::BAD_RECORD_MAC));
            return failure(
                description.map(|d| (Role::Server, d)),
                None,
                "the client's SRP password is not the one the server's verifier was made from"
                    .into(),
                causes(&[Cause::RecordRejected], &[Cause::RecordRejected]),
            );
        }

        let group = match (case.client.groups.as_slice(), case.server.groups.as_slice()) {
            ([c], [s]) if c == s && (v == Version::Tls1_3 || suite.needs_ec_group()) => {
                Some(c.clone())
            }
            _ => None,
        };

        let resumed = case.resume.map(|kind| match (kind, v) {
            (_, Version::Tls1_3) => ResumeKind::Tls13Psk,
            (ResumeKind::Tls13Psk, _) => ResumeKind::Ticket,
            (k, _) => k,
        });

        Expectation::Success {
            version: v,
            suite: suite.name.clone(),
            group,
            alpn,
            sni: case.client.sni.clone(),
            resumed,
        }
    }
}

/// A server that refuses clients asking for a name it does not serve,
/// and a client that asks for one: the server ends the handshake at the
/// ClientHello, before any certificate.
fn sni_refusal(case: &Case, server: &Capabilities) -> Option<Expectation> {
    let (asked, served) = (case.client.sni.as_ref()?, case.server.sni.as_ref()?);
    if !case.server.sni_fatal || asked.eq_ignore_ascii_case(served) {
        return None;
    }
    let description = server
        .alert_for(FailureKind::SniUnknown)
        .unwrap_or(Some(alert::UNRECOGNIZED_NAME));
    // unrecognized_name says why; so, most likely, does access_denied
    // before any ServerHello to a hello that named a server (rustls's
    // answer), which the diagnosis reads so. Another alert it can't name.
    let named = [Some(alert::UNRECOGNIZED_NAME), Some(alert::ACCESS_DENIED)];
    let client: &[Cause] = if named.contains(&description) {
        &[Cause::SniUnknown]
    } else {
        &[Cause::Unknown]
    };
    Some(failure(
        description.map(|d| (Role::Server, d)),
        None,
        format!("the client asks for {asked} (SNI) and the server serves only {served}"),
        causes(client, &[Cause::SniUnknown]),
    ))
}

/// What a client's diagnosis names when it refuses a server certificate
/// with `problem`.
fn server_cert_cause(problem: Negative) -> Cause {
    match problem {
        Negative::Expired | Negative::ExpiredIntermediate => Cause::ServerCertExpired,
        Negative::NotYetValid => Cause::ServerCertNotYetValid,
        Negative::WrongHost => Cause::ServerCertWrongHost,
        Negative::SelfSigned => Cause::ServerCertSelfSigned,
        Negative::UntrustedRoot => Cause::ServerCertUntrustedRoot,
        Negative::MissingIntermediate => Cause::ServerCertMissingIntermediate,
        Negative::WrongPurpose => Cause::ServerCertWrongPurpose,
        Negative::WeakKey | Negative::Sha1Signature => Cause::ServerCertWeak,
    }
}

#[cfg(test)]
mod tests;
