//! The `gnutls-cli` peer: `gnutls-serv --echo` and `gnutls-cli` from
//! Debian's gnutls-bin, run as processes on loopback.
//!
//! A case's OpenSSL suites become a GnuTLS priority string: each suite's
//! `SSL_CIPHER` metadata (Kx, Au, Enc, Mac) names a GnuTLS key exchange,
//! cipher and MAC. A suite GnuTLS does not implement (by its two-byte code,
//! from `gnutls-cli -l`) makes the case unsupported.
//!
//! - gnutls-serv can't bind port 0, so the harness picks a port that was
//!   free a moment ago and retries with another when the bind fails.
//! - Both print each line as it happens only under `stdbuf -oL`; a piped
//!   stdout is otherwise block-buffered and lost when the server is killed.
//! - `gnutls-cli --resume` makes both connections in one process and sends
//!   no data on the first one.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl_handshake::ProtocolVersion;
use testkit::error_chain::Chain;

use super::capabilities::Feature;
use super::external::{self, PkiDir};
use super::own_port::{FreePortServer, StartError};
use super::process::{first_line, output, Captured, ChildGuard};
use super::process_peer::{describe_version, ping_pong, pong_line, ProcessPeer, Tcp};
use super::{Capabilities, ExternalView, PeerKind, ServerControl, SideOutcome};
use crate::case::{Case, Endpoint, Role, Version};
use crate::library::SuiteInfo;
use crate::matrix::HOST;

const CLIENT: &str = "gnutls-cli";
const SERVER: &str = "gnutls-serv";
const PACKAGE: &str = "gnutls-bin";

mod declaration;
mod errors;
mod srp;

use declaration::{declare, group_token, server_name, suite_code, tokens, CIPHERS};
use errors::{alert_for_error, refused_certificate};

/// GnuTLS's command-line tools as a peer.
pub struct Gnutls {
    pki: Arc<PkiDir>,
    /// `gnutls-cli --version`, or why the tools can't be used.
    version: Result<String, String>,
    /// The two-byte codes of the suites GnuTLS implements (`gnutls-cli -l`).
    implemented: HashSet<u16>,
    /// The linked OpenSSL's suites, to name what GnuTLS reports.
    catalogue: Vec<SuiteInfo>,
    /// gnutls-serv's SRP files, when srptool made them.
    srp: Option<srp::SrpFiles>,
    caps: Capabilities,
}

