//! The report's targets and verdicts.

use super::*;

/// A ratio target carries the interval of its row; a memory target,
/// a difference of two medians, has none.
#[test]
fn a_ratio_target_reports_its_rows_interval() {
    // Ratios 0.90, 0.91, ..., 1.10 in a shuffled order.
    let pairs: Vec<(f64, f64)> = (0..21)
        .map(|i| (i * 8) % 21)
        .map(|i| (100.0, 90.0 + f64::from(i)))
        .collect();
    let id = "resumption/default/tls12-session-id";
    let row = Row::from_pairs(
        id.to_owned(),
        Kind::Resumption,
        Config::Default,
        "h/s",
        &pairs,
    );
    let memory = Row::from_pairs(
        "memory/default/tls13-ecdsa-p256-x25519/client".to_owned(),
        Kind::Memory,
        Config::Default,
        "bytes/conn",
        &pairs,
    );
    let mut report = BenchReport::new(
        false,
        Method::defaults(false),
        vec![row, memory],
        Duration::ZERO,
    );
    // Judged as a release build's figures would be.
    report.optimized = true;
    report.judge_targets();
    let target = |row: &str| {
        report
            .targets
            .iter()
            .find(|t| t.row == row)
            .expect("target")
    };
    let ratio = target(id);
    assert_eq!(ratio.measured, Some(1.0));
    // The 6th smallest and 6th largest of 21 (see stats.rs).
    let [low, high] = ratio.interval.expect("21 rounds give an interval");
    assert!(
        (low - 0.95).abs() < 1e-9 && (high - 1.05).abs() < 1e-9,
        "{low} {high}"
    );
    assert_eq!(ratio.met, Some(true));
    // 0.95 is below the 0.97 the target sets: met, but not beyond noise.
    assert_eq!(ratio.beyond_noise, Some(false));
    let memory = target("memory/default/tls13-ecdsa-p256-x25519/client");
    assert_eq!((memory.interval, memory.beyond_noise), (None, None));
    assert!(report
        .to_table()
        .contains("1.0000 (95 % CI 0.9500–1.0500) met, within noise\n"));
    // An unoptimized build's speed is shown but not judged, in the table
    // and in the JSON alike; its memory still is.
    report.optimized = false;
    report.judge_targets();
    assert!(report
        .to_table()
        .contains("1.0000 (95 % CI 0.9500–1.0500) not judged (unoptimized build)\n"));
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    let targets = json["targets"].as_array().expect("targets");
    let ratio = targets.iter().find(|t| t["row"] == id).expect("target");
    assert_eq!(ratio["judged"], false);
    assert_eq!(ratio["not_judged"], "unoptimized build");
    assert!(ratio["met"].is_null() && ratio["beyond_noise"].is_null());
    let memory = targets
        .iter()
        .find(|t| t["row"] == "memory/default/tls13-ecdsa-p256-x25519/client")
        .expect("target");
    assert_eq!(
        (&memory["judged"], &memory["met"]),
        (&true.into(), &true.into())
    );
    assert!(memory["not_judged"].is_null());
}

/// A ratio from fewer rounds than an interval needs (6, see stats.rs)
/// is not judged, whichever side of the threshold it fell on; a
/// memory difference, which has no interval, is.
#[test]
fn a_ratio_from_too_few_rounds_is_not_judged() {
    for (rounds, judged) in [(1, false), (5, false), (6, true)] {
        let pairs = vec![(100.0, 90.0); rounds];
        let row =
            |id: &str, kind| Row::from_pairs(id.to_owned(), kind, Config::Default, "u", &pairs);
        let rows = vec![
            row("resumption/default/tls12-session-id", Kind::Resumption),
            row(
                "memory/default/tls13-ecdsa-p256-x25519/client",
                Kind::Memory,
            ),
        ];
        let method = Method {
            rounds,
            ..Method::defaults(true)
        };
        let mut report = BenchReport::new(true, method, rows, Duration::ZERO);
        report.optimized = true;
        report.judge_targets();
        let table = report.to_table();
        let line = |name: &str| {
            table
                .lines()
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("no {name} in\n{table}"))
                .to_owned()
        };
        let ratio = line("TLS 1.2 session-id resumption");
        let plural = if rounds == 1 { "" } else { "s" };
        let refused =
            format!("not judged ({rounds} round{plural}; a verdict needs 6 for its interval)");
        assert_eq!(ratio.ends_with(&refused), !judged, "{ratio}");
        assert_eq!(ratio.ends_with("MISSED"), judged, "{ratio}");
        assert!(line("per client, bytes").ends_with(" met"));
        // The JSON says the same: no verdict, and why.
        let target = report
            .targets
            .iter()
            .find(|t| t.row == "resumption/default/tls12-session-id")
            .expect("target");
        assert_eq!(target.judged, judged);
        assert_eq!(target.met, judged.then_some(false));
        let why = target
            .not_judged
            .as_deref()
            .map(|w| format!("not judged ({w})"));
        assert_eq!(why, (!judged).then_some(refused));
    }
}

