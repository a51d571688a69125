//! One extension that breaks its format costs only itself: the message
//! keeps its other fields and names the extension and what is wrong, as
//! tshark decodes the rest of such a message and flags the extension.
//! OpenSSL accepts several of these (its `tls_collect_extensions` only
//! notices a repeated type it knows; in TLS 1.3 it does not read
//! ec_point_formats or extended_master_secret), so the fields of a hello
//! it went on with must not be lost. Framing that leaves the rest
//! unreadable still fails the whole message.

use super::hostile::hello_with_extensions;
use super::*;

/// The extension problems `msg` decodes with, as they are.
fn decoded_problems(msg: &[u8], tls13: bool) -> Vec<ExtensionProblem> {
    decode_handshake(msg, tls13)
        .expect("decodes around its extensions")
        .extension_problems
}

fn malformed(extension: u16, reason: &str) -> ExtensionProblem {
    ExtensionProblem {
        extension,
        fault: ExtensionFault::Malformed {
            reason: reason.into(),
        },
    }
}

/// A TLS 1.3 ClientHello offering example.test, h2, x25519 and TLS 1.3,
/// with `extra` after those extensions.
fn tls13_client_hello(extra: &[u8]) -> Vec<u8> {
    let sni = vec_prefixed(2, &[vec![0], vec_prefixed(2, b"example.test")].concat());
    let alpn = vec_prefixed(2, &vec_prefixed(1, b"h2"));
    let groups = vec_prefixed(2, &[0, 29]);
    let versions = vec_prefixed(1, &[3, 4]);
    let share = vec_prefixed(2, &[vec![0, 29], vec_prefixed(2, &[0x42; 32])].concat());
    let exts = [
        ext(0, &sni),
        ext(16, &alpn),
        ext(10, &groups),
        ext(43, &versions),
        ext(51, &share),
        extra.to_vec(),
    ]
    .concat();
    hello_with_extensions(&exts)
}

/// The fields of [`tls13_client_hello`] are all there.
fn assert_offer_kept(hello: &ClientHello) {
    assert_eq!(hello.sni.as_deref(), Some("example.test"));
    assert_eq!(hello.alpn, ["h2"]);
    assert_eq!(names(&hello.supported_groups), ["x25519"]);
    assert_eq!(hello.supported_versions, [0x0304]);
    assert_eq!(names(&hello.key_share_groups), ["x25519"]);
    assert_eq!(hello.key_share_lengths, [32]);
    assert_eq!(names(&hello.cipher_suites), ["TLS_AES_128_GCM_SHA256"]);
}

/// A TLS 1.2 ServerHello with an unknown extension (0x1234 = 4660) twice,
/// which OpenSSL 3.0's client accepts (s_client goes on to "read server
/// certificate" against the same bytes).
#[test]
fn a_repeated_unknown_extension_keeps_the_server_hello() {
    let mut body = vec![3, 3];
    body.extend([0x22; 32]);
    body.extend(vec_prefixed(1, &[]));
    body.extend(0xc02fu16.to_be_bytes());
    body.push(0);
    let exts = [ext(0xff01, &[0]), ext(0x1234, &[]), ext(0x1234, &[])].concat();
    body.extend(vec_prefixed(2, &exts));
    let msg = wrap(2, &body);

    let hello = server_hello(&msg);
    assert_eq!(hello.cipher_suite.id, 0xc02f);
    assert_eq!(hello.common.renegotiation_info.as_deref(), Some(""));
    assert_eq!(hello.extensions, [0xff01, 0x1234, 0x1234]);
    let problems = decoded_problems(&msg, false);
    assert_eq!(
        problems,
        [ExtensionProblem {
            extension: 0x1234,
            fault: ExtensionFault::Repeated
        }]
    );
    assert_eq!(
        problems[0].to_string(),
        "extension 4660 appears more than once"
    );
    let json = serde_json::to_value(&problems).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"extension": 0x1234, "kind": "repeated"}])
    );
    let back: Vec<ExtensionProblem> = serde_json::from_value(json).unwrap();
    assert_eq!(back, problems);
}

