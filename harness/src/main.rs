//! The `tls-harness` command: matrix, probe, serve, scan, pki and merge.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use harness::case::{KeyKind, Version};
use harness::matrix::Filter;
use harness::peer::PeerKind;
use harness::pipeline::{self, ExternalScope, MatrixOptions};
use harness::probe::{self, ProbeOptions, TraceFormat};
use harness::report::{self, Format};
use harness::serve::{self, Notice, ServeOptions, ServerIdentity};
use harness::settings::TlsSettings;
use harness::transport::Transport;
use harness::HarnessError;
use testkit::pki::{Overwrite, Pki};

/// Interop matrix and handshake tracing for OpenSSL.
#[derive(Parser)]
#[command(name = "tls-harness", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the interop matrix: versions x suites x key types x options.
    Matrix(MatrixArgs),
    /// Trace one client handshake against a live server (like s_client -state -msg).
    Probe(ProbeArgs),
    /// A tracing server that prints each connection's trace (like s_server -state).
    Serve(ServeArgs),
    /// Map a live server's versions, suites, groups, resumption and chain from traced probes.
    Scan(harness::scan::cli::ScanArgs),
    /// Write the test PKI (root, intermediate, leaves, CSR, negatives) as PEM files.
    Pki {
        /// Directory to write into; created if missing.
        #[arg(long)]
        out: PathBuf,
        /// table (one path a line) or json (a list of paths).
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
        /// Replace key files this command did not write (keys are always written 0600).
        #[arg(long)]
        force: bool,
    },
    /// Send hostile peers (malformed hellos, oversized records, slowloris, a flood, ...) to a TLS server.
    Hostile(HostileArgs),
    /// Handshake rate and bulk throughput, traced against untraced and against the crypto limit.
    Bench(BenchArgs),
    /// Join JSON shard reports into one report.
    Merge {
        /// JSON reports written by `matrix --format json`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// table, json, junit or markdown.
        #[arg(long, default_value = "json")]
        format: Format,
        /// Write the report here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
struct HostileArgs {
    /// The server to test, HOST:PORT (e.g. a running `tls-harness serve`).
    #[arg(
        long,
        required_unless_present = "in_process",
        conflicts_with = "in_process"
    )]
    target: Option<String>,
    /// Start an in-process traced server on 127.0.0.1:0 and check its server-side traces too.
    #[arg(long)]
    in_process: bool,
    /// table or json.
    #[arg(long, default_value = "table")]
    format: harness::hostile::ReportFormat,
    /// Seconds each connect, read and write may take.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Seconds the server may keep an idle connection (default 12; in process, its time-out + 1).
    #[arg(long)]
    idle_limit: Option<f64>,
    /// Read time-out of the in-process server, in seconds.
    #[arg(long, default_value_t = 2.0)]
    server_timeout: f64,
    /// Connections the flood opens.
    #[arg(long, default_value_t = 1000)]
    flood: usize,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct BenchArgs {
    /// Short measurements (under a minute in all); noisier figures.
    #[arg(long)]
    quick: bool,
    /// table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Run only rows whose id matches this regex (e.g. '^bulk/default/tls13').
    #[arg(long)]
    filter: Option<String>,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct MatrixArgs {
    /// Versions to run, comma-separated (ssl3,tls1,tls1_1,tls1_2,tls1_3).
    #[arg(long, value_delimiter = ',')]
    versions: Option<Vec<Version>>,
    /// Run only cases whose suite (OpenSSL or IANA name) matches this regex.
    #[arg(long)]
    suites: Option<regex::Regex>,
    /// Credentials to run, comma-separated: rsa2048, ecdsa-p256, ecdsa-p384, ed25519, ecdsa, psk, anon, expired, ...
    #[arg(long, value_delimiter = ',')]
    keys: Option<Vec<String>>,
    /// Options to run, comma-separated: default, mtls, resume, alpn, sni, group, mismatch, verify, ...
    #[arg(long, value_delimiter = ',')]
    options: Option<Vec<String>>,
    /// Peer kinds to pair, comma-separated: inproc, openssl-cli, gnutls-cli, rustls, botan, tlslite.
    /// Runs inproc with inproc, and each external kind as the server of
    /// the inproc client and as the client of the inproc server.
    #[arg(long, value_delimiter = ',', default_value = "inproc")]
    peers: Vec<PeerKind>,
    /// Which cases pairings with external peers run: subset (a
    /// representative slice) or full (every case).
    #[arg(long, default_value = "subset")]
    external_scope: ExternalScope,
    /// Your own server or client as the `command` peer: NAME=TEMPLATE, run
    /// by sh with {port} {cert} {key} {ca} {version} {suite} filled in. A
    /// template with {cert} is a server (it listens on {port} and answers
    /// each line); any other is a client (it sends its stdin and prints
    /// what it receives). Adds `command` to --peers.
    #[arg(long)]
    peer_cmd: Option<harness::peer::command::CommandSpec>,
    /// tcp (loopback, a fresh port per case) or memory.
    #[arg(long, default_value = "tcp")]
    transport: Transport,
    /// Cases run at once; defaults to the number of cores.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N (e.g. 2/4); `merge` joins the JSON reports.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
    /// List each pairing's cases and their expectations without running them.
    #[arg(long)]
    list: bool,
    /// table, json, junit or markdown.
    #[arg(long, default_value = "table")]
    format: Format,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seconds each read, write or accept may take; a whole case ends after
    /// (connections + 2) of these, whatever its sides are still doing.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Write DIR/<case id>.pcapng for each failed case: its connections as
    /// the in-process side saw them, with its key log, so Wireshark
    /// decrypts TLS 1.3. Each failed case's report names its file.
    #[arg(long, value_name = "DIR")]
    artifacts: Option<PathBuf>,
}

/// The TLS flags probe and serve share.
#[derive(Args)]
struct TlsArgs {
    /// Use only TLS 1.0.
    #[arg(long = "tls1")]
    tls1: bool,
    /// Use only TLS 1.1.
    #[arg(long = "tls1_1")]
    tls1_1: bool,
    /// Use only TLS 1.2.
    #[arg(long = "tls1_2")]
    tls1_2: bool,
    /// Use only TLS 1.3.
    #[arg(long = "tls1_3")]
    tls1_3: bool,
    /// Lowest version (ssl3, tls1, tls1_1, tls1_2, tls1_3).
    #[arg(long)]
    min_version: Option<Version>,
    /// Highest version.
    #[arg(long)]
    max_version: Option<Version>,
    /// TLS 1.2-and-older cipher list, OpenSSL syntax.
    #[arg(long)]
    cipher: Option<String>,
    /// TLS 1.3 suites, colon-separated.
    #[arg(long)]
    ciphersuites: Option<String>,
    /// Groups, colon-separated (X25519:P-256:...).
    #[arg(long)]
    groups: Option<String>,
    /// Signature algorithms, colon-separated.
    #[arg(long)]
    sigalgs: Option<String>,
    /// ALPN protocols, comma-separated.
    #[arg(long, value_delimiter = ',')]
    alpn: Vec<String>,
    /// Security level (0-5).
    #[arg(long)]
    seclevel: Option<u32>,
    /// Append NSS key log lines to this file.
    #[arg(long)]
    keylog: Option<PathBuf>,
    /// Seconds each connect, read and write may take.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

#[derive(Args)]
struct ProbeArgs {
    /// The server, HOST:PORT.
    target: String,
    /// SNI name and the name to verify (default: HOST, when it is a name).
    #[arg(long)]
    servername: Option<String>,
    /// Trust anchors (PEM); default: the system trust store.
    #[arg(long)]
    cafile: Option<PathBuf>,
    /// Client certificate chain (PEM, leaf first).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Client private key (PEM).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Make a second connection after the first.
    #[arg(long)]
    reconnect: bool,
    /// Seconds each whole handshake may take, however the server paces it.
    #[arg(long, default_value_t = 30.0)]
    handshake_timeout: f64,
    /// Seconds to keep reading after the handshake, for the tickets and
    /// alerts a server sends then (as s_client does); 0 skips it.
    #[arg(long, default_value_t = probe::DEFAULT_LINGER.as_secs_f64())]
    linger: f64,
    /// Write each connection's bytes as pcapng, with its key log in a
    /// Decryption Secrets Block, so Wireshark opens it decrypted.
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// state, msg, json (one object per line) or summary.
    #[arg(long, default_value = "summary")]
    format: TraceFormat,
    #[command(flatten)]
    tls: TlsArgs,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stderr).
    #[arg(long)]
    listen: String,
    /// Certificate chain (PEM, leaf first, as SSL_CTX_use_certificate_chain_file reads it).
    #[arg(long, requires = "key", conflicts_with = "key_type")]
    cert: Option<PathBuf>,
    /// Private key (PEM).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Generate the test PKI and serve its leaf of this type (rsa2048, ecdsa-p256, ecdsa-p384, ed25519).
    #[arg(long)]
    key_type: Option<KeyKind>,
    /// Require a client certificate that verifies against this CA file.
    #[arg(long)]
    verify_client: Option<PathBuf>,
    /// Exit after the first connection; the exit code says whether its handshake succeeded.
    #[arg(long)]
    once: bool,
    /// Connections served at once, 1 to 4096 (one worker thread each); more are closed at accept.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    max_connections: u16,
    /// Seconds a whole handshake may take, from accept.
    #[arg(long, default_value_t = 10.0)]
    handshake_timeout: f64,
    /// Seconds a whole connection may last, from accept.
    #[arg(long, default_value_t = 60.0)]
    connection_timeout: f64,
    /// Exit when no client connects for this many seconds (default with --once: 60, else never).
    #[arg(long)]
    accept_timeout: Option<f64>,
    /// state, msg, json (one object per line, with peer and timestamp) or summary.
    #[arg(long, default_value = "state")]
    format: TraceFormat,
    /// Append each connection's bytes to this pcapng file as it ends, with
    /// its key log in a Decryption Secrets Block (Wireshark decrypts it).
    #[arg(long)]
    pcap: Option<PathBuf>,
    #[command(flatten)]
    tls: TlsArgs,
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s.split_once('/').ok_or("use K/N, e.g. 1/4")?;
    let k: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("shard {k:?} is not a number"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("shard count {n:?} is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k}/{n}: K must be between 1 and N"));
    }
    Ok((k, n))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // An interrupted run must not leave peer processes behind.
    if let Err(e) = harness::peer::process::kill_on_signal() {
        eprintln!("tls-harness: {e}");
    }
    let result = match cli.command {
        Command::Matrix(a) => matrix(a),
        Command::Probe(a) => probe_cmd(a),
        Command::Serve(a) => serve_cmd(a),
        Command::Scan(a) => harness::scan::cli::run(a),
        Command::Pki { out, format, force } => pki(out, &format, force),
        Command::Hostile(a) => hostile_cmd(a),
        Command::Bench(a) => bench_cmd(a),
        Command::Merge { files, format, out } => merge(files, format, out),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tls-harness: {e}");
            ExitCode::from(2)
        }
    }
}

