//! Writing the test PKI to disk: certificates world-readable, private keys
//! `0600`, and no key file replaced that an earlier [`Pki::write_pem`]
//! did not write.

use std::fs::{self, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Credential, KeyType, Negative, Pki, PkiError};

/// Marks a directory as written by [`Pki::write_pem`]: its key files may be
/// replaced by a later run without [`Overwrite::Any`].
pub const MARKER: &str = ".openssl-handshake-pki";

/// Which existing key files [`Pki::write_pem_with`] may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overwrite {
    /// Only those of a directory an earlier run wrote (it holds
    /// [`MARKER`]); any other existing key file is refused.
    Ours,
    /// Any (`tls-harness pki --force`).
    Any,
}

/// One file to write.
struct Entry {
    name: String,
    contents: Vec<u8>,
    secret: bool,
}

impl Pki {
    /// Writes the PKI as PEM files into `dir`, creating it if needed, and
    /// returns their paths. Private keys are written with mode `0600`.
    /// An existing key file is replaced only if an earlier `write_pem`
    /// wrote the directory; see [`Pki::write_pem_with`].
    ///
    /// Files: `root.pem`, `intermediate.pem`, `intermediate.key` (to sign
    /// OCSP responses as the leaves' issuer); for each key type `k`
    /// `server-{k}.crt` (leaf only), `server-{k}.key` (PKCS#8),
    /// `server-{k}.chain.pem` (leaf then intermediate) and the same for
    /// `client-{k}`; `server-rsa2048.csr`; for each negative `n`
    /// `neg-{n}.chain.pem` and `neg-{n}.key`, and the client's
    /// `neg-client-{n}.chain.pem` and `neg-client-{n}.key`.
    ///
    /// `openssl s_server -cert` reads only the first certificate of a file;
    /// to serve a whole chain file pass it to `-chainCAfile` as well, e.g.
    /// `-cert server-rsa2048.chain.pem -chainCAfile server-rsa2048.chain.pem
    /// -key server-rsa2048.key`.
    pub fn write_pem(&self, dir: &Path) -> Result<PkiFiles, PkiError> {
        self.write_pem_with(dir, Overwrite::Ours)
    }

    /// [`Pki::write_pem`], saying which existing key files may be replaced.
    /// Nothing is written when one is refused.
    pub fn write_pem_with(&self, dir: &Path, overwrite: Overwrite) -> Result<PkiFiles, PkiError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| PkiError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let entries = self.entries()?;
        let ours = dir.join(MARKER).is_file();
        for e in entries.iter().filter(|e| e.secret) {
            let path = dir.join(&e.name);
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            let foreign = !ours || meta.file_type().is_symlink();
            if foreign && overwrite != Overwrite::Any {
                return Err(PkiError::WouldOverwrite { path });
            }
            if meta.file_type().is_symlink() {
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        let marker = dir.join(MARKER);
        fs::write(&marker, b"written by openssl-handshake's test PKI\n").map_err(io(&marker))?;
        for e in &entries {
            let path = dir.join(&e.name);
            if e.secret {
                write_secret(&path, &e.contents).map_err(io(&path))?;
            } else {
                fs::write(&path, &e.contents).map_err(io(&path))?;
            }
        }
        Ok(PkiFiles::at(dir))
    }

    fn entries(&self) -> Result<Vec<Entry>, PkiError> {
        let file = |name: String, contents: Vec<u8>| Entry {
            name,
            contents,
            secret: false,
        };
        let key = |name: String, c: &Credential| -> Result<Entry, PkiError> {
            Ok(Entry {
                name,
                contents: c.key.private_key_to_pem_pkcs8()?,
                secret: true,
            })
        };
        let mut out = vec![
            file("root.pem".into(), self.root.cert.to_pem()?),
            file("intermediate.pem".into(), self.intermediate.cert.to_pem()?),
            Entry {
                name: "intermediate.key".into(),
                contents: self.intermediate.key().private_key_to_pem_pkcs8()?,
                secret: true,
            },
            file(
                format!("server-{}.csr", KeyType::Rsa2048),
                self.csr().to_pem()?,
            ),
        ];
        for k in KeyType::ALL {
            for (prefix, c) in [("server", self.server(k)), ("client", self.client(k))] {
                out.push(file(format!("{prefix}-{k}.crt"), c.cert.to_pem()?));
                out.push(key(format!("{prefix}-{k}.key"), c)?);
                out.push(file(format!("{prefix}-{k}.chain.pem"), c.try_chain_pem()?));
            }
        }
        for n in Negative::ALL {
            for (prefix, c) in [
                ("neg", self.negative(n)),
                ("neg-client", self.client_negative(n)),
            ] {
                out.push(file(format!("{prefix}-{n}.chain.pem"), c.try_chain_pem()?));
                out.push(key(format!("{prefix}-{n}.key"), c)?);
            }
        }
        Ok(out)
    }
}

/// Writes a private key readable by its owner only, also when the file
/// existed with a wider mode, and never through a symbolic link.
fn write_secret(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    f.set_permissions(Permissions::from_mode(0o600))?;
    f.write_all(contents)
}

/// Paths of one leaf credential written by [`Pki::write_pem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafFiles {
    /// The leaf certificate alone (`.crt`).
    pub cert: PathBuf,
    /// The PKCS#8 private key (`.key`).
    pub key: PathBuf,
    /// The leaf then the intermediate (`.chain.pem`).
    pub chain: PathBuf,
}

