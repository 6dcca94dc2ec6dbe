//! `footprint`: what a node holding 100 k records costs in memory and disk. The records
//! are written to an export bundle, then a child process — this executable again,
//! running nothing but one node — imports the bundle in pages through the ingest path
//! (and lets its search index catch up), reads every record back once (as serving a
//! catch-up does), lists the practice catalog (as `GET /api/v1/practices` does) and
//! reports its resident memory from `/proc/self/status` after each step; `rss_mb` is
//! the largest of them. A separate process keeps the bench's own buffers out of the
//! figure.
//!
//! Baselines: the same process's memory right after its node started empty, and the
//! records' own wire size per record (disk counts the store and the search index).
//! Target: resident memory ≤ 200 MB.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use ensemble_core::{Kind, bundle};
use ensemble_node::Origin;
use serde_json::Value;

use crate::cluster::{self, NETWORK};
use crate::{Bench, Figures, corpus, progress};

/// Target resident memory of a node holding 100 k records, in MB (10^6 bytes).
const TARGET_RSS_MB: f64 = 200.0;
/// The hidden command-line switch that turns the executable into the child node.
pub const CHILD_SWITCH: &str = "--footprint-child";
/// Records per ingest call in the child (a sync page).
const CHILD_PAGE: usize = 1_000;
/// Records per generated author (a busy school's catalog).
const RECORDS_PER_AUTHOR: usize = 500;
/// Bytes per KiB, as `/proc` counts.
const KIB: f64 = 1_024.0;

/// Runs the scenario.
pub async fn run(bench: &Bench) -> Result<Figures> {
    let total = bench.sizes.footprint_records;
    let dir = bench.temp_dir("footprint")?;
    let bundle_path = dir.path().join("records.bundle");
    let node_dir = dir.path().join("node");
    let writer_path = bundle_path.clone();
    let phase = Instant::now();
    let (record_bytes, documents) = tokio::task::spawn_blocking(move || -> Result<(u64, u64)> {
        let authors = total.div_ceil(RECORDS_PER_AUTHOR).max(1);
        let records = corpus::signed_logs("footprint", authors, total, NETWORK)?;
        let documents = cluster::practice_documents(&records);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&writer_path)?);
        file.write_all(bundle::MAGIC)?;
        let mut bytes = 0u64;
        for record in &records {
            let wire = record.to_wire();
            bytes += wire.len() as u64;
            file.write_all(&(wire.len() as u32).to_be_bytes())?;
            file.write_all(&wire)?;
        }
        file.flush()?;
        Ok((bytes, documents))
    })
    .await??;
    progress("footprint", "bundle written", phase);
    let phase = Instant::now();
    let exe = bench.exe.clone();
    let child_dir = node_dir.clone();
    let report =
        tokio::task::spawn_blocking(move || run_child(&exe, &bundle_path, &child_dir, documents))
            .await??;
    progress("footprint", "child node measured", phase);
    let field = |name: &str| -> Result<f64> {
        report
            .get(name)
            .and_then(Value::as_f64)
            .with_context(|| format!("the child's report lacks {name}: {report}"))
    };
    let held = field("records_held")?;
    ensure!(
        held as usize >= total,
        "the child holds {held} of {total} records"
    );
    let mb = |kib: f64| kib * KIB / 1e6;
    let (empty, loaded, streamed, read, peak) = (
        field("rss_empty_kib")?,
        field("rss_loaded_kib")?,
        field("rss_streamed_kib")?,
        field("rss_read_kib")?,
        field("hwm_kib")?,
    );
    let resident = loaded.max(streamed).max(read);
    let disk = field("disk_bytes")?;
    let mut figures = Figures::new();
    figures
        .count("records", total as u64)
        .number("rss_mb", mb(resident));
    figures.at_most("rss_mb", TARGET_RSS_MB);
    figures
        .number("rss_empty_node_mb", mb(empty))
        .number("rss_after_import_mb", mb(loaded))
        .number("heap_after_import_mb", mb(field("anon_loaded_kib")?))
        .number(
            "mapped_files_after_import_mb",
            mb(field("file_loaded_kib")?),
        )
        .number("rss_after_reading_all_mb", mb(streamed))
        .number("rss_after_listing_practices_mb", mb(read))
        .number(
            "heap_after_listing_practices_mb",
            mb(field("anon_read_kib")?),
        )
        .number("rss_peak_mb", mb(peak))
        .number(
            "rss_bytes_per_record",
            (resident - empty) * KIB / total as f64,
        )
        .number(
            "import_and_index_records_per_s",
            field("import_and_index_records_per_s")?,
        )
        .number("disk_bytes_per_record", disk / total as f64)
        .number(
            "record_bytes_per_record",
            record_bytes as f64 / total as f64,
        )
        .number("disk_to_record_bytes", disk / record_bytes as f64)
        .conclude();
    Ok(figures)
}

