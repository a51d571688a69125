//! The ClientHello extensions that only a client sends and whose contents
//! are measured rather than kept: status_request, status_request_v2,
//! record_size_limit, padding, cookie, post_handshake_auth and
//! pre_shared_key; and compress_certificate's algorithms.
//!
//! `tls-parser` reads status_request as a status type and opaque bytes,
//! record_size_limit without checking for bytes after it, and padding,
//! cookie and pre_shared_key as opaque bytes, so their layouts are read
//! here with the bounds-checked reader.

use serde::{Deserialize, Serialize};
use tls_parser::CertificateStatusType;

use super::error::{bad, Fail, Res};
use super::extensions::byte_list;
use super::reader::{u16_list, Reader};

/// The status_type of an OCSP status request (RFC 6066 section 8).
pub(super) const STATUS_TYPE_OCSP: u8 = CertificateStatusType::OCSP.0;

/// A ClientHello's status_request extension (RFC 6066 section 8), or one
/// request of its status_request_v2 (RFC 6961 section 2.2): the client
/// asks for the server's certificate status (OCSP stapling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StatusRequest {
    /// `status_type`: 1 is ocsp, the only type RFC 6066 defines; 2 is
    /// RFC 6961's ocsp_multi, for each certificate of the chain.
    pub status_type: u8,
    /// For ocsp (and ocsp_multi), the length in bytes of
    /// `responder_id_list` (0 when the client names no responders);
    /// absent for other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responder_id_list_len: Option<usize>,
    /// For ocsp (and ocsp_multi), the length in bytes of
    /// `request_extensions` (the DER OCSP request extensions, 0 when
    /// none); absent for other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_extensions_len: Option<usize>,
    /// The length of the request after `status_type` (in
    /// status_request_v2, its `request_length`), whatever its type.
    pub request_len: usize,
}

/// status_request in a ClientHello:
///
/// ```text
/// struct {
///     CertificateStatusType status_type;
///     select (status_type) { case ocsp: OCSPStatusRequest; } request;
/// } CertificateStatusRequest;
/// struct {
///     ResponderID responder_id_list<0..2^16-1>;
///     Extensions  request_extensions;
/// } OCSPStatusRequest;
/// opaque ResponderID<1..2^16-1>;
/// opaque Extensions<0..2^16-1>;
/// ```
///
/// A request of another type is only measured: its layout is not defined.
pub(super) fn ext_status_request(data: &[u8]) -> Res<StatusRequest> {
    let mut reader = Reader::new(data);
    let status_type = reader
        .u8()
        .map_err(|_| Fail::Bad("no status_type".into()))?;
    let request_len = reader.remaining();
    let mut view = StatusRequest {
        status_type,
        responder_id_list_len: None,
        request_extensions_len: None,
        request_len,
    };
    if status_type == STATUS_TYPE_OCSP {
        ocsp_status_request(&mut reader, &mut view)?;
    }
    Ok(view)
}

/// The status_type of an RFC 6961 request for the status of every
/// certificate in the chain (tls-parser knows only ocsp).
pub(super) const STATUS_TYPE_OCSP_MULTI: u8 = 2;

/// status_request_v2 in a ClientHello (RFC 6961 section 2.2), each item
/// read as a status_request of its type:
///
/// ```text
/// struct {
///     CertificateStatusType status_type;
///     uint16 request_length;
///     select (status_type) {
///         case ocsp: OCSPStatusRequest;
///         case ocsp_multi: OCSPStatusRequest;
///     } request;
/// } CertificateStatusRequestItemV2;
/// struct {
///     CertificateStatusRequestItemV2 certificate_status_req_list<1..2^16-1>;
/// } CertificateStatusRequestListV2;
/// ```
pub(super) fn ext_status_request_v2(data: &[u8]) -> Res<Vec<StatusRequest>> {
    let mut reader = Reader::new(data);
    let list = reader.vec(2)?;
    reader.finish("certificate_status_req_list")?;
    if list.is_empty() {
        return bad("empty certificate_status_req_list");
    }
    let mut list = Reader::new(list);
    let mut items = Vec::new();
    while !list.is_empty() {
        let status_type = list.u8()?;
        let request = list.vec(2)?;
        let mut view = StatusRequest {
            status_type,
            responder_id_list_len: None,
            request_extensions_len: None,
            request_len: request.len(),
        };
        if matches!(status_type, STATUS_TYPE_OCSP | STATUS_TYPE_OCSP_MULTI) {
            ocsp_status_request(&mut Reader::new(request), &mut view)?;
        }
        items.push(view);
    }
    Ok(items)
}

