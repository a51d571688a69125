//! The crypto limits, measured in the same run as the workloads: raw
//! record protection through EVP for bulk transfer, and the public-key
//! operations a handshake cannot avoid, turned into a handshakes/s bound.
//!
//! Both are timed in the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`),
//! as `openssl speed` times its loops in CPU time, so that a busy host
//! lowers neither limit: the workloads are timed the same way.
//!
//! The AEAD limit keeps one `EVP_CIPHER_CTX` per direction, keyed once,
//! and gives each record (of the size a row's writes make: the write's
//! own size up to 16 KiB) only what OpenSSL's record layer gives it: a
//! nonce and additional data of its own, from the record's sequence
//! number. Key setup is not charged to the limit. Decryption opens the
//! record last sealed again and again. The handshake bound counts key-share generation
//! and derivation on both sides, one signature and one verification with
//! the certificate's key (and the client's pair for mTLS); certificate
//! chain verification, hashing and record protection are left out, so
//! the bound is an upper one.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use openssl::cipher::{Cipher as EvpCipher, CipherRef};
use openssl::cipher_ctx::CipherCtx;
use openssl::derive::Deriver;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, PKeyRef, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use testkit::pki::{KeyType, Pki};

use crate::config::{Cipher, Group, HandshakeCase};
use crate::error::BenchError;
use crate::sys::thread_cpu_time;

mod hmac;
use hmac::Hmac;

/// The TLS maximum plaintext per record, and the largest record the
/// AEAD limit takes.
pub const RECORD: usize = 16 * 1024;

/// Raw record protection throughput, in MB/s (10^6 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AeadLimit {
    /// Encryption (and MAC, for CBC), the bound for the send side.
    pub encrypt: f64,
    /// Decryption and tag check, the bound for the receive side.
    pub decrypt: f64,
}

/// Measures `cipher` on `record`-byte records (at most [`RECORD`]) for
/// about `budget` each way.
pub fn aead(cipher: Cipher, record: usize, budget: Duration) -> Result<AeadLimit, BenchError> {
    let mut sealer = Sealer::with_record_len(cipher, record)?;
    let encrypt = throughput(budget, record, || sealer.seal())?;
    let decrypt = throughput(budget, record, || sealer.open())?;
    Ok(AeadLimit { encrypt, decrypt })
}

/// MB/s of `f`, which processes one `record`-byte record per call.
fn throughput(
    budget: Duration,
    record: usize,
    mut f: impl FnMut() -> Result<(), BenchError>,
) -> Result<f64, BenchError> {
    let (calls, elapsed) = repeat(budget, &mut f)?;
    Ok((calls * record) as f64 / elapsed.as_secs_f64() / 1e6)
}

/// Calls `f` until `budget` of wall time has passed (and at least three
/// times); returns the calls made and the thread CPU time they took. The
/// loop checks the cheap wall clock; the CPU clock, a system call, is
/// read only before and after it.
fn repeat(
    budget: Duration,
    mut f: impl FnMut() -> Result<(), BenchError>,
) -> Result<(usize, Duration), BenchError> {
    f()?; // warm-up: first-use allocations and table setup
    let start = Instant::now();
    let cpu = thread_cpu_time();
    let mut calls = 0;
    while calls < 3 || start.elapsed() < budget {
        f()?;
        calls += 1;
    }
    Ok((calls, thread_cpu_time().saturating_sub(cpu)))
}

/// Raw record protection for one cipher: one key, one context per
/// direction, and a record's worth of buffers.
pub struct Sealer {
    enc: CipherCtx,
    dec: CipherCtx,
    /// HMAC-SHA1 of the CBC suite, keyed once.
    mac: Option<Hmac>,
    /// The connection's fixed IV. A record's nonce is this IV with the
    /// record's sequence number XORed into its last 8 bytes, as TLS 1.3
    /// forms it (RFC 8446 §5.3). For CBC this stands in for TLS 1.2's
    /// explicit per-record IV, which libssl draws at random; the limit
    /// leaves out that 16-byte draw.
    iv: Vec<u8>,
    /// The sequence number of the record last sealed.
    seq: u64,
    /// That record's nonce and additional data, which `open` reads.
    nonce: Vec<u8>,
    aad: [u8; 13],
    plain: Vec<u8>,
    sealed: Vec<u8>,
    scratch: Vec<u8>,
    /// The AEAD tag (16 bytes) or the whole HMAC-SHA1 (20).
    tag: Vec<u8>,
}

