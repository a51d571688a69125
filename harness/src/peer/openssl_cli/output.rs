//! Reading what `openssl s_client` and `s_server` print: the state
//! lines, the session printout, alerts and error lines.

use crate::case::Role;
use crate::peer::external;
use crate::peer::process::Captured;
use crate::peer::{ExternalView, SideOutcome};

/// Alerts on `-state` lines: "SSL3 alert write:fatal:handshake failure".
fn alerts(lines: &[String], view: &mut ExternalView) {
    for l in lines {
        let Some(rest) = l.strip_prefix("SSL3 alert ") else {
            continue;
        };
        let mut parts = rest.splitn(3, ':');
        let (dir, level, words) = (parts.next(), parts.next(), parts.next());
        if level != Some("fatal") {
            continue;
        }
        let code = words.and_then(external::alert_from_words);
        match dir {
            Some("write") => view.alert_sent = view.alert_sent.or(code),
            Some("read") => view.alert_received = view.alert_received.or(code),
            _ => {}
        }
    }
}

fn error_line(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .find(|l| l.contains(":error:"))
        .map(|l| l.split(":error:").nth(1).unwrap_or(l).trim().to_string())
}

/// Reads one s_client run.
pub(super) fn parse_client(cap: &Captured, pong: bool, implementation: &str) -> SideOutcome {
    let mut v = ExternalView {
        implementation: implementation.into(),
        ..ExternalView::default()
    };
    let mut handshake_ok = false;
    let mut verify_code = None;
    for l in &cap.lines {
        // "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256" or "Reused, ...".
        if let Some((kind, rest)) = l.split_once(", ") {
            if (kind == "New" || kind == "Reused") && rest.contains(", Cipher is ") {
                let (ver, suite) = rest.split_once(", Cipher is ").unwrap_or((rest, ""));
                // The version here is the suite's, not the protocol's
                // ("TLSv1/SSLv3"); the session block below names the protocol.
                let _ = ver;
                if suite.trim() != "(NONE)" {
                    handshake_ok = true;
                    v.suite = Some(suite.trim().to_string());
                    v.resumed = Some(kind == "Reused");
                }
            }
        }
        if let Some(p) = l.strip_prefix("ALPN protocol: ") {
            v.alpn = Some(p.trim().to_string());
        }
        if let Some(p) = l.trim_start().strip_prefix("Protocol  : ") {
            v.version = p.trim().parse().ok();
        }
        if let Some(rest) = l.strip_prefix("verify error:num=") {
            let (num, text) = rest.split_once(':').unwrap_or((rest, ""));
            verify_code = verify_code.or(num.trim().parse().ok());
            v.verify_error = Some(format!("{} ({})", text.trim(), num.trim()));
        }
    }
    // The session block names a protocol after a failed handshake too:
    // the one the client tried, not one agreed.
    if !handshake_ok {
        v.version = None;
    }
    alerts(&cap.lines, &mut v);
    v.error = error_line(&cap.lines);
    external::outcome(
        Role::Client,
        v,
        handshake_ok,
        handshake_ok && pong,
        verify_code,
    )
}

/// How many s_server connections have finished reporting.
pub(super) fn finished_server_blocks(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|l| l.as_str() == "CONNECTION CLOSED" || l.contains(":error:"))
        .count()
}

/// Splits s_server's output into connections: each starts with the
/// (doubled) "before SSL initialization" state line.
pub(super) fn parse_server(cap: &Captured, implementation: &str) -> Vec<SideOutcome> {
    const START: &str = "SSL_accept:before SSL initialization";
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut prev_start = false;
    let mut alpn: Vec<String> = Vec::new();
    // s_server writes the state log and the connection printout to stderr.
    // Only that stream is split: its lines keep their order, while a stdout
    // line ("ACCEPT", read on another thread) can arrive anywhere between
    // them and would split a connection's doubled start line in two.
    for l in cap.stderr.lines() {
        if let Some(p) = l.strip_prefix("ALPN protocols selected: ") {
            alpn.push(p.trim().to_string());
            continue;
        }
        let start = l == START;
        if start && !prev_start {
            blocks.push(Vec::new());
        }
        prev_start = start;
        if let Some(b) = blocks.last_mut() {
            b.push(l.to_string());
        }
    }
    let mut alpn = alpn.into_iter();
    let mut out = Vec::new();
    for b in &blocks {
        let mut v = ExternalView {
            implementation: implementation.into(),
            ..ExternalView::default()
        };
        let established = b.iter().any(|l| l == "CONNECTION ESTABLISHED");
        for l in b {
            if let Some(p) = l.strip_prefix("Protocol version: ") {
                v.version = p.trim().parse().ok();
            }
            if let Some(p) = l.strip_prefix("Ciphersuite: ") {
                v.suite = Some(p.trim().to_string());
            }
        }
        if established {
            v.alpn = alpn.next().filter(|p| !p.is_empty());
            // A full handshake sends the certificate or reads a client key
            // exchange (PSK and anonymous suites); a resumed one does neither.
            let full = b.iter().any(|l| {
                l.ends_with("write certificate") || l.ends_with("read client key exchange")
            });
            v.resumed = Some(!full);
        }
        alerts(b, &mut v);
        v.error = error_line(b);
        // -rev answers every line; the client's read of the answer is the
        // witness that the exchange worked.
        out.push(external::outcome(
            Role::Server,
            v,
            established,
            established,
            None,
        ));
    }
    // s_server names the SNI it saw on stdout (given -servername), for each
    // connection that sent one: the lines are put with the connections only
    // when every connection has one, as stdout has no connection marks.
    let names: Vec<String> = cap.stdout.lines().filter_map(sni_seen).collect();
    if names.len() == out.len() {
        for (o, name) in out.iter_mut().zip(names) {
            if let Some(v) = o.external.as_mut() {
                v.sni = Some(name);
            }
        }
    }
    if out.is_empty() {
        let mut o = external::reported_nothing(
            Role::Server,
            implementation,
            format!("s_server reported no connection ({})", cap.exit),
        );
        if let Some(v) = o.external.as_mut() {
            v.exit = cap.exit.clone();
        }
        out.push(o);
    }
    out
}

