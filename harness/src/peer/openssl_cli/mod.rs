//! The `openssl-cli` peer: `openssl s_server` and `openssl s_client` run as
//! processes on loopback, configured from the case with their own flags.
//!
//! - The server runs with `-rev`: it answers each line with the line
//!   reversed, which has the length of the harness's pong, so the
//!   in-process client's ping/pong works unchanged.
//! - Both run with `-state`, whose info-callback lines name the alerts
//!   sent and received ("SSL3 alert write:fatal:handshake failure").
//! - The client runs once per connection; a resumed connection reads the
//!   session the first one wrote with `-sess_out`/`-sess_in`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use testkit::error_chain::Chain;

use super::external::{self, PkiDir};
use super::process::{first_line, ChildGuard, ProcessError};
use super::process_peer::{describe_version, ping_pong, pong_line, ProcessPeer, Tcp};
use super::{Capabilities, PeerKind, ServerControl, SideOutcome};
use crate::case::{Case, Endpoint, Role};
use crate::matrix::HOST;

/// The program and the Debian package that provides it.
const PROGRAM: &str = "openssl";
const PACKAGE: &str = "openssl";

mod declaration;
mod output;

use declaration::declare;
use output::{finished_server_blocks, parse_client, parse_server};

/// The `openssl` command-line tool as a peer.
pub struct OpensslCli {
    pki: Arc<PkiDir>,
    /// `openssl version`, or why the tool can't be used.
    version: Result<String, String>,
    caps: Capabilities,
}

impl OpensslCli {
    /// A peer using the PKI files in `pki`; asks the tool once for its
    /// version and for the suites it can use at each version.
    pub fn new(pki: Arc<PkiDir>) -> Self {
        let version = first_line(PROGRAM, &["version"], PACKAGE, Duration::from_secs(10))
            .map_err(|e| Chain(&e).to_string());
        let caps = declare(&version);
        // The issuers of every leaf but the negatives', for -build_chain:
        // a switched certificate (-cert2) has no chain file of its own.
        // Made once; a failure shows as the SNI cases' s_server refusing
        // to start.
        let issuers = [&pki.files.intermediate, &pki.files.root]
            .iter()
            .map(std::fs::read)
            .collect::<Result<Vec<_>, _>>()
            .map(|pems| pems.concat());
        if let Ok(pems) = issuers {
            let _ = std::fs::write(issuers_file(&pki), pems);
        }
        OpensslCli { pki, version, caps }
    }

    /// The flags both tools share: versions, suites, groups, security level.
    fn common_args(&self, ep: &Endpoint) -> Vec<String> {
        let mut a = Vec::new();
        if let Some(v) = ep.min_version {
            a.extend(["-min_protocol".into(), v.openssl_name().into()]);
        }
        if let Some(v) = ep.max_version {
            a.extend(["-max_protocol".into(), v.openssl_name().into()]);
        }
        let (tls13, older): (Vec<_>, Vec<_>) = ep.suites.iter().partition(|s| s.is_tls13());
        let mut cipher: Vec<String> = older.iter().map(|s| s.name.clone()).collect();
        if let Some(level) = ep.security_level {
            if cipher.is_empty() {
                cipher.push("DEFAULT".into());
            }
            cipher.push(format!("@SECLEVEL={level}"));
        }
        if !cipher.is_empty() {
            a.extend(["-cipher".into(), cipher.join(":")]);
        }
        if !tls13.is_empty() {
            let list: Vec<&str> = tls13.iter().map(|s| s.name.as_str()).collect();
            a.extend(["-ciphersuites".into(), list.join(":")]);
        }
        if !ep.groups.is_empty() {
            a.extend(["-groups".into(), ep.groups.join(":")]);
        }
        if !ep.alpn.is_empty() {
            a.extend(["-alpn".into(), ep.alpn.join(",")]);
        }
        a
    }

