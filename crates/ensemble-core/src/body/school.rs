//! `school_profile` — Профиль школы / School profile: a school's public card in the
//! network. Phone numbers and people's names have no place here; `contact_role` names a
//! position.

use serde::Serialize;
use serde_json::Value;

use super::codes::{SchoolRole, Settlement};
use super::lang::LangMap;
use super::read::{
    Checker, Object, TEXT, TITLE, boolean, closed, code, lang_map, language_tag,
    machine_translated, short_text, url,
};

/// A school's public profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolProfile {
    /// Full name (3–160 characters per language).
    pub name: LangMap,
    /// Short name, as the school is usually called (`СОШ № 5`).
    pub short_name: Option<String>,
    /// Region code: `ru-tat`, `by-minsk`.
    pub region: String,
    /// Municipality (district, town).
    pub municipality: Option<String>,
    /// Urban or rural.
    pub settlement: Option<Settlement>,
    /// A small rural school (малокомплектная).
    pub small_school: Option<bool>,
    /// Education levels taught (`levels` vocabulary).
    pub levels: Vec<String>,
    /// Languages of instruction (BCP 47).
    pub languages: Vec<String>,
    /// Parts the school plays in the network; at least one.
    pub roles: Vec<SchoolRole>,
    /// Problem, deficit or method codes the school can help with.
    pub expertise: Vec<String>,
    /// Free description.
    pub description: Option<LangMap>,
    /// The position to contact (`заместитель директора по УВР`), never a person's phone.
    pub contact_role: Option<String>,
    /// The school's website, `https://` or `http://`.
    pub website: Option<String>,
    /// Languages of the maps above that were machine-translated.
    pub machine_translated: Vec<String>,
}

/// Reads a `school_profile` body.
pub(super) fn read(checker: &mut Checker, value: &Value) -> Option<SchoolProfile> {
    let mut object = Object::read(checker, "", value)?;
    let name = object.req(checker, "name", lang_map(TITLE));
    let short_name = object.opt(checker, "short_name", short_text);
    let region = object.req(checker, "region", code);
    let municipality = object.opt(checker, "municipality", short_text);
    let settlement = object.opt(checker, "settlement", closed::<Settlement>);
    let small_school = object.opt(checker, "small_school", boolean);
    let levels = object.list(checker, "levels", code);
    let languages = object.list(checker, "languages", language_tag);
    let roles = object.req_list(checker, "roles", closed::<SchoolRole>);
    let expertise = object.list(checker, "expertise", code);
    let description = object.opt(checker, "description", lang_map(TEXT));
    let contact_role = object.opt(checker, "contact_role", short_text);
    let website = object.opt(checker, "website", url);
    let machine_translated = machine_translated(&mut object, checker);
    object.finish(checker);
    Some(SchoolProfile {
        name: name?,
        short_name,
        region: region?,
        municipality,
        settlement,
        small_school,
        levels,
        languages,
        roles: roles?,
        expertise,
        description,
        contact_role,
        website,
        machine_translated,
    })
}

