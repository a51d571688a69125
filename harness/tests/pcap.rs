//! A recorded connection written as pcapng opens decrypted in tshark:
//! the TLS 1.3 messages after the ServerHello are visible only through the
//! key log in the file's Decryption Secrets Block. Also `probe --pcap`
//! against `openssl s_server` and `serve --pcap` against `openssl
//! s_client`.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::Duration;

use harness::pcap::{Capture, End};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use testkit::command::stdout_of;
use testkit::pki::{KeyType, Pki};

/// One TLS 1.3 connection, the client's side recorded; with `keys`, the
/// client's key log goes into the capture too.
fn recorded(keys: bool) -> (Capture, u16) {
    let pki = Pki::generate().unwrap();
    let mut acceptor = pki.server(KeyType::EcdsaP256).acceptor().unwrap();
    acceptor
        .set_min_proto_version(Some(SslVersion::TLS1_3))
        .unwrap();
    let acceptor = acceptor.build();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = acceptor.accept(tcp).unwrap();
        let mut buf = [0u8; 4];
        tls.read_exact(&mut buf).unwrap();
        tls.write_all(b"pong").unwrap();
        let _ = tls.shutdown();
    });
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let capture = Capture::new(tcp.local_addr().unwrap(), addr);
    let mut connector = SslConnector::builder(SslMethod::tls()).unwrap();
    connector.set_verify(SslVerifyMode::NONE);
    if keys {
        let log = capture.clone();
        connector.set_keylog_callback(move |_, line| log.keylog(line));
    }
    let mut tls = connector
        .build()
        .connect("localhost", capture.record(tcp, End::Client))
        .unwrap();
    tls.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    tls.read_exact(&mut buf).unwrap();
    let _ = tls.shutdown();
    server.join().unwrap();
    (capture, addr.port())
}

/// The handshake message types tshark sees in the capture.
fn handshake_types(capture: &Capture, port: u16) -> BTreeSet<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tls.pcapng");
    capture.write_pcapng(&path).unwrap();
    types_in_file(&path, port)
}

/// The handshake message types tshark sees in the pcapng file at `path`.
fn types_in_file(path: &std::path::Path, port: u16) -> BTreeSet<u8> {
    let out = stdout_of(
        Command::new("tshark")
            .arg("-r")
            .arg(path)
            .args(["-d", &format!("tcp.port=={port},tls")])
            .args(["-T", "fields", "-e", "tls.handshake.type"]),
        "tshark (apt-get install tshark)",
    );
    String::from_utf8_lossy(&out)
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter_map(|t| t.parse().ok())
        .collect()
}

#[test]
fn tshark_decrypts_the_capture_with_its_embedded_key_log() {
    let (capture, port) = recorded(true);
    let (up, down) = capture.bytes();
    assert!(up > 0 && down > 0);
    let types = handshake_types(&capture, port);
    // ClientHello, ServerHello, then (encrypted) EncryptedExtensions,
    // Certificate, CertificateVerify and Finished.
    for t in [1, 2, 8, 11, 15, 20] {
        assert!(types.contains(&t), "handshake type {t} not in {types:?}");
    }
}

#[test]
fn without_the_key_log_the_encrypted_messages_stay_hidden() {
    let (capture, port) = recorded(false);
    let types = handshake_types(&capture, port);
    assert!(types.contains(&1) && types.contains(&2), "{types:?}");
    assert!(!types.contains(&11), "{types:?}");
}

/// TLS 1.3 handshake types only a decrypting reader sees.
const ENCRYPTED: [u8; 4] = [8, 11, 15, 20];

