//! How tracing attaches: per context, per SSL, twice, and next to a
//! foreign info callback.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;

use common::*;
use foreign_types::ForeignTypeRef;
use openssl::ssl::{ErrorCode, Ssl, SslContext, SslMethod, SslStream, SslVerifyMode};
use openssl_handshake::{SslContextBuilderExt, SslRefExt, TraceOptions};
use testkit::duplex::{self, DuplexStream};
use testkit::pki::KeyType;

#[test]
fn a_single_ssl_can_be_traced_without_its_context() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let mut b = SslContext::builder(SslMethod::tls_client()).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    let untraced = b.build();

    let (listener, addr) = listener();
    let srv = thread::spawn(move || trace_of(&accept_tls(&listener, &server).unwrap()));
    let tcp = connect_tcp(addr);

    let mut plain = Ssl::new(&untraced).unwrap();
    assert!(
        openssl_handshake::trace(&plain).is_none(),
        "nothing attached yet"
    );
    plain.trace_handshake(TraceOptions::default()).unwrap();
    let tls = plain.connect(tcp).unwrap();
    let client = trace_of(&tls);
    assert!(client.succeeded());
    assert!(client
        .state_log()
        .starts_with("SSL_connect:before SSL initialization\n"));
    assert!(client.messages().count() > 3);
    assert!(srv.join().unwrap().succeeded());

    // Another SSL of the same untraced context records nothing.
    assert!(openssl_handshake::trace(&Ssl::new(&untraced).unwrap()).is_none());
}

/// Before its handshake begins, a connection of a traced context has an
/// empty trace in progress, told apart from one nothing traces.
#[test]
fn a_traced_connection_not_yet_started_has_an_empty_trace() {
    let traced = client_ctx(|_| {});
    let trace = openssl_handshake::trace(&Ssl::new(&traced).unwrap()).expect("traced");
    assert!(matches!(
        trace.outcome,
        openssl_handshake::Outcome::InProgress
    ));
    assert_eq!(trace.events.len(), 0);
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let trace = openssl_handshake::trace(&Ssl::new(&server).unwrap()).expect("traced");
    assert_eq!(trace.side, openssl_handshake::Side::Server);
}

/// Attaching to an SSL mid-handshake (here from its servername callback,
/// after the first callbacks made its recorder) replaces the recorder.
/// The message callback finds the recorder through its argument, so that
/// must follow: later messages land in the new recorder, with its options,
/// not in the freed first one.
#[test]
fn attaching_mid_handshake_records_into_the_new_recorder() {
    let server = server_ctx(KeyType::EcdsaP256, |b| {
        b.set_servername_callback(|ssl, _| {
            ssl.trace_handshake(TraceOptions::default().raw_bytes(true))
                .map_err(|_| openssl::ssl::SniError::ALERT_FATAL)
        });
    });
    let client = client_ctx(|_| {});
    let pair = connect(&server, &client, None);
    assert!(pair.server.succeeded());
    let messages: Vec<_> = pair.server.messages().collect();
    assert!(messages.len() > 3, "{} messages", messages.len());
    assert!(
        messages.iter().all(|m| m.raw.is_some()),
        "every message kept its bytes, as only the new options ask"
    );
}

/// The replaced recorder's handshake was not abandoned: its hook hears
/// nothing, and the new recorder's hook hears the handshake succeed.
#[test]
fn attaching_mid_handshake_reports_once_to_the_new_options() {
    let heard = |log: &Arc<Mutex<Vec<String>>>| {
        let log = log.clone();
        move |t: &openssl_handshake::HandshakeTrace| {
            let what = match t.failure() {
                Some(f) => format!("failed: {}", f.reason),
                None => "succeeded".to_owned(),
            };
            log.lock().unwrap().push(what);
        }
    };
    let first: Arc<Mutex<Vec<String>>> = Arc::default();
    let second: Arc<Mutex<Vec<String>>> = Arc::default();
    let (on_first, on_second) = (heard(&first), heard(&second));
    let server = server_ctx(KeyType::EcdsaP256, move |b| {
        b.trace_handshakes(TraceOptions::default().on_complete(on_first))
            .unwrap();
        b.set_servername_callback(move |ssl, _| {
            let options = TraceOptions::default().on_complete(on_second.clone());
            ssl.trace_handshake(options)
                .map_err(|_| openssl::ssl::SniError::ALERT_FATAL)
        });
    });
    let client = client_ctx(|_| {});
    let pair = connect(&server, &client, None);
    assert!(pair.server.succeeded());
    drop(pair);
    assert_eq!(*first.lock().unwrap(), Vec::<String>::new());
    assert_eq!(*second.lock().unwrap(), ["succeeded"]);
}

