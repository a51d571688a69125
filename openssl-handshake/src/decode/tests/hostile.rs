use super::*;
use crate::decode::{decode_handshake_in, DecodeContext};
use crate::ProtocolVersion;

/// Unknown and TLS 1.3, then TLS 1.2 under ECDHE, DHE and RSA suites.
const CONTEXTS: [DecodeContext; 5] = [
    DecodeContext {
        version: None,
        cipher_suite: None,
    },
    DecodeContext {
        version: Some(ProtocolVersion::Tls1_3),
        cipher_suite: None,
    },
    DecodeContext {
        version: Some(ProtocolVersion::Tls1_2),
        cipher_suite: Some(0xc02f),
    },
    DecodeContext {
        version: Some(ProtocolVersion::Tls1_2),
        cipher_suite: Some(0x009e),
    },
    DecodeContext {
        version: Some(ProtocolVersion::Tls1_2),
        cipher_suite: Some(0x009c),
    },
];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut msg = Vec::new();
    for _ in 0..10_000 {
        let len = rng.below(200);
        msg.clear();
        msg.extend((0..len).map(|_| rng.next() as u8));
        let fix_length = rng.below(4) != 0;
        for ty in 0..=255u8 {
            if let Some(first) = msg.first_mut() {
                *first = ty;
            }
            if fix_length && len >= 4 {
                let body_len = (len as u32 - 4).to_be_bytes();
                msg[1..4].copy_from_slice(&body_len[1..]);
            }
            // Two of the contexts per message, varying with the input.
            for _ in 0..2 {
                let _ = decode_handshake_in(&msg, CONTEXTS[rng.below(CONTEXTS.len())]);
            }
        }
    }
}

#[test]
fn mutated_real_messages_never_panic() {
    let (cert, key) = localhost_cert();
    let tls12 = tls12_transcript(&cert, &key);
    let retry = retry_transcript(&cert, &key);
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    corpus.extend(tls12.client);
    corpus.extend(tls12.server);
    corpus.extend(retry.client);
    corpus.extend(retry.server);
    let der = cert.to_der().unwrap();
    let mut entry = vec_prefixed(3, &der);
    entry.extend(vec_prefixed(2, &[]));
    let mut body = vec_prefixed(1, &[]);
    body.extend(vec_prefixed(3, &entry));
    corpus.push(wrap(11, &body));

    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut decoded = 0usize;
    for i in 0..10_000 {
        let mut msg = corpus[i % corpus.len()].clone();
        for _ in 0..=rng.below(3) {
            match rng.below(4) {
                0 if !msg.is_empty() => {
                    let at = rng.below(msg.len());
                    msg[at] ^= 1 << rng.below(8);
                }
                1 if !msg.is_empty() => {
                    let at = rng.below(msg.len());
                    msg[at] = rng.next() as u8;
                }
                2 => {
                    let at = rng.below(msg.len() + 1);
                    msg.truncate(at);
                }
                _ => {
                    let at = rng.below(msg.len() + 1);
                    msg.insert(at, rng.next() as u8);
                }
            }
        }
        if msg.len() >= 4 && rng.below(10) != 0 {
            let body_len = (msg.len() as u32 - 4).to_be_bytes();
            msg[1..4].copy_from_slice(&body_len[1..]);
        }
        for context in CONTEXTS {
            if let Ok(m) = decode_handshake_in(&msg, context) {
                decoded += 1;
                serde_json::to_string(&m).unwrap();
            }
        }
    }
    assert!(decoded > 0);
}

#[test]
fn malformed_extensions_are_rejected_with_a_reason() {
    let transcript = tls13_transcript();
    let body = &transcript.client[0][4..];

    // A second server_name appended to a real ClientHello.
    let mut dup = body.to_vec();
    let sni = ext(0, &{
        let mut list = vec![0u8];
        list.extend(vec_prefixed(2, b"a.test"));
        vec_prefixed(2, &list)
    });
    append_extension(&mut dup, &sni);
    assert_eq!(
        problems(&wrap(1, &dup), false),
        "ClientHello is malformed: extension 0 appears more than once"
    );
    // The first server_name is the one read.
    assert_eq!(
        client_hello(&wrap(1, &dup)).sni,
        client_hello(&wrap(1, body)).sni
    );

    // Unknown extensions are only framed, never interpreted.
    let mut unknown = body.to_vec();
    append_extension(&mut unknown, &ext(0xfe00, &[0, 3, 5, b'h', b'2']));
    assert!(decode_handshake(&wrap(1, &unknown), false).is_ok());

    // A protocol name overrunning the ALPN list: tls-parser returns an
    // empty list without complaint, the byte count catches it.
    let hello = hello_with_extensions(&ext(16, &[0, 3, 5, b'h', b'2']));
    assert_eq!(
        problems(&hello, false),
        "ClientHello is malformed: application_layer_protocol_negotiation extension: \
         list items cover 2 of its 5 bytes"
    );

    let hello = hello_with_extensions(&ext(10, &[0, 3, 0, 29, 0]));
    let err = problems(&hello, false);
    assert!(err.contains("supported_groups"), "{err}");

    let hello = hello_with_extensions(&ext(16, &[0, 4, 5, b'h', b'2', b'x']));
    let err = problems(&hello, false);
    assert!(
        err.starts_with("ClientHello is malformed: application_layer_protocol_negotiation"),
        "{err}"
    );

    let hello = hello_with_extensions(&ext(13, &[0, 3, 4, 3, 8]));
    assert!(problems(&hello, false).contains("signature_algorithms"));

    let hello = hello_with_extensions(&ext(43, &[3, 3, 4, 9]));
    assert!(problems(&hello, false).contains("supported_versions"));
    let hello = hello_with_extensions(&ext(43, &[2, 3, 4]));
    assert_eq!(client_hello(&hello).supported_versions, [0x0304]);
    let hello = hello_with_extensions(&ext(43, &[2, 3, 4, 9]));
    assert!(problems(&hello, false).contains("supported_versions"));

    let hello = hello_with_extensions(&ext(51, &[0, 6, 0, 29, 0, 3, 1, 2]));
    let err = problems(&hello, false);
    assert!(err.contains("key_share extension is truncated"), "{err}");

    // Extensions block length larger than what is left.
    let mut overrun = hello_with_extensions(&ext(23, &[]));
    let last = overrun.len() - 5;
    overrun[last] = 9;
    assert!(decode_handshake(&overrun, false).is_err());

    // A well-formed PSK extension counts identities.
    let mut identities = vec_prefixed(2, b"ticket-1");
    identities.extend(1u32.to_be_bytes());
    identities.extend(vec_prefixed(2, b"ticket-2"));
    identities.extend(2u32.to_be_bytes());
    let binders = [vec_prefixed(1, &[1; 32]), vec_prefixed(1, &[2; 32])].concat();
    let psk = [vec_prefixed(2, &identities), vec_prefixed(2, &binders)].concat();
    let hello = hello_with_extensions(&[ext(0x2a2a, &[]), ext(41, &psk)].concat());
    let view = client_hello(&hello);
    assert_eq!(view.psk_identities, 2);
    assert_eq!(view.extensions, [0x2a2a, 41]);
}

