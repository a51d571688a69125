//! An OCSP staple the client refused: its status callback found the
//! server's stapled response wanting, or found none where it requires
//! one, and OpenSSL ended the handshake with
//! bad_certificate_status_response (RFC 6066 section 8).

use crate::decode::{Body, CertificateStatus};
use crate::event::{Direction, Side};

use super::facts::{alert, Facts};
use super::{Cause, Diagnosis, Fault};

pub(super) fn diagnose(f: &Facts<'_>) -> Option<Diagnosis> {
    let refused = f.alert(alert::BAD_CERTIFICATE_STATUS_RESPONSE)
        || f.reason_has(&["invalid status response", "bad certificate status response"]);
    if !refused {
        return None;
    }
    let client = match f.side {
        Side::Client => "this client",
        Side::Server => "the client",
    };
    let server = match f.side {
        Side::Client => "the server",
        Side::Server => "this server",
    };
    let asked = f.client_hello.is_some_and(|h| h.status_request.is_some());
    let d = match staple(f) {
        // A server may staple only when asked (RFC 6066 section 8): a
        // client that asked for nothing refused what it could not get.
        None if !asked => Diagnosis::new(
            Cause::CertificateStatusRefused,
            Fault::Client,
            format!(
                "{client} ended the handshake for want of a stapled OCSP response, but its \
                 ClientHello asked for none (no status_request), and a server may staple \
                 only when asked"
            ),
            "Make the client ask for the staple it requires (status_request: \
             SSL_set_tlsext_status_type, `s_client -status`), or stop requiring one.",
        ),
        // Stapling is the server's option unless its certificate demands
        // it (RFC 7633), which the trace cannot tell.
        None => Diagnosis::new(
            Cause::CertificateStatusRefused,
            Fault::Unknown,
            format!(
                "{client} asked for the server's OCSP response (status_request) and ended the \
                 handshake because {server} stapled none: it requires a staple, which a server \
                 may leave out unless its certificate demands one (must-staple, RFC 7633)"
            ),
            "If the server's certificate is must-staple, or the client must keep requiring a \
             staple, enable OCSP stapling on the server (it fetches a current response for \
             its leaf from the CA's OCSP responder); otherwise stop requiring one on the \
             client.",
        ),
        Some(s)
            if s.ocsp_response_status
                .as_deref()
                .is_some_and(|r| r != "successful") =>
        {
            let status = s.ocsp_response_status.clone().unwrap_or_default();
            Diagnosis::new(
                Cause::CertificateStatusRefused,
                Fault::Server,
                format!(
                    "{server} stapled an OCSP response whose status is {status}, which holds \
                     no certificate status, and {client} refused it"
                ),
                format!(
                    "Staple a successful response: the server's last fetch from its CA's OCSP \
                     responder returned {status}; fetch it again, or stop stapling until one \
                     succeeds."
                ),
            )
        }
        Some(s) if s.ocsp_response_status.is_none() => Diagnosis::new(
            Cause::CertificateStatusRefused,
            Fault::Server,
            format!(
                "{server} stapled {} bytes that are no OCSP response, and {client} refused them",
                s.response_len
            ),
            "Staple the DER OCSPResponse the CA's OCSP responder returns: what the server \
             staples now is something else (a PEM file, or a truncated or empty download).",
        ),
        Some(s) => Diagnosis::new(
            Cause::CertificateStatusRefused,
            Fault::Unknown,
            format!(
                "{client} refused the successful OCSP response {server} stapled ({} bytes): its \
                 check of the response failed, as for a revoked leaf, a response past its \
                 nextUpdate, or one signed by a responder the client does not trust",
                s.response_len
            ),
            "Read the staple (`openssl s_client -status`, or `tls-harness probe --status`): a \
             stale response is refreshed on the server, a revoked leaf needs a new certificate, \
             and an untrusted responder is for the client's trust store.",
        ),
    };
    Some(
        d.with(
            "ClientHello.status_request",
            if asked { "sent" } else { "absent" },
        )
        .with_some("staple", staple(f).map(describe))
        .with_raw(f),
    )
}

/// The status the server stapled: TLS 1.2's CertificateStatus message,
/// or TLS 1.3's in its leaf's certificate entry.
fn staple<'a>(f: &Facts<'a>) -> Option<&'a CertificateStatus> {
    let from_server = match f.side {
        Side::Client => Direction::Read,
        Side::Server => Direction::Write,
    };
    f.trace
        .messages()
        .filter(|m| m.direction == from_server)
        .filter_map(|m| match m.body.as_ref()? {
            Body::CertificateStatus(s) => Some(s),
            Body::Certificate(c) => c.leaf_status.as_ref(),
            _ => None,
        })
        .last()
}

/// "ocsp (1), 1487 bytes, tryLater".
fn describe(s: &CertificateStatus) -> String {
    let mut d = format!(
        "{} ({}), {} bytes",
        s.status_type_name(),
        s.status_type,
        s.response_len
    );
    if let Some(r) = &s.ocsp_response_status {
        d += &format!(", {r}");
    }
    d
}
