//! The handshake-message decoder on arbitrary bytes. The first input byte
//! picks the context: bit 0 the TLS 1.3 layouts, bit 1 a known TLS 1.2
//! version, bits 2-3 the selected suite's key exchange (none, ECDHE, DHE,
//! RSA). The rest is the message (type, length, body), which the
//! SSLv2-format ClientHello decoder reads too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openssl_handshake::decode::{decode_handshake_in, decode_sslv2_client_hello, DecodeContext};
use openssl_handshake::ProtocolVersion;

fuzz_target!(|data: &[u8]| {
    if let Some((flags, msg)) = data.split_first() {
        let version = match flags & 3 {
            1 | 3 => Some(ProtocolVersion::Tls1_3),
            2 => Some(ProtocolVersion::Tls1_2),
            _ => None,
        };
        let suite = match (flags >> 2) & 3 {
            1 => Some(0xc02f), // ECDHE-RSA-AES128-GCM-SHA256
            2 => Some(0x009e), // DHE-RSA-AES128-GCM-SHA256
            3 => Some(0x009c), // AES128-GCM-SHA256 (RSA key transport)
            _ => None,
        };
        let _ = decode_handshake_in(msg, DecodeContext::new(version, suite));
        let _ = decode_sslv2_client_hello(msg);
    }
});