/// The name in s_server's `Hostname in TLS extension: "NAME"`, where it
/// writes a byte that is not printable ASCII as `\xNN`.
fn sni_seen(line: &str) -> Option<String> {
    let quoted = line.strip_prefix("Hostname in TLS extension: ")?;
    let name = quoted.trim_end().strip_prefix('"')?.strip_suffix('"')?;
    Some(name.to_owned())
}

#[cfg(test)]
mod tests {
    use openssl_handshake::ProtocolVersion;

    use super::*;

    fn cap(lines: &[&str]) -> Captured {
        Captured {
            lines: lines.iter().map(|s| s.to_string()).collect(),
            stderr: lines.join("\n"),
            ..Captured::default()
        }
    }

    #[test]
    fn client_output_is_read() {
        let o = parse_client(
            &cap(&[
                "SSL_connect:SSLv3/TLS write client hello",
                "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256",
                "    Protocol  : TLSv1.3",
                "ALPN protocol: h2",
            ]),
            true,
            "OpenSSL test",
        );
        assert!(o.ok());
        let v = o.external.expect("view");
        assert_eq!(v.version, Some(ProtocolVersion::Tls1_3));
        assert_eq!(v.suite.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(v.alpn.as_deref(), Some("h2"));
        assert_eq!(v.resumed, Some(false));
    }

    #[test]
    fn client_failure_names_the_alert() {
        let o = parse_client(
            &cap(&[
                "SSL3 alert read:fatal:handshake failure",
                "40E7:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1605:SSL alert number 40",
                "New, (NONE), Cipher is (NONE)",
                // s_client 3.0 names the version it tried (here, -tls1_1
                // against a TLS 1.2-only server), which was never agreed.
                "    Protocol  : TLSv1.1",
            ]),
            false,
            "OpenSSL test",
        );
        assert!(!o.handshake_ok);
        let v = o.external.expect("view");
        assert_eq!(v.alert_received, Some(40));
        assert_eq!(v.version, None);
    }

    #[test]
    fn server_output_splits_into_connections() {
        let outs = parse_server(
            &cap(&[
                "SSL_accept:before SSL initialization",
                "SSL_accept:before SSL initialization",
                "SSL_accept:SSLv3/TLS write certificate",
                "CONNECTION ESTABLISHED",
                "Protocol version: TLSv1.3",
                "Ciphersuite: TLS_AES_128_GCM_SHA256",
                "CONNECTION CLOSED",
                "SSL_accept:before SSL initialization",
                "SSL_accept:before SSL initialization",
                "CONNECTION ESTABLISHED",
                "Protocol version: TLSv1.3",
            ]),
            "OpenSSL test",
        );
        assert_eq!(outs.len(), 2);
        let resumed: Vec<_> = outs
            .iter()
            .map(|o| o.external.as_ref().and_then(|v| v.resumed))
            .collect();
        assert_eq!(resumed, [Some(false), Some(true)]);
    }

    /// The name s_server prints for a connection that sent one is the SNI
    /// its server saw, put with the connection when each has one.
    #[test]
    fn server_output_names_the_sni_seen() {
        let established = [
            "SSL_accept:before SSL initialization",
            "SSL_accept:before SSL initialization",
            "CONNECTION ESTABLISHED",
            "Protocol version: TLSv1.3",
            "CONNECTION CLOSED",
        ];
        let mut one = cap(&established);
        one.stdout = "Setting secondary ctx parameters\nACCEPT\n\
                      Hostname in TLS extension: \"localhost\"\n\
                      Switching server context.\n"
            .into();
        let outs = parse_server(&one, "OpenSSL test");
        let sni = outs[0].external.as_ref().and_then(|v| v.sni.as_deref());
        assert_eq!(sni, Some("localhost"));
        // Two connections and one name: which one sent it is unknown.
        let mut two = cap(&[&established[..], &established[..]].concat());
        two.stdout = one.stdout.clone();
        let outs = parse_server(&two, "OpenSSL test");
        assert_eq!(outs.len(), 2);
        assert!(outs
            .iter()
            .all(|o| o.external.as_ref().is_some_and(|v| v.sni.is_none())));
    }
}
