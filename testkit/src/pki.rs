//! A disposable test PKI: a root CA, an intermediate CA, server and client
//! leaves for every [`KeyType`], and [`Negative`] server credentials that each
//! fail certificate verification in one specific, known way.
//!
//! The crate's tests and the `tls-harness` tool use it for the key-type interop
//! matrix and the certificate negative tests; `tls-harness pki --out DIR`
//! writes it to disk with [`Pki::write_pem`] for use with `openssl s_server`
//! and `s_client`. Everything is generated fresh in memory by
//! [`Pki::generate`], so no key material lives in the repository. None of it
//! is fit for anything but testing.
//!
//! ```text
//! root CA "openssl-handshake test Root CA" (RSA-2048, self-signed)
//! └── intermediate CA (RSA-2048, pathlen:0)
//!     ├── server-{key type}: CN=localhost, SAN DNS:localhost, IP:127.0.0.1
//!     └── client-{key type}: CN=client
//! ```
//!
//! ```
//! use openssl::ssl::{SslConnector, SslContext, SslMethod};
//! use openssl_handshake::pki::{KeyType, Pki};
//!
//! let pki = Pki::generate()?;
//! let mut server = SslContext::builder(SslMethod::tls_server())?;
//! pki.server(KeyType::EcdsaP256).install(&mut server)?;
//!
//! let mut client = SslConnector::builder(SslMethod::tls_client())?;
//! client.set_cert_store(pki.trust_store()?);
//! // ... connect with client.build().connect(Pki::HOST, stream)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::panic;
use std::path::PathBuf;
use std::str::FromStr;
use std::thread::{self, Scope, ScopedJoinHandle};
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private};
use openssl::rsa::Rsa;
use openssl::ssl::SslContextBuilder;
use openssl::stack::Stack;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::{
    X509Builder, X509Extension, X509Name, X509NameRef, X509Ref, X509Req, X509ReqBuilder,
    X509v3Context, X509,
};

/// O= of every certificate, so test material is recognisable in any dump.
const ORG: &str = "openssl-handshake test";
const ROOT_CN: &str = "openssl-handshake test Root CA";
const INTERMEDIATE_CN: &str = "openssl-handshake test Intermediate CA";
const UNTRUSTED_ROOT_CN: &str = "Untrusted Root";
const CLIENT_CN: &str = "client";
const SERVER_IP: &str = "127.0.0.1";
const WRONG_HOST: &str = "wrong.example";

/// Leaf validity in days relative to now. Starting a day early tolerates
/// clock skew between the machines of an interop run.
const LEAF_DAYS: (i64, i64) = (-1, 30);
/// The CAs predate the `Expired` leaf so that only the leaf is out of date.
const CA_DAYS: (i64, i64) = (-90, 365);

/// Errors from building or writing the test PKI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// An OpenSSL call (key generation, signing, encoding) failed.
    #[error("OpenSSL failed while building the test PKI: {0}")]
    Openssl(#[from] ErrorStack),
    /// Creating the output directory or writing a file failed.
    #[error(
        "could not write test PKI output {}: {source} (check that the directory exists or can be created, is writable and has free space)",
        path.display()
    )]
    Io {
        /// The file or directory that could not be written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A key file exists that an earlier run did not write.
    #[error(
        "refusing to overwrite {}: the file exists and was not written by this test PKI \
         (remove it, choose another directory, or pass --force)",
        path.display()
    )]
    WouldOverwrite {
        /// The existing key file.
        path: PathBuf,
    },
    /// A server leaf's CSR did not verify with its own public key.
    #[error("the CSR for the {0} server leaf does not verify with its own public key")]
    CsrSignature(KeyType),
}

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
}

impl KeyType {
    /// Every key type, in declaration order.
    pub const ALL: [KeyType; 4] = [
        KeyType::Rsa2048,
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::Ed25519,
    ];

