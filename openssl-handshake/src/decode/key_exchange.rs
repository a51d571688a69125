//! ServerKeyExchange and ClientKeyExchange (TLS 1.2 and earlier).
//!
//! Neither message says which key exchange it carries: the layout follows
//! from the cipher suite the ServerHello selected, which the caller passes
//! in a [`DecodeContext`](super::DecodeContext). Without it, the ECDHE and
//! DHE layouts are tried in turn.

use serde::{Deserialize, Serialize};
use tls_parser::{TlsCipherAu, TlsCipherKx, TlsCipherSuite};

use super::dh_groups::dh_group_name;
use super::error::{bad, Res};
use super::names::{NamedGroup, SignatureScheme};
use super::reader::Reader;

/// The key exchange algorithm of a TLS 1.2 cipher suite, as far as the
/// layout of the key exchange messages goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KeyExchangeKind {
    /// Ephemeral elliptic-curve Diffie-Hellman (RFC 8422).
    #[serde(rename = "ECDHE")]
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman (RFC 5246 7.4.3).
    #[serde(rename = "DHE")]
    Dhe,
    /// RSA key transport: the client encrypts the premaster secret.
    #[serde(rename = "RSA")]
    Rsa,
    /// Anything else (PSK, SRP, ...): only the length is kept.
    #[serde(rename = "other")]
    Other,
}

impl KeyExchangeKind {
    /// The kind of the suite `id`, when `tls-parser` knows the suite.
    ///
    /// Anonymous suites (`ADH-*`, `AECDH-*`) are ephemeral Diffie-Hellman
    /// with nothing signed, as OpenSSL treats them (kDHE or kECDHE with
    /// aNULL); tls-parser files them under static DH and ECDH with no
    /// authentication.
    pub fn of_suite(id: u16) -> Option<Self> {
        let suite = TlsCipherSuite::from_id(id)?;
        let anonymous = suite.au == TlsCipherAu::Null;
        Some(match suite.kx {
            _ if suite.au == TlsCipherAu::Psk => Self::Other,
            TlsCipherKx::Ecdhe | TlsCipherKx::Aecdh => Self::Ecdhe,
            TlsCipherKx::Ecdh if anonymous => Self::Ecdhe,
            TlsCipherKx::Dhe => Self::Dhe,
            TlsCipherKx::Dh if anonymous => Self::Dhe,
            TlsCipherKx::Rsa => Self::Rsa,
            _ => Self::Other,
        })
    }

    /// The name `openssl s_client -trace` prints (`KeyExchangeAlgorithm=ECDHE`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Ecdhe => "ECDHE",
            Self::Dhe => "DHE",
            Self::Rsa => "RSA",
            Self::Other => "other",
        }
    }
}

/// A ServerKeyExchange: the server's ephemeral parameters and its signature
/// over them. Public values and the signature are only measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServerKeyExchange {
    /// The key exchange the parameters are for.
    pub kind: KeyExchangeKind,
    /// ECDHE: the `ECCurveType` (3 = named_curve).
    pub curve_type: Option<u8>,
    /// ECDHE: the named group.
    pub named_group: Option<NamedGroup>,
    /// ECDHE: length of the server's public point.
    pub point_len: Option<usize>,
    /// DHE: length of the prime `dh_p` in bytes.
    pub dh_p_len: Option<usize>,
    /// DHE: length of the generator `dh_g` in bytes.
    pub dh_g_len: Option<usize>,
    /// DHE: length of the server's public value `dh_Ys` in bytes.
    pub dh_public_len: Option<usize>,
    /// DHE: the size of the prime in bits.
    pub dh_bits: Option<u32>,
    /// DHE: the name of a well-known group whose prime `dh_p` is
    /// (`ffdhe2048` for RFC 7919, `modp_2048` for RFC 3526, as OpenSSL
    /// names them), or `None` for other primes.
    pub dh_group: Option<String>,
    /// The signature scheme (TLS 1.2; absent before TLS 1.2 and for
    /// anonymous suites).
    pub signature_scheme: Option<SignatureScheme>,
    /// Length of the signature; 0 for anonymous suites.
    pub signature_len: usize,
}

impl ServerKeyExchange {
    /// The signature scheme's code point, when the message carries one.
    pub fn signature_scheme_id(&self) -> Option<u16> {
        self.signature_scheme.as_ref().map(|s| s.id)
    }

    /// The name of the DHE group, when the prime is a well-known one.
    pub fn dh_group_name(&self) -> Option<&str> {
        self.dh_group.as_deref()
    }

    /// The size of the DHE prime in bits.
    pub fn dh_bits(&self) -> Option<u32> {
        self.dh_bits
    }
}

/// A ClientKeyExchange. The public value or encrypted secret is only measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientKeyExchange {
    /// The key exchange, from the negotiated suite (or the layout when the
    /// suite is unknown).
    pub kind: KeyExchangeKind,
    /// Length of the client's public point (ECDHE), public value `dh_Yc`
    /// (DHE) or encrypted premaster secret (RSA); the body length otherwise.
    pub exchange_len: usize,
}

