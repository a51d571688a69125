//! C that must compile against OpenSSL's headers: how each crate checks
//! the FFI declarations it writes by hand (functions, callback types,
//! constants) against ssl.h, since a mismatch compiles in Rust and fails
//! only at run time.

#[cfg(feature = "ffi-check")]
mod declared;

use std::path::PathBuf;
use std::process::Command;

#[cfg(feature = "ffi-check")]
pub use declared::{declared_functions, declared_in_tree, Declared};

use crate::command::output_of;

/// Compiles `source` (a whole C file, its `#include`s first) with `$CC`
/// (else `cc`) as C11, every warning an error, searching `include_dirs`
/// before the system's. Returns the compiler's diagnostics when it refuses
/// the source.
///
/// # Panics
///
/// When the compiler cannot be run, runs past a minute, or the source
/// cannot be written: a check that could not run must fail, not pass.
pub fn compile(source: &str, include_dirs: &[PathBuf]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary directory: {e}"));
    let src = dir.path().join("check.c");
    std::fs::write(&src, source).unwrap_or_else(|e| panic!("writing {}: {e}", src.display()));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let mut cmd = Command::new(&cc);
    cmd.args([
        "-std=c11",
        "-Wall",
        "-Werror",
        "-Wincompatible-pointer-types",
        "-fsyntax-only",
    ]);
    for d in include_dirs {
        cmd.arg("-I").arg(d);
    }
    let (status, _, stderr) = output_of(cmd.arg(&src), "gcc (the C compiler)");
    if status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&stderr).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::compile;

    #[test]
    fn a_match_compiles_and_a_mismatch_does_not() {
        let header = "#include <openssl/ssl.h>\n";
        compile(
            &format!("{header}int (*f)(const SSL *) = SSL_version;\n"),
            &[],
        )
        .expect("SSL_version's own prototype");
        let refused = compile(&format!("{header}long (*f)(SSL *) = SSL_version;\n"), &[])
            .expect_err("a wrong prototype");
        assert!(refused.contains("SSL_version"), "{refused}");
        let refused = compile(
            &format!("{header}_Static_assert(SSL_CB_LOOP == 2, \"SSL_CB_LOOP\");\n"),
            &[],
        )
        .expect_err("a wrong constant");
        assert!(refused.contains("SSL_CB_LOOP"), "{refused}");
    }
}
