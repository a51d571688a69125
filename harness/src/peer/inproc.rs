//! The in-process peer: OpenSSL linked into this binary, each context
//! traced with [`SslContextBuilderExt::trace_handshakes`].

use std::sync::Arc;

use openssl::dh::Dh;
use openssl::pkey::Params;
use openssl::ssl::{
    AlpnError, NameType, SniError, Ssl, SslAlert, SslContext, SslContextBuilder, SslMethod,
    SslOptions, SslVerifyMode,
};
use openssl::x509::verify::X509CheckFlags;
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::pki::{KeyType, Negative, Pki};

use super::{one_after_another, Capabilities, Peer, PeerKind, SideOutcome};
use crate::case::{Case, Endpoint, Identity, KeyKind, Role, SrpPassword};
use crate::error::HarnessError;
use crate::ffi::{self, no_unwind, SavedSession, SrpLogin};
use crate::library::Library;
use crate::matrix::HOST;
use crate::oracle::linked_capabilities;
use crate::pcap;
use crate::transport::{Conn, Dialer, Listener};

mod exchange;
use exchange::{finish, finish_client, io_outcome};

/// The PSK identity both sides use for PSK suites.
pub const PSK_IDENTITY: &[u8] = b"tls-harness";
/// The pre-shared key: 32 fixed bytes; the harness only tests, so it
/// needs to be neither secret nor random.
pub const PSK_KEY: [u8; 32] = *b"tls-harness pre-shared key 32 by";

/// The harness's SRP user with the password the servers' verifiers are
/// made from.
pub static SRP_LOGIN: SrpLogin = SrpLogin {
    user: c"tls-harness",
    password: c"tls-harness SRP password",
};
/// The same user with a password that is not theirs.
pub static SRP_WRONG_LOGIN: SrpLogin = SrpLogin {
    user: c"tls-harness",
    password: c"not the tls-harness password",
};

/// The login a client with `password` uses.
pub fn srp_login(password: SrpPassword) -> &'static SrpLogin {
    match password {
        SrpPassword::Right => &SRP_LOGIN,
        SrpPassword::Wrong => &SRP_WRONG_LOGIN,
    }
}

/// The in-process OpenSSL peer, sharing one generated test PKI.
pub struct Inproc {
    pki: Arc<Pki>,
    caps: Capabilities,
}

impl Inproc {
    /// A peer that takes its certificates from `pki`; its declaration is
    /// read from the linked OpenSSL.
    pub fn new(pki: Arc<Pki>) -> Self {
        let caps = match Library::probe() {
            Ok(lib) => linked_capabilities(&lib),
            Err(e) => {
                let mut c = Capabilities::new(openssl::version::version());
                c.available = Err(format!("reading the linked OpenSSL: {e}"));
                c
            }
        };
        Inproc { pki, caps }
    }

    /// A peer declaring what `library` (already probed) supports.
    pub fn with_library(pki: Arc<Pki>, library: &Library) -> Self {
        Inproc {
            pki,
            caps: linked_capabilities(library),
        }
    }

    /// Builds the traced `SSL_CTX` for `ep` playing `role`.
    pub fn context(&self, ep: &Endpoint, role: Role) -> Result<SslContext, HarnessError> {
        self.context_with(ep, role, false)
    }

