//! Pure QMS types and rules, free of I/O: tenants and plans, staff roles, queues and their
//! opening hours, the queue-entry state machine, wait estimates and input validation.
//!
//! Nothing here knows about HTTP or SQL; the storage and web crates build on these types.

pub mod calendar;
pub mod entry;
pub mod queue;
pub mod role;
pub mod tenant;
pub mod validate;
pub mod wait;

pub use entry::{EntryStatus, Platform, Transition};
pub use role::Role;
pub use tenant::{Plan, TenantId};
pub use validate::FieldErrors;
