//! A JSON body being completed before signing.

use ensemble_core::{Kind, RecordId};
use serde_json::{Map, Value};

use ensemble_core::body::language_of;

use crate::node::NodeError;

/// A JSON body being completed before signing: fields the caller names on the command
/// line or in the URL are set here.
pub(super) struct Draft(Map<String, Value>);

impl Draft {
    /// An empty body.
    pub(super) fn empty() -> Draft {
        Draft(Map::new())
    }

    /// The body a caller sent for a record of `kind`: a JSON object.
    pub(super) fn parse(kind: Kind, bytes: &[u8]) -> Result<Draft, NodeError> {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Draft(map)),
            Ok(_) => Err(NodeError::BadRequest(format!(
                "a {kind} body must be a JSON object"
            ))),
            Err(error) => Err(NodeError::BadRequest(format!(
                "a {kind} body is not valid JSON: {error}"
            ))),
        }
    }

    /// A record id the body names in `field`, when it parses.
    pub(super) fn reference(&self, field: &str) -> Option<RecordId> {
        self.0.get(field)?.as_str()?.parse().ok()
    }

    /// Sets `field` to the record id `id`.
    pub(super) fn set_id(&mut self, field: &str, id: RecordId) {
        self.0
            .insert(field.to_string(), Value::String(id.to_string()));
    }

    /// Sets `field` to `value` when the body leaves it out (or null).
    pub(super) fn default_value(&mut self, field: &str, value: Result<Value, serde_json::Error>) {
        let absent = self.0.get(field).is_none_or(Value::is_null);
        if absent && let Ok(value) = value {
            self.0.insert(field.to_string(), value);
        }
    }

    /// Turns a plain string in `field` into a language map in its language.
    pub(super) fn text_to_map(&mut self, field: &str) {
        if let Some(Value::String(text)) = self.0.get(field) {
            let map = serde_json::json!({ language_of(text): text });
            self.0.insert(field.to_string(), map);
        }
    }

    /// The completed body, to sign.
    pub(super) fn into_bytes(self) -> Result<Vec<u8>, NodeError> {
        serde_json::to_vec(&Value::Object(self.0))
            .map_err(|error| NodeError::BadRequest(format!("body: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ensemble_core::body::default_autonomy;

    #[test]
    fn drafts_take_ids_defaults_and_plain_text() {
        let Ok(mut draft) = Draft::parse(
            Kind::MentoringClosure,
            r#"{"outcome": "completed", "summary": "Все цели достигнуты", "autonomy": null}"#
                .as_bytes(),
        ) else {
            panic!("parse");
        };
        draft.set_id("agreement", RecordId([7; 32]));
        draft.text_to_map("summary");
        draft.default_value("autonomy", serde_json::to_value(default_autonomy()));
        draft.default_value("outcome", Ok(Value::from("terminated")));
        let Ok(bytes) = draft.into_bytes() else {
            panic!("bytes");
        };
        let value: Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(value["agreement"], RecordId([7; 32]).to_string());
        assert_eq!(value["summary"]["ru"], "Все цели достигнуты");
        assert_eq!(value["outcome"], "completed", "a given value is kept");
        assert_eq!(
            value["autonomy"]["en"].as_str(),
            default_autonomy().get("en")
        );
        assert!(matches!(
            Draft::parse(Kind::ProgressReport, b"[1]"),
            Err(NodeError::BadRequest(_))
        ));
        assert!(matches!(
            Draft::parse(Kind::ProgressReport, b"{"),
            Err(NodeError::BadRequest(_))
        ));
    }
}