/// The noise column (before the cpu one) is a spread over rounds: a single round has none to
/// show, two rounds do.
#[test]
fn one_round_shows_no_noise() {
    for (pairs, noise) in [
        (vec![(100.0, 100.0)], "-"),
        (vec![(100.0, 100.0), (110.0, 110.0)], "9.5%"),
    ] {
        let id = "handshake/default/tls13-ecdsa-p256-x25519";
        let rounds = pairs.len();
        let row = Row::from_pairs(
            id.to_owned(),
            Kind::Handshake,
            Config::Default,
            "h/s",
            &pairs,
        );
        let method = Method {
            rounds,
            ..Method::defaults(true)
        };
        let table = BenchReport::new(true, method, vec![row], Duration::ZERO).to_table();
        let line = table.lines().find(|l| l.starts_with(id)).expect("row");
        assert_eq!(line.split_whitespace().rev().nth(1), Some(noise), "{line}");
        // The header counts them in good English.
        let counted = if rounds == 1 {
            " 1 round × "
        } else {
            " 2 rounds × "
        };
        assert!(table.contains(counted), "{table}");
        // The rows, then what their ratios are, then the targets.
        let after = table.split(line).nth(1).expect("after the row");
        assert!(
            after.starts_with(&format!("\n{TABLE_NOTE}\ntargets:")),
            "{after}"
        );
    }
}

