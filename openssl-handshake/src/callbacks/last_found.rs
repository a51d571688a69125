//! The recorder the trampolines last found on this thread, so that the
//! dozen or so callbacks of one OpenSSL call find it in ex_data once
//! rather than each time: the lookup (four calls across libssl and
//! libcrypto, often out of cache) is about a tenth of what tracing adds to
//! a TLS 1.2 resumption.
//!
//! An entry names its `SSL` by address, and a freed `SSL`'s address may be
//! handed to a new one, on any thread. So every recorder dropped counts in
//! [`RETIRED`] before its memory (and then its `SSL`'s) is freed, and an
//! entry holds the count read before its lookup: once any recorder has
//! been dropped since, every entry is stale. That costs a plain load per
//! callback, and a locked add per recorder dropped.
// The entry holds a pointer into another object's ex_data.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use openssl_sys::SSL;

use super::recorder::Recorder;

/// Recorders dropped (freed with their `SSL`, or replaced in place).
static RETIRED: AtomicU64 = AtomicU64::new(0);

/// Two entries, the last found first: one thread driving both ends of a
/// connection (a proxy, a test) alternates between two `SSL`s.
#[derive(Clone, Copy)]
struct Entries {
    ssl: [*const SSL; 2],
    recorder: [*const Recorder; 2],
    /// The count both entries were made under.
    retired: u64,
}

thread_local! {
    // Const-initialized and without a destructor: reading it is a load
    // from the thread's block, and it can never be gone.
    static LAST: Cell<Entries> = const {
        Cell::new(Entries {
            ssl: [std::ptr::null(); 2],
            recorder: [std::ptr::null(); 2],
            retired: 0,
        })
    };
}

/// `ssl`'s recorder, if it is one of the two last found on this thread
/// and no recorder has been dropped since.
#[inline]
pub(super) fn get<'a>(ssl: *mut SSL) -> Option<&'a Recorder> {
    let last = LAST.with(Cell::get);
    // Acquire pairs with `retire`'s release; what makes a dropped
    // recorder's count visible here is the chain below.
    if last.retired != RETIRED.load(Ordering::Acquire) {
        return None;
    }
    let slot = last.ssl.iter().position(|s| *s == ssl.cast_const())?;
    // SAFETY: the entry was made (`remember`) from `ssl`'s ex_data, under
    // a count read before that lookup; the count is unchanged, so no
    // recorder has been dropped since, and this one is alive and is still
    // `ssl`'s (a replacement drops the old one in place, which counts).
    // Had `ssl` been freed and its address reused, the count would have
    // moved: `retire` runs before the recorder's memory and then the
    // SSL's are freed, a free happens before the allocation that reuses
    // its memory (C11 7.22.3), and that allocation before this callback
    // on the new SSL. A null `ssl` is never passed (OpenSSL calls back
    // about a live SSL), so an empty entry never matches.
    Some(unsafe { &*last.recorder[slot] })
}

/// The count to pass to [`remember`], read before the lookup it guards.
#[inline]
pub(super) fn count() -> u64 {
    RETIRED.load(Ordering::Acquire)
}

/// Makes `recorder`, just found in `ssl`'s ex_data after reading `count`,
/// this thread's first entry; the other is the previous first, if it was
/// made under the same count (counts read on one thread never go down).
#[inline]
pub(super) fn remember(ssl: *mut SSL, recorder: &Recorder, count: u64) {
    LAST.with(|last| {
        let before = last.get();
        let kept = before.retired == count;
        last.set(Entries {
            ssl: [
                ssl.cast_const(),
                if kept {
                    before.ssl[0]
                } else {
                    std::ptr::null()
                },
            ],
            recorder: [
                recorder,
                if kept {
                    before.recorder[0]
                } else {
                    std::ptr::null()
                },
            ],
            retired: count,
        })
    });
}

/// Makes every thread's entries stale: a recorder is being dropped.
pub(super) fn retire() {
    RETIRED.fetch_add(1, Ordering::Release);
}
