//! Panics kept out of the `openssl` crate's callback trampolines.
//!
//! The closures the harness gives `set_servername_callback`,
//! `set_alpn_select_callback`, the PSK and key log setters run inside
//! `extern "C"` functions of the `openssl` crate, which do not catch
//! panics: one there aborts the whole run (every case of a matrix, the
//! serve loop) instead of failing one handshake. Each closure's body goes
//! through [`no_unwind`], which turns a panic into the callback's refusal.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body`; if it panics, returns `refusal` instead, after the panic
/// hook has printed the panic, so the handshake fails with the alert the
/// refusal stands for and the run goes on.
pub fn no_unwind<R>(refusal: R, body: impl FnOnce() -> R) -> R {
    // AssertUnwindSafe: after a panic the callback's state is not used
    // again by this call; the handshake it served fails.
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(refusal)
}

#[cfg(test)]
mod tests {
    use super::no_unwind;

    #[test]
    fn a_panic_becomes_the_refusal() {
        assert_eq!(
            no_unwind(Err(()), || -> Result<u8, ()> { panic!("in a callback") }),
            Err(())
        );
        assert_eq!(no_unwind(Err(()), || Ok(7)), Ok(7));
    }
}
