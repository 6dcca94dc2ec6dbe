//! `ensemble demo`: a regional hub, a mentor school and a school receiving support in
//! one process on loopback, each with its own data directory, connected through the
//! hub and publishing realistic sample records.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use ensemble_api::Daemon;
use ensemble_core::Kind;
use ensemble_node::config;
use ensemble_node::data_dir;

use crate::run::{init_tracing, wait_for_signal};

/// How long the demo waits for its nodes to connect and replicate.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Flags of `ensemble demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Start, check that the nodes replicate, print the addresses and exit (for CI).
    #[arg(long)]
    check: bool,
}

struct Member {
    slug: &'static str,
    name: &'static str,
    role: &'static str,
    practices: &'static [&'static str],
}

const NETWORK: &str = "ru-tat";

const MEMBERS: [Member; 3] = [
    Member {
        slug: "hub",
        name: "Региональный узел сети школ Татарстана",
        role: "hub",
        practices: &[include_str!("../demo/online-self-education.json")],
    },
    Member {
        slug: "mentor",
        name: "Гимназия №5 г. Казани",
        role: "mentor",
        practices: &[
            include_str!("../demo/reading-strategies.json"),
            include_str!("../demo/formative-assessment.json"),
            include_str!("../demo/plc-agreement.json"),
        ],
    },
    Member {
        slug: "school",
        name: "Верхнеключевская средняя школа",
        role: "supported",
        practices: &[include_str!("../demo/network-mentoring.json")],
    },
];

/// The number of sample practices across the three nodes.
fn practice_count() -> usize {
    MEMBERS.iter().map(|member| member.practices.len()).sum()
}

/// Runs the demo; with `dir` (the global `--data-dir`) the three data directories are
/// kept under it, else in a temporary directory removed at exit.
pub async fn demo(args: DemoArgs, dir: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    init_tracing();
    let temporary;
    let root: PathBuf = match &dir {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::Builder::new()
                .prefix("ensemble-demo-")
                .tempdir()?;
            temporary.path().to_path_buf()
        }
    };
    let mut daemons: Vec<Daemon> = Vec::new();
    for member in &MEMBERS {
        let bootstrap = match daemons.first() {
            Some(hub) => hub
                .node
                .listen_addrs()
                .iter()
                .map(ToString::to_string)
                .collect(),
            None => Vec::new(),
        };
        let daemon = start_member(&root.join(member.slug), member, bootstrap)
            .await
            .with_context(|| format!("starting the {} node", member.slug))?;
        daemons.push(daemon);
    }
    wait_connected(&daemons).await?;
    for (member, daemon) in MEMBERS.iter().zip(&daemons) {
        for practice in member.practices {
            let held = daemon.node.store().latest(Kind::Practice)?;
            if held.iter().any(|record| {
                record.author() == daemon.node.school_id()
                    && record.body_bytes() == Some(practice.as_bytes())
            }) {
                continue;
            }
            daemon
                .node
                .publish(Kind::Practice, practice.as_bytes().to_vec())
                .await
                .with_context(|| format!("publishing a sample practice on {}", member.slug))?;
        }
    }
    wait_replicated(&daemons).await?;

    let nodes: Vec<serde_json::Value> = MEMBERS
        .iter()
        .zip(&daemons)
        .map(|(member, daemon)| {
            serde_json::json!({
                "role": member.role,
                "name": member.name,
                "school_id": daemon.node.school_id().to_string(),
                "api": daemon.api_url,
                "web": format!("{}/", daemon.api_url),
                "data_dir": root.join(member.slug),
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&nodes)?);
    } else {
        println!("Ensemble demo: three nodes on loopback, network {NETWORK}");
        for node in &nodes {
            println!();
            println!(
                "  {}  [{}]",
                node["name"].as_str().unwrap_or(""),
                node["role"].as_str().unwrap_or("")
            );
            println!(
                "    school id: {}",
                node["school_id"].as_str().unwrap_or("")
            );
            println!("    web UI:    {}", node["web"].as_str().unwrap_or(""));
        }
        println!();
        if !args.check {
            println!("Press Ctrl-C to stop.");
        }
    }
    if !args.check {
        wait_for_signal().await;
    }
    for daemon in daemons.into_iter().rev() {
        daemon.stop().await;
    }
    Ok(ExitCode::SUCCESS)
}