/// Paths of one negative credential written by [`Pki::write_pem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegativeFiles {
    /// The leaf then its chain, as the server would send them (`.chain.pem`).
    pub chain: PathBuf,
    /// The PKCS#8 private key (`.key`).
    pub key: PathBuf,
}

/// The files written by [`Pki::write_pem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiFiles {
    /// The directory holding all files.
    pub dir: PathBuf,
    /// The root CA certificate (`root.pem`), for `-CAfile`.
    pub root: PathBuf,
    /// The intermediate CA certificate (`intermediate.pem`).
    pub intermediate: PathBuf,
    /// The intermediate CA's PKCS#8 private key (`intermediate.key`), the
    /// issuer of every leaf.
    pub intermediate_key: PathBuf,
    /// The CSR of the RSA server leaf (`server-rsa2048.csr`).
    pub csr: PathBuf,
    servers: Vec<LeafFiles>,
    clients: Vec<LeafFiles>,
    negatives: Vec<NegativeFiles>,
    client_negatives: Vec<NegativeFiles>,
}

impl PkiFiles {
    /// The paths [`Pki::write_pem`] writes into `dir`.
    fn at(dir: &Path) -> Self {
        let leaf = |prefix: String| LeafFiles {
            cert: dir.join(format!("{prefix}.crt")),
            key: dir.join(format!("{prefix}.key")),
            chain: dir.join(format!("{prefix}.chain.pem")),
        };
        let negative = |prefix: String| NegativeFiles {
            chain: dir.join(format!("{prefix}.chain.pem")),
            key: dir.join(format!("{prefix}.key")),
        };
        PkiFiles {
            dir: dir.to_path_buf(),
            root: dir.join("root.pem"),
            intermediate: dir.join("intermediate.pem"),
            intermediate_key: dir.join("intermediate.key"),
            csr: dir.join(format!("server-{}.csr", KeyType::Rsa2048)),
            servers: KeyType::ALL.map(|k| leaf(format!("server-{k}"))).to_vec(),
            clients: KeyType::ALL.map(|k| leaf(format!("client-{k}"))).to_vec(),
            negatives: Negative::ALL.map(|n| negative(format!("neg-{n}"))).to_vec(),
            client_negatives: Negative::ALL
                .map(|n| negative(format!("neg-client-{n}")))
                .to_vec(),
        }
    }

    /// Files of the server credential for `k` (`server-{k}.*`).
    pub fn server(&self, k: KeyType) -> &LeafFiles {
        &self.servers[k as usize]
    }

    /// Files of the client credential for `k` (`client-{k}.*`).
    pub fn client(&self, k: KeyType) -> &LeafFiles {
        &self.clients[k as usize]
    }

    /// Files of the negative credential `n` (`neg-{n}.*`).
    pub fn negative(&self, n: Negative) -> &NegativeFiles {
        &self.negatives[n as usize]
    }

    /// Files of the client's negative credential `n`
    /// (`neg-client-{n}.*`; see [`Pki::client_negative`]).
    pub fn client_negative(&self, n: Negative) -> &NegativeFiles {
        &self.client_negatives[n as usize]
    }

