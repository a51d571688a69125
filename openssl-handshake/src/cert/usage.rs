//! Key usage and extended key usage, named as `openssl x509 -text` names
//! them, from the bits OpenSSL reads out of the extensions.

use openssl::nid::Nid;
use openssl::x509::X509Ref;
use openssl_sys as sys;

use crate::ffi;

/// The keyUsage bits, in the order `openssl x509 -text` prints them.
/// (These have no object identifiers of their own, so no NID to name them.)
const KEY_USAGES: [(u32, &str); 9] = [
    (sys::X509v3_KU_DIGITAL_SIGNATURE, "Digital Signature"),
    (sys::X509v3_KU_NON_REPUDIATION, "Non Repudiation"),
    (sys::X509v3_KU_KEY_ENCIPHERMENT, "Key Encipherment"),
    (sys::X509v3_KU_DATA_ENCIPHERMENT, "Data Encipherment"),
    (sys::X509v3_KU_KEY_AGREEMENT, "Key Agreement"),
    (sys::X509v3_KU_KEY_CERT_SIGN, "Certificate Sign"),
    (sys::X509v3_KU_CRL_SIGN, "CRL Sign"),
    (sys::X509v3_KU_ENCIPHER_ONLY, "Encipher Only"),
    (sys::X509v3_KU_DECIPHER_ONLY, "Decipher Only"),
];

/// The purposes OpenSSL recognises in extendedKeyUsage. Both Server Gated
/// Crypto identifiers set one bit, named here after Netscape's.
const EXTENDED: [(u32, Nid); 9] = [
    (sys::XKU_SSL_SERVER, Nid::SERVER_AUTH),
    (sys::XKU_SSL_CLIENT, Nid::CLIENT_AUTH),
    (sys::XKU_SMIME, Nid::EMAIL_PROTECT),
    (sys::XKU_CODE_SIGN, Nid::CODE_SIGN),
    (sys::XKU_SGC, Nid::NS_SGC),
    (sys::XKU_OCSP_SIGN, Nid::OCSP_SIGN),
    (sys::XKU_TIMESTAMP, Nid::TIME_STAMP),
    (sys::XKU_DVCS, Nid::DVCS),
    (sys::XKU_ANYEKU, Nid::ANYEXTENDEDKEYUSAGE),
];

/// The certificate's keyUsage and extendedKeyUsage by name, each `None`
/// when the certificate lacks that extension (and so allows any use).
pub(crate) fn usages(cert: &X509Ref) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let (ku, xku) = ffi::usages(cert);
    let key_usage = ku.map(|bits| {
        KEY_USAGES
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, name)| (*name).to_owned())
            .collect()
    });
    let extended = xku.map(|bits| {
        EXTENDED
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, nid)| nid.long_name().unwrap_or("unnamed purpose").to_owned())
            .collect()
    });
    (key_usage, extended)
}
