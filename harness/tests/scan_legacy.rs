//! What the linked OpenSSL cannot offer, asked with the scan's own
//! ClientHellos: SSLv3, which tlslite-ng serves when told to (`--ssl3`; its
//! own client is the reference), and the suites OpenSSL 3.0 dropped, 3DES
//! and RC4 among them, which tlslite-ng runs when listed (gnutls-cli,
//! offering one suite at a time, is the reference for which); and SSLv2,
//! which nothing on this machine speaks, against a scripted front that
//! answers SSLv2 hellos and passes the rest to openssl s_server.

mod common;
mod scan_support;

use std::process::Command;

use common::{run, tlslite_python, write_pki};

use scan_support::*;

/// tlslite-ng's own client at SSLv3 against `addr` (127.0.0.1:PORT, by
/// the name it takes, localhost): its report.
fn tlslite_client_ssl3(d: &std::path::Path, addr: &str) -> String {
    let addr = addr.replace("127.0.0.1", "localhost");
    let python = tlslite_python();
    let mut c = Command::new(&python);
    c.arg(python.with_file_name("tls.py"))
        .args(["client", "--ssl3", "--max-ver", "ssl3", &addr])
        .current_dir(d)
        .stdin(std::process::Stdio::null());
    let o = run(c);
    format!("{}{}", o.stdout, o.stderr)
}

/// The legacy suites gnutls-cli completes a TLS 1.2 handshake with
/// against `addr`, offering one at a time, by OpenSSL name.
fn gnutls_legacy_suites(addr: &str) -> Vec<String> {
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let port = addr.rsplit(':').next().expect("port");
    let mut found = Vec::new();
    for (kx, cipher, name) in [
        ("ECDHE-RSA", "3DES-CBC", "ECDHE-RSA-DES-CBC3-SHA"),
        ("DHE-RSA", "3DES-CBC", "EDH-RSA-DES-CBC3-SHA"),
        ("RSA", "3DES-CBC", "DES-CBC3-SHA"),
        ("ECDHE-RSA", "ARCFOUR-128", "ECDHE-RSA-RC4-SHA"),
        ("RSA", "ARCFOUR-128", "RC4-SHA"),
    ] {
        let priority =
            format!("NONE:+VERS-TLS1.2:+{kx}:+{cipher}:+SHA1:+COMP-NULL:+SIGN-ALL:+CURVE-ALL");
        let mut c = Command::new("gnutls-cli");
        c.args([
            "--priority",
            &priority,
            "--insecure",
            "-p",
            port,
            "localhost",
        ])
        .stdin(std::process::Stdio::null());
        if run(c).stdout.contains("Handshake was completed") {
            found.push(name.to_owned());
        }
    }
    found
}