fn matrix(a: MatrixArgs) -> Result<bool, HarnessError> {
    let filter = Filter {
        versions: a.versions,
        suites: a.suites,
        keys: a.keys,
        options: a.options,
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let mut peers = a.peers;
    if a.peer_cmd.is_some() && !peers.contains(&PeerKind::Command) {
        peers.push(PeerKind::Command);
    }
    let opts = MatrixOptions {
        command: a.peer_cmd,
        filter,
        peers,
        transport: a.transport,
        jobs,
        shard: a.shard,
        io_timeout: seconds(a.timeout)?,
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        external_scope: a.external_scope,
        artifacts: a.artifacts,
    };
    if a.list {
        return list(&opts, a.format, a.out.as_ref()).map(|_| true);
    }
    let report = pipeline::run_matrix(&opts)?;
    emit(&report::render(&report, a.format), a.out.as_ref())?;
    if a.out.is_some() || a.format != Format::Table {
        eprintln!("{}", report.summary);
    }
    Ok(report.ok())
}

/// `matrix --list`: every pairing's cases with the expectation its peers'
/// declarations give, and the reason a case would be skipped.
fn list(opts: &MatrixOptions, format: Format, out: Option<&PathBuf>) -> Result<(), HarnessError> {
    let m = pipeline::plan_matrix(opts)?;
    let mut rows = Vec::new();
    for pp in &m.pairings {
        let pairing = harness::run::Pairing {
            client: pp.client.kind(),
            server: pp.server.kind(),
        };
        for p in &pp.cases {
            rows.push((pairing.result_id(&p.case.id), pairing, p));
        }
    }
    let text = match format {
        // The table lists what would run; the JSON also what would be
        // skipped, and why.
        Format::Table => rows
            .iter()
            .filter(|(_, _, p)| p.skip.is_none())
            .map(|(id, _, p)| format!("{id}\t{}\n", expectation_text(&p.case.expect)))
            .collect(),
        Format::Json => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(id, pairing, p)| {
                    serde_json::json!({
                        "id": id,
                        "pairing": pairing,
                        "index": p.index,
                        "skip": p.skip,
                        "expect": p.case.expect,
                    })
                })
                .collect();
            // Plain values always serialize.
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
        other => {
            return Err(HarnessError::Usage(format!(
                "matrix --list writes table or json, not {other:?}"
            )))
        }
    };
    emit(&text, out)
}

