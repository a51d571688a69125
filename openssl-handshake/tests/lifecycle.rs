//! A trace lives in its SSL's ex_data and dies with it; it never holds key
//! material.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use foreign_types::ForeignTypeRef;
use openssl::ssl::{HandshakeError, Ssl};
use openssl_handshake::{SslContextBuilderExt, TraceOptions};
use testkit::pki::KeyType;

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

/// A hook may capture anything, including a value whose drop panics. The
/// options are dropped inside SSL_free and SSL_CTX_free, called from C,
/// where an unwinding panic would abort the process: it must stop there.
#[test]
fn a_panicking_drop_in_a_hook_does_not_abort() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("a captured value's drop panicked");
        }
    }
    let captured = PanicsOnDrop;
    let server = server_ctx(KeyType::EcdsaP256, move |b| {
        let options = TraceOptions::default().on_complete(move |_| {
            let _ = &captured;
        });
        b.trace_handshakes(options).unwrap();
    });
    let client = client_ctx(|_| {});
    let pair = connect(&server, &client, None);
    assert!(pair.server.succeeded());
    // The connections are gone; the context holds the last copy.
    drop(server);
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
    assert_eq!(failure.reason, openssl_handshake::Failure::ABANDONED);
    assert_eq!(failure.last_message.as_deref(), Some("wrote ClientHello"));
}

#[test]
fn a_trace_stops_growing_at_max_events() {
    // The peer end never writes: every handshake call would block.
    let (io, _peer) = testkit::duplex::pair();
    let client = client_ctx(|_| {});
    let Err(openssl::ssl::HandshakeError::WouldBlock(mut mid)) =
        openssl::ssl::Ssl::new(&client).unwrap().connect(io)
    else {
        panic!("nothing to read: would block");
    };
    for _ in 0..openssl_handshake::HandshakeTrace::MAX_EVENTS {
        mid = match mid.handshake() {
            Err(openssl::ssl::HandshakeError::WouldBlock(m)) => m,
            _ => panic!("still nothing to read"),
        };
    }
    let trace = openssl_handshake::trace(mid.ssl()).unwrap();
    assert_eq!(
        trace.events.len(),
        openssl_handshake::HandshakeTrace::MAX_EVENTS
    );
    assert!(trace.events_dropped > 0);
}

#[test]
fn the_hook_leaves_openssls_error_queue_to_the_caller() {
    use std::net::{TcpListener, TcpStream};

    let hooked = Arc::new(Mutex::new(0));
    let count = hooked.clone();
    let server = server_ctx(KeyType::Rsa2048, move |b| {
        b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
            .unwrap();
        b.set_cipher_list("AES256-SHA256").unwrap();
        let options = TraceOptions::default().on_complete(move |t| {
            assert!(t.failure().is_some());
            // A hook using OpenSSL: a failing call reads (and so empties)
            // the thread's error queue, inside the caller's SSL_accept.
            assert!(openssl::x509::X509::from_pem(b"not a certificate").is_err());
            *count.lock().unwrap() += 1;
        });
        b.trace_handshakes(options).unwrap();
    });
    let client = client_ctx(|b| {
        b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
            .unwrap();
        b.set_cipher_list("AES128-SHA256").unwrap();
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let tcp = TcpStream::connect(addr).unwrap();
        set_timeouts(&tcp);
        let _ = openssl::ssl::Ssl::new(&client).unwrap().connect(tcp);
    });
    let (tcp, _) = listener.accept().unwrap();
    set_timeouts(&tcp);
    let err = match openssl::ssl::Ssl::new(&server).unwrap().accept(tcp) {
        Err(openssl::ssl::HandshakeError::Failure(mid)) => mid.error().to_string(),
        _ => panic!("no shared cipher must fail"),
    };
    peer.join().unwrap();
    assert_eq!(*hooked.lock().unwrap(), 1, "the hook ran");
    assert!(
        err.contains("no shared cipher"),
        "the caller still sees OpenSSL's reason: {err}"
    );
}

