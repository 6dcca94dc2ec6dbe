//! Fuzz target `gossip`: see `ensemble_tests::fuzz::gossip` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("gossip", data);
});
