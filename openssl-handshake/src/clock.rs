//! The time every log entry carries, read once per callback.
//!
//! A resumed handshake makes about twenty callbacks on each side, and
//! reading the time was a quarter of what each cost: `Instant::elapsed` is
//! three out-of-line calls and a `clock_gettime` through the vDSO. Where Linux itself keeps
//! time with the TSC (its clocksource is `tsc`, which it picks only when
//! the counter is invariant and synchronised across CPUs), this reads the
//! counter directly and scales it by a rate measured against
//! `CLOCK_MONOTONIC`. Elsewhere, and until the rate is known, it reads
//! `CLOCK_MONOTONIC` itself, the clock `Instant` uses on Unix.
// Reading the clock and the time stamp counter are libc and CPU intrinsics.
#![allow(unsafe_code)]

use libc::{clock_gettime, timespec, CLOCK_MONOTONIC};

/// Where Linux says which clock it keeps time with.
#[cfg_attr(not(any(test, target_arch = "x86_64")), allow(dead_code))]
const CLOCKSOURCE: &str = "/sys/devices/system/clocksource/clocksource0/current_clocksource";

/// Microseconds since a fixed start.
pub(crate) struct Clock {
    origin: Origin,
}

enum Origin {
    /// Counter ticks at the start, and microseconds per tick in 32.32
    /// fixed point.
    Counter {
        ticks: u64,
        scale: u64,
    },
    Monotonic(timespec),
}

/// Decides, once per process and off the handshake path, whether clocks
/// may use the time stamp counter (it reads a sysfs file).
pub(crate) fn prepare() {
    counter::prepare();
}

impl Clock {
    /// A clock that reads 0 now.
    pub(crate) fn start() -> Self {
        let origin = match counter::now_and_scale() {
            Some((ticks, scale)) => Origin::Counter { ticks, scale },
            None => Origin::Monotonic(monotonic()),
        };
        Clock { origin }
    }

    /// Whole microseconds since [`Clock::start`].
    #[inline]
    pub(crate) fn micros(&self) -> u64 {
        let micros = match self.origin {
            Origin::Counter { ticks, scale } => {
                let elapsed = counter::read().saturating_sub(ticks);
                (u128::from(elapsed) * u128::from(scale)) >> 32
            }
            Origin::Monotonic(origin) => u128::from(nanos_between(origin, monotonic()) / 1_000),
        };
        u64::try_from(micros).unwrap_or(u64::MAX)
    }
}

#[inline]
fn monotonic() -> timespec {
    let mut t = timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec. CLOCK_MONOTONIC exists on
    // every platform OpenSSL's callbacks run on, so the call cannot fail;
    // a failure would leave `t` zero, which reads as time 0.
    unsafe { clock_gettime(CLOCK_MONOTONIC, &mut t) };
    t
}

/// Nanoseconds from `a` to `b`, 0 if `b` is earlier.
fn nanos_between(a: timespec, b: timespec) -> u64 {
    let secs = i128::from(b.tv_sec) - i128::from(a.tv_sec);
    let nanos = secs * 1_000_000_000 + i128::from(b.tv_nsec) - i128::from(a.tv_nsec);
    u64::try_from(nanos.max(0)).unwrap_or(u64::MAX)
}

#[cfg(target_arch = "x86_64")]
mod counter {
    //! The time stamp counter and its rate.
    //!
    //! The rate is measured between the first reading the process takes and
    //! later ones, each a counter value bracketed by a `CLOCK_MONOTONIC`
    //! read. It is first used once the two are 10 ms apart, and measured
    //! again each time the span has doubled, so its error falls from a few
    //! parts in 10⁵ to nothing that shows at microsecond resolution.

    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::sync::OnceLock;

    use super::{monotonic, nanos_between, timespec};

    /// Microseconds per tick, 32.32 fixed point; 0 until measured.
    static SCALE: AtomicU64 = AtomicU64::new(0);
    /// The span, in ticks, `SCALE` was measured over.
    static SPAN: AtomicU64 = AtomicU64::new(0);
    /// The first reading, or `None` where the counter is not Linux's clock.
    static BASE: OnceLock<Option<Reading>> = OnceLock::new();

    /// Spans shorter than this do not set a rate.
    const FIRST_SPAN_NANOS: u64 = 10_000_000;
    /// A reading whose two counter values lie further apart than this
    /// (about a microsecond; the clock read between them takes tens of
    /// ticks) was interrupted and says too little about when the clock was
    /// read.
    const MAX_BRACKET_TICKS: u64 = 2_000;

    #[derive(Clone, Copy)]
    struct Reading {
        ticks: u64,
        at: timespec,
    }

    #[inline]
    pub(super) fn read() -> u64 {
        // SAFETY: RDTSC exists on every x86_64 CPU and has no preconditions.
        unsafe { core::arch::x86_64::_rdtsc() }
    }

