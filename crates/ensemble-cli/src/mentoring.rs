//! `ensemble profile`, `ensemble schools` and `ensemble mentoring`: parsing the
//! arguments, calling the node's API and printing what it answers. Ranking, rules and
//! states are the node's business.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use ensemble_api::views::Published;
use ensemble_node::{FitView, RankedOffer, RecordRef, ThreadView};
use serde_json::Value;

use crate::global::{Global, client, print_json, read_file};

/// `ensemble profile …`: only `set`; reading profiles is `ensemble schools`.
/// `ensemble profile …`
#[derive(Debug, Subcommand)]
pub(crate) enum ProfileCommand {
    /// Publish a new version of this school's profile (FILE: school_profile JSON with
    /// name, region, roles, expertise, languages…).
    Set {
        /// JSON file.
        file: PathBuf,
    },
}

/// `ensemble mentoring …`: every step of a thread. The node enforces the thread's rules;
/// these variants only carry ids and files to it.
/// `ensemble mentoring …`
#[derive(Debug, Subcommand)]
pub(crate) enum MentoringCommand {
    /// Publish a request for support (FILE: mentoring_request JSON); prints its id.
    Request {
        /// JSON file.
        file: PathBuf,
    },
    /// For a mentor school: the requests of its networks, best fit with its profile and
    /// practices first, with the reasons.
    Requests {
        /// Only requests still taking offers.
        #[arg(long)]
        open: bool,
    },
    /// Offer mentoring: `offer REQUEST_ID FILE`, or `offer --standing FILE`.
    Offer {
        /// REQUEST_ID FILE (or FILE alone with --standing).
        // One positional list, not two arguments, so that `offer --standing FILE` and
        // `offer REQUEST_ID FILE` both read naturally; `mentoring` checks the arity.
        #[arg(value_name = "REQUEST_ID FILE", num_args = 1..=2, required = true)]
        args: Vec<String>,
        /// A standing offer, made to no request in particular.
        #[arg(long)]
        standing: bool,
    },
    /// For the school that asked: the offers to a request, best fit first, with reasons.
    Offers {
        /// The request's id.
        request: String,
    },
    /// Accept an offer: forms the agreement (autonomy clause prefilled) and follows
    /// the mentor school.
    Accept {
        /// The offer's id.
        offer: String,
        /// Acceptance JSON (goals, norms, review_dates, end); optional.
        file: Option<PathBuf>,
        /// The request, when the offer is a standing one.
        #[arg(long)]
        request: Option<String>,
    },
    /// File a progress report on an agreement (FILE: progress_report JSON).
    Report {
        /// The agreement: its acceptance's id.
        agreement: String,
        /// JSON file.
        file: PathBuf,
    },
    /// Countersign a partner's progress report.
    Acknowledge {
        /// The report's id.
        report: String,
        /// A word to the partner.
        #[arg(long)]
        text: Option<String>,
    },
    /// Close an agreement.
    Close {
        /// The agreement: its acceptance's id.
        agreement: String,
        /// How it ended.
        #[arg(long, value_parser = ["completed", "terminated"])]
        outcome: String,
        /// What was achieved.
        #[arg(long)]
        summary: String,
    },
    /// The whole thread of a request, offer, acceptance or report, with its state.
    Show {
        /// Any record id of the thread.
        id: String,
    },
}

/// `ensemble profile set FILE`.
pub(crate) async fn profile(global: &Global, command: ProfileCommand) -> Result<ExitCode> {
    let ProfileCommand::Set { file } = command;
    let published = client(global)?.set_profile(read_file(&file)?).await?;
    print_published(global, &published)
}

