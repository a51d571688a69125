//! A trace lives in its SSL's ex_data and dies with it; it never holds key
//! material.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use openssl_handshake::pki::KeyType;
use openssl_handshake::{SslContextBuilderExt, TraceOptions};

#[test]
fn each_recorder_is_freed_with_its_ssl() {
    // The hook's captured Arc is cloned into every connection's recorder,
    // so its count tells how many recorders are alive.
    let marker = Arc::new(());
    let held = marker.clone();
    let server = server_ctx(KeyType::EcdsaP256, move |b| {
        let options = TraceOptions::default().on_complete(move |_| {
            let _ = &held;
        });
        b.trace_handshakes(options).unwrap();
    });
    let client = client_ctx(|_| {});
    let baseline = Arc::strong_count(&marker);
    for _ in 0..20 {
        let pair = connect(&server, &client, None);
        assert!(pair.server.succeeded());
    }
    assert_eq!(
        Arc::strong_count(&marker),
        baseline,
        "every connection's recorder was dropped with its SSL"
    );
    drop(server);
    assert_eq!(
        Arc::strong_count(&marker),
        1,
        "and the context's options with the context"
    );
}

#[test]
fn traces_never_contain_keylog_secrets() {
    let secrets = Arc::new(Mutex::new(Vec::<String>::new()));
    for tls12 in [false, true] {
        let sink = secrets.clone();
        let server = server_ctx(KeyType::Rsa2048, |b| {
            b.trace_handshakes(TraceOptions::default().raw_bytes(true))
                .unwrap();
        });
        let client = client_ctx(move |b| {
            b.trace_handshakes(TraceOptions::default().raw_bytes(true))
                .unwrap();
            if tls12 {
                b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
                    .unwrap();
            }
            b.set_keylog_callback(move |_, line| {
                // "LABEL <client_random> <secret>": keep the secret.
                if let Some(secret) = line.split(' ').nth(2) {
                    sink.lock().unwrap().push(secret.to_lowercase());
                }
            });
        });
        let pair = connect(&server, &client, None);
        assert!(pair.client.succeeded());
        let json = format!("{}{}", pair.client.to_json(), pair.server.to_json()).to_lowercase();
        let secrets = secrets.lock().unwrap();
        assert!(!secrets.is_empty(), "the keylog callback saw secrets");
        for s in secrets.iter() {
            assert!(s.len() >= 32);
            assert!(
                !json.contains(s.as_str()),
                "a keylog secret appears in a trace"
            );
        }
        assert!(
            json.contains("\"raw\""),
            "raw bytes were included, and still no secret"
        );
    }
}

#[test]
fn a_handshake_dropped_unfinished_reaches_the_hook_as_abandoned() {
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let client = client_ctx(move |b| {
        let options = TraceOptions::default().on_complete(move |t| {
            sink.lock().unwrap().push(t.clone());
        });
        b.trace_handshakes(options).unwrap();
    });
    // A "server" that accepts and never answers: the client's read times out.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let _held = listener.accept().unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let result = openssl::ssl::Ssl::new(&client).unwrap().connect(tcp);
    let Err(openssl::ssl::HandshakeError::WouldBlock(mid)) = result else {
        panic!("a read time-out shows as would-block");
    };
    let trace = openssl_handshake::trace(mid.ssl()).unwrap();
    assert_eq!(trace.outcome, openssl_handshake::Outcome::InProgress);
    assert!(reports.lock().unwrap().is_empty(), "no verdict yet");
    drop(mid);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "dropping the SSL reported it once");
    let failure = reports[0].failure().expect("reported as a failure");
    assert_eq!(failure.reason, openssl_handshake::ABANDONED);
    assert_eq!(failure.last_message.as_deref(), Some("wrote ClientHello"));
}

#[test]
fn a_trace_stops_growing_at_max_events() {
    use std::io::{self, Read, Write};

    /// Never has anything to read: every handshake call would block.
    #[derive(Debug)]
    struct Silent;
    impl Read for Silent {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
    impl Write for Silent {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    let client = client_ctx(|_| {});
    let Err(openssl::ssl::HandshakeError::WouldBlock(mut mid)) =
        openssl::ssl::Ssl::new(&client).unwrap().connect(Silent)
    else {
        panic!("nothing to read: would block");
    };
    for _ in 0..openssl_handshake::MAX_EVENTS {
        mid = match mid.handshake() {
            Err(openssl::ssl::HandshakeError::WouldBlock(m)) => m,
            _ => panic!("still nothing to read"),
        };
    }
    let trace = openssl_handshake::trace(mid.ssl()).unwrap();
    assert_eq!(trace.events.len(), openssl_handshake::MAX_EVENTS);
    assert!(trace.events_dropped > 0);
}
