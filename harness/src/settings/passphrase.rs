//! `--pass SOURCE`: where the passphrase of an encrypted `--key` is read,
//! in the forms of `openssl s_client -pass` (openssl-passphrase-options(1)):
//! `pass:TEXT`, `env:VAR`, `file:PATH`, `fd:N` and `stdin`.

use std::fmt;
use std::io::{ErrorKind, Read};
use std::path::PathBuf;

use crate::error::HarnessError;

/// The longest passphrase read from a file, descriptor or stdin: what
/// OpenSSL's apps read (`APP_PASS_LEN`, 1024 bytes with the NUL).
const LONGEST_LINE: u64 = 1023;

/// Where `--pass` reads the passphrase.
#[derive(Clone, PartialEq, Eq)]
pub enum PassSource {
    /// `pass:TEXT`: the passphrase itself.
    Text(String),
    /// `env:VAR`: the value of an environment variable.
    Env(String),
    /// `file:PATH`: the first line of a file (or a pipe, or a device).
    File(PathBuf),
    /// `fd:N`: the first line read from an open file descriptor.
    Fd(u32),
    /// `stdin`: the first line of standard input.
    Stdin,
}

/// A passphrase as read, kept out of `Debug` output, and where it was read.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase {
    bytes: Vec<u8>,
    source: PassSource,
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

impl fmt::Debug for PassSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The text of `pass:` is the secret.
        write!(f, "PassSource({self})")
    }
}

impl fmt::Display for PassSource {
    /// The source as `--pass` named it, `pass:` without its text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PassSource::Text(_) => f.write_str("pass:..."),
            PassSource::Env(var) => write!(f, "env:{var}"),
            PassSource::File(path) => write!(f, "file:{}", path.display()),
            PassSource::Fd(n) => write!(f, "fd:{n}"),
            PassSource::Stdin => f.write_str("stdin"),
        }
    }
}

impl Passphrase {
    /// The passphrase's bytes, as OpenSSL's password callback takes them.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Where `--pass` read it.
    pub fn source(&self) -> &PassSource {
        &self.source
    }
}

impl PassSource {
    /// Reads `--pass`'s argument. A malformed one is not echoed back, as
    /// OpenSSL does not echo it: it may be a passphrase given without
    /// its `pass:`.
    pub fn parse(arg: &str) -> Result<Self, HarnessError> {
        let source = if let Some(text) = arg.strip_prefix("pass:") {
            Some(PassSource::Text(text.to_owned()))
        } else if let Some(var) = arg.strip_prefix("env:") {
            Some(PassSource::Env(var.to_owned()))
        } else if let Some(path) = arg.strip_prefix("file:") {
            Some(PassSource::File(PathBuf::from(path)))
        } else if let Some(n) = arg.strip_prefix("fd:") {
            n.parse().ok().map(PassSource::Fd)
        } else if arg == "stdin" {
            Some(PassSource::Stdin)
        } else {
            None
        };
        source.ok_or_else(|| {
            HarnessError::Usage(
                "--pass: give pass:TEXT, env:VAR, file:PATH, fd:N or stdin, as openssl's -pass \
                 takes (the value given is not repeated here: it may be the passphrase itself)"
                    .into(),
            )
        })
    }

    /// The passphrase, read once: the whole of `pass:` and `env:`, the
    /// first line of the others without its newline, as OpenSSL reads it.
    pub fn read(&self) -> Result<Passphrase, HarnessError> {
        let refused = |why: String| HarnessError::Usage(format!("--pass {self}: {why}"));
        let found = |bytes| Passphrase {
            bytes,
            source: self.clone(),
        };
        let line = match self {
            PassSource::Text(text) => return Ok(found(text.clone().into_bytes())),
            PassSource::Env(var) => {
                return std::env::var_os(var)
                    .map(|v| found(std::os::unix::ffi::OsStringExt::into_vec(v)))
                    .ok_or_else(|| refused(format!("no environment variable {var} is set")))
            }
            PassSource::File(path) => std::fs::File::open(path).and_then(first_line),
            // Read through a copy, from where the descriptor is, and no
            // further than the line: the descriptor is not this process's.
            PassSource::Fd(n) => crate::ffi::inherited_fd::duplicate(*n).and_then(first_line),
            PassSource::Stdin => first_line(std::io::stdin().lock()),
        };
        match line {
            Ok(Some(bytes)) => Ok(found(bytes)),
            Ok(None) => Err(refused("nothing to read (it is empty)".into())),
            Err(e)
                if matches!(self, PassSource::Fd(_)) && e.raw_os_error() == Some(libc::EBADF) =>
            {
                Err(refused(
                    "no such descriptor is open for reading (a pipe's write end cannot be read)"
                        .into(),
                ))
            }
            Err(e) => Err(refused(e.to_string())),
        }
    }
}

/// The passphrase `--pass` gives, read once, when it is given.
pub fn read_arg(arg: Option<&str>) -> Result<Option<Passphrase>, HarnessError> {
    arg.map(|a| PassSource::parse(a).and_then(|s| s.read()))
        .transpose()
}

/// The first line of `r`, without its newline, at most [`LONGEST_LINE`]
/// bytes; `None` when `r` ends before a byte. Read a byte at a time, so
/// that a descriptor shared with others is read no further than the line.
fn first_line(mut r: impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut byte = [0u8];
    while (line.len() as u64) < LONGEST_LINE {
        match r.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => return Ok(Some(line)),
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((!line.is_empty()).then_some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_of_openssl_pass_are_read() {
        let d = tempfile::tempdir().expect("temp dir");
        let file = d.path().join("pass");
        std::fs::write(&file, "first\nsecond\n").expect("write");
        let arg = format!("file:{}", file.display());
        let read = |arg: &str| {
            PassSource::parse(arg)
                .and_then(|s| s.read())
                .map(|p| p.bytes().to_vec())
        };
        assert_eq!(read("pass:a b:c").ok(), Some(b"a b:c".to_vec()));
        assert_eq!(read(&arg).ok(), Some(b"first".to_vec()));
        std::fs::write(&file, "").expect("write");
        let empty = read(&arg).expect_err("an empty file").to_string();
        assert!(empty.contains("nothing to read"), "{empty}");
        // An empty line is an empty passphrase, as OpenSSL reads it.
        std::fs::write(&file, "\n").expect("write");
        assert_eq!(read(&arg).ok(), Some(Vec::new()));
        let unset = read("env:TLS_HARNESS_NO_SUCH_VARIABLE").expect_err("unset");
        assert!(
            unset.to_string().contains("TLS_HARNESS_NO_SUCH_VARIABLE"),
            "{unset}"
        );
    }

    #[test]
    fn a_malformed_source_is_refused_without_echoing_it() {
        for bad in ["secret", "fd:x", "fd:-1", "Pass:secret", ""] {
            let e = PassSource::parse(bad).expect_err(bad).to_string();
            assert!(e.contains("pass:TEXT, env:VAR"), "{e}");
            if !bad.is_empty() {
                assert!(!e.contains(bad), "{e}");
            }
        }
        let text = PassSource::parse("pass:secret").expect("parses");
        assert!(!format!("{text:?} {text}").contains("secret"));
    }
}
