//! `tls-harness scan HOST:PORT`: a live server's TLS surface, each finding
//! drawn from traced handshakes that the report keeps by probe id.
//!
//! The scan runs in two rounds of parallel probes (bounded by `--jobs`):
//! first one probe per protocol version, a "base" handshake offering
//! everything, and one with the linked OpenSSL's client defaults; then,
//! from what those found, the enumerations (suites, groups,
//! signature schemes, ALPN) and the single checks (SNI, resumption,
//! fallback SCSV). Client auth, the chain, DH parameters and secure
//! renegotiation are read from probes already made.

mod address;
pub mod alpn;
pub mod applicable;
pub mod attempt;
pub mod chain;
pub mod cli;
pub mod client_auth;
pub mod compression;
pub mod conn;
pub mod default_client;
pub mod dh;
pub mod downgrade;
pub mod early_data;
pub mod encrypt_then_mac;
pub mod facts;
pub mod fallback;
pub mod groups;
pub mod heartbeat;
pub mod legacy_suites;
mod local_files;
pub mod master_secret;
pub mod mozilla;
pub mod ocsp;
pub mod offer;
pub mod own_hello;
pub mod policy;
pub mod render;
pub mod renegotiation;
pub mod resumption;
pub mod sigalgs;
pub mod sni;
pub mod ssl2;
pub mod ssl3;
pub mod suites;
pub mod versions;
pub mod weaknesses;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::case::Version;
use crate::error::HarnessError;
use crate::library::Library;
use crate::probe;
use crate::starttls::StartTls;
use conn::{Limits, Offer, ProbeRecord, Prober, Target};
pub use local_files::LocalFiles;

/// The JSON layout version of [`ScanReport`].
/// 2: a policy rule may be `unverified`; `findings.unanswered`, and per
/// probe `unanswered` and `retried_after`.
/// 3: `findings.sslv2` and `findings.weaknesses`, per version
/// `openssl_reached`, per suite finding `legacy`; a report with
/// `cannot_scan` may carry a `policy`, judged on the scan's own hellos.
/// 4: `findings.default_client`.
/// 5: `findings.other_chains` and each chain's `key_type`; the
/// certificate rules read every chain; `findings.master_secret`.
/// 6: `findings.downgrade`.
/// 7: `findings.ocsp` and `findings.encrypt_then_mac`.
/// 8: `findings.compression`, `findings.heartbeat` and
/// `findings.early_data`.
/// 9: a chain's `complete` is yes also where its verification stops at
/// the issuer of the last certificate sent (`chain_verify` 20) and the
/// certificates sent verify up to that one, a CA certificate.
/// 10: `address` and `addresses_passed_over`: the scan runs against the
/// first of a name's addresses that takes a connection.
/// 11: a signature-scheme enumeration cut short reads `cut_short`.
/// 12: a chain's `client_verify_errors`, every error its verification as
/// a client met.
pub const SCAN_SCHEMA_VERSION: u32 = 12;

/// The id of the probe that offers every version and suite the linked
/// OpenSSL has, at security level 0 like the other probes, with
/// verification: the chain, client auth and the SNI comparison rest on
/// it. What a client with OpenSSL's defaults gets is
/// [`default_client::PROBE`]'s.
pub const BASE_PROBE: &str = "base";

/// What `scan` needs.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// `HOST:PORT`.
    pub target: String,
    /// SNI and the name to check the certificate against (default: HOST when it is a name).
    pub servername: Option<String>,
    /// The trust anchors and the client certificate, read once.
    pub files: Arc<LocalFiles>,
    /// Connections at once.
    pub jobs: usize,
    /// ALPN protocols to try.
    pub alpn: Vec<String>,
    /// Time-outs of each probe.
    pub limits: Limits,
    /// Keep each traced message's bytes in the report.
    pub raw_bytes: bool,
    /// Ask the server to switch to TLS first on every connection.
    pub starttls: Option<StartTls>,
    /// The host name the STARTTLS exchange gives (`--name`).
    pub name: Option<String>,
}

