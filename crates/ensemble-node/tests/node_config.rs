//! Every example in node-config/ parses against the config schema and validates.

use ensemble_node::config::File;

#[test]
fn every_example_config_is_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node-config");
    let mut checked = 0;
    let mut pending = vec![root];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("node-config readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "toml") {
                let file = File::read(&path).unwrap_or_else(|error| panic!("{error}"));
                file.into_options("/tmp/data".into())
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 6,
        "expected the school, mentor, hub and dev trio examples, found {checked}"
    );
}