    fn server_args(&self, case: &Case, connections: usize) -> Vec<String> {
        let ep = &case.server;
        let mut a: Vec<String> = ["s_server", "-accept", "127.0.0.1:0", "-rev", "-state"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(["-naccept".into(), connections.to_string()]);
        a.extend(self.common_args(ep));
        let root = self.pki.files.root.display().to_string();
        match self.pki.credential(ep.identity, Role::Server) {
            Some(c) => {
                a.extend(["-cert".into(), path(&c.leaf), "-key".into(), path(&c.key)]);
                // The chain is built from this file when the handshake
                // needs it, as the README shows; a negative's file lacks
                // the intermediate on purpose.
                a.extend(["-chainCAfile".into(), path(&c.full_chain)]);
            }
            None => a.push("-nocert".into()),
        }
        // s_server checks the name only with a second certificate; a
        // server that just refuses other names gets its own twice.
        let named = ep.sni_identity.or(ep.sni_fatal.then_some(ep.identity));
        if let (Some(name), Some(id)) = (&ep.sni, named) {
            if let Some(c) = self.pki.credential(id, Role::Server) {
                a.extend(["-servername".into(), name.clone()]);
                if ep.sni_fatal {
                    a.push("-servername_fatal".into());
                }
                a.extend(["-cert2".into(), path(&c.leaf), "-key2".into(), path(&c.key)]);
                // -cert2 has no chain file of its own: -build_chain builds
                // both certificates' chains when s_server starts, from a
                // chain store and a verify store that hold their issuers
                // (these replace the -chainCAfile above; a client-verifying
                // case's -CAfile below would replace the second).
                let issuers = path(&issuers_file(&self.pki));
                a.push("-build_chain".into());
                a.extend(["-chainCAfile".into(), issuers.clone()]);
                a.extend(["-CAfile".into(), issuers]);
            }
        }
        if ep.verify_peer {
            a.extend(["-Verify".into(), "1".into(), "-verify_return_error".into()]);
            a.extend(["-CAfile".into(), root]);
        }
        if ep.psk {
            a.extend(["-psk".into(), external::psk_hex()]);
            a.extend([
                "-psk_identity".into(),
                String::from_utf8_lossy(super::inproc::PSK_IDENTITY).into(),
            ]);
        }
        if !ep.tickets {
            a.push("-no_ticket".into());
        }
        a
    }

    fn client_args(&self, case: &Case, port: u16, session: Option<(&str, bool)>) -> Vec<String> {
        let ep = &case.client;
        let mut a: Vec<String> = vec![
            "s_client".into(),
            "-connect".into(),
            format!("127.0.0.1:{port}"),
            "-state".into(),
        ];
        a.extend(self.common_args(ep));
        match &ep.sni {
            Some(name) => a.extend(["-servername".into(), name.clone()]),
            None => a.push("-noservername".into()),
        }
        a.extend(["-CAfile".into(), self.pki.files.root.display().to_string()]);
        if ep.verify_peer {
            a.extend([
                "-verify_return_error".into(),
                "-verify_hostname".into(),
                HOST.into(),
            ]);
        }
        if let Some(c) = self.pki.credential(ep.identity, Role::Client) {
            a.extend(["-cert".into(), path(&c.leaf), "-key".into(), path(&c.key)]);
            a.extend(["-cert_chain".into(), path(&c.full_chain)]);
        }
        if ep.psk {
            a.extend(["-psk".into(), external::psk_hex()]);
            a.extend([
                "-psk_identity".into(),
                String::from_utf8_lossy(super::inproc::PSK_IDENTITY).into(),
            ]);
        }
        match session {
            Some((file, false)) => a.extend(["-sess_out".into(), file.into()]),
            Some((file, true)) => a.extend(["-sess_in".into(), file.into()]),
            None => {}
        }
        a
    }

    fn connect_once(
        &self,
        case: &Case,
        port: u16,
        session: Option<(&str, bool)>,
        deadline: Instant,
    ) -> SideOutcome {
        let args = self.client_args(case, port, session);
        let mut g = match ChildGuard::spawn(PROGRAM, &args, PACKAGE) {
            Ok(g) => g,
            Err(e) => {
                return external::not_run(
                    Role::Client,
                    &self.implementation(),
                    Chain(&e).to_string(),
                )
            }
        };
        // s_client sends what it reads on stdin once the handshake is done,
        // and end of input makes it send close_notify and exit. It writes
        // received data straight to fd 1 while its buffered session
        // printout (TLS 1.3 tickets) may still be flushing, so the pong can
        // land in the middle of a line.
        let pong = ping_pong(&mut g, deadline, |l| l.as_bytes().ends_with(pong_line()));
        let cap = g.finish();
        let mut o = parse_client(&cap, pong, &self.implementation());
        external::attach(std::slice::from_mut(&mut o), &cap);
        o
    }
}

impl ProcessPeer for OpensslCli {
    const KIND: PeerKind = PeerKind::OpensslCli;
    const NEEDS_TCP: &'static str = "s_client needs a TCP transport";

    fn description(&self) -> String {
        let short = self.version.as_deref().map(short_version);
        describe_version("openssl-cli", &short.map_err(Clone::clone))
    }

    fn caps(&self) -> &Capabilities {
        &self.caps
    }

    fn implementation(&self) -> String {
        match &self.version {
            Ok(v) => short_version(v),
            Err(_) => "openssl (missing)".into(),
        }
    }

