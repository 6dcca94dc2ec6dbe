//! The machinery both record editors share: a form described once as a list of
//! [`Field`]s, rendered, posted, turned into a JSON body, and published as a new
//! document or a new version of one.
//!
//! What it owns: [`Editor`] (what differs between the practice and the request form),
//! the GET and POST flow of a form ([`new_form`], [`edit_form`], [`write`]), and the
//! rendering of inputs and faults. What it does not: the fields of either form, their
//! routes or their bodies (`practice_form`, `request_form`), or the status policy
//! (`form::node_faults`).
//!
//! An update starts from the latest version's JSON and overwrites only what the form
//! shows, so fields the form does not edit (other translations, hashed materials,
//! further measures, links to other records) survive a new version.

use axum::http::StatusCode;
use axum::response::Response;
use ensemble_core::{Kind, RecordId};
use maud::{Markup, html};
use serde_json::{Map, Value};

use super::form::{
    Faults, FieldMap, WHOLE_NUMBER, into_object, node_faults, parse_grades, push_grades, set_list,
    set_translations,
};
use super::i18n::{self, Lang, Text};
use super::layout::{csrf_field, field_errors, grade_select, page, vocab_select};
use super::message::not_found;
use super::post::SignedInPost;
use super::session::{Ctx, see_other};
use crate::state::AppState;
use crate::urlencoded::{self, FormData};

/// Evidence levels an author may claim. E4 ("replicated in other schools") is never
/// claimed: core derives it from other schools' signed replication reports.
pub(crate) const CLAIMABLE_LEVELS: &[&str] = &["E0", "E1", "E2", "E3", "E5"];

/// What kind of input a field is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input {
    /// One line of text.
    Line,
    /// Several lines.
    Area,
    /// A date.
    Date,
    /// Several codes of a vocabulary.
    Codes(&'static str),
    /// One code of a vocabulary.
    Code(&'static str),
    /// Several grades.
    Grades,
    /// Several languages.
    Languages,
    /// One claimable evidence level.
    Level,
}

/// One form field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    name: &'static str,
    label: Text,
    hint: Option<Text>,
    input: Input,
}

/// A field with a label and no hint; `const` so the forms are static tables.
pub(crate) const fn field(name: &'static str, label: Text, input: Input) -> Field {
    Field {
        name,
        label,
        hint: None,
        input,
    }
}

/// A field with a hint under its label (how to type a list: one per line, commas).
pub(crate) const fn hinted(name: &'static str, label: Text, hint: Text, input: Input) -> Field {
    Field {
        name,
        label,
        hint: Some(hint),
        input,
    }
}

/// What differs between the practice form and the mentoring-request form; the routes
/// of both are served by the same handlers ([`new_form`], [`edit_form`], [`write`]).
pub(crate) struct Editor {
    /// The kind of record a new form publishes.
    pub(crate) kind: Kind,
    /// The form's routes: `{routes}/new` and `{routes}/{doc}/edit`.
    pub(crate) routes: &'static str,
    /// Where a written record is shown: this followed by its doc id.
    pub(crate) shown_at: &'static str,
    /// The `id` of the `<form>` element.
    pub(crate) form_id: &'static str,
    /// The heading of a new form.
    pub(crate) new_title: Text,
    /// The heading of an edit form.
    pub(crate) edit_title: Text,
    /// Values a new form starts with.
    pub(crate) defaults: &'static [(&'static str, &'static str)],
    /// Where the body's validation faults are shown.
    pub(crate) fields: FieldMap,
    /// This school's document named in the path, with its latest version's JSON body.
    pub(crate) own: fn(&AppState, &str) -> Option<(RecordId, Value)>,
    /// The form's inputs, between the general errors and the submit button.
    pub(crate) inputs: fn(Lang, &FormData, &[(String, String)]) -> Markup,
    /// The JSON body from the form, merged into the latest version when updating;
    /// faults found before validation.
    pub(crate) body: fn(Option<Value>, &FormData) -> (Value, Faults),
    /// The form values of a body, for editing.
    pub(crate) values: fn(Lang, &Value) -> FormData,
}

