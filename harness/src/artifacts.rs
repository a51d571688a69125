//! `matrix --artifacts DIR`: a pcapng file for each failed case, holding
//! its connections as the in-process side saw them, with that side's key
//! log inside so that Wireshark and tshark decrypt TLS 1.3.

use std::path::{Path, PathBuf};

use crate::pcap::PcapFile;
use crate::peer::PeerKind;
use crate::run::{CaseResult, Pairing};
use crate::transport::Tap;

/// Which side of a pairing is recorded: the in-process OpenSSL client if
/// there is one, else the in-process OpenSSL server; `None` when neither
/// side is in process (there is then no stream of ours and no key log).
pub fn recorded_side(pairing: Pairing) -> Option<crate::case::Role> {
    if pairing.client == PeerKind::Inproc {
        Some(crate::case::Role::Client)
    } else if pairing.server == PeerKind::Inproc {
        Some(crate::case::Role::Server)
    } else {
        None
    }
}

/// The file name for the result `id`: every character but ASCII letters,
/// digits, `.`, `-` and `_` becomes `_`.
pub fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.pcapng")
}

/// Writes the tap's connections to `dir`/[`file_name`]`(id)`, creating
/// `dir` when needed, and returns the file's path.
pub fn write(dir: &Path, id: &str, tap: &Tap) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let file = PcapFile::create(&dir.join(file_name(id)))?;
    for capture in tap.captures() {
        file.append(&capture)?;
    }
    Ok(file.path().to_path_buf())
}

/// Saves a failed case's connections from `tap` into `dir` and names the
/// file in `result`, or says there why there is none: no tap (neither
/// side in process), no connection, or the file could not be written.
pub fn save(result: &mut CaseResult, dir: &Path, tap: Option<&Tap>) {
    let outcome = match tap {
        None => Err(
            "neither side runs in this process, so there is no stream or key log to record".into(),
        ),
        Some(tap) if tap.captures().is_empty() => Err("no connection was opened".to_string()),
        Some(tap) => write(dir, &result.id, tap)
            .map_err(|e| format!("writing it into {}: {e}", dir.display())),
    };
    match outcome {
        Ok(path) => result.artifact = Some(path),
        Err(why) => result.artifact_note = Some(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(
            file_name("tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default@inproc>openssl-cli"),
            "tls1_3_TLS_AES_128_GCM_SHA256_rsa2048_default_inproc_openssl-cli.pcapng"
        );
        assert_eq!(file_name("../x y"), ".._x_y.pcapng");
    }
}
