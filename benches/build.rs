//! Passes on where openssl-sys found the linked OpenSSL's headers
//! (`DEP_OPENSSL_INCLUDE`, exported to crates that depend on it directly),
//! so the test of `sys.rs`'s constant reads the headers that match.

fn main() {
    if let Ok(include) = std::env::var("DEP_OPENSSL_INCLUDE") {
        println!("cargo:rustc-env=BENCHES_OPENSSL_INCLUDE={include}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