#[test]
fn an_sslv3_server_with_3des_and_rc4_is_found_and_fails_its_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = tlslite_server(
        d,
        "server-rsa2048.key",
        "server-rsa2048.chain.pem",
        &[
            "--ssl3",
            "--cipherlist",
            "aes128",
            "--cipherlist",
            "3des",
            "--cipherlist",
            "rc4",
        ],
    );
    let reference = tlslite_client_ssl3(d, &addr);
    assert!(reference.contains("Version: SSL 3.0"), "{reference}");
    let legacy_12 = gnutls_legacy_suites(&addr);
    assert!(
        legacy_12.contains(&"DES-CBC3-SHA".to_owned()),
        "{legacy_12:?}"
    );

    let policy = d.join("policy.toml");
    std::fs::write(
        &policy,
        // EDH-RSA-DES-CBC3-SHA by the name OpenSSL 1.1 gave it.
        "min_version = \"tls1\"\nforbid_suites = [\"RC4-SHA\", \"DHE-RSA-DES-CBC3-SHA\"]\n",
    )
    .expect("write policy");
    let policy = policy.to_str().expect("utf-8");
    let r = scan_json(d, &addr, &["--policy", policy]);
    let v = version(&r, "ssl3");
    assert_eq!(v["accepted"], "yes", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|s| s.starts_with("ServerHello SSLv3 ")),
        "{v}"
    );
    // No trace: OpenSSL took no part in the probe.
    let probe = &r["probes"]["version/ssl3"];
    assert!(
        probe["trace"].is_null() && probe["error"].is_null(),
        "{probe}"
    );

    // At TLS 1.2, the dropped suites the scan found are those gnutls-cli
    // completes a handshake with, each in `accepted` and in `legacy`.
    let s12 = suites_of(&r, "tls1_2");
    let mut found = strings(&s12["legacy"]);
    found.sort();
    let mut want = legacy_12.clone();
    want.sort();
    assert_eq!(found, want, "{s12}");
    let accepted = strings(&s12["accepted"]);
    assert!(want.iter().all(|n| accepted.contains(n)), "{s12}");
    // The same suites at SSLv3, asked with SSLv3 hellos.
    let s3 = suites_of(&r, "ssl3");
    let at_ssl3 = strings(&s3["accepted"]);
    for n in ["AES128-SHA", "DES-CBC3-SHA", "RC4-SHA"] {
        assert!(at_ssl3.contains(&n.to_owned()), "{n}: {s3}");
    }

    // What that configuration opens, by name: 3DES (SWEET32), RC4, CBC at
    // SSLv3 (POODLE) and at TLS 1.0 (BEAST); no export suite, no SSLv2.
    let weakness = |name: &str| {
        r["findings"]["weaknesses"]
            .as_array()
            .and_then(|ws| ws.iter().find(|w| w["name"] == name))
            .unwrap_or_else(|| panic!("no weakness {name}"))["affected"]
            .clone()
    };
    for (name, affected) in [
        ("SWEET32", "yes"),
        ("RC4", "yes"),
        ("POODLE", "yes"),
        ("BEAST", "yes"),
        ("FREAK", "no"),
        ("LOGJAM", "no"),
        ("DROWN", "no"),
    ] {
        assert_eq!(weakness(name), affected, "{name}");
    }
    for (name, names) in [
        ("min_version", "SSLv3"),
        ("forbid_suites", "RC4-SHA, DHE-RSA-DES-CBC3-SHA"),
    ] {
        let x = rule(&r, name);
        assert_eq!(x["outcome"], "fail", "{x}");
        assert!(
            x["detail"].as_str().is_some_and(|s| s.contains(names)),
            "{x}"
        );
    }
}

#[test]
fn a_server_without_sslv3_refuses_the_hello() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = tlslite_server(d, "server-rsa2048.key", "server-rsa2048.chain.pem", &[]);
    let reference = tlslite_client_ssl3(d, &addr);
    assert!(
        reference.contains("TLSRemoteAlert: protocol_version"),
        "{reference}"
    );

    let r = scan_json(d, &addr, &[]);
    let v = version(&r, "ssl3");
    assert_eq!(v["accepted"], "no", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|s| s == "refused: fatal alert protocol_version (70)"),
        "{v}"
    );
}

/// An SSLv2 SERVER-HELLO (type 4, no session-id hit, X.509, version 2), a
/// stand-in certificate, the cipher specs RC4_128_WITH_MD5 and
/// DES_192_EDE3_CBC_WITH_MD5, and a 16-byte connection id.
fn sslv2_server_hello() -> Vec<u8> {
    let mut m = vec![4, 0, 1, 0, 2, 0, 3, 0, 6, 0, 16, 0x30, 0x01, 0x00];
    m.extend_from_slice(&[0x01, 0x00, 0x80, 0x07, 0x00, 0xc0]);
    m.extend_from_slice(&[9; 16]);
    let mut out = vec![0x80, m.len() as u8];
    out.extend_from_slice(&m);
    out
}

