//! Certificates the tests issue themselves, for what the test PKI's
//! credentials, which all pass, cannot show: a weak key or digest, a
//! purpose or key usage that rules a use out, dates out of range. A root
//! is `certificate(name, key, None, ...)`; a leaf for localhost names its
//! issuer.

use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509Name, X509};

/// Valid from now for 30 days.
pub const CURRENT: (i64, i64) = (0, 30);

pub fn p256() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("P-256");
    PKey::from_ec_key(EcKey::generate(&group).expect("EC key")).expect("pkey")
}

fn name(cn: &str) -> X509Name {
    let mut n = X509Name::builder().expect("name");
    n.append_entry_by_text("CN", cn).expect("CN");
    n.build()
}

pub fn certificate(
    subject: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    digest: MessageDigest,
    client_auth_only: bool,
    dates: (i64, i64),
) -> X509 {
    // Signing alone, as an ECDHE-only deployment issues it: enough for
    // TLS 1.3 and ECDHE, not for RSA key transport.
    let signing = |u: &mut KeyUsage| {
        u.digital_signature();
    };
    certificate_with_usage(
        subject,
        key,
        issuer,
        digest,
        client_auth_only,
        dates,
        signing,
    )
}

/// [`certificate`] with a leaf's keyUsage set by `usage` (critical).
pub fn certificate_with_usage(
    subject: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    digest: MessageDigest,
    client_auth_only: bool,
    (from, to): (i64, i64),
    usage: impl FnOnce(&mut KeyUsage),
) -> X509 {
    let mut b = X509::builder().expect("builder");
    b.set_version(2).expect("version");
    let serial = BigNum::from_u32(rand_serial()).and_then(|n| n.to_asn1_integer());
    b.set_serial_number(&serial.expect("serial"))
        .expect("serial");
    b.set_subject_name(&name(subject)).expect("subject");
    b.set_pubkey(key).expect("key");
    // A certificate valid from now starts a minute back: a wall clock
    // stepped back by a second (a shared machine's NTP) would otherwise
    // read it as not valid yet.
    let start = if from == 0 {
        Asn1Time::from_unix((unix_now() - 60) as libc::time_t).expect("time")
    } else {
        days_from_now(from)
    };
    b.set_not_before(&start).expect("not before");
    b.set_not_after(&days_from_now(to)).expect("not after");
    let (issuer_name, signing_key) = match issuer {
        Some((cert, key)) => (cert.subject_name().to_owned().expect("name"), key),
        None => (name(subject), key),
    };
    b.set_issuer_name(&issuer_name).expect("issuer");
    if issuer.is_none() {
        let ca = BasicConstraints::new().critical().ca().build();
        b.append_extension(ca.expect("CA")).expect("CA");
    } else {
        let san = SubjectAlternativeName::new()
            .dns("localhost")
            .build(&b.x509v3_context(None, None));
        b.append_extension(san.expect("SAN")).expect("SAN");
        let mut eku = ExtendedKeyUsage::new();
        if client_auth_only {
            eku.client_auth();
        } else {
            eku.server_auth();
        }
        b.append_extension(eku.build().expect("EKU")).expect("EKU");
        let mut key_usage = KeyUsage::new();
        usage(key_usage.critical());
        b.append_extension(key_usage.build().expect("keyUsage"))
            .expect("keyUsage");
    }
    b.sign(signing_key, digest).expect("sign");
    b.build()
}

fn rand_serial() -> u32 {
    let mut bytes = [0u8; 4];
    openssl::rand::rand_bytes(&mut bytes).expect("random");
    u32::from_be_bytes(bytes) >> 1
}

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Now plus `days` (negative for the past).
fn days_from_now(days: i64) -> Asn1Time {
    Asn1Time::from_unix((unix_now() + days * 86_400) as libc::time_t).expect("time")
}
