use super::*;
use crate::trace::HandshakeTrace;

/// Named as `s_server -trace` names them, GREASE aside (it says
/// UNKNOWN for those too; the JSON says GREASE for all three kinds).
#[test]
fn groups_and_schemes_are_named_as_trace_names_them() {
    assert_eq!(group(&NamedGroup::new(29)), "ecdh_x25519 (29)");
    assert_eq!(group(&NamedGroup::new(0x0a0a)), "GREASE (2570)");
    assert_eq!(
        scheme(&SignatureScheme::new(0x0804)),
        "rsa_pss_rsae_sha256 (0x0804)"
    );
    assert_eq!(scheme(&SignatureScheme::new(0xfefe)), "UNKNOWN (0xfefe)");
    assert_eq!(scheme(&SignatureScheme::new(0x0a0a)), "GREASE (0x0a0a)");
}

/// Every GREASE value reads alike, whatever tls-parser names (it knows
/// only 0xfafa as an extension), as tshark's "Reserved (GREASE)" does.
#[test]
fn every_grease_extension_and_version_reads_grease() {
    let named = extension_order(&[0x0a0a, 0xfafa]);
    assert!(
        named.contains("GREASE (2570)") && named.contains("GREASE (64250)"),
        "{named}"
    );
    assert!(
        !named.contains("unknown") && !named.contains("Grease"),
        "{named}"
    );
    assert_eq!(crate::render::version_name(0x2a2a), "GREASE (0x2a2a)");
}

/// The extensions line names each type as tshark (`tshark -G values`,
/// tls.handshake.extension.type) and the IANA registry do, not by
/// tls-parser's constants (`SessionTicketTLS`), including the types
/// tls-parser does not know; a type neither names reads unknown.
#[test]
fn extensions_are_named_as_tshark_names_them() {
    assert_eq!(
        extension_order(&[0, 11, 35, 16, 50, 27, 34, 57, 17513, 65037, 65281, 4660]),
        "extensions=server_name (0),ec_point_formats (11),session_ticket (35),\
         application_layer_protocol_negotiation (16),signature_algorithms_cert (50),\
         compress_certificate (27),delegated_credentials (34),quic_transport_parameters (57),\
         application_settings (17513),encrypted_client_hello (65037),renegotiation_info (65281),\
         unknown (4660)"
    );
    // The TLS 1.3 drafts' types, reserved since (tshark: "Reserved
    // (key_share)"), not tls-parser's draft names.
    assert_eq!(
        extension_order(&[40, 46]),
        "extensions=reserved (40),reserved (46)"
    );
}

/// The message log of a client's trace holding `messages`, each read
/// (or written) at the callback's `version`, decoded as the recorder
/// decodes them.
fn log_of(messages: &[(crate::Direction, u16, Vec<u8>)]) -> String {
    use crate::event::{Event, EventKind, Message};
    let mut trace = HandshakeTrace::new(crate::Side::Client);
    for (direction, version, bytes) in messages {
        let context = decode::DecodeContext::new(Some((*version).into()), None);
        let decoded = decode::decode_handshake_in(bytes, context);
        let (body, decode_error, extension_problems) = match decoded {
            Ok(m) => (Some(m.body), None, m.extension_problems),
            Err(e) => (None, Some(e), Vec::new()),
        };
        trace.events.push(Event {
            at: std::time::Duration::ZERO,
            kind: EventKind::Message(Box::new(Message {
                direction: *direction,
                version: *version,
                record_version: None,
                content_type: 22,
                handshake_type: bytes.first().map(|&t| decode::HandshakeType(t)),
                length: bytes.len(),
                body,
                decode_error,
                extension_problems,
                raw: None,
            })),
        });
    }
    message_log(&trace)
}

/// `content` with a length prefix of `len_bytes` bytes.
fn prefixed(len_bytes: usize, content: &[u8]) -> Vec<u8> {
    let len = u32::try_from(content.len()).unwrap().to_be_bytes();
    [&len[4 - len_bytes..], content].concat()
}

