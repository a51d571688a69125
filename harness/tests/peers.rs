//! probe and serve against each other, and against the real `openssl
//! s_server` and `openssl s_client`: the state lines and message lines must
//! be the ones the real tools print (`-state`, `-msg`) for the same
//! handshake.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{harness, lines_with, require, run, write_pki, Proc};
use testkit::msg_lines::message_lines;

const WAIT: Duration = Duration::from_secs(30);

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("utf-8 path").to_string()
}

/// Starts `tls-harness serve` and returns it with the address it bound.
fn serve(args: &[&str]) -> (Proc, String) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--once"];
    all.extend_from_slice(args);
    let proc = Proc::spawn(harness(&all));
    let line = Proc::wait_line(&proc.stderr, WAIT, "serve to listen", |l| {
        l.starts_with("listening on ")
    });
    let addr = line.trim_start_matches("listening on ").trim().to_string();
    (proc, addr)
}

/// `tls-harness probe` of `addr`, trusting the root written in `d` and
/// verifying the name "localhost", plus `args`.
fn probe_pki(d: &Path, addr: &str, args: &[&str]) -> common::Output {
    let root = p(d, "root.pem");
    let mut all = vec![
        "probe",
        addr,
        "--cafile",
        &root,
        "--servername",
        "localhost",
    ];
    all.extend_from_slice(args);
    run(harness(&all))
}

/// `serve` with the `key` leaf (e.g. "ecdsa-p256") written in `d`, plus `args`.
fn serve_pki(d: &Path, key: &str, args: &[&str]) -> (Proc, String) {
    let cert = p(d, &format!("server-{key}.chain.pem"));
    let key = p(d, &format!("server-{key}.key"));
    let mut all = vec!["--cert", &cert, "--key", &key];
    all.extend_from_slice(args);
    serve(&all)
}

#[test]
fn probe_and_serve_agree() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_pki(dir.path());
    let d = dir.path();
    let (mut server, addr) = serve_pki(d, "ecdsa-p256", &["--format", "summary", "--alpn", "h2"]);
    let o = probe_pki(
        d,
        &addr,
        &["--tls1_2", "--alpn", "h2", "--format", "summary"],
    );
    assert!(o.status.success(), "probe failed: {}{}", o.stdout, o.stderr);
    assert!(server.wait(WAIT).success());
    let served = Proc::drain(&server.stdout).join("\n");
    for out in [&o.stdout, &served] {
        assert!(out.contains("TLSv1.2 ECDHE-ECDSA-"), "{out}");
        assert!(out.contains("alpn=h2"), "{out}");
    }
    assert!(o.stdout.starts_with("client: "));
    assert!(served.starts_with("server: "));
}

#[test]
fn probe_names_the_alert_of_a_version_mismatch() {
    let (mut server, addr) = serve(&["--key-type", "rsa2048", "--tls1_3", "--format", "state"]);
    let root = Proc::wait_line(&server.stderr, WAIT, "the root CA path", |l| {
        l.starts_with("root CA: ")
    });
    let root = root.trim_start_matches("root CA: ").trim().to_string();
    let o = run(harness(&[
        "probe", &addr, "--cafile", &root, "--tls1_2", "--format", "state",
    ]));
    assert_eq!(o.status.code(), Some(1), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("alert: the server sent fatal alert protocol_version (70)"),
        "{}",
        o.stderr
    );
    assert!(
        !server.wait(WAIT).success(),
        "serve --once exits non-zero after a failed handshake"
    );
}

