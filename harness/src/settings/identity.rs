//! `--cert` and `--key`: a certificate chain and its private key, read
//! once before anything connects or listens. Read once, a pipe
//! (`--key <(...)`) is not used up by a second reader, and an encrypted
//! key asks for its passphrase once; read here rather than by OpenSSL's
//! file loaders, a refusal can say what the file holds.

use std::path::{Path, PathBuf};

use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private};
use openssl::ssl::SslContextBuilder;
use openssl::x509::{X509Crl, X509Req, X509};

use super::passphrase::Passphrase;
use super::{read_bounded, readable, reasons};
use crate::error::HarnessError;

/// The most of a `--cert` or `--key` file read: far past any chain, and
/// short of what `/dev/zero` would cost.
const LARGEST_FILE: u64 = 16 << 20;

/// What `--cert` takes, for its errors.
const CERT_TAKES: &str = "a PEM certificate chain, leaf first";
/// What `--key` takes, for its errors.
const KEY_TAKES: &str = "the PEM private key of the --cert leaf";

/// A certificate chain and the private key of its leaf.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The `--cert` file.
    pub cert_path: PathBuf,
    /// The `--key` file.
    pub key_path: PathBuf,
    /// The leaf, the file's first certificate.
    pub leaf: X509,
    /// The certificates after it, in the file's order.
    pub chain: Vec<X509>,
    /// The leaf's private key.
    pub key: PKey<Private>,
}

impl Identity {
    /// Reads `cert` and `key` (the same file may hold both), decrypting
    /// the key with `pass` when given, else with a passphrase OpenSSL asks
    /// for at the terminal; refuses a pair that does not belong together.
    pub fn load(cert: &Path, key: &Path, pass: Option<&Passphrase>) -> Result<Self, HarnessError> {
        readable("--cert", cert, CERT_TAKES)?;
        let cert_pem = read("--cert", cert)?;
        let key_pem = if key == cert {
            cert_pem.clone()
        } else {
            readable("--key", key, KEY_TAKES)?;
            read("--key", key)?
        };
        let mut certs = X509::stack_from_pem(&cert_pem).map_err(|e| {
            HarnessError::Usage(format!(
                "--cert {}: not a PEM certificate chain ({})",
                cert.display(),
                reasons(&e)
            ))
        })?;
        if certs.is_empty() {
            return Err(HarnessError::Usage(format!(
                "--cert {} holds {}; it takes {CERT_TAKES}",
                cert.display(),
                no_certificate(&cert_pem)
            )));
        }
        let loaded = match pass {
            Some(p) => PKey::private_key_from_pem_passphrase(&key_pem, p.bytes()),
            None => PKey::private_key_from_pem(&key_pem),
        };
        let key_pair = loaded.map_err(|e| {
            let encrypted = asks_for_passphrase(&key_pem);
            HarnessError::Usage(super::key_refused(
                key,
                &e,
                encrypted,
                pass.map(Passphrase::source),
            ))
        })?;
        let leaf = certs.remove(0);
        check_pair(&leaf, &key_pair, cert, key)?;
        Ok(Identity {
            cert_path: cert.to_owned(),
            key_path: key.to_owned(),
            leaf,
            chain: certs,
            key: key_pair,
        })
    }

    /// Gives `b` the chain and the key, as
    /// `SSL_CTX_use_certificate_chain_file` and
    /// `SSL_CTX_use_PrivateKey_file` would: the security level checks each
    /// certificate as it is added, and `refused` says why one was not.
    pub fn install(
        &self,
        b: &mut SslContextBuilder,
        refused: impl Fn(&ErrorStack) -> HarnessError,
    ) -> Result<(), HarnessError> {
        b.set_certificate(&self.leaf).map_err(|e| refused(&e))?;
        for c in &self.chain {
            crate::ffi::chain_cert::add_chain_cert(b, c).map_err(|e| refused(&e))?;
        }
        b.set_private_key(&self.key)
            .and_then(|()| b.check_private_key())
            .map_err(|e| {
                HarnessError::Usage(format!(
                    "--key {} does not match the --cert leaf {} ({})",
                    self.key_path.display(),
                    self.cert_path.display(),
                    reasons(&e)
                ))
            })
    }
}

/// The bytes of the file `flag` names.
fn read(flag: &str, path: &Path) -> Result<Vec<u8>, HarnessError> {
    read_bounded(path, LARGEST_FILE).map_err(|e| HarnessError::option_file(flag, path, e))
}

/// Refuses a key that is not the leaf's: of another type (named, with
/// the leaf's), or of the same type but another key.
fn check_pair(
    leaf: &X509,
    key: &PKey<Private>,
    cert: &Path,
    key_path: &Path,
) -> Result<(), HarnessError> {
    let public = leaf.public_key()?;
    if public.public_eq(key) {
        return Ok(());
    }
    let (held, given) = (kind(&public), kind(key));
    let why = if held == given {
        String::new()
    } else {
        format!(": the key is {given}, the certificate holds {held}")
    };
    Err(HarnessError::Usage(format!(
        "--key {} does not match the --cert leaf {}{why}",
        key_path.display(),
        cert.display()
    )))
}

