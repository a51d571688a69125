use super::*;

#[test]
fn client_hello_from_openssl() {
    let transcript = tls13_transcript();
    let msg = &transcript.client[0];
    let decoded = decode_handshake(msg, false).unwrap();
    assert_eq!(decoded.handshake_type, HandshakeType::CLIENT_HELLO);
    assert_eq!(decoded.length as usize, msg.len() - 4);
    let hello = client_hello(msg);

    assert_eq!(hello.sni.as_deref(), Some("example.test"));
    assert_eq!(hello.alpn, vec!["h2".to_owned(), "http/1.1".to_owned()]);
    assert!(hello.supported_versions.contains(&0x0304));
    assert!(hello.supported_versions.contains(&0x0303));
    assert!(names(&hello.key_share_groups).contains(&"x25519".to_owned()));
    assert!(names(&hello.supported_groups).contains(&"secp256r1".to_owned()));
    let suites = names(&hello.cipher_suites);
    assert!(suites.contains(&"TLS_AES_128_GCM_SHA256".to_owned()));
    assert!(suites.contains(&"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_owned()));
    let sigalgs = names(&hello.signature_algorithms);
    for expected in ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "ed25519"] {
        assert!(
            sigalgs.contains(&expected.to_owned()),
            "{expected} in {sigalgs:?}"
        );
    }
    assert_eq!(hello.legacy_version, 0x0303);
    assert_eq!(hello.random.len(), 64);
    assert_eq!(
        hello.session_id.len(),
        64,
        "TLS 1.3 compatibility session id"
    );
    assert_eq!(hello.compression_methods, vec![0]);
    assert_eq!(hello.session_ticket, Some(0));
    assert_eq!(hello.psk_identities, 0);
    for ty in [0, 10, 13, 16, 43, 51] {
        assert!(hello.extensions.contains(&ty), "extension {ty}");
    }
    let unique: HashSet<_> = hello.extensions.iter().collect();
    assert_eq!(unique.len(), hello.extensions.len());

    let json = serde_json::to_string(&decoded).unwrap();
    let back: HandshakeMessage = serde_json::from_str(&json).unwrap();
    assert_eq!(back, decoded);
}

#[test]
fn tls13_server_hello_from_openssl() {
    let transcript = tls13_transcript();
    assert_eq!(
        transcript.server.len(),
        1,
        "only the ServerHello is plaintext"
    );
    let hello = server_hello(&transcript.server[0]);
    assert_eq!(hello.legacy_version, 0x0303);
    assert_eq!(hello.selected_version, Some(0x0304));
    // The server answers one of the client's key shares (x25519 on
    // OpenSSL 3.0, a hybrid ML-KEM group on 3.5 and later).
    let offered = client_hello(&transcript.client[0]).key_share_groups;
    let chosen = hello.key_share_group.clone().expect("a key share");
    assert!(offered.contains(&chosen), "{chosen:?} not in {offered:?}");
    assert!(hello
        .cipher_suite
        .name
        .as_deref()
        .unwrap()
        .starts_with("TLS_"));
    assert!(!hello.hello_retry_request);
    assert_eq!(
        hello.alpn, None,
        "TLS 1.3 sends ALPN in EncryptedExtensions"
    );
    assert_eq!(hello.session_id.len(), 64);
    assert!(hello.extensions.contains(&43) && hello.extensions.contains(&51));
}

#[test]
fn hello_retry_request_from_openssl() {
    assert_eq!(
        openssl::sha::sha256(b"HelloRetryRequest"),
        HELLO_RETRY_REQUEST_RANDOM
    );
    let (cert, key) = localhost_cert();
    let transcript = retry_transcript(&cert, &key);
    assert_eq!(transcript.server.len(), 2);
    let retry = server_hello(&transcript.server[0]);
    assert!(retry.hello_retry_request);
    assert_eq!(retry.random, hex(&HELLO_RETRY_REQUEST_RANDOM));
    assert_eq!(retry.selected_version, Some(0x0304));
    assert_eq!(retry.key_share_group, Some(NamedGroup::new(23)));
    assert_eq!(
        retry.key_share_group.unwrap().name.as_deref(),
        Some("secp256r1")
    );
    let hello = server_hello(&transcript.server[1]);
    assert!(!hello.hello_retry_request);
    assert_eq!(hello.key_share_group, Some(NamedGroup::new(23)));

    assert_eq!(transcript.client.len(), 2);
    let first = client_hello(&transcript.client[0]);
    let second = client_hello(&transcript.client[1]);
    assert_eq!(names(&first.key_share_groups), vec!["x25519".to_owned()]);
    assert_eq!(
        names(&second.key_share_groups),
        vec!["secp256r1".to_owned()]
    );
    assert_eq!(first.random, second.random);
    assert_eq!(first.session_id, second.session_id);
}

#[test]
fn tls12_handshake_from_openssl() {
    let (cert, key) = localhost_cert();
    let transcript = tls12_transcript(&cert, &key);
    let (server, types) = decoded(&transcript.server);
    assert_eq!(
        types,
        [
            "ServerHello",
            "Certificate",
            "ServerKeyExchange",
            "CertificateRequest",
            "ServerHelloDone",
            "NewSessionTicket"
        ]
    );

    let Body::ServerHello(hello) = &server[0].body else {
        panic!("{:?}", server[0])
    };
    assert_eq!(hello.legacy_version, 0x0303);
    assert_eq!(hello.selected_version, None);
    assert_eq!(hello.alpn.as_deref(), Some("http/1.1"));
    assert!(hello
        .cipher_suite
        .name
        .as_deref()
        .unwrap()
        .starts_with("TLS_ECDHE_ECDSA_WITH_"));

    let Body::Certificate(certificate) = &server[1].body else {
        panic!("{:?}", server[1])
    };
    assert_eq!(certificate.request_context, "");
    assert_eq!(
        certificate.subjects,
        ["C = US, O = Example, CN = localhost"]
    );
    assert_eq!(certificate.issuers, certificate.subjects);
    assert_eq!(certificate.der_lengths, [cert.to_der().unwrap().len()]);

    // The suite is ECDHE_ECDSA and the key P-256: an ECDHE group the
    // client offered, a point of that group's size, and an ECDSA scheme
    // the client offered.
    let Body::ServerKeyExchange(kx) = &server[2].body else {
        panic!("{:?}", server[2])
    };
    let Body::ClientHello(offer) = &decode_handshake(&transcript.client[0], false).unwrap().body
    else {
        panic!()
    };
    assert_eq!(kx.kind, KeyExchangeKind::Ecdhe);
    assert_eq!(kx.curve_type, Some(3));
    let group = kx.named_group.clone().unwrap();
    assert!(offer.supported_groups.contains(&group), "{group:?}");
    let point_len = match group.name.as_deref() {
        Some("x25519") => 32,
        Some("secp256r1") => 65,
        other => panic!("unexpected group {other:?}"),
    };
    assert_eq!(kx.point_len, Some(point_len));
    let scheme = kx.signature_scheme.clone().unwrap();
    assert!(offer.signature_algorithms.contains(&scheme));
    assert_eq!(scheme.name.as_deref(), Some("ecdsa_secp256r1_sha256"));
    assert_eq!(kx.signature_scheme_id(), Some(0x0403));
    assert!(kx.signature_len > 0 && kx.dh_bits.is_none());

    let Body::CertificateRequest(request) = &server[3].body else {
        panic!("{:?}", server[3])
    };
    assert!(request.certificate_types.contains(&64), "ecdsa_sign");
    assert!(names(&request.signature_algorithms).contains(&"ecdsa_secp256r1_sha256".into()));
    assert!(request.certificate_authorities.is_empty());
    assert_eq!(request.request_context, "");

    let Body::NewSessionTicket(ticket) = &server[5].body else {
        panic!("{:?}", server[5])
    };
    assert!(ticket.ticket_len > 0);
    assert!(ticket.lifetime_hint_secs > 0);
    assert_eq!((ticket.age_add, ticket.nonce.as_deref()), (None, None));

    let (client, types) = decoded(&transcript.client);
    assert_eq!(types, ["ClientHello", "Certificate", "ClientKeyExchange"]);
    let Body::ClientHello(hello) = &client[0].body else {
        panic!("{:?}", client[0])
    };
    assert!(!hello.supported_versions.contains(&0x0304));
    assert!(hello.key_share_groups.is_empty());
    let Body::Certificate(empty) = &client[1].body else {
        panic!("{:?}", client[1])
    };
    assert!(empty.subjects.is_empty() && empty.der_lengths.is_empty());
    let Body::ClientKeyExchange(ckx) = &client[2].body else {
        panic!("{:?}", client[2])
    };
    assert_eq!(ckx.kind, KeyExchangeKind::Ecdhe);
    assert_eq!(ckx.exchange_len, point_len);
}

/// Each message decoded, and the names of their types in order.
fn decoded(messages: &[Vec<u8>]) -> (Vec<HandshakeMessage>, Vec<String>) {
    let decoded: Vec<_> = messages
        .iter()
        .map(|m| decode_handshake(m, false).unwrap())
        .collect();
    let types = decoded
        .iter()
        .map(|m| m.handshake_type.to_string())
        .collect();
    (decoded, types)
}

/// The HelloRetryRequest random makes one (RFC 8446 4.1.3), whatever its
/// extensions, as tshark and a TLS 1.3 client read it; but a client that
/// offered no TLS 1.3, whose message callback reports the server's hello
/// at TLS 1.2 (`s_client -tls1_2 -msg`: "TLS 1.2, Handshake ...
/// ServerHello"), reads a ServerHello, as OpenSSL's does.
#[test]
fn the_retry_random_makes_a_retry_where_the_client_offered_tls13() {
    let body = |extensions: &[u8]| {
        let mut b = vec![3, 3];
        b.extend(HELLO_RETRY_REQUEST_RANDOM);
        b.push(0); // session id
        b.extend([0xc0, 0x2f, 0]); // suite, null compression
        b.extend(vec_prefixed(2, extensions));
        wrap(2, &b)
    };
    let hello_in =
        |msg: &[u8], version| match decode_handshake_in(msg, DecodeContext::new(version, None))
            .unwrap()
            .body
        {
            Body::ServerHello(h) => h,
            other => panic!("{other:?}"),
        };
    let renegotiation_info = body(&ext(0xff01, &[0]));
    for version in [None, Some(ProtocolVersion::Tls1_3)] {
        assert!(hello_in(&renegotiation_info, version).hello_retry_request);
    }
    let tls12 = hello_in(&renegotiation_info, Some(ProtocolVersion::Tls1_2));
    assert!(!tls12.hello_retry_request);
    // A retry carries TLS 1.2's legacy_version; OpenSSL asks for it.
    let mut tls10 = renegotiation_info.clone();
    tls10[5] = 1;
    assert!(!hello_in(&tls10, Some(ProtocolVersion::Tls1_3)).hello_retry_request);
    let mut tls13 = ext(43, &[3, 4]);
    tls13.extend(ext(51, &[0, 0x17]));
    let retry = hello_in(&body(&tls13), Some(ProtocolVersion::Tls1_3));
    assert!(retry.hello_retry_request);
    assert_eq!(retry.key_share_group, Some(NamedGroup::new(23)));
}
