//! What `tls-harness` prints when it stops on an error: what it was doing,
//! then each cause once, and a bad version names itself.

mod common;

use common::{count, harness, os_error_reading, refused, run};

#[test]
fn a_missing_policy_file_names_the_file_and_its_cause_once() {
    let d = tempfile::tempdir().expect("temp dir");
    let policy = d.path().join("no-such-policy.toml");
    let cause = os_error_reading(&policy);
    let path = policy.to_str().expect("utf-8");
    // The policy loads before any connection, so the target is never tried.
    let o = refused(harness(&["scan", "127.0.0.1:9", "--policy", path]), &[]);
    let line = o.stderr.trim_end();
    assert!(line.starts_with("tls-harness: policy "), "{line}");
    assert_eq!(count(line, path), 1, "{line}");
    assert_eq!(count(line, &cause), 1, "{line}");
    assert!(line.ends_with(&format!(": {cause}")), "{line}");
    assert!(line.contains("mozilla-modern"), "{line}");
}

/// A count of days below zero means nothing, and is refused with where it
/// stands, not taken for a rule that always fails or never warns.
#[test]
fn a_negative_count_of_days_in_a_policy_is_refused() {
    let d = tempfile::tempdir().expect("temp dir");
    for key in [
        "max_days_to_expiry_warning",
        "min_days_to_expiry",
        "max_certificate_lifespan_days",
    ] {
        let policy = d.path().join(format!("{key}.toml"));
        std::fs::write(&policy, format!("{key} = -5\n")).expect("policy");
        let path = policy.to_str().expect("utf-8");
        refused(
            harness(&["scan", "127.0.0.1:9", "--policy", path]),
            &["not a valid policy", key, "invalid value: integer `-5`"],
        );
    }
}

/// A certificate rule's misspelt name is refused before any connection,
/// as a misspelt group is: it would match no certificate.
#[test]
fn a_misspelt_certificate_name_in_a_policy_is_refused() {
    let d = tempfile::tempdir().expect("temp dir");
    for (key, name) in [
        ("certificate_types", "rsaa"),
        ("certificate_curves", "nocurve"),
        ("certificate_signatures", "sha256WithRSA"),
    ] {
        let policy = d.path().join(format!("{key}.toml"));
        std::fs::write(&policy, format!("{key} = [\"{name}\"]\n")).expect("policy");
        let path = policy.to_str().expect("utf-8");
        refused(
            harness(&["scan", "127.0.0.1:9", "--policy", path]),
            &[&format!("{key} names \"{name}\"")],
        );
    }
}

#[test]
fn a_missing_report_names_the_file_and_its_cause_once() {
    let d = tempfile::tempdir().expect("temp dir");
    let report = d.path().join("no-such-report.json");
    let cause = os_error_reading(&report);
    let path = report.to_str().expect("utf-8");
    let o = refused(harness(&["merge", path]), &[]);
    let line = o.stderr.trim_end();
    assert_eq!(line, format!("tls-harness: reading {path}: {cause}"));
}

/// `--artifacts` naming a file: a usage error that says it wants a
/// directory, before any case runs, not the operating system's "File
/// exists".
#[test]
fn artifacts_naming_a_file_is_refused() {
    let d = tempfile::tempdir().expect("temp dir");
    let file = d.path().join("a-file");
    std::fs::write(&file, b"").expect("a file");
    let path = file.to_str().expect("utf-8");
    let o = refused(
        harness(&["matrix", "--peers", "inproc", "--artifacts", path]),
        &["--artifacts", "not a directory"],
    );
    assert!(!o.stderr.contains("File exists"), "{}", o.stderr);
}

#[test]
fn a_bad_version_flag_is_refused_naming_the_value() {
    let o = refused(
        harness(&["matrix", "--versions", "tls1_2,tls9"]),
        &["\"tls9\"", "--versions"],
    );
    assert!(
        o.stderr.contains("tls1_3"),
        "lists the valid values: {}",
        o.stderr
    );
}