    /// Stable lower-case name, used in file names and on command lines.
    pub const fn name(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa2048",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
            KeyType::Ed25519 => "ed25519",
        }
    }

    fn generate(self) -> Result<PKey<Private>, ErrorStack> {
        let ec = |nid| {
            let group = EcGroup::from_curve_name(nid)?;
            PKey::from_ec_key(EcKey::generate(&group)?)
        };
        match self {
            KeyType::Rsa2048 => PKey::from_rsa(Rsa::generate(2048)?),
            KeyType::EcdsaP256 => ec(Nid::X9_62_PRIME256V1),
            KeyType::EcdsaP384 => ec(Nid::SECP384R1),
            KeyType::Ed25519 => PKey::generate_ed25519(),
        }
    }
}

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
}

impl Negative {
    /// Every negative variant, in declaration order.
    pub const ALL: [Negative; 6] = [
        Negative::Expired,
        Negative::NotYetValid,
        Negative::WrongHost,
        Negative::SelfSigned,
        Negative::UntrustedRoot,
        Negative::MissingIntermediate,
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
            Negative::Expired => openssl_sys::X509_V_ERR_CERT_HAS_EXPIRED,
            Negative::NotYetValid => openssl_sys::X509_V_ERR_CERT_NOT_YET_VALID,
            Negative::WrongHost => openssl_sys::X509_V_ERR_HOSTNAME_MISMATCH,
            Negative::SelfSigned => openssl_sys::X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
            Negative::UntrustedRoot => openssl_sys::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            Negative::MissingIntermediate => {
                openssl_sys::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
            }
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

/// A certificate, its private key and the chain to send with it.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The leaf certificate.
    pub cert: X509,
    /// The leaf's private key.
    pub key: PKey<Private>,
    /// Certificates sent after the leaf (normally the intermediate), leaf excluded.
    pub chain: Vec<X509>,
}

impl Credential {
    /// Configures `b` to present this credential: certificate, private key
    /// and each chain certificate as an extra chain certificate, then checks
    /// that key and certificate match. Call it once per builder, as the extra
    /// chain certificates accumulate.
    pub fn install(&self, b: &mut SslContextBuilder) -> Result<(), ErrorStack> {
        b.set_certificate(&self.cert)?;
        b.set_private_key(&self.key)?;
        for cert in &self.chain {
            b.add_extra_chain_cert(cert.clone())?;
        }
        b.check_private_key()
    }

    /// The leaf then the chain as PEM, the format
    /// `SSL_CTX_use_certificate_chain_file` reads.
    ///
    /// PEM encoding of an in-memory certificate fails only if OpenSSL cannot
    /// allocate; this then returns an empty vector, whereas
    /// [`Pki::write_pem`] reports the error.
    pub fn chain_pem(&self) -> Vec<u8> {
        self.try_chain_pem().unwrap_or_default()
    }

    /// The private key as PKCS#8 PEM. Empty under the same conditions as
    /// [`Credential::chain_pem`].
    pub fn key_pem(&self) -> Vec<u8> {
        self.key.private_key_to_pem_pkcs8().unwrap_or_default()
    }

    fn try_chain_pem(&self) -> Result<Vec<u8>, ErrorStack> {
        let mut pem = self.cert.to_pem()?;
        for cert in &self.chain {
            pem.extend(cert.to_pem()?);
        }
        Ok(pem)
    }
}

/// A certificate authority able to issue certificates.
#[derive(Debug)]
struct Ca {
    cert: X509,
    key: PKey<Private>,
}

impl Ca {
    fn root(cn: &str, key: PKey<Private>) -> Result<Ca, ErrorStack> {
        let profile = Profile::Ca { pathlen: None };
        let subject = name(cn)?;
        let cert = issue(&subject, &key, &profile, CA_DAYS, Signer::Itself(&key))?;
        Ok(Ca { cert, key })
    }

