//! The command peer: a user's own TLS server or client, given as a command
//! template with `--peer-cmd 'NAME=TEMPLATE'`.
//!
//! The template is run by `sh -c` after its placeholders are replaced,
//! each value shell-quoted:
//!
//! | placeholder | value |
//! |-------------|-------|
//! | `{port}` | the loopback port: the one to listen on (server) or to connect to (client) |
//! | `{cert}` | the endpoint's certificate chain, PEM, leaf first |
//! | `{key}` | its private key, PEM |
//! | `{ca}` | the test root CA, PEM |
//! | `{version}` | the highest version this end may use (the case's, unless the case limits this end otherwise): ssl3, tls1, tls1_1, tls1_2 or tls1_3 |
//! | `{suite}` | the endpoint's first suite, OpenSSL's name |
//! | `{cipher}` | its suites below TLS 1.3, OpenSSL's names joined by `:` (`DEFAULT` when it has none) |
//! | `{ciphersuites}` | its TLS 1.3 suites joined by `:` (OpenSSL's default three when it has none) |
//! | `{seclevel}` | the security level it runs at: the case's, else the linked OpenSSL's default |
//!
//! A template with `{cert}` is a server: it must listen on 127.0.0.1 or
//! any address at `{port}` and answer each line it reads (an echo server
//! will do). Any other template is a client: it must send what it reads
//! on stdin and print what it receives, as `openssl s_client` does.
//!
//! A command says nothing about what it negotiated or why it refused a
//! certificate, so the in-process side's trace is the witness of every
//! case; the command's exit and output are kept in the report. It can't
//! say what it supports either: its declaration is the linked OpenSSL's
//! less what a single command line can't express (PSK, client
//! certificates, resumption, SNI switching, ALPN, a group list,
//! anonymous suites) and what
//! its template leaves out (a suite list where the two ends share none, a
//! security level, a version range they share none of), so a case it can't do shows as a failure, which is
//! the point, and a case its template can't set up is unsupported.

use std::sync::Arc;
use std::time::{Duration, Instant};

use testkit::error_chain::Chain;

use super::capabilities::Feature;
use super::external::{self, PkiDir};
use super::own_port::{await_own_socket, Readiness};
use super::process::{ChildGuard, ProcessError};
use super::process_peer::{ping_pong, pong_line, ProcessPeer, Tcp};
use super::{Capabilities, ExternalView, PeerKind, ServerControl, SideOutcome};
use crate::case::{Case, Endpoint, Role, Version};
use crate::settings::Secs;

/// A user's command as a peer.
pub struct Command {
    name: String,
    template: String,
    pki: Arc<PkiDir>,
    caps: Capabilities,
    /// `{seclevel}` where the case sets none.
    default_level: u32,
}

/// Why a `--peer-cmd` value can't be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandSpecError {
    /// No `=` between the name and the template.
    #[error("--peer-cmd {0:?}: write NAME=TEMPLATE")]
    NoName(String),
    /// A `{...}` that is not a placeholder.
    #[error("--peer-cmd {spec:?}: unknown placeholder {{{name}}}; use port, cert, key, ca, version, suite, cipher, ciphersuites or seclevel (for a shell's own braces, run a script)")]
    UnknownPlaceholder {
        /// The whole value.
        spec: String,
        /// The unknown name.
        name: String,
    },
    /// A template without `{port}` can't meet the harness.
    #[error("--peer-cmd {0:?}: the template needs {{port}}")]
    NoPort(String),
}

/// A parsed `--peer-cmd NAME=TEMPLATE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The name reports give it.
    pub name: String,
    /// The command template.
    pub template: String,
}

impl std::str::FromStr for CommandSpec {
    type Err = CommandSpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (name, template) = spec
            .split_once('=')
            .filter(|(n, _)| !n.trim().is_empty())
            .ok_or_else(|| CommandSpecError::NoName(spec.into()))?;
        for part in template.split('{').skip(1) {
            let Some((word, _)) = part.split_once('}') else {
                continue;
            };
            if !PLACEHOLDERS.contains(&word) {
                return Err(CommandSpecError::UnknownPlaceholder {
                    spec: spec.into(),
                    name: word.into(),
                });
            }
        }
        if !template.contains("{port}") {
            return Err(CommandSpecError::NoPort(spec.into()));
        }
        Ok(CommandSpec {
            name: name.trim().into(),
            template: template.into(),
        })
    }
}