/// A handshake message of `handshake_type` around `body`.
fn message(handshake_type: u8, body: &[u8]) -> Vec<u8> {
    [vec![handshake_type], prefixed(3, body)].concat()
}

/// An extension of type `ty` around `data`.
fn extension(ty: u16, data: &[u8]) -> Vec<u8> {
    [ty.to_be_bytes().to_vec(), prefixed(2, data)].concat()
}

/// A ClientHello offering `suite`, whose extensions block holds
/// `extensions`.
fn client_hello(suite: [u8; 2], extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend([0x11; 32]);
    body.push(0);
    body.extend(prefixed(2, &suite));
    body.extend(prefixed(1, &[0]));
    body.extend(prefixed(2, extensions));
    message(1, &body)
}

/// A HelloRetryRequest (RFC 8446 section 4.1.4) with `extensions`.
fn retry_request(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    // SHA-256("HelloRetryRequest"), as RFC 8446 section 4.1.3 spells it.
    body.extend([
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8,
        0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8,
        0x33, 0x9c,
    ]);
    body.extend(prefixed(1, &[0x33; 32]));
    body.extend([0x13, 0x01, 0]);
    body.extend(prefixed(2, extensions));
    message(2, &body)
}

/// A HelloRetryRequest's cookie (RFC 8446 section 4.2.2, `opaque
/// cookie<1..2^16-1>`) is printed as the second ClientHello that echoes
/// it prints it: here 120 bytes, as tshark's "Cookie length: 120" reads
/// OpenSSL's stateless one.
#[test]
fn a_retry_request_prints_its_cookie() {
    let exts = [
        extension(43, &[3, 4]),
        extension(51, &[0, 24]),
        extension(44, &prefixed(2, &[0xc0; 120])),
    ]
    .concat();
    let log = log_of(&[(crate::Direction::Read, 0x0304, retry_request(&exts))]);
    assert!(log.contains("\n    cookie=120 bytes\n"), "{log}");
    assert!(log.contains("\n    HelloRetryRequest\n"), "{log}");
}

/// signature_algorithms_cert prints as signature_algorithms does, on a
/// line of its own, only when sent; a TLS 1.3 CertificateRequest's too.
#[test]
fn signature_algorithms_cert_prints_like_signature_algorithms() {
    let with = client_hello([0x13, 0x01], &extension(50, &prefixed(2, &[8, 7, 4, 1])));
    let without = client_hello([0x13, 0x01], &[]);
    let request = [
        prefixed(1, &[]),
        prefixed(2, &extension(50, &prefixed(2, &[5, 3]))),
    ]
    .concat();
    let log = log_of(&[
        (crate::Direction::Write, 0x0304, with),
        (crate::Direction::Write, 0x0304, without),
        (crate::Direction::Read, 0x0304, message(13, &request)),
    ]);
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.trim_start().starts_with("signature_algorithms_cert="))
        .map(str::trim)
        .collect();
    assert_eq!(
        lines,
        [
            "signature_algorithms_cert=ed25519 (0x0807),rsa_pkcs1_sha256 (0x0401)",
            "signature_algorithms_cert=ecdsa_secp384r1_sha384 (0x0503)",
        ],
        "{log}"
    );
}

/// status_request_v2's requests print as status_request's one does, in
/// order, with ocsp_multi named as tshark names it ("OCSP Multi (2)").
#[test]
fn status_request_v2_prints_each_request() {
    let item = |kind: u8| [vec![kind], prefixed(2, &[0, 0, 0, 0])].concat();
    let list = prefixed(2, &[item(2), item(1)].concat());
    let hello = client_hello([0xc0, 0x2f], &extension(17, &list));
    let log = log_of(&[(crate::Direction::Write, 0x0303, hello)]);
    assert!(
        log.contains(
            "\n    status_request_v2=ocsp_multi (2) responder_id_list (len=0) \
             request_extensions (len=0),ocsp (1) responder_id_list (len=0) \
             request_extensions (len=0)\n"
        ),
        "{log}"
    );
}

