//! The `rustls` peer: the rustls crate with its ring provider, in this
//! process, as client and server.
//!
//! Its declaration comes from its own API: the provider's
//! `cipher_suites` and `kx_groups`, and `ALL_VERSIONS`. It has no
//! pre-shared keys, no anonymous suites, no finite-field DHE, and nothing
//! older than TLS 1.2, by design.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, DigitallySignedStruct, HandshakeKind,
    ProtocolVersion, RootCertStore, ServerConfig, ServerConnection, SignatureScheme, StreamOwned,
};
use testkit::pki::{Credential, Pki};

use super::capabilities::{AlertDialect, FailureKind, Feature, SuiteSupport};
use super::inproc::key_type;
use super::{
    one_after_another, Capabilities, ExternalView, Peer, PeerKind, SideOutcome, PING, PONG,
};
use crate::case::{alert, Case, Endpoint, Identity, KeyKind, Role, Version};
use crate::library::SuiteInfo;
use crate::matrix::HOST;
use crate::transport::{Conn, Dialer, Listener};

/// rustls in process.
pub struct Rustls {
    pki: Arc<Pki>,
    catalogue: Vec<SuiteInfo>,
    caps: Capabilities,
}

impl Rustls {
    /// A peer using `pki`; `catalogue` (the linked OpenSSL's suites) names
    /// what rustls negotiates in OpenSSL's spelling.
    pub fn new(pki: Arc<Pki>, catalogue: Vec<SuiteInfo>) -> Self {
        Rustls {
            pki,
            catalogue,
            caps: declare(),
        }
    }

    fn implementation() -> String {
        format!("rustls {}", RUSTLS_VERSION)
    }

    /// The provider cut down to the endpoint's suites and groups.
    fn provider(&self, ep: &Endpoint) -> CryptoProvider {
        let mut p = ring::default_provider();
        if !ep.suites.is_empty() {
            // In the endpoint's order, which is its preference.
            let all = p.cipher_suites.clone();
            p.cipher_suites = ep
                .suites
                .iter()
                .filter_map(|s| all.iter().find(|r| u16::from(r.suite()) == s.id).copied())
                .collect();
        }
        if !ep.groups.is_empty() {
            let all = p.kx_groups.clone();
            p.kx_groups = ep
                .groups
                .iter()
                .filter_map(|g| {
                    all.iter()
                        .find(|k| group_name(u16::from(k.name())).is_some_and(|n| n == g))
                        .copied()
                })
                .collect();
        }
        p
    }