    pub(super) fn prepare() {
        BASE.get_or_init(first_reading);
    }

    /// The counter now and its rate, once the rate is known.
    pub(super) fn now_and_scale() -> Option<(u64, u64)> {
        let base = (*BASE.get()?)?;
        let ticks = read();
        let scale = SCALE.load(Relaxed);
        // Until there is a rate, the monotonic clock says when enough time
        // has passed to measure one; after, the counter says when the span
        // has doubled.
        let due = if scale == 0 {
            nanos_between(base.at, monotonic()) >= FIRST_SPAN_NANOS
        } else {
            ticks.saturating_sub(base.ticks) >= SPAN.load(Relaxed).saturating_mul(2)
        };
        if due {
            remeasure(base);
        }
        let scale = match scale {
            0 => SCALE.load(Relaxed),
            s => s,
        };
        (scale != 0).then_some((ticks, scale))
    }

    fn first_reading() -> Option<Reading> {
        let source = std::fs::read_to_string(super::CLOCKSOURCE).ok()?;
        if source.trim() != "tsc" {
            return None;
        }
        reading()
    }

    /// The counter and the monotonic clock read together; three tries, as
    /// something may come between the reads.
    fn reading() -> Option<Reading> {
        (0..3).find_map(|_| bracketed())
    }

    fn bracketed() -> Option<Reading> {
        let before = read();
        let at = monotonic();
        let after = read();
        (after.wrapping_sub(before) <= MAX_BRACKET_TICKS).then_some(Reading {
            ticks: before / 2 + after / 2,
            at,
        })
    }

    /// Measures the rate over the span since `base`. Threads racing here
    /// store rates measured over about the same span; any of them will do.
    #[cold]
    #[inline(never)]
    fn remeasure(base: Reading) {
        let Some(now) = reading() else {
            return;
        };
        let nanos = nanos_between(base.at, now.at);
        let ticks = now.ticks.saturating_sub(base.ticks);
        if ticks == 0 || nanos == 0 {
            return;
        }
        let scale = (u128::from(nanos) << 32) / (u128::from(ticks) * 1_000);
        if let Ok(scale) = u64::try_from(scale) {
            SCALE.store(scale, Relaxed);
            SPAN.store(ticks, Relaxed);
        }
    }

    /// Whether clocks may use the counter: it is Linux's clock and could
    /// be read together with the monotonic clock.
    #[cfg(test)]
    pub(super) fn usable() -> bool {
        matches!(BASE.get(), Some(Some(_)))
    }

    #[cfg(test)]
    pub(super) fn rate_measured() -> bool {
        SCALE.load(Relaxed) != 0
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod counter {
    //! No counter is used off x86_64: every clock reads `CLOCK_MONOTONIC`.

    pub(super) fn read() -> u64 {
        0
    }

    pub(super) fn prepare() {}

    pub(super) fn now_and_scale() -> Option<(u64, u64)> {
        None
    }

    #[cfg(test)]
    pub(super) fn usable() -> bool {
        false
    }

    #[cfg(test)]
    pub(super) fn rate_measured() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// A clock agrees with `Instant` over a measured interval: its origin
    /// lies between `t0` and `t1`, so its reading lies between the two
    /// elapsed times read around it, less the microsecond truncation and
    /// the counter's rate error.
    fn agrees_with_instant(sleep: Duration) {
        prepare();
        let t0 = Instant::now();
        let clock = Clock::start();
        let t1 = Instant::now();
        std::thread::sleep(sleep);
        let low = t1.elapsed();
        let read = Duration::from_micros(clock.micros());
        let high = t0.elapsed();
        let slack = Duration::from_micros(2) + high / 10_000;
        assert!(read + slack >= low, "{read:?} < {low:?}");
        assert!(read <= high + slack, "{read:?} > {high:?}");
    }

    /// Both before the counter's rate is known and after: by the time the
    /// second clock starts, 10 ms have passed since the first reading.
    /// Where Linux keeps time with the counter, the second clock uses it,
    /// except under valgrind, whose clock reads are too slow to bracket.
    #[test]
    fn micros_track_instant() {
        agrees_with_instant(Duration::from_millis(20));
        agrees_with_instant(Duration::from_millis(20));
        let tsc = std::fs::read_to_string(CLOCKSOURCE).is_ok_and(|s| s.trim() == "tsc");
        let valgrind = std::env::var("LD_PRELOAD").is_ok_and(|p| p.contains("vgpreload"));
        if cfg!(target_arch = "x86_64") && tsc && !valgrind {
            assert!(counter::usable(), "the counter could not be bracketed");
        }
        if counter::usable() {
            assert!(counter::rate_measured());
            assert!(matches!(Clock::start().origin, Origin::Counter { .. }));
        }
    }
}