/// ec_point_formats saying 5 formats where 1 follows (1 + 5 = 6 bytes
/// needed, 2 present), a 1-byte extended_master_secret (RFC 7627: empty),
/// two extensions of an unknown type (0x1234): each is named, the offer
/// is kept.
#[test]
fn a_bad_extension_keeps_the_client_hello() {
    let cases = [
        (
            ext(11, &[5, 0]),
            malformed(
                11,
                "ec_point_formats extension is truncated: 6 bytes are needed but only 2 are \
                 present",
            ),
        ),
        (
            ext(23, &[0]),
            malformed(
                23,
                "extended_master_secret extension: 1 bytes where none belong",
            ),
        ),
        (
            [ext(0x1234, &[0; 20]), ext(0x1234, &[])].concat(),
            ExtensionProblem::repeated(0x1234),
        ),
    ];
    for (extra, problem) in cases {
        let msg = tls13_client_hello(&extra);
        let hello = client_hello(&msg);
        assert_offer_kept(&hello);
        assert_eq!(hello.common.ec_point_formats, None);
        assert!(!hello.common.extended_master_secret);
        assert_eq!(decoded_problems(&msg, false), [problem]);
    }
}

/// Each bad extension is named, in the order sent; the good ones between
/// them are read.
#[test]
fn every_bad_extension_is_named() {
    let extra = [ext(11, &[5, 0]), ext(22, &[]), ext(0, &[]), ext(23, &[0])].concat();
    let msg = tls13_client_hello(&extra);
    let hello = client_hello(&msg);
    assert!(hello.common.encrypt_then_mac);
    assert_eq!(
        hello.sni.as_deref(),
        Some("example.test"),
        "the first is read"
    );
    let types: Vec<u16> = decoded_problems(&msg, false)
        .iter()
        .map(|p| p.extension)
        .collect();
    assert_eq!(types, [11, 0, 23]);
}

/// An EncryptedExtensions whose supported_groups has an odd length
/// (which OpenSSL 3.0's client accepts) keeps its ALPN.
#[test]
fn a_bad_extension_keeps_encrypted_extensions() {
    let exts = [
        ext(16, &vec_prefixed(2, &vec_prefixed(1, b"h2"))),
        ext(10, &vec_prefixed(2, &[0, 29, 0])),
    ]
    .concat();
    let msg = wrap(8, &vec_prefixed(2, &exts));
    let Body::EncryptedExtensions(ee) = decode_handshake(&msg, true).unwrap().body else {
        panic!("not EncryptedExtensions")
    };
    assert_eq!(ee.alpn.as_deref(), Some("h2"));
    assert_eq!(ee.extensions, [16, 10]);
    let problems = decoded_problems(&msg, true);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].extension, 10);
}

/// Framing that leaves the rest unreadable fails the whole message: an
/// extension overrunning the block, a block overrunning the message.
#[test]
fn framing_errors_still_fail_the_message() {
    // 0x1234 declares 50 bytes where 1 follows; the counts run from the
    // start of the block: 4 (the empty extended_master_secret) + 4 + 50
    // bytes needed, 4 + 5 present.
    let mut lie = ext(23, &[]);
    lie.extend([0x12, 0x34, 0, 50, b'x']);
    let hello = hello_with_extensions(&lie);
    let err = decode_handshake(&hello, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ClientHello is malformed: extension 4660 overruns the extensions block (58 bytes \
         needed, 9 present)"
    );

    let mut overrun = hello_with_extensions(&ext(23, &[]));
    let last = overrun.len() - 5;
    overrun[last] = 9;
    assert!(decode_handshake(&overrun, false).is_err());
}