/// Starts the child node process and parses the JSON line it prints.
fn run_child(exe: &Path, bundle_path: &Path, node_dir: &Path, documents: u64) -> Result<Value> {
    let output = Command::new(exe)
        .arg(CHILD_SWITCH)
        .arg(bundle_path)
        .arg(node_dir)
        .arg(documents.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("starting {}", exe.display()))?;
    if !output.status.success() {
        bail!("the footprint child failed: {}", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .context("the footprint child printed no report")?;
    Ok(serde_json::from_str(line)?)
}

/// The child: one node in `node_dir` imports the bundle page by page, waits until its
/// search index holds the bundle's `documents` practices, reads every record back, and
/// prints its memory and disk figures as one JSON line.
pub fn child_main(bundle_path: PathBuf, node_dir: PathBuf, documents: u64) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async move {
        let node = cluster::start_node(&node_dir, "footprint", &[]).await?;
        let empty = cluster::resident().context("no /proc/self/status")?;
        let mut reader = BufReader::new(std::fs::File::open(&bundle_path)?);
        let mut magic = vec![0u8; bundle::MAGIC.len()];
        reader.read_exact(&mut magic)?;
        ensure!(magic == bundle::MAGIC, "not a bundle");
        let start = Instant::now();
        let mut imported = 0usize;
        loop {
            let page = read_page(&mut reader, CHILD_PAGE)?;
            if page.is_empty() {
                break;
            }
            let reports = node.ingest(page, Origin::Import).await;
            imported += reports.iter().filter(|report| report.stored).count();
        }
        cluster::wait_until_indexed(&node, documents, cluster::WAIT).await?;
        let import_seconds = start.elapsed().as_secs_f64();
        let loaded = cluster::resident().context("no /proc/self/status")?;
        // Read everything back once, as serving a catch-up or an export does…
        let store = node.store();
        let mut read_back = 0usize;
        for record in store.iter() {
            record?;
            read_back += 1;
        }
        let streamed = cluster::resident().context("no /proc/self/status")?;
        // …and list the catalog, as `GET /api/v1/practices` does.
        let practices = store.latest(Kind::Practice)?.len();
        let read = cluster::resident().context("no /proc/self/status")?;
        let held: u64 = store.counts()?.values().sum();
        node.shutdown().await;
        // The store and the search index: everything the school's disk holds.
        let disk = cluster::disk_bytes(&node_dir);
        Ok::<_, anyhow::Error>(serde_json::json!({
            "records_imported": imported,
            "records_held": held,
            "records_read_back": read_back,
            "practices_listed": practices,
            "import_and_index_records_per_s": imported as f64 / import_seconds,
            "rss_empty_kib": empty.rss,
            "rss_loaded_kib": loaded.rss,
            "anon_loaded_kib": loaded.anon,
            "file_loaded_kib": loaded.file,
            "rss_streamed_kib": streamed.rss,
            "rss_read_kib": read.rss,
            "anon_read_kib": read.anon,
            "file_read_kib": read.file,
            "hwm_kib": read.peak,
            "disk_bytes": disk,
        }))
    })?;
    println!("{report}");
    Ok(())
}

/// Up to `limit` wire records from a bundle stream; empty at its end.
fn read_page(reader: &mut impl BufRead, limit: usize) -> Result<Vec<Vec<u8>>> {
    let mut page = Vec::new();
    while page.len() < limit && !reader.fill_buf()?.is_empty() {
        let mut length = [0u8; 4];
        reader.read_exact(&mut length)?;
        let length = u32::from_be_bytes(length) as usize;
        ensure!(
            length <= ensemble_core::limits::MAX_WIRE_BYTES,
            "a bundle record of {length} bytes"
        );
        let mut wire = vec![0u8; length];
        reader.read_exact(&mut wire)?;
        page.push(wire);
    }
    Ok(page)
}
