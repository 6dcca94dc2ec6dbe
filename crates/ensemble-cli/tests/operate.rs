//! Running a node as a service: what systemd, a log shipper and Prometheus see of the
//! real `ensemble` binary — the readiness notification, JSON log lines, and every
//! metric the shipped dashboard and alert rules name.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ensemble");
/// How long a daemon may take to start serving or to stop.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Prefixes of the metric families the node exports (ours, libp2p's, gossipsub's).
const METRIC_PREFIXES: [&str; 3] = ["ensemble_", "gossipsub_", "libp2p_"];
/// Fewest distinct metrics the dashboard must chart, so a parsing slip that finds
/// nothing cannot pass.
const DASHBOARD_MIN_METRICS: usize = 10;
/// Fewest distinct metrics the alert rules must name.
const ALERTS_MIN_METRICS: usize = 4;

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs")
}

/// A daemon process; killed on drop.
struct Daemon {
    child: Child,
    api: String,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn init(dir: &Path) {
    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(["init", "--name", "Гимназия №5", "--region", "ru-tat"])
        .env_remove("ENSEMBLE_CONFIG")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts `ensemble run` with `env` and waits for its "serving on" line.
fn run(dir: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Daemon {
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
        .args(extra)
        .env_remove("NOTIFY_SOCKET")
        .env_remove("ENSEMBLE_LOG_FORMAT")
        .env_remove("ENSEMBLE_CONFIG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (serving, serving_lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, api)) = line.split_once(" serving on ") {
                let _ = serving.send(api.to_string());
            }
        }
    });
    let (log, log_lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = log.send(line);
        }
    });
    let api = serving_lines.recv_timeout(TIMEOUT).expect("daemon serves");
    Daemon {
        child,
        api,
        stderr: log_lines,
    }
}

fn terminate(daemon: &mut Daemon) {
    let status = Command::new("kill")
        .args(["-TERM", &daemon.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = daemon.child.wait().expect("wait");
    assert!(exit.success(), "clean exit after SIGTERM: {exit}");
}

/// A plain HTTP/1.1 GET of `url` (`http://host:port/path`); the body of a 200.
fn get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let (head, body) = response.split_once("\r\n\r\n").expect("head and body");
    assert!(head.starts_with("HTTP/1.1 200"), "{url}: {head}");
    body.to_string()
}

/// Every sample name the exposition can hold, from its `# TYPE family type` lines:
/// a counter's samples end in `_total`, a histogram's in `_bucket`, `_sum` and
/// `_count` (OpenMetrics), a gauge's are the family name.
fn exported_names(exposition: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in exposition.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(family), Some(kind)) = (words.next(), words.next()) else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total", "_created"],
            "histogram" => &["_bucket", "_sum", "_count", "_created"],
            "summary" => &["", "_sum", "_count", "_created"],
            "info" => &["_info"],
            _ => &[""],
        };
        for suffix in suffixes {
            names.insert(format!("{family}{suffix}"));
        }
    }
    names
}

/// The metric names in a PromQL expression (or any text): identifiers that start with
/// one of the exported prefixes, outside quoted label values.
fn referenced_names(text: &str) -> BTreeSet<String> {
    let mut unquoted = String::new();
    let mut in_quotes = false;
    for character in text.chars() {
        if character == '"' {
            in_quotes = !in_quotes;
            unquoted.push(' ');
        } else if !in_quotes {
            unquoted.push(character);
        }
    }
    unquoted
        .split(|character: char| !(character.is_ascii_alphanumeric() || character == '_'))
        .filter(|word| {
            METRIC_PREFIXES
                .iter()
                .any(|prefix| word.starts_with(prefix))
        })
        .map(str::to_string)
        .collect()
}

/// Every `expr` of the Grafana dashboard's panels.
fn dashboard_expressions(dashboard: &Value, out: &mut Vec<String>) {
    match dashboard {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", Value::String(expr)) => out.push(expr.clone()),
                    _ => dashboard_expressions(value, out),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| dashboard_expressions(item, out)),
        _ => {}
    }
}

