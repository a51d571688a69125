//! Assembled layouts of the messages whose decoding depends on the
//! negotiated suite and version, and of the extension contents.

use super::*;
use crate::decode::{decode_handshake_in, DecodeContext};
use crate::ProtocolVersion;
use openssl::bn::BigNum;

const TLS12: Option<ProtocolVersion> = Some(ProtocolVersion::Tls1_2);
const TLS13: Option<ProtocolVersion> = Some(ProtocolVersion::Tls1_3);
const ECDHE_RSA: u16 = 0xc02f;
const DHE_RSA: u16 = 0x009e;
const RSA: u16 = 0x009c;

fn in_context(msg: &[u8], version: Option<ProtocolVersion>, suite: Option<u16>) -> Body {
    decode_handshake_in(msg, DecodeContext::new(version, suite))
        .unwrap()
        .body
}

#[test]
fn dhe_server_key_exchange_names_its_group() {
    let p = BigNum::get_rfc3526_prime_2048().unwrap().to_vec();
    let mut body = vec_prefixed(2, &p);
    body.extend(vec_prefixed(2, &[2]));
    body.extend(vec_prefixed(2, &[0x42; 256]));
    body.extend(0x0804u16.to_be_bytes());
    body.extend(vec_prefixed(2, &[0x99; 256]));
    let msg = wrap(12, &body);
    for suite in [Some(DHE_RSA), None] {
        let Body::ServerKeyExchange(kx) = in_context(&msg, TLS12, suite) else {
            panic!()
        };
        assert_eq!(kx.kind, KeyExchangeKind::Dhe);
        assert_eq!(
            (kx.dh_p_len, kx.dh_g_len, kx.dh_public_len),
            (Some(256), Some(1), Some(256))
        );
        assert_eq!(kx.dh_bits(), Some(2048));
        assert_eq!(kx.dh_group_name(), Some("modp_2048"));
        assert_eq!(kx.signature_scheme_id(), Some(0x0804));
        assert_eq!(kx.signature_len, 256);
        assert_eq!(kx.named_group, None);
    }
    // TLS 1.1 has no scheme: the same bytes then leave two over.
    assert!(decode_handshake_in(
        &msg,
        DecodeContext::new(Some(ProtocolVersion::Tls1_1), Some(DHE_RSA))
    )
    .is_err());
    // A DHE body under an ECDHE suite is rejected with the reason.
    let err = decode_handshake_in(&msg, DecodeContext::new(TLS12, Some(ECDHE_RSA))).unwrap_err();
    assert!(err.to_string().contains("ECCurveType"), "{err}");

    // A prime nobody named: only its size.
    let mut odd = p.clone();
    odd[128] ^= 0x10;
    let mut body = vec_prefixed(2, &odd);
    body.extend(vec_prefixed(2, &[5]));
    body.extend(vec_prefixed(2, &[1; 8]));
    body.extend(vec_prefixed(2, &[9; 4]));
    let Body::ServerKeyExchange(kx) =
        in_context(&wrap(12, &body), Some(ProtocolVersion::Tls1), Some(DHE_RSA))
    else {
        panic!()
    };
    assert_eq!((kx.dh_bits(), kx.dh_group_name()), (Some(2048), None));
    assert_eq!((kx.signature_scheme, kx.signature_len), (None, 4));
}

/// `ADH-*` and `AECDH-*` suites: ephemeral parameters with no signature,
/// which tls-parser files under static DH and ECDH.
#[test]
fn anonymous_suites_carry_unsigned_ephemeral_parameters() {
    // TLS_DH_anon_WITH_AES_128_CBC_SHA and TLS_ECDH_anon_WITH_AES_128_CBC_SHA.
    const ADH: u16 = 0x0034;
    const AECDH: u16 = 0xc018;
    let p = BigNum::get_rfc2409_prime_1024().unwrap().to_vec();
    let mut dh = vec_prefixed(2, &p);
    dh.extend(vec_prefixed(2, &[2]));
    dh.extend(vec_prefixed(2, &[0x42; 128]));
    let Body::ServerKeyExchange(kx) = in_context(&wrap(12, &dh), TLS12, Some(ADH)) else {
        panic!()
    };
    assert_eq!(kx.kind, KeyExchangeKind::Dhe);
    // RFC 2409 group 2, what OpenSSL picks for ADH-AES128-SHA, which
    // OpenSSL names no group: IKE's name.
    assert_eq!(
        (kx.dh_bits(), kx.dh_group_name()),
        (Some(1024), Some("modp_1024"))
    );
    assert_eq!((kx.signature_scheme, kx.signature_len), (None, 0));

    let mut ec = vec![3];
    ec.extend(0x001du16.to_be_bytes());
    ec.extend(vec_prefixed(1, &[9; 32]));
    let Body::ServerKeyExchange(kx) = in_context(&wrap(12, &ec), TLS12, Some(AECDH)) else {
        panic!()
    };
    assert_eq!(kx.kind, KeyExchangeKind::Ecdhe);
    assert_eq!(kx.named_group.map(|g| g.id), Some(0x001d));
    assert_eq!((kx.point_len, kx.signature_len), (Some(32), 0));

    let Body::ClientKeyExchange(ckx) =
        in_context(&wrap(16, &vec_prefixed(2, &[7; 128])), TLS12, Some(ADH))
    else {
        panic!()
    };
    assert_eq!((ckx.kind, ckx.exchange_len), (KeyExchangeKind::Dhe, 128));
}

