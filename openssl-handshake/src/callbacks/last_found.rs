//! The recorders the trampolines last found on this thread, so that the
//! dozen or so callbacks of one OpenSSL call find theirs in ex_data once
//! rather than each time: the lookup (four calls across libssl and
//! libcrypto, often out of cache) was about 7 % of what tracing adds
//! to a TLS 1.2 resumption.
//!
//! An entry names its `SSL` by address, and a freed `SSL`'s address may be
//! handed to a new one, on any thread. So a recorder being dropped bumps a
//! count before its memory (and then its `SSL`'s) is freed, and an entry
//! holds the count read before its lookup: once it has moved, the entry is
//! stale. The counts are spread over buckets by `SSL` address, so that on
//! a busy many-core server a connection freed on one thread rarely makes
//! another thread's entries stale, and each bucket has its cache line to
//! itself, so that the bump moves only that line between cores.
// The entries hold pointers into other objects' ex_data.
#![allow(unsafe_code)]

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use openssl_sys::SSL;

use super::recorder::Recorder;

/// Recorders dropped (freed with their `SSL`, or replaced in place), by
/// bucket of their `SSL`'s address.
static RETIRED: [Bucket; BUCKETS] = [const { Bucket(AtomicU64::new(0)) }; BUCKETS];

const BUCKETS: usize = 64;

#[repr(align(64))]
struct Bucket(AtomicU64);

/// The bucket of the `SSL` at `ssl`: the top bits of a Fibonacci hash of
/// its address.
#[inline]
fn bucket(ssl: *const SSL) -> &'static AtomicU64 {
    let hash = (ssl as usize as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    &RETIRED[(hash >> (64 - BUCKETS.trailing_zeros())) as usize].0
}

#[derive(Clone, Copy)]
struct Entry {
    ssl: *const SSL,
    recorder: *const Recorder,
    /// Its bucket's count, read before the lookup that found `recorder`.
    retired: u64,
}

const EMPTY: Entry = Entry {
    ssl: std::ptr::null(),
    recorder: std::ptr::null(),
    retired: 0,
};

thread_local! {
    // Two entries, the last found first: one thread driving both ends of
    // a connection (a proxy, a test) alternates between two `SSL`s.
    // Const-initialized and without a destructor: reading it is a load
    // from the thread's block.
    static LAST: Cell<[Entry; 2]> = const { Cell::new([EMPTY; 2]) };
}

/// `ssl`'s recorder, if it is one of the two last found on this thread
/// and no recorder of an `SSL` in its bucket has been dropped since.
#[inline]
pub(super) fn get<'a>(ssl: *mut SSL) -> Option<&'a Recorder> {
    let ssl = ssl.cast_const();
    let entries = LAST.try_with(Cell::get).ok()?;
    let entry = entries.iter().find(|e| e.ssl == ssl)?;
    // Relaxed: what makes a bump visible here is the chain below, not
    // this load's ordering.
    if entry.retired != bucket(ssl).load(Relaxed) {
        return None;
    }
    // SAFETY: the entry was made (`remember`) from `ssl`'s ex_data, under
    // its bucket's count read before that lookup. The count is unchanged,
    // so no recorder of an SSL at this address has been dropped since:
    // this one is alive and is still `ssl`'s (a replacement drops the old
    // one in place, which counts). Had `ssl` been freed and its address
    // reused, the count would have moved: `retire` runs before the
    // recorder's memory and then the SSL's are freed, a free happens
    // before the allocation that reuses its memory (C11 7.22.3, which an
    // allocator given to `CRYPTO_set_mem_functions` must honour too, or
    // OpenSSL's own writes to reused memory would race), and that
    // allocation before this callback on the new SSL, whose load then
    // sees the bump (read-after-write coherence). An empty entry never
    // matches: OpenSSL calls back about a live, non-null SSL.
    Some(unsafe { &*entry.recorder })
}

/// The count to pass to [`remember`], read before the lookup it guards.
#[inline]
pub(super) fn count(ssl: *mut SSL) -> u64 {
    bucket(ssl.cast_const()).load(Relaxed)
}

/// Makes `recorder`, just found in `ssl`'s ex_data after reading `count`,
/// this thread's first entry; the first becomes the second.
#[inline]
pub(super) fn remember(ssl: *mut SSL, recorder: &Recorder, count: u64) {
    let made = Entry {
        ssl: ssl.cast_const(),
        recorder,
        retired: count,
    };
    let _ = LAST.try_with(|last| {
        let [first, second] = last.get();
        // A stale entry of the same SSL gives way rather than the other.
        let kept = if first.ssl == made.ssl { second } else { first };
        last.set([made, kept]);
    });
}

/// Makes stale every entry, on every thread, of an `SSL` in `owner`'s
/// bucket: the recorder of the `SSL` at `owner` is being dropped.
pub(super) fn retire(owner: *const SSL) {
    bucket(owner).fetch_add(1, Relaxed);
}
