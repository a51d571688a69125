//! The ClientHello extensions decoded into lengths and values:
//! status_request (RFC 6066 section 8), record_size_limit (RFC 8449
//! section 4), padding (RFC 7685 section 3), cookie, post_handshake_auth
//! and pre_shared_key (RFC 8446 sections 4.2.2, 4.2.6 and 4.2.11), each
//! assembled from its RFC layout, well-formed and not.

use super::hostile::hello_with_extensions;
use super::*;
use crate::decode::client_extensions::{ext_cookie, ext_record_size_limit};
use crate::decode::error::Fail;

/// What is wrong with a ClientHello carrying `extensions`: the
/// whole-message error, or else its extension problems (see [`problems`]).
fn decode_error(extensions: &[u8]) -> String {
    let hello = hello_with_extensions(extensions);
    match decode_handshake(&hello, false) {
        Err(e) => e.to_string(),
        Ok(_) => problems(&hello, false),
    }
}

fn malformed(reason: &str) -> String {
    format!("ClientHello is malformed: {reason}")
}

/// What an extension reader's refusal says, as a ClientHello's error.
fn refusal<T: std::fmt::Debug>(read: Result<T, Fail>, extension: &str) -> String {
    read.map(|v| format!("read {v:?}")).unwrap_or_else(|f| {
        f.in_extension(extension)
            .into_error(HandshakeType(1))
            .to_string()
    })
}

#[test]
fn absent_extensions_leave_the_fields_empty() {
    let view = client_hello(&hello_with_extensions(&[]));
    assert_eq!(view.status_request, None);
    assert_eq!(view.record_size_limit, None);
    assert_eq!(view.padding_len, None);
    assert_eq!(view.cookie_len, None);
    assert!(!view.post_handshake_auth);
    assert!(view.psk_obfuscated_ticket_ages.is_empty());
}

#[test]
fn record_size_limit_is_one_uint16() {
    // RFC 8449 section 4: uint16 RecordSizeLimit; 2^14 + 1 is the most a
    // TLS 1.3 endpoint may send (the limit counts the content type byte).
    let view = client_hello(&hello_with_extensions(&ext(28, &[0x40, 0x01])));
    assert_eq!(view.record_size_limit, Some(16385));
    assert_eq!(view.extensions, [28]);

    // Malformed, it is left unread: OpenSSL 3.0 ignores the extension and
    // completes the handshake (s_server answers such a hello with its
    // ServerHello), so the hello's other fields must not be lost.
    for data in [&[0x40][..], &[0x40, 0x01, 0x00], &[]] {
        let view = client_hello(&hello_with_extensions(&ext(28, data)));
        assert_eq!(view.record_size_limit, None, "{data:?}");
        assert_eq!(view.extensions, [28]);
    }
    assert_eq!(
        refusal(ext_record_size_limit(&[0x40]), "record_size_limit"),
        malformed(
            "record_size_limit extension is truncated: 2 bytes are needed but only 1 are present"
        )
    );
    assert_eq!(
        refusal(
            ext_record_size_limit(&[0x40, 0x01, 0x00]),
            "record_size_limit"
        ),
        malformed("record_size_limit extension: 1 unexpected byte after the limit")
    );
}

#[test]
fn status_request_measures_an_ocsp_request() {
    // status_type ocsp(1), an empty responder_id_list and no
    // request_extensions: what s_client -status and gnutls-cli send.
    let view = client_hello(&hello_with_extensions(&ext(5, &[1, 0, 0, 0, 0])));
    let request = view.status_request.expect("status_request");
    assert_eq!(request.status_type, 1);
    assert_eq!(request.responder_id_list_len, Some(0));
    assert_eq!(request.request_extensions_len, Some(0));
    assert_eq!(request.request_len, 4);

    // Two ResponderIDs (2 and 1 bytes, each with its 2-byte length) and
    // 3 bytes of request_extensions.
    let mut ocsp = vec![1];
    ocsp.extend(vec_prefixed(
        2,
        &[vec_prefixed(2, &[0xaa, 0xbb]), vec_prefixed(2, &[0xcc])].concat(),
    ));
    ocsp.extend(vec_prefixed(2, &[0x30, 0x01, 0x00]));
    let view = client_hello(&hello_with_extensions(&ext(5, &ocsp)));
    let request = view.status_request.expect("status_request");
    assert_eq!(request.responder_id_list_len, Some(7));
    assert_eq!(request.request_extensions_len, Some(3));
    assert_eq!(request.request_len, 14);

    // Another status type has no layout to read: only measured.
    let view = client_hello(&hello_with_extensions(&ext(5, &[2, 9, 9, 9])));
    let request = view.status_request.expect("status_request");
    assert_eq!(request.status_type, 2);
    assert_eq!(request.responder_id_list_len, None);
    assert_eq!(request.request_extensions_len, None);
    assert_eq!(request.request_len, 3);
}

