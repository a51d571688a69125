//! `tls-harness scan` against stateful TLS 1.3 tickets (`s_server
//! -no_ticket`): the session lives in the server's cache, which a server
//! clears when a connection ends without close_notify, so the scan must
//! close its ticket probe properly to see the resumption that is there.

mod common;
mod scan_support;

use std::process::Command;
use std::time::Duration;

use common::write_pki;

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
/// long the probe waited: a ticket may come after any wait.
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

    let r = scan_json(d, &addr, &[]);
    let psk = resumption(&r, "psk");
    assert_eq!(psk["resumed"], "no", "{psk}");
    let waited = "no NewSessionTicket came within ";
    let detail = psk["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with(waited), "{psk}");
    assert!(detail.ends_with(" of the handshake"), "{psk}");
    let early = &r["findings"]["early_data"];
    assert_eq!(early["offered"], "no", "{early}");
    let detail = early["detail"].as_str().unwrap_or_default();
    assert!(detail.starts_with(waited), "{early}");
}
