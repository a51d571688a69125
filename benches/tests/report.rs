//! A filtered quick run yields a report whose ratios are present and
//! whose JSON parses. One test in its own process: the memory figures
//! come from process-wide malloc statistics, which tests running in
//! parallel threads would disturb. No speed is checked.

use benches::config::{Config, HANDSHAKES};
use benches::workload;
use benches::{BenchOptions, BenchReport, Bound, Kind};
use regex::Regex;
use testkit::pki::Pki;

#[test]
fn a_filtered_quick_run_reports_finite_ratios_and_round_trips_through_json() {
    let pki = Pki::generate().unwrap();
    let m = workload::memory_per_connection(&pki, HANDSHAKES[3], Config::Default, true, 4).unwrap();
    assert!(m.client > 0.0 && m.server > 0.0, "{m:?}");
    let t = workload::HandshakeWorkload::full(&pki, &HANDSHAKES[3], Config::Tuned, true)
        .unwrap()
        .run_over_loopback(3)
        .unwrap();
    assert!(t.client > std::time::Duration::ZERO);

    let filter = Regex::new(
        "^(handshake/default/tls13-ed25519-x25519|resumption/tuned/tls12-ticket\
         |bulk/default/tls13-aes128gcm/1KiB/send|memory/default/|loopback/tuned/)",
    )
    .unwrap();
    // Six rounds, the fewest for which a ratio has a 95 % interval.
    let report = benches::run(&BenchOptions {
        quick: true,
        filter: Some(filter),
        rounds: Some(6),
    })
    .unwrap();
    assert_eq!(report.method.rounds, 6);
    let kinds: Vec<Kind> = report.rows.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::Handshake,
            Kind::Bulk,
            Kind::Memory,
            Kind::Memory,
            Kind::Memory,
            Kind::Memory,
            // Traced as shipped, then states only (messages(false)).
            Kind::Resumption,
            Kind::Resumption,
            Kind::Loopback
        ]
    );
    assert_eq!(
        report.rows[7].id,
        "resumption/tuned/tls12-ticket/states-only"
    );
    for row in &report.rows {
        assert!(row.untraced.is_finite() && row.untraced > 0.0, "{row:?}");
        assert!(
            row.traced_ratio.is_finite() && row.traced_ratio > 0.0,
            "{row:?}"
        );
        assert!(row.noise.is_finite(), "{row:?}");
        if row.kind != Kind::Memory {
            let [low, high] = row.traced_ratio_interval.expect("an interval");
            assert!(
                low <= row.traced_ratio && row.traced_ratio <= high,
                "{row:?}"
            );
        }
        if row.kind != Kind::Memory && row.kind != Kind::Resumption {
            let f = row.limit_fraction.expect("a limit");
            assert!(f.is_finite() && f > 0.0, "{row:?}");
        }
    }
    let json = report.to_json();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], benches::SCHEMA_VERSION);
    assert!(value["openssl_version"]
        .as_str()
        .unwrap()
        .contains("OpenSSL"));
    assert!(!value["cpu_model"].as_str().unwrap().is_empty());
    let parsed = BenchReport::from_json(&json).unwrap();
    let ids = |r: &BenchReport| r.rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&parsed), ids(&report));
    assert_eq!(parsed.targets.len(), 10);
    // The memory rows ran, so their targets were measured, as the extra
    // bytes tracing holds, which must not exceed the threshold.
    let memory: Vec<_> = parsed
        .targets
        .iter()
        .filter(|t| t.row.starts_with("memory/default/"))
        .collect();
    assert_eq!(memory.len(), 4);
    for t in memory {
        assert_eq!(t.bound, Bound::AtMost, "{t:?}");
        let row = report.rows.iter().find(|r| r.id == t.row).expect("row");
        assert_eq!(t.measured, Some(row.traced - row.untraced), "{t:?}");
    }
    // A verdict only where the run supports one, and a reason otherwise:
    // a debug build judges no speed target.
    for t in &parsed.targets {
        assert_eq!(t.judged, t.not_judged.is_none(), "{t:?}");
        assert_eq!(t.judged, t.met.is_some(), "{t:?}");
        if cfg!(debug_assertions) && t.bound == Bound::AtLeast {
            assert!(!t.judged, "{t:?}");
        }
    }
    let table = report.to_table();
    assert!(table.contains("handshake/default/tls13-ed25519-x25519"));
    // A debug build's figures must say they are not speeds.
    assert_eq!(report.optimized, !cfg!(debug_assertions));
    assert_eq!(table.contains("UNOPTIMIZED BUILD"), cfg!(debug_assertions));
    // Reports from before the field were all from release builds.
    let mut older = value;
    older.as_object_mut().unwrap().remove("optimized").unwrap();
    assert!(
        BenchReport::from_json(&older.to_string())
            .unwrap()
            .optimized
    );
}
