//! A client-initiated renegotiation on TLS 1.2, without `unsafe`.
//!
//! The `openssl` crate does not wrap `SSL_renegotiate`, and calling it
//! through openssl-sys would need `unsafe`, which the harness forbids. So
//! the suite completes a real TLS 1.2 handshake with the `openssl` crate,
//! reads the connection's keys through safe getters (the session's master
//! secret and both randoms), and sends the second ClientHello itself: a
//! genuine one with the renegotiation_info extension carrying the client's
//! Finished (RFC 5746 section 3.5), encrypted as the next
//! AES-128-GCM record (RFC 5288, RFC 5246 section 6.2.3.3). The server's
//! answer is decrypted the same way, so the alert it sends can be read.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::ssl::{Ssl, SslContextBuilder, SslMethod, SslVerifyMode, SslVersion};
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};

use super::hello::{
    record, ClientHello, CT_ALERT, CT_HANDSHAKE, EXT_RENEGOTIATION_INFO, SCSV_RENEGOTIATION,
};
use super::wire::{self, End};
use super::Rng;

/// Suites whose key block is two AES-128 keys and two 4-byte salts:
/// everything this module knows how to encrypt.
const SUITES: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";

/// What the server did with the renegotiation request.
#[derive(Debug, Clone)]
pub(crate) struct Renegotiation {
    /// The client's address, to find the server-side record.
    pub local: Option<SocketAddr>,
    /// The first record the server sent after the request, decrypted:
    /// (content type, plaintext).
    pub reply: Option<(u8, Vec<u8>)>,
    /// Whether the connection was still open a moment after the reply.
    pub end: End,
    pub elapsed: Duration,
}

impl Renegotiation {
    /// The alert in the reply, when it was one.
    pub(crate) fn alert(&self) -> Option<(u8, u8)> {
        match &self.reply {
            Some((CT_ALERT, p)) if p.len() == 2 => Some((p[0], p[1])),
            _ => None,
        }
    }

    pub(crate) fn describe(&self) -> String {
        let reply = match (&self.reply, self.alert()) {
            (_, Some((l, d))) => {
                format!("encrypted {} {}", wire::level_name(l), wire::alert_name(d))
            }
            (Some((CT_HANDSHAKE, p)), _) => {
                format!("the server renegotiated ({} handshake bytes)", p.len())
            }
            (Some((ty, p)), _) => format!("a record of type {ty} ({} bytes)", p.len()),
            (None, _) => "no reply".into(),
        };
        let end = match self.end {
            End::StillOpen => "connection still open",
            End::Closed => "then closed",
            End::Reset => "then reset",
        };
        format!("{reply}; {end} after {:.2}s", self.elapsed.as_secs_f64())
    }
}

/// Handshakes with TLS 1.2 at `addr`, sends an encrypted renegotiation
/// ClientHello built from `hello12`, and reads the reply. `Err` says why
/// the request could not be made at all.
pub(crate) fn request(
    addr: SocketAddr,
    timeout: Duration,
    hello12: &ClientHello,
    rng: &mut Rng,
) -> Result<Renegotiation, String> {
    let start = Instant::now();
    let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    b.set_verify(SslVerifyMode::NONE);
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .and_then(|_| b.set_max_proto_version(Some(SslVersion::TLS1_2)))
        .and_then(|_| b.set_cipher_list(SUITES))
        .map_err(|e| e.to_string())?;
    let ctx = b.build();
    let tcp = wire::connect(addr, timeout).map_err(|e| format!("connect: {e}"))?;
    let local = tcp.local_addr().ok();
    let ssl = Ssl::new(&ctx).map_err(|e| e.to_string())?;
    let mut tls = ssl
        .connect(tcp)
        .map_err(|e| format!("the TLS 1.2 handshake failed: {e}"))?;
    let keys = Keys::of(tls.ssl())?;

    let mut hello = hello12.clone();
    rng.fill(&mut hello.random);
    // RFC 5746 section 3.5: a renegotiating client sends renegotiation_info
    // with its last Finished, and no longer the SCSV.
    hello.suites.retain(|s| *s != SCSV_RENEGOTIATION);
    hello
        .extensions
        .retain(|(ty, _)| *ty != EXT_RENEGOTIATION_INFO);
    let mut info = vec![keys.client_finished.len() as u8];
    info.extend_from_slice(&keys.client_finished);
    hello.extensions.insert(0, (EXT_RENEGOTIATION_INFO, info));
    // The client's Finished was record 0 of this epoch.
    let sealed = keys
        .seal(1, CT_HANDSHAKE, &hello.message())
        .map_err(|e| format!("encrypting the ClientHello: {e}"))?;
    let tcp = tls.get_mut();
    tcp.write_all(&sealed)
        .map_err(|e| format!("sending the renegotiation request: {e}"))?;

    // Read until one whole record has arrived, or the server closes.
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    let mut end = End::StillOpen;
    while Instant::now() < deadline && wire::records(&got).next().is_none() {
        let (bytes, e) = wire::read_until_close(
            tcp,
            (Instant::now() + Duration::from_millis(50)).min(deadline),
        );
        got.extend_from_slice(&bytes);
        if e.closed() {
            end = e;
            break;
        }
    }
    let reply = wire::records(&got)
        .next()
        .map(|(ty, body)| (ty, keys.open(ty, body)));
    let reply = reply.map(|(ty, plain)| (ty, plain.unwrap_or_default()));
    // A refused renegotiation leaves the session in place (RFC 5246
    // section 7.2.2: no_renegotiation is a warning), so the connection must
    // still be open a moment later.
    if end == End::StillOpen {
        let (_, e) = wire::read_until_close(tcp, Instant::now() + Duration::from_millis(300));
        end = e;
    }
    Ok(Renegotiation {
        local,
        reply,
        end,
        elapsed: start.elapsed(),
    })
}

