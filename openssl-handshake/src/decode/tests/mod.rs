//! Decoder tests: real OpenSSL handshakes run in memory, assembled layouts
//! and hostile input.

mod accepted_certificates;
mod browser_extensions;
mod client_extensions;
mod dh_groups;
mod extension_problems;
mod hostile;
mod key_exchange;
mod layouts;
mod name_format;
mod real;
mod sslv2;

use super::hello::HELLO_RETRY_REQUEST_RANDOM;
use super::reader::{be, be16, hex};
use super::*;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    select_next_proto, AlpnError, ErrorCode, Ssl, SslContext, SslMethod, SslStream, SslVerifyMode,
    SslVersion,
};
use openssl::x509::X509;
use openssl::x509::{X509Builder, X509Name, X509NameBuilder, X509NameRef};
use std::collections::HashSet;
use std::fmt;

// ----- in-memory handshakes -------------------------------------------

/// The handshake messages each side sent in plaintext records.
struct Transcript {
    client: Vec<Vec<u8>>,
    server: Vec<Vec<u8>>,
}

fn step(result: Result<(), openssl::ssl::Error>) -> bool {
    match result {
        Ok(()) => true,
        Err(e) if e.code() == ErrorCode::WANT_READ => false,
        Err(e) => panic!("handshake failed: {e}"),
    }
}

fn run_handshake(client_ctx: &SslContext, server_ctx: &SslContext) -> Transcript {
    let (mut client_end, mut server_end) = testkit::duplex::pair();
    client_end.record_writes();
    server_end.record_writes();
    let mut client_ssl = Ssl::new(client_ctx).unwrap();
    client_ssl.set_hostname("example.test").unwrap();
    let mut client = SslStream::new(client_ssl, client_end).unwrap();
    let mut server = SslStream::new(Ssl::new(server_ctx).unwrap(), server_end).unwrap();
    let (mut client_done, mut server_done) = (false, false);
    for _ in 0..20 {
        if !client_done {
            client_done = step(client.connect());
        }
        if !server_done {
            server_done = step(server.accept());
        }
        if client_done && server_done {
            break;
        }
    }
    assert!(client_done && server_done, "handshake did not finish");
    let tls12 = client.ssl().version2() == Some(SslVersion::TLS1_2);
    Transcript {
        client: plaintext_handshake_messages(client.get_ref().written(), tls12),
        server: plaintext_handshake_messages(server.get_ref().written(), tls12),
    }
}