#[test]
fn client_key_exchange_follows_the_suite() {
    let point = wrap(16, &vec_prefixed(1, &[4; 65]));
    let dh = wrap(16, &vec_prefixed(2, &[7; 256]));
    for (msg, suite, kind, len) in [
        (&point, Some(ECDHE_RSA), KeyExchangeKind::Ecdhe, 65),
        (&point, None, KeyExchangeKind::Ecdhe, 65),
        (&dh, Some(DHE_RSA), KeyExchangeKind::Dhe, 256),
        (&dh, Some(RSA), KeyExchangeKind::Rsa, 256),
        (&dh, None, KeyExchangeKind::Other, 258),
    ] {
        let Body::ClientKeyExchange(kx) = in_context(msg, TLS12, suite) else {
            panic!()
        };
        assert_eq!((kx.kind, kx.exchange_len), (kind, len), "{suite:?}");
    }
    assert!(decode_handshake_in(&point, DecodeContext::new(TLS12, Some(RSA))).is_err());
}

#[test]
fn certificate_verify_with_and_without_a_scheme() {
    let mut body = 0x0403u16.to_be_bytes().to_vec();
    body.extend(vec_prefixed(2, &[0x30; 70]));
    let msg = wrap(15, &body);
    for version in [TLS12, TLS13, None] {
        let Body::CertificateVerify(cv) = in_context(&msg, version, None) else {
            panic!()
        };
        assert_eq!(cv.signature_scheme_id(), Some(0x0403));
        assert_eq!(cv.signature_len, 70);
    }
    let legacy = wrap(15, &vec_prefixed(2, &[0x30; 128]));
    for version in [Some(ProtocolVersion::Tls1), None] {
        let Body::CertificateVerify(cv) = in_context(&legacy, version, None) else {
            panic!()
        };
        assert_eq!((cv.signature_scheme, cv.signature_len), (None, 128));
    }
}

#[test]
fn encrypted_extensions_layout() {
    let mut exts = ext(16, &vec_prefixed(2, &vec_prefixed(1, b"h2")));
    exts.extend(ext(0, &[]));
    exts.extend(ext(10, &vec_prefixed(2, &[0, 29, 0, 23])));
    exts.extend(ext(42, &[]));
    exts.extend(ext(28, &[0x40, 0x01]));
    exts.extend(ext(1, &[2]));
    let Body::EncryptedExtensions(ee) = in_context(&wrap(8, &vec_prefixed(2, &exts)), TLS13, None)
    else {
        panic!()
    };
    assert_eq!(ee.alpn.as_deref(), Some("h2"));
    assert!(ee.server_name_ack && ee.early_data);
    assert_eq!(names(&ee.supported_groups), ["x25519", "secp256r1"]);
    assert_eq!(
        (ee.record_size_limit, ee.max_fragment_length),
        (Some(0x4001), Some(2))
    );
    assert_eq!(ee.extensions, [16, 0, 10, 42, 28, 1]);

    let two_protocols = ext(
        16,
        &vec_prefixed(2, &[vec_prefixed(1, b"h2"), vec_prefixed(1, b"x")].concat()),
    );
    let err = problems(&wrap(8, &vec_prefixed(2, &two_protocols)), true);
    assert!(err.contains("more than one protocol"), "{err}");
    let loud_ack = ext(0, &[1]);
    assert!(problems(&wrap(8, &vec_prefixed(2, &loud_ack)), true).contains("server_name"));
}

/// A TLS 1.2 ServerHello with the given extensions block contents.
fn server_hello_with(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend([0x22; 32]);
    body.extend(vec_prefixed(1, &[0x33; 32]));
    body.extend(ECDHE_RSA.to_be_bytes());
    body.push(0);
    body.extend(vec_prefixed(2, extensions));
    wrap(2, &body)
}

