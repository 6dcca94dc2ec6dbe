//! Mentoring between schools across real nodes: the full cycle (request, offers ranked
//! by fit, agreement, report, acknowledgement, closure), thread states that do not
//! depend on the order records arrive in, every rule refused at the API and ignored when
//! it arrives from the network, and rankings that follow the fit function.

use anyhow::{Result, bail};
use ensemble_api::ClientError;
use ensemble_api::views::Published;
use ensemble_core::body::Body;
use ensemble_core::mentoring::{FitInput, MentorEvidence, rank};
use ensemble_core::{
    Draft, Kind, LogPosition, RecordId, SchoolId, SchoolKey, VerifiedRecord, bundle, sign,
};
use ensemble_node::{RankedOffer, ThreadView};
use ensemble_tests::{NETWORK, Spec, TestNode, WAIT, start, start_star};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

/// Wakes a waiting test whenever one of the watched nodes stores a record or sees a
/// network change, so conditions are re-checked on events and never on a timer.
struct Watch {
    wake: mpsc::Receiver<()>,
    tasks: Vec<JoinHandle<()>>,
}

impl Watch {
    fn new(nodes: &[&TestNode]) -> Watch {
        // One pending wake-up is enough: the condition is re-read in full each time.
        let (sender, wake) = mpsc::channel(1);
        let mut tasks = Vec::new();
        for node in nodes {
            let mut stored = node.node().stored_events();
            let on_store = sender.clone();
            tasks.push(tokio::spawn(async move {
                // A lagged receiver also means "something was stored".
                while !matches!(
                    stored.recv().await,
                    Err(broadcast::error::RecvError::Closed)
                ) {
                    let _ = on_store.try_send(());
                }
            }));
            let mut changes = node.node().network_changes();
            let on_change = sender.clone();
            tasks.push(tokio::spawn(async move {
                while changes.changed().await.is_ok() {
                    let _ = on_change.try_send(());
                }
            }));
        }
        Watch { wake, tasks }
    }

