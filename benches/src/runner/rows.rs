//! Per-round measurements and the report rows made from them.

use std::ops::AddAssign;
use std::time::Duration;

use crate::config::Config;
use crate::limit::AeadLimit;
use crate::report::{Kind, Row};
use crate::stats::{median, median_interval};
use crate::workload::Timing;

/// One variant's slices in one round.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Measured {
    /// Each side's time, summed around its own calls, scaled slice by
    /// slice by the slice's CPU share: the side's CPU time, as near as a
    /// clock read once per slice can tell it.
    pub sides: Timing,
    /// Each side's time as the workload timed it, wall time.
    pub sides_wall: Timing,
    /// Thread CPU time of the slices as a whole.
    pub cpu: Duration,
    /// Wall time of the slices as a whole.
    pub wall: Duration,
}

impl Measured {
    /// One slice: what the workload timed per side (wall time), and the
    /// slice's CPU and wall time.
    pub(crate) fn slice(sides: Timing, cpu: Duration, wall: Duration) -> Measured {
        // A clock's granularity can put the CPU time a hair above the
        // wall time; a side never ran faster than it did.
        let share = share(cpu, wall).min(1.0);
        Measured {
            sides: Timing {
                client: sides.client.mul_f64(share),
                server: sides.server.mul_f64(share),
            },
            sides_wall: sides,
            cpu,
            wall,
        }
    }
}

impl AddAssign for Measured {
    fn add_assign(&mut self, rhs: Measured) {
        self.sides += rhs.sides;
        self.sides_wall += rhs.sides_wall;
        self.cpu += rhs.cpu;
        self.wall += rhs.wall;
    }
}

/// CPU time over wall time; 1 when no time passed.
fn share(cpu: Duration, wall: Duration) -> f64 {
    if wall.is_zero() {
        1.0
    } else {
        cpu.as_secs_f64() / wall.as_secs_f64()
    }
}

/// One round's measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Round<L> {
    pub untraced: Measured,
    pub traced: Measured,
    /// The crypto limit measured after the round's slices.
    pub limit: Option<L>,
}

impl<L> Round<L> {
    /// The share of a CPU this thread had over the round's slices, both
    /// variants together.
    pub(crate) fn cpu_share(&self) -> f64 {
        share(
            self.untraced.cpu + self.traced.cpu,
            self.untraced.wall + self.traced.wall,
        )
    }
}

/// A row of handshakes on one thread: the rate is `n` over the slices'
/// CPU time, the sides' µs their CPU time per handshake.
pub(crate) fn handshake_row(
    id: String,
    kind: Kind,
    config: Config,
    n: u64,
    rounds: &[Round<f64>],
) -> Row {
    let rate = |m: &Measured| n as f64 / m.cpu.as_secs_f64();
    let pairs: Vec<(f64, f64)> = rounds
        .iter()
        .map(|r| (rate(&r.untraced), rate(&r.traced)))
        .collect();
    let mut row = Row::from_pairs(id, kind, config, "handshakes/s", &pairs);
    let limits: Vec<Option<f64>> = rounds.iter().map(|r| r.limit).collect();
    set_limit(&mut row, &pairs, &limits);
    set_cpu_shares(&mut row, rounds);
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    row.client_us = Some(median(
        rounds.iter().map(|r| us(r.untraced.sides.client)).collect(),
    ));
    row.server_us = Some(median(
        rounds.iter().map(|r| us(r.untraced.sides.server)).collect(),
    ));
    row
}

/// A row of handshakes over loopback TCP, client and server on two
/// threads: the client's wall time per connection, waits included, is
/// the rate. CPU time would leave the waits out, and this thread's CPU
/// share says nothing of the host, so the row has none.
pub(crate) fn loopback_row(id: String, config: Config, n: u64, rounds: &[Round<f64>]) -> Row {
    let rate = |m: &Measured| n as f64 / m.sides_wall.client.as_secs_f64();
    let pairs: Vec<(f64, f64)> = rounds
        .iter()
        .map(|r| (rate(&r.untraced), rate(&r.traced)))
        .collect();
    let mut row = Row::from_pairs(id, Kind::Loopback, config, "handshakes/s", &pairs);
    let limits: Vec<Option<f64>> = rounds.iter().map(|r| r.limit).collect();
    set_limit(&mut row, &pairs, &limits);
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    row.client_us = Some(median(
        rounds
            .iter()
            .map(|r| us(r.untraced.sides_wall.client))
            .collect(),
    ));
    row
}

