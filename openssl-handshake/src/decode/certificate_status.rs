//! CertificateStatus (RFC 6066 section 8): the OCSP response a server
//! staples, as TLS 1.2's own message or, in TLS 1.3, as the status_request
//! extension of its leaf's certificate entry (RFC 8446 section 4.4.2.1).
//! `s_client -trace` prints it as a hex dump; the response's status is
//! read here with OpenSSL's own parser, the rest left to the bytes.

use openssl::ocsp::{OcspResponse, OcspResponseStatus};
use serde::{Deserialize, Serialize};

use super::client_extensions::STATUS_TYPE_OCSP;
use super::error::Res;
use super::reader::Reader;

/// A stapled certificate status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CertificateStatus {
    /// `status_type`: 1 is ocsp, the only type RFC 6066 defines.
    pub status_type: u8,
    /// The length in bytes of the response (an OCSPResponse, DER, for ocsp).
    pub response_len: usize,
    /// For ocsp, the response's status as RFC 6960 names it
    /// ("successful", "tryLater", ...); absent when the bytes are no
    /// OCSPResponse.
    pub ocsp_response_status: Option<String>,
}

impl CertificateStatus {
    /// `status_type`'s name, as `s_client -trace` names the request's.
    pub fn status_type_name(&self) -> &'static str {
        if self.status_type == STATUS_TYPE_OCSP {
            "ocsp"
        } else {
            "unknown"
        }
    }
}

/// ```text
/// struct {
///     CertificateStatusType status_type;
///     select (status_type) { case ocsp: OCSPResponse; } response;
/// } CertificateStatus;
/// opaque OCSPResponse<1..2^24-1>;
/// ```
pub(super) fn decode_certificate_status(body: &[u8]) -> Res<CertificateStatus> {
    frame(body).map(Framed::decode)
}

/// A CertificateStatus whose framing holds, its response not yet parsed:
/// what a Certificate message's reader checks without paying for the
/// response's parse, which only a decoded view needs.
pub(super) struct Framed<'a> {
    status_type: u8,
    response: &'a [u8],
}

/// Checks a CertificateStatus's framing.
pub(super) fn frame(body: &[u8]) -> Res<Framed<'_>> {
    let mut reader = Reader::new(body);
    let status_type = reader.u8()?;
    let response = reader.vec(3)?;
    reader.finish("response")?;
    Ok(Framed {
        status_type,
        response,
    })
}

impl Framed<'_> {
    /// The status, with an OCSP response's own status read by OpenSSL.
    pub(super) fn decode(self) -> CertificateStatus {
        let ocsp_response_status = (self.status_type == STATUS_TYPE_OCSP)
            .then(|| OcspResponse::from_der(self.response).ok())
            .flatten()
            .map(|r| ocsp_response_status_name(r.status()));
        CertificateStatus {
            status_type: self.status_type,
            response_len: self.response.len(),
            ocsp_response_status,
        }
    }
}

/// RFC 6960's name for an OCSP response status ("successful",
/// "tryLater", ...), as the trace gives it.
pub fn ocsp_response_status_name(s: OcspResponseStatus) -> String {
    let name = match s {
        OcspResponseStatus::SUCCESSFUL => "successful",
        OcspResponseStatus::MALFORMED_REQUEST => "malformedRequest",
        OcspResponseStatus::INTERNAL_ERROR => "internalError",
        OcspResponseStatus::TRY_LATER => "tryLater",
        OcspResponseStatus::SIG_REQUIRED => "sigRequired",
        OcspResponseStatus::UNAUTHORIZED => "unauthorized",
        other => return format!("unknown ({})", other.as_raw()),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ocsp_response_is_measured_and_its_status_named() {
        // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } with
        // tryLater (3), RFC 6960 section 4.2.1.
        let der = [0x30, 0x03, 0x0a, 0x01, 0x03];
        let mut body = vec![1, 0, 0, der.len() as u8];
        body.extend_from_slice(&der);
        let s = decode_certificate_status(&body).expect("decodes");
        assert_eq!(s.status_type_name(), "ocsp");
        assert_eq!(s.response_len, 5);
        assert_eq!(s.ocsp_response_status.as_deref(), Some("tryLater"));
    }

    #[test]
    fn bytes_past_the_response_or_no_ocsp_are_told() {
        assert!(decode_certificate_status(&[1, 0, 0, 1, 0x30, 0xff]).is_err());
        let s = decode_certificate_status(&[1, 0, 0, 2, 0xde, 0xad]).expect("framing holds");
        assert_eq!(s.ocsp_response_status, None);
    }
}