#[test]
fn probe_pcap_against_s_server_opens_decrypted() {
    let dir = tempfile::tempdir().unwrap();
    common::write_pki(dir.path());
    let f = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-accept", "127.0.0.1:0", "-tls1_3"])
        .args([
            "-cert",
            &f("server-ecdsa-p256.crt"),
            "-key",
            &f("server-ecdsa-p256.key"),
        ])
        .args(["-cert_chain", &f("intermediate.pem")]);
    let server = common::Proc::spawn(cmd);
    let line = common::Proc::wait_line(&server.stdout, common::LIMIT, "ACCEPT", |l| {
        l.starts_with("ACCEPT ")
    });
    let addr = line.trim_start_matches("ACCEPT ").trim().to_owned();
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let pcap = f("probe.pcapng");
    let out = common::run(common::harness(&[
        "probe",
        &addr,
        "--tls1_3",
        "--cafile",
        &f("root.pem"),
        "--servername",
        "localhost",
        "--linger",
        "0.3",
        "--pcap",
        &pcap,
    ]));
    assert!(out.status.success(), "{}{}", out.stdout, out.stderr);
    drop(server);
    let types = types_in_file(std::path::Path::new(&pcap), port);
    for t in ENCRYPTED {
        assert!(types.contains(&t), "handshake type {t} not in {types:?}");
    }
}

#[test]
fn serve_pcap_with_s_client_opens_decrypted() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("serve.pcapng");
    let server = common::Proc::spawn(common::harness(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--key-type",
        "ecdsa-p256",
        "--once",
        "--pcap",
        pcap.to_str().unwrap(),
    ]));
    let line = common::Proc::wait_line(&server.stderr, common::LIMIT, "serve's address", |l| {
        l.starts_with("listening on ")
    });
    let addr = line.trim_start_matches("listening on ").trim().to_owned();
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let mut client = Command::new("openssl");
    client.args(["s_client", "-connect", &addr, "-tls1_3", "-quiet"]);
    let mut client = common::Proc::spawn(client);
    std::thread::sleep(Duration::from_millis(500));
    client.close_stdin();
    client.wait(common::LIMIT);
    let mut server = server;
    assert!(server.wait(common::LIMIT).success(), "serve --once failed");
    let types = types_in_file(&pcap, port);
    for t in ENCRYPTED {
        assert!(types.contains(&t), "handshake type {t} not in {types:?}");
    }
}

/// A pcap file a user names is appended to, never written over: a second
/// capture into it is a new section after the first, each opening
/// decrypted, and a file that is not pcapng is refused and left as it was.
#[test]
fn a_capture_file_keeps_what_it_held() {
    use harness::pcap::PcapFile;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both.pcapng");
    let mut ports = Vec::new();
    for _ in 0..2 {
        let (capture, port) = recorded(true);
        ports.push(port);
        PcapFile::append_to(&path)
            .unwrap()
            .append(&capture)
            .unwrap();
    }
    for &port in &ports {
        let types = types_in_file(&path, port);
        for t in ENCRYPTED {
            assert!(types.contains(&t), "port {port}: type {t} not in {types:?}");
        }
    }
    // A matrix artifact is the record of one run: `create` starts afresh.
    drop(PcapFile::create(&path).unwrap());
    assert!(types_in_file(&path, ports[0]).is_empty());
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "not a capture\n").unwrap();
    let err = PcapFile::append_to(&other).unwrap_err();
    assert!(err.to_string().contains("not a pcapng capture"), "{err}");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "not a capture\n");
}

/// tshark, told to verify TCP checksums, finds every segment's good, over
/// IPv4 and IPv6 (with an odd-length payload, which RFC 1071 pads): tools
/// that drop bad-checksum packets (Zeek, Snort, Suricata) read it all.
#[test]
fn tshark_finds_every_tcp_checksum_good() {
    let (v4, _) = recorded(true);
    let v6 = Capture::new("[::1]:50000".parse().unwrap(), "[::1]:443".parse().unwrap());
    v6.sent(End::Client, b"an odd-length hello", harness::pcap::now_us());
    v6.received(End::Client, &[0x16; 1201]);
    let dir = tempfile::tempdir().unwrap();
    for (name, capture) in [("v4", v4), ("v6", v6)] {
        let path = dir.path().join(format!("{name}.pcapng"));
        capture.write_pcapng(&path).unwrap();
        let out = stdout_of(
            Command::new("tshark")
                .arg("-r")
                .arg(&path)
                .args(["-o", "tcp.check_checksum:TRUE"])
                .args(["-T", "fields", "-e", "tcp.checksum.status"]),
            "tshark (apt-get install tshark)",
        );
        let statuses: Vec<String> = String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_owned)
            .collect();
        // The three-way handshake and at least one segment each way.
        assert!(statuses.len() >= 5, "{name}: {statuses:?}");
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
        assert!(statuses.iter().all(|s| s == "1"), "{name}: {statuses:?}");
    }
}