/// A handshake taken over by a new trace and then dropped unfinished is
/// reported abandoned once, by the new trace, though no callback ran after
/// the switch.
#[test]
fn a_handshake_taken_over_and_dropped_is_reported_once() {
    let first: Arc<Mutex<Vec<String>>> = Arc::default();
    let second: Arc<Mutex<Vec<String>>> = Arc::default();
    let heard = |log: &Arc<Mutex<Vec<String>>>| {
        let log = log.clone();
        move |t: &openssl_handshake::HandshakeTrace| {
            log.lock().unwrap().push(format!("{:?}", t.succeeded()));
        }
    };
    let client = client_ctx(|b| {
        b.trace_handshakes(TraceOptions::default().on_complete(heard(&first)))
            .unwrap();
    });
    // No server: the ClientHello goes out and no answer comes.
    let (client_io, _server_io) = duplex::pair();
    let mut stream = SslStream::new(Ssl::new(&client).unwrap(), client_io).unwrap();
    let waiting = stream.connect().unwrap_err();
    assert_eq!(waiting.code(), ErrorCode::WANT_READ, "{waiting}");
    // SAFETY: the stream owns the SSL and is borrowed mutably for as long
    // as the reference lives; the openssl crate gives no `&mut SslRef` of
    // a stream mid-handshake, which is what an application's own callback
    // would hold.
    #[allow(unsafe_code)]
    let ssl = unsafe { openssl::ssl::SslRef::from_ptr_mut(stream.ssl().as_ptr()) };
    ssl.trace_handshake(TraceOptions::default().on_complete(heard(&second)))
        .unwrap();
    drop(stream);
    assert_eq!(*first.lock().unwrap(), Vec::<String>::new());
    assert_eq!(*second.lock().unwrap(), ["false"]);
}

#[test]
fn attaching_twice_replaces_the_options() {
    let server = server_ctx(KeyType::EcdsaP256, |b| {
        b.trace_handshakes(TraceOptions::default().messages(false))
            .unwrap();
    });
    let client = client_ctx(|_| {});
    let pair = connect(&server, &client, None);
    assert!(pair.server.succeeded());
    assert_eq!(
        pair.server.messages().count(),
        0,
        "the second call turned messages off"
    );
    assert!(
        pair.server.states().count() > 5,
        "with messages off the states are still recorded"
    );
    assert_eq!(
        pair.server
            .events
            .iter()
            .filter(|e| matches!(e.kind, openssl_handshake::EventKind::HandshakeStart))
            .count(),
        1
    );
}

#[test]
fn a_trace_read_mid_handshake_is_a_consistent_snapshot() {
    use openssl::ssl::HandshakeError;
    use openssl_handshake::{ExitStatus, Outcome};

    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    let client = client_ctx(|_| {});
    let (client_io, server_io) = duplex::pair();
    let mut ssl = Ssl::new(&client).unwrap();
    ssl.set_hostname("localhost").unwrap();
    ssl.param_mut().set_host("localhost").unwrap();
    let mid = match ssl.connect(client_io) {
        Err(HandshakeError::WouldBlock(mid)) => mid,
        _ => panic!("a non-blocking client must wait for the server"),
    };
    let early = openssl_handshake::trace(mid.ssl()).unwrap();
    assert_eq!(early.outcome, Outcome::InProgress);
    assert!(early.would_block_count() >= 1);
    assert!(early.events.iter().any(|e| matches!(&e.kind, openssl_handshake::EventKind::Exit(x) if x.status == ExitStatus::WouldBlock)));
    // s_client prints would-block exits as "error in", and so do we.
    assert!(
        early
            .state_log()
            .contains("SSL_connect:error in SSLv3/TLS write client hello\n"),
        "{}",
        early.state_log()
    );

    // Drive both sides to the end in one thread.
    let srv = match Ssl::new(&server).unwrap().accept(server_io) {
        Err(HandshakeError::WouldBlock(mid)) => mid,
        _ => panic!("the server needs the client's Finished"),
    };
    type Progress = Result<
        openssl::ssl::SslStream<DuplexStream>,
        openssl::ssl::MidHandshakeSslStream<DuplexStream>,
    >;
    fn step(p: Progress) -> Progress {
        match p {
            Err(mid) => match mid.handshake() {
                Ok(s) => Ok(s),
                Err(HandshakeError::WouldBlock(m)) => Err(m),
                Err(e) => panic!("handshake failed: {e}"),
            },
            done => done,
        }
    }
    let (mut cli, mut srv): (Progress, Progress) = (Err(mid), Err(srv));
    for _ in 0..20 {
        cli = step(cli);
        srv = step(srv);
    }
    let (client_done, server_done) = (cli.ok(), srv.ok());
    let done = trace_of(client_done.as_ref().expect("client finished"));
    assert!(done.succeeded());
    assert_eq!(
        &done.events[..early.events.len()],
        &early.events[..],
        "the snapshot was a prefix"
    );
    assert!(trace_of(server_done.as_ref().expect("server finished")).succeeded());
}

