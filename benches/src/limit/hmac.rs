//! HMAC keyed once and copied per message, as libssl computes a record
//! MAC: it keys one context when the connection's keys are set and copies
//! it for each record. A new `Signer` per record would instead charge the
//! key setup (a few µs) to every record and make the limit too low.

use openssl::error::ErrorStack;
use openssl::hash::{hash, DigestBytes, Hasher, MessageDigest};

/// HMAC (RFC 2104) with the digest states after the key's inner and outer
/// pads, each cloned for a message.
pub(crate) struct Hmac {
    inner: Hasher,
    outer: Hasher,
}

impl Hmac {
    /// Keys HMAC with `md`; a key longer than the digest's block is
    /// replaced by its digest, as RFC 2104 says.
    pub(crate) fn new(md: MessageDigest, key: &[u8]) -> Result<Self, ErrorStack> {
        let block = md.block_size();
        let mut padded = if key.len() > block {
            hash(md, key)?.to_vec()
        } else {
            key.to_vec()
        };
        padded.resize(block, 0);
        let keyed = |pad: u8| -> Result<Hasher, ErrorStack> {
            let mut h = Hasher::new(md)?;
            let xored: Vec<u8> = padded.iter().map(|b| b ^ pad).collect();
            h.update(&xored)?;
            Ok(h)
        };
        Ok(Hmac {
            inner: keyed(0x36)?,
            outer: keyed(0x5c)?,
        })
    }

    /// The MAC of `parts` one after the other.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> Result<DigestBytes, ErrorStack> {
        let mut inner = self.inner.clone();
        for part in parts {
            inner.update(part)?;
        }
        let mut outer = self.outer.clone();
        outer.update(&inner.finish()?)?;
        outer.finish()
    }
}

#[cfg(test)]
mod tests {
    use openssl::pkey::PKey;
    use openssl::sign::Signer;

    use super::*;

    /// OpenSSL's own HMAC, keyed for each message.
    fn reference(md: MessageDigest, key: &[u8], message: &[u8]) -> Vec<u8> {
        let key = PKey::hmac(key).expect("HMAC key");
        let mut signer = Signer::new(md, &key).expect("signer");
        signer.update(message).expect("update");
        signer.sign_to_vec().expect("sign")
    }

    /// Keys shorter than, as long as, and longer than SHA-1's and
    /// SHA-256's 64-byte block (which RFC 2104 hashes first), on empty,
    /// short, record-sized and split messages, each MAC'd twice from one
    /// keyed state.
    #[test]
    fn it_equals_openssls_hmac() {
        let record: Vec<u8> = (0..16 * 1024 + 13).map(|i| (i * 7 % 251) as u8).collect();
        for md in [MessageDigest::sha1(), MessageDigest::sha256()] {
            for key_len in [1, 20, 64, 65, 100, 200] {
                let key: Vec<u8> = (0..key_len).map(|i| (i * 13 + 1) as u8).collect();
                let hmac = Hmac::new(md, &key).expect("keyed");
                for message in [&b""[..], b"abc", &record] {
                    let expected = reference(md, &key, message);
                    for _ in 0..2 {
                        assert_eq!(
                            &*hmac.mac(&[message]).expect("mac"),
                            &expected[..],
                            "key of {key_len} bytes, message of {}",
                            message.len()
                        );
                    }
                    let (head, tail) = message.split_at(message.len() / 3);
                    assert_eq!(&*hmac.mac(&[head, tail]).expect("mac"), &expected[..]);
                }
            }
        }
    }
}
