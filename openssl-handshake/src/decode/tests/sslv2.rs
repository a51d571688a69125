//! The SSLv2-format ClientHello, assembled from RFC 5246 appendix E.2.

use super::*;

/// msg_type, version, the three lengths, then the specs, session id and
/// challenge.
fn v2_hello(version: u16, specs: &[[u8; 3]], session: &[u8], challenge: &[u8]) -> Vec<u8> {
    let mut m = vec![1];
    m.extend(version.to_be_bytes());
    for len in [3 * specs.len(), session.len(), challenge.len()] {
        m.extend(u16::try_from(len).unwrap().to_be_bytes());
    }
    m.extend(specs.iter().flatten());
    m.extend(session);
    m.extend(challenge);
    m
}

#[test]
fn an_sslv2_format_hello_reads_as_a_client_hello() {
    // TLS_RSA_WITH_AES_128_CBC_SHA, SSL 2.0's RC4_128_WITH_MD5 (not a TLS
    // suite), and TLS_EMPTY_RENEGOTIATION_INFO_SCSV.
    let specs = [[0, 0x00, 0x2f], [0x01, 0x00, 0x80], [0, 0x00, 0xff]];
    let challenge = [0xab; 16];
    let h = decode_sslv2_client_hello(&v2_hello(0x0301, &specs, &[], &challenge)).unwrap();
    assert_eq!(h.legacy_version, 0x0301);
    let ids: Vec<u16> = h.cipher_suites.iter().map(|c| c.id).collect();
    assert_eq!(ids, [0x002f, 0x00ff]);
    // The challenge is the random's last 16 bytes, zeros before it.
    assert_eq!(h.random, format!("{}{}", "00".repeat(16), "ab".repeat(16)));
    assert_eq!(h.session_id, "");
    assert!(h.extensions.is_empty() && h.supported_versions.is_empty());
}

#[test]
fn a_malformed_sslv2_hello_is_refused_with_the_reason() {
    let spec = [[0, 0x00, 0x2f]];
    let cases: [(Vec<u8>, &str); 4] = [
        (
            {
                let mut m = v2_hello(0x0301, &spec, &[], &[1; 16]);
                m[0] = 4;
                m
            },
            "message type 4",
        ),
        (
            v2_hello(0x0301, &spec, &[7; 33], &[1; 16]),
            "session id of 33 bytes",
        ),
        (
            {
                let mut m = v2_hello(0x0301, &spec, &[], &[1; 16]);
                m[4] = 4; // cipher_spec_length 4
                m
            },
            "4 bytes, not whole 3-byte entries",
        ),
        (
            {
                let mut m = v2_hello(0x0301, &spec, &[], &[1; 16]);
                m.push(0);
                m
            },
            "the challenge",
        ),
    ];
    for (msg, why) in cases {
        let e = decode_sslv2_client_hello(&msg).unwrap_err().to_string();
        assert!(e.contains(why), "{why}: {e}");
    }
    let e = decode_sslv2_client_hello(&v2_hello(0x0301, &spec, &[], &[1; 16])[..20]);
    assert!(matches!(e, Err(DecodeError::Truncated { .. })), "{e:?}");
}

/// OpenSSL's tls_process_client_hello takes a challenge of any length,
/// right-aligned in the random, and the first 32 bytes of a longer one.
#[test]
fn a_challenge_of_any_length_is_read_as_openssl_reads_it() {
    let spec = [[0, 0x00, 0x2f]];
    let random = |challenge: &[u8]| {
        decode_sslv2_client_hello(&v2_hello(0x0303, &spec, &[], challenge))
            .unwrap()
            .random
    };
    assert_eq!(
        random(&[0xcd; 8]),
        format!("{}{}", "00".repeat(24), "cd".repeat(8))
    );
    assert_eq!(random(&[]), "00".repeat(32));
    let long: Vec<u8> = (0..48).collect();
    let first_32: String = long[..32].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(random(&long), first_32);
}