    fn credential<T: HasPublic>(
        &self,
        subject: &X509NameRef,
        key: &PKeyRef<T>,
        profile: &Profile<'_>,
        days: (i64, i64),
    ) -> Result<X509, ErrorStack> {
        issue(subject, key, profile, days, Signer::Ca(self))
    }
}

#[derive(Clone, Copy)]
enum Signer<'a> {
    /// Self-signed: the certificate names itself as issuer.
    Itself(&'a PKeyRef<Private>),
    Ca(&'a Ca),
}

enum Profile<'a> {
    Ca {
        pathlen: Option<u32>,
    },
    Server {
        dns: &'a str,
        ip: Option<&'a str>,
        key_encipherment: bool,
    },
    Client,
}

impl Profile<'_> {
    fn server(k: KeyType) -> Profile<'static> {
        Profile::Server {
            dns: Pki::HOST,
            ip: Some(SERVER_IP),
            // TLS 1.2 static-RSA key exchange encrypts to the certificate key.
            key_encipherment: k == KeyType::Rsa2048,
        }
    }
}

fn name(cn: &str) -> Result<X509Name, ErrorStack> {
    let mut b = X509Name::builder()?;
    b.append_entry_by_nid(Nid::ORGANIZATIONNAME, ORG)?;
    b.append_entry_by_nid(Nid::COMMONNAME, cn)?;
    Ok(b.build())
}

fn days_from_now(days: i64) -> Result<Asn1Time, ErrorStack> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Asn1Time::from_unix((now as i64 + days * 86_400) as _)
}

fn random_serial() -> Result<Asn1Integer, ErrorStack> {
    // Random serials keep issuer+serial unique across regenerated PKIs, which
    // some clients insist on; the forced top bit keeps it positive and nonzero.
    let mut bn = BigNum::new()?;
    bn.rand(128, MsbOption::ONE, false)?;
    bn.to_asn1_integer()
}

fn digest_for(key: &PKeyRef<Private>) -> MessageDigest {
    // EdDSA hashes internally and OpenSSL rejects an explicit digest for it.
    if key.id() == Id::ED25519 || key.id() == Id::ED448 {
        MessageDigest::null()
    } else {
        MessageDigest::sha256()
    }
}

fn subject_alt_name(
    dns: &str,
    ip: Option<&str>,
    ctx: &X509v3Context<'_>,
) -> Result<X509Extension, ErrorStack> {
    let mut san = SubjectAlternativeName::new();
    san.dns(dns);
    if let Some(ip) = ip {
        san.ip(ip);
    }
    san.build(ctx)
}

fn issue<T: HasPublic>(
    subject: &X509NameRef,
    key: &PKeyRef<T>,
    profile: &Profile<'_>,
    (from, to): (i64, i64),
    signer: Signer<'_>,
) -> Result<X509, ErrorStack> {
    let (issuer, signing_key): (Option<&X509Ref>, &PKeyRef<Private>) = match signer {
        Signer::Itself(k) => (None, k),
        Signer::Ca(ca) => (Some(&ca.cert), &ca.key),
    };
    let mut b = X509Builder::new()?;
    b.set_version(2)?;
    let serial = random_serial()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(subject)?;
    b.set_issuer_name(issuer.map_or(subject, |c| c.subject_name()))?;
    b.set_pubkey(key)?;
    let (not_before, not_after) = (days_from_now(from)?, days_from_now(to)?);
    b.set_not_before(&not_before)?;
    b.set_not_after(&not_after)?;

    let mut basic = BasicConstraints::new();
    basic.critical();
    let mut usage = KeyUsage::new();
    usage.critical();
    let mut extended = None;
    match *profile {
        Profile::Ca { pathlen } => {
            basic.ca();
            if let Some(n) = pathlen {
                basic.pathlen(n);
            }
            usage.key_cert_sign().crl_sign();
        }
        Profile::Server {
            key_encipherment, ..
        } => {
            usage.digital_signature();
            if key_encipherment {
                usage.key_encipherment();
            }
            extended = Some(ExtendedKeyUsage::new().server_auth().build()?);
        }
        Profile::Client => {
            usage.digital_signature();
            extended = Some(ExtendedKeyUsage::new().client_auth().build()?);
        }
    }
    b.append_extension(basic.build()?)?;
    // A self-signed leaf gets no keyUsage: OpenSSL 1.1 and LibreSSL deem a
    // certificate self-signed only if its keyUsage allows keyCertSign, and
    // would report a different verify error than OpenSSL 3 does.
    if !matches!(
        (signer, profile),
        (Signer::Itself(_), Profile::Server { .. })
    ) {
        b.append_extension(usage.build()?)?;
    }
    if let Some(ext) = extended {
        b.append_extension(ext)?;
    }
    if let Profile::Server { dns, ip, .. } = *profile {
        let san = subject_alt_name(dns, ip, &b.x509v3_context(issuer, None))?;
        b.append_extension(san)?;
    }
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(issuer, None))?;
    b.append_extension(ski)?;
    if issuer.is_some() {
        let aki = AuthorityKeyIdentifier::new()
            .keyid(true)
            .build(&b.x509v3_context(issuer, None))?;
        b.append_extension(aki)?;
    }
    b.sign(signing_key, digest_for(signing_key))?;
    Ok(b.build())
}

