//! The storage boundary of QMS: the [`Store`] trait with one method per use case, the records it
//! returns ([`model`]) and its error type ([`StoreError`]).
//!
//! Two implementations exist, `qms-store-sqlite` and `qms-store-postgres`, chosen at start-up
//! from `DATABASE_URL`. Every method on tenant data takes a [`TenantId`] first and must never
//! read or write another tenant's rows. Each state change runs in one transaction together with
//! its audit row (and, for queue moves, its analytics event).

pub mod business;
pub mod error;
pub mod fanout;
pub mod model;
pub mod platform;
pub mod store;
pub mod webchat;

pub use business::*;
pub use error::{StoreError, StoreResult};
pub use fanout::{FanoutLine, LineRead, LineSpot};
pub use model::*;
pub use platform::*;
pub use qms_domain::TenantId;
pub use store::Store;
pub use webchat::*;