/// A front on `upstream` that answers a hello in SSLv2's format (top bit
/// of its first byte set) with [`sslv2_server_hello`] and passes every
/// other connection on.
fn sslv2_front(upstream: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                let mut client = client;
                let mut first = [0u8; 1];
                if client.read_exact(&mut first).is_err() {
                    return;
                }
                if first[0] & 0x80 != 0 {
                    let _ = client.write_all(&sslv2_server_hello());
                    return;
                }
                let Ok(mut server) = std::net::TcpStream::connect(&upstream) else {
                    return;
                };
                let _ = server.write_all(&first);
                let (mut c2, mut s2) = match (client.try_clone(), server.try_clone()) {
                    (Ok(c), Ok(s)) => (c, s),
                    _ => return,
                };
                std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
                let _ = std::io::copy(&mut client, &mut server);
                let _ = server.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    addr
}

#[test]
fn an_sslv2_server_hello_is_a_yes_and_fails_min_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, upstream) = s_server(d, &[]);
    let addr = sslv2_front(upstream);
    let policy = d.join("policy.toml");
    std::fs::write(&policy, "min_version = \"tls1_2\"\n").expect("write policy");
    let r = scan_json(d, &addr, &["--policy", policy.to_str().expect("utf-8")]);
    let v = &r["findings"]["sslv2"];
    assert_eq!(v["accepted"], "yes", "{v}");
    assert_eq!(
        v["detail"],
        "SERVER-HELLO with RC4_128_WITH_MD5, DES_192_EDE3_CBC_WITH_MD5"
    );
    // The rest is s_server's: TLS 1.2 taken, SSLv3 refused.
    assert_eq!(version(&r, "tls1_2")["accepted"], "yes");
    assert_eq!(version(&r, "ssl3")["accepted"], "no");
    let x = rule(&r, "min_version");
    assert_eq!(x["outcome"], "fail", "{x}");
    assert!(
        x["detail"]
            .as_str()
            .is_some_and(|s| s.starts_with("accepts SSLv2, below TLS 1.2")),
        "{x}"
    );
}

/// A server of SSLv2 alone (every other hello is closed on) fails
/// `require_secure_renegotiation`, and says why: SSLv2 has no RFC 5746.
#[test]
fn an_sslv2_only_server_has_no_secure_renegotiation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let nothing = common::ports::ClosedPort::new();
    let addr = sslv2_front(nothing.addr());
    let policy = p(d, "policy.toml");
    std::fs::write(
        &policy,
        "require_secure_renegotiation = true\nallowed_suites = [\"AES128-SHA\"]\n",
    )
    .expect("policy");
    let (code, r) = scan_own_only(d, &addr, &policy);
    assert_eq!(code, Some(1), "{}", r["policy"]);
    assert_eq!(r["findings"]["sslv2"]["accepted"], "yes");
    let x = rule(&r, "require_secure_renegotiation");
    assert_eq!(x["outcome"], "fail", "{x}");
    assert_eq!(
        x["detail"],
        "the server speaks only SSLv2, which has no secure renegotiation (RFC 5746)"
    );
    // Its cipher specs (those of `sslv2_server_hello`) are no suite the
    // policy allows: no TLS suite could be.
    let x = rule(&r, "allowed_suites");
    assert_eq!(x["outcome"], "fail", "{x}");
    assert_eq!(
        x["detail"],
        "accepts suites outside the policy: SSLv2 RC4_128_WITH_MD5, SSLv2 \
         DES_192_EDE3_CBC_WITH_MD5"
    );
}

