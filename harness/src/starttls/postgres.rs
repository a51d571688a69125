//! PostgreSQL's SSLRequest (the protocol's section "SSL Session
//! Encryption"): an 8-byte packet, answered with one byte, `S` or `N`.

use std::io::{Read, Write};

use super::{form, refused, Exchange, StartTlsError, SHOWN};

/// Length 8, then the SSLRequest code 1234 << 16 | 5679.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
/// The longest ErrorResponse taken for one: a few fields of text.
const MAX_ERROR_RESPONSE: u32 = 30_000;

/// Sends SSLRequest and reads its answer.
pub(super) fn start_tls<S: Read + Write>(c: &mut Exchange<'_, S>) -> Result<(), StartTlsError> {
    const STEP: &str = "SSLRequest reply";
    c.send_bytes("SSLRequest", &SSL_REQUEST)?;
    // One read, of more than the one byte due: what came with the answer
    // is read with it, as libpq reads it, and refused as libpq refuses
    // it. A server waits for the ClientHello after `S`, so nothing of the
    // TLS handshake can be in it.
    let mut buf = [0u8; SHOWN];
    let n = c.chunk(STEP, &mut buf)?;
    let got = &buf[..n];
    match got {
        [answer @ (b'S' | b'N'), extra @ ..] if !extra.is_empty() => {
            Err(StartTlsError::AfterAnswer {
                answer: *answer,
                extra: extra.to_vec(),
            })
        }
        [b'S'] => Ok(()),
        [b'N'] => Err(refused(
            "SSLRequest",
            "N (the server does not accept SSL connections)",
        )),
        [b'E', l0, l1, l2, l3, ..] => {
            let len = u32::from_be_bytes([*l0, *l1, *l2, *l3]);
            if (5..=MAX_ERROR_RESPONSE).contains(&len) {
                // The length counts itself, not the type byte.
                Err(StartTlsError::ErrorResponse {
                    len: usize::try_from(len).unwrap_or(usize::MAX).saturating_add(1),
                })
            } else {
                Err(c.not_a_reply(STEP, form::POSTGRES, got.to_vec()))
            }
        }
        _ => Err(c.not_a_reply(STEP, form::POSTGRES, got.to_vec())),
    }
}
