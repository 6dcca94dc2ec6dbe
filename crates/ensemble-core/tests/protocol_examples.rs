//! Every body example in `docs/protocol.md` (a ```json block after an
//! `<!-- example: <kind> -->` marker) validates as its kind, strictly, so the document
//! cannot drift from the schemas.

use ensemble_core::Kind;
use ensemble_core::body::{Mode, validate};

const PROTOCOL: &str = include_str!("../../../docs/protocol.md");
/// The marker before each example.
const MARKER: &str = "<!-- example: ";

#[test]
fn every_documented_example_validates() {
    let mut kinds = Vec::new();
    for chunk in PROTOCOL.split(MARKER).skip(1) {
        let Some((kind, rest)) = chunk.split_once(" -->") else {
            panic!("unterminated marker: {chunk:.40}");
        };
        let kind: Kind = kind.parse().unwrap_or_else(|error| panic!("{error}"));
        let Some(body) = rest
            .split_once("```json\n")
            .and_then(|(_, after)| after.split_once("\n```"))
            .map(|(body, _)| body)
        else {
            panic!("{kind}: no json block");
        };
        if let Err(errors) = validate(kind, body.as_bytes(), Mode::Local) {
            panic!("{kind} example refused: {errors}");
        }
        kinds.push(kind);
    }
    let documented = [
        Kind::Community,
        Kind::CommunityMembership,
        Kind::CommunityEntry,
        Kind::Event,
        Kind::EventRegistration,
        Kind::SelfEducationRoute,
    ];
    assert_eq!(kinds, documented);
}
