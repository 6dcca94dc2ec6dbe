//! The state of a professional learning community, derived from signed records alone:
//! its current version, whether its agreement changed, who its members are (who signed
//! the agreement in force), who must sign again, the step of the design cycle it is at,
//! its entries by step, and the records that broke a rule.
//!
//! Like the mentoring thread, [`derive_community`] gives the same [`CommunityState`] for
//! the same set of records in any order: every decision is made in the order of
//! (created_at, record id). Nothing here does I/O or reads a clock; callers pass the
//! records they hold as [`Held`](crate::held::Held) values, leaving out retracted ones.
//!
//! This module does not decide which person may act for a school (the school's node
//! does, by role) nor fetch records.
//!
//! Code map: this file names the rules; `state` derives the state.

mod state;
#[cfg(test)]
mod tests;

use serde::Serialize;

pub use state::{CommunityState, Member, derive_community};

use crate::RecordId;
use crate::mentoring::Refusal;

/// A rule of a community. Its code ([`Rule::as_str`]) is stable: clients and other
/// nodes match on it. Refusals share the mentoring workflow's [`Refusal`] shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `not-community-author`: a version of the community by another school.
    NotCommunityAuthor,
    /// `entry-without-person`: an entry with no `by`: only members add entries.
    EntryWithoutPerson,
    /// `not-a-member`: an entry by a person without a signature of the agreement in
    /// force when the entry was made.
    NotAMember,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 3] = [
        Rule::NotCommunityAuthor,
        Rule::EntryWithoutPerson,
        Rule::NotAMember,
    ];

    /// The stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NotCommunityAuthor => "not-community-author",
            Rule::EntryWithoutPerson => "entry-without-person",
            Rule::NotAMember => "not-a-member",
        }
    }

    /// The rule in plain English, as a user is told it.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::NotCommunityAuthor => "only the school that created the community may edit it",
            Rule::EntryWithoutPerson => {
                "an entry must name its author (by): only members add entries"
            }
            Rule::NotAMember => "only members who signed the agreement in force may add entries",
        }
    }

    /// A refusal of `record` under this rule.
    pub fn refuse(self, record: RecordId) -> Refusal {
        Refusal {
            record,
            rule: self.as_str(),
            reason: self.reason().to_string(),
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
