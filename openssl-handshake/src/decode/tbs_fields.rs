//! The subject, issuer and validity of a DER certificate, found in its
//! TBSCertificate without decoding the rest.
//!
//! OpenSSL 3's `d2i_X509` decodes the public key too, through its
//! provider decoders, which costs far more than the names (and takes
//! process-wide locks); a Certificate message's view needs none of it, and
//! a failure's diagnosis decodes every such message as the handshake
//! ends. The fields are still read by OpenSSL: each name by
//! `d2i_X509_NAME` and printed as `X509_NAME_print_ex` prints it, each
//! time by `ASN1_TIME_set_string_X509`. Only the DER framing around them
//! (RFC 5280 section 4.1) is walked here; anything unexpected returns
//! `None`, and the caller decodes the whole certificate instead.

use openssl::asn1::Asn1Time;
use openssl::x509::X509Name;

use crate::cert::unix_seconds;
use crate::ffi::name_oneline;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT Version` (context-specific, constructed).
const VERSION: u8 = 0xa0;

/// What a Certificate message shows of one certificate.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct TbsFields {
    pub(super) subject: String,
    pub(super) issuer: String,
    pub(super) not_before: i64,
    pub(super) not_after: i64,
}

/// Whether `der` is one DER SEQUENCE and nothing after it. `d2i_X509`
/// stops at the certificate's end, but a handshake refuses an entry with
/// bytes after it (its length must be the certificate's).
pub(super) fn whole(der: &[u8]) -> bool {
    element(der, SEQUENCE).is_some_and(|outer| outer.rest.is_empty())
}

/// The fields of `der`, or `None` when its framing is not as expected.
pub(super) fn read(der: &[u8]) -> Option<TbsFields> {
    if !whole(der) {
        return None;
    }
    let certificate = element(der, SEQUENCE)?.contents;
    let tbs = element(certificate, SEQUENCE)?.contents;
    let mut rest = tbs;
    if rest.first() == Some(&VERSION) {
        rest = element(rest, VERSION)?.rest;
    }
    rest = element(rest, INTEGER)?.rest; // serialNumber
    rest = element(rest, SEQUENCE)?.rest; // signature
    let issuer = element(rest, SEQUENCE)?;
    let validity = element(issuer.rest, SEQUENCE)?;
    let subject = element(validity.rest, SEQUENCE)?;
    let (not_before, rest) = time(validity.contents)?;
    let (not_after, _) = time(rest)?;
    let (subject, issuer) = (
        X509Name::from_der(subject.whole).ok()?,
        X509Name::from_der(issuer.whole).ok()?,
    );
    Some(TbsFields {
        subject: name_oneline(&subject),
        issuer: name_oneline(&issuer),
        not_before,
        not_after,
    })
}

/// A UTCTime or GeneralizedTime at the start of `der`, in Unix seconds,
/// and what follows it.
fn time(der: &[u8]) -> Option<(i64, &[u8])> {
    let tag = *der.first()?;
    if tag != UTC_TIME && tag != GENERALIZED_TIME {
        return None;
    }
    let Element {
        contents: text,
        rest,
        ..
    } = element(der, tag)?;
    // RFC 5280's forms are digits then Z; anything else (a NUL byte would
    // make the openssl crate panic) is left to the full decode.
    let (digits, zone) = text.split_at(text.len().checked_sub(1)?);
    if zone != b"Z" || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // `from_str_x509` tells the two forms apart by length, not by tag: a
    // time whose length is not its tag's (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ)
    // would be read as the other form.
    let form_length = if tag == UTC_TIME { 13 } else { 15 };
    if text.len() != form_length {
        return None;
    }
    let t = Asn1Time::from_str_x509(std::str::from_utf8(text).ok()?).ok()?;
    Some((unix_seconds(&t), rest))
}

/// One DER element and what follows it.
struct Element<'a> {
    /// The element, its tag and length included (how a name is decoded).
    whole: &'a [u8],
    contents: &'a [u8],
    rest: &'a [u8],
}

/// The element with `tag` at the start of `der`.
fn element(der: &[u8], tag: u8) -> Option<Element<'_>> {
    let (header, length) = header(der, tag)?;
    let end = header.checked_add(length)?;
    Some(Element {
        whole: der.get(..end)?,
        contents: der.get(header..end)?,
        rest: der.get(end..)?,
    })
}

/// The size of the tag-and-length header at the start of `der`, and the
/// length it gives, when its tag is `tag`. DER lengths are definite; up
/// to four length bytes, far more than a certificate needs. Like
/// OpenSSL's decoder, this takes a length in more bytes than it needs.
fn header(der: &[u8], tag: u8) -> Option<(usize, usize)> {
    if *der.first()? != tag {
        return None;
    }
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let bytes = der.get(2..2 + n)?;
    let length = bytes
        .iter()
        .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
    Some((2 + n, length))
}

#[cfg(test)]
mod tests {
    use openssl::x509::X509;

    use super::*;

    /// What the whole certificate, decoded by OpenSSL, says of the same
    /// fields.
    fn by_openssl(cert: &X509) -> TbsFields {
        TbsFields {
            subject: name_oneline(cert.subject_name()),
            issuer: name_oneline(cert.issuer_name()),
            not_before: unix_seconds(cert.not_before()),
            not_after: unix_seconds(cert.not_after()),
        }
    }

    /// Every certificate of the system's trust store: the same fields as
    /// OpenSSL's full decode.
    #[test]
    fn the_fields_are_openssls_for_every_system_root() {
        let dir = std::path::Path::new("/etc/ssl/certs");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("the system's trust store (ca-certificates)") {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("pem") {
                continue;
            }
            let Ok(pem) = std::fs::read(&path) else {
                continue;
            };
            for cert in X509::stack_from_pem(&pem).unwrap_or_default() {
                let der = cert.to_der().expect("DER");
                assert_eq!(read(&der), Some(by_openssl(&cert)), "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 50, "only {seen} certificates in {}", dir.display());
    }

    /// A version 1 certificate (no `[0] version`) whose notAfter is past
    /// 2049, so a GeneralizedTime (RFC 5280 section 4.1.2.5).
    #[test]
    fn a_v1_certificate_with_a_generalized_time() {
        use openssl::ec::{EcGroup, EcKey};
        use openssl::hash::MessageDigest;
        use openssl::nid::Nid;
        use openssl::pkey::PKey;
        use openssl::x509::{X509Builder, X509NameBuilder};

        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("curve");
        let key = PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey");
        let mut name = X509NameBuilder::new().expect("name");
        name.append_entry_by_text("O", "tbs test").expect("O");
        name.append_entry_by_text("CN", "v1.example").expect("CN");
        let name = name.build();
        let mut b = X509Builder::new().expect("builder");
        b.set_subject_name(&name).expect("subject");
        b.set_issuer_name(&name).expect("issuer");
        b.set_pubkey(&key).expect("pubkey");
        let before = Asn1Time::from_str_x509("20260101000000Z").expect("time");
        let after = Asn1Time::from_str_x509("20600101000000Z").expect("time");
        b.set_not_before(&before).expect("notBefore");
        b.set_not_after(&after).expect("notAfter");
        b.sign(&key, MessageDigest::sha256()).expect("sign");
        let cert = b.build();
        assert_eq!(cert.version(), 0, "a version 1 certificate");
        let der = cert.to_der().expect("DER");
        assert!(der.windows(2).any(|w| w == [GENERALIZED_TIME, 15]));
        assert_eq!(read(&der), Some(by_openssl(&cert)));
    }

    #[test]
    fn anything_unexpected_is_left_to_openssl() {
        assert_eq!(read(&[]), None);
        assert_eq!(read(&[0x30, 0x80, 0, 0]), None, "indefinite length");
        assert_eq!(read(&[0x30, 0x03, 0x30, 0x01]), None, "truncated");
        assert_eq!(read(&[0x31, 0x00]), None, "not a SEQUENCE");
        // A time holding a NUL byte (the fuzzer's find: the openssl crate
        // panics on one), and one that is not digits then Z.
        assert_eq!(time(&[UTC_TIME, 3, b'2', 0, b'Z']), None);
        assert_eq!(time(&[UTC_TIME, 3, b'2', b'6', b'+']), None);
        assert_eq!(time(&[UTC_TIME, 0]), None);
        // A time whose length is the other form's: OpenSSL reads a
        // 13-character GeneralizedTime as the year 2612, and refuses a
        // 15-character UTCTime; either way not what its length says.
        let tagged = |tag: u8, text: &str| {
            let mut der = vec![tag, u8::try_from(text.len()).unwrap()];
            der.extend_from_slice(text.as_bytes());
            der
        };
        assert_eq!(time(&tagged(GENERALIZED_TIME, "261205010200Z")), None);
        assert_eq!(time(&tagged(GENERALIZED_TIME, "500101000000Z")), None);
        assert_eq!(time(&tagged(UTC_TIME, "20500101000000Z")), None);
        assert!(time(&tagged(UTC_TIME, "261205010200Z")).is_some());
        assert!(time(&tagged(GENERALIZED_TIME, "20261205010200Z")).is_some());
        // Bytes after the certificate, which a handshake refuses.
        let pem = std::fs::read("/etc/ssl/certs/ca-certificates.crt").expect("the system's roots");
        let cert = X509::from_pem(&pem).expect("a root");
        let mut der = cert.to_der().unwrap();
        assert!(read(&der).is_some());
        der.extend_from_slice(&[0; 10]);
        assert_eq!(read(&der), None);
    }
}
