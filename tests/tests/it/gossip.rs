//! Live gossip: propagation, validation of hostile input, restarts, blocks.

use std::time::Duration;

use ensemble_core::{Draft, Kind, LogPosition, SchoolKey, TopicFamily, sign, topic};
use ensemble_tests::{NETWORK, Spec, WAIT, practice, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_practice_crosses_a_line_of_three_nodes() {
    let a = start(Spec::school("Школа A")).await.expect("a");
    let b = start(Spec::school("Школа B").bootstrap(&[&a]))
        .await
        .expect("b");
    let c = start(Spec::school("Школа C").bootstrap(&[&b]))
        .await
        .expect("c");
    a.wait_for_subscribers(1, WAIT).await.expect("a meshed");
    c.wait_for_subscribers(1, WAIT).await.expect("c meshed");
    b.wait_for_subscribers(2, WAIT).await.expect("b meshed");

    let id = a
        .publish_practice("Практика из школы A")
        .await
        .expect("publish");
    c.wait_for_record(id, WAIT)
        .await
        .expect("C stores A's practice through B");

    let peers_of_c = c.node().peers().await.expect("peers");
    assert!(
        peers_of_c
            .iter()
            .all(|peer| peer.peer_id != a.node().peer_id().to_string()),
        "A and C were never connected"
    );
    let stored = c.node().store().get(&id).expect("get").expect("held");
    assert_eq!(stored.record.author(), a.node().school_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_connected_nodes_each_hold_every_record() {
    let mut nodes = Vec::new();
    for index in 0..5 {
        let spec = Spec::school(&format!("Школа {index}"));
        let bootstrap: Vec<_> = nodes.iter().collect();
        nodes.push(start(spec.bootstrap(&bootstrap)).await.expect("node"));
    }
    for node in &nodes {
        node.wait_for_subscribers(4, WAIT).await.expect("full mesh");
    }
    let mut ids = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        for round in 0..3 {
            ids.push(
                node.publish_practice(&format!("Практика {index}-{round}"))
                    .await
                    .expect("publish"),
            );
        }
    }
    for node in &nodes {
        node.wait_for_records(&ids, WAIT)
            .await
            .expect("all records everywhere");
    }
}

/// A raw libp2p peer (no validation, no store) that publishes whatever bytes it likes.
async fn raw_peer(
    seed: u8,
    bootstrap: ensemble_net::Multiaddr,
) -> (
    ensemble_net::NetworkHandle,
    tokio::sync::mpsc::Receiver<ensemble_net::Event>,
) {
    let config = ensemble_net::Config {
        key_seed: [seed; 32],
        listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")],
        bootstrap: vec![bootstrap],
        mdns: false,
        heartbeat_interval: Duration::from_millis(200),
        ..ensemble_net::Config::default()
    };
    let mut registry = prometheus_client::registry::Registry::default();
    let (handle, events) = ensemble_net::spawn(config, &mut registry).expect("raw peer");
    handle.wait_listening(WAIT).await.expect("listening");
    (handle, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_messages_are_neither_stored_nor_forwarded() {
    let honest_a = start(Spec::school("Честная A")).await.expect("a");
    let honest_b = start(Spec::school("Честная B").bootstrap(&[&honest_a]))
        .await
        .expect("b");
    // B refuses the attacker, so whatever bad input reaches B could only come through A.
    let attacker_peer =
        ensemble_net::peer_id_of(&SchoolKey::from_seed([66; 32]).school_id()).expect("peer id");
    assert!(
        honest_b
            .client()
            .block(&attacker_peer.to_string())
            .await
            .expect("block")
            .changed
    );
    let (attacker, mut attacker_events) = raw_peer(66, honest_a.address()).await;
    let catalog = topic::network(NETWORK, TopicFamily::Catalog);
    attacker
        .subscribe(catalog.clone())
        .await
        .expect("subscribe");
    honest_a
        .wait_for_subscribers(2, WAIT)
        .await
        .expect("a sees b and the attacker");
    // The attacker's publishes reach only peers whose subscription it has seen: without
    // this wait, a loaded machine lets it publish into the void and the test measures
    // nothing.
    let a_peer = honest_a.node().peer_id();
    tokio::time::timeout(WAIT, async {
        while let Some(event) = attacker_events.recv().await {
            if let ensemble_net::Event::PeerSubscribed { peer_id, topic } = event
                && peer_id == a_peer
                && topic == catalog
            {
                return;
            }
        }
        panic!("the attacker's network stopped");
    })
    .await
    .expect("the attacker sees a's catalog subscription");
    honest_b
        .wait_for_subscribers(1, WAIT)
        .await
        .expect("b sees a");

    // Four kinds of bad input.
    let key = SchoolKey::from_seed([67; 32]);
    let good = sign(
        &key,
        Draft {
            network: NETWORK.into(),
            kind: Kind::Practice,
            doc: None,
            body: practice("Подделка"),
        },
        LogPosition {
            seq: 1,
            backlink: None,
        },
        ensemble_core::now_ms(),
    )
    .expect("sign");
    let mut bad_signature = good.to_wire();
    let header_len = u16::from_be_bytes([bad_signature[0], bad_signature[1]]) as usize;
    bad_signature[2 + header_len + 3] ^= 0x40;
    let oversize = vec![7u8; 70 * 1024];
    let garbage = b"\x00\x05not a record at all".to_vec();
    let future = sign(
        &key,
        Draft {
            network: NETWORK.into(),
            kind: Kind::Practice,
            doc: None,
            body: practice("Из будущего"),
        },
        LogPosition {
            seq: 1,
            backlink: None,
        },
        ensemble_core::now_ms() + 60 * 60 * 1000,
    )
    .expect("sign")
    .to_wire();
    // Last, one valid record from the same peer: messages of one stream arrive in order,
    // so once A holds it, A has judged everything the attacker sent before it.
    let marker = sign(
        &SchoolKey::from_seed([68; 32]),
        Draft {
            network: NETWORK.into(),
            kind: Kind::Practice,
            doc: None,
            body: practice("Последнее сообщение атакующего"),
        },
        LogPosition {
            seq: 1,
            backlink: None,
        },
        ensemble_core::now_ms(),
    )
    .expect("sign");
    for bytes in [
        bad_signature,
        oversize,
        garbage,
        future.clone(),
        marker.to_wire(),
    ] {
        // Publishing may fail locally for the oversize one; what matters is that nothing lands.
        let _ = attacker.publish(vec![catalog.clone()], bytes).await;
    }
    honest_a
        .wait_for_record(marker.id(), WAIT)
        .await
        .expect("the attacker's valid record arrives after its bad ones");

    // Honest nodes keep exchanging valid records afterwards.
    let id = honest_b
        .publish_practice("Честная практика после атаки")
        .await
        .expect("publish");
    honest_a
        .wait_for_record(id, WAIT)
        .await
        .expect("valid gossip still flows");
    let later = honest_a
        .publish_practice("И ещё одна")
        .await
        .expect("publish");
    honest_b
        .wait_for_record(later, WAIT)
        .await
        .expect("both directions");

    for node in [&honest_a, &honest_b] {
        let held = node.node().store().counts().expect("counts");
        assert_eq!(
            held.get(&Kind::Practice),
            Some(&3),
            "{} stores the two honest practices and the attacker's one valid record",
            node.spec.name
        );
        assert!(!node.node().store().contains(&good.id()).expect("contains"));
    }
    let status = honest_a.node().status().await.expect("status");
    assert!(
        status.network_records.rejected >= 3,
        "rejections counted: {:?}",
        status.network_records
    );
    let status_b = honest_b.node().status().await.expect("status");
    assert_eq!(
        status_b.network_records.rejected, 0,
        "B never saw the bad messages: A did not forward them"
    );
    attacker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_restarted_with_the_same_key_receives_again() {
    let hub = start(Spec::school("Узел")).await.expect("hub");
    let mut school = start(Spec::school("Школа").bootstrap(&[&hub]))
        .await
        .expect("school");
    school.wait_for_subscribers(1, WAIT).await.expect("meshed");
    let before = hub
        .publish_practice("До перезапуска")
        .await
        .expect("publish");
    school
        .wait_for_record(before, WAIT)
        .await
        .expect("before restart");
    let peer_before = school.node().peer_id();

    school.restart(vec![hub.address()]).await.expect("restart");
    assert_eq!(
        school.node().peer_id(),
        peer_before,
        "same key, same peer id"
    );
    school
        .wait_for_subscribers(1, WAIT)
        .await
        .expect("meshed again");
    hub.wait_for_subscribers(1, WAIT)
        .await
        .expect("hub sees the restarted school");
    let after = hub
        .publish_practice("После перезапуска")
        .await
        .expect("publish");
    school
        .wait_for_record(after, WAIT)
        .await
        .expect("after restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_blocked_school_is_not_stored_until_unblocked() {
    let a = start(Spec::school("Блокирующая")).await.expect("a");
    let b = start(Spec::school("Заблокированная").bootstrap(&[&a]))
        .await
        .expect("b");
    a.wait_for_subscribers(1, WAIT).await.expect("meshed");
    b.wait_for_subscribers(1, WAIT).await.expect("meshed");
    let b_school = b.node().school_id().to_string();
    assert!(a.client().block(&b_school).await.expect("block").changed);

    let blocked = b
        .publish_practice("Не должна сохраниться")
        .await
        .expect("publish");
    // A marker from A itself proves time passed and gossip works, without sleeping.
    let c = start(Spec::school("Свидетель").bootstrap(&[&a]))
        .await
        .expect("c");
    c.wait_for_subscribers(1, WAIT).await.expect("meshed");
    a.wait_for_subscribers(2, WAIT).await.expect("meshed");
    let marker = b
        .publish_practice("Маркер после блокировки")
        .await
        .expect("publish");
    let witness = a.publish_practice("Маркер от A").await.expect("publish");
    c.wait_for_record(witness, WAIT)
        .await
        .expect("a's own records flow");
    b.wait_for_record(witness, WAIT)
        .await
        .expect("b still receives from a");
    assert!(
        !a.node().store().contains(&blocked).expect("contains"),
        "blocked school's record not stored"
    );
    assert!(!a.node().store().contains(&marker).expect("contains"));
    assert!(
        !c.node().store().contains(&blocked).expect("contains"),
        "and not forwarded by A"
    );

    assert!(
        a.client()
            .unblock(&b_school)
            .await
            .expect("unblock")
            .changed
    );
    let welcome = b
        .publish_practice("После разблокировки")
        .await
        .expect("publish");
    a.wait_for_record(welcome, WAIT)
        .await
        .expect("new records arrive after unblocking");
    let blocks = a.client().blocks().await.expect("blocks");
    assert!(blocks.is_empty());
}
