//! gnutls-serv's SRP password files (`--srppasswd`, `--srppasswdconf`),
//! made with GnuTLS's own `srptool` for the harness user.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use testkit::error_chain::Chain;

use super::PACKAGE;
use crate::case::SrpPassword;
use crate::peer::external;
use crate::peer::process::{output, ChildGuard, ProcessError};

/// The two files, in a temporary directory that lives as long as this.
pub(super) struct SrpFiles {
    _dir: crate::interrupt::TempDir,
    /// `user:verifier:salt:index` lines.
    pub(super) passwd: PathBuf,
    /// The groups the index points into.
    pub(super) conf: PathBuf,
}

/// Why the SRP password files could not be made.
#[derive(Debug, thiserror::Error)]
pub(super) enum SrpFilesError {
    /// No temporary directory for them.
    #[error("could not make a temporary directory for the SRP files")]
    TempDir(#[source] std::io::Error),
    /// srptool (or setsid, which runs it) could not be run.
    #[error(transparent)]
    Process(ProcessError),
    /// `srptool --create-conf` failed.
    #[error("srptool --create-conf: {0}")]
    CreateConf(String),
    /// `srptool -u` wrote no line for the harness user.
    #[error("srptool did not add the user ({status}): {stderr}")]
    AddUser {
        /// How it exited.
        status: String,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
    /// Every salt drawn started with a small byte.
    #[error("srptool kept drawing salts with a small first byte (last: {0})")]
    SmallSalts(String),
}

/// The SRP password files of a peer whose tools were found (`version`
/// is Ok). They come from GnuTLS's own srptool: without them the install
/// is incomplete, which is no limit of GnuTLS's to declare but a peer
/// unavailable, as a missing gnutls-serv is, so `version` becomes the
/// error.
pub(super) fn for_peer(version: &mut Result<String, String>) -> Option<SrpFiles> {
    version.as_ref().ok()?;
    make()
        .map_err(|e| {
            *version = Err(format!(
                "the harness could not make gnutls-serv's SRP password files: {}",
                Chain(&e)
            ));
        })
        .ok()
}

/// `srptool --create-conf` writes RFC 5054's groups; `srptool -u` adds the
/// harness user with a verifier in group 3, the 2048-bit one.
pub(super) fn make() -> Result<SrpFiles, SrpFilesError> {
    let dir = crate::interrupt::TempDir::create(tempfile::Builder::new().prefix("tls-harness-srp"))
        .map_err(SrpFilesError::TempDir)?;
    let passwd = dir.path().join("tpasswd");
    let conf = dir.path().join("tpasswd.conf");
    let conf_arg = conf.display().to_string();
    let limit = Duration::from_secs(10);
    let made = output("srptool", &["--create-conf", &conf_arg], PACKAGE, limit)
        .map_err(SrpFilesError::Process)?;
    if made.code != Some(0) {
        return Err(SrpFilesError::CreateConf(made.exit));
    }
    // OpenSSL's client hashes the salt back from a number (BN_bin2bn, then
    // BN_bn2bin in SRP_Calc_x), without its leading zero bytes, so against
    // a salt that starts with 0 it derives other keys. A 16-byte salt
    // whose first byte is 64 or more takes 22 characters in srptool's
    // base64 (its first block of one byte, two characters); a shorter
    // one is drawn again, so no run flips at random.
    let mut last = String::new();
    for _ in 0..16 {
        let _ = std::fs::remove_file(&passwd);
        let salt = add_user(&passwd, &conf_arg, limit)?;
        if salt.len() == 22 {
            return Ok(SrpFiles {
                _dir: dir,
                passwd,
                conf,
            });
        }
        last = salt;
    }
    Err(SrpFilesError::SmallSalts(last))
}

/// Adds the harness user to `passwd` with a 16-byte salt; returns the
/// salt as srptool wrote it.
fn add_user(passwd: &Path, conf: &str, limit: Duration) -> Result<String, SrpFilesError> {
    let (user, password) = external::srp_user_password(SrpPassword::Right);
    // srptool reads the password with getpass(3), which asks the
    // controlling terminal when there is one; under setsid there is none,
    // so it reads the pipe. The guard makes the child a process group
    // leader, which setsid forks away from: --wait keeps it until srptool
    // is done, or the file would be read before srptool wrote it.
    let args: Vec<String> = [
        "--wait",
        "srptool",
        "--passwd",
        &passwd.display().to_string(),
        "--passwd-conf",
        conf,
        "--index",
        "3",
        "--salt",
        "16",
        "--username",
        &user,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut g = ChildGuard::spawn("setsid", &args, "util-linux").map_err(SrpFilesError::Process)?;
    let _ = g.write_stdin(format!("{password}\n").as_bytes());
    g.close_stdin();
    let exited = g.wait_exit(Instant::now() + limit);
    let cap = g.finish();
    let written = std::fs::read_to_string(passwd).unwrap_or_default();
    // user:verifier:salt:index
    let fields: Vec<&str> = written.trim().split(':').collect();
    match fields.as_slice() {
        [u, _, salt, _] if exited && cap.code == Some(0) && *u == user => Ok(salt.to_string()),
        _ => Err(SrpFilesError::AddUser {
            status: cap.exit,
            stderr: cap.stderr.trim().to_owned(),
        }),
    }
}
