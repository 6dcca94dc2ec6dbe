//! What the binary's end-to-end tests share: running `ensemble` against a data
//! directory, reading its JSON, and a daemon process that is killed when the test ends
//! (so a failing test never leaves a node running).

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::Path;
use std::process::{Child, Command, Output};

use serde_json::Value;

/// The binary under test, built by cargo for this test run.
pub const BIN: &str = env!("CARGO_BIN_EXE_ensemble");

/// Runs `ensemble --data-dir DIR ARGS…` with the API environment cleared, so the
/// command finds the node through the data directory as a user's shell would.
pub fn ensemble(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("ENSEMBLE_API")
        .env_remove("ENSEMBLE_TOKEN")
        .output()
        .expect("runs")
}

/// The JSON a successful command printed; fails the test naming stderr otherwise.
pub fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// `ensemble init --json` of a school in the `ru-tat` region and network, with `extra`
/// flags (a role…); fails the test unless it succeeds.
pub fn init_with(dir: &Path, name: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "init",
        "--name",
        name,
        "--region",
        "ru-tat",
        "--network",
        "ru-tat",
        "--json",
    ];
    args.extend_from_slice(extra);
    json(&ensemble(dir, &args))
}

/// What a command printed on stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// A daemon process; killed on drop unless the test stopped it.
pub struct Daemon {
    /// The `ensemble run` process.
    pub child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