/// A key's type and size as an operator names them: "an RSA 2048 key",
/// "an ECDSA P-256 key", "an Ed25519 key".
pub fn kind<T: HasPublic>(key: &PKeyRef<T>) -> String {
    let bits = key.bits();
    match key.id() {
        Id::RSA => format!("an RSA {bits} key"),
        Id::RSA_PSS => format!("an RSA-PSS {bits} key"),
        Id::DSA => format!("a DSA {bits} key"),
        Id::EC => {
            let curve = key
                .ec_key()
                .ok()
                .and_then(|ec| ec.group().curve_name())
                .map_or_else(|| format!("{bits}-bit"), curve_name);
            format!("an ECDSA {curve} key")
        }
        Id::ED25519 => "an Ed25519 key".into(),
        Id::ED448 => "an Ed448 key".into(),
        other => {
            let name = Nid::from_raw(other.as_raw())
                .short_name()
                .unwrap_or("unknown");
            format!("a {name} key of {bits} bits")
        }
    }
}

/// A curve by its NIST name where it has one ("P-256"), else OpenSSL's.
fn curve_name(nid: Nid) -> String {
    match nid {
        Nid::X9_62_PRIME256V1 => "P-256".into(),
        Nid::SECP384R1 => "P-384".into(),
        Nid::SECP521R1 => "P-521".into(),
        other => other.short_name().unwrap_or("unnamed").to_owned(),
    }
}

/// What a file that holds no PEM certificate holds instead, told from
/// what OpenSSL reads of it.
fn no_certificate(pem: &[u8]) -> &'static str {
    if X509Req::from_pem(pem).is_ok() {
        "a certificate request (CSR), not a certificate (a CA issues one from it)"
    } else if private_key(pem) {
        "a private key, not a certificate (the key goes to --key)"
    } else if PKey::public_key_from_pem(pem).is_ok() {
        "a public key, not a certificate"
    } else if X509Crl::from_pem(pem).is_ok() {
        "a certificate revocation list (CRL), not a certificate"
    } else if openssl::pkcs7::Pkcs7::from_pem(pem).is_ok() {
        "a PKCS #7 bundle, not PEM certificates (`openssl pkcs7 -print_certs -in FILE` \
         writes its certificates as PEM)"
    } else if X509::from_der(pem).is_ok() {
        "a certificate in DER, not PEM (`openssl x509 -in FILE -out FILE.pem` writes it as PEM)"
    } else {
        "no PEM certificate (no BEGIN CERTIFICATE line)"
    }
}

/// Whether `pem` holds a private key, encrypted or not, found without
/// asking for a passphrase.
fn private_key(pem: &[u8]) -> bool {
    let (read, asked) = read_without_passphrase(pem);
    read || asked
}

/// Whether OpenSSL asks for a passphrase to read the key in `pem`: it is
/// encrypted. Asked of OpenSSL rather than read from why a decryption
/// failed: a wrong passphrase now and then decrypts to bytes with valid
/// padding (about once in 256 tries with CBC), and fails later, as a key
/// that does not parse.
fn asks_for_passphrase(pem: &[u8]) -> bool {
    read_without_passphrase(pem).1
}

/// Reads the key in `pem` with an empty passphrase: whether that read it,
/// and whether OpenSSL asked for a passphrase.
fn read_without_passphrase(pem: &[u8]) -> (bool, bool) {
    let mut asked = false;
    let read = PKey::private_key_from_pem_callback(pem, |_| {
        asked = true;
        Ok(0)
    })
    .is_ok();
    (read, asked)
}

#[cfg(test)]
mod tests {
    use openssl::rsa::Rsa;
    use openssl::symm::Cipher;

    use super::*;

    /// A wrong passphrase that happens to decrypt to valid padding fails
    /// as a key that does not parse, with none of the reasons a bad
    /// decryption gives; it is still named a wrong passphrase, as OpenSSL
    /// asked for one. Such a passphrase is searched for: about one in 256.
    #[test]
    fn a_wrong_passphrase_is_named_even_when_the_padding_passes() {
        let rsa = Rsa::generate(1024).expect("RSA key");
        let key = PKey::from_rsa(rsa).expect("PKey");
        let pem = key
            .private_key_to_pem_pkcs8_passphrase(Cipher::aes_128_cbc(), b"right")
            .expect("encrypted PKCS #8");
        assert!(asks_for_passphrase(&pem));
        let plain = key.private_key_to_pem_pkcs8().expect("PKCS #8");
        assert!(!asks_for_passphrase(&plain));

        let path = Path::new("key.pem");
        let refusal = (0..20_000)
            .map(|i| PKey::private_key_from_pem_passphrase(&pem, format!("wrong{i}").as_bytes()))
            .filter_map(Result::err)
            .find(|e| {
                let why = reasons(e);
                !why.contains("bad decrypt") && !why.contains("maybe wrong password")
            })
            .expect("a wrong passphrase whose padding passes");
        let said = super::super::key_refused(path, &refusal, true, None);
        assert!(
            said.contains("is encrypted, and the passphrase given is wrong"),
            "{said}"
        );
        // Without knowing that OpenSSL asked, it read as no key at all.
        let said = super::super::key_refused(path, &refusal, false, None);
        assert!(said.contains("not a PEM private key"), "{said}");
    }
}
