//! Well-known finite-field Diffie-Hellman groups, recognised by their prime,
//! with the names OpenSSL gives them (`openssl genpkey -pkeyopt group:NAME`).
//!
//! A TLS 1.2 ServerKeyExchange carries the DHE prime itself, never a group
//! name. OpenSSL 3.0's automatic parameters are the RFC 3526 MODP groups,
//! which `BN_get_rfc3526_prime_*` hands out; RFC 5114's come from
//! `DH_get_*`. RFC 2409's Oakley groups 1 and 2 (768 and 1024 bits, the
//! primes most 1024-bit DHE servers shared, which LOGJAM broke by one
//! precomputation), which OpenSSL names no group, are `modp_768` and
//! `modp_1024` after their IKE names. The RFC 7919 primes have no getter in the `openssl` crate,
//! so they are built from their definition in RFC 7919 appendix A:
//! `p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1`.

use std::sync::OnceLock;

use openssl::bn::BigNum;
use openssl::dh::Dh;
use openssl::error::ErrorStack;
use openssl::pkey::Params;

/// The name of the group with prime `p` and generator `g` (both big-endian
/// as on the wire), or `None` when it is not a well-known group.
pub(super) fn dh_group_name(p: &[u8], g: &[u8]) -> Option<&'static str> {
    static GROUPS: OnceLock<Vec<Group>> = OnceLock::new();
    let p = strip_zeros(p);
    let g = strip_zeros(g);
    GROUPS
        .get_or_init(|| known_groups().unwrap_or_default())
        .iter()
        .find(|group| group.p == p && group.g == g)
        .map(|group| group.name)
}

struct Group {
    name: &'static str,
    p: Vec<u8>,
    g: Vec<u8>,
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// `(name, bits, X)` of RFC 7919 appendix A.
const FFDHE: [(&str, i32, u32); 5] = [
    ("ffdhe2048", 2048, 560_316),
    ("ffdhe3072", 3072, 2_625_351),
    ("ffdhe4096", 4096, 5_736_041),
    ("ffdhe6144", 6144, 15_705_020),
    ("ffdhe8192", 8192, 10_965_728),
];

type PrimeGetter = fn() -> Result<BigNum, ErrorStack>;
type ParamsGetter = fn() -> Result<Dh<Params>, ErrorStack>;

fn known_groups() -> Result<Vec<Group>, ErrorStack> {
    let two = vec![2u8];
    let mut groups = Vec::new();
    for (name, bits, x) in FFDHE {
        groups.push(Group {
            name,
            p: ffdhe_prime(bits, x)?.to_vec(),
            g: two.clone(),
        });
    }
    let modp: [(&str, PrimeGetter); 8] = [
        ("modp_768", BigNum::get_rfc2409_prime_768),
        ("modp_1024", BigNum::get_rfc2409_prime_1024),
        ("modp_1536", BigNum::get_rfc3526_prime_1536),
        ("modp_2048", BigNum::get_rfc3526_prime_2048),
        ("modp_3072", BigNum::get_rfc3526_prime_3072),
        ("modp_4096", BigNum::get_rfc3526_prime_4096),
        ("modp_6144", BigNum::get_rfc3526_prime_6144),
        ("modp_8192", BigNum::get_rfc3526_prime_8192),
    ];
    for (name, prime) in modp {
        groups.push(Group {
            name,
            p: prime()?.to_vec(),
            g: two.clone(),
        });
    }
    let rfc5114: [(&str, ParamsGetter); 3] = [
        ("dh_1024_160", Dh::get_1024_160),
        ("dh_2048_224", Dh::get_2048_224),
        ("dh_2048_256", Dh::get_2048_256),
    ];
    for (name, params) in rfc5114 {
        let dh = params()?;
        groups.push(Group {
            name,
            p: dh.prime_p().to_vec(),
            g: dh.generator().to_vec(),
        });
    }
    Ok(groups)
}

/// The RFC 7919 prime of `bits` bits with offset `x`.
fn ffdhe_prime(bits: i32, x: u32) -> Result<BigNum, ErrorStack> {
    // floor(2^(bits-130) * e), from e = sum 1/k! in fixed point with 64
    // guard bits; each of the ~1000 truncated divisions loses less than one
    // unit in the last place, far below the guard.
    const GUARD: i32 = 64;
    let scale = bits - 130 + GUARD;
    let mut term = BigNum::new()?;
    term.set_bit(scale)?;
    let mut e = BigNum::new()?;
    let mut k = 1u32;
    while term.num_bits() > 0 {
        let mut next = BigNum::new()?;
        next.checked_add(&e, &term)?;
        e = next;
        term.div_word(k)?;
        k += 1;
    }
    let mut middle = BigNum::new()?;
    middle.rshift(&e, GUARD)?;
    middle.add_word(x)?;
    let mut shifted = BigNum::new()?;
    shifted.lshift(&middle, 64)?;

    let mut p = BigNum::new()?;
    p.set_bit(bits)?;
    let mut low = BigNum::new()?;
    low.set_bit(bits - 64)?;
    let mut acc = BigNum::new()?;
    acc.checked_sub(&p, &low)?;
    let mut with_middle = BigNum::new()?;
    with_middle.checked_add(&acc, &shifted)?;
    with_middle.sub_word(1)?;
    Ok(with_middle)
}