/// Whether something holds, with why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It does.
    Yes,
    /// It does not.
    No,
    /// The scan could not tell (the reason is in the finding's detail).
    NotTestable,
    /// The question does not arise for this server.
    NotApplicable,
}

impl Verdict {
    /// "yes", "no", "not testable", "n/a".
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
            Verdict::NotTestable => "not testable",
            Verdict::NotApplicable => "n/a",
        }
    }
}

/// Everything the scan found.
#[derive(Debug, Clone, Serialize)]
pub struct Findings {
    /// SSLv2, which is no [`Version`] any other part of the tool runs.
    pub sslv2: ssl2::Sslv2Finding,
    /// Each protocol version.
    pub versions: Vec<versions::VersionFinding>,
    /// Whether a client with the linked OpenSSL's defaults connects.
    pub default_client: default_client::DefaultClientFinding,
    /// Suites per accepted version, with the server's order.
    pub suites: Vec<suites::SuiteFinding>,
    /// Key-exchange groups, per version.
    pub groups: Vec<groups::GroupFinding>,
    /// Signature schemes per version.
    pub sigalgs: Vec<sigalgs::SigalgFinding>,
    /// Finite-field DH parameters.
    pub dh: dh::DhFinding,
    /// The named attacks the rest leaves the server open to.
    pub weaknesses: Vec<weaknesses::Weakness>,
    /// ALPN.
    pub alpn: alpn::AlpnFinding,
    /// Behaviour on an unknown or missing server name.
    pub sni: sni::SniFinding,
    /// Session id, ticket and TLS 1.3 PSK resumption.
    pub resumption: Vec<resumption::ResumptionFinding>,
    /// TLS 1.3 early data (0-RTT) the tickets allow.
    pub early_data: early_data::EarlyDataFinding,
    /// Client-certificate request.
    pub client_auth: client_auth::ClientAuthFinding,
    /// The certificate chain.
    pub chain: chain::ChainFinding,
    /// The server's other certificate chains: those it sends a client that
    /// can verify only another key type (an RSA and an ECDSA certificate,
    /// say). The policy's certificate rules read every chain.
    pub other_chains: Vec<chain::ChainFinding>,
    /// TLS_FALLBACK_SCSV (RFC 7507).
    pub fallback_scsv: fallback::FallbackFinding,
    /// Secure renegotiation (RFC 5746).
    pub renegotiation: renegotiation::RenegotiationFinding,
    /// The extended master secret (RFC 7627).
    pub master_secret: master_secret::MasterSecretFinding,
    /// OCSP stapling (RFC 6066 section 8).
    pub ocsp: ocsp::OcspFinding,
    /// Encrypt-then-MAC for CBC suites (RFC 7366).
    pub encrypt_then_mac: encrypt_then_mac::EtmFinding,
    /// The TLS 1.3 downgrade sentinel (RFC 8446 4.1.3).
    pub downgrade: downgrade::DowngradeFinding,
    /// TLS compression (CRIME).
    pub compression: compression::CompressionFinding,
    /// Heartbeats (RFC 6520) and Heartbleed.
    pub heartbeat: heartbeat::HeartbeatFinding,
    /// The names (OpenSSL's and IANA's) of every suite the linked OpenSSL
    /// could offer: whether the server takes any other is unknown.
    #[serde(skip)]
    pub testable_suites: Vec<String>,
    /// The probes that got no TLS answer, even on a retry (no connection,
    /// a STARTTLS refused, or a time-out before any ServerHello), with why: what rests on them
    /// is incomplete, and a policy rule resting on them is not verified.
    pub unanswered: BTreeMap<String, String>,
}

