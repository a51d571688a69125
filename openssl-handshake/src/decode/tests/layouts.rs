use super::*;

#[test]
fn tls13_certificate_layout() {
    let (cert, _) = localhost_cert();
    let der = cert.to_der().unwrap();
    let mut entries = vec_prefixed(3, &der);
    // The leaf's staple: ocsp, three bytes that are no OCSPResponse.
    entries.extend(vec_prefixed(2, &ext(5, &[1, 0, 0, 3, 1, 2, 3])));
    entries.extend(vec_prefixed(3, b"not a certificate"));
    entries.extend(vec_prefixed(2, &[]));
    let mut body = vec_prefixed(1, &[0xab, 0xcd]);
    body.extend(vec_prefixed(3, &entries));
    let msg = wrap(11, &body);

    let decoded = decode_handshake(&msg, true).unwrap();
    let Body::Certificate(view) = decoded.body else {
        panic!("{decoded:?}")
    };
    assert_eq!(view.request_context, "abcd");
    assert_eq!(
        view.subjects,
        [
            "C = US, O = Example, CN = localhost",
            "<unparseable certificate: 17 bytes>"
        ]
    );
    assert_eq!(view.issuers, view.subjects);
    assert_eq!(view.der_lengths, [der.len(), 17]);
    let status = view.leaf_status.expect("the leaf's staple");
    assert_eq!((status.status_type, status.response_len), (1, 3));
    assert_eq!(status.ocsp_response_status, None);

    // The same bytes are not a TLS 1.2 Certificate.
    assert!(decode_handshake(&msg, false).is_err());
    // A staple cut short is refused, as OpenSSL refuses it (decode_error).
    let mut entries = vec_prefixed(3, &der);
    entries.extend(vec_prefixed(2, &ext(5, &[1, 2, 3])));
    let mut body = vec_prefixed(1, &[]);
    body.extend(vec_prefixed(3, &entries));
    let refused = decode_handshake(&wrap(11, &body), true).unwrap_err();
    assert!(refused.to_string().contains("status_request"), "{refused}");
    // An entry without its extensions field is cut short.
    let mut body = vec_prefixed(1, &[]);
    body.extend(vec_prefixed(3, &vec_prefixed(3, &der)));
    assert!(matches!(
        decode_handshake(&wrap(11, &body), true),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn tls13_certificate_request_layout() {
    let (cert, _) = localhost_cert();
    let dn = cert.subject_name().to_der().unwrap();
    let mut extensions = ext(13, &vec_prefixed(2, &[0x04, 0x03, 0x08, 0x04, 0x0a, 0x0a]));
    let authorities = [vec_prefixed(2, &dn), vec_prefixed(2, &dn)].concat();
    extensions.extend(ext(47, &vec_prefixed(2, &authorities)));
    let mut body = vec_prefixed(1, &[7]);
    body.extend(vec_prefixed(2, &extensions));

    let decoded = decode_handshake(&wrap(13, &body), true).unwrap();
    let Body::CertificateRequest(view) = decoded.body else {
        panic!("{decoded:?}")
    };
    assert_eq!(view.request_context, "07");
    assert_eq!(
        names(&view.signature_algorithms),
        ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "GREASE"]
    );
    let subject = crate::ffi::name_oneline(cert.subject_name());
    assert_eq!(view.certificate_authorities, [subject.clone(), subject]);
    assert!(view.certificate_types.is_empty());
}

#[test]
fn tls13_new_session_ticket_layout() {
    let mut body = 7200u32.to_be_bytes().to_vec();
    body.extend(0x0102_0304u32.to_be_bytes());
    body.extend(vec_prefixed(1, &[0, 1]));
    body.extend(vec_prefixed(2, &[0x55; 10]));
    body.extend(vec_prefixed(2, &ext(42, &16384u32.to_be_bytes())));

    let decoded = decode_handshake(&wrap(4, &body), true).unwrap();
    assert_eq!(
        decoded.body,
        Body::NewSessionTicket(NewSessionTicket {
            lifetime_hint_secs: 7200,
            age_add: Some(0x0102_0304),
            nonce: Some("0001".into()),
            ticket_len: 10,
            early_data_max: Some(16384),
            extensions: vec![42],
        })
    );
    // Read as RFC 5077, age_add's first bytes become an overlong ticket length.
    assert!(matches!(
        decode_handshake(&wrap(4, &body), false),
        Err(DecodeError::Truncated {
            needed: 264,
            have: 33,
            ..
        })
    ));
}

#[test]
fn finished_keeps_only_the_length() {
    let verify_data = [0x5a; 12];
    let decoded = decode_handshake(&wrap(20, &verify_data), true).unwrap();
    assert_eq!(
        decoded.body,
        Body::Finished(Finished {
            verify_data_len: 12
        })
    );
    let json = serde_json::to_string(&decoded).unwrap();
    assert!(!json.contains("5a5a") && !json.contains("90"), "{json}");
    assert!(!format!("{decoded:?}").contains("5a"));
}

// ----- header handling ------------------------------------------------

#[test]
fn every_prefix_of_a_client_hello_is_an_error() {
    let transcript = tls13_transcript();
    let msg = &transcript.client[0];
    let body_len = msg.len() - 4;
    for n in 0..msg.len() {
        let err = decode_handshake(&msg[..n], false).unwrap_err();
        if n < 4 {
            assert_eq!(
                err,
                DecodeError::Truncated {
                    message: (n > 0).then_some(HandshakeType::CLIENT_HELLO),
                    needed: 4,
                    have: n
                }
            );
        } else {
            assert_eq!(
                err,
                DecodeError::LengthMismatch {
                    message: HandshakeType::CLIENT_HELLO,
                    declared: body_len as u32,
                    actual: n - 4
                }
            );
        }
    }
    // With the header patched to match, a cut body still fails, except
    // when the cut falls exactly where the optional extensions begin.
    let mut decoded_ok = 0;
    for n in 4..msg.len() {
        let mut cut = wrap(1, &msg[4..n]);
        cut[0] = 1;
        match decode_handshake(&cut, false) {
            Ok(m) => {
                let Body::ClientHello(hello) = m.body else {
                    panic!()
                };
                assert!(hello.extensions.is_empty());
                decoded_ok += 1;
            }
            Err(e) => assert_eq!(e.handshake_type(), Some(HandshakeType::CLIENT_HELLO)),
        }
    }
    assert_eq!(decoded_ok, 1);
}

#[test]
fn wrong_length_field_is_a_length_mismatch() {
    let transcript = tls13_transcript();
    let msg = transcript.client[0].clone();
    let actual = msg.len() - 4;
    for declared in [actual - 1, actual + 1, 0, 0xff_ffff] {
        let mut patched = msg.clone();
        patched[1..4].copy_from_slice(&u32::try_from(declared).unwrap().to_be_bytes()[1..]);
        let err = decode_handshake(&patched, false).unwrap_err();
        assert_eq!(
            err,
            DecodeError::LengthMismatch {
                message: HandshakeType::CLIENT_HELLO,
                declared: declared as u32,
                actual
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "ClientHello declares a {declared}-byte body but {actual} bytes follow the header"
            )
        );
    }
}

#[test]
fn unknown_and_undecoded_types_are_other() {
    let decoded = decode_handshake(&[99, 0, 0, 3, 1, 2, 3], false).unwrap();
    assert_eq!(decoded.handshake_type, HandshakeType(99));
    assert_eq!(decoded.length, 3);
    assert_eq!(decoded.body, Body::Other);
    assert_eq!(decoded.handshake_type.to_string(), "Unknown(99)");
    assert_eq!(format!("{:?}", HandshakeType(99)), "Unknown(99)");
    assert_eq!(HandshakeType(99).name(), None);
    assert_eq!(serde_json::to_string(&HandshakeType(99)).unwrap(), "99");

    for ty in [0u8, 5, 14, 25] {
        let decoded = decode_handshake(&wrap(ty, &[0xde, 0xad]), true).unwrap();
        assert_eq!(decoded.body, Body::Other);
    }
    let err = decode_handshake(&[99, 0, 0, 3, 1], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "handshake message of unknown type 99 declares a 3-byte body but 1 bytes follow the header"
    );
    assert_eq!(
        decode_handshake(&[], false).unwrap_err().to_string(),
        "handshake message is truncated: 4 bytes are needed but only 0 are present"
    );
}

#[test]
fn handshake_type_names() {
    let expected = [
        (HandshakeType::HELLO_REQUEST, "HelloRequest"),
        (HandshakeType::CLIENT_HELLO, "ClientHello"),
        (HandshakeType::SERVER_HELLO, "ServerHello"),
        (HandshakeType::HELLO_VERIFY_REQUEST, "HelloVerifyRequest"),
        (HandshakeType::NEW_SESSION_TICKET, "NewSessionTicket"),
        (HandshakeType::END_OF_EARLY_DATA, "EndOfEarlyData"),
        (HandshakeType::ENCRYPTED_EXTENSIONS, "EncryptedExtensions"),
        (HandshakeType::CERTIFICATE, "Certificate"),
        (HandshakeType::SERVER_KEY_EXCHANGE, "ServerKeyExchange"),
        (HandshakeType::CERTIFICATE_REQUEST, "CertificateRequest"),
        (HandshakeType::SERVER_HELLO_DONE, "ServerHelloDone"),
        (HandshakeType::CERTIFICATE_VERIFY, "CertificateVerify"),
        (HandshakeType::CLIENT_KEY_EXCHANGE, "ClientKeyExchange"),
        (HandshakeType::FINISHED, "Finished"),
        (HandshakeType::CERTIFICATE_URL, "CertificateUrl"),
        (HandshakeType::CERTIFICATE_STATUS, "CertificateStatus"),
        (HandshakeType::SUPPLEMENTAL_DATA, "SupplementalData"),
        (HandshakeType::KEY_UPDATE, "KeyUpdate"),
        (
            HandshakeType::COMPRESSED_CERTIFICATE,
            "CompressedCertificate",
        ),
        (HandshakeType::MESSAGE_HASH, "MessageHash"),
    ];
    for (ty, name) in expected {
        assert_eq!(ty.name(), Some(name));
        assert_eq!(format!("{ty} {ty:?}"), format!("{name} {name}"));
    }
    let named = (0..=255u8)
        .filter(|&b| HandshakeType(b).name().is_some())
        .count();
    assert_eq!(named, expected.len());
}

#[test]
fn registry_names() {
    assert_eq!(
        CipherSuite::new(0x1301).name.as_deref(),
        Some("TLS_AES_128_GCM_SHA256")
    );
    assert_eq!(
        CipherSuite::new(0xc02f).name.as_deref(),
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
    assert_eq!(CipherSuite::new(0x3a3a).name.as_deref(), Some("GREASE"));
    assert_eq!(CipherSuite::new(0x3a4a).name, None);
    assert_eq!(NamedGroup::new(29).to_string(), "x25519");
    assert_eq!(NamedGroup::new(0x0104).to_string(), "ffdhe8192");
    assert_eq!(NamedGroup::new(0x11ec).to_string(), "X25519MLKEM768");
    assert_eq!(NamedGroup::new(0xfafa).to_string(), "GREASE");
    assert_eq!(NamedGroup::new(0x1234).to_string(), "0x1234");
    assert_eq!(SignatureScheme::new(0x0201).to_string(), "rsa_pkcs1_sha1");
    assert_eq!(SignatureScheme::new(0x0303).to_string(), "ecdsa_sha224");
    assert_eq!(SignatureScheme::new(0x0807).to_string(), "ed25519");
    assert_eq!(SignatureScheme::new(0x0a0a).to_string(), "GREASE");
}

#[test]
fn key_update_names_its_request() {
    for (value, name) in [(0u8, "update_not_requested"), (1, "update_requested")] {
        let decoded = decode_handshake(&wrap(24, &[value]), true).unwrap();
        let Body::KeyUpdate(k) = decoded.body else {
            panic!("a KeyUpdate: {decoded:?}");
        };
        assert_eq!((k.request_update, k.request_name()), (value, name));
    }
    // RFC 8446 section 4.6.3: any other value is illegal_parameter.
    let err = decode_handshake(&wrap(24, &[2]), true).unwrap_err();
    assert!(
        err.to_string().contains("request_update 2 is neither"),
        "{err}"
    );
    let err = decode_handshake(&wrap(24, &[0, 0]), true).unwrap_err();
    assert!(matches!(err, DecodeError::Malformed { .. }), "{err}");
}
