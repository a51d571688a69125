//! Certificate, CertificateRequest and CertificateVerify, in their TLS 1.2
//! and TLS 1.3 layouts.

use openssl::x509::{X509Name, X509};
use serde::{Deserialize, Serialize};

use crate::cert::{common_names, subject_alt_names, unix_seconds};
use crate::ffi::name_oneline;

use super::certificate_status::{self, CertificateStatus, Framed};
use super::error::{bad, Fail, Res};
use super::extensions::*;
use super::names::SignatureScheme;
use super::problems::ExtensionProblem;
use super::reader::{hex, u16_list, Reader};
use super::tbs_fields;

/// A Certificate message: the subject, issuer and validity of every
/// certificate in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Certificate {
    /// The TLS 1.3 certificate_request_context in lowercase hex; empty before TLS 1.3.
    pub request_context: String,
    /// The subject of each certificate, in the order sent, formatted like
    /// `openssl x509 -subject` ("C = US, O = Example, CN = localhost"), or
    /// `<unparseable certificate: N bytes>` for an entry that is not an X.509
    /// certificate, and for a leaf OpenSSL rejects. The others are read
    /// from their TBSCertificate alone (decoding each whole costs far
    /// more), so one whose framing holds but whose key or extensions
    /// OpenSSL would reject still shows its names and dates.
    pub subjects: Vec<String>,
    /// The issuer of each certificate, formatted like `subjects`.
    pub issuers: Vec<String>,
    /// The DER length of each certificate.
    pub der_lengths: Vec<usize>,
    /// The notBefore of each certificate in seconds since the Unix epoch
    /// (0 for an entry that does not parse).
    pub not_before_unix: Vec<i64>,
    /// The notAfter of each certificate, likewise.
    pub not_after_unix: Vec<i64>,
    /// The first certificate's subjectAltName entries ("DNS:localhost",
    /// "IP:127.0.0.1"), what a host name is checked against (its CN only
    /// where it has none, RFC 6125); absent when it has none or does not
    /// parse. Bytes outside printable ASCII are written as `\xNN`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaf_subject_alt_names: Vec<String>,
    /// The first certificate's subject commonName values, escaped like
    /// `leaf_subject_alt_names`: read from the name itself, as OpenSSL's
    /// host check reads them, not from the printed subject (a value may
    /// hold ", CN = "). Absent when it has none or does not parse.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leaf_common_names: Vec<String>,
    /// TLS 1.3: the OCSP response stapled to the first certificate (its
    /// entry's status_request extension); absent when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf_status: Option<CertificateStatus>,
}

/// A CertificateRequest message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CertificateRequest {
    /// The requested certificate types (TLS 1.2 and earlier; empty in TLS 1.3).
    pub certificate_types: Vec<u8>,
    /// The accepted signature schemes (the supported_signature_algorithms field
    /// in TLS 1.2, the signature_algorithms extension in TLS 1.3; empty before TLS 1.2).
    pub signature_algorithms: Vec<SignatureScheme>,
    /// The acceptable certificate authorities, each formatted like
    /// [`Certificate::subjects`] (`<unparseable name: N bytes>` for one that
    /// is not a DER Name).
    pub certificate_authorities: Vec<String>,
    /// TLS 1.3: the signature_algorithms_cert extension (RFC 8446 section
    /// 4.2.3), in order; absent in JSON when not sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signature_algorithms_cert: Vec<SignatureScheme>,
    /// The TLS 1.3 certificate_request_context in lowercase hex; empty before TLS 1.3.
    pub request_context: String,
    /// Every extension type, in the order sent (TLS 1.3; empty before).
    pub extensions: Vec<u16>,
}

