//! What a peer says it accepts in certificates: signature_algorithms_cert
//! (RFC 8446 section 4.2.3) in a ClientHello or a TLS 1.3
//! CertificateRequest, and certificate_authorities (section 4.2.4) in a
//! ClientHello, each assembled from its RFC layout, well-formed and not.

use super::hostile::hello_with_extensions;
use super::*;

/// `SignatureSchemeList`: `SignatureScheme supported_signature_algorithms<2..2^16-2>`.
fn scheme_list(codes: &[u16]) -> Vec<u8> {
    let bytes: Vec<u8> = codes.iter().flat_map(|c| c.to_be_bytes()).collect();
    vec_prefixed(2, &bytes)
}

#[test]
fn client_hello_signature_algorithms_cert_in_order() {
    // ECDSA, EdDSA and a legacy pair, as JSSE sends them, and a GREASE value.
    let schemes = scheme_list(&[0x0403, 0x0807, 0x0201, 0x0a0a]);
    let hello = hello_with_extensions(&ext(50, &schemes));
    let view = client_hello(&hello);
    assert_eq!(
        names(&view.signature_algorithms_cert),
        [
            "ecdsa_secp256r1_sha256",
            "ed25519",
            "rsa_pkcs1_sha1",
            "GREASE"
        ]
    );
    assert!(view.signature_algorithms.is_empty());
    assert_eq!(view.extensions, [50]);
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["signature_algorithms_cert"][1]["id"], 0x0807);
}

#[test]
fn client_hello_certificate_authorities_named_as_openssl_names_them() {
    let (cert, _) = localhost_cert();
    let dn = cert.subject_name().to_der().unwrap();
    let authorities = vec_prefixed(2, &[vec_prefixed(2, &dn), vec_prefixed(2, &dn)].concat());
    let view = client_hello(&hello_with_extensions(&ext(47, &authorities)));
    let subject = crate::ffi::name_oneline(cert.subject_name());
    assert_eq!(view.certificate_authorities, [subject.clone(), subject]);
}

#[test]
fn malformed_lists_are_extension_problems_and_the_hello_is_kept() {
    let (cert, _) = localhost_cert();
    let dn = cert.subject_name().to_der().unwrap();
    let cases: [(&[u8], &str); 5] = [
        // An odd length: half a scheme.
        (&ext(50, &[0, 3, 4, 3, 8]), "signature_algorithms_cert"),
        (&ext(50, &[0, 0]), "signature_algorithms_cert"),
        // No authorities, where the list holds at least one.
        (&ext(47, &[0, 0]), "certificate_authorities"),
        // An empty DistinguishedName.
        (&ext(47, &[0, 2, 0, 0]), "certificate_authorities"),
        // A name that runs past its list.
        (
            &ext(47, &vec_prefixed(2, &vec_prefixed(2, &dn)[..dn.len()])),
            "certificate_authorities",
        ),
    ];
    for (extension, name) in cases {
        let mut extensions = extension.to_vec();
        extensions.extend(ext(
            0,
            &vec_prefixed(2, &[&[0][..], &vec_prefixed(2, b"a.test")].concat()),
        ));
        let hello = hello_with_extensions(&extensions);
        let view = client_hello(&hello);
        assert_eq!(view.sni.as_deref(), Some("a.test"), "{extension:?}");
        assert!(view.signature_algorithms_cert.is_empty());
        assert!(view.certificate_authorities.is_empty());
        let said = problems(&hello, false);
        assert!(said.contains(name), "{extension:?}: {said}");
    }
}

#[test]
fn tls13_certificate_request_signature_algorithms_cert() {
    let mut extensions = ext(13, &scheme_list(&[0x0804]));
    extensions.extend(ext(50, &scheme_list(&[0x0401, 0x0503])));
    let mut body = vec_prefixed(1, &[]);
    body.extend(vec_prefixed(2, &extensions));
    let decoded = decode_handshake(&wrap(13, &body), true).unwrap();
    let Body::CertificateRequest(view) = decoded.body else {
        panic!("{decoded:?}")
    };
    assert_eq!(names(&view.signature_algorithms), ["rsa_pss_rsae_sha256"]);
    assert_eq!(
        names(&view.signature_algorithms_cert),
        ["rsa_pkcs1_sha256", "ecdsa_secp384r1_sha384"]
    );
    assert_eq!(view.extensions, [13, 50]);
}