const PLACEHOLDERS: [&str; 9] = [
    "port",
    "cert",
    "key",
    "ca",
    "version",
    "suite",
    "cipher",
    "ciphersuites",
    "seclevel",
];

/// OpenSSL's TLS 1.3 suites when none are configured.
const DEFAULT_CIPHERSUITES: &str =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

impl Command {
    /// A peer running `spec` with the PKI files in `pki`.
    pub fn new(spec: &CommandSpec, pki: Arc<PkiDir>, linked: Capabilities) -> Self {
        let mut caps = linked;
        caps.implementation = format!("command {}", spec.name);
        let server = spec.template.contains("{cert}");
        let plays = if server { Role::Server } else { Role::Client };
        let why = "a single command line can't express it";
        caps.roles = vec![plays];
        for f in [
            Feature::Psk,
            Feature::Srp,
            Feature::ClientCertificate,
            Feature::Resumption,
            Feature::SniSwitch,
            Feature::SniRefusal,
            Feature::SniName,
            Feature::Alpn,
            Feature::GroupChoice,
        ] {
            caps = caps.lack(plays, f, why);
        }
        if server {
            caps = caps.lack(
                plays,
                Feature::Anonymous,
                "a server without a certificate leaves {cert} empty",
            );
        }
        let uses = |p: &str| spec.template.contains(&format!("{{{p}}}"));
        if !["suite", "cipher", "ciphersuites"].into_iter().any(uses) {
            caps = caps.lack(
                plays,
                Feature::SuiteChoice,
                "the template has no {suite}, {cipher} or {ciphersuites}",
            );
        }
        if !uses("version") {
            caps = caps.lack(
                plays,
                Feature::VersionChoice,
                "the template has no {version}",
            );
        }
        if !uses("seclevel") {
            caps = caps.lack(
                plays,
                Feature::SecurityLevel,
                "the template has no {seclevel}",
            );
        }
        caps.verify_unreported = true;
        caps.available = program_found(&spec.template);
        Command {
            name: spec.name.clone(),
            template: spec.template.clone(),
            pki,
            caps,
            default_level: crate::library::default_security_level(),
        }
    }

    /// Whether the command is a server (its template has `{cert}`).
    pub fn is_server(&self) -> bool {
        self.template.contains("{cert}")
    }

    /// The template with its placeholders filled in, each value quoted.
    fn command_line(&self, case: &Case, role: Role, port: u16) -> String {
        let ep: &Endpoint = match role {
            Role::Client => &case.client,
            Role::Server => &case.server,
        };
        let cred = self.pki.credential(ep.identity, role);
        let path =
            |p: Option<&std::path::Path>| p.map(|p| p.display().to_string()).unwrap_or_default();
        let values = [
            ("{port}", port.to_string()),
            (
                "{cert}",
                path(cred.as_ref().map(|c| c.full_chain.as_path())),
            ),
            ("{key}", path(cred.as_ref().map(|c| c.key.as_path()))),
            ("{ca}", self.pki.files.root.display().to_string()),
            (
                "{version}",
                ep.max_version.unwrap_or(case.version).id().to_string(),
            ),
            (
                "{suite}",
                ep.suites
                    .first()
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
            ),
            (
                "{cipher}",
                suite_list(ep, false).unwrap_or("DEFAULT".into()),
            ),
            (
                "{ciphersuites}",
                suite_list(ep, true).unwrap_or(DEFAULT_CIPHERSUITES.into()),
            ),
            (
                "{seclevel}",
                ep.security_level.unwrap_or(self.default_level).to_string(),
            ),
        ];
        let mut line = self.template.clone();
        for (k, v) in values {
            line = line.replace(k, &quote(&v));
        }
        line
    }

    fn spawn(&self, line: &str) -> Result<ChildGuard, ProcessError> {
        ChildGuard::spawn("sh", &["-c".to_string(), line.to_string()], "dash")
    }

