//! Shared helpers of the write forms: from what was typed to a JSON record body, and
//! from the node's verdict back to the form.
//!
//! What it owns: the mapping of a body's JSON paths to form inputs ([`FieldMap`]), the
//! translation of common validation messages, the decision of what a failed write
//! shows ([`node_faults`]: faults on the form, or the server-fault page), and the small
//! builders every form uses (language maps, lists, periods, whole numbers, measured
//! values). What it does not: any form's layout or fields (`editor`, `practice_form`,
//! `request_form`, `feedback`), or validation (the node validates every body; the
//! checks here only catch what cannot even be put into JSON, like "many" as a count).

use axum::http::StatusCode;
use axum::response::Response;
use ensemble_core::body::language_of;
use ensemble_node::NodeError;
use serde_json::{Map, Value, json};

use super::i18n::Lang;
use super::message;
use super::session::Ctx;
use crate::error::{Fault, fault_of};
use crate::urlencoded::FormData;

/// JSON path prefix of a body → the form field its faults are shown beside. The
/// longest matching prefix wins; faults matching none are shown above the form.
pub(crate) type FieldMap = &'static [(&'static str, &'static str)];

/// Faults of a form: (form field, message); field `""` is shown above the form.
pub(crate) type Faults = Vec<(String, String)>;

/// The fault of an input that must hold a whole number (a grade, a group size). The
/// practice and request forms show it as is; the replication form shows it translated
/// ([`not_a_number`]).
pub(crate) const WHOLE_NUMBER: &str = "must be a whole number";

/// What a form shows when the node refused a write, by the crate's one status policy
/// ([`fault_of`]): the caller's faults (validation 400, a rule 422, a size 413…) go back
/// on the form with that status, each beside its input where the JSON path maps to
/// one; a node failure (store, network, data directory) is not something the teacher
/// can fix by retyping, so it becomes the logged server-fault page instead (boxed:
/// it is the rare path).
pub(crate) fn node_faults(
    ctx: &Ctx,
    error: &NodeError,
    map: FieldMap,
) -> Result<(StatusCode, Faults), Box<Response>> {
    match fault_of(error) {
        Fault::Caller(status) => Ok((status, map_errors(ctx.lang, error, map))),
        Fault::Server(status) => Err(Box::new(message::server_fault(ctx, status, error))),
    }
}

/// Faults of a failed write, by form field: validation faults beside their fields,
/// anything else (a protocol rule, a size limit) above the form (field `""`).
pub(crate) fn map_errors(lang: Lang, error: &NodeError, map: FieldMap) -> Vec<(String, String)> {
    match error {
        NodeError::Invalid { errors, .. } => errors
            .errors
            .iter()
            .map(|fault| {
                let field = form_field(&fault.field, map);
                let message = super::faults::fault_text(lang, fault);
                if field.is_empty() && !fault.field.is_empty() {
                    (String::new(), format!("{}: {message}", fault.field))
                } else {
                    (field.to_string(), message)
                }
            })
            .collect(),
        other => vec![(String::new(), other.to_string())],
    }
}