/// A TLS 1.3 NewSessionTicket (RFC 8446 section 4.6.1) whose early_data
/// holds 3 bytes where max_early_data_size is a uint32, and an unknown
/// extension twice: the ticket is kept, each extension named.
#[test]
fn a_bad_extension_keeps_the_session_ticket() {
    let mut body = 7200u32.to_be_bytes().to_vec(); // ticket_lifetime
    body.extend(1u32.to_be_bytes()); // ticket_age_add
    body.extend(vec_prefixed(1, &[0])); // ticket_nonce
    body.extend(vec_prefixed(2, &[0xaa; 40])); // ticket
    let exts = [ext(42, &[0, 0, 1]), ext(0x1234, &[]), ext(0x1234, &[])].concat();
    body.extend(vec_prefixed(2, &exts));
    let msg = wrap(4, &body);
    let Body::NewSessionTicket(ticket) = decode_handshake(&msg, true).unwrap().body else {
        panic!("not a NewSessionTicket")
    };
    assert_eq!((ticket.ticket_len, ticket.lifetime_hint_secs), (40, 7200));
    assert_eq!(ticket.early_data_max, None);
    assert_eq!(ticket.extensions, [42, 0x1234, 0x1234]);
    assert_eq!(
        decoded_problems(&msg, true),
        [
            malformed(
                42,
                "early_data extension: 3 bytes where max_early_data_size takes 4"
            ),
            ExtensionProblem::repeated(0x1234),
        ]
    );
}

/// A TLS 1.3 CertificateRequest (RFC 8446 section 4.3.2) repeating
/// signature_algorithms: the first is read, the second named.
#[test]
fn a_repeated_extension_keeps_the_certificate_request() {
    let first = ext(13, &vec_prefixed(2, &[0x08, 0x04]));
    let second = ext(13, &vec_prefixed(2, &[0x04, 0x03]));
    let body = [
        vec_prefixed(1, &[]),
        vec_prefixed(2, &[first, second].concat()),
    ]
    .concat();
    let msg = wrap(13, &body);
    let Body::CertificateRequest(request) = decode_handshake(&msg, true).unwrap().body else {
        panic!("not a CertificateRequest")
    };
    assert_eq!(
        names(&request.signature_algorithms),
        ["rsa_pss_rsae_sha256"]
    );
    assert_eq!(
        decoded_problems(&msg, true),
        [ExtensionProblem::repeated(13)]
    );
}

/// An odd-length list of uint16 values is named as such, not by the
/// parser combinator that stopped on it: supported_groups holding 3
/// bytes (one group and a half), signature_algorithms likewise.
#[test]
fn an_odd_length_list_is_named() {
    let msg = tls13_client_hello(&ext(13, &vec_prefixed(2, &[8, 4, 4])));
    assert_eq!(
        decoded_problems(&msg, false),
        [malformed(
            13,
            "signature_algorithms extension: supported_signature_algorithms has an odd length (3)"
        )]
    );
    let exts = ext(10, &vec_prefixed(2, &[0, 29, 0]));
    let msg = wrap(8, &vec_prefixed(2, &exts));
    assert_eq!(
        decoded_problems(&msg, true),
        [malformed(
            10,
            "supported_groups extension: named_group_list has an odd length (3)"
        )]
    );
}

/// The lists RFC 8446 gives a lower bound of one value are refused
/// empty, as OpenSSL refuses them ("bad extension" for a ClientHello's
/// supported_groups, RFC 8446 section 4.2.7 `named_group_list<2..>`,
/// and its signature_algorithms, section 4.2.3
/// `supported_signature_algorithms<2..2^16-2>`); the hello keeps the
/// rest.
#[test]
fn an_empty_group_or_scheme_list_is_named() {
    let msg = tls13_client_hello(&ext(13, &vec_prefixed(2, &[])));
    let Body::ClientHello(hello) = decode_handshake(&msg, false).unwrap().body else {
        panic!("not a ClientHello")
    };
    assert_offer_kept(&hello);
    assert_eq!(
        decoded_problems(&msg, false),
        [malformed(
            13,
            "signature_algorithms extension: empty supported_signature_algorithms"
        )]
    );
    let groups = ext(10, &vec_prefixed(2, &[]));
    let msg = hello_with_extensions(&groups);
    assert_eq!(
        decoded_problems(&msg, false),
        [malformed(
            10,
            "supported_groups extension: empty named_group_list"
        )]
    );
}

