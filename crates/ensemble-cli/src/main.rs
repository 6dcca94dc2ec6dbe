//! `ensemble`: the command-line interface of an Ensemble school node.
//!
//! `init`, `run`, `recover` and `demo` work on a data directory directly; every other command is
//! a client of a running node, reached through `--data-dir` (which holds `node.json`
//! and the API token) or `--api URL --token TOKEN`.

// One module per command family; `main` keeps only the small commands and the
// dispatch, so each file reads on its own.
mod demo;
mod global;
mod man;
mod mentoring;
// `notify` speaks the systemd readiness protocol over a Unix socket; elsewhere `run`
// simply has nobody to notify.
#[cfg(unix)]
mod notify;
mod recover;
mod run;
mod search;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand};
use ensemble_node::config;
use ensemble_node::data_dir;

use crate::global::{Global, client, data_dir, print_json, read_file};
use serde_json::Value;

/// Ensemble: a federated network of school nodes sharing signed teaching practices
/// and mentoring between schools.
#[derive(Debug, Parser)]
#[command(name = "ensemble", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Every command the binary knows. The doc line of each variant is its `--help`
/// summary, so it is written for an operator, not for a reader of this file.
#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data directory: school key, API token, config.toml.
    Init(InitArgs),
    /// Run the node (P2P + HTTP API + web UI) until Ctrl-C.
    Run(run::RunArgs),
    /// Rebuild a damaged store from an export bundle and/or peers, keeping the key.
    Recover(recover::RecoverArgs),
    /// Start a regional hub, a mentor school and a supported school on loopback.
    Demo(demo::DemoArgs),
    /// Show the node's identity, records held, peers and network counters.
    Status,
    /// Publish, update, retract and list practice records.
    #[command(subcommand)]
    Practice(PracticeCommand),
    /// Inspect records.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Write every stored record to a verifiable bundle file.
    Export {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a bundle, verifying every record (exit 1 when any was skipped).
    Import {
        /// The bundle file.
        file: PathBuf,
    },
    /// List connected peers.
    Peers,
    /// Block a school (by school id) or a peer (by peer id).
    Block {
        /// School id or peer id.
        target: String,
    },
    /// Remove a block.
    Unblock {
        /// School id or peer id.
        target: String,
    },
    /// List blocks.
    Blocks,
    /// Follow a school of any network: its whole history is replicated.
    Follow {
        /// School id.
        school: String,
    },
    /// Stop following a school.
    Unfollow {
        /// School id.
        school: String,
    },
    /// List followed schools.
    Follows,
    /// Catch-up replication.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Rebuild the node's search index from its store.
    Reindex,
    /// This school's profile (roles, expertise, region…).
    #[command(subcommand)]
    Profile(mentoring::ProfileCommand),
    /// Schools known to this node: the latest profile of each.
    Schools,
    /// Mentoring between schools: requests, offers ranked by fit, agreements, reports.
    #[command(subcommand)]
    Mentoring(mentoring::MentoringCommand),
    /// Write the manual pages (roff) into a directory; packaging runs it.
    #[command(hide = true)]
    Man {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Flags of `ensemble init`; the values only seed the commented `config.toml`, which
/// stays the one place an operator edits afterwards.
#[derive(Debug, Args)]
struct InitArgs {
    /// The school's name.
    #[arg(long)]
    name: String,
    /// Region code, e.g. ru-tat.
    #[arg(long)]
    region: String,
    /// Role: mentor, supported, hub or school (repeatable).
    #[arg(long = "role", default_value = "school")]
    roles: Vec<String>,
    /// Network id (default: the region).
    #[arg(long)]
    network: Option<String>,
    /// Where to write the commented config (default: DATA_DIR/config.toml; a packaged
    /// install reads /etc/ensemble/config.toml). A file that already names a school is
    /// kept unless --force.
    #[arg(long, env = "ENSEMBLE_CONFIG")]
    config: Option<PathBuf>,
    /// Replace an existing identity (the old key is lost) and config.
    #[arg(long)]
    force: bool,
}

/// `ensemble practice …`: the catalog commands, all through the running node's API.
#[derive(Debug, Subcommand)]
enum PracticeCommand {
    /// Sign and publish a practice (FILE: the practice body as JSON).
    Publish {
        /// JSON file.
        file: PathBuf,
    },
    /// Publish a new version of a practice document.
    Update {
        /// The document id (first version's id).
        doc: String,
        /// JSON file.
        file: PathBuf,
    },
    /// Withdraw a practice: its text is purged on every node.
    Retract {
        /// The document id.
        doc: String,
        /// Why (shown to other schools).
        #[arg(long)]
        reason: Option<String>,
    },
    /// The latest version of every practice held.
    List,
    /// Search the catalog: ranked by relevance, with filters.
    Search(search::SearchArgs),
}

/// `ensemble record …`: a look at single records, whatever their kind.
#[derive(Debug, Subcommand)]
enum RecordCommand {
    /// Show one record: header, signature status, body.
    Show {
        /// Record id.
        id: String,
    },
}

/// `ensemble sync …`: catch-up replication, which gossip alone does not guarantee.
#[derive(Debug, Subcommand)]
enum SyncCommand {
    /// Per peer: last sync, records and bytes received, round trips.
    Status,
    /// Run a sync round now with one peer or all.
    Now {
        /// Peer id (default: every connected peer).
        peer: Option<String>,
    },
}

/// Parses, runs one command on a multi-threaded runtime (the node of `run` and `demo`
/// needs one), and turns any error into one line on stderr and exit status 1.
fn main() -> ExitCode {
    let cli = Cli::parse();
    // Built by hand rather than with `#[tokio::main]` so that a runtime that fails to start
    // still ends in the same one-line error and exit status as every other failure.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once: context layers often repeat
/// the message of the error they wrap, and a shell user wants one readable line.
fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        // `contains`, not equality: a context that embeds its cause's text already says it.
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
    }
    // Error texts from the node may span lines; one line keeps stderr greppable.
    parts.join(": ").replace('\n', " ")
}

/// Runs one command. `init`, `run` and `demo` work on a data directory; every other
/// command is a thin client of a running node, so the node stays the only writer of
/// its store and the CLI holds no logic beyond parsing and printing.
async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let global = &cli.global;
    match cli.command {
        Command::Init(args) => init(global, args),
        Command::Run(args) => {
            run::run(
                global.data_dir.clone().unwrap_or_else(|| data_dir(global)),
                args,
            )
            .await
        }
        Command::Recover(args) => recover::recover(data_dir(global), args, global.json).await,
        // `demo` takes only an explicit `--data-dir`, never the default `./ensemble-data`, so
        // trying the demo cannot touch a real node's directory; without it data is temporary.
        Command::Demo(args) => demo::demo(args, global.data_dir.clone(), global.json).await,
        Command::Status => {
            let status = client(global)?.status().await?;
            if global.json {
                print_json(&status)?;
            } else {
                print_status(&status);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Practice(command) => practice(global, command).await,
        Command::Reindex => search::reindex(global).await,
        Command::Record(RecordCommand::Show { id }) => {
            let record = client(global)?.record(&id).await?;
            if global.json {
                print_json(&record)?;
            } else {
                println!("id:         {}", record.id);
                println!("kind:       {}", record.kind);
                println!("author:     {}", record.author);
                println!("seq:        {}", record.seq);
                println!("doc:        {}", record.doc);
                println!("created_at: {}", record.created_at);
                println!("network:    {}", record.network);
                // Not checked here: the node stores only records it verified at ingest (the
                // view's `verified` is always true), so any record it serves passed.
                println!("signature verified");
                if record.retracted {
                    println!("retracted by its author: body purged");
                }
                if let Some(body) = &record.body {
                    println!("{}", serde_json::to_string_pretty(body)?);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { out } => {
            let bundle = client(global)?.export().await?;
            std::fs::write(&out, &bundle)
                .with_context(|| format!("cannot write {}", out.display()))?;
            // The count only feeds the summary: the bundle is already written as the node sent
            // it, so a bundle the CLI cannot split is still exported, reported as 0 records.
            let count = ensemble_core::bundle::split(&bundle)
                .map(|records| records.len())
                .unwrap_or(0);
            if global.json {
                print_json(
                    &serde_json::json!({"out": out, "records": count, "bytes": bundle.len()}),
                )?;
            } else {
                println!(
                    "exported {count} records ({} bytes) to {}",
                    bundle.len(),
                    out.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file } => {
            let bundle = read_file(&file)?;
            let report = client(global)?.import(bundle).await?;
            // Any skipped record turns the exit status to 1, so a script restoring a backup
            // notices a partial import; in text mode each goes to stderr, keeping stdout for
            // the summary line.
            let skipped = report["skipped"].as_array().cloned().unwrap_or_default();
            if global.json {
                print_json(&report)?;
            } else {
                println!(
                    "imported {}, already held {}, skipped {}",
                    report["imported"],
                    report["duplicates"],
                    skipped.len()
                );
                for entry in &skipped {
                    eprintln!(
                        "skipped record #{} {}: {}",
                        entry["index"],
                        entry["id"].as_str().unwrap_or("(undecodable)"),
                        entry["reason"].as_str().unwrap_or("")
                    );
                }
            }
            Ok(if skipped.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Peers => {
            let peers = client(global)?.peers().await?;
            if global.json {
                print_json(&peers)?;
            } else if peers.is_empty() {
                println!("no peers connected");
            } else {
                for peer in peers {
                    println!(
                        "{}  {}  {}",
                        peer["peer_id"].as_str().unwrap_or(""),
                        // A peer whose profile this node has not received yet has no name.
                        peer["name"].as_str().unwrap_or("(unknown school)"),
                        peer["addresses"]
                            .as_array()
                            .map(|addresses| addresses
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join(" "))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Block { target } => changed(
            global,
            client(global)?.block(&target).await?,
            "blocked",
            "already blocked",
        ),
        Command::Unblock { target } => changed(
            global,
            client(global)?.unblock(&target).await?,
            "unblocked",
            "was not blocked",
        ),
        Command::Blocks => {
            let blocks = client(global)?.blocks().await?;
            if global.json {
                print_json(&blocks)?;
            } else if blocks.is_empty() {
                println!("nothing blocked");
            } else {
                for block in blocks {
                    println!("{:<7} {}", block.kind, block.id);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Follow { school } => changed(
            global,
            client(global)?.follow(&school).await?,
            "following",
            "already following",
        ),
        Command::Unfollow { school } => changed(
            global,
            client(global)?.unfollow(&school).await?,
            "no longer following",
            "was not following",
        ),
        Command::Follows => {
            let follows = client(global)?.follows().await?;
            if global.json {
                print_json(&follows)?;
            } else if follows.is_empty() {
                println!("following no school");
            } else {
                for follow in follows {
                    println!(
                        "{}  {}  {} records",
                        follow.school_id,
                        follow.name.unwrap_or_default(),
                        follow.records
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sync(SyncCommand::Status) => {
            let stats = client(global)?.sync_status().await?;
            print_sync(global, &stats)
        }
        Command::Sync(SyncCommand::Now { peer }) => {
            let stats = client(global)?.sync_now(peer).await?;
            print_sync(global, &stats)
        }
        Command::Profile(command) => mentoring::profile(global, command).await,
        Command::Schools => mentoring::schools(global).await,
        Command::Mentoring(command) => mentoring::mentoring(global, command).await,
        Command::Man { out } => man::write_pages(Cli::command(), &out, global.json),
    }
}

/// Prints the answer of an idempotent call (block, follow…): `yes` when it changed
/// something, `no` when it was already so; both succeed, so scripts may repeat it.
fn changed(
    global: &Global,
    changed: ensemble_api::views::Changed,
    yes: &str,
    no: &str,
) -> Result<ExitCode> {
    if global.json {
        print_json(&changed)?;
    } else {
        println!("{}", if changed.changed { yes } else { no });
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints sync statistics per peer; a round's error is shown on its peer's line,
/// since one failing peer does not fail the command.
fn print_sync(global: &Global, stats: &[Value]) -> Result<ExitCode> {
    if global.json {
        print_json(&stats)?;
    } else if stats.is_empty() {
        println!("no sync rounds yet");
    } else {
        // Read loosely like `status`: a field an older or newer node lacks prints as `null`
        // and the command still works.
        for peer in stats {
            println!(
                "{}  last {}  received {} records / {} bytes  {} round trips  missing {}{}",
                peer["peer_id"].as_str().unwrap_or(""),
                peer["last_sync_ms"],
                peer["records_received"],
                peer["bytes_received"],
                peer["round_trips"],
                peer["missing"],
                peer["error"]
                    .as_str()
                    .map(|error| format!("  error: {error}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ensemble init`: a new school identity (key), API token and config in the data
/// directory. The key is the school's identity on every node, hence the reminder to
/// back it up: a lost key cannot be recovered, only replaced by a new school.
fn init(global: &Global, args: InitArgs) -> Result<ExitCode> {
    let dir = data_dir(global);
    // The network defaults to the region: schools of one region form one network unless
    // the operator names another.
    let network = args.network.clone().unwrap_or_else(|| args.region.clone());
    let text = config::render_initial(&args.name, &args.region, &args.roles, &network);
    // Validate before writing anything, naming every key at fault.
    config::File::parse(&text)?.into_options(dir.clone())?;
    let default_config = dir.join(data_dir::CONFIG_FILE);
    let config_path = args.config.clone().unwrap_or(default_config.clone());
    let write_config = args.force || !names_a_school(&config_path)?;
    let in_data_dir = config_path == default_config;
    let created = data_dir::init(
        &dir,
        (write_config && in_data_dir).then_some(text.as_str()),
        args.force,
    )?;
    if write_config && !in_data_dir {
        // Outside the data directory (/etc/ensemble/config.toml): the file stays
        // root's and world-readable like any file in /etc; it holds no secret.
        std::fs::write(&config_path, &text)
            .with_context(|| format!("cannot write {}", config_path.display()))?;
    }
    // The peer id is derived from the school key, so the one shown now stays valid
    // across restarts.
    let school_id = created.key.school_id().to_string();
    let peer_id = ensemble_node::peer_id_for(&created.key).to_string();
    if global.json {
        print_json(&serde_json::json!({
            "school_id": school_id,
            "peer_id": peer_id,
            "data_dir": dir,
            "config": config_path,
            "config_written": write_config,
        }))?;
    } else {
        println!("school id: {school_id}");
        println!("peer id:   {peer_id}");
        println!("data dir:  {}", dir.display());
        if write_config {
            println!("config:    {}", config_path.display());
        } else {
            println!(
                "config:    {} (kept: it already names a school; --force replaces it)",
                config_path.display()
            );
        }
        println!(
            "back up {} — it is the school's identity",
            dir.join(data_dir::KEY_FILE).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the config file at `path` exists and already names a school: `init` keeps
/// such a file (an operator's work) and fills in one that does not (the packaged
/// template, whose `[school]` keys are commented out).
fn names_a_school(path: &std::path::Path) -> Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    let file = config::File::read(path)?;
    Ok(file.school.name.is_some())
}

/// `ensemble practice …`: each write sends the file's bytes unparsed, so the node's
/// validator (not the CLI) names every field at fault.
async fn practice(global: &Global, command: PracticeCommand) -> Result<ExitCode> {
    let client = client(global)?;
    let published = match command {
        PracticeCommand::Search(args) => return search::search(global, args).await,
        PracticeCommand::Publish { file } => client.publish_practice(read_file(&file)?).await?,
        PracticeCommand::Update { doc, file } => {
            client.update_practice(&doc, read_file(&file)?).await?
        }
        PracticeCommand::Retract { doc, reason } => client.retract_practice(&doc, reason).await?,
        PracticeCommand::List => {
            let practices = client.practices().await?;
            if global.json {
                print_json(&practices)?;
            } else if practices.is_empty() {
                println!("no practices held");
            } else {
                for practice in practices {
                    println!("{}  {}", practice.doc, practice.title.unwrap_or_default());
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    // Only the new record's id by default; after `publish` it is also the document id that
    // `update` and `retract` take.
    if global.json {
        print_json(&published)?;
    } else {
        println!("{}", published.id);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints `status` for people. It reads the JSON loosely (missing fields print as
/// empty), so a CLI talking to a newer node still prints what it knows.
fn print_status(status: &Value) {
    let text = |key: &str| status[key].as_str().unwrap_or("").to_string();
    println!("school:   {} ({})", text("name"), text("school_id"));
    println!("peer id:  {}", text("peer_id"));
    println!(
        "region:   {}   network: {}",
        text("region"),
        text("network")
    );
    println!("peers:    {}", status["peers"]);
    if let Some(records) = status["records"].as_object() {
        let held: Vec<String> = records
            .iter()
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        println!(
            "records:  {}",
            if held.is_empty() {
                "none".to_string()
            } else {
                held.join(", ")
            }
        );
    }
    if let Some(listen) = status["listen"].as_array() {
        for address in listen.iter().filter_map(Value::as_str) {
            println!("listen:   {address}");
        }
    }
    if let Some(mesh) = status["mesh"].as_object() {
        for (topic, size) in mesh {
            println!("mesh:     {topic} {size}");
        }
    }
    let network = &status["network_records"];
    println!(
        "network:  accepted {}, ignored {}, rejected {}",
        network["accepted"], network["ignored"], network["rejected"]
    );
}