/// Runs a whole handshake in memory on this thread.
fn handshake_in_memory(server: &SslContext, client: &SslContext) -> (bool, bool) {
    use openssl::ssl::{HandshakeError, MidHandshakeSslStream, SslStream};
    type Progress = Result<SslStream<DuplexStream>, MidHandshakeSslStream<DuplexStream>>;
    fn start(r: Result<SslStream<DuplexStream>, HandshakeError<DuplexStream>>) -> Option<Progress> {
        match r {
            Ok(s) => Some(Ok(s)),
            Err(HandshakeError::WouldBlock(m)) => Some(Err(m)),
            Err(_) => None,
        }
    }
    fn step(p: Option<Progress>) -> Option<Progress> {
        match p? {
            Err(mid) => start(mid.handshake()),
            done => Some(done),
        }
    }
    let (client_io, server_io) = duplex::pair();
    let mut c = start(Ssl::new(client).unwrap().connect(client_io));
    let mut s = start(Ssl::new(server).unwrap().accept(server_io));
    for _ in 0..10 {
        c = step(c);
        s = step(s);
    }
    let done = |p: &Option<Progress>| matches!(p, Some(Ok(stream)) if openssl_handshake::trace(stream.ssl()).is_some_and(|t| t.succeeded()));
    (done(&c), done(&s))
}

#[test]
fn a_hook_that_reenters_openssl_on_the_same_context_works() {
    use std::cell::Cell;
    use std::sync::{Arc, Mutex};
    thread_local!(static DEPTH: Cell<u32> = const { Cell::new(0) });

    // The hook runs a nested traced handshake on the very context whose
    // callback is calling it: the recorder lock is released before the
    // hook runs, so this must neither deadlock nor corrupt either trace.
    let nested_ok = Arc::new(Mutex::new(None));
    // Taken out again at the end: the hook holding its own context is a
    // reference cycle.
    let contexts: Arc<Mutex<Option<(SslContext, SslContext)>>> = Arc::default();
    let (seen, ctxs) = (nested_ok.clone(), contexts.clone());
    let server = server_ctx(KeyType::EcdsaP256, move |b| {
        let options = TraceOptions::default().on_complete(move |_| {
            if DEPTH.with(|d| d.replace(d.get() + 1)) == 0 {
                let pair = ctxs.lock().unwrap().clone();
                if let Some((server, client)) = pair {
                    *seen.lock().unwrap() = Some(handshake_in_memory(&server, &client));
                }
            }
            DEPTH.with(|d| d.set(d.get() - 1));
        });
        b.trace_handshakes(options).unwrap();
    });
    let client = client_ctx(|b| b.set_verify(SslVerifyMode::NONE));
    *contexts.lock().unwrap() = Some((server.clone(), client.clone()));
    let (client_ok, server_ok) = handshake_in_memory(&server, &client);
    assert!(client_ok && server_ok, "the outer handshake finished");
    assert_eq!(
        *nested_ok.lock().unwrap(),
        Some((true, true)),
        "the nested one did too"
    );
    contexts.lock().unwrap().take();
}