pub(super) fn decode_certificate(body: &[u8], tls13: bool) -> Res<Certificate> {
    let Entries {
        context,
        ders,
        leaf_status,
    } = certificate_entries(body, tls13)?;
    // The leaf is decoded whole (its names are checked against the host);
    // one OpenSSL rejects shows as such, whatever its framing looks like.
    // An entry with bytes after its certificate is rejected too: d2i_X509
    // stops at the certificate's end, the handshake does not.
    let leaf = ders
        .first()
        .map(|der| X509::from_der(der).ok().filter(|_| tbs_fields::whole(der)));
    let mut view = Certificate {
        request_context: hex(context),
        subjects: Vec::new(),
        issuers: Vec::new(),
        der_lengths: Vec::new(),
        not_before_unix: Vec::new(),
        not_after_unix: Vec::new(),
        leaf_subject_alt_names: leaf
            .iter()
            .flatten()
            .flat_map(|leaf| subject_alt_names(leaf))
            .collect(),
        leaf_common_names: leaf
            .iter()
            .flatten()
            .flat_map(|leaf| common_names(leaf))
            .collect(),
        leaf_status: leaf_status.map(Framed::decode),
    };
    for (i, der) in ders.into_iter().enumerate() {
        let rejected_leaf = i == 0 && matches!(leaf, Some(None));
        let fields = tbs_fields::read(der).filter(|_| !rejected_leaf);
        let (subject, issuer, validity) = match fields {
            Some(f) => (f.subject, f.issuer, (f.not_before, f.not_after)),
            None => match X509::from_der(der)
                .ok()
                .filter(|_| tbs_fields::whole(der))
                .ok_or(())
            {
                Ok(cert) => (
                    name_oneline(cert.subject_name()),
                    name_oneline(cert.issuer_name()),
                    (
                        unix_seconds(cert.not_before()),
                        unix_seconds(cert.not_after()),
                    ),
                ),
                Err(_) => {
                    let placeholder = format!("<unparseable certificate: {} bytes>", der.len());
                    (placeholder.clone(), placeholder, (0, 0))
                }
            },
        };
        view.subjects.push(subject);
        view.issuers.push(issuer);
        view.not_before_unix.push(validity.0);
        view.not_after_unix.push(validity.1);
        view.der_lengths.push(der.len());
    }
    Ok(view)
}

/// What a Certificate message body holds.
struct Entries<'a> {
    /// The request context (TLS 1.3).
    context: &'a [u8],
    /// The DER of each certificate, in the order sent.
    ders: Vec<&'a [u8]>,
    /// The status stapled to the first (TLS 1.3).
    leaf_status: Option<Framed<'a>>,
}

fn certificate_entries(body: &[u8], tls13: bool) -> Res<Entries<'_>> {
    let mut reader = Reader::new(body);
    let context = if tls13 { reader.vec(1)? } else { &[] };
    let list = reader.vec(3)?;
    reader.finish("certificate_list")?;
    let mut ders = Vec::new();
    let mut leaf_status = None;
    let mut entries = Reader::new(list);
    while !entries.is_empty() {
        let der = entries.vec(3)?;
        if der.is_empty() {
            return bad("empty certificate entry");
        }
        if tls13 {
            let extensions = entries.vec(2)?;
            let extensions = split_unique_extensions(extensions)
                .map_err(|f| f.in_extension("certificate entry"))?;
            // Only the leaf's status is sent (RFC 8446 section 4.4.2.1).
            if let Some(e) = extensions.iter().find(|e| e.ty == EXT_STATUS_REQUEST) {
                if ders.is_empty() {
                    let status = certificate_status::frame(e.data)
                        .map_err(|f| f.in_extension("status_request"))?;
                    leaf_status = Some(status);
                }
            }
        }
        ders.push(der);
    }
    Ok(Entries {
        context,
        ders,
        leaf_status,
    })
}

/// The certificates a whole Certificate handshake message carries, each
/// that parses as X.509, in the order sent; none when the message does
/// not decode.
pub(crate) fn certificates_in(message: &[u8], tls13: bool) -> Vec<X509> {
    let Some(body) = message.get(4..) else {
        return Vec::new();
    };
    certificate_entries(body, tls13).map_or_else(
        |_| Vec::new(),
        |entries| {
            entries
                .ders
                .into_iter()
                .filter_map(|d| X509::from_der(d).ok())
                .collect()
        },
    )
}

/// `with_sigalgs`: whether the connection's version carries
/// supported_signature_algorithms (TLS 1.2; not TLS 1.0 and 1.1), `None`
/// when it is unknown: then whichever layout fits, TLS 1.2's first.
pub(super) fn decode_certificate_request(
    body: &[u8],
    tls13: bool,
    with_sigalgs: Option<bool>,
    problems: &mut Vec<ExtensionProblem>,
) -> Res<CertificateRequest> {
    if tls13 {
        return decode_certificate_request_tls13(body, problems);
    }
    match with_sigalgs {
        Some(with) => decode_certificate_request_tls12(body, with),
        None => match decode_certificate_request_tls12(body, true) {
            Ok(view) => Ok(view),
            Err(err) => decode_certificate_request_tls12(body, false).map_err(|_| err),
        },
    }
}

pub(super) fn decode_certificate_request_tls12(
    body: &[u8],
    with_sigalgs: bool,
) -> Res<CertificateRequest> {
    let mut reader = Reader::new(body);
    let types = reader.vec(1)?;
    let signature_algorithms = if with_sigalgs {
        let list = reader.vec(2)?;
        // RFC 5246 section 7.4.4 leaves the lower bound out, but the list
        // is the extension's (<2..2^16-2>, section 7.4.1.4.1): an empty
        // one leaves the client nothing to sign with, and OpenSSL refuses
        // it ("signature algorithms error").
        if list.is_empty() {
            return bad("empty supported_signature_algorithms");
        }
        u16_list(list, "supported_signature_algorithms")?
            .into_iter()
            .map(SignatureScheme::new)
            .collect()
    } else {
        Vec::new()
    };
    let authorities = reader.vec(2)?;
    reader.finish("certificate_authorities")?;
    Ok(CertificateRequest {
        certificate_types: types.to_vec(),
        signature_algorithms,
        certificate_authorities: distinguished_names(authorities)?,
        signature_algorithms_cert: Vec::new(),
        request_context: String::new(),
        extensions: Vec::new(),
    })
}

