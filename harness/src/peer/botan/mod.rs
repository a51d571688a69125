//! The `botan` peer: Botan 2's `botan tls_server` (an echo server) and
//! `botan tls_client`, from Debian's botan package, run as processes on
//! loopback.
//!
//! A case's suites become a Botan text policy (`ciphers`, `macs`,
//! `key_exchange_methods`, `signature_methods`, `allow_tls1x`,
//! `key_exchange_groups`), written to a file per run. The declaration
//! comes from `botan tls_ciphers --policy=all --version=...`, which lists
//! the suites Botan has at each version.
//!
//! - tls_server can't bind port 0 and name the port, so the harness picks
//!   one that was free a moment ago ([`FreePortServer`]).
//! - tls_client reports a failed certificate check and carries on, so it
//!   can't play the cases where the client must refuse the server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl_handshake::ProtocolVersion;
use testkit::error_chain::Chain;

use super::external::{self, PkiDir};
use super::own_port::FreePortServer;
use super::process::{first_line, Captured, ChildGuard};
use super::process_peer::{describe_version, ping_pong, pong_line, ProcessPeer, Tcp};
use super::{Capabilities, ExternalView, PeerKind, ServerControl, SideOutcome};
use crate::case::{Case, Endpoint, KeyKind, Role, Version};
use crate::library::SuiteInfo;

mod declaration;

use declaration::{declare, group_name, push_new, tokens};

const PROGRAM: &str = "botan";
const PACKAGE: &str = "botan";

/// The keys Botan 2's TLS signs with: RSA, ECDSA and DSA; it has no EdDSA
/// (Botan adds it with its TLS 1.3, in version 3). A DSA key serves only
/// the DHE-DSS suites, whose tokens put DSA in the policy's
/// `signature_methods`, which Botan's default leaves out.
const KEYS: [KeyKind; 4] = [
    KeyKind::Rsa2048,
    KeyKind::EcdsaP256,
    KeyKind::EcdsaP384,
    KeyKind::Dsa2048,
];

/// Why an endpoint's Botan policy file could not be written.
#[derive(Debug, thiserror::Error)]
enum PolicyFileError {
    /// A suite Botan's policy has no names for: the case can't be set up.
    #[error("no Botan policy names for {0}")]
    NoNames(String),
    /// The temporary file could not be made or written.
    #[error("writing Botan's policy file")]
    Write(#[source] std::io::Error),
}

/// Botan's command-line TLS tools as a peer.
pub struct Botan {
    pki: Arc<PkiDir>,
    version: Result<String, String>,
    catalogue: Vec<SuiteInfo>,
    caps: Capabilities,
}

impl Botan {
    /// A peer using the PKI files in `pki`; `catalogue` names Botan's
    /// suites in OpenSSL's spelling. Asks the tool once for its version
    /// and suites.
    pub fn new(pki: Arc<PkiDir>, catalogue: Vec<SuiteInfo>) -> Self {
        let version = first_line(PROGRAM, &["version"], PACKAGE, Duration::from_secs(10))
            .map(|v| format!("botan {v}"))
            .map_err(|e| Chain(&e).to_string());
        let caps = declare(&version, &catalogue);
        Botan {
            pki,
            version,
            catalogue,
            caps,
        }
    }

