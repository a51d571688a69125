//! Reads what openssl-sys found about the linked OpenSSL.
//!
//! openssl-sys exports `DEP_OPENSSL_*` to crates that depend on it
//! directly: the version (hex), the header directory and the `OPENSSL_NO_*`
//! switches the library was built with.

use std::env;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(ossl320)");
    let version = env::var("DEP_OPENSSL_VERSION_NUMBER")
        .ok()
        .and_then(|v| u64::from_str_radix(&v, 16).ok())
        .unwrap_or(0);
    if version < 0x3000_0000 {
        panic!(
            "openssl-handshake needs OpenSSL 3.0 or newer, but openssl-sys found version \
             {version:#x}. Install libssl-dev (Debian 12 or newer) or build with \
             `--features vendored`."
        );
    }
    // SSL_get_negotiated_group names groups by NID before 3.2 and by
    // TLS group id from 3.2 on; both are handled, but tests note which.
    if version >= 0x3020_0000 {
        println!("cargo:rustc-cfg=ossl320");
    }
    if let Ok(include) = env::var("DEP_OPENSSL_INCLUDE") {
        println!("cargo:rustc-env=OPENSSL_HANDSHAKE_INCLUDE={include}");
    }
    println!(
        "cargo:rustc-env=OPENSSL_HANDSHAKE_CONF={}",
        env::var("DEP_OPENSSL_CONF").unwrap_or_default()
    );
    println!("cargo:rustc-env=OPENSSL_HANDSHAKE_VERSION_NUMBER={version:#x}");
}