/// tlslite-ng with 3DES alone and a 1024-bit DH prime: every TLS version
/// is refused with the linked OpenSSL's suites and taken with the scan's
/// own hellos, whose suites and DH prime (read from the ServerKeyExchange)
/// stand; what rests on OpenSSL's handshakes cannot be asked, so the scan
/// says CANNOT SCAN and names what its own hellos reached. A policy fails
/// on what they saw (exit 1); its other rules are not verified, and where
/// none fails the scan exits 2.
#[test]
fn a_3des_only_server_is_reached_by_own_hellos_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let dh = p(d, "dh1024.pem");
    let mut gen = Command::new("openssl");
    gen.args(["dhparam", "-out", &dh, "1024"]);
    assert!(run(gen).status.success(), "openssl dhparam");
    let (_server, addr) = tlslite_server(
        d,
        "server-rsa2048.key",
        "server-rsa2048.chain.pem",
        &["--cipherlist", "3des", "--param", &dh],
    );
    // What the server was configured with breaks each of these rules but
    // the last, which rests on OpenSSL's handshakes.
    let broken = p(d, "broken.toml");
    std::fs::write(
        &broken,
        "min_version = \"tls1_2\"\nforbid_suites = [\"DES-CBC3-SHA\"]\nmin_dh_bits = 2048\n\
         require_valid_certificate = true\n",
    )
    .expect("policy");
    let (code, r) = scan_own_only(d, &addr, &broken);
    assert_eq!(code, Some(1), "{}", r["policy"]);
    let why = r["cannot_scan"].as_str().unwrap_or_default();
    assert!(
        why.contains("only the scan's own hellos were answered, at TLS 1.0, TLS 1.1, TLS 1.2"),
        "{why}"
    );
    for name in ["min_version", "forbid_suites", "min_dh_bits"] {
        assert_eq!(rule(&r, name)["outcome"], "fail", "{}", rule(&r, name));
    }
    let cert = rule(&r, "require_valid_certificate");
    assert_eq!(cert["outcome"], "unverified", "{cert}");
    assert!(
        cert["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("reached no version"),
        "{cert}"
    );
    for v in ["tls1", "tls1_1", "tls1_2"] {
        let x = version(&r, v);
        assert_eq!(x["accepted"], "yes", "{x}");
        assert_eq!(x["openssl_reached"], false, "{x}");
        let s = suites_of(&r, v);
        assert!(
            strings(&s["legacy"]).contains(&"EDH-RSA-DES-CBC3-SHA".into()),
            "{s}"
        );
    }
    // The prime the file holds, read from the server's ServerKeyExchange.
    assert_eq!(r["findings"]["dh"]["min_bits"], 1024);
    // Nothing OpenSSL's handshakes ask reads as a fact about the server.
    assert_eq!(r["findings"]["groups"], serde_json::json!([]));
    for x in r["findings"]["resumption"].as_array().expect("resumption") {
        assert_eq!(x["resumed"], "not_testable", "{x}");
    }

    // Rules the server meets: the version rule passes, as every version
    // was asked, and so does secure renegotiation, read from the own
    // hellos' ServerHellos, where gnutls-cli sees it too, and
    // encrypt-then-MAC likewise; heartbeat and compression are asked by
    // hellos of the scan's own on any server. A suite rule does not pass
    // on the own hellos alone.
    let options = gnutls_options(&addr);
    assert!(options.contains("safe renegotiation"), "{options}");
    assert!(options.contains("EtM"), "{options}");
    let met = p(d, "met.toml");
    std::fs::write(
        &met,
        "min_version = \"tls1\"\nrequire_secure_renegotiation = true\n\
         forbid_suites = [\"RC4-SHA\"]\nrequire_valid_certificate = true\n\
         require_encrypt_then_mac = true\nforbid_heartbleed = true\nforbid_compression = true\n",
    )
    .expect("policy");
    let (code, r) = scan_own_only(d, &addr, &met);
    assert_eq!(code, Some(2), "{}", r["policy"]);
    for name in [
        "min_version",
        "require_secure_renegotiation",
        "require_encrypt_then_mac",
        "forbid_heartbleed",
        "forbid_compression",
    ] {
        assert_eq!(rule(&r, name)["outcome"], "pass", "{}", rule(&r, name));
    }
    let probes = strings(&r["findings"]["renegotiation"]["probes"]);
    assert!(
        probes.contains(&"version/tls1_2/legacy".into()),
        "{probes:?}"
    );
    for name in ["forbid_suites", "require_valid_certificate"] {
        assert_eq!(
            rule(&r, name)["outcome"],
            "unverified",
            "{}",
            rule(&r, name)
        );
    }
}

