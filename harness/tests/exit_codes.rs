//! The exit codes README's table gives, for each command that reaches a
//! server: a mistyped target is a usage error (2), a server nothing
//! answers for is unreachable (3), whichever command met it.

mod common;

use common::ports::ClosedPort;
use common::{harness, run};

#[test]
fn a_mistyped_target_is_a_usage_error_in_every_command() {
    for target in [
        "localhost:notaport",
        "127.0.0.1:99999",
        ":443",
        "https://example.com",
    ] {
        for command in ["probe", "scan"] {
            let o = run(harness(&[command, target]));
            assert_eq!(o.status.code(), Some(2), "{command} {target}: {}", o.stderr);
            assert!(
                o.stderr.contains("is not HOST:PORT"),
                "{command} {target}: {}",
                o.stderr
            );
        }
        let o = run(harness(&["hostile", "--target", target]));
        assert_eq!(o.status.code(), Some(2), "hostile {target}: {}", o.stderr);
        assert!(
            o.stderr.contains("is not HOST:PORT"),
            "hostile {target}: {}",
            o.stderr
        );
    }
}

/// Standard error closed under the command (`2>&1 | head` after head
/// exited): what it says there is lost, but its exit code still says what
/// happened, and serve goes on serving, as `openssl s_server` does.
#[test]
fn a_closed_standard_error_changes_no_exit_code() {
    let port = ClosedPort::new();
    let closed = port.addr();
    for (args, code) in [
        (vec!["probe", closed.as_str()], 3),
        (
            vec![
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--once",
                "--accept-timeout",
                "1",
            ],
            4,
        ),
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let status = harness(&args)
            .stdout(std::process::Stdio::null())
            .stderr(writer)
            .status()
            .expect("run");
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

#[test]
fn nothing_listening_or_no_such_name_is_unreachable() {
    let port = ClosedPort::new();
    let closed = port.addr();
    for (args, words) in [
        (vec!["probe", closed.as_str()], "refused"),
        (
            vec!["hostile", "--target", closed.as_str()],
            "could not be reached",
        ),
        (vec!["probe", "nosuch.invalid:443"], "resolving"),
        (vec!["scan", "nosuch.invalid:443"], "resolving"),
        (
            vec!["hostile", "--target", "nosuch.invalid:443"],
            "does not resolve",
        ),
    ] {
        let o = run(harness(&args));
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(words), "{args:?}: {}", o.stderr);
    }
    // hostile's JSON says why nothing ran.
    let o = run(harness(&[
        "hostile", "--target", &closed, "--format", "json",
    ]));
    assert_eq!(o.status.code(), Some(3), "{}", o.stderr);
    let doc: serde_json::Value = serde_json::from_str(&o.stdout).expect("a JSON document");
    assert!(
        doc["error"]
            .as_str()
            .is_some_and(|e| e.contains("could not be reached")),
        "{doc}"
    );
    // As JSON, a name that does not resolve is a line like a refusal's.
    for target in [closed.as_str(), "nosuch.invalid:443"] {
        let o = run(harness(&["probe", target, "--format", "json"]));
        let line: serde_json::Value = serde_json::from_str(o.stdout.trim())
            .unwrap_or_else(|e| panic!("{target}: one JSON line ({e}): {}", o.stdout));
        assert_eq!(line["succeeded"], false, "{line}");
        assert!(
            line["failure"].as_str().is_some_and(|f| !f.is_empty()),
            "{line}"
        );
    }
}

/// A local mistake is refused before any connection (the target here
/// listens nowhere, so one would exit 3), in one message naming the flag.
#[test]
fn local_mistakes_are_usage_errors_naming_their_flag() {
    let d = tempfile::tempdir().expect("temp dir");
    common::write_pki(d.path());
    let file = |name: &str| d.path().join(name).to_str().expect("utf-8").to_owned();
    let (cert, key) = (file("server-rsa2048.chain.pem"), file("server-rsa2048.key"));
    let other_key = file("client-rsa2048.key");
    let missing = file("missing.pem");
    let dir = d.path().to_str().expect("utf-8").to_owned();
    let port = ClosedPort::new();
    let target = port.addr();
    let t = target.as_str();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["probe", t, "--cert", &missing, "--key", &key],
            format!("--cert {missing}: No such file"),
        ),
        (
            vec!["probe", t, "--cert", &cert, "--key", &missing],
            format!("--key {missing}: No such file"),
        ),
        (
            vec!["probe", t, "--cafile", &dir],
            format!("--cafile {dir}: is a directory"),
        ),
        (
            vec!["scan", t, "--cafile", &missing],
            format!("--cafile {missing}: No such file"),
        ),
        (
            vec!["scan", t, "--cert", &cert, "--key", &other_key],
            "does not match the --cert leaf".into(),
        ),
        (
            vec!["probe", t, "--tls1_2", "--min-version", "tls1_3"],
            "set both ends of the range".into(),
        ),
        (
            vec![
                "probe",
                t,
                "--min-version",
                "tls1_3",
                "--max-version",
                "tls1_2",
            ],
            "is above --max-version".into(),
        ),
        (
            vec!["probe", t, "--alpn", ""],
            "--alpn: \"\" is no protocol name".into(),
        ),
        (
            vec!["probe", t, "--servername", ""],
            "--servername \"\": give a host name".into(),
        ),
        (
            vec!["probe", t, "--seclevel", "9"],
            "9 is not in 0..=5".into(),
        ),
        (
            vec!["scan", t, "--servername", ""],
            "--servername \"\": give a host name".into(),
        ),
        (
            vec![
                "probe",
                "nosuch.invalid:443",
                "--pcap",
                "/nonexistent/x.pcapng",
            ],
            "/nonexistent/x.pcapng".into(),
        ),
        (
            vec!["serve", "--listen", "4433"],
            "--listen \"4433\": give ADDRESS:PORT".into(),
        ),
        (
            vec!["probe", t, "--groups", "X25591"],
            "--groups \"X25591\": not accepted (".into(),
        ),
    ];
    for (args, words) in cases {
        let o = run(harness(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(&words), "{args:?}: {}", o.stderr);
        // OpenSSL's reasons, not its source files.
        assert!(!o.stderr.contains("../ssl/"), "{args:?}: {}", o.stderr);
    }
}

