//! `tls-harness probe` and `tls-harness serve`: the TLS flags they share
//! and each one's own.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use harness::case::{KeyKind, Version};
use harness::exit::Exit;
use harness::probe::{self, ProbeOptions, TraceFormat};
use harness::serve::{self, Notice, ServeOptions, ServerIdentity};
use harness::settings::{Identity, TlsSettings};
use harness::starttls::StartTls;
use harness::HarnessError;

use harness::settings::{non_negative_seconds, seconds};

/// The TLS flags probe and serve share.
#[derive(Args)]
pub(crate) struct TlsArgs {
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
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=5))]
    seclevel: Option<u32>,
    /// Append NSS key log lines to this file.
    #[arg(long)]
    keylog: Option<PathBuf>,
    /// Seconds each read and write may take; for probe, also each connect
    /// to an address the name resolves to (tried in turn until one
    /// connects).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

#[derive(Args)]
pub(crate) struct ProbeArgs {
    /// The server, HOST:PORT.
    target: String,
    /// SNI name and the name to verify (default: HOST); an IP address is
    /// verified but not sent as SNI, which allows none, and a name in
    /// another script is sent as its IDNA A-label.
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
    /// Where to read the passphrase of an encrypted --key, as `s_client
    /// -pass` takes it: pass:TEXT, env:VAR, file:PATH, fd:N or stdin (the
    /// first line of a file, descriptor or stdin); without it, it is asked
    /// for at the terminal.
    #[arg(long, value_name = "SOURCE", requires = "key")]
    pass: Option<String>,
    /// Make a second connection after the first.
    #[arg(long)]
    reconnect: bool,
    /// Send this file's bytes as TLS 1.3 early data (0-RTT) on the second
    /// connection, with the first one's session, as `s_client -sess_in
    /// -early_data` does, and say whether the server accepted it. Cut to
    /// what the session allows; needs --reconnect.
    #[arg(long, value_name = "FILE", requires = "reconnect")]
    early_data: Option<PathBuf>,
    /// Ask for the server's OCSP response (status_request), as `s_client
    /// -status` does, and read it: its status, the leaf's, and its update times.
    #[arg(long)]
    status: bool,
    /// Print the certificates the server sent, in PEM, as `s_client
    /// -showcerts` does (on stderr with --format state or msg; in JSON as
    /// certificates_pem).
    #[arg(long)]
    showcerts: bool,
    /// Seconds each whole handshake may take, however the server paces it.
    #[arg(long, default_value_t = 30.0)]
    handshake_timeout: f64,
    /// Seconds to keep reading after the handshake, for the tickets and
    /// alerts a server sends then (as s_client does); 0 skips it.
    #[arg(long, default_value_t = probe::DEFAULT_LINGER.as_secs_f64())]
    linger: f64,
    /// Write each connection's bytes as pcapng, with its key log in a
    /// Decryption Secrets Block, so Wireshark opens it decrypted; an
    /// earlier capture in the file is kept (a new section follows it).
    /// The bytes are those this client wrote and OpenSSL read, not a
    /// capture of the wire: what arrived after a failure is not in it. A
    /// connection never made has no packets, which a note on stderr says.
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// How to print each trace.
    #[arg(long, default_value = "summary")]
    format: TraceFormat,
    /// Ask the server to switch to TLS first, as `s_client -starttls` does
    /// (the same commands: SMTP's EHLO and STARTTLS, IMAP's CAPABILITY and
    /// STARTTLS, POP3's STLS, FTP's AUTH TLS, PostgreSQL's SSLRequest, LDAP's
    /// StartTLS extended request, XMPP's stream to --name, else the
    /// --servername domain, else the host, as -xmpphost does).
    #[arg(long, value_name = "PROTOCOL", value_parser = harness::starttls::StartTlsParser)]
    starttls: Option<StartTls>,
    /// With --starttls, the host name the exchange gives, as `s_client
    /// -name` does: SMTP's EHLO name, in ASCII (a name in another script
    /// as its A-label; else mail.example.com, s_client's)
    /// and the domain XMPP's stream is to (else as --starttls says); the
    /// other protocols send none. --xmpphost is its alias, as in s_client.
    #[arg(long, alias = "xmpphost", requires = "starttls", value_parser = harness::starttls::parse_name)]
    name: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stderr).
    #[arg(long)]
    listen: String,
    /// Certificate chain (PEM, leaf first, as SSL_CTX_use_certificate_chain_file reads it).
    /// Without it (and without --key-type), a generated RSA 2048 leaf is served.
    #[arg(long, requires = "key", conflicts_with = "key_type")]
    cert: Option<PathBuf>,
    /// Private key (PEM).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Where to read the passphrase of an encrypted --key, as `s_client
    /// -pass` takes it: pass:TEXT, env:VAR, file:PATH, fd:N or stdin (the
    /// first line of a file, descriptor or stdin); without it, it is asked
    /// for at the terminal.
    #[arg(long, value_name = "SOURCE", requires = "key")]
    pass: Option<String>,
    /// Generate the test PKI and serve its leaf of this type (rsa2048, ecdsa-p256, ecdsa-p384, ed25519; dsa2048, which needs --cipher DHE-DSS suites).
    #[arg(long)]
    key_type: Option<KeyKind>,
    /// Require a client certificate that verifies against this CA file, whose CAs the CertificateRequest names (as `s_server -Verify 1 -CAfile` does).
    #[arg(long)]
    verify_client: Option<PathBuf>,
    /// Exit after the first connection; the exit code says whether it succeeded (its handshake did, and no fatal alert ended it after).
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
    /// How to print each trace.
    #[arg(long, default_value = "state")]
    format: TraceFormat,
    /// Append each connection's bytes to this pcapng file as it ends, with
    /// its key log in a Decryption Secrets Block (Wireshark decrypts it);
    /// an earlier capture in the file is kept (a new section follows it).
    /// The bytes are those this server wrote and OpenSSL read, not a
    /// capture of the wire: what arrived after a failure is not in it.
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// Answer an HTTP request (GET or HEAD) after the handshake with the
    /// connection's trace, as `s_server -www` answers with its session.
    #[arg(long)]
    www: bool,
    /// Take TLS 1.3 early data (0-RTT), as `s_server -early_data` does:
    /// session tickets allow 16384 bytes, and each connection reads what
    /// comes early before its handshake ends (with --www, a request sent
    /// early is answered).
    #[arg(long)]
    early_data: bool,
    #[command(flatten)]
    tls: TlsArgs,
}