    /// What a command reports: nothing about the handshake, so only how it
    /// ended. A command that failed before the case ended is a failure;
    /// otherwise the in-process side's trace speaks for the connection.
    fn outcome(&self, role: Role, cap: &super::process::Captured, ok: bool) -> SideOutcome {
        let mut v = ExternalView {
            implementation: self.implementation(),
            handshake_unreported: true,
            ..ExternalView::default()
        };
        if !ok {
            // The exit follows in the summary (`attach`); its standard
            // error usually says why.
            let said = super::process_peer::reason_in(&cap.stderr)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            v.error = Some(if cap.code == Some(0) {
                format!("the command ended before the case did{said}")
            } else {
                format!("the command failed{said}")
            });
        }
        let mut o = external::outcome(role, v, ok, ok, None);
        external::attach(std::slice::from_mut(&mut o), cap);
        o
    }

    /// Starts the server command on a port that was free a moment ago and
    /// waits, at most `within` in all, until a process of its own listens
    /// there: the command may be a script whose child listens, and a port
    /// another case's server took first (it was free for both) would pass
    /// for this one's. A command that exits saying its address is in use
    /// is tried again on a fresh port; one that exits otherwise is
    /// reported at once, with its output.
    fn start_server(
        &self,
        case: &Case,
        within: Duration,
    ) -> Result<(ChildGuard, u16), Box<SideOutcome>> {
        let me = self.implementation();
        let deadline = Instant::now() + within;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let port = external::free_port()
                .map_err(|e| Box::new(external::not_run(Role::Server, &me, e.to_string())))?;
            let line = self.command_line(case, Role::Server, port);
            let mut g = self.spawn(&line).map_err(|e| {
                Box::new(external::not_run(Role::Server, &me, Chain(&e).to_string()))
            })?;
            let exited = match await_own_socket(&mut g, port, deadline) {
                Readiness::Listening => return Ok((g, port)),
                Readiness::Exited => true,
                Readiness::TimedOut => false,
            };
            let cap = g.finish();
            let in_use = cap.lines.iter().any(|l| l.contains("in use"));
            if exited && in_use && attempts < 4 && Instant::now() < deadline {
                continue;
            }
            let why = if exited {
                let said = super::process_peer::reason_in(&cap.stderr)
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default();
                format!(
                    "the command exited ({}) without listening on port {port}{said}",
                    cap.exit
                )
            } else {
                format!(
                    "nothing listened on port {port} in the command's process group within {}",
                    Secs(within)
                )
            };
            let mut o = external::not_run(Role::Server, &me, why);
            external::attach(std::slice::from_mut(&mut o), &cap);
            return Err(Box::new(o));
        }
    }
}

impl ProcessPeer for Command {
    const KIND: PeerKind = PeerKind::Command;
    const NEEDS_TCP: &'static str = "a command needs a TCP transport";

    fn description(&self) -> String {
        format!("command ({}: {})", self.name, self.template)
    }

    fn caps(&self) -> &Capabilities {
        &self.caps
    }

    fn implementation(&self) -> String {
        format!("command {}", self.name)
    }

    fn run_client(&self, case: &Case, server: Tcp, _connections: usize) -> Vec<SideOutcome> {
        let Tcp { addr, timeout } = server;
        let me = self.implementation();
        if self.is_server() {
            return vec![external::not_run(
                Role::Client,
                &me,
                "this command is a server (its template has {cert})".into(),
            )];
        }
        let line = self.command_line(case, Role::Client, addr.port());
        let mut g = match self.spawn(&line) {
            Ok(g) => g,
            Err(e) => return vec![external::not_run(Role::Client, &me, Chain(&e).to_string())],
        };
        let deadline = external::process_deadline(timeout, 1);
        let pong = String::from_utf8_lossy(pong_line());
        let answered = ping_pong(&mut g, deadline, |l| l.contains(pong.as_ref()));
        let cap = g.finish();
        vec![self.outcome(Role::Client, &cap, answered)]
    }

    fn run_server(&self, case: &Case, connections: usize, ctl: ServerControl) -> Vec<SideOutcome> {
        let me = self.implementation();
        if !self.is_server() {
            return vec![external::not_run(
                Role::Server,
                &me,
                "this command is a client (its template has no {cert})".into(),
            )];
        }
        let (mut g, port) = match self.start_server(case, ctl.io_timeout) {
            Ok(started) => started,
            Err(o) => return vec![*o],
        };
        let _ = ctl.ready.send(external::loopback(port));
        let deadline = external::process_deadline(ctl.io_timeout, connections);
        let made = ctl.connections_made(deadline, connections);
        // A server that exited with an error before it was stopped failed.
        let exited = g.wait_exit(Instant::now() + Duration::from_millis(50));
        let cap = g.finish();
        let ok = !exited || cap.code == Some(0);
        (0..made.max(1))
            .map(|_| self.outcome(Role::Server, &cap, ok))
            .collect()
    }
}

