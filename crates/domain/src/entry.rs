//! Queue entries: statuses, the platforms a customer joins from, and the state machine that
//! decides which moves staff and customers may make.
//!
//! ```text
//! waiting ──call──▶ called ──seat──▶ seated ──complete──▶ completed
//!    │                │  └──no-show──▶ no_show
//!    └──cancel──▶ cancelled ◀──cancel──┘
//! called | no_show ──requeue──▶ waiting
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an entry stands (TSD §2.3 `QueueEntryStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    Waiting,
    Called,
    Seated,
    Completed,
    Cancelled,
    NoShow,
}

impl EntryStatus {
    pub const ALL: [EntryStatus; 6] = [
        EntryStatus::Waiting,
        EntryStatus::Called,
        EntryStatus::Seated,
        EntryStatus::Completed,
        EntryStatus::Cancelled,
        EntryStatus::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Waiting => "waiting",
            EntryStatus::Called => "called",
            EntryStatus::Seated => "seated",
            EntryStatus::Completed => "completed",
            EntryStatus::Cancelled => "cancelled",
            EntryStatus::NoShow => "no_show",
        }
    }

    /// Still in line or at the door: the customer's place is live.
    pub fn is_active(self) -> bool {
        matches!(self, EntryStatus::Waiting | EntryStatus::Called)
    }

    /// Applies a move; `Err` names the move and the status it is illegal from.
    pub fn apply(self, transition: Transition) -> Result<EntryStatus, InvalidTransition> {
        use EntryStatus::*;
        use Transition as T;
        let next = match (self, transition) {
            (Waiting, T::Call) => Called,
            (Called, T::Seat) => Seated,
            (Seated, T::Complete) => Completed,
            (Waiting | Called, T::Cancel) => Cancelled,
            (Called, T::NoShow) => NoShow,
            (Called | NoShow, T::Requeue) => Waiting,
            (from, transition) => return Err(InvalidTransition { from, transition }),
        };
        Ok(next)
    }
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownValue("status"))
    }
}

/// A move on an entry. Each one is a route of the queue API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transition {
    Call,
    Seat,
    Complete,
    Cancel,
    NoShow,
    Requeue,
}

impl Transition {
    pub const ALL: [Transition; 6] = [
        Transition::Call,
        Transition::Seat,
        Transition::Complete,
        Transition::Cancel,
        Transition::NoShow,
        Transition::Requeue,
    ];

    /// The verb used in routes, audit actions and realtime `action` fields.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Call => "call",
            Transition::Seat => "seat",
            Transition::Complete => "complete",
            Transition::Cancel => "cancel",
            Transition::NoShow => "no-show",
            Transition::Requeue => "requeue",
        }
    }

    /// The action name written to the audit trail.
    pub fn audit_action(self) -> &'static str {
        match self {
            Transition::Call => "queue.call",
            Transition::Seat => "queue.seat",
            Transition::Complete => "queue.complete",
            Transition::Cancel => "queue.cancel",
            Transition::NoShow => "queue.no_show",
            Transition::Requeue => "queue.requeue",
        }
    }

    /// The past tense used for the `queue:update` action and analytics event type.
    pub fn event_name(self) -> &'static str {
        match self {
            Transition::Call => "called",
            Transition::Seat => "seated",
            Transition::Complete => "completed",
            Transition::Cancel => "cancelled",
            Transition::NoShow => "no-show",
            Transition::Requeue => "requeued",
        }
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move the state machine forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {transition} an entry that is {from}")]
pub struct InvalidTransition {
    pub from: EntryStatus,
    pub transition: Transition,
}

/// The channel a customer joined from (TSD §2.3 `Platform`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    #[default]
    Web,
    Whatsapp,
    Messenger,
    Api,
}

impl Platform {
    pub const ALL: [Platform; 4] = [
        Platform::Web,
        Platform::Whatsapp,
        Platform::Messenger,
        Platform::Api,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Web => "web",
            Platform::Whatsapp => "whatsapp",
            Platform::Messenger => "messenger",
            Platform::Api => "api",
        }
    }
}

impl FromStr for Platform {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownValue("platform"))
    }
}

/// A stored enum value that is not one of ours (only a damaged database produces it).
#[derive(Debug, thiserror::Error)]
#[error("unknown {0} value")]
pub struct UnknownValue(pub &'static str);

/// The ticket a customer is shown, e.g. `A-017`: the queue's letter and the day's sequence number.
pub fn ticket_number(prefix: char, number: i64) -> String {
    format!("{prefix}-{number:03}")
}

/// The ticket letter of a queue: the first ASCII letter of its name, upper-cased, else `Q`.
pub fn ticket_prefix(queue_name: &str) -> char {
    queue_name
        .chars()
        .find(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_uppercase())
        .unwrap_or('Q')
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntryStatus::*;

    #[test]
    fn the_happy_path_is_allowed() {
        let s = Waiting
            .apply(Transition::Call)
            .and_then(|s| s.apply(Transition::Seat));
        assert_eq!(s.and_then(|s| s.apply(Transition::Complete)), Ok(Completed));
    }

    #[test]
    fn every_pair_matches_the_table() {
        let allowed = [
            (Waiting, Transition::Call, Called),
            (Called, Transition::Seat, Seated),
            (Seated, Transition::Complete, Completed),
            (Waiting, Transition::Cancel, Cancelled),
            (Called, Transition::Cancel, Cancelled),
            (Called, Transition::NoShow, NoShow),
            (Called, Transition::Requeue, Waiting),
            (NoShow, Transition::Requeue, Waiting),
        ];
        for from in EntryStatus::ALL {
            for t in Transition::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, tt, _)| *f == from && *tt == t)
                    .map(|(_, _, to)| *to);
                match (from.apply(t), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(e), None) => {
                        assert_eq!(e.from, from);
                        assert_eq!(e.transition, t);
                    }
                    (got, want) => panic!("{from} {t}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn final_states_are_final() {
        for from in [Completed, Cancelled] {
            for t in Transition::ALL {
                assert!(from.apply(t).is_err());
            }
        }
    }

    #[test]
    fn tickets_are_formatted() {
        assert_eq!(ticket_number('A', 17), "A-017");
        assert_eq!(ticket_number('B', 1234), "B-1234");
        assert_eq!(ticket_prefix("main dining"), 'M');
        assert_eq!(ticket_prefix("2 go"), 'G');
        assert_eq!(ticket_prefix("点心"), 'Q');
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for s in EntryStatus::ALL {
            assert_eq!(s.as_str().parse::<EntryStatus>().ok(), Some(s));
        }
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().ok(), Some(p));
        }
    }
}
