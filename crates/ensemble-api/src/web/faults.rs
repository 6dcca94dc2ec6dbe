//! Validation faults in the reader's language. Core says what is wrong with a field as a
//! typed [`Fault`] with a stable code and the numbers involved; this module words it in
//! Russian, so the interface never depends on matching English sentences. English is
//! core's own sentence.

use ensemble_core::FieldError;
use ensemble_core::validation::{Expected, Fault, Shape};

use super::i18n::Lang;

/// The fault beside a form field, in `lang`.
pub(crate) fn fault_text(lang: Lang, error: &FieldError) -> String {
    match lang {
        Lang::En => error.message.clone(),
        Lang::Ru => russian(&error.fault),
    }
}

fn russian(fault: &Fault) -> String {
    match fault {
        Fault::Required => "обязательное поле".into(),
        Fault::UnknownField => "неизвестное поле".into(),
        Fault::WrongType(expected) => match expected {
            Expected::Object => "должно быть объектом",
            Expected::String => "должно быть строкой",
            Expected::List => "должно быть списком",
            Expected::Boolean => "должно быть «да» или «нет»",
            Expected::WholeNumber => "должно быть целым числом",
            Expected::NumberOrString => "должно быть числом или текстом",
            Expected::LanguageMap => "нужен текст по языкам, например {\"ru\": \"…\"}",
        }
        .into(),
        Fault::Empty => "не может быть пустым".into(),
        Fault::NoText => "нужен текст хотя бы на одном языке".into(),
        Fault::TooFew { min } => format!("нужно не меньше {min} {}", items(*min)),
        Fault::TooMany { max } => format!("не больше {max} {}", items(*max)),
        Fault::Length { min: 0, max } => format!("не длиннее {max} {}", characters(*max)),
        Fault::Length { min, max } => format!("от {min} до {max} {}", characters(*max)),
        Fault::Range { min: Some(min), .. } => format!("не меньше {min}"),
        Fault::Range { max: Some(max), .. } => format!("не больше {max}"),
        Fault::Range { .. } => "вне допустимых пределов".into(),
        Fault::Format(shape) => match shape {
            Shape::Code => "код из строчных латинских букв, цифр и дефисов",
            Shape::LanguageTag => "код языка, например ru или en-GB",
            Shape::Link => "должна начинаться с https:// или http://",
            Shape::WebAddress => "не похоже на адрес сайта",
            Shape::Licence => "код лицензии, например CC-BY-4.0 или all-rights-reserved",
            Shape::Hash => "64 шестнадцатеричных символа или идентификатор из 53 символов",
            Shape::MediaType => "тип файла, например application/pdf",
        }
        .into(),
        Fault::UnknownValue { value, expected } => {
            format!(
                "неизвестное значение «{value}», допустимы: {}",
                expected.join(", ")
            )
        }
        Fault::Rule { code, message } => rule(code, message),
    }
}

/// A kind's own rule: the ones a form can break are worded here; the rest (they concern
/// fields a form does not show) stay in English.
fn rule(code: &str, message: &str) -> String {
    let known: &[(&str, &str, &str)] = &[
        (
            "order",
            "from must not be after to",
            "начало позже окончания",
        ),
        ("invalid", "needs a hash or a url", "нужна ссылка"),
        (
            "invalid",
            "is required when kind is replication",
            "обязательно для отчёта о применении",
        ),
    ];
    known
        .iter()
        .find(|(known_code, english, _)| *known_code == code && *english == message)
        .map_or_else(
            || message.to_string(),
            |(_, _, russian)| russian.to_string(),
        )
}

/// «символ» in the genitive after a number (the only case these phrases need).
fn characters(count: usize) -> &'static str {
    if count % 10 == 1 && count % 100 != 11 {
        "символа"
    } else {
        "символов"
    }
}

/// «элемент» in the genitive after a number.
fn items(count: usize) -> &'static str {
    if count % 10 == 1 && count % 100 != 11 {
        "элемента"
    } else {
        "элементов"
    }
}

#[cfg(test)]
mod tests {
    use ensemble_core::ValidationErrors;

    use super::*;

    fn text(lang: Lang, fault: Fault) -> String {
        let mut errors = ValidationErrors::default();
        errors.push("field", fault);
        fault_text(lang, &errors.errors[0])
    }

    #[test]
    fn faults_are_worded_by_code_not_by_english_text() {
        let cases = [
            (Fault::Required, "обязательное поле", "is required"),
            (
                Fault::Length { min: 3, max: 160 },
                "от 3 до 160 символов",
                "must be 3 to 160 characters",
            ),
            (
                Fault::Length { min: 0, max: 1000 },
                "не длиннее 1000 символов",
                "must be at most 1000 characters",
            ),
            (
                Fault::TooMany { max: 21 },
                "не больше 21 элемента",
                "must have at most 21 items",
            ),
            (
                Fault::WrongType(Expected::WholeNumber),
                "должно быть целым числом",
                "must be a whole number",
            ),
            (
                Fault::Format(Shape::Link),
                "должна начинаться с https:// или http://",
                "must start with https:// or http://",
            ),
            (
                Fault::Rule {
                    code: "order",
                    message: "from must not be after to".into(),
                },
                "начало позже окончания",
                "from must not be after to",
            ),
        ];
        for (fault, russian, english) in cases {
            assert_eq!(text(Lang::Ru, fault.clone()), russian);
            assert_eq!(text(Lang::En, fault), english);
        }
    }
}
