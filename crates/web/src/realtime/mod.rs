//! Realtime (TSD §4): the Socket.IO server (protocol v5, websocket and long-polling) on the
//! app's own port at `/socket.io/`, its rooms and events, and the fan-out across instances.
//!
//! - [`connect`]: who a socket is (staff by token or session cookie, otherwise a customer who
//!   proves session ids), decided at the handshake from the tenant's `Host`.
//! - [`rooms`]: the join events and the rule of who may join which room.
//! - [`events`]: the emit API the HTTP handlers call after a change has committed.
//! - [`webchat`]: the chat between a customer and the staff, over sockets and REST.
//! - [`redis`]: the Redis pub/sub driver behind the adapter when `REDIS_URL` is set.
//!
//! Emits never run on the request path: handlers hand a [`Job`] to one worker per instance,
//! which reads what the events need, then broadcasts batch after batch in order. Delivery is
//! at most once; clients resync over REST after a reconnect.

pub mod connect;
pub mod events;
mod redis;
pub mod rooms;
pub mod webchat;

use crate::settings::Settings;
use crate::state::AppState;
use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use serde_json::Value;
use socketioxide::adapter::{Adapter, Emitter, LocalAdapter};
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{SocketIo, SocketIoBuilder};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tower::util::MapRequestLayer;

type RedisAdapter = CustomRedisAdapter<Emitter, redis::RedisDriver>;

/// Jobs waiting for the worker at most. Past that a change waits for room up to
/// [`CHANGE_WAIT`] before its events are dropped (and counted); other emits are dropped at once.
const QUEUE_DEPTH: usize = 4096;

/// How long a change's request waits for room in a full queue: under a flood of changes the
/// requests slow down to the worker's pace instead of their events being lost, and a worker
/// that is stuck still cannot hold a request up for longer.
const CHANGE_WAIT: Duration = Duration::from_millis(250);

/// The Socket.IO server of this instance, cheap to clone.
#[derive(Clone)]
pub struct Realtime(Arc<Inner>);

struct Inner {
    io: Io,
    jobs: mpsc::Sender<Job>,
    /// Taken once by [`Realtime::start`].
    jobs_rx: std::sync::Mutex<Option<mpsc::Receiver<Job>>>,
    ready: watch::Sender<bool>,
    redis: Option<redis::RedisDriver>,
    limits: webchat::ChatLimits,
    /// Per tenant, how many `customer:join`s this instance has accepted: a queue whose line
    /// had no customer listening stays quiet (its fan-out reads only its numbers) until the
    /// next customer of its tenant joins (see [`events::fan_out`]).
    customer_joins: std::sync::Mutex<std::collections::HashMap<qms_store::TenantId, u64>>,
}

/// The server, with the adapter it was built with.
#[derive(Clone)]
enum Io {
    Local(SocketIo<LocalAdapter>, SocketIoLayer<LocalAdapter>),
    Redis(SocketIo<RedisAdapter>, SocketIoLayer<RedisAdapter>),
}

/// One emit: an event and its payload to the union of some rooms (a socket in several of them
/// gets it once).
#[derive(Debug, Clone)]
pub struct Emit {
    pub rooms: Vec<String>,
    pub event: &'static str,
    pub data: Value,
}

/// Work for the realtime worker, done in the order it was queued.
#[derive(Debug)]
pub enum Job {
    /// A queue changed: read its fresh numbers and line, then tell staff and customers
    /// ([`events::fan_out`]).
    QueueChanged(events::Change),
    /// Emits already built.
    Emit(Vec<Emit>),
}

/// Registers the `/` namespace with the app's state. Everything happens in the connect
/// middleware ([`connect::authenticate`]), which socketioxide awaits before it answers the
/// connect packet, so a socket's events are registered before the client may send one (the
/// connect handler itself runs on a spawned task, too late: an event arriving first would go
/// unanswered). (A macro: `ns` exists only for concrete adapters.)
macro_rules! namespace {
    ($io:expr, $adapter:ty, $state:expr) => {{
        let auth = $state.clone();
        let connected = async || {};
        $io.ns(
            "/",
            connected.with(move |socket: SocketRef<$adapter>, data: TryData<Value>| {
                connect::authenticate(socket, data, auth.clone())
            }),
        )
    }};
}

