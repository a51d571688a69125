//! The `tlslite` peer: tlslite-ng, the pure-Python TLS library from PyPI,
//! driven by a small script of ours (`tlslite_driver.py`, shipped inside
//! the binary) that plays one side and reports each step as a JSON line.
//!
//! The Python that runs it is `$TLS_HARNESS_TLSLITE_PYTHON`, else the
//! virtual environment ci/test.sh makes (`target/tlslite-venv`), else
//! `python3`. The declaration comes from tlslite-ng's own API: the suites
//! its `CipherSuite.get*Suites` give at each version, and its groups. A
//! case's suites become tlslite's cipher, MAC and key-exchange names.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use openssl_handshake::ProtocolVersion;
use serde_json::Value;
use testkit::error_chain::Chain;

use super::capabilities::{AlertDialect, AlpnOrder, FailureKind, Feature, SuiteSupport};
use super::driver::{self, Served};
use super::external::{self, PkiDir};
use super::process::{output, Captured, ChildGuard};
use super::process_peer::{ProcessPeer, Tcp};
use super::{Capabilities, ExternalView, PeerKind, ServerControl, SideOutcome};
use crate::case::{alert, Case, Endpoint, KeyKind, Role, Version};
use crate::library::SuiteInfo;

const DRIVER: &str = include_str!("tlslite_driver.py");
/// The variable naming the Python that has tlslite-ng.
pub const PYTHON_VAR: &str = "TLS_HARNESS_TLSLITE_PYTHON";
const PACKAGE: &str = "tlslite-ng (pip, in the venv ci/test.sh makes under target/), or set \
                       $TLS_HARNESS_TLSLITE_PYTHON to a Python that has it";

/// The python of the venv ci/test.sh makes, `target/tlslite-venv`: under
/// the working directory (a checkout), else beside the directory this
/// binary was built in (`target/release/..`), so a run from elsewhere
/// finds it too. The path of the venv's own python, not its target: a
/// venv is found through the path it was called by.
fn venv_python() -> Option<String> {
    const VENV: &str = "tlslite-venv/bin/python";
    let in_checkout = std::env::current_dir()
        .ok()
        .map(|d| d.join("target").join(VENV));
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join(VENV)));
    [in_checkout, beside_binary]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}

/// tlslite-ng as a peer.
pub struct Tlslite {
    pki: Arc<PkiDir>,
    python: String,
    script: Option<tempfile::NamedTempFile>,
    catalogue: Vec<SuiteInfo>,
    caps: Capabilities,
}

impl Tlslite {
    /// A peer using the PKI files in `pki`; asks tlslite-ng once what it
    /// supports.
    pub fn new(pki: Arc<PkiDir>, catalogue: Vec<SuiteInfo>) -> Self {
        let python = std::env::var(PYTHON_VAR)
            .ok()
            .or_else(venv_python)
            .unwrap_or_else(|| "python3".into());
        // Beside the PKI's files, so it goes with their directory.
        let script = tempfile::Builder::new()
            .prefix("tlslite-driver")
            .suffix(".py")
            .tempfile_in(&pki.files.dir)
            .ok()
            .and_then(|mut f| f.write_all(DRIVER.as_bytes()).ok().map(|_| f));
        let mut me = Tlslite {
            pki,
            python,
            script,
            catalogue,
            caps: Capabilities::new("tlslite-ng"),
        };
        me.caps = me.declare();
        me
    }

    fn script(&self) -> String {
        self.script
            .as_ref()
            .map(|f| f.path().display().to_string())
            .unwrap_or_default()
    }

