//! Fuzz target `body`: see `ensemble_tests::fuzz::body` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("body", data);
});
