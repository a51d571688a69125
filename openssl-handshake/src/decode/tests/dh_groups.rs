use super::openssl_cli;
use crate::decode::dh_groups::dh_group_name;
use openssl::dh::Dh;

/// The parameters `openssl genpkey -genparam -pkeyopt group:NAME` writes.
fn openssl_group(name: &str) -> (Vec<u8>, Vec<u8>) {
    let group = format!("group:{name}");
    let out = openssl_cli(&[
        "genpkey",
        "-genparam",
        "-algorithm",
        "DH",
        "-pkeyopt",
        &group,
    ]);
    let dh = Dh::params_from_pem(&out).unwrap();
    (dh.prime_p().to_vec(), dh.generator().to_vec())
}

#[test]
fn well_known_dh_groups_are_named_as_openssl_names_them() {
    for name in [
        "ffdhe2048",
        "ffdhe3072",
        "ffdhe4096",
        "ffdhe6144",
        "ffdhe8192",
        "modp_1536",
        "modp_2048",
        "modp_3072",
        "modp_4096",
        "modp_6144",
        "modp_8192",
        "dh_1024_160",
        "dh_2048_224",
        "dh_2048_256",
    ] {
        let (p, g) = openssl_group(name);
        assert_eq!(dh_group_name(&p, &g), Some(name));
        // A leading zero byte, as a DER-minded encoder might send, changes nothing.
        let padded = [&[0u8][..], &p].concat();
        assert_eq!(dh_group_name(&padded, &g), Some(name));
        // Another generator is another group.
        assert_eq!(dh_group_name(&p, &[5]), None);
    }
    let (mut p, g) = openssl_group("ffdhe2048");
    p[100] ^= 1;
    assert_eq!(dh_group_name(&p, &g), None);
}
