//! The index schema, the Russian/English analyzer, and the mapping between a practice
//! and an index document (and back to a hit), plus the query builder.

use ensemble_core::body::{ClosedCode, EvidenceLevel, Practice};
use ensemble_core::{RecordId, SchoolId, VerifiedRecord, vocab};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query as TantivyQuery, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{TantivyDocument, Term};

use super::*;

pub(super) fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analyzed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        doc: builder.add_text_field("doc", STRING | STORED),
        id: builder.add_text_field("id", STORED),
        author: builder.add_text_field("author", STRING | STORED),
        region: builder.add_text_field("region", STRING),
        subject: builder.add_text_field("subject", STRING | STORED),
        grade: builder.add_u64_field("grade", INDEXED | STORED),
        problem: builder.add_text_field("problem", STRING),
        method: builder.add_text_field("method", STRING),
        evidence_min: builder.add_text_field("evidence_min", STRING),
        evidence: builder.add_text_field("evidence", STORED),
        applied: builder.add_u64_field("applied", STORED),
        lang: builder.add_text_field("lang", STRING),
        created: builder.add_u64_field("created", FAST | STORED),
        title: builder.add_text_field("title", analyzed.clone()),
        title_json: builder.add_text_field("title_json", STORED),
        keywords: builder.add_text_field("keywords", analyzed.clone()),
        text: builder.add_text_field("text", analyzed),
    };
    (builder.build(), fields)
}

/// The combined analyzer; see the module docs for why one analyzer serves both
/// languages.
pub(super) fn analyzer() -> TextAnalyzer {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .dynamic();
    for language in [Language::Russian, Language::English] {
        if let Some(stop_words) = StopWordFilter::new(language) {
            builder = builder.filter_dynamic(stop_words);
        }
    }
    builder
        .filter_dynamic(Stemmer::new(Language::Russian))
        .filter_dynamic(Stemmer::new(Language::English))
        .build()
}

/// `ё` → `е`: Russian texts write either, and the stemmer only knows `е`.
pub(super) fn fold(text: &str) -> String {
    text.replace('ё', "е").replace('Ё', "Е")
}

pub(super) fn document(
    fields: &Fields,
    record: &VerifiedRecord,
    practice: &Practice,
    doc: RecordId,
    applied: u64,
    region: Option<&str>,
) -> TantivyDocument {
    let mut document = TantivyDocument::default();
    document.add_text(fields.doc, doc.to_string());
    document.add_text(fields.id, record.id().to_string());
    document.add_text(fields.author, record.author().to_string());
    if let Some(region) = region {
        document.add_text(fields.region, region);
    }
    for subject in &practice.subjects {
        document.add_text(fields.subject, subject);
    }
    for grade in &practice.grades {
        document.add_u64(fields.grade, u64::from(*grade));
    }
    for problem in &practice.problems {
        document.add_text(fields.problem, problem);
    }
    for method in &practice.methods {
        document.add_text(fields.method, method);
    }
    let level = practice.effective_level(applied > 0);
    for reached in EvidenceLevel::ALL
        .iter()
        .filter(|reached| **reached <= level)
    {
        document.add_text(fields.evidence_min, reached.as_str());
    }
    document.add_text(fields.evidence, level.as_str());
    document.add_u64(fields.applied, applied);
    for language in &practice.language {
        document.add_text(fields.lang, ensemble_core::body::primary_subtag(language));
    }
    document.add_u64(fields.created, record.header().created_at);
    document.add_text(fields.title, fold(&practice.title.all_text()));
    document.add_text(
        fields.title_json,
        serde_json::to_string(&practice.title).unwrap_or_default(),
    );
    document.add_text(fields.keywords, fold(&practice.keywords.join("\n")));
    let mut text = vec![
        practice.summary.all_text(),
        practice.problem.all_text(),
        practice.method.all_text(),
    ];
    for (vocabulary, codes) in [
        ("problems", &practice.problems),
        ("methods", &practice.methods),
        ("subjects", &practice.subjects),
    ] {
        for code in codes {
            if let Some(term) = vocab::vocabulary(vocabulary).and_then(|v| v.term(code)) {
                text.push(format!("{}\n{}", term.ru, term.en));
            }
        }
    }
    document.add_text(fields.text, fold(&text.join("\n")));
    document
}

