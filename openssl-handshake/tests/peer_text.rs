//! Text a peer chose (its server name, ALPN protocol, certificate names)
//! reaches logs: bytes outside printable ASCII are written as `\xNN`, as
//! the decoder writes them, so that none forges a line or a terminal
//! escape. OpenSSL's server refuses only a NUL in a server name.

mod common;

use openssl::asn1::Asn1Time;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509Builder, X509NameBuilder};
use openssl_handshake::CertificateInfo;
use testkit::pki::KeyType;

use common::*;

#[test]
fn a_server_name_with_control_bytes_is_escaped_on_both_ends() {
    let server = server_ctx(KeyType::EcdsaP256, |_| {});
    // The name is not the certificate's: the client does not verify it.
    let client = client_ctx(|b| b.set_verify(openssl::ssl::SslVerifyMode::NONE));
    let p = connect_with(&server, &client, None, "evil\n[forged] ok\x1b[2J");
    for t in [&p.client, &p.server] {
        let n = t.negotiated.as_ref().expect("negotiated");
        assert_eq!(
            n.sni.as_deref(),
            Some("evil\\x0a[forged] ok\\x1b[2J"),
            "{:?} side",
            t.side
        );
    }
}

#[test]
fn subject_alt_names_with_control_bytes_are_escaped() {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "peer text").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .dns("other.example\n[forged] verify ok\x1b[31m")
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let info = CertificateInfo::from_x509(&b.build());
    assert_eq!(
        info.subject_alt_names,
        ["DNS:other.example\\x0a[forged] verify ok\\x1b[31m"]
    );
}