    /// Every file written, e.g. to list them to the user.
    pub fn all(&self) -> Vec<&Path> {
        let mut all = vec![
            self.root.as_path(),
            self.intermediate.as_path(),
            self.intermediate_key.as_path(),
            self.csr.as_path(),
        ];
        for leaf in self.servers.iter().chain(&self.clients) {
            all.extend([leaf.cert.as_path(), &leaf.key, &leaf.chain]);
        }
        for neg in self.negatives.iter().chain(&self.client_negatives) {
            all.extend([neg.chain.as_path(), &neg.key]);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use openssl::pkey::PKey;
    use openssl::ssl::{SslContext, SslMethod};
    use openssl::x509::{X509Ref, X509Req, X509};

    use super::*;

    fn pki() -> &'static Pki {
        super::super::tests::pki()
    }

    #[test]
    fn write_pem_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pki");
        let files = pki().write_pem(&out).unwrap();
        assert_eq!(
            files.all().len(),
            4 + 2 * KeyType::ALL.len() * 3 + 2 * Negative::ALL.len() * 2
        );
        for path in files.all() {
            assert!(path.is_file(), "{}", path.display());
            assert_eq!(path.parent(), Some(out.as_path()));
        }
        let read = |p: &Path| fs::read(p).unwrap();
        let der = |c: &X509Ref| c.to_der().unwrap();
        assert_eq!(
            der(&X509::from_pem(&read(&files.root)).unwrap()),
            der(pki().root())
        );
        assert_eq!(
            der(&X509::from_pem(&read(&files.intermediate)).unwrap()),
            der(pki().intermediate())
        );
        let csr = X509Req::from_pem(&read(&files.csr)).unwrap();
        assert_eq!(csr.to_der().unwrap(), pki().csr().to_der().unwrap());
        assert!(files.csr.ends_with("server-rsa2048.csr"));

        let leaves = KeyType::ALL.iter().flat_map(|&k| {
            [
                (files.server(k), pki().server(k)),
                (files.client(k), pki().client(k)),
            ]
        });
        for (f, cred) in leaves {
            assert_eq!(
                der(&X509::from_pem(&read(&f.cert)).unwrap()),
                der(&cred.cert)
            );
            assert_eq!(read(&f.chain), cred.chain_pem());
            assert_eq!(read(&f.key), cred.key_pem());
            let key = PKey::private_key_from_pem(&read(&f.key)).unwrap();
            assert!(key.public_eq(&cred.key));
            assert!(read(&f.key).starts_with(b"-----BEGIN PRIVATE KEY-----"));
            let chain = X509::stack_from_pem(&read(&f.chain)).unwrap();
            assert_eq!(
                chain.iter().map(|c| der(c)).collect::<Vec<_>>(),
                [der(&cred.cert), der(pki().intermediate())]
            );
            // Loadable the way SSL_CTX_use_certificate_chain_file users load it.
            let mut ctx = SslContext::builder(SslMethod::tls()).unwrap();
            ctx.set_certificate_chain_file(&f.chain).unwrap();
            ctx.set_private_key_file(&f.key, openssl::ssl::SslFiletype::PEM)
                .unwrap();
            ctx.check_private_key().unwrap();
        }
        assert!(files
            .server(KeyType::EcdsaP384)
            .chain
            .ends_with("server-ecdsa-p384.chain.pem"));
        assert!(files
            .client(KeyType::Ed25519)
            .key
            .ends_with("client-ed25519.key"));

        let negatives = Negative::ALL.into_iter().flat_map(|n| {
            [
                (n, "neg", files.negative(n), pki().negative(n)),
                (
                    n,
                    "neg-client",
                    files.client_negative(n),
                    pki().client_negative(n),
                ),
            ]
        });
        for (n, prefix, f, cred) in negatives {
            assert!(f
                .chain
                .ends_with(format!("{prefix}-{}.chain.pem", n.name())));
            assert!(f.key.ends_with(format!("{prefix}-{}.key", n.name())));
            let chain = X509::stack_from_pem(&read(&f.chain)).unwrap();
            assert_eq!(chain.len(), 1 + cred.chain.len(), "{n}");
            assert_eq!(der(&chain[0]), der(&cred.cert));
            assert!(PKey::private_key_from_pem(&read(&f.key))
                .unwrap()
                .public_eq(&cred.key));
        }
        // Rewriting into the same directory replaces the files.
        pki().write_pem(&out).unwrap();
    }

    #[test]
    fn write_pem_error_names_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"").unwrap();
        let err = pki().write_pem(&blocker.join("sub")).unwrap_err();
        assert!(matches!(&err, PkiError::Io { path, .. } if path == &blocker.join("sub")));
        let msg = err.to_string();
        assert!(
            msg.contains(&blocker.join("sub").display().to_string()),
            "{msg}"
        );
        assert!(msg.contains("writable"), "{msg}");
    }

    #[test]
    fn keys_are_private_and_foreign_keys_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        // A key someone else put there, world-readable.
        let theirs = out.join("server-rsa2048.key");
        fs::write(&theirs, b"not ours").unwrap();
        fs::set_permissions(&theirs, fs::Permissions::from_mode(0o644)).unwrap();
        let err = pki().write_pem(out).unwrap_err();
        assert!(
            matches!(&err, PkiError::WouldOverwrite { path } if path == &theirs),
            "{err}"
        );
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(fs::read(&theirs).unwrap(), b"not ours");
        assert!(!out.join("root.pem").exists(), "nothing written on refusal");

        let files = pki().write_pem_with(out, Overwrite::Any).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for path in files.all() {
            if path.extension().is_some_and(|e| e == "key") {
                assert_eq!(mode(path), 0o600, "{}", path.display());
            }
        }
        // The directory is ours now: a plain rewrite is allowed.
        pki().write_pem(out).unwrap();
        assert_eq!(mode(&theirs), 0o600);
    }

    #[test]
    fn a_symlinked_key_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pki");
        pki().write_pem(&out).unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, b"precious").unwrap();
        let key = out.join("client-ed25519.key");
        fs::remove_file(&key).unwrap();
        std::os::unix::fs::symlink(&target, &key).unwrap();
        assert!(matches!(
            pki().write_pem(&out),
            Err(PkiError::WouldOverwrite { .. })
        ));
        pki().write_pem_with(&out, Overwrite::Any).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert!(!fs::symlink_metadata(&key).unwrap().file_type().is_symlink());
    }
}
