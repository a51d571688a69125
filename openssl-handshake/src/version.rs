//! [`ProtocolVersion`]: a protocol version as a value that compares, named
//! as OpenSSL names it.

use std::fmt;
use std::str::FromStr;

use openssl::ssl::SslVersion;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// An SSL, TLS or DTLS protocol version.
///
/// Versions compare as values: SSLv3 < TLS 1.0 < TLS 1.1 < TLS 1.2 <
/// TLS 1.3, then DTLS 1.0 < DTLS 1.2 (whose wire codepoints count down),
/// then codepoints without a name, by number.
///
/// It prints, and serializes in JSON, as `SSL_get_version` names it
/// ("TLSv1.3", "DTLSv1.2"), so output matches `openssl s_client`; a
/// codepoint OpenSSL does not name (it says "unknown") prints as hex,
/// "0x7f1c", so nothing is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProtocolVersion {
    /// SSL 3.0 (0x0300).
    Ssl3,
    /// TLS 1.0 (0x0301).
    Tls1,
    /// TLS 1.1 (0x0302).
    Tls1_1,
    /// TLS 1.2 (0x0303).
    Tls1_2,
    /// TLS 1.3 (0x0304).
    Tls1_3,
    /// DTLS 1.0 (0xfeff).
    Dtls1,
    /// DTLS 1.2 (0xfefd).
    Dtls1_2,
    /// A wire codepoint without a name here; 0 for a connection whose
    /// version OpenSSL could not name.
    Other(u16),
}

/// The named versions: codepoint, `SSL_get_version`'s name, the name
/// `openssl -msg` and people use.
const NAMED: [(ProtocolVersion, u16, &str, &str); 7] = [
    (ProtocolVersion::Ssl3, 0x0300, "SSLv3", "SSL 3.0"),
    (ProtocolVersion::Tls1, 0x0301, "TLSv1", "TLS 1.0"),
    (ProtocolVersion::Tls1_1, 0x0302, "TLSv1.1", "TLS 1.1"),
    (ProtocolVersion::Tls1_2, 0x0303, "TLSv1.2", "TLS 1.2"),
    (ProtocolVersion::Tls1_3, 0x0304, "TLSv1.3", "TLS 1.3"),
    (ProtocolVersion::Dtls1, 0xfeff, "DTLSv1", "DTLS 1.0"),
    (ProtocolVersion::Dtls1_2, 0xfefd, "DTLSv1.2", "DTLS 1.2"),
];

impl ProtocolVersion {
    /// The codepoint on the wire, e.g. 0x0304 for TLS 1.3.
    pub fn wire(self) -> u16 {
        match self {
            ProtocolVersion::Other(v) => v,
            named => NAMED
                .iter()
                .find(|n| n.0 == named)
                .map_or(0, |&(_, wire, _, _)| wire),
        }
    }

    /// Exactly what `SSL_get_version` prints: "TLSv1.3", ..., and
    /// "unknown" for [`ProtocolVersion::Other`]. A fit metric label: it
    /// takes few values.
    pub fn name(self) -> &'static str {
        self.named().map_or("unknown", |&(_, _, name, _)| name)
    }

    /// The name `openssl s_client -msg` prints and people write: "TLS 1.2",
    /// "SSL 3.0", "DTLS 1.2"; `None` for [`ProtocolVersion::Other`].
    pub fn spelled_out(self) -> Option<&'static str> {
        self.named().map(|&(_, _, _, long)| long)
    }

    /// The version `SSL_get_version` (or `SSL_CIPHER_get_version`) names
    /// `name`, e.g. "TLSv1.2".
    pub(crate) fn from_name(name: &str) -> Option<ProtocolVersion> {
        NAMED.iter().find(|n| n.2 == name).map(|n| n.0)
    }

    fn named(self) -> Option<&'static (ProtocolVersion, u16, &'static str, &'static str)> {
        NAMED.iter().find(|n| n.0 == self)
    }
}

impl From<u16> for ProtocolVersion {
    /// The version a wire codepoint stands for.
    fn from(wire: u16) -> Self {
        NAMED
            .iter()
            .find(|n| n.1 == wire)
            .map_or(ProtocolVersion::Other(wire), |n| n.0)
    }
}

impl From<ProtocolVersion> for u16 {
    fn from(v: ProtocolVersion) -> u16 {
        v.wire()
    }
}