type Keygen<'scope> = Result<ScopedJoinHandle<'scope, Result<PKey<Private>, ErrorStack>>, KeyType>;

fn spawn_keygen<'scope>(s: &'scope Scope<'scope, '_>, k: KeyType) -> Keygen<'scope> {
    thread::Builder::new()
        .spawn_scoped(s, move || k.generate())
        .map_err(|_| k)
}

fn join_keygen(job: Keygen<'_>) -> Result<PKey<Private>, ErrorStack> {
    match job {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|panic| panic::resume_unwind(panic)),
        // Out of threads: generate it here instead.
        Err(k) => k.generate(),
    }
}

/// Issues a server leaf as a real CA would: from a CSR whose proof of
/// possession checks out, taking subject and public key from the request.
fn server_from_csr(
    k: KeyType,
    key: PKey<Private>,
    ca: &Ca,
) -> Result<(Credential, X509Req), PkiError> {
    let mut b = X509ReqBuilder::new()?;
    b.set_version(0)?;
    let subject = name(Pki::HOST)?;
    b.set_subject_name(&subject)?;
    b.set_pubkey(&key)?;
    let mut requested = Stack::new()?;
    requested.push(subject_alt_name(
        Pki::HOST,
        Some(SERVER_IP),
        &b.x509v3_context(None),
    )?)?;
    b.add_extensions(&requested)?;
    b.sign(&key, digest_for(&key))?;
    let csr = b.build();

    let requested_key = csr.public_key()?;
    if !csr.verify(&requested_key)? {
        return Err(PkiError::CsrSignature(k));
    }
    let profile = Profile::server(k);
    let cert = ca.credential(csr.subject_name(), &requested_key, &profile, LEAF_DAYS)?;
    let chain = vec![ca.cert.clone()];
    Ok((Credential { cert, key, chain }, csr))
}

/// The generated test PKI. See the [module documentation](self).
pub struct Pki {
    root: Ca,
    intermediate: Ca,
    servers: Vec<Credential>,
    clients: Vec<Credential>,
    negatives: Vec<Credential>,
    /// The CSR of each server leaf, indexed by key type.
    csrs: Vec<X509Req>,
}

impl fmt::Debug for Pki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pki")
            .field("root", &self.root.cert)
            .field("intermediate", &self.intermediate.cert)
            .finish_non_exhaustive()
    }
}

impl Pki {
    /// The host name the server leaves are issued for. They also carry
    /// SAN IP:127.0.0.1.
    pub const HOST: &'static str = "localhost";

