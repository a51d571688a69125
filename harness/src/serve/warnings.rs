//! Configurations `serve` starts with although no client can complete a
//! handshake with them, told at start (as a warning: s_server starts with
//! them too, and each connection's diagnosis says why it failed), and one
//! whose `--www` page a client that takes its ALPN offer cannot read.

use openssl::nid::Nid;
use openssl::pkey::Id;
use openssl::ssl::{SslContextBuilder, SslMethod};
use openssl::x509::X509;
use testkit::pki::KeyType;

use super::{ServeOptions, ServerIdentity};
use crate::case::Version;

/// Every suite authentication but DSS and none (anonymous suites need no
/// certificate): what a DSA key cannot serve.
const NOT_DSS: &str = "!aRSA:!aECDSA:!aPSK:!aGOST01:!aGOST12:!aSRP";

/// Why no client can complete a handshake with `opts` at security level
/// `level`, sending `chain` after its leaf, one sentence each; empty when
/// nothing is known to stop them.
pub fn serving_nobody(opts: &ServeOptions, level: u32, chain: &[X509]) -> Vec<String> {
    let mut out = Vec::new();
    // OpenSSL checks the leaf as it loads it, the rest of the chain only
    // as it sends it: each handshake fails "ca key too small".
    let bits = match level {
        0 => 0,
        1 => 80,
        2 => 112,
        3 => 128,
        4 => 192,
        _ => 256,
    };
    for c in chain {
        let Ok(key) = c.public_key() else { continue };
        if key.security_bits() < bits {
            let name = c
                .subject_name()
                .entries_by_nid(Nid::COMMONNAME)
                .next()
                .and_then(|e| e.data().to_string().ok())
                .map_or_else(|| "a CA certificate".to_owned(), |n| format!("\"{n}\""));
            out.push(format!(
                "the chain's {name} has a key of {} security bits, below the {bits} of \
                 security level {level}: every handshake will fail (ca key too small)",
                key.security_bits()
            ));
        }
    }
    let max = opts.tls.max_version;
    // OpenSSL 3 counts SHA-1 (and MD5-SHA1) as below level 1's 80 bits.
    if let Some(v) = max.filter(|v| *v <= Version::Tls1_1) {
        if level >= 1 {
            out.push(format!(
                "at most {v} is enabled, and TLS 1.1 and older sign with SHA-1 (and MD5), which \
                 security level {level} forbids: every handshake will fail (--seclevel 0 allows \
                 them)"
            ));
        }
    }
    if dsa_key(opts) {
        let cipher = opts.tls.cipher.as_deref().unwrap_or("DEFAULT");
        let dss = SslContextBuilder::new(SslMethod::tls_server())
            .and_then(|mut b| b.set_cipher_list(&format!("{cipher}:{NOT_DSS}")))
            .is_ok();
        if max == Some(Version::Tls1_3) || opts.tls.min_version == Some(Version::Tls1_3) {
            out.push(
                "the key is DSA, which TLS 1.3 does not sign with: every handshake will fail"
                    .into(),
            );
        } else if !dss {
            out.push(format!(
                "the key is DSA, which signs only DHE-DSS suites, and the cipher list \
                 ({cipher}) has none: every handshake will fail (give --cipher DHE-DSS suites)"
            ));
        }
    }
    out
}

/// Why a client that offers h2 cannot read `--www`'s page: the page is
/// HTTP/1.0, and serve takes the first of its `--alpn` protocols the
/// client offers, so with h2 ahead of every HTTP/1 protocol a browser (or
/// `curl --http2`) gets h2, completes the handshake and reads bytes it
/// cannot parse.
pub fn www_unreadable(opts: &ServeOptions) -> Option<String> {
    let alpn = &opts.tls.alpn;
    let http1 = alpn
        .iter()
        .position(|p| p.starts_with("http/1.") || p == "http/0.9");
    let h2 = alpn.iter().position(|p| p == "h2");
    let h2_first = h2.is_some_and(|h| http1.is_none_or(|w| h < w));
    (opts.www && h2_first).then(|| {
        "--www answers in HTTP/1.0, and --alpn puts h2 first: a client that offers it (browsers, \
         curl --http2) takes it, completes the handshake and cannot read the page (put \
         http/1.1 first, or leave h2 out)"
            .to_owned()
    })
}

/// Whether the server's key is DSA: generated so, or the `--key` file's.
fn dsa_key(opts: &ServeOptions) -> bool {
    match (&opts.identity, &opts.tls.identity) {
        (ServerIdentity::Generated(k), _) => *k == KeyType::Dsa2048,
        (ServerIdentity::Files, Some(id)) => id.key.id() == Id::DSA,
        (ServerIdentity::Files, None) => false,
    }
}

/// The certificates `opts` sends after its leaf: the generated PKI's, or
/// those of the `--cert` file past its first.
pub fn chain_of(opts: &ServeOptions, generated: Option<&[X509]>) -> Vec<X509> {
    match (generated, &opts.tls.identity) {
        (Some(chain), _) => chain.to_vec(),
        (None, Some(id)) => id.chain.clone(),
        (None, None) => Vec::new(),
    }
}
