//! `--cert`, `--key` and `--pass`: a file that holds something else than
//! a certificate is named by what it holds, a key of another type than
//! the certificate's names both files and both types, and an encrypted key
//! is decrypted with the passphrase `--pass` reads in the forms of
//! `openssl s_client -pass`, for probe, serve and scan alike.

mod common;

use std::path::Path;
use std::process::Command;

use common::{harness, refused, run, s_server, write_pki, Proc, LIMIT};

/// The test PKI in `dir`, with `encrypted.key` (client-rsa2048.key under
/// the passphrase "secret") and `encrypted-server.key` (server-rsa2048.key
/// likewise), both written by `openssl pkey`.
fn pki(dir: &Path) -> impl Fn(&str) -> String + '_ {
    write_pki(dir);
    let file = move |name: &str| dir.join(name).to_str().expect("utf-8").to_owned();
    for (plain, encrypted) in [
        ("client-rsa2048.key", "encrypted.key"),
        ("server-rsa2048.key", "encrypted-server.key"),
    ] {
        let mut pkey = Command::new("openssl");
        pkey.args(["pkey", "-aes256", "-passout", "pass:secret"])
            .args(["-in", &file(plain), "-out", &file(encrypted)]);
        assert!(run(pkey).status.success(), "openssl pkey");
    }
    file
}

/// A command in a session of its own (`setsid`), so that OpenSSL finds no
/// terminal to ask for a passphrase on even when the tests run from one,
/// and without stdin.
fn without_terminal(args: &[&str]) -> Command {
    let mut c = Command::new("setsid");
    c.arg("--wait")
        .arg(common::BIN)
        .args(args)
        .env_remove("CI")
        .stdin(std::process::Stdio::null());
    c
}

/// The key `file` holds as OpenSSL's `-text` output names it ("an RSA
/// 2048 key", "an ECDSA P-256 key"); `tool` is x509 or pkey.
fn kind_by_openssl(tool: &str, file: &str) -> String {
    let mut c = Command::new("openssl");
    c.args([tool, "-noout", "-text", "-in", file]);
    let text = run(c).stdout;
    if let Some(curve) = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("NIST CURVE: "))
    {
        return format!("an ECDSA {curve} key");
    }
    let bits = text
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("Public-Key: (")
                .or_else(|| l.strip_prefix("Private-Key: ("))
        })
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no key size in openssl {tool} -text: {text}"));
    assert!(
        text.contains("rsaEncryption") || text.contains("modulus"),
        "{text}"
    );
    format!("an RSA {bits} key")
}

