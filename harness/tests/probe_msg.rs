//! `probe --format msg` against servers that answer a ClientHello with
//! something OpenSSL refuses: the message lines equal `openssl s_client
//! -msg`'s, the refused record's line included, and each alert is one line.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use common::{harness, run, Proc, LIMIT};
use testkit::msg_lines::message_lines;

/// Serves `n` connections: reads the ClientHello, writes `answer`, closes.
fn answering(answer: &'static [u8], n: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().take(n).flatten() {
            let _ = tcp.read(&mut [0u8; 4096]);
            let _ = tcp.write_all(answer);
        }
    });
    addr
}

#[test]
fn refused_answers_print_as_s_client_prints_them() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let answers: [&'static [u8]; 2] = [
        b"HTTP/1.1 400 Bad Request\r\n\r\n",
        &[22, 3, 3, 0, 5, b'h', b'e', b'l', b'l', b'o'],
    ];
    for answer in answers {
        let addr = answering(answer, 2);
        let mut reference = Command::new("openssl");
        reference.args(["s_client", "-connect", &addr, "-msg"]);
        let mut client = Proc::spawn(reference);
        client.close_stdin();
        client.wait(LIMIT);
        let expected = message_lines(&Proc::drain(&client.stdout).join("\n"));
        let ours = run(harness(&["probe", &addr, "--format", "msg"]));
        assert_eq!(message_lines(&ours.stdout), expected, "{}", ours.stdout);
        let alerts = ours.stdout.lines().filter(|l| l.contains("Alert")).count();
        assert!(alerts <= 1, "one line per alert: {}", ours.stdout);
    }
    let http = answering(answers[0], 1);
    let ours = run(harness(&["probe", &http, "--format", "msg"]));
    assert!(
        ours.stdout
            .contains("<<< Not TLS data or unknown version (version=21588"),
        "{}",
        ours.stdout
    );
}
