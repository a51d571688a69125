//! What the external peers share: the test PKI written as PEM files for
//! their command lines, the harness PSK as hex, time limits, and reading
//! alerts out of their output.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testkit::pki::{Pki, PkiFiles};

use super::inproc::{key_type, srp_login, PSK_IDENTITY, PSK_KEY};
use super::process::Captured;
use super::{ExternalView, SideOutcome};
use crate::case::{alert, Identity, Role, SrpPassword};
use crate::error::HarnessError;

/// The run's PKI as files, plus a GnuTLS PSK password file: in a temporary
/// directory that lives as long as this value, or in one that is kept.
pub struct PkiDir {
    _dir: Option<crate::interrupt::TempDir>,
    /// The written files.
    pub files: PkiFiles,
    /// `tls-harness:HEX`, the format of `gnutls-serv --pskpasswd`.
    pub psk_passwd: PathBuf,
}

/// The PKI's PEM files and the GnuTLS PSK password file, written to `dir`.
fn write_files(pki: &Pki, dir: &Path) -> Result<(PkiFiles, PathBuf), HarnessError> {
    let files = pki.write_pem(dir)?;
    let psk_passwd = dir.join("psk-passwd");
    let line = format!("{}:{}\n", String::from_utf8_lossy(PSK_IDENTITY), psk_hex());
    std::fs::write(&psk_passwd, line).map_err(|e| HarnessError::writing(&psk_passwd, e))?;
    Ok((files, psk_passwd))
}

impl PkiDir {
    /// Writes `pki` (the same one the in-process peer uses, so both trust
    /// the same root) to a fresh directory: `pki-XXXXXX` in `keep`, which
    /// stays (runs sharing `keep`, such as shards, each get their own), or
    /// else a temporary one.
    pub fn write(pki: &Pki, keep: Option<&Path>) -> Result<PkiDir, HarnessError> {
        let made = |e| HarnessError::Io {
            what: "creating a directory for the PKI".into(),
            source: e,
        };
        match keep {
            Some(dir) => {
                let dir = std::fs::create_dir_all(dir)
                    .and_then(|()| tempfile::Builder::new().prefix("pki-").tempdir_in(dir))
                    .map_err(made)?;
                // Kept: the report's command lines name it.
                let (files, psk_passwd) = write_files(pki, &dir.keep())?;
                Ok(PkiDir {
                    _dir: None,
                    files,
                    psk_passwd,
                })
            }
            None => {
                // Removed also if a signal ends the program: it holds keys.
                let dir = crate::interrupt::TempDir::create(
                    tempfile::Builder::new().prefix("tls-harness-pki"),
                )
                .map_err(made)?;
                let (files, psk_passwd) = dir.fill(|path| write_files(pki, path))?;
                Ok(PkiDir {
                    _dir: Some(dir),
                    files,
                    psk_passwd,
                })
            }
        }
    }

    /// The certificate file, key file and extra chain file for an
    /// identity: leaves come as leaf + intermediate; negatives as their
    /// own chain file (leaf first), which may lack the intermediate on
    /// purpose.
    pub fn credential(&self, identity: Identity, role: Role) -> Option<Credential> {
        match (identity, role) {
            (Identity::None, _) => None,
            (Identity::Certificate(k), role) => {
                let f = match role {
                    Role::Server => self.files.server(key_type(k)),
                    Role::Client => self.files.client(key_type(k)),
                };
                Some(Credential {
                    leaf: f.cert.clone(),
                    full_chain: f.chain.clone(),
                    key: f.key.clone(),
                })
            }
            (Identity::Negative(p), role) => {
                let f = match role {
                    Role::Server => self.files.negative(p),
                    Role::Client => self.files.client_negative(p),
                };
                Some(Credential {
                    leaf: f.chain.clone(),
                    full_chain: f.chain.clone(),
                    key: f.key.clone(),
                })
            }
        }
    }
}