pub(crate) fn tls_settings(
    a: &TlsArgs,
    identity: Option<Identity>,
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
        [] => match (a.min_version, a.max_version) {
            (Some(min), Some(max)) if min > max => {
                return Err(HarnessError::Usage(format!(
                    "--min-version ({min}) is above --max-version ({max}): no version is left"
                )))
            }
            range => range,
        },
        [_] if a.min_version.is_some() || a.max_version.is_some() => {
            return Err(HarnessError::Usage(
                "--tls1, --tls1_1, --tls1_2 and --tls1_3 set both ends of the range: give \
                 one of them, or --min-version and --max-version"
                    .into(),
            ))
        }
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
        identity,
    })
}

pub(crate) fn probe_cmd(a: ProbeArgs) -> Result<Exit, HarnessError> {
    harness::settings::check_servername(a.servername.as_deref())?;
    let identity = identity(a.cert.as_deref(), a.key.as_deref(), a.pass.as_deref())?;
    let linger = non_negative_seconds("--linger", a.linger)?;
    if a.early_data.is_some() && linger.is_zero() {
        return Err(HarnessError::Usage(
            "--early-data needs the first connection's session ticket, which a TLS 1.3 \
             server sends after the handshake: give a --linger above 0"
                .into(),
        ));
    }
    let early_data = match &a.early_data {
        Some(path) => {
            let takes = "a file of the bytes to send as TLS 1.3 early data";
            harness::settings::readable("--early-data", path, takes)?;
            // A server takes at most its max_early_data (OpenSSL's
            // s_server: 16 KiB); a megabyte is past any use.
            let read = harness::settings::read_bounded(path, 1 << 20)
                .map_err(|e| HarnessError::Usage(format!("--early-data {}: {e}", path.display())));
            Some(read?)
        }
        None => None,
    };
    let opts = ProbeOptions {
        target: a.target.clone(),
        servername: a.servername.clone(),
        tls: tls_settings(&a.tls, identity)?,
        cafile: a.cafile.clone(),
        reconnect: a.reconnect,
        status: a.status,
        showcerts: a.showcerts,
        timeout: seconds("--timeout", a.tls.timeout)?,
        handshake_timeout: seconds("--handshake-timeout", a.handshake_timeout)?,
        linger,
        pcap: a.pcap.clone(),
        starttls: a.starttls,
        name: a.name.clone(),
        early_data,
    };
    let outcome = probe::probe(&opts)?;
    let mut stdout = std::io::stdout().lock();
    let written = outcome
        .connections
        .iter()
        .enumerate()
        .try_for_each(|(i, c)| stdout.write_all(c.render(a.format, i + 1).as_bytes()))
        .and_then(|()| stdout.flush());
    match written {
        // A reader that stopped reading (`| head`) wanted no more.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(HarnessError::Io {
                what: "writing to stdout".into(),
                source: e,
            });
        }
        _ => {}
    }
    for n in outcome.connections.iter().flat_map(|c| &c.notes) {
        harness::stderr!("note: {n}");
    }
    // The state and msg formats leave stdout to OpenSSL's own lines.
    if matches!(a.format, TraceFormat::State | TraceFormat::Msg) {
        let several = outcome.connections.len() > 1;
        for (i, c) in outcome.connections.iter().enumerate() {
            let chain = c.certificate_chain();
            if several && (c.ocsp.is_some() || c.early_data.is_some() || !chain.is_empty()) {
                harness::stderr!("connection {}:", i + 1);
            }
            if let Some(o) = &c.ocsp {
                harness::stderr!("ocsp: {}", o.detail);
            }
            if let Some(e) = &c.early_data {
                harness::stderr!("early data: {e}");
            }
            harness::stderr::write(format_args!("{chain}"));
        }
    }
    let Some((n, f)) = outcome.failure() else {
        return Ok(Exit::Success);
    };
    // A signal cuts a wait short, which the probe alone would take for a
    // time-out; the process exits with the signal's code.
    if let Some(signal) = harness::interrupt::received() {
        harness::stderr!("tls-harness probe {}: stopped by {signal}", a.target);
        return Ok(Exit::Failed);
    }
    // With --reconnect, say which connection failed.
    if outcome.connections.len() > 1 {
        harness::stderr!("tls-harness probe {} (connection {n}): {f}", a.target);
    } else {
        harness::stderr!("tls-harness probe {}: {f}", a.target);
    }
    // The -state and -msg formats are OpenSSL's lines alone; the summary
    // and JSON carry the diagnosis already.
    let diagnosis = outcome
        .connections
        .get(n - 1)
        .and_then(|c| c.diagnosis.as_ref());
    if let Some(d) = diagnosis.filter(|_| matches!(a.format, TraceFormat::State | TraceFormat::Msg))
    {
        eprint_diagnosis(d);
    }
    Ok(Exit::of_probe(f))
}