impl Gnutls {
    /// A peer using the PKI files in `pki`; `catalogue` is the linked
    /// OpenSSL's suite list. Asks the tools once for their version and for
    /// what they support (`gnutls-cli -l`). With `srp`, makes the SRP
    /// password files the run's SRP cases need (without srptool the peer
    /// is then unavailable); without, declares SRP lacking.
    pub fn new(pki: Arc<PkiDir>, catalogue: Vec<SuiteInfo>, srp: bool) -> Self {
        let mut version = first_line(CLIENT, &["--version"], PACKAGE, Duration::from_secs(10))
            .map_err(|e| Chain(&e).to_string());
        if version.is_ok() && super::process::which(SERVER).is_none() {
            version = Err(format!("{SERVER} not found; install {PACKAGE}"));
        }
        let listing = match &version {
            Ok(_) => output(CLIENT, &["-l"], PACKAGE, Duration::from_secs(10))
                .map(|c| c.stdout)
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        let (srp, caps) = if srp {
            let files = srp::for_peer(&mut version);
            (files, declare(&version, &listing, &catalogue))
        } else {
            let caps = declare(&version, &listing, &catalogue);
            let why = "the run selects no SRP case, so no password files were made";
            (None, caps.lack(Role::Server, Feature::Srp, why.to_owned()))
        };
        let implemented = listing
            .lines()
            .filter_map(suite_code)
            .map(|(c, _)| c)
            .collect();
        Gnutls {
            pki,
            version,
            implemented,
            catalogue,
            srp,
            caps,
        }
    }

    /// The priority string for an endpoint, or why it can't be written.
    fn priority(&self, ep: &Endpoint) -> Result<String, String> {
        let (lo, hi) = ep.version_range();
        let mut p = String::from("NORMAL:-VERS-ALL");
        for v in Version::ALL.into_iter().filter(|v| (lo..=hi).contains(v)) {
            let name = match v {
                Version::Ssl3 => continue,
                Version::Tls1 => "VERS-TLS1.0",
                Version::Tls1_1 => "VERS-TLS1.1",
                Version::Tls1_2 => "VERS-TLS1.2",
                Version::Tls1_3 => "VERS-TLS1.3",
            };
            p.push_str(&format!(":+{name}"));
        }
        if lo == Version::Ssl3 && hi == Version::Ssl3 {
            return Err("GnuTLS 3.7 has no SSL 3.0".into());
        }
        if !ep.suites.is_empty() {
            let mut kx = Vec::new();
            let mut ciphers = Vec::new();
            let mut macs = Vec::new();
            for s in &ep.suites {
                if !self.implemented.is_empty() && !self.implemented.contains(&s.id) {
                    return Err(format!(
                        "GnuTLS does not implement {} ({}, 0x{:04x})",
                        s.name,
                        s.standard_name.as_deref().unwrap_or("no IANA name"),
                        s.id
                    ));
                }
                let t = tokens(s).ok_or_else(|| {
                    format!(
                        "no GnuTLS priority names for {} (Kx={} Au={} Enc={} Mac={})",
                        s.name, s.kx, s.au, s.enc, s.mac
                    )
                })?;
                if let Some(k) = t.kx {
                    push_new(&mut kx, k);
                }
                push_new(&mut ciphers, t.cipher);
                push_new(&mut macs, t.mac);
            }
            if !kx.is_empty() {
                p.push_str(":-KX-ALL");
                for k in kx {
                    p.push_str(&format!(":+{k}"));
                }
            }
            p.push_str(":-CIPHER-ALL");
            for c in ciphers {
                p.push_str(&format!(":+{c}"));
            }
            p.push_str(":-MAC-ALL");
            for m in macs {
                p.push_str(&format!(":+{m}"));
            }
        }
        // NORMAL offers no PSK key exchange, so a TLS 1.3 client given a
        // PSK would not offer it; (EC)DHE with it, as OpenSSL's
        // psk_dhe_ke, and the plain mode.
        if ep.psk && hi == Version::Tls1_3 {
            p.push_str(":+ECDHE-PSK:+DHE-PSK:+PSK");
        }
        // NORMAL leaves DSA signatures out; DSS suites need them in TLS 1.2.
        if ep.suites.iter().any(|s| s.au == "DSS") {
            p.push_str(":+SIGN-DSA-SHA256:+SIGN-DSA-SHA384:+SIGN-DSA-SHA512:+SIGN-DSA-SHA1");
        }
        if !ep.groups.is_empty() {
            p.push_str(":-GROUP-ALL");
            for g in &ep.groups {
                let name = group_token(g).ok_or(format!("no GnuTLS name for group {g}"))?;
                p.push_str(&format!(":+{name}"));
            }
        }
        Ok(p)
    }

    fn server_args(&self, case: &Case, port: u16) -> Result<Vec<String>, String> {
        let ep = &case.server;
        let mut a: Vec<String> = vec!["-p".into(), port.to_string(), "--echo".into()];
        a.extend(["--priority".into(), self.priority(ep)?]);
        if let Some(c) = self.pki.credential(ep.identity, Role::Server) {
            a.extend(["--x509certfile".into(), path(&c.full_chain)]);
            a.extend(["--x509keyfile".into(), path(&c.key)]);
        }
        if ep.verify_peer {
            a.extend([
                "--require-client-cert".into(),
                "--verify-client-cert".into(),
            ]);
            a.extend(["--x509cafile".into(), path(&self.pki.files.root)]);
        } else {
            a.push("--disable-client-cert".into());
        }
        // gnutls-serv checks the name only when told to refuse others.
        if let (Some(name), true) = (&ep.sni, ep.sni_fatal) {
            a.extend(["--sni-hostname".into(), name.clone()]);
            a.push("--sni-hostname-fatal".into());
        }
        for p in &ep.alpn {
            a.extend(["--alpn".into(), p.clone()]);
        }
        if !ep.alpn.is_empty() {
            a.push("--alpn-fatal".into());
        }
        if ep.psk {
            a.extend(["--pskpasswd".into(), path(&self.pki.psk_passwd)]);
        }
        if ep.srp.is_some() {
            let files = self.srp.as_ref().ok_or("no SRP password files")?;
            a.extend(["--srppasswd".into(), path(&files.passwd)]);
            a.extend(["--srppasswdconf".into(), path(&files.conf)]);
        }
        if !ep.tickets {
            a.push("--noticket".into());
        }
        Ok(a)
    }

    fn client_args(
        &self,
        case: &Case,
        port: u16,
        connections: usize,
    ) -> Result<Vec<String>, String> {
        let ep = &case.client;
        let mut a: Vec<String> = vec!["127.0.0.1".into(), "-p".into(), port.to_string()];
        a.extend(["--priority".into(), self.priority(ep)?]);
        if ep.verify_peer {
            a.extend(["--x509cafile".into(), path(&self.pki.files.root)]);
            a.extend(["--verify-hostname".into(), HOST.into()]);
        } else {
            a.push("--insecure".into());
        }
        match &ep.sni {
            Some(name) => a.extend(["--sni-hostname".into(), name.clone()]),
            None => a.push("--disable-sni".into()),
        }
        if let Some(c) = self.pki.credential(ep.identity, Role::Client) {
            a.extend(["--x509certfile".into(), path(&c.full_chain)]);
            a.extend(["--x509keyfile".into(), path(&c.key)]);
        }
        for p in &ep.alpn {
            a.extend(["--alpn".into(), p.clone()]);
        }
        if ep.psk {
            a.extend([
                "--pskusername".into(),
                String::from_utf8_lossy(super::inproc::PSK_IDENTITY).into(),
                "--pskkey".into(),
                external::psk_hex(),
            ]);
        }
        if let Some(p) = ep.srp {
            let (user, password) = external::srp_user_password(p);
            a.extend(["--srpusername".into(), user, "--srppasswd".into(), password]);
        }
        if connections > 1 {
            a.push("--resume".into());
            // TLS 1.3 tickets come after the handshake; without this the
            // client may reconnect before it has one.
            if ep.version_range().1 == Version::Tls1_3 {
                a.push("--waitresumption".into());
            }
        }
        Ok(a)
    }

    /// The OpenSSL name for what GnuTLS reports (cipher, and key exchange
    /// when it says), looked up among `ep`'s suites, then the catalogue.
    fn suite_name(
        &self,
        ep: &Endpoint,
        version: Option<ProtocolVersion>,
        cipher: &str,
        kx: Option<&str>,
    ) -> String {
        let v = version.and_then(|v| Version::try_from(v).ok());
        let fits = |s: &&SuiteInfo| {
            v.is_none_or(|v| s.allows(v))
                && tokens(s).is_some_and(|t| {
                    t.cipher == cipher && (kx.is_none() || t.kx.is_none() || t.kx == kx)
                })
        };
        let mine: Vec<&SuiteInfo> = ep.suites.iter().filter(fits).collect();
        let all: Vec<&SuiteInfo> = self.catalogue.iter().filter(fits).collect();
        match (mine.as_slice(), all.as_slice()) {
            ([one], _) | ([], [one]) => one.name.clone(),
            _ => format!(
                "GnuTLS {}{cipher}",
                kx.map(|k| format!("{k} ")).unwrap_or_default()
            ),
        }
    }
}

impl ProcessPeer for Gnutls {
    const KIND: PeerKind = PeerKind::GnutlsCli;
    const NEEDS_TCP: &'static str = "gnutls-cli needs a TCP transport";

