//! The runner's tests: a good client asked again, and silence named.

use std::net::{TcpListener, TcpStream};

use testkit::pki::{KeyType, Pki};

use super::*;

/// A server at its connection limit closes new connections at accept
/// until its workers drain (`serve --max-connections`): the good client
/// after a case asks again within its time-out, and says it had to.
/// A server that never serves again still fails the check.
#[test]
fn a_server_that_turns_clients_away_for_a_while_is_asked_again() {
    let pki = Pki::generate().expect("test PKI");
    let acceptor = pki
        .server(KeyType::EcdsaP256)
        .acceptor()
        .expect("acceptor")
        .build();
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let addr = listener.local_addr().expect("address");
    let server = std::thread::spawn(move || {
        for (i, stream) in listener.incoming().take(4).enumerate() {
            let stream = stream.expect("accept");
            if i < 3 {
                drop(stream);
            } else if let Ok(mut tls) = acceptor.accept(stream) {
                let mut line = [0u8; 64];
                let _ = io::Read::read(&mut tls, &mut line);
            }
        }
    });
    let opts = HostileOptions::default();
    let suite = |addr| Suite::at(addr, &opts);
    let desc = suite(addr)
        .served_afterwards()
        .expect("served at the fourth try");
    assert!(desc.contains("3 turned away"), "{desc}");
    server.join().expect("server thread");

    // One that only ever closes: the check fails once the time-out is
    // spent, naming the tries.
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || listener.incoming().for_each(drop));
    let opts = HostileOptions {
        timeout: Duration::from_secs(1),
        ..HostileOptions::default()
    };
    let start = Instant::now();
    let e = Suite {
        opts: &opts,
        ..suite(addr)
    }
    .served_afterwards()
    .expect_err("never served");
    assert_eq!(e.stopped, Some(Stop::Serving), "turned away to the end");
    let e = e.text;
    assert!(e.contains("earlier tries"), "{e}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "bounded by the time-out"
    );

    // Nothing listening: a crashed server, not a busy one; final at once.
    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port just freed");
    let e = Suite {
        opts: &opts,
        ..suite(addr)
    }
    .served_afterwards()
    .expect_err("refused");
    assert_eq!(e.stopped, Some(Stop::Connections), "nothing listens");
    let e = e.text;
    assert!(
        e.starts_with("connect: ") && !e.contains("earlier tries"),
        "{e}"
    );
}

/// A server that takes the connection, reads the ClientHello and resets
/// it, as one at its connection limit does: the good client's failure
/// names that, not only the reset.
#[test]
fn a_good_client_turned_away_after_its_hello_is_said_to_be() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().expect("accept");
        let mut header = [0u8; 5];
        let _ = io::Read::read_exact(&mut tcp, &mut header);
        // Closing with the rest of the hello unread sends a reset.
    });
    let opts = HostileOptions::default();
    let e = Suite::at(addr, &opts)
        .good_handshake()
        .expect_err("turned away");
    assert!(e.starts_with("handshake: "), "{e}");
    assert!(
        e.contains("turned away, as a server at its connection limit does"),
        "{e}"
    );
}

/// A listener that accepts nothing and says nothing: the good client's
/// wait ends at its read time-out, and says so.
#[test]
fn a_silent_server_is_reported_as_silence_not_a_would_block() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listener");
    let tcp = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let timeout = Duration::from_millis(200);
    tcp.set_read_timeout(Some(timeout)).expect("time-out");
    let ctx = good_client_context().expect("context");
    let e = Ssl::new(&ctx)
        .expect("ssl")
        .connect(tcp)
        .expect_err("nothing answers");
    assert_eq!(
        wire::handshake_error(e, timeout),
        "the server stopped answering (200 ms read time-out)"
    );
}
