use super::*;

const SSL3: u16 = 0x0300;

fn hello(version: u16, suite: u16) -> Answer {
    Answer::ServerHello {
        version,
        suite,
        hello_retry_request: false,
        extensions: Vec::new(),
        session_id_len: 32,
        ec_point_formats: None,
    }
}

fn lib() -> Library {
    Library::probe().expect("the linked OpenSSL")
}

#[test]
fn only_an_sslv3_server_hello_is_a_yes() {
    let lib = lib();
    // Named as OpenSSL names it, like every other version's row.
    let (v, d) = verdict(&hello(SSL3, 0x0035), &lib);
    assert_eq!(v, Verdict::Yes);
    assert!(d.starts_with("ServerHello SSLv3 AES256-SHA "), "{d}");
    // A suite OpenSSL 3.0 dropped (RC4) takes the name OpenSSL 1.x gave it;
    // one nobody here names, its IANA name.
    let (_, d) = verdict(&hello(SSL3, 0x0005), &lib);
    assert!(d.starts_with("ServerHello SSLv3 RC4-SHA "), "{d}");
    let (_, d) = verdict(&hello(SSL3, 0x0031), &lib);
    assert!(
        d.starts_with("ServerHello SSLv3 TLS_DH_RSA_WITH_AES_128_CBC_SHA "),
        "{d}"
    );
    let (v, d) = verdict(&hello(0x0303, 0x0035), &lib);
    assert_eq!(v, Verdict::No);
    assert!(d.contains("0x0303"), "{d}");
}

#[test]
fn refusals_are_no_and_silence_is_not_testable() {
    let lib = lib();
    let alert = Answer::Alert {
        level: 2,
        description: 70,
        record_version: SSL3,
    };
    let (v, d) = verdict(&alert, &lib);
    assert_eq!(v, Verdict::No);
    assert_eq!(d, "refused: fatal alert protocol_version (70)");
    assert_eq!(verdict(&Answer::Closed, &lib).0, Verdict::No);
    assert_eq!(verdict(&Answer::NoAnswer, &lib).0, Verdict::NotTestable);
    let unreadable = Answer::Unreadable {
        reason: "HTTP".into(),
    };
    assert_eq!(verdict(&unreadable, &lib).0, Verdict::NotTestable);
}
