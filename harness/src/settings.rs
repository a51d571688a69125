//! The TLS settings `probe` and `serve` take on the command line, and how
//! they become an `SSL_CTX`.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use openssl::error::ErrorStack;
use openssl::ssl::{SslContextBuilder, SslVerifyMode};
use openssl::x509::X509;

pub mod identity;
pub mod passphrase;

pub use identity::Identity;
pub use passphrase::{PassSource, Passphrase};

use crate::case::{Role, Version};
use crate::error::HarnessError;
use crate::pcap::KeyLogSink;
use crate::peer::inproc::alpn_wire;
use crate::peer::inproc::set_alpn_select;

/// Settings shared by `probe` and `serve`; `None` keeps OpenSSL's default.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    /// Lowest version.
    pub min_version: Option<Version>,
    /// Highest version.
    pub max_version: Option<Version>,
    /// TLS 1.2-and-older cipher list (`SSL_CTX_set_cipher_list`).
    pub cipher: Option<String>,
    /// TLS 1.3 suites (`SSL_CTX_set_ciphersuites`).
    pub ciphersuites: Option<String>,
    /// Groups list.
    pub groups: Option<String>,
    /// Signature algorithms list.
    pub sigalgs: Option<String>,
    /// ALPN protocols.
    pub alpn: Vec<String>,
    /// Security level.
    pub seclevel: Option<u32>,
    /// Where NSS key log lines go.
    pub keylog: Option<PathBuf>,
    /// Certificate chain and its key, read from `--cert` and `--key`.
    pub identity: Option<Identity>,
}

impl TlsSettings {
    /// Applies the settings to a builder for `role`.
    pub fn apply(&self, b: &mut SslContextBuilder, role: Role) -> Result<(), HarnessError> {
        if let Some(level) = self.seclevel {
            b.set_security_level(level);
        }
        b.set_min_proto_version(self.min_version.map(|v| v.to_ssl()))?;
        b.set_max_proto_version(self.max_version.map(|v| v.to_ssl()))?;
        if let Some(c) = &self.cipher {
            b.set_cipher_list(c).map_err(|e| {
                HarnessError::Usage(format!(
                    "--cipher {c:?}: OpenSSL matched no suite ({})",
                    reasons(&e)
                ))
            })?;
        }
        if let Some(c) = &self.ciphersuites {
            b.set_ciphersuites(c).map_err(|e| {
                HarnessError::Usage(format!(
                    "--ciphersuites {c:?}: not accepted ({})",
                    reasons(&e)
                ))
            })?;
        }
        if let Some(g) = &self.groups {
            b.set_groups_list(g).map_err(|e| {
                HarnessError::Usage(format!("--groups {g:?}: not accepted ({})", reasons(&e)))
            })?;
        }
        if let Some(s) = &self.sigalgs {
            b.set_sigalgs_list(s).map_err(|e| {
                HarnessError::Usage(format!(
                    "--sigalgs {s:?}: not accepted ({}); name schemes as OpenSSL does, \
                     colon-separated: rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256 or RSA-PSS+SHA256",
                    reasons(&e)
                ))
            })?;
        }
        if !self.alpn.is_empty() {
            check_alpn(&self.alpn)?;
            match role {
                Role::Client => b.set_alpn_protos(&alpn_wire(&self.alpn))?,
                Role::Server => set_alpn_select(b, &self.alpn),
            }
        }
        if role == Role::Server {
            // Fixed parameters would keep serve from starting at the levels
            // that refuse them (ffdhe2048 from level 3).
            crate::ffi::dh_auto::set_dh_auto(b)?;
        }
        if let Some(id) = &self.identity {
            id.install(b, |e| self.unloadable(&id.cert_path, e))?;
        }
        if let Some(sink) = self.keylog_sink()? {
            b.set_keylog_callback(move |_, line| crate::ffi::no_unwind((), || sink(line)));
        }
        Ok(())
    }

    /// Why `--cert` would not load: a certificate the security level
    /// refuses (OpenSSL checks the leaf's key and the chain's signatures
    /// as it loads them) is told apart from a file that is not a chain.
    fn unloadable(&self, cert: &std::path::Path, e: &openssl::error::ErrorStack) -> HarnessError {
        let weak = e.errors().iter().any(|x| {
            x.reason()
                .is_some_and(|r| r.contains("key too small") || r.contains("md too weak"))
        });
        let level = self
            .seclevel
            .map_or("the default security level".to_owned(), |l| {
                format!("security level {l}")
            });
        HarnessError::Usage(if weak {
            format!(
                "--cert {}: {level} refuses this certificate's key or signature ({}); pass a \
                 lower --seclevel (1 allows 1024-bit RSA keys, 0 SHA-1 and MD5 signatures) to \
                 load it anyway, or use a stronger certificate",
                cert.display(),
                reasons(e)
            )
        } else {
            format!(
                "--cert {}: not a PEM certificate chain ({})",
                cert.display(),
                reasons(e)
            )
        })
    }

