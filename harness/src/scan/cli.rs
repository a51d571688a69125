//! The `scan` subcommand's arguments and its run.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::conn::Limits;
use super::policy::Policy;
use super::render::render;
use super::{scan, LocalFiles, ScanOptions, Verdict};
use crate::error::HarnessError;
use crate::report::Format;
use crate::settings::seconds;
use crate::starttls::StartTls;

/// `tls-harness scan HOST:PORT ...`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The server, HOST:PORT.
    pub target: String,
    /// SNI name and the name to check the certificate against (default: HOST, when it is a
    /// name); a name in another script is sent as its IDNA A-label.
    #[arg(long)]
    pub servername: Option<String>,
    /// Trust anchors (PEM); default: the system trust store.
    #[arg(long)]
    pub cafile: Option<PathBuf>,
    /// Client certificate chain (PEM, leaf first), for servers that require one.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Where to read the passphrase of an encrypted --key, as `s_client
    /// -pass` takes it: pass:TEXT, env:VAR, file:PATH, fd:N or stdin (the
    /// first line of a file, descriptor or stdin); without it, it is asked
    /// for at the terminal.
    #[arg(long, value_name = "SOURCE", requires = "key")]
    pub pass: Option<String>,
    /// Connections at once.
    #[arg(long, default_value_t = 8)]
    pub jobs: usize,
    /// ALPN protocols to try, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "h2,http/1.1")]
    pub alpn: Vec<String>,
    /// mozilla-modern, mozilla-intermediate, mozilla-old, or a TOML policy file.
    #[arg(long)]
    pub policy: Option<String>,
    /// How to write the report.
    #[arg(long, default_value = "table")]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seconds each connect, read and write may take.
    #[arg(long, default_value_t = 5.0)]
    pub timeout: f64,
    /// Seconds a whole handshake may take.
    #[arg(long, default_value_t = 10.0)]
    pub handshake_timeout: f64,
    /// Keep every traced message's bytes (hex) in the JSON report.
    #[arg(long)]
    pub raw_bytes: bool,
    /// Ask the server to switch to TLS first on every connection, as
    /// `probe --starttls` does.
    #[arg(long, value_name = "PROTOCOL", value_parser = crate::starttls::StartTlsParser)]
    pub starttls: Option<StartTls>,
    /// With --starttls, the host name the exchange gives, as `probe
    /// --name` does: SMTP's EHLO name (else mail.example.com) and the
    /// domain XMPP's stream is to (else --servername, else the host).
    #[arg(long, alias = "xmpphost", requires = "starttls", value_parser = crate::starttls::parse_name)]
    pub name: Option<String>,
}

/// Runs the scan; `Ok(false)` when a policy rule failed.
pub fn run(a: ScanArgs) -> Result<bool, HarnessError> {
    // Load the policy first: a typo should not cost a scan.
    let policy = a.policy.as_deref().map(Policy::load).transpose()?;
    if let Some(p) = &policy {
        p.check_names(&super::testable_suites(&crate::library::Library::probe()?))?;
    }
    if a.jobs == 0 {
        return Err(HarnessError::Usage("--jobs must be at least 1".into()));
    }
    crate::settings::check_alpn(&a.alpn)?;
    crate::settings::check_servername(a.servername.as_deref())?;
    let pass = crate::settings::passphrase::read_arg(a.pass.as_deref())?;
    let files = LocalFiles::load(
        a.cafile.as_deref(),
        a.cert.as_deref().zip(a.key.as_deref()),
        pass.as_ref(),
    )?;
    let io = seconds("--timeout", a.timeout)?;
    let opts = ScanOptions {
        target: a.target.clone(),
        servername: a.servername.clone(),
        files: std::sync::Arc::new(files),
        jobs: a.jobs,
        alpn: a.alpn.clone(),
        limits: Limits {
            connect: io,
            io,
            handshake: seconds("--handshake-timeout", a.handshake_timeout)?,
        },
        raw_bytes: a.raw_bytes,
        starttls: a.starttls,
        name: a.name.clone(),
    };
    let mut report = scan(&opts)?;
    // Rules that forbid things would all pass a server that was never
    // reached, so a policy is only checked against real findings: where
    // only the scan's own hellos reached it, against theirs alone.
    let f = &report.findings;
    let own_hellos_only = report.cannot_scan.is_some()
        && (f.sslv2.accepted == Verdict::Yes
            || f.versions.iter().any(|v| v.accepted == Verdict::Yes));
    report.policy = match policy {
        Some(p) if report.cannot_scan.is_none() => Some(p.check(f)),
        Some(p) if own_hellos_only => Some(p.check(f).reached_by_own_hellos_only(f)),
        _ => None,
    };
    let ok = report.policy.as_ref().is_none_or(|p| p.ok());
    let text = render(&report, a.format);
    match &a.out {
        Some(path) => std::fs::write(path, text).map_err(|e| HarnessError::writing(path, e))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| HarnessError::Io {
                    what: "writing to stdout".into(),
                    source: e,
                })?;
        }
    }
    if let Some(p) = &report.policy {
        let failed = p.failed();
        if !failed.is_empty() {
            crate::stderr!("policy {}: failed rules: {}", p.name, failed.join(", "));
            let unverified = p.unverified();
            if !unverified.is_empty() {
                let why = match report.cannot_scan {
                    Some(_) => "as the linked OpenSSL reached no version of the server's".into(),
                    None => unverified_why(&report, p),
                };
                crate::stderr!(
                    "policy {}: not verified, {why}: {}",
                    p.name,
                    unverified.join(", ")
                );
            }
        }
    }
    // A rule the own hellos saw broken is a verdict even so.
    if let Some(reason) = report.cannot_scan.clone().filter(|_| ok) {
        return Err(HarnessError::ScanTarget {
            target: report.target,
            reason,
        });
    }
    // A failed rule is a verdict (1); rules left unchecked are not (2).
    match &report.policy {
        Some(p) if ok && !p.unverified().is_empty() => Err(HarnessError::ScanIncomplete {
            target: report.target.clone(),
            rules: p.unverified().join(", "),
            why: unverified_why(&report, p),
        }),
        _ => Ok(ok),
    }
}

/// Why a policy's rules went unverified: probes without an answer, a
/// certificate never sent, or a question the server left open.
fn unverified_why(report: &super::ScanReport, p: &super::policy::PolicyResult) -> String {
    let probes = p.unanswered_probes(&report.findings.unanswered);
    let mut why = Vec::new();
    if !probes.is_empty() {
        why.push(format!(
            "as {} got no TLS answer even on a retry; rerun, or give the server longer \
             (--timeout, --handshake-timeout) or fewer connections at once (--jobs)",
            probes.join(" ")
        ));
    }
    if report.findings.chain.certificates.is_empty() {
        why.push("as the server sent no certificate, which the certificate rules judge".into());
    }
    if why.is_empty() {
        why.push("as the server's answers left them open (see each rule's detail)".into());
    }
    why.join("; and ")
}