    fn declare(&self) -> Capabilities {
        let mut caps = Capabilities::new("tlslite-ng");
        let listed = output(
            &self.python,
            &[&self.script(), "list"],
            PACKAGE,
            Duration::from_secs(20),
        );
        let v: Option<Value> = listed.as_ref().ok().and_then(|c| {
            c.stdout
                .lines()
                .next()
                .and_then(|l| serde_json::from_str(l).ok())
        });
        let Some(v) = v else {
            let why = match listed {
                Ok(c) => format!(
                    "{} can't import tlslite ({}); install {PACKAGE}",
                    self.python,
                    c.stderr.lines().last().unwrap_or("")
                ),
                Err(e) => Chain(&e).to_string(),
            };
            caps.available = Err(why);
            return caps;
        };
        caps.implementation = format!("tlslite-ng {}", v["version"].as_str().unwrap_or("?"));
        let mut codes = HashMap::new();
        if let Some(map) = v["suites"].as_object() {
            for (code, ver) in map {
                let (Ok(code), Some(ver)) = (code.parse::<u16>(), ver.as_str()) else {
                    continue;
                };
                let Ok(ver) = ver.parse::<Version>() else {
                    continue;
                };
                let expressible = self
                    .catalogue
                    .iter()
                    .find(|s| s.id == code)
                    .is_some_and(|s| tokens(s).is_some());
                if expressible {
                    codes.insert(code, ver);
                }
            }
        }
        caps.versions = vec![
            Version::Tls1,
            Version::Tls1_1,
            Version::Tls1_2,
            Version::Tls1_3,
        ];
        caps.suites = SuiteSupport::ByCode(codes);
        caps.groups = v["groups"].as_array().map(|g| {
            g.iter()
                .filter_map(|x| x.as_str())
                .map(|x| match x {
                    "x25519" => "X25519".to_string(),
                    "x448" => "X448".to_string(),
                    "secp256r1" => "P-256".to_string(),
                    "secp384r1" => "P-384".to_string(),
                    "secp521r1" => "P-521".to_string(),
                    other => other.to_string(),
                })
                .collect()
        });
        // Ed25519 works both ways from TLS 1.2 on; what its server does
        // below that is a lack (Feature::Ed25519BelowTls12), not the key's.
        caps.keys = KeyKind::ALL.to_vec();
        caps.alerts = vec![AlertDialect {
            failure: FailureKind::OwnVersionsTooHigh,
            alert: Some(alert::PROTOCOL_VERSION),
            note: "a TLS 1.3-only tlslite-ng client still lets OpenSSL answer with TLS 1.2, \
                   then refuses it: \"Too old version\""
                .into(),
        }];
        // Seen with a tlslite-ng 0.8.2 server given ALPN [http/1.1, h2]:
        // it picks h2 for `openssl s_client -alpn h2,http/1.1` and
        // http/1.1 for `-alpn http/1.1,h2`, at TLS 1.2 and 1.3.
        caps.alpn_order = AlpnOrder::Client;
        let why = "tlslite-ng checks no certificate chain";
        caps.lack(Role::Client, Feature::RefuseServerCertificate, why)
            .lack(
                Role::Server,
                Feature::AlpnRefusal,
                "tlslite-ng's server carries on without ALPN when nothing matches",
            )
            .lack(
                Role::Server,
                Feature::ClientCertificate,
                "a tlslite-ng server asks for a client certificate but checks no chain",
            )
            .lack(
                Role::Client,
                Feature::Psk,
                "tlslite-ng has PSK for TLS 1.3 only",
            )
            .lack(
                Role::Server,
                Feature::Psk,
                "tlslite-ng has PSK for TLS 1.3 only",
            )
            .lack(
                Role::Server,
                Feature::SniSwitch,
                "the driver serves one certificate",
            )
            .lack(
                Role::Server,
                Feature::SniRefusal,
                "tlslite-ng 0.8.2 answers a name other than handshakeServer's sni with a \
                 warning unrecognized_name and goes on (tlsconnection.py), and has no fatal one",
            )
            .lack(
                Role::Server,
                Feature::Ed25519BelowTls12,
                "tlslite-ng 0.8.2's server picks the suite and then fails in EdDSAKey.sign() \
                 (\"missing 1 required positional argument\"), closing without an alert",
            )
    }

    fn common(&self, ep: &Endpoint) -> Result<Vec<String>, String> {
        let (lo, hi) = ep.version_range();
        let lo = lo.max(Version::Tls1);
        let mut a = vec![
            "--min".into(),
            lo.id().into(),
            "--max".into(),
            hi.id().into(),
        ];
        if !ep.suites.is_empty() {
            let (mut c, mut m, mut k) = (vec![], vec![], vec![]);
            for s in &ep.suites {
                let t = tokens(s).ok_or_else(|| format!("no tlslite names for {}", s.name))?;
                push_new(&mut c, t.0);
                push_new(&mut m, t.1);
                if let Some(kx) = t.2 {
                    push_new(&mut k, kx);
                }
            }
            a.extend(["--ciphers".into(), c.join(",")]);
            a.extend(["--macs".into(), m.join(",")]);
            if !k.is_empty() {
                a.extend(["--kx".into(), k.join(",")]);
            }
        }
        if !ep.groups.is_empty() {
            // tlslite-ng takes the IANA names; others are passed as given.
            let g: Vec<&str> = ep
                .groups
                .iter()
                .map(|g| external::iana_group_name(g).unwrap_or(g))
                .collect();
            a.extend(["--groups".into(), g.join(",")]);
        }
        if !ep.alpn.is_empty() {
            a.extend(["--alpn".into(), ep.alpn.join(",")]);
        }
        Ok(a)
    }

