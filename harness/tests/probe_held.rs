//! A real server whose answer is held back part way: what the time-out's
//! words say it was last heard sending.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use common::{first_json, harness, run};

/// Relays one connection to `server`, passing on what the server sends
/// record by record up to and including its first ChangeCipherSpec, then
/// holding the rest for `hold`. Returns the relay's address.
fn held_after_change_cipher_spec(server: String, hold: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    thread::spawn(move || {
        let (mut client, _) = listener.accept().expect("accept");
        let mut upstream = TcpStream::connect(&server).expect("connect to the server");
        let (mut from_client, mut to_server) = (
            client.try_clone().expect("clone"),
            upstream.try_clone().expect("clone"),
        );
        thread::spawn(move || {
            let _ = std::io::copy(&mut from_client, &mut to_server);
        });
        upstream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("time-out");
        loop {
            let mut header = [0u8; 5];
            if upstream.read_exact(&mut header).is_err() {
                return;
            }
            let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[3], header[4]]))];
            upstream.read_exact(&mut body).expect("record body");
            client.write_all(&header).expect("relay");
            client.write_all(&body).expect("relay");
            if header[0] == 20 {
                break;
            }
        }
        thread::sleep(hold);
        let _ = client.shutdown(Shutdown::Both);
    });
    addr
}

/// GnuTLS's TLS 1.2 server sends NewSessionTicket, ChangeCipherSpec and
/// Finished; held after the ChangeCipherSpec, the client has read it
/// (OpenSSL takes it without reporting it as a message) but no Finished:
/// the words name the ChangeCipherSpec, which the trace holds after it,
/// not the NewSessionTicket before it.
#[test]
fn a_server_held_after_its_change_cipher_spec_is_named_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    common::write_pki(dir.path());
    let (_server, server) = common::gnutls_leaf(
        dir.path(),
        "server-rsa2048",
        &["--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2"],
    );
    let relay = held_after_change_cipher_spec(server, Duration::from_secs(4));
    let ca = dir.path().join("root.pem");
    let out = run(harness(&[
        "probe",
        &relay,
        "--servername",
        "localhost",
        "--cafile",
        ca.to_str().expect("utf-8 path"),
        "--timeout",
        "1",
        "--format",
        "json",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", out.stderr);
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains(
            "the server stopped answering for 1 s (--timeout) after its ChangeCipherSpec"
        ),
        "{last}"
    );
    let line = first_json(&out);
    let summary = line["diagnosis"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("the peer stopped answering after its ChangeCipherSpec"),
        "{summary}"
    );
    // What came before it: the ticket, which the words used to name.
    let events = line["trace"]["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let read: Vec<i64> = events
        .iter()
        .filter(|e| e["kind"]["type"] == "message" && e["kind"]["direction"] == "read")
        .filter_map(|e| e["kind"]["handshake_type"].as_i64())
        .collect();
    assert_eq!(
        read.last(),
        Some(&4),
        "NewSessionTicket last read: {read:?}"
    );
}
