//! End-to-end: the real `ensemble` binary, driven only through its command line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

mod common;
use common::{BIN, Daemon, ensemble, init_with, json, stderr};

/// How long a daemon may take to print that it serves.
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn init(dir: &Path, name: &str) -> Value {
    init_with(dir, name, &["--role", "mentor"])
}

/// Starts `ensemble run` and waits for its "serving on" line.
fn run(dir: &Path) -> Daemon {
    let mut child = Command::new(BIN)
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
    assert!(
        dir.join("node.json").exists(),
        "node.json written once serving"
    );
    Daemon { child }
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write");
    path.to_string_lossy().to_string()
}

fn practice(title: &str) -> Value {
    serde_json::json!({
        "title": {"ru": title, "en": "Reading strategies"},
        "summary": {"ru": "Приёмы до, во время и после чтения"},
        "problem": {"ru": "Учащиеся не понимают учебный текст"},
        "subjects": ["russian", "history"],
        "grades": [5, 6],
        "method": {"ru": "Инсерт, кластер, пересказ в парах"},
        "language": ["ru"],
        "license": "CC-BY-4.0"
    })
}

#[test]
fn init_refuses_a_profile_that_run_could_not_publish_and_writes_nothing() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("school");
    let refused = ensemble(&dir, &["init", "--name", "A", "--region", "ru-tat"]);
    assert!(!refused.status.success());
    let reason = stderr(&refused);
    assert!(
        reason.contains("school.name: must be 3 to 160 characters"),
        "{reason}"
    );
    assert_eq!(
        reason.trim().lines().count(),
        1,
        "one-line reason: {reason}"
    );
    assert!(!dir.exists(), "nothing written for a refused init");
}