    fn suite_name(&self, code: u64) -> Option<String> {
        self.catalogue
            .iter()
            .find(|s| u64::from(s.id) == code)
            .map(|s| s.name.clone())
    }

    /// Reads the driver's JSON lines into one outcome per connection.
    fn parse(&self, role: Role, cap: &Captured, connections: usize) -> Vec<SideOutcome> {
        let mut outs = Vec::new();
        let mut pending: Option<(ExternalView, bool)> = None;
        for line in &cap.lines {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let mut view = ExternalView {
                implementation: self.implementation(),
                ..ExternalView::default()
            };
            match v["event"].as_str() {
                Some("handshake") => {
                    if let Some((view, done)) = pending.take() {
                        outs.push(external::outcome(role, view, done, done, None));
                    }
                    view.version = v["version"]
                        .as_str()
                        .and_then(|x| x.parse::<Version>().ok())
                        .map(ProtocolVersion::from);
                    view.suite = v["suite"].as_u64().and_then(|c| self.suite_name(c));
                    view.resumed = v["resumed"].as_bool();
                    view.alpn = v["alpn"].as_str().map(str::to_string);
                    view.sni = v["sni"].as_str().map(str::to_string);
                    pending = Some((view, true));
                    if role == Role::Server {
                        // The echo answers; the client's read is the witness.
                        if let Some((view, done)) = pending.take() {
                            outs.push(external::outcome(role, view, done, done, None));
                        }
                    }
                }
                Some("pong") => {
                    if let Some((view, done)) = pending.take() {
                        let ok = v["ok"].as_bool() == Some(true);
                        outs.push(external::outcome(role, view, done, done && ok, None));
                    }
                }
                Some("error") => {
                    view.error = v["message"].as_str().map(str::to_string);
                    view.alert_sent = v["alert_sent"].as_u64().and_then(|a| u8::try_from(a).ok());
                    view.alert_received = v["alert_received"]
                        .as_u64()
                        .and_then(|a| u8::try_from(a).ok());
                    outs.push(external::outcome(role, view, false, false, None));
                }
                _ => {}
            }
        }
        if let Some((view, done)) = pending.take() {
            outs.push(external::outcome(role, view, done, false, None));
        }
        if outs.is_empty() {
            outs.push(external::reported_nothing(
                role,
                &self.implementation(),
                format!("the tlslite driver reported nothing ({})", cap.exit),
            ));
        }
        outs.truncate(connections.max(1));
        external::attach(&mut outs, cap);
        outs
    }
}

impl ProcessPeer for Tlslite {
    const KIND: PeerKind = PeerKind::Tlslite;
    const NEEDS_TCP: &'static str = "needs TCP";

