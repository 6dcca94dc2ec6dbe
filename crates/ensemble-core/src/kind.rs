//! Record kinds, their one-byte wire codes and the gossip topic family each belongs to.
//!
//! Wire codes are part of the protocol and never reused: 1–9 are the v1 kinds, 10–13 the
//! governance kinds of members-only networks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of a record; it fixes the body schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A school's public profile.
    SchoolProfile,
    /// A teaching practice record.
    Practice,
    /// A colleague's feedback on a record (comment, replication, acknowledgement…).
    Feedback,
    /// A supported school's request for mentoring.
    MentoringRequest,
    /// A mentor school's offer, to a request or standing.
    MentoringOffer,
    /// The supported school's acceptance of an offer: with the offer, the agreement.
    MentoringAcceptance,
    /// A progress report on an agreement.
    ProgressReport,
    /// The closure of an agreement.
    MentoringClosure,
    /// The withdrawal of one of the author's own documents.
    Retraction,
    /// A network's charter: its name, policy and registrars.
    NetworkCharter,
    /// A registrar's admission of a school key to a members-only network.
    MembershipGrant,
    /// A registrar's removal of a school key from a members-only network.
    MembershipRevocation,
    /// A school's move from its old key to a new one, signed by both.
    KeyRotation,
    /// A professional learning community: purpose, scope, agreement, design-cycle step.
    Community,
    /// A person's signature of a community's agreement version, or their leaving.
    CommunityMembership,
    /// A goal, plan item, outcome, measurement, analysis or meeting of a community.
    CommunityEntry,
    /// A network event: webinar, master class, seminar, open lesson…
    Event,
    /// A person's registration for an event, its cancellation, or their attendance.
    EventRegistration,
    /// A teacher's self-education route, when published to the network.
    SelfEducationRoute,
}

/// Which network topic a kind travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicFamily {
    /// `ensemble/1/<network>/catalog`
    Catalog,
    /// `ensemble/1/<network>/mentoring`
    Mentoring,
    /// `ensemble/1/<network>/governance`: charters, grants, revocations, key rotations;
    /// a topic of its own so that nodes can sync it before the other kinds.
    Governance,
}

impl Kind {
    /// Every kind, in wire-code order.
    pub const ALL: [Kind; 19] = [
        Kind::SchoolProfile,
        Kind::Practice,
        Kind::Feedback,
        Kind::MentoringRequest,
        Kind::MentoringOffer,
        Kind::MentoringAcceptance,
        Kind::ProgressReport,
        Kind::MentoringClosure,
        Kind::Retraction,
        Kind::NetworkCharter,
        Kind::MembershipGrant,
        Kind::MembershipRevocation,
        Kind::KeyRotation,
        Kind::Community,
        Kind::CommunityMembership,
        Kind::CommunityEntry,
        Kind::Event,
        Kind::EventRegistration,
        Kind::SelfEducationRoute,
    ];

    /// The one-byte code in the header.
    pub fn code(self) -> u8 {
        match self {
            Kind::SchoolProfile => 1,
            Kind::Practice => 2,
            Kind::Feedback => 3,
            Kind::MentoringRequest => 4,
            Kind::MentoringOffer => 5,
            Kind::MentoringAcceptance => 6,
            Kind::ProgressReport => 7,
            Kind::MentoringClosure => 8,
            Kind::Retraction => 9,
            Kind::NetworkCharter => 10,
            Kind::MembershipGrant => 11,
            Kind::MembershipRevocation => 12,
            Kind::KeyRotation => 13,
            Kind::Community => 14,
            Kind::CommunityMembership => 15,
            Kind::CommunityEntry => 16,
            Kind::Event => 17,
            Kind::EventRegistration => 18,
            Kind::SelfEducationRoute => 19,
        }
    }