/// A CA file (or an early-data file) that does not exist is named with the option that gave it
/// and the operating system's reason, before anything listens or connects.
#[test]
fn a_missing_ca_file_names_its_option_and_cause() {
    let d = tempfile::tempdir().expect("temp dir");
    let ca = d.path().join("no-such-ca.pem");
    let cause = os_error_reading(&ca);
    let path = ca.to_str().expect("utf-8");
    for (args, flag) in [
        (
            vec![
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--once",
                "--verify-client",
                path,
            ],
            "--verify-client",
        ),
        (vec!["probe", "127.0.0.1:9", "--cafile", path], "--cafile"),
        (
            vec!["probe", "127.0.0.1:9", "--reconnect", "--early-data", path],
            "--early-data",
        ),
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

/// A certificate the security level refuses is named as such, with the
/// option that loads it anyway, not as a file that is no chain; a key for
/// another certificate is named as a mismatch, not as no key.
#[test]
fn a_refused_certificate_and_a_mismatched_key_say_so() {
    let d = tempfile::tempdir().expect("temp dir");
    common::write_pki(d.path());
    let file = |name: &str| d.path().join(name).to_str().expect("utf-8").to_owned();
    let (weak, weak_key) = (file("neg-weak-key.chain.pem"), file("neg-weak-key.key"));
    let o = refused(
        harness(&["probe", "127.0.0.1:9", "--cert", &weak, "--key", &weak_key]),
        &["ee key too small", "lower --seclevel"],
    );
    assert!(!o.stderr.contains("not a PEM"), "{}", o.stderr);

    let rsa = file("server-rsa2048.chain.pem");
    refused(
        harness(&["probe", "127.0.0.1:9", "--cert", &rsa, "--key", &weak_key]),
        &["does not match the --cert leaf"],
    );
}

/// A misspelt filter value would run nothing and pass: it is refused,
/// naming the value and the ones that exist.
#[test]
fn a_filter_that_selects_nothing_is_refused() {
    for (flag, value, known) in [
        ("--keys", "ecdsa-p265", "ecdsa-p256"),
        ("--options", "nosuch", "mtls"),
        ("--suites", "^NOMATCH$", "IANA"),
    ] {
        refused(
            harness(&["matrix", "--list", flag, value]),
            &[flag, value, known],
        );
    }
    // Each value exists, but no case has both.
    refused(
        harness(&["matrix", "--list", "--keys", "psk", "--options", "mtls"]),
        &["together select no case"],
    );
}

/// A peer named in --peers that cannot run fails the run unless told
/// otherwise; a CI job that asked for it must not pass without it.
#[test]
fn a_named_peer_that_cannot_run_stops_the_matrix() {
    let args = [
        "matrix",
        "--list",
        "--peers",
        "tlslite",
        "--versions",
        "tls1_3",
        "--keys",
        "rsa2048",
        "--options",
        "default",
    ];
    let mut c = harness(&args);
    c.env("TLS_HARNESS_TLSLITE_PYTHON", "/nonexistent/python");
    refused(c, &["--peers tlslite", "--allow-unavailable-peers"]);

    let mut c = harness(&args);
    c.arg("--allow-unavailable-peers")
        .env("TLS_HARNESS_TLSLITE_PYTHON", "/nonexistent/python");
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("unsupported: "), "{}", o.stdout);
}

/// GnuTLS installed without srptool (its SRP password files) is a peer
/// that cannot run when the run has SRP cases, as a missing gnutls-serv
/// is, not a GnuTLS without SRP: they would otherwise read unsupported and
/// the run pass.
#[test]
fn a_missing_gnutls_helper_stops_the_matrix() {
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let dir = tempfile::tempdir().expect("temp dir");
    for tool in ["openssl", "sh", "gnutls-cli", "gnutls-serv", "setsid"] {
        let found =
            harness::peer::process::which(tool).unwrap_or_else(|| panic!("{tool} not on PATH"));
        std::os::unix::fs::symlink(found, dir.path().join(tool)).expect("symlink");
    }
    let args = [
        "matrix",
        "--list",
        "--peers",
        "gnutls-cli",
        "--versions",
        "tls1_2",
        "--keys",
        "srp",
    ];
    let mut c = harness(&args);
    c.env("PATH", dir.path());
    let o = refused(c, &[]);
    assert!(
        o.stderr.contains("--peers gnutls-cli: ") && o.stderr.contains("srptool not found"),
        "{}",
        o.stderr
    );
    // A run with no SRP case needs no srptool.
    let args = [
        "matrix",
        "--list",
        "--peers",
        "gnutls-cli",
        "--versions",
        "tls1_2",
        // Not rsa2048, whose family holds rsa2048+srp.
        "--keys",
        "ecdsa-p256",
        "--options",
        "default",
    ];
    let mut c = harness(&args);
    c.env("PATH", dir.path());
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}{}", o.stdout, o.stderr);
}

