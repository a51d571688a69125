//! Malformed input: bytes that are not TLS, or a ClientHello broken in
//! one place (a length, the record size, the suites, the version).

use super::expected::ANY_PARSE_ALERT;
use super::hello::{parses_as_client_hello, CT_HANDSHAKE};
use super::judge::Sent;
use super::suite::{connect_failed, Spec, Suite};
use super::wire::{self, Script};
use super::{CaseResult, Expected};
use crate::tls_bytes::{handshake_message, record};

pub(super) fn random_bytes(s: &mut Suite) -> CaseResult {
    let mut bytes = vec![0u8; 1024];
    s.rng.fill(&mut bytes);
    // The answer depends on which header fields the bytes happen to break,
    // so the expectation is read off the first bytes, the way OpenSSL's
    // record layer (ssl3_get_record) reads them.
    let (expected, why) = if bytes[0] & 0x80 != 0 && bytes[2] == 1 {
        (
            Expected::FatalAlertOrClose {
                any_of: ANY_PARSE_ALERT.to_vec(),
            },
            "the first bytes look like an SSLv2 record header, so OpenSSL parses an SSLv2 hello and rejects it",
        )
    } else if bytes[1] != 3 {
        (
            Expected::Close,
            "the first record's major version is not 3; OpenSSL's record layer treats a first record that \
             does not look like TLS with SSL_AD_NO_ALERT (\"Doesn't look like TLS - don't send an alert\")",
        )
    } else {
        (
            Expected::FatalAlertOrClose {
                any_of: ANY_PARSE_ALERT.to_vec(),
            },
            "the header passes as TLS, so the record layer or the decoder rejects what follows",
        )
    };
    let spec = Spec {
        id: "random-bytes",
        sends: format!("1024 random bytes, starting {:02x?}", &bytes[..5]),
        expected,
        why,
    };
    s.send_case(spec, &bytes)
}

pub(super) fn truncated_client_hello(s: &mut Suite) -> CaseResult {
    let full = s.hello.record();
    let cut = 5 + (full.len() - 5) / 2;
    let spec = Spec {
        id: "truncated-client-hello",
        sends: format!(
            "the first {cut} of {} bytes of a genuine ClientHello record, then end of stream",
            full.len()
        ),
        expected: Expected::FatalAlertOrClose { any_of: vec![50] },
        why: "nothing is wrong until the stream ends inside the record. OpenSSL sends decode_error on \
              an unexpected EOF only when BIO_eof() says so (ssl3_read_n): its socket BIO does \
              (openssl s_server, tls-harness serve); the openssl crate's stream BIO answers 0 to \
              BIO_CTRL_EOF, so the in-process server closes without an alert",
    };
    let wait = s.opts.timeout;
    s.case(spec, |s, e| {
        let answer = wire::converse(
            s.addr,
            s.opts.timeout,
            &Script {
                send: &full[..cut],
                half_close: true,
                wait,
            },
        );
        match answer {
            Ok(a) => s.judge(e, &a, wait, true, Sent::Refusable),
            Err(err) => connect_failed(&err),
        }
    })
}

/// The padding extension's type (RFC 7685).
const PADDING: u16 = 21;

pub(super) fn oversized_record(s: &mut Suite) -> CaseResult {
    // 2^14 of plaintext plus the 2048 bytes of expansion TLS 1.2 allows
    // (RFC 5246 section 6.2.3), plus one.
    let len: usize = (1 << 14) + 2048 + 1;
    // Grown by a padding extension (RFC 7685) to fill the record exactly,
    // the hello is sound but for its size: a server that does not check
    // the record's length answers it with a ServerHello.
    let mut grown = s.hello.clone();
    let pad = len.saturating_sub(grown.message().len() + 4);
    grown.extensions.push((PADDING, vec![0; pad]));
    let payload = grown.message();
    let bytes = record(CT_HANDSHAKE, 0x0301, &payload);
    let spec = Spec {
        id: "oversized-record",
        sends: format!(
            "a handshake record of {} bytes (2^14 + 2048 + 1): a genuine ClientHello grown by \
             a padding extension",
            payload.len()
        ),
        expected: Expected::FatalAlert { any_of: vec![22] },
        why: "RFC 5246 6.2.3 / RFC 8446 5.2: a record longer than allowed gets record_overflow; OpenSSL \
              checks the header's length against its read buffer before reading the body",
    };
    s.send_case(spec, &bytes)
}

