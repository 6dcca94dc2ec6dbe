//! `ensemble practice search` and `ensemble reindex`: the catalog search from the
//! command line, through the running node's API.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use ensemble_api::search::{SearchParams, SearchResponse};

use crate::global::{Global, client, print_json};

/// `ensemble practice search QUERY [filters]`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Words to look for, any language (empty: the newest practices).
    #[arg(default_value = "")]
    query: String,
    /// Subject code, e.g. russian.
    #[arg(long)]
    subject: Option<String>,
    /// Grade, 0–11.
    #[arg(long)]
    grade: Option<u8>,
    /// Problem code, e.g. reading-literacy.
    #[arg(long)]
    problem: Option<String>,
    /// Method code, e.g. reading-strategies.
    #[arg(long)]
    method: Option<String>,
    /// Lowest evidence level, E0–E5 (E4: replicated by another school).
    #[arg(long)]
    evidence: Option<String>,
    /// Language of the practice, e.g. ru.
    #[arg(long)]
    lang: Option<String>,
    /// Author school id.
    #[arg(long)]
    school: Option<String>,
    /// Region code of the author school, e.g. ru-tat.
    #[arg(long)]
    region: Option<String>,
    /// Results per page, 1–100.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// The `next_cursor` of a previous page.
    #[arg(long)]
    cursor: Option<String>,
}

impl SearchArgs {
    fn params(&self) -> SearchParams {
        SearchParams {
            q: Some(self.query.clone()),
            subject: self.subject.clone(),
            grade: self.grade.map(|grade| grade.to_string()),
            problem: self.problem.clone(),
            method: self.method.clone(),
            evidence: self.evidence.clone(),
            lang: self.lang.clone(),
            school: self.school.clone(),
            region: self.region.clone(),
            limit: Some(self.limit.to_string()),
            cursor: self.cursor.clone(),
        }
    }
}

/// Runs a search and prints the ranked practices.
pub(crate) async fn search(global: &Global, args: SearchArgs) -> Result<ExitCode> {
    let response = client(global)?.search(&args.params()).await?;
    if global.json {
        print_json(&response)?;
    } else {
        print_results(&response);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_results(response: &SearchResponse) {
    if response.results.is_empty() {
        println!("no practices found");
        return;
    }
    for result in &response.results {
        let grades: Vec<String> = result.grades.iter().map(u8::to_string).collect();
        println!(
            "{:>6.2}  {}  {}  [{}; grades {}; {}; applied in {}]",
            result.score,
            result.doc,
            result.title,
            result.subjects.join(", "),
            grades.join(", "),
            result.evidence,
            result.applied_in
        );
    }
    let more = response
        .next_cursor
        .as_deref()
        .map(|cursor| format!("; next page: --cursor {cursor}"))
        .unwrap_or_default();
    println!(
        "{} of {} shown{more}",
        response.results.len(),
        response.total
    );
}

/// `ensemble reindex`: rebuilds the node's search index from its store.
pub(crate) async fn reindex(global: &Global) -> Result<ExitCode> {
    let reindexed = client(global)?.reindex().await?;
    if global.json {
        print_json(&reindexed)?;
    } else {
        println!(
            "search index rebuilt: {} practices in {} ms",
            reindexed.practices, reindexed.millis
        );
    }
    Ok(ExitCode::SUCCESS)
}