/// The result of a scan.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// [`SCAN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `HOST:PORT` as given.
    pub target: String,
    /// The address every probe connected to: the first of those the name
    /// resolved to that took a connection; `None` when none did.
    pub address: Option<String>,
    /// The addresses tried before it that took no connection (or every
    /// one, when none did), each "ADDR: why".
    pub addresses_passed_over: Vec<String>,
    /// The SNI name used.
    pub servername: Option<String>,
    /// The protocol each connection switched to TLS from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starttls: Option<&'static str>,
    /// The linked OpenSSL.
    pub openssl: String,
    /// Wall time of the scan, in milliseconds.
    pub wall_ms: f64,
    /// TCP connections made.
    pub connections: usize,
    /// Connections allowed at once.
    pub jobs: usize,
    /// Why the findings say nothing about a TLS server: no connection
    /// could be made, or no probe got a ServerHello. A policy is not
    /// checked then, and the command exits 2.
    pub cannot_scan: Option<String>,
    /// The findings, each naming its probes.
    pub findings: Findings,
    /// The policy check, when one was asked for.
    pub policy: Option<policy::PolicyResult>,
    /// Every probe, by id, with its trace.
    pub probes: BTreeMap<String, ProbeRecord>,
}

/// Scans the target.
pub fn scan(opts: &ScanOptions) -> Result<ScanReport, HarnessError> {
    let started = Instant::now();
    let mut target = resolve(&opts.target, opts.servername.clone(), opts.limits.io)?;
    target.starttls = opts.starttls;
    target.starttls_name = opts.name.clone();
    let chosen = address::choose(&target.addrs, opts.limits.connect);
    if let Some(a) = chosen.address {
        target.addrs = vec![a];
    }
    let library = Library::probe()?;
    let openssl = library.version_text.clone();
    let prober = Prober::new(
        target,
        opts.limits,
        library,
        Arc::clone(&opts.files),
        opts.jobs,
    )
    .keep_raw_bytes(opts.raw_bytes);
    let p = &prober;

    // Round 1: one probe per version, a handshake offering everything
    // with verification for the chain, client auth and the SNI
    // comparison, and one with OpenSSL's client defaults.
    let ((versions, version_attempts), base, sslv2, default_client) = std::thread::scope(|s| {
        let base = s.spawn(|| {
            p.run(
                BASE_PROBE,
                &Offer {
                    verify: true,
                    ocsp: true,
                    ..Offer::default()
                },
                None,
            )
        });
        let sslv2 = s.spawn(|| ssl2::probe(p));
        let default_client = s.spawn(|| default_client::probe(p));
        let v = versions::scan(p);
        (v, base.join(), sslv2.join(), default_client.join())
    });
    let sslv2 = sslv2.unwrap_or_else(|_| ssl2::Sslv2Finding::failed());
    let mut default_client =
        default_client.unwrap_or_else(|_| default_client::DefaultClientFinding::failed());
    let base =
        base.unwrap_or_else(|_| conn::Attempt::failed(BASE_PROBE, "the probe panicked".into()));
    if default_client.connects == Verdict::No {
        if let Some(why) = versions::intolerance(&base, &versions) {
            default_client.detail.push_str(&format!("; {why}"));
            default_client.probes.push(BASE_PROBE.to_owned());
        }
    }
    // The enumerations and checks run OpenSSL's client: only at versions
    // it reached itself. Where only the scan's own hellos were answered
    // (SSLv3, or a server of nothing newer than 3DES), the suites alone
    // are asked, with more of them.
    let accepted: Vec<_> = versions
        .iter()
        .filter(|v| v.accepted == Verdict::Yes && v.openssl_reached)
        .map(|v| v.version)
        .collect();
    let own_only: Vec<_> = versions
        .iter()
        .filter(|v| v.accepted == Verdict::Yes && !v.openssl_reached)
        .map(|v| v.version)
        .collect();
    // What the scan's own hellos got where only they reached a version.
    let own_seen: Vec<renegotiation::Seen> = versions
        .iter()
        .filter(|v| own_only.contains(&v.version))
        .filter_map(|v| v.own_hello.clone())
        .collect();
    let cannot_scan = unscannable(&prober, &version_attempts, &base, &own_only, &sslv2);
    // The chain as the base probe got it, or, where it got none (refused
    // at the versions it offers), as the highest version taken got it.
    let chain_probe = if base.chain.is_empty() {
        version_attempts
            .iter()
            .filter(|a| !a.chain.is_empty())
            .max_by_key(|a| a.hello.version)
            .unwrap_or(&base)
    } else {
        &base
    };
    let cert_curve = chain_probe
        .chain
        .first()
        .and_then(|c| groups::curve_group(c));
    let base_chain = chain::from_probe(p, chain_probe, &base);

    // The scan's own hellos ask what OpenSSL cannot offer at the best
    // version below TLS 1.3 that anything reached.
    let older = own_hello::best_older(&versions);

    // Round 2: enumerations and checks, all at once.
    let mut findings = std::thread::scope(|s| {
        let suites = s.spawn(|| suites::scan(p, &accepted, &own_only));
        // SSLv3's suites, asked with the scan's own hellos, when it is taken.
        let ssl3_taken = own_only.contains(&Version::Ssl3);
        let ssl3 = s.spawn(move || ssl3_taken.then(|| ssl3::suites(p)));
        let groups = s.spawn(|| groups::scan(p, &accepted, cert_curve));
        let sigalgs = s.spawn(|| sigalgs::scan(p, &accepted));
        let alpn = s.spawn(|| alpn::scan(p, &accepted, &opts.alpn));
        // The other tasks probe accepted versions only, which a target
        // that never answered has none of; the SNI probes would wait on it
        // again.
        let sni = s.spawn(|| match cannot_scan {
            None => sni::scan(p, &base),
            Some(_) => sni::SniFinding::failed(),
        });
        let resumption = s.spawn(|| resumption::scan(p, &accepted));
        let fallback = s.spawn(|| fallback::scan(p, &accepted));
        let etm = s.spawn(|| encrypt_then_mac::scan(p, &accepted, &own_seen));
        let compression = s.spawn(|| compression::scan(p, older));
        let heartbeat = s.spawn(|| heartbeat::scan(p, older));
        let dh = s.spawn(|| dh::negotiation(p, &accepted));
        let renegotiating = s.spawn(|| renegotiation::ask_client_initiated(p, &accepted));
        let other_chains = s.spawn(|| chain::others(p, &accepted, &base_chain));
        let mut suites = suites.join().unwrap_or_default();
        if let Ok(Some(f)) = ssl3.join() {
            suites.insert(0, f);
        }
        let groups = groups.join().unwrap_or_default();
        let (resumption_found, early_data) = resumption.join().unwrap_or_else(|_| {
            let why = "the resumption probes panicked".to_owned();
            let early = early_data::EarlyDataFinding::without(Verdict::NotTestable, why);
            (Vec::new(), early)
        });
        let (other_chains, others_unanswered) = other_chains.join().unwrap_or_default();
        Findings {
            dh: dh::from_findings(
                &suites,
                &groups,
                dh.join().unwrap_or_else(|_| dh::Negotiation::failed()),
            ),
            suites,
            groups,
            sigalgs: sigalgs.join().unwrap_or_default(),
            alpn: alpn.join().unwrap_or_else(|_| alpn::AlpnFinding::failed()),
            sni: sni.join().unwrap_or_else(|_| sni::SniFinding::failed()),
            resumption: resumption_found,
            early_data,
            fallback_scsv: fallback
                .join()
                .unwrap_or_else(|_| fallback::FallbackFinding::failed()),
            client_auth: client_auth::from_base(&base, opts.files.client.is_some()),
            chain: base_chain.clone().missing_others(others_unanswered),
            other_chains,
            master_secret: master_secret::from_versions(&version_attempts, &versions),
            ocsp: ocsp::from_base(&base),
            encrypt_then_mac: etm
                .join()
                .unwrap_or_else(|_| encrypt_then_mac::EtmFinding::failed()),
            downgrade: downgrade::from_versions(&version_attempts, &versions),
            compression: compression
                .join()
                .unwrap_or_else(|_| compression::CompressionFinding::failed()),
            heartbeat: heartbeat
                .join()
                .unwrap_or_else(|_| heartbeat::HeartbeatFinding::failed()),
            renegotiation: {
                let f = renegotiation::from_versions(&version_attempts, &versions);
                match renegotiating.join() {
                    Ok(c) => f.with_client(c),
                    Err(_) => f,
                }
            },
            sslv2,
            versions,
            default_client,
            weaknesses: Vec::new(),
            testable_suites: testable_suites(p.library()),
            unanswered: p.unanswered(),
        }
    });
    applicable::rest_na_on_versions(&mut findings, cannot_scan.is_none());
    if cannot_scan.is_some() {
        let why = if own_only.is_empty() {
            "nothing of the server's TLS was reached"
        } else {
            "the linked OpenSSL reached no version of the server's"
        };
        applicable::unasked(&mut findings, why);
        // The scan's own hellos ask these; where they reached a version,
        // their n/a stands.
        if own_only.is_empty() {
            let f = &mut findings;
            for (verdict, detail) in [
                (
                    &mut f.encrypt_then_mac.supported,
                    &mut f.encrypt_then_mac.detail,
                ),
                (&mut f.compression.compressed, &mut f.compression.detail),
                (&mut f.heartbeat.supported, &mut f.heartbeat.detail),
                (
                    &mut f.heartbeat.heartbleed,
                    &mut f.heartbeat.heartbleed_detail,
                ),
            ] {
                if *verdict == Verdict::NotApplicable {
                    *verdict = Verdict::NotTestable;
                    why.clone_into(detail);
                }
            }
        }
    }
    findings.weaknesses = weaknesses::from_findings(&findings);
    Ok(ScanReport {
        schema_version: SCAN_SCHEMA_VERSION,
        target: opts.target.clone(),
        address: chosen.address.map(|a| a.to_string()),
        addresses_passed_over: chosen.passed_over,
        servername: prober.target().servername.clone(),
        starttls: opts.starttls.map(StartTls::name),
        openssl,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
        connections: prober.connections(),
        jobs: opts.jobs,
        cannot_scan,
        findings,
        policy: None,
        probes: prober.into_records(),
    })
}

