//! The `jsse` peer: Java's own TLS implementation (the JDK's SunJSSE
//! provider), driven by a small Java program of ours (`Driver.java`,
//! shipped inside the binary) that plays one side and reports each step
//! as a JSON line, as the tlslite driver does.
//!
//! The driver is compiled once per run with `javac` into a temporary
//! directory beside the PKI's files, and run with `java -cp DIR Driver`.
//! It reads the test PKI's PEM files into in-memory key stores (the
//! PKCS#8 keys through `KeyFactory`). The declaration asks JSSE itself
//! what its default `SSLContext` enables, with the JDK's `java.security`
//! left as it is: what is tested is what a user of that JDK gets.

use std::sync::Arc;
use std::time::Duration;

use openssl_handshake::ProtocolVersion;
use serde_json::Value;
use testkit::error_chain::Chain;

use super::external::{self, PkiDir};
use super::process::{output, which, Captured, ChildGuard};
use super::process_peer::{ProcessPeer, Tcp};
use super::{Capabilities, ExternalView, PeerKind, ServerControl, SideOutcome};
use crate::case::{Case, Endpoint, Role, Version};
use crate::library::SuiteInfo;
use crate::peer::driver::{self, Served};

mod declaration;

use declaration::{declare, protocol_name};

const DRIVER: &str = include_str!("Driver.java");
const PACKAGE: &str = "openjdk-17-jdk-headless (javac and java)";
/// The JVM's start-up options: one driver runs a handful of handshakes,
/// which the first JIT tier and the serial collector serve with less CPU.
const JVM: [&str; 2] = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"];

/// JSSE as a peer.
pub struct Jsse {
    pki: Arc<PkiDir>,
    /// The compiled driver's class directory.
    classes: Option<tempfile::TempDir>,
    catalogue: Vec<SuiteInfo>,
    caps: Capabilities,
}

impl Jsse {
    /// A peer using the PKI files in `pki`: compiles the driver and asks
    /// JSSE once what it enables.
    pub fn new(pki: Arc<PkiDir>, catalogue: Vec<SuiteInfo>) -> Self {
        let compiled = compile(&pki);
        let (classes, listed) = match compiled {
            Ok(dir) => {
                let listed = list(&dir);
                (Some(dir), listed)
            }
            Err(why) => (None, Err(why)),
        };
        let caps = declare(listed, &catalogue);
        Jsse {
            pki,
            classes,
            catalogue,
            caps,
        }
    }

    fn classpath(&self) -> String {
        self.classes
            .as_ref()
            .map(|d| d.path().display().to_string())
            .unwrap_or_default()
    }

    /// The java command's arguments before the driver's own.
    fn java_args(&self) -> Vec<String> {
        let mut a: Vec<String> = JVM.iter().map(|s| s.to_string()).collect();
        a.extend(["-cp".into(), self.classpath(), "Driver".into()]);
        a
    }

    /// The options both roles take: versions, suites, groups, ALPN, the
    /// time-out of every network wait.
    fn common(&self, ep: &Endpoint, timeout: Duration) -> Result<Vec<String>, String> {
        let (lo, hi) = ep.version_range();
        let protocols: Vec<&str> = self
            .caps
            .versions
            .iter()
            .filter(|v| (lo..=hi).contains(v))
            .map(|v| protocol_name(*v))
            .collect();
        if protocols.is_empty() {
            return Err(format!("JSSE enables none of {lo} to {hi}"));
        }
        let mut a = vec![
            "--timeout".into(),
            timeout.as_millis().max(1).to_string(),
            "--protocols".into(),
            protocols.join(","),
        ];
        if !ep.suites.is_empty() {
            let names: Vec<&str> = ep
                .suites
                .iter()
                .filter_map(|s| s.standard_name.as_deref())
                .collect();
            if names.len() != ep.suites.len() {
                return Err("a suite of the case has no IANA name for JSSE".into());
            }
            a.extend(["--suites".into(), names.join(",")]);
        }
        if !ep.groups.is_empty() {
            // jdk.tls.namedGroups takes the IANA names.
            let names: Option<Vec<&str>> = ep
                .groups
                .iter()
                .map(|g| external::iana_group_name(g))
                .collect();
            let names = names.ok_or("a group of the case has no JSSE name")?;
            a.extend(["--groups".into(), names.join(",")]);
        }
        if !ep.alpn.is_empty() {
            a.extend(["--alpn".into(), ep.alpn.join(",")]);
        }
        a.extend(["--ca".into(), self.pki.files.root.display().to_string()]);
        Ok(a)
    }