pub(super) fn decode_certificate_request_tls13(
    body: &[u8],
    problems: &mut Vec<ExtensionProblem>,
) -> Res<CertificateRequest> {
    let mut reader = Reader::new(body);
    let context = reader.vec(1)?;
    let block = reader.vec(2)?;
    reader.finish("the extensions")?;
    let mut view = CertificateRequest {
        certificate_types: Vec::new(),
        signature_algorithms: Vec::new(),
        certificate_authorities: Vec::new(),
        signature_algorithms_cert: Vec::new(),
        request_context: hex(context),
        extensions: Vec::new(),
    };
    view.extensions = read_each(block, problems, |ext| {
        match ext.ty {
            EXT_SIGNATURE_ALGORITHMS => {
                view.signature_algorithms = ext_signature_algorithms(ext.data)
                    .map_err(|f| f.in_extension("signature_algorithms"))?;
            }
            EXT_SIGNATURE_ALGORITHMS_CERT => {
                view.signature_algorithms_cert = ext_signature_algorithms(ext.data)
                    .map_err(|f| f.in_extension("signature_algorithms_cert"))?;
            }
            EXT_CERTIFICATE_AUTHORITIES => {
                view.certificate_authorities = ext_certificate_authorities(ext.data)?;
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(view)
}

/// The certificate_authorities extension (RFC 8446 section 4.2.4), which
/// a TLS 1.3 CertificateRequest or a ClientHello may carry:
///
/// ```text
/// opaque DistinguishedName<1..2^16-1>;
/// struct { DistinguishedName authorities<3..2^16-1>; } CertificateAuthoritiesExtension;
/// ```
pub(super) fn ext_certificate_authorities(data: &[u8]) -> Res<Vec<String>> {
    let in_extension = |f: Fail| f.in_extension("certificate_authorities");
    let mut reader = Reader::new(data);
    let list = reader.vec(2).map_err(in_extension)?;
    reader.finish("authorities").map_err(in_extension)?;
    if list.is_empty() {
        return Err(in_extension(Fail::Bad("no authorities".into())));
    }
    distinguished_names(list).map_err(in_extension)
}

/// A `DistinguishedName certificate_authorities<..>` list: each name as
/// OpenSSL prints it.
pub(super) fn distinguished_names(list: &[u8]) -> Res<Vec<String>> {
    let mut reader = Reader::new(list);
    let mut names = Vec::new();
    while !reader.is_empty() {
        let der = reader.vec(2)?;
        if der.is_empty() {
            return bad("empty distinguished name");
        }
        names.push(match X509Name::from_der(der) {
            Ok(name) => name_oneline(&name),
            Err(_) => format!("<unparseable name: {} bytes>", der.len()),
        });
    }
    Ok(names)
}

/// A CertificateVerify: the signature scheme and the signature's length.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CertificateVerify {
    /// The signature scheme (TLS 1.2 and 1.3; absent before TLS 1.2).
    pub signature_scheme: Option<SignatureScheme>,
    /// Length of the signature.
    pub signature_len: usize,
}

impl CertificateVerify {
    /// The signature scheme's code point, when the message carries one.
    pub fn signature_scheme_id(&self) -> Option<u16> {
        self.signature_scheme.as_ref().map(|s| s.id)
    }
}

/// `with_scheme`: whether the version puts a scheme first (`None`: unknown,
/// try with, then without).
pub(super) fn decode_certificate_verify(
    body: &[u8],
    with_scheme: Option<bool>,
) -> Res<CertificateVerify> {
    let read = |with_scheme: bool| -> Res<CertificateVerify> {
        let mut reader = Reader::new(body);
        let signature_scheme = if with_scheme {
            Some(SignatureScheme::new(reader.u16()?))
        } else {
            None
        };
        let signature = reader.vec(2)?;
        reader.finish("the signature")?;
        if signature.is_empty() {
            return bad("empty signature");
        }
        Ok(CertificateVerify {
            signature_scheme,
            signature_len: signature.len(),
        })
    };
    match with_scheme {
        Some(with_scheme) => read(with_scheme),
        None => read(true).or_else(|err| read(false).map_err(|_| err)),
    }
}
