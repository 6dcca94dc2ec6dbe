//! Fuzzing's regression suite: every committed corpus input and every input that once
//! crashed a target (`tests/fuzz/{corpus,regressions}/<target>/`) runs through the same
//! function the fuzz target calls, and the generated seeds are checked to be what they
//! claim to be. No fuzzer or nightly toolchain is needed.

use std::path::{Path, PathBuf};

use ensemble_api::web::decode::{WebForm, decode};
use ensemble_core::SignedRecord;
use ensemble_core::body::{self, Mode};
use ensemble_tests::fuzz::{self, NOW_MS, TARGETS, seeds};

/// `tests/fuzz/` in the source tree.
fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn node_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../node-config")
}

/// Every file under `dir/<target>/`, sorted; none when the directory is missing.
fn inputs(dir: &Path, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every file of `kind` (`corpus` or `regressions`) through its target; a panic
/// names the file so it can be replayed with `cargo fuzz run <target> <file>`.
fn run_all(kind: &str) -> usize {
    let dir = fuzz_dir().join(kind);
    let mut count = 0;
    for target in TARGETS {
        for path in inputs(&dir, target) {
            let data = std::fs::read(&path).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| fuzz::run(target, &data));
            assert!(outcome.is_ok(), "{target} fails on {}", path.display());
            count += 1;
        }
    }
    count
}

#[test]
fn every_corpus_input_passes_its_target() {
    let count = run_all("corpus");
    for target in TARGETS {
        assert!(
            !inputs(&fuzz_dir().join("corpus"), target).is_empty(),
            "target {target} has no committed corpus"
        );
    }
    assert!(count >= TARGETS.len());
}

#[test]
fn every_input_that_once_crashed_passes_its_target() {
    run_all("regressions");
}

#[test]
fn every_target_has_a_fuzz_target_file() {
    for target in TARGETS {
        let file = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        let text = std::fs::read_to_string(&file).expect("the target's file");
        assert!(
            text.contains(&format!("fuzz::run(\"{target}\"")),
            "{} does not call fuzz::run(\"{target}\", …)",
            file.display()
        );
    }
}

#[test]
fn seeds_are_valid_inputs_of_their_targets() {
    let all = seeds::all(&node_config());
    for target in TARGETS {
        assert!(
            all.iter().any(|seed| seed.target == target),
            "no seed for {target}"
        );
    }
    for seed in &all {
        fuzz::run(seed.target, &seed.data);
        match seed.target {
            "wire_record" => {
                SignedRecord::from_wire(&seed.data)
                    .and_then(|record| record.verify(NOW_MS))
                    .unwrap_or_else(|error| panic!("seed {} does not verify: {error}", seed.name));
            }
            "body" => {
                let kind = ensemble_core::Kind::ALL[usize::from(seed.data[0])];
                body::validate(kind, &seed.data[1..], Mode::Local)
                    .unwrap_or_else(|error| panic!("seed body {} refused: {error}", seed.name));
            }
            "web_form" => {
                let form = WebForm::ALL[usize::from(seed.data[0] >> 1)];
                let decoded = decode(form, &seed.data[1..], seed.data[0] & 1 == 1);
                assert!(
                    decoded.faults.is_empty(),
                    "{form:?} seed has faults: {:?}",
                    decoded.faults
                );
            }
            _ => {}
        }
    }
}

/// Writes the seeds to `$ENSEMBLE_FUZZ_SEEDS` (default `tests/fuzz/seeds/`, ignored by
/// git) for `cargo fuzz cmin`; see `tests/fuzz/README.md`.
#[test]
#[ignore = "writes files: run by hand to regenerate the fuzz seeds"]
fn write_fuzz_seeds() {
    let out = std::env::var_os("ENSEMBLE_FUZZ_SEEDS")
        .map_or_else(|| fuzz_dir().join("seeds"), PathBuf::from);
    let count = seeds::write(&out, &node_config()).expect("seeds written");
    println!("{count} seeds written to {}", out.display());
}

#[test]
fn a_broken_invariant_is_caught() {
    // The harness must not swallow failures: an unknown target panics.
    assert!(std::panic::catch_unwind(|| fuzz::run("no-such-target", b"")).is_err());
}
