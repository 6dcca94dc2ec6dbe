//! Fuzz target `config`: see `ensemble_tests::fuzz::config` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("config", data);
});
