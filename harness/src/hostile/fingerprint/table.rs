//! What each known implementation does with each probe.
//!
//! Every entry was seen on the wire from the version named in
//! [`Implementation::seen_with`], with its default configuration, and the
//! tests in `harness/tests/fingerprint.rs` check each against a running
//! server of that implementation. An order lists the extensions seen; for
//! OpenSSL and Botan 2 it also places, where their source fixes the
//! position (OpenSSL's extension table, Botan 2's ascending map), a few
//! that the default servers did not send (server_name, encrypt_then_mac,
//! pre_shared_key, cookie). Only behaviour that comes from the
//! implementation's code is listed (the order it writes extensions in,
//! the alert it picks for a malformed hello), never what a configuration
//! sets (versions, suites, whether tickets are on): an order is checked
//! as a subsequence, so a server that leaves an extension out still
//! matches, and an answer a configuration could explain says nothing.

use super::probe::Probe;

/// One implementation and what gives it away.
#[derive(Debug)]
pub(super) struct Implementation {
    /// The name the report gives.
    pub name: &'static str,
    /// The versions and programs the entries were taken from.
    pub seen_with: &'static str,
    /// What it does with each probe.
    pub traits: &'static [Trait],
}

/// What one implementation does with one probe, and why that tells.
#[derive(Debug)]
pub(super) struct Trait {
    /// The probe.
    pub probe: Probe,
    /// The answer the implementation gives.
    pub expect: Expect,
    /// What the answer shows, in words.
    pub evidence: &'static str,
}

/// An answer, as the table describes it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Expect {
    /// A ServerHello (or, with `hrr`, a HelloRetryRequest) of `version`
    /// whose extensions are a subsequence of `order`. Another version
    /// or kind of answer is neutral: configuration decides those.
    Order {
        version: u16,
        hrr: bool,
        order: &'static [u16],
    },
    /// A TLS 1.2 ServerHello's ec_point_formats, when it sends one.
    PointFormats(&'static [u8]),
    /// The session id length of a TLS 1.2 ServerHello that accepts the
    /// session_ticket extension.
    TicketSessionId(usize),
    /// A ServerHello of this version, whatever the hello offered.
    Negotiates(u16),
    /// A fatal alert with this description.
    Alert(u8),
    /// An alert in a record with this version field.
    AlertRecordVersion(u16),
    /// A ServerHello: the probe's oddity is let through.
    Accepts,
}

const TLS12: u16 = 0x0303;
const TLS13: u16 = 0x0304;

