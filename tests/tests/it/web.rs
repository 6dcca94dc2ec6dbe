//! Search and the web interface: the index in step with the store, the HTML over plain
//! HTTP (escaping, CSRF, sign-in, language, form errors), and the real thing in a
//! headless Chromium driven over the WebDriver protocol.
//!
//! The browser tests need Debian's `chromium` and `chromium-driver`. Without them they
//! print a loud notice and pass, unless `ENSEMBLE_REQUIRE_BROWSER=1` (CI) makes the
//! absence a failure.

use anyhow::{Context, Result, bail, ensure};
use ensemble_api::search::SearchParams;
use ensemble_core::{Kind, RecordId};
use ensemble_node::Node;
use ensemble_node::search::{Query, Results};
use ensemble_tests::{Spec, TestNode, WAIT, start, start_star};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tokio::time::{Instant, timeout_at};

/// The token the harness gives every node.
const TOKEN: &str = "test-token";

fn practice_body(title: &str, subject: &str, grade: u8, summary: &str) -> Vec<u8> {
    // Each subject gets its own method, so that vocabulary labels (which are
    // searchable) do not make every practice match every query.
    let method = if subject == "mathematics" {
        "formative-assessment"
    } else {
        "reading-strategies"
    };
    json!({
        "title": {"ru": title},
        "summary": {"ru": summary},
        "problem": {"ru": "Учащиеся не понимают прочитанный текст"},
        "subjects": [subject],
        "grades": [grade],
        "method": {"ru": "Приёмы работы с текстом"},
        "methods": [method],
        "evidence": {"level": "E2", "measures": [{
            "name": {"ru": "Доля справившихся"}, "n": 8, "baseline": "41%", "result": "63%"
        }]},
        "language": ["ru"],
        "license": "CC-BY-4.0"
    })
    .to_string()
    .into_bytes()
}

async fn publish(node: &TestNode, title: &str, subject: &str, grade: u8) -> RecordId {
    node.node()
        .publish(
            Kind::Practice,
            practice_body(title, subject, grade, "Краткое описание"),
        )
        .await
        .expect("publish")
        .id()
}

/// Queries until `accept` holds, waking on every index commit.
async fn search_until(
    node: &Node,
    query: &Query,
    accept: impl Fn(&Results) -> bool,
) -> Result<Results> {
    let deadline = Instant::now() + WAIT;
    let mut commits = node.search_index().commits();
    loop {
        commits.borrow_and_update();
        let results = node.search(query)?;
        if accept(&results) {
            return Ok(results);
        }
        if timeout_at(deadline, commits.changed()).await.is_err() {
            bail!("search {query:?} never satisfied the test; last: {results:?}");
        }
    }
}

fn words(text: &str) -> Query {
    Query {
        text: text.to_string(),
        ..Query::default()
    }
}

/// What a word search on `node` finds now, without waiting for the index.
fn found(node: &Node, text: &str) -> Results {
    node.search(&words(text)).expect("search")
}

