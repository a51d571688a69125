//! tshark's dissection of real handshakes is the reference for the decoded
//! messages: every field tshark shows in ClientHello, ServerHello,
//! EncryptedExtensions, Certificate, CertificateRequest, ServerKeyExchange,
//! ClientKeyExchange, CertificateVerify and NewSessionTicket must be in both
//! peers' JSON traces with the same value, or be named in
//! [`fields::NOT_IN_JSON`] with the reason it is not. Each alert record
//! in a trace has the level and description tshark decrypts from the same
//! place on the wire, and each trace holds as many ChangeCipherSpec
//! records from each peer as tshark sees.
//!
//! The handshakes run between two traced peers over loopback TCP while
//! tshark captures the port; the client's key log lets tshark decrypt the
//! TLS 1.3 messages. Capturing on `lo` needs root (CI runs as root).

mod common;
#[path = "tshark/expected.rs"]
mod expected;
#[path = "tshark/fields.rs"]
mod fields;
#[path = "tshark/hellos.rs"]
mod hellos;

use std::collections::BTreeMap;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::tool::{line_within, lines_of, Reaped};
use common::*;
use openssl::dh::Dh;
use openssl::ssl::{Ssl, SslContext, SslContextBuilder, SslSession, SslVerifyMode, SslVersion};
use serde_json::Value;
use testkit::command::stdout_of;
use testkit::pki::KeyType;

use fields::{compare_message, TsharkMessage};

/// One handshake to capture.
struct Case {
    name: &'static str,
    server_key: KeyType,
    client_key: KeyType,
    tls13: bool,
    ciphers: &'static str,
    dhe: bool,
    /// Connect a second time offering the first connection's session.
    resume: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "TLS 1.2 ECDHE-RSA",
        server_key: KeyType::Rsa2048,
        client_key: KeyType::Rsa2048,
        tls13: false,
        ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
        dhe: false,
        resume: false,
    },
    Case {
        name: "TLS 1.2 ECDHE-ECDSA",
        server_key: KeyType::EcdsaP256,
        client_key: KeyType::EcdsaP256,
        tls13: false,
        ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384",
        dhe: false,
        resume: false,
    },
    Case {
        name: "TLS 1.2 DHE-RSA",
        server_key: KeyType::Rsa2048,
        client_key: KeyType::EcdsaP256,
        tls13: false,
        ciphers: "DHE-RSA-AES128-GCM-SHA256",
        dhe: true,
        resume: false,
    },
    Case {
        name: "TLS 1.3",
        server_key: KeyType::EcdsaP256,
        client_key: KeyType::Rsa2048,
        tls13: true,
        ciphers: "",
        dhe: false,
        resume: true,
    },
];

/// How long tshark may take to start capturing. It loads every dissector
/// and asks its extcap helpers for interfaces first: one start took 14 s
/// on this project's CI machine, the next ones under half a second.
const TSHARK_START: Duration = Duration::from_secs(60);

/// tshark capturing; killed (SIGKILL) and reaped when dropped, whatever
/// happened. It prints each packet as it writes it (`-P -l`), which is
/// how the test knows what the file holds.
struct Capture {
    child: Reaped,
    packets: mpsc::Receiver<String>,
}

impl Capture {
    /// Starts tshark on `lo` for `port` and waits until it captures:
    /// "Capture started", which it prints once dumpcap has its filter
    /// ("Capturing on" comes before dumpcap even runs).
    fn start(port: u16, file: &Path) -> Capture {
        let child = Reaped::spawn(
            Command::new("tshark")
                .args(["-q", "-P", "-l", "-i", "lo", "-f"])
                .arg(format!("tcp port {port}"))
                .arg("-w")
                .arg(file)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let mut child = match child {
            Ok(child) => child,
            Err(e) => panic!("cannot run tshark ({e}): install tshark (apt-get install tshark)"),
        };
        let rx = lines_of(child.stderr.take().expect("tshark stderr"));
        let packets = lines_of(child.stdout.take().expect("tshark stdout"));
        let mut seen = Vec::new();
        if line_within(
            &rx,
            TSHARK_START,
            |l| l.contains("Capture started"),
            |l| seen.push(l),
        )
        .is_err()
        {
            panic!(
                "tshark did not start capturing on lo within {TSHARK_START:?} \
                 (capturing needs root): {seen:?}"
            );
        }
        Capture { child, packets }
    }

    /// Stops the capture with SIGINT, which makes tshark flush the file,
    /// once a last connection to `listener` (its port's) has reached the
    /// file: dumpcap takes packets from the kernel in blocks, every 250 ms,
    /// and drops what it has not taken when stopped.
    #[allow(unsafe_code)] // kill(2) to stop the capture
    fn stop(mut self, listener: &TcpListener) {
        let addr = listener.local_addr().expect("listener address");
        let last = std::net::TcpStream::connect(addr).expect("a last connection");
        let mark = last.local_addr().expect("its address").port().to_string();
        drop(last);
        let mut before = 0usize;
        if line_within(
            &self.packets,
            TSHARK_START,
            |l| l.split_whitespace().any(|w| w == mark),
            |_| before += 1,
        )
        .is_err()
        {
            panic!("tshark did not show the last connection (port {mark}) after {before} packets");
        }
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) only sends a signal; `pid` is our own child, not
        // yet reaped (Capture owns it), so the id cannot name another process.
        let sent = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(sent, 0, "SIGINT to tshark ({pid})");
        self.child.wait_exit();
    }
}

