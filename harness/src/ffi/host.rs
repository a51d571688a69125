//! Whether a certificate is valid for a host name or address, decided by
//! OpenSSL's own matcher (`X509_check_host`, `X509_check_ip_asc`) with the
//! flags a client's default verification uses, so `scan` says what an
//! OpenSSL client connecting by that name would conclude.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::net::IpAddr;

use foreign_types::ForeignTypeRef;
use openssl::x509::X509Ref;

/// Whether `leaf` names `host`: a DNS name (wildcards as OpenSSL allows
/// them, the subject CN only when there is no DNS SAN) or an IP address
/// (IP SANs only). A trailing dot is ignored.
pub fn certificate_names(leaf: &X509Ref, host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let Ok(c_host) = CString::new(host) else {
        // A name with a NUL byte names no certificate.
        return false;
    };
    // Flags 0: what `SSL_set1_host` leaves in a verify param by default.
    let flags = 0;
    if host.parse::<IpAddr>().is_ok() {
        // SAFETY: the certificate is live for the call and the C string is
        // NUL-terminated; OpenSSL only reads both.
        unsafe { openssl_sys::X509_check_ip_asc(leaf.as_ptr(), c_host.as_ptr(), flags) == 1 }
    } else {
        // SAFETY: as above; the length is the string's without its NUL,
        // and a null `peername` asks OpenSSL to return no copy of the match.
        unsafe {
            openssl_sys::X509_check_host(
                leaf.as_ptr(),
                c_host.as_ptr(),
                host.len(),
                flags,
                std::ptr::null_mut(),
            ) == 1
        }
    }
}

#[cfg(test)]
mod tests {
    use openssl::asn1::Asn1Time;
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::{X509Builder, X509NameBuilder, X509};

    use super::certificate_names;

    /// A self-signed certificate with subject CN `cn` and, when given, the
    /// SANs `dns` and `ip`.
    fn certificate(cn: &str, dns: &[&str], ip: &[&str]) -> X509 {
        let key = PKey::from_rsa(Rsa::generate(2048).expect("key")).expect("pkey");
        let mut name = X509NameBuilder::new().expect("name");
        name.append_entry_by_text("CN", cn).expect("CN");
        let name = name.build();
        let mut b = X509Builder::new().expect("builder");
        b.set_subject_name(&name).expect("subject");
        b.set_issuer_name(&name).expect("issuer");
        b.set_pubkey(&key).expect("pubkey");
        b.set_not_before(&Asn1Time::days_from_now(0).expect("time"))
            .expect("not before");
        b.set_not_after(&Asn1Time::days_from_now(1).expect("time"))
            .expect("not after");
        if !dns.is_empty() || !ip.is_empty() {
            let mut san = SubjectAlternativeName::new();
            dns.iter().for_each(|d| {
                san.dns(d);
            });
            ip.iter().for_each(|i| {
                san.ip(i);
            });
            let san = san.build(&b.x509v3_context(None, None)).expect("SAN");
            b.append_extension(san).expect("extension");
        }
        b.sign(&key, MessageDigest::sha256()).expect("sign");
        b.build()
    }

    /// RFC 6125 section 6.4.3: a wildcard stands for exactly one whole
    /// left-most label; case and a trailing dot do not matter.
    #[test]
    fn wildcards_cover_one_label() {
        let c = certificate("ignored.example", &["*.example.com", "localhost"], &[]);
        assert!(certificate_names(&c, "www.example.com"));
        assert!(certificate_names(&c, "WWW.Example.COM."));
        assert!(!certificate_names(&c, "a.b.example.com"));
        assert!(!certificate_names(&c, "example.com"));
        assert!(certificate_names(&c, "localhost"));
        assert!(!certificate_names(&c, "localhost2"));
    }

    /// RFC 6125 section 6.4.4: the CN counts only without DNS SANs.
    #[test]
    fn the_common_name_counts_only_without_dns_names() {
        assert!(certificate_names(
            &certificate("cn.example", &[], &[]),
            "cn.example"
        ));
        let with_san = certificate("cn.example", &["san.example"], &[]);
        assert!(!certificate_names(&with_san, "cn.example"));
        assert!(certificate_names(&with_san, "san.example"));
    }

    /// Addresses match IP SANs only, never a DNS SAN spelling them.
    #[test]
    fn addresses_match_ip_names_only() {
        let c = certificate("x", &["127.0.0.2"], &["127.0.0.1", "::1"]);
        assert!(certificate_names(&c, "127.0.0.1"));
        assert!(certificate_names(&c, "::1"));
        assert!(!certificate_names(&c, "127.0.0.2"));
    }
}