/// Whether suite `id` signs its ServerKeyExchange (every (EC)DHE suite but
/// the anonymous ones), when `tls-parser` knows the suite.
pub(super) fn suite_signs(id: u16) -> Option<bool> {
    TlsCipherSuite::from_id(id).map(|s| s.au != TlsCipherAu::Null)
}

/// `signed`: whether a signature carries its scheme (TLS 1.2); `signs`:
/// whether the suite signs at all; `None` where unknown.
pub(super) fn decode_server_key_exchange(
    body: &[u8],
    kind: Option<KeyExchangeKind>,
    signed: Option<bool>,
    signs: Option<bool>,
) -> Res<ServerKeyExchange> {
    let kinds: &[KeyExchangeKind] = match kind {
        Some(kind) => &[kind][..],
        None => &[KeyExchangeKind::Ecdhe, KeyExchangeKind::Dhe],
    };
    let signed: &[bool] = match signed {
        Some(s) => &[s][..],
        None => &[true, false],
    };
    let mut first_err = None;
    for &kind in kinds {
        for &signed in signed {
            match server_params(body, kind, signed, signs) {
                Ok(view) => return Ok(view),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
    }
    Err(first_err.unwrap_or_else(|| super::error::Fail::Bad("no layout fits".into())))
}

fn server_params(
    body: &[u8],
    kind: KeyExchangeKind,
    signed: bool,
    signs: Option<bool>,
) -> Res<ServerKeyExchange> {
    let mut reader = Reader::new(body);
    let mut view = ServerKeyExchange {
        kind,
        curve_type: None,
        named_group: None,
        point_len: None,
        dh_p_len: None,
        dh_g_len: None,
        dh_public_len: None,
        dh_bits: None,
        dh_group: None,
        signature_scheme: None,
        signature_len: 0,
    };
    match kind {
        KeyExchangeKind::Ecdhe => {
            let curve_type = reader.u8()?;
            if curve_type != 3 {
                return bad(format!(
                    "ECCurveType {curve_type} (only named_curve, 3, is in use)"
                ));
            }
            view.curve_type = Some(curve_type);
            view.named_group = Some(NamedGroup::new(reader.u16()?));
            let point = reader.vec(1)?;
            if point.is_empty() {
                return bad("empty public point");
            }
            view.point_len = Some(point.len());
        }
        KeyExchangeKind::Dhe => {
            let p = reader.vec(2)?;
            let g = reader.vec(2)?;
            let ys = reader.vec(2)?;
            for (value, name) in [
                (p, "dh_p (the DH prime)"),
                (g, "dh_g (the DH generator)"),
                (ys, "dh_Ys (the server's DH public value)"),
            ] {
                if value.is_empty() {
                    return bad(format!("empty {name}"));
                }
            }
            view.dh_p_len = Some(p.len());
            view.dh_g_len = Some(g.len());
            view.dh_public_len = Some(ys.len());
            view.dh_bits = Some(bit_length(p));
            view.dh_group = dh_group_name(p, g).map(str::to_owned);
        }
        KeyExchangeKind::Rsa | KeyExchangeKind::Other => {
            // Export RSA, PSK hints, SRP: not decoded further.
            view.signature_len = 0;
            return Ok(view);
        }
    }
    if reader.is_empty() {
        // Anonymous suites sign nothing; any other must (tshark and
        // OpenSSL, decode_error, call it malformed).
        if signs == Some(true) {
            return bad("no signature, though the suite signs its parameters");
        }
        return Ok(view);
    }
    if signed {
        view.signature_scheme = Some(SignatureScheme::new(reader.u16()?));
    }
    view.signature_len = reader.vec(2)?.len();
    reader.finish("the signature")?;
    Ok(view)
}

pub(super) fn decode_client_key_exchange(
    body: &[u8],
    kind: Option<KeyExchangeKind>,
) -> Res<ClientKeyExchange> {
    let kind = match kind {
        Some(kind) => kind,
        // One length byte covering the rest can only be an EC point.
        None if body.first().map(|&n| usize::from(n) + 1) == Some(body.len()) => {
            KeyExchangeKind::Ecdhe
        }
        None => KeyExchangeKind::Other,
    };
    let mut reader = Reader::new(body);
    let exchange_len = match kind {
        KeyExchangeKind::Ecdhe => reader.vec(1)?.len(),
        KeyExchangeKind::Dhe | KeyExchangeKind::Rsa => reader.vec(2)?.len(),
        KeyExchangeKind::Other => {
            return Ok(ClientKeyExchange {
                kind,
                exchange_len: body.len(),
            })
        }
    };
    reader.finish("the exchange keys")?;
    if exchange_len == 0 {
        return bad("empty exchange keys");
    }
    Ok(ClientKeyExchange { kind, exchange_len })
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> u32 {
    let Some(first) = bytes.iter().position(|&b| b != 0) else {
        return 0;
    };
    let significant = u32::try_from(bytes.len() - first).unwrap_or(u32::MAX / 8);
    significant
        .saturating_sub(1)
        .saturating_mul(8)
        .saturating_add(8 - bytes[first].leading_zeros())
}
