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
use super::{TLS12, TLS13};

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

impl Trait {
    const fn new(probe: Probe, expect: Expect, evidence: &'static str) -> Trait {
        Trait {
            probe,
            expect,
            evidence,
        }
    }

    /// An [`Expect::Order`] trait; it expects a HelloRetryRequest for the
    /// probe made to draw one and a ServerHello for the others.
    const fn order(
        probe: Probe,
        version: u16,
        order: &'static [u16],
        evidence: &'static str,
    ) -> Trait {
        let hrr = matches!(probe, Probe::HrrTrigger);
        Trait::new(
            probe,
            Expect::Order {
                version,
                hrr,
                order,
            },
            evidence,
        )
    }
}

// Traits that several implementations share, word for word.

const KEY_SHARE_FIRST: Trait = Trait::order(
    Probe::Tls13Hello,
    TLS13,
    &[51, 43],
    "key_share before supported_versions",
);
const HRR_WITHOUT_COOKIE: Trait = Trait::order(
    Probe::HrrTrigger,
    TLS13,
    &[51, 43],
    "a HelloRetryRequest of key_share and supported_versions, with no cookie",
);
const ONLY_UNCOMPRESSED: Trait = Trait::new(
    Probe::Tls12Hello,
    Expect::PointFormats(&[0]),
    "ec_point_formats lists only uncompressed",
);
const SESSION_ID_WITH_TICKET: Trait = Trait::new(
    Probe::Tls12Hello,
    Expect::TicketSessionId(32),
    "a 32-byte session id alongside a ticket",
);
const NO_GROUPS_MISSING_EXTENSION: Trait = Trait::new(
    Probe::NoSupportedGroups,
    Expect::Alert(109),
    "missing_extension for a TLS 1.3 hello without supported_groups",
);
const NO_SIGALGS_MISSING_EXTENSION: Trait = Trait::new(
    Probe::NoSignatureAlgorithms,
    Expect::Alert(109),
    "missing_extension for a TLS 1.3 hello without signature_algorithms",
);
const NO_GROUPS_HANDSHAKE_FAILURE: Trait = Trait::new(
    Probe::NoSupportedGroups,
    Expect::Alert(40),
    "handshake_failure for a TLS 1.3 hello without supported_groups",
);
const NO_SIGALGS_HANDSHAKE_FAILURE: Trait = Trait::new(
    Probe::NoSignatureAlgorithms,
    Expect::Alert(40),
    "handshake_failure for a TLS 1.3 hello without signature_algorithms",
);
const EMPTY_SUITES_DECODE_ERROR: Trait = Trait::new(
    Probe::EmptySuites,
    Expect::Alert(50),
    "decode_error for an empty suites list",
);
const EMPTY_SUITES_TLS12_RECORD: Trait = Trait::new(
    Probe::EmptySuites,
    Expect::AlertRecordVersion(TLS12),
    "the alert record says TLS 1.2",
);
const DUPLICATE_ILLEGAL_PARAMETER: Trait = Trait::new(
    Probe::DuplicateExtension,
    Expect::Alert(47),
    "illegal_parameter for a repeated extension",
);

