//! A browser's ClientHello, as a server owner's trace receives it:
//! `browser/chromium-156-client-hello.bin` is the ClientHello Chromium
//! 156 (Debian's, headless) sent to `tls-harness serve`, the handshake
//! message without its record header. It carries what OpenSSL never sends:
//! encrypted_client_hello (GREASE, as no ECH configuration was published),
//! ALPS under its current code point, trust_anchors and a post-quantum key
//! share.
//!
//! tshark 4.0 decodes neither ECH nor ALPS, but it frames the extensions:
//! their types and raw contents come from it, and the fields expected here
//! are read off those bytes by their drafts' layouts.

use std::io::Write;
use std::process::Command;

use openssl_handshake::decode::{decode_handshake, Body, ClientHello, HpkeSuite};
use openssl_handshake::HandshakeTrace;
use testkit::command::stdout_of;

const HELLO: &[u8] = include_bytes!("browser/chromium-156-client-hello.bin");

fn hello() -> ClientHello {
    match decode_handshake(HELLO, false).map(|m| m.body) {
        Ok(Body::ClientHello(h)) => h,
        other => panic!("not a ClientHello: {other:?}"),
    }
}

/// Each extension's type and content in hex, in order, as tshark frames
/// them (types and lengths; it shows no content of the types it does not
/// know): the message in a TLS record in a TCP segment to port 443.
fn tshark_extensions() -> Vec<(u16, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend(
        u16::try_from(HELLO.len())
            .expect("one record")
            .to_be_bytes(),
    );
    record.extend(HELLO);
    // text2pcap's hex dump: an offset, then the bytes.
    let dump: String = record
        .chunks(16)
        .enumerate()
        .map(|(i, row)| {
            let bytes: Vec<String> = row.iter().map(|b| format!("{b:02x}")).collect();
            format!("{:06x} {}\n", i * 16, bytes.join(" "))
        })
        .collect();
    let (text, pcap) = (dir.path().join("hello.txt"), dir.path().join("hello.pcap"));
    std::fs::File::create(&text)
        .and_then(|mut f| f.write_all(dump.as_bytes()))
        .expect("hex dump");
    stdout_of(
        Command::new("text2pcap")
            .args(["-q", "-T", "50000,443"])
            .arg(&text)
            .arg(&pcap),
        "tshark (text2pcap comes with it)",
    );
    let out = stdout_of(
        Command::new("tshark").args(["-r"]).arg(&pcap).args([
            "-d",
            "tcp.port==443,tls",
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-e",
            "tls.handshake.extension.type",
            "-e",
            "tls.handshake.extension.len",
        ]),
        "tshark",
    );
    let out = String::from_utf8_lossy(&out);
    let line = out.lines().next().expect("one packet");
    let fields: Vec<&str> = line.split('\t').collect();
    let [types, lens] = fields[..] else {
        panic!("two fields: {line}");
    };
    let framed: Vec<(u16, usize)> = types
        .split(',')
        .zip(lens.split(','))
        .map(|(t, n)| (t.parse().expect("a type"), n.parse().expect("a length")))
        .collect();
    // The block is the message's end: each extension a 4-byte header and
    // its content.
    let block: usize = framed.iter().map(|(_, n)| 4 + n).sum();
    let mut at = HELLO.len() - block;
    framed
        .into_iter()
        .map(|(t, n)| {
            let content = &HELLO[at + 4..at + 4 + n];
            at += 4 + n;
            (t, content.iter().map(|b| format!("{b:02x}")).collect())
        })
        .collect()
}

#[test]
fn chromium_hello_decodes_its_extensions_as_tshark_frames_them() {
    let hello = hello();
    let theirs = tshark_extensions();
    let types: Vec<u16> = theirs.iter().map(|(t, _)| *t).collect();
    assert_eq!(hello.extensions, types);
    assert!(types.contains(&0xca34), "trust_anchors: {types:?}");

    let content = |ty: u16| {
        theirs
            .iter()
            .find(|(t, _)| *t == ty)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no extension {ty} in {types:?}"))
    };
    // ALPS, draft-vvv-tls-alps: ALPN's list, here 0003 02 "h2".
    assert_eq!(content(17613), "0003026832");
    assert_eq!(hello.application_settings, ["h2"]);

    // ECH: type 00 (outer), KDF 0001 and AEAD 0001, a config_id, a 2-byte
    // length and the 32-byte X25519 enc, a 2-byte length and the payload.
    let ech = content(0xfe0d);
    let byte = |at: usize| u8::from_str_radix(&ech[2 * at..2 * at + 2], 16).expect("hex");
    let u16_at = |at: usize| u16::from(byte(at)) << 8 | u16::from(byte(at + 1));
    assert_eq!(&ech[..10], "0000010001", "outer, HKDF-SHA256, AES-128-GCM");
    assert_eq!(u16_at(6), 32, "enc length");
    let payload = usize::from(u16_at(8 + 32));
    assert_eq!(ech.len() / 2, 10 + 32 + payload, "ECH's length");
    let decoded = hello
        .encrypted_client_hello
        .expect("encrypted_client_hello");
    assert_eq!(decoded.hello_type, 0);
    assert_eq!(
        decoded.cipher_suite,
        Some(HpkeSuite {
            kdf_id: 1,
            aead_id: 1
        })
    );
    assert_eq!(decoded.config_id, Some(byte(5)));
    assert_eq!(decoded.enc_len, Some(32));
    assert_eq!(decoded.payload_len, Some(payload));
    assert!(decode_handshake(HELLO, false).is_ok_and(|m| m.extension_problems.is_empty()));
}

/// The message log names both, with the HPKE suite by RFC 9180's names;
/// the trace's JSON matches its schema.
#[test]
fn chromium_hello_prints_its_ech_and_alps() {
    // A server's trace, its events replaced by the ClientHello read.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/fixtures/tls13-success-server.json"
    );
    let mut trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).expect("fixture")).expect("JSON");
    let mut kind = serde_json::json!({
        "type": "message",
        "direction": "read",
        "version": 0x0304,
        "record_version": 0x0301,
        "content_type": 22,
        "handshake_type": 1,
        "length": HELLO.len(),
        "decode_error": null,
    });
    kind["body"] = serde_json::to_value(decode_handshake(HELLO, false).expect("decodes").body)
        .expect("JSON body");
    trace["events"] = serde_json::json!([{ "at_us": 0, "kind": kind }]);
    // The schema holds both extensions as serde writes them.
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/trace.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).expect("schema")).expect("JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("a draft 2020-12 schema");
    let errors: Vec<String> = validator
        .iter_errors(&trace)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let trace = HandshakeTrace::from_json(&trace.to_string()).expect("a trace");
    let log = trace.message_log();
    assert!(log.contains("\n    application_settings=h2\n"), "{log}");
    let ech = hello().encrypted_client_hello.expect("ECH");
    let line = format!(
        "\n    encrypted_client_hello=outer, HKDF-SHA256 (1), AES-128-GCM (1), config_id={}, \
         enc=32 bytes, payload={} bytes\n",
        ech.config_id.expect("config_id"),
        ech.payload_len.expect("payload")
    );
    assert!(log.contains(&line), "{log}");
    assert!(
        log.contains("application_settings_new (17613)") && log.contains("trust_anchors (51764)"),
        "{log}"
    );
}