    /// The kind for a header code; `None` for codes this build does not know.
    pub fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The snake_case name used in JSON, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::SchoolProfile => "school_profile",
            Kind::Practice => "practice",
            Kind::Feedback => "feedback",
            Kind::MentoringRequest => "mentoring_request",
            Kind::MentoringOffer => "mentoring_offer",
            Kind::MentoringAcceptance => "mentoring_acceptance",
            Kind::ProgressReport => "progress_report",
            Kind::MentoringClosure => "mentoring_closure",
            Kind::Retraction => "retraction",
            Kind::NetworkCharter => "network_charter",
            Kind::MembershipGrant => "membership_grant",
            Kind::MembershipRevocation => "membership_revocation",
            Kind::KeyRotation => "key_rotation",
            Kind::Community => "community",
            Kind::CommunityMembership => "community_membership",
            Kind::CommunityEntry => "community_entry",
            Kind::Event => "event",
            Kind::EventRegistration => "event_registration",
            Kind::SelfEducationRoute => "self_education_route",
        }
    }

    /// The topic family of this kind. A retraction travels with the kind it retracts,
    /// which the publisher knows; on its own it defaults to the catalog. Communities,
    /// events and routes are catalog material: schools browse them like practices.
    pub fn topic_family(self) -> TopicFamily {
        match self {
            Kind::SchoolProfile
            | Kind::Practice
            | Kind::Feedback
            | Kind::Retraction
            | Kind::Community
            | Kind::CommunityMembership
            | Kind::CommunityEntry
            | Kind::Event
            | Kind::EventRegistration
            | Kind::SelfEducationRoute => TopicFamily::Catalog,
            Kind::MentoringRequest
            | Kind::MentoringOffer
            | Kind::MentoringAcceptance
            | Kind::ProgressReport
            | Kind::MentoringClosure => TopicFamily::Mentoring,
            Kind::NetworkCharter
            | Kind::MembershipGrant
            | Kind::MembershipRevocation
            | Kind::KeyRotation => TopicFamily::Governance,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;
    fn from_str(text: &str) -> Result<Kind, UnknownKind> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownKind(text.to_string()))
    }
}

/// Topic names, exactly as every node spells them.
pub mod topic {
    use super::TopicFamily;
    use crate::SchoolId;

    /// `ensemble/1/<network>/catalog`, `…/mentoring` or `…/governance`.
    pub fn network(network: &str, family: TopicFamily) -> String {
        let suffix = match family {
            TopicFamily::Catalog => "catalog",
            TopicFamily::Mentoring => "mentoring",
            TopicFamily::Governance => "governance",
        };
        format!("ensemble/1/{network}/{suffix}")
    }

    /// `ensemble/1/school/<school-id>`.
    pub fn school(school: &SchoolId) -> String {
        format!("ensemble/1/school/{school}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_code(kind.code()), Some(kind));
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
        }
        assert_eq!(Kind::from_code(0), None);
        let fixed = [
            (Kind::Community, 14, "community"),
            (Kind::CommunityMembership, 15, "community_membership"),
            (Kind::CommunityEntry, 16, "community_entry"),
            (Kind::Event, 17, "event"),
            (Kind::EventRegistration, 18, "event_registration"),
            (Kind::SelfEducationRoute, 19, "self_education_route"),
        ];
        for (kind, code, name) in fixed {
            assert_eq!((kind.code(), kind.as_str()), (code, name));
            assert_eq!(kind.topic_family(), TopicFamily::Catalog);
        }
        assert_eq!(Kind::from_code(200), None);
    }

    #[test]
    fn governance_kinds_have_fixed_codes_and_their_own_topic() {
        let cases = [
            (Kind::NetworkCharter, 10),
            (Kind::MembershipGrant, 11),
            (Kind::MembershipRevocation, 12),
            (Kind::KeyRotation, 13),
        ];
        for (kind, code) in cases {
            assert_eq!(kind.code(), code, "{kind}");
            assert_eq!(kind.topic_family(), TopicFamily::Governance, "{kind}");
        }
        assert_eq!(
            topic::network("ru-tat", TopicFamily::Governance),
            "ensemble/1/ru-tat/governance"
        );
    }
}
