//! TLS compression (RFC 3749 DEFLATE, RFC 3943 LZS): a server that
//! compresses records before encrypting them leaks, through their lengths,
//! how much of an attacker's text matched a secret in the same record
//! (CRIME, CVE-2012-4929). The linked OpenSSL offers no compression (3.0
//! builds it only with zlib, and never by default), so a hello of the
//! scan's own offers DEFLATE and LZS before null, at the highest version
//! below TLS 1.3 the server takes (TLS 1.3 has no compression: RFC 8446,
//! 4.1.2), and the ServerHello's compression_method answers.

use openssl_handshake::decode::{decode_handshake_in, Body, DecodeContext};
use openssl_handshake::ProtocolVersion;
use serde::Serialize;

use super::conn::Prober;
use super::own_hello::{self, Extras};
use super::Verdict;
use crate::case::Version;
use crate::hostile::fingerprint::Answer;

/// DEFLATE's compression method (RFC 3749).
pub const DEFLATE: u8 = 1;
/// LZS's compression method (RFC 3943).
pub const LZS: u8 = 0x40;

/// The compression finding.
#[derive(Debug, Clone, Serialize)]
pub struct CompressionFinding {
    /// Yes: the server chose a compression method other than null.
    pub compressed: Verdict,
    /// The method it chose, when it answered with a ServerHello.
    pub method: Option<u8>,
    /// What the probe saw.
    pub detail: String,
    /// The probe.
    pub probes: Vec<String>,
}

impl CompressionFinding {
    /// The finding when its task could not run.
    pub fn failed() -> Self {
        CompressionFinding {
            compressed: Verdict::NotTestable,
            method: None,
            detail: "the compression probe panicked".into(),
            probes: Vec::new(),
        }
    }
}

/// Offers DEFLATE, LZS and null at the best version below TLS 1.3 the
/// server takes, `best` ([`own_hello::best_older`]).
pub fn scan(p: &Prober, best: Result<Version, Verdict>) -> CompressionFinding {
    let v = match best {
        Ok(v) => v,
        Err(verdict) => {
            let why = "TLS 1.3 has no compression";
            return CompressionFinding {
                compressed: verdict,
                method: None,
                detail: own_hello::no_older(verdict, "below TLS 1.3", why),
                probes: Vec::new(),
            };
        }
    };
    let id = format!("compression/{}", v.id());
    let offer = format!(
        "a {} ClientHello written by the scan, offering compression DEFLATE (1), LZS (64) and \
         null",
        v.display()
    );
    let name = crate::probe::sni_name(p.target().servername.as_deref());
    let extras = Extras {
        compression: vec![DEFLATE, LZS],
        extensions: Vec::new(),
    };
    let suites = own_hello::every_suite(p.library(), v);
    let hello = own_hello::client_hello_with(v, &suites, &own_hello::ECDHE_GROUPS, name, &extras);
    let (answer, flight) = p.raw(&id, &offer, &hello);
    let (compressed, method, detail) = judge(&answer, &flight, v);
    CompressionFinding {
        compressed,
        method,
        detail,
        probes: vec![id],
    }
}

/// What the answer to the hello at `v` says.
fn judge(answer: &Answer, flight: &[Vec<u8>], v: Version) -> (Verdict, Option<u8>, String) {
    let Answer::ServerHello { version, suite, .. } = answer else {
        let (_, why) = own_hello::not_a_hello(answer);
        return (
            Verdict::NotTestable,
            None,
            format!(
                "the scan's own {} hello offering compression got no ServerHello ({why}), so \
                 whether the server compresses is unknown",
                v.display()
            ),
        );
    };
    let ctx = DecodeContext::new(Some(ProtocolVersion::from(*version)), Some(*suite));
    let chosen = flight
        .iter()
        .find_map(|m| match decode_handshake_in(m, ctx).ok()?.body {
            Body::ServerHello(h) => Some(h.compression_method),
            _ => None,
        });
    let at = own_hello::version_name(*version);
    match chosen {
        None => (
            Verdict::NotTestable,
            None,
            format!("the {at} ServerHello did not decode, so its compression method is unknown"),
        ),
        Some(0) => (
            Verdict::No,
            Some(0),
            format!("{at} ServerHello chose null compression, though DEFLATE and LZS were offered"),
        ),
        Some(m) => (
            Verdict::Yes,
            Some(m),
            format!("{at} ServerHello chose {}", method_name(m)),
        ),
    }
}

/// A compression method's name and number.
pub fn method_name(m: u8) -> String {
    match m {
        0 => "null (0)".into(),
        DEFLATE => "DEFLATE (1)".into(),
        LZS => "LZS (64)".into(),
        other => format!("method {other}, which was not offered"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls_bytes::{handshake_message, put_prefixed};

    /// A TLS 1.2 ServerHello choosing suite 0xc02f and `method`, laid out
    /// as RFC 5246 7.4.1.3 does.
    fn server_hello(method: u8) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        put_prefixed(&mut body, 1, &[]);
        body.extend_from_slice(&[0xc0, 0x2f, method]);
        handshake_message(2, &body)
    }

    fn answer() -> Answer {
        Answer::ServerHello {
            version: 0x0303,
            suite: 0xc02f,
            hello_retry_request: false,
            extensions: Vec::new(),
            session_id_len: 0,
            ec_point_formats: None,
        }
    }

    #[test]
    fn the_server_hellos_method_decides() {
        let v = Version::Tls1_2;
        let (verdict, method, detail) = judge(&answer(), &[server_hello(0)], v);
        assert_eq!((verdict, method), (Verdict::No, Some(0)), "{detail}");
        let (verdict, method, detail) = judge(&answer(), &[server_hello(DEFLATE)], v);
        assert_eq!((verdict, method), (Verdict::Yes, Some(1)));
        assert!(detail.contains("DEFLATE (1)"), "{detail}");
        let (verdict, _, detail) = judge(&answer(), &[server_hello(9)], v);
        assert_eq!(verdict, Verdict::Yes);
        assert!(
            detail.contains("method 9, which was not offered"),
            "{detail}"
        );
    }

    #[test]
    fn no_server_hello_tells_nothing() {
        let (verdict, method, detail) = judge(&Answer::Closed, &[], Version::Tls1_2);
        assert_eq!((verdict, method), (Verdict::NotTestable, None));
        assert!(detail.contains("closed"), "{detail}");
        let (verdict, _, _) = judge(&answer(), &[], Version::Tls1_2);
        assert_eq!(verdict, Verdict::NotTestable);
    }
}