async fn start_member(dir: &Path, member: &Member, bootstrap: Vec<String>) -> Result<Daemon> {
    let roles = vec![member.role.to_string()];
    let text = config::render_initial(member.name, NETWORK, &roles, NETWORK);
    if !dir.join(data_dir::KEY_FILE).exists() {
        data_dir::init(dir, &text, false)?;
    }
    let key = data_dir::load_key(dir)?;
    let token = data_dir::load_token(dir)?;
    let mut file = config::File::read(&dir.join(data_dir::CONFIG_FILE))?;
    file.network.listen = Some(vec!["/ip4/127.0.0.1/tcp/0".into()]);
    file.network.bootstrap = Some(bootstrap);
    file.network.mdns = Some(false);
    file.network.hub = Some(member.role == "hub");
    file.api.listen = Some("127.0.0.1:0".into());
    let options = file.into_options(dir.to_path_buf())?;
    let daemon = Daemon::start(options, key, token).await?;
    daemon.node_file().write(dir)?;
    Ok(daemon)
}

/// Change feeds of every node: network events and newly stored records.
struct Changes {
    network: Vec<tokio::sync::watch::Receiver<u64>>,
    stored: Vec<tokio::sync::broadcast::Receiver<ensemble_node::StoredEvent>>,
    deadline: tokio::time::Instant,
}

impl Changes {
    fn new(daemons: &[Daemon]) -> Changes {
        Changes {
            network: daemons
                .iter()
                .map(|daemon| daemon.node.network_changes())
                .collect(),
            stored: daemons
                .iter()
                .map(|daemon| daemon.node.stored_events())
                .collect(),
            deadline: tokio::time::Instant::now() + CONNECT_TIMEOUT,
        }
    }

    /// Waits for the next change on any node; errors once the deadline passes.
    async fn next(&mut self, what: &str) -> Result<()> {
        let mut waits: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>> =
            Vec::new();
        for changes in &mut self.network {
            waits.push(Box::pin(async move {
                let _ = changes.changed().await;
            }));
        }
        for events in &mut self.stored {
            waits.push(Box::pin(async move {
                let _ = events.recv().await;
            }));
        }
        match tokio::time::timeout_at(self.deadline, futures::future::select_all(waits)).await {
            Ok(_) => Ok(()),
            Err(_) => bail!("the demo nodes did not {what} within {CONNECT_TIMEOUT:?}"),
        }
    }
}

/// Waits until each node shares the catalog topic with the others (gossip can flow).
async fn wait_connected(daemons: &[Daemon]) -> Result<()> {
    let catalog = ensemble_core::topic::network(NETWORK, ensemble_core::TopicFamily::Catalog);
    let mut changes = Changes::new(daemons);
    loop {
        let mut done = true;
        for (index, daemon) in daemons.iter().enumerate() {
            let wanted = if index == 0 { daemons.len() - 1 } else { 1 };
            let ready = daemon
                .node
                .peers()
                .await?
                .iter()
                .filter(|peer| peer.topics.contains(&catalog))
                .count();
            done &= ready >= wanted;
        }
        if done {
            return Ok(());
        }
        changes.next("connect").await?;
    }
}

/// Waits until every node holds every sample practice and every profile.
async fn wait_replicated(daemons: &[Daemon]) -> Result<()> {
    let mut changes = Changes::new(daemons);
    loop {
        let mut done = true;
        for daemon in daemons {
            let practices = daemon.node.store().latest(Kind::Practice)?.len();
            let profiles = daemon.node.store().latest(Kind::SchoolProfile)?.len();
            done &= practices >= practice_count() && profiles >= daemons.len();
        }
        if done {
            return Ok(());
        }
        changes.next("replicate").await?;
    }
}
