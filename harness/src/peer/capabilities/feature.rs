//! The features a case may need of one side, which a declaration can
//! say its implementation lacks in one role.

use serde::{Deserialize, Serialize};

use crate::case::{Case, Identity, KeyKind, Negative, Role, Version};
use crate::matrix::HOST;

/// Features a case may need of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Server: switch to another certificate on SNI.
    SniSwitch,
    /// Server: refuse a client that asks for a name it does not serve.
    SniRefusal,
    /// Client: send an SNI name other than the host it connects to.
    SniName,
    /// Server: refuse a client with no ALPN protocol in common.
    AlpnRefusal,
    /// Client: present a certificate that fails verification.
    NegativeClientCertificate,
    /// Client: end the handshake when the server's certificate fails
    /// verification.
    RefuseServerCertificate,
    /// A PSK key exchange that also uses (EC)DHE.
    EphemeralPsk,
    /// Plain pre-shared keys at all.
    Psk,
    /// SRP logins (RFC 5054): a client's user and password, a server's
    /// verifier.
    Srp,
    /// Anonymous (unauthenticated) suites.
    Anonymous,
    /// Resuming a session on a second connection.
    Resumption,
    /// Server, TLS 1.2: issuing session tickets (RFC 5077).
    SessionTickets,
    /// Requesting or sending a client certificate.
    ClientCertificate,
    /// Sign with an RSA key of 1024 bits (the weak-key negative: the
    /// server's, or the client's).
    WeakKey,
    /// Server: refusing, below TLS 1.2, the ECDSA suites an Ed25519
    /// certificate can't sign for (EdDSA needs TLS 1.2's
    /// signature_algorithms, RFC 8422 section 5.1).
    Ed25519BelowTls12,
    /// ALPN at all.
    Alpn,
    /// SNI at all.
    Sni,
    /// Limiting its key-exchange groups to the case's.
    GroupChoice,
    /// Running at the security level the case sets for it, where the
    /// case depends on it: versions below TLS 1.2 (OpenSSL 3 allows them
    /// only at level 0), loading a weak credential of its own, or refusing
    /// the peer's for its strength.
    SecurityLevel,
    /// Limiting its suites to the case's, where the two ends list none in
    /// common at a version both allow.
    SuiteChoice,
    /// Limiting its versions to the case's, where the two ends' ranges
    /// share none (a version mismatch).
    VersionChoice,
}

impl Feature {
    /// The feature's name in reasons.
    pub fn name(self) -> &'static str {
        match self {
            Feature::SniSwitch => "a certificate switch on SNI",
            Feature::SniRefusal => "refusing a client over SNI",
            Feature::SniName => "an SNI name other than the host it connects to",
            Feature::AlpnRefusal => "refusing a client over ALPN",
            Feature::NegativeClientCertificate => "a negative client certificate",
            Feature::RefuseServerCertificate => {
                "refusing a server certificate that fails verification"
            }
            Feature::EphemeralPsk => "DHE-PSK and ECDHE-PSK",
            Feature::Psk => "pre-shared keys",
            Feature::Srp => "SRP (RFC 5054)",
            Feature::Anonymous => "anonymous suites",
            Feature::Resumption => "session resumption",
            Feature::SessionTickets => "TLS 1.2 session tickets",
            Feature::ClientCertificate => "client certificates",
            Feature::WeakKey => "signing with a 1024-bit RSA key",
            Feature::Ed25519BelowTls12 => "refusing ECDSA suites for an Ed25519 key below TLS 1.2",
            Feature::Alpn => "ALPN",
            Feature::Sni => "SNI",
            Feature::GroupChoice => "a group list of the case's",
            Feature::SecurityLevel => "a security level of the case's",
            Feature::SuiteChoice => "a suite list of the case's",
            Feature::VersionChoice => "a version range of the case's",
        }
    }

    /// Whether playing `role` in `case` needs this feature.
    pub fn needed(self, role: Role, case: &Case) -> bool {
        let (c, s) = (&case.client, &case.server);
        let ep = match role {
            Role::Client => c,
            Role::Server => s,
        };
        let both_alpn = !c.alpn.is_empty() && !s.alpn.is_empty();
        match self {
            Feature::SniSwitch => role == Role::Server && s.sni_identity.is_some(),
            Feature::SniRefusal => role == Role::Server && s.sni_fatal,
            Feature::SniName => role == Role::Client && c.sni.as_deref().is_some_and(|n| n != HOST),
            Feature::AlpnRefusal => {
                role == Role::Server && both_alpn && !s.alpn.iter().any(|p| c.alpn.contains(p))
            }
            Feature::NegativeClientCertificate => {
                role == Role::Client && matches!(c.identity, Identity::Negative(_))
            }
            Feature::RefuseServerCertificate => {
                role == Role::Client
                    && c.verify_peer
                    && matches!(s.identity, Identity::Negative(_))
                    && s.sni_identity.is_none()
            }
            Feature::EphemeralPsk => {
                ep.psk
                    && ep
                        .suites
                        .iter()
                        .any(|x| x.kx == "DHEPSK" || x.kx == "ECDHEPSK")
            }
            Feature::Psk => ep.psk,
            Feature::Srp => ep.srp.is_some(),
            Feature::Anonymous => ep.suites.iter().any(|x| x.is_anonymous()),
            Feature::Resumption => case.resume.is_some(),
            Feature::SessionTickets => {
                role == Role::Server && case.resume == Some(crate::case::ResumeKind::Ticket)
            }
            Feature::ClientCertificate => {
                s.verify_peer || (role == Role::Client && c.identity != Identity::None)
            }
            Feature::Alpn => !ep.alpn.is_empty(),
            Feature::Sni => ep.sni.is_some(),
            Feature::WeakKey => ep.identity == Identity::Negative(Negative::WeakKey),
            Feature::Ed25519BelowTls12 => {
                // The highest version both ends allow is the one they reach.
                let ((_, chi), (_, shi)) = (c.version_range(), s.version_range());
                role == Role::Server
                    && s.identity == Identity::Certificate(KeyKind::Ed25519)
                    && chi.min(shi) < Version::Tls1_2
            }
            Feature::GroupChoice => !ep.groups.is_empty(),
            Feature::SecurityLevel => {
                let peer = if role == Role::Client { s } else { c };
                let negative = |id: Identity| match id {
                    Identity::Negative(n) => Some(n),
                    _ => None,
                };
                ep.security_level.is_some()
                    && (ep.version_range().0 < Version::Tls1_2
                        || negative(ep.identity).is_some_and(|n| n.server_level().is_some())
                        || (ep.verify_peer
                            && negative(peer.identity).is_some_and(|n| n.client_level().is_some())))
            }
            Feature::SuiteChoice => {
                !c.suites.is_empty()
                    && !s.suites.is_empty()
                    && !c.suites.iter().any(|x| s.suites.contains(x))
                    && versions_shared(case)
            }
            Feature::VersionChoice => !versions_shared(case),
        }
    }
}

/// Whether the two ends' version ranges overlap.
fn versions_shared(case: &Case) -> bool {
    let ((clo, chi), (slo, shi)) = (case.client.version_range(), case.server.version_range());
    clo.max(slo) <= chi.min(shi)
}
