//! `tls-harness scan` against stateful TLS 1.3 tickets (`s_server
//! -no_ticket`): the session lives in the server's cache, which a server
//! clears when a connection ends without close_notify, so the scan must
//! close its ticket probe properly to see the resumption that is there.

mod common;
mod scan_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::write_pki;

use scan_support::hello_proxy::{hello_proxy, offers_session_id, HelloAction};
use scan_support::*;

#[test]
fn stateful_tls13_tickets_resume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &["-no_ticket"]);
    // The reference: s_client, given time for the tickets, then resuming.
    let session = p(d, "s_client.session");
    let s_client = |session_flag: &str| {
        let mut c = Command::new("openssl");
        c.args([
            "s_client",
            "-connect",
            &addr,
            "-tls1_3",
            session_flag,
            &session,
        ]);
        common::s_client_held(c, Duration::from_secs(1))
            .stdout
            .join("\n")
    };
    assert!(s_client("-sess_out").contains("New, TLSv1.3"));
    let again = s_client("-sess_in");
    assert!(again.contains("Reused, TLSv1.3"), "{again}");

    let r = scan_json(d, &addr, &[]);
    check_probes(&r);
    let psk = resumption(&r, "psk");
    assert_eq!(psk["resumed"], "yes", "{psk}");
    // -no_ticket: no TLS 1.2 ticket, and the id cache answers instead.
    assert_eq!(resumption(&r, "ticket")["resumed"], "no");
    assert_eq!(resumption(&r, "session_id")["resumed"], "yes");
}

/// A server that sends no TLS 1.3 ticket (`s_server -num_tickets 0`, for
/// which s_client, given a second, prints no "Post-Handshake New Session
/// Ticket") reads as no PSK resumption and no early data, each saying how
/// long the probe waited: as long as any read, since a ticket may come
/// late.
#[test]
fn no_tls13_ticket_says_how_long_it_was_waited_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = s_server(d, &["-num_tickets", "0"]);
    let mut c = Command::new("openssl");
    c.args(["s_client", "-connect", &addr, "-tls1_3"]);
    let said = common::s_client_held(c, Duration::from_secs(1)).stdout;
    assert!(said.iter().any(|l| l.contains("New, TLSv1.3")), "{said:?}");
    assert!(
        !said
            .iter()
            .any(|l| l.contains("Post-Handshake New Session Ticket")),
        "{said:?}"
    );

    // scan_support runs every scan with --timeout 3.
    let r = scan_json(d, &addr, &[]);
    let psk = resumption(&r, "psk");
    assert_eq!(psk["resumed"], "no", "{psk}");
    let waited = "no NewSessionTicket came within 3 s of the handshake (--timeout)";
    assert_eq!(psk["detail"], waited, "{psk}");
    let early = &r["findings"]["early_data"];
    assert_eq!(early["offered"], "no", "{early}");
    assert_eq!(
        early["detail"],
        format!("{waited}, so no ticket to send early data with"),
        "{early}"
    );
}

/// Python's ssl server (the linked OpenSSL under it) with no TLS 1.3
/// ticket (`num_tickets = 0`), on a free port, doing `then` with the TLS
/// socket `t` after each handshake.
fn python_server(d: &Path, then: &str) -> (common::Proc, String) {
    let (chain, key) = (p(d, "server-rsa2048.chain.pem"), p(d, "server-rsa2048.key"));
    let script = format!(
        "import socket, ssl, sys, threading, time\n\
         ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
         ctx.load_cert_chain(sys.argv[2], sys.argv[3])\n\
         ctx.num_tickets = 0\n\
         def serve(c):\n    \
             try:\n        \
                 t = ctx.wrap_socket(c, server_side=True)\n        \
                 {then}\n    \
             except (OSError, ssl.SSLError):\n        \
                 pass\n    \
             c.close()\n\
         s = socket.create_server(('127.0.0.1', int(sys.argv[1])))\n\
         while True:\n    \
             c, _ = s.accept()\n    \
             threading.Thread(target=serve, args=(c,), daemon=True).start()\n"
    );
    let (server, port) = common::ports::serve_on_free_port(|port| {
        let mut c = Command::new("python3");
        c.args(["-c", &script, &port.to_string(), &chain, &key]);
        c
    });
    (server, format!("127.0.0.1:{port}"))
}

/// A TLS 1.3 server that ends each connection right after its handshake,
/// with no ticket (s_client: no ticket, "closed"): no PSK resumption, said
/// as the close it was, not as a wait that ran out.
#[test]
fn a_close_after_the_handshake_is_said_to_end_the_wait() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = python_server(d, "t.unwrap()");
    let r = scan_json(d, &addr, &[]);
    let psk = resumption(&r, "psk");
    assert_eq!(psk["resumed"], "no", "{psk}");
    let detail = psk["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("the server ended the connection "),
        "{psk}"
    );
    assert!(
        detail.ends_with(" after the handshake, sending no NewSessionTicket"),
        "{psk}"
    );
}

/// A TLS 1.3 server that greets first (as a mail server on its TLS port
/// does), with no ticket: the greeting ends the wait, which no ticket can
/// follow unread, and the finding says so, at once rather than after
/// --timeout.
#[test]
fn a_greeting_before_any_ticket_is_said_to_end_the_wait() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = python_server(d, "t.sendall(b'* OK hello\\r\\n'); time.sleep(5)");
    let r = scan_json(d, &addr, &[]);
    let psk = resumption(&r, "psk");
    assert_eq!(psk["resumed"], "no", "{psk}");
    let detail = psk["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("the server sent application data "),
        "{psk}"
    );
    assert!(
        detail.ends_with(" after the handshake, before any NewSessionTicket"),
        "{psk}"
    );
}

/// A second handshake the server answered after the scan had given up on
/// it: the server resumed the session, then met the closed connection,
/// and OpenSSL dropped the session with the failed connection. The retry
/// offering it got a full handshake, which is no proof that the server
/// does not resume: the scan makes the pair again, and finds it does.
#[test]
fn a_resumption_answered_too_late_is_made_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, upstream) = s_server(d, &["-no_ticket"]);
    let swallowed = std::sync::atomic::AtomicBool::new(false);
    let addr = hello_proxy(upstream, move |hello| {
        let first = !swallowed.load(std::sync::atomic::Ordering::Relaxed);
        if first && offers_session_id(hello) {
            swallowed.store(true, std::sync::atomic::Ordering::Relaxed);
            HelloAction::Swallow
        } else {
            HelloAction::Pass
        }
    });
    let r = scan_json(d, &addr, &[]);
    let session_id = resumption(&r, "session_id");
    assert_eq!(session_id["resumed"], "yes", "{session_id}");
    assert_eq!(
        strings(&session_id["probes"]),
        ["1", "2", "3", "4"].map(|n| format!("resume/session_id/{n}")),
        "{session_id}"
    );
    let second = &r["probes"]["resume/session_id/2"];
    assert!(second["retried_after"].is_string(), "{second}");
    // The pair made again is said to be.
    assert!(
        session_id["detail"]
            .as_str()
            .is_some_and(|t| t.contains("on a second pair")),
        "{session_id}"
    );
}
