//! A disposable test PKI: a root CA, an intermediate CA, server and client
//! leaves for every [`KeyType`], and [`Negative`] server credentials that each
//! fail certificate verification in one specific, known way.
//!
//! openssl-handshake's tests and the `tls-harness` tool use it for the
//! key-type interop matrix and the certificate negative tests;
//! `tls-harness pki --out DIR` writes it to disk with [`Pki::write_pem`] for
//! use with `openssl s_server` and `s_client`. Everything is generated fresh
//! in memory by [`Pki::generate`], so no key material lives in the
//! repository. None of it is fit for anything but testing.
//!
//! The names live in `kinds.rs`, the CA work in `issuing.rs`, the files on
//! disk in `files.rs`.
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
//! use testkit::pki::{KeyType, Pki};
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
use std::path::PathBuf;

use openssl::error::ErrorStack;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslAcceptorBuilder, SslContextBuilder, SslMethod};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::{X509Req, X509};

use issuing::Ca;

/// Errors from building or writing the test PKI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// An OpenSSL call (key generation, signing, encoding) failed.
    #[error("OpenSSL failed while building the test PKI")]
    Openssl(#[from] ErrorStack),
    /// Creating the output directory or writing a file failed.
    #[error(
        "could not write test PKI output {} (check that the directory exists or can be created, is writable and has free space)",
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

    /// A server configured as Mozilla's "intermediate" profile
    /// (`SslAcceptor::mozilla_intermediate_v5`), presenting this credential.
    pub fn acceptor(&self) -> Result<SslAcceptorBuilder, ErrorStack> {
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
        self.install(&mut b)?;
        Ok(b)
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

/// The generated test PKI. See the [module documentation](self).
pub struct Pki {
    root: Ca,
    intermediate: Ca,
    servers: Vec<Credential>,
    clients: Vec<Credential>,
    negatives: Vec<Credential>,
    client_negatives: Vec<Credential>,
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

    /// The client credential (CN=client, clientAuth) with the problem `n`
    /// describes, which a server verifying client certificates refuses
    /// with the same verify error as the server credential; except
    /// [`Negative::WrongHost`], whose name no server checks, and
    /// [`Negative::WrongPurpose`], which is for TLS servers only.
    pub fn client_negative(&self, n: Negative) -> &Credential {
        &self.client_negatives[n as usize]
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

mod files;
mod issuing;
mod kinds;

pub use files::{LeafFiles, NegativeFiles, Overwrite, PkiFiles, MARKER};
pub use kinds::{KeyType, Negative, ParseNameError};

#[cfg(test)]
mod tests {
    use super::issuing::{SERVER_IP, UNTRUSTED_ROOT_CN};
    use super::*;
    use openssl::nid::Nid;
    use openssl::ssl::{
        HandshakeError, Ssl, SslConnector, SslConnectorBuilder, SslContext, SslMethod,
        SslVerifyMode, SslVersion,
    };
    use openssl::stack::Stack;
    use openssl::x509::verify::X509VerifyParam;
    use openssl::x509::{X509PurposeId, X509Ref, X509StoreContext, X509VerifyResult};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::OnceLock;
    use std::thread;

    pub(super) fn pki() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(|| Pki::generate().expect("generate test PKI"))
    }

    /// A store that checks the host, the purpose and, as a TLS peer at
    /// that security level would, key and signature strength.
    fn store_for(host: Option<&str>, purpose: X509PurposeId, level: Option<u32>) -> X509Store {
        let mut param = X509VerifyParam::new().unwrap();
        if let Some(host) = host {
            param.set_host(host).unwrap();
        }
        param.set_purpose(purpose).unwrap();
        if let Some(level) = level {
            param.set_auth_level(level as i32);
        }
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
        let store = store_for(Some(Pki::HOST), X509PurposeId::SSL_SERVER, n.client_level());
        let for_host = verify(&store, cred);
        assert_eq!(for_host, n.expected_verify_error(), "{n} with host check");
        if matches!(n, Negative::WrongHost | Negative::WrongPurpose) || n.client_level().is_some() {
            // Proves the host name (or purpose, or strength) is the only
            // thing wrong with it.
            assert_eq!(
                plain,
                X509VerifyResult::OK.as_raw(),
                "{n} without host check"
            );
        } else {
            assert_eq!(plain, n.expected_verify_error(), "{n} without host check");
        }
    }

    /// A server verifying client certificates (purpose sslclient) at the
    /// level that refuses them finds the same problem in each client
    /// negative as a client in the server one, but no name to check.
    #[test]
    fn client_negatives_fail_a_server_verification() {
        for n in Negative::ALL {
            let store = store_for(None, X509PurposeId::SSL_CLIENT, n.client_level());
            let got = verify(&store, pki().client_negative(n));
            let want = match n {
                Negative::WrongHost => X509VerifyResult::OK.as_raw(),
                _ => n.expected_verify_error(),
            };
            assert_eq!(got, want, "client {n}");
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
    fn negative_wrong_purpose() {
        check_negative(Negative::WrongPurpose);
    }

    #[test]
    fn negative_expired_intermediate() {
        check_negative(Negative::ExpiredIntermediate);
        let cred = pki().negative(Negative::ExpiredIntermediate);
        let now = openssl::asn1::Asn1Time::days_from_now(0).unwrap();
        assert!(cred.cert.not_after() > now, "the leaf is current");
        assert!(cred.chain[0].not_after() < now, "its CA is not");
    }

    #[test]
    fn negative_weak_key() {
        check_negative(Negative::WeakKey);
        let key = &pki().negative(Negative::WeakKey).key;
        assert_eq!((key.id(), key.bits()), (openssl::pkey::Id::RSA, 1024));
    }

    #[test]
    fn negative_sha1_signature() {
        check_negative(Negative::Sha1Signature);
        let cert = &pki().negative(Negative::Sha1Signature).cert;
        assert_eq!(
            cert.signature_algorithm().object().nid(),
            Nid::SHA1WITHRSAENCRYPTION
        );
    }

    #[test]
    fn good_leaves_verify() {
        let ok = X509VerifyResult::OK.as_raw();
        let servers = store_for(Some(Pki::HOST), X509PurposeId::SSL_SERVER, Some(2));
        let by_ip = {
            let mut param = X509VerifyParam::new().unwrap();
            param.set_ip("127.0.0.1".parse().unwrap()).unwrap();
            let mut b = pki().trust_store_builder().unwrap();
            b.set_param(&param).unwrap();
            b.build()
        };
        let clients = store_for(None, X509PurposeId::SSL_CLIENT, Some(2));
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

    pub(super) fn entry(cert: &X509Ref, nid: Nid) -> &str {
        let mut entries = cert.subject_name().entries_by_nid(nid);
        let value = std::str::from_utf8(entries.next().unwrap().data().as_slice()).unwrap();
        assert!(entries.next().is_none());
        value
    }

    /// Runs a TLS handshake over loopback: the server presents `server` and,
    /// with `client` given, requires that client certificate. Returns the
    /// client's verify result code, or the negotiated version on success.
    fn handshake(
        server: &Credential,
        client: Option<&Credential>,
        tweak: impl FnOnce(&mut SslConnectorBuilder),
    ) -> Result<Option<SslVersion>, i32> {
        handshake_at(None, server, client, tweak)
    }

    /// As [`handshake`], the server at security level `server_level`.
    fn handshake_at(
        server_level: Option<u32>,
        server: &Credential,
        client: Option<&Credential>,
        tweak: impl FnOnce(&mut SslConnectorBuilder),
    ) -> Result<Option<SslVersion>, i32> {
        let mut sb = SslContext::builder(SslMethod::tls_server()).unwrap();
        if let Some(level) = server_level {
            sb.set_security_level(level);
        }
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
                Ok(s.ssl().version2())
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
        // DSA signs in TLS 1.2 and older only (RFC 8446 has no DSA scheme);
        // the harness's DSS suite cases cover it.
        for k in KeyType::ALL.into_iter().filter(|k| *k != KeyType::Dsa2048) {
            let version = handshake(pki().server(k), Some(pki().client(k)), |_| {});
            assert_eq!(version, Ok(Some(SslVersion::TLS1_3)), "{k}");
        }
    }

    #[test]
    fn tls12_rsa_key_exchange() {
        let version = handshake(pki().server(KeyType::Rsa2048), None, |cb| {
            cb.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
            cb.set_cipher_list("AES128-GCM-SHA256").unwrap();
        });
        assert_eq!(version, Ok(Some(SslVersion::TLS1_2)));
    }

    /// Each negative leaf's key is of the kind its `authentication` names,
    /// for server and client alike.
    #[test]
    fn negative_keys_authenticate_as_declared() {
        use openssl::pkey::Id;
        for n in Negative::ALL {
            let id = match n.authentication() {
                "RSA" => Id::RSA,
                _ => Id::EC,
            };
            assert_eq!(pki().negative(n).key.id(), id, "{n}");
            assert_eq!(pki().client_negative(n).key.id(), id, "client {n}");
        }
    }

    #[test]
    fn negatives_fail_tls_with_expected_error() {
        for n in Negative::ALL {
            let result = handshake_at(n.server_level(), pki().negative(n), None, |cb| {
                if let Some(level) = n.client_level() {
                    cb.set_security_level(level);
                }
            });
            assert_eq!(result, Err(n.expected_verify_error()), "{n}");
        }
    }
}
