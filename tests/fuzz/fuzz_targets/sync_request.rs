//! Fuzz target `sync_request`: see `ensemble_tests::fuzz::sync_request` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("sync_request", data);
});