    /// The text policy for an endpoint.
    fn policy(&self, ep: &Endpoint) -> Result<String, PolicyFileError> {
        let (lo, hi) = ep.version_range();
        let mut p = String::new();
        for (v, key) in [
            (Version::Tls1, "allow_tls10"),
            (Version::Tls1_1, "allow_tls11"),
            (Version::Tls1_2, "allow_tls12"),
        ] {
            p += &format!("{key} = {}\n", (lo..=hi).contains(&v));
        }
        let (mut kx, mut sig, mut ciphers, mut macs) = (vec![], vec![], vec![], vec![]);
        for s in &ep.suites {
            let t = tokens(s).ok_or_else(|| PolicyFileError::NoNames(s.name.clone()))?;
            push_new(&mut kx, t.kx);
            push_new(&mut sig, t.sig);
            push_new(&mut ciphers, t.cipher);
            push_new(&mut macs, t.mac);
        }
        if !ep.suites.is_empty() {
            p += &format!("key_exchange_methods = {}\n", kx.join(" "));
            p += &format!("signature_methods = {}\n", sig.join(" "));
            p += &format!("ciphers = {}\n", ciphers.join(" "));
            p += &format!("macs = {}\n", macs.join(" "));
        }
        if !ep.groups.is_empty() {
            let names: Vec<&str> = ep.groups.iter().filter_map(|g| group_name(g)).collect();
            p += &format!("key_exchange_groups = {}\n", names.join(" "));
        }
        // Old versions sign with SHA-1 (RSA with MD5+SHA-1 below TLS 1.2).
        p += "signature_hashes = SHA-512 SHA-384 SHA-256 SHA-1\n";
        p += "minimum_signature_strength = 80\n";
        if ep.verify_peer {
            p += "require_client_certificate_authentication = true\n";
        }
        Ok(p)
    }

    fn write_policy(&self, ep: &Endpoint) -> Result<tempfile::NamedTempFile, PolicyFileError> {
        use std::io::Write;
        let text = self.policy(ep)?;
        // Beside the PKI's files, so it goes with their directory.
        let mut f = tempfile::Builder::new()
            .prefix("botan-policy")
            .tempfile_in(&self.pki.files.dir)
            .map_err(PolicyFileError::Write)?;
        f.write_all(text.as_bytes())
            .map_err(PolicyFileError::Write)?;
        Ok(f)
    }

    fn suite_name(&self, botan: &str) -> String {
        let iana = format!("TLS_{botan}");
        self.catalogue
            .iter()
            .find(|s| s.standard_name.as_deref() == Some(iana.as_str()))
            .map_or_else(|| botan.to_string(), |s| s.name.clone())
    }

    /// "Handshake complete, TLS v1.2 using ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    fn parse_block(&self, lines: &[&String]) -> (ExternalView, bool) {
        let mut v = ExternalView {
            implementation: self.implementation(),
            ..ExternalView::default()
        };
        let mut done = false;
        for l in lines {
            if let Some(rest) = l.strip_prefix("Handshake complete, ") {
                done = true;
                let (ver, suite) = rest.split_once(" using ").unwrap_or((rest, ""));
                v.version = match ver.trim() {
                    "TLS v1.0" => Some(ProtocolVersion::Tls1),
                    "TLS v1.1" => Some(ProtocolVersion::Tls1_1),
                    "TLS v1.2" => Some(ProtocolVersion::Tls1_2),
                    _ => None,
                };
                if !suite.is_empty() {
                    v.suite = Some(self.suite_name(suite.trim()));
                }
            }
            if let Some(a) = l.strip_prefix("Alert: ") {
                let code = external::alert_from_words(&a.replace('_', " "));
                v.alert_received = v.alert_received.or(code);
            }
            if let Some(e) = l.strip_prefix("Connection problem: ") {
                v.error.get_or_insert_with(|| e.trim().to_string());
            }
            if let Some(p) = l.strip_prefix("Server choose protocol: ") {
                v.alpn = Some(p.trim().to_string());
            }
            if let Some(s) = l.strip_prefix("Certificate validation status: ") {
                if s.trim() != "Verified" {
                    v.verify_error = Some(s.trim().to_string());
                }
            }
        }
        (v, done)
    }
}

impl ProcessPeer for Botan {
    const KIND: PeerKind = PeerKind::Botan;
    const NEEDS_TCP: &'static str = "botan tls_client needs a TCP transport";

    fn description(&self) -> String {
        describe_version("botan", &self.version)
    }

    fn caps(&self) -> &Capabilities {
        &self.caps
    }

    fn implementation(&self) -> String {
        self.version
            .clone()
            .unwrap_or_else(|_| "botan (missing)".into())
    }

