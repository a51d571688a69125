//! The files a scan reads (`--cafile`, `--cert`, `--key`), read once
//! before any connection: each probe's context takes them from memory, so
//! a pipe (`--cafile <(...)`) is read once rather than used up by the
//! first probe, and an encrypted key asks for its passphrase once rather
//! than on each of the parallel probes' threads at the same moment.

use std::path::Path;

use openssl::error::ErrorStack;
use openssl::ssl::{SslContextBuilder, SslMethod};
use openssl::x509::X509;

use crate::error::HarnessError;
use crate::settings::{pem_certificates, reasons, Identity, Passphrase};

/// What the scan's files hold.
#[derive(Debug, Default)]
pub struct LocalFiles {
    /// `--cafile`'s certificates; `None` is the system store.
    pub cas: Option<Vec<X509>>,
    /// `--cert` and `--key`, for servers that ask for a client certificate.
    pub client: Option<Identity>,
}

impl LocalFiles {
    /// Reads `cafile` and the `cert`/`key` pair (the key decrypted with
    /// `pass` when given), refusing, as probe does, a file that would not
    /// load (else every probe would fail on it and the scan blame the
    /// server).
    pub fn load(
        cafile: Option<&Path>,
        cert_key: Option<(&Path, &Path)>,
        pass: Option<&Passphrase>,
    ) -> Result<Self, HarnessError> {
        let cas = cafile
            .map(|f| pem_certificates("--cafile", f, "a PEM file of CA certificates", "CA file"))
            .transpose()?;
        let client = cert_key.map(|(c, k)| identity(c, k, pass)).transpose()?;
        Ok(LocalFiles { cas, client })
    }

    /// Gives a probe's context the client certificate and its chain.
    pub fn present_client(&self, b: &mut SslContextBuilder) -> Result<(), ErrorStack> {
        if let Some(id) = &self.client {
            b.set_certificate(&id.leaf)?;
            for c in &id.chain {
                b.add_extra_chain_cert(c.clone())?;
            }
            b.set_private_key(&id.key)?;
        }
        Ok(())
    }

    /// Puts the trust anchors, `--cafile`'s or the system store's, in a
    /// probe's context's own store, where the handshake's verification
    /// and the stapled OCSP response's check ([`crate::ocsp::stapled`])
    /// both find them.
    pub fn trust(&self, b: &mut SslContextBuilder) -> Result<(), ErrorStack> {
        match &self.cas {
            Some(cas) => {
                for c in cas {
                    b.cert_store_mut().add_cert(c.clone())?;
                }
                Ok(())
            }
            None => b.set_default_verify_paths(),
        }
    }
}

/// `--cert`'s chain and `--key`'s key, which must belong together, and
/// which OpenSSL must take as a probe's context would.
fn identity(cert: &Path, key: &Path, pass: Option<&Passphrase>) -> Result<Identity, HarnessError> {
    let id = Identity::load(cert, key, pass)?;
    let mut b = SslContextBuilder::new(SslMethod::tls_client())?;
    b.set_security_level(0);
    b.set_certificate(&id.leaf)
        .and_then(|()| b.set_private_key(&id.key))
        .and_then(|()| b.check_private_key())
        .map_err(|e| {
            HarnessError::Usage(format!(
                "--cert {} with --key {}: {}",
                cert.display(),
                key.display(),
                reasons(&e)
            ))
        })?;
    Ok(id)
}