    fn suite_name(&self, iana: &str) -> String {
        self.catalogue
            .iter()
            .find(|s| s.standard_name.as_deref() == Some(iana))
            .map_or_else(|| iana.to_string(), |s| s.name.clone())
    }

    /// Reads the driver's JSON lines into one outcome per connection.
    fn parse(&self, role: Role, cap: &Captured, connections: usize) -> Vec<SideOutcome> {
        let mut outs = Vec::new();
        let mut pending: Option<ExternalView> = None;
        for line in &cap.lines {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let event = v["event"].as_str().unwrap_or("");
            if event == "handshake" {
                if let Some(view) = pending.take() {
                    outs.push(external::outcome(role, view, true, true, None));
                }
                let mut view = self.view();
                view.version = v["version"]
                    .as_str()
                    .and_then(|x| x.parse::<Version>().ok())
                    .map(ProtocolVersion::from);
                view.suite = v["suite"].as_str().map(|s| self.suite_name(s));
                view.alpn = v["alpn"].as_str().map(str::to_string);
                view.sni = v["sni"].as_str().map(str::to_string);
                if role == Role::Server {
                    // The server answers the ping; the client's read of the
                    // answer is the witness that the exchange worked.
                    outs.push(external::outcome(role, view, true, true, None));
                } else {
                    pending = Some(view);
                }
                continue;
            }
            if event == "pong" && v["ok"].as_bool() == Some(true) {
                if let Some(view) = pending.take() {
                    outs.push(external::outcome(role, view, true, true, None));
                }
                continue;
            }
            if !matches!(event, "pong" | "error") {
                continue;
            }
            // A failed handshake ("error"), or an exchange after a
            // handshake that worked ("pong" not ok: a TLS 1.3 server's
            // refusal of the client's certificate arrives then).
            let handshake_ok = event == "pong";
            let mut view = match pending.take() {
                Some(view) if handshake_ok => view,
                _ => self.view(),
            };
            view.error = v["message"].as_str().map(str::to_string);
            view.alert_received = v["alert_received"]
                .as_str()
                .and_then(external::alert_from_words);
            view.verify_error = v["verify_error"].as_str().map(str::to_string);
            outs.push(external::outcome(role, view, handshake_ok, false, None));
        }
        if let Some(view) = pending.take() {
            // A handshake and then nothing: the process ended or was
            // stopped before the answer came.
            outs.push(external::outcome(role, view, true, false, None));
        }
        if outs.is_empty() {
            outs.push(external::reported_nothing(
                role,
                &self.implementation(),
                format!("the JSSE driver reported nothing ({})", cap.exit),
            ));
        }
        outs.truncate(connections.max(1));
        external::attach(&mut outs, cap);
        outs
    }

    fn view(&self) -> ExternalView {
        ExternalView {
            implementation: self.implementation(),
            ..ExternalView::default()
        }
    }
}

/// Writes the driver beside the PKI's files and compiles it.
fn compile(pki: &PkiDir) -> Result<tempfile::TempDir, String> {
    for tool in ["javac", "java"] {
        if which(tool).is_none() {
            return Err(format!("{tool} not found; install {PACKAGE}"));
        }
    }
    let dir = tempfile::Builder::new()
        .prefix("jsse-driver")
        .tempdir_in(&pki.files.dir)
        .map_err(|e| format!("a directory for the JSSE driver: {e}"))?;
    let source = dir.path().join("Driver.java");
    std::fs::write(&source, DRIVER).map_err(|e| format!("writing {}: {e}", source.display()))?;
    let out = dir.path().display().to_string();
    let src = source.display().to_string();
    let done = output(
        "javac",
        &["-d", &out, &src],
        PACKAGE,
        Duration::from_secs(120),
    )
    .map_err(|e| Chain(&e).to_string())?;
    if done.code != Some(0) {
        let why = done.stderr.lines().next().unwrap_or("").trim().to_string();
        return Err(format!(
            "javac could not compile the JSSE driver ({}): {why}",
            done.exit
        ));
    }
    Ok(dir)
}

/// The driver's `list` line: what JSSE's default `SSLContext` enables.
fn list(classes: &tempfile::TempDir) -> Result<Value, String> {
    let cp = classes.path().display().to_string();
    let mut args: Vec<&str> = JVM.to_vec();
    args.extend(["-cp", &cp, "Driver", "list"]);
    let c = output("java", &args, PACKAGE, Duration::from_secs(60))
        .map_err(|e| Chain(&e).to_string())?;
    c.stdout
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .ok_or_else(|| {
            let last = c.stderr.lines().rev().find(|l| !l.trim().is_empty());
            format!(
                "the JSSE driver listed nothing ({}): {}",
                c.exit,
                last.unwrap_or("").trim()
            )
        })
}