/// The known implementations.
pub(super) const TABLE: &[Implementation] = &[
    Implementation {
        name: "OpenSSL",
        seen_with: "OpenSSL 3.0.22 (openssl s_server; tls-harness serve)",
        traits: &[
            Trait {
                probe: Probe::Tls13Hello,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: false,
                    order: &[43, 51, 41],
                },
                evidence: "supported_versions before key_share: OpenSSL writes extensions in the order \
                           of its own extension table (ssl/statem/extensions.c); the others here write \
                           key_share first",
            },
            Trait {
                probe: Probe::HrrTrigger,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: true,
                    order: &[43, 51, 44],
                },
                evidence: "supported_versions before key_share in the HelloRetryRequest too",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::Order {
                    version: TLS12,
                    hrr: false,
                    order: &[0xff01, 0, 11, 35, 22, 23],
                },
                evidence: "renegotiation_info first, the head of OpenSSL's extension table; heartbeat \
                           ignored (OpenSSL 1.1.1 dropped it)",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::PointFormats(&[0, 1, 2]),
                evidence: "ec_point_formats lists all three formats, compressed ones included",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::TicketSessionId(0),
                evidence: "an empty session id when it will issue a ticket instead",
            },
            Trait {
                probe: Probe::NoSupportedGroups,
                expect: Expect::Alert(109),
                evidence: "missing_extension for a TLS 1.3 hello without supported_groups",
            },
            Trait {
                probe: Probe::NoSignatureAlgorithms,
                expect: Expect::Alert(109),
                evidence: "missing_extension for a TLS 1.3 hello without signature_algorithms",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::Alert(47),
                evidence: "illegal_parameter for an empty suites list, where the others send decode_error",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::AlertRecordVersion(TLS12),
                evidence: "the alert record says TLS 1.2",
            },
            Trait {
                probe: Probe::DuplicateExtension,
                expect: Expect::Alert(47),
                evidence: "illegal_parameter for a repeated extension",
            },
        ],
    },
    Implementation {
        name: "GnuTLS",
        seen_with: "GnuTLS 3.7.9 (gnutls-serv)",
        traits: &[
            Trait {
                probe: Probe::Tls13Hello,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: false,
                    order: &[51, 43],
                },
                evidence: "key_share before supported_versions",
            },
            Trait {
                probe: Probe::HrrTrigger,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: true,
                    order: &[51, 43],
                },
                evidence: "a HelloRetryRequest of key_share and supported_versions, with no cookie",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::Order {
                    version: TLS12,
                    hrr: false,
                    order: &[11, 23, 35, 0xff01],
                },
                evidence: "renegotiation_info last, after session_ticket; heartbeat not acknowledged",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::PointFormats(&[0]),
                evidence: "ec_point_formats lists only uncompressed",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::TicketSessionId(32),
                evidence: "a 32-byte session id alongside a ticket",
            },
            Trait {
                probe: Probe::NoSupportedGroups,
                expect: Expect::Alert(40),
                evidence: "handshake_failure for a TLS 1.3 hello without supported_groups",
            },
            Trait {
                probe: Probe::NoSignatureAlgorithms,
                expect: Expect::Alert(40),
                evidence: "handshake_failure for a TLS 1.3 hello without signature_algorithms",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::Alert(50),
                evidence: "decode_error for an empty suites list",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::AlertRecordVersion(TLS12),
                evidence: "the alert record says TLS 1.2",
            },
            Trait {
                probe: Probe::DuplicateExtension,
                expect: Expect::Alert(110),
                evidence: "unsupported_extension for renegotiation_info (twice) in a TLS 1.3 hello, \
                           an alert no other implementation here picks",
            },
        ],
    },
    Implementation {
        name: "Botan 2",
        seen_with: "Botan 2.19.3 (botan tls_server)",
        traits: &[
            Trait {
                probe: Probe::Tls13Hello,
                expect: Expect::Negotiates(TLS12),
                evidence: "TLS 1.2 for a hello that offers TLS 1.3: Botan 2 has no TLS 1.3",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::Order {
                    version: TLS12,
                    hrr: false,
                    order: &[0, 11, 22, 23, 35, 0xff01],
                },
                evidence: "extensions in ascending type order (Botan 2 keeps them in a std::map keyed by \
                           type), so renegotiation_info last; no session_ticket (tls_server has no \
                           ticket key); heartbeat not acknowledged",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::PointFormats(&[0]),
                evidence: "ec_point_formats lists only uncompressed",
            },
            Trait {
                probe: Probe::NoSignatureAlgorithms,
                expect: Expect::Alert(40),
                evidence: "handshake_failure for a hello without signature_algorithms",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::Alert(50),
                evidence: "decode_error for an empty suites list",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::AlertRecordVersion(0x0301),
                evidence: "the alert record says TLS 1.0 before a version is agreed; the others say TLS 1.2",
            },
            Trait {
                probe: Probe::DuplicateExtension,
                expect: Expect::Alert(50),
                evidence: "decode_error for a repeated extension",
            },
        ],
    },
    Implementation {
        name: "tlslite-ng",
        seen_with: "tlslite-ng 0.8.2 (tls.py server)",
        traits: &[
            Trait {
                probe: Probe::Tls13Hello,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: false,
                    order: &[51, 43],
                },
                evidence: "key_share before supported_versions",
            },
            Trait {
                probe: Probe::HrrTrigger,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: true,
                    order: &[51, 44, 43],
                },
                evidence: "a cookie in every HelloRetryRequest, between key_share and supported_versions",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::Order {
                    version: TLS12,
                    hrr: false,
                    order: &[23, 0xff01, 11, 15, 35],
                },
                evidence: "extended_master_secret first; heartbeat acknowledged",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::PointFormats(&[1, 0]),
                evidence: "ec_point_formats lists ansiX962_compressed_prime before uncompressed",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::TicketSessionId(32),
                evidence: "a 32-byte session id alongside a ticket",
            },
            Trait {
                probe: Probe::NoSupportedGroups,
                expect: Expect::Alert(109),
                evidence: "missing_extension for a TLS 1.3 hello without supported_groups",
            },
            Trait {
                probe: Probe::NoSignatureAlgorithms,
                expect: Expect::Alert(109),
                evidence: "missing_extension for a TLS 1.3 hello without signature_algorithms",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::Alert(50),
                evidence: "decode_error for an empty suites list",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::AlertRecordVersion(TLS12),
                evidence: "the alert record says TLS 1.2",
            },
            Trait {
                probe: Probe::DuplicateExtension,
                expect: Expect::Accepts,
                evidence: "a repeated extension is let through",
            },
        ],
    },
    Implementation {
        name: "rustls",
        seen_with: "rustls 0.23.46 (ring provider, default ServerConfig)",
        traits: &[
            Trait {
                probe: Probe::Tls13Hello,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: false,
                    order: &[51, 43],
                },
                evidence: "key_share before supported_versions",
            },
            Trait {
                probe: Probe::HrrTrigger,
                expect: Expect::Order {
                    version: TLS13,
                    hrr: true,
                    order: &[51, 43],
                },
                evidence: "a HelloRetryRequest of key_share and supported_versions, with no cookie",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::Order {
                    version: TLS12,
                    hrr: false,
                    order: &[0, 35, 0xff01, 23],
                },
                evidence: "server_name acknowledged first, extended_master_secret last, and no \
                           ec_point_formats at all",
            },
            Trait {
                probe: Probe::Tls12Hello,
                expect: Expect::TicketSessionId(32),
                evidence: "a 32-byte session id alongside a ticket",
            },
            Trait {
                probe: Probe::NoSupportedGroups,
                expect: Expect::Alert(40),
                evidence: "handshake_failure for a TLS 1.3 hello without supported_groups",
            },
            Trait {
                probe: Probe::NoSignatureAlgorithms,
                expect: Expect::Alert(40),
                evidence: "handshake_failure for a TLS 1.3 hello without signature_algorithms",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::Alert(50),
                evidence: "decode_error for an empty suites list",
            },
            Trait {
                probe: Probe::EmptySuites,
                expect: Expect::AlertRecordVersion(TLS12),
                evidence: "the alert record says TLS 1.2",
            },
            Trait {
                probe: Probe::DuplicateExtension,
                expect: Expect::Alert(47),
                evidence: "illegal_parameter for a repeated extension",
            },
        ],
    },
];