#[test]
fn server_hello_extension_contents() {
    let mut exts = ext(0xff01, &vec_prefixed(1, &[0xab; 24]));
    exts.extend(ext(11, &vec_prefixed(1, &[0, 1, 2])));
    exts.extend(ext(23, &[]));
    exts.extend(ext(22, &[]));
    exts.extend(ext(0, &[]));
    exts.extend(ext(41, &[0, 1]));
    // Empty, as RFC 5077 section 3.2 and RFC 6066 section 8 have a
    // server acknowledge them.
    exts.extend(ext(35, &[]));
    exts.extend(ext(5, &[]));
    exts.extend(ext(1, &[2]));
    let hello = server_hello(&server_hello_with(&exts));
    assert!(hello.session_ticket_ack && hello.status_request_ack);
    assert_eq!(hello.common.max_fragment_length, Some(2));
    assert_eq!(hello.common.renegotiation_info, Some("ab".repeat(24)));
    assert_eq!(hello.common.ec_point_formats, Some(vec![0, 1, 2]));
    assert!(hello.common.extended_master_secret && hello.common.encrypt_then_mac);
    assert!(hello.server_name_ack);
    assert_eq!(hello.pre_shared_key, Some(1));
    assert_eq!(hello.compression_method, 0);

    let json = serde_json::to_value(&hello).unwrap();
    assert_eq!(json["extended_master_secret"], true, "flattened: {json}");

    for (bad, why) in [
        (ext(23, &[0]), "extended_master_secret"),
        (ext(22, &[0]), "encrypt_then_mac"),
        (ext(11, &[0]), "ec_point_formats"),
        (ext(0xff01, &[5, 1]), "renegotiation_info"),
        (ext(41, &[0, 1, 2]), "pre_shared_key"),
        (ext(35, &[0]), "session_ticket"),
        (ext(5, &[0]), "status_request"),
        (ext(1, &[5]), "max_fragment_length"),
    ] {
        let err = problems(&server_hello_with(&bad), false);
        assert!(err.contains(why), "{why}: {err}");
    }
}

/// An ECDHE ServerKeyExchange that ends after its point is an anonymous
/// suite's; under a suite that signs, it is malformed, as tshark and
/// OpenSSL (decode_error) say.
#[test]
fn a_missing_signature_is_malformed_unless_the_suite_is_anonymous() {
    let mut body = vec![3];
    body.extend(0x001du16.to_be_bytes());
    body.extend(vec_prefixed(1, &[0x42; 32]));
    let msg = wrap(12, &body);
    let err = decode_handshake_in(&msg, DecodeContext::new(TLS12, Some(ECDHE_RSA))).unwrap_err();
    assert!(err.to_string().contains("no signature"), "{err}");
    // AECDH-AES128-SHA signs nothing.
    let Body::ServerKeyExchange(kx) = in_context(&msg, TLS12, Some(0xc018)) else {
        panic!()
    };
    assert_eq!((kx.signature_len, kx.signature_scheme_id()), (0, None));
}

/// A DHE ServerKeyExchange with an empty field names which one, in
/// `-trace`'s field names: an empty prime is not a bad public value
/// (OpenSSL's DH_check_params_ex says "check p not prime" and "not
/// suitable generator" for the hostile one with an empty dh_p).
#[test]
fn an_empty_dh_field_is_named() {
    let p = BigNum::get_rfc3526_prime_2048().unwrap().to_vec();
    let fields = |p: &[u8], g: &[u8], ys: &[u8]| {
        let mut body = vec_prefixed(2, p);
        body.extend(vec_prefixed(2, g));
        body.extend(vec_prefixed(2, ys));
        body.extend(0x0804u16.to_be_bytes());
        body.extend(vec_prefixed(2, &[0x99; 256]));
        let err = decode_handshake_in(&wrap(12, &body), DecodeContext::new(TLS12, Some(DHE_RSA)))
            .unwrap_err();
        err.to_string()
    };
    assert_eq!(
        fields(&[], &[2], &[5; 256]),
        "ServerKeyExchange is malformed: empty dh_p (the DH prime)"
    );
    assert_eq!(
        fields(&p, &[], &[5; 256]),
        "ServerKeyExchange is malformed: empty dh_g (the DH generator)"
    );
    assert_eq!(
        fields(&p, &[2], &[]),
        "ServerKeyExchange is malformed: empty dh_Ys (the server's DH public value)"
    );
}

/// A HelloRetryRequest's cookie (RFC 8446 section 4.2.2, `opaque
/// cookie<1..2^16-1>`) is measured, as the ClientHello that echoes it
/// is; an empty one is malformed.
#[test]
fn a_retry_request_keeps_its_cookie_length() {
    let retry = |cookie_ext: Vec<u8>| {
        let mut body = vec![3, 3];
        body.extend(HELLO_RETRY_REQUEST_RANDOM);
        body.extend(vec_prefixed(1, &[0x33; 32]));
        body.extend([0x13, 0x01, 0]);
        let exts = [ext(43, &[3, 4]), ext(51, &[0, 24]), cookie_ext].concat();
        body.extend(vec_prefixed(2, &exts));
        decode_handshake(&wrap(2, &body), true).unwrap()
    };
    let decoded = retry(ext(44, &vec_prefixed(2, &[0xc0; 120])));
    let Body::ServerHello(hello) = decoded.body else {
        panic!("not a ServerHello")
    };
    assert!(hello.hello_retry_request);
    assert_eq!(hello.cookie_len, Some(120));
    let json = serde_json::to_value(&hello).unwrap();
    assert_eq!(json["cookie_len"], 120, "{json}");

    let empty = retry(ext(44, &vec_prefixed(2, &[])));
    assert_eq!(empty.extension_problems.len(), 1);
    assert_eq!(
        empty.extension_problems[0].to_string(),
        "cookie extension: empty cookie"
    );
}