/// The TLS 1.2 AES-128-GCM keys of one connection (RFC 5246 section 6.3).
struct Keys {
    client_key: Vec<u8>,
    server_key: Vec<u8>,
    client_salt: Vec<u8>,
    server_salt: Vec<u8>,
    client_finished: Vec<u8>,
}

impl Keys {
    fn of(ssl: &openssl::ssl::SslRef) -> Result<Keys, String> {
        if ssl.version2() != Some(SslVersion::TLS1_2) {
            return Err("the server did not negotiate TLS 1.2".into());
        }
        let cipher = ssl.current_cipher().map(|c| c.name()).unwrap_or("none");
        if !SUITES.split(':').any(|s| s == cipher) {
            return Err(format!(
                "the server chose {cipher}; renegotiation is only built for {SUITES}"
            ));
        }
        let session = ssl.session().ok_or("no session after the handshake")?;
        let mut master = [0u8; 48];
        let n = session.master_key(&mut master);
        let (mut cr, mut sr) = ([0u8; 32], [0u8; 32]);
        let mut finished = [0u8; 12];
        if n != 48
            || ssl.client_random(&mut cr) != 32
            || ssl.server_random(&mut sr) != 32
            || ssl.finished(&mut finished) != 12
        {
            return Err("the connection's secrets could not be read".into());
        }
        let mut seed = sr.to_vec();
        seed.extend_from_slice(&cr);
        let block = prf_sha256(&master, b"key expansion", &seed, 40).map_err(|e| e.to_string())?;
        Ok(Keys {
            client_key: block[0..16].to_vec(),
            server_key: block[16..32].to_vec(),
            client_salt: block[32..36].to_vec(),
            server_salt: block[36..40].to_vec(),
            client_finished: finished.to_vec(),
        })
    }

    /// One client record: explicit nonce, ciphertext, tag (RFC 5288 section 3).
    fn seal(&self, seq: u64, ty: u8, plain: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let explicit = seq.to_be_bytes();
        let nonce = [self.client_salt.as_slice(), &explicit].concat();
        let aad = aad(seq, ty, plain.len());
        let mut tag = [0u8; 16];
        let ct = encrypt_aead(
            Cipher::aes_128_gcm(),
            &self.client_key,
            Some(&nonce),
            &aad,
            plain,
            &mut tag,
        )?;
        let payload = [explicit.as_slice(), &ct, &tag].concat();
        Ok(record(ty, 0x0303, &payload))
    }

    /// Decrypts a server record. The server has sent only its Finished
    /// (record 0) in this epoch, so the reply is record 1; a few other
    /// numbers are tried in case it sent more.
    fn open(&self, ty: u8, body: &[u8]) -> Option<Vec<u8>> {
        if body.len() < 8 + 16 {
            return None;
        }
        let (explicit, rest) = body.split_at(8);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let nonce = [self.server_salt.as_slice(), explicit].concat();
        [1u64, 2, 3, 0].into_iter().find_map(|seq| {
            decrypt_aead(
                Cipher::aes_128_gcm(),
                &self.server_key,
                Some(&nonce),
                &aad(seq, ty, ct.len()),
                ct,
                tag,
            )
            .ok()
        })
    }
}

fn aad(seq: u64, ty: u8, len: usize) -> Vec<u8> {
    let mut a = seq.to_be_bytes().to_vec();
    a.push(ty);
    a.extend_from_slice(&[3, 3]);
    a.extend_from_slice(&(len as u16).to_be_bytes());
    a
}

/// The TLS 1.2 PRF with SHA-256 (RFC 5246 section 5).
fn prf_sha256(
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    len: usize,
) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let key = PKey::hmac(secret)?;
    let hmac = |parts: &[&[u8]]| -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let mut s = Signer::new(MessageDigest::sha256(), &key)?;
        for p in parts {
            s.update(p)?;
        }
        s.sign_to_vec()
    };
    let mut out = Vec::with_capacity(len + 32);
    let mut a = hmac(&[label, seed])?;
    while out.len() < len {
        out.extend_from_slice(&hmac(&[&a, label, seed])?);
        a = hmac(&[&a])?;
    }
    out.truncate(len);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The TLS 1.2 PRF test vector for SHA-256 published on the IETF TLS
    /// list (secret, seed and the first bytes of the output).
    #[test]
    fn prf_matches_the_published_sha256_vector() {
        let secret = unhex("9bbe436ba940f017b17652849a71db35");
        let seed = unhex("a0ba9f936cda311827a6f796ffd5198c");
        let out = prf_sha256(&secret, b"test label", &seed, 16).expect("prf");
        assert_eq!(out, unhex("e3f229ba727be17b8d122620557cd453"));
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }
}