/// Where the report goes is checked before the run, not after it.
#[test]
fn an_unwritable_report_path_is_refused_before_the_run() {
    // Each command that runs for long before it writes its report.
    for command in [&["matrix"][..], &["hostile", "--in-process"], &["bench"]] {
        let o = run(harness(
            &[command, &["--out", "/nonexistent/dir/r.json"]].concat(),
        ));
        let command = command[0];
        assert_eq!(o.status.code(), Some(2), "{command}: {}", o.stdout);
        assert!(
            o.stderr.contains("/nonexistent/dir is not a directory"),
            "{command}: {}",
            o.stderr
        );
    }
    // An empty ALPN name, which OpenSSL would refuse without a reason.
    refused(
        harness(&["scan", "127.0.0.1:9", "--alpn", "h2,"]),
        &["--alpn: \"\" is no protocol name"],
    );
    refused(
        harness(&["matrix", "--jobs", "0"]),
        &["--jobs must be at least 1"],
    );
}

/// A flood of no connections sends the server nothing to judge it by: a
/// usage error, as a time-out of 0 is, before any connection is made.
#[test]
fn a_flood_of_no_connections_is_refused() {
    refused(
        harness(&["hostile", "--target", "127.0.0.1:9", "--flood", "0"]),
        &["--flood must be at least 1"],
    );
}

#[test]
fn a_run_in_which_nothing_could_run_exits_2_with_its_report() {
    // rustls speaks no TLS 1.0, and inproc is not paired with itself.
    let args = [
        "matrix",
        "--peers",
        "rustls",
        "--versions",
        "tls1",
        "--keys",
        "rsa2048",
        "--options",
        "default",
    ];
    let o = refused(harness(&args), &[]);
    assert!(o.stdout.contains("lacks TLS 1.0"), "{}", o.stdout);
    assert!(
        o.stdout.contains("0 passed, 0 failed, 2 unsupported"),
        "{}",
        o.stdout
    );
    assert!(
        o.stderr.contains("nothing ran: 2 case(s) cannot run here"),
        "{}",
        o.stderr
    );
    // A shard of such a selection is part of a run, not the whole; the
    // shards merged are.
    let d = tempfile::tempdir().expect("temp dir");
    let mut shards = Vec::new();
    for k in ["1/2", "2/2"] {
        let path = d.path().join(format!("shard{}.json", &k[..1]));
        let out = path.to_str().expect("utf-8").to_owned();
        let extra = ["--shard", k, "--format", "json", "--out", &out];
        let shard: Vec<&str> = args.iter().copied().chain(extra).collect();
        let o = run(harness(&shard));
        assert_eq!(o.status.code(), Some(0), "{}", o.stderr);
        shards.push(out);
    }
    refused(
        harness(&["merge", &shards[0], &shards[1], "--out", "/dev/null"]),
        &["nothing ran: 2 case(s) cannot run here"],
    );
}

#[test]
fn a_command_peer_whose_program_sh_cannot_find_stops_the_run() {
    let o = refused(
        harness(&[
            "matrix",
            "--peer-cmd",
            "x=/nonexistent/tls-server {port} {cert} {key}",
            "--versions",
            "tls1_3",
            "--keys",
            "rsa2048",
            "--options",
            "default",
        ]),
        &[],
    );
    assert!(
        o.stderr
            .starts_with("tls-harness: --peer-cmd x: /nonexistent/tls-server: not found by sh"),
        "{}",
        o.stderr
    );
}