#[test]
fn malformed_status_requests_are_named() {
    assert_eq!(
        decode_error(&ext(5, &[])),
        malformed("status_request extension: no status_type")
    );
    // The request_extensions length is missing.
    assert_eq!(
        decode_error(&ext(5, &[1, 0, 0])),
        malformed(
            "status_request extension is truncated: 5 bytes are needed but only 3 are present"
        )
    );
    assert_eq!(
        decode_error(&ext(5, &[1, 0, 0, 0, 0, 9])),
        malformed("status_request extension: 1 unexpected byte after request_extensions")
    );
    // responder_id_list<0..2^16-1> holding one zero-length ResponderID<1..2^16-1>.
    assert_eq!(
        decode_error(&ext(5, &[1, 0, 2, 0, 0, 0, 0])),
        malformed("status_request extension: empty ResponderID")
    );
    // A ResponderID claiming 2 bytes inside a list of 3.
    assert_eq!(
        decode_error(&ext(5, &[1, 0, 3, 0, 2, 0xaa, 0, 0])),
        malformed(
            "status_request extension is truncated: 4 bytes are needed but only 3 are present"
        )
    );
    // request_extensions claiming more bytes than the extension has.
    assert_eq!(
        decode_error(&ext(5, &[1, 0, 0, 0, 4, 0x30, 0])),
        malformed(
            "status_request extension is truncated: 9 bytes are needed but only 7 are present"
        )
    );
}

#[test]
fn padding_is_measured() {
    let view = client_hello(&hello_with_extensions(&ext(21, &[0; 203])));
    assert_eq!(view.padding_len, Some(203));
    // RFC 7685 allows an empty padding extension.
    let view = client_hello(&hello_with_extensions(&ext(21, &[])));
    assert_eq!(view.padding_len, Some(0));
    // A padding extension overrunning the extensions block.
    let mut overrun = ext(21, &[0; 4]);
    overrun.truncate(6);
    assert_eq!(
        decode_error(&overrun),
        malformed("extension 21 overruns the extensions block (8 bytes needed, 6 present)")
    );
}

#[test]
fn cookie_is_one_non_empty_vector() {
    // RFC 8446 4.2.2: opaque cookie<1..2^16-1>.
    let view = client_hello(&hello_with_extensions(&ext(
        44,
        &vec_prefixed(2, &[7; 120]),
    )));
    assert_eq!(view.cookie_len, Some(120));

    // Malformed, it is left unread: OpenSSL ignores a cookie it does not
    // verify (s_server answers an empty one with its ServerHello).
    for data in [&[0, 0][..], &[0, 5, 1, 2], &[0, 1, 9, 9], &[]] {
        let view = client_hello(&hello_with_extensions(&ext(44, data)));
        assert_eq!(view.cookie_len, None, "{data:?}");
    }
    let reason = |data: &[u8]| refusal(ext_cookie(data), "cookie");
    assert_eq!(reason(&[0, 0]), malformed("cookie extension: empty cookie"));
    assert_eq!(
        reason(&[0, 5, 1, 2]),
        malformed("cookie extension is truncated: 7 bytes are needed but only 4 are present")
    );
    assert_eq!(
        reason(&[0, 1, 9, 9]),
        malformed("cookie extension: 1 unexpected byte after the cookie")
    );
}

#[test]
fn post_handshake_auth_is_empty() {
    // RFC 8446 4.2.6: the extension_data field is zero length.
    let view = client_hello(&hello_with_extensions(&ext(49, &[])));
    assert!(view.post_handshake_auth);
    // Below TLS 1.3 OpenSSL does not read it (s_server completes a TLS 1.2
    // handshake with a one-byte one), so what it holds is not checked.
    let view = client_hello(&hello_with_extensions(&ext(49, &[0])));
    assert!(view.post_handshake_auth);
}

/// An OfferedPsks of the given identities (each with its
/// obfuscated_ticket_age) and binders.
fn offered_psks(identities: &[(&[u8], u32)], binders: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for (identity, age) in identities {
        list.extend(vec_prefixed(2, identity));
        list.extend(age.to_be_bytes());
    }
    let binders: Vec<u8> = binders.iter().flat_map(|b| vec_prefixed(1, b)).collect();
    [vec_prefixed(2, &list), vec_prefixed(2, &binders)].concat()
}

#[test]
fn pre_shared_key_keeps_each_obfuscated_ticket_age() {
    let psk = offered_psks(
        &[(&[0x11; 208], 1_250_276_980), (b"external", 0)],
        &[&[0x22; 48], &[0x33; 32]],
    );
    let view = client_hello(&hello_with_extensions(&ext(41, &psk)));
    assert_eq!(view.psk_identities, 2);
    assert_eq!(view.psk_identity_lengths, [208, 8]);
    assert_eq!(view.psk_obfuscated_ticket_ages, [1_250_276_980, 0]);
    assert_eq!(view.psk_binder_lengths, [48, 32]);
}

