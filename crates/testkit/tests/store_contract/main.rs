//! The store contract: one suite that every implementation of [`qms_store::Store`] must pass.
//!
//! It runs on whichever backend [`qms_testkit::TestDb`] picks: SQLite by default, PostgreSQL
//! when `TEST_DATABASE_URL` is set (CI runs both). Every test opens its own database, builds
//! its fixtures through the `Store` and asserts on the records, refusals, audit rows and
//! analytics events it reads back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod common;
mod concurrency;
mod dashboard;
mod fanout;
mod isolation;
mod join;
mod moves;
mod platform;
mod properties;
mod queues;
mod retention;
mod sessions;
mod tenants;
mod webchat;
