//! The texts OpenSSL prints for each handshake state, learnt as states are
//! met, so that a log entry needs only the state's number.
//!
//! `SSL_state_string_long` and `SSL_state_string` depend on the state
//! alone, except that both say "error" once the `SSL` is in error. The
//! first pointer pair seen for a state (outside error) is kept in a slot
//! indexed by the state; any other pair is handed back to be stored whole.

use std::borrow::Cow;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use libc::c_char;
use openssl::ssl::SslRef;

use super::StaticText;

/// A state as the info callback saw it: `SSL_get_state`'s raw value, and
/// its texts when they are not the ones learnt for that value.
#[derive(Clone, Copy)]
pub(crate) struct SeenState {
    pub(crate) state: u32,
    pub(crate) own: Option<(StaticText, StaticText)>,
}

impl SeenState {
    /// `SSL_state_string_long` and `SSL_state_string`.
    pub(crate) fn texts(self) -> (Cow<'static, str>, Cow<'static, str>) {
        let (long, short) = match (self.own, SLOTS.get(self.state as usize)) {
            (Some((long, short)), _) => return (long.text(), short.text()),
            (None, Some(slot)) => (slot.long.load(Ordering::Acquire), slot.short()),
            (None, None) => (ptr::null_mut(), ptr::null_mut()),
        };
        (StaticText(long).text(), StaticText(short).text())
    }
}

/// The state `ssl` is in, with its texts learnt or kept.
pub(crate) fn seen_state(ssl: &SslRef) -> SeenState {
    let state = super::state_raw(ssl);
    let long = super::state_string_long(ssl);
    let seen = |own| SeenState { state, own };
    let Some(slot) = SLOTS.get(state as usize) else {
        return seen(Some((long, super::state_string_short(ssl))));
    };
    let known = slot.long.load(Ordering::Acquire);
    if ptr::eq(known, long.0) {
        return seen(None);
    }
    let short = super::state_string_short(ssl);
    if known.is_null() && long.text() != ERROR {
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
            mark_learnt(state);
            return seen(None);
        }
    }
    seen(Some((long, short)))
}

/// The state a loop callback (`SSL_CB_LOOP`) reports. OpenSSL's state
/// machine makes those calls only as it moves on, never once the `SSL` is
/// in error (it refuses to run at all then), so a learnt state's texts are
/// the ones OpenSSL would give and need no call to ask: this is the path
/// taken for most states.
#[inline]
pub(crate) fn entered_state(ssl: &SslRef) -> SeenState {
    let state = super::state_raw(ssl);
    if learnt(state) {
        SeenState { state, own: None }
    } else {
        seen_state(ssl)
    }
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

/// One bit per slot, set once its texts are learnt: what the loop
/// callback checks, in one cache line rather than one per state.
static LEARNT: [AtomicU64; SLOT_COUNT / 64] = [const { AtomicU64::new(0) }; SLOT_COUNT / 64];

#[inline]
fn learnt(state: u32) -> bool {
    let state = state as usize;
    LEARNT
        .get(state / 64)
        .is_some_and(|bits| bits.load(Ordering::Acquire) & 1 << (state % 64) != 0)
}

/// Set once the slot's pointers are; the release publishes them to
/// whoever sees the bit.
fn mark_learnt(state: u32) {
    let state = state as usize;
    if let Some(bits) = LEARNT.get(state / 64) {
        bits.fetch_or(1 << (state % 64), Ordering::Release);
    }
}

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
        let state = super::super::state_raw(&ssl);
        let (long, short) = (
            super::super::state_string_long(&ssl).text(),
            super::super::state_string_short(&ssl).text(),
        );
        assert_eq!(long, "before SSL initialization");
        for _ in 0..2 {
            let seen = seen_state(&ssl);
            assert_eq!(seen.state, state);
            assert!(seen.own.is_none(), "learnt, not kept");
            assert_eq!(seen.texts(), (long.clone(), short.clone()));
        }
        // Learnt now, so the loop callback's path gives the same without
        // asking OpenSSL.
        assert!(learnt(state));
        let entered = entered_state(&ssl);
        assert_eq!(entered.state, state);
        assert!(entered.own.is_none());
        assert_eq!(entered.texts(), (long, short));
    }
}
