//! Runs every configuration: workloads traced and untraced interleaved
//! round by round, with the crypto limits measured in the same rounds,
//! and turns the timings into report rows.
//!
//! Noise reduction: each workload is calibrated to a batch length, then
//! measured in `rounds` rounds. In each round the untraced and traced
//! variants take turns in `slices` slices of the batch, in an order that
//! flips from slice to slice (and the crypto limit runs after them), so
//! drift and bursts of load from other processes hit both alike. Each
//! slice is timed in the thread's CPU time as well as in wall time: the
//! figures come from CPU time, which a process the scheduler runs
//! instead does not inflate, and the ratio of the two (the CPU share) is
//! kept per round to show how busy the host was. Figures are medians
//! over rounds; a ratio is the median of the per-round ratios; `noise` is
//! the spread (max − min) / median of the untraced figure across rounds.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use regex::Regex;
use serde::{Deserialize, Serialize};
use testkit::pki::Pki;

use crate::config::{Config, Resumption, BULK_SIZES, BULK_SUITES, HANDSHAKES};
use crate::error::BenchError;
use crate::limit::{self, HandshakeLimits};
use crate::report::{BenchReport, Kind, Row};
use crate::sys::thread_cpu_time;
use crate::workload::{self, BulkContexts, HandshakeWorkload, Timing};

mod rows;
use rows::{bulk_row, handshake_row, loopback_row, Measured, Round};

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct BenchOptions {
    /// Short batches and fewer rounds: the whole run takes well under a
    /// minute, at the price of more noise.
    pub quick: bool,
    /// Runs only the rows whose id matches, e.g. `^bulk/default/tls13`.
    pub filter: Option<Regex>,
    /// Rounds per row instead of the default (21, or 3 with `quick`).
    pub rounds: Option<usize>,
}

/// How long and how often each figure is measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// Rounds per workload; each round runs every variant once.
    pub rounds: usize,
    /// Target length of one variant's batch in one round, ms.
    pub batch_ms: u64,
    /// Turns each variant's batch takes per round, alternating with the
    /// other variant's. Reports from before slicing read as 1.
    #[serde(default = "one_slice")]
    pub slices: u64,
    /// Time spent measuring each public-key operation in each round of a
    /// handshake row, ms (wall time; the cost is taken in CPU time).
    pub limit_budget_ms: u64,
    /// Connections held open by each memory measurement.
    pub memory_connections: usize,
}

impl Method {
    fn for_options(opts: &BenchOptions) -> Method {
        let mut method = Method::defaults(opts.quick);
        if let Some(rounds) = opts.rounds {
            method.rounds = rounds.max(1);
        }
        method
    }

    pub(crate) fn defaults(quick: bool) -> Method {
        if quick {
            Method {
                rounds: 3,
                batch_ms: 25,
                slices: 5,
                limit_budget_ms: 5,
                memory_connections: 32,
            }
        } else {
            // Many short rounds rather than a few long ones: on a shared
            // machine a burst of load then spoils a few per-round ratios,
            // which the median sets aside, instead of a third of them.
            // Within a round, ten 5 ms turns per variant rather than one of
            // 50 ms: a burst shorter than a round then lands on both
            // variants. On a shared 2-core host this cut the standard
            // deviation of one run's TLS 1.2 resumption ratio from about 2
            // points to under 1.
            Method {
                rounds: 21,
                batch_ms: 50,
                slices: 10,
                limit_budget_ms: 10,
                memory_connections: 128,
            }
        }
    }

    fn batch(&self) -> Duration {
        Duration::from_millis(self.batch_ms)
    }
}

fn one_slice() -> u64 {
    1
}

