//! `tls-harness serve` refuses a client's renegotiation as `s_server
//! -no_renegotiation` does, and says how the connection then ended.

mod common;
mod serve_support;

use std::process::Command;

use common::{Proc, LIMIT};
use serve_support::{ecdsa_files, serve};

/// `s_client -tls1_2` asks for a renegotiation (its `R` command), which
/// serve refuses, as `s_server -no_renegotiation` does: OpenSSL marks the
/// refused hello as a handshake started and done, but s_server counts one
/// finished handshake, and so must serve. s_client then ends the
/// connection with a fatal alert, so `--once` fails.
#[test]
fn a_refused_renegotiation_is_no_second_handshake() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let dir = tempfile::tempdir().expect("temp dir");
    let (chain, key, root) = ecdsa_files(&dir);
    // s_client asks once its handshake is done; the server ends the
    // connection (and, with one connection allowed, its process) after the
    // client's fatal alert, so no sleep decides the order.
    let renegotiating_client = |addr: &str| {
        let mut cmd = Command::new("openssl");
        cmd.args(["s_client", "-connect", addr, "-CAfile", &root, "-tls1_2"]);
        let mut client = Proc::spawn(cmd);
        Proc::wait_line(&client.stdout, LIMIT, "s_client's handshake", |l| {
            l.contains("Verify return code")
        });
        client.write_stdin(b"R\n");
        Proc::wait_line(&client.stderr, LIMIT, "s_client renegotiating", |l| {
            l.starts_with("RENEGOTIATING")
        });
        client
    };

    let (mut reference, reference_addr) = common::s_server(&[
        "-naccept",
        "1",
        "-no_renegotiation",
        "-cert",
        &chain,
        "-chainCAfile",
        &chain,
        "-key",
        &key,
    ]);
    let client = renegotiating_client(&reference_addr);
    reference.wait(LIMIT);
    drop(client);
    let stats = Proc::drain(&reference.stdout).join("\n");
    assert!(stats.contains("1 server accepts that finished"), "{stats}");

    let (mut server, addr) = serve(&[
        "--once", "--cert", &chain, "--key", &key, "--format", "summary",
    ]);
    let client = renegotiating_client(&addr.to_string());
    let status = server.wait(LIMIT);
    drop(client);
    let out = Proc::drain(&server.stdout).join("\n");
    assert!(
        out.contains("(refused a renegotiation the peer asked for)"),
        "{out}"
    );
    assert!(!out.contains("(the last of"), "{out}");
    assert!(
        out.contains("handshakes completed on this connection: 1"),
        "{out}"
    );
    assert_eq!(
        status.code(),
        Some(1),
        "the client ended it with a fatal alert: {out}"
    );
    // And the summary says so, as s_client's own log does ("SSL3 alert
    // write:fatal:handshake failure").
    assert!(
        out.contains(
            "server: after the handshake, the client ended the connection with fatal alert \
             handshake_failure (40)"
        ),
        "{out}"
    );

    // With stdout left to s_server's lines, stderr says the same.
    let (mut server, addr) = serve(&[
        "--once", "--cert", &chain, "--key", &key, "--format", "state",
    ]);
    let client = renegotiating_client(&addr.to_string());
    server.wait(LIMIT);
    drop(client);
    let err = Proc::drain(&server.stderr).join("\n");
    assert!(
        err.contains(
            ": after the handshake, the client ended the connection with fatal alert \
             handshake_failure (40)"
        ),
        "{err}"
    );
}