fn config<A: Adapter>(builder: SocketIoBuilder<A>) -> SocketIoBuilder<A> {
    builder
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(10))
        .max_payload(64 * 1024)
        .max_buffer_size(256)
        // Every message we accept is small (64 KiB at most, a join is ~60 bytes): a 1 KiB
        // read buffer per websocket instead of 4 KiB (it grows for a larger frame).
        .ws_read_buffer_size(1024)
        .ack_timeout(Duration::from_secs(5))
}

/// `redis://…` with `protocol=resp3` (push messages need it).
fn resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

impl Realtime {
    /// Builds the server: in-process rooms, or rooms across instances through Redis when
    /// `settings.redis_url` is set. Needs a Tokio runtime (the Redis monitor starts here).
    /// Nothing connects yet: a Redis that is down only delays cross-instance delivery.
    pub fn new(settings: &Settings) -> Result<Self, String> {
        tokio::runtime::Handle::try_current()
            .map_err(|_| "the realtime server must be built inside a Tokio runtime".to_string())?;
        let (jobs, jobs_rx) = mpsc::channel(QUEUE_DEPTH);
        let (ready, _) = watch::channel(false);
        let (io, redis) = match &settings.redis_url {
            None => {
                let (layer, io) = config(SocketIo::builder()).build_layer();
                (Io::Local(io, layer), None)
            }
            Some(url) => {
                let driver =
                    redis::RedisDriver::new(&resp3(url)).map_err(|e| format!("REDIS_URL: {e}"))?;
                let adapter = RedisAdapterCtr::new_with_driver(
                    driver.clone(),
                    RedisAdapterConfig::new().with_prefix(settings.redis_prefix.clone()),
                );
                let (layer, io) = config(SocketIo::builder())
                    .with_adapter::<RedisAdapter>(adapter)
                    .build_layer();
                (Io::Redis(io, layer), Some(driver))
            }
        };
        Ok(Realtime(Arc::new(Inner {
            io,
            jobs,
            jobs_rx: std::sync::Mutex::new(Some(jobs_rx)),
            ready,
            redis,
            limits: webchat::ChatLimits::default(),
            customer_joins: Default::default(),
        })))
    }