/// A minimal ClientHello with the given extensions block contents.
pub(super) fn hello_with_extensions(extensions: &[u8]) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend([0x11; 32]);
    body.push(0);
    body.extend(vec_prefixed(2, &[0x13, 0x01]));
    body.extend(vec_prefixed(1, &[0]));
    body.extend(vec_prefixed(2, extensions));
    wrap(1, &body)
}

/// Appends an extension to the ClientHello body `body` (whose last field
/// is the extensions block), fixing the block length.
fn append_extension(body: &mut Vec<u8>, extension: &[u8]) {
    let hello = ClientHelloLayout::of(body);
    let block_len = be16(&body[hello.block_at..hello.block_at + 2]) as usize + extension.len();
    body[hello.block_at..hello.block_at + 2]
        .copy_from_slice(&u16::try_from(block_len).unwrap().to_be_bytes());
    body.extend_from_slice(extension);
}

struct ClientHelloLayout {
    block_at: usize,
}

impl ClientHelloLayout {
    fn of(body: &[u8]) -> Self {
        let mut at = 2 + 32;
        at += 1 + usize::from(body[at]);
        at += 2 + be16(&body[at..at + 2]) as usize;
        at += 1 + usize::from(body[at]);
        Self { block_at: at }
    }
}

/// A TLS 1.2 CertificateRequest cut short in its CA list is malformed, as
/// tshark and OpenSSL (decode_error) say, not a TLS 1.0 one whose schemes
/// read as a CA name; without a known version either layout may fit.
#[test]
fn a_truncated_tls12_certificate_request_is_malformed() {
    // types [rsa_sign], schemes [0x0002, 0x0401], no CA list.
    let msg = [0x0d, 0, 0, 8, 1, 1, 0, 4, 0, 2, 4, 1];
    let tls12 = DecodeContext::new(Some(ProtocolVersion::Tls1_2), Some(0x009c));
    assert!(decode_handshake_in(&msg, tls12).is_err());
    let tls10 = DecodeContext::new(Some(ProtocolVersion::Tls1), Some(0x002f));
    assert!(decode_handshake_in(&msg, tls10).is_ok());
}

/// A certificate entry with bytes after its certificate: `d2i_X509` reads
/// the certificate and stops, but the handshake refuses the entry (its
/// length is not the certificate's), so the view shows it as unparseable
/// and takes no names from it.
#[test]
fn an_entry_with_bytes_after_its_certificate_is_unparseable() {
    let pem = std::fs::read("/etc/ssl/certs/ca-certificates.crt").expect("the system's roots");
    let mut der = openssl::x509::X509::from_pem(&pem)
        .unwrap()
        .to_der()
        .unwrap();
    der.extend_from_slice(&[0; 10]);
    assert!(
        openssl::x509::X509::from_der(&der).is_ok(),
        "d2i_X509 stops early"
    );
    let len3 = |n: usize| [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    let mut body = len3(der.len() + 3).to_vec();
    body.extend(len3(der.len()));
    body.extend(&der);
    let mut msg = vec![11];
    msg.extend(len3(body.len()));
    msg.extend(body);
    let tls12 = DecodeContext::new(Some(ProtocolVersion::Tls1_2), None);
    let Body::Certificate(c) = decode_handshake_in(&msg, tls12).unwrap().body else {
        panic!("not a Certificate")
    };
    assert_eq!(
        c.subjects,
        [format!("<unparseable certificate: {} bytes>", der.len())]
    );
    assert!(c.leaf_common_names.is_empty() && c.leaf_subject_alt_names.is_empty());
}