impl ProcessPeer for Jsse {
    const KIND: PeerKind = PeerKind::Jsse;
    const NEEDS_TCP: &'static str = "the JSSE driver needs TCP";

    fn description(&self) -> String {
        match &self.caps.available {
            Ok(()) => format!("jsse ({})", self.implementation()),
            Err(e) => format!("jsse (unavailable: {e})"),
        }
    }

    fn caps(&self) -> &Capabilities {
        &self.caps
    }

    fn implementation(&self) -> String {
        self.caps.implementation.clone()
    }

    fn run_client(&self, case: &Case, server: Tcp, connections: usize) -> Vec<SideOutcome> {
        let Tcp { addr, timeout } = server;
        let me = self.implementation();
        let mut args = self.java_args();
        args.extend([
            "client".into(),
            addr.port().to_string(),
            connections.to_string(),
        ]);
        match self.common(&case.client, timeout) {
            Ok(a) => args.extend(a),
            Err(e) => return vec![external::not_run(Role::Client, &me, e)],
        }
        if case.client.verify_peer {
            args.push("--verify".into());
        }
        if let Some(c) = self.pki.credential(case.client.identity, Role::Client) {
            args.extend(["--cert".into(), c.full_chain.display().to_string()]);
            args.extend(["--key".into(), c.key.display().to_string()]);
        }
        if let Some(n) = &case.client.sni {
            args.extend(["--sni".into(), n.clone()]);
        }
        let mut g = match ChildGuard::spawn("java", &args, PACKAGE) {
            Ok(g) => g,
            Err(e) => return vec![external::not_run(Role::Client, &me, Chain(&e).to_string())],
        };
        g.close_stdin();
        g.wait_exit(external::process_deadline(timeout, connections));
        let cap = g.finish();
        self.parse(Role::Client, &cap, connections)
    }

    fn run_server(&self, case: &Case, connections: usize, ctl: ServerControl) -> Vec<SideOutcome> {
        let me = self.implementation();
        let Some(cred) = self.pki.credential(case.server.identity, Role::Server) else {
            return vec![external::not_run(
                Role::Server,
                &me,
                "the JSSE driver's server needs a certificate".into(),
            )];
        };
        let mut args = self.java_args();
        args.extend([
            "server".into(),
            cred.full_chain.display().to_string(),
            cred.key.display().to_string(),
            connections.to_string(),
        ]);
        match self.common(&case.server, ctl.io_timeout) {
            Ok(a) => args.extend(a),
            Err(e) => return vec![external::not_run(Role::Server, &me, e)],
        }
        if case.server.verify_peer {
            args.push("--verify".into());
        }
        if !case.server.tickets {
            args.push("--notickets".into());
        }
        if let (true, Some(name)) = (case.server.sni_fatal, &case.server.sni) {
            args.extend(["--sni".into(), name.clone()]);
        }
        // The credential for a client that asks for the server's name.
        let switch = case
            .server
            .sni_identity
            .and_then(|id| self.pki.credential(id, Role::Server));
        if let (Some(name), Some(c)) = (&case.server.sni, switch) {
            args.extend(["--switch-name".into(), name.clone()]);
            args.extend(["--switch-cert".into(), c.full_chain.display().to_string()]);
            args.extend(["--switch-key".into(), c.key.display().to_string()]);
        }
        let g = match ChildGuard::spawn("java", &args, PACKAGE) {
            Ok(g) => g,
            Err(e) => return vec![external::not_run(Role::Server, &me, Chain(&e).to_string())],
        };
        match driver::serve(g, &ctl, connections, "the JSSE driver") {
            Served::Lines(cap, made) => self.parse(Role::Server, &cap, made),
            Served::NeverListened(why, cap) => vec![never_listened(&me, why, cap)],
        }
    }
}

/// A server driver that never listened: the case tested nothing, a setup
/// error. Java's last words (an exception's first line) say why.
fn never_listened(implementation: &str, why: String, cap: Captured) -> SideOutcome {
    let first = cap
        .stderr
        .lines()
        .find(|l| l.starts_with("Exception") || l.contains("Error"));
    let why = match first {
        Some(l) => format!("{why}: {}", l.trim()),
        None => why,
    };
    let mut o = external::not_run(Role::Server, implementation, why);
    if let Some(v) = o.external.as_mut() {
        v.command = cap.command;
        v.exit = cap.exit;
        v.stdout = cap.stdout;
        v.stderr = cap.stderr;
    }
    o
}