fn expectation_text(e: &harness::case::Expectation) -> String {
    use harness::case::Expectation;
    match e {
        Expectation::Success { version, suite, .. } => {
            format!("success {} {suite}", version.openssl_name())
        }
        Expectation::Failure { why, .. } => format!("failure: {why}"),
        Expectation::Unsupported { reason } => format!("unsupported: {reason}"),
        Expectation::Pending => "pending".into(),
    }
}

fn tls_settings(
    a: &TlsArgs,
    cert: Option<(PathBuf, PathBuf)>,
) -> Result<TlsSettings, HarnessError> {
    let only: Vec<Version> = [
        (a.tls1, Version::Tls1),
        (a.tls1_1, Version::Tls1_1),
        (a.tls1_2, Version::Tls1_2),
        (a.tls1_3, Version::Tls1_3),
    ]
    .into_iter()
    .filter_map(|(on, v)| on.then_some(v))
    .collect();
    let (min_version, max_version) = match only.as_slice() {
        [] => (a.min_version, a.max_version),
        [v] => (Some(*v), Some(*v)),
        _ => {
            return Err(HarnessError::Usage(
                "give at most one of --tls1, --tls1_1, --tls1_2, --tls1_3".into(),
            ))
        }
    };
    Ok(TlsSettings {
        min_version,
        max_version,
        cipher: a.cipher.clone(),
        ciphersuites: a.ciphersuites.clone(),
        groups: a.groups.clone(),
        sigalgs: a.sigalgs.clone(),
        alpn: a.alpn.clone(),
        seclevel: a.seclevel,
        keylog: a.keylog.clone(),
        cert,
    })
}

