//! Fuzz target `web_form`: see `ensemble_tests::fuzz::web_form` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ensemble_tests::fuzz::run("web_form", data);
});
