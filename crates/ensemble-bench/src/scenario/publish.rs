//! `publish`: how long a teacher waits when publishing a practice — sign, store, flush
//! and hand-off to gossip — through the HTTP API of a running daemon with the typed
//! client, and, as its baseline, through `Node::publish` directly on the same node.
//! The two paths alternate so that they share the machine's noise. A second node is
//! connected and subscribed, so the hand-off to gossip really sends.
//!
//! No target: the figures show what the HTTP layer adds.

use std::time::{Duration, Instant};

use anyhow::Result;
use ensemble_core::{Kind, TopicFamily};

use crate::cluster::{self, WAIT};
use crate::figures::percentile;
use crate::{Bench, Figures, corpus};

/// Publishes through each path before timing starts (HTTP connection set-up, first
/// sled writes).
const WARM_UP: usize = 5;

/// Runs the scenario.
pub async fn run(bench: &Bench) -> Result<Figures> {
    let publishes = bench.sizes.publishes.max(1);
    let dir = bench.temp_dir("publish")?;
    let daemon = cluster::start_daemon(&dir.path().join("publisher"), "publisher", &[]).await?;
    let peer = cluster::start_node(
        &dir.path().join("peer"),
        "publish-peer",
        &[cluster::address(&daemon.node)?],
    )
    .await?;
    daemon
        .node
        .wait_for_subscribers(TopicFamily::Catalog, 1, WAIT)
        .await?;
    let client = daemon.client();
    let mut rng = corpus::Rng::new("publish", 0);
    let mut api = Vec::with_capacity(publishes);
    let mut direct = Vec::with_capacity(publishes);
    for round in 0..WARM_UP + publishes {
        let (api_body, node_body) = (
            corpus::practice_body(&mut rng),
            corpus::practice_body(&mut rng),
        );
        let start = Instant::now();
        client.publish_practice(api_body).await?;
        let through_api = start.elapsed();
        let start = Instant::now();
        daemon.node.publish(Kind::Practice, node_body).await?;
        let through_node = start.elapsed();
        if round >= WARM_UP {
            api.push(through_api);
            direct.push(through_node);
        }
    }
    peer.shutdown().await;
    daemon.stop().await;

    let millis = |samples: &[Duration], quantile| percentile(samples, quantile).as_secs_f64() * 1e3;
    let mut figures = Figures::new();
    figures
        .count("publishes", publishes as u64)
        .number("api_p50_ms", millis(&api, 0.5))
        .number("api_p99_ms", millis(&api, 0.99))
        .number("node_p50_ms", millis(&direct, 0.5))
        .number("node_p99_ms", millis(&direct, 0.99))
        .number("api_to_node_p50", millis(&api, 0.5) / millis(&direct, 0.5))
        .number(
            "api_to_node_p99",
            millis(&api, 0.99) / millis(&direct, 0.99),
        );
    Ok(figures)
}