    /// Generates the root and intermediate CAs, server and client leaves of
    /// every [`KeyType`], and every [`Negative`] credential, all with fresh
    /// keys. Every server leaf is issued from a CSR. Keys are generated on a
    /// few short-lived threads.
    pub fn generate() -> Result<Pki, PkiError> {
        // RSA key generation dominates the run time, so all long-lived keys
        // are generated concurrently.
        let (ca_keys, server_keys, client_keys) = thread::scope(|s| {
            let spawn = |k| spawn_keygen(s, k);
            let ca = [KeyType::Rsa2048; 2].map(spawn);
            let servers = KeyType::ALL.map(spawn);
            let clients = KeyType::ALL.map(spawn);
            (
                ca.map(join_keygen),
                servers.map(join_keygen),
                clients.map(join_keygen),
            )
        });
        let [root_key, intermediate_key] = ca_keys;
        let root = Ca::root(ROOT_CN, root_key?)?;
        let key = intermediate_key?;
        let subject = name(INTERMEDIATE_CN)?;
        let profile = Profile::Ca { pathlen: Some(0) };
        let cert = root.credential(&subject, &key, &profile, CA_DAYS)?;
        let intermediate = Ca { cert, key };

        let mut servers = Vec::with_capacity(KeyType::ALL.len());
        let mut csrs = Vec::with_capacity(KeyType::ALL.len());
        for (k, key) in KeyType::ALL.into_iter().zip(server_keys) {
            let (server, csr) = server_from_csr(k, key?, &intermediate)?;
            servers.push(server);
            csrs.push(csr);
        }
        let subject = name(CLIENT_CN)?;
        let mut clients = Vec::with_capacity(KeyType::ALL.len());
        for key in client_keys {
            let key = key?;
            let cert = intermediate.credential(&subject, &key, &Profile::Client, LEAF_DAYS)?;
            clients.push(Credential {
                cert,
                key,
                chain: vec![intermediate.cert.clone()],
            });
        }
        let negatives = Negative::ALL
            .iter()
            .map(|&n| negative(n, &intermediate))
            .collect::<Result<_, _>>()?;

        Ok(Pki {
            root,
            intermediate,
            servers,
            clients,
            negatives,
            csrs,
        })
    }

    /// The root CA certificate, the only trust anchor.
    pub fn root(&self) -> &X509 {
        &self.root.cert
    }

    /// The intermediate CA certificate, issued by the root, which issues all leaves.
    pub fn intermediate(&self) -> &X509 {
        &self.intermediate.cert
    }

    /// The server credential for `k`, with the intermediate as chain.
    pub fn server(&self, k: KeyType) -> &Credential {
        &self.servers[k as usize]
    }

    /// The client credential for `k` (CN=client, clientAuth), with the
    /// intermediate as chain.
    pub fn client(&self, k: KeyType) -> &Credential {
        &self.clients[k as usize]
    }

    /// The server credential that must fail verification as `n` describes.
    pub fn negative(&self, n: Negative) -> &Credential {
        &self.negatives[n as usize]
    }

    /// A certificate store trusting only the root.
    pub fn trust_store(&self) -> Result<X509Store, ErrorStack> {
        Ok(self.trust_store_builder()?.build())
    }

    /// [`Pki::trust_store`] before it is built, to set flags or verify
    /// parameters such as the expected host.
    pub fn trust_store_builder(&self) -> Result<X509StoreBuilder, ErrorStack> {
        let mut b = X509StoreBuilder::new()?;
        b.add_cert(self.root.cert.clone())?;
        Ok(b)
    }

    /// The CSR the [`KeyType::Rsa2048`] server leaf was issued from.
    pub fn csr(&self) -> &X509Req {
        &self.csrs[KeyType::Rsa2048 as usize]
    }
}

fn negative(n: Negative, intermediate: &Ca) -> Result<Credential, ErrorStack> {
    let key = KeyType::EcdsaP256.generate()?;
    let host = name(Pki::HOST)?;
    let server = Profile::Server {
        dns: Pki::HOST,
        ip: Some(SERVER_IP),
        key_encipherment: false,
    };
    let with_intermediate = || vec![intermediate.cert.clone()];
    let (cert, chain) = match n {
        Negative::Expired => (
            intermediate.credential(&host, &key, &server, (-60, -1))?,
            with_intermediate(),
        ),
        Negative::NotYetValid => (
            intermediate.credential(&host, &key, &server, (1, 30))?,
            with_intermediate(),
        ),
        Negative::WrongHost => {
            let wrong = Profile::Server {
                dns: WRONG_HOST,
                ip: None,
                key_encipherment: false,
            };
            let subject = name(WRONG_HOST)?;
            let cert = intermediate.credential(&subject, &key, &wrong, LEAF_DAYS)?;
            (cert, with_intermediate())
        }
        Negative::SelfSigned => (
            issue(&host, &key, &server, LEAF_DAYS, Signer::Itself(&key))?,
            Vec::new(),
        ),
        Negative::UntrustedRoot => {
            let other = Ca::root(UNTRUSTED_ROOT_CN, KeyType::EcdsaP256.generate()?)?;
            let cert = other.credential(&host, &key, &server, LEAF_DAYS)?;
            (cert, vec![other.cert])
        }
        Negative::MissingIntermediate => (
            intermediate.credential(&host, &key, &server, LEAF_DAYS)?,
            Vec::new(),
        ),
    };
    Ok(Credential { cert, key, chain })
}

