//! The files and streams the commands read and write besides their
//! reports: each one that cannot be used is named with its option (or
//! stdout) and the reason, exit 2, before or instead of a silent failure.

mod common;

use common::{count, harness, os_error_reading, refused, run};

/// A `--keylog` or `--pcap` file that cannot be opened is named with its
/// option and the operating system's reason, as the files read are.
#[test]
fn an_unwritable_keylog_or_pcap_names_its_option() {
    let d = tempfile::tempdir().expect("temp dir");
    let missing_dir = d.path().join("no-such-dir");
    let cause = os_error_reading(&missing_dir.join("f"));
    for flag in ["--keylog", "--pcap"] {
        let file = missing_dir.join(format!("out{}", flag.trim_start_matches('-')));
        let path = file.to_str().expect("utf-8");
        for args in [
            vec!["probe", "127.0.0.1:9", flag, path],
            vec!["serve", "--listen", "127.0.0.1:0", "--once", flag, path],
        ] {
            let o = refused(harness(&args), &[]);
            let line = o.stderr.trim_end();
            assert!(
                line.starts_with(&format!("tls-harness: {flag} {path}: ")),
                "{line}"
            );
            assert_eq!(count(line, &cause), 1, "{line}");
        }
    }
}

/// A file read whole (an early-data file, a policy) is refused past a
/// bound rather than read until memory runs out: `/dev/zero` never ends.
#[test]
fn an_endless_file_is_refused_not_read_whole() {
    for args in [
        vec![
            "probe",
            "127.0.0.1:9",
            "--reconnect",
            "--early-data",
            "/dev/zero",
        ],
        vec!["scan", "127.0.0.1:9", "--policy", "/dev/zero"],
    ] {
        refused(harness(&args), &["/dev/zero", "larger than 1048576 bytes"]);
    }
}

/// An encrypted `--key` with no terminal to ask for its passphrase on is
/// named as an encrypted key, not as a file that holds no key. Run in a
/// session of its own (`setsid`), so that OpenSSL's prompt finds no
/// terminal even when the tests run from one.
#[test]
fn an_encrypted_key_without_a_passphrase_says_so() {
    let d = tempfile::tempdir().expect("temp dir");
    common::write_pki(d.path());
    let file = |name: &str| d.path().join(name).to_str().expect("utf-8").to_owned();
    let (chain, plain, encrypted) = (
        file("client-rsa2048.chain.pem"),
        file("client-rsa2048.key"),
        file("encrypted.key"),
    );
    let mut pkey = std::process::Command::new("openssl");
    pkey.args(["pkey", "-in", &plain, "-aes256", "-passout", "pass:secret"])
        .args(["-out", &encrypted]);
    assert!(run(pkey).status.success(), "openssl pkey");
    for command in ["probe", "scan"] {
        let mut c = std::process::Command::new("setsid");
        c.arg("--wait")
            .arg(common::BIN)
            .args([
                command,
                "127.0.0.1:9",
                "--cert",
                &chain,
                "--key",
                &encrypted,
            ])
            .env_remove("CI")
            .stdin(std::process::Stdio::null());
        let o = refused(c, &["is encrypted, and no passphrase could be read"]);
        assert!(!o.stderr.contains("not a PEM"), "{}", o.stderr);
    }
}

/// Output that cannot be written (a full disk: `/dev/full`) is an error
/// naming stdout, not a silent success; a reader that stops reading
/// (`| head`) is not.
#[test]
fn stdout_that_cannot_be_written_is_an_error() {
    let closed = common::ports::ClosedPort::new();
    let addr = closed.addr();
    let mut full = std::process::Command::new("sh");
    full.arg("-c")
        .arg(format!("\"$0\" probe {addr} --format json > /dev/full"))
        .arg(common::BIN)
        .env_remove("CI");
    let o = refused(full, &["writing to stdout"]);
    assert!(o.stderr.contains("No space left on device"), "{}", o.stderr);
}