/// The session's options as gnutls-cli, offering 3DES at TLS 1.2,
/// reports them ("- Options: extended master secret, safe renegotiation,
/// EtM,").
fn gnutls_options(addr: &str) -> String {
    common::require("gnutls-cli", "--version", "gnutls-bin");
    let port = addr.rsplit(':').next().expect("port");
    let mut c = Command::new("gnutls-cli");
    c.args([
        "--priority",
        "NONE:+VERS-TLS1.2:+KX-ALL:+3DES-CBC:+SHA1:+COMP-NULL:+SIGN-ALL:+CURVE-ALL",
        "--insecure",
        "-p",
        port,
        "localhost",
    ])
    .stdin(std::process::Stdio::null());
    let out = run(c).stdout;
    out.lines()
        .find(|l| l.starts_with("- Options:"))
        .unwrap_or_default()
        .to_owned()
}

/// A scan expected to end CANNOT SCAN (which `scan_support::scan` refuses):
/// its exit code and JSON report.
fn scan_own_only(
    d: &std::path::Path,
    addr: &str,
    policy: &str,
) -> (Option<i32>, serde_json::Value) {
    let out = p(d, "scan.json");
    let o = run(common::harness(&[
        "scan",
        addr,
        "--servername",
        "localhost",
        "--policy",
        policy,
        "--format",
        "json",
        "--out",
        &out,
    ]));
    let r = serde_json::from_str(&std::fs::read_to_string(&out).expect("report")).expect("JSON");
    (o.status.code(), r)
}

/// gnutls-serv with its own order ranks ECDHE-RSA-DES-CBC3-SHA above the
/// AES-256 suites without ECDHE, as a ServerHello to gnutls-cli offering
/// both shows: the row's server order holds the dropped suites where the
/// server ranks them, not after OpenSSL's.
#[test]
fn dropped_suites_take_their_place_in_a_server_s_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let (_server, addr) = gnutls_rsa(d, "NORMAL:-VERS-TLS1.3:+3DES-CBC:%SERVER_PRECEDENCE");
    // The reference: a ClientHello written here by hand, offering
    // AES256-GCM-SHA384 (0x009d) first, gets ECDHE-RSA-DES-CBC3-SHA
    // (0xc012).
    assert_eq!(chosen_suite(&addr, &[0x009d, 0xc012]), 0xc012);
    assert_eq!(chosen_suite(&addr, &[0xc012, 0x009d]), 0xc012);

    let r = scan_json(d, &addr, &["--jobs", "1"]);
    let s = suites_of(&r, "tls1_2");
    assert_eq!(s["server_order"], true, "{s}");
    let accepted = strings(&s["accepted"]);
    let at = |name: &str| {
        accepted
            .iter()
            .position(|a| a == name)
            .unwrap_or_else(|| panic!("{name} not in {accepted:?}"))
    };
    assert!(
        at("ECDHE-RSA-DES-CBC3-SHA") < at("AES256-GCM-SHA384"),
        "{accepted:?}"
    );
    assert!(
        strings(&s["probes"])
            .iter()
            .any(|p| p.starts_with("suites/tls1_2/merged/")),
        "{s}"
    );
}