fn docs(results: &Results) -> Vec<RecordId> {
    results.hits.iter().map(|hit| hit.doc).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_word_forms_ranks_and_filters_over_the_api() {
    let node = start(Spec::school("Поиск")).await.expect("node");
    let reading = publish(&node, "Стратегии смыслового чтения", "russian", 5).await;
    let biology = publish(&node, "Смысловое чтение на биологии", "biology", 7).await;
    let maths = publish(
        &node,
        "Формирующее оценивание по математике",
        "mathematics",
        5,
    )
    .await;
    let everything = search_until(node.node(), &Query::default(), |results| results.total == 3)
        .await
        .expect("indexed");
    assert_eq!(everything.hits.len(), 3);

    // Word forms, filters, and method labels in English: which practices each finds.
    let cases = [
        (
            "word forms",
            words("смысловое чтение"),
            vec![reading, biology],
        ),
        (
            "words, a subject and a grade",
            Query {
                subject: Some("russian".into()),
                grade: Some(5),
                ..words("смысловое чтение")
            },
            vec![reading],
        ),
        (
            "a grade alone",
            Query {
                grade: Some(5),
                ..Query::default()
            },
            vec![reading, maths],
        ),
        (
            "method labels in English",
            words("reading strategies"),
            vec![reading, biology],
        ),
        ("another word's forms", words("оценивания"), vec![maths]),
    ];
    for (case, query, mut expected) in cases {
        let found = node.node().search(&query).expect("search");
        assert_eq!(found.total, expected.len(), "{case}: {found:?}");
        let mut shown = docs(&found);
        shown.sort();
        expected.sort();
        assert_eq!(shown, expected, "{case}");
        if !query.text.is_empty() {
            assert!(
                found.hits.iter().all(|hit| hit.score > 0.0),
                "{case}: {found:?}"
            );
        }
    }

    // The HTTP API and the typed client give the same ranking.
    let params = SearchParams {
        q: Some("смысловое чтение".into()),
        subject: Some("russian".into()),
        grade: Some("5".into()),
        ..SearchParams::default()
    };
    let response = node.client().search(&params).await.expect("api search");
    assert_eq!(response.total, 1);
    let hit = &response.results[0];
    assert_eq!(hit.doc, reading.to_string());
    assert_eq!(hit.id, reading.to_string());
    assert_eq!(hit.title, "Стратегии смыслового чтения");
    assert!(hit.score > 0.0);
    let raw: Value = reqwest::get(format!(
        "{}/api/v1/search?q=%D1%87%D1%82%D0%B5%D0%BD%D0%B8%D0%B5&limit=1",
        node.daemon().api_url
    ))
    .await
    .expect("get")
    .json()
    .await
    .expect("json");
    assert_eq!(raw["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(raw["total"], json!(2));
    assert_eq!(raw["next_cursor"], json!("1"));
    let next = node
        .client()
        .search(&SearchParams {
            q: Some("чтение".into()),
            limit: Some("1".into()),
            cursor: Some("1".into()),
            ..SearchParams::default()
        })
        .await
        .expect("page 2");
    assert_eq!(next.results.len(), 1);
    assert_ne!(
        next.results[0].doc,
        raw["results"][0]["doc"].as_str().unwrap_or_default()
    );
    let bad = reqwest::get(format!(
        "{}/api/v1/search?grade=12&evidence=E9",
        node.daemon().api_url
    ))
    .await
    .expect("get");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let message = bad.text().await.unwrap_or_default();
    assert!(
        message.contains("grade") && message.contains("evidence"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_follows_versions_retractions_blocks_and_replications() {
    let [a, b] = start_star([Spec::school("Школа А"), Spec::school("Школа Б")])
        .await
        .expect("meshed");

    // Only the latest version is indexed.
    let doc = publish(&a, "Утренний круг в первом классе", "russian", 1).await;
    search_until(a.node(), &words("утренний круг"), |results| {
        results.total == 1
    })
    .await
    .expect("first version");
    a.node()
        .update(
            doc,
            practice_body(
                "Вечерний круг в первом классе",
                "russian",
                1,
                "Новая версия",
            ),
        )
        .await
        .expect("update");
    let evening = search_until(a.node(), &words("вечерний"), |results| {
        results.total == 1
    })
    .await
    .expect("new version");
    assert_eq!(evening.hits[0].doc, doc);
    assert_ne!(evening.hits[0].id, doc, "the hit is the latest version");
    assert_eq!(found(a.node(), "утренний").total, 0);

    // A replication report by another school raises the level to E4 and counts it.
    b.wait_for_record(evening.hits[0].id, WAIT)
        .await
        .expect("b has the new version");
    let report = json!({
        "target": evening.hits[0].id.to_string(),
        "kind": "replication",
        "text": {"ru": "Применили в двух классах"},
        "replication": {"grades": [1]}
    });
    let report = b
        .node()
        .publish(Kind::Feedback, report.to_string().into_bytes())
        .await
        .expect("report")
        .id();
    a.wait_for_record(report, WAIT)
        .await
        .expect("a has the report");
    let replicated = search_until(a.node(), &words("вечерний"), |results| {
        results.hits.first().is_some_and(|hit| hit.applied_in == 1)
    })
    .await
    .expect("applied in 1");
    assert_eq!(replicated.hits[0].evidence.as_str(), "E4");
    let e4 = a
        .node()
        .search(&Query {
            evidence: Some(ensemble_core::body::EvidenceLevel::E4),
            ..Query::default()
        })
        .expect("search");
    assert_eq!(docs(&e4), vec![doc]);

    // A withdrawn report no longer counts.
    b.node()
        .retract(report, None)
        .await
        .expect("withdraw the report");
    let withdrawn = search_until(a.node(), &words("вечерний"), |results| {
        results.hits.first().is_some_and(|hit| hit.applied_in == 0)
    })
    .await
    .expect("applied in 0 again");
    assert_eq!(withdrawn.hits[0].evidence.as_str(), "E2");

    // A blocked school's practices vanish from search at once (query time).
    let foreign = publish(&b, "Практика школы Б про чтение", "russian", 6).await;
    a.wait_for_record(foreign, WAIT).await.expect("replicated");
    search_until(a.node(), &words("школы Б"), |results| {
        results.total == 1
    })
    .await
    .expect("indexed on a");
    a.node()
        .block(&b.node().school_id().to_string())
        .await
        .expect("block");
    assert_eq!(found(a.node(), "школы Б").total, 0);
    a.node()
        .unblock(&b.node().school_id().to_string())
        .await
        .expect("unblock");
    assert_eq!(found(a.node(), "школы Б").total, 1);

    // A retracted practice leaves the index.
    a.node().retract(doc, None).await.expect("retract");
    assert!(docs(&found(a.node(), "вечерний")).is_empty());
    search_until(a.node(), &Query::default(), |results| {
        !docs(results).contains(&doc)
    })
    .await
    .expect("gone from the index");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_survives_a_restart_and_reindex_rebuilds_it() {
    let mut node = start(Spec::school("Перезапуск")).await.expect("node");
    let doc = publish(&node, "Стратегии смыслового чтения", "russian", 5).await;
    search_until(node.node(), &words("чтение"), |results| {
        results.total == 1
    })
    .await
    .expect("indexed");
    node.restart(Vec::new()).await.expect("restart");
    // No wait: the committed index is there at once.
    assert_eq!(docs(&found(node.node(), "чтение")), vec![doc]);
    assert!(node.dir.join("index").is_dir());

    let anonymous = ensemble_api::Client::new(&node.daemon().api_url, None);
    let refused = anonymous.reindex().await.expect_err("needs the token");
    assert_eq!(refused.status(), Some(401));
    let rebuilt = node.client().reindex().await.expect("reindex");
    assert_eq!(rebuilt.practices, 1);
    assert_eq!(docs(&found(node.node(), "смысловое")), vec![doc]);
}

// ----- HTML over plain HTTP ---------------------------------------------------------------

/// A cookie-keeping HTTP client for the web pages (no redirects followed).
struct Visitor {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

impl Visitor {
    fn new(node: &TestNode) -> Visitor {
        Visitor {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: node.daemon().api_url.clone(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Some((name, rest)) = value.to_str().ok().and_then(|text| text.split_once('='))
            else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default().to_string();
            self.cookies.retain(|(known, _)| known != name);
            if !value.is_empty() {
                self.cookies.push((name.to_string(), value));
            }
        }
    }

    async fn get(&mut self, path: &str) -> (StatusCode, HeaderMap, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("get");
        let (status, headers) = (response.status(), response.headers().clone());
        self.keep_cookies(&headers);
        (status, headers, response.text().await.unwrap_or_default())
    }

    async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (StatusCode, HeaderMap, String) {
        let body = reqwest::Url::parse_with_params("http://form.invalid/", form)
            .map(|url| url.query().unwrap_or_default().to_string())
            .unwrap_or_default();
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.expect("post");
        let (status, headers) = (response.status(), response.headers().clone());
        self.keep_cookies(&headers);
        (status, headers, response.text().await.unwrap_or_default())
    }

    fn origin(&self) -> String {
        self.base.clone()
    }

    /// Posts a form from this site, with `csrf` as its token.
    async fn submit(
        &mut self,
        path: &str,
        csrf: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let mut form = vec![("csrf", csrf)];
        form.extend_from_slice(fields);
        let origin = self.origin();
        self.post(path, &form, Some(&origin)).await
    }

    /// The CSRF token of the last page that had a form.
    fn csrf_of(page: &str) -> String {
        let marker = "name=\"csrf\" value=\"";
        page.split(marker)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_string()
    }

    async fn sign_in(&mut self) -> String {
        let (_, _, page) = self.get("/signin").await;
        let csrf = Visitor::csrf_of(&page);
        let signed_in = self
            .submit("/signin", &csrf, &[("token", TOKEN), ("next", "/")])
            .await;
        assert_eq!(redirect("signing in", &signed_in), "/");
        csrf
    }
}

/// Where a "303 See Other" answer sends the browser, after asserting that it is one.
fn redirect(case: &str, (status, headers, _): &(StatusCode, HeaderMap, String)) -> String {
    assert_eq!(*status, StatusCode::SEE_OTHER, "{case}");
    headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("{case}: no Location"))
        .to_string()
}

/// Asserts that the answer sets cookie `name` out of scripts' and other sites' reach.
fn assert_strict_cookie(headers: &HeaderMap, name: &str) {
    let cookie = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_default();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{name}: {cookie}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_records_render_as_text_under_a_strict_policy() {
    let node = start(Spec::school("Экранирование")).await.expect("node");
    let hostile = json!({
        "title": {"ru": "<script>alert(1)</script>"},
        "summary": {"ru": "<img src=x onerror=alert(2)> и \"кавычки\""},
        "problem": {"ru": "</p><style>body{display:none}</style>"},
        "subjects": ["russian\"><script>alert(3)</script>"],
        "grades": [5],
        "method": {"ru": "<a href=\"javascript:alert(4)\">ссылка</a>"},
        "materials": [{"name": "<b>файл</b>", "url": "https://example.org/a?b=<c>"}],
        "keywords": ["<iframe>"],
        "language": ["ru"],
        "license": "CC-BY-4.0"
    });
    let published = node
        .node()
        .publish(Kind::Practice, hostile.to_string().into_bytes())
        .await;
    // A code with markup is not a code: validation refuses it before anything renders.
    assert!(published.is_err());
    let mut hostile = hostile;
    hostile["subjects"] = json!(["russian"]);
    hostile["materials"] = json!([{"name": "<b>файл</b>", "url": "https://example.org/a"}]);
    let doc = node
        .node()
        .publish(Kind::Practice, hostile.to_string().into_bytes())
        .await
        .expect("publish")
        .id();
    let javascript = json!({"name": "x", "url": "javascript:alert(1)"});
    let mut with_javascript = hostile.clone();
    with_javascript["materials"] = json!([javascript]);
    let refused = node
        .node()
        .publish(Kind::Practice, with_javascript.to_string().into_bytes())
        .await;
    assert!(refused.is_err(), "a javascript: url never enters the store");
    search_until(node.node(), &Query::default(), |results| results.total == 1)
        .await
        .expect("indexed");

    let mut visitor = Visitor::new(&node);
    for path in [
        format!("/practices/{doc}"),
        "/".to_string(),
        format!("/schools/{}", node.node().school_id()),
    ] {
        let (status, headers, page) = visitor.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for injected in [
            "<script",
            "<img",
            "<style>body",
            "<iframe",
            "href=\"javascript:",
            "<b>файл",
        ] {
            assert!(!page.contains(injected), "{path} carries {injected:?}");
        }
        let csp = headers
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'none'"),
            "{csp}"
        );
        assert_eq!(
            headers
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
    }
    let (_, _, card) = visitor.get(&format!("/practices/{doc}")).await;
    assert!(
        card.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the title shows as text"
    );
    assert!(card.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(
        card.contains("href=\"https://example.org/a\""),
        "http(s) links stay links"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_sign_in_and_a_csrf_token_from_this_site() {
    let node = start(Spec::school("CSRF")).await.expect("node");
    let doc = publish(&node, "Стратегии смыслового чтения", "russian", 5).await;
    let mut visitor = Visitor::new(&node);
    let origin = visitor.origin();
    let card_path = format!("/practices/{doc}");
    let (status, headers, page) = visitor.get(&card_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_strict_cookie(&headers, "ensemble_csrf");
    assert!(
        !page.contains("id=\"replication-form\""),
        "no write forms before signing in"
    );

    // Not signed in: the form pages redirect to sign-in, the writes answer 401.
    assert_eq!(
        redirect(
            "a form page before sign-in",
            &visitor.get("/practices/new").await
        ),
        "/signin?next=%2Fpractices%2Fnew"
    );
    let feedback_path = format!("/practices/{doc}/feedback");
    let question = [
        ("question_kind", "question"),
        ("question_text", "Сколько минут урока?"),
    ];
    let (status, _, page) = visitor.post(&feedback_path, &question, Some(&origin)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("id=\"signin-form\""));

    // Signing in needs the token and this site's CSRF token.
    let (_, _, page) = visitor.get("/signin").await;
    let csrf = Visitor::csrf_of(&page);
    for (case, csrf, token, refusal) in [
        (
            "a wrong token",
            csrf.as_str(),
            "wrong",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a forged CSRF token",
            "forged",
            TOKEN,
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (status, _, _) = visitor.submit("/signin", csrf, &[("token", token)]).await;
        assert_eq!(status, refusal, "signing in with {case}");
    }
    let signed_in = visitor
        .submit("/signin", &csrf, &[("token", TOKEN), ("next", &card_path)])
        .await;
    assert_eq!(redirect("signing in", &signed_in), card_path);
    assert_strict_cookie(&signed_in.1, "ensemble_session");

    // Signed in: a POST without the token, with another's token, or from another
    // origin is refused; the right one is stored.
    let held = || {
        node.node()
            .store()
            .counts()
            .ok()
            .and_then(|counts| counts.get(&Kind::Feedback).copied())
            .unwrap_or(0)
    };
    let mut with_token = question.to_vec();
    with_token.push(("csrf", &csrf));
    let mut stranger = Visitor::new(&node);
    stranger.get("/").await;
    stranger.cookies.extend(
        visitor
            .cookies
            .iter()
            .filter(|(name, _)| name == "ensemble_session")
            .cloned(),
    );
    // Who sends: this browser, or another one holding the session cookie alone.
    let (this_browser, another_browser) = ("this browser", "another browser");
    for (case, browser, form, from) in [
        (
            "without the CSRF token",
            this_browser,
            &question[..],
            Some(origin.as_str()),
        ),
        (
            "from another origin",
            this_browser,
            &with_token[..],
            Some("http://evil.example"),
        ),
        (
            "with the CSRF token of another browser (it belongs to its own)",
            another_browser,
            &with_token[..],
            None,
        ),
    ] {
        let sender = if browser == another_browser {
            &mut stranger
        } else {
            &mut visitor
        };
        let (status, _, _) = sender.post(&feedback_path, form, from).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a write {case} by {browser}");
        assert_eq!(held(), 0, "nothing stored from a write {case} by {browser}");
    }
    let stored = visitor
        .post(&feedback_path, &with_token, Some(&origin))
        .await;
    assert_eq!(
        redirect("a write with this browser's token", &stored),
        format!("/practices/{doc}#feedback")
    );
    assert_eq!(held(), 1);
    let (_, _, page) = visitor.get(&card_path).await;
    assert!(page.contains("Сколько минут урока?"));
    assert!(page.contains("Вопрос автору"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_is_remembered_and_pages_fit_a_phone() {
    let node = start(Spec::school("Язык")).await.expect("node");
    let doc = publish(&node, "Стратегии смыслового чтения", "russian", 5).await;
    let mut visitor = Visitor::new(&node);
    let (_, _, page) = visitor.get("/").await;
    assert!(page.contains("<html lang=\"ru\">"));
    assert!(page.contains("Каталог практик"));
    assert!(
        page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(page.contains("@media(max-width:40rem)"));
    let card = format!("/practices/{doc}");
    let switched = visitor
        .get(&format!("/lang/en?next={}", card.replace('/', "%2F")))
        .await;
    assert_eq!(redirect("switching to English", &switched), card);
    let (_, _, page) = visitor.get(&card).await;
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("Signature verified") && page.contains("Practice catalog"));
    assert!(
        page.contains("Russian language"),
        "vocabulary labels follow the language"
    );
    let (_, _, page) = visitor.get("/").await;
    assert!(
        page.contains("Practice catalog"),
        "remembered on the next page"
    );
    let switched = visitor.get("/lang/ru?next=https://evil.example/").await;
    assert_eq!(
        redirect("switching back, asked to leave the site", &switched),
        "/",
        "no open redirect"
    );
    let (_, _, page) = visitor.get("/").await;
    assert!(page.contains("Каталог практик"));
    for path in ["/schools", "/mentoring", "/node", "/signin"] {
        let (status, _, page) = visitor.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!page.contains("<script"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_faults_are_shown_beside_their_fields() {
    let node = start(Spec::school("Формы")).await.expect("node");
    let mut visitor = Visitor::new(&node);
    let csrf = visitor.sign_in().await;
    let (status, _, page) = visitor
        .submit(
            "/practices/new",
            &csrf,
            &[
                ("title_ru", "Ой"),
                ("summary_ru", "Кратко"),
                ("grades", "5"),
                ("evidence_level", "E2"),
                ("materials", "Памятка | javascript:alert(1)"),
                ("language", "ru"),
                ("license", "CC-BY-4.0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_faults_shown(
        "a practice",
        &page,
        &[
            "title_ru",
            "problem_ru",
            "subjects",
            "method_ru",
            "measure_name",
            "materials",
        ],
    );
    assert!(
        page.contains("обязательное поле"),
        "faults in the reader's language"
    );
    assert!(page.contains("value=\"Ой\""), "what was typed is kept");
    assert!(!page.contains("href=\"javascript:"));
    assert_eq!(
        node.node()
            .store()
            .counts()
            .expect("counts")
            .get(&Kind::Practice),
        None
    );

    let published = visitor
        .submit(
            "/practices/new",
            &csrf,
            &[
                ("title_ru", "Стратегии смыслового чтения"),
                ("summary_ru", "Кратко о практике"),
                ("problem_ru", "Ученики не понимают текст"),
                ("subjects", "russian"),
                ("grades", "5"),
                ("method_ru", "Инсерт и кластер"),
                ("language", "ru"),
                ("license", "CC-BY-4.0"),
            ],
        )
        .await;
    let card = redirect("a valid practice", &published);
    let (_, _, page) = visitor.get(&format!("{card}/edit")).await;
    assert!(
        page.contains("Стратегии смыслового чтения"),
        "the edit form is prefilled"
    );
    let doc = card.trim_start_matches("/practices/").to_string();
    let (status, _, page) = visitor
        .submit(
            &format!("/practices/{doc}/feedback"),
            &csrf,
            &[("question_kind", "question")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_faults_shown("a question", &page, &["question_text"]);

    // A mentoring request: faults beside the fields, then published and editable.
    let request = [
        ("title_ru", "Поддержка по смысловому чтению"),
        ("problem_ru", "Результаты по чтению ниже региональных"),
        ("subjects", "russian"),
        ("goal1_text", "Поднять долю справившихся"),
        ("goal1_target", "60%"),
        ("formats", "webinar"),
        ("mode", "online"),
        ("period_from", "2027-05-31"),
        ("period_to", "2026-09-01"),
        ("language", "ru"),
        ("visibility", "network"),
    ];
    let (status, _, page) = visitor
        .submit("/mentoring/requests/new", &csrf, &request)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_faults_shown("a mentoring request", &page, &["deficits", "period_from"]);
    let mut fixed: Vec<(&str, &str)> = request
        .iter()
        .filter(|(name, _)| !name.starts_with("period"))
        .copied()
        .collect();
    fixed.extend([
        ("deficits", "teaching-methods"),
        ("period_from", "2026-09-01"),
        ("period_to", "2027-05-31"),
    ]);
    let published = visitor
        .submit("/mentoring/requests/new", &csrf, &fixed)
        .await;
    let location = redirect("a valid mentoring request", &published);
    let request_doc = location
        .trim_start_matches("/mentoring#request-")
        .to_string();
    let (_, _, page) = visitor.get("/mentoring").await;
    assert!(page.contains(&format!("id=\"request-{request_doc}\"")));
    assert!(page.contains("Поддержка по смысловому чтению"));
    let (status, _, page) = visitor
        .get(&format!("/mentoring/requests/{request_doc}/edit"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("value=\"Поддержка по смысловому чтению\""),
        "prefilled"
    );
}

/// Asserts that `page` shows a fault beside each of `fields` of the form for `what`.
fn assert_faults_shown(what: &str, page: &str, fields: &[&str]) {
    for field in fields {
        assert!(
            page.contains(&format!("data-field=\"{field}\"")),
            "{what}: no fault shown beside {field}"
        );
    }
}

// ----- the browser ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_search_card_language_and_replication_across_two_schools() {
    in_browser(replication_scenario).await;
}

async fn replication_scenario(browser: &driver::Browser) -> Result<()> {
    let [a, b] = start_star([Spec::school("Гимназия А"), Spec::school("Школа Б")]).await?;
    let doc = publish(&a, "Стратегии смыслового чтения", "russian", 5).await;
    let other = publish(&a, "Смысловое чтение на биологии", "biology", 7).await;
    b.wait_for_records(&[doc, other], WAIT).await?;
    search_until(b.node(), &Query::default(), |results| results.total == 2).await?;
    let on_b = b.daemon().api_url.clone();
    let on_a = a.daemon().api_url.clone();

    // Search with a filter, in Russian by default.
    browser.goto(&format!("{on_b}/")).await?;
    ensure!(
        browser.text("h1").await? == "Каталог практик",
        "Russian by default"
    );
    browser
        .type_into("input[name=q]", "смысловое чтение")
        .await?;
    browser
        .click("select[name=subject] option[value=russian]")
        .await?;
    browser.click("form.search button[type=submit]").await?;
    browser
        .wait_url(|url| url.contains("subject=russian"))
        .await?;
    let titles = browser.texts("li.hit a.title").await?;
    ensure!(
        titles == vec!["Стратегии смыслового чтения".to_string()],
        "filtered: {titles:?}"
    );

    // Open the card.
    browser.click("li.hit a.title").await?;
    browser
        .wait_url(|url| url.contains(&format!("/practices/{doc}")))
        .await?;
    ensure!(browser.text("h1").await? == "Стратегии смыслового чтения");
    ensure!(
        browser
            .text(".verified")
            .await?
            .contains("Подпись проверена")
    );
    ensure!(browser.text("code.record-id").await? == doc.to_string());
    ensure!(
        browser.text("td.n").await? == "<10",
        "small groups are shown as <10"
    );

    // Switch the language; it stays switched.
    browser.click("#lang-switch").await?;
    browser.wait_text(".verified", "Signature verified").await?;
    browser.goto(&format!("{on_b}/")).await?;
    ensure!(
        browser.text("h1").await? == "Practice catalog",
        "remembered"
    );

    // Sign in, then report applying the practice.
    browser.goto(&format!("{on_b}/practices/{doc}")).await?;
    browser.click("a[href^='/signin']").await?;
    sign_in(browser, &format!("/practices/{doc}")).await?;
    browser
        .type_into(
            "#replication-form #text",
            "Применили в 6 «Б», читают вдумчивее",
        )
        .await?;
    browser
        .type_into("#measure_name", "Доля справившихся")
        .await?;
    browser.type_into("#measure_n", "24").await?;
    browser
        .click("#replication-form button[type=submit]")
        .await?;
    browser
        .wait_text(".fb[data-kind=replication] p.text", "Применили в 6 «Б»")
        .await?;
    ensure!(browser.text("span.applied").await? == "Applied in 1 school");
    ensure!(
        browser
            .text("article.practice p .badge")
            .await?
            .starts_with("E4"),
        "E4 once replicated"
    );

    // The signed report reaches the author's node, which shows it too.
    let report = b
        .node()
        .store()
        .list(Some(Kind::Feedback), Some(&b.node().school_id()), None, 1)?
        .records
        .first()
        .map(|record| record.id())
        .context("the report is stored on B")?;
    a.wait_for_record(report, WAIT).await?;
    browser.goto(&format!("{on_a}/practices/{doc}")).await?;
    ensure!(browser.text("span.applied").await? == "Applied in 1 school");
    ensure!(
        browser
            .text(".fb[data-kind=replication] p.text")
            .await?
            .contains("Применили")
    );
    search_until(a.node(), &words("смысловое"), |results| {
        results
            .hits
            .iter()
            .any(|hit| hit.doc == doc && hit.applied_in == 1)
    })
    .await?;
    browser
        .goto(&format!(
            "{on_a}/?q=%D1%81%D0%BC%D1%8B%D1%81%D0%BB%D0%BE%D0%B2%D0%BE%D0%B5"
        ))
        .await?;
    let applied = browser.texts("li.hit span.applied").await?;
    ensure!(
        applied.contains(&"Applied in 1 school".to_string()),
        "catalog on A: {applied:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn browser_renders_a_hostile_record_inert() {
    in_browser(hostile_scenario).await;
}

async fn hostile_scenario(browser: &driver::Browser) -> Result<()> {
    let node = start(Spec::school("Враждебная запись")).await?;
    let hostile = json!({
        "title": {"ru": "<script>alert(1)</script>"},
        "summary": {"ru": "<img src=x onerror=alert(2)>"},
        "problem": {"ru": "<style>body{display:none}</style>"},
        "subjects": ["russian"],
        "grades": [5],
        "method": {"ru": "<a href=\"javascript:alert(3)\">click</a>"},
        "language": ["ru"],
        "license": "CC-BY-4.0"
    });
    let doc = node
        .node()
        .publish(Kind::Practice, hostile.to_string().into_bytes())
        .await?
        .id();
    let base = node.daemon().api_url.clone();
    browser.goto(&format!("{base}/practices/{doc}")).await?;
    ensure!(
        browser.text("h1").await? == "<script>alert(1)</script>",
        "the title is literal text"
    );
    ensure!(browser.text("p.summary").await? == "<img src=x onerror=alert(2)>");
    ensure!(
        browser.count("script").await? == 0,
        "no script element in the DOM"
    );
    ensure!(browser.count("main img").await? == 0, "no injected image");
    ensure!(browser.count("main style").await? == 0, "no injected style");
    ensure!(
        browser.count("a[href^='javascript:' i]").await? == 0,
        "no javascript: link"
    );
    ensure!(!browser.alert_open().await?, "no alert ran");
    ensure!(
        browser.displayed("h1").await?,
        "the page is not hidden by injected CSS"
    );

    // A javascript: material is refused beside its field, and never becomes a link.
    browser
        .goto(&format!("{base}/signin?next=%2Fpractices%2Fnew"))
        .await?;
    sign_in(browser, "/practices/new").await?;
    browser
        .type_into("#title_ru", "Практика со ссылкой")
        .await?;
    browser
        .type_into("#materials", "Памятка | javascript:alert(1)")
        .await?;
    browser.click("#practice-form button[type=submit]").await?;
    browser
        .wait_text(".error[data-field=materials]", "")
        .await?;
    ensure!(browser.count("a[href^='javascript:' i]").await? == 0);
    ensure!(
        browser.count(".error[data-field=title_ru]").await? == 0,
        "the title was fine"
    );
    ensure!(
        browser.count(".error[data-field=subjects]").await? == 1,
        "subjects are required"
    );
    ensure!(!browser.alert_open().await?);
    Ok(())
}

/// Runs `scenario` in a fresh browser session, closed whatever the outcome; where no
/// browser is installed, only the driver's notice (see the module docs).
async fn in_browser(scenario: impl AsyncFnOnce(&driver::Browser) -> Result<()>) {
    let Some(browser) = driver::Browser::start().await.expect("browser") else {
        return;
    };
    let outcome = scenario(&browser).await;
    browser.close().await;
    outcome.expect("scenario");
}

/// Signs in on the sign-in page the browser shows and waits to land on `next`.
async fn sign_in(browser: &driver::Browser, next: &str) -> Result<()> {
    browser.type_into("#token", TOKEN).await?;
    browser.click("#signin-form button[type=submit]").await?;
    browser.wait_url(|url| url.ends_with(next)).await
}

/// A lean WebDriver client over `reqwest` for Debian's chromium and chromedriver.
mod driver {
    use anyhow::{Context, Result, bail};
    use serde_json::{Value, json};
    use std::io::{BufRead, BufReader};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::time::{Instant, timeout_at};

    /// How long a page or an element may take.
    const BROWSER_WAIT: Duration = Duration::from_secs(20);
    /// Resolves once the document has loaded and painted a frame: how the tests let
    /// the browser make progress between checks without a fixed sleep.
    const SETTLE_SCRIPT: &str = "const done = arguments[0]; \
        if (document.readyState === 'complete') requestAnimationFrame(() => done(true)); \
        else addEventListener('load', () => done(true));";
    /// The key WebDriver uses for element references.
    const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
    /// Chromium flags for a lean, sandbox-less, offline headless run.
    const CHROMIUM_ARGS: &[&str] = &[
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=390,844",
    ];

    /// A chromedriver process with one browser session.
    pub(super) struct Browser {
        http: reqwest::Client,
        session: String,
        driver: Mutex<Child>,
        _profile: tempfile::TempDir,
    }

    fn find_binary(name: &str) -> Option<PathBuf> {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
            .chain([
                PathBuf::from("/usr/bin"),
                PathBuf::from("/usr/lib/chromium"),
            ])
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    }

    impl Browser {
        /// Starts chromedriver and a session; `None` (after a loud notice) when the
        /// browser is not installed and `ENSEMBLE_REQUIRE_BROWSER` is not set.
        pub(super) async fn start() -> Result<Option<Browser>> {
            let (Some(chromium), Some(chromedriver)) =
                (find_binary("chromium"), find_binary("chromedriver"))
            else {
                if std::env::var("ENSEMBLE_REQUIRE_BROWSER").is_ok_and(|value| value == "1") {
                    bail!(
                        "chromium not found and ENSEMBLE_REQUIRE_BROWSER=1; install chromium chromium-driver"
                    );
                }
                eprintln!(
                    "\n**********\nSKIPPED: chromium not found; install chromium chromium-driver\n**********\n"
                );
                return Ok(None);
            };
            let port = std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port();
            let mut child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", chromedriver.display()))?;
            let stdout = child.stdout.take().context("chromedriver stdout")?;
            let (ready, started) = tokio::sync::oneshot::channel();
            std::thread::spawn(move || {
                let mut ready = Some(ready);
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if line.contains("started successfully")
                        && let Some(ready) = ready.take()
                    {
                        let _ = ready.send(());
                    }
                }
            });
            let deadline = Instant::now() + BROWSER_WAIT;
            if !matches!(timeout_at(deadline, started).await, Ok(Ok(()))) {
                let _ = child.kill();
                bail!("chromedriver did not start within {BROWSER_WAIT:?}");
            }
            let profile = tempfile::tempdir()?;
            let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| arg.to_string()).collect();
            args.push(format!("--user-data-dir={}", profile.path().display()));
            let http = reqwest::Client::new();
            let base = format!("http://127.0.0.1:{port}");
            let created: Value = http
                .post(format!("{base}/session"))
                .json(&json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {"binary": chromium, "args": args}
                }}}))
                .send()
                .await?
                .json()
                .await?;
            let Some(session) = created["value"]["sessionId"].as_str() else {
                let _ = child.kill();
                bail!("no WebDriver session: {created}");
            };
            let browser = Browser {
                http,
                session: format!("{base}/session/{session}"),
                driver: Mutex::new(child),
                _profile: profile,
            };
            browser
                .command(
                    "POST",
                    "/timeouts",
                    json!({"implicit": 0, "pageLoad": BROWSER_WAIT.as_millis() as u64}),
                )
                .await?;
            Ok(Some(browser))
        }

        async fn command(&self, method: &str, path: &str, body: Value) -> Result<Value> {
            let url = format!("{}{path}", self.session);
            let request = match method {
                "GET" => self.http.get(url),
                "DELETE" => self.http.delete(url),
                _ => self.http.post(url).json(&body),
            };
            let answer: Value = request.send().await?.json().await?;
            if let Some(error) = answer["value"]["error"].as_str() {
                bail!(
                    "webdriver {method} {path}: {error}: {}",
                    answer["value"]["message"]
                );
            }
            Ok(answer["value"].clone())
        }

        /// Navigates and waits for the load.
        pub(super) async fn goto(&self, url: &str) -> Result<()> {
            self.command("POST", "/url", json!({ "url": url }))
                .await
                .map(drop)
        }

        async fn elements(&self, css: &str) -> Result<Vec<String>> {
            let found = self
                .command(
                    "POST",
                    "/elements",
                    json!({"using": "css selector", "value": css}),
                )
                .await?;
            Ok(found
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|element| element[ELEMENT].as_str().map(str::to_string))
                .collect())
        }

        /// The first element matching `css`, waiting for it to appear (after a
        /// navigation a form submission started).
        async fn element(&self, css: &str) -> Result<String> {
            let deadline = Instant::now() + BROWSER_WAIT;
            loop {
                if let Some(element) = self.elements(css).await?.into_iter().next() {
                    return Ok(element);
                }
                if Instant::now() > deadline {
                    bail!("no element {css:?} within {BROWSER_WAIT:?}");
                }
                self.settle().await;
            }
        }

        /// Lets the browser make progress: one WebDriver round trip that waits for the
        /// document to be ready (no fixed sleep).
        async fn settle(&self) {
            let _ = self
                .command(
                    "POST",
                    "/execute/async",
                    json!({"script": SETTLE_SCRIPT, "args": []}),
                )
                .await;
        }

        /// Text of the first element matching `css`.
        pub(super) async fn text(&self, css: &str) -> Result<String> {
            let element = self.element(css).await?;
            let text = self
                .command("GET", &format!("/element/{element}/text"), Value::Null)
                .await?;
            Ok(text.as_str().unwrap_or_default().to_string())
        }

        /// Texts of every element matching `css`.
        pub(super) async fn texts(&self, css: &str) -> Result<Vec<String>> {
            let mut texts = Vec::new();
            for element in self.elements(css).await? {
                let text = self
                    .command("GET", &format!("/element/{element}/text"), Value::Null)
                    .await?;
                texts.push(text.as_str().unwrap_or_default().to_string());
            }
            Ok(texts)
        }

        /// How many elements match `css` now.
        pub(super) async fn count(&self, css: &str) -> Result<usize> {
            Ok(self.elements(css).await?.len())
        }

        /// Whether the first element matching `css` is displayed.
        pub(super) async fn displayed(&self, css: &str) -> Result<bool> {
            let element = self.element(css).await?;
            let shown = self
                .command("GET", &format!("/element/{element}/displayed"), Value::Null)
                .await?;
            Ok(shown.as_bool().unwrap_or(false))
        }

        /// Clicks the first element matching `css`.
        pub(super) async fn click(&self, css: &str) -> Result<()> {
            let element = self.element(css).await?;
            self.command("POST", &format!("/element/{element}/click"), json!({}))
                .await
                .map(drop)
        }

        /// Types into the first element matching `css`.
        pub(super) async fn type_into(&self, css: &str, text: &str) -> Result<()> {
            let element = self.element(css).await?;
            self.command(
                "POST",
                &format!("/element/{element}/value"),
                json!({ "text": text }),
            )
            .await
            .map(drop)
        }

        /// Waits until the current URL satisfies `accept`.
        pub(super) async fn wait_url(&self, accept: impl Fn(&str) -> bool) -> Result<()> {
            let deadline = Instant::now() + BROWSER_WAIT;
            loop {
                let url = self.command("GET", "/url", Value::Null).await?;
                let url = url.as_str().unwrap_or_default();
                if accept(url) {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    bail!("the browser stayed at {url}");
                }
                self.settle().await;
            }
        }

        /// Waits until an element matching `css` contains `text`.
        pub(super) async fn wait_text(&self, css: &str, text: &str) -> Result<()> {
            let deadline = Instant::now() + BROWSER_WAIT;
            loop {
                if self
                    .texts(css)
                    .await?
                    .iter()
                    .any(|found| found.contains(text))
                {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    bail!("no {css:?} with {text:?} within {BROWSER_WAIT:?}");
                }
                self.settle().await;
            }
        }

        /// Whether a JavaScript dialog is open.
        pub(super) async fn alert_open(&self) -> Result<bool> {
            match self.command("GET", "/alert/text", Value::Null).await {
                Ok(_) => Ok(true),
                Err(error) if error.to_string().contains("no such alert") => Ok(false),
                Err(error) => Err(error),
            }
        }

        /// Ends the session and chromedriver.
        pub(super) async fn close(self) {
            let _ = self.command("DELETE", "", Value::Null).await;
            if let Ok(mut driver) = self.driver.lock() {
                let _ = driver.kill();
                let _ = driver.wait();
            }
        }
    }
}
