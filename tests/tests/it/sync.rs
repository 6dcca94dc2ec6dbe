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
