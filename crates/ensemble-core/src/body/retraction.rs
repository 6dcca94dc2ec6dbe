//! `retraction` — Отзыв записи / Withdrawal of one of the author's own documents. That
//! only the author may retract is checked where documents are known, not here.

use serde::Serialize;
use serde_json::Value;

use super::lang::LangMap;
use super::person::{Person, read_person};
use super::read::{Checker, Object, TEXT, lang_map, machine_translated, record_id};
use crate::RecordId;

/// The withdrawal of a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retraction {
    /// The doc id of the document withdrawn.
    pub doc: RecordId,
    /// Why.
    pub reason: Option<LangMap>,
    /// The person who wrote it through the school's node; absent = the school itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<Person>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// Reads a `retraction` body.
pub(super) fn read(checker: &mut Checker, value: &Value) -> Option<Retraction> {
    let mut object = Object::read(checker, "", value)?;
    let doc = object.req(checker, "doc", record_id);
    let reason = object.opt(checker, "reason", lang_map(TEXT));
    let by = object.opt(checker, "by", read_person);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(Retraction {
        doc: doc?,
        reason,
        by,
        machine_translated,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Kind;
    use crate::body::testing::{check, id};

    #[test]
    fn a_realistic_retraction_passes() {
        let body = json!({
            "doc": id(40),
            "reason": {"ru": "Практика опубликована повторно, актуальная версия — в новой записи."}
        });
        let Ok(body) = check(Kind::Retraction, &body, &[]).0 else {
            panic!("refused");
        };
        assert_eq!(
            body.references()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![id(40)]
        );
        check(Kind::Retraction, &json!({"doc": id(41)}), &[]);
    }

    #[test]
    fn faults() {
        check(Kind::Retraction, &json!({"doc": "b12"}), &["doc"]);
        check(
            Kind::Retraction,
            &json!({"doc": id(40), "reason": "строка"}),
            &["reason"],
        );
        check(
            Kind::Retraction,
            &json!({"reason": {"ru": "Дубликат"}}),
            &["doc"],
        );
    }
}