/// The form field for a JSON path: the longest prefix in `map` that ends at a path
/// boundary.
pub(crate) fn form_field(path: &str, map: FieldMap) -> &'static str {
    map.iter()
        .filter(|(prefix, _)| {
            path == *prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or("", |(_, field)| field)
}

/// The period `{from, to}` typed in the inputs `period_from` and `period_to`; `None`
/// when both were left empty.
pub(crate) fn period_of(form: &FormData) -> Option<Value> {
    let (from, to) = (form.get("period_from"), form.get("period_to"));
    if from.is_none() && to.is_none() {
        return None;
    }
    let mut period = Map::new();
    if let Some(from) = from {
        period.insert("from".into(), json!(from));
    }
    if let Some(to) = to {
        period.insert("to".into(), json!(to));
    }
    Some(Value::Object(period))
}

/// A measured value as typed: a JSON number when it reads as one, else the text.
pub(crate) fn quantity_value(text: &str) -> Value {
    text.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
        .and_then(|_| serde_json::from_str::<serde_json::Number>(&text.replace(',', ".")).ok())
        .map_or_else(|| json!(text), Value::Number)
}

pub(crate) fn not_a_number(lang: Lang) -> String {
    match lang {
        Lang::Ru => "должно быть целым числом".into(),
        Lang::En => "must be a whole number".into(),
    }
}

/// `value` when it is a JSON object, else an empty one.
pub(crate) fn into_object(value: Option<Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Removes the object `key` from `body` to be edited (empty when absent).
pub(crate) fn take_object(body: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    into_object(body.remove(key))
}

/// Sets `key` to the string `value`, or removes it when the input was left empty.
pub(crate) fn set_or_remove(body: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    match value {
        Some(value) => {
            body.insert(key.into(), json!(value));
        }
        None => {
            body.remove(key);
        }
    }
}

/// Sets `key` to the map `{ru, en}` from two inputs, keeping the map's other languages;
/// removes it when no text is left.
pub(crate) fn set_translations(
    body: &mut Map<String, Value>,
    key: &str,
    form: &FormData,
    ru: &str,
    en: &str,
) {
    let mut map = take_object(body, key);
    for (language, field) in [("ru", ru), ("en", en)] {
        set_or_remove(&mut map, language, form.get(field));
    }
    if !map.is_empty() {
        body.insert(key.into(), Value::Object(map));
    }
}

/// Sets the map `key` from one input, in the language the text is written in.
pub(crate) fn set_detected(body: &mut Map<String, Value>, key: &str, text: Option<&str>) {
    match text {
        Some(text) => {
            let mut map = take_object(body, key);
            map.insert(language_of(text).into(), json!(text));
            body.insert(key.into(), Value::Object(map));
        }
        None => {
            body.remove(key);
        }
    }
}

/// Sets `key` to the list, or removes it when empty: an optional list is absent rather than
/// `[]`, as in a body written by hand.
pub(crate) fn set_list(body: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if items.is_empty() {
        body.remove(key);
    } else {
        body.insert(key.into(), Value::Array(items));
    }
}

/// Every value of the multi-select `name` as a grade; each one that is not a whole
/// number becomes a fault on `name` saying `fault`, so the teacher sees which input to
/// correct rather than a validator's message about a JSON path.
pub(crate) fn parse_grades(
    form: &FormData,
    name: &str,
    fault: &str,
    faults: &mut Faults,
) -> Vec<u8> {
    let mut grades = Vec::new();
    for grade in form.all(name) {
        match grade.parse::<u8>() {
            Ok(grade) => grades.push(grade),
            Err(_) => faults.push((name.to_string(), fault.to_string())),
        }
    }
    grades
}

/// The whole number typed in `name`: `None` when the input was left empty, or when it
/// is not a whole number, which becomes a fault on `name` saying `fault`.
pub(crate) fn whole_number(
    form: &FormData,
    name: &str,
    fault: &str,
    faults: &mut Faults,
) -> Option<u64> {
    let text = form.get(name)?;
    match text.parse::<u64>() {
        Ok(number) => Some(number),
        Err(_) => {
            faults.push((name.to_string(), fault.to_string()));
            None
        }
    }
}

pub(crate) fn push_grades(values: &mut FormData, body: &Value) {
    for grade in body["grades"].as_array().into_iter().flatten() {
        if let Some(grade) = grade.as_u64() {
            values.push("grades", &grade.to_string());
        }
    }
}

/// The non-blank lines of a textarea, trimmed: a teacher's stray empty line or trailing
/// space does not become an empty item.
pub(crate) fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
}

/// The text of a language map to prefill one input with: the reader's language, else
/// `LangMap::best`'s fallback; "" when `map` is not a language map.
pub(crate) fn best_text(lang: Lang, map: &Value) -> String {
    serde_json::from_value::<ensemble_core::body::LangMap>(map.clone())
        .ok()
        .and_then(|map| map.best(lang.code()).map(str::to_string))
        .unwrap_or_default()
}

pub(crate) fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

/// A form filled with `pairs`, as a browser would post it.
#[cfg(test)]
pub(crate) fn filled(pairs: &[(&str, &str)]) -> FormData {
    let mut form = FormData::default();
    for (name, value) in pairs {
        form.push(name, value);
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::practice_form::PRACTICE_FIELDS;
    use crate::web::request_form::REQUEST_FIELDS;

    #[test]
    fn json_paths_find_their_form_fields() {
        let cases = [
            ("title.ru", "title_ru"),
            ("title", "title_ru"),
            ("evidence.measures[0].n", "measure_n"),
            ("evidence.measures[3].n", "measure_name"),
            ("evidence.measures", "measure_name"),
            ("steps[2].ru", "steps_ru"),
            ("subjects[1]", "subjects"),
            ("titles", ""),
            ("community", ""),
        ];
        for (path, expected) in cases {
            assert_eq!(form_field(path, PRACTICE_FIELDS), expected, "{path}");
        }
        assert_eq!(
            form_field("goals[1].deadline", REQUEST_FIELDS),
            "goal2_deadline"
        );
        assert_eq!(form_field("goals[1].text.ru", REQUEST_FIELDS), "goal2_text");
        assert_eq!(form_field("period", REQUEST_FIELDS), "period_from");
    }
}