/// Runs the benchmark and returns its report.
pub fn run(opts: &BenchOptions) -> Result<BenchReport, BenchError> {
    let started = Instant::now();
    let method = Method::for_options(opts);
    let wants = |id: &str| opts.filter.as_ref().is_none_or(|r| r.is_match(id));
    let pki = Pki::generate()?;
    let limits = HandshakeLimits::new(&pki, Duration::from_millis(method.limit_budget_ms));
    let mut rows = Vec::new();

    for config in Config::ALL {
        for case in &HANDSHAKES {
            let id = format!("handshake/{config}/{}", case.name);
            if !wants(&id) {
                continue;
            }
            let mut u = HandshakeWorkload::full(&pki, case, config, false)?;
            let mut t = HandshakeWorkload::full(&pki, case, config, true)?;
            let mut bound = || Ok(1.0 / limits.full(case)?.as_secs_f64());
            let (n, rounds) = sample(
                &method,
                &mut |n| u.run(n),
                &mut |n| t.run(n),
                Some(&mut bound),
            )?;
            rows.push(handshake_row(id, Kind::Handshake, config, n, &rounds));
        }
        for kind in Resumption::ALL {
            // Traced as shipped, then traced with messages(false) (states,
            // alerts and timings), each against untraced in its own row.
            for states_only in [false, true] {
                let id = match states_only {
                    false => format!("resumption/{config}/{}", kind.name()),
                    true => format!("resumption/{config}/{}/states-only", kind.name()),
                };
                if !wants(&id) {
                    continue;
                }
                let mut u = HandshakeWorkload::resumed(&pki, kind, config, false)?;
                let mut t = match states_only {
                    false => HandshakeWorkload::resumed(&pki, kind, config, true)?,
                    true => HandshakeWorkload::resumed_states_only(&pki, kind, config)?,
                };
                let group = kind.case().group;
                let mut bound = || Ok(1.0 / limits.key_exchange(group)?.as_secs_f64());
                let bound: Option<&mut Limit<'_, f64>> = match kind {
                    Resumption::Tls13Psk => Some(&mut bound),
                    // No public-key operation at all: no bound to compare with.
                    Resumption::Tls12SessionId | Resumption::Tls12Ticket => None,
                };
                let (n, rounds) = sample(&method, &mut |n| u.run(n), &mut |n| t.run(n), bound)?;
                rows.push(handshake_row(id, Kind::Resumption, config, n, &rounds));
            }
        }
        for suite in &BULK_SUITES {
            for size in BULK_SIZES {
                let base = format!("bulk/{config}/{}/{}", suite.name, size_label(size));
                let (send, receive) = (format!("{base}/send"), format!("{base}/receive"));
                if !wants(&send) && !wants(&receive) {
                    continue;
                }
                // A fresh connection per slice: where OpenSSL's buffers and
                // the payload land in memory moves AES-GCM throughput by up
                // to ±10 % (two untraced connections alive at once differ
                // that much), so a pair of long-lived connections would
                // measure their placement, not tracing. Made one after the
                // other, the two variants reuse the same memory.
                let budget = method.batch() / 2;
                // A write goes out as records of at most 16 KiB, so the
                // limit is taken at that record size: a 1 KiB write pays
                // the per-record work (nonce, tag) on every 1 KiB.
                let record = size.min(limit::RECORD);
                let mut raw = || limit::aead(suite.cipher, record, budget);
                let untraced = BulkContexts::new(&pki, suite, config, false)?;
                let traced = BulkContexts::new(&pki, suite, config, true)?;
                let (n, rounds) = sample(
                    &method,
                    &mut |n| untraced.connect(size)?.run(n),
                    &mut |n| traced.connect(size)?.run(n),
                    Some(&mut raw),
                )?;
                let bytes = (n as usize * size) as f64;
                for (id, is_send) in [(send, true), (receive, false)] {
                    if wants(&id) {
                        rows.push(bulk_row(id, config, bytes, &rounds, is_send));
                    }
                }
            }
        }
        // The ECDSA chain is small; the RSA one (2048-bit leaf) shows how
        // the figures grow with the certificates.
        for case in [HANDSHAKES[3], HANDSHAKES[2]] {
            let base = format!("memory/{config}/{}", case.name);
            let (client_id, server_id) = (format!("{base}/client"), format!("{base}/server"));
            if !wants(&client_id) && !wants(&server_id) {
                continue;
            }
            let mut samples = Vec::new();
            for _ in 0..method.rounds.min(3) {
                let conns = method.memory_connections;
                let u = workload::memory_per_connection(&pki, case, config, false, conns)?;
                let t = workload::memory_per_connection(&pki, case, config, true, conns)?;
                samples.push((u, t));
            }
            let side = |f: fn(&workload::MemoryUse) -> f64| -> Vec<(f64, f64)> {
                samples.iter().map(|(u, t)| (f(u), f(t))).collect()
            };
            for (id, pairs) in [
                (client_id, side(|m| m.client)),
                (server_id, side(|m| m.server)),
            ] {
                if wants(&id) {
                    rows.push(Row::from_pairs(
                        id,
                        Kind::Memory,
                        config,
                        "bytes/conn",
                        &pairs,
                    ));
                }
            }
        }
        let case = &HANDSHAKES[3];
        let id = format!("loopback/{config}/{}", case.name);
        if wants(&id) {
            let untraced = HandshakeWorkload::full(&pki, case, config, false)?;
            let traced = HandshakeWorkload::full(&pki, case, config, true)?;
            let mut bound = || Ok(1.0 / limits.full(case)?.as_secs_f64());
            let (n, rounds) = sample(
                &method,
                &mut |n| untraced.run_over_loopback(n),
                &mut |n| traced.run_over_loopback(n),
                Some(&mut bound),
            )?;
            rows.push(loopback_row(id, config, n, &rounds));
        }
    }
    if rows.is_empty() {
        // Nothing was measured (every row was skipped before its work).
        let filter = opts.filter.as_ref().map_or("", |r| r.as_str());
        return Err(BenchError::NothingSelected(filter.to_owned()));
    }
    Ok(BenchReport::new(
        opts.quick,
        method,
        rows,
        started.elapsed(),
    ))
}

