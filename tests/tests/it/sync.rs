//! Catch-up replication: late joiners, offline nodes, follows, retractions.

use std::time::Duration;

use ensemble_core::Kind;
use ensemble_tests::{Spec, WAIT, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_late_joiner_gets_three_authors_from_a_peer_that_wrote_none() {
    let hub = start(Spec::school("Архив")).await.expect("hub");
    let mut authors = Vec::new();
    let mut ids = Vec::new();
    for index in 0..3 {
        let author = start(Spec::school(&format!("Автор {index}")).bootstrap(&[&hub]))
            .await
            .expect("author");
        author.wait_for_subscribers(1, WAIT).await.expect("meshed");
        for round in 0..4 {
            ids.push(
                author
                    .publish_practice(&format!("Практика {index}.{round}"))
                    .await
                    .expect("publish"),
            );
        }
        authors.push(author);
    }
    hub.wait_for_records(&ids, WAIT)
        .await
        .expect("hub holds everything");
    for author in &mut authors {
        author.stop().await;
    }

    let newcomer = start(Spec::school("Новичок").bootstrap(&[&hub]))
        .await
        .expect("newcomer");
    newcomer
        .wait_for_records(&ids, WAIT)
        .await
        .expect("newcomer caught up from the hub alone");
    for author in &authors {
        let school = ensemble_core::SchoolKey::from_seed(author.seed).school_id();
        // 4 practices + the profile each node publishes at first start.
        assert_eq!(newcomer.node().store().head(&school).expect("head"), 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_offline_node_catches_up_and_the_next_round_is_one_small_exchange() {
    let hub = start(Spec::school("Узел")).await.expect("hub");
    let mut school = start(Spec::school("Сельская школа").bootstrap(&[&hub]))
        .await
        .expect("school");
    school.wait_for_subscribers(1, WAIT).await.expect("meshed");
    school.stop().await;

    let mut ids = Vec::new();
    for index in 0..500 {
        ids.push(
            hub.publish_practice(&format!("Практика номер {index}"))
                .await
                .expect("publish"),
        );
    }
    school.restart(vec![hub.address()]).await.expect("restart");
    school
        .wait_for_records(&ids, Duration::from_secs(60))
        .await
        .expect("caught up on restart");

    let hub_peer = hub.node().peer_id();
    let rounds = school
        .node()
        .sync_now(Some(hub_peer))
        .await
        .expect("sync now");
    let round = &rounds[0];
    assert!(round.error.is_none(), "{:?}", round.error);
    assert!(round.in_sync, "heads already equal: {round:?}");
    assert_eq!(round.round_trips, 1, "{round:?}");
    assert_eq!(round.records_received, 0);
    assert!(
        round.wire_bytes < 1024,
        "in-sync check costs {} bytes",
        round.wire_bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn following_a_school_of_another_network_brings_its_history() {
    let other = start(Spec::school("Минская гимназия").network("by-minsk"))
        .await
        .expect("other");
    let mut history = Vec::new();
    for index in 0..3 {
        history.push(
            other
                .publish_practice(&format!("Минская практика {index}"))
                .await
                .expect("publish"),
        );
    }
    let school = start(Spec::school("Казанская школа").bootstrap(&[&other]))
        .await
        .expect("school");
    let other_school = other.node().school_id();
    school.wait_for_peers(1, WAIT).await.expect("connected");
    // Not followed yet: another network's records are out of scope.
    let rounds = school
        .node()
        .sync_now(Some(other.node().peer_id()))
        .await
        .expect("sync");
    assert!(rounds[0].error.is_none(), "{:?}", rounds[0].error);
    assert!(
        !school
            .node()
            .store()
            .contains(&history[0])
            .expect("contains")
    );

    assert!(
        school
            .client()
            .follow(&other_school.to_string())
            .await
            .expect("follow")
            .changed
    );
    school
        .wait_for_records(&history, WAIT)
        .await
        .expect("history arrives");
    let follows = school.client().follows().await.expect("follows");
    assert_eq!(follows[0].school_id, other_school.to_string());

    assert!(
        school
            .client()
            .unfollow(&other_school.to_string())
            .await
            .expect("unfollow")
            .changed
    );
    let after = other
        .publish_practice("После отписки")
        .await
        .expect("publish");
    school
        .node()
        .sync_now(Some(other.node().peer_id()))
        .await
        .expect("sync");
    // A record of our own network proves gossip still flows from that peer's side.
    assert!(
        !school.node().store().contains(&after).expect("contains"),
        "no longer replicated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retraction_reaches_a_node_that_was_offline_and_stays_effective() {
    let hub = start(Spec::school("Узел")).await.expect("hub");
    let author = start(Spec::school("Автор").bootstrap(&[&hub]))
        .await
        .expect("author");
    let mut reader = start(Spec::school("Читатель").bootstrap(&[&hub]))
        .await
        .expect("reader");
    author.wait_for_subscribers(1, WAIT).await.expect("meshed");
    reader.wait_for_subscribers(1, WAIT).await.expect("meshed");
    let practice = author
        .publish_practice("Будет отозвана")
        .await
        .expect("publish");
    reader
        .wait_for_record(practice, WAIT)
        .await
        .expect("reader holds it");
    // Keep a stale copy of the record to offer again later.
    let stale = reader
        .node()
        .store()
        .get(&practice)
        .expect("get")
        .expect("held")
        .record;
    reader.stop().await;

    let withdrawal = author
        .node()
        .retract(practice, Some("Ошибка в данных".into()))
        .await
        .expect("retract");
    hub.wait_for_record(withdrawal.id(), WAIT)
        .await
        .expect("hub holds the retraction");
    reader.restart(vec![hub.address()]).await.expect("restart");
    reader
        .wait_for_record(withdrawal.id(), WAIT)
        .await
        .expect("retraction arrives by sync");
    let held = reader
        .node()
        .store()
        .get(&practice)
        .expect("get")
        .expect("held");
    assert!(held.retracted);
    assert_eq!(held.record.body_bytes(), None, "body purged");

    // A stale peer re-offering the old version (here: by import) does not bring it back.
    let mut bundle = ensemble_core::bundle::new_bundle();
    ensemble_core::bundle::push_record(&mut bundle, &stale.to_wire());
    reader.node().import(&bundle).await.expect("import");
    let held = reader
        .node()
        .store()
        .get(&practice)
        .expect("get")
        .expect("held");
    assert_eq!(held.record.body_bytes(), None, "still purged");
    assert!(
        reader
            .node()
            .store()
            .latest(Kind::Practice)
            .expect("latest")
            .is_empty()
    );
}

fn signed(
    seed: u8,
    seq: u64,
    backlink: Option<ensemble_core::RecordId>,
    title: &str,
) -> ensemble_core::VerifiedRecord {
    ensemble_core::sign(
        &ensemble_core::SchoolKey::from_seed([seed; 32]),
        ensemble_core::Draft {
            network: ensemble_tests::NETWORK.into(),
            kind: Kind::Practice,
            doc: None,
            body: ensemble_tests::practice(title),
        },
        ensemble_core::LogPosition { seq, backlink },
        ensemble_core::now_ms(),
    )
    .expect("sign")
}

fn bundle_of(records: &[&ensemble_core::VerifiedRecord]) -> Vec<u8> {
    let mut bundle = ensemble_core::bundle::new_bundle();
    for record in records {
        ensemble_core::bundle::push_record(&mut bundle, &record.to_wire());
    }
    bundle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fork_evidence_travels_by_sync_and_flags_the_author_everywhere() {
    // One key signs two different records at seq 2: each node first sees one of them.
    let first = signed(90, 1, None, "Первая запись раздвоенного автора");
    let left = signed(90, 2, Some(first.id()), "Левая ветка");
    let right = signed(90, 2, Some(first.id()), "Правая ветка");
    let a = start(Spec::school("Узел A")).await.expect("a");
    a.node()
        .import(&bundle_of(&[&first, &left]))
        .await
        .expect("import");
    let b = start(Spec::school("Узел B")).await.expect("b");
    b.node()
        .import(&bundle_of(&[&first, &right]))
        .await
        .expect("import");
    assert!(a.node().store().forked_authors().expect("forks").is_empty());

    a.node().dial(b.address()).await.expect("dial");
    a.wait_for_record(right.id(), WAIT)
        .await
        .expect("A receives the other branch");
    b.wait_for_record(left.id(), WAIT)
        .await
        .expect("B receives the other branch");
    for node in [&a, &b] {
        assert_eq!(
            node.node().store().forked_authors().expect("forks"),
            vec![first.author()]
        );
        let status = node.node().status().await.expect("status");
        assert_eq!(status.forked_authors, vec![first.author().to_string()]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_peer_serving_an_invalid_record_is_dropped_and_nothing_from_that_page_is_stored() {
    use ensemble_net::sync_wire::{Head, SyncRequest, SyncResponse};

    let honest = start(Spec::school("Честный узел")).await.expect("honest");
    let one = signed(91, 1, None, "Подлинная запись");
    let two = signed(91, 2, Some(one.id()), "Подделанная запись");
    let mut forged = two.to_wire();
    let end = forged.len() - 2;
    forged[end] ^= 0x01; // the body no longer matches its hash

    let config = ensemble_net::Config {
        key_seed: [92; 32],
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")],
        mdns: false,
        ..ensemble_net::Config::default()
    };
    let mut registry = prometheus_client::registry::Registry::default();
    let (liar, mut events) = ensemble_net::spawn(config, &mut registry).expect("liar");
    let liar_addr = liar.wait_listening(WAIT).await.expect("listening")[0].clone();
    let liar_peer = liar.local_peer_id();
    let author = ensemble_core::SchoolKey::from_seed([91; 32]).school_id();
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let served = pages.clone();
    let responder = liar.clone();
    let page = vec![
        serde_bytes::ByteBuf::from(one.to_wire()),
        serde_bytes::ByteBuf::from(forged),
    ];
    let server = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let ensemble_net::Event::SyncRequest {
                request,
                responder: channel,
                ..
            } = event
            {
                let response = match request {
                    SyncRequest::Heads { .. } => SyncResponse::Heads {
                        heads: vec![Head {
                            author: serde_bytes::ByteArray::new(*author.as_bytes()),
                            seq: 2,
                            forks: vec![],
                            id: None,
                        }],
                    },
                    SyncRequest::Pull { .. } => {
                        served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        SyncResponse::Records {
                            records: page.clone(),
                            truncated: false,
                        }
                    }
                };
                responder.respond_sync(channel, response);
            }
        }
    });

    honest.node().dial(liar_addr).await.expect("dial");
    let rounds = honest.node().sync_now(Some(liar_peer)).await.expect("sync");
    assert!(
        pages.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the forged page was served"
    );
    // The round fails: on the forged page, or because the automatic round that started
    // on connection already dropped the liar.
    assert!(rounds[0].error.is_some(), "{rounds:?}");
    assert!(
        !honest.node().store().contains(&one.id()).expect("contains"),
        "the valid record of that page is not stored either"
    );
    // Disconnected: wait for the peer list to lose it.
    let mut changes = honest.node().network_changes();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        changes.borrow_and_update();
        let peers = honest.node().peers().await.expect("peers");
        if peers
            .iter()
            .all(|peer| peer.peer_id != liar_peer.to_string())
        {
            break;
        }
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .expect("disconnected in time")
            .expect("watch");
    }
    liar.shutdown().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_catch_up_larger_than_a_page_completes_in_one_round() {
    // 40 authors × 40 records: more than one 1,000-record page and more than one request
    // of 32 ranges, so pages are cut before they reach every range.
    let mut records = Vec::new();
    for author in 0..40u8 {
        let mut backlink = None;
        for seq in 1..=40u64 {
            let record = signed(
                100 + author,
                seq,
                backlink,
                &format!("Практика {author}-{seq}"),
            );
            backlink = Some(record.id());
            records.push(record);
        }
    }
    let refs: Vec<&ensemble_core::VerifiedRecord> = records.iter().collect();
    let hub = start(Spec::school("Большой архив")).await.expect("hub");
    let report = hub.node().import(&bundle_of(&refs)).await.expect("import");
    assert_eq!(report.imported, records.len());

    let newcomer = start(Spec::school("Новичок")).await.expect("newcomer");
    let hub_peer = hub.node().peer_id();
    newcomer.node().dial(hub.address()).await.expect("dial");
    let round = newcomer
        .node()
        .sync_now(Some(hub_peer))
        .await
        .expect("sync")
        .remove(0);
    assert!(round.error.is_none(), "{round:?}");
    assert_eq!(
        round.missing, 0,
        "one round fetches everything the peer advertised: {round:?}"
    );
    let ids: Vec<_> = records.iter().map(|record| record.id()).collect();
    newcomer
        .wait_for_records(&ids, WAIT)
        .await
        .expect("all held");
}
