//! Fuzz target `wire_record`: see `ensemble_tests::fuzz::wire_record` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("wire_record", data);
});