    /// Registers the `/` namespace with the app's state and starts the worker. Called once by
    /// [`AppState::new`].
    pub(crate) fn start(&self, state: AppState) {
        let rx = self.0.jobs_rx.lock().ok().and_then(|mut r| r.take());
        let Some(rx) = rx else { return };
        let ready = self.0.ready.clone();
        match &self.0.io {
            Io::Local(io, _) => {
                namespace!(io, LocalAdapter, state);
                ready.send_replace(true);
                tokio::spawn(worker(io.clone(), state, rx));
            }
            Io::Redis(io, _) => {
                let init = namespace!(io, RedisAdapter, state);
                tokio::spawn(async move {
                    match init.await {
                        Ok(()) => {
                            ready.send_replace(true);
                        }
                        Err(e) => tracing::error!("realtime: the Redis adapter did not start: {e}"),
                    }
                });
                tokio::spawn(worker(io.clone(), state, rx));
            }
        }
        let realtime = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(inner) = realtime.upgrade() else {
                    return;
                };
                inner.limits.prune();
            }
        });
    }

    /// Resolves once the namespace is registered (and, with Redis, subscribed), or after
    /// `timeout`. Answers whether it is ready.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let wait = async {
            let mut rx = self.0.ready.subscribe();
            let _ = rx.wait_for(|r| *r).await;
            while !self.redis_healthy() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// True when this instance fans out through Redis.
    pub fn is_distributed(&self) -> bool {
        self.0.redis.is_some()
    }

    /// True when cross-instance delivery works now (always true without Redis).
    pub fn redis_healthy(&self) -> bool {
        self.0.redis.as_ref().is_none_or(|r| r.healthy())
    }

    /// Queues a change's job for the worker; when the queue is full, waits for room up to
    /// [`CHANGE_WAIT`], then drops it (counted in `realtime_jobs_dropped_total`).
    pub(crate) async fn submit_change(&self, job: Job) {
        if self.0.jobs.send_timeout(job, CHANGE_WAIT).await.is_err() {
            metrics::counter!("realtime_jobs_dropped_total").increment(1);
            tracing::warn!("realtime: the event queue stayed full; a change's events were dropped");
        }
    }

    /// Queues a job for the worker without waiting; a full queue drops it (counted in
    /// `realtime_jobs_dropped_total`).
    pub fn submit(&self, job: Job) {
        if self.0.jobs.try_send(job).is_err() {
            metrics::counter!("realtime_jobs_dropped_total").increment(1);
            tracing::warn!("realtime: the event queue is full; an event was dropped");
        }
    }

    /// Counts a customer socket's joining of its room (after the join).
    pub(crate) fn customer_joined(&self, tenant: qms_store::TenantId) {
        // A count is never left half-written, so a poisoned lock's map is still right.
        let mut joins = self
            .0
            .customer_joins
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *joins.entry(tenant).or_default() += 1;
    }

    /// How many customer joins of `tenant` this instance has accepted so far.
    pub(crate) fn customer_joins(&self, tenant: qms_store::TenantId) -> u64 {
        let joins = self
            .0
            .customer_joins
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        joins.get(&tenant).copied().unwrap_or(0)
    }

    pub(crate) fn limits(&self) -> &webchat::ChatLimits {
        &self.0.limits
    }

    /// Sockets connected to this instance.
    pub fn local_sockets(&self) -> usize {
        match &self.0.io {
            Io::Local(io, _) => io.sockets().len(),
            Io::Redis(io, _) => io.sockets().len(),
        }
    }

    /// Disconnects every socket of this instance (at shutdown).
    pub async fn close(&self) {
        match &self.0.io {
            Io::Local(io, _) => io.close().await,
            Io::Redis(io, _) => io.close().await,
        }
    }

    /// Wraps `router` in the Socket.IO layer (requests under `/socket.io/` go to it), behind
    /// [`detach`].
    pub fn layer<S: Clone + Send + Sync + 'static>(&self, router: Router<S>) -> Router<S> {
        let router = match &self.0.io {
            Io::Local(_, layer) => router.layer(layer.clone()),
            Io::Redis(_, layer) => router.layer(layer.clone()),
        };
        router.layer(MapRequestLayer::new(detach))
    }
}

/// Gives a Socket.IO request's URI and headers their own memory. hyper parses them as slices
/// of the connection's read buffer (8–16 KiB), and engine.io keeps a socket's handshake
/// request (with its extensions, where the router put a copy of the URI) for the socket's
/// whole life, which kept that whole buffer alive per socket (about half of a socket's
/// memory). Other requests pass untouched.
fn detach(mut req: Request) -> Request {
    if !req.uri().path().starts_with("/socket.io") {
        return req;
    }
    let headers = std::mem::take(req.headers_mut());
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in &headers {
        let name = HeaderName::from_bytes(name.as_str().as_bytes());
        let copy = HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(mut copy)) = (name, copy) {
            copy.set_sensitive(value.is_sensitive());
            owned.append(name, copy);
        }
    }
    *req.headers_mut() = owned;
    if let Ok(uri) = Uri::try_from(req.uri().to_string()) {
        // The router's copy of the URI shares the same buffer.
        req.extensions_mut().insert(OriginalUri(uri.clone()));
        *req.uri_mut() = uri;
    }
    req
}

/// The worker: one job at a time, in order; the emits of one job run concurrently. It keeps
/// what each waiting customer was last told ([`events::Memory`]), trusted only when no other
/// instance makes changes. It takes the jobs waiting for it together (at most [`BACKLOG`]): on
/// one instance, a change of a queue whose line a later one of them reads anyway is told only
/// to staff and its own customers (see [`events::fan_out`]), so a busy queue's line and
/// numbers are read once or twice per backlog, not once per change, and the worker keeps up
/// with the changes.
async fn worker<A: Adapter>(io: SocketIo<A>, state: AppState, mut rx: mpsc::Receiver<Job>) {
    let mut memory = events::Memory::default();
    let remember = !state.realtime.is_distributed();
    let mut backlog = Vec::with_capacity(BACKLOG);
    while rx.recv_many(&mut backlog, BACKLOG).await > 0 {
        let superseded = superseded(&backlog);
        let mut numbers = events::BacklogNumbers::new();
        for (job, superseded) in backlog.drain(..).zip(superseded) {
            let started = std::time::Instant::now();
            let count = match job {
                Job::Emit(emits) => broadcast(&io, emits).await,
                Job::QueueChanged(change) => {
                    let queue_id = change.queue_id();
                    let numbers = superseded.then_some(&mut numbers);
                    let fanned =
                        events::fan_out(&io, &state, &mut memory, remember, numbers, change);
                    match fanned.await {
                        Ok(count) => count,
                        Err(e) => {
                            tracing::warn!(%queue_id, "realtime: cannot read the queue for its events: {e}");
                            continue;
                        }
                    }
                }
            };
            let done = started.elapsed();
            metrics::counter!("realtime_emits_total").increment(count as u64);
            metrics::histogram!("realtime_job_seconds").record(done.as_secs_f64());
            tracing::debug!(count, ?done, "realtime: job done");
        }
    }
}