/// The profile a node publishes from its configuration: its name (keyed by the
/// language it is written in), region and roles, as body bytes, validated exactly as any
/// profile is. `init`, the configuration loader and the profile published at start-up all
/// go through here, so a name `init` accepts is one `run` can publish.
pub fn configured_profile(
    name: &str,
    region: &str,
    roles: &[String],
) -> Result<Vec<u8>, crate::ValidationErrors> {
    let body = serde_json::json!({
        "name": { super::language_of(name): name },
        "region": region,
        "roles": roles,
    })
    .to_string()
    .into_bytes();
    super::validate(crate::Kind::SchoolProfile, &body, super::Mode::Local)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::Kind;
    use crate::body::Body;
    use crate::body::testing::{check, message, with, without};

    fn valid() -> Value {
        json!({
            "name": {
                "ru": "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 5» г. Елабуги",
                "en": "School No. 5, Yelabuga"
            },
            "short_name": "МБОУ «СОШ № 5»",
            "region": "ru-tat",
            "municipality": "Елабужский муниципальный район",
            "settlement": "urban",
            "small_school": false,
            "levels": ["primary", "basic", "secondary"],
            "languages": ["ru", "tt"],
            "roles": ["mentor"],
            "expertise": ["reading-literacy", "formative-assessment", "lesson-study"],
            "description": {
                "ru": "Школа ведёт сетевой проект по смысловому чтению и принимает стажёров из сельских школ района."
            },
            "contact_role": "Заместитель директора по учебно-воспитательной работе",
            "website": "https://school5-elabuga.edu.ru"
        })
    }

    #[test]
    fn a_realistic_profile_passes() {
        let Ok(Body::SchoolProfile(profile)) = check(Kind::SchoolProfile, &valid(), &[]).0 else {
            panic!("refused");
        };
        assert_eq!(profile.roles, vec![SchoolRole::Mentor]);
        assert_eq!(profile.settlement, Some(Settlement::Urban));
        let body = Body::SchoolProfile(profile);
        assert_eq!(
            body.title()
                .and_then(|name| name.get("en").map(str::to_string))
                .as_deref(),
            Some("School No. 5, Yelabuga")
        );
        assert!(body.references().is_empty());
    }

    #[test]
    fn a_small_rural_supported_school_with_the_minimum_passes() {
        let body = json!({
            "name": {"ru": "МБОУ «Верхнеуслонская ООШ»"},
            "region": "ru-tat",
            "settlement": "rural",
            "small_school": true,
            "roles": ["supported"]
        });
        check(Kind::SchoolProfile, &body, &[]);
    }

    #[test]
    fn faults() {
        let base = valid();
        let cases: Vec<(Value, &[&str])> = vec![
            (without(&base, "/name"), &["name"]),
            (without(&base, "/region"), &["region"]),
            (without(&base, "/roles"), &["roles"]),
            (with(&base, "/roles", json!([])), &["roles"]),
            (with(&base, "/roles", json!(["curator"])), &["roles[0]"]),
            (with(&base, "/roles", json!("mentor")), &["roles"]),
            (with(&base, "/region", json!("RU-TAT")), &["region"]),
            (with(&base, "/region", json!("ru tat")), &["region"]),
            (with(&base, "/settlement", json!("town")), &["settlement"]),
            (
                with(&base, "/small_school", json!("yes")),
                &["small_school"],
            ),
            (
                with(&base, "/levels", json!(["primary", "Начальное"])),
                &["levels[1]"],
            ),
            (
                with(&base, "/languages", json!(["ru", "Russian"])),
                &["languages[1]"],
            ),
            (with(&base, "/name", json!({"ru": "Ш"})), &["name.ru"]),
            (with(&base, "/name", json!("Школа № 5")), &["name"]),
            (
                with(&base, "/website", json!("javascript:alert(1)")),
                &["website"],
            ),
            (
                with(&base, "/website", json!("ftp://school5.ru")),
                &["website"],
            ),
            (with(&base, "/website", json!("https://")), &["website"]),
            (with(&base, "/contact_role", json!("")), &["contact_role"]),
            (
                with(&base, "/contact_role", json!("д".repeat(301))),
                &["contact_role"],
            ),
        ];
        for (body, expected) in cases {
            check(Kind::SchoolProfile, &body, expected);
        }
        let result = check(
            Kind::SchoolProfile,
            &with(&base, "/settlement", json!("town")),
            &["settlement"],
        );
        assert_eq!(
            message(&result, "settlement"),
            r#"unknown value "town", expected one of urban, rural"#
        );
        let result = check(
            Kind::SchoolProfile,
            &with(&base, "/website", json!("javascript:alert(1)")),
            &["website"],
        );
        assert_eq!(
            message(&result, "website"),
            "must start with https:// or http://"
        );
    }

    #[test]
    fn a_configured_profile_is_refused_for_the_same_reasons_as_any_profile() {
        let roles = vec!["mentor".to_string()];
        assert!(configured_profile("Гимназия №5", "ru-tat", &roles).is_ok());
        let cases: [(&str, &str, Vec<String>, &[&str]); 3] = [
            ("A", "ru-tat", roles.clone(), &["name.en"]),
            ("Лицей №1", "RU TAT", roles.clone(), &["region"]),
            ("Лицей №1", "ru-tat", vec!["curator".into()], &["roles[0]"]),
        ];
        for (name, region, roles, fields) in cases {
            let errors = configured_profile(name, region, &roles).expect_err(name);
            assert_eq!(errors.fields(), fields, "{name} {region} {roles:?}");
        }
    }
}
