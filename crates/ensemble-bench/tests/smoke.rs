//! The harness cannot rot: every scenario runs at tiny sizes (a few seconds in a debug
//! build) and reports figures a reader could use. Figures are never judged here — a
//! shared machine is too noisy — only their presence and sanity.

use std::path::PathBuf;

use ensemble_bench::figures::{MEETS_TARGET, to_json};
use ensemble_bench::{Bench, SCENARIOS, Sizes};
use serde_json::Value;

fn check_present(figures: &ensemble_bench::Figures, scenario: &str, names: &[&str]) {
    for name in names {
        assert!(
            figures.get(name).is_some(),
            "{scenario} lacks {name}: {:?}",
            figures.entries()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_at_tiny_sizes() {
    let work = tempfile::tempdir().expect("temp dir");
    let bench = Bench {
        sizes: Sizes::tiny(),
        work_dir: work.path().to_path_buf(),
        exe: PathBuf::from(env!("CARGO_BIN_EXE_ensemble-bench")),
    };
    let mut report = Vec::new();
    for scenario in SCENARIOS {
        let figures = ensemble_bench::run(scenario, &bench)
            .await
            .unwrap_or_else(|error| panic!("{scenario}: {error:#}"));
        for (name, value) in figures.entries() {
            if let Some(number) = value.as_f64() {
                assert!(
                    number.is_finite() && number >= 0.0,
                    "{scenario}.{name} = {number}"
                );
            }
        }
        report.push((scenario.to_string(), figures));
    }

    let by_name = |name: &str| &report.iter().find(|(n, _)| n == name).expect(name).1;
    check_present(
        by_name("primitives"),
        "primitives",
        &[
            "sign_per_s",
            "verify_strict_per_s",
            "batch_verify_per_s",
            "blake3_mb_per_s",
        ],
    );
    check_present(
        by_name("ingest"),
        "ingest",
        &["records_per_s", "ratio_to_verify_strict", MEETS_TARGET],
    );
    check_present(
        by_name("publish"),
        "publish",
        &["api_p50_ms", "api_p99_ms", "node_p50_ms", "node_p99_ms"],
    );
    let gossip = by_name("gossip");
    check_present(
        gossip,
        "gossip",
        &["p50_ms", "p99_ms", "raw_p99_ms", "ratio_p99", MEETS_TARGET],
    );
    assert_eq!(
        gossip.value("lost"),
        Some(0.0),
        "every record reached every node"
    );
    assert_eq!(
        gossip.value("raw_lost"),
        Some(0.0),
        "and through plain gossipsub"
    );
    let catchup = by_name("catchup");
    check_present(
        catchup,
        "catchup",
        &[
            "seconds",
            "wire_to_record_bytes",
            "round_trips",
            MEETS_TARGET,
        ],
    );
    assert_eq!(
        catchup.get("in_sync"),
        Some(&Value::from(true)),
        "the check after catching up finds the nodes in sync"
    );
    assert_eq!(catchup.value("in_sync_round_trips"), Some(1.0));
    check_present(
        by_name("footprint"),
        "footprint",
        &["rss_mb", "disk_bytes_per_record"],
    );
    let search = by_name("search");
    check_present(
        search,
        "search",
        &["p50_ms", "p99_ms", "store_list_p99_ms", MEETS_TARGET],
    );
    assert!(
        search.value("mean_hits").is_some_and(|hits| hits > 0.0),
        "the query mix finds practices"
    );

    let json: Value = serde_json::from_str(&to_json(&report)).expect("the JSON output parses");
    for scenario in SCENARIOS {
        assert!(json[scenario].is_object(), "{scenario} in the JSON output");
    }
}
