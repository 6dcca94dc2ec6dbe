//! Fuzz target `sync_response`: see `ensemble_tests::fuzz::sync_response` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("sync_response", data);
});
