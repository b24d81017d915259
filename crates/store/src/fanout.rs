//! What the realtime fan-out reads after a queue change ([`crate::Store::fanout_line`]): the
//! waiting line reduced to what a customer's `notification` needs, and the numbers behind the
//! queue's stats and pace, in one statement.

use time::OffsetDateTime;
use uuid::Uuid;

/// One waiting customer; their place is their index in [`FanoutLine::waiting`] plus one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpot {
    pub id: Uuid,
    pub session_id: String,
    pub ticket_number: String,
}

/// A queue, its waiting line and the numbers its stats and estimates are made from.
#[derive(Debug, Clone, PartialEq)]
pub struct FanoutLine {
    /// The queue (its settings name the queue and say when to remind).
    pub queue: crate::Queue,
    /// The waiting customers in line order.
    pub waiting: Vec<LineSpot>,
    /// Customers called and not yet seated or gone.
    pub called: i64,
    /// When the queue's most recent customers were called: within
    /// [`qms_domain::wait::PACE_WINDOW`] before `now`, at most
    /// [`qms_domain::wait::PACE_SAMPLE`], in any order (the input of
    /// [`qms_domain::wait::minutes_per_turn`]).
    pub recent_calls: Vec<OffsetDateTime>,
}