pub(super) fn build_query(
    fields: &Fields,
    words: &[String],
    query: &Query,
    blocked: &[SchoolId],
) -> BooleanQuery {
    let term_query = |field: Field, text: &str| -> Box<dyn TantivyQuery> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::Basic,
        ))
    };
    let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = Vec::new();
    for word in words {
        let scored = |field: Field| -> Box<dyn TantivyQuery> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        let anywhere = BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(scored(fields.title), TITLE_BOOST)),
            ),
            (
                Occur::Should,
                Box::new(BoostQuery::new(scored(fields.keywords), KEYWORDS_BOOST)),
            ),
            (Occur::Should, scored(fields.text)),
        ]);
        clauses.push((Occur::Must, Box::new(anywhere)));
    }
    if words.is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    let filters: [(Field, Option<String>); 7] = [
        (fields.subject, query.subject.clone()),
        (fields.problem, query.problem.clone()),
        (fields.method, query.method.clone()),
        (
            fields.evidence_min,
            query.evidence.map(|level| level.as_str().to_string()),
        ),
        (
            fields.lang,
            query
                .lang
                .as_deref()
                .map(ensemble_core::body::primary_subtag),
        ),
        (fields.author, query.school.map(|school| school.to_string())),
        (fields.region, query.region.clone()),
    ];
    for (field, value) in filters {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            clauses.push((Occur::Must, term_query(field, &value)));
        }
    }
    if let Some(grade) = query.grade {
        clauses.push((
            Occur::Must,
            Box::new(TermQuery::new(
                Term::from_field_u64(fields.grade, u64::from(grade)),
                IndexRecordOption::Basic,
            )),
        ));
    }
    for school in blocked {
        clauses.push((
            Occur::MustNot,
            term_query(fields.author, &school.to_string()),
        ));
    }
    BooleanQuery::new(clauses)
}

pub(super) fn text_field(document: &TantivyDocument, field: Field) -> Option<&str> {
    document.get_first(field).and_then(|value| value.as_str())
}

pub(super) fn hit_of(fields: &Fields, document: &TantivyDocument, score: f32) -> Option<Hit> {
    fn parse<T: std::str::FromStr>(document: &TantivyDocument, field: Field) -> Option<T> {
        text_field(document, field).and_then(|text| text.parse().ok())
    }
    Some(Hit {
        id: parse(document, fields.id)?,
        doc: parse(document, fields.doc)?,
        author: parse(document, fields.author)?,
        title: text_field(document, fields.title_json)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default(),
        subjects: document
            .get_all(fields.subject)
            .filter_map(|value| value.as_str().map(str::to_string))
            .collect(),
        grades: document
            .get_all(fields.grade)
            .filter_map(|value| value.as_u64())
            .filter_map(|grade| u8::try_from(grade).ok())
            .collect(),
        evidence: text_field(document, fields.evidence)
            .and_then(EvidenceLevel::from_code)
            .unwrap_or(EvidenceLevel::E0),
        applied_in: document
            .get_first(fields.applied)
            .and_then(|value| value.as_u64())
            .and_then(|applied| u32::try_from(applied).ok())
            .unwrap_or(0),
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(text: &str) -> Vec<String> {
        let mut analyzer = analyzer();
        let folded = fold(text);
        let mut stream = analyzer.token_stream(&folded);
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        words
    }

    #[test]
    fn russian_word_forms_meet_at_one_stem() {
        let cases = [
            ("смысловое чтение", "Стратегии смыслового чтения"),
            ("чтение", "ЧТЕНИЯ"),
            ("оценивание", "формирующего оценивания"),
            ("reading strategies", "Reading strategy"),
            ("ёлка", "елки"),
        ];
        for (query, title) in cases {
            let title_words = analyze(title);
            for word in analyze(query) {
                assert!(
                    title_words.contains(&word),
                    "{query:?} → {word:?} not in {title:?} → {title_words:?}"
                );
            }
        }
    }

    #[test]
    fn each_stemmer_leaves_the_other_alphabet_alone_and_stop_words_go() {
        assert_eq!(analyze("Reading и чтение the"), vec!["read", "чтен"]);
        assert_eq!(analyze("на уроках"), vec!["урок"]);
        assert!(analyze(&"x".repeat(MAX_TOKEN_BYTES + 1)).is_empty());
    }
}