mod files;

pub use files::{LeafFiles, NegativeFiles, Overwrite, PkiFiles, MARKER};

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ssl::{
        HandshakeError, Ssl, SslConnector, SslConnectorBuilder, SslContext, SslMethod,
        SslVerifyMode, SslVersion,
    };
    use openssl::x509::verify::X509VerifyParam;
    use openssl::x509::{X509PurposeId, X509StoreContext, X509VerifyResult};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::OnceLock;
    use std::thread;

    pub(super) fn pki() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(|| Pki::generate().expect("generate test PKI"))
    }

    fn store_for(host: Option<&str>, purpose: X509PurposeId) -> X509Store {
        let mut param = X509VerifyParam::new().unwrap();
        if let Some(host) = host {
            param.set_host(host).unwrap();
        }
        param.set_purpose(purpose).unwrap();
        let mut b = pki().trust_store_builder().unwrap();
        b.set_param(&param).unwrap();
        b.build()
    }

    /// Verifies `cred`'s leaf with its chain as untrusted certificates, as a
    /// TLS peer does, and returns the X509_V_* code.
    fn verify(store: &X509Store, cred: &Credential) -> i32 {
        let mut chain = Stack::new().unwrap();
        for c in &cred.chain {
            chain.push(c.clone()).unwrap();
        }
        let mut ctx = X509StoreContext::new().unwrap();
        ctx.init(store, &cred.cert, &chain, |c| {
            c.verify_cert()?;
            Ok(c.error())
        })
        .unwrap()
        .as_raw()
    }

    fn check_negative(n: Negative) {
        let cred = pki().negative(n);
        let plain = verify(&pki().trust_store().unwrap(), cred);
        let for_host = verify(&store_for(Some(Pki::HOST), X509PurposeId::SSL_SERVER), cred);
        assert_eq!(for_host, n.expected_verify_error(), "{n} with host check");
        if n == Negative::WrongHost {
            // Proves the host name is the only thing wrong with it.
            assert_eq!(
                plain,
                X509VerifyResult::OK.as_raw(),
                "{n} without host check"
            );
        } else {
            assert_eq!(plain, n.expected_verify_error(), "{n} without host check");
        }
    }

    #[test]
    fn negative_expired() {
        check_negative(Negative::Expired);
    }

    #[test]
    fn negative_not_yet_valid() {
        check_negative(Negative::NotYetValid);
    }

    #[test]
    fn negative_wrong_host() {
        check_negative(Negative::WrongHost);
    }

    #[test]
    fn negative_self_signed() {
        check_negative(Negative::SelfSigned);
    }

    #[test]
    fn negative_untrusted_root() {
        check_negative(Negative::UntrustedRoot);
        let cred = pki().negative(Negative::UntrustedRoot);
        assert_eq!(entry(&cred.chain[0], Nid::COMMONNAME), UNTRUSTED_ROOT_CN);
    }

    #[test]
    fn negative_missing_intermediate() {
        check_negative(Negative::MissingIntermediate);
        let cred = pki().negative(Negative::MissingIntermediate);
        assert!(cred.chain.is_empty());
        assert_eq!(
            pki().intermediate().issued(&cred.cert),
            X509VerifyResult::OK
        );
    }

    #[test]
    fn good_leaves_verify() {
        let ok = X509VerifyResult::OK.as_raw();
        let servers = store_for(Some(Pki::HOST), X509PurposeId::SSL_SERVER);
        let by_ip = {
            let mut param = X509VerifyParam::new().unwrap();
            param.set_ip("127.0.0.1".parse().unwrap()).unwrap();
            let mut b = pki().trust_store_builder().unwrap();
            b.set_param(&param).unwrap();
            b.build()
        };
        let clients = store_for(None, X509PurposeId::SSL_CLIENT);
        for k in KeyType::ALL {
            assert_eq!(verify(&servers, pki().server(k)), ok, "server {k}");
            assert_eq!(verify(&by_ip, pki().server(k)), ok, "server {k} by IP");
            assert_eq!(verify(&clients, pki().client(k)), ok, "client {k}");
            // The EKUs keep each leaf to its role.
            assert_ne!(
                verify(&clients, pki().server(k)),
                ok,
                "server {k} as client"
            );
            assert_ne!(
                verify(&servers, pki().client(k)),
                ok,
                "client {k} as server"
            );
        }
    }

    fn entry(cert: &X509Ref, nid: Nid) -> &str {
        let mut entries = cert.subject_name().entries_by_nid(nid);
        let value = std::str::from_utf8(entries.next().unwrap().data().as_slice()).unwrap();
        assert!(entries.next().is_none());
        value
    }

    fn text(cert: &X509Ref) -> String {
        String::from_utf8(cert.to_text().unwrap()).unwrap()
    }

    #[test]
    fn ca_profiles() {
        let (root, inter) = (pki().root(), pki().intermediate());
        assert!(root.verify(&root.public_key().unwrap()).unwrap());
        assert_eq!(root.issued(inter), X509VerifyResult::OK);
        assert_eq!(root.public_key().unwrap().bits(), 2048);
        assert_eq!(inter.public_key().unwrap().bits(), 2048);
        let root_text = text(root);
        assert!(root_text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE\n"));
        assert!(root_text
            .contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign\n"));
        assert!(root.subject_key_id().is_some());
        assert!(text(inter).contains("CA:TRUE, pathlen:0"));
        assert_eq!(
            inter.authority_key_id().unwrap().as_slice(),
            root.subject_key_id().unwrap().as_slice()
        );
    }

    #[test]
    fn leaf_profiles() {
        let now = days_from_now(0).unwrap();
        let in_29_days = days_from_now(29).unwrap();
        for (k, server, client) in KeyType::ALL.map(|k| (k, pki().server(k), pki().client(k))) {
            for (c, is_server) in [(server, true), (client, false)] {
                let cert = &c.cert;
                assert_eq!(cert.version(), 2);
                let serial = cert.serial_number().to_bn().unwrap();
                assert!(!serial.is_negative() && serial.num_bits() >= 64);
                assert!(cert.not_before() < now && cert.not_after() > in_29_days);
                assert!(cert.public_key().unwrap().public_eq(&c.key));
                assert_eq!(pki().intermediate().issued(cert), X509VerifyResult::OK);
                assert_eq!(c.chain.len(), 1);
                assert_eq!(
                    c.chain[0].to_der().unwrap(),
                    pki().intermediate().to_der().unwrap()
                );
                assert_eq!(
                    cert.authority_key_id().unwrap().as_slice(),
                    pki().intermediate().subject_key_id().unwrap().as_slice()
                );
                assert!(cert.subject_key_id().is_some());
                let t = text(cert);
                assert!(t.contains("CA:FALSE"), "{k}");
                assert_eq!(entry(cert, Nid::ORGANIZATIONNAME), ORG);
                let encipher = is_server && k == KeyType::Rsa2048;
                assert_eq!(t.contains("Key Encipherment"), encipher, "{k}");
                assert!(t.contains("Digital Signature"), "{k}");
                if is_server {
                    assert_eq!(entry(cert, Nid::COMMONNAME), Pki::HOST);
                    assert!(t.contains("TLS Web Server Authentication"), "{k}");
                    assert!(t.contains("DNS:localhost, IP Address:127.0.0.1"), "{k}");
                } else {
                    assert_eq!(entry(cert, Nid::COMMONNAME), CLIENT_CN);
                    assert!(t.contains("TLS Web Client Authentication"), "{k}");
                    assert!(cert.subject_alt_names().is_none());
                }
            }
        }
        let key_ids = KeyType::ALL.map(|k| pki().server(k).key.id());
        assert_eq!(key_ids, [Id::RSA, Id::EC, Id::EC, Id::ED25519]);
        assert_eq!(
            pki()
                .server(KeyType::EcdsaP384)
                .key
                .ec_key()
                .unwrap()
                .group()
                .curve_name(),
            Some(Nid::SECP384R1)
        );
    }

    #[test]
    fn csr_matches_rsa_server_leaf() {
        let (csr, leaf) = (pki().csr(), &pki().server(KeyType::Rsa2048).cert);
        let key = csr.public_key().unwrap();
        assert!(csr.verify(&key).unwrap());
        assert!(key.public_eq(&leaf.public_key().unwrap()));
        assert_eq!(
            csr.subject_name().to_der().unwrap(),
            leaf.subject_name().to_der().unwrap()
        );
        assert_eq!(csr.extensions().unwrap().len(), 1);
    }

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
            r#"unknown key type "rsa"; valid names are: rsa2048, ecdsa-p256, ecdsa-p384, ed25519"#
        );
        let err = "expird".parse::<Negative>().unwrap_err().to_string();
        assert!(err.contains("expired, not-yet-valid, wrong-host, self-signed, untrusted-root, missing-intermediate"), "{err}");
    }

    /// Runs a TLS handshake over loopback: the server presents `server` and,
    /// with `client` given, requires that client certificate. Returns the
    /// client's verify result code, or the negotiated version on success.
    fn handshake(
        server: &Credential,
        client: Option<&Credential>,
        tweak: impl FnOnce(&mut SslConnectorBuilder),
    ) -> Result<&'static str, i32> {
        let mut sb = SslContext::builder(SslMethod::tls_server()).unwrap();
        server.install(&mut sb).unwrap();
        if client.is_some() {
            sb.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
            sb.set_verify_cert_store(pki().trust_store().unwrap())
                .unwrap();
        }
        let server_ctx = sb.build();
        let listener = TcpListener::bind((SERVER_IP, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let mut s = Ssl::new(&server_ctx).unwrap().accept(tcp).ok()?;
            let mut byte = [0];
            s.read_exact(&mut byte).ok()?;
            let peer = s.ssl().peer_certificate().map(|c| c.to_der().unwrap());
            Some(peer)
        });

        let mut cb = SslConnector::builder(SslMethod::tls_client()).unwrap();
        cb.set_cert_store(pki().trust_store().unwrap());
        if let Some(c) = client {
            c.install(&mut cb).unwrap();
        }
        tweak(&mut cb);
        let tcp = TcpStream::connect(addr).unwrap();
        let result = match cb.build().connect(Pki::HOST, tcp) {
            Ok(mut s) => {
                s.write_all(b"x").unwrap();
                Ok(s.ssl().version_str())
            }
            Err(HandshakeError::Failure(s)) => Err(s.ssl().verify_result().as_raw()),
            Err(e) => panic!("handshake: {e}"),
        };
        let seen_by_server = server.join().unwrap();
        if result.is_ok() {
            let expected = client.map(|c| c.cert.to_der().unwrap());
            assert_eq!(seen_by_server, Some(expected), "server side");
        }
        result
    }

    #[test]
    fn mutual_tls_for_every_key_type() {
        for k in KeyType::ALL {
            let version = handshake(pki().server(k), Some(pki().client(k)), |_| {});
            assert_eq!(version, Ok("TLSv1.3"), "{k}");
        }
    }

    #[test]
    fn tls12_rsa_key_exchange() {
        let version = handshake(pki().server(KeyType::Rsa2048), None, |cb| {
            cb.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
            cb.set_cipher_list("AES128-GCM-SHA256").unwrap();
        });
        assert_eq!(version, Ok("TLSv1.2"));
    }

    #[test]
    fn negatives_fail_tls_with_expected_error() {
        for n in Negative::ALL {
            let result = handshake(pki().negative(n), None, |_| {});
            assert_eq!(result, Err(n.expected_verify_error()), "{n}");
        }
    }
}
