//! `search`: query latency over 100 k practices with realistic Russian and English
//! text and vocabulary codes ([`crate::corpus::practice_body`]), p50/p99 over a fixed
//! mix of queries ([`QUERY_MIX`]): words and phrases in both languages, each with and
//! without filters on subject, grade, method and language.
//!
//! Baseline: a catalog page read from the store without the index
//! (`Store::list(Practice, limit 20)`, newest first), timed alternately with the
//! queries. Target: p99 ≤ 15 ms. The index is filled the way a node fills it — records
//! ingested through `Node::ingest`, the indexer task following `stored_events` — and
//! timing starts once every practice document is searchable.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use ensemble_core::Kind;
use ensemble_node::{Origin, search};

use crate::cluster::{self, NETWORK, WAIT};
use crate::figures::percentile;
use crate::{Bench, Figures, corpus, progress};

/// Target for the 99th percentile of query latency.
const TARGET_P99_MS: f64 = 15.0;
/// Records per ingest call while filling the index (a sync page).
const FILL_PAGE: usize = 1_000;
/// Records per generated author (a busy school's catalog).
const RECORDS_PER_AUTHOR: usize = 500;
/// Hits a query asks for: one page of the web UI.
const PAGE: usize = 20;

/// One query of the mix: free text plus optional filters (vocabulary codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    /// What the teacher typed.
    pub text: &'static str,
    /// Subject code filter.
    pub subject: Option<&'static str>,
    /// Grade filter.
    pub grade: Option<u8>,
    /// Method code filter.
    pub method: Option<&'static str>,
    /// Language filter.
    pub language: Option<&'static str>,
}

const fn text(text: &'static str) -> Query {
    Query {
        text,
        subject: None,
        grade: None,
        method: None,
        language: None,
    }
}

const fn filtered(
    text: &'static str,
    subject: Option<&'static str>,
    grade: Option<u8>,
    method: Option<&'static str>,
    language: Option<&'static str>,
) -> Query {
    Query {
        text,
        subject,
        grade,
        method,
        language,
    }
}

/// The fixed query mix: common and rare words, inflected Russian forms, phrases, and
/// filters alone and combined.
pub static QUERY_MIX: &[Query] = &[
    text("смысловое чтение"),
    text("чтения"),
    text("формирующее оценивание"),
    text("самооценка"),
    text("сельская школа"),
    text("ВПР математика"),
    text("reading strategies"),
    text("formative assessment"),
    text("group work"),
    text("exit ticket"),
    filtered("чтение", Some("russian"), None, None, None),
    filtered("кластер", Some("biology"), Some(7), None, None),
    filtered(
        "оценивание",
        None,
        Some(5),
        Some("formative-assessment"),
        None,
    ),
    filtered("мотивация", Some("mathematics"), None, None, Some("ru")),
    filtered("feedback", None, None, None, Some("en")),
    filtered(
        "project",
        Some("informatics"),
        Some(9),
        Some("project-based-learning"),
        None,
    ),
    filtered("", Some("russian"), Some(5), None, None),
    filtered("", None, None, Some("cooperative-learning"), Some("ru")),
];

/// Runs the scenario.
pub async fn run(bench: &Bench) -> Result<Figures> {
    let practices = bench.sizes.search_practices.max(1);
    let queries = bench.sizes.queries.max(1);
    let authors = practices.div_ceil(RECORDS_PER_AUTHOR);
    // Each log opens with its school profile; the rest are practices.
    let phase = Instant::now();
    let records = tokio::task::spawn_blocking(move || {
        corpus::signed_logs("search", authors, practices + authors, NETWORK)
    })
    .await??;
    progress("search", "records signed", phase);
    let documents = cluster::practice_documents(&records);
    let mut pages: Vec<Vec<Vec<u8>>> = Vec::new();
    for chunk in records.chunks(FILL_PAGE) {
        pages.push(chunk.iter().map(|record| record.to_wire()).collect());
    }
    drop(records);

    let dir = bench.temp_dir("search")?;
    let node = cluster::start_node(dir.path(), "search", &[]).await?;
    let start = Instant::now();
    for page in pages {
        node.ingest(page, Origin::Sync).await;
    }
    cluster::wait_until_indexed(&node, documents, WAIT).await?;
    let fill = start.elapsed();
    progress("search", "index filled", start);

    let timer = node.clone();
    let (searches, listings, hits) = tokio::task::spawn_blocking(move || -> Result<_> {
        let mut searches = Vec::with_capacity(queries);
        let mut listings = Vec::with_capacity(queries);
        let mut hits = 0usize;
        for round in 0..queries {
            let query = QUERY_MIX[round % QUERY_MIX.len()].to_search();
            let start = Instant::now();
            let results = timer.search(&query)?;
            searches.push(start.elapsed());
            hits += results.hits.len();
            let start = Instant::now();
            let page = timer.store().list(Some(Kind::Practice), None, None, PAGE)?;
            listings.push(start.elapsed());
            ensure!(!page.records.is_empty(), "the catalog listing is empty");
        }
        Ok((searches, listings, hits))
    })
    .await??;
    node.shutdown().await;

    let ms = |samples: &[Duration], quantile| percentile(samples, quantile).as_secs_f64() * 1e3;
    let mut figures = Figures::new();
    figures
        .count("practices", documents)
        .count("queries", queries as u64)
        .number("index_fill_seconds", fill.as_secs_f64())
        .number("p50_ms", ms(&searches, 0.5))
        .number("p99_ms", ms(&searches, 0.99));
    figures.at_most("p99_ms", TARGET_P99_MS);
    figures
        .number("mean_hits", hits as f64 / queries as f64)
        .number("store_list_p50_ms", ms(&listings, 0.5))
        .number("store_list_p99_ms", ms(&listings, 0.99))
        .number(
            "p99_to_store_list_p99",
            ms(&searches, 0.99) / ms(&listings, 0.99),
        )
        .conclude();
    Ok(figures)
}

impl Query {
    /// The node's query for this entry of the mix: one page of hits.
    fn to_search(self) -> search::Query {
        search::Query {
            text: self.text.to_string(),
            subject: self.subject.map(str::to_string),
            grade: self.grade,
            method: self.method.map(str::to_string),
            lang: self.language.map(str::to_string),
            limit: PAGE,
            ..search::Query::default()
        }
    }
}