/// A server that accepts and says nothing did not answer in time, whether
/// probe waited for its TLS or for its STARTTLS greeting.
#[test]
fn a_silent_server_is_a_time_out_with_or_without_starttls() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address").to_string();
    // Held open, unread, until the test ends: the kernel accepts for it.
    for extra in [&[][..], &["--starttls", "smtp"][..]] {
        let mut args = vec!["probe", addr.as_str(), "--timeout", "1"];
        args.extend(extra);
        let o = run(harness(&args));
        assert_eq!(o.status.code(), Some(4), "{args:?}: {}", o.stderr);
    }
    drop(listener);
}

/// A client whose own settings allow no version (SSL 3.0 alone, which
/// this OpenSSL builds without) is a local configuration error (2), not
/// the server's refusal: OpenSSL stops in its setup, still in its first
/// state (TLS_ST_BEFORE, "before SSL initialization"), sending no
/// ClientHello but a fatal protocol_version alert, as s_client shows.
#[test]
fn a_client_that_allows_no_version_is_a_local_configuration_error() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let (_server, addr) = common::s_server(&[
        "-cert",
        &pem("server-rsa2048.chain.pem"),
        "-key",
        &pem("server-rsa2048.key"),
        "-cipher",
        "DEFAULT@SECLEVEL=0",
    ]);
    let mut c = std::process::Command::new("openssl");
    c.args([
        "s_client",
        "-connect",
        &addr,
        "-state",
        "-cipher",
        "DEFAULT@SECLEVEL=0",
    ])
    .args(["-min_protocol", "SSLv3", "-max_protocol", "SSLv3"]);
    let s_client = run(c);
    assert!(
        s_client
            .stderr
            .contains("alert write:fatal:protocol version")
            && s_client.stderr.contains("no protocols available"),
        "{}",
        s_client.stderr
    );
    let probe = |format: &str| {
        run(harness(&[
            "probe",
            &addr,
            "--min-version",
            "ssl3",
            "--max-version",
            "ssl3",
            "--seclevel",
            "0",
            "--format",
            format,
        ]))
    };
    let o = probe("summary");
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    let said = o.stdout + &o.stderr;
    assert!(
        said.contains("handshake failed after \"before SSL initialization\""),
        "{said}"
    );
    assert!(
        said.contains("sent fatal alert protocol_version (70)"),
        "{said}"
    );
    // The alert went out: not "nothing was sent".
    assert!(!said.contains("nothing was sent"), "{said}");
    assert!(said.contains("so it sent no hello"), "{said}");
    assert!(
        said.contains("local configuration: no protocols available"),
        "{said}"
    );
    let json = probe("json");
    assert_eq!(json.status.code(), Some(2), "{}", json.stderr);
    let line = common::first_json(&json);
    let exit = line["trace"]["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["kind"]["type"] == "exit"))
        .unwrap_or_else(|| panic!("no exit event: {line}"));
    assert_eq!(exit["kind"]["state"], "TLS_ST_BEFORE", "{exit}");
    assert_eq!(
        line["trace"]["outcome"]["state_text"], "before SSL initialization",
        "{line}"
    );
}

/// A client with no suite it may use (NULL-SHA only, which security level
/// 2 forbids) is a local configuration error too: s_client shows OpenSSL
/// stops before its ClientHello with "no ciphers available", sending a
/// fatal internal_error alert, so "nothing was sent" would be wrong.
#[test]
fn a_client_that_allows_no_suite_is_a_local_configuration_error() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    common::write_pki(dir.path());
    let pem = |f: &str| dir.path().join(f).to_str().expect("utf-8 path").to_owned();
    let (_server, addr) = common::s_server(&[
        "-cert",
        &pem("server-rsa2048.chain.pem"),
        "-key",
        &pem("server-rsa2048.key"),
    ]);
    let mut c = std::process::Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-state", "-tls1_2"])
        .args(["-cipher", "NULL-SHA"]);
    let s_client = run(c);
    assert!(
        s_client.stderr.contains("alert write:fatal:internal error")
            && s_client.stderr.contains("no ciphers available"),
        "{}",
        s_client.stderr
    );
    let o = run(harness(&[
        "probe", &addr, "--tls1_2", "--cipher", "NULL-SHA",
    ]));
    assert_eq!(o.status.code(), Some(2), "{}", o.stderr);
    let said = o.stdout + &o.stderr;
    assert!(
        said.contains("sent fatal alert internal_error (80)"),
        "{said}"
    );
    assert!(!said.contains("nothing was sent"), "{said}");
    assert!(said.contains("so it sent no hello"), "{said}");
    assert!(
        said.contains("local configuration: no ciphers available"),
        "{said}"
    );
}