#[test]
fn init_creates_a_private_identity_and_refuses_to_overwrite_it() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("school");
    let created = init(&dir, "Гимназия №5");
    for key in ["school_id", "peer_id", "data_dir"] {
        assert!(created[key].is_string(), "{key} in {created}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("school.key"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(dir.join("config.toml").exists());
    let again = ensemble(&dir, &["init", "--name", "Лицей №2", "--region", "ru-tat"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(stderr(&again).trim().lines().count(), 1, "one-line reason");
    let forced = json(&ensemble(
        &dir,
        &[
            "init",
            "--name",
            "Лицей №2",
            "--region",
            "ru-tat",
            "--force",
            "--json",
        ],
    ));
    assert_ne!(forced["school_id"], created["school_id"]);
}

#[test]
fn client_commands_explain_when_no_node_runs() {
    let temp = tempfile::tempdir().expect("temp");
    let output = ensemble(temp.path(), &["status"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("no node is running"),
        "{}",
        stderr(&output)
    );
    let help = Command::new(BIN)
        .args(["practice", "--help"])
        .output()
        .expect("help");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("publish"));
}

#[test]
fn publish_list_update_retract_export_and_import() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("a");
    let identity = init(&dir, "Гимназия №5");
    let _daemon = run(&dir);

    let status = json(&ensemble(&dir, &["status", "--json"]));
    assert_eq!(status["school_id"], identity["school_id"]);
    assert_eq!(status["name"], "Гимназия №5");
    assert_eq!(
        status["records"]["school_profile"], 1,
        "profile published at first start"
    );

    let file = write(
        temp.path(),
        "practice.json",
        &practice("Стратегии смыслового чтения"),
    );
    let published = json(&ensemble(&dir, &["practice", "publish", &file, "--json"]));
    let id = published["id"].as_str().expect("id").to_string();
    assert_eq!(published["doc"], published["id"]);
    assert_eq!(published["seq"], 2);

    // An invalid practice names every field at fault and changes nothing.
    let invalid = write(
        temp.path(),
        "bad.json",
        &serde_json::json!({"title": {"ru": "ab"}, "grades": [12]}),
    );
    let refused = ensemble(&dir, &["practice", "publish", &invalid]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    for field in [
        "title.ru",
        "summary",
        "problem",
        "subjects",
        "grades[0]",
        "method",
        "language",
        "license",
    ] {
        assert!(message.contains(field), "{field} missing from: {message}");
    }
    let missing = ensemble(&dir, &["practice", "publish", "/nonexistent.json"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("cannot read"),
        "{}",
        stderr(&missing)
    );

    let list = json(&ensemble(&dir, &["practice", "list", "--json"]));
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    for key in ["id", "doc", "author", "kind", "seq", "created_at", "title"] {
        assert!(!list[0][key].is_null(), "{key} in {}", list[0]);
    }

    let file2 = write(
        temp.path(),
        "practice2.json",
        &practice("Стратегии смыслового чтения, версия 2"),
    );
    let updated = json(&ensemble(
        &dir,
        &["practice", "update", &id, &file2, "--json"],
    ));
    assert_eq!(updated["doc"], id.as_str());
    assert_ne!(updated["id"], id.as_str());
    let list = json(&ensemble(&dir, &["practice", "list", "--json"]));
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "latest version only"
    );
    assert_eq!(list[0]["title"], "Стратегии смыслового чтения, версия 2");

    let shown = json(&ensemble(&dir, &["record", "show", &id, "--json"]));
    assert_eq!(shown["verified"], true);
    assert_eq!(shown["kind"], "practice");
    assert_eq!(shown["body"]["title"]["ru"], "Стратегии смыслового чтения");

    let second = write(
        temp.path(),
        "practice3.json",
        &practice("Формирующее оценивание"),
    );
    let kept = json(&ensemble(&dir, &["practice", "publish", &second, "--json"]));
    json(&ensemble(
        &dir,
        &["practice", "retract", &id, "--reason", "устарело", "--json"],
    ));
    let list = json(&ensemble(&dir, &["practice", "list", "--json"]));
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["doc"], kept["doc"]);
    let purged = json(&ensemble(&dir, &["record", "show", &id, "--json"]));
    assert!(purged["body"].is_null(), "retracted body purged");
    let again = ensemble(&dir, &["practice", "update", &id, &file2]);
    assert!(
        !again.status.success(),
        "a retracted document takes no new versions"
    );

    // Export, then import into a second node.
    let bundle = temp.path().join("export.bundle");
    let exported = json(&ensemble(
        &dir,
        &["export", "--out", bundle.to_str().expect("path"), "--json"],
    ));
    assert_eq!(
        exported["records"], 5,
        "profile, 2 versions of one practice, another practice, 1 retraction"
    );
    let dir_b = temp.path().join("b");
    init(&dir_b, "Школа Б");
    let _daemon_b = run(&dir_b);
    let imported = json(&ensemble(
        &dir_b,
        &["import", bundle.to_str().expect("path"), "--json"],
    ));
    assert_eq!(imported["imported"], 5);
    let list_b = json(&ensemble(&dir_b, &["practice", "list", "--json"]));
    assert_eq!(list_b.as_array().map(Vec::len), Some(1));
    assert_eq!(list_b[0]["doc"], kept["doc"]);

    // One tampered byte: that record is named and skipped, the exit code says so.
    let mut bytes = std::fs::read(&bundle).expect("bundle");
    let last = bytes.len() - 5;
    bytes[last] ^= 0x01;
    let tampered = temp.path().join("tampered.bundle");
    std::fs::write(&tampered, bytes).expect("write");
    let dir_c = temp.path().join("c");
    init(&dir_c, "Школа В");
    let _daemon_c = run(&dir_c);
    let output = ensemble(&dir_c, &["import", tampered.to_str().expect("path")]);
    assert!(
        !output.status.success(),
        "skipped records make the exit code non-zero"
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("imported 4"), "{text}");
    assert!(
        stderr(&output).contains("skipped record #4"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn a_killed_daemon_keeps_every_acknowledged_record() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("crash");
    init(&dir, "Школа");
    let mut daemon = run(&dir);
    let file = write(temp.path(), "p.json", &practice("Переживёт сбой"));
    let published = json(&ensemble(&dir, &["practice", "publish", &file, "--json"]));
    // SIGKILL right after the call returned: no shutdown, no final flush.
    daemon.child.kill().expect("kill");
    daemon.child.wait().expect("wait");
    std::fs::remove_file(dir.join("node.json")).expect("stale node.json");
    let _daemon = run(&dir);
    let shown = json(&ensemble(
        &dir,
        &[
            "record",
            "show",
            published["id"].as_str().expect("id"),
            "--json",
        ],
    ));
    assert_eq!(shown["body"]["title"]["ru"], "Переживёт сбой");
    let file2 = write(temp.path(), "p2.json", &practice("После сбоя"));
    let next = json(&ensemble(&dir, &["practice", "publish", &file2, "--json"]));
    assert_eq!(next["seq"], 3, "the log continues without reusing a seq");
}

#[test]
fn the_demo_starts_three_connected_nodes() {
    let temp = tempfile::tempdir().expect("temp");
    let output = Command::new(BIN)
        .args(["demo", "--check", "--json", "--data-dir"])
        .arg(temp.path())
        .output()
        .expect("demo");
    let nodes = json(&output);
    let nodes = nodes.as_array().expect("array");
    assert_eq!(nodes.len(), 3);
    let roles: Vec<&str> = nodes
        .iter()
        .filter_map(|node| node["role"].as_str())
        .collect();
    assert_eq!(roles, ["hub", "mentor", "supported"]);
    // The demo returns only once every node agrees on the mentoring thread.
    let threads: Vec<&str> = nodes
        .iter()
        .filter_map(|node| node["mentoring_request"].as_str())
        .collect();
    assert_eq!(threads.len(), 3, "{nodes:?}");
    assert!(threads.iter().all(|thread| *thread == threads[0]));
    for node in nodes {
        assert!(
            node["web"]
                .as_str()
                .is_some_and(|url| url.starts_with("http://127.0.0.1:"))
        );
    }
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_daemon_cleanly_and_removes_node_json() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("term");
    init(&dir, "Школа");
    let mut daemon = run(&dir);
    let peers = json(&ensemble(&dir, &["peers", "--json"]));
    assert_eq!(peers.as_array().map(Vec::len), Some(0));
    let status = Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = daemon.child.wait().expect("wait");
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    assert!(!dir.join("node.json").exists(), "node.json removed");
    let after = ensemble(&dir, &["status"]);
    assert!(!after.status.success());
}

#[test]
fn practice_search_ranks_filters_and_reindex_rebuilds() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("search");
    init(&dir, "Школа поиска");
    let _daemon = run(&dir);
    let reading = write(
        temp.path(),
        "reading.json",
        &practice("Стратегии смыслового чтения"),
    );
    let mut maths = practice("Формирующее оценивание на математике");
    maths["subjects"] = serde_json::json!(["mathematics"]);
    maths["title"] = serde_json::json!({"ru": "Формирующее оценивание на математике"});
    let maths = write(temp.path(), "maths.json", &maths);
    let published = json(&ensemble(
        &dir,
        &["practice", "publish", &reading, "--json"],
    ));
    json(&ensemble(&dir, &["practice", "publish", &maths, "--json"]));

    // Reindex answers after its commit, so the search below sees both practices.
    let rebuilt = json(&ensemble(&dir, &["reindex", "--json"]));
    assert_eq!(rebuilt["practices"], 2);

    let found = json(&ensemble(
        &dir,
        &[
            "practice",
            "search",
            "смысловое чтение",
            "--subject",
            "russian",
            "--grade",
            "5",
            "--json",
        ],
    ));
    assert_eq!(found["total"], 1);
    let hit = &found["results"][0];
    assert_eq!(hit["doc"], published["doc"]);
    assert_eq!(hit["id"], published["id"]);
    assert_eq!(hit["title"], "Стратегии смыслового чтения");
    assert!(hit["score"].as_f64().unwrap_or_default() > 0.0);

    let none = json(&ensemble(
        &dir,
        &[
            "practice",
            "search",
            "смысловое чтение",
            "--subject",
            "mathematics",
            "--json",
        ],
    ));
    assert_eq!(none["total"], 0);
    let text = ensemble(&dir, &["practice", "search", "оценивание"]);
    assert!(text.status.success(), "{}", stderr(&text));
    let printed = String::from_utf8_lossy(&text.stdout);
    assert!(
        printed.contains("Формирующее оценивание на математике"),
        "{printed}"
    );
    assert!(printed.contains("1 of 1 shown"), "{printed}");
    let bad = ensemble(&dir, &["practice", "search", "x", "--evidence", "E9"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("evidence"), "{}", stderr(&bad));
}