/// An `OCSPStatusRequest`, the rest of `reader`, measured into `view`.
fn ocsp_status_request(reader: &mut Reader<'_>, view: &mut StatusRequest) -> Res<()> {
    let responder_ids = reader.vec(2)?;
    let mut list = Reader::new(responder_ids);
    while !list.is_empty() {
        if list.vec(2)?.is_empty() {
            return bad("empty ResponderID");
        }
    }
    let extensions = reader.vec(2)?;
    reader.finish("request_extensions")?;
    view.responder_id_list_len = Some(responder_ids.len());
    view.request_extensions_len = Some(extensions.len());
    Ok(())
}

/// compress_certificate (RFC 8879 section 3): the algorithms the client
/// can decompress a server's certificate with, in its order:
///
/// ```text
/// enum { zlib(1), brotli(2), zstd(3), (65535) } CertificateCompressionAlgorithm;
/// struct {
///     CertificateCompressionAlgorithm algorithms<2..2^8-2>;
/// } CertificateCompressionAlgorithms;
/// ```
pub(super) fn ext_compress_certificate(data: &[u8]) -> Res<Vec<u16>> {
    u16_list(
        &byte_list(data, "algorithms", "no algorithms")?,
        "algorithms",
    )
}

/// record_size_limit (RFC 8449 section 4): `uint16 RecordSizeLimit`.
pub(super) fn ext_record_size_limit(data: &[u8]) -> Res<u16> {
    let mut reader = Reader::new(data);
    let limit = reader.u16()?;
    reader.finish("the limit")?;
    Ok(limit)
}

/// padding (RFC 7685 section 3): `extension_data` is the padding itself,
/// any number of bytes (zeros, which is not checked); its length.
pub(super) fn ext_padding(data: &[u8]) -> usize {
    data.len()
}

/// cookie (RFC 8446 section 4.2.2): `opaque cookie<1..2^16-1>`; its length.
pub(super) fn ext_cookie(data: &[u8]) -> Res<usize> {
    let mut reader = Reader::new(data);
    let cookie = reader.vec(2)?;
    reader.finish("the cookie")?;
    if cookie.is_empty() {
        return bad("empty cookie");
    }
    Ok(cookie.len())
}

/// What a ClientHello's pre_shared_key extension offers (RFC 8446
/// section 4.2.11). Identities and binders are only measured.
#[derive(Debug, Default)]
pub(super) struct PskOffer {
    /// The length of each `identity`.
    pub(super) identity_lengths: Vec<usize>,
    /// The `obfuscated_ticket_age` of each identity.
    pub(super) obfuscated_ticket_ages: Vec<u32>,
    /// The length of each binder.
    pub(super) binder_lengths: Vec<usize>,
}

/// pre_shared_key in a ClientHello:
///
/// ```text
/// struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
/// opaque PskBinderEntry<32..255>;
/// struct {
///     PskIdentity identities<7..2^16-1>;
///     PskBinderEntry binders<33..2^16-1>;
/// } OfferedPsks;
/// ```
pub(super) fn ext_client_pre_shared_key(data: &[u8]) -> Res<PskOffer> {
    let mut reader = Reader::new(data);
    let identities = reader.vec(2)?;
    let binders = reader.vec(2)?;
    reader.finish("binders")?;
    let mut offer = PskOffer::default();
    let mut list = Reader::new(identities);
    while !list.is_empty() {
        let identity = list.vec(2)?;
        if identity.is_empty() {
            return bad("empty PSK identity");
        }
        let age = list.u32().map_err(|_| {
            Fail::Bad(format!(
                "PSK identity {} ends before its obfuscated_ticket_age",
                offer.identity_lengths.len()
            ))
        })?;
        offer.identity_lengths.push(identity.len());
        offer.obfuscated_ticket_ages.push(age);
    }
    if offer.identity_lengths.is_empty() {
        return bad("no PSK identities");
    }
    let mut list = Reader::new(binders);
    while !list.is_empty() {
        let binder = list.vec(1)?;
        if binder.len() < 32 {
            return bad("PSK binder shorter than 32 bytes");
        }
        offer.binder_lengths.push(binder.len());
    }
    if offer.binder_lengths.is_empty() {
        return bad("no PSK binders");
    }
    Ok(offer)
}
