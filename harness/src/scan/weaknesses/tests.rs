use super::*;

fn suites(version: Version, named: &[(&str, &str)]) -> SuiteFinding {
    let mut f = SuiteFinding::new(version);
    for (name, iana) in named {
        f.accepted.push((*name).to_owned());
        f.iana.push((*iana).to_owned());
    }
    f
}

fn verdict<'a>(ws: &'a [Weakness], name: &str) -> &'a Weakness {
    ws.iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn suites_name_the_attacks_they_open() {
    let tls12 = suites(
        Version::Tls1_2,
        &[
            (
                "ECDHE-RSA-AES128-GCM-SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            ),
            ("DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            ("RC4-SHA", "TLS_RSA_WITH_RC4_128_SHA"),
            ("EXP-RC4-MD5", "TLS_RSA_EXPORT_WITH_RC4_40_MD5"),
            (
                "EXP-EDH-RSA-DES-CBC-SHA",
                "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
            ),
        ],
    );
    let ws = weaknesses_of(vec![tls12], &[Version::Tls1_2]);
    for name in ["SWEET32", "RC4", "FREAK", "LOGJAM"] {
        assert_eq!(verdict(&ws, name).affected, Verdict::Yes, "{name}");
    }
    assert_eq!(
        verdict(&ws, "SWEET32").detail,
        "DES-CBC3-SHA at TLS 1.2; EXP-EDH-RSA-DES-CBC-SHA at TLS 1.2"
    );
    assert_eq!(verdict(&ws, "FREAK").detail, "EXP-RC4-MD5 at TLS 1.2");
    // No SSLv3 or TLS 1.0 taken: neither POODLE nor BEAST.
    assert_eq!(verdict(&ws, "POODLE").affected, Verdict::No);
    assert_eq!(verdict(&ws, "BEAST").affected, Verdict::No);
}

#[test]
fn cbc_at_sslv3_or_tls1_is_poodle_or_beast_and_aead_alone_is_not() {
    let aes = ("AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA");
    let ws = weaknesses_of(
        vec![suites(Version::Ssl3, &[aes]), suites(Version::Tls1, &[aes])],
        &[Version::Ssl3, Version::Tls1],
    );
    assert_eq!(verdict(&ws, "POODLE").affected, Verdict::Yes);
    assert_eq!(
        verdict(&ws, "POODLE").detail,
        "CBC suites at SSLv3: AES128-SHA"
    );
    // BEAST: CBC at SSLv3 as at TLS 1.0.
    assert_eq!(
        verdict(&ws, "BEAST").detail,
        "CBC suites at SSLv3: AES128-SHA; CBC suites at TLS 1.0: AES128-SHA"
    );
    for name in ["SWEET32", "RC4", "FREAK", "LOGJAM", "DROWN"] {
        assert_eq!(verdict(&ws, name).affected, Verdict::No, "{name}");
    }
    let rc4 = ("RC4-SHA", "TLS_RSA_WITH_RC4_128_SHA");
    let ws = weaknesses_of(vec![suites(Version::Tls1, &[rc4])], &[Version::Tls1]);
    assert_eq!(verdict(&ws, "BEAST").affected, Verdict::No);
}

/// The weaknesses of `suites`, with `taken` the versions accepted (the
/// others refused) and no SSLv2.
fn weaknesses_of(suites: Vec<SuiteFinding>, taken: &[Version]) -> Vec<Weakness> {
    judge(&sslv2(Verdict::No, &[]), &versions(taken), &suites)
}

fn versions(taken: &[Version]) -> Vec<VersionFinding> {
    Version::ALL
        .iter()
        .map(|&version| VersionFinding {
            version,
            accepted: if taken.contains(&version) {
                Verdict::Yes
            } else {
                Verdict::No
            },
            detail: String::new(),
            probes: Vec::new(),
            openssl_reached: taken.contains(&version),
            own_hello: None,
        })
        .collect()
}

fn sslv2(accepted: Verdict, specs: &[&str]) -> Sslv2Finding {
    Sslv2Finding {
        accepted,
        detail: String::new(),
        cipher_specs: specs.iter().map(|s| (*s).to_owned()).collect(),
        probes: vec!["version/ssl2".into()],
    }
}

#[test]
fn sslv2_specs_count_as_suites() {
    let s = sslv2(
        Verdict::Yes,
        &["RC4_128_WITH_MD5", "DES_192_EDE3_CBC_WITH_MD5"],
    );
    let ws = judge(&s, &versions(&[]), &[]);
    assert_eq!(verdict(&ws, "DROWN").affected, Verdict::Yes);
    assert_eq!(verdict(&ws, "RC4").detail, "RC4_128_WITH_MD5 at SSLv2");
    assert_eq!(
        verdict(&ws, "SWEET32").detail,
        "DES_192_EDE3_CBC_WITH_MD5 at SSLv2"
    );
}

#[test]
fn unknown_suites_are_not_testable_not_a_no() {
    // TLS 1.0 taken, its suites never found.
    let ws = weaknesses_of(Vec::new(), &[Version::Tls1]);
    for name in ["SWEET32", "RC4", "BEAST"] {
        let w = verdict(&ws, name);
        assert_eq!(w.affected, Verdict::NotTestable, "{name}: {}", w.detail);
        assert!(w.detail.contains("TLS 1.0"), "{}", w.detail);
    }
}

#[test]
fn logjam_is_a_well_known_small_prime_not_any_small_prime() {
    let dhe = ("DHE-RSA-AES128-SHA", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA");
    let mut own = suites(Version::Tls1_2, &[dhe]);
    own.dh_bits.push((dhe.0.into(), 1024));
    let ws = weaknesses_of(vec![own.clone()], &[Version::Tls1_2]);
    let w = verdict(&ws, "LOGJAM");
    assert_eq!(w.affected, Verdict::No);
    assert!(
        w.detail
            .ends_with("but a 1024-bit DH prime of the server's own"),
        "{}",
        w.detail
    );
    let mut common = own;
    common.dh_groups.push((dhe.0.into(), "modp_1024".into()));
    let ws = weaknesses_of(vec![common], &[Version::Tls1_2]);
    let w = verdict(&ws, "LOGJAM");
    assert_eq!(w.affected, Verdict::Yes);
    assert_eq!(
        w.detail,
        "a well-known DH prime: DHE-RSA-AES128-SHA with modp_1024 (1024 bits)"
    );
}

/// Anonymous suites with a well-known small prime are named as such, not
/// a LOGJAM (testssl.sh: "not vulnerable"), and are the anonymous key
/// exchange weakness; a suite accepted at two versions is listed once.
#[test]
fn logjam_in_anonymous_suites_alone_says_so_once() {
    let adh = ("ADH-AES128-SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA");
    let at = |v: Version| {
        let mut f = suites(v, &[adh]);
        f.dh_bits.push((adh.0.into(), 1024));
        f.dh_groups.push((adh.0.into(), "modp_1024".into()));
        f
    };
    let ws = weaknesses_of(
        vec![at(Version::Tls1_1), at(Version::Tls1_2)],
        &[Version::Tls1_1, Version::Tls1_2],
    );
    let w = verdict(&ws, "LOGJAM");
    assert_eq!(w.affected, Verdict::No);
    assert_eq!(
        w.detail,
        "no export DHE suite accepted; a well-known DH prime only in anonymous suites, where \
         LOGJAM is moot: they authenticate nothing (anonymous key exchange): ADH-AES128-SHA \
         with modp_1024 (1024 bits)"
    );
    let w = verdict(&ws, "anonymous key exchange");
    assert_eq!(w.affected, Verdict::Yes);
    assert_eq!(w.detail, "ADH-AES128-SHA at TLS 1.1, TLS 1.2");
}

/// Insecure renegotiation needs both halves: no RFC 5746, and a server
/// that renegotiates; one that refused a client's is not known to be safe.
/// One with RFC 5746 that renegotiates is not known to be safe either: it
/// may renegotiate with clients without it (s_server -legacy_renegotiation
/// does, as gnutls-cli with %DISABLE_SAFE_RENEGOTIATION shows), which
/// OpenSSL's client cannot try.
#[test]
fn insecure_renegotiation_needs_a_renegotiation() {
    use super::super::renegotiation::RenegotiationFinding;
    let finding = |secure, client| RenegotiationFinding {
        secure,
        detail: "no renegotiation_info in the ServerHello at TLS 1.2".into(),
        probes: vec!["version/tls1_2".into()],
        client_initiated: client,
        client_detail: "at TLS 1.2: refused with warning alert no_renegotiation (100)".into(),
        client_probes: vec!["renegotiation/client".into()],
    };
    for (secure, client, affected) in [
        (Verdict::No, Verdict::Yes, Verdict::Yes),
        (Verdict::No, Verdict::No, Verdict::NotTestable),
        (Verdict::No, Verdict::NotTestable, Verdict::NotTestable),
        (Verdict::Yes, Verdict::Yes, Verdict::NotTestable),
        (Verdict::Yes, Verdict::No, Verdict::No),
        (Verdict::NotApplicable, Verdict::NotApplicable, Verdict::No),
    ] {
        let w = insecure_renegotiation(&finding(secure, client));
        assert_eq!(w.affected, affected, "{secure:?} {client:?}: {}", w.detail);
        assert_eq!(w.probes, ["version/tls1_2", "renegotiation/client"]);
    }
}
