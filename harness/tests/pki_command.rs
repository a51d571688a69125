//! `tls-harness pki`: private keys readable by their owner only, and a key
//! file the command did not write is not replaced without `--force`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{harness, run, Output};
use testkit::pki::Negative;

fn pki(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["pki", "--out", out.to_str().expect("utf-8 path")];
    args.extend(extra);
    run(harness(&args))
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn keys_are_written_0600() {
    let dir = tempfile::tempdir().unwrap();
    let out = pki(dir.path(), &["--format", "json"]);
    assert!(out.status.success(), "{}", out.stderr);
    let paths: Vec<String> = serde_json::from_str(&out.stdout).unwrap();
    let keys: Vec<&String> = paths.iter().filter(|p| p.ends_with(".key")).collect();
    assert_eq!(
        keys.len(),
        1 + 2 * 5 + 2 * Negative::ALL.len(),
        "the intermediate's, and a key per leaf (five key types) and negative (server and client)"
    );
    for k in keys {
        assert_eq!(mode(Path::new(k)), 0o600, "{k}");
    }
}

#[test]
fn a_foreign_key_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("neg-expired.key");
    fs::write(&theirs, b"someone's key").unwrap();
    let out = pki(dir.path(), &[]);
    assert!(!out.status.success());
    let stderr = &out.stderr;
    assert!(stderr.contains(&theirs.display().to_string()), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(fs::read(&theirs).unwrap(), b"someone's key");

    let out = pki(dir.path(), &["--force"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_ne!(fs::read(&theirs).unwrap(), b"someone's key");
    assert_eq!(mode(&theirs), 0o600);
}

/// A reader that goes away (`| head`) is a write error, exit 2, not a
/// panic; an --out that is a file is named as such.
#[test]
fn a_closed_pipe_and_a_file_for_a_directory_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().expect("utf-8 path");
    let mut child = std::process::Command::new(common::BIN)
        .args(["pki", "--out", out])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Closed before the first write: key generation takes longer.
    drop(child.stdout.take());
    let done = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("writing to stdout"), "{stderr}");

    let file = dir.path().join("root.pem");
    let o = pki(&file, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    assert!(o.stderr.contains("is not a directory"), "{}", o.stderr);
}