/// The three commands' ways of taking a client or server `--cert` and
/// `--key` (plus `extra`), none of which gets as far as a connection.
fn each_command(cert: &str, key: &str, extra: &[&str]) -> Vec<Vec<String>> {
    let pair = ["--cert", cert, "--key", key];
    [
        vec!["probe", "127.0.0.1:9"],
        vec!["scan", "127.0.0.1:9"],
        vec!["serve", "--listen", "127.0.0.1:0", "--once"],
    ]
    .into_iter()
    .map(|mut args| {
        args.extend(pair);
        args.extend(extra);
        args.into_iter().map(str::to_owned).collect()
    })
    .collect()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn a_key_of_another_type_names_both_files_and_both_types() {
    let d = tempfile::tempdir().expect("temp dir");
    let file = pki(d.path());
    let (cert, key) = (
        file("client-rsa2048.chain.pem"),
        file("client-ecdsa-p256.key"),
    );
    let held = kind_by_openssl("x509", &cert);
    let given = kind_by_openssl("pkey", &key);
    for args in each_command(&cert, &key, &[]) {
        let o = refused(harness(&strs(&args)), &[&cert, &key, &held, &given]);
        assert!(
            !o.stderr.contains("no certificate assigned"),
            "{}",
            o.stderr
        );
    }
}

#[test]
fn a_cert_file_that_holds_no_certificate_says_what_it_holds() {
    let d = tempfile::tempdir().expect("temp dir");
    let file = pki(d.path());
    let key = file("client-rsa2048.key");
    // As `openssl req -text` and `openssl pkey` read them.
    let csr = file("server-rsa2048.csr");
    let mut req = Command::new("openssl");
    req.args(["req", "-noout", "-in", &csr]);
    assert!(run(req).status.success(), "{csr} is no CSR");
    for (cert, holds) in [
        (csr.as_str(), "holds a certificate request (CSR)"),
        (key.as_str(), "holds a private key"),
        (&file("encrypted.key"), "holds a private key"),
    ] {
        for args in each_command(cert, &key, &[]) {
            let c = without_terminal(&strs(&args));
            let o = refused(c, &[&format!("--cert {cert} {holds}")]);
            assert!(!o.stderr.contains("TRUSTED"), "{}", o.stderr);
        }
    }
}

/// Every form of `s_client -pass` gives probe the passphrase of an
/// encrypted client key: the server, `s_server -Verify 1`, accepts only a
/// connection with the certificate. `s_client` takes the same forms, and
/// its handshake is the reference.
#[test]
fn pass_reads_the_passphrase_in_each_form_of_s_client() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let d = tempfile::tempdir().expect("temp dir");
    let file = pki(d.path());
    let (root, intermediate) = (file("root.pem"), file("intermediate.pem"));
    let cas = d.path().join("cas.pem");
    let both = [root.as_str(), intermediate.as_str()].map(|f| std::fs::read(f).expect("read"));
    std::fs::write(&cas, both.concat()).expect("write");
    let (_server, addr) = s_server(&[
        "-cert",
        &file("server-rsa2048.chain.pem"),
        "-key",
        &file("server-rsa2048.key"),
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        cas.to_str().expect("utf-8"),
    ]);
    let pass_file = d.path().join("pass");
    std::fs::write(&pass_file, "secret\nnot this line\n").expect("write");
    let (cert, key) = (file("client-rsa2048.chain.pem"), file("encrypted.key"));
    let pf = pass_file.to_str().expect("utf-8");
    for (form, redirect) in [
        ("pass:secret".to_owned(), String::new()),
        ("env:TLS_HARNESS_TEST_PASS".to_owned(), String::new()),
        (format!("file:{pf}"), String::new()),
        ("fd:5".to_owned(), format!("5<'{pf}'")),
        ("stdin".to_owned(), format!("<'{pf}'")),
    ] {
        let script = |client: &str| {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("exec setsid --wait {client} {redirect}"))
                .env("TLS_HARNESS_TEST_PASS", "secret")
                .env_remove("CI");
            c
        };
        let s_client = run(script(&format!(
            "openssl s_client -connect {addr} -CAfile '{root}' -verify_return_error -cert \
             '{cert}' -key '{key}' -pass {form} -brief"
        )));
        assert!(
            s_client.stderr.contains("CONNECTION ESTABLISHED"),
            "s_client -pass {form}: {}",
            s_client.stderr
        );
        let probe = run(script(&format!(
            "'{}' probe {addr} --servername localhost --cafile '{root}' --cert '{cert}' --key \
             '{key}' --pass {form} --linger 0.5 --format json",
            common::BIN
        )));
        assert!(
            probe.status.success(),
            "--pass {form}: {}{}",
            probe.stdout,
            probe.stderr
        );
    }
}

/// `--pass fd:N` reads the descriptor from where it stands and no further
/// than its line, as `s_client -pass fd:N` does (a first line read by the
/// shell is not read again), and a descriptor that cannot be read (a
/// pipe's write end) is refused at once rather than waited on.
#[test]
fn pass_fd_reads_the_descriptor_from_where_it_stands() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let d = tempfile::tempdir().expect("temp dir");
    let file = pki(d.path());
    let root = file("root.pem");
    let chain = file("server-rsa2048.chain.pem");
    let (_server, addr) = s_server(&[
        "-cert",
        &chain,
        "-cert_chain",
        &chain,
        "-key",
        &file("server-rsa2048.key"),
    ]);
    let pass_file = d.path().join("pass");
    std::fs::write(&pass_file, "not this line\nsecret\n").expect("write");
    let pf = pass_file.to_str().expect("utf-8");
    let (cert, key) = (file("client-rsa2048.chain.pem"), file("encrypted.key"));
    let script = |client: &str| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!(
                "{{ read -r skipped <&5; exec setsid --wait {client}; }} 5<'{pf}'"
            ))
            .env_remove("CI");
        c
    };
    let s_client = run(script(&format!(
        "openssl s_client -connect {addr} -cert '{cert}' -key '{key}' -pass fd:5 -brief \
         </dev/null"
    )));
    assert!(
        s_client.stderr.contains("CONNECTION ESTABLISHED"),
        "{}",
        s_client.stderr
    );
    let probe = |pass: &str| {
        format!(
            "'{}' probe {addr} --servername localhost --cafile '{root}' --cert '{cert}' --key \
             '{key}' --pass {pass} --linger 0.5 --format json",
            common::BIN
        )
    };
    let o = run(script(&probe("fd:5")));
    assert!(o.status.success(), "{}{}", o.stdout, o.stderr);
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("timeout 20 {} | cat", probe("fd:1")))
        .env_remove("CI");
    let o = run(c);
    assert!(
        o.stderr
            .contains("--pass fd:1: no such descriptor is open for reading"),
        "{}",
        o.stderr
    );
}