/// Every suite name the scan can offer, by OpenSSL's name and IANA's:
/// the linked OpenSSL's suites and those the scan's own hellos write.
pub fn testable_suites(library: &Library) -> Vec<String> {
    library
        .all_suites()
        .flat_map(|s| std::iter::once(s.name.clone()).chain(s.standard_name.clone()))
        .chain(legacy_suites::LEGACY_SUITES.iter().flat_map(|l| {
            let iana = openssl_handshake::decode::CipherSuite::new(l.id).name;
            let alias = l.alias.map(str::to_owned);
            std::iter::once(l.name.to_owned()).chain(iana).chain(alias)
        }))
        .collect()
}

/// Why the first round leaves nothing to scan: no connection was made, or
/// no probe got a ServerHello OpenSSL takes (a plain-text service, a
/// server refusing every version this OpenSSL can offer, or one whose
/// ServerHello OpenSSL refuses). Findings drawn from that would
/// be empty, and a policy of prohibitions would pass them.
fn unscannable(
    p: &Prober,
    versions: &[conn::Attempt],
    base: &conn::Attempt,
    own_only: &[Version],
    sslv2: &ssl2::Sslv2Finding,
) -> Option<String> {
    if versions
        .iter()
        .chain([base])
        .any(|a| a.hello.version.is_some())
    {
        return None;
    }
    let seen = base.error.as_deref().unwrap_or("no ServerHello");
    // What only the scan's own hellos reached stands; the rest rests on
    // handshakes of OpenSSL's, which got nowhere.
    let mut own: Vec<&str> = own_only.iter().map(|v| v.display()).collect();
    if sslv2.accepted == Verdict::Yes {
        own.insert(0, "SSLv2");
    }
    Some(if !own.is_empty() {
        format!(
            "the linked OpenSSL got no ServerHello at any version ({seen}); only the scan's own \
             hellos were answered, at {}: their versions and suites rows stand, but the chain, \
             groups, signature schemes, ALPN, SNI and resumption rest on handshakes of \
             OpenSSL's and could not be asked, and a policy is judged only on what the own \
             hellos saw",
            own.join(", ")
        )
    } else if p.connections() == 0 {
        format!("no connection could be made ({seen}); is the server up and the port right?")
    } else if p.reached_tls() == 0 && p.starttls_timed_out() == p.connections() {
        // Every exchange ran out of time: a slow greeting, not a refusal.
        format!(
            "every connection was made, but each STARTTLS exchange ran out of time ({seen}); a \
             server that delays its greeting (Postfix's postscreen waits 6 s) needs a longer \
             --timeout"
        )
    } else if p.reached_tls() == 0 {
        // Only --starttls stands between a connection and TLS.
        format!(
            "every connection was made, but the server switched none to TLS ({seen}); does it \
             offer STARTTLS for this protocol on this port?"
        )
    } else if let Some(answered) = versions::plaintext(base) {
        // The diagnosis names what answered (and, with --starttls, whose
        // fault the plaintext is).
        format!("no probe got a ServerHello, at any version: {answered}")
    } else if let Some(why) = [base].into_iter().chain(versions).find_map(refused_hello) {
        // A ServerHello is TLS, even one this OpenSSL takes at no version.
        format!(
            "no probe completed a handshake: the server answered with a ServerHello OpenSSL \
             refused ({why}); the port speaks TLS, but no handshake gets past its ServerHello"
        )
    } else if versions
        .iter()
        .chain([base])
        .any(|a| a.hello.alert.is_some())
    {
        // An alert is TLS: the server speaks it, but to none of these hellos.
        format!(
            "no probe got a ServerHello, at any version ({seen}); the server answers in TLS but \
             refused every ClientHello the linked OpenSSL can write: it may need a suite, group \
             or signature scheme this OpenSSL does not offer"
        )
    } else {
        format!("no probe got a ServerHello, at any version ({seen}); is this port a TLS service?")
    })
}

