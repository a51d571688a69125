//! What a probe's client offers: versions, suites, groups and the rest,
//! each left to OpenSSL's default when unset.

use crate::case::Version;
use crate::library::Library;

/// What the client offers on one probe; `None` keeps OpenSSL's default.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    /// Lowest version.
    pub min: Option<Version>,
    /// Highest version.
    pub max: Option<Version>,
    /// TLS 1.2-and-older suites, OpenSSL syntax (`@SECLEVEL=0` is added,
    /// but with `openssl_defaults`).
    pub cipher_list: Option<String>,
    /// TLS 1.3 suites.
    pub ciphersuites: Option<String>,
    /// Supported groups, OpenSSL names.
    pub groups: Option<String>,
    /// Signature algorithms, OpenSSL names.
    pub sigalgs: Option<String>,
    /// ALPN protocols.
    pub alpn: Vec<String>,
    /// Overrides the SNI: `Some(None)` sends none.
    pub sni: Option<Option<String>>,
    /// Refuse tickets (`SSL_OP_NO_TICKET`), so TLS 1.2 resumes by id.
    pub no_ticket: bool,
    /// Send `TLS_FALLBACK_SCSV`.
    pub fallback_scsv: bool,
    /// After the handshake, read briefly so TLS 1.3 tickets arrive.
    pub wait_tickets: bool,
    /// Check the chain against `--cafile` (or the system store) and the name.
    pub verify: bool,
    /// After the handshake, ask the server to renegotiate (TLS 1.2 and
    /// older).
    pub renegotiate: bool,
    /// Keep the linked OpenSSL's client defaults where every other probe
    /// overrides them to reach any server: its security level, its suites
    /// and no legacy (pre-RFC 5746) servers.
    pub openssl_defaults: bool,
    /// Ask for the server's OCSP response (status_request, RFC 6066
    /// section 8), as `s_client -status` does.
    pub ocsp: bool,
}

impl Offer {
    /// The offer in short, for the report's record of each probe.
    pub fn describe(&self, resuming: bool) -> String {
        let mut parts = Vec::new();
        let v = |x: Option<Version>| x.map_or("any", |v| v.id());
        parts.push(format!("versions {}..{}", v(self.min), v(self.max)));
        if let Some(c) = &self.cipher_list {
            parts.push(format!("ciphers {c}"));
        }
        if let Some(c) = &self.ciphersuites {
            parts.push(format!("ciphersuites {c}"));
        }
        if let Some(g) = &self.groups {
            parts.push(format!("groups {g}"));
        }
        if let Some(s) = &self.sigalgs {
            parts.push(format!("sigalgs {s}"));
        }
        if !self.alpn.is_empty() {
            parts.push(format!("alpn {}", self.alpn.join(",")));
        }
        match &self.sni {
            Some(Some(n)) => parts.push(format!("sni {n}")),
            Some(None) => parts.push("no sni".into()),
            None => {}
        }
        for (on, what) in [
            (self.no_ticket, "no ticket"),
            (self.fallback_scsv, "fallback scsv"),
            (self.verify, "verify"),
            (self.renegotiate, "then renegotiate"),
            (self.openssl_defaults, "OpenSSL's client defaults"),
            (self.ocsp, "status_request"),
            (resuming, "resuming"),
        ] {
            if on {
                parts.push(what.into());
            }
        }
        parts.join("; ")
    }
}

/// Every TLS 1.3 suite the linked OpenSSL implements, by name.
pub fn every_tls13_suite(library: &Library) -> String {
    let names: Vec<&str> = library
        .suites
        .iter()
        .filter(|s| s.is_tls13())
        .map(|s| s.name.as_str())
        .collect();
    names.join(":")
}

/// Every group the linked OpenSSL can offer, its defaults first.
pub fn every_group(library: &Library) -> String {
    let names: Vec<&str> = super::groups::GROUPS
        .iter()
        .map(|g| g.openssl)
        .filter(|g| library.group_known(g))
        .collect();
    names.join(":")
}
