//! Tells the harness about what it links:
//!
//! - the rustls peer which rustls it was built with: the version Cargo.lock
//!   resolved, so reports name the implementation exactly;
//! - src/ffi/ whether the linked OpenSSL has the SRP API it declares
//!   (cfg `ossl_srp`), and the test of those declarations where the headers
//!   are. openssl-sys exports `DEP_OPENSSL_CONF` (the `OPENSSL_NO_*`
//!   switches the library was built with) and `DEP_OPENSSL_INCLUDE` to
//!   crates that depend on it directly.

use std::env;

fn main() {
    rustls_version();
    openssl_srp();
}

fn rustls_version() {
    let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let mut lines = text.lines();
    let mut version = String::from("0.23");
    while let Some(l) = lines.next() {
        if l == "name = \"rustls\"" {
            if let Some(v) = lines
                .next()
                .and_then(|v| v.strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
            {
                version = v.to_string();
            }
            break;
        }
    }
    println!("cargo:rustc-env=HARNESS_RUSTLS_VERSION={version}");
}

fn openssl_srp() {
    println!("cargo:rustc-check-cfg=cfg(ossl_srp)");
    println!("cargo:rerun-if-env-changed=DEP_OPENSSL_CONF");
    let conf = env::var("DEP_OPENSSL_CONF").unwrap_or_default();
    // OpenSSL 3 declares the SRP API only with its 3.0 deprecations.
    let lacks_srp = conf
        .split(',')
        .any(|c| c == "OPENSSL_NO_SRP" || c == "OPENSSL_NO_DEPRECATED_3_0");
    if !lacks_srp {
        println!("cargo:rustc-cfg=ossl_srp");
    }
    if let Ok(include) = env::var("DEP_OPENSSL_INCLUDE") {
        println!("cargo:rustc-env=HARNESS_OPENSSL_INCLUDE={include}");
    }
}