/// The two traces of one connection, as JSON, and the client's port.
struct Traced {
    name: String,
    client_port: u16,
    client: Value,
    server: Value,
}

fn server_ctx_for(case: &Case) -> SslContext {
    server_ctx(case.server_key, |b| {
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        b.set_cert_store(pki().trust_store().expect("trust store"));
        // Resuming a client-authenticated session needs a context id.
        b.set_session_id_context(b"tshark")
            .expect("session id context");
        // CertificateRequest then lists the root by name.
        b.add_client_ca(pki().root()).expect("client CA");
        // With a servername callback OpenSSL acknowledges server_name.
        b.set_servername_callback(|_, _| Ok(()));
        b.set_alpn_select_callback(|_, offered| {
            openssl::ssl::select_next_proto(b"\x08http/1.1", offered)
                .ok_or(openssl::ssl::AlpnError::NOACK)
        });
        if case.dhe {
            b.set_tmp_dh(&Dh::get_2048_256().expect("DH params"))
                .expect("DH params");
        }
    })
}

fn client_ctx_for(case: &Case, keylog: &Arc<Mutex<String>>) -> SslContext {
    let keylog = Arc::clone(keylog);
    client_ctx(move |b: &mut SslContextBuilder| {
        pki()
            .client(case.client_key)
            .install(b)
            .expect("client credential");
        b.set_alpn_protos(b"\x02h2\x08http/1.1").expect("alpn");
        if case.tls13 {
            b.set_min_proto_version(Some(SslVersion::TLS1_3))
                .expect("min version");
        } else {
            b.set_max_proto_version(Some(SslVersion::TLS1_2))
                .expect("max version");
            b.set_cipher_list(case.ciphers).expect("cipher list");
        }
        b.set_keylog_callback(move |_, line| {
            let mut log = keylog.lock().unwrap_or_else(|p| p.into_inner());
            log.push_str(line);
            log.push('\n');
        });
    })
}

/// The connections of `case` on `listener`: handshake, PING, close; both
/// traces of each.
fn run(case: &Case, listener: &TcpListener, keylog: &Arc<Mutex<String>>) -> Vec<Traced> {
    let server = server_ctx_for(case);
    let client = client_ctx_for(case, keylog);
    let (first, session) = connect_once(&server, &client, listener, None);
    let mut traced = vec![Traced {
        name: case.name.to_owned(),
        ..first
    }];
    if case.resume {
        let session = session.expect("a session to resume");
        let (second, _) = connect_once(&server, &client, listener, Some(&session));
        traced.push(Traced {
            name: format!("{} resumed", case.name),
            ..second
        });
    }
    traced
}

#[allow(unsafe_code)] // SSL_set_session, which the openssl crate marks unsafe
fn connect_once(
    server: &SslContext,
    client: &SslContext,
    listener: &TcpListener,
    session: Option<&SslSession>,
) -> (Traced, Option<SslSession>) {
    let addr = listener.local_addr().expect("local addr");
    let listener = listener.try_clone().expect("listener");
    let server = server.clone();
    let server_side = thread::spawn(move || serve_one(&listener, &server));
    let tcp = connect_tcp(addr);
    let client_port = tcp.local_addr().expect("client addr").port();
    let mut ssl = Ssl::new(client).expect("client ssl");
    ssl.set_hostname("localhost").expect("sni");
    if let Some(session) = session {
        // SAFETY: the session comes from a connection on this same client
        // context, as SSL_set_session(3) requires.
        unsafe { ssl.set_session(session) }.expect("set session");
    }
    let mut tls = ssl.connect(tcp).expect("client handshake");
    let mut buf = [0u8; 5];
    // Reading PING also reads the TLS 1.3 tickets sent before it.
    tls.read_exact(&mut buf).expect("client reads ping");
    let next_session = tls.ssl().session().map(|s| s.to_owned());
    if session.is_some() {
        assert!(tls.ssl().session_reused(), "the session was not resumed");
    }
    let _ = tls.shutdown();
    let client_trace = trace_of(&tls);
    let server_trace = server_side.join().expect("server thread");
    let json = |t: &openssl_handshake::HandshakeTrace| {
        serde_json::from_str(&t.to_json()).expect("trace JSON parses")
    };
    let traced = Traced {
        name: String::new(),
        client_port,
        client: json(&client_trace),
        server: json(&server_trace),
    };
    (traced, next_session)
}