    fn description(&self) -> String {
        describe_version("gnutls-cli", &self.version)
    }

    fn caps(&self) -> &Capabilities {
        &self.caps
    }

    fn implementation(&self) -> String {
        match &self.version {
            Ok(v) => v.clone(),
            Err(_) => "gnutls (missing)".into(),
        }
    }

    fn run_client(&self, case: &Case, server: Tcp, connections: usize) -> Vec<SideOutcome> {
        let Tcp { addr, timeout } = server;
        let args = match self.client_args(case, addr.port(), connections) {
            Ok(a) => a,
            Err(e) => return vec![external::not_run(Role::Client, &self.implementation(), e)],
        };
        let deadline = external::process_deadline(timeout, connections);
        let mut g = match ChildGuard::spawn_line_buffered(CLIENT, &args, PACKAGE) {
            Ok(g) => g,
            Err(e) => {
                return vec![external::not_run(
                    Role::Client,
                    &self.implementation(),
                    Chain(&e).to_string(),
                )]
            }
        };
        // Read from stdin only on the last connection (the resumed one
        // under --resume); it waits in the pipe until then.
        let pong = ping_pong(&mut g, deadline, |l| l.as_bytes() == pong_line());
        let cap = g.finish();
        let mut outs = self.parse_client(&cap, &case.client, pong, connections);
        external::attach(&mut outs, &cap);
        outs
    }

