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

/// The message id of this client's StartTLS request.
const REQUEST_ID: u64 = 1;
/// The responseName of a Notice of Disconnection (RFC 4511, section
/// 4.4.1).
const NOTICE_OF_DISCONNECTION: &[u8] = b"1.3.6.1.4.1.1466.20036";

/// Sends the StartTLS request and reads its response.
pub(super) fn start_tls<S: Read + Write>(c: &mut Exchange<'_, S>) -> Result<(), StartTlsError> {
    c.send_bytes("StartTLS", LDAP_START_TLS)?;
    let response = c.ber("StartTLS reply")?;
    let Some(r) = ldap_result(&response) else {
        return Err(refused(
            "StartTLS reply",
            &format!(
                "a response that is no LDAP ExtendedResponse: {}",
                hex(&response)
            ),
        ));
    };
    let result = match &r.message[..] {
        "" => format!("resultCode {}", code_name(r.code)),
        m => format!("resultCode {}: {m}", code_name(r.code)),
    };
    match r.id {
        // An unsolicited notification (RFC 4511, section 4.4): the one
        // defined says the server is closing the connection.
        0 if r.name.as_deref() == Some(NOTICE_OF_DISCONNECTION) => Err(refused(
            "StartTLS reply",
            &format!("a Notice of Disconnection, {result}"),
        )),
        0 => Err(refused(
            "StartTLS reply",
            &format!(
                "an unsolicited notification {}, {result}",
                String::from_utf8_lossy(r.name.as_deref().unwrap_or(b"without a name"))
            ),
        )),
        // A response carries its request's id (RFC 4511, section 4.1.1.1).
        id if id != REQUEST_ID => Err(refused(
            "StartTLS reply",
            &format!(
                "a response with messageID {id}, where the request had {REQUEST_ID}: {result}"
            ),
        )),
        _ if r.code == 0 => Ok(()),
        _ => Err(refused("StartTLS reply", &result)),
    }
}

/// A resultCode with its name (RFC 4511, appendix A) for the ones a
/// StartTLS may meet.
fn code_name(code: u64) -> String {
    let name = match code {
        0 => "success",
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => return code.to_string(),
    };
    format!("{code} ({name})")
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

/// What an ExtendedResponse says.
struct Response {
    /// The LDAPMessage's messageID.
    id: u64,
    /// The resultCode.
    code: u64,
    /// The diagnosticMessage.
    message: String,
    /// The responseName, an OID, if it has one.
    name: Option<Vec<u8>>,
}

/// The LDAPMessage holding an ExtendedResponse (RFC 4511, section 4.12),
/// read: `body` is the SEQUENCE's content.
fn ldap_result(body: &[u8]) -> Option<Response> {
    let (tag, id, rest) = ber_element(body)?;
    if tag != 0x02 || id.is_empty() || id.len() > 4 {
        return None;
    }
    let id = id.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
    let (tag, op, _) = ber_element(rest)?;
    if tag != 0x78 {
        return None;
    }
    let (tag, code, rest) = ber_element(op)?;
    if tag != 0x0a || code.is_empty() || code.len() > 8 {
        return None;
    }
    let code = code.iter().fold(0u64, |n, b| n << 8 | u64::from(*b));
    // matchedDN, diagnosticMessage, then a referral, a responseName and a
    // responseValue, each optional.
    let (message, mut rest) = ber_element(rest)
        .and_then(|(_, _, rest)| ber_element(rest))
        .map_or((&[][..], &[][..]), |(_, m, rest)| (m, rest));
    let mut name = None;
    while let Some((tag, content, more)) = ber_element(rest) {
        if tag == 0x8a {
            name = Some(content.to_vec());
        }
        rest = more;
    }
    Some(Response {
        id,
        code,
        message: String::from_utf8_lossy(message).into_owned(),
        name,
    })
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

#[cfg(test)]
mod tests {
    use super::super::tests::{ldap_message, run};
    use super::super::StartTls;

    fn refusal(reply: &[u8]) -> String {
        let (r, _) = run(StartTls::Ldap, reply);
        r.expect_err("refused").to_string()
    }

    /// A response carries its request's id (RFC 4511, section 4.1.1.1): a
    /// success with another is no answer to this StartTLS.
    #[test]
    fn a_response_with_another_message_id_is_refused() {
        assert_eq!(
            refusal(&ldap_message(7, 0, "", b"")),
            "the server answered StartTLS with \"a response with messageID 7, where the \
             request had 1: resultCode 0 (success)\""
        );
    }

    /// An unsolicited notification, message id 0 (section 4.4): the
    /// Notice of Disconnection by name, any other by its OID.
    #[test]
    fn a_notice_of_disconnection_is_named() {
        let notice = ldap_message(0, 52, "server shutting down", b"1.3.6.1.4.1.1466.20036");
        assert_eq!(
            refusal(&notice),
            "the server answered StartTLS with \"a Notice of Disconnection, resultCode 52 \
             (unavailable): server shutting down\""
        );
        assert_eq!(
            refusal(&ldap_message(0, 80, "", b"1.2.3.4")),
            "the server answered StartTLS with \"an unsolicited notification 1.2.3.4, \
             resultCode 80 (other)\""
        );
    }
}
