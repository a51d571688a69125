//! `--name`, s_client's `-name`: the host name SMTP's EHLO gives and the
//! domain XMPP's stream is to. probe sends the bytes s_client sends with
//! it, and scan sends it on every connection.

mod common;
mod starttls_support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::Duration;

use common::{harness, Proc};
use starttls_support::xmpp_exchange;

/// The server's side of SMTP up to its go-ahead; returns what the client
/// sent.
fn smtp_exchange(tcp: &mut TcpStream) -> Vec<u8> {
    tcp.write_all(b"220 mx.example ESMTP\r\n")
        .expect("greeting");
    let mut reader = BufReader::new(tcp.try_clone().expect("clone"));
    let mut sent = Vec::new();
    for reply in [
        &b"250-mx.example\r\n250 STARTTLS\r\n"[..],
        b"220 go ahead\r\n",
    ] {
        let mut line = String::new();
        reader.read_line(&mut line).expect("request");
        sent.extend_from_slice(line.as_bytes());
        tcp.write_all(reply).expect("reply");
    }
    sent
}

/// One connection on a free port, served by `exchange`.
fn one(exchange: fn(&mut TcpStream) -> Vec<u8>) -> (String, JoinHandle<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let handle = std::thread::spawn(move || {
        let (mut tcp, _) = l.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        exchange(&mut tcp)
    });
    (addr, handle)
}

/// s_client's -name (and its alias -xmpphost) against probe's --name (and
/// --xmpphost): the same bytes, the name in them. The TLS that would
/// follow is not served; only the exchange is compared.
#[test]
fn probe_sends_the_name_as_s_client_sends_it() {
    common::require("openssl", "version", "openssl (apt-get install openssl)");
    let name = "mx1.client.example";
    for (protocol, option) in [("smtp", "name"), ("xmpp", "name"), ("xmpp", "xmpphost")] {
        let exchange = match protocol {
            "smtp" => smtp_exchange,
            _ => xmpp_exchange,
        };
        let (addr, server) = one(exchange);
        let mut cmd = Command::new("openssl");
        cmd.args(["s_client", "-connect", &addr, "-starttls", protocol]);
        cmd.args([&format!("-{option}"), name]);
        let mut s_client = Proc::spawn(cmd);
        s_client.close_stdin();
        let reference = server.join().expect("server thread");
        drop(s_client);

        let (addr, server) = one(exchange);
        let out = common::run(harness(&[
            "probe",
            &addr,
            "--starttls",
            protocol,
            &format!("--{option}"),
            name,
            "--timeout",
            "2",
        ]));
        // The handshake after the go-ahead finds the server gone.
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        let ours = server.join().expect("server thread");
        let reference = String::from_utf8_lossy(&reference);
        assert!(reference.contains(name), "{protocol}: {reference}");
        assert_eq!(String::from_utf8_lossy(&ours), reference, "{protocol}");
    }
}

/// scan --name: every connection's EHLO gives the name.
#[test]
fn scan_sends_the_name_on_every_connection() {
    let (sent_tx, sent_rx) = std::sync::mpsc::channel();
    let addr = common::serve_each(move |mut tcp| {
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let _ = sent_tx.send(smtp_exchange(&mut tcp));
    });
    let out = common::run(harness(&[
        "scan",
        &addr,
        "--starttls",
        "smtp",
        "--name",
        "mx1.client.example",
        "--timeout",
        "2",
    ]));
    // The go-ahead is followed by nothing: no probe reached TLS.
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    let sent: Vec<Vec<u8>> = sent_rx.try_iter().collect();
    assert!(sent.len() > 10, "{} connections", sent.len());
    for s in sent {
        assert_eq!(s, b"EHLO mx1.client.example\r\nSTARTTLS\r\n");
    }
}

/// --name needs --starttls, and is a host name: no white space in it, as
/// it goes into a command line.
#[test]
fn a_name_is_refused_without_starttls_or_with_white_space() {
    for (args, why) in [
        (
            &["probe", "127.0.0.1:1", "--name", "mx.example"][..],
            "required arguments were not provided:\n  --starttls",
        ),
        (
            &["scan", "127.0.0.1:1", "--name", "mx.example"],
            "required arguments were not provided:\n  --starttls",
        ),
        (
            &[
                "probe",
                "127.0.0.1:1",
                "--starttls",
                "smtp",
                "--name",
                "mx\r\nQUIT",
            ],
            "a host name has no white space or control characters",
        ),
        (
            &["scan", "127.0.0.1:1", "--starttls", "smtp", "--name", ""],
            "a host name cannot be empty",
        ),
    ] {
        let out = common::run(harness(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
    }
}