/// `ensemble schools`.
pub(crate) async fn schools(global: &Global) -> Result<ExitCode> {
    let schools = client(global)?.schools().await?;
    if global.json {
        print_json(&schools)?;
    } else if schools.is_empty() {
        println!("no school profiles held");
    } else {
        for school in schools {
            println!(
                "{}  {}  [{}]  {}",
                school.school_id,
                school.name,
                school.roles.join(", "),
                school.region
            );
            if !school.expertise.is_empty() {
                println!("    expertise: {}", school.expertise.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ensemble mentoring …`.
pub(crate) async fn mentoring(global: &Global, command: MentoringCommand) -> Result<ExitCode> {
    let client = client(global)?;
    let published = match command {
        MentoringCommand::Request { file } => client.publish_request(read_file(&file)?).await?,
        MentoringCommand::Requests { open } => {
            let requests = client.mentoring_requests(open).await?;
            if global.json {
                print_json(&requests)?;
            } else if requests.is_empty() {
                println!("no requests");
            } else {
                for ranked in requests {
                    println!(
                        "{}. {:>3}/100  {}  [{}]  {} — {}",
                        ranked.rank,
                        ranked.fit.score,
                        ranked.request.doc,
                        ranked.state,
                        title(&ranked.request),
                        school(&ranked.request)
                    );
                    // The reasons under the score: a bare number would not tell a mentor what fits.
                    println!("    {}", ranked.fit.explain_en());
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        MentoringCommand::Offer { args, standing } => {
            // How many arguments are right depends on `--standing`, which clap cannot say about
            // one positional list; checked here so the error shows both forms.
            let (request, file) = match (standing, args.as_slice()) {
                (true, [file]) => (None, file),
                (false, [request, file]) => (Some(request.as_str()), file),
                (true, _) => bail!("a standing offer takes FILE alone: offer --standing FILE"),
                (false, _) => bail!("give REQUEST_ID FILE, or --standing FILE"),
            };
            let body = read_file(&PathBuf::from(file))?;
            // Refused here: without a request in the path the node follows the file, so
            // `--standing` with a file naming a request would quietly publish a tailored offer.
            if standing && json_object(&body, file)?.get("request").is_some() {
                bail!("{file} names a request: drop --standing, or the file's \"request\"");
            }
            client.offer(request, body).await?
        }
        MentoringCommand::Offers { request } => {
            let offers = client.offers(&request).await?;
            if global.json {
                print_json(&offers)?;
            } else if offers.is_empty() {
                println!("no offers yet");
            } else {
                for offer in &offers {
                    print_offer(offer, "");
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        MentoringCommand::Accept {
            offer,
            file,
            request,
        } => {
            // Parsed here, unlike the other files: the client adds `offer` and `request` to the
            // draft, which needs a JSON object. `{}` takes the node's defaults (autonomy clause).
            let draft = match &file {
                Some(file) => {
                    let bytes = read_file(file)?;
                    json_object(&bytes, &file.display().to_string())?
                }
                None => Value::Object(serde_json::Map::new()),
            };
            client.accept(&offer, request.as_deref(), draft).await?
        }
        MentoringCommand::Report { agreement, file } => {
            // Parsed for the same reason: the client adds `agreement` to the draft.
            let bytes = read_file(&file)?;
            let draft = json_object(&bytes, &file.display().to_string())?;
            client.report(&agreement, draft).await?
        }
        MentoringCommand::Acknowledge { report, text } => client.acknowledge(&report, text).await?,
        MentoringCommand::Close {
            agreement,
            outcome,
            summary,
        } => client.close(&agreement, &outcome, &summary).await?,
        MentoringCommand::Show { id } => {
            let thread = client.thread(&id).await?;
            if global.json {
                print_json(&thread)?;
            } else {
                print_thread(&thread);
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    print_published(global, &published)
}

/// Prints a write's answer: the new record's id alone, which a script captures with
/// `$(…)`, or the whole view with `--json`.
fn print_published(global: &Global, published: &Published) -> Result<ExitCode> {
    if global.json {
        print_json(published)?;
    } else {
        println!("{}", published.id);
    }
    Ok(ExitCode::SUCCESS)
}

/// The draft is merged with ids by the client, so it must be an object; the errors name
/// the file, which serde's own message would not.
/// The file's JSON, which must be an object.
fn json_object(bytes: &[u8], name: &str) -> Result<Value> {
    let value: Value =
        serde_json::from_slice(bytes).with_context(|| format!("{name} is not valid JSON"))?;
    if !value.is_object() {
        bail!("{name} must hold a JSON object");
    }
    Ok(value)
}

/// A record's title for a listing. A record without a body was withdrawn (its text
/// purged), which a reader should see rather than an empty title.
fn title(record: &RecordRef) -> String {
    match &record.title {
        Some(title) => format!("«{title}»"),
        None if record.body.is_none() => "(withdrawn)".to_string(),
        None => String::new(),
    }
}

/// Who wrote a record: the school's name when its profile is held, else its id, so a
/// line never lacks an author.
fn school(record: &RecordRef) -> String {
    record
        .school
        .clone()
        .unwrap_or_else(|| record.author.clone())
}

/// Score and reasons of an offer. An offer has no fit once its request is withdrawn;
/// the dash is as wide as `NNN/100`, so the columns stay aligned.
fn fit_line(fit: Option<&FitView>) -> (String, String) {
    match fit {
        Some(fit) => (format!("{:>3}/100", fit.score), fit.explain_en()),
        None => (
            "  –    ".to_string(),
            "request withdrawn: no fit".to_string(),
        ),
    }
}

/// One ranked offer on two lines; `indent` nests it under `offers:` in a thread.
fn print_offer(offer: &RankedOffer, indent: &str) {
    let (score, reasons) = fit_line(offer.fit.as_ref());
    let mut flags = Vec::new();
    if offer.standing {
        flags.push("standing");
    }
    if offer.accepted {
        flags.push("accepted");
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!("  [{}]", flags.join(", "))
    };
    println!(
        "{indent}{}. {score}  {}  {} — {}{flags}",
        offer.rank,
        offer.offer.doc,
        title(&offer.offer),
        school(&offer.offer)
    );
    println!("{indent}    {reasons}");
}

/// A thread in the order a reader follows it: request, offers, agreement and reports,
/// then the records the node refused, each with the rule it broke.
fn print_thread(thread: &ThreadView) {
    println!(
        "request {}  {}  by {}",
        thread.request.doc,
        title(&thread.request),
        school(&thread.request)
    );
    println!("state: {}", thread.state);
    if thread.offers.is_empty() {
        println!("offers: none");
    } else {
        println!("offers:");
        for offer in &thread.offers {
            print_offer(offer, "  ");
        }
    }
    // Gossip keeps no order, so an acceptance can arrive before its offer; it is shown as
    // pending rather than hidden, so the thread does not look stalled.
    for pending in &thread.pending {
        println!(
            "pending acceptance {} by {}: its offer has not arrived yet",
            pending.doc,
            school(pending)
        );
    }
    match &thread.agreement {
        None => println!("agreement: none"),
        Some(agreement) => {
            println!(
                "agreement {}  [{}]  mentor {}, school receiving support {}",
                agreement.acceptance.doc,
                agreement.state,
                agreement
                    .mentor_name
                    .clone()
                    .unwrap_or_else(|| agreement.mentor.clone()),
                agreement
                    .supported_name
                    .clone()
                    .unwrap_or_else(|| agreement.supported.clone())
            );
            for report in &agreement.reports {
                println!(
                    "  report {}  [{}]  by {}",
                    report.report.doc,
                    report.status,
                    school(&report.report)
                );
                if report.acknowledgements.is_empty() {
                    println!("    not acknowledged yet");
                }
                for acknowledgement in &report.acknowledgements {
                    println!(
                        "    acknowledged by {} ({})",
                        school(acknowledgement),
                        acknowledgement.doc
                    );
                }
            }
            if let Some(closure) = &agreement.closure {
                println!("  closed by {} ({})", school(closure), closure.doc);
            }
        }
    }
    // Refused records stay visible with the rule's code, so partners can see why a step
    // they published does not count.
    for refused in &thread.refused {
        println!(
            "refused {} {} by {}: {} ({})",
            refused.record.kind,
            refused.record.doc,
            school(&refused.record),
            refused.reason,
            refused.rule
        );
    }
}
