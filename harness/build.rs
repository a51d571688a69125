//! Tells the rustls peer which rustls it was built with: the version
//! Cargo.lock resolved, so reports name the implementation exactly.

fn main() {
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
