//! `tls-harness serve` at security levels 3 and 4, and its DHE prime,
//! against `openssl s_client` and, for what the prime should be,
//! `openssl s_server` in the same configuration.

mod common;
mod serve_support;

use std::process::Command;

use common::{run, s_server, Proc, LIMIT};
use serve_support::{ecdsa_files, serve};

/// `openssl s_client` to `addr` with `args`, input closed: the lines it
/// printed and whether its handshake completed.
fn s_client(addr: &str, args: &[&str]) -> (String, bool) {
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", addr]).args(args);
    let o = run(c);
    // Its exit status: it prints "Cipher is" for a TLS 1.3 handshake the
    // server then aborts too.
    (o.stdout + &o.stderr, o.status.success())
}

/// The "Server Temp Key" line s_client printed.
fn temp_key(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("Server Temp Key:"))
        .unwrap_or_else(|| panic!("no Server Temp Key line: {out}"))
        .to_string()
}

/// A self-signed certificate for localhost in `dir`, made by `openssl
/// req` with `newkey` (its `-newkey` and `-pkeyopt` arguments) and
/// `digest`: the test PKI's chain has an RSA 2048 intermediate and SHA-256
/// signatures, which levels 3 and 4 refuse.
fn self_signed(dir: &tempfile::TempDir, newkey: &[&str], digest: &str) -> (String, String) {
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    let (cert, key) = (
        path(&format!("{}.pem", newkey[0])),
        path(&format!("{}.key", newkey[0])),
    );
    let mut c = Command::new("openssl");
    c.args(["req", "-x509", "-nodes", "-days", "2", digest, "-newkey"])
        .args(newkey)
        .args(["-subj", "/CN=localhost", "-keyout", &key, "-out", &cert]);
    let o = run(c);
    assert!(o.status.success(), "openssl req: {}", o.stderr);
    (cert, key)
}

/// serve at `level` with `args` serves one s_client that asks for the same
/// level; returns what s_client printed.
fn served_at(level: &str, args: &[&str], client: &[&str]) -> String {
    let mut all = vec!["--seclevel", level, "--once"];
    all.extend(args);
    let (mut server, addr) = serve(&all);
    let (out, done) = s_client(&addr.to_string(), client);
    assert!(done, "s_client's handshake failed at level {level}: {out}");
    let status = server.wait(LIMIT);
    let err = Proc::drain(&server.stderr).join("\n");
    assert!(status.success(), "serve --once: {status:?}: {err}");
    out
}

/// An ECDSA P-256 server involves no DH at all, and P-256 gives the 128
/// bits level 3 asks for: serve must start and serve at TLS 1.3 and 1.2,
/// as `s_server -cert leaf -cipher DEFAULT@SECLEVEL=3` does (the leaf
/// alone: its RSA 2048 intermediate is below level 3).
#[test]
fn an_ecdsa_server_serves_at_level_3() {
    let dir = tempfile::tempdir().expect("temp dir");
    ecdsa_files(&dir);
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    let (cert, key) = (path("server-ecdsa-p256.crt"), path("server-ecdsa-p256.key"));
    for version in ["-tls1_3", "-tls1_2"] {
        let client = [version, "-cipher", "DEFAULT@SECLEVEL=3"];
        served_at("3", &["--cert", &cert, "--key", &key], &client);
        let (_s, s_addr) = s_server(&[
            "-cert",
            &cert,
            "-key",
            &key,
            "-cipher",
            "DEFAULT@SECLEVEL=3",
        ]);
        assert!(
            s_client(&s_addr, &client).1,
            "s_server at level 3 {version}"
        );
    }
}

/// Level 4 asks for 192 bits: a P-384 key signed with SHA-384 gives them.
#[test]
fn an_ecdsa_p384_server_serves_at_level_4() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed(
        &dir,
        &["ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "-sha384",
    );
    served_at(
        "4",
        &["--cert", &cert, "--key", &key],
        &["-tls1_3", "-cipher", "DEFAULT@SECLEVEL=4"],
    );
}

/// A DHE-RSA suite at level 3 from an RSA 3072 key, and at the default
/// level from an RSA 2048 key: serve hands out the prime s_server does
/// in the same configuration (no -dhparam).
#[test]
fn dhe_gets_the_prime_s_server_picks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert3072, key3072) = self_signed(&dir, &["rsa:3072"], "-sha256");
    ecdsa_files(&dir);
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();
    let (cert2048, key2048) = (path("server-rsa2048.crt"), path("server-rsa2048.key"));
    let suite = "DHE-RSA-AES128-GCM-SHA256";
    for (level, cert, key) in [("3", &cert3072, &key3072), ("2", &cert2048, &key2048)] {
        let cipher = format!("{suite}@SECLEVEL={level}");
        let client = ["-tls1_2", "-cipher", cipher.as_str()];
        let args = ["--cert", cert, "--key", key, "--tls1_2", "--cipher", suite];
        let ours = served_at(level, &args, &client);
        let (_s, s_addr) = s_server(&["-cert", cert, "-key", key, "-tls1_2", "-cipher", &cipher]);
        let (theirs, done) = s_client(&s_addr, &client);
        assert!(done, "s_server at level {level}: {theirs}");
        assert_eq!(temp_key(&ours), temp_key(&theirs), "level {level}");
    }
}