/// A peer whose client Certificate holds bytes that are not DER: OpenSSL
/// fails the handshake, the hook's snapshot decodes that message too, and
/// the caller must still find OpenSSL's errors in the queue.
#[test]
fn a_malformed_client_certificate_keeps_the_callers_errors() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
            .unwrap();
        b.set_verify(openssl::ssl::SslVerifyMode::PEER);
        b.trace_handshakes(TraceOptions::default().on_complete(|_| {}))
            .unwrap();
    });
    let hello = client_hello_record();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let mut tcp = TcpStream::connect(addr).unwrap();
        set_timeouts(&tcp);
        tcp.write_all(&hello).unwrap();
        // The server's flight ends with ServerHelloDone: 0e 00 00 00.
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.ends_with(&[14, 0, 0, 0]) {
            let n = tcp.read(&mut buf).unwrap();
            assert!(n > 0, "the server closed before ServerHelloDone");
            got.extend_from_slice(&buf[..n]);
        }
        let garbage = [0x30, 0x03, 0xff, 0xff, 0xff];
        let mut msg = vec![
            11,
            0,
            0,
            6 + garbage.len() as u8,
            0,
            0,
            3 + garbage.len() as u8,
        ];
        msg.extend_from_slice(&[0, 0, garbage.len() as u8]);
        msg.extend_from_slice(&garbage);
        let mut record = vec![22, 3, 3, 0, msg.len() as u8];
        record.extend_from_slice(&msg);
        tcp.write_all(&record).unwrap();
        let _ = tcp.read(&mut buf);
    });
    let (tcp, _) = listener.accept().unwrap();
    set_timeouts(&tcp);
    let mid = match openssl::ssl::Ssl::new(&server).unwrap().accept(tcp) {
        Err(openssl::ssl::HandshakeError::Failure(mid)) => mid,
        _ => panic!("a certificate that is not DER must fail the handshake"),
    };
    let trace = openssl_handshake::trace(mid.ssl()).unwrap();
    let errors = mid
        .error()
        .ssl_error()
        .map(|s| s.errors().len())
        .unwrap_or(0);
    let error = mid.error().to_string();
    drop(mid);
    peer.join().unwrap();
    let bad = trace.messages().any(|m| {
        matches!(&m.body, Some(openssl_handshake::decode::Body::Certificate(c))
            if c.subjects.iter().any(|s| s.contains("unparseable")))
    });
    assert!(bad, "the hook's snapshot decoded the bad Certificate");
    assert!(errors > 0, "OpenSSL's errors reached the caller: {error}");
}

/// A real TLS 1.2 ClientHello record, taken from a client writing into memory.
fn client_hello_record() -> Vec<u8> {
    let mut b = openssl::ssl::SslContext::builder(openssl::ssl::SslMethod::tls_client()).unwrap();
    b.set_max_proto_version(Some(openssl::ssl::SslVersion::TLS1_2))
        .unwrap();
    let ctx = b.build();
    let (mut io, _peer) = testkit::duplex::pair();
    io.record_writes();
    match openssl::ssl::Ssl::new(&ctx).unwrap().connect(io) {
        Err(openssl::ssl::HandshakeError::WouldBlock(mid)) => mid.get_ref().written().to_vec(),
        _ => panic!("a client with no server waits after its ClientHello"),
    }
}

/// Reading a trace (which reads the peer's chain, the group and the
/// signature from the SSL) leaves nothing in this thread's OpenSSL error
/// queue: a stale error there would be read as the next SSL call's.
#[test]
fn reading_a_trace_leaves_the_error_queue_empty() {
    for version in [
        openssl::ssl::SslVersion::TLS1_2,
        openssl::ssl::SslVersion::TLS1_3,
    ] {
        let server = server_ctx(KeyType::EcdsaP256, |b| {
            b.set_max_proto_version(Some(version)).unwrap();
        });
        let client = client_ctx(|_| {});
        let (listener, addr) = listener();
        let side = std::thread::spawn(move || {
            let mut tls = accept_tls(&listener, &server).expect("server handshake");
            let trace = openssl_handshake::trace(tls.ssl()).expect("traced");
            assert!(trace.failure().is_none());
            let queued = openssl::error::ErrorStack::get();
            let _ = tls.shutdown();
            queued
        });
        let tls = client_ssl(&client, "localhost")
            .connect(connect_tcp(addr))
            .expect("client handshake");
        let trace = openssl_handshake::trace(tls.ssl()).expect("traced");
        assert!(trace.negotiated.is_some());
        let queued = openssl::error::ErrorStack::get();
        assert!(queued.errors().is_empty(), "{version:?} client: {queued}");
        let queued = side.join().unwrap();
        assert!(queued.errors().is_empty(), "{version:?} server: {queued}");
    }
}

/// A client whose server sends a record header and two bytes of its
/// content, then stalls: the client's 200 ms read time-out ends the wait.
fn stalled_mid_record(
    client: &openssl::ssl::SslContext,
) -> (
    openssl::ssl::MidHandshakeSslStream<std::net::TcpStream>,
    std::net::TcpStream,
) {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    tcp.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // A handshake record of 200 bytes, of which a ServerHello's type and a
    // length byte arrive; sent before the handshake starts, so that the
    // time-out can only end the wait for the rest, however late any
    // thread runs. The client sends its ClientHello, then reads them.
    server
        .write_all(&[0x16, 0x03, 0x03, 0x00, 0xc8, 0x02, 0x00])
        .unwrap();
    let result = openssl::ssl::Ssl::new(client).unwrap().connect(tcp);
    let Err(openssl::ssl::HandshakeError::WouldBlock(mid)) = result else {
        panic!("a read time-out shows as would-block");
    };
    (mid, server)
}

