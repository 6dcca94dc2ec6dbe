//! The protocol rules a write can break beyond its body's own validity, as one typed
//! value with a stable code: who may change a document, what a feedback may point at,
//! and the mentoring thread's rules ([`crate::mentoring::Rule`]).
//!
//! Nodes refuse a local write that breaks one of these before signing it (the API says
//! 422 naming the code), so a user is never allowed to publish what every other node
//! would ignore. The checks that need held records run in the node; this type is how
//! their verdict travels to the edge.

use std::fmt;

use serde::Serialize;

use crate::RecordId;
use crate::mentoring::Refusal;

/// A rule broken by a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Violation {
    /// A mentoring thread's rule, with the thread record it was checked against.
    Mentoring(Refusal),
    /// Only a document's author may publish new versions of it or retract it.
    NotTheAuthor {
        /// The document.
        doc: RecordId,
    },
    /// The document was retracted: it takes no new versions.
    Retracted {
        /// The document.
        doc: RecordId,
    },
    /// A retraction is final: it can be neither updated nor retracted.
    RetractionIsFinal {
        /// What was attempted: `updated` or `retracted`.
        attempted: &'static str,
    },
    /// A feedback's target is not held here, so nobody could check what it answers.
    TargetNotHeld {
        /// The target record.
        target: RecordId,
    },
    /// A feedback's target was retracted by its author.
    TargetRetracted {
        /// The target record.
        target: RecordId,
    },
}

impl Violation {
    /// The stable code: a mentoring rule's own code, or one of this enum's.
    pub fn code(&self) -> &'static str {
        match self {
            Violation::Mentoring(refusal) => refusal.rule,
            Violation::NotTheAuthor { .. } => "only-author-changes",
            Violation::Retracted { .. } => "document-retracted",
            Violation::RetractionIsFinal { .. } => "retraction-is-final",
            Violation::TargetNotHeld { .. } => "target-not-held",
            Violation::TargetRetracted { .. } => "target-retracted",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Mentoring(refusal) => write!(f, "{refusal}"),
            Violation::NotTheAuthor { doc } => {
                write!(f, "only the author may change or retract document {doc}")
            }
            Violation::Retracted { doc } => write!(f, "document {doc} has been retracted"),
            Violation::RetractionIsFinal { attempted } => {
                write!(f, "a retraction cannot be {attempted}")
            }
            Violation::TargetNotHeld { target } => {
                write!(
                    f,
                    "feedback.target: record {target} is not held by this node"
                )
            }
            Violation::TargetRetracted { target } => {
                write!(f, "feedback.target: record {target} has been retracted")
            }
        }
    }
}

impl std::error::Error for Violation {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentoring::Rule;

    #[test]
    fn every_violation_has_a_distinct_code_and_says_what_broke() {
        let id = RecordId([1; 32]);
        let cases = [
            (
                Violation::Mentoring(Refusal::new(id, Rule::OwnOffer)),
                "own-offer",
                "a school cannot mentor itself",
            ),
            (
                Violation::NotTheAuthor { doc: id },
                "only-author-changes",
                "only the author",
            ),
            (
                Violation::Retracted { doc: id },
                "document-retracted",
                "has been retracted",
            ),
            (
                Violation::RetractionIsFinal {
                    attempted: "updated",
                },
                "retraction-is-final",
                "a retraction cannot be updated",
            ),
            (
                Violation::TargetNotHeld { target: id },
                "target-not-held",
                "not held",
            ),
            (
                Violation::TargetRetracted { target: id },
                "target-retracted",
                "retracted",
            ),
        ];
        let mut codes = std::collections::BTreeSet::new();
        for (violation, code, words) in cases {
            assert_eq!(violation.code(), code);
            assert!(violation.to_string().contains(words), "{violation}");
            assert!(codes.insert(code), "{code} twice");
        }
    }
}