    fn run_client(&self, case: &Case, server: Tcp, connections: usize) -> Vec<SideOutcome> {
        let Tcp { addr, timeout } = server;
        // Removed also when a signal ends the program: the session file
        // holds its master secret.
        let dir = match crate::interrupt::TempDir::create(
            tempfile::Builder::new().prefix("tls-harness-session"),
        ) {
            Ok(d) => d,
            Err(e) => {
                return vec![external::not_run(
                    Role::Client,
                    &self.implementation(),
                    format!("temporary directory for the session: {e}"),
                )]
            }
        };
        let sess = dir.path().join("session.pem").display().to_string();
        let mut out = Vec::with_capacity(connections);
        for i in 0..connections {
            let session = (connections > 1).then_some((sess.as_str(), i > 0));
            let deadline = external::process_deadline(timeout, 1);
            let o = self.connect_once(case, addr.port(), session, deadline);
            let stop = !o.ok();
            out.push(o);
            if stop {
                break;
            }
        }
        out
    }

    fn run_server(&self, case: &Case, connections: usize, ctl: ServerControl) -> Vec<SideOutcome> {
        let deadline = external::process_deadline(ctl.io_timeout, connections);
        let args = self.server_args(case, connections);
        let mut g = match ChildGuard::spawn(PROGRAM, &args, PACKAGE) {
            Ok(g) => g,
            Err(e) => {
                return vec![external::not_run(
                    Role::Server,
                    &self.implementation(),
                    Chain(&e).to_string(),
                )]
            }
        };
        // s_server binds port 0 and prints the port it got.
        let ready = g.wait_for_line(
            Instant::now() + ctl.io_timeout,
            "s_server to print ACCEPT",
            |l| l.starts_with("ACCEPT "),
        );
        let addr = match &ready {
            Ok(l) => l
                .trim_start_matches("ACCEPT ")
                .trim()
                .parse()
                .map_err(|_| format!("its ACCEPT line names no address: {}", l.trim())),
            // Its exit status follows (`attach`).
            Err(ProcessError::Exited { .. }) => Err("it exited before printing ACCEPT".to_owned()),
            Err(e) => Err(e.to_string()),
        };
        let addr = match addr {
            Ok(a) => a,
            Err(why) => {
                // The exit, which `attach` adds, tells whether it ended by
                // itself or was stopped here.
                let cap = g.finish();
                let mut o = external::not_run(
                    Role::Server,
                    &self.implementation(),
                    format!("s_server did not start listening: {why}"),
                );
                external::attach(std::slice::from_mut(&mut o), &cap);
                return vec![o];
            }
        };
        let _ = ctl.ready.send(addr);
        let made = ctl.connections_made(deadline, connections);
        if made >= connections {
            // -naccept: it exits by itself after the last connection.
            g.wait_exit(deadline);
        } else {
            // It still waits for connections that will never come; let it
            // finish reporting the ones it had, then stop it.
            let limit = Instant::now() + ctl.io_timeout;
            g.wait_until(limit, |lines| finished_server_blocks(lines) >= made);
        }
        let cap = g.finish();
        let mut outs = parse_server(&cap, &self.implementation());
        outs.truncate(connections.max(1));
        external::attach(&mut outs, &cap);
        outs
    }
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// `openssl version` without its dates, which every failure line would
/// repeat: "OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan
/// 2026)" is "OpenSSL 3.0.19". The library is named only when it is
/// another version than the tool's. The linked library's
/// `OpenSSL_version` line reads the same without the part in brackets.
pub(crate) fn short_version(line: &str) -> String {
    let two = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let (tool, library) = match line.split_once("(Library:") {
        Some((tool, rest)) => (two(tool), Some(two(rest.trim_end_matches(')')))),
        None => (two(line), None),
    };
    match library {
        Some(l) if l != tool => format!("{tool} (library {l})"),
        _ => tool,
    }
}

/// Where [`OpensslCli::new`] writes the intermediate and the root together.
fn issuers_file(pki: &PkiDir) -> std::path::PathBuf {
    pki.files.dir.join("issuers.pem")
}

#[cfg(test)]
mod tests {
    use super::declaration::suite_code;

    #[test]
    fn cipher_list_lines_give_codes() {
        assert_eq!(
            suite_code("          0xC0,0x0A - ECDHE-ECDSA-AES256-SHA         TLSv1   Kx=ECDH"),
            Some(0xc00a)
        );
        assert_eq!(suite_code("ECDHE-ECDSA-AES256-SHA"), None);
    }

    #[test]
    fn the_tool_is_named_without_its_dates() {
        use super::short_version;
        assert_eq!(
            short_version("OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)"),
            "OpenSSL 3.0.19"
        );
        assert_eq!(
            short_version("OpenSSL 3.0.2 15 Mar 2022 (Library: OpenSSL 3.0.13 30 Jan 2024)"),
            "OpenSSL 3.0.2 (library OpenSSL 3.0.13)"
        );
        assert_eq!(
            short_version("OpenSSL 1.1.1w  11 Sep 2023"),
            "OpenSSL 1.1.1w"
        );
        assert_eq!(short_version("LibreSSL 3.8.2"), "LibreSSL 3.8.2");
    }
}
