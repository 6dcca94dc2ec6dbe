//! End-to-end: a damaged store, as a new user would meet it (issue 16, item 6). Twenty
//! practices published, the node stopped, its largest sled file overwritten in the
//! middle and truncated to half: `ensemble run` must refuse to start and name
//! `ensemble recover`, which brings every record back from a bundle or from a peer, and
//! the next publish must never reuse a seq.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{BIN, Daemon, ensemble, init_with, json};

/// How long a daemon may take to print that it serves, or to refuse to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a second node may take to hold the first school's records by sync.
const REPLICATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Between two looks at the second node's status while waiting for replication.
const STATUS_POLL: Duration = Duration::from_millis(200);
/// Practices published before the damage.
const PRACTICES: u64 = 20;
/// Records of the school's own log: its profile and the practices.
const OWN_RECORDS: u64 = PRACTICES + 1;
/// Bytes overwritten in the middle of the damaged file.
const OVERWRITTEN_BYTES: usize = 1024;

fn init(dir: &Path, name: &str) -> Value {
    init_with(dir, name, &[])
}

impl Daemon {
    /// SIGTERM and a clean exit (the store flushed, the manifest written).
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    }
}

fn run_command(dir: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("--data-dir")
        .arg(dir)
        .args([
            "run",
            "--api-listen",
            "127.0.0.1:0",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--no-mdns",
        ])
        .args(extra);
    command
}

/// Starts `ensemble run` and waits for its "serving on" line.
fn run(dir: &Path, extra: &[&str]) -> Daemon {
    let mut child = run_command(dir, extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("serving on") {
                let _ = sender.send(line);
            }
        }
    });
    receiver.recv_timeout(START_TIMEOUT).expect("daemon serves");
    Daemon { child }
}

/// Runs `ensemble run` expecting it to refuse: returns its exit status and stderr.
fn refused_run(dir: &Path) -> (std::process::ExitStatus, String) {
    let mut child = run_command(dir, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = sender.send(text);
    });
    // Stderr closes when the process exits; a node that serves instead never closes it.
    let text = match receiver.recv_timeout(START_TIMEOUT) {
        Ok(text) => text,
        Err(_) => {
            let _ = child.kill();
            panic!("`ensemble run` on a damaged store did not exit");
        }
    };
    (child.wait().expect("wait"), text)
}

fn practice(number: u64) -> Value {
    serde_json::json!({
        "title": {"ru": format!("Практика номер {number}")},
        "summary": {"ru": "Приёмы до, во время и после чтения"},
        "problem": {"ru": "Учащиеся не понимают учебный текст"},
        "subjects": ["russian"],
        "grades": [5, 6],
        "method": {"ru": "Инсерт, кластер, пересказ в парах"},
        "language": ["ru"],
        "license": "CC-BY-4.0"
    })
}

fn publish(dir: &Path, files: &Path, number: u64) -> Value {
    let path = files.join(format!("practice-{number}.json"));
    std::fs::write(&path, practice(number).to_string()).expect("write");
    json(&ensemble(
        dir,
        &[
            "practice",
            "publish",
            path.to_str().expect("path"),
            "--json",
        ],
    ))
}

fn publish_all(dir: &Path, files: &Path) {
    for number in 1..=PRACTICES {
        let published = publish(dir, files, number);
        assert_eq!(published["seq"], number + 1, "after the profile");
    }
}

/// The largest file under `dir`, recursively.
fn largest_file(dir: &Path) -> PathBuf {
    let mut largest: Option<(u64, PathBuf)> = None;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).expect("read dir") {
            let path = entry.expect("entry").path();
            let metadata = std::fs::metadata(&path).expect("metadata");
            if metadata.is_dir() {
                pending.push(path);
            } else if largest
                .as_ref()
                .is_none_or(|(size, _)| metadata.len() > *size)
            {
                largest = Some((metadata.len(), path));
            }
        }
    }
    largest.expect("a file").1
}

/// The damage of the issue: the largest sled file overwritten in the middle, then
/// truncated to half its size.
fn damage(dir: &Path) {
    let path = largest_file(&dir.join("store"));
    let mut bytes = std::fs::read(&path).expect("read");
    let length = bytes.len();
    let start = length / 2 - OVERWRITTEN_BYTES / 2;
    bytes[start..start + OVERWRITTEN_BYTES].fill(0xab);
    bytes.truncate(length / 2);
    std::fs::write(&path, bytes).expect("write");
}

fn practices_held(dir: &Path) -> usize {
    json(&ensemble(dir, &["practice", "list", "--json"]))
        .as_array()
        .map_or(0, Vec::len)
}