type Variant<'a> = dyn FnMut(u64) -> Result<Timing, BenchError> + 'a;
/// A crypto limit measured once per round, after the round's slices.
type Limit<'a, L> = dyn FnMut() -> Result<L, BenchError> + 'a;

/// Calibrates the batch size on the untraced variant, then runs the
/// rounds. Returns the batch size (whole slices, so it may round the
/// calibrated size) and each round's figures.
fn sample<L>(
    method: &Method,
    untraced: &mut Variant<'_>,
    traced: &mut Variant<'_>,
    mut limit: Option<&mut Limit<'_, L>>,
) -> Result<(u64, Vec<Round<L>>), BenchError> {
    let slices = method.slices.max(1);
    let slice = calibrate(untraced, method.batch())?.div_ceil(slices);
    traced(1)?;
    let mut rounds = Vec::with_capacity(method.rounds);
    for r in 0..method.rounds {
        let (mut u, mut t) = (Measured::default(), Measured::default());
        for s in 0..slices {
            if (r as u64 + s).is_multiple_of(2) {
                u += timed(untraced, slice)?;
                t += timed(traced, slice)?;
            } else {
                t += timed(traced, slice)?;
                u += timed(untraced, slice)?;
            }
        }
        let limit = match limit.as_mut() {
            Some(f) => Some(f()?),
            None => None,
        };
        rounds.push(Round {
            untraced: u,
            traced: t,
            limit,
        });
    }
    Ok((slice * slices, rounds))
}

/// One slice of `n` iterations, timed as a whole in thread CPU time and
/// in wall time.
fn timed(f: &mut Variant<'_>, n: u64) -> Result<Measured, BenchError> {
    let (wall, cpu) = (Instant::now(), thread_cpu_time());
    let sides = f(n)?;
    let cpu = thread_cpu_time().saturating_sub(cpu);
    Ok(Measured::slice(sides, cpu, wall.elapsed()))
}

/// The number of iterations that takes about `batch`.
fn calibrate(f: &mut Variant<'_>, batch: Duration) -> Result<u64, BenchError> {
    f(1)?;
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        f(n)?;
        let elapsed = start.elapsed();
        if elapsed >= batch / 8 || n >= 1 << 24 {
            let scaled = n as f64 * batch.as_secs_f64() / elapsed.as_secs_f64().max(1e-9);
            return Ok(scaled.ceil().max(1.0) as u64);
        }
        n *= 4;
    }
}

fn size_label(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{}MiB", s >> 20),
        s if s >= 1 << 10 => format!("{}KiB", s >> 10),
        s => format!("{s}B"),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Within a round the variants take turns slice by slice, the order
    /// flipping each slice and each round, and the batch is whole slices.
    #[test]
    fn the_variants_take_turns_in_slices_whose_order_flips() {
        let calls = RefCell::new(String::new());
        let variant = |name: char| {
            let calls = &calls;
            move |n: u64| -> Result<Timing, BenchError> {
                calls.borrow_mut().push(name);
                assert_eq!(n, 1, "a zero-length batch calibrates to one per slice");
                Ok(Timing::default())
            }
        };
        let method = Method {
            rounds: 2,
            batch_ms: 0,
            slices: 3,
            limit_budget_ms: 0,
            memory_connections: 0,
        };
        let none: Option<&mut Limit<'_, f64>> = None;
        let (n, rounds) = sample(&method, &mut variant('u'), &mut variant('t'), none).unwrap();
        assert_eq!(n, 3);
        assert_eq!(rounds.len(), 2);
        // Two calibration calls and a warm-up, then round 0's slices, then
        // round 1's.
        let expected = ["uut", "ut", "tu", "ut", "tu", "ut", "tu"].concat();
        assert_eq!(calls.into_inner(), expected);
    }
}