/// One credential's files.
#[derive(Debug, Clone)]
pub struct Credential {
    /// A file whose first certificate is the leaf.
    pub leaf: PathBuf,
    /// The leaf followed by the chain the server sends.
    pub full_chain: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// The harness PSK in hex, as both command-line tools take it.
pub fn psk_hex() -> String {
    PSK_KEY.iter().map(|b| format!("{b:02x}")).collect()
}

/// The harness's SRP user and the password a side with `password` holds,
/// as text for command lines and password files.
pub fn srp_user_password(password: SrpPassword) -> (String, String) {
    let login = srp_login(password);
    (
        login.user.to_string_lossy().into_owned(),
        login.password.to_string_lossy().into_owned(),
    )
}

/// How long an external process may live in all: enough for every
/// connection's steps, each bounded by the run's per-operation time-out.
pub fn process_deadline(io_timeout: Duration, connections: usize) -> Instant {
    Instant::now() + io_timeout * (2 * connections as u32 + 2)
}

/// A loopback port that was free a moment ago, for servers that can't
/// bind port 0 and say which port they got (gnutls-serv). The caller
/// retries with another one when the server fails to bind.
pub fn free_port() -> std::io::Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

/// A group of the matrix by its name in the IANA TLS Supported Groups
/// registry (x25519, secp256r1, ffdhe2048), which JSSE and tlslite-ng
/// take; `None` for one outside the ones they share.
pub fn iana_group_name(g: &str) -> Option<&'static str> {
    Some(match g {
        "X25519" => "x25519",
        "X448" => "x448",
        "P-256" => "secp256r1",
        "P-384" => "secp384r1",
        "P-521" => "secp521r1",
        "ffdhe2048" => "ffdhe2048",
        "ffdhe3072" => "ffdhe3072",
        "ffdhe4096" => "ffdhe4096",
        "ffdhe6144" => "ffdhe6144",
        "ffdhe8192" => "ffdhe8192",
        _ => return None,
    })
}

/// The loopback address on `port`.
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// The alert description OpenSSL's info callback names with spaces
/// ("handshake failure"), as `s_client -state` prints it.
pub fn alert_from_words(words: &str) -> Option<u8> {
    let want = words.trim().replace(' ', "_").to_ascii_lowercase();
    (0..=u8::MAX).find(|&d| alert::name(d) == want)
}

/// An outcome for a peer that could not run at all: its configuration
/// could not be written, or its process did not start or listen.
pub fn not_run(role: Role, implementation: &str, error: String) -> SideOutcome {
    let mut o = reported_nothing(role, implementation, error);
    o.setup_failed = true;
    if let Some(v) = o.external.as_mut() {
        v.exit = "not started".into();
    }
    o
}

/// An outcome for a peer whose process ran but reported no connection.
pub fn reported_nothing(role: Role, implementation: &str, error: String) -> SideOutcome {
    let mut o = SideOutcome::broken(role, error.clone(), false);
    o.external = Some(ExternalView {
        implementation: implementation.into(),
        error: Some(error),
        ..ExternalView::default()
    });
    o
}

/// Attaches the process's command line, exit and captured output to
/// the per-connection views: output goes with the first connection only,
/// so a report does not repeat it.
pub fn attach(outcomes: &mut [SideOutcome], cap: &Captured) {
    for (i, o) in outcomes.iter_mut().enumerate() {
        if let Some(v) = o.external.as_mut() {
            v.command = cap.command.clone();
            v.exit = cap.exit.clone();
            v.ended = cap.ended;
            if o.error.is_some() {
                // Now with the exit, which tells a crash from a refusal.
                o.error = Some(v.summary());
            }
            if i == 0 {
                v.stdout = cap.stdout.clone();
                v.stderr = cap.stderr.clone();
            }
        }
    }
}

/// A side outcome from an external view: the handshake and exchange flags
/// and the error line, for the judge.
pub fn outcome(
    role: Role,
    view: ExternalView,
    handshake_ok: bool,
    exchange_ok: bool,
    verify_code: Option<i32>,
) -> SideOutcome {
    let error = if handshake_ok && exchange_ok {
        None
    } else {
        Some(view.summary())
    };
    SideOutcome {
        role,
        trace: None,
        handshake_ok,
        exchange_ok,
        verify_code,
        error,
        timed_out: false,
        gave_up: None,
        exchange_skipped: false,
        external: Some(view),
        setup_failed: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_words_map_to_descriptions() {
        assert_eq!(alert_from_words("handshake failure"), Some(40));
        assert_eq!(alert_from_words("protocol version"), Some(70));
        assert_eq!(alert_from_words("no application protocol"), Some(120));
        assert_eq!(alert_from_words("no such alert"), None);
    }

    #[test]
    fn psk_is_hex_of_the_key() {
        assert_eq!(psk_hex().len(), 64);
    }
}