/// Why the linked OpenSSL refused the ServerHello (or HelloRetryRequest)
/// that `a` read, when the server's last word was one: OpenSSL's reason,
/// and what the decoder here found wrong with the message.
fn refused_hello(a: &conn::Attempt) -> Option<String> {
    let trace = a.hello.trace.as_ref()?;
    let failure = trace.failure()?;
    let last = trace
        .messages()
        .filter(|m| m.direction == openssl_handshake::Direction::Read)
        .filter(|m| m.handshake_type.is_some())
        .last()?;
    if last.handshake_type != Some(openssl_handshake::decode::HandshakeType::SERVER_HELLO) {
        return None;
    }
    let mut why = match failure.reason.as_str() {
        "" => "no reason given".to_owned(),
        reason => reason.to_owned(),
    };
    if let Some(findings) = last.decode_findings() {
        why.push_str(&format!("; decoded here: {findings}"));
    }
    Some(why)
}

fn resolve(
    target: &str,
    servername: Option<String>,
    timeout: Duration,
) -> Result<Target, HarnessError> {
    let (host, addrs) = probe::resolve(target, timeout)?;
    Ok(Target {
        servername: probe::default_servername(servername, &host),
        host,
        addrs,
        starttls: None,
        starttls_name: None,
    })
}
