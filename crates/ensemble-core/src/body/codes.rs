//! The closed enumerations of the body schemas: fields whose values the protocol fixes,
//! where an unknown value is a fault rather than a newer vocabulary term.
//!
//! Their Russian and English labels live in [`crate::vocab`], under the vocabulary
//! each enum names in [`ClosedCode::VOCABULARY`]; a test keeps the two in step.

use serde::Serialize;

/// A closed enumeration with a fixed code per value.
pub trait ClosedCode: Copy + 'static {
    /// The name of the vocabulary in [`crate::vocab`] that labels these codes.
    const VOCABULARY: &'static str;
    /// Every value, in vocabulary order.
    const ALL: &'static [Self];

    /// The code as written in JSON.
    fn as_str(self) -> &'static str;

    /// The value for `code`, if it is one.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.as_str() == code)
    }
}

macro_rules! closed_code {
    (
        $(#[$doc:meta])*
        $name:ident in $vocabulary:literal {
            $($(#[$variant_doc:meta])* $variant:ident = $code:literal,)+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum $name {
            $($(#[$variant_doc])* #[serde(rename = $code)] $variant,)+
        }

        impl $name {
            /// The code as written in JSON.
            pub fn as_str(self) -> &'static str {
                <Self as ClosedCode>::as_str(self)
            }

            /// The value for `code`, if it is one.
            pub fn from_code(code: &str) -> Option<Self> {
                <Self as ClosedCode>::from_code(code)
            }
        }

        impl ClosedCode for $name {
            const VOCABULARY: &'static str = $vocabulary;
            const ALL: &'static [Self] = &[$($name::$variant,)+];

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }
        }
    };
}

closed_code! {
    /// Where a school is: `settlement` of a profile or a practice's context.
    Settlement in "settlement" {
        /// A town or city.
        Urban = "urban",
        /// A village or rural area.
        Rural = "rural",
    }
}

closed_code! {
    /// The part a school plays in the network (`roles` of a profile).
    SchoolRole in "roles" {
        /// Offers mentoring to partner schools.
        Mentor = "mentor",
        /// Receives support from a mentor school.
        Supported = "supported",
        /// Runs a regional hub node.
        Hub = "hub",
        /// Takes part in the catalog without a mentoring role.
        School = "school",
    }
}

closed_code! {
    /// What a piece of feedback is.
    FeedbackKind in "feedback_kinds" {
        /// A remark.
        Comment = "comment",
        /// A question to the author.
        Question = "question",
        /// A suggestion.
        Advice = "advice",
        /// A report of applying the practice in another school; carries `replication`.
        Replication = "replication",
        /// A recommendation.
        Endorsement = "endorsement",
        /// A mentor school's countersignature of a partner's progress report.
        Acknowledgement = "acknowledgement",
        /// A complaint about the record.
        Flag = "flag",
    }
}

closed_code! {
    /// The position of the person giving feedback.
    AuthorRole in "author_roles" {
        /// A teacher.
        Teacher = "teacher",
        /// A methodologist.
        Methodologist = "methodologist",
        /// An invited expert.
        Expert = "expert",
        /// A specialist of the regional education authority.
        Regional = "regional",
    }
}

closed_code! {
    /// How mentoring is delivered (`mode` of requests and offers).
    DeliveryMode in "modes" {
        /// Remotely.
        Online = "online",
        /// In person.
        Offline = "offline",
        /// Both.
        Mixed = "mixed",
    }
}

closed_code! {
    /// Who may see a mentoring request.
    Visibility in "visibility" {
        /// Every school of the network.
        Network = "network",
        /// Schools of the requester's region (the default).
        Region = "region",
    }
}

closed_code! {
    /// How a partnership is going, in a progress report (red/amber/green).
    ReportStatus in "report_statuses" {
        /// Going to plan.
        OnTrack = "on-track",
        /// Some goals are at risk.
        AtRisk = "at-risk",
        /// Behind plan.
        OffTrack = "off-track",
    }
}

closed_code! {
    /// The state of one planned activity in a progress report.
    ActivityStatus in "activity_statuses" {
        /// Not yet held.
        Planned = "planned",
        /// Held.
        Done = "done",
        /// Rescheduled.
        Moved = "moved",
        /// Dropped.
        Cancelled = "cancelled",
    }
}

closed_code! {
    /// How far a professional deficit has been overcome.
    DeficitStatus in "deficit_statuses" {
        /// Overcome.
        Closed = "closed",
        /// Partly overcome.
        Partly = "partly",
        /// Still there.
        Open = "open",
    }
}

closed_code! {
    /// How a partnership ended.
    Outcome in "outcomes" {
        /// Goals reached or the term ran its course.
        Completed = "completed",
        /// Ended early by either party.
        Terminated = "terminated",
    }
}

closed_code! {
    /// How strong a practice's evidence is, E0 (description only) to E5 (independent
    /// evaluation). Ordered: `E2 < E3`.
    EvidenceLevel in "evidence_levels" {
        /// Description of experience only.
        E0 = "E0",
        /// Reflection and student work.
        E1 = "E1",
        /// Before/after data.
        E2 = "E2",
        /// Comparison with a similar group.
        E3 = "E3",
        /// Replicated in other schools: computed, never claimed.
        E4 = "E4",
        /// Independent external evaluation.
        E5 = "E5",
    }
}

closed_code! {
    /// Who may write into a network (`policy` of a network charter).
    NetworkPolicy in "network_policies" {
        /// Any valid signature is accepted (the default without a charter).
        Open = "open",
        /// Only schools holding a registrar's membership grant.
        Members = "members",
    }
}

closed_code! {
    /// The position of a person acting through their school's node (`by.role`).
    PersonRole in "person_roles" {
        /// A teacher.
        Teacher = "teacher",
        /// A methodologist.
        Methodologist = "methodologist",
        /// A school administrator.
        Admin = "admin",
        /// An invited expert.
        Expert = "expert",
    }
}

closed_code! {
    /// The role a membership grant gives a school in a members-only network.
    MemberRole in "member_roles" {
        /// A member school.
        School = "school",
        /// A mentor school.
        Mentor = "mentor",
        /// A regional hub node.
        Hub = "hub",
    }
}

closed_code! {
    /// Who a professional learning community is open to.
    CommunityScope in "community_scopes" {
        /// Teachers of one school.
        School = "school",
        /// Teachers of any school of the network.
        Network = "network",
    }
}

closed_code! {
    /// A person's signature of a community's agreement, or its withdrawal.
    MembershipStatus in "membership_statuses" {
        /// Signed the agreement version named.
        Joined = "joined",
        /// Left the community.
        Left = "left",
    }
}

closed_code! {
    /// What a community entry records.
    EntryType in "entry_types" {
        /// A goal or objective.
        Goal = "goal",
        /// A technique, method or instrument chosen.
        Method = "method",
        /// One item of the implementation plan.
        PlanItem = "plan-item",
        /// An expected learning outcome.
        Outcome = "outcome",
        /// A measurement of an indicator.
        Measurement = "measurement",
        /// An analysis of data.
        Analysis = "analysis",
        /// A change to teaching after analysis.
        Adjustment = "adjustment",
        /// A meeting, with its attendees and decisions.
        Meeting = "meeting",
    }
}

closed_code! {
    /// What kind of event a network event is.
    EventKind in "event_kinds" {
        /// An online lecture with questions.
        Webinar = "webinar",
        /// A master class.
        MasterClass = "master-class",
        /// A seminar.
        Seminar = "seminar",
        /// A conference.
        Conference = "conference",
        /// A contest of teachers or pupils.
        Contest = "contest",
        /// A festival of projects.
        Festival = "festival",
        /// An open lesson others may watch.
        OpenLesson = "open-lesson",
        /// A consultation.
        Consultation = "consultation",
        /// A meeting of a professional learning community.
        PlcMeeting = "plc-meeting",
        /// An internship at a mentor school.
        Internship = "internship",
    }
}

closed_code! {
    /// A person's registration for an event.
    RegistrationStatus in "registration_statuses" {
        /// Wants a place.
        Registered = "registered",
        /// Gave the place up.
        Cancelled = "cancelled",
        /// Was there: only the organizer school may say so.
        Attended = "attended",
    }
}

closed_code! {
    /// What one step of a self-education route is.
    RouteStepType in "route_step_types" {
        /// Studying or applying a practice.
        Practice = "practice",
        /// Taking part in an event.
        Event = "event",
        /// Working in a professional learning community.
        Community = "community",
        /// Mentoring.
        Mentoring = "mentoring",
        /// A course of further training.
        Course = "course",
        /// Anything else.
        Other = "other",
    }
}

closed_code! {
    /// How far one step of a self-education route has got.
    RouteStepStatus in "route_step_statuses" {
        /// Not started.
        Planned = "planned",
        /// Under way.
        InProgress = "in-progress",
        /// Finished.
        Done = "done",
    }
}

/// A step of the design cycle of a professional learning community (seed 004), written
/// in JSON as its number 1–7. Ordered by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CycleStep {
    /// 1 — problem, goals and objectives.
    Goals = 1,
    /// 2 — the technique, method or instrument that answers the problem.
    Method = 2,
    /// 3 — the implementation plan.
    Plan = 3,
    /// 4 — the learning outcomes pupils are to reach.
    Outcomes = 4,
    /// 5 — the monitoring scheme: instruments and schedule.
    Monitoring = 5,
    /// 6 — analysis of the data and adjustment of teaching.
    Analysis = 6,
    /// 7 — writing up the results and sharing them with other communities.
    Sharing = 7,
}

impl CycleStep {
    /// The name of the vocabulary in [`crate::vocab`] that labels the steps by
    /// [`CycleStep::code`].
    pub const VOCABULARY: &'static str = "plc_steps";

    /// Every step, in cycle order.
    pub const ALL: [CycleStep; 7] = [
        CycleStep::Goals,
        CycleStep::Method,
        CycleStep::Plan,
        CycleStep::Outcomes,
        CycleStep::Monitoring,
        CycleStep::Analysis,
        CycleStep::Sharing,
    ];

    /// The step's number, 1–7, as written in JSON.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The step numbered `number`, if it is 1–7.
    pub fn from_number(number: u64) -> Option<CycleStep> {
        CycleStep::ALL
            .into_iter()
            .find(|step| u64::from(step.number()) == number)
    }

    /// The step's vocabulary code (`goals`, `method`…), for its labels.
    pub fn code(self) -> &'static str {
        match self {
            CycleStep::Goals => "goals",
            CycleStep::Method => "method",
            CycleStep::Plan => "plan",
            CycleStep::Outcomes => "outcomes",
            CycleStep::Monitoring => "monitoring",
            CycleStep::Analysis => "analysis",
            CycleStep::Sharing => "sharing",
        }
    }
}

impl Serialize for CycleStep {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab;

    fn assert_labelled<T: ClosedCode>() {
        let Some(vocabulary) = vocab::vocabulary(T::VOCABULARY) else {
            panic!("no vocabulary {}", T::VOCABULARY);
        };
        let codes: Vec<&str> = T::ALL.iter().map(|value| value.as_str()).collect();
        let terms: Vec<&str> = vocabulary.terms.iter().map(|term| term.code).collect();
        assert_eq!(codes, terms, "vocabulary {}", T::VOCABULARY);
        for code in codes {
            assert_eq!(T::from_code(code).map(ClosedCode::as_str), Some(code));
        }
    }

    #[test]
    fn every_closed_code_has_its_labels() {
        assert_labelled::<Settlement>();
        assert_labelled::<SchoolRole>();
        assert_labelled::<FeedbackKind>();
        assert_labelled::<AuthorRole>();
        assert_labelled::<DeliveryMode>();
        assert_labelled::<Visibility>();
        assert_labelled::<ReportStatus>();
        assert_labelled::<ActivityStatus>();
        assert_labelled::<DeficitStatus>();
        assert_labelled::<Outcome>();
        assert_labelled::<EvidenceLevel>();
        assert_labelled::<NetworkPolicy>();
        assert_labelled::<MemberRole>();
        assert_labelled::<PersonRole>();
        assert_labelled::<CommunityScope>();
        assert_labelled::<MembershipStatus>();
        assert_labelled::<EntryType>();
        assert_labelled::<EventKind>();
        assert_labelled::<RegistrationStatus>();
        assert_labelled::<RouteStepType>();
        assert_labelled::<RouteStepStatus>();
    }

    #[test]
    fn cycle_steps_are_numbered_one_to_seven_and_labelled() {
        let Some(vocabulary) = vocab::vocabulary(CycleStep::VOCABULARY) else {
            panic!("no vocabulary {}", CycleStep::VOCABULARY);
        };
        let codes: Vec<&str> = CycleStep::ALL.iter().map(|step| step.code()).collect();
        let terms: Vec<&str> = vocabulary.terms.iter().map(|term| term.code).collect();
        assert_eq!(codes, terms);
        for (index, step) in CycleStep::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(step.number()), index + 1);
            assert_eq!(CycleStep::from_number(u64::from(step.number())), Some(step));
        }
        assert_eq!(CycleStep::from_number(0), None);
        assert_eq!(CycleStep::from_number(8), None);
        assert_eq!(
            serde_json::to_string(&CycleStep::Analysis).unwrap_or_default(),
            "6"
        );
    }

    #[test]
    fn unknown_codes_and_json_names() {
        assert_eq!(ReportStatus::from_code("green"), None);
        assert_eq!(
            serde_json::to_string(&ReportStatus::OnTrack).unwrap_or_default(),
            "\"on-track\""
        );
        assert!(EvidenceLevel::E2 < EvidenceLevel::E3);
    }
}