    fn versions(ep: &Endpoint) -> Vec<&'static rustls::SupportedProtocolVersion> {
        let (lo, hi) = ep.version_range();
        rustls::ALL_VERSIONS
            .iter()
            .copied()
            .filter(|v| version_of(v.version).is_some_and(|v| (lo..=hi).contains(&v)))
            .collect()
    }

    fn roots(&self) -> Result<RootCertStore, String> {
        let mut roots = RootCertStore::empty();
        let der = self.pki.root().to_der().map_err(|e| e.to_string())?;
        roots
            .add(CertificateDer::from(der))
            .map_err(|e| format!("the test root: {e}"))?;
        Ok(roots)
    }

    fn credential(&self, identity: Identity, role: Role) -> Option<&Credential> {
        match (identity, role) {
            (Identity::None, _) => None,
            (Identity::Certificate(k), Role::Server) => Some(self.pki.server(key_type(k))),
            (Identity::Certificate(k), Role::Client) => Some(self.pki.client(key_type(k))),
            (Identity::Negative(n), Role::Server) => Some(self.pki.negative(n)),
            (Identity::Negative(n), Role::Client) => Some(self.pki.client_negative(n)),
        }
    }

    fn client_config(&self, ep: &Endpoint) -> Result<Arc<ClientConfig>, String> {
        let provider = Arc::new(self.provider(ep));
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&Self::versions(ep))
            .map_err(|e| e.to_string())?;
        let builder = if ep.verify_peer {
            builder.with_root_certificates(self.roots()?)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
        };
        let mut config = match self.credential(ep.identity, Role::Client) {
            Some(c) => {
                let (chain, key) = der_of(c)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| e.to_string())?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = ep.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        config.enable_sni = ep.sni.is_some();
        Ok(Arc::new(config))
    }

    fn server_config(&self, ep: &Endpoint) -> Result<Arc<ServerConfig>, String> {
        let provider = Arc::new(self.provider(ep));
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&Self::versions(ep))
            .map_err(|e| e.to_string())?;
        let builder = if ep.verify_peer {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(self.roots()?), provider)
                    .build()
                    .map_err(|e| e.to_string())?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let c = self
            .credential(ep.identity, Role::Server)
            .ok_or("rustls has no server without a certificate")?;
        let (chain, key) = der_of(c)?;
        let mut config = match ep.sni.clone().filter(|_| ep.sni_fatal) {
            Some(name) => {
                let key = CertifiedKey::from_der(chain, key, &self.provider(ep))
                    .map_err(|e| e.to_string())?;
                builder.with_cert_resolver(Arc::new(OnlyNamed(name, Arc::new(key))))
            }
            None => builder
                .with_single_cert(chain, key)
                .map_err(|e| e.to_string())?,
        };
        config.alpn_protocols = ep.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        if ep.tickets {
            config.ticketer = ring::Ticketer::new().map_err(|e| e.to_string())?;
        } else {
            config.send_tls13_tickets = 0;
        }
        Ok(Arc::new(config))
    }

    fn view<T>(&self, conn: &ConnectionCommon<T>, error: Option<&rustls::Error>) -> ExternalView {
        let mut v = ExternalView {
            implementation: Self::implementation(),
            command: "in process".into(),
            exit: "in process".into(),
            ..ExternalView::default()
        };
        if error.is_none() {
            v.version = conn
                .protocol_version()
                .map(|v| openssl_handshake::ProtocolVersion::from(u16::from(v)));
            v.suite = conn.negotiated_cipher_suite().map(|s| {
                let code = u16::from(s.suite());
                self.catalogue
                    .iter()
                    .find(|c| c.id == code)
                    .map_or_else(|| format!("{:?}", s.suite()), |c| c.name.clone())
            });
            v.alpn = conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            v.resumed = conn.handshake_kind().map(|k| k == HandshakeKind::Resumed);
        }
        if let Some(e) = error {
            v.error = Some(e.to_string());
            if let rustls::Error::AlertReceived(a) = e {
                v.alert_received = Some(u8::from(*a));
            }
            if let rustls::Error::InvalidCertificate(c) = e {
                v.verify_error = Some(format!("{c:?}"));
            }
        }
        v
    }
}

/// The version of the rustls crate this binary was built with, from
/// Cargo.lock (build.rs).
const RUSTLS_VERSION: &str = env!("HARNESS_RUSTLS_VERSION");

/// The declaration, from rustls's own API.
fn declare() -> Capabilities {
    let p = ring::default_provider();
    let mut caps = Capabilities::new(Rustls::implementation());
    caps.versions = rustls::ALL_VERSIONS
        .iter()
        .filter_map(|v| version_of(v.version))
        .collect();
    let codes: HashMap<u16, Version> = p
        .cipher_suites
        .iter()
        .map(|s| {
            let v = match s {
                rustls::SupportedCipherSuite::Tls13(_) => Version::Tls1_3,
                rustls::SupportedCipherSuite::Tls12(_) => Version::Tls1_2,
            };
            (u16::from(s.suite()), v)
        })
        .collect();
    caps.suites = SuiteSupport::ByCode(codes);
    caps.groups = Some(
        p.kx_groups
            .iter()
            .filter_map(|k| group_name(u16::from(k.name())).map(str::to_string))
            .collect(),
    );
    let schemes = p.signature_verification_algorithms.supported_schemes();
    caps.signature_schemes = schemes.iter().map(|s| format!("{s:?}")).collect();
    let has = |prefix: &str| caps.signature_schemes.iter().any(|s| s.starts_with(prefix));
    caps.keys = KeyKind::ALL
        .into_iter()
        .filter(|k| match k {
            KeyKind::Rsa2048 => has("RSA_"),
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 => has("ECDSA_"),
            KeyKind::Ed25519 => has("ED25519"),
            // rustls has no DSA: no scheme lists it.
            KeyKind::Dsa2048 => has("DSA_"),
        })
        .collect();
    caps.alerts = vec![
        AlertDialect {
            failure: FailureKind::MissingClientCertificate12,
            alert: Some(alert::CERTIFICATE_REQUIRED),
            note: "rustls's TLS 1.2 server sends certificate_required too (server/tls12.rs)".into(),
        },
        AlertDialect {
            failure: FailureKind::SniUnknown,
            alert: Some(alert::ACCESS_DENIED),
            note: "rustls's server answers a certificate resolver that finds none with \
                   access_denied (server/hs.rs)"
                .into(),
        },
        AlertDialect {
            failure: FailureKind::ClientVersionsTooLow,
            alert: Some(alert::HANDSHAKE_FAILURE),
            note: "a TLS 1.0/1.1 ClientHello has no signature_algorithms, which rustls's server \
                   requires with handshake_failure before it looks at the version (server/hs.rs)"
                .into(),
        },
    ];
    caps.lack(
        Role::Client,
        Feature::Psk,
        "rustls has no external pre-shared keys",
    )
    .lack(Role::Client, Feature::Srp, "rustls has no SRP suites")
    .lack(Role::Server, Feature::Srp, "rustls has no SRP suites")
    .lack(
        Role::Server,
        Feature::Psk,
        "rustls has no external pre-shared keys",
    )
    .lack(
        Role::Server,
        Feature::Anonymous,
        "rustls has no anonymous suites",
    )
    .lack(
        Role::Client,
        Feature::Anonymous,
        "rustls has no anonymous suites",
    )
    .lack(
        Role::Server,
        Feature::SniSwitch,
        "the harness gives the rustls server one certificate",
    )
    .lack(
        Role::Server,
        Feature::WeakKey,
        "rustls (ring) loads no RSA key under 2048 bits: \"failed to parse private key\"",
    )
    .lack(
        Role::Client,
        Feature::WeakKey,
        "rustls (ring) loads no RSA key under 2048 bits: \"failed to parse private key\"",
    )
}