/// The hook of a handshake dropped while a record was half read names
/// that record, as a trace read before the drop does: the peer sent part
/// of it and stalled, which is not a peer that sent nothing.
#[test]
fn a_handshake_dropped_mid_record_names_the_record_it_stalled_in() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let client = client_ctx(move |b| {
        let options = TraceOptions::default().on_complete(move |t| {
            sink.lock().unwrap().push(t.clone());
        });
        b.trace_handshakes(options).unwrap();
    });
    let (mid, _server) = stalled_mid_record(&client);
    drop(mid);
    let reports = reports.lock().unwrap();
    let d = reports[0].diagnosis().expect("a diagnosis");
    assert_eq!(d.cause, openssl_handshake::Cause::TimedOut, "{}", d.summary);
    assert!(
        d.summary
            .contains("sent the header of a handshake record of 200 bytes, then not the rest"),
        "{}",
        d.summary
    );
}

/// An application that gives up with a reason of its own gets a
/// time-out's diagnosis, as one whose SSL was dropped does.
#[test]
fn giving_up_with_a_reason_of_ones_own_reads_as_a_time_out() {
    let client = client_ctx(|b| {
        b.trace_handshakes(TraceOptions::default()).unwrap();
    });
    let (mid, _server) = stalled_mid_record(&client);
    let mut trace = openssl_handshake::trace(mid.ssl()).unwrap();
    trace.gave_up("read timed out after 200 ms");
    let failure = trace.failure().expect("failed");
    assert!(failure.abandoned() && failure.gave_up);
    let d = trace.diagnosis().expect("a diagnosis");
    assert_eq!(d.cause, openssl_handshake::Cause::TimedOut, "{}", d.summary);
    assert!(
        d.summary.contains("handshake record of 200 bytes"),
        "{}",
        d.summary
    );
    assert!(
        d.evidence
            .iter()
            .any(|e| e.value == "read timed out after 200 ms"),
        "{:?}",
        d.evidence
    );
}

/// `&SslRef` may be shared across threads, and reading a trace fills in
/// what was negotiated the first time: readers on several threads at once
/// take turns, and each gets the whole trace.
#[test]
fn readers_on_several_threads_each_get_the_whole_trace() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let client = client_ctx(|b| b.trace_handshakes(TraceOptions::default()).unwrap());
    let (l, addr) = listener();
    let serving = std::thread::spawn(move || serve_one(&l, &server));
    let mut tls = client_ssl(&client, "localhost")
        .connect(connect_tcp(addr))
        .expect("client handshake");
    read_to_close(&mut tls);
    serving.join().expect("server thread");
    let ssl = tls.ssl();
    let seen: Vec<Vec<String>> = std::thread::scope(|s| {
        let readers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..50)
                        .map(|_| {
                            let t = openssl_handshake::trace(ssl).expect("tracing attached");
                            let n = t.negotiated.expect("a finished handshake's terms");
                            format!(
                                "{:?} {} events {}",
                                n.version,
                                n.cipher_openssl,
                                t.events.len()
                            )
                        })
                        .collect()
                })
            })
            .collect();
        readers
            .into_iter()
            .map(|r| r.join().expect("reader"))
            .collect()
    });
    let first = &seen[0][0];
    assert!(first.contains("events"), "{first}");
    for reads in &seen {
        assert!(reads.iter().all(|r| r == first), "{reads:?} != {first}");
    }
}

/// The callbacks remember, per thread, the recorders they last found, so
/// as not to look each one up in ex_data again. An SSL made at a freed
/// one's address (glibc's allocator hands it straight back) must get a
/// recorder of its own: found the freed one's, its callbacks would write
/// there and its own trace would hold no states.
#[test]
fn an_ssl_at_a_freed_ssls_address_gets_its_own_trace() {
    let client = client_ctx(|_| {});
    let mut first_log: Option<String> = None;
    let mut previous = None;
    let mut reused = 0;
    for n in 0..20 {
        let (client_io, _server_io) = testkit::duplex::pair();
        let ssl = Ssl::new(&client).unwrap();
        let address = ssl.as_ptr() as usize;
        reused += usize::from(previous == Some(address));
        previous = Some(address);
        let mid = match ssl.connect(client_io) {
            Err(HandshakeError::WouldBlock(mid)) => mid,
            _ => panic!("a non-blocking client must wait for the server"),
        };
        let log = openssl_handshake::trace(mid.ssl())
            .expect("a traced context's SSL")
            .state_log();
        // The line `openssl s_client -state` prints there.
        assert!(
            log.contains("SSL_connect:SSLv3/TLS write client hello\n"),
            "connection {n} (an address reused {reused} times so far) has its own states:\n{log}"
        );
        let first = first_log.get_or_insert_with(|| log.clone());
        assert_eq!(&log, first, "connection {n} logged what the first did");
    }
    assert!(
        reused > 0,
        "no SSL was made at a freed one's address (glibc's malloc does that; \
         AddressSanitizer and valgrind hold freed memory back), so nothing was checked"
    );
}