    fn run_client(&self, case: &Case, server: Tcp, connections: usize) -> Vec<SideOutcome> {
        let Tcp { addr, timeout } = server;
        let me = self.implementation();
        let policy = match self.write_policy(&case.client) {
            Ok(p) => p,
            Err(e) => return vec![external::not_run(Role::Client, &me, Chain(&e).to_string())],
        };
        // Each tls_client run is one connection: a resumption is a second
        // run that finds the first one's session in the same database
        // (SQLite, encrypted with the passphrase), beside the PKI's files.
        // Only a resuming case pays for making one.
        let sessions = if connections > 1 {
            match tempfile::Builder::new()
                .prefix("botan-sessions")
                .tempfile_in(&self.pki.files.dir)
            {
                Ok(f) => Some(f),
                Err(e) => {
                    let why = format!("session database: {e}");
                    return vec![external::not_run(Role::Client, &me, why)];
                }
            }
        } else {
            None
        };
        let mut args = vec![
            "tls_client".to_string(),
            crate::matrix::HOST.into(),
            format!("--port={}", addr.port()),
            format!("--policy={}", policy.path().display()),
            format!("--trusted-cas={}", self.pki.files.root.display()),
            "--skip-system-cert-store".into(),
        ];
        if let Some(db) = &sessions {
            args.push(format!("--session-db={}", db.path().display()));
            args.push("--session-db-pass=tls-harness".into());
        }
        if !case.client.alpn.is_empty() {
            args.push(format!("--next-protocols={}", case.client.alpn.join(",")));
        }
        // tls_client asks for TLS 1.2 unless told to offer less.
        match case.client.version_range().1 {
            Version::Tls1 => args.push("--tls1.0".into()),
            Version::Tls1_1 => args.push("--tls1.1".into()),
            _ => {}
        }
        let mut outs = Vec::new();
        let mut first_session = None;
        for i in 0..connections {
            let deadline = external::process_deadline(timeout, 1);
            let mut g = match ChildGuard::spawn_line_buffered(PROGRAM, &args, PACKAGE) {
                Ok(g) => g,
                Err(e) => {
                    outs.push(external::not_run(Role::Client, &me, Chain(&e).to_string()));
                    break;
                }
            };
            let pong = ping_pong(&mut g, deadline, |l| l.as_bytes() == pong_line());
            let cap = g.finish();
            let lines: Vec<&String> = cap.lines.iter().collect();
            let (mut view, done) = self.parse_block(&lines);
            let session = session_id(&lines);
            if i == 0 {
                first_session = session.clone();
                view.resumed = done.then_some(false);
            } else if done {
                // A resumed session skips the certificate (and so its
                // validation line) and keeps the first one's id.
                let validated = lines
                    .iter()
                    .any(|l| l.starts_with("Certificate validation status: "));
                view.resumed = Some(!validated && session.is_some() && session == first_session);
            }
            let mut o = external::outcome(Role::Client, view, done, done && pong, None);
            external::attach(std::slice::from_mut(&mut o), &cap);
            let ok = o.ok();
            outs.push(o);
            if !ok {
                break;
            }
        }
        outs
    }

    fn run_server(&self, case: &Case, connections: usize, ctl: ServerControl) -> Vec<SideOutcome> {
        let me = self.implementation();
        let deadline = external::process_deadline(ctl.io_timeout, connections);
        let policy = match self.write_policy(&case.server) {
            Ok(p) => p,
            Err(e) => return vec![external::not_run(Role::Server, &me, Chain(&e).to_string())],
        };
        let Some(cred) = self.pki.credential(case.server.identity, Role::Server) else {
            return vec![external::not_run(
                Role::Server,
                &me,
                "botan tls_server needs a certificate".into(),
            )];
        };
        let args = |port: u16| -> Result<Vec<String>, String> {
            Ok(vec![
                "tls_server".into(),
                cred.full_chain.display().to_string(),
                cred.key.display().to_string(),
                format!("--port={port}"),
                format!("--policy={}", policy.path().display()),
                format!("--max-clients={connections}"),
            ])
        };
        let server = FreePortServer {
            program: PROGRAM,
            package: PACKAGE,
            args: &args,
            listening: &|l: &str| l.starts_with("Listening for new connections"),
            line_buffered: true,
        };
        let (mut g, port) = match server.start(ctl.io_timeout) {
            Ok(s) => s,
            Err(e) => return vec![external::not_run(Role::Server, &me, Chain(&e).to_string())],
        };
        let _ = ctl.ready.send(external::loopback(port));
        let made = ctl.connections_made(deadline, connections);
        let limit = Instant::now() + ctl.io_timeout;
        g.wait_until(limit, |lines| finished(lines) >= made.max(1));
        let cap = g.finish();
        let mut outs = self.parse_server(&cap, made.max(1));
        external::attach(&mut outs, &cap);
        outs
    }
}