/// The frames tshark reads in the pcapng file at `path`.
fn frames_in(path: &std::path::Path) -> usize {
    let out = stdout_of(
        Command::new("tshark")
            .arg("-r")
            .arg(path)
            .args(["-T", "fields", "-e", "frame.number"]),
        "tshark (apt-get install tshark)",
    );
    String::from_utf8_lossy(&out).lines().count()
}

/// A probe refused before any connection writes a capture without
/// packets, and says so; one that a server accepts and resets at once
/// still records the TCP handshake that did happen.
#[test]
fn probe_pcap_says_when_it_holds_no_packets() {
    let dir = tempfile::tempdir().unwrap();
    // A port that was free a moment ago refuses.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pcap = dir.path().join("refused.pcapng");
    let target = format!("127.0.0.1:{port}");
    let out = common::run(common::harness(&[
        "probe",
        &target,
        "--pcap",
        pcap.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(3), "{}{}", out.stdout, out.stderr);
    assert_eq!(frames_in(&pcap), 0);
    assert!(
        out.stderr.contains(&format!(
            "note: --pcap {} holds no packets of this connection: no TCP connection was made",
            pcap.display()
        )),
        "{}",
        out.stderr
    );

    // Accepted, then reset: SO_LINGER 0 closes with a RST.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        socket2::SockRef::from(&tcp)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    });
    let pcap = dir.path().join("reset.pcapng");
    let out = common::run(common::harness(&[
        "probe",
        &target,
        "--pcap",
        pcap.to_str().unwrap(),
    ]));
    server.join().unwrap();
    assert!(!out.status.success(), "{}{}", out.stdout, out.stderr);
    let said = out.stderr.contains("holds no packets");
    // Connected (the three-way handshake is there) or told none was.
    assert!(said != (frames_in(&pcap) >= 3), "{}", out.stderr);
}

/// serve cuts a connection's capture at 16 MiB, as probe does, and says
/// so on stderr rather than silently: `openssl s_client` sends 17 MiB of
/// application data from its stdin.
#[test]
fn serve_pcap_says_when_it_cuts_a_capture() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("serve.pcapng");
    let mut server = common::Proc::spawn(common::harness(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--once",
        "--format",
        "summary",
        "--pcap",
        pcap.to_str().unwrap(),
    ]));
    let line = common::Proc::wait_line(&server.stderr, common::LIMIT, "serve's address", |l| {
        l.starts_with("listening on ")
    });
    let addr = line.trim_start_matches("listening on ").trim().to_owned();
    let mut client = Command::new("sh");
    client
        .arg("-c")
        .arg("head -c 17825792 /dev/zero | openssl s_client -connect \"$0\" -quiet")
        .arg(&addr);
    common::run(client);
    assert!(server.wait(common::LIMIT).success(), "serve --once failed");
    let note = common::Proc::wait_line(&server.stderr, common::LIMIT, "the note", |l| {
        l.starts_with("note: ")
    });
    assert!(
        note.contains("--pcap: the capture keeps a connection's first 16 MiB; the ")
            && note.contains(" bytes after them were left out"),
        "{note}"
    );
    let size = std::fs::metadata(&pcap).unwrap().len();
    assert!(size < 17 << 20, "{size} bytes written");
}
