//! `ensemble man --out DIR` (hidden): the manual pages, rendered from the clap
//! definitions by clap_mangen — `ensemble.1` and one `ensemble-<command>.1` per
//! subcommand, as `man ensemble-run` readers expect.
//!
//! The Debian package ships the pages committed in `crates/ensemble-cli/debian/man/`
//! (cargo-deb cannot run the binary it packages); a test regenerates them and fails
//! when they differ, naming the command that refreshes them.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

/// Writes every page into `out` (created if missing) and lists them.
pub fn write_pages(command: clap::Command, out: &Path, json: bool) -> Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    clap_mangen::generate_to(command, out)
        .with_context(|| format!("cannot write manual pages to {}", out.display()))?;
    let mut pages: Vec<String> = std::fs::read_dir(out)
        .with_context(|| format!("cannot list {}", out.display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".1"))
        .collect();
    pages.sort();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"out": out, "pages": pages}))?
        );
    } else {
        for page in &pages {
            println!("{}", out.join(page).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