impl Botan {
    /// One block per connection, each starting at "Handshake complete"
    /// or "Connection problem". A TLS 1.2 server that echoes a session id
    /// it already gave out has resumed that session (RFC 5246, 7.4.1.3).
    fn parse_server(&self, cap: &Captured, made: usize) -> Vec<SideOutcome> {
        let blocks = connections(&cap.lines);
        let mut ids_seen: Vec<&str> = Vec::new();
        let mut outs: Vec<SideOutcome> = blocks
            .iter()
            .take(made)
            .map(|b| {
                let (mut v, done) = self.parse_block(b);
                let id = b.iter().find_map(|l| l.strip_prefix("Session ID "));
                if done {
                    v.resumed = Some(id.is_some_and(|id| ids_seen.contains(&id)));
                }
                ids_seen.extend(id);
                // The echo answers every line; the client's read of the
                // answer is the witness that the exchange worked.
                external::outcome(Role::Server, v, done, done, None)
            })
            .collect();
        if outs.is_empty() {
            outs.push(external::reported_nothing(
                Role::Server,
                &self.implementation(),
                format!("botan tls_server reported no connection ({})", cap.exit),
            ));
        }
        outs
    }
}

fn is_marker(l: &str) -> bool {
    l.starts_with("Handshake complete") || l.starts_with("Connection problem")
}

fn finished(lines: &[String]) -> usize {
    connections(lines).len()
}

/// tls_server's output cut into its connections, each starting at a
/// marker. A client that refuses the server's certificate ends the only
/// connection with an alert before any marker: tls_server then prints
/// just "Alert: certificate_expired" (seen with `openssl s_client
/// -verify_return_error -tls1_2` and an expired leaf), which is that
/// connection.
fn connections(lines: &[String]) -> Vec<Vec<&String>> {
    let mut blocks: Vec<Vec<&String>> = Vec::new();
    for l in lines {
        if is_marker(l) {
            blocks.push(Vec::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push(l);
        }
    }
    if blocks.is_empty() && lines.iter().any(|l| l.starts_with("Alert: ")) {
        blocks.push(lines.iter().collect());
    }
    blocks
}

/// The "Session ID ..." line tls_client prints after its handshake.
fn session_id(lines: &[&String]) -> Option<String> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("Session ID "))
        .map(|id| id.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::connections;

    /// A connection refused with an alert before any marker is one
    /// connection; lines before the first marker of a run that has markers
    /// are not.
    #[test]
    fn an_alert_alone_is_a_connection() {
        let lines = |ls: &[&str]| -> Vec<String> { ls.iter().map(|l| l.to_string()).collect() };
        let refused = lines(&[
            "Listening for new connections",
            "Alert: certificate_expired",
        ]);
        let blocks = connections(&refused);
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].iter().any(|l| *l == "Alert: certificate_expired"));
        let served = lines(&[
            "Listening for new connections",
            "Handshake complete, TLS v1.2 using ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "Alert: close_notify",
            "Connection problem: Client version TLS v1.1 is unacceptable by policy",
        ]);
        assert_eq!(connections(&served).len(), 2);
        assert!(connections(&lines(&["Listening for new connections"])).is_empty());
    }
}