/// A post-handshake CertificateRequest's context, and the Certificate
/// echoing it (RFC 8446 section 4.4.2), as `-trace` prints them
/// ("certificate_request_context (len=2): abcd"); an empty one, as every
/// in-handshake request has, prints nothing.
#[test]
fn a_request_context_prints_when_not_empty() {
    let request = [
        prefixed(1, &[0xab, 0xcd]),
        prefixed(2, &extension(13, &prefixed(2, &[8, 4]))),
    ]
    .concat();
    let certificate = [prefixed(1, &[0xab, 0xcd]), prefixed(3, &[])].concat();
    let in_handshake = [prefixed(1, &[]), prefixed(3, &[])].concat();
    let log = log_of(&[
        (crate::Direction::Read, 0x0304, message(13, &request)),
        (crate::Direction::Write, 0x0304, message(11, &certificate)),
        (crate::Direction::Write, 0x0304, message(11, &in_handshake)),
    ]);
    let contexts: Vec<&str> = log
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("certificate_request_context="))
        .collect();
    assert_eq!(contexts, ["certificate_request_context=abcd"; 2], "{log}");
    assert_eq!(
        log.matches("certificate_list, length=0").count(),
        2,
        "{log}"
    );
}

/// compress_certificate's algorithms by RFC 8879's names, as tshark's
/// "Algorithm: brotli (2)".
#[test]
fn compress_certificate_names_its_algorithms() {
    let algorithms = extension(27, &prefixed(1, &[0, 2, 0, 1, 0, 9]));
    let hello = client_hello([0x13, 0x01], &algorithms);
    let log = log_of(&[(crate::Direction::Read, 0x0304, hello)]);
    assert!(
        log.contains("\n    compress_certificate=brotli (2),zlib (1),unknown (9)\n"),
        "{log}"
    );
}

/// RFC 8446 section 4.6.1: a TLS 1.3 ticket_lifetime of more than
/// 604800 seconds is a server's error, said under the ticket; exactly
/// seven days, and an RFC 5077 ticket of any lifetime, are not.
#[test]
fn a_tls13_ticket_past_seven_days_is_said() {
    let tls13 = |lifetime: u32| {
        let mut body = lifetime.to_be_bytes().to_vec();
        body.extend([0, 0, 0, 1]);
        body.extend(prefixed(1, &[0]));
        body.extend(prefixed(2, &[0x55; 8]));
        body.extend(prefixed(2, &[]));
        message(4, &body)
    };
    let tls12 = [864_000u32.to_be_bytes().to_vec(), prefixed(2, &[0x55; 8])].concat();
    let log = log_of(&[
        (crate::Direction::Read, 0x0304, tls13(604_801)),
        (crate::Direction::Read, 0x0304, tls13(604_800)),
        (crate::Direction::Read, 0x0303, message(4, &tls12)),
    ]);
    assert_eq!(
        log.matches("    lifetime above the 604800s (seven days) RFC 8446 allows\n")
            .count(),
        1,
        "{log}"
    );
    assert!(
        log.contains("lifetime=604801s ticket=8 bytes (TLS 1.3)\n    lifetime above"),
        "{log}"
    );
}

#[test]
fn a_record_taken_unreported_prints_from_its_header() {
    use crate::event::{Event, EventKind, RecordHeader};
    let mut trace = HandshakeTrace::new(crate::Side::Client);
    trace.events.push(Event {
        at: std::time::Duration::ZERO,
        kind: EventKind::UnreportedRecord(RecordHeader {
            content_type: 20,
            version: 0x0303,
            length: 1,
        }),
    });
    let log = message_log(&trace);
    let mut lines = log.lines();
    // As `s_client -msg` prints a ChangeCipherSpec record it is given,
    // less the callback's version, which OpenSSL gave none of.
    assert_eq!(
        lines.next(),
        Some("<<< ChangeCipherSpec [length 0001] (record TLS 1.2)")
    );
    assert!(lines
        .next()
        .is_some_and(|l| l.starts_with("    from its record header")));
}
