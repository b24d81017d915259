//! What the realtime fan-out reads after a queue change ([`crate::Store::fanout_line`]): the
//! waiting line reduced to what a customer's `notification` needs (or only its length, when no
//! customer is listening), and the numbers behind the queue's stats and pace.

use time::OffsetDateTime;
use uuid::Uuid;

/// One waiting customer; their place is their index in [`FanoutLine::waiting`] plus one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpot {
    pub id: Uuid,
    pub session_id: String,
    pub ticket_number: String,
}

/// How much of the waiting line [`crate::Store::fanout_line`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRead {
    /// Every waiting customer, in line order ([`FanoutLine::waiting`]).
    Spots,
    /// Only how many are waiting: staff's numbers, when no customer is there to be told.
    Count,
}

/// A queue, its waiting line and the numbers its stats and estimates are made from.
#[derive(Debug, Clone, PartialEq)]
pub struct FanoutLine {
    /// The queue (its settings name the queue and say when to remind).
    pub queue: crate::Queue,
    /// The waiting customers in line order (empty when read with [`LineRead::Count`]).
    pub waiting: Vec<LineSpot>,
    /// How many are waiting (with [`LineRead::Spots`], the length of `waiting`).
    pub waiting_count: i64,
    /// Customers called and not yet seated or gone.
    pub called: i64,
    /// When the queue's most recent customers were called: within
    /// [`qms_domain::wait::PACE_WINDOW`] before `now`, at most
    /// [`qms_domain::wait::PACE_SAMPLE`], in any order (the input of
    /// [`qms_domain::wait::minutes_per_turn`]).
    pub recent_calls: Vec<OffsetDateTime>,
}