impl From<SslVersion> for ProtocolVersion {
    /// The `openssl` crate's version constant as a value. `SslVersion`
    /// hides its number, so one that is none of the crate's constants
    /// (only `SslRef::version2` makes those) becomes `Other(0)`.
    fn from(v: SslVersion) -> Self {
        [
            (SslVersion::SSL3, ProtocolVersion::Ssl3),
            (SslVersion::TLS1, ProtocolVersion::Tls1),
            (SslVersion::TLS1_1, ProtocolVersion::Tls1_1),
            (SslVersion::TLS1_2, ProtocolVersion::Tls1_2),
            (SslVersion::TLS1_3, ProtocolVersion::Tls1_3),
            (SslVersion::DTLS1, ProtocolVersion::Dtls1),
            (SslVersion::DTLS1_2, ProtocolVersion::Dtls1_2),
        ]
        .into_iter()
        .find(|(ssl, _)| *ssl == v)
        .map_or(ProtocolVersion::Other(0), |(_, ours)| ours)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolVersion::Other(v) => write!(f, "0x{v:04x}"),
            named => f.write_str(named.name()),
        }
    }
}

/// A string that names no protocol version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a protocol version; write it as OpenSSL prints it (SSLv3, TLSv1, TLSv1.1, \
     TLSv1.2, TLSv1.3, DTLSv1, DTLSv1.2) or as a codepoint such as 0x0304"
)]
pub struct UnknownVersion(String);

impl UnknownVersion {
    /// The string that was given.
    pub fn given(&self) -> &str {
        &self.0
    }
}

impl FromStr for ProtocolVersion {
    type Err = UnknownVersion;

    /// Reads what [`Display`](fmt::Display) writes; also "TLSv1.0", which
    /// tools that spell every version with its minor number write for
    /// TLS 1.0, and "unknown", as `SSL_get_version` writes a version it
    /// cannot name.
    fn from_str(s: &str) -> Result<Self, UnknownVersion> {
        if let Some(n) = NAMED.iter().find(|n| n.2 == s) {
            return Ok(n.0);
        }
        match s {
            "TLSv1.0" => Ok(ProtocolVersion::Tls1),
            "unknown" => Ok(ProtocolVersion::Other(0)),
            _ => s
                .strip_prefix("0x")
                .filter(|hex| hex.len() == 4)
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                .map(ProtocolVersion::from)
                .ok_or_else(|| UnknownVersion(s.to_owned())),
        }
    }
}

impl Serialize for ProtocolVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_oldest_first() {
        // SSL 3.0 to TLS 1.3, DTLS 1.0 and 1.2 (their codepoints count
        // down), then a codepoint without a name.
        let ordered = [
            0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0xfeff, 0xfefd, 0x7f1c,
        ]
        .map(ProtocolVersion::from);
        assert!(ordered.windows(2).all(|w| w[0] < w[1]), "{ordered:?}");
        assert!(ProtocolVersion::Tls1_2 < ProtocolVersion::Tls1_3);
    }

    #[test]
    fn wire_codepoints_round_trip() {
        for wire in [
            0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0xfeff, 0xfefd, 0x7f1c, 0,
        ] {
            let v = ProtocolVersion::from(wire);
            assert_eq!(v.wire(), wire);
            assert_eq!(v.to_string().parse::<ProtocolVersion>(), Ok(v));
        }
        assert_eq!(ProtocolVersion::from(0x0304), ProtocolVersion::Tls1_3);
        assert_eq!(ProtocolVersion::from(0x7f1c).to_string(), "0x7f1c");
        assert_eq!(ProtocolVersion::from(0x7f1c).name(), "unknown");
    }

    #[test]
    fn a_bad_name_is_a_typed_error_naming_it() {
        let err = "TLS1.3".parse::<ProtocolVersion>().unwrap_err();
        assert_eq!(err, UnknownVersion("TLS1.3".into()));
        assert!(err.to_string().contains("\"TLS1.3\""), "{err}");
        assert!("0x30".parse::<ProtocolVersion>().is_err());
    }

    #[test]
    fn json_is_the_name() {
        let json = serde_json::to_string(&ProtocolVersion::Tls1_3).unwrap();
        assert_eq!(json, "\"TLSv1.3\"");
        let back: ProtocolVersion = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ProtocolVersion::Tls1_3);
        assert!(serde_json::from_str::<ProtocolVersion>("\"TLSv9\"").is_err());
    }
}