    /// As [`Inproc::context`]; with `keylog`, each connection's key log
    /// lines go into the capture [`pcap::attach`]ed to it.
    fn context_with(
        &self,
        ep: &Endpoint,
        role: Role,
        keylog: bool,
    ) -> Result<SslContext, HarnessError> {
        let mut b = SslContextBuilder::new(SslMethod::tls())?;
        if keylog {
            pcap::keys_into_captures(&mut b, None)?;
        }
        b.trace_handshakes(TraceOptions::default())?;
        // The level first: installing a certificate or a cipher list is
        // checked against it.
        if let Some(level) = ep.security_level {
            b.set_security_level(level);
        }
        b.set_min_proto_version(ep.min_version.map(|v| v.to_ssl()))?;
        b.set_max_proto_version(ep.max_version.map(|v| v.to_ssl()))?;
        let (tls13, older): (Vec<_>, Vec<_>) = ep.suites.iter().partition(|s| s.is_tls13());
        if !older.is_empty() {
            let list: Vec<&str> = older.iter().map(|s| s.name.as_str()).collect();
            b.set_cipher_list(&list.join(":"))?;
        }
        if !tls13.is_empty() {
            let list: Vec<&str> = tls13.iter().map(|s| s.name.as_str()).collect();
            b.set_ciphersuites(&list.join(":"))?;
        }
        if !ep.groups.is_empty() {
            b.set_groups_list(&ep.groups.join(":"))?;
        }
        match role {
            Role::Client => {
                if !ep.alpn.is_empty() {
                    b.set_alpn_protos(&alpn_wire(&ep.alpn))?;
                }
                if ep.psk {
                    set_client_psk(&mut b);
                }
                if let Some(password) = ep.srp {
                    ffi::set_client_srp(&mut b, srp_login(password))?;
                }
                if ep.verify_peer {
                    b.set_verify(SslVerifyMode::PEER);
                    b.set_cert_store(self.pki.trust_store()?);
                }
            }
            Role::Server => {
                if !ep.alpn.is_empty() {
                    set_alpn_select(&mut b, &ep.alpn);
                }
                if ep.psk {
                    set_server_psk(&mut b);
                }
                if ep.srp.is_some() {
                    ffi::set_server_srp(&mut b, &SRP_LOGIN)?;
                }
                if ep.verify_peer {
                    b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
                    b.set_cert_store(self.pki.trust_store()?);
                    b.add_client_ca(self.pki.root())?;
                }
                // Needed to resume sessions of verified clients.
                b.set_session_id_context(b"tls-harness")?;
                let dh = ffdhe2048()?;
                b.set_tmp_dh(&dh)?;
                if !ep.tickets {
                    b.set_options(SslOptions::NO_TICKET);
                }
                if let Some(name) = ep
                    .sni
                    .clone()
                    .filter(|_| ep.sni_identity.is_some() || ep.sni_fatal)
                {
                    let switch_to = match ep.sni_identity {
                        Some(identity) => {
                            let mut other = ep.clone();
                            other.identity = identity;
                            other.sni = None;
                            other.sni_identity = None;
                            other.sni_fatal = false;
                            // Connections switched to it log their keys there.
                            Some(self.context_with(&other, Role::Server, keylog)?)
                        }
                        None => None,
                    };
                    let fatal = ep.sni_fatal;
                    b.set_servername_callback(move |ssl, alert| {
                        no_unwind(Err(SniError::ALERT_FATAL), || {
                            let asked = ssl.servername(NameType::HOST_NAME).map(str::to_owned);
                            match (asked, &switch_to) {
                                (Some(n), Some(ctx)) if n == name => {
                                    ssl.set_ssl_context(ctx)
                                        .map_err(|_| SniError::ALERT_FATAL)?;
                                }
                                // As `s_server -servername_fatal`, which
                                // compares without case.
                                (Some(n), _) if fatal && !n.eq_ignore_ascii_case(&name) => {
                                    *alert = SslAlert::UNRECOGNIZED_NAME;
                                    return Err(SniError::ALERT_FATAL);
                                }
                                _ => {}
                            }
                            Ok(())
                        })
                    });
                }
            }
        }
        self.install(&mut b, ep.identity, role)?;
        Ok(b.build())
    }

    fn install(
        &self,
        b: &mut SslContextBuilder,
        identity: Identity,
        role: Role,
    ) -> Result<(), HarnessError> {
        let cred = match (identity, role) {
            (Identity::None, _) => return Ok(()),
            (Identity::Certificate(k), Role::Server) => self.pki.server(key_type(k)),
            (Identity::Certificate(k), Role::Client) => self.pki.client(key_type(k)),
            (Identity::Negative(p), Role::Server) => self.pki.negative(p),
            (Identity::Negative(p), Role::Client) => self.pki.client_negative(p),
        };
        cred.install(b)?;
        Ok(())
    }

    fn client_ssl(&self, ctx: &SslContext, ep: &Endpoint) -> Result<Ssl, HarnessError> {
        let mut ssl = Ssl::new(ctx)?;
        if ep.verify_peer {
            // As SslConnector does: check the name, no partial wildcards.
            let param = ssl.param_mut();
            param.set_hostflags(X509CheckFlags::NO_PARTIAL_WILDCARDS);
            param.set_host(HOST)?;
        }
        if let Some(name) = &ep.sni {
            ssl.set_hostname(name)?;
        }
        Ok(ssl)
    }
}

impl Peer for Inproc {
    fn kind(&self) -> PeerKind {
        PeerKind::Inproc
    }

    fn describe(&self) -> String {
        let short = super::openssl_cli::short_version(openssl::version::version());
        format!("inproc ({short})")
    }

    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }

    fn serve(&self, case: &Case, listener: Listener, connections: usize) -> Vec<SideOutcome> {
        let ctx = match self.context_with(&case.server, Role::Server, listener.is_recorded()) {
            Ok(ctx) => ctx,
            Err(e) => {
                return vec![SideOutcome::not_set_up(
                    Role::Server,
                    format!("server setup: {e}"),
                )]
            }
        };
        one_after_another(
            connections,
            |o| !o.handshake_ok,
            |_| {
                let conn = match listener.accept() {
                    Ok(c) => c,
                    Err(e) => return io_outcome(Role::Server, "accept", &e),
                };
                match Ssl::new(&ctx).and_then(|ssl| recorded(ssl, &conn)) {
                    Ok(ssl) => finish(Role::Server, ssl.accept(conn)),
                    Err(e) => SideOutcome::broken(Role::Server, format!("SSL_new: {e}"), false),
                }
            },
        )
    }

    fn connect(&self, case: &Case, dialer: Dialer, connections: usize) -> Vec<SideOutcome> {
        let ctx = match self.context_with(&case.client, Role::Client, dialer.is_recorded()) {
            Ok(ctx) => ctx,
            Err(e) => {
                return vec![SideOutcome::not_set_up(
                    Role::Client,
                    format!("client setup: {e}"),
                )]
            }
        };
        let mut session: Option<SavedSession> = None;
        let out = one_after_another(
            connections,
            |o| !o.ok(),
            |i| {
                let conn = match dialer.dial() {
                    Ok(c) => c,
                    Err(e) => return io_outcome(Role::Client, "connect", &e),
                };
                let ssl = self
                    .client_ssl(&ctx, &case.client)
                    .and_then(|ssl| Ok(recorded(ssl, &conn)?));
                let mut ssl = match ssl {
                    Ok(ssl) => ssl,
                    Err(e) => return SideOutcome::broken(Role::Client, e.to_string(), false),
                };
                if let Some(s) = session.as_ref().filter(|_| i > 0) {
                    if let Err(e) = s.offer(&mut ssl) {
                        return SideOutcome::broken(Role::Client, e.to_string(), false);
                    }
                }
                let (o, s) = finish_client(ssl.connect(conn));
                session = s;
                o
            },
        );
        out
    }
}