/// TLS 1.2's additional data: sequence number and length (both set per
/// sealer), type, version.
const AAD: [u8; 13] = [0, 0, 0, 0, 0, 0, 0, 0, 23, 3, 3, 0, 0];

impl Sealer {
    /// A key and contexts for `cipher` on [`RECORD`]-byte records, with
    /// one record sealed.
    pub fn new(cipher: Cipher) -> Result<Self, BenchError> {
        Sealer::with_record_len(cipher, RECORD)
    }

    /// As [`Sealer::new`], on `len`-byte records; `len` must be 1 to
    /// [`RECORD`], as a TLS record's plaintext is.
    pub fn with_record_len(cipher: Cipher, len: usize) -> Result<Self, BenchError> {
        // The record's length, as the additional data carries it.
        let len16 = match u16::try_from(len) {
            Ok(l) if (1..=RECORD).contains(&len) => l,
            _ => {
                return Err(BenchError::tls(
                    "limit",
                    format!("a record holds 1 to {RECORD} bytes, not {len}"),
                ))
            }
        };
        let mut aad = AAD;
        aad[11..].copy_from_slice(&len16.to_be_bytes());
        let evp: &CipherRef = match cipher {
            Cipher::Aes128Gcm => EvpCipher::aes_128_gcm(),
            Cipher::Aes256Gcm => EvpCipher::aes_256_gcm(),
            Cipher::Chacha20Poly1305 => EvpCipher::chacha20_poly1305(),
            Cipher::Aes128CbcSha1 => EvpCipher::aes_128_cbc(),
        };
        let key = vec![0x42; evp.key_length()];
        let iv = vec![0x24; evp.iv_length()];
        let mut enc = CipherCtx::new()?;
        enc.encrypt_init(Some(evp), Some(&key), Some(&iv))?;
        let mut dec = CipherCtx::new()?;
        dec.decrypt_init(Some(evp), Some(&key), Some(&iv))?;
        let cbc = cipher == Cipher::Aes128CbcSha1;
        // What is encrypted: the plaintext, and for CBC the 1 to 16 bytes
        // of padding TLS adds to fill the last block.
        let body = if cbc { (len / 16 + 1) * 16 } else { len };
        let mac = if cbc {
            // TLS pads records itself.
            enc.set_padding(false);
            dec.set_padding(false);
            Some(Hmac::new(MessageDigest::sha1(), &[0x17; 20])?)
        } else {
            None
        };
        let mut sealer = Sealer {
            enc,
            dec,
            mac,
            nonce: iv.clone(),
            iv,
            seq: 0,
            aad,
            plain: vec![0x5a; body],
            sealed: vec![0; body + 32],
            scratch: vec![0; body + 32],
            tag: vec![0; if cbc { 20 } else { 16 }],
        };
        sealer.seal()?;
        Ok(sealer)
    }

    /// Encrypts (and MACs, for CBC) one record; the record's plaintext is
    /// `plain`, with its padding for CBC.
    pub fn seal(&mut self) -> Result<(), BenchError> {
        self.next_record();
        self.enc.encrypt_init(None, None, Some(&self.nonce))?;
        if let Some(mac) = &self.mac {
            let n = self
                .enc
                .cipher_update(&self.plain, Some(&mut self.sealed))?;
            self.enc.cipher_final(&mut self.sealed[n..])?;
            // Encrypt-then-MAC: the MAC covers the IV and the ciphertext.
            let tag = mac.mac(&[
                &self.etm_header(),
                &self.nonce,
                &self.sealed[..self.plain.len()],
            ])?;
            self.tag.copy_from_slice(&tag);
            return Ok(());
        }
        self.enc.cipher_update(&self.aad, None)?;
        let n = self
            .enc
            .cipher_update(&self.plain, Some(&mut self.sealed))?;
        self.enc.cipher_final(&mut self.sealed[n..])?;
        self.enc.tag(&mut self.tag)?;
        Ok(())
    }

    /// Checks and decrypts the record last sealed.
    pub fn open(&mut self) -> Result<(), BenchError> {
        self.dec.decrypt_init(None, None, Some(&self.nonce))?;
        if let Some(mac) = &self.mac {
            let expected = mac.mac(&[
                &self.etm_header(),
                &self.nonce,
                &self.sealed[..self.plain.len()],
            ])?;
            if !openssl::memcmp::eq(&expected, &self.tag) {
                return Err(BenchError::tls("limit", "record MAC did not verify"));
            }
            let n = self
                .dec
                .cipher_update(&self.sealed[..self.plain.len()], Some(&mut self.scratch))?;
            self.dec.cipher_final(&mut self.scratch[n..])?;
            return Ok(());
        }
        self.dec.cipher_update(&self.aad, None)?;
        let n = self
            .dec
            .cipher_update(&self.sealed[..self.plain.len()], Some(&mut self.scratch))?;
        self.dec.set_tag(&self.tag)?;
        self.dec.cipher_final(&mut self.scratch[n..])?;
        Ok(())
    }