/// The suite a server's ServerHello chooses for a minimal TLS 1.2
/// ClientHello offering `suites` (P-256 and x25519, RSA and ECDSA
/// signatures, RFC 5746's empty renegotiation_info).
fn chosen_suite(addr: &str, suites: &[u16]) -> u16 {
    use std::io::{Read, Write};
    let be = |n: usize| u16::try_from(n).expect("short").to_be_bytes();
    let mut ext = Vec::new();
    for (kind, body) in [
        (10u16, vec![0, 4, 0, 0x17, 0, 0x1d]),
        (11, vec![1, 0]),
        (13, vec![0, 8, 4, 1, 8, 4, 4, 3, 2, 1]),
        (0xff01, vec![0]),
    ] {
        ext.extend(kind.to_be_bytes());
        ext.extend(be(body.len()));
        ext.extend(body);
    }
    let mut body = vec![3, 3];
    body.extend([7u8; 32]);
    body.push(0);
    body.extend(be(suites.len() * 2));
    body.extend(suites.iter().flat_map(|s| s.to_be_bytes()));
    body.extend([1, 0]);
    body.extend(be(ext.len()));
    body.extend(ext);
    let mut hello = vec![1, 0];
    hello.extend(be(body.len()));
    hello.extend(body);
    let mut record = vec![22, 3, 1];
    record.extend(be(hello.len()));
    record.extend(hello);
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("time-out");
    s.write_all(&record).expect("hello");
    let mut answer = [0u8; 48];
    s.read_exact(&mut answer).expect("a ServerHello");
    assert_eq!(
        (answer[0], answer[5]),
        (22, 2),
        "not a ServerHello: {answer:?}"
    );
    let at = 5 + 4 + 2 + 32 + 1 + usize::from(answer[43]);
    let mut rest = answer.to_vec();
    if rest.len() < at + 2 {
        let mut more = vec![0u8; at + 2 - rest.len()];
        s.read_exact(&mut more).expect("the suite");
        rest.extend(more);
    }
    u16::from_be_bytes([rest[at], rest[at + 1]])
}

/// A server that picks by its own order and takes RC4 (which OpenSSL 3.0
/// dropped) besides OpenSSL's suites: the scan's own hellos ask the order
/// over them all, and it is GnuTLS's own, as `gnutls-cli --list` prints
/// the priority string's suites. (Where those hellos reach fewer suites
/// than OpenSSL's, the dropped suites' rank is unknown and the row says
/// so; GnuTLS's %FORCE_ETM once made that happen, before the scan's own
/// hellos offered encrypt_then_mac.)
#[test]
fn dropped_suites_take_their_place_in_the_servers_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write_pki(d);
    let priority = "NORMAL:-VERS-TLS1.3:+ARCFOUR-128:%FORCE_ETM:%SERVER_PRECEDENCE";
    let (_server, addr) = common::gnutls_leaf(d, "server-rsa2048", &["--priority", priority]);
    let mut c = std::process::Command::new("gnutls-cli");
    c.args(["--list", "--priority", priority]);
    let listed = common::run(c).stdout;
    // "TLS_RSA_AES_128_CBC_SHA1   0x00, 0x2f   TLS1.0"
    let order: Vec<u16> = listed
        .lines()
        .filter_map(|l| {
            let (_, id) = l.split_once("\t0x")?;
            let (hi, lo) = id.split_once(", 0x")?;
            let lo = lo.split_whitespace().next()?;
            u16::from_str_radix(&format!("{hi}{lo}"), 16).ok()
        })
        .collect();
    assert!(
        order.contains(&0x0005),
        "RC4-SHA in gnutls-cli's list: {listed}"
    );
    let r = scan_json(d, &addr, &["--jobs", "2"]);
    let s = suites_of(&r, "tls1_2");
    assert_eq!(s["server_order"], true, "{s}");
    assert!(s["legacy_rank_unknown"].is_null(), "{s}");
    assert!(strings(&s["legacy"]).contains(&"RC4-SHA".to_owned()), "{s}");
    let id_of = |iana: &str| {
        (0..=u16::MAX)
            .find(|id| {
                openssl_handshake::decode::CipherSuite::new(*id)
                    .name
                    .as_deref()
                    == Some(iana)
            })
            .unwrap_or_else(|| panic!("no id for {iana}"))
    };
    let scanned: Vec<u16> = strings(&s["iana"]).iter().map(|n| id_of(n)).collect();
    let expected: Vec<u16> = order
        .into_iter()
        .filter(|id| scanned.contains(id))
        .collect();
    assert_eq!(scanned, expected, "{s}");
}