/// Ties `ssl` to the capture of `conn`, when it is recorded, so its key
/// log goes there.
fn recorded(mut ssl: Ssl, conn: &Conn) -> Result<Ssl, openssl::error::ErrorStack> {
    if let Some(capture) = conn.capture() {
        pcap::attach(&mut ssl, capture)?;
    }
    Ok(ssl)
}

/// Encodes ALPN protocol names in wire format (length-prefixed).
pub fn alpn_wire(protocols: &[String]) -> Vec<u8> {
    let mut wire = Vec::new();
    for p in protocols {
        // ALPN names are at most 255 bytes (RFC 7301); longer ones are cut.
        let bytes = &p.as_bytes()[..p.len().min(255)];
        wire.push(bytes.len() as u8);
        wire.extend_from_slice(bytes);
    }
    wire
}

/// Makes the server pick ALPN from `protocols` in its own order, as
/// `SSL_select_next_proto` does, and refuse with no_application_protocol
/// when nothing matches (RFC 7301, section 3.2).
pub fn set_alpn_select(b: &mut SslContextBuilder, protocols: &[String]) {
    let ours: Vec<Vec<u8>> = protocols.iter().map(|p| p.as_bytes().to_vec()).collect();
    b.set_alpn_select_callback(move |_, client| {
        no_unwind(Err(AlpnError::ALERT_FATAL), || {
            let offered = split_alpn(client);
            ours.iter()
                .find_map(|p| offered.iter().find(|o| **o == p.as_slice()).copied())
                .ok_or(AlpnError::ALERT_FATAL)
        })
    });
}

/// The protocol names of a wire-format ALPN list; a truncated entry ends it.
fn split_alpn(mut wire: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = wire.split_first() {
        let len = usize::from(len);
        if rest.len() < len {
            break;
        }
        let (name, tail) = rest.split_at(len);
        out.push(name);
        wire = tail;
    }
    out
}

/// Gives a client the harness PSK.
pub fn set_client_psk(b: &mut SslContextBuilder) {
    // Ok(0) is how a PSK callback says it has no key: the handshake fails.
    b.set_psk_client_callback(|_, _hint, identity, psk| {
        no_unwind(Ok(0), || {
            // The identity is written as a C string.
            if identity.len() <= PSK_IDENTITY.len() || psk.len() < PSK_KEY.len() {
                return Ok(0);
            }
            identity[..PSK_IDENTITY.len()].copy_from_slice(PSK_IDENTITY);
            identity[PSK_IDENTITY.len()] = 0;
            psk[..PSK_KEY.len()].copy_from_slice(&PSK_KEY);
            Ok(PSK_KEY.len())
        })
    });
}

/// Gives a server the harness PSK for the harness identity.
pub fn set_server_psk(b: &mut SslContextBuilder) {
    b.set_psk_server_callback(|_, identity, psk| {
        no_unwind(Ok(0), || {
            if identity != Some(PSK_IDENTITY) || psk.len() < PSK_KEY.len() {
                return Ok(0);
            }
            psk[..PSK_KEY.len()].copy_from_slice(&PSK_KEY);
            Ok(PSK_KEY.len())
        })
    });
}

/// The ffdhe2048 group of RFC 7919, for DHE suites. OpenSSL's server has no
/// DH parameters unless given some, and the `openssl` crate doesn't expose
/// `SSL_CTX_set_dh_auto`.
pub fn ffdhe2048() -> Result<Dh<Params>, HarnessError> {
    const PEM: &[u8] = b"-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
";
    Ok(Dh::params_from_pem(PEM)?)
}

/// The pki's key type for a case's key kind.
pub fn key_type(k: KeyKind) -> KeyType {
    match k {
        KeyKind::Rsa2048 => KeyType::Rsa2048,
        KeyKind::EcdsaP256 => KeyType::EcdsaP256,
        KeyKind::EcdsaP384 => KeyType::EcdsaP384,
        KeyKind::Ed25519 => KeyType::Ed25519,
        KeyKind::Dsa2048 => KeyType::Dsa2048,
    }
}

/// The verify error the pki promises for each negative certificate.
pub fn expected_verify_error(p: Negative) -> i32 {
    p.expected_verify_error()
}
