//! Issuing the test PKI as a CA does: keys, the root and intermediate CAs,
//! leaves from CSRs, and the negative credentials.

use std::panic;
use std::thread::{self, Scope, ScopedJoinHandle};
use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private};
use openssl::rsa::Rsa;
use openssl::stack::Stack;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{
    X509Builder, X509Extension, X509Name, X509NameRef, X509Ref, X509Req, X509ReqBuilder,
    X509v3Context, X509,
};

use super::{Credential, KeyType, Negative, Pki, PkiError};

/// O= of every certificate, so test material is recognisable in any dump.
const ORG: &str = "openssl-handshake test";
const ROOT_CN: &str = "openssl-handshake test Root CA";
const INTERMEDIATE_CN: &str = "openssl-handshake test Intermediate CA";
pub(super) const UNTRUSTED_ROOT_CN: &str = "Untrusted Root";
const EXPIRED_INTERMEDIATE_CN: &str = "Expired Intermediate CA";
const CLIENT_CN: &str = "client";
pub(super) const SERVER_IP: &str = "127.0.0.1";
const WRONG_HOST: &str = "wrong.example";

/// Leaf validity in days relative to now. Starting a day early tolerates
/// clock skew between the machines of an interop run.
const LEAF_DAYS: (i64, i64) = (-1, 30);
/// The CAs predate the `Expired` leaf so that only the leaf is out of date.
const CA_DAYS: (i64, i64) = (-90, 365);

impl Pki {
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
        let negatives_of = |holder| {
            Negative::ALL
                .iter()
                .map(|&n| negative(n, holder, &root, &intermediate))
                .collect::<Result<Vec<_>, _>>()
        };
        let negatives = negatives_of(Holder::Server)?;
        let client_negatives = negatives_of(Holder::Client)?;

        Ok(Pki {
            root,
            intermediate,
            servers,
            clients,
            negatives,
            client_negatives,
            csrs,
        })
    }
}

/// A certificate authority able to issue certificates.
#[derive(Debug)]
pub(super) struct Ca {
    pub(super) cert: X509,
    key: PKey<Private>,
}

impl Ca {
    /// The CA's private key: written out so that tests can sign what a CA
    /// signs besides certificates (OCSP responses, CRLs).
    pub(super) fn key(&self) -> &PKey<Private> {
        &self.key
    }

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
    /// The CA, signing with SHA-1, which verifiers now refuse.
    CaWithSha1(&'a Ca),
}

enum Profile<'a> {
    Ca {
        pathlen: Option<u32>,
    },
    Server {
        dns: &'a str,
        ip: Option<&'a str>,
        key_encipherment: bool,
        /// extendedKeyUsage names clientAuth instead of serverAuth: a
        /// certificate issued for the other role.
        for_clients: bool,
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
            for_clients: false,
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
        Signer::Ca(ca) | Signer::CaWithSha1(ca) => (Some(&ca.cert), &ca.key),
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
            key_encipherment,
            for_clients,
            ..
        } => {
            usage.digital_signature();
            if key_encipherment {
                usage.key_encipherment();
            }
            let mut purposes = ExtendedKeyUsage::new();
            if for_clients {
                purposes.client_auth();
            } else {
                purposes.server_auth();
            }
            extended = Some(purposes.build()?);
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
        (Signer::Itself(_), Profile::Server { .. } | Profile::Client)
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
    let digest = match signer {
        Signer::CaWithSha1(_) => MessageDigest::sha1(),
        _ => digest_for(signing_key),
    };
    b.sign(signing_key, digest)?;
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

/// Whose negative credential to issue: a server's (for `localhost`,
/// serverAuth) or a client's (CN=client, clientAuth).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holder {
    Server,
    Client,
}

fn negative(
    n: Negative,
    holder: Holder,
    root: &Ca,
    intermediate: &Ca,
) -> Result<Credential, ErrorStack> {
    let key = KeyType::EcdsaP256.generate()?;
    let server = Profile::Server {
        dns: Pki::HOST,
        ip: Some(SERVER_IP),
        key_encipherment: false,
        for_clients: false,
    };
    // The profile a holder's certificate should have, and one for the
    // other purpose.
    let (host, own, other) = match holder {
        Holder::Server => (
            name(Pki::HOST)?,
            server,
            Profile::Server {
                dns: Pki::HOST,
                ip: Some(SERVER_IP),
                key_encipherment: false,
                for_clients: true,
            },
        ),
        Holder::Client => (name(CLIENT_CN)?, Profile::Client, server),
    };
    let with_intermediate = || vec![intermediate.cert.clone()];
    let (cert, chain) = match n {
        Negative::Expired => (
            intermediate.credential(&host, &key, &own, (-60, -1))?,
            with_intermediate(),
        ),
        Negative::NotYetValid => (
            intermediate.credential(&host, &key, &own, (1, 30))?,
            with_intermediate(),
        ),
        // A client certificate names no host a server checks: this one is
        // as good as any client's.
        Negative::WrongHost => {
            let wrong = match holder {
                Holder::Server => Profile::Server {
                    dns: WRONG_HOST,
                    ip: None,
                    key_encipherment: false,
                    for_clients: false,
                },
                Holder::Client => Profile::Client,
            };
            let subject = name(WRONG_HOST)?;
            let cert = intermediate.credential(&subject, &key, &wrong, LEAF_DAYS)?;
            (cert, with_intermediate())
        }
        Negative::SelfSigned => (
            issue(&host, &key, &own, LEAF_DAYS, Signer::Itself(&key))?,
            Vec::new(),
        ),
        Negative::UntrustedRoot => {
            let untrusted = Ca::root(UNTRUSTED_ROOT_CN, KeyType::EcdsaP256.generate()?)?;
            let cert = untrusted.credential(&host, &key, &own, LEAF_DAYS)?;
            (cert, vec![untrusted.cert])
        }
        Negative::MissingIntermediate => (
            intermediate.credential(&host, &key, &own, LEAF_DAYS)?,
            Vec::new(),
        ),
        Negative::ExpiredIntermediate => {
            // An intermediate the root issued, out of date since yesterday,
            // and a current leaf under it: only the CA certificate fails.
            let ca_key = KeyType::EcdsaP256.generate()?;
            let subject = name(EXPIRED_INTERMEDIATE_CN)?;
            let profile = Profile::Ca { pathlen: Some(0) };
            let cert = root.credential(&subject, &ca_key, &profile, (-60, -1))?;
            let expired = Ca { cert, key: ca_key };
            let leaf = expired.credential(&host, &key, &own, LEAF_DAYS)?;
            (leaf, vec![expired.cert])
        }
        Negative::WeakKey => {
            let weak = PKey::from_rsa(Rsa::generate(1024)?)?;
            let cert = intermediate.credential(&host, &weak, &own, LEAF_DAYS)?;
            return Ok(Credential {
                cert,
                key: weak,
                chain: with_intermediate(),
            });
        }
        Negative::Sha1Signature => (
            issue(
                &host,
                &key,
                &own,
                LEAF_DAYS,
                Signer::CaWithSha1(intermediate),
            )?,
            with_intermediate(),
        ),
        Negative::WrongPurpose => (
            intermediate.credential(&host, &key, &other, LEAF_DAYS)?,
            with_intermediate(),
        ),
    };
    Ok(Credential { cert, key, chain })
}

#[cfg(test)]
mod tests {
    use openssl::x509::X509VerifyResult;

    use super::super::tests::{entry, pki};
    use super::*;

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
        assert_eq!(key_ids, [Id::RSA, Id::EC, Id::EC, Id::ED25519, Id::DSA]);
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
}