/// The matrix's name of a group by its code.
fn group_name(code: u16) -> Option<&'static str> {
    match code {
        0x001d => Some("X25519"),
        0x0017 => Some("P-256"),
        0x0018 => Some("P-384"),
        0x0019 => Some("P-521"),
        0x0100 => Some("ffdhe2048"),
        _ => None,
    }
}

fn version_of(v: ProtocolVersion) -> Option<Version> {
    Version::try_from(openssl_handshake::ProtocolVersion::from(u16::from(v))).ok()
}

fn der_of(
    c: &Credential,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let mut chain = vec![CertificateDer::from(
        c.cert.to_der().map_err(|e| e.to_string())?,
    )];
    for x in &c.chain {
        chain.push(CertificateDer::from(x.to_der().map_err(|e| e.to_string())?));
    }
    let key = c.key.private_key_to_pkcs8().map_err(|e| e.to_string())?;
    Ok((chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key))))
}

/// A certificate for one name, or for a client that names none: rustls
/// ends the handshake when a resolver finds none (server/hs.rs).
#[derive(Debug)]
struct OnlyNamed(String, Arc<CertifiedKey>);

impl ResolvesServerCert for OnlyNamed {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let asked = hello.server_name();
        asked
            .is_none_or(|n| n.eq_ignore_ascii_case(&self.0))
            .then(|| self.1.clone())
    }
}

/// A verifier for a client that doesn't verify (the case's
/// `verify_peer: false`): it still checks the handshake signatures.
#[derive(Debug)]
struct AcceptAnything(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl Peer for Rustls {
    fn kind(&self) -> PeerKind {
        PeerKind::Rustls
    }

    fn describe(&self) -> String {
        format!("rustls ({} with the ring provider)", Self::implementation())
    }

    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }

    fn serve(&self, case: &Case, listener: Listener, connections: usize) -> Vec<SideOutcome> {
        let config = match self.server_config(&case.server) {
            Ok(c) => c,
            Err(e) => {
                return vec![not_set_up(
                    Role::Server,
                    format!("rustls server setup: {e}"),
                )]
            }
        };
        one_after_another(
            connections,
            |o| !o.handshake_ok,
            |_| {
                let sock = match listener.accept() {
                    Ok(s) => s,
                    Err(e) => return io_broken(Role::Server, "accept", &e),
                };
                match ServerConnection::new(config.clone()) {
                    Ok(conn) => self.finish_server(&mut StreamOwned::new(conn, sock)),
                    Err(e) => broken(Role::Server, e.to_string()),
                }
            },
        )
    }

    fn connect(&self, case: &Case, dialer: Dialer, connections: usize) -> Vec<SideOutcome> {
        // One config for every connection: its session store resumes.
        let config = match self.client_config(&case.client) {
            Ok(c) => c,
            Err(e) => {
                return vec![not_set_up(
                    Role::Client,
                    format!("rustls client setup: {e}"),
                )]
            }
        };
        let name = case.client.sni.clone().unwrap_or_else(|| HOST.to_string());
        let Ok(server_name) = ServerName::try_from(name) else {
            return vec![not_set_up(Role::Client, "not a DNS name".into())];
        };
        one_after_another(
            connections,
            |o| !o.ok(),
            |_| {
                let sock = match dialer.dial() {
                    Ok(s) => s,
                    Err(e) => return io_broken(Role::Client, "connect", &e),
                };
                match ClientConnection::new(config.clone(), server_name.clone()) {
                    Ok(conn) => self.finish_client(&mut StreamOwned::new(conn, sock)),
                    Err(e) => broken(Role::Client, e.to_string()),
                }
            },
        )
    }
}