/// The endpoint's TLS 1.3 suites (`tls13`) or older ones, joined by `:`;
/// `None` when it has none of them.
fn suite_list(ep: &Endpoint, tls13: bool) -> Option<String> {
    let names: Vec<&str> = ep
        .suites
        .iter()
        .filter(|s| (s.min_version == Version::Tls1_3) == tls13)
        .map(|s| s.name.as_str())
        .collect();
    (!names.is_empty()).then(|| names.join(":"))
}

/// Whether `sh` finds the template's program, as `command -v` says, so
/// that a misspelt one stops the run before every case fails with exit
/// status 127. The program is the first word after `exec`, `env` and
/// variable assignments; one `sh` would expand or split (quotes, `$`,
/// braces, operators) is left to the run, as is what another wrapper
/// (`timeout 5 prog`) runs.
fn program_found(template: &str) -> Result<(), String> {
    let Some(word) = template
        .split_whitespace()
        .find(|w| !matches!(*w, "exec" | "env") && !w.contains('='))
    else {
        return Err("the template names no program".into());
    };
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-/+".contains(c));
    if !plain {
        return Ok(());
    }
    let found = std::process::Command::new("sh")
        .args(["-c", "command -v -- \"$1\"", "sh", word])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match found {
        Ok(s) if s.success() => Ok(()),
        Ok(_) => Err(format!(
            "{word}: not found by sh (not a program on PATH, nor a builtin)"
        )),
        Err(e) => Err(format!("running sh to look for {word}: {e}")),
    }
}

