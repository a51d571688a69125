//! The names a test run picks from: the key type of a leaf and the ways a
//! server credential can fail verification.

use std::fmt;
use std::str::FromStr;

use openssl::bn::BigNum;
use openssl::dsa::Dsa;
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;

#[cfg(doc)]
use super::Pki;

/// Error from parsing a [`KeyType`] or [`Negative`] from an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {input:?}; valid names are: {valid}")]
pub struct ParseNameError {
    kind: &'static str,
    input: String,
    valid: String,
}

fn parse_name<T: Copy>(
    kind: &'static str,
    input: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, ParseNameError> {
    all.iter()
        .copied()
        .find(|&v| name(v).eq_ignore_ascii_case(input))
        .ok_or_else(|| ParseNameError {
            kind,
            input: input.to_owned(),
            valid: all.iter().map(|&v| name(v)).collect::<Vec<_>>().join(", "),
        })
}

/// The key algorithm of a leaf certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// RSA with a 2048-bit modulus.
    Rsa2048,
    /// ECDSA on NIST P-256 (prime256v1).
    EcdsaP256,
    /// ECDSA on NIST P-384 (secp384r1).
    EcdsaP384,
    /// Ed25519 (EdDSA).
    Ed25519,
    /// DSA with a 2048-bit prime, for the DSS suites of TLS 1.2 and older.
    Dsa2048,
}

impl KeyType {
    /// Every key type, in declaration order.
    pub const ALL: [KeyType; 5] = [
        KeyType::Rsa2048,
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
        KeyType::Dsa2048,
    ];

    /// Stable lower-case name, used in file names and on command lines.
    pub const fn name(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa2048",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Ed25519 => "ed25519",
            KeyType::Dsa2048 => "dsa2048",
        }
    }

    /// A fresh private key of this type.
    pub(super) fn generate(self) -> Result<PKey<Private>, ErrorStack> {
        let ec = |nid| {
            let group = EcGroup::from_curve_name(nid)?;
            PKey::from_ec_key(EcKey::generate(&group)?)
        };
        match self {
            KeyType::Rsa2048 => PKey::from_rsa(Rsa::generate(2048)?),
            KeyType::EcdsaP256 => ec(Nid::X9_62_PRIME256V1),
            KeyType::EcdsaP384 => ec(Nid::SECP384R1),
            KeyType::Ed25519 => PKey::generate_ed25519(),
            // Fixed domain parameters: generating them takes a random,
            // sometimes long while, and they need not be secret.
            KeyType::Dsa2048 => {
                let hex = |h: &str| BigNum::from_hex_str(h);
                let params = Dsa::from_pqg(hex(DSA_P)?, hex(DSA_Q)?, hex(DSA_G)?)?;
                PKey::from_dsa(params.generate_key()?)
            }
        }
    }
}

/// DSA domain parameters (2048-bit p, 224-bit q), made once with
/// `openssl dsaparam 2048`.
const DSA_P: &str = "980c052f478fb1711bd66d1e06027a1124537d50aae93b9762f446c31964d7ee3ed5c170603c8840fb97dbb2bf9f2fa6148e94f2685f6a8212347cf8702029c5a5f3d3bbdbc0fa2a56faf66abbf6e783b7900c91f3faac00cd973b2e2734aebec645d842aec3d72e745eee67f532db3c7cf5f38444a8d0a47e82d051497173f5f24772077b4b2c51561884adb89b39873d712f58451adff152824f83455604968f794af72a6aafe5376346e5a1fbdabb7eda4949578964cc2c467776826b3cb6be3724328ef41bc5e03b4cd7c814cf3acd37018c4404579dcb443a39c49a5e6f8bced42d2b3d8330cbcdf63d7267435192f4bc7fa5f06e4bc4eb282b4907efc9";
const DSA_Q: &str = "c6c027d74d7d7c8f9df68ca30a6510277c7ab2db901f1d80ba8ae799";
const DSA_G: &str = "3cf0a63bf156d79120b33b9708eb7c4d619c1b69685e469579fcbda53f161faeafb0e4d427eaad8b4c3eaa85884abe64eab8cbf1fc546331f9f375eef838f4e1ad360a7a3650b7223c2274ecf4cd57c82618d78259679f3ca375d8ff50ce1fc18d768c2517585b0eb02f7acd3e3b86fa6974561d4ed82beecc74ea9ac12f7c0e6e9f5fd3fe409fe02782d63ad32abbc4a08b72ed137df979181c78f49e8a7fdcff539b632d5c1b8c6be59d4a31615c13db03662d5224851b5473dc98a3002345a39a97e246ea649b38c8ec3dad94725efcb7d162e6074e8fd7f5bac0a95c9f09f135fc4cc0c9e7e016fa625b0e9b25c5a235ed393b459c23fcde4db55f99b825";

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyType {
    type Err = ParseNameError;

    /// Parses a [`KeyType::name`], ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("key type", s, &Self::ALL, Self::name)
    }
}

