//! The Redis pub/sub driver behind the Socket.IO adapter (`socketioxide-redis`'s [`Driver`]).
//!
//! The crate's own driver holds one multiplexed connection and never subscribes again after
//! Redis restarts, so an instance silently stops receiving other instances' broadcasts. This
//! one uses a reconnecting [`ConnectionManager`] and a monitor task that pings Redis every
//! second; after any failure or disconnection it subscribes to every channel again as soon as
//! Redis answers, so delivery resumes by itself within a few seconds.
//!
//! While Redis is unreachable, publishing is skipped at once (and counted) instead of waiting:
//! the adapter then goes on to deliver on this instance, and HTTP never waits for Redis.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{PushInfo, PushKind, Value};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long one publish or subscribe may take before it counts as a failure.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the monitor checks the connection.
const PING_EVERY: Duration = Duration::from_secs(1);

type Handlers = RwLock<HashMap<String, mpsc::Sender<ChanItem>>>;

/// A driver that survives Redis restarts. Clones share the connection and the channels.
#[derive(Clone)]
pub struct RedisDriver(Arc<Inner>);

struct Inner {
    conn: ConnectionManager,
    /// Channel → the adapter's stream for it. Also the list to subscribe to again.
    handlers: Arc<Handlers>,
    /// Redis answered the last check and every channel is subscribed.
    healthy: Arc<AtomicBool>,
}

/// The errors the adapter sees.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer in time")]
    Timeout,
}

/// Routes one push message to the adapter's stream of its channel.
fn route(push: PushInfo, handlers: &Handlers, healthy: &AtomicBool) {
    match push.kind {
        PushKind::Message => {
            let mut data = push.data.into_iter();
            let (Some(Value::BulkString(chan)), Some(Value::BulkString(msg))) =
                (data.next(), data.next())
            else {
                return;
            };
            let Ok(chan) = String::from_utf8(chan) else {
                return;
            };
            let tx = handlers.read().ok().and_then(|h| h.get(&chan).cloned());
            if let Some(tx) = tx
                && tx.try_send((chan, msg)).is_err()
            {
                metrics::counter!("realtime_redis_messages_dropped_total").increment(1);
            }
        }
        PushKind::Disconnection if healthy.swap(false, Ordering::SeqCst) => {
            tracing::warn!("realtime: lost the Redis connection; delivering locally only");
        }
        _ => {}
    }
}

impl RedisDriver {
    /// A driver for `url` (which must ask for RESP3). Connects lazily; needs a Tokio runtime
    /// for its monitor task, which ends when the last clone is dropped.
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let handlers: Arc<Handlers> = Arc::default();
        let healthy = Arc::new(AtomicBool::new(false));
        let (h, ok) = (handlers.clone(), healthy.clone());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500))
            .set_pipeline_buffer_size(4096)
            .set_push_sender(move |push: PushInfo| {
                route(push, &h, &ok);
                Ok::<(), std::convert::Infallible>(())
            });
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        let driver = RedisDriver(Arc::new(Inner {
            conn,
            handlers,
            healthy,
        }));
        tokio::spawn(monitor(Arc::downgrade(&driver.0)));
        Ok(driver)
    }

    pub fn healthy(&self) -> bool {
        self.0.healthy.load(Ordering::SeqCst)
    }
}

/// Every second: ping; when Redis answers after a failure (or for the first time), subscribe
/// to every channel again. Ends when the driver is gone.
async fn monitor(driver: std::sync::Weak<Inner>) {
    let mut tick = tokio::time::interval(PING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reported_down = false;
    loop {
        tick.tick().await;
        let Some(inner) = driver.upgrade() else {
            return;
        };
        let mut conn = inner.conn.clone();
        let ping = tokio::time::timeout(
            COMMAND_TIMEOUT,
            redis::cmd("PING").query_async::<Value>(&mut conn),
        )
        .await;
        if !matches!(ping, Ok(Ok(_))) {
            if inner.healthy.swap(false, Ordering::SeqCst) || !reported_down {
                tracing::warn!("realtime: Redis does not answer; delivering locally only");
                reported_down = true;
            }
            continue;
        }
        if inner.healthy.load(Ordering::SeqCst) {
            continue;
        }
        let channels: Vec<String> = inner
            .handlers
            .read()
            .map(|h| h.keys().cloned().collect())
            .unwrap_or_default();
        if !channels.is_empty() {
            let sub = tokio::time::timeout(COMMAND_TIMEOUT, conn.subscribe(&channels)).await;
            if !matches!(sub, Ok(Ok(()))) {
                continue;
            }
        }
        inner.healthy.store(true, Ordering::SeqCst);
        if reported_down {
            tracing::info!(
                channels = channels.len(),
                "realtime: Redis is back; subscribed again"
            );
            reported_down = false;
        }
        metrics::counter!("realtime_redis_resubscribed_total").increment(1);
    }
}

impl Driver for RedisDriver {
    type Error = DriverError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), Self::Error> {
        if !self.healthy() {
            // Skipped, not failed: the adapter goes on to deliver on this instance.
            metrics::counter!("realtime_redis_publish_skipped_total").increment(1);
            return Ok(());
        }
        let mut conn = self.0.conn.clone();
        let sent = tokio::time::timeout(
            COMMAND_TIMEOUT,
            redis::cmd("PUBLISH")
                .arg(chan)
                .arg(val)
                .query_async::<Value>(&mut conn),
        )
        .await;
        if !matches!(sent, Ok(Ok(_))) {
            self.0.healthy.store(false, Ordering::SeqCst);
            metrics::counter!("realtime_redis_publish_skipped_total").increment(1);
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        chan: String,
        size: usize,
    ) -> Result<MessageStream<ChanItem>, Self::Error> {
        let (tx, rx) = mpsc::channel(size);
        if let Ok(mut h) = self.0.handlers.write() {
            h.insert(chan.clone(), tx);
        }
        // When Redis is down now, the monitor subscribes once it is back.
        let mut conn = self.0.conn.clone();
        let done = tokio::time::timeout(COMMAND_TIMEOUT, conn.subscribe(&chan)).await;
        if !matches!(done, Ok(Ok(()))) {
            self.0.healthy.store(false, Ordering::SeqCst);
        }
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), Self::Error> {
        if let Ok(mut h) = self.0.handlers.write() {
            h.remove(&chan);
        }
        let mut conn = self.0.conn.clone();
        tokio::time::timeout(COMMAND_TIMEOUT, conn.unsubscribe(&chan))
            .await
            .map_err(|_| DriverError::Timeout)??;
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, Self::Error> {
        let mut conn = self.0.conn.clone();
        let (_, count): (String, u16) = tokio::time::timeout(
            COMMAND_TIMEOUT,
            redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(chan)
                .query_async(&mut conn),
        )
        .await
        .map_err(|_| DriverError::Timeout)??;
        Ok(count)
    }
}
