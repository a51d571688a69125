//! The flows `reference_flows.rs` runs: each side's settings (ours and
//! the tool's flags), whether a second connection resumes the first, and
//! what happens after the handshake.

use std::net::TcpStream;

use openssl::ssl::{SslContext, SslContextBuilder, SslOptions, SslStream};
use testkit::pki::KeyType;

use crate::common::diagnosis::{key_update, renegotiate, KEY_UPDATE_REQUESTED};
use crate::common::reference::{
    answer_certificate_requests_after_handshake, ask_for_client_cert_after_handshake,
    require_client_cert, tls12, tls13,
};
use crate::common::{client_ctx, pki};

/// The client certificate's key: RSA, whose signatures (unlike ECDSA's)
/// always have the same length, so that the CertificateVerify lines match.
pub(crate) const CLIENT_KEY: KeyType = KeyType::Rsa2048;

/// `SSL_OP_ALLOW_CLIENT_RENEGOTIATION` (ssl.h: `SSL_OP_BIT(8)`), which
/// neither openssl crate names: an OpenSSL 3 server refuses a client's
/// renegotiation without it.
const SSL_OP_ALLOW_CLIENT_RENEGOTIATION: u64 = 1 << 8;

/// What a client writes once it has read PING, when our server asked for
/// its certificate after the handshake.
pub(crate) const REPLY: &[u8] = b"x\n";

/// What our server writes once it has read REPLY.
pub(crate) const DONE: &[u8] = b"done\n";

/// The bytes a client sends as early data.
pub(crate) const EARLY: &[u8] = b"early\n";

/// What happens after the handshake: what a client asks for, as
/// s_client's commands do, or what the server asks for.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Then {
    Nothing,
    /// A TLS 1.2 renegotiation: s_client's `R`.
    Renegotiate,
    /// A TLS 1.3 key update that asks the peer to update too: `K`.
    KeyUpdate,
    /// TLS 1.3 post-handshake authentication: the server asks for the
    /// client's certificate before its data (s_client `-enable_pha`
    /// answers it).
    ServerAsksForCertificate,
}

impl Then {
    /// The line that has s_client do it.
    pub(crate) fn command(self) -> Option<&'static [u8]> {
        match self {
            Then::Nothing | Then::ServerAsksForCertificate => None,
            Then::Renegotiate => Some(b"R\n"),
            Then::KeyUpdate => Some(b"K\n"),
        }
    }

    /// Has our client do it, to the end (the key update's message sent).
    pub(crate) fn run(self, tls: &mut SslStream<TcpStream>) {
        match self {
            // A client answers a certificate request as it reads.
            Then::Nothing | Then::ServerAsksForCertificate => return,
            Then::Renegotiate => renegotiate(tls),
            Then::KeyUpdate => key_update(tls, KEY_UPDATE_REQUESTED),
        }
        tls.do_handshake().expect("renegotiation or key update");
    }
}

/// How a flow's second connection resumes the first's session.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Resume {
    No,
    Yes,
    /// Resumes and sends [`EARLY`] as TLS 1.3 early data.
    WithEarlyData,
}

pub(crate) struct Flow {
    pub(crate) name: &'static str,
    /// Our server's settings, and the same for s_server.
    pub(crate) server: fn(&mut SslContextBuilder),
    pub(crate) s_server: &'static [&'static str],
    /// Our client's settings, and the same for s_client.
    pub(crate) client: fn(&mut SslContextBuilder),
    pub(crate) s_client: &'static [&'static str],
    pub(crate) client_cert: bool,
    pub(crate) resume: Resume,
    /// What the client asks for once the handshake is done.
    pub(crate) then: Then,
}