    fn description(&self) -> String {
        match &self.caps.available {
            Ok(()) => format!("tlslite ({} under {})", self.implementation(), self.python),
            Err(e) => format!("tlslite (unavailable: {e})"),
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
        let mut args = vec![
            self.script(),
            "client".into(),
            addr.port().to_string(),
            connections.to_string(),
        ];
        match self.common(&case.client) {
            Ok(a) => args.extend(a),
            Err(e) => return vec![external::not_run(Role::Client, &me, e)],
        }
        if let Some(c) = self.pki.credential(case.client.identity, Role::Client) {
            args.extend(["--cert".into(), c.full_chain.display().to_string()]);
            args.extend(["--key".into(), c.key.display().to_string()]);
        }
        if let Some(n) = &case.client.sni {
            args.extend(["--sni".into(), n.clone()]);
        }
        if let Some(p) = case.client.srp {
            let (user, password) = external::srp_user_password(p);
            args.extend(["--srp".into(), format!("{user}:{password}")]);
        }
        let mut g = match ChildGuard::spawn(&self.python, &args, PACKAGE) {
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
        // An SRP-only or anonymous server needs no certificate: "-" says so.
        let anonymous =
            !case.server.suites.is_empty() && case.server.suites.iter().all(|s| s.is_anonymous());
        let (chain, key) = match self.pki.credential(case.server.identity, Role::Server) {
            Some(c) => (
                c.full_chain.display().to_string(),
                c.key.display().to_string(),
            ),
            None if case.server.srp.is_some() || anonymous => ("-".into(), "-".into()),
            None => {
                return vec![external::not_run(
                    Role::Server,
                    &me,
                    "needs a certificate".into(),
                )]
            }
        };
        let mut args = vec![
            self.script(),
            "server".into(),
            chain,
            key,
            connections.to_string(),
        ];
        if let Some(p) = case.server.srp {
            let (user, password) = external::srp_user_password(p);
            args.extend(["--srp".into(), format!("{user}:{password}")]);
        }
        match self.common(&case.server) {
            Ok(a) => args.extend(a),
            Err(e) => return vec![external::not_run(Role::Server, &me, e)],
        }
        if case.server.verify_peer {
            args.push("--reqcert".into());
        }
        if !case.server.tickets {
            args.push("--notickets".into());
        }
        let g = match ChildGuard::spawn(&self.python, &args, PACKAGE) {
            Ok(g) => g,
            Err(e) => return vec![external::not_run(Role::Server, &me, Chain(&e).to_string())],
        };
        match driver::serve(g, &ctl, connections, "the tlslite driver") {
            Served::Lines(cap, made) => self.parse(Role::Server, &cap, made),
            Served::NeverListened(why, cap) => vec![never_listened(&me, why, cap)],
        }
    }
}

/// A server driver that never listened, like a gnutls-serv or botan that
/// did not start: the case tested nothing, which is a setup error, not an
/// interop failure. What it wrote (a Python traceback) goes with it.
fn never_listened(implementation: &str, why: String, cap: Captured) -> SideOutcome {
    // A traceback ends with the exception, which says why.
    let why = match cap.stderr.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => format!("{why}: {}", last.trim()),
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

/// A suite's tlslite names: cipher, MAC, and key exchange (none for TLS 1.3).
fn tokens(s: &SuiteInfo) -> Option<(&'static str, &'static str, Option<&'static str>)> {
    let cipher = match s.enc.as_str() {
        "AESGCM(128)" => "aes128gcm",
        "AESGCM(256)" => "aes256gcm",
        "AES(128)" => "aes128",
        "AES(256)" => "aes256",
        "CHACHA20/POLY1305(256)" => "chacha20-poly1305",
        "AESCCM(128)" => "aes128ccm",
        "AESCCM(256)" => "aes256ccm",
        "AESCCM8(128)" => "aes128ccm_8",
        "AESCCM8(256)" => "aes256ccm_8",
        "3DES(168)" => "3des",
        _ => return None,
    };
    let mac = match s.mac.as_str() {
        "AEAD" => "aead",
        "SHA1" => "sha",
        "SHA256" => "sha256",
        "SHA384" => "sha384",
        _ => return None,
    };
    let kx = match (s.kx.as_str(), s.au.as_str()) {
        ("any", _) => None,
        ("RSA", "RSA") => Some("rsa"),
        ("DH", "RSA") => Some("dhe_rsa"),
        ("ECDH", "RSA") => Some("ecdhe_rsa"),
        ("ECDH", "ECDSA") => Some("ecdhe_ecdsa"),
        ("DH", "DSS") => Some("dhe_dsa"),
        ("DH", "None") => Some("dh_anon"),
        ("ECDH", "None") => Some("ecdh_anon"),
        ("SRP", "SRP") => Some("srp_sha"),
        ("SRP", "RSA") => Some("srp_sha_rsa"),
        _ => return None,
    };
    Some((cipher, mac, kx))
}

fn push_new(v: &mut Vec<&'static str>, x: &'static str) {
    if !v.contains(&x) {
        v.push(x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_become_tlslite_names() {
        let s = SuiteInfo {
            name: "ECDHE-RSA-AES128-GCM-SHA256".into(),
            standard_name: None,
            id: 0xc02f,
            min_version: Version::Tls1_2,
            max_version: Version::Tls1_2,
            kx: "ECDH".into(),
            au: "RSA".into(),
            enc: "AESGCM(128)".into(),
            mac: "AEAD".into(),
        };
        assert_eq!(tokens(&s), Some(("aes128gcm", "aead", Some("ecdhe_rsa"))));
        let aria = SuiteInfo {
            enc: "ARIAGCM(128)".into(),
            ..s
        };
        assert_eq!(tokens(&aria), None);
    }
}