/// An alert on the wire, decrypted: who sent it, its level and description.
type WireAlert = (bool, u8, u8);

/// What tshark saw, per client port, each in wire order.
#[derive(Default)]
struct Dissected {
    messages: BTreeMap<u16, Vec<TsharkMessage>>,
    alerts: BTreeMap<u16, Vec<WireAlert>>,
    /// Per ChangeCipherSpec record, whether the client sent it.
    change_cipher_specs: BTreeMap<u16, Vec<bool>>,
}

/// tshark's dissection of `pcap`.
fn dissect(pcap: &Path, keylog: &Path, port: u16) -> Dissected {
    let mut tshark = Command::new("tshark");
    tshark
        .arg("-r")
        .arg(pcap)
        .arg("-o")
        .arg(format!("tls.keylog_file:{}", keylog.display()))
        .arg("-d")
        .arg(format!("tcp.port=={port},tls"))
        .args([
            "-Y",
            "tls.handshake or tls.alert_message or tls.record.content_type == 20",
        ])
        .args(["-T", "json", "--no-duplicate-keys"])
        .args(["-J", "tcp tls"])
        .stdin(Stdio::null());
    let packets: Value =
        serde_json::from_slice(&stdout_of(&mut tshark, "tshark")).expect("tshark JSON");
    let mut seen = Dissected::default();
    for packet in packets.as_array().expect("packet list") {
        let layers = &packet["_source"]["layers"];
        let src: u16 = layers["tcp"]["tcp.srcport"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .expect("tcp.srcport");
        let dst: u16 = layers["tcp"]["tcp.dstport"]
            .as_str()
            .and_then(|p| p.parse().ok())
            .expect("tcp.dstport");
        let (client_port, from_client) = if dst == port {
            (src, true)
        } else {
            (dst, false)
        };
        for tls in as_list(&layers["tls"]) {
            for record in as_list(&tls["tls.record"]) {
                if record["tls.record.content_type"] == "20" {
                    let wire = seen.change_cipher_specs.entry(client_port).or_default();
                    wire.push(from_client);
                }
                for message in as_list(&record["tls.handshake"]) {
                    if let Some(m) = TsharkMessage::from_json(message, from_client) {
                        seen.messages.entry(client_port).or_default().push(m);
                    }
                }
                for alert in as_list(&record["tls.alert_message"]) {
                    let field = |f: &str| alert[f].as_str().and_then(|v| v.parse().ok());
                    let level = field("tls.alert_message.level").expect("alert level");
                    let desc = field("tls.alert_message.desc").expect("alert description");
                    let wire = seen.alerts.entry(client_port).or_default();
                    wire.push((from_client, level, desc));
                }
            }
        }
    }
    seen
}

/// Per ChangeCipherSpec record of a trace, whether the client sent it:
/// those OpenSSL reported (each one it wrote) and those it took unreported.
fn trace_change_cipher_specs(trace: &Value, client_side: bool) -> Vec<bool> {
    event_kinds(trace)
        .filter(|k| k["content_type"] == 20)
        .filter_map(|k| match k["type"].as_str() {
            Some("message") => Some((k["direction"] == "write") == client_side),
            Some("unreported_record") => Some(!client_side),
            _ => None,
        })
        .collect()
}

/// The alert records of a trace, as (sent by the client, level,
/// description).
fn trace_alerts(trace: &Value, client_side: bool) -> Vec<WireAlert> {
    event_kinds(trace)
        .filter(|k| k["type"] == "message" && k["content_type"] == 21)
        .map(|k| {
            let alert = &k["body"]["Alert"];
            let byte = |f: &str| alert[f].as_u64().and_then(|v| u8::try_from(v).ok());
            let level = byte("level").unwrap_or_else(|| panic!("an undecoded alert: {k}"));
            let desc = byte("description").unwrap_or_else(|| panic!("an undecoded alert: {k}"));
            let wrote = k["direction"] == "write";
            (wrote == client_side, level, desc)
        })
        .collect()
}

/// Each event's `kind`, in order.
fn event_kinds(trace: &Value) -> impl Iterator<Item = &Value> {
    trace["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| &e["kind"])
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// The handshake messages of a trace, as (sent by the client, type, message).
fn trace_messages(trace: &Value, client_side: bool) -> Vec<(bool, u8, &Value)> {
    event_kinds(trace)
        .filter(|k| k["type"] == "message" && k["content_type"] == 22)
        .filter_map(|k| {
            let ty = u8::try_from(k["handshake_type"].as_u64()?).ok()?;
            let wrote = k["direction"] == "write";
            Some((wrote == client_side, ty, k))
        })
        .collect()
}

#[test]
fn decoded_messages_match_tsharks_dissection() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("temp dir");
    let pcap = dir.path().join("handshakes.pcapng");
    let keylog_path = dir.path().join("keylog.txt");
    let keylog = Arc::new(Mutex::new(String::new()));

    // Made first: only the wait for the capture to start stands between
    // it and the first connection.
    let _ = pki();
    let capture = Capture::start(port, &pcap);
    let traced: Vec<Traced> = CASES
        .iter()
        .flat_map(|c| run(c, &listener, &keylog))
        .collect();
    capture.stop(&listener);
    std::fs::write(&keylog_path, keylog.lock().expect("keylog").as_bytes()).expect("keylog");

    let Dissected {
        messages: dissected,
        alerts: wire_alerts,
        change_cipher_specs,
    } = dissect(&pcap, &keylog_path, port);
    let mut problems = Vec::new();
    let mut compared = 0usize;
    for traced in &traced {
        let wire = dissected
            .get(&traced.client_port)
            .unwrap_or_else(|| panic!("{}: tshark saw no handshake", traced.name));
        for (side, trace, client_side) in [
            ("client", &traced.client, true),
            ("server", &traced.server, false),
        ] {
            let ours = trace_messages(trace, client_side);
            let mut nth: BTreeMap<(bool, u8), usize> = BTreeMap::new();
            for m in wire.iter().filter(|m| m.is_compared()) {
                let n = nth.entry((m.from_client, m.handshake_type)).or_default();
                let found = ours
                    .iter()
                    .filter(|(c, t, _)| *c == m.from_client && *t == m.handshake_type)
                    .nth(*n);
                *n += 1;
                let context = format!("{} ({side}'s trace), {}", traced.name, m.describe());
                match found {
                    Some((_, _, ours)) => {
                        compared += 1;
                        problems.extend(
                            compare_message(m, ours)
                                .into_iter()
                                .map(|p| format!("{context}: {p}")),
                        );
                    }
                    None => problems.push(format!("{context}: not in the trace")),
                }
            }
        }
    }
    // Each alert record a trace holds is the one tshark decrypted from the
    // same sender at the same place in that connection.
    let mut alerts_compared = 0usize;
    for traced in &traced {
        let wire = wire_alerts
            .get(&traced.client_port)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (side, trace, client_side) in [
            ("client", &traced.client, true),
            ("server", &traced.server, false),
        ] {
            let mut nth: BTreeMap<bool, usize> = BTreeMap::new();
            for ours in trace_alerts(trace, client_side) {
                let n = nth.entry(ours.0).or_default();
                let on_wire = wire.iter().filter(|a| a.0 == ours.0).nth(*n);
                *n += 1;
                alerts_compared += 1;
                if on_wire != Some(&ours) {
                    problems.push(format!(
                        "{} ({side}'s trace): alert (from client, level, description) {ours:?}, \
                         tshark: {on_wire:?}",
                        traced.name
                    ));
                }
            }
        }
    }
    // Each trace holds every ChangeCipherSpec record of its connection,
    // the peer's too, which OpenSSL takes without reporting.
    let mut ccs_compared = 0usize;
    for traced in &traced {
        let wire = change_cipher_specs
            .get(&traced.client_port)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let count = |v: &[bool], from_client: bool| v.iter().filter(|c| **c == from_client).count();
        for (side, trace, client_side) in [
            ("client", &traced.client, true),
            ("server", &traced.server, false),
        ] {
            let ours = trace_change_cipher_specs(trace, client_side);
            ccs_compared += ours.len();
            for from_client in [true, false] {
                let (n, on_wire) = (count(&ours, from_client), count(wire, from_client));
                if n != on_wire {
                    problems.push(format!(
                        "{} ({side}'s trace): {n} ChangeCipherSpec records from the {}, tshark: {on_wire}",
                        traced.name,
                        if from_client { "client" } else { "server" }
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Both peers send one in every case (TLS 1.3's for middlebox
    // compatibility), and each trace holds both.
    assert!(
        ccs_compared >= 4 * traced.len(),
        "only {ccs_compared} ChangeCipherSpec records compared"
    );
    // Every case has its key messages on the wire, seen from both sides.
    for ty in [1u8, 2, 11, 13, 15, 12, 8, 4] {
        assert!(
            dissected.values().flatten().any(|m| m.handshake_type == ty),
            "tshark showed no message of type {ty}: check the capture"
        );
    }
    assert!(compared >= 2 * 30, "only {compared} messages compared");
    // Each connection closes with close_notify: the client's in both
    // traces, the server's in its own.
    assert!(
        alerts_compared >= 3 * traced.len(),
        "only {alerts_compared} alerts compared"
    );
}
