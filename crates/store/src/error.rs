//! Errors a [`crate::Store`] method can answer. Business refusals are distinct variants so the
//! web layer can map each to its HTTP status and error code; anything else is `Backend`.

use qms_domain::entry::InvalidTransition;
use time::OffsetDateTime;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist for this tenant (it may exist for another; we do not say).
    #[error("not found")]
    NotFound,
    /// A unique value is already used; the payload names the field (`slug`, `email`, `domain`).
    #[error("{0} already taken")]
    Taken(&'static str),
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    #[error("no customer is waiting in this queue")]
    QueueEmpty,
    #[error("the queue is full")]
    QueueFull,
    /// Not accepting customers, inactive, or outside opening hours.
    #[error("the queue is not taking customers now")]
    QueueClosed { opens_at: Option<OffsetDateTime> },
    /// The tenant's subscription does not allow more of something.
    #[error("plan limit reached: {0}")]
    PlanLimit(String),
    /// The queue still has waiting or called customers.
    #[error("the queue still has customers waiting or called")]
    QueueHasCustomers,
    /// A reorder named entries that are no longer waiting in this queue.
    #[error("the queue changed meanwhile; reload and try again")]
    StaleOrder,
    /// This phone number already waits in this queue (a requeue would make a second place).
    #[error("this phone number is already waiting in this queue")]
    AlreadyWaiting,
    /// Customer cancellation is switched off for this queue.
    #[error("this queue does not allow customers to cancel")]
    CancellationNotAllowed,
    /// The change would leave the tenant without an active OWNER.
    #[error("a tenant must keep at least one active owner")]
    LastOwner,
    /// A one-time token that is unknown, used or expired.
    #[error("this link is invalid or has expired")]
    InvalidToken,
    /// A referenced record (named by the request field) does not exist for this tenant.
    #[error("{0} does not exist")]
    UnknownReference(&'static str),
    /// The database failed; the message is for logs, not for clients.
    #[error("database error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(e: impl std::fmt::Display) -> Self {
        StoreError::Backend(e.to_string())
    }
}
