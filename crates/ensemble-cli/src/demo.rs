//! `ensemble demo`: a regional hub, a mentor school and a school receiving support in
//! one process on loopback, each with its own data directory, connected through the
//! hub and publishing realistic sample records: practices, and a mentoring thread in
//! progress (a request, a tailored offer and a standing one, the agreement, a progress
//! report acknowledged by the mentor school).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use ensemble_api::Daemon;
use ensemble_core::{Kind, RecordId};
use ensemble_node::config;
use ensemble_node::data_dir;

use crate::run::{LogFormat, init_tracing, wait_for_signal};

/// How long the demo waits for its nodes to connect and replicate.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Flags of `ensemble demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Start, check that the nodes replicate, print the addresses and exit (for CI).
    #[arg(long)]
    check: bool,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t, env = "ENSEMBLE_LOG_FORMAT")]
    log_format: LogFormat,
}

/// One of the three demo schools: what its node is called, which role it plays and what
/// it publishes once the network is up.
struct Member {
    slug: &'static str,
    name: &'static str,
    role: &'static str,
    /// A fuller profile than the one a node publishes at first start, if any.
    profile: Option<&'static str>,
    practices: &'static [&'static str],
}

/// The network the three nodes join; it names their gossip topics, so all three must
/// share it for records to flow.
const NETWORK: &str = "ru-tat";

/// Hub first: every later member bootstraps from the first daemon started, which makes the
/// demo a star around the hub.
const MEMBERS: [Member; 3] = [
    Member {
        slug: "hub",
        name: "Региональный узел сети школ Татарстана",
        role: "hub",
        profile: None,
        practices: &[include_str!("../demo/online-self-education.json")],
    },
    Member {
        slug: "mentor",
        name: "Гимназия №5 г. Казани",
        role: "mentor",
        profile: Some(include_str!("../demo/mentor-profile.json")),
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
        profile: Some(include_str!("../demo/school-profile.json")),
        practices: &[include_str!("../demo/network-mentoring.json")],
    },
];

/// The supported school's request for support.
const MENTORING_REQUEST: &str = include_str!("../demo/mentoring-request.json");
/// The mentor school's offer tailored to that request.
const MENTORING_OFFER: &str = include_str!("../demo/mentoring-offer.json");
/// The hub's standing offer to every school of the region.
const STANDING_OFFER: &str = include_str!("../demo/standing-offer.json");
/// The supported school's acceptance of the mentor school's offer (norms, review dates).
const MENTORING_ACCEPTANCE: &str = include_str!("../demo/mentoring-acceptance.json");
/// The supported school's first progress report.
const PROGRESS_REPORT: &str = include_str!("../demo/progress-report.json");
/// The mentor school's countersignature of that report.
const ACKNOWLEDGEMENT: &str = "Отчёт подтверждаем: совместное планирование и взаимопосещения проведены, стажировку ждём в декабре.";

/// The number of sample practices across the three nodes.
fn practice_count() -> usize {
    MEMBERS.iter().map(|member| member.practices.len()).sum()
}

