//! The texts OpenSSL prints for each handshake state, learnt as states are
//! met, so that a log entry needs only the state's number.
//!
//! `SSL_state_string_long` and `SSL_state_string` depend on the state
//! alone, except that both say "error" once the `SSL` is in error. The
//! first pointer pair seen for a state (outside error) is kept in a slot
//! indexed by the state; any other pair is handed back to be stored whole.

use std::borrow::Cow;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use libc::c_char;
use openssl::ssl::SslRef;

use super::StaticText;

/// A state's texts: the learnt ones for its number, or a pair of its own.
#[derive(Clone, Copy)]
pub(crate) enum StateTexts {
    Learnt(u32),
    Own(StaticText, StaticText),
}

impl StateTexts {
    /// `SSL_state_string_long` and `SSL_state_string`.
    pub(crate) fn texts(self) -> (Cow<'static, str>, Cow<'static, str>) {
        let (long, short) = match self {
            StateTexts::Learnt(state) => match SLOTS.get(state as usize) {
                Some(slot) => (slot.long.load(Ordering::Acquire), slot.short()),
                None => (ptr::null_mut(), ptr::null_mut()),
            },
            StateTexts::Own(long, short) => return (long.text(), short.text()),
        };
        (StaticText(long).text(), StaticText(short).text())
    }
}

/// The texts `ssl` gives for its current state, `state`.
pub(crate) fn state_texts(ssl: &SslRef, state: u32) -> StateTexts {
    let long = super::state_string_long(ssl);
    let Some(slot) = SLOTS.get(state as usize) else {
        return StateTexts::Own(long, super::state_string_short(ssl));
    };
    let learnt = slot.long.load(Ordering::Acquire);
    if ptr::eq(learnt, long.0) {
        return StateTexts::Learnt(state);
    }
    let short = super::state_string_short(ssl);
    if learnt.is_null() && long.text() != ERROR {
        // Racing threads store the same pair, so either store may win; the
        // release on `long` publishes `short` to whoever reads it.
        slot.short.store(short.0.cast_mut(), Ordering::Relaxed);
        let won = slot.long.compare_exchange(
            ptr::null_mut(),
            long.0.cast_mut(),
            Ordering::Release,
            Ordering::Acquire,
        );
        if won.is_ok() || won.is_err_and(|p| ptr::eq(p, long.0)) {
            return StateTexts::Learnt(state);
        }
    }
    StateTexts::Own(long, short)
}

/// What `SSL_state_string_long` says of an `SSL` in error, whatever its state.
const ERROR: &str = "error";

/// More than any `OSSL_HANDSHAKE_STATE` so far (3.x have about 50).
const SLOT_COUNT: usize = 128;

struct Slot {
    long: AtomicPtr<c_char>,
    short: AtomicPtr<c_char>,
}

impl Slot {
    // Only ever copied into `SLOTS`' initializer, which is what it is for.
    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        long: AtomicPtr::new(ptr::null_mut()),
        short: AtomicPtr::new(ptr::null_mut()),
    };

    /// Read only after `long` was seen set, which published it.
    fn short(&self) -> *mut c_char {
        self.short.load(Ordering::Relaxed)
    }
}

static SLOTS: [Slot; SLOT_COUNT] = [Slot::EMPTY; SLOT_COUNT];

#[cfg(test)]
mod tests {
    use openssl::ssl::{Ssl, SslContext, SslMethod};

    use super::*;

    /// A fresh SSL is in TLS_ST_BEFORE; its texts come back the same
    /// whether learnt or not.
    #[test]
    fn learnt_texts_are_the_ones_openssl_gave() {
        let ctx = SslContext::builder(SslMethod::tls())
            .expect("context")
            .build();
        let ssl = Ssl::new(&ctx).expect("ssl");
        let state = super::super::state(&ssl).raw();
        let (long, short) = (
            super::super::state_string_long(&ssl).text(),
            super::super::state_string_short(&ssl).text(),
        );
        assert_eq!(long, "before SSL initialization");
        for _ in 0..2 {
            let texts = state_texts(&ssl, state);
            assert!(matches!(texts, StateTexts::Learnt(s) if s == state));
            assert_eq!(texts.texts(), (long.clone(), short.clone()));
        }
    }
}