    fn run_server(&self, case: &Case, connections: usize, ctl: ServerControl) -> Vec<SideOutcome> {
        let deadline = external::process_deadline(ctl.io_timeout, connections);
        let args = |port: u16| self.server_args(case, port);
        let (mut g, port) = match start_server(&args, ctl.io_timeout) {
            Ok(s) => s,
            Err(e) => {
                let why = Chain(&e).to_string();
                let me = server_name(&self.implementation());
                return vec![external::not_run(Role::Server, &me, why)];
            }
        };
        let _ = ctl.ready.send(external::loopback(port));
        let made = ctl.connections_made(deadline, connections);
        // gnutls-serv never exits by itself: wait until it has reported
        // every connection the client made.
        let limit = Instant::now() + ctl.io_timeout;
        g.wait_until(limit, |lines| finished_server_blocks(lines) >= made);
        let cap = g.finish();
        let mut outs = self.parse_server(&cap, &case.server, made.max(1));
        external::attach(&mut outs, &cap);
        outs
    }
}

/// Starts gnutls-serv with `args` (given the port) on a loopback port that
/// was free a moment ago, as [`FreePortServer`] does, within
/// `ready_within`; returns it and its port.
pub fn start_server(
    args: &dyn Fn(u16) -> Result<Vec<String>, String>,
    ready_within: Duration,
) -> Result<(ChildGuard, u16), StartError> {
    FreePortServer {
        program: SERVER,
        package: PACKAGE,
        args,
        listening: &listening,
        line_buffered: true,
    }
    .start(ready_within)
}

/// Whether gnutls-serv's line says it listens on IPv4 (`Echo Server` or,
/// without `--echo`, `HTTP Server`): it ends in `...done` once the bind
/// succeeded.
fn listening(line: &str) -> bool {
    line.contains("Server listening on IPv4") && line.ends_with("...done")
}

impl Gnutls {
    /// Splits gnutls-cli's output at the reconnection of `--resume`.
    fn parse_client(
        &self,
        cap: &Captured,
        ep: &Endpoint,
        pong: bool,
        connections: usize,
    ) -> Vec<SideOutcome> {
        let mut blocks: Vec<Vec<&String>> = vec![Vec::new()];
        for l in &cap.lines {
            if l.starts_with("- Connecting again") {
                blocks.push(Vec::new());
            }
            if let Some(b) = blocks.last_mut() {
                b.push(l);
            }
        }
        let n = blocks.len();
        let mut outs = Vec::new();
        for (i, b) in blocks.iter().enumerate() {
            let mut v = ExternalView {
                implementation: self.implementation(),
                ..ExternalView::default()
            };
            let mut done = false;
            let mut cipher = None;
            let mut verify_code = None;
            for l in b {
                if let Some(d) = l.strip_prefix("- Description: ") {
                    let (ver, c) = describe(d);
                    v.version = ver;
                    cipher = c;
                }
                if l.contains("Handshake was completed") {
                    done = true;
                }
                if l.contains("This is a resumed session") {
                    v.resumed = Some(true);
                }
                if let Some(p) = l.strip_prefix("- Application protocol: ") {
                    v.alpn = Some(p.trim().to_string());
                }
                if let Some(rest) = l.strip_prefix("*** Received alert [") {
                    v.alert_received = rest.split(']').next().and_then(|n| n.parse().ok());
                }
                if let Some(s) = l.strip_prefix("- Status: The certificate is NOT trusted.") {
                    let s = s.trim().to_string();
                    // Exact X509_V_ERR codes only where the meaning is the same.
                    verify_code = if s.contains("expired") {
                        Some(10)
                    } else if s.contains("not yet activated") {
                        Some(9)
                    } else {
                        None
                    };
                    v.verify_error = Some(s);
                }
                if l.contains("does not match") && l.contains("hostname") {
                    v.verify_error = Some(l.trim_start_matches("- Status: ").trim().to_string());
                    verify_code = Some(62);
                }
                if l.starts_with("*** Fatal error")
                    || l.starts_with("*** Handshake has failed")
                    || l.starts_with("*** PKI verification")
                {
                    v.error
                        .get_or_insert_with(|| l.trim_start_matches("*** ").to_string());
                }
            }
            if done && v.resumed.is_none() {
                v.resumed = Some(false);
            }
            if let Some(c) = cipher {
                v.suite = Some(self.suite_name(ep, v.version, &c, None));
            }
            let last = i + 1 == n;
            let mut o =
                external::outcome(Role::Client, v, done, done && (!last || pong), verify_code);
            if done && !last {
                // --resume sends nothing on the first connection.
                o.exchange_skipped = true;
                o.exchange_ok = false;
                o.error = None;
            }
            outs.push(o);
        }
        outs.truncate(connections.max(1));
        outs
    }