/// A new form with the editor's defaults; signed-in users only.
pub(crate) fn new_form(editor: &Editor, ctx: &Ctx) -> Response {
    if !ctx.signed_in {
        return sign_in_first(ctx);
    }
    let mut values = FormData::default();
    for (name, value) in editor.defaults {
        values.push(name, value);
    }
    editor.page(ctx, None, &values, StatusCode::OK, &[])
}

/// The edit form of this school's document `doc`, prefilled from its latest version.
pub(crate) fn edit_form(editor: &Editor, state: &AppState, ctx: &Ctx, doc: &str) -> Response {
    if !ctx.signed_in {
        return sign_in_first(ctx);
    }
    let Some((doc, base)) = (editor.own)(state, doc) else {
        return not_found(ctx);
    };
    editor.page(
        ctx,
        Some(doc),
        &(editor.values)(ctx.lang, &base),
        StatusCode::OK,
        &[],
    )
}

/// A checked post of the form: builds the body (merged into the latest version of `doc`
/// when updating), publishes it — a new document, or a new version of `doc` — and
/// shows the record; or the form again with its faults.
pub(crate) async fn write(
    editor: &Editor,
    state: &AppState,
    doc: Option<&str>,
    SignedInPost { ctx, form }: SignedInPost,
) -> Response {
    let ctx = &ctx;
    let (doc, base) = match doc {
        None => (None, None),
        Some(doc) => match (editor.own)(state, doc) {
            Some((doc, base)) => (Some(doc), Some(base)),
            None => return not_found(ctx),
        },
    };
    let (json_body, faults) = (editor.body)(base, &form);
    // Input that cannot even become JSON (a count that is not a number) is a 400 on
    // the form, like a body the validator refuses; the node is not asked.
    if !faults.is_empty() {
        return editor.page(ctx, doc, &form, StatusCode::BAD_REQUEST, &faults);
    }
    // The node validates the body once (the same check as the JSON API) and signs,
    // stores and publishes it; this handler only maps the verdict back to the form.
    let bytes = json_body.to_string().into_bytes();
    let written = match doc {
        None => state
            .node
            .publish(editor.kind, bytes)
            .await
            .map(|record| record.doc()),
        Some(doc) => state.node.update(doc, bytes).await.map(|_| doc),
    };
    match written {
        Ok(written) => see_other(&format!("{}{written}", editor.shown_at)),
        Err(error) => match node_faults(ctx, &error, editor.fields) {
            Ok((status, faults)) => editor.page(ctx, doc, &form, status, &faults),
            Err(server_fault) => *server_fault,
        },
    }
}

impl Editor {
    /// The form page, with `status`: 200 for a fresh form, else the status of the
    /// faults it shows (400 for input, 422 for a rule…), decided by the caller.
    fn page(
        &self,
        ctx: &Ctx,
        doc: Option<RecordId>,
        values: &FormData,
        status: StatusCode,
        faults: &[(String, String)],
    ) -> Response {
        let lang = ctx.lang;
        let (title, action) = match doc {
            None => (lang.t(self.new_title), format!("{}/new", self.routes)),
            Some(doc) => (
                lang.t(self.edit_title),
                format!("{}/{doc}/edit", self.routes),
            ),
        };
        let body = html! {
            h1 { (title) }
            form.publish method="post" action=(action) id=(self.form_id) {
                (csrf_field(ctx))
                (general_errors(lang, faults))
                ((self.inputs)(lang, values, faults))
                button type="submit" { (lang.word("publish")) }
            }
        };
        page(ctx, status, title, body)
    }
}

/// The start of both bodies: `base` (or an empty object) with the texts typed in two
/// languages, the lists of codes and the grades set from the form.
pub(crate) fn common_body(
    base: Option<Value>,
    form: &FormData,
    translated: &[&str],
    codes: &[&str],
    faults: &mut Vec<(String, String)>,
) -> Map<String, Value> {
    let mut body = into_object(base);
    for key in translated {
        set_translations(
            &mut body,
            key,
            form,
            &format!("{key}_ru"),
            &format!("{key}_en"),
        );
    }
    for key in codes {
        set_list(
            &mut body,
            key,
            form.all(key).into_iter().map(Value::from).collect(),
        );
    }
    let grades = parse_grades(form, "grades", WHOLE_NUMBER, faults);
    set_list(
        &mut body,
        "grades",
        grades.into_iter().map(Value::from).collect(),
    );
    body
}

