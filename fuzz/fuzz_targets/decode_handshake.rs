//! The handshake-message decoder on arbitrary bytes: the first input byte
//! picks the TLS 1.3 layouts, the rest is the message (type, length, body).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((flag, msg)) = data.split_first() {
        let _ = openssl_handshake::decode::decode_handshake(msg, flag & 1 == 1);
    }
});
