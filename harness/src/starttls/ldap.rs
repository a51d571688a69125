//! LDAP's StartTLS (RFC 4511, section 4.14): an ExtendedRequest, and the
//! ExtendedResponse's resultCode, read from its BER.

use std::io::{Read, Write};

use super::{refused, Exchange, StartTlsError};

/// LDAP's StartTLS: an ExtendedRequest with message id 1 and the
/// StartTLS OID, DER-encoded as s_client sends it.
pub(super) const LDAP_START_TLS: &[u8] =
    b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";
/// The longest LDAP response read: a result with a diagnostic message.
const MAX_LDAP_RESPONSE: usize = 16 * 1024;

/// Sends the StartTLS request and reads its response.
pub(super) fn start_tls<S: Read + Write>(c: &mut Exchange<'_, S>) -> Result<(), StartTlsError> {
    c.send_bytes("StartTLS", LDAP_START_TLS)?;
    let response = c.ber("StartTLS reply")?;
    match ldap_result(&response) {
        Some((0, _)) => Ok(()),
        Some((code, message)) => Err(refused(
            "StartTLS reply",
            &format!("resultCode {code}: {message}"),
        )),
        None => Err(refused(
            "StartTLS reply",
            &format!(
                "a response that is no LDAP ExtendedResponse: {}",
                hex(&response)
            ),
        )),
    }
}

impl<S: Read + Write> Exchange<'_, S> {
    /// One BER SEQUENCE (an LDAPMessage), read whole: its content.
    fn ber(&mut self, step: &'static str) -> Result<Vec<u8>, StartTlsError> {
        let tag = self.byte(step)?;
        if !(super::form::LDAP.begins)(&[tag]) {
            return Err(self.not_a_reply(step, super::form::LDAP, vec![tag]));
        }
        let first = self.byte(step)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = first & 0x7f;
            if n == 0 {
                return Err(refused(
                    step,
                    "an LDAP message of indefinite length, which LDAP's BER forbids",
                ));
            }
            if n > 4 {
                return Err(StartTlsError::TooLong { step });
            }
            let mut len = 0usize;
            for _ in 0..n {
                len = len << 8 | usize::from(self.byte(step)?);
            }
            len
        };
        if len > MAX_LDAP_RESPONSE {
            return Err(StartTlsError::TooLong { step });
        }
        (0..len).map(|_| self.byte(step)).collect()
    }
}

/// The resultCode and diagnosticMessage of an LDAPMessage holding an
/// ExtendedResponse (RFC 4511, section 4.12): `body` is the SEQUENCE's
/// content.
fn ldap_result(body: &[u8]) -> Option<(u64, String)> {
    let (tag, _id, rest) = ber_element(body)?;
    if tag != 0x02 {
        return None;
    }
    let (tag, op, _) = ber_element(rest)?;
    if tag != 0x78 {
        return None;
    }
    let (tag, code, rest) = ber_element(op)?;
    if tag != 0x0a || code.is_empty() || code.len() > 8 {
        return None;
    }
    let code = code.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
    // matchedDN, then diagnosticMessage.
    let message = ber_element(rest)
        .and_then(|(_, _, rest)| ber_element(rest))
        .map(|(_, m, _)| String::from_utf8_lossy(m).into_owned())
        .unwrap_or_default();
    Some((code, message))
}

/// One BER element of `bytes` with a one-byte tag: (tag, content, rest).
fn ber_element(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |l, b| l << 8 | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// `bytes` in hex, the first 32 of them.
pub(super) fn hex(bytes: &[u8]) -> String {
    const SHOWN: usize = 32;
    let mut s: String = bytes
        .iter()
        .take(SHOWN)
        .map(|b| format!("{b:02x}"))
        .collect();
    if bytes.len() > SHOWN {
        s.push_str("...");
    }
    s
}