impl Rustls {
    fn finish_client(&self, s: &mut StreamOwned<ClientConnection, Conn>) -> SideOutcome {
        let handshake = complete(&mut s.conn, &mut s.sock);
        let exchange = handshake.as_ref().ok().map(|_| {
            s.write_all(PING).and_then(|_| {
                let mut buf = vec![0u8; PONG.len()];
                s.read_exact(&mut buf)
            })
        });
        s.conn.send_close_notify();
        let _ = s.conn.complete_io(&mut s.sock);
        self.outcome(Role::Client, &s.conn, handshake, exchange)
    }

    fn finish_server(&self, s: &mut StreamOwned<ServerConnection, Conn>) -> SideOutcome {
        let handshake = complete(&mut s.conn, &mut s.sock);
        let exchange = handshake.as_ref().ok().map(|_| {
            let mut buf = vec![0u8; PING.len()];
            s.read_exact(&mut buf)
                .and_then(|_| s.write_all(PONG))
                .and_then(|_| s.flush())
        });
        // Wait for the client's close so its read of the pong isn't cut short.
        if matches!(exchange, Some(Ok(()))) {
            let mut sink = [0u8; 64];
            let _ = s.read(&mut sink);
        }
        let mut o = self.outcome(Role::Server, &s.conn, handshake, exchange);
        if let Some(v) = o.external.as_mut() {
            v.sni = s.conn.server_name().map(str::to_string);
        }
        o
    }

    fn outcome<T>(
        &self,
        role: Role,
        conn: &ConnectionCommon<T>,
        handshake: Result<(), HandshakeFailure>,
        exchange: Option<std::io::Result<()>>,
    ) -> SideOutcome {
        let (tls_error, io_error) = match &handshake {
            Err(HandshakeFailure::Tls(e)) => (Some(e.clone()), None),
            Err(HandshakeFailure::Io(e)) => (None, Some(e)),
            Ok(()) => (None, None),
        };
        let mut view = self.view(conn, tls_error.as_ref());
        let handshake_ok = handshake.is_ok();
        let timed_out = io_error.is_some_and(|e| {
            matches!(
                e.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        });
        if let Some(e) = io_error {
            view.error = Some(format!("i/o during the handshake: {e}"));
        }
        let exchange_ok = matches!(exchange, Some(Ok(())));
        if let Some(Err(e)) = &exchange {
            view.error = Some(format!("ping/pong after the handshake: {e}"));
        }
        let mut o = super::external::outcome(role, view, handshake_ok, exchange_ok, None);
        o.timed_out = timed_out;
        o.gave_up = timed_out.then(Instant::now);
        o
    }
}

enum HandshakeFailure {
    Tls(rustls::Error),
    Io(std::io::Error),
}

/// Drives the handshake to its end; a TLS error is kept as rustls's own.
fn complete<T>(
    conn: &mut (impl std::ops::DerefMut<Target = ConnectionCommon<T>> + ?Sized),
    sock: &mut Conn,
) -> Result<(), HandshakeFailure> {
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(sock) {
            // Send the alert rustls queued for its own failure.
            while conn.wants_write() {
                if conn.write_tls(sock).is_err() {
                    break;
                }
            }
            // rustls wraps its own errors in io::Error::InvalidData.
            let tls = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .cloned();
            return Err(match tls {
                Some(t) => HandshakeFailure::Tls(t),
                None => HandshakeFailure::Io(e),
            });
        }
    }
    Ok(())
}

fn broken(role: Role, error: String) -> SideOutcome {
    super::external::reported_nothing(role, &Rustls::implementation(), error)
}

fn not_set_up(role: Role, error: String) -> SideOutcome {
    super::external::not_run(role, &Rustls::implementation(), error)
}

fn io_broken(role: Role, what: &str, e: &std::io::Error) -> SideOutcome {
    broken(role, format!("{what}: {e}"))
}