    /// What an encrypt-then-MAC record's MAC starts with (RFC 7366 section
    /// 3): the additional data, its length that of the IV and ciphertext.
    fn etm_header(&self) -> [u8; 13] {
        let mut header = self.aad;
        // At most 16 + 16 KiB + 16 bytes: `with_record_len` bounds the plaintext.
        let len = u16::try_from(self.nonce.len() + self.plain.len()).unwrap_or(u16::MAX);
        header[11..].copy_from_slice(&len.to_be_bytes());
        header
    }

    /// The next sequence number, and the nonce and additional data that
    /// follow from it.
    fn next_record(&mut self) {
        self.seq += 1;
        let seq = self.seq.to_be_bytes();
        self.nonce.copy_from_slice(&self.iv);
        // Every IV here (12 or 16 bytes) is longer than the 8 of `seq`.
        let tail = self.nonce.len() - seq.len();
        for (n, s) in self.nonce[tail..].iter_mut().zip(seq) {
            *n ^= s;
        }
        self.aad[..8].copy_from_slice(&seq);
    }
}

/// One public-key operation a handshake performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    KeyShare(Group),
    Derive(Group),
    Sign(KeyType),
    Verify(KeyType),
}

/// The public-key operations of a handshake, measured afresh at each
/// call, so that the runner takes the bound in every round, beside the
/// workload it bounds, as it takes the AEAD limit.
pub struct HandshakeLimits<'a> {
    pki: &'a Pki,
    budget: Duration,
}

impl<'a> HandshakeLimits<'a> {
    /// Measures each operation for about `budget` of wall time per call.
    pub fn new(pki: &'a Pki, budget: Duration) -> Self {
        HandshakeLimits { pki, budget }
    }

    /// The public-key CPU time of one full handshake of `case`, both sides.
    pub fn full(&self, case: &HandshakeCase) -> Result<Duration, BenchError> {
        let mut t = self.key_exchange(case.group)?;
        let auth = self.cost(Op::Sign(case.key))? + self.cost(Op::Verify(case.key))?;
        // mTLS: the client signs and the server verifies as well.
        t += if case.mtls { 2 * auth } else { auth };
        Ok(t)
    }

    /// The public-key CPU time of a TLS 1.3 PSK resumption with (EC)DHE:
    /// key shares only, no signature. TLS 1.2 resumption has none.
    pub fn key_exchange(&self, group: Group) -> Result<Duration, BenchError> {
        Ok(2 * self.cost(Op::KeyShare(group))? + 2 * self.cost(Op::Derive(group))?)
    }

    fn cost(&self, op: Op) -> Result<Duration, BenchError> {
        measure(self.pki, op, self.budget)
    }
}

fn measure(pki: &Pki, op: Op, budget: Duration) -> Result<Duration, BenchError> {
    let per = |(calls, elapsed): (usize, Duration)| elapsed / calls as u32;
    // What TLS 1.3 signs: 64 spaces, a context string and a transcript hash.
    let signed = [0x20u8; 130];
    match op {
        Op::KeyShare(group) => Ok(per(repeat(budget, || {
            key_share(group)?;
            Ok(())
        })?)),
        Op::Derive(group) => {
            let (mine, theirs) = (key_share(group)?, key_share(group)?);
            Ok(per(repeat(budget, || {
                let mut d = Deriver::new(&mine)?;
                d.set_peer(&theirs)?;
                d.derive_to_vec()?;
                Ok(())
            })?))
        }
        Op::Sign(key_type) => {
            let key = &pki.server(key_type).key;
            Ok(per(repeat(budget, || {
                signer(key_type, key)?.sign_oneshot_to_vec(&signed)?;
                Ok(())
            })?))
        }
        Op::Verify(key_type) => {
            let key = &pki.server(key_type).key;
            let signature = signer(key_type, key)?.sign_oneshot_to_vec(&signed)?;
            Ok(per(repeat(budget, || {
                let mut v = match key_type {
                    KeyType::Ed25519 => Verifier::new_without_digest(key)?,
                    _ => Verifier::new(digest(key_type), key)?,
                };
                if key_type == KeyType::Rsa2048 {
                    v.set_rsa_padding(Padding::PKCS1_PSS)?;
                    v.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                }
                if !v.verify_oneshot(&signature, &signed)? {
                    return Err(BenchError::tls("limit", "signature did not verify"));
                }
                Ok(())
            })?))
        }
    }
}

