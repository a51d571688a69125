//! The encrypted_client_hello extension of a ClientHello (TLS Encrypted
//! Client Hello, draft-ietf-tls-esni, section 5): its HPKE suite, config
//! id and the lengths of its encapsulated key and encrypted inner hello.
//! Chromium sends one in every ClientHello, a real one for a server that
//! published an ECH configuration and a GREASE one, alike on the wire, for
//! any other; OpenSSL 3.0 neither sends nor reads it (nor does
//! tshark 4.0), so a trace is where a server's owner sees what came.

use serde::{Deserialize, Serialize};

use super::error::{bad, Res};
use super::reader::Reader;

/// ECH's extension type (draft-ietf-tls-esni, section 11.1).
pub(super) const EXT_ENCRYPTED_CLIENT_HELLO: u16 = 0xfe0d;

/// A ClientHello's encrypted_client_hello extension. Exhaustive in
/// practice but marked otherwise, as the draft may still grow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EncryptedClientHello {
    /// `ECHClientHelloType`: 0 outer (the ClientHello in the clear, which
    /// carries the encrypted one, or GREASE), 1 inner (only ever inside
    /// the encryption, so not on the wire).
    #[serde(rename = "type")]
    pub hello_type: u8,
    /// The outer extension's HPKE suite, KDF then AEAD (RFC 9180, sections
    /// 7.2 and 7.3); absent for an inner one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<HpkeSuite>,
    /// The outer extension's `config_id`: which of the server's ECH
    /// configurations the client used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_id: Option<u8>,
    /// The length of the outer extension's `enc`, the HPKE encapsulated
    /// key (32 bytes for X25519; empty in a ClientHello after a
    /// HelloRetryRequest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc_len: Option<usize>,
    /// The length of the outer extension's `payload`, the encrypted inner
    /// ClientHello.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_len: Option<usize>,
}

/// `HpkeSymmetricCipherSuite`: an HPKE KDF and AEAD by their RFC 9180
/// identifiers. Exhaustive: the wire format fixes its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpkeSuite {
    /// 1 HKDF-SHA256, 2 HKDF-SHA384, 3 HKDF-SHA512.
    pub kdf_id: u16,
    /// 1 AES-128-GCM, 2 AES-256-GCM, 3 ChaCha20Poly1305.
    pub aead_id: u16,
}

impl HpkeSuite {
    /// The KDF's name in RFC 9180's registry, if it has one.
    pub(crate) fn kdf_name(self) -> Option<&'static str> {
        Some(match self.kdf_id {
            1 => "HKDF-SHA256",
            2 => "HKDF-SHA384",
            3 => "HKDF-SHA512",
            _ => return None,
        })
    }

    /// The AEAD's name in RFC 9180's registry, if it has one.
    pub(crate) fn aead_name(self) -> Option<&'static str> {
        Some(match self.aead_id {
            1 => "AES-128-GCM",
            2 => "AES-256-GCM",
            3 => "ChaCha20Poly1305",
            0xffff => "Export-only",
            _ => return None,
        })
    }
}

/// encrypted_client_hello in a ClientHello:
///
/// ```text
/// enum { outer(0), inner(1) } ECHClientHelloType;
/// struct {
///    ECHClientHelloType type;
///    select (ECHClientHello.type) {
///        case outer:
///            HpkeSymmetricCipherSuite cipher_suite;
///            uint8 config_id;
///            opaque enc<0..2^16-1>;
///            opaque payload<1..2^16-1>;
///        case inner:
///            Empty;
///    };
/// } ECHClientHello;
/// ```
pub(super) fn ext_encrypted_client_hello(data: &[u8]) -> Res<EncryptedClientHello> {
    let mut r = Reader::new(data);
    let hello_type = r.u8()?;
    let mut view = EncryptedClientHello {
        hello_type,
        cipher_suite: None,
        config_id: None,
        enc_len: None,
        payload_len: None,
    };
    match hello_type {
        0 => {
            view.cipher_suite = Some(HpkeSuite {
                kdf_id: r.u16()?,
                aead_id: r.u16()?,
            });
            view.config_id = Some(r.u8()?);
            view.enc_len = Some(r.vec(2)?.len());
            let payload = r.vec(2)?;
            if payload.is_empty() {
                return bad("empty payload");
            }
            view.payload_len = Some(payload.len());
            r.finish("payload")?;
        }
        1 => r.finish("the inner type")?,
        other => return bad(format!("unknown ECHClientHelloType {other}")),
    }
    Ok(view)
}