fn probe_cmd(a: ProbeArgs) -> Result<bool, HarnessError> {
    let cert = a.cert.clone().zip(a.key.clone());
    let opts = ProbeOptions {
        target: a.target.clone(),
        servername: a.servername.clone(),
        tls: tls_settings(&a.tls, cert)?,
        cafile: a.cafile.clone(),
        reconnect: a.reconnect,
        timeout: seconds(a.tls.timeout)?,
        handshake_timeout: seconds(a.handshake_timeout)?,
        linger: non_negative_seconds(a.linger)?,
        pcap: a.pcap.clone(),
    };
    let outcome = probe::probe(&opts)?;
    let mut stdout = std::io::stdout().lock();
    for (i, c) in outcome.connections.iter().enumerate() {
        let _ = stdout.write_all(c.render(a.format, i + 1).as_bytes());
    }
    let _ = stdout.flush();
    for n in outcome.connections.iter().flat_map(|c| &c.notes) {
        eprintln!("note: {n}");
    }
    match outcome.failure() {
        Some(f) => {
            eprintln!("tls-harness probe {}: {f}", a.target);
            Ok(false)
        }
        None => Ok(true),
    }
}

fn serve_cmd(a: ServeArgs) -> Result<bool, HarnessError> {
    let cert = a.cert.clone().zip(a.key.clone());
    let identity = match (a.key_type, &cert) {
        (Some(k), _) => ServerIdentity::Generated(harness::peer::inproc::key_type(k)),
        (None, Some(_)) => ServerIdentity::Files,
        (None, None) => {
            ServerIdentity::Generated(harness::peer::inproc::key_type(KeyKind::Rsa2048))
        }
    };
    let opts = ServeOptions {
        listen: a.listen.clone(),
        identity,
        verify_client: a.verify_client.clone(),
        tls: tls_settings(&a.tls, cert)?,
        once: a.once,
        format: a.format,
        timeout: seconds(a.tls.timeout)?,
        handshake_timeout: seconds(a.handshake_timeout)?,
        connection_timeout: seconds(a.connection_timeout)?,
        max_connections: usize::from(a.max_connections),
        pcap: a.pcap.clone(),
        accept_timeout: a
            .accept_timeout
            .or(a.once.then_some(60.0))
            .map(seconds)
            .transpose()?,
    };
    let mut stdout = std::io::stdout();
    serve::serve(&opts, &mut stdout, &mut |notice| match notice {
        Notice::Listening { addr, root } => {
            eprintln!("listening on {addr}");
            if let Some(root) = root {
                eprintln!("root CA: {}", root.display());
            }
        }
        Notice::Refused { peer, open } => {
            eprintln!("refused {peer}: {open} connections already open (--max-connections)")
        }
        _ => {}
    })
}

