//! The workloads run and resumption is checked. No speed is checked
//! here: speed is measured only by the benches and the runner.

use std::sync::OnceLock;

use benches::config::{Config, Resumption, BULK_SUITES, HANDSHAKES};
use benches::workload::{BulkWorkload, HandshakeWorkload};
use testkit::pki::Pki;

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| Pki::generate().expect("test PKI"))
}

#[test]
fn every_full_handshake_case_completes_traced_and_untraced() {
    for case in &HANDSHAKES {
        for traced in [false, true] {
            let mut w = HandshakeWorkload::full(pki(), case, Config::Tuned, traced)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let t = w.run(2).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert!(t.client > std::time::Duration::ZERO && t.server > std::time::Duration::ZERO);
        }
    }
}

#[test]
fn every_resumption_case_resumes_every_round() {
    for kind in Resumption::ALL {
        for config in Config::ALL {
            let mut w = HandshakeWorkload::resumed(pki(), kind, config, true)
                .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
            w.run(3).unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        }
    }
}

#[test]
fn every_bulk_suite_negotiates_what_it_names() {
    for suite in &BULK_SUITES {
        let mut w = BulkWorkload::new(pki(), suite, Config::Default, true, 20_000)
            .unwrap_or_else(|e| panic!("{}: {e}", suite.name));
        let negotiated = w.suite_name().expect("a suite");
        let expected = suite.openssl_name;
        assert_eq!(negotiated, expected, "{}", suite.name);
        w.run(2).expect("bulk rounds");
    }
}