/// Quotes a value for `sh`.
pub(crate) fn quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_name_their_mistakes() {
        let s: CommandSpec = "mine=my-server --port {port} --cert {cert}"
            .parse()
            .expect("valid");
        assert_eq!(s.name, "mine");
        assert!(matches!(
            "no-equals".parse::<CommandSpec>(),
            Err(CommandSpecError::NoName(_))
        ));
        assert!(matches!(
            "x=run {prot}".parse::<CommandSpec>(),
            Err(CommandSpecError::UnknownPlaceholder { .. })
        ));
        assert!(matches!(
            "x=run --cert {cert}".parse::<CommandSpec>(),
            Err(CommandSpecError::NoPort(_))
        ));
    }

    /// The matrix's cases over the linked OpenSSL, and a command peer
    /// made from `template`.
    fn cases_and(template: &str) -> (Vec<Case>, Command) {
        let library = crate::library::Library::probe().expect("linked OpenSSL");
        let verify = |n: crate::case::Negative| n.expected_verify_error();
        let oracle = crate::oracle::Oracle::new(&library, &verify);
        let cases = crate::matrix::build(&library, &oracle);
        let pki = testkit::pki::Pki::generate().expect("test PKI");
        let dir = Arc::new(PkiDir::write(&pki, None).expect("PKI files"));
        let spec: CommandSpec = template.parse().expect("valid template");
        let command = Command::new(&spec, dir, crate::oracle::linked_capabilities(&library));
        (cases, command)
    }

    fn find<'a>(cases: &'a [Case], key: &str, option: &str, v: Version) -> &'a Case {
        cases
            .iter()
            .find(|c| c.key == key && c.option == option && c.version == v)
            .unwrap_or_else(|| panic!("no case {key}/{option} at {v}"))
    }

    /// A command reports nothing of its handshake: its side says so, so
    /// that a report's reader does not take `handshake_ok` for its word.
    #[test]
    fn a_commands_side_says_its_handshake_is_unreported() {
        let (_, command) = cases_and("s=sh {port} {cert}");
        let cap = crate::peer::process::Captured {
            command: "sh".into(),
            stdout: String::new(),
            stderr: "CONNECTION FAILURE".into(),
            lines: Vec::new(),
            exit: "killed by the harness".into(),
            code: None,
            ended: None,
        };
        let o = command.outcome(Role::Server, &cap, true);
        let external = o.external.expect("the command's view");
        assert!(external.handshake_unreported, "{external:?}");
    }

    #[test]
    fn placeholders_give_this_end_its_own_settings() {
        let (cases, command) = cases_and(
            "s=sh {port} {cert} v={version} c={cipher} cs={ciphersuites} l={seclevel} s={suite}",
        );
        // A server limited below the case's version gets its own highest.
        let high = find(&cases, "rsa2048", "mismatch-version-high", Version::Tls1_3);
        let line = command.command_line(high, Role::Server, 1);
        assert!(line.contains("v='tls1_2'"), "{line}");
        let first = &high.server.suites[0].name;
        assert!(line.contains(&format!("c='{first}'")), "{line}");
        // No TLS 1.3 suite of its own: OpenSSL's default three.
        assert!(
            line.contains(&format!("cs='{DEFAULT_CIPHERSUITES}'")),
            "{line}"
        );
        // A weak key loads only at the level the case gives the server.
        let weak = find(&cases, "weak-key", "verify", Version::Tls1_3);
        let level = weak
            .server
            .security_level
            .expect("a level for the weak key");
        let line = command.command_line(weak, Role::Server, 1);
        assert!(line.contains(&format!("l='{level}'")), "{line}");
        assert!(line.contains("v='tls1_3'"), "{line}");
        assert_eq!(command.caps.refuses(Role::Server, weak), None);
    }

    #[test]
    fn a_case_the_template_cannot_set_up_is_unsupported() {
        let (cases, bare) = cases_and("s=sh {port} {cert} -{version}");
        let refusal = |c: &Case| bare.caps.refuses(Role::Server, c).unwrap_or_default();
        let suite = find(&cases, "rsa2048", "mismatch-suite", Version::Tls1_3);
        assert!(refusal(suite).contains("{suite}"), "{}", refusal(suite));
        let weak = find(&cases, "weak-key", "verify", Version::Tls1_3);
        assert!(refusal(weak).contains("{seclevel}"), "{}", refusal(weak));
        let group = find(&cases, "rsa2048", "mismatch-group", Version::Tls1_3);
        assert!(refusal(group).contains("group list"), "{}", refusal(group));
        // Neither matters where the versions already part the two ends,
        // or where a lowered level changes nothing for a TLS 1.3 suite.
        let high = find(&cases, "rsa2048", "mismatch-version-high", Version::Tls1_3);
        assert_eq!(bare.caps.refuses(Role::Server, high), None);
        let plain = cases
            .iter()
            .find(|c| c.version == Version::Tls1_3 && c.option == "default" && c.key == "rsa2048")
            .expect("a TLS 1.3 suite case");
        assert_eq!(bare.caps.refuses(Role::Server, plain), None);
        // A client can't report why it refused a certificate.
        let (_, client) = cases_and("c=sh {port} {ca}");
        assert!(client.caps.verify_unreported);
        // Without {version} a command runs at its own range, so it can't
        // hold a version mismatch; the rest it can.
        let (cases, fixed) = cases_and("s=sh {port} {cert} {suite} {seclevel}");
        let refusal = |c: &Case| fixed.caps.refuses(Role::Server, c).unwrap_or_default();
        assert!(refusal(high).contains("{version}"), "{}", refusal(high));
        let plain = find(&cases, "rsa2048", "default", Version::Tls1_3);
        assert_eq!(fixed.caps.refuses(Role::Server, plain), None);
    }

    #[test]
    fn a_program_sh_cannot_find_makes_the_command_unavailable() {
        // sh itself, which the command peer needs anyway.
        assert_eq!(program_found("sh -c 'server {port}'"), Ok(()));
        assert_eq!(program_found("exec env A=1 sh -c x {port}"), Ok(()));
        assert_eq!(program_found("$TOOL {port}"), Ok(()), "left to sh");
        let missing = program_found("/nonexistent/tls-server {port} {cert}").unwrap_err();
        assert!(
            missing.starts_with("/nonexistent/tls-server: not found"),
            "{missing}"
        );
        let wrapped = program_found("exec env A=1 no-such-tls-tool-here {port}").unwrap_err();
        assert!(wrapped.starts_with("no-such-tls-tool-here: "), "{wrapped}");
    }

    #[test]
    fn values_are_quoted_for_the_shell() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