pub(crate) fn serve_cmd(a: ServeArgs) -> Result<bool, HarnessError> {
    let files = identity(a.cert.as_deref(), a.key.as_deref(), a.pass.as_deref())?;
    let identity = match (a.key_type, &files) {
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
        tls: tls_settings(&a.tls, files)?,
        once: a.once,
        format: a.format,
        timeout: seconds("--timeout", a.tls.timeout)?,
        handshake_timeout: seconds("--handshake-timeout", a.handshake_timeout)?,
        connection_timeout: seconds("--connection-timeout", a.connection_timeout)?,
        max_connections: usize::from(a.max_connections),
        pcap: a.pcap.clone(),
        www: a.www,
        early_data: a.early_data,
        accept_timeout: a
            .accept_timeout
            .or(a.once.then_some(60.0))
            .map(|s| seconds("--accept-timeout", s))
            .transpose()?,
    };
    let mut stdout = std::io::stdout();
    serve::serve(&opts, &mut stdout, &mut |notice| match notice {
        Notice::Listening { addr, root } => {
            harness::stderr!("listening on {addr}");
            if let Some(root) = root {
                harness::stderr!("root CA: {}", root.display());
            }
        }
        Notice::Warning(why) => harness::stderr!("warning: {why}"),
        Notice::Refused { peer, open } => {
            harness::stderr!("refused {peer}: {}", serve::refusal(open))
        }
        Notice::EarlyData { peer, early } => harness::stderr!("{peer}: early data: {early}"),
        Notice::Note { peer, note } => harness::stderr!("note: {peer}: {note}"),
        Notice::Failed {
            peer,
            error,
            diagnosis,
        } => {
            harness::stderr!(
                "{peer}: {}",
                error.as_deref().unwrap_or("the connection failed")
            );
            if let Some(d) = diagnosis {
                eprint_diagnosis(d);
            }
        }
        _ => {}
    })
}

/// `--cert` and `--key`, read once, the key decrypted with the passphrase
/// `--pass` names when given.
fn identity(
    cert: Option<&Path>,
    key: Option<&Path>,
    pass: Option<&str>,
) -> Result<Option<Identity>, HarnessError> {
    let pass = harness::settings::passphrase::read_arg(pass)?;
    cert.zip(key)
        .map(|(c, k)| Identity::load(c, k, pass.as_ref()))
        .transpose()
}

/// A failure's diagnosis under its error on stderr, for the formats whose
/// stdout is OpenSSL's own lines.
fn eprint_diagnosis(d: &openssl_handshake::Diagnosis) {
    harness::stderr!(
        "  diagnosis: {} (fault: {}): {}",
        d.cause,
        d.fault,
        d.summary
    );
    harness::stderr!("  fix: {}", d.fix);
}
