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
    let ws = judge(vec![tls12], &[]);
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
    let ws = judge(
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
    let ws = judge(vec![suites(Version::Tls1, &[rc4])], &[Version::Tls1]);
    assert_eq!(verdict(&ws, "BEAST").affected, Verdict::No);
}

/// The weaknesses of `suites`, with `taken` the versions accepted (the
/// others refused), no SSLv2 and a 2048-bit DH prime.
fn judge(suites: Vec<SuiteFinding>, taken: &[Version]) -> Vec<Weakness> {
    let versions: Vec<VersionFinding> = Version::ALL
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
        })
        .collect();
    let sslv2 = Sslv2Finding {
        accepted: Verdict::No,
        detail: "refused".into(),
        probes: Vec::new(),
    };
    super::judge(&sslv2, &versions, &suites, Some(2048))
}