/// Jobs the worker takes together, at most.
const BACKLOG: usize = 256;

/// For each job of a backlog: whether a later one of the same queue reads its line.
fn superseded(backlog: &[Job]) -> Vec<bool> {
    let mut read_later = std::collections::HashSet::new();
    let mut out: Vec<bool> = backlog
        .iter()
        .rev()
        .map(|job| match job {
            Job::QueueChanged(change) => {
                let superseded = read_later.contains(&change.queue_id());
                if change.reads_the_line() {
                    read_later.insert(change.queue_id());
                }
                superseded
            }
            Job::Emit(_) => false,
        })
        .collect();
    out.reverse();
    out
}

async fn broadcast<A: Adapter>(io: &SocketIo<A>, emits: Vec<Emit>) -> usize {
    let sends = emits.iter().map(|e| async move {
        if let Err(err) = io.to(e.rooms.clone()).emit(e.event, &e.data).await {
            tracing::debug!(event = e.event, "realtime: emit failed: {err}");
        }
    });
    futures::future::join_all(sends).await;
    emits.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn socket_io_requests_keep_their_headers_in_memory_of_their_own()
    -> Result<(), Box<dyn std::error::Error>> {
        let buffer =
            bytes::Bytes::from_static(b"demo.localhost:3000 /socket.io/?EIO=4&transport=websocket");
        let host = HeaderValue::from_maybe_shared(buffer.slice(0..19))?;
        let uri = Uri::from_maybe_shared(buffer.slice(20..))?;
        let mut req = Request::new(Body::empty());
        *req.uri_mut() = uri.clone();
        req.headers_mut().insert("host", host.clone());
        req.headers_mut()
            .insert("x-custom", HeaderValue::from_static("1"));
        req.extensions_mut().insert(OriginalUri(uri.clone()));
        let req = detach(req);
        assert_eq!(req.uri(), &uri);
        assert_eq!(req.headers()["host"], host);
        assert_eq!(req.headers()["x-custom"], "1");
        let inside = |p: *const u8| buffer.as_ptr_range().contains(&p);
        assert!(!inside(req.headers()["host"].as_bytes().as_ptr()));
        let original = req
            .extensions()
            .get::<OriginalUri>()
            .ok_or("no OriginalUri")?;
        assert_eq!(original.0, uri);

        // Anything else is left as it is.
        let mut other = Request::new(Body::empty());
        other.headers_mut().insert("host", host);
        let other = detach(other);
        assert!(inside(other.headers()["host"].as_bytes().as_ptr()));
        Ok(())
    }

    #[test]
    fn a_change_is_superseded_only_by_a_later_line_read_of_its_queue() {
        use events::{Action, Change};
        let (a, b) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let backlog = vec![
            Job::QueueChanged(Change::bare(a, Action::Called)),
            Job::QueueChanged(Change::bare(a, Action::CustomerJoined)),
            Job::QueueChanged(Change::bare(b, Action::Called)),
            Job::Emit(Vec::new()),
            Job::QueueChanged(Change::bare(a, Action::Cancelled)),
            Job::QueueChanged(Change::bare(b, Action::Seated)),
        ];
        // a's call and join come before a's cancel, which reads a's line; b's call is followed
        // only by a seat, which does not read b's line; the last ones have nothing after them.
        assert_eq!(
            superseded(&backlog),
            [true, true, false, false, false, false]
        );
    }
}