    /// Splits gnutls-serv's output into connections: stdout has one
    /// "* Accepted connection" block each; failed handshakes are reported
    /// on stderr as "Error in handshake", in order.
    fn parse_server(&self, cap: &Captured, ep: &Endpoint, made: usize) -> Vec<SideOutcome> {
        let mut blocks: Vec<Vec<&String>> = Vec::new();
        let mut errors = Vec::new();
        for l in &cap.lines {
            if l.starts_with("* Accepted connection") {
                blocks.push(Vec::new());
            } else if let Some(e) = l.strip_prefix("Error in handshake: ") {
                errors.push(e.trim().to_string());
            } else if let Some(b) = blocks.last_mut() {
                b.push(l);
            }
        }
        let mut errors = errors.into_iter();
        let mut outs = Vec::new();
        for b in blocks.iter().take(made) {
            let mut v = ExternalView {
                implementation: server_name(&self.implementation()),
                ..ExternalView::default()
            };
            let mut cipher = None;
            let mut kx = None;
            for l in b {
                if let Some(d) = l.strip_prefix("- Description: ") {
                    v.version = describe(d).0;
                }
                if let Some(c) = l.strip_prefix("- Cipher: ") {
                    cipher = Some(c.trim().to_string());
                }
                if let Some(k) = l.strip_prefix("- Key Exchange: ") {
                    kx = Some(k.trim().to_string());
                }
                if let Some(p) = l.strip_prefix("- Application protocol: ") {
                    v.alpn = Some(p.trim().to_string());
                }
                if let Some(p) = l.strip_prefix("- Given server name[1]: ") {
                    v.sni = Some(p.trim().to_string());
                }
            }
            let ok = v.version.is_some();
            if ok {
                v.resumed = Some(b.iter().any(|l| l.contains("This is a resumed session")));
            } else {
                v.error = errors.next();
                v.alert_sent = v.error.as_deref().and_then(alert_for_error);
                v.verify_error = v.error.clone().filter(|e| refused_certificate(e));
            }
            if let Some(c) = cipher {
                // In TLS 1.3 the suite doesn't fix the key exchange.
                let kx = kx.filter(|_| v.version != Some(ProtocolVersion::Tls1_3));
                v.suite = Some(self.suite_name(ep, v.version, &c, kx.as_deref()));
            }
            // --echo answers every record; the client's read of the answer
            // is the witness that the exchange worked.
            outs.push(external::outcome(Role::Server, v, ok, ok, None));
        }
        if outs.is_empty() {
            let error = errors
                .next()
                .unwrap_or_else(|| "gnutls-serv reported no connection".into());
            outs.push(external::reported_nothing(
                Role::Server,
                &server_name(&self.implementation()),
                error,
            ));
        }
        outs
    }
}

/// Counts the connections gnutls-serv has finished reporting: a success
/// prints its Description; a failure prints "Error in handshake".
fn finished_server_blocks(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|l| l.starts_with("- Description: ") || l.starts_with("Error in handshake"))
        .count()
}

/// "(TLS1.3-X.509)-(ECDHE-SECP256R1)-(RSA-PSS-RSAE-SHA256)-(AES-256-GCM)"
/// → (TLS 1.3, "AES-256-GCM"): the version opens it and the cipher is
/// the first group that names one.
fn describe(d: &str) -> (Option<ProtocolVersion>, Option<String>) {
    // A resumed session has an empty group: "(TLS1.3-X.509)--(AES-256-GCM)".
    let groups: Vec<&str> = d
        .split(')')
        .map(|g| g.trim_start_matches('-').trim_start_matches('('))
        .collect();
    // "TLS1.2" is OpenSSL's "TLSv1.2"; "TLS1.0" its "TLSv1".
    let version = groups.first().and_then(|g| {
        let n = g.split('-').next()?.strip_prefix("TLS")?;
        format!("TLSv{n}").parse().ok()
    });
    let cipher = groups
        .iter()
        .skip(1)
        .find(|g| CIPHERS.iter().any(|c| c.1 == **g))
        .map(|g| g.to_string());
    (version, cipher)
}

fn push_new<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[cfg(test)]
mod tests;