pub(crate) fn flows() -> Vec<Flow> {
    vec![
        Flow {
            name: "TLS 1.3 HelloRetryRequest",
            server: |b| {
                tls13(b);
                b.set_groups_list("P-256").unwrap();
            },
            s_server: &["-tls1_3", "-groups", "P-256"],
            client: |b| {
                tls13(b);
                b.set_groups_list("X25519:P-256").unwrap();
            },
            s_client: &["-tls1_3", "-groups", "X25519:P-256"],
            client_cert: false,
            resume: Resume::No,
            then: Then::Nothing,
        },
        Flow {
            name: "TLS 1.3 client certificate",
            server: |b| {
                tls13(b);
                require_client_cert(b);
            },
            s_server: &["-tls1_3", "-Verify", "1"],
            client: tls13,
            s_client: &["-tls1_3"],
            client_cert: true,
            resume: Resume::No,
            then: Then::Nothing,
        },
        Flow {
            name: "TLS 1.2 client certificate",
            server: |b| {
                tls12(b);
                require_client_cert(b);
            },
            s_server: &["-tls1_2", "-Verify", "1"],
            client: tls12,
            s_client: &["-tls1_2"],
            client_cert: true,
            resume: Resume::No,
            then: Then::Nothing,
        },
        Flow {
            name: "TLS 1.2 session-id resumption",
            server: |b| {
                tls12(b);
                b.set_options(SslOptions::NO_TICKET);
            },
            s_server: &["-tls1_2", "-no_ticket"],
            client: tls12,
            s_client: &["-tls1_2"],
            client_cert: false,
            resume: Resume::Yes,
            then: Then::Nothing,
        },
        Flow {
            name: "TLS 1.2 ticket resumption",
            server: tls12,
            s_server: &["-tls1_2"],
            client: tls12,
            s_client: &["-tls1_2"],
            client_cert: false,
            resume: Resume::Yes,
            then: Then::Nothing,
        },
        Flow {
            name: "TLS 1.3 PSK resumption",
            server: tls13,
            s_server: &["-tls1_3"],
            client: tls13,
            s_client: &["-tls1_3"],
            client_cert: false,
            resume: Resume::Yes,
            then: Then::Nothing,
        },
        Flow {
            name: "TLS 1.3 early data",
            server: |b| {
                tls13(b);
                b.set_max_early_data(16384).unwrap();
            },
            s_server: &["-tls1_3", "-early_data"],
            client: tls13,
            s_client: &["-tls1_3"],
            client_cert: false,
            resume: Resume::WithEarlyData,
            then: Then::Nothing,
        },
        Flow {
            name: "TLS 1.2 renegotiation",
            server: |b| {
                tls12(b);
                b.set_options(SslOptions::from_bits_retain(
                    SSL_OP_ALLOW_CLIENT_RENEGOTIATION,
                ));
            },
            s_server: &["-tls1_2", "-client_renegotiation"],
            client: tls12,
            s_client: &["-tls1_2"],
            client_cert: false,
            resume: Resume::No,
            then: Then::Renegotiate,
        },
        Flow {
            name: "TLS 1.3 key update",
            server: tls13,
            s_server: &["-tls1_3"],
            client: tls13,
            s_client: &["-tls1_3"],
            client_cert: false,
            resume: Resume::No,
            then: Then::KeyUpdate,
        },
        Flow {
            name: "TLS 1.3 post-handshake authentication",
            server: |b| {
                tls13(b);
                require_client_cert(b);
                ask_for_client_cert_after_handshake(b);
            },
            s_server: &[],
            client: |b| {
                tls13(b);
                answer_certificate_requests_after_handshake(b);
            },
            s_client: &["-tls1_3", "-enable_pha"],
            client_cert: true,
            resume: Resume::No,
            then: Then::ServerAsksForCertificate,
        },
    ]
}

impl Flow {
    pub(crate) fn connections(&self) -> usize {
        if self.resume == Resume::No {
            1
        } else {
            2
        }
    }

    pub(crate) fn our_client(&self) -> SslContext {
        client_ctx(|b| {
            (self.client)(b);
            if self.client_cert {
                pki().client(CLIENT_KEY).install(b).unwrap();
            }
        })
    }
}