/// A TLS 1.2 CertificateRequest whose supported_signature_algorithms is
/// empty or of odd length: OpenSSL's client refuses both ("signature
/// algorithms error", internal_error), and so does the decoder, naming
/// the field.
#[test]
fn a_tls12_certificate_request_needs_a_scheme() {
    let tls12 = DecodeContext::new(Some(ProtocolVersion::Tls1_2), Some(0x009c));
    let request = |schemes: &[u8]| {
        let body = [
            vec_prefixed(1, &[1]),
            vec_prefixed(2, schemes),
            vec_prefixed(2, &[]),
        ]
        .concat();
        decode_handshake_in(&wrap(13, &body), tls12).map(|m| m.body)
    };
    let err = request(&[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "CertificateRequest is malformed: empty supported_signature_algorithms"
    );
    let err = request(&[4, 1, 8]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "CertificateRequest is malformed: supported_signature_algorithms has an odd length (3)"
    );
    assert!(matches!(request(&[4, 1]), Ok(Body::CertificateRequest(_))));
}

/// Fixed fields that do not parse are named by field, never by the
/// parser combinator that stopped (nom's "Length followed by value"): a
/// cipher_suites of odd length (one suite and a half), which OpenSSL
/// refuses ("error in received cipher list").
#[test]
fn an_odd_cipher_suites_length_is_named() {
    let mut body = vec![3, 3];
    body.extend([0x11; 32]);
    body.push(0);
    body.extend(vec_prefixed(2, &[0x13, 0x01, 0x13]));
    body.extend(vec_prefixed(1, &[0]));
    let err = decode_handshake(&wrap(1, &body), false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ClientHello is malformed: cipher_suites has an odd length (3)"
    );
}

/// A ClientHello's pre_shared_key before another extension, which RFC
/// 8446 section 4.2.11 forbids (its binders cover the hello up to them)
/// and OpenSSL refuses ("bad extension"): named as misplaced, its
/// identities still read.
#[test]
fn a_pre_shared_key_before_another_extension_is_misplaced() {
    let mut identities = vec_prefixed(2, &[0x49; 16]);
    identities.extend(1u32.to_be_bytes());
    let binders = vec_prefixed(1, &[0x42; 32]);
    let psk = [vec_prefixed(2, &identities), vec_prefixed(2, &binders)].concat();
    let exts = [
        ext(45, &vec_prefixed(1, &[1])),
        ext(41, &psk),
        ext(0xff01, &[0]),
    ]
    .concat();
    let msg = tls13_client_hello(&exts);
    let hello = client_hello(&msg);
    assert_offer_kept(&hello);
    assert_eq!(hello.psk_identity_lengths, [16]);
    assert_eq!(
        decoded_problems(&msg, false),
        [ExtensionProblem {
            extension: 41,
            fault: ExtensionFault::Misplaced {
                reason: "pre_shared_key is not the last extension, where RFC 8446 section \
                         4.2.11 requires it"
                    .into()
            }
        }]
    );
    // Last, it is in its place.
    let last = [ext(45, &vec_prefixed(1, &[1])), ext(41, &psk)].concat();
    assert_eq!(decoded_problems(&tls13_client_hello(&last), false), []);
}

/// RFC 6066 section 3: no two names of one name_type. OpenSSL answers
/// such a hello with decode_error, so its server_name is a problem
/// (tshark shows both names); one host_name beside a name of another
/// type is the host_name.
#[test]
fn a_second_host_name_is_a_malformed_server_name() {
    let entry = |kind: u8, name: &[u8]| [vec![kind], vec_prefixed(2, name)].concat();
    let two = vec_prefixed(2, &[entry(0, b"a.test"), entry(0, b"b.test")].concat());
    let msg = hello_with_extensions(&ext(0, &two));
    let hello = client_hello(&msg);
    assert_eq!(hello.sni, None);
    assert_eq!(
        decoded_problems(&msg, false),
        [malformed(
            0,
            "server_name extension: more than one host_name, where RFC 6066 section 3 \
             allows one"
        )]
    );
    let mixed = vec_prefixed(2, &[entry(0, b"a.test"), entry(1, b"b.test")].concat());
    let hello = client_hello(&hello_with_extensions(&ext(0, &mixed)));
    assert_eq!(hello.sni.as_deref(), Some("a.test"));
}