    /// Waits until `ready` holds, re-checking after every event.
    async fn until(&mut self, what: &str, mut ready: impl FnMut() -> Result<bool>) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            if ready()? {
                return Ok(());
            }
            if timeout_at(deadline, self.wake.recv()).await.is_err() {
                bail!("not within {WAIT:?}: {what}");
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A school signing its own log by hand (a key the test holds, no running node).
struct Author {
    key: SchoolKey,
    seq: u64,
    last: Option<RecordId>,
}

impl Author {
    fn new(seed: u8) -> Author {
        Author {
            key: SchoolKey::from_seed([seed; 32]),
            seq: 0,
            last: None,
        }
    }

    /// Continues the log of a running node's key after its `head` record.
    fn after(key: SchoolKey, seq: u64, last: RecordId) -> Author {
        Author {
            key,
            seq,
            last: Some(last),
        }
    }

    fn id(&self) -> SchoolId {
        self.key.school_id()
    }

    fn sign(&mut self, kind: Kind, body: Value, created_at: u64) -> VerifiedRecord {
        let record = sign(
            &self.key,
            Draft {
                network: NETWORK.into(),
                kind,
                doc: None,
                body: body.to_string().into_bytes(),
            },
            LogPosition {
                seq: self.seq + 1,
                backlink: self.last,
            },
            created_at,
        )
        .expect("sign");
        self.seq += 1;
        self.last = Some(record.id());
        record
    }
}

fn bundle_of(records: &[&VerifiedRecord]) -> Vec<u8> {
    let mut out = bundle::new_bundle();
    for record in records {
        bundle::push_record(&mut out, &record.to_wire());
    }
    out
}

async fn import(node: &TestNode, records: &[&VerifiedRecord]) {
    let report = node
        .node()
        .import(&bundle_of(records))
        .await
        .expect("import");
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}

fn id_of(published: &Published) -> RecordId {
    published.id.parse().expect("record id")
}

/// A write a school attempts through its node's API: one row of a refusal table.
enum Write<'a> {
    /// An offer to a request (a standing offer when `None`), with its body.
    Offer(Option<&'a str>, Vec<u8>),
    /// Accepting an offer, naming the request when given, with empty terms.
    Accept(&'a str, Option<&'a str>),
    /// An on-track progress report under an agreement.
    Report(&'a str),
    /// Closing an agreement with an outcome and a summary.
    Close(&'a str, &'a str, &'a str),
    /// Acknowledging a report, without a text.
    Acknowledge(&'a str),
}

impl Write<'_> {
    async fn by(&self, node: &TestNode) -> Result<Published, ClientError> {
        let client = node.client();
        match self {
            Write::Offer(request, body) => client.offer(*request, body.clone()).await,
            Write::Accept(offer, request) => client.accept(offer, *request, json!({})).await,
            Write::Report(agreement) => client.report(agreement, report_body("on-track")).await,
            Write::Close(agreement, outcome, summary) => {
                client.close(agreement, outcome, summary).await
            }
            Write::Acknowledge(report) => client.acknowledge(report, None).await,
        }
    }
}

/// Asserts that each write, made by its node, is refused with 422 naming its rule
/// (the case, named by rule and school in every message).
async fn refused(cases: &[(&str, &TestNode, Write<'_>)]) {
    for (rule, node, write) in cases {
        let case = format!("{rule} by {}", node.spec.name);
        match write.by(node).await {
            Ok(published) => panic!("{case}: the node accepted {published:?}"),
            Err(error) => {
                assert_eq!(error.status(), Some(422), "{case}: {error}");
                assert!(
                    error.to_string().contains(&format!("({rule})")),
                    "{case}: the rule is not named in: {error}"
                );
            }
        }
    }
}

fn rules_refused(thread: &ThreadView) -> Vec<(String, String)> {
    thread
        .refused
        .iter()
        .map(|refused| (refused.record.doc.clone(), refused.rule.clone()))
        .collect()
}

fn request_body(title: &str) -> Value {
    json!({
        "title": {"ru": title, "en": "Formative assessment in grade 5–6 mathematics"},
        "problem": {"ru": "Учителя ставят отметки, но не дают обратной связи, по которой ученик понял бы, что исправить."},
        "deficits": ["formative-assessment", "teaching-methods"],
        "risk_factors": ["students-at-risk"],
        "subjects": ["mathematics"],
        "grades": [5, 6],
        "goals": [{"text": {"ru": "Листы самооценки на каждом уроке математики"}, "indicator": "доля уроков", "baseline": "10%", "target": "80%"}],
        "formats": ["peer-observation", "co-planning"],
        "mode": "mixed",
        "period": {"from": "2026-09-01", "to": "2099-05-31"},
        "language": ["ru"]
    })
}

fn offer_body(title: &str, expertise: &[&str], subjects: &[&str], mode: &str) -> Value {
    json!({
        "title": {"ru": title},
        "expertise": expertise,
        "subjects": subjects,
        "grades": [5, 6],
        "formats": ["peer-observation"],
        "mode": mode,
        "capacity": {"schools": 2}
    })
}

fn report_body(status: &str) -> Value {
    json!({
        "period": {"from": "2026-09-01", "to": "2026-12-25"},
        "activities": [{"title": {"ru": "Взаимопосещение уроков математики"}, "format": "peer-observation", "status": "done"}],
        "status": status,
        "reflection": {"ru": "Листы самооценки используются на половине уроков."}
    })
}

/// An acceptance signed by hand: the node's API fills in the autonomy clause, a
/// hand-signed record carries its own.
fn acceptance_body(request: RecordId, offer: RecordId) -> Value {
    json!({"request": request.to_string(), "offer": offer.to_string(), "autonomy": {"ru": "Школа решает сама"}})
}

fn acknowledgement_body(report: RecordId) -> Value {
    json!({"target": report.to_string(), "kind": "acknowledgement", "text": {"ru": "Подтверждаем."}})
}

fn mentor_profile() -> Value {
    json!({
        "name": {"ru": "Гимназия-наставник", "en": "Mentor gymnasium"},
        "region": NETWORK,
        "roles": ["mentor", "school"],
        "languages": ["ru", "tt"],
        "expertise": ["formative-assessment", "basic-skills-gaps", "lesson-study"]
    })
}

/// A practice with before/after data (E2) on basic skills gaps.
fn proven_practice() -> Vec<u8> {
    json!({
        "title": {"ru": "Листы самооценки на уроках математики"},
        "summary": {"ru": "Критерии успеха и лист самооценки в конце урока."},
        "problem": {"ru": "Ученики не знают, что именно им исправить."},
        "problems": ["basic-skills-gaps"],
        "subjects": ["mathematics"],
        "grades": [5, 6],
        "method": {"ru": "Критерии успеха на доске, лист самооценки, задание по уровню."},
        "methods": ["formative-assessment"],
        "evidence": {"level": "E2", "measures": [{"name": {"ru": "Средний балл итоговой работы"}, "n": 48, "baseline": 58, "result": 69}]},
        "language": ["ru"],
        "license": "CC-BY-4.0"
    })
    .to_string()
    .into_bytes()
}

fn bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn own_profile(node: &TestNode) -> RecordId {
    node.node()
        .store()
        .latest(Kind::SchoolProfile)
        .expect("profiles")
        .iter()
        .find(|record| record.author() == node.node().school_id())
        .map(VerifiedRecord::id)
        .expect("own profile")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thread_runs_its_full_cycle_across_hub_mentor_and_supported_school() {
    let [hub, school, mut mentor] = start_star([
        Spec::school("Региональный узел"),
        Spec::school("Сельская школа"),
        Spec::school("Гимназия-наставник"),
    ])
    .await
    .expect("hub meshed");

    // The mentor school describes itself and its proven practice, then goes offline.
    let profile = mentor
        .client()
        .set_profile(bytes(&mentor_profile()))
        .await
        .expect("profile set");
    assert_eq!(profile.seq, 2, "a new version of the first-start profile");
    let schools = mentor.client().schools().await.expect("schools");
    let me = schools
        .iter()
        .find(|view| view.school_id == mentor.node().school_id().to_string())
        .expect("the mentor lists itself");
    assert_eq!(me.roles, ["mentor", "school"]);
    assert_eq!(me.profile, profile.doc, "listed by its profile document");
    assert!(me.expertise.contains(&"formative-assessment".to_string()));
    let practice = mentor
        .client()
        .publish_practice(proven_practice())
        .await
        .expect("practice");
    hub.wait_for_records(&[id_of(&profile), id_of(&practice)], WAIT)
        .await
        .expect("hub holds the mentor's profile and practice");
    mentor.stop().await;

    // The request is published while the mentor is offline; the hub offers standing help.
    let request = school
        .client()
        .publish_request(bytes(&request_body("Формирующее оценивание в 5–6 классах")))
        .await
        .expect("request");
    let request_id = id_of(&request);
    let standing = hub
        .client()
        .offer(
            None,
            bytes(&offer_body(
                "Консультации методистов регионального узла",
                &["teaching-methods"],
                &["mathematics", "physics"],
                "online",
            )),
        )
        .await
        .expect("standing offer");
    hub.wait_for_record(request_id, WAIT).await.expect("hub");

    // Back online, the mentor catches up by sync and finds the request ranked for it.
    mentor
        .restart(vec![hub.address()])
        .await
        .expect("mentor back");
    mentor
        .wait_for_records(&[request_id, id_of(&standing)], WAIT)
        .await
        .expect("the mentor caught up by sync");
    let requests = mentor
        .client()
        .mentoring_requests(true)
        .await
        .expect("requests");
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].request.doc, request_id.to_string());
    assert_eq!(requests[0].state, "open");
    let explained = requests[0].fit.explain_en();
    assert!(
        explained.contains("deficits matched: 1 of 2")
            && explained.contains("1 of the mentor's practices with evidence ≥ E2"),
        "{explained}"
    );

    let offer = mentor
        .client()
        .offer(
            Some(&request_id.to_string()),
            bytes(&offer_body(
                "Взаимопосещения и совместное планирование уроков математики",
                &["formative-assessment", "teaching-methods"],
                &["mathematics"],
                "online",
            )),
        )
        .await
        .expect("offer");
    let offer_id = id_of(&offer);
    school
        .wait_for_records(
            &[
                offer_id,
                id_of(&standing),
                id_of(&profile),
                id_of(&practice),
            ],
            WAIT,
        )
        .await
        .expect("the school holds both offers and the mentor's profile and practice");

    let offers = school
        .client()
        .offers(&request_id.to_string())
        .await
        .expect("offers");
    let ranked: Vec<(&str, bool)> = offers
        .iter()
        .map(|offer| (offer.offer.doc.as_str(), offer.standing))
        .collect();
    assert_eq!(
        ranked,
        [
            (offer_id.to_string().as_str(), false),
            (standing.id.as_str(), true)
        ]
    );
    let scores: Vec<u32> = offers.iter().map(score).collect();
    assert!(scores[0] > scores[1], "{scores:?}");
    assert!(
        offers[0]
            .fit
            .as_ref()
            .expect("fit")
            .explain_en()
            .starts_with("deficits matched: 2 of 2; problems matched: 1 of 1; subjects: 1 of 1"),
        "{:?}",
        offers[0].fit
    );
    let thread = school.client().thread(&request.id).await.expect("thread");
    assert_eq!(thread.state, "in-negotiation");

    // Accepting: the agreement is formed, the autonomy clause prefilled, both follow.
    let acceptance = school
        .client()
        .accept(
            &offer.id,
            None,
            json!({"norms": {"ru": "Встреча раз в две недели в Сферуме"}}),
        )
        .await
        .expect("accept");
    let acceptance_id = id_of(&acceptance);
    let follows = school.client().follows().await.expect("follows");
    assert!(
        follows
            .iter()
            .any(|follow| follow.school_id == mentor.node().school_id().to_string()),
        "the school follows its mentor"
    );
    let mut watch = Watch::new(&[&hub, &school, &mentor]);
    let mentor_school = mentor.node().clone();
    let school_id = school.node().school_id();
    watch
        .until("the mentor follows its partner", || {
            Ok(mentor_school.store().is_followed(&school_id)?)
        })
        .await
        .expect("follow");
    let thread = school
        .client()
        .thread(&acceptance.id)
        .await
        .expect("thread");
    assert_eq!(thread.state, "matched");
    let agreement = thread.agreement.as_ref().expect("agreement");
    assert_eq!(agreement.state, "active");
    assert_eq!(agreement.offer, offer.id);
    assert_eq!(
        agreement.acceptance.body.as_ref().expect("body")["autonomy"]["ru"],
        "Школа-партнёр самостоятельно принимает решения о внедрении рекомендаций"
    );

    // A report, acknowledged by the mentor; then the mentor closes the partnership.
    let report = school
        .client()
        .report(&acceptance.id, report_body("on-track"))
        .await
        .expect("report");
    mentor
        .wait_for_record(id_of(&report), WAIT)
        .await
        .expect("the mentor holds the report");
    let acknowledgement = mentor
        .client()
        .acknowledge(
            &report.id,
            Some("Подтверждаем: взаимопосещения проведены.".into()),
        )
        .await
        .expect("acknowledge");
    let closure = mentor
        .client()
        .close(
            &acceptance.id,
            "completed",
            "Листы самооценки используются на 80 % уроков.",
        )
        .await
        .expect("close");

    let mut everything = vec![
        request_id,
        id_of(&standing),
        offer_id,
        acceptance_id,
        id_of(&report),
        id_of(&acknowledgement),
        id_of(&closure),
        id_of(&profile),
        id_of(&practice),
        own_profile(&hub),
        own_profile(&school),
    ];
    everything.sort();
    for node in [&hub, &school, &mentor] {
        node.wait_for_records(&everything, WAIT)
            .await
            .expect("every node holds the whole thread");
    }
    assert_same_closed_thread(
        &[&hub, &school, &mentor],
        &report.id,
        &ClosedThread {
            request: &request.id,
            outcome: "completed",
            acceptance: &acceptance.id,
            offers: 1,
            report: &report.id,
            acknowledgement: &acknowledgement.id,
            closure: &closure.id,
            refused: &[],
        },
    )
    .await;

    // A closed agreement takes no further reports.
    refused(&[("agreement-closed", &school, Write::Report(&acceptance.id))]).await;
}

/// What every node shows of a thread whose agreement has closed.
struct ClosedThread<'a> {
    request: &'a str,
    /// The agreement's final state: `completed` or `terminated`.
    outcome: &'a str,
    acceptance: &'a str,
    offers: usize,
    /// The one report that counts, and its acknowledgement.
    report: &'a str,
    acknowledgement: &'a str,
    closure: &'a str,
    /// `(record, rule)` of every refused record, oldest first.
    refused: &'a [(&'a str, &'a str)],
}

/// Asserts that every node shows `expected`, the same thread (to the byte) on each,
/// whether asked by the request or by another of its records, `also_from`.
async fn assert_same_closed_thread(
    nodes: &[&TestNode],
    also_from: &str,
    expected: &ClosedThread<'_>,
) {
    let mut shown: Vec<(&str, Value)> = Vec::new();
    for node in nodes {
        let name = node.spec.name.as_str();
        let thread = node
            .client()
            .thread(expected.request)
            .await
            .expect("thread");
        assert_eq!(thread.state, "closed", "{name}");
        let agreement = thread.agreement.as_ref().expect("agreement");
        assert_eq!(agreement.state, expected.outcome, "{name}");
        assert_eq!(agreement.acceptance.doc, expected.acceptance, "{name}");
        assert_eq!(agreement.reports.len(), 1, "{name}");
        assert_eq!(agreement.reports[0].report.doc, expected.report, "{name}");
        assert_eq!(
            agreement.reports[0].acknowledgements[0].doc, expected.acknowledgement,
            "{name}"
        );
        assert_eq!(
            agreement
                .closure
                .as_ref()
                .map(|closure| closure.doc.as_str()),
            Some(expected.closure),
            "{name}"
        );
        assert_eq!(thread.offers.len(), expected.offers, "{name}");
        assert!(thread.pending.is_empty(), "{name}: {:?}", thread.pending);
        let refused: Vec<(&str, &str)> = thread
            .refused
            .iter()
            .map(|refused| (refused.record.doc.as_str(), refused.rule.as_str()))
            .collect();
        assert_eq!(refused, expected.refused, "{name}");
        // The same thread from any of its records.
        let from_other = node.client().thread(also_from).await.expect("thread");
        assert_eq!(from_other, thread, "{name}: asked by {also_from}");
        shown.push((name, serde_json::to_value(&thread).expect("json")));
    }
    for pair in shown.windows(2) {
        let ((first, first_thread), (second, second_thread)) = (&pair[0], &pair[1]);
        assert_eq!(first_thread, second_thread, "{first} and {second} agree");
    }
}

fn score(offer: &RankedOffer) -> u32 {
    offer.fit.as_ref().map_or(0, |fit| fit.score)
}

/// A whole thread signed by hand: request, two offers, the agreement, a report and
/// its acknowledgement, the closure, and three records the rules refuse.
struct Scripted {
    records: Vec<VerifiedRecord>,
    request: RecordId,
    offer: RecordId,
    acceptance: RecordId,
    second_acceptance: RecordId,
    report: RecordId,
    acknowledgement: RecordId,
    stranger_report: RecordId,
    closure: RecordId,
    late_report: RecordId,
}

impl Scripted {
    fn new() -> Scripted {
        let start = ensemble_core::now_ms() - 3_600_000;
        let minute = |n: u64| start + n * 60_000;
        let mut requester = Author::new(111);
        let mut mentor = Author::new(112);
        let mut other_mentor = Author::new(113);
        let mut stranger = Author::new(114);
        let mut records = Vec::new();
        records.push(requester.sign(
            Kind::SchoolProfile,
            json!({"name": {"ru": "Школа, получающая поддержку"}, "region": NETWORK, "roles": ["supported"]}),
            minute(0),
        ));
        records.push(mentor.sign(Kind::SchoolProfile, mentor_profile(), minute(0)));
        let request = requester.sign(
            Kind::MentoringRequest,
            request_body("Запрос, собранный вручную"),
            minute(1),
        );
        let offer = mentor.sign(
            Kind::MentoringOffer,
            json!({
                "request": request.id().to_string(),
                "title": {"ru": "Предложение гимназии"},
                "expertise": ["formative-assessment"],
                "subjects": ["mathematics"],
                "formats": ["peer-observation"],
                "mode": "online"
            }),
            minute(2),
        );
        let other_offer = other_mentor.sign(
            Kind::MentoringOffer,
            json!({
                "request": request.id().to_string(),
                "title": {"ru": "Предложение другой школы"},
                "expertise": ["teaching-methods"],
                "subjects": ["mathematics"],
                "formats": ["webinar"],
                "mode": "offline"
            }),
            minute(3),
        );
        let acceptance = requester.sign(
            Kind::MentoringAcceptance,
            acceptance_body(request.id(), offer.id()),
            minute(4),
        );
        let second_acceptance = requester.sign(
            Kind::MentoringAcceptance,
            acceptance_body(request.id(), other_offer.id()),
            minute(5),
        );
        let mut report_json = report_body("at-risk");
        report_json["agreement"] = json!(acceptance.id().to_string());
        let report = requester.sign(Kind::ProgressReport, report_json.clone(), minute(6));
        let acknowledgement =
            mentor.sign(Kind::Feedback, acknowledgement_body(report.id()), minute(7));
        let stranger_report = stranger.sign(Kind::ProgressReport, report_json.clone(), minute(8));
        let closure = mentor.sign(
            Kind::MentoringClosure,
            json!({"agreement": acceptance.id().to_string(), "outcome": "terminated", "summary": {"ru": "Школа перешла к другому наставнику."}}),
            minute(9),
        );
        let late_report = requester.sign(Kind::ProgressReport, report_json, minute(10));
        let ids = Scripted {
            records: Vec::new(),
            request: request.id(),
            offer: offer.id(),
            acceptance: acceptance.id(),
            second_acceptance: second_acceptance.id(),
            report: report.id(),
            acknowledgement: acknowledgement.id(),
            stranger_report: stranger_report.id(),
            closure: closure.id(),
            late_report: late_report.id(),
        };
        records.extend([
            request,
            offer,
            other_offer,
            acceptance,
            second_acceptance,
            report,
            acknowledgement,
            stranger_report,
            closure,
            late_report,
        ]);
        Scripted { records, ..ids }
    }

    fn record(&self, id: RecordId) -> &VerifiedRecord {
        self.records
            .iter()
            .find(|record| record.id() == id)
            .expect("scripted record")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn records_in_any_order_derive_the_same_thread_on_every_node() {
    let script = Scripted::new();
    let forward = start(Spec::school("По порядку")).await.expect("node");
    let backward = start(Spec::school("В обратном порядке"))
        .await
        .expect("node");
    let scrambled = start(Spec::school("Вразнобой")).await.expect("node");

    // All at once, in signing order.
    let all: Vec<&VerifiedRecord> = script.records.iter().collect();
    import(&forward, &all).await;

    // One by one, newest first: every reference arrives before what it names.
    for record in script.records.iter().rev() {
        import(&backward, &[record]).await;
    }

    // Scrambled, stopping to look while the acceptance waits for its offer.
    let request = script.request.to_string();
    import(
        &scrambled,
        &[
            script.record(script.acceptance),
            script.record(script.late_report),
        ],
    )
    .await;
    let early = scrambled.client().thread(&request).await;
    assert_eq!(
        early.map_err(|error| error.status()).err(),
        Some(Some(404)),
        "no thread before its request"
    );
    import(&scrambled, &[script.record(script.request)]).await;
    let waiting = scrambled.client().thread(&request).await.expect("thread");
    assert_eq!(waiting.state, "open");
    assert!(waiting.agreement.is_none());
    assert_eq!(
        waiting
            .pending
            .iter()
            .map(|pending| pending.doc.clone())
            .collect::<Vec<_>>(),
        [script.acceptance.to_string()],
        "stored, neither refused nor in effect"
    );
    assert!(waiting.refused.is_empty(), "{:?}", waiting.refused);
    import(&scrambled, &[script.record(script.offer)]).await;
    let matched = scrambled.client().thread(&request).await.expect("thread");
    assert_eq!(matched.state, "matched", "the acceptance took effect");
    assert!(matched.pending.is_empty());
    let reports = &matched.agreement.as_ref().expect("agreement").reports;
    assert_eq!(
        reports[0].report.doc,
        script.late_report.to_string(),
        "no closure held yet: the report counts for now"
    );
    let order = [9, 0, 7, 11, 2, 5, 1, 10, 3, 8, 6, 4];
    assert_eq!(order.len(), script.records.len());
    for index in order {
        let record = &script.records[index];
        if !scrambled
            .node()
            .store()
            .contains(&record.id())
            .expect("contains")
        {
            import(&scrambled, &[record]).await;
        }
    }

    let (second_acceptance, stranger_report, late_report) = (
        script.second_acceptance.to_string(),
        script.stranger_report.to_string(),
        script.late_report.to_string(),
    );
    assert_same_closed_thread(
        &[&forward, &backward, &scrambled],
        &script.acknowledgement.to_string(),
        &ClosedThread {
            request: &request,
            outcome: "terminated",
            acceptance: &script.acceptance.to_string(),
            offers: 2,
            report: &script.report.to_string(),
            acknowledgement: &script.acknowledgement.to_string(),
            closure: &script.closure.to_string(),
            refused: &[
                (&second_acceptance, "already-matched"),
                (&stranger_report, "only-parties-report"),
                (&late_report, "agreement-closed"),
            ],
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_is_refused_at_the_api_and_not_applied_from_the_network() {
    let nodes = start_star([
        Spec::school("Школа-заявитель"),
        Spec::school("Школа-наставник"),
        Spec::school("Посторонняя школа"),
    ])
    .await
    .expect("meshed");
    let [school, mentor, other] = &nodes;
    let everywhere = async |ids: &[RecordId]| {
        for node in &nodes {
            node.wait_for_records(ids, WAIT).await.expect("replicated");
        }
    };

    let request = school
        .client()
        .publish_request(bytes(&request_body("Запрос школы-заявителя")))
        .await
        .expect("request");
    let other_request = other
        .client()
        .publish_request(bytes(&request_body("Запрос другой школы")))
        .await
        .expect("request");
    everywhere(&[id_of(&request), id_of(&other_request)]).await;
    let offer_body = || {
        bytes(&offer_body(
            "Наставничество по математике",
            &["formative-assessment"],
            &["mathematics"],
            "online",
        ))
    };
    let offer = mentor
        .client()
        .offer(Some(&request.id), offer_body())
        .await
        .expect("offer");
    let foreign_offer = mentor
        .client()
        .offer(Some(&other_request.id), offer_body())
        .await
        .expect("offer to the other request");
    let standing = other
        .client()
        .offer(None, offer_body())
        .await
        .expect("standing");
    everywhere(&[id_of(&offer), id_of(&foreign_offer), id_of(&standing)]).await;

    let unknown_offer = RecordId([9; 32]).to_string();
    let to_request = Some(request.id.as_str());
    refused(&[
        (
            "only-requester-accepts",
            mentor,
            Write::Accept(&offer.id, to_request),
        ),
        ("own-offer", school, Write::Offer(to_request, offer_body())),
        (
            "offer-not-for-request",
            school,
            Write::Accept(&foreign_offer.id, to_request),
        ),
        (
            "offer-unknown",
            school,
            Write::Accept(&unknown_offer, to_request),
        ),
        ("no-agreement", other, Write::Report(&other_request.id)),
    ])
    .await;

    let acceptance = school
        .client()
        .accept(&offer.id, None, json!({}))
        .await
        .expect("the requester accepts an offer to its request");
    refused(&[(
        "already-matched",
        school,
        Write::Accept(&standing.id, to_request),
    )])
    .await;
    everywhere(&[id_of(&acceptance)]).await;
    refused(&[
        ("only-parties-report", other, Write::Report(&acceptance.id)),
        (
            "only-parties-close",
            other,
            Write::Close(&acceptance.id, "terminated", "Посторонняя школа закрывает"),
        ),
    ])
    .await;
    let report = school
        .client()
        .report(&acceptance.id, report_body("at-risk"))
        .await
        .expect("a party reports");
    everywhere(&[id_of(&report)]).await;
    refused(&[
        (
            "only-partner-acknowledges",
            school,
            Write::Acknowledge(&report.id),
        ),
        (
            "only-partner-acknowledges",
            other,
            Write::Acknowledge(&report.id),
        ),
    ])
    .await;
    let acknowledgement = mentor
        .client()
        .acknowledge(&report.id, None)
        .await
        .expect("the partner acknowledges");
    everywhere(&[id_of(&acknowledgement)]).await;
    let before = school.client().thread(&request.id).await.expect("thread");
    assert_eq!(before.state, "matched");
    assert!(before.refused.is_empty());

    // The same violations, signed by schools whose nodes did not check them, arrive
    // from the network: stored as evidence, listed as refused, applied nowhere.
    let now = ensemble_core::now_ms();
    let mut rogue = Author::new(121);
    let mut report_json = report_body("off-track");
    report_json["agreement"] = json!(acceptance.id);
    let rogue_cases = [
        (
            "only-requester-accepts",
            Kind::MentoringAcceptance,
            json!({"request": request.id, "offer": offer.id, "autonomy": {"ru": "—"}}),
        ),
        (
            "only-parties-report",
            Kind::ProgressReport,
            report_json.clone(),
        ),
        (
            "only-partner-acknowledges",
            Kind::Feedback,
            acknowledgement_body(id_of(&report)),
        ),
        (
            "only-parties-close",
            Kind::MentoringClosure,
            json!({"agreement": acceptance.id, "outcome": "terminated", "summary": {"ru": "Не сторона соглашения"}}),
        ),
    ];
    let mut rogue_records = Vec::new();
    let mut expected_refused = Vec::new();
    for ((rule, kind, body), created_at) in rogue_cases.into_iter().zip(now..) {
        let record = rogue.sign(kind, body, created_at);
        expected_refused.push((record.id().to_string(), rule.to_string()));
        rogue_records.push(record);
    }
    import(school, &rogue_records.iter().collect::<Vec<_>>()).await;
    let after = school.client().thread(&request.id).await.expect("thread");
    assert_eq!(after.state, "matched", "state unchanged");
    assert_eq!(after.agreement, before.agreement, "agreement unchanged");
    assert_eq!(rules_refused(&after), expected_refused);

    let closure = mentor
        .client()
        .close(&acceptance.id, "completed", "Цели соглашения достигнуты")
        .await
        .expect("a party closes");
    school
        .wait_for_record(id_of(&closure), WAIT)
        .await
        .expect("closure");
    refused(&[
        ("agreement-closed", school, Write::Report(&acceptance.id)),
        (
            "already-closed",
            school,
            Write::Close(&acceptance.id, "terminated", "Ещё раз"),
        ),
    ])
    .await;

    // A report the school's own key signed after the closure, delivered to the
    // mentor's node: kept, shown as refused, the agreement stays completed.
    let school_id = school.node().school_id();
    let head = school.node().store().head(&school_id).expect("head");
    let (last, _) = school
        .node()
        .store()
        .range(&school_id, head, head, 1, usize::MAX)
        .expect("range");
    let mut school_key = Author::after(SchoolKey::from_seed(school.seed), head, last[0].id());
    assert_eq!(school_key.id(), school_id);
    let late = school_key.sign(Kind::ProgressReport, report_json, ensemble_core::now_ms());
    import(mentor, &[&late]).await;
    let closed = mentor.client().thread(&request.id).await.expect("thread");
    assert_eq!(closed.state, "closed");
    let agreement = closed.agreement.as_ref().expect("agreement");
    assert_eq!(agreement.state, "completed");
    assert_eq!(agreement.reports.len(), 1, "the late report does not count");
    assert!(
        rules_refused(&closed).contains(&(late.id().to_string(), "agreement-closed".into())),
        "{:?}",
        closed.refused
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offers_and_requests_are_ranked_by_the_fit_function() {
    let node = start(Spec::school("Смотрящий узел")).await.expect("node");
    let start_ms = ensemble_core::now_ms() - 3_600_000;
    let minute = |n: u64| start_ms + n * 60_000;
    let mut requester = Author::new(131);
    let mut proven = Author::new(132);
    let mut partial = Author::new(133);
    let mut busy = Author::new(134);
    let mut busy_partner = Author::new(135);
    let mut far = Author::new(136);

    let request_json = json!({
        "title": {"ru": "Формирующее оценивание и цифровые инструменты"},
        "problem": {"ru": "Учителя не используют данные об ошибках учеников."},
        "deficits": ["formative-assessment", "teaching-methods", "digital"],
        "risk_factors": ["students-at-risk"],
        "subjects": ["mathematics"],
        "grades": [5, 6],
        "goals": [{"text": {"ru": "Обратная связь на каждом уроке"}}],
        "formats": ["peer-observation"],
        "mode": "mixed",
        "period": {"from": "2026-09-01", "to": "2099-05-31"},
        "language": ["ru"]
    });
    let request = requester.sign(Kind::MentoringRequest, request_json.clone(), minute(1));
    let profile = proven.sign(
        Kind::SchoolProfile,
        json!({"name": {"ru": "Доказательная гимназия"}, "region": NETWORK, "roles": ["mentor"], "languages": ["ru"], "expertise": ["teaching-methods"]}),
        minute(0),
    );
    let practice = proven.sign(
        Kind::Practice,
        serde_json::from_slice(&proven_practice()).expect("json"),
        minute(0),
    );
    let proven_offer = proven.sign(
        Kind::MentoringOffer,
        json!({"request": request.id().to_string(), "title": {"ru": "Оценивание и цифровые тренажёры"}, "expertise": ["formative-assessment", "digital"], "subjects": ["mathematics"], "grades": [5, 6], "formats": ["co-planning"], "mode": "online", "capacity": {"schools": 2}}),
        minute(2),
    );
    let partial_offer = partial.sign(
        Kind::MentoringOffer,
        json!({"request": request.id().to_string(), "title": {"ru": "Методика преподавания физики"}, "expertise": ["teaching-methods"], "subjects": ["physics"], "grades": [7], "formats": ["webinar"], "mode": "offline"}),
        minute(3),
    );
    // A standing offer that fits well, from a mentor whose one place is taken.
    let busy_offer = busy.sign(
        Kind::MentoringOffer,
        json!({"title": {"ru": "Постоянное предложение наставничества"}, "expertise": ["formative-assessment", "teaching-methods", "digital", "tutoring"], "subjects": ["mathematics"], "grades": [5, 6], "formats": ["peer-observation"], "mode": "mixed", "capacity": {"schools": 1}}),
        minute(2),
    );
    let partner_request =
        busy_partner.sign(Kind::MentoringRequest, request_json.clone(), minute(1));
    let partner_acceptance = busy_partner.sign(
        Kind::MentoringAcceptance,
        acceptance_body(partner_request.id(), busy_offer.id()),
        minute(4),
    );
    let mut far_json = request_json.clone();
    far_json["title"] = json!({"ru": "Физика в старших классах"});
    far_json["deficits"] = json!(["leadership"]);
    far_json["risk_factors"] = json!([]);
    far_json["subjects"] = json!(["physics"]);
    far_json["grades"] = json!([10, 11]);
    let far_request = far.sign(Kind::MentoringRequest, far_json, minute(1));
    let records = [
        &request,
        &profile,
        &practice,
        &proven_offer,
        &partial_offer,
        &busy_offer,
        &partner_request,
        &partner_acceptance,
        &far_request,
    ];
    import(&node, &records).await;

    // Offers, for the requester: as `rank` orders them over the same inputs.
    let body = |record: &VerifiedRecord| record.body().cloned().expect("body");
    let Body::MentoringRequest(request_body) = body(&request) else {
        panic!("request");
    };
    let Body::SchoolProfile(proven_profile) = body(&profile) else {
        panic!("profile");
    };
    let Body::Practice(practice_body) = body(&practice) else {
        panic!("practice");
    };
    let evidence = [MentorEvidence::from_practice(practice.id(), &practice_body)];
    let offer_of = |record: &VerifiedRecord| match body(record) {
        Body::MentoringOffer(offer) => offer,
        _ => panic!("offer"),
    };
    let (proven_body, partial_body, busy_body) = (
        offer_of(&proven_offer),
        offer_of(&partial_offer),
        offer_of(&busy_offer),
    );
    let expected = rank(&[
        (
            proven_offer.id(),
            FitInput {
                request: &request_body,
                offer: Some(&proven_body),
                profile: Some(&proven_profile),
                practices: &evidence,
                active_partnerships: 0,
            },
        ),
        (
            partial_offer.id(),
            FitInput {
                request: &request_body,
                offer: Some(&partial_body),
                profile: None,
                practices: &[],
                active_partnerships: 0,
            },
        ),
        (
            busy_offer.id(),
            FitInput {
                request: &request_body,
                offer: Some(&busy_body),
                profile: None,
                practices: &[],
                active_partnerships: 1,
            },
        ),
    ]);
    let offers = node
        .client()
        .offers(&request.id().to_string())
        .await
        .expect("offers");
    let shown: Vec<(String, u32, Vec<u32>)> = offers
        .iter()
        .map(|offer| {
            let fit = offer.fit.as_ref().expect("fit");
            (
                offer.offer.doc.clone(),
                fit.score,
                fit.reasons.iter().map(|reason| reason.points).collect(),
            )
        })
        .collect();
    let wanted: Vec<(String, u32, Vec<u32>)> = expected
        .iter()
        .map(|(id, fit)| {
            (
                id.to_string(),
                fit.score,
                fit.reasons.iter().map(|reason| reason.points).collect(),
            )
        })
        .collect();
    assert_eq!(shown, wanted);
    assert_eq!(
        offers.iter().map(|offer| offer.rank).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(offers[0].offer.doc, proven_offer.id().to_string());
    let busy_shown = offers
        .iter()
        .find(|offer| offer.offer.doc == busy_offer.id().to_string())
        .expect("the standing offer is listed");
    assert!(busy_shown.standing);
    assert_eq!(score(busy_shown), 0);
    assert!(
        busy_shown
            .fit
            .as_ref()
            .expect("fit")
            .explain_en()
            .ends_with("no capacity left"),
        "{:?}",
        busy_shown.fit
    );

    // Requests, for this node as a mentor school: judged on its own profile and
    // practices, matched requests left out of the open list.
    let own_profile_json = json!({
        "name": {"ru": "Смотрящий узел"},
        "region": NETWORK,
        "roles": ["mentor"],
        "languages": ["ru"],
        "expertise": ["formative-assessment", "digital", "basic-skills-gaps"]
    });
    node.client()
        .set_profile(bytes(&own_profile_json))
        .await
        .expect("profile");
    let own_practice = node
        .client()
        .publish_practice(proven_practice())
        .await
        .expect("practice");
    let own_profile_body = match ensemble_core::body::validate(
        Kind::SchoolProfile,
        &bytes(&own_profile_json),
        ensemble_core::body::Mode::Local,
    ) {
        Ok(Body::SchoolProfile(profile)) => profile,
        other => panic!("{other:?}"),
    };
    let own_evidence = [MentorEvidence::from_practice(
        id_of(&own_practice),
        &practice_body,
    )];
    let Body::MentoringRequest(far_body) = body(&far_request) else {
        panic!("request");
    };
    fn as_mentor(request: &ensemble_core::body::MentoringRequest) -> FitInput<'_> {
        FitInput {
            request,
            offer: None,
            profile: None,
            practices: &[],
            active_partnerships: 0,
        }
    }
    let expected: Vec<(String, u32)> = rank(&[
        (
            request.id(),
            FitInput {
                profile: Some(&own_profile_body),
                practices: &own_evidence,
                ..as_mentor(&request_body)
            },
        ),
        (
            far_request.id(),
            FitInput {
                profile: Some(&own_profile_body),
                practices: &own_evidence,
                ..as_mentor(&far_body)
            },
        ),
    ])
    .iter()
    .map(|(id, fit)| (id.to_string(), fit.score))
    .collect();
    let open = node
        .client()
        .mentoring_requests(true)
        .await
        .expect("requests");
    let shown: Vec<(String, u32)> = open
        .iter()
        .map(|ranked| (ranked.request.doc.clone(), ranked.fit.score))
        .collect();
    assert_eq!(shown, expected);
    assert_eq!(open[0].request.doc, request.id().to_string());
    assert_eq!(open[0].state, "in-negotiation");
    assert!(open[0].fit.score > open[1].fit.score, "{shown:?}");
    // A risk profile is shown only to partners and the requester's region: unknown here
    // until the requester's profile arrives.
    let risk_profile = |ranked: &ensemble_node::RankedRequest| {
        ranked.request.body.as_ref().expect("body")["risk_factors"].clone()
    };
    assert_eq!(open[0].request.hidden, ["risk_factors"]);
    assert_eq!(risk_profile(&open[0]), Value::Null);
    let requester_profile = requester.sign(
        Kind::SchoolProfile,
        json!({"name": {"ru": "Школа того же региона"}, "region": NETWORK, "roles": ["supported"]}),
        minute(20),
    );
    import(&node, &[&requester_profile]).await;
    let open = node
        .client()
        .mentoring_requests(true)
        .await
        .expect("requests");
    assert!(open[0].request.hidden.is_empty());
    assert_eq!(risk_profile(&open[0]), json!(["students-at-risk"]));
    let all = node
        .client()
        .mentoring_requests(false)
        .await
        .expect("requests");
    let matched = all
        .iter()
        .find(|ranked| ranked.request.doc == partner_request.id().to_string())
        .expect("matched requests are listed without --open");
    assert_eq!(matched.state, "matched");
    assert_eq!(all.len(), 3);
}
