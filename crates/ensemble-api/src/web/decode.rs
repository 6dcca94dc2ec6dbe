//! The pure half of each web form handler, callable without a server: posted
//! `application/x-www-form-urlencoded` bytes → the typed form → the record body the
//! handler would publish (or the search query) → the same body validation the node runs,
//! with every fault placed at a form field.
//!
//! It exists so that tests and the fuzzer (`tests/fuzz/`) exercise exactly the code the
//! handlers run. It does not check what needs a node: CSRF and sign-in, whether the
//! target practice exists, the mentoring rules (`check_local`).

use ensemble_core::body::{self, Mode};
use ensemble_core::{Kind, RecordId};
use ensemble_node::NodeError;

use crate::search::SearchParams;

use super::card::question_body;
use super::catalog::search_params;
use super::editor::Editor;
use super::feedback::{QUESTION_FIELDS, REPLICATION_FIELDS, replication_body};
use super::form::{FieldMap, map_errors};
use super::i18n::Lang;
use super::practice_form::PRACTICE;
use super::request_form::REQUEST;
use crate::urlencoded::FormData;

/// The id feedback forms name as their target: the handlers use the practice's latest
/// version id, which only has to be a well-formed id for validation.
const FORM_TARGET: RecordId = RecordId([0x5a; 32]);

/// The parameters the search form's faults may name.
const SEARCH_FIELDS: &[&str] = &["grade", "evidence", "school", "limit", "cursor"];

/// A form of the web interface that decodes posted or queried bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebForm {
    /// `POST /practices/new`: a new practice.
    Practice,
    /// `POST /mentoring/requests/new`: a new mentoring request.
    Request,
    /// `POST /practices/{doc}/feedback`: a question or comment.
    Question,
    /// `POST /practices/{doc}/replication`: "I applied this practice".
    Replication,
    /// `GET /?q=…`: the catalog's search form.
    Search,
}

impl WebForm {
    /// Every form.
    pub const ALL: [WebForm; 5] = [
        WebForm::Practice,
        WebForm::Request,
        WebForm::Question,
        WebForm::Replication,
        WebForm::Search,
    ];
}

/// What a handler made of a form.
#[derive(Debug, Clone)]
pub struct DecodedForm {
    /// The record kind a write form publishes; `None` for the search form.
    pub kind: Option<Kind>,
    /// The JSON body the handler would publish (whether or not it validates); `None`
    /// for the search form.
    pub body: Option<Vec<u8>>,
    /// Faults as the page shows them: (form field, message); field `""` is shown above
    /// the form.
    pub faults: Vec<(String, String)>,
    /// Every field name a fault may be placed beside.
    pub fields: Vec<&'static str>,
    /// The form's inputs rendered with the posted values and faults (write forms with
    /// an editor page only; empty otherwise).
    pub html: String,
    /// The search form's parameters as the catalog reads them; `None` for write forms.
    pub search: Option<SearchParams>,
}

/// Decodes `posted` as `form` does, in Russian (`english == false`) or English, and
/// validates the result like the node would before signing it.
pub fn decode(form: WebForm, posted: &[u8], english: bool) -> DecodedForm {
    let lang = if english { Lang::En } else { Lang::Ru };
    let data = FormData::parse(posted);
    match form {
        WebForm::Practice => editor_form(&PRACTICE, lang, &data),
        WebForm::Request => editor_form(&REQUEST, lang, &data),
        WebForm::Question => {
            let body = question_body(&FORM_TARGET, &data);
            feedback_form(lang, body, Vec::new(), QUESTION_FIELDS)
        }
        WebForm::Replication => {
            let (body, faults) = replication_body(lang, &FORM_TARGET, &data);
            feedback_form(lang, body, faults, REPLICATION_FIELDS)
        }
        WebForm::Search => {
            let params = search_params(&data);
            DecodedForm {
                kind: None,
                body: None,
                faults: params.to_query().err().unwrap_or_default(),
                fields: SEARCH_FIELDS.to_vec(),
                html: String::new(),
                search: Some(params),
            }
        }
    }
}

fn editor_form(editor: &Editor, lang: Lang, data: &FormData) -> DecodedForm {
    let (json, mut faults) = (editor.body)(None, data);
    let bytes = json.to_string().into_bytes();
    // The handler publishes only when the form itself found nothing; so does this.
    if faults.is_empty() {
        faults = validation_faults(lang, editor.kind, &bytes, editor.fields);
    }
    let html = (editor.inputs)(lang, data, &faults).into_string();
    DecodedForm {
        kind: Some(editor.kind),
        body: Some(bytes),
        faults,
        fields: field_names(editor.fields),
        html,
        search: None,
    }
}

fn feedback_form(
    lang: Lang,
    json: serde_json::Value,
    mut faults: Vec<(String, String)>,
    map: FieldMap,
) -> DecodedForm {
    let bytes = json.to_string().into_bytes();
    if faults.is_empty() {
        faults = validation_faults(lang, Kind::Feedback, &bytes, map);
    }
    DecodedForm {
        kind: Some(Kind::Feedback),
        body: Some(bytes),
        faults,
        fields: field_names(map),
        html: String::new(),
        search: None,
    }
}

/// The node's validation of a local body, mapped to form fields as the page shows it.
fn validation_faults(lang: Lang, kind: Kind, bytes: &[u8], map: FieldMap) -> Vec<(String, String)> {
    match body::validate(kind, bytes, Mode::Local) {
        Ok(_) => Vec::new(),
        Err(errors) => map_errors(lang, &NodeError::Invalid { kind, errors }, map),
    }
}

fn field_names(map: FieldMap) -> Vec<&'static str> {
    map.iter().map(|(_, field)| *field).collect()
}