/// (a) the damaged store is refused with the recover command; (b) a bundle taken
/// before the damage brings all twenty back, and the next seq is a new one.
#[cfg(unix)]
#[test]
fn a_damaged_store_is_refused_and_recovered_from_a_bundle() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("school");
    init(&dir, "Школа");
    let daemon = run(&dir, &[]);
    publish_all(&dir, temp.path());
    let bundle = temp.path().join("before.bundle");
    let exported = json(&ensemble(
        &dir,
        &["export", "--out", bundle.to_str().expect("path"), "--json"],
    ));
    assert_eq!(exported["records"], OWN_RECORDS);
    daemon.stop();
    damage(&dir);

    let (status, stderr) = refused_run(&dir);
    assert!(!status.success(), "a damaged store must not be served");
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(
        stderr.contains(&format!("ensemble recover --data-dir {}", dir.display())),
        "{stderr}"
    );
    assert!(!dir.join("node.json").exists(), "nothing was served");

    let recovered = json(&ensemble(
        &dir,
        &[
            "recover",
            "--from-bundle",
            bundle.to_str().expect("path"),
            "--no-mdns",
            "--json",
        ],
    ));
    assert_eq!(recovered["complete"], true, "{recovered}");
    assert_eq!(recovered["own_head"], OWN_RECORDS);
    assert_eq!(recovered["signed"], OWN_RECORDS);
    let aside = recovered["moved_aside"].as_str().expect("moved aside");
    assert!(Path::new(aside).exists(), "the damaged store is kept");

    let _daemon = run(&dir, &[]);
    assert_eq!(practices_held(&dir), PRACTICES as usize);
    let next = publish(&dir, temp.path(), PRACTICES + 1);
    assert_eq!(next["seq"], OWN_RECORDS + 1, "never a seq already signed");
}

/// A bundle older than the last signed seq restores what it holds, and the node then
/// refuses to publish rather than sign a used seq.
#[cfg(unix)]
#[test]
fn an_old_bundle_recovers_part_and_publishing_waits() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("school");
    init(&dir, "Школа");
    let daemon = run(&dir, &[]);
    publish(&dir, temp.path(), 1);
    let bundle = temp.path().join("old.bundle");
    json(&ensemble(
        &dir,
        &["export", "--out", bundle.to_str().expect("path"), "--json"],
    ));
    publish(&dir, temp.path(), 2);
    daemon.stop();
    std::fs::remove_dir_all(dir.join("store")).expect("lose the store");

    let partial = ensemble(
        &dir,
        &[
            "recover",
            "--from-bundle",
            bundle.to_str().expect("path"),
            "--no-mdns",
            "--wait",
            "0",
        ],
    );
    assert!(
        !partial.status.success(),
        "incomplete recovery exits non-zero"
    );
    let message = String::from_utf8_lossy(&partial.stderr);
    assert!(
        message.contains("reaches only seq 2 of 3 signed"),
        "{message}"
    );

    let _daemon = run(&dir, &[]);
    let path = temp.path().join("practice-3.json");
    std::fs::write(&path, practice(3).to_string()).expect("write");
    let refused = ensemble(&dir, &["practice", "publish", path.to_str().expect("path")]);
    assert!(!refused.status.success(), "seq 3 was already signed");
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("seq 3 was already signed"), "{message}");
}

/// (c) a second node that synced the first school's records gives them all back.
#[cfg(unix)]
#[test]
fn a_damaged_store_is_recovered_from_a_peer() {
    let temp = tempfile::tempdir().expect("temp");
    let dir_a = temp.path().join("a");
    let dir_b = temp.path().join("b");
    init(&dir_a, "Школа А");
    init(&dir_b, "Школа Б");
    let daemon_a = run(&dir_a, &[]);
    publish_all(&dir_a, temp.path());
    let node_a: Value =
        serde_json::from_slice(&std::fs::read(dir_a.join("node.json")).expect("node.json"))
            .expect("json");
    let address_a = node_a["listen"][0].as_str().expect("listen").to_string();
    let _daemon_b = run(&dir_b, &["--bootstrap", &address_a]);
    // B holds A's profile and practices once sync has run.
    let deadline = Instant::now() + REPLICATION_TIMEOUT;
    loop {
        let status = json(&ensemble(&dir_b, &["status", "--json"]));
        if status["records"]["practice"] == PRACTICES && status["records"]["school_profile"] == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B never held A's records: {status}"
        );
        std::thread::sleep(STATUS_POLL);
    }
    daemon_a.stop();
    damage(&dir_a);
    let (status, stderr) = refused_run(&dir_a);
    assert!(!status.success());
    assert!(stderr.contains("ensemble recover"), "{stderr}");

    let node_b: Value =
        serde_json::from_slice(&std::fs::read(dir_b.join("node.json")).expect("node.json"))
            .expect("json");
    let address_b = node_b["listen"][0].as_str().expect("listen");
    let recovered = json(&ensemble(
        &dir_a,
        &["recover", "--from-peer", address_b, "--no-mdns", "--json"],
    ));
    assert_eq!(recovered["complete"], true, "{recovered}");
    assert_eq!(recovered["imported"], 0);
    assert_eq!(recovered["own_head"], OWN_RECORDS);
    assert!(
        recovered["synced"].as_u64().unwrap_or_default() >= OWN_RECORDS,
        "{recovered}"
    );

    let _daemon_a = run(&dir_a, &[]);
    assert_eq!(practices_held(&dir_a), PRACTICES as usize);
    let next = publish(&dir_a, temp.path(), PRACTICES + 1);
    assert_eq!(next["seq"], OWN_RECORDS + 1, "never a seq already signed");
}