/// Runs the demo; with `dir` (the global `--data-dir`) the three data directories are
/// kept under it, else in a temporary directory removed at exit.
pub async fn demo(args: DemoArgs, dir: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    init_tracing(args.log_format);
    // Declared outside the match so the temporary directory lives until `demo` returns;
    // dropping it earlier would delete the data directories under running nodes.
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
        // Skip a profile the node already published: with a kept `--data-dir` a second run
        // would otherwise add a new version of the same profile on every start.
        if let Some(profile) = member.profile {
            let current = daemon.node.store().latest(Kind::SchoolProfile)?;
            let published = current.iter().any(|record| {
                record.author() == daemon.node.school_id()
                    && record.body_bytes() == Some(profile.as_bytes())
            });
            if !published {
                daemon
                    .node
                    .set_profile(profile.as_bytes().to_vec())
                    .await
                    .with_context(|| format!("publishing the {} profile", member.slug))?;
            }
        }
        // Same reasoning for practices: publishing is idempotent only by this check.
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
    // The thread is played after replication so every node already knows every school's
    // profile, and the offers printed below carry school names rather than bare ids.
    let thread = mentoring_thread(&daemons)
        .await
        .context("playing the mentoring thread")?;

    // One value per node feeds both outputs, so `--json` and the text listing cannot
    // disagree; the request id is repeated per node for scripts that pick one entry.
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
                "mentoring_request": thread.to_string(),
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
                // The fields were set as strings just above; `unwrap_or` only avoids a panic path.
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
        println!("  A mentoring thread in progress (request {thread}):");
        // The third member, the supported school: offers are ranked from the requester's
        // point of view, and it is the node whose thread a reader is told to open below.
        let school = &daemons[2];
        for offer in school.node.rank_offers(thread)? {
            let score = offer.fit.as_ref().map_or(0, |fit| fit.score);
            println!(
                "    offer {}. {score}/100 {} — {}{}",
                offer.rank,
                offer.offer.school.clone().unwrap_or_default(),
                offer.offer.title.clone().unwrap_or_default(),
                if offer.accepted { "  [accepted]" } else { "" }
            );
        }
        let shown = school.node.thread(thread)?;
        println!("    state: {}", shown.state);
        for report in shown
            .agreement
            .iter()
            .flat_map(|agreement| &agreement.reports)
        {
            let by: Vec<String> = report
                .acknowledgements
                .iter()
                .filter_map(|acknowledgement| acknowledgement.school.clone())
                .collect();
            let acknowledged = if by.is_empty() {
                "not acknowledged yet".to_string()
            } else {
                format!("acknowledged by {}", by.join(", "))
            };
            println!("    progress report [{}] {acknowledged}", report.status);
        }
        println!(
            "    ensemble mentoring show {thread} --data-dir {}",
            root.join("school").display()
        );
        println!();
        if !args.check {
            println!("Press Ctrl-C to stop.");
        }
    }
    // `--check` exits as soon as replication is proven, which is what CI needs.
    if !args.check {
        wait_for_signal().await;
    }
    // Members stop before the hub they joined through: the mirror of the start order, so
    // no member outlives the peer that connects it to the others.
    for daemon in daemons.into_iter().rev() {
        daemon.stop().await;
    }
    // As `ensemble run` does on exit: a kept data directory must not point client
    // commands at an API nobody serves any more.
    for member in &MEMBERS {
        data_dir::NodeFile::remove(&root.join(member.slug));
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts one member's daemon in `dir`, bound to loopback on ports the OS picks, with
/// `bootstrap` as its only way into the network.
async fn start_member(dir: &Path, member: &Member, bootstrap: Vec<String>) -> Result<Daemon> {
    let roles = vec![member.role.to_string()];
    let text = config::render_initial(member.name, NETWORK, &roles, NETWORK);
    // A data directory kept from an earlier run keeps its key, hence its school id.
    if !dir.join(data_dir::KEY_FILE).exists() {
        data_dir::init(dir, Some(&text), false)?;
    }
    let key = data_dir::load_key(dir)?;
    let token = data_dir::load_token(dir)?;
    let mut file = config::File::read(&dir.join(data_dir::CONFIG_FILE))?;
    // Loopback and port 0: demos must not collide with each other, with a real node on the
    // default ports, or be reachable from the LAN.
    file.network.listen = Some(vec!["/ip4/127.0.0.1/tcp/0".into()]);
    file.network.bootstrap = Some(bootstrap);
    // mDNS off so the demo nodes find only each other, through the hub, and never a real
    // node on the same network segment.
    file.network.mdns = Some(false);
    file.network.hub = Some(member.role == "hub");
    file.api.listen = Some("127.0.0.1:0".into());
    let options = file.into_options(dir.to_path_buf())?;
    let daemon = Daemon::start(options, key, token).await?;
    // `node.json` lets `ensemble --data-dir <dir>/school ...` reach this running API, which
    // the command printed at the end of the listing relies on.
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
    // The deadline is fixed here, once: it bounds a whole wait, not each wakeup.
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
        // Boxed because the two kinds of receivers give futures of different types and
        // `select_all` wants one; nothing here runs concurrently beyond the wait itself.
        let mut waits: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>> =
            Vec::new();
        for changes in &mut self.network {
            waits.push(Box::pin(async move {
                // An error (the sender gone) counts as a wakeup too: the caller re-checks its
                // condition and the deadline still bounds the loop.
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
            // Members bootstrap only from the hub, so a member needs just the hub, while the hub
            // must see every member.
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

/// Plays a mentoring thread up to a report acknowledged: the hub's standing offer, the
/// supported school's request, the mentor school's offer to it, the acceptance, a
/// progress report and its acknowledgement. Each step waits on replication events for
/// what it needs, and is skipped when a kept data directory already holds it. Returns
/// the request's id.
async fn mentoring_thread(daemons: &[Daemon]) -> Result<RecordId> {
    let [hub, mentor, school] = daemons else {
        bail!("the demo runs three nodes");
    };
    // A standing offer answers no particular request, which is how the two kinds are told
    // apart here.
    let offers_by = |daemon: &Daemon, standing: bool| -> Result<Vec<RecordId>> {
        Ok(daemon
            .node
            .store()
            .latest(Kind::MentoringOffer)?
            .iter()
            .filter(|record| record.author() == daemon.node.school_id())
            .filter(|record| match record.body() {
                Some(ensemble_core::body::Body::MentoringOffer(offer)) => {
                    offer.request.is_none() == standing
                }
                _ => false,
            })
            .map(|record| record.doc())
            .collect())
    };
    let standing = match offers_by(hub, true)?.first() {
        Some(offer) => *offer,
        None => hub.node.offer(None, STANDING_OFFER.into()).await?.doc(),
    };
    let own_request = school
        .node
        .store()
        .latest(Kind::MentoringRequest)?
        .iter()
        .find(|record| record.author() == school.node.school_id())
        .map(|record| record.doc());
    let request = match own_request {
        Some(request) => request,
        None => school
            .node
            .publish_request(MENTORING_REQUEST.into())
            .await?
            .doc(),
    };
    wait_until(daemons, "replicate the request", || {
        Ok(mentor.node.store().contains(&request)?)
    })
    .await?;

    // The mentor's own tailored offer in this thread, if an earlier run made it.
    let offered = mentor
        .node
        .thread(request)?
        .offers
        .iter()
        .find_map(|offer| {
            (offer.offer.author == mentor.node.school_id().to_string() && !offer.standing)
                .then(|| offer.offer.doc.parse::<RecordId>().ok())
                .flatten()
        });
    let offer = match offered {
        Some(offer) => offer,
        None => mentor
            .node
            .offer(Some(request), MENTORING_OFFER.into())
            .await?
            .doc(),
    };
    // The school needs both offers before accepting, so the ranking printed later shows
    // the tailored offer next to the standing one.
    wait_until(daemons, "replicate the offers", || {
        let store = school.node.store();
        Ok(store.contains(&offer)? && store.contains(&standing)?)
    })
    .await?;

    let agreement = match school.node.thread(request)?.agreement {
        Some(agreement) => agreement.acceptance.doc.parse::<RecordId>()?,
        None => school
            .node
            .accept(offer, None, Some(MENTORING_ACCEPTANCE.into()))
            .await?
            .doc(),
    };
    let reported = school
        .node
        .thread(request)?
        .agreement
        .and_then(|agreement| {
            agreement
                .reports
                .first()
                .and_then(|report| report.report.doc.parse::<RecordId>().ok())
        });
    let report = match reported {
        Some(report) => report,
        None => school
            .node
            .report(agreement, PROGRESS_REPORT.into())
            .await?
            .doc(),
    };
    wait_until(daemons, "replicate the progress report", || {
        Ok(mentor.node.store().contains(&report)?)
    })
    .await?;
    // Any acknowledgement counts: the demo's mentor writes only one.
    let acknowledged = |daemon: &Daemon| -> Result<bool> {
        let thread = daemon.node.thread(request)?;
        Ok(thread.agreement.is_some_and(|agreement| {
            agreement
                .reports
                .iter()
                .any(|entry| !entry.acknowledgements.is_empty())
        }))
    };
    if !acknowledged(mentor)? {
        mentor
            .node
            .acknowledge(report, Some(ACKNOWLEDGEMENT.into()))
            .await?;
    }
    // Waiting on every node, not only the school, makes `--check` prove that the whole
    // thread replicated, and the printed state final.
    wait_until(daemons, "agree on the mentoring thread", || {
        for daemon in daemons {
            if !acknowledged(daemon)? {
                return Ok(false);
            }
        }
        Ok(true)
    })
    .await?;
    Ok(request)
}

/// Waits, on the nodes' change feeds, until `ready` holds.
async fn wait_until(
    daemons: &[Daemon],
    what: &str,
    mut ready: impl FnMut() -> Result<bool>,
) -> Result<()> {
    // Subscribe before the first check, so a change landing between check and wait still
    // wakes the loop instead of being missed until the deadline.
    let mut changes = Changes::new(daemons);
    loop {
        if ready()? {
            return Ok(());
        }
        changes.next(what).await?;
    }
}
