//! An alert record's line in the message log reads as `openssl s_client
//! -msg` prints it for the same bytes, for an alert description its
//! table names and for ones it does not (IANA's no_application_protocol,
//! an unassigned 254): both print `???` there.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::diagnosis::{read_record, traced_client};
use common::tool::{openssl, OPENSSL_S_CLIENT};
use common::{client_ctx, raw_server};
use testkit::command::output_of;

/// A server that answers the ClientHello with a fatal alert of
/// `description` in a TLS 1.2 record, for one connection.
fn alerting_server(description: u8) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    raw_server(move |mut tcp| {
        let _ = read_record(&mut tcp);
        let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, description]);
    })
}

/// The first line of `log` that heads a received alert record, without
/// the record version our log adds.
fn alert_line(log: &str) -> String {
    let line = log
        .lines()
        .find(|l| l.starts_with("<<< ") && l.contains(", Alert ["))
        .unwrap_or_else(|| panic!("no alert line in:\n{log}"));
    line.split(" (record ").next().unwrap_or(line).to_owned()
}

#[test]
fn alert_lines_read_as_s_client_msg_prints_them() {
    for description in [116, 120, 254] {
        let (addr, server) = alerting_server(description);
        let (_, stdout, _) = output_of(
            openssl()
                .args(["s_client", "-msg", "-connect", &addr.to_string()])
                .stdin(Stdio::null()),
            OPENSSL_S_CLIENT,
        );
        server.join().expect("server thread");
        let theirs = alert_line(&String::from_utf8_lossy(&stdout));

        let (addr, server) = alerting_server(description);
        let trace = traced_client(&client_ctx(|_| {}), addr, "localhost", |_| {});
        server.join().expect("server thread");
        assert_eq!(
            alert_line(&trace.message_log()),
            theirs,
            "alert {description}"
        );
    }
}
