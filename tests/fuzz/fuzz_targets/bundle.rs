//! Fuzz target `bundle`: see `ensemble_tests::fuzz::bundle` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("bundle", data);
});
