//! What the scan tests share: starting `openssl s_server`, running
//! `tls-harness scan`, and reading its JSON report.
// Each scan test file includes this module and uses part of it.
#![allow(dead_code)]

use std::path::Path;

use openssl::asn1::Asn1Time;
use openssl::x509::X509;
use serde_json::Value;

use crate::common::{self, harness, run, Proc};

pub mod hello_proxy;
pub mod one_hello;
pub mod slow_path;

pub fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("utf-8 path").to_string()
}

/// `openssl s_server -www` on a free port with the RSA leaf and its
/// intermediate, plus `extra`.
pub fn s_server(d: &Path, extra: &[&str]) -> (Proc, String) {
    common::require("openssl", "version", "openssl");
    let (cert, key) = (p(d, "server-rsa2048.crt"), p(d, "server-rsa2048.key"));
    let chain = p(d, "intermediate.pem");
    let mut args = vec!["-www", "-cert", &cert, "-key", &key, "-cert_chain", &chain];
    args.extend(extra);
    common::s_server(&args)
}

/// `gnutls-serv` with the RSA leaf and its intermediate and `priority`,
/// once it listens; returns the guard and its address.
pub fn gnutls_rsa(d: &Path, priority: &str) -> (harness::peer::process::ChildGuard, String) {
    common::gnutls_leaf(d, "server-rsa2048", &["--priority", priority])
}

/// tlslite-ng's `tls.py server` on a free port with `key` and `chain`
/// (files of the test PKI), plus `extra`, once it listens; returns the
/// guard and its address.
pub fn tlslite_server(d: &Path, key: &str, chain: &str, extra: &[&str]) -> (Proc, String) {
    let python = common::tlslite_python();
    let script = python.with_file_name("tls.py");
    assert!(
        script.is_file(),
        "no tlslite-ng tls.py next to {}",
        python.display()
    );
    let (server, port) = common::ports::serve_on_free_port(|port| {
        let mut cmd = std::process::Command::new(&python);
        cmd.arg(&script)
            .args(["server", "-k", &p(d, key), "-c", &p(d, chain)])
            .args(extra)
            .arg(format!("localhost:{port}"))
            .current_dir(d);
        cmd
    });
    let addr = format!("127.0.0.1:{port}");
    (server, addr)
}

/// Runs a scan with the test PKI's root as trust anchor; returns the exit
/// code and the report text.
pub fn scan(d: &Path, addr: &str, extra: &[&str]) -> (Option<i32>, String) {
    let (o, text) = scan_any(d, addr, extra);
    assert!(
        o.status.code().is_some_and(|c| c < 2),
        "scan failed: {}",
        o.stderr
    );
    (o.status.code(), text)
}

/// [`scan`] for a scan that may end incomplete (exit 2): its output and
/// the report it wrote.
pub fn scan_any(d: &Path, addr: &str, extra: &[&str]) -> (common::Output, String) {
    // A file of its own: `each_at_once` runs scans side by side in `d`.
    static SCANS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SCANS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = d.join(format!("scan-{n}.out"));
    let mut args = vec!["scan", addr, "--servername", "localhost", "--timeout", "3"];
    let root = p(d, "root.pem");
    let out_s = out.to_str().expect("utf-8 path").to_string();
    args.extend(["--cafile", &root, "--out", &out_s]);
    args.extend_from_slice(extra);
    let o = run(harness(&args));
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (o, text)
}

/// A plaintext server on a free loopback port that answers every
/// connection with `script`: each step's bytes, then one read of what the
/// client sends next (10 s at most), as a STARTTLS server that never
/// switches does. Returns its address.
pub fn scripted(script: &'static [&'static [u8]]) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for mut c in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                for step in script {
                    let _ = c.write_all(step);
                    let _ = c.read(&mut [0u8; 512]);
                }
            });
        }
    });
    addr
}

pub fn scan_json(d: &Path, addr: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (_, text) = scan(d, addr, &args);
    serde_json::from_str(&text).expect("scan JSON")
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub fn version<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["findings"]["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["version"] == id))
        .unwrap_or_else(|| panic!("no finding for {id}"))
}

pub fn suites_of<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["findings"]["suites"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["version"] == id))
        .unwrap_or_else(|| panic!("no suites for {id}"))
}