/// The known implementations.
pub(super) const TABLE: &[Implementation] = &[
    Implementation {
        name: "OpenSSL",
        seen_with: "OpenSSL 3.0.19 and 3.0.22 (openssl s_server; tls-harness serve)",
        traits: &[
            Trait::order(
                Probe::Tls13Hello,
                TLS13,
                &[43, 51, 41],
                "supported_versions before key_share: OpenSSL writes extensions in the order \
                 of its own extension table (ssl/statem/extensions.c); the others here write \
                 key_share first",
            ),
            Trait::order(
                Probe::HrrTrigger,
                TLS13,
                &[43, 51, 44],
                "supported_versions before key_share in the HelloRetryRequest too",
            ),
            Trait::order(
                Probe::Tls12Hello,
                TLS12,
                &[0xff01, 0, 11, 35, 22, 23],
                "renegotiation_info first, the head of OpenSSL's extension table; heartbeat \
                 ignored (OpenSSL 1.1.1 dropped it)",
            ),
            Trait::new(
                Probe::Tls12Hello,
                Expect::PointFormats(&[0, 1, 2]),
                "ec_point_formats lists all three formats, compressed ones included",
            ),
            Trait::new(
                Probe::Tls12Hello,
                Expect::TicketSessionId(0),
                "an empty session id when it will issue a ticket instead",
            ),
            NO_GROUPS_MISSING_EXTENSION,
            NO_SIGALGS_MISSING_EXTENSION,
            Trait::new(
                Probe::EmptySuites,
                Expect::Alert(47),
                "illegal_parameter for an empty suites list, where the others send decode_error",
            ),
            EMPTY_SUITES_TLS12_RECORD,
            DUPLICATE_ILLEGAL_PARAMETER,
        ],
    },
    Implementation {
        name: "GnuTLS",
        seen_with: "GnuTLS 3.7.9 (gnutls-serv)",
        traits: &[
            KEY_SHARE_FIRST,
            HRR_WITHOUT_COOKIE,
            Trait::order(
                Probe::Tls12Hello,
                TLS12,
                &[11, 23, 35, 0xff01],
                "renegotiation_info last, after session_ticket; heartbeat not acknowledged",
            ),
            ONLY_UNCOMPRESSED,
            SESSION_ID_WITH_TICKET,
            NO_GROUPS_HANDSHAKE_FAILURE,
            NO_SIGALGS_HANDSHAKE_FAILURE,
            EMPTY_SUITES_DECODE_ERROR,
            EMPTY_SUITES_TLS12_RECORD,
            Trait::new(
                Probe::DuplicateExtension,
                Expect::Alert(110),
                "unsupported_extension for renegotiation_info (twice) in a TLS 1.3 hello, \
                 an alert no other implementation here picks",
            ),
        ],
    },
    Implementation {
        name: "Botan 2",
        seen_with: "Botan 2.19.3 (botan tls_server)",
        traits: &[
            Trait::new(
                Probe::Tls13Hello,
                Expect::Negotiates(TLS12),
                "TLS 1.2 for a hello that offers TLS 1.3: Botan 2 has no TLS 1.3",
            ),
            Trait::order(
                Probe::Tls12Hello,
                TLS12,
                &[0, 11, 22, 23, 35, 0xff01],
                "extensions in ascending type order (Botan 2 keeps them in a std::map keyed by \
                 type), so renegotiation_info last; no session_ticket (tls_server has no \
                 ticket key); heartbeat not acknowledged",
            ),
            ONLY_UNCOMPRESSED,
            Trait::new(
                Probe::NoSignatureAlgorithms,
                Expect::Alert(40),
                "handshake_failure for a hello without signature_algorithms",
            ),
            EMPTY_SUITES_DECODE_ERROR,
            Trait::new(
                Probe::EmptySuites,
                Expect::AlertRecordVersion(0x0301),
                "the alert record says TLS 1.0 before a version is agreed; the others say TLS 1.2",
            ),
            Trait::new(
                Probe::DuplicateExtension,
                Expect::Alert(50),
                "decode_error for a repeated extension",
            ),
        ],
    },
    Implementation {
        name: "tlslite-ng",
        seen_with: "tlslite-ng 0.8.2 (tls.py server)",
        traits: &[
            KEY_SHARE_FIRST,
            Trait::order(
                Probe::HrrTrigger,
                TLS13,
                &[51, 44, 43],
                "a cookie in every HelloRetryRequest, between key_share and supported_versions",
            ),
            Trait::order(
                Probe::Tls12Hello,
                TLS12,
                &[23, 0xff01, 11, 15, 35],
                "extended_master_secret first; heartbeat acknowledged",
            ),
            Trait::new(
                Probe::Tls12Hello,
                Expect::PointFormats(&[1, 0]),
                "ec_point_formats lists ansiX962_compressed_prime before uncompressed",
            ),
            SESSION_ID_WITH_TICKET,
            NO_GROUPS_MISSING_EXTENSION,
            NO_SIGALGS_MISSING_EXTENSION,
            EMPTY_SUITES_DECODE_ERROR,
            EMPTY_SUITES_TLS12_RECORD,
            Trait::new(
                Probe::DuplicateExtension,
                Expect::Accepts,
                "a repeated extension is let through",
            ),
        ],
    },
    Implementation {
        name: "rustls",
        seen_with: "rustls 0.23.46 (ring provider, default ServerConfig)",
        traits: &[
            KEY_SHARE_FIRST,
            HRR_WITHOUT_COOKIE,
            Trait::order(
                Probe::Tls12Hello,
                TLS12,
                &[0, 35, 0xff01, 23],
                "server_name acknowledged first, extended_master_secret last, and no \
                 ec_point_formats at all",
            ),
            SESSION_ID_WITH_TICKET,
            NO_GROUPS_HANDSHAKE_FAILURE,
            NO_SIGALGS_HANDSHAKE_FAILURE,
            EMPTY_SUITES_DECODE_ERROR,
            EMPTY_SUITES_TLS12_RECORD,
            DUPLICATE_ILLEGAL_PARAMETER,
        ],
    },
];