fn key_share(group: Group) -> Result<PKey<Private>, BenchError> {
    Ok(match group {
        Group::X25519 => PKey::generate_x25519()?,
        Group::P256 => {
            let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
            PKey::from_ec_key(EcKey::generate(&g)?)?
        }
    })
}

fn digest(key_type: KeyType) -> MessageDigest {
    match key_type {
        KeyType::EcdsaP384 => MessageDigest::sha384(),
        _ => MessageDigest::sha256(),
    }
}

/// The signer TLS 1.3 uses for `key_type`: RSA-PSS for RSA keys.
fn signer(key_type: KeyType, key: &PKeyRef<Private>) -> Result<Signer<'_>, BenchError> {
    let mut s = match key_type {
        KeyType::Ed25519 => Signer::new_without_digest(key)?,
        _ => Signer::new(digest(key_type), key)?,
    };
    if key_type == KeyType::Rsa2048 {
        s.set_rsa_padding(Padding::PKCS1_PSS)?;
        s.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Cipher; 4] = [
        Cipher::Aes128Gcm,
        Cipher::Aes256Gcm,
        Cipher::Chacha20Poly1305,
        Cipher::Aes128CbcSha1,
    ];

    /// Each record gets a nonce of its own: the same plaintext sealed
    /// twice gives two ciphertexts, and each opens.
    #[test]
    fn each_record_has_its_own_nonce() {
        for cipher in ALL {
            let mut sealer = Sealer::new(cipher).expect("sealer");
            let mut sealed = Vec::new();
            for _ in 0..2 {
                sealer.seal().expect("seal");
                sealer.open().expect("open");
                sealed.push(sealer.sealed[..RECORD].to_vec());
            }
            assert_ne!(sealed[0], sealed[1], "{cipher:?} reused a nonce");
        }
    }

    /// A sealer for short records encrypts records of that length (padded
    /// to whole blocks for CBC) with that length in its additional data,
    /// and refuses what no TLS record holds.
    #[test]
    fn records_have_the_length_asked_for() {
        for cipher in ALL {
            let sealer = Sealer::with_record_len(cipher, 1000).expect("sealer");
            let expected = if cipher == Cipher::Aes128CbcSha1 {
                1008
            } else {
                1000
            };
            assert_eq!(sealer.plain.len(), expected, "{cipher:?}");
            assert_eq!(sealer.aad[11..], 1000u16.to_be_bytes());
            for len in [0, RECORD + 1] {
                assert!(Sealer::with_record_len(cipher, len).is_err(), "{len}");
            }
        }
    }

    /// The CBC suite's MAC is encrypt-then-MAC's (RFC 7366 section 3):
    /// HMAC over sequence number, type, version, the length of IV and
    /// ciphertext, then the IV and the ciphertext; checked against
    /// OpenSSL's own HMAC.
    #[test]
    fn the_cbc_mac_covers_what_encrypt_then_mac_covers() {
        let mut sealer = Sealer::with_record_len(Cipher::Aes128CbcSha1, 100).expect("sealer");
        sealer.seal().expect("seal");
        let body = &sealer.sealed[..sealer.plain.len()];
        let mut input = sealer.seq.to_be_bytes().to_vec();
        input.extend([23, 3, 3]);
        input.extend(u16::try_from(16 + body.len()).expect("short").to_be_bytes());
        input.extend(&sealer.nonce);
        input.extend(body);
        let key = PKey::hmac(&[0x17; 20]).expect("key");
        let mut hmac = Signer::new(MessageDigest::sha1(), &key).expect("signer");
        hmac.update(&input).expect("update");
        assert_eq!(hmac.sign_to_vec().expect("sign"), sealer.tag);
    }

    /// What the limit opens is checked as TLS checks it: a record whose
    /// ciphertext changed after sealing fails, for every cipher (the CBC
    /// suite's by its HMAC).
    #[test]
    fn open_checks_each_ciphers_tag() {
        for cipher in ALL {
            let mut sealer = Sealer::new(cipher).expect("sealer");
            sealer.seal().expect("seal");
            sealer.open().expect("an untouched record opens");
            sealer.sealed[100] ^= 1;
            assert!(
                sealer.open().is_err(),
                "{cipher:?}: a changed record opened"
            );
        }
    }
}