/// A server credential for [`Pki::HOST`] that a verifying client must reject.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Negative {
    /// Issued by the intermediate, valid from 60 days ago until yesterday.
    Expired,
    /// Issued by the intermediate, valid only from tomorrow.
    NotYetValid,
    /// Valid, but for `wrong.example` only (CN and SAN). Fails only when the
    /// client checks the host name.
    WrongHost,
    /// A self-signed leaf with no chain.
    SelfSigned,
    /// Issued by a separate root CA, "Untrusted Root", which the chain
    /// carries but the trust store lacks.
    UntrustedRoot,
    /// Issued by the intermediate, but served without it.
    MissingIntermediate,
    /// Issued by the intermediate for TLS clients: extendedKeyUsage names
    /// clientAuth, not serverAuth. Fails only when the client checks the
    /// purpose, as TLS clients do.
    WrongPurpose,
    /// Current, but issued by an intermediate of the root that expired
    /// yesterday, which the server sends with it.
    ExpiredIntermediate,
    /// Issued by the intermediate with an RSA key of 1024 bits (80 bits of
    /// security). Fails at OpenSSL security level 2 and above; a server
    /// loads it only at level 1 or below (see [`Negative::server_level`]).
    WeakKey,
    /// Issued by the intermediate, signed with SHA-1. Fails at OpenSSL
    /// security level 1 and above; a server loads it only at level 0.
    Sha1Signature,
}

impl Negative {
    /// Every negative variant, in declaration order.
    pub const ALL: [Negative; 10] = [
        Negative::Expired,
        Negative::NotYetValid,
        Negative::WrongHost,
        Negative::SelfSigned,
        Negative::UntrustedRoot,
        Negative::MissingIntermediate,
        Negative::WrongPurpose,
        Negative::ExpiredIntermediate,
        Negative::WeakKey,
        Negative::Sha1Signature,
    ];

    /// Stable lower-case name, used in file names and on command lines.
    pub const fn name(self) -> &'static str {
        match self {
            Negative::Expired => "expired",
            Negative::NotYetValid => "not-yet-valid",
            Negative::WrongHost => "wrong-host",
            Negative::SelfSigned => "self-signed",
            Negative::UntrustedRoot => "untrusted-root",
            Negative::MissingIntermediate => "missing-intermediate",
            Negative::WrongPurpose => "wrong-purpose",
            Negative::ExpiredIntermediate => "expired-intermediate",
            Negative::WeakKey => "weak-key",
            Negative::Sha1Signature => "sha1-signature",
        }
    }

    /// The `X509_V_ERR_*` code OpenSSL reports when verifying this credential
    /// against [`Pki::trust_store`] for host [`Pki::HOST`].
    ///
    /// This is the first error, where a default verifier stops. A verify
    /// callback that continues past errors (as `openssl s_client` does without
    /// `-verify_return_error`) can end on a later one, e.g. 21 for
    /// [`Negative::MissingIntermediate`].
    pub const fn expected_verify_error(self) -> i32 {
        match self {
            Negative::Expired | Negative::ExpiredIntermediate => {
                openssl_sys::X509_V_ERR_CERT_HAS_EXPIRED
            }
            Negative::NotYetValid => openssl_sys::X509_V_ERR_CERT_NOT_YET_VALID,
            Negative::WrongHost => openssl_sys::X509_V_ERR_HOSTNAME_MISMATCH,
            Negative::SelfSigned => openssl_sys::X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
            Negative::UntrustedRoot => openssl_sys::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            Negative::MissingIntermediate => {
                openssl_sys::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
            }
            Negative::WrongPurpose => openssl_sys::X509_V_ERR_INVALID_PURPOSE,
            Negative::WeakKey => openssl_sys::X509_V_ERR_EE_KEY_TOO_SMALL,
            Negative::Sha1Signature => openssl_sys::X509_V_ERR_CA_MD_TOO_WEAK,
        }
    }

    /// How the leaf's key authenticates a suite below TLS 1.3, in
    /// OpenSSL's `Au=` spelling: "ECDSA" for the P-256 key every negative
    /// leaf has, "RSA" for [`Negative::WeakKey`]'s 1024-bit RSA key.
    pub const fn authentication(self) -> &'static str {
        match self {
            Negative::WeakKey => "RSA",
            _ => "ECDSA",
        }
    }

    /// The OpenSSL security level a verifier needs to refuse this
    /// credential with [`Negative::expected_verify_error`]: the others
    /// fail at any level, these only at or above it.
    pub const fn client_level(self) -> Option<u32> {
        match self {
            Negative::WeakKey => Some(2),
            Negative::Sha1Signature => Some(1),
            _ => None,
        }
    }

    /// The highest OpenSSL security level at which a server loads this
    /// credential (OpenSSL checks its own certificate against its level
    /// too); `None` when any level does.
    pub const fn server_level(self) -> Option<u32> {
        match self {
            Negative::WeakKey => Some(1),
            Negative::Sha1Signature => Some(0),
            _ => None,
        }
    }
}

impl fmt::Display for Negative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Negative {
    type Err = ParseNameError;

    /// Parses a [`Negative::name`], ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("negative variant", s, &Self::ALL, Self::name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in KeyType::ALL {
            assert_eq!(k.to_string().parse::<KeyType>(), Ok(k));
        }
        for n in Negative::ALL {
            assert_eq!(n.to_string().parse::<Negative>(), Ok(n));
        }
        assert_eq!("ECDSA-P256".parse::<KeyType>(), Ok(KeyType::EcdsaP256));
        let err = "rsa".parse::<KeyType>().unwrap_err().to_string();
        assert_eq!(
            err,
            r#"unknown key type "rsa"; valid names are: rsa2048, ecdsa-p256, ecdsa-p384, ed25519, dsa2048"#
        );
        let err = "expird".parse::<Negative>().unwrap_err().to_string();
        assert!(err.contains("expired, not-yet-valid, wrong-host, self-signed, untrusted-root, missing-intermediate"), "{err}");
    }
}