#[test]
fn every_metric_of_the_dashboard_and_alert_rules_is_exported() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("node");
    init(&dir);
    let daemon = run(&dir, &[], &[]);
    // An import of the node's own records ingests each once more (verdict "ignore"),
    // so the ingest counter has a series; a request records an HTTP latency.
    let bundle = temp.path().join("bundle");
    let export = Command::new(BIN)
        .arg("--data-dir")
        .arg(&dir)
        .args(["export", "--out"])
        .arg(&bundle)
        .output()
        .expect("export");
    assert!(export.status.success(), "{export:?}");
    let _ = Command::new(BIN)
        .arg("--data-dir")
        .arg(&dir)
        .arg("import")
        .arg(&bundle)
        .output()
        .expect("import");
    get(&format!("{}/healthz", daemon.api));
    let exported = exported_names(&get(&format!("{}/metrics", daemon.api)));

    let dashboard_text =
        std::fs::read_to_string(docs().join("grafana-dashboard.json")).expect("dashboard");
    let dashboard: Value = serde_json::from_str(&dashboard_text).expect("dashboard is JSON");
    let mut expressions = Vec::new();
    dashboard_expressions(&dashboard, &mut expressions);
    let charted: BTreeSet<String> = expressions
        .iter()
        .flat_map(|expr| referenced_names(expr))
        .collect();
    assert!(
        charted.len() >= DASHBOARD_MIN_METRICS,
        "the dashboard names too few metrics: {charted:?}"
    );

    let rules_text =
        std::fs::read_to_string(docs().join("prometheus-alerts.yml")).expect("alert rules");
    // The whole file but its comments: expressions, and names in the annotations.
    let rules_body: String = rules_text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let alerted = referenced_names(&rules_body);
    assert!(
        alerted.len() >= ALERTS_MIN_METRICS,
        "the alert rules name too few metrics: {alerted:?}"
    );
    for (name, expected) in [
        ("EnsembleNoPeers", "ensemble_peers"),
        ("EnsembleSyncLagGrowing", "ensemble_sync_records_behind"),
        ("EnsembleDiskAlmostFull", "ensemble_disk_free_bytes"),
    ] {
        assert!(rules_text.contains(name), "alert {name} missing");
        assert!(alerted.contains(expected), "{expected} not alerted on");
    }

    let missing: Vec<&String> = charted
        .iter()
        .chain(&alerted)
        .filter(|name| !exported.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "named by the dashboard or alert rules but not exported at /metrics: {missing:?}\nexported: {exported:?}"
    );
}

#[test]
fn the_daemon_notifies_systemd_and_logs_json_lines() {
    let temp = tempfile::tempdir().expect("temp");
    let dir = temp.path().join("node");
    init(&dir);
    // systemd's side of Type=notify: a datagram socket named by $NOTIFY_SOCKET.
    let socket_path = temp.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).expect("bind");
    socket.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let mut daemon = run(
        &dir,
        &["--log-format", "json"],
        &[("NOTIFY_SOCKET", &socket_path)],
    );
    let mut buffer = [0u8; 512];
    let length = socket.recv(&mut buffer).expect("a readiness message");
    let ready = String::from_utf8_lossy(&buffer[..length]).to_string();
    assert!(ready.lines().any(|line| line == "READY=1"), "{ready:?}");
    assert!(
        ready.contains(&daemon.api),
        "status names the address: {ready:?}"
    );
    assert!(
        dir.join("node.json").exists(),
        "ready only once node.json is written"
    );

    terminate(&mut daemon);
    let length = socket.recv(&mut buffer).expect("a stopping message");
    let stopping = String::from_utf8_lossy(&buffer[..length]).to_string();
    assert!(
        stopping.lines().any(|line| line == "STOPPING=1"),
        "{stopping:?}"
    );

    let lines: Vec<String> = daemon.stderr.try_iter().collect();
    assert!(!lines.is_empty(), "the daemon logged nothing");
    for line in &lines {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not a JSON log line ({error}): {line}"));
        for key in ["timestamp", "level", "target"] {
            assert!(event[key].is_string(), "{key} missing: {line}");
        }
    }
    assert!(
        lines.iter().any(|line| line.contains("\"shutting down\"")),
        "{lines:?}"
    );
}