/// The report counts each row's rounds with a low CPU share, prints the
/// run's median share in the table's header, marks the row, and keeps
/// every round's share in the JSON.
#[test]
fn rounds_with_a_low_cpu_share_are_flagged() {
    let id = "handshake/default/tls13-ecdsa-p256-x25519";
    let mut row = Row::from_pairs(
        id.to_owned(),
        Kind::Handshake,
        Config::Default,
        "h/s",
        &[(100.0, 100.0); 5],
    );
    row.cpu_shares = vec![0.99, 0.5, 0.98, 0.89, 0.97];
    let report = BenchReport::new(false, Method::defaults(false), vec![row], Duration::ZERO);
    assert_eq!(report.rows[0].low_share_rounds, 2);
    assert_eq!(report.cpu_share, Some(0.97));
    assert_eq!((report.low_share_rounds, report.share_rounds), (2, 5));
    let table = report.to_table();
    assert!(
        table.contains("median CPU share 0.97, 2 of 5 rounds below 0.9"),
        "{table}"
    );
    let line = table.lines().find(|l| l.starts_with(id)).expect("row");
    assert!(line.ends_with(" 0.97!2"), "{line}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["rows"][0]["cpu_shares"][1], 0.5);
    assert_eq!(json["rows"][0]["low_share_rounds"], 2);
}

/// A limit fraction above 1, or whose interval lies above 1, is marked
/// invalid in the row and the table, and the target reading it is not
/// judged; one at 0.85 judges as before.
#[test]
fn an_impossible_limit_fraction_judges_nothing() {
    let id = "bulk/default/tls13-aes128gcm/16KiB/send";
    for (fraction, interval, invalid) in [
        (1.11, None, true),
        (0.99, Some([1.01, 1.2]), true),
        (0.85, Some([0.8, 0.9]), false),
    ] {
        let mut row = Row::from_pairs(
            id.to_owned(),
            Kind::Bulk,
            Config::Default,
            "MB/s",
            &[(100.0, 100.0); 6],
        );
        row.limit = Some(100.0 / fraction);
        row.limit_fraction = Some(fraction);
        row.limit_fraction_interval = interval;
        let mut report =
            BenchReport::new(false, Method::defaults(false), vec![row], Duration::ZERO);
        report.optimized = true;
        report.judge_targets();
        assert_eq!(report.rows[0].limit_invalid, invalid, "{fraction}");
        let target = report
            .targets
            .iter()
            .find(|t| t.row == id && t.metric == "limit_fraction")
            .expect("target");
        assert_eq!(target.invalid, invalid);
        assert_eq!(target.judged, !invalid);
        assert_eq!(target.met, (!invalid).then_some(true), "{fraction}");
        let table = report.to_table();
        let line = table.lines().find(|l| l.starts_with(id)).expect("row");
        assert_eq!(line.contains(" invalid "), invalid, "{line}");
        let verdict = table
            .lines()
            .find(|l| l.contains("send / raw AEAD"))
            .expect("target line");
        assert_eq!(
            verdict.contains("not judged (limit fraction above 1"),
            invalid
        );
        assert_eq!(verdict.ends_with(" met"), !invalid, "{verdict}");
    }
}

/// The table prints each ratio with its interval, marked `~` when the
/// interval holds 1; a row without an interval prints the ratio alone.
#[test]
fn the_table_prints_each_ratio_with_its_interval() {
    // Ratios 0.90..1.10 (interval 0.95–1.05, holds 1), then 0.80..0.84
    // (0.81–0.83, does not), then three rounds (no interval).
    let spread = |base: f64, step: f64, n: i32| -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| (100.0, 100.0 * (base + step * f64::from(i))))
            .collect()
    };
    let rows = [
        ("handshake/default/a", spread(0.90, 0.01, 21)),
        ("handshake/default/b", spread(0.80, 0.002, 21)),
        ("handshake/default/c", spread(0.90, 0.01, 3)),
    ]
    .into_iter()
    .map(|(id, pairs)| Row::from_pairs(id.into(), Kind::Handshake, Config::Default, "h/s", &pairs))
    .collect();
    let table = BenchReport::new(false, Method::defaults(false), rows, Duration::ZERO).to_table();
    let line = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("no {id} in\n{table}"))
            .to_owned()
    };
    assert!(line("handshake/default/a ").contains(" ~1.000 (0.950–1.050) "));
    let b = line("handshake/default/b ");
    assert!(
        b.contains(" 0.820 (0.810–0.830) ") && !b.contains('~'),
        "{b}"
    );
    let c = line("handshake/default/c ");
    assert!(c.contains(" 0.910 ") && !c.contains('('), "{c}");
}

/// The tuned/default column's header is whole, and its values end where
/// it does.
#[test]
fn the_tuned_over_default_column_is_headed_whole() {
    let row = |config: Config, id: &str, untraced: f64| {
        Row::from_pairs(
            id.to_owned(),
            Kind::Handshake,
            config,
            "h/s",
            &[(untraced, untraced); 6],
        )
    };
    let rows = vec![
        row(Config::Default, "handshake/default/a", 100.0),
        row(Config::Tuned, "handshake/tuned/a", 125.0),
    ];
    let table = BenchReport::new(false, Method::defaults(false), rows, Duration::ZERO).to_table();
    let header = table
        .lines()
        .find(|l| l.starts_with("row "))
        .expect("header");
    let tuned = table
        .lines()
        .find(|l| l.starts_with("handshake/tuned/a "))
        .expect("tuned row");
    // In characters: the ratio column holds an en dash.
    let end = |line: &str, what: &str| {
        line.find(what)
            .map(|i| line[..i].chars().count() + what.chars().count())
    };
    // 125 / 100, to the column's three places.
    assert_eq!(
        end(header, " tuned/default"),
        end(tuned, " 1.250"),
        "{table}"
    );
}
