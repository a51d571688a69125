//! The message log names groups, signature schemes, certificate types,
//! point formats, key exchanges and compression as `openssl s_client
//! -trace` prints them: each such line s_client prints for a handshake must
//! appear in our traced server's message log for the same handshake.

mod common;

use std::ffi::OsString;
use std::thread;

use common::tool::s_client_trace;
use common::*;
use openssl::dh::Dh;
use openssl::ssl::SslVerifyMode;
use testkit::pki::KeyType;

/// Headers in `-trace` output whose more-indented lines that follow are
/// one name each.
const LIST_HEADERS: &[&str] = &[
    "extension_type=supported_groups(",
    "extension_type=ec_point_formats(",
    "extension_type=signature_algorithms(",
    "extension_type=psk_key_exchange_modes(",
    "certificate_types (len=",
    "signature_algorithms (len=",
];

/// Single lines that carry a name: the prefix `-trace` prints it after,
/// and ours.
const NAME_PREFIXES: &[(&str, &str)] = &[
    ("named_curve: ", "named_curve: "),
    ("Signature Algorithm: ", "Signature Algorithm: "),
    ("KeyExchangeAlgorithm=", "KeyExchangeAlgorithm="),
    ("compression_method: ", "compression_method: "),
    ("max_fragment_length := ", "max_fragment_length="),
];

/// The names s_client's `-trace` output shows, in the forms it prints them.
fn trace_names(output: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut list_indent: Option<usize> = None;
    let mut in_certificate = false;
    for line in output.lines() {
        // -trace dumps each certificate as `openssl x509 -text` between
        // these markers; its "Signature Algorithm" is not a TLS field.
        if line.starts_with("------details-----") {
            in_certificate = true;
        } else if line.starts_with("------------------") {
            in_certificate = false;
        }
        if in_certificate {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if let Some(header) = list_indent {
            if indent > header && !text.is_empty() {
                names.push(text.to_owned());
                continue;
            }
            list_indent = None;
        }
        if LIST_HEADERS.iter().any(|h| text.starts_with(h)) {
            list_indent = Some(indent);
        } else if let Some((theirs, ours)) = NAME_PREFIXES.iter().find(|p| text.starts_with(p.0)) {
            names.push(format!("{ours}{}", &text[theirs.len()..]));
        }
    }
    names
}

fn s_client_against_traced_server(tool_flags: &[&str], dhe: bool) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = pki().write_pem(dir.path()).expect("PEM files");
    let (listener, addr) = listener();
    let server = server_ctx(KeyType::Rsa2048, |b| {
        b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        b.set_cert_store(pki().trust_store().expect("trust store"));
        if dhe {
            b.set_tmp_dh(&Dh::get_2048_256().expect("DH params"))
                .expect("DH params");
        }
    });
    let served = thread::spawn(move || serve_one(&listener, &server).message_log());

    let client = files.client(KeyType::Rsa2048);
    let mut args = vec![
        OsString::from("-cert"),
        client.cert.clone().into(),
        "-key".into(),
        client.key.clone().into(),
        "-cert_chain".into(),
        client.chain.clone().into(),
    ];
    args.extend(tool_flags.iter().map(OsString::from));
    let output = s_client_trace(addr, &files.root, args);
    let log = served.join().expect("server thread");
    (output, log)
}

#[test]
fn message_log_names_things_as_s_client_trace_does() {
    for (flags, dhe) in [
        (
            &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"][..],
            false,
        ),
        (
            &["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"][..],
            true,
        ),
        (
            &[
                "-tls1_3",
                "-groups",
                "X25519:P-256:P-384:P-521:X448:ffdhe2048",
            ][..],
            false,
        ),
    ] {
        let (reference, ours) = s_client_against_traced_server(flags, dhe);
        let names = trace_names(&reference);
        assert!(
            names.len() > 10,
            "{flags:?}: too few names in s_client's output:\n{reference}"
        );
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !ours.contains(n.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{flags:?}: s_client -trace shows {missing:?}, not in our message log:\n{ours}"
        );
    }
}

/// The extension types `-trace` lists in the message headed `header`
/// (`extension_type=server_name(0), length=0`), as our `extensions=` line
/// names them.
fn traced_extension_line(output: &str, header: &str) -> String {
    let mut lines = output.lines().skip_while(|l| !l.trim().starts_with(header));
    let Some(first) = lines.next() else {
        panic!("no {header} in s_client's output:\n{output}");
    };
    let indent = first.len() - first.trim_start().len();
    let types: Vec<String> = lines
        .take_while(|l| l.len() - l.trim_start().len() > indent)
        .filter_map(|l| l.trim().strip_prefix("extension_type="))
        .filter_map(|t| t.split_once(", length="))
        .map(|(t, _)| t.replace('(', " ("))
        .collect();
    format!("extensions={}", types.join(","))
}

/// A max_fragment_length of 1024 bytes asked for and echoed, in TLS 1.2
/// (ClientHello and ServerHello) and TLS 1.3 (ClientHello and
/// EncryptedExtensions): each of s_client's `max_fragment_length := 2^10
/// (1024 bytes) (2)` lines has ours, the EncryptedExtensions lists its
/// extensions as -trace does, and a TLS 1.2 ServerHello's empty
/// session_ticket (RFC 5077 section 3.2) reads acknowledged.
#[test]
fn max_fragment_length_and_acknowledgements_read_as_s_client_trace_shows() {
    for flags in [
        &["-tls1_2", "-maxfraglen", "1024"][..],
        &["-tls1_3", "-maxfraglen", "1024"],
    ] {
        let (reference, ours) = s_client_against_traced_server(flags, false);
        let theirs = reference
            .lines()
            .filter(|l| l.trim() == "max_fragment_length := 2^10 (1024 bytes) (2)")
            .count();
        assert_eq!(
            theirs, 2,
            "{flags:?}: in the hello and its answer:\n{reference}"
        );
        let mine = ours
            .lines()
            .filter(|l| l.trim() == "max_fragment_length=2^10 (1024 bytes) (2)")
            .count();
        assert_eq!(mine, theirs, "{flags:?}:\n{ours}");
        if flags[0] == "-tls1_3" {
            let line = traced_extension_line(&reference, "EncryptedExtensions, Length=");
            assert!(
                ours.lines().any(|l| l.trim() == line),
                "{flags:?}: no `{line}` in our message log:\n{ours}"
            );
        } else {
            assert!(
                reference.contains("extension_type=session_ticket(35), length=0"),
                "{reference}"
            );
            assert!(
                ours.contains("\n    session_ticket acknowledged\n"),
                "{ours}"
            );
        }
    }
}