/// A bulk row: one side's bytes over that side's CPU time.
pub(crate) fn bulk_row(
    id: String,
    config: Config,
    bytes: f64,
    rounds: &[Round<AeadLimit>],
    send: bool,
) -> Row {
    let rate = |m: &Measured| bytes / m.sides.bulk_side(send).as_secs_f64() / 1e6;
    let pairs: Vec<(f64, f64)> = rounds
        .iter()
        .map(|r| (rate(&r.untraced), rate(&r.traced)))
        .collect();
    let mut row = Row::from_pairs(id, Kind::Bulk, config, "MB/s", &pairs);
    let limits: Vec<Option<f64>> = rounds
        .iter()
        .map(|r| r.limit.map(|l| if send { l.encrypt } else { l.decrypt }))
        .collect();
    set_limit(&mut row, &pairs, &limits);
    set_cpu_shares(&mut row, rounds);
    row
}

/// The limit and the untraced figure's fraction of it, round by round,
/// when every round measured one.
fn set_limit(row: &mut Row, pairs: &[(f64, f64)], limits: &[Option<f64>]) {
    let Some(limits) = limits.iter().copied().collect::<Option<Vec<f64>>>() else {
        return;
    };
    if limits.is_empty() {
        return;
    }
    row.limit = Some(median(limits.clone()));
    let fractions: Vec<f64> = pairs.iter().zip(&limits).map(|((u, _), l)| u / l).collect();
    row.limit_fraction_interval = median_interval(fractions.clone());
    row.limit_fraction = Some(median(fractions));
}

fn set_cpu_shares<L>(row: &mut Row, rounds: &[Round<L>]) {
    row.cpu_shares = rounds.iter().map(Round::cpu_share).collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    /// A round in which each variant ran `cpu` ms on the CPU over `wall`
    /// ms, its sides timed at `client` and `server` ms of wall time.
    fn round(cpu: u64, wall: u64, client: u64, server: u64, limit: f64) -> Round<f64> {
        let m = Measured::slice(
            Timing {
                client: ms(client),
                server: ms(server),
            },
            ms(cpu),
            ms(wall),
        );
        Round {
            untraced: m,
            traced: m,
            limit: Some(limit),
        }
    }

    /// A handshake's rate comes from CPU time, not wall time: 1000
    /// handshakes in 500 ms of CPU over 1 s of wall are 2000/s. Each
    /// round's share is kept, and each round's limit gives the fraction
    /// an interval.
    #[test]
    fn handshake_rates_come_from_cpu_time_and_each_round_has_its_limit() {
        let rounds: Vec<Round<f64>> = (0..7)
            .map(|i| round(500, 1000, 600, 400, 4000.0 + 100.0 * f64::from(i)))
            .collect();
        let row = handshake_row("h".into(), Kind::Handshake, Config::Default, 1000, &rounds);
        assert!((row.untraced - 2000.0).abs() < 1e-6, "{}", row.untraced);
        assert_eq!(row.cpu_shares, vec![0.5; 7]);
        // Each side's wall time, scaled by the share: 300 and 200 µs.
        assert!((row.client_us.unwrap() - 300.0).abs() < 1e-6);
        assert!((row.server_us.unwrap() - 200.0).abs() < 1e-6);
        // Limits 4000 to 4600: the median 4300, fractions 2000/4600..2000/4000.
        assert_eq!(row.limit, Some(4300.0));
        let [low, high] = row.limit_fraction_interval.expect("7 rounds, an interval");
        assert!((low - 2000.0 / 4600.0).abs() < 1e-9, "{low}");
        assert!((high - 0.5).abs() < 1e-9, "{high}");
    }

    /// A bulk side's rate is its scaled time; the share never scales a
    /// side up.
    #[test]
    fn a_bulk_side_is_scaled_by_its_slices_share() {
        let limit = AeadLimit {
            encrypt: 1000.0,
            decrypt: 2000.0,
        };
        let m = Measured::slice(
            Timing {
                client: ms(100),
                server: ms(50),
            },
            ms(90),
            ms(180),
        );
        let rounds = vec![Round {
            untraced: m,
            traced: m,
            limit: Some(limit),
        }];
        // 100 MB over 50 ms of CPU (100 ms of wall at half a CPU).
        let send = bulk_row("b".into(), Config::Default, 1e8, &rounds, true);
        assert!((send.untraced - 2000.0).abs() < 1e-6, "{}", send.untraced);
        assert_eq!(send.limit_fraction, Some(2.0));
        let receive = bulk_row("b".into(), Config::Default, 1e8, &rounds, false);
        assert!((receive.untraced - 4000.0).abs() < 1e-6);
        // CPU time a hair over wall time leaves the sides as they were.
        let over = Measured::slice(
            Timing {
                client: ms(10),
                server: ms(10),
            },
            ms(21),
            ms(20),
        );
        assert_eq!(over.sides.client, ms(10));
    }

    /// Loopback rows use the client's wall time and carry no CPU share.
    #[test]
    fn loopback_rates_come_from_wall_time() {
        let rounds = vec![round(100, 1100, 1000, 0, 1.0); 3];
        let row = loopback_row("l".into(), Config::Default, 1000, &rounds);
        assert!((row.untraced - 1000.0).abs() < 1e-6);
        assert!(row.cpu_shares.is_empty());
    }
}