pub fn groups_of<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["findings"]["groups"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["version"] == id))
        .unwrap_or_else(|| panic!("no groups for {id}"))
}

pub fn resumption<'a>(r: &'a Value, kind: &str) -> &'a Value {
    r["findings"]["resumption"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["kind"] == kind))
        .unwrap_or_else(|| panic!("no resumption finding {kind}"))
}

/// Every probe id a finding names has a trace in the report (but those
/// of the scan's own hellos), and each probe was one connection.
pub fn check_probes(r: &Value) {
    let probes = r["probes"].as_object().expect("probes");
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "probes" || k == "probe" {
                        match x {
                            Value::String(s) => out.push(s.clone()),
                            other => out.extend(strings(other)),
                        }
                    } else {
                        walk(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut named = Vec::new();
    walk(&r["findings"], &mut named);
    assert!(!named.is_empty());
    for id in &named {
        let rec = probes
            .get(id)
            .unwrap_or_else(|| panic!("finding names probe {id}, which the report lacks"));
        // SSLv3 and the suites OpenSSL 3.0 dropped are asked with the
        // scan's own hellos: OpenSSL traced nothing.
        let traced = !rec["offer"]
            .as_str()
            .is_some_and(|o| o.contains("written by the scan"));
        assert_eq!(
            rec["trace"]["events"].is_array(),
            traced,
            "probe {id}: {}",
            rec["trace"]
        );
    }
    assert_eq!(
        r["connections"].as_u64(),
        Some(probes.len() as u64),
        "one connection per probe"
    );
}

/// The policy rule `name` of a JSON report.
pub fn rule<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["policy"]["rules"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["rule"] == name))
        .unwrap_or_else(|| panic!("no rule {name}: {}", report["policy"]))
}

/// The diagnosis the report carries for probe `id`.
pub fn diagnosis<'a>(r: &'a Value, id: &str) -> &'a Value {
    let d = &r["probes"][id]["diagnosis"];
    assert!(
        d.is_object(),
        "probe {id} has no diagnosis: {}",
        r["probes"][id]
    );
    for key in ["cause", "summary", "fault", "fix"] {
        assert!(d[key].is_string(), "{id}: no {key} in {d}");
    }
    assert!(d["evidence"].is_array(), "{id}: no evidence in {d}");
    d
}

/// The line the table's "failed probes" section has for probe `id`.
pub fn failed_row<'a>(table: &'a str, id: &str) -> &'a str {
    let section = table
        .split_once("\nfailed probes\n")
        .unwrap_or_else(|| panic!("no failed probes section: {table}"))
        .1;
    section
        .lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("no failed probe {id}: {section}"))
}

pub fn days_left(cert_file: &str) -> i64 {
    let pem = std::fs::read(cert_file).expect("cert");
    let c = X509::from_pem(&pem).expect("pem");
    let now = Asn1Time::days_from_now(0).expect("now");
    i64::from(now.diff(c.not_after()).expect("diff").days)
}

/// The line of testssl.sh's check `flag` (`-H`, `-C`) against `addr` that
/// names `check` ("Heartbleed (CVE-2014-0160)").
pub fn testssl_line(flag: &str, addr: &str, check: &str) -> String {
    common::require("testssl", "--version", "testssl.sh");
    let mut c = std::process::Command::new("testssl");
    c.args(["--quiet", "--color", "0", "--warnings", "off", flag, addr]);
    let out = run(c).stdout;
    out.lines()
        .find(|l| l.contains(check))
        .unwrap_or_else(|| panic!("no {check} line from testssl.sh {flag}: {out}"))
        .to_owned()
}

/// `check(name, addr)` for each server at once, each on a thread of its
/// own (a testssl.sh run takes seconds, most of them its own start-up);
/// the results in `servers`' order. A check that panics fails the caller.
pub fn each_at_once<T: Send>(
    servers: &[(&str, String)],
    check: impl Fn(&str, &str) -> T + Sync,
) -> Vec<T> {
    std::thread::scope(|s| {
        let running: Vec<_> = servers
            .iter()
            .map(|(name, addr)| s.spawn(|| check(name, addr)))
            .collect();
        running
            .into_iter()
            .zip(servers)
            .map(|(r, (name, _))| {
                r.join()
                    .unwrap_or_else(|_| panic!("{name}: its check failed"))
            })
            .collect()
    })
}