#[test]
fn probe_names_a_verify_error_and_a_refused_connection() {
    let (mut server, addr) = serve(&["--key-type", "rsa2048"]);
    // The system trust store does not know the generated root.
    let o = run(harness(&["probe", &addr, "--servername", "localhost"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stderr.contains("verify error"), "{}", o.stderr);
    server.wait(WAIT);
    let closed = common::ports::ClosedPort::new();
    let o = run(harness(&["probe", &closed.addr()]));
    // Unreachable, not refused by TLS: its own exit code.
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stderr.contains("connection refused"), "{}", o.stderr);
}

/// `openssl s_server` on a port of its own choosing, serving the test
/// PKI's RSA leaf.
fn s_server(d: &Path, extra: &[&str]) -> (Proc, String) {
    let (cert, key, chain) = (
        p(d, "server-rsa2048.crt"),
        p(d, "server-rsa2048.key"),
        p(d, "intermediate.pem"),
    );
    let mut args = vec!["-naccept", "1", "-cert", &cert, "-key", &key];
    args.extend(["-cert_chain", &chain]);
    args.extend(extra);
    common::s_server(&args)
}

fn s_client(d: &Path, addr: &str, version: &str) -> common::Output {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect", addr, "-state", version])
        .args([
            "-CAfile",
            &p(d, "root.pem"),
            "-servername",
            "localhost",
            "-verify_return_error",
        ]);
    run(cmd)
}

#[test]
fn probe_state_equals_s_client_state_against_s_server() {
    require("openssl", "version", "the openssl package");
    let dir = tempfile::tempdir().expect("tempdir");
    write_pki(dir.path());
    let d = dir.path();
    // No TLS 1.3 tickets: s_client (stdin at EOF) closes without waiting
    // for post-handshake messages, and whether a ticket arrives before
    // that is a race that a slow machine loses. (tests/probe.rs compares
    // with tickets, holding s_client's stdin open.)
    let no_tickets = ["-num_tickets", "0"];
    for version in ["-tls1_2", "-tls1_3"] {
        let (mut real_server, addr) = s_server(d, &no_tickets);
        let real = s_client(d, &addr, version);
        assert!(
            real.status.success(),
            "s_client: {}{}",
            real.stdout,
            real.stderr
        );
        real_server.wait(WAIT);
        let printed = real.stdout.clone() + &real.stderr;
        let mut expected = lines_with(&printed, "SSL_connect:");
        // The close_notify s_client sends at the end of its input.
        expected.extend(lines_with(&printed, "SSL3 alert "));
        assert!(
            expected.len() > 4,
            "s_client printed no state lines: {}",
            real.stderr
        );

        let (mut real_server, addr) = s_server(d, &no_tickets);
        let flag = &version[1..];
        let ours = probe_pki(d, &addr, &[&format!("--{flag}"), "--format", "state"]);
        assert!(ours.status.success(), "probe: {}", ours.stderr);
        real_server.wait(WAIT);
        let got: Vec<String> = ours
            .stdout
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(
            got, expected,
            "{version}: probe --format state differs from s_client -state"
        );
    }
}

#[test]
fn serve_state_equals_s_server_state_for_s_client() {
    require("openssl", "version", "the openssl package");
    let dir = tempfile::tempdir().expect("tempdir");
    write_pki(dir.path());
    let d = dir.path();
    for version in ["-tls1_2", "-tls1_3"] {
        let (mut real_server, addr) = s_server(d, &["-state"]);
        let c = s_client(d, &addr, version);
        assert!(c.status.success(), "s_client: {}", c.stderr);
        real_server.wait(WAIT);
        let out = Proc::drain(&real_server.stdout).join("\n")
            + "\n"
            + &Proc::drain(&real_server.stderr).join("\n");
        let expected = lines_with(&out, "SSL_accept:");
        assert!(expected.len() > 4, "s_server printed no state lines: {out}");

        let (mut ours, addr) = serve_pki(d, "rsa2048", &["--format", "state"]);
        let c = s_client(d, &addr, version);
        assert!(c.status.success(), "s_client against serve: {}", c.stderr);
        assert!(ours.wait(WAIT).success());
        let got = lines_with(&Proc::drain(&ours.stdout).join("\n"), "SSL_accept:");
        assert_eq!(
            got, expected,
            "{version}: serve --format state differs from s_server -state"
        );
    }
}

/// `serve --format msg`: each message line equals the one `openssl
/// s_server -msg` prints for the same client (the serve's lines add the
/// record layer's version, and decoded fields on indented lines).
#[test]
fn serve_message_lines_equal_s_server_msg_for_s_client() {
    require("openssl", "version", "the openssl package");
    let dir = tempfile::tempdir().expect("tempdir");
    write_pki(dir.path());
    let d = dir.path();
    for version in ["-tls1_2", "-tls1_3"] {
        let (mut real_server, addr) = s_server(d, &["-msg"]);
        let c = s_client(d, &addr, version);
        assert!(c.status.success(), "s_client: {}", c.stderr);
        real_server.wait(WAIT);
        let out = Proc::drain(&real_server.stdout).join("\n") + "\n";
        let expected = opaque_tickets(&message_lines(&out));
        assert!(
            expected.contains(", Finished\n"),
            "s_server printed no message lines: {out}"
        );

        let (mut ours, addr) = serve_pki(d, "rsa2048", &["--format", "msg"]);
        let c = s_client(d, &addr, version);
        assert!(c.status.success(), "s_client against serve: {}", c.stderr);
        assert!(ours.wait(WAIT).success());
        let got = opaque_tickets(&message_lines(
            &(Proc::drain(&ours.stdout).join("\n") + "\n"),
        ));
        assert_eq!(
            got, expected,
            "{version}: serve --format msg differs from s_server -msg"
        );
    }
}

/// A ticket is the server's own opaque blob, whose length follows from
/// what the server puts in it: s_server's session id context (an `int`)
/// makes its tickets longer than serve's, which sets none. The length is
/// left out of the comparison; that each ticket is sent, and where, is not.
fn opaque_tickets(lines: &str) -> String {
    lines
        .lines()
        .map(
            |l| match (l.find("[length "), l.ends_with(", NewSessionTicket")) {
                (Some(at), true) => format!("{}[length ....]{}\n", &l[..at], &l[at + 13..]),
                _ => format!("{l}\n"),
            },
        )
        .collect()
}