    /// A writer of key log lines to the `keylog` file, when one is set.
    pub fn keylog_sink(&self) -> Result<Option<KeyLogSink>, HarnessError> {
        let Some(path) = &self.keylog else {
            return Ok(None);
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| HarnessError::option_file("--keylog", path, e))?;
        let file = Mutex::new(file);
        Ok(Some(Box::new(move |line: &str| {
            // A key log is a debugging aid; failing to write one must not
            // break the handshake.
            if let Ok(mut f) = file.lock() {
                let _ = writeln!(f, "{line}");
            }
        })))
    }

    /// Verifies the peer against `cafile`, or the system trust when `None`;
    /// `flag` is the option that named the file, for the error.
    pub fn verify_with(
        b: &mut SslContextBuilder,
        flag: &str,
        cafile: Option<&PathBuf>,
        mode: SslVerifyMode,
    ) -> Result<(), HarnessError> {
        match cafile {
            Some(f) => {
                readable(flag, f, "a PEM file of CA certificates")?;
                b.set_ca_file(f).map_err(|e| {
                    HarnessError::Usage(format!(
                        "{flag} {}: not a PEM CA file ({})",
                        f.display(),
                        reasons(&e)
                    ))
                })?;
            }
            None => b.set_default_verify_paths()?,
        }
        b.set_verify(mode);
        Ok(())
    }
}

/// The PEM certificates in `path`, which must hold at least one, read
/// once (the file may be a pipe); `flag` named it, which takes `takes`,
/// and `what` names the kind of file in the error.
pub fn pem_certificates(
    flag: &str,
    path: &Path,
    takes: &str,
    what: &str,
) -> Result<Vec<X509>, HarnessError> {
    readable(flag, path, takes)?;
    let refused = |why: String| {
        HarnessError::Usage(format!(
            "{flag} {}: not a PEM {what} ({why})",
            path.display()
        ))
    };
    let pem = std::fs::read(path).map_err(|e| refused(e.to_string()))?;
    let certs = X509::stack_from_pem(&pem).map_err(|e| refused(reasons(&e)))?;
    if certs.is_empty() {
        return Err(refused("no certificate in it".into()));
    }
    Ok(certs)
}

/// Why `--key` `path` did not load: an encrypted key (`asked`: OpenSSL
/// asked for a passphrase for it) whose passphrase could not be read or
/// did not decrypt it is named as such, not as a file that holds no key;
/// `pass` is where `--pass` read the passphrase.
pub fn key_refused(path: &Path, e: &ErrorStack, asked: bool, pass: Option<&PassSource>) -> String {
    let why = reasons(e);
    let key = path.display();
    if !asked {
        format!("--key {key}: not a PEM private key ({why})")
    } else if why.contains("problems getting password") || why.contains("bad password read") {
        format!(
            "--key {key} is encrypted, and no passphrase could be read (give it with --pass, as \
             in --pass env:VAR or --pass file:PATH, or when asked at a terminal; or write the key \
             out decrypted with `openssl pkey -in {key} -out FILE`)"
        )
    } else {
        let from = pass.map_or_else(|| "given".to_owned(), |p| format!("from --pass {p}"));
        format!(
            "--key {key} is encrypted, and the passphrase {from} is wrong: it does not decrypt it"
        )
    }
}

/// The bytes of `path`, refused past `limit`: an option's file is read
/// whole into memory, and `/dev/zero` or a mistaken multi-gigabyte file
/// must give an error, not exhaust it.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// Refuses a file `flag` names that cannot be read, in the operating
/// system's words: OpenSSL's own for a missing file is its fopen trace,
/// read as "not a PEM ...", and it opens a directory without complaint.
pub fn readable(flag: &str, path: &Path, takes: &str) -> Result<(), HarnessError> {
    let refused = |why: String| {
        HarnessError::Usage(format!(
            "{flag} {}: {why} (it takes {takes})",
            path.display()
        ))
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(refused("is a directory".into())),
        // A pipe (a shell's `<(...)`) yields its contents to one reader
        // only: the caller's read, not a trial open here, must be it.
        Ok(m) if !m.is_file() => Ok(()),
        Ok(_) => std::fs::File::open(path)
            .map(drop)
            .map_err(|e| refused(e.to_string())),
        Err(e) => Err(refused(e.to_string())),
    }
}

/// OpenSSL's reasons in `e` ("key values mismatch"), without the source
/// files and function names a user has no use for.
pub fn reasons(e: &ErrorStack) -> String {
    let mut out: Vec<String> = Vec::new();
    for x in e.errors() {
        let mut r = x.reason().map_or_else(|| x.to_string(), str::to_owned);
        // What the reason was about ("group 'X25591' cannot be set").
        if let Some(d) = x.data().filter(|d| !d.is_empty()) {
            r = format!("{r}: {d}");
        }
        if !out.contains(&r) {
            out.push(r);
        }
    }
    if out.is_empty() {
        "OpenSSL gave no reason".into()
    } else {
        out.join("; ")
    }
}