pub(super) fn wrong_length_field(s: &mut Suite) -> CaseResult {
    let mut msg = s.hello.message();
    let real = msg.len() - 4;
    let claimed = real - 16;
    msg[1..4].copy_from_slice(&(claimed as u32).to_be_bytes()[1..]);
    let bytes = record(CT_HANDSHAKE, s.hello.record_version, &msg);
    let spec = Spec {
        id: "wrong-length-field",
        sends: format!("a genuine ClientHello whose handshake length says {claimed} for a {real}-byte body"),
        expected: Expected::FatalAlert { any_of: vec![50] },
        why: "the message ends 16 bytes early, inside the extensions, so their length prefix overruns it: \
              RFC 8446 6.2 decode_error; OpenSSL's tls_process_client_hello reports SSL_R_LENGTH_MISMATCH \
              with SSL_AD_DECODE_ERROR",
    };
    s.send_case(spec, &bytes)
}

pub(super) fn garbage_body(s: &mut Suite) -> CaseResult {
    // 10,000 bytes: the 4-byte header of a ClientHello and 9,996 bytes of
    // garbage, drawn until the body cannot parse as a ClientHello (a
    // random draw that does is about as likely as guessing a 16-bit
    // length and more, but the check makes the expectation certain).
    let mut body = vec![0u8; 10_000 - 4];
    loop {
        s.rng.fill(&mut body);
        if !parses_as_client_hello(&body) {
            break;
        }
    }
    let bytes = record(CT_HANDSHAKE, 0x0301, &handshake_message(1, &body));
    let spec = Spec {
        id: "garbage-body",
        sends: "a 10,000-byte ClientHello message (type 1, correct lengths) with a random body".into(),
        expected: Expected::FatalAlert { any_of: vec![50] },
        why: "the body's length-prefixed fields do not fit (checked before sending); OpenSSL's \
              tls_process_client_hello answers SSL_AD_DECODE_ERROR before any version or suite logic",
    };
    s.send_case(spec, &bytes)
}

pub(super) fn sslv2_hello(s: &mut Suite) -> CaseResult {
    // An SSL 2.0 CLIENT-HELLO as old clients sent it: version 0x0002, three
    // cipher specs, no session id, a 16-byte challenge.
    let specs: [u8; 9] = [0x01, 0x00, 0x80, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x2f];
    let mut challenge = [0u8; 16];
    s.rng.fill(&mut challenge);
    let mut msg = vec![1, 0x00, 0x02, 0, specs.len() as u8, 0, 0, 0, 16];
    msg.extend_from_slice(&specs);
    msg.extend_from_slice(&challenge);
    let mut bytes = vec![0x80 | (msg.len() >> 8) as u8, msg.len() as u8];
    bytes.extend_from_slice(&msg);
    let spec = Spec {
        id: "sslv2-hello",
        sends: "an SSLv2-format CLIENT-HELLO offering SSL 2.0".into(),
        expected: Expected::FatalAlert { any_of: vec![70] },
        why: "OpenSSL still parses an SSLv2-format first record, then refuses version 0x0002 \
              (\"real SSLv2 ... we don't support it\") with SSL_AD_PROTOCOL_VERSION; RFC 6176 forbids SSL 2.0",
    };
    s.send_case(spec, &bytes)
}

pub(super) fn unknown_suites(s: &mut Suite) -> CaseResult {
    let mut hello = s.hello.clone();
    // Unassigned code points, none of them GREASE (RFC 8701 values are
    // 0x?A?A) or a signalling value.
    hello.suites = vec![0x7777, 0x7e7e, 0x1337, 0xeeee];
    let bytes = hello.record();
    let spec = Spec {
        id: "unknown-suites",
        sends: "a genuine ClientHello whose suites list holds only 4 unassigned suites".into(),
        expected: Expected::FatalAlert { any_of: vec![40, 71] },
        why: "RFC 8446 4.1.1 / RFC 5246 7.4.1.3: no acceptable parameters means handshake_failure (or \
              insufficient_security); OpenSSL skips unknown suites and fails with SSL_R_NO_SHARED_CIPHER, \
              SSL_AD_HANDSHAKE_FAILURE",
    };
    s.send_case(spec, &bytes)
}
