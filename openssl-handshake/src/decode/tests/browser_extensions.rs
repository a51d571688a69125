//! The ClientHello extensions Chromium sends and OpenSSL does not read:
//! encrypted_client_hello (draft-ietf-tls-esni, section 5) and ALPS
//! (draft-vvv-tls-alps), each assembled from its draft's layout,
//! well-formed and not. (tests/browser_hello.rs reads Chromium's.)

use super::hostile::hello_with_extensions;
use super::*;
use crate::decode::ech::ext_encrypted_client_hello;
use crate::decode::error::Fail;
use crate::decode::HpkeSuite;

/// An outer ECH: HKDF-SHA384 (2), ChaCha20Poly1305 (3), config_id 7, a
/// 32-byte enc and a `payload_len`-byte payload.
fn outer(payload_len: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 2, 0, 3, 7];
    v.extend(vec_prefixed(2, &[0x11; 32]));
    v.extend(vec_prefixed(2, &vec![0x22; payload_len]));
    v
}

#[test]
fn an_outer_ech_gives_its_suite_config_and_lengths() {
    let view = client_hello(&hello_with_extensions(&ext(0xfe0d, &outer(144))));
    let ech = view.encrypted_client_hello.expect("ECH");
    assert_eq!(ech.hello_type, 0);
    let suite = ech.cipher_suite.expect("suite");
    assert_eq!(
        suite,
        HpkeSuite {
            kdf_id: 2,
            aead_id: 3
        }
    );
    assert_eq!(suite.kdf_name(), Some("HKDF-SHA384"));
    assert_eq!(suite.aead_name(), Some("ChaCha20Poly1305"));
    assert_eq!(ech.config_id, Some(7));
    assert_eq!((ech.enc_len, ech.payload_len), (Some(32), Some(144)));
    // The inner type is empty.
    let inner = client_hello(&hello_with_extensions(&ext(0xfe0d, &[1])));
    let ech = inner.encrypted_client_hello.expect("inner ECH");
    assert_eq!((ech.hello_type, ech.cipher_suite), (1, None));
}

/// OpenSSL reads neither extension, so a malformed one is left unread
/// (its type stays in `extensions`), not made a problem of the hello that
/// a diagnosis would blame; the reader still names what is wrong.
#[test]
fn a_malformed_ech_is_left_unread() {
    let refused = |data: &[u8]| {
        let hello = hello_with_extensions(&ext(0xfe0d, data));
        let decoded = decode_handshake(&hello, false).expect("decodes");
        assert!(decoded.extension_problems.is_empty(), "{decoded:?}");
        assert_eq!(client_hello(&hello).encrypted_client_hello, None);
        match ext_encrypted_client_hello(data).map_err(|f| f.in_extension("encrypted_client_hello"))
        {
            Err(Fail::Bad(reason)) => reason,
            other => format!("{other:?}"),
        }
    };
    let malformed = |reason: &str| format!("encrypted_client_hello extension{reason}");
    assert_eq!(refused(&outer(0)), malformed(": empty payload"));
    assert_eq!(refused(&[2]), malformed(": unknown ECHClientHelloType 2"));
    assert_eq!(
        refused(&[1, 0]),
        malformed(": 1 unexpected byte after the inner type")
    );
    assert_eq!(
        refused(&[outer(1), vec![0]].concat()),
        malformed(": 1 unexpected byte after payload")
    );
    // enc claiming 32 bytes with 3 present.
    assert_eq!(
        refused(&[0, 0, 1, 0, 1, 9, 0, 32, 1, 2, 3]),
        malformed(" is truncated: 40 bytes are needed but only 11 are present")
    );
}

#[test]
fn alps_lists_its_protocols_under_either_code_point() {
    let list = vec_prefixed(
        2,
        &[vec_prefixed(1, b"h2"), vec_prefixed(1, b"h3")].concat(),
    );
    for ty in [17513, 17613] {
        let view = client_hello(&hello_with_extensions(&ext(ty, &list)));
        assert_eq!(view.application_settings, ["h2", "h3"], "type {ty}");
    }
    // An empty list is malformed, and left unread.
    let hello = hello_with_extensions(&ext(17613, &[0, 0]));
    assert!(decode_handshake(&hello, false).is_ok_and(|m| m.extension_problems.is_empty()));
    assert!(client_hello(&hello).application_settings.is_empty());
}