#[test]
fn malformed_pre_shared_keys_are_named() {
    // An identity followed by 2 of its age's 4 bytes.
    let mut list = vec_prefixed(2, b"ticket");
    list.extend([0, 0]);
    let psk = [
        vec_prefixed(2, &list),
        vec_prefixed(2, &vec_prefixed(1, &[0; 32])),
    ]
    .concat();
    assert_eq!(
        decode_error(&ext(41, &psk)),
        malformed("pre_shared_key extension: PSK identity 0 ends before its obfuscated_ticket_age")
    );
    // The second identity's age is cut short.
    let mut list = vec_prefixed(2, b"one");
    list.extend(5u32.to_be_bytes());
    list.extend(vec_prefixed(2, b"two"));
    list.push(0);
    let psk = [
        vec_prefixed(2, &list),
        vec_prefixed(2, &vec_prefixed(1, &[0; 32])),
    ]
    .concat();
    assert_eq!(
        decode_error(&ext(41, &psk)),
        malformed("pre_shared_key extension: PSK identity 1 ends before its obfuscated_ticket_age")
    );
    assert_eq!(
        decode_error(&ext(41, &offered_psks(&[(b"", 1)], &[&[0; 32]]))),
        malformed("pre_shared_key extension: empty PSK identity")
    );
    assert_eq!(
        decode_error(&ext(41, &offered_psks(&[(b"t", 1)], &[&[0; 31]]))),
        malformed("pre_shared_key extension: PSK binder shorter than 32 bytes")
    );
    assert_eq!(
        decode_error(&ext(41, &offered_psks(&[], &[&[0; 32]]))),
        malformed("pre_shared_key extension: no PSK identities")
    );
    assert_eq!(
        decode_error(&ext(41, &offered_psks(&[(b"t", 1)], &[]))),
        malformed("pre_shared_key extension: no PSK binders")
    );
}

/// RFC 6961 section 2.2: a list of requests, each a status_type and a
/// length-prefixed request, an OCSPStatusRequest for ocsp and
/// ocsp_multi. What JSSE sends with
/// jdk.tls.client.enableStatusRequestExtension: ocsp_multi, then ocsp,
/// each with empty lists.
#[test]
fn status_request_v2_measures_each_request() {
    let empty_ocsp = [0, 0, 0, 0];
    let item = |kind: u8, request: &[u8]| [vec![kind], vec_prefixed(2, request)].concat();
    let list = [item(2, &empty_ocsp), item(1, &empty_ocsp), item(9, &[7, 7])].concat();
    let view = client_hello(&hello_with_extensions(&ext(17, &vec_prefixed(2, &list))));
    let kinds: Vec<_> = view
        .status_request_v2
        .iter()
        .map(|r| {
            (
                r.status_type,
                r.responder_id_list_len,
                r.request_extensions_len,
                r.request_len,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (2, Some(0), Some(0), 4),
            (1, Some(0), Some(0), 4),
            (9, None, None, 2)
        ]
    );
    assert_eq!(view.status_request, None);
    assert_eq!(view.extensions, [17]);

    let problems = [
        (vec_prefixed(2, &[]), "empty certificate_status_req_list"),
        // An OCSPStatusRequest with a byte past its request_extensions.
        (
            vec_prefixed(2, &item(2, &[0, 0, 0, 0, 1])),
            "1 unexpected byte after request_extensions",
        ),
        (
            [vec_prefixed(2, &item(1, &empty_ocsp)), vec![0]].concat(),
            "1 unexpected byte after certificate_status_req_list",
        ),
    ];
    for (data, reason) in problems {
        let said = decode_error(&ext(17, &data));
        assert_eq!(
            said,
            malformed(&format!("status_request_v2 extension: {reason}")),
            "{data:?}"
        );
    }
}

/// RFC 8879 section 3: `CertificateCompressionAlgorithm
/// algorithms<2..2^8-2>`; Chrome sends brotli alone, Firefox zlib,
/// brotli and zstd.
#[test]
fn compress_certificate_lists_the_algorithms() {
    let view = client_hello(&hello_with_extensions(&ext(27, &[6, 0, 1, 0, 2, 0, 3])));
    assert_eq!(view.compress_certificate, [1, 2, 3]);
    assert_eq!(view.extensions, [27]);
    for (data, reason) in [
        (&[0][..], "no algorithms"),
        (&[3, 0, 2, 0][..], "algorithms has an odd length (3)"),
        (&[2, 0, 2, 9][..], "1 unexpected byte after algorithms"),
    ] {
        assert_eq!(
            decode_error(&ext(27, data)),
            malformed(&format!("compress_certificate extension: {reason}")),
            "{data:?}"
        );
    }
}