/// A wrong passphrase from --pass is named as one, with the source it
/// came from, by each command; a source that cannot be read is named
/// before any key is read, without repeating a malformed argument (it may
/// be the passphrase itself).
#[test]
fn a_wrong_or_unreadable_passphrase_is_named_as_such() {
    let d = tempfile::tempdir().expect("temp dir");
    let file = pki(d.path());
    let (cert, key) = (file("client-rsa2048.chain.pem"), file("encrypted.key"));
    for args in each_command(&cert, &key, &["--pass", "env:TLS_HARNESS_TEST_PASS"]) {
        let mut c = without_terminal(&strs(&args));
        c.env("TLS_HARNESS_TEST_PASS", "wrong");
        refused(
            c,
            &[&format!(
                "--key {key} is encrypted, and the passphrase from --pass \
                 env:TLS_HARNESS_TEST_PASS is wrong"
            )],
        );
        let mut c = without_terminal(&strs(&args));
        c.env_remove("TLS_HARNESS_TEST_PASS");
        refused(c, &["no environment variable TLS_HARNESS_TEST_PASS is set"]);
    }
    for args in each_command(&cert, &key, &["--pass", "hunter2"]) {
        let o = refused(without_terminal(&strs(&args)), &["--pass: give pass:TEXT"]);
        assert!(!o.stderr.contains("hunter2"), "{}", o.stderr);
    }
}

/// serve decrypts its own encrypted key with --pass and serves with it:
/// `s_client` verifies the chain it sends.
#[test]
fn serve_takes_an_encrypted_key_with_pass() {
    let d = tempfile::tempdir().expect("temp dir");
    let file = pki(d.path());
    let mut c = Command::new(common::BIN);
    c.args(["serve", "--listen", "127.0.0.1:0", "--once", "--cert"])
        .args([&file("server-rsa2048.chain.pem"), "--key"])
        .args([&file("encrypted-server.key"), "--pass", "pass:secret"])
        .env_remove("CI");
    let mut server = Proc::spawn(c);
    let line = Proc::wait_line(&server.stderr, LIMIT, "serve's listening line", |l| {
        l.starts_with("listening on ")
    });
    let addr = line.trim_start_matches("listening on ").trim();
    let mut client = Command::new("openssl");
    client
        .args([
            "s_client",
            "-connect",
            addr,
            "-verify_return_error",
            "-brief",
        ])
        .args(["-CAfile", &file("root.pem")]);
    let o = run(client);
    assert!(o.stderr.contains("CONNECTION ESTABLISHED"), "{}", o.stderr);
    assert!(server.wait(LIMIT).success());
}

/// A certificate after the leaf that the security level refuses is
/// refused as the file is loaded, as `SSL_CTX_use_certificate_chain_file`
/// refuses it, not at each handshake: at level 3 (128 bits) the test
/// PKI's P-384 leaf (192 bits, signed with SHA-256: 128) passes, its RSA
/// 2048 intermediate (112 bits) does not.
#[test]
fn a_chain_certificate_below_the_security_level_is_refused_at_load() {
    let d = tempfile::tempdir().expect("temp dir");
    let file = pki(d.path());
    let (cert, key) = (
        file("client-ecdsa-p384.chain.pem"),
        file("client-ecdsa-p384.key"),
    );
    for args in [
        vec!["probe", "127.0.0.1:9", "--seclevel", "3"],
        vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--once",
            "--seclevel",
            "3",
        ],
    ] {
        let mut args = args;
        args.extend(["--cert", &cert, "--key", &key]);
        refused(harness(&args), &["ca key too small", "lower --seclevel"]);
    }
}