/// Reassembles the handshake messages of the plaintext records on a wire.
/// TLS 1.3 encrypts under content type 23, so every type-22 record is
/// plaintext there; TLS 1.2 goes on encrypting under type 22 after
/// ChangeCipherSpec, so a TLS 1.2 stream is cut at its CCS.
fn plaintext_handshake_messages(wire: &[u8], tls12: bool) -> Vec<Vec<u8>> {
    let mut stream = Vec::new();
    let mut rest = wire;
    while rest.len() >= 5 {
        let content_type = rest[0];
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let fragment = &rest[5..5 + len];
        rest = &rest[5 + len..];
        match content_type {
            20 if tls12 => break,
            22 => stream.extend_from_slice(fragment),
            _ => {}
        }
    }
    let mut messages = Vec::new();
    let mut rest = &stream[..];
    while rest.len() >= 4 {
        let n = 4 + be(&rest[1..4]) as usize;
        messages.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    messages
}

fn make_cert(subject: &[(&str, &str)]) -> (X509, PKey<Private>) {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let name = built_name(subject);
    (signed_cert(&name, &name, &key, Some(7)), key)
}

fn built_name(entries: &[(&str, &str)]) -> X509Name {
    let mut builder = X509NameBuilder::new().unwrap();
    for (field, value) in entries {
        builder.append_entry_by_text(field, value).unwrap();
    }
    builder.build()
}

/// A certificate of `subject` (holding `key`) issued by `issuer`,
/// self-signed with `key` and valid from today for a day.
fn signed_cert(
    subject: &X509NameRef,
    issuer: &X509NameRef,
    key: &PKey<Private>,
    serial: Option<u32>,
) -> X509 {
    let mut builder = X509Builder::new().unwrap();
    builder.set_version(2).unwrap();
    if let Some(serial) = serial {
        let serial = BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap();
        builder.set_serial_number(&serial).unwrap();
    }
    builder.set_subject_name(subject).unwrap();
    builder.set_issuer_name(issuer).unwrap();
    builder.set_pubkey(key).unwrap();
    builder
        .set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    builder.sign(key, MessageDigest::sha256()).unwrap();
    builder.build()
}

/// What the `openssl` command-line tool prints with `args`; it must
/// succeed.
fn openssl_cli(args: &[&str]) -> Vec<u8> {
    testkit::command::stdout_of(
        std::process::Command::new("openssl").args(args),
        "the openssl package",
    )
}

fn localhost_cert() -> (X509, PKey<Private>) {
    make_cert(&[("C", "US"), ("O", "Example"), ("CN", "localhost")])
}

fn client_ctx(max: Option<SslVersion>, groups: Option<&str>) -> SslContext {
    let mut builder = SslContext::builder(SslMethod::tls_client()).unwrap();
    builder.set_verify(SslVerifyMode::NONE);
    builder.set_alpn_protos(b"\x02h2\x08http/1.1").unwrap();
    builder.set_max_proto_version(max).unwrap();
    if let Some(groups) = groups {
        builder.set_groups_list(groups).unwrap();
    }
    builder.build()
}

fn server_ctx(
    cert: &X509,
    key: &PKey<Private>,
    groups: Option<&str>,
    request_client_cert: bool,
) -> SslContext {
    let mut builder = SslContext::builder(SslMethod::tls_server()).unwrap();
    builder.set_certificate(cert).unwrap();
    builder.set_private_key(key).unwrap();
    builder.set_alpn_select_callback(|_, offered| {
        select_next_proto(b"\x08http/1.1", offered).ok_or(AlpnError::NOACK)
    });
    if request_client_cert {
        builder.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
    }
    if let Some(groups) = groups {
        builder.set_groups_list(groups).unwrap();
    }
    builder.build()
}

fn wrap(handshake_type: u8, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut msg = vec![handshake_type, len[1], len[2], len[3]];
    msg.extend_from_slice(body);
    msg
}

fn vec_prefixed(len_bytes: usize, content: &[u8]) -> Vec<u8> {
    let len = u32::try_from(content.len()).unwrap().to_be_bytes();
    let mut out = len[4 - len_bytes..].to_vec();
    out.extend_from_slice(content);
    out
}

fn ext(ty: u16, data: &[u8]) -> Vec<u8> {
    let mut out = ty.to_be_bytes().to_vec();
    out.extend(vec_prefixed(2, data));
    out
}

fn client_hello(msg: &[u8]) -> ClientHello {
    match decode_handshake(msg, false).unwrap().body {
        Body::ClientHello(hello) => hello,
        other => panic!("not a ClientHello: {other:?}"),
    }
}

fn server_hello(msg: &[u8]) -> ServerHello {
    match decode_handshake(msg, true).unwrap().body {
        Body::ServerHello(hello) => hello,
        other => panic!("not a ServerHello: {other:?}"),
    }
}

/// The extension problems of `msg`, which must decode around them, in
/// the words a trace gives them: "ClientHello is malformed: " and each
/// problem, as the whole-message error read before extensions were
/// decoded one by one.
fn problems(msg: &[u8], tls13: bool) -> String {
    let decoded = decode_handshake(msg, tls13).expect("decodes around its extensions");
    assert!(
        !decoded.extension_problems.is_empty(),
        "no extension problem in {decoded:?}"
    );
    format!(
        "{} is malformed: {}",
        decoded.handshake_type,
        names(&decoded.extension_problems).join("; ")
    )
}

fn names<T: fmt::Display>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

fn tls13_transcript() -> Transcript {
    let (cert, key) = localhost_cert();
    run_handshake(
        &client_ctx(None, None),
        &server_ctx(&cert, &key, None, false),
    )
}

/// A TLS 1.2 handshake in which the server, presenting `cert`, asks for
/// a client certificate.
fn tls12_transcript(cert: &X509, key: &PKey<Private>) -> Transcript {
    run_handshake(
        &client_ctx(Some(SslVersion::TLS1_2), None),
        &server_ctx(cert, key, None, true),
    )
}

/// A TLS 1.3 handshake with a HelloRetryRequest: the client's key share
/// is for X25519, the server (presenting `cert`) accepts P-256 only.
fn retry_transcript(cert: &X509, key: &PKey<Private>) -> Transcript {
    run_handshake(
        &client_ctx(None, Some("X25519:P-256")),
        &server_ctx(cert, key, Some("P-256"), false),
    )
}