#[test]
fn a_peer_that_never_listens_is_a_junit_error_not_a_failure() {
    let o = run(harness(&[
        "matrix",
        "--peers",
        "command",
        "--peer-cmd",
        "x=sh -c 'exit 3' {port} {cert}",
        "--timeout",
        "2",
        "--versions",
        "tls1_3",
        "--keys",
        "rsa2048",
        "--options",
        "default",
        "--suites",
        "TLS_AES_128_GCM_SHA256",
        "--format",
        "junit",
    ]));
    // Still a failed run: nothing was tested.
    assert_eq!(o.status.code(), Some(1), "{}{}", o.stdout, o.stderr);
    let head = o.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        head.contains("failures=\"0\" errors=\"1\""),
        "{head}\n{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("<error message=") && o.stdout.contains("type=\"setup\""),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("exited (exit status 3) without listening on port"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("<failure"), "{}", o.stdout);
}

/// A command client still running when its case's deadline passes is
/// left to its own, longer time-out; when the run ends first, the program
/// kills it rather than leave it behind, and its thread frees the test
/// PKI's directory.
#[test]
fn a_stalled_command_outlives_neither_the_run_nor_its_keys() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let marker = format!("stall-{}", std::process::id());
    let template = format!("stall=sleep 40 # {{port}} {marker}");
    let args = [
        "matrix",
        "--versions",
        "tls1_3",
        "--suites",
        "^TLS_AES_128_GCM_SHA256$",
        "--keys",
        "rsa2048",
        "--options",
        "default",
        "--timeout",
        "1",
        "--peer-cmd",
        &template,
    ];
    let mut cmd = common::harness(&args);
    cmd.env("TMPDIR", tmp.path());
    let out = common::run(cmd);
    assert_eq!(out.status.code(), Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("did not finish within"),
        "{}",
        out.stdout
    );
    // Once per line that gives the reason (the case's row and the
    // interop failure list), not twice in one.
    assert!(
        out.stdout
            .lines()
            .all(|l| l.matches("time-out").count() <= 1),
        "{}",
        out.stdout
    );
    // The failure says how to run it alone, the run's time-out included.
    let rerun = format!(
        "rerun: tls-harness matrix --peers inproc --case \
         'tls1_3/TLS_AES_128_GCM_SHA256/rsa2048/default@command>inproc' --timeout 1 \
         --peer-cmd '{template}'"
    );
    assert!(out.stdout.contains(&rerun), "{}", out.stdout);
    let alive = common::running(&marker);
    assert!(alive.is_empty(), "left running: {alive:?}");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("temp dir")
        .filter_map(|e| Some(e.ok()?.file_name()))
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

/// A gnutls-cli whose suite listing cannot be read (a changed output
/// format) declares nothing: its cases would all read "unsupported" and the
/// run pass having tested none of them, so it is a peer that cannot run.
#[test]
fn a_peer_whose_listing_reads_empty_stops_the_matrix() {
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let dir = tempfile::tempdir().expect("temp dir");
    let real = harness::peer::process::which("gnutls-cli").expect("gnutls-cli on PATH");
    let fake = dir.path().join("gnutls-cli");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\ncase \"$*\" in *-l*) echo 'Cipher suites:'; exit 0;; esac\nexec {} \"$@\"\n",
            real.display()
        ),
    )
    .expect("write the fake");
    let mut perms = std::fs::metadata(&fake).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).expect("chmod");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = harness(&["matrix", "--list", "--peers", "gnutls-cli"]);
    c.env("PATH", path);
    let o = refused(c, &[]);
    assert!(
        o.stderr.contains("--peers gnutls-cli: ")
            && o.stderr.contains("declares no protocol version"),
        "{}",
        o.stderr
    );
}

/// `--starttls smtps` names a protocol of TLS from the first byte, which
/// has no STARTTLS: the error says to probe without --starttls, where
/// clap's own would suggest `smtp`, whose exchange such a port never
/// answers.
#[test]
fn an_implicit_tls_protocol_for_starttls_says_to_drop_it() {
    for command in ["probe", "scan"] {
        let o = refused(
            harness(&[command, "127.0.0.1:9", "--starttls", "smtps"]),
            &["'smtps'", "implicit TLS, port 465", "without --starttls"],
        );
        assert!(!o.stderr.contains("similar value"), "{}", o.stderr);
    }
    // Other names keep clap's list.
    refused(
        harness(&["probe", "127.0.0.1:9", "--starttls", "gopher"]),
        &["[possible values: smtp, imap, pop3, ftp, postgres, ldap, xmpp, xmpp-server]"],
    );
}