fn pki(out: PathBuf, format: &str, force: bool) -> Result<bool, HarnessError> {
    std::fs::create_dir_all(&out).map_err(|e| HarnessError::writing(&out, e))?;
    let pki = Pki::generate().map_err(|e| HarnessError::Pki(e.to_string()))?;
    let files = pki
        .write_pem_with(
            &out,
            if force {
                Overwrite::Any
            } else {
                Overwrite::Ours
            },
        )
        .map_err(|e| HarnessError::Pki(e.to_string()))?;
    let paths: Vec<String> = files
        .all()
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    if format == "json" {
        // A list of strings always serializes.
        println!(
            "{}",
            serde_json::to_string_pretty(&paths).unwrap_or_default()
        );
    } else {
        for p in paths {
            println!("{p}");
        }
    }
    Ok(true)
}

fn merge(files: Vec<PathBuf>, format: Format, out: Option<PathBuf>) -> Result<bool, HarnessError> {
    let mut reports = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| HarnessError::reading(f, e))?;
        reports.push(report::json::parse(&text, f)?);
    }
    let merged = report::json::merge(reports)?;
    emit(&report::render(&merged, format), out.as_ref())?;
    eprintln!("{}", merged.summary);
    Ok(merged.ok())
}

fn hostile_cmd(a: HostileArgs) -> Result<bool, HarnessError> {
    use harness::hostile::{self, HostileOptions, InProcessOptions, ReportFormat, Target};
    let target = match a.target {
        Some(t) => Target::Address(t),
        None => Target::InProcess(InProcessOptions {
            read_timeout: seconds(a.server_timeout)?,
            ..InProcessOptions::default()
        }),
    };
    let opts = HostileOptions {
        timeout: seconds(a.timeout)?,
        idle_limit: a.idle_limit.map(seconds).transpose()?,
        flood: a.flood,
        ..HostileOptions::default()
    };
    let report = hostile::run(target, &opts)?;
    emit(&report.render(a.format), a.out.as_ref())?;
    if a.out.is_some() || a.format != ReportFormat::Table {
        eprintln!("{}", report.summary);
    }
    Ok(report.ok())
}

fn bench_cmd(a: BenchArgs) -> Result<bool, HarnessError> {
    let filter = a
        .filter
        .map(|f| regex::Regex::new(&f))
        .transpose()
        .map_err(|e| HarnessError::Usage(format!("--filter: {e}")))?;
    let opts = benches::BenchOptions {
        quick: a.quick,
        filter,
    };
    let report = benches::run(&opts)?;
    let text = if a.format == "json" {
        report.to_json() + "\n"
    } else {
        report.to_table()
    };
    emit(&text, a.out.as_ref())?;
    Ok(true)
}

fn emit(text: &str, out: Option<&PathBuf>) -> Result<(), HarnessError> {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|e| HarnessError::writing(path, e)),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|e| HarnessError::Io {
                    what: "writing to stdout".into(),
                    source: e,
                })
        }
    }
}

/// Like [`seconds`], but zero is allowed (it switches something off).
fn non_negative_seconds(s: f64) -> Result<Duration, HarnessError> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| HarnessError::Usage(format!("{s} is not a number of seconds (0 or more)")))
}

fn seconds(s: f64) -> Result<Duration, HarnessError> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            HarnessError::Usage(format!("time-out {s} is not a positive number of seconds"))
        })
}
