//! The HTTP API's contract: statuses, errors naming every field, auth, pagination, metrics.

use ensemble_api::{Client, ClientError};
use ensemble_tests::{Spec, WAIT, practice, start};

fn status_of(error: ClientError) -> u16 {
    error
        .status()
        .unwrap_or_else(|| panic!("expected an HTTP error, got {error}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_the_token_and_bad_input_gets_the_right_status() {
    let node = start(Spec::school("API")).await.expect("node");
    let client = node.client();
    let anonymous = Client::new(&node.daemon().api_url, None);
    let wrong = Client::new(&node.daemon().api_url, Some("nope".into()));
    for client in [&anonymous, &wrong] {
        let error = client
            .publish_practice(practice("Без токена"))
            .await
            .expect_err("refused");
        assert_eq!(status_of(error), 401);
    }
    assert_eq!(
        node.node()
            .store()
            .counts()
            .expect("counts")
            .get(&ensemble_core::Kind::Practice),
        None
    );

    let invalid =
        serde_json::json!({"title": {"ru": "x"}, "grades": [99], "license": 5}).to_string();
    match client
        .publish_practice(invalid.into_bytes())
        .await
        .expect_err("invalid")
    {
        ClientError::Api { status, fields, .. } => {
            assert_eq!(status, 400);
            let names: Vec<&str> = fields.iter().map(|field| field.field.as_str()).collect();
            for expected in [
                "title.ru",
                "summary",
                "problem",
                "subjects",
                "grades[0]",
                "method",
                "language",
                "license",
            ] {
                assert!(
                    names.contains(&expected),
                    "{expected} missing from {names:?}"
                );
            }
        }
        other => panic!("expected a 400, got {other}"),
    }
    let huge = vec![b' '; 60 * 1024];
    assert_eq!(
        status_of(client.publish_practice(huge).await.expect_err("too large")),
        413
    );
    // Every JSON write route has the record body limit, not only the practice routes.
    let http = reqwest::Client::new();
    for path in ["/api/v1/mentoring/requests", "/api/v1/mentoring/offers"] {
        let response = http
            .post(format!("{}{path}", node.daemon().api_url))
            .bearer_auth(&node.daemon().token)
            .header("content-type", "application/json")
            .body(vec![b' '; 60 * 1024])
            .send()
            .await
            .expect("sends");
        assert_eq!(response.status().as_u16(), 413, "{path}");
    }
    let unknown = "b".to_string() + &"a".repeat(52);
    assert_eq!(
        status_of(client.record(&unknown).await.expect_err("unknown")),
        404
    );
    assert_eq!(
        status_of(client.record("not-an-id").await.expect_err("malformed")),
        400
    );

    // Another school's document cannot be changed: a rule, 422.
    let other = start(Spec::school("Чужая").bootstrap(&[&node]))
        .await
        .expect("other");
    other.wait_for_subscribers(1, WAIT).await.expect("meshed");
    let foreign = other
        .publish_practice("Чужая практика")
        .await
        .expect("publish");
    node.wait_for_record(foreign, WAIT)
        .await
        .expect("replicated");
    let error = client
        .update_practice(&foreign.to_string(), practice("Подмена"))
        .await
        .expect_err("not ours");
    assert_eq!(status_of(error), 422);
    let error = client
        .retract_practice(&foreign.to_string(), None)
        .await
        .expect_err("not ours");
    assert_eq!(status_of(error), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_page_with_a_stable_cursor_and_metrics_count_them() {
    let node = start(Spec::school("Листинг")).await.expect("node");
    let client = node.client();
    let mut published = Vec::new();
    for index in 0..7 {
        published.push(
            client
                .publish_practice(practice(&format!("Практика {index}")))
                .await
                .expect("publish")
                .id,
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client
            .records(Some("practice"), None, Some(3), cursor.as_deref())
            .await
            .expect("page");
        assert!(page.records.len() <= 3);
        seen.extend(page.records.iter().map(|record| record.id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    // Newest first by (created_at, id); records of one millisecond order by id.
    let mut expected = published.clone();
    expected.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, expected, "every record exactly once");
    let mut order = Vec::new();
    for id in &seen {
        let created_at = client.record(id).await.expect("record").created_at;
        order.push((
            created_at,
            id.parse::<ensemble_core::RecordId>().expect("id"),
        ));
    }
    assert!(
        order.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {order:?}"
    );
    let error = client
        .records(Some("nonsense"), None, None, None)
        .await
        .expect_err("bad kind");
    assert_eq!(status_of(error), 400);

    let metrics = client.metrics().await.expect("metrics");
    assert!(
        metrics.contains("ensemble_records_published_total"),
        "{metrics}"
    );
    assert!(metrics.contains("kind=\"practice\""), "{metrics}");
    assert!(
        metrics.contains("libp2p") || metrics.contains("gossipsub"),
        "libp2p metrics exposed"
    );
    let health = client.health().await.expect("health");
    assert_eq!(health.records.get("practice"), Some(&7));
}