/// Refuses a `--servername` OpenSSL would refuse with a bare "ssl3 ext
/// invalid servername" (empty, or past 255 bytes as sent), and one no host
/// can have: a space or other character outside host names, which OpenSSL
/// would send as given (s_client does); a name in another script is sent
/// as its A-label, so that is the length that counts.
pub fn check_servername(name: Option<&str>) -> Result<(), HarnessError> {
    let Some(name) = name else { return Ok(()) };
    if crate::probe::as_ip(name).is_some() {
        return Ok(());
    }
    match crate::probe::wire_name(name) {
        _ if name.is_empty() => {}
        Some(sent) if sent.len() <= 255 => return Ok(()),
        Some(_) => {}
        None => {
            return Err(HarnessError::Usage(format!(
                "--servername {name:?}: not a host name: give labels of 1 to 63 letters, \
                 digits, '-' and '_', joined by '.' (a name in another script is sent as its \
                 IDNA A-label), or an IP address"
            )))
        }
    }
    Err(HarnessError::Usage(format!(
        "--servername {name:?}: give a host name of 1 to 255 bytes"
    )))
}

/// Refuses an `--alpn` list with an empty or over-long name, which
/// OpenSSL refuses with a bare error (RFC 7301, section 3.1).
pub fn check_alpn(protocols: &[String]) -> Result<(), HarnessError> {
    match protocols.iter().find(|p| p.is_empty() || p.len() > 255) {
        Some(bad) => Err(HarnessError::Usage(format!(
            "--alpn: {bad:?} is no protocol name: each takes 1 to 255 bytes, names comma-separated"
        ))),
        None => Ok(()),
    }
}

/// The longest time-out taken: a day. The harness multiplies time-outs
/// (a case gets several) and adds them to the clock, which a value near
/// `Duration::MAX` would overflow.
const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);

/// A time-out as the messages that name it print it: in seconds from 1 s,
/// else in milliseconds, else in microseconds, with up to three decimals
/// and no trailing zeros ("2.5 s", "150 ms", "0.1 µs"), so that no limit
/// reads as 0 or rounds to another.
pub struct Secs(pub Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos() as f64;
        let (value, unit) = if nanos >= 1e9 {
            (nanos / 1e9, "s")
        } else if nanos >= 1e6 {
            (nanos / 1e6, "ms")
        } else {
            (nanos / 1e3, "µs")
        };
        let text = format!("{value:.3}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{text} {unit}")
    }
}

/// A number of seconds as it was most likely written: whole ones without
/// ".0", very large or small ones in exponent form.
fn as_written(s: f64) -> String {
    if s.is_finite() && s.fract() == 0.0 && s.abs() < 1e15 {
        format!("{s:.0}")
    } else {
        format!("{s:?}")
    }
}

/// The time-out `flag` gave, in seconds: positive, at most a day.
pub fn seconds(flag: &str, s: f64) -> Result<Duration, HarnessError> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero() && *d <= LONGEST)
        .ok_or_else(|| {
            HarnessError::Usage(format!(
                "{flag} {}: not a number of seconds above 0 and at most 86400 (a day)",
                as_written(s)
            ))
        })
}

/// Like [`seconds`], but zero is allowed (it switches something off).
pub fn non_negative_seconds(flag: &str, s: f64) -> Result<Duration, HarnessError> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| *d <= LONGEST)
        .ok_or_else(|| {
            HarnessError::Usage(format!(
                "{flag} {}: not a number of seconds from 0 to 86400 (a day)",
                as_written(s)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_outs_are_positive_and_at_most_a_day() {
        assert_eq!(seconds("--t", 2.5).ok(), Some(Duration::from_millis(2500)));
        assert_eq!(seconds("--t", 86_400.0).ok(), Some(LONGEST));
        for bad in [0.0, -1.0, f64::NAN, 86_400.5, 1e19, f64::INFINITY] {
            assert!(seconds("--t", bad).is_err(), "{bad}");
        }
        assert_eq!(non_negative_seconds("--t", 0.0).ok(), Some(Duration::ZERO));
        assert!(non_negative_seconds("--t", 1e19).is_err());
        // A value echoed back stays as short as it was written.
        let err = seconds("--t", 1e20).expect_err("too long").to_string();
        assert!(err.contains("--t 1e20: "), "{err}");
    }

    #[test]
    fn limits_print_neither_as_zero_nor_rounded() {
        let text = |nanos| Secs(Duration::from_nanos(nanos)).to_string();
        assert_eq!(text(2_500_000_000), "2.5 s");
        assert_eq!(text(86_400_000_000_000), "86400 s");
        assert_eq!(text(150_000_000), "150 ms");
        assert_eq!(text(1_500_000), "1.5 ms");
        assert_eq!(text(10_000_000), "10 ms");
        assert_eq!(text(50_000), "50 µs");
        assert_eq!(text(100), "0.1 µs");
        assert_eq!(as_written(90_000.0), "90000");
        assert_eq!(as_written(0.25), "0.25");
        assert_eq!(as_written(-1.0), "-1");
        assert_eq!(as_written(f64::NAN), "NaN");
    }
}