/// The start of both forms' values: the inverse of [`common_body`].
pub(crate) fn common_values(body: &Value, translated: &[&str], codes: &[&str]) -> FormData {
    let mut values = FormData::default();
    for key in translated {
        for language in ["ru", "en"] {
            if let Some(text) = body[key][language].as_str() {
                values.push(&format!("{key}_{language}"), text);
            }
        }
    }
    for key in codes {
        for code in body[key].as_array().into_iter().flatten() {
            if let Some(code) = code.as_str() {
                values.push(key, code);
            }
        }
    }
    push_grades(&mut values, body);
    values
}

/// Renders `fields` in order.
pub(crate) fn render_fields(
    lang: Lang,
    fields: &[(Field, Option<Text>)],
    values: &FormData,
    faults: &[(String, String)],
) -> Markup {
    html! {
        @for (spec, qualifier) in fields {
            (render_field(lang, spec, *qualifier, values, faults))
        }
    }
}

/// A signed-out reader asking for a form goes to sign in and then comes back to it,
/// rather than typing a whole practice only to be refused on posting.
pub(crate) fn sign_in_first(ctx: &Ctx) -> Response {
    see_other(&format!("/signin?next={}", urlencoded::encode(&ctx.here)))
}

/// The faults above the form: a summary ("fix the fields marked") whenever there is
/// any fault, and the faults that belong to no input (field `""`) in full.
pub(crate) fn general_errors(lang: Lang, faults: &[(String, String)]) -> Markup {
    html! {
        @if !faults.is_empty() {
            div.errors role="alert" {
                p { (lang.t(i18n::FIX_ERRORS)) }
                @for (name, message) in faults {
                    @if name.is_empty() { p.error { (message) } }
                }
            }
        }
    }
}

/// One input with its label, hint and faults. Every value is the one typed (or
/// loaded), never a default, so a refused form comes back exactly as it was sent.
pub(crate) fn render_field(
    lang: Lang,
    spec: &Field,
    qualifier: Option<Text>,
    values: &FormData,
    faults: &[(String, String)],
) -> Markup {
    let name = spec.name;
    let selected = values.all(name);
    html! {
        div.field {
            label for=(name) {
                (lang.t(spec.label))
                @if let Some(qualifier) = qualifier { " (" (lang.t(qualifier)) ")" }
            }
            @if let Some(hint) = spec.hint { span.hint { (lang.t(hint)) } }
            @match spec.input {
                Input::Line => input type="text" name=(name) id=(name) value=(values.raw(name));,
                Input::Area => textarea name=(name) id=(name) rows="3" { (values.raw(name)) },
                Input::Date => input type="date" name=(name) id=(name) value=(values.raw(name));,
                Input::Codes(vocabulary) => {
                    (vocab_select(lang, name, vocabulary, &selected, true, false))
                    span.hint { " " (lang.t(i18n::HOLD_CTRL)) }
                },
                Input::Code(vocabulary) => (vocab_select(lang, name, vocabulary, &selected, false, false)),
                Input::Grades => {
                    (grade_select(lang, name, &selected.iter().filter_map(|grade| grade.parse().ok()).collect::<Vec<u8>>(), true))
                },
                Input::Languages => {
                    select name=(name) id=(name) multiple size="4" {
                        @for (code, label) in i18n::CONTENT_LANGUAGES {
                            option value=(code) selected[selected.contains(code)] { (label) }
                        }
                        @for code in &selected {
                            @if !i18n::CONTENT_LANGUAGES.iter().any(|(known, _)| known == code) {
                                option value=(code) selected { (code) }
                            }
                        }
                    }
                },
                Input::Level => {
                    select name=(name) id=(name) {
                        option value="" { (lang.t(i18n::NO_EVIDENCE)) }
                        @for level in CLAIMABLE_LEVELS {
                            option value=(level) selected[selected.contains(level)] {
                                (level) " · " (lang.label("evidence_levels", level))
                            }
                        }
                    }
                },
            }
            (field_errors(faults, name))
        }
    }
}
