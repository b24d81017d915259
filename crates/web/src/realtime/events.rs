//! The events of a queue change (TSD §4.2), and the call the HTTP handlers make after their
//! store call succeeded: [`queue_changed`]. It only queues a job, so the response does not wait
//! for the fan-out (only for room in the worker's queue when it is full, briefly: see
//! `CHANGE_WAIT`); the realtime worker then reads the queue and its line
//! ([`qms_store::Store::fanout_line`]) and emits:
//!
//! - `queue:update` `{queueId, action, entry, stats:{waiting, called, averageWaitTime,
//!   nextPosition}}` once per changed entry to the rooms `tenant:{tenantId}` and `queue:{id}`
//!   (a staff socket in both gets it once);
//! - `notification` `{type, queueName, position, estimatedWaitTime, message, status,
//!   ticketNumber}` to `customer:{sessionId}`: to each changed entry (`called` for a call,
//!   else `update`), and to each other waiting customer whose place or estimate differs from
//!   what they were last told ([`Memory`]); `reminder` instead of `update`, once per entry,
//!   when a customer comes near the front ([`near_the_front`]).
//!
//! Payloads are serialised straight from typed structs borrowing the rows read.

use super::rooms;
use crate::state::AppState;
use futures::StreamExt;
use qms_domain::TenantId;
use qms_domain::entry::{EntryStatus, Transition};
use qms_domain::queue::QueueSettings;
use qms_domain::wait;
use qms_store::{FanoutLine, LineRead, Queue, QueueEntry, QueueStats, QueueSummary, StoreResult};
use serde::Serialize;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Queues whose customers' last notification is remembered, at most; the one changed longest
/// ago is forgotten first (its customers may then get one `update` that changes nothing).
const REMEMBERED_QUEUES: usize = 4096;

/// Customer emits of one job in flight at a time.
const EMITS_IN_FLIGHT: usize = 64;

/// Customer emits between two yields of the worker (so that sockets' writers get to run).
const EMITS_PER_YIELD: usize = 256;

/// A customer this close to the front is reminded whatever the estimate says.
const REMIND_AT_PLACE: i64 = 2;

/// What happened to a queue (`queue:update`'s `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CustomerJoined,
    Called,
    Seated,
    Completed,
    Cancelled,
    NoShow,
    Requeued,
    Reordered,
    /// The queue's settings changed (pause, capacity, …); `entry` is null.
    Updated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CustomerJoined => "customer-joined",
            Action::Called => "called",
            Action::Seated => "seated",
            Action::Completed => "completed",
            Action::Cancelled => "cancelled",
            Action::NoShow => "no-show",
            Action::Requeued => "requeued",
            Action::Reordered => "reordered",
            Action::Updated => "updated",
        }
    }

    /// True when the move can change other customers' places or estimates.
    fn moves_the_line(self) -> bool {
        matches!(self, Action::Called | Action::Cancelled | Action::Reordered)
    }

    /// True when the move changes no one's place or estimate but the changed entries' own: a
    /// join or requeue at the end of the line, a called customer seated, done or missed.
    fn moves_nobody_else(self) -> bool {
        matches!(
            self,
            Action::CustomerJoined
                | Action::Seated
                | Action::Completed
                | Action::NoShow
                | Action::Requeued
        )
    }
}

impl From<Transition> for Action {
    fn from(t: Transition) -> Self {
        match t {
            Transition::Call => Action::Called,
            Transition::Seat => Action::Seated,
            Transition::Complete => Action::Completed,
            Transition::Cancel => Action::Cancelled,
            Transition::NoShow => Action::NoShow,
            Transition::Requeue => Action::Requeued,
        }
    }
}

/// Tells staff and customers that a queue changed. Call after the change committed; returns
/// at once (the worker does the rest, in order). `entries` are the entries the change touched
/// (none for a reorder or a settings change).
pub async fn queue_changed(
    state: &AppState,
    tenant: TenantId,
    queue_id: Uuid,
    action: Action,
    entries: Vec<QueueEntry>,
) {
    state
        .realtime
        .submit_change(super::Job::QueueChanged(Change {
            tenant,
            queue_id,
            action,
            entries,
            known: None,
        }))
        .await;
}

/// Tells staff and the customer that `entry` joined: as [`queue_changed`], with the queue and
/// its numbers as the join left them (the store's answer), so the worker reads nothing.
pub async fn customer_joined(
    state: &AppState,
    tenant: TenantId,
    entry: QueueEntry,
    queue: Box<QueueSummary>,
) {
    state
        .realtime
        .submit_change(super::Job::QueueChanged(Change {
            tenant,
            queue_id: queue.queue.id,
            action: Action::CustomerJoined,
            entries: vec![entry],
            known: Some(queue),
        }))
        .await;
}

/// One change of a queue, for the worker.
#[derive(Debug)]
pub struct Change {
    tenant: TenantId,
    queue_id: Uuid,
    action: Action,
    entries: Vec<QueueEntry>,
    /// The queue and its numbers right after the change, when the change answered them.
    known: Option<Box<QueueSummary>>,
}

impl Change {
    pub(super) fn queue_id(&self) -> Uuid {
        self.queue_id
    }

    /// A change with no entries (for the worker's tests).
    #[cfg(test)]
    pub(super) fn bare(queue_id: Uuid, action: Action) -> Self {
        Change {
            tenant: TenantId(Uuid::nil()),
            queue_id,
            action,
            entries: Vec::new(),
            known: None,
        }
    }

    /// True when its fan-out reads the whole line to tell everyone who moved.
    pub(super) fn reads_the_line(&self) -> bool {
        !self.action.moves_nobody_else()
    }
}

/// `notification`'s `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Called,
    Reminder,
    Update,
}

/// `notification`'s payload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification<'a> {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub queue_name: &'a str,
    pub position: i64,
    pub estimated_wait_time: i32,
    /// Written straight into the payload (no string of its own).
    pub message: Message,
    pub status: EntryStatus,
    pub ticket_number: &'a str,
}

impl<'a> Notification<'a> {
    fn new(
        kind: Kind,
        queue_name: &'a str,
        status: EntryStatus,
        position: i64,
        estimate: i32,
        ticket_number: &'a str,
    ) -> Self {
        Notification {
            kind,
            queue_name,
            position,
            estimated_wait_time: estimate,
            message: Message {
                kind,
                status,
                position,
                estimate,
            },
            status,
            ticket_number,
        }
    }
}

/// The sentence a customer is shown, from their numbers.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    kind: Kind,
    status: EntryStatus,
    position: i64,
    estimate: i32,
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Message {
            kind,
            status,
            position,
            estimate,
        } = *self;
        match status {
            EntryStatus::Waiting if kind == Kind::Reminder && position == 1 => {
                f.write_str("Almost your turn: you are next in line. Please stay close.")
            }
            EntryStatus::Waiting if kind == Kind::Reminder => write!(
                f,
                "Almost your turn: you are number {position} in line, about {estimate} min to \
                 wait. Please stay close."
            ),
            EntryStatus::Waiting if position == 1 => f.write_str("You are next in line."),
            EntryStatus::Waiting => write!(
                f,
                "You are number {position} in line, about {estimate} min to wait."
            ),
            EntryStatus::Called => f.write_str("It's your turn! Please come to the counter."),
            EntryStatus::Seated => f.write_str("You have been seated. Enjoy!"),
            EntryStatus::Completed => f.write_str("Thank you for visiting."),
            EntryStatus::Cancelled => f.write_str("Your place in line was cancelled."),
            EntryStatus::NoShow => {
                f.write_str("We called you but missed you. Ask staff to put you back in line.")
            }
        }
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `queue:update`'s payload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct QueueUpdate<'a> {
    queue_id: Uuid,
    action: &'static str,
    entry: Option<&'a QueueEntry>,
    stats: &'a QueueStats,
}

/// What a waiting customer was last told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Told {
    position: i64,
    estimate: i32,
    reminded: bool,
}

/// What each waiting customer of a queue was last told, kept by the worker between jobs so
/// that a customer hears only of a change. Bounded: the waiting lines of at most
/// [`REMEMBERED_QUEUES`] queues (an entry is forgotten when it leaves the line).
#[derive(Debug, Default)]
pub(super) struct Memory {
    queues: HashMap<Uuid, (u64, HashMap<Uuid, Told>)>,
    tick: u64,
    /// Queues whose waiting line, when last read, had no customer listening on this instance,
    /// with the tenant's count of customer joins before that read
    /// ([`super::Realtime::customer_joins`]): while no customer of the tenant has joined since,
    /// nobody is there to be told of a move, and the fan-out reads only the queue's numbers.
    quiet: HashMap<Uuid, u64>,
}

impl Memory {
    /// True when `queue` was quiet at `joins` customer joins of its tenant and still is.
    fn is_quiet(&self, queue: Uuid, joins: u64) -> bool {
        self.quiet.get(&queue) == Some(&joins)
    }

    /// Notes whether `queue`'s line, read after `joins` customer joins, had nobody listening.
    fn set_quiet(&mut self, queue: Uuid, joins: u64, quiet: bool) {
        if !quiet {
            self.quiet.remove(&queue);
            return;
        }
        if self.quiet.len() >= REMEMBERED_QUEUES {
            self.quiet.clear();
        }
        self.quiet.insert(queue, joins);
    }

    fn take(&mut self, queue: Uuid) -> Option<HashMap<Uuid, Told>> {
        self.queues.remove(&queue).map(|(_, told)| told)
    }

    fn keep(&mut self, queue: Uuid, told: HashMap<Uuid, Told>) {
        self.tick += 1;
        if self.queues.len() >= REMEMBERED_QUEUES {
            let oldest = self
                .queues
                .iter()
                .min_by_key(|(_, (tick, _))| *tick)
                .map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                self.queues.remove(&oldest);
            }
        }
        self.queues.insert(queue, (self.tick, told));
    }
}

/// True when a waiting customer at `position` with `estimate` minutes to wait is near the
/// front: within the queue's `notificationInterval` minutes, or at place
/// [`REMIND_AT_PLACE`] or better. Never with `autoNotifications` off.
fn near_the_front(settings: &QueueSettings, position: i64, estimate: i32) -> bool {
    settings.auto_notifications
        && position >= 1
        && (position <= REMIND_AT_PLACE || estimate <= settings.notification_interval)
}

/// The queue and its numbers as first read in one backlog of the worker, by queue: what the
/// superseded changes of that backlog tell staff (see [`fan_out`]).
pub(super) type BacklogNumbers = HashMap<Uuid, (Queue, QueueStats)>;

/// Reads the queue and its line, then emits every event of one change (run by the worker).
/// With `remember` false (several instances, where changes made elsewhere are not seen) every
/// waiting customer hears of a move that can shift the line. Only the queue's numbers are read,
/// not its line, when the changed entries' own customers and staff are all there is to tell:
///
/// - a change `superseded` by a later one of the same queue that reads the line (the worker
///   knows, from its backlog; only with `remember`) is told with the queue's numbers as read
///   once for that backlog: the later fan-out tells everyone else where the changes left them,
///   once, with the numbers of then;
/// - a change that moves nobody else ([`Action::moves_nobody_else`]);
/// - a change of a quiet queue ([`Memory`]; only with `remember`): its line had nobody
///   listening when last read, and no customer of its tenant has joined since.
///
/// Answers the number of emits.
pub(super) async fn fan_out<A: Adapter>(
    io: &SocketIo<A>,
    state: &AppState,
    memory: &mut Memory,
    remember: bool,
    superseded: Option<&mut BacklogNumbers>,
    change: Change,
) -> StoreResult<usize> {
    let Change {
        tenant,
        queue_id,
        action,
        entries: changed,
        known,
    } = change;
    let started = std::time::Instant::now();
    let store = &state.store;
    let change = (tenant, queue_id, action, changed);
    if let Some(known) = known {
        return tell_the_changed(io, memory, &known.queue.settings, &known.stats, change).await;
    }
    if let Some(numbers) = superseded.filter(|_| remember) {
        let (queue, stats) = match numbers.get(&queue_id) {
            Some(read) => read.clone(),
            None => {
                let now = OffsetDateTime::now_utc();
                let read = store.fanout_line(tenant, queue_id, now, LineRead::Count);
                let Some(line) = read.await? else {
                    memory.take(queue_id);
                    return Ok(0);
                };
                let stats = line_stats(&line, now).0;
                numbers.insert(queue_id, (line.queue.clone(), stats));
                (line.queue, stats)
            }
        };
        return tell_the_changed(io, memory, &queue.settings, &stats, change).await;
    }
    let joins = state.realtime.customer_joins(tenant);
    let quiet = remember && memory.is_quiet(queue_id, joins);
    let now = OffsetDateTime::now_utc();
    if quiet || action.moves_nobody_else() {
        let read = store.fanout_line(tenant, queue_id, now, LineRead::Count);
        let Some(line) = read.await? else {
            memory.take(queue_id);
            return Ok(0);
        };
        let stats = line_stats(&line, now).0;
        return tell_the_changed(io, memory, &line.queue.settings, &stats, change).await;
    }
    let (tenant, queue_id, action, changed) = change;
    let read = store.fanout_line(tenant, queue_id, now, LineRead::Spots);
    let Some(line) = read.await? else {
        memory.take(queue_id);
        return Ok(0);
    };
    if remember {
        // Is anyone in this line listening here? (Stops at the first who is.)
        let nobody = line.waiting.iter().all(|spot| {
            io.to(rooms::customer(&spot.session_id))
                .sockets()
                .is_empty()
        });
        memory.set_quiet(queue_id, joins, nobody);
    }
    let queue = &line.queue;
    let (stats, turn) = line_stats(&line, now);
    let fresh = refresh(changed, &line, turn);

    let staff = [rooms::tenant(tenant), rooms::queue(queue_id)];
    let updates: Vec<QueueUpdate<'_>> = if fresh.is_empty() {
        vec![QueueUpdate {
            queue_id,
            action: action.as_str(),
            entry: None,
            stats: &stats,
        }]
    } else {
        fresh
            .iter()
            .map(|e| QueueUpdate {
                queue_id,
                action: action.as_str(),
                entry: Some(e),
                stats: &stats,
            })
            .collect()
    };
    let before = memory.take(queue_id);
    let (notices, told) = notices(
        &queue.settings,
        &line,
        turn,
        action,
        &fresh,
        before.as_ref(),
        remember,
    );
    memory.keep(queue_id, told);
    // On one instance every room is here: a customer with no socket open now is not sent
    // anything (their page reads its place again when it connects).
    let notices: Notices<'_> = if remember {
        notices
            .into_iter()
            .filter(|(session, _)| !io.to(rooms::customer(session)).sockets().is_empty())
            .collect()
    } else {
        notices
    };
    tracing::debug!(
        waiting = line.waiting.len(),
        notices = notices.len(),
        planned = ?started.elapsed(),
        "realtime: fan-out read and planned"
    );

    let count = updates.len() + notices.len();
    for u in &updates {
        if let Err(err) = io.to(staff.clone()).emit("queue:update", u).await {
            tracing::debug!("realtime: queue:update failed: {err}");
        }
    }
    // In-process rooms answer at once, so the loop below would keep this thread until the last
    // customer is handed their event, while the sockets' writers wait for it: yielding now and
    // then lets the boards' and the first customers' frames go out meanwhile. Through Redis
    // each emit is a publish, so a few run at a time.
    tokio::task::yield_now().await;
    for batch in notices.chunks(EMITS_PER_YIELD) {
        futures::stream::iter(batch)
            .for_each_concurrent(EMITS_IN_FLIGHT, |(session, n)| async move {
                if let Err(err) = io
                    .to(rooms::customer(session))
                    .emit("notification", n)
                    .await
                {
                    tracing::debug!("realtime: notification failed: {err}");
                }
            })
            .await;
        tokio::task::yield_now().await;
    }
    Ok(count)
}

/// The fan-out of a change that moves nobody else ([`Action::moves_nobody_else`]), or of one
/// superseded (see [`fan_out`]): the queue's numbers and the changed entries (as the store
/// answered them, right after the change) are all it needs, so the waiting line is not read.
/// Staff hear `queue:update`; the changed customers their `called` or `update`; what they were
/// told is remembered as by [`fan_out`].
async fn tell_the_changed<A: Adapter>(
    io: &SocketIo<A>,
    memory: &mut Memory,
    settings: &QueueSettings,
    stats: &QueueStats,
    change: (TenantId, Uuid, Action, Vec<QueueEntry>),
) -> StoreResult<usize> {
    let (tenant, queue_id, action, changed) = change;
    let staff = [rooms::tenant(tenant), rooms::queue(queue_id)];
    let mut told = memory.take(queue_id).unwrap_or_default();
    let mut count = 0;
    for e in &changed {
        let update = QueueUpdate {
            queue_id,
            action: action.as_str(),
            entry: Some(e),
            stats,
        };
        if let Err(err) = io.to(staff.clone()).emit("queue:update", &update).await {
            tracing::debug!("realtime: queue:update failed: {err}");
        }
        let notice = Notification::new(
            kind_for(action, e),
            &settings.name,
            e.status,
            e.position,
            e.estimated_wait_time,
            &e.ticket_number,
        );
        if let Err(err) = io
            .to(rooms::customer(&e.session_id))
            .emit("notification", &notice)
            .await
        {
            tracing::debug!("realtime: notification failed: {err}");
        }
        count += 2;
        if e.status == EntryStatus::Waiting {
            // One who joins near the front needs no reminder (as in `notices`).
            let near = near_the_front(settings, e.position, e.estimated_wait_time);
            told.insert(
                e.id,
                Told {
                    position: e.position,
                    estimate: e.estimated_wait_time,
                    reminded: near,
                },
            );
        } else {
            told.remove(&e.id);
        }
    }
    if changed.is_empty() {
        // A superseded reorder or settings change still tells staff what happened.
        let update = QueueUpdate {
            queue_id,
            action: action.as_str(),
            entry: None,
            stats,
        };
        if let Err(err) = io.to(staff).emit("queue:update", &update).await {
            tracing::debug!("realtime: queue:update failed: {err}");
        }
        count += 1;
    }
    memory.keep(queue_id, told);
    Ok(count)
}

/// The queue's numbers and pace (minutes per turn) from its line as of `now`.
fn line_stats(line: &FanoutLine, now: OffsetDateTime) -> (QueueStats, f64) {
    let configured = line.queue.settings.average_service_time;
    let turn = wait::minutes_per_turn(&line.recent_calls, now, configured);
    let stats = QueueStats::from_counts(line.waiting_count, line.called, turn);
    (stats, turn)
}

/// What a changed entry's own customer is told: `called` when this change called them.
fn kind_for(action: Action, e: &QueueEntry) -> Kind {
    if action == Action::Called && e.status == EntryStatus::Called {
        Kind::Called
    } else {
        Kind::Update
    }
}

/// The changed entries with their place and estimate as of now (a waiting one from the line).
fn refresh(mut changed: Vec<QueueEntry>, line: &FanoutLine, turn: f64) -> Vec<QueueEntry> {
    for (i, spot) in line.waiting.iter().enumerate() {
        if let Some(e) = changed.iter_mut().find(|e| e.id == spot.id) {
            e.status = EntryStatus::Waiting;
            e.position = i as i64 + 1;
            e.estimated_wait_time = wait::estimate_minutes(e.position, turn);
        }
    }
    changed
}

type Notices<'a> = Vec<(&'a str, Notification<'a>)>;

/// Who is told what after one change, and what the waiting line has now been told.
fn notices<'a>(
    settings: &'a QueueSettings,
    line: &'a FanoutLine,
    turn: f64,
    action: Action,
    fresh: &'a [QueueEntry],
    before: Option<&HashMap<Uuid, Told>>,
    remember: bool,
) -> (Notices<'a>, HashMap<Uuid, Told>) {
    let name = settings.name.as_str();
    let mut notices = Vec::new();
    for e in fresh {
        notices.push((
            e.session_id.as_str(),
            Notification::new(
                kind_for(action, e),
                name,
                e.status,
                e.position,
                e.estimated_wait_time,
                &e.ticket_number,
            ),
        ));
    }
    let mut told = HashMap::with_capacity(line.waiting.len());
    for (i, spot) in line.waiting.iter().enumerate() {
        let position = i as i64 + 1;
        let estimate = wait::estimate_minutes(position, turn);
        let near = near_the_front(settings, position, estimate);
        let last = before.and_then(|b| b.get(&spot.id)).copied();
        let mut reminded = last.is_some_and(|t| t.reminded);
        let now_told = |reminded| Told {
            position,
            estimate,
            reminded,
        };
        if fresh.iter().any(|e| e.id == spot.id) {
            // Told just above; one who joins near the front needs no reminder.
            told.insert(spot.id, now_told(reminded || near));
            continue;
        }
        let moved = match last {
            Some(t) if remember => t.position != position || t.estimate != estimate,
            _ => action.moves_the_line(),
        };
        let kind = if near && !reminded {
            // Someone first seen near the front (nothing remembered, e.g. after a restart) is
            // reminded with a move of the line, else with the queue's next change.
            (last.is_some() || moved).then_some(Kind::Reminder)
        } else {
            moved.then_some(Kind::Update)
        };
        if let Some(kind) = kind {
            reminded |= kind == Kind::Reminder;
            notices.push((
                spot.session_id.as_str(),
                Notification::new(
                    kind,
                    name,
                    EntryStatus::Waiting,
                    position,
                    estimate,
                    &spot.ticket_number,
                ),
            ));
        }
        told.insert(spot.id, now_told(reminded));
    }
    (notices, told)
}

#[cfg(test)]
mod tests {
    use super::*;
    use qms_store::LineSpot;

    fn line(ids: &[Uuid]) -> FanoutLine {
        let now = OffsetDateTime::now_utc();
        FanoutLine {
            waiting_count: ids.len() as i64,
            queue: Queue {
                id: Uuid::now_v7(),
                tenant_id: TenantId(Uuid::now_v7()),
                merchant_id: Uuid::now_v7(),
                settings: QueueSettings::with_name("Main"),
                current_serving: 0,
                created_at: now,
                updated_at: now,
            },
            waiting: ids
                .iter()
                .map(|id| LineSpot {
                    id: *id,
                    session_id: id.simple().to_string(),
                    ticket_number: "M-001".into(),
                })
                .collect(),
            called: 0,
            recent_calls: Vec::new(),
        }
    }

    fn kinds(n: &Notices<'_>) -> Vec<(i64, Kind)> {
        n.iter().map(|(_, n)| (n.position, n.kind)).collect()
    }

    #[test]
    fn only_changes_are_told_and_reminders_come_once() {
        let settings = QueueSettings::with_name("Main");
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        // First sight after a call (nothing remembered): everyone hears, the near ones with a
        // reminder.
        let l = line(&ids);
        let (n, told) = notices(&settings, &l, 30.0, Action::Called, &[], None, true);
        assert_eq!(
            kinds(&n),
            vec![
                (1, Kind::Reminder),
                (2, Kind::Reminder),
                (3, Kind::Update),
                (4, Kind::Update),
                (5, Kind::Update)
            ]
        );
        // The last one leaves: nobody else moved, nobody hears.
        let l = line(&ids[..4]);
        let (n, told) = notices(
            &settings,
            &l,
            30.0,
            Action::Cancelled,
            &[],
            Some(&told),
            true,
        );
        assert!(n.is_empty(), "{n:?}");
        // The first one leaves: everyone moves up, the new second is reminded.
        let l = line(&ids[1..4]);
        let (n, told) = notices(&settings, &l, 30.0, Action::Called, &[], Some(&told), true);
        assert_eq!(
            kinds(&n),
            vec![(1, Kind::Update), (2, Kind::Reminder), (3, Kind::Update)]
        );
        // Without memory of its own (several instances), a move tells everyone.
        let (n, _) = notices(
            &settings,
            &l,
            30.0,
            Action::Cancelled,
            &[],
            Some(&told),
            false,
        );
        assert_eq!(n.len(), 3);
        assert!(n.iter().all(|(_, n)| n.kind == Kind::Update));
    }

    #[test]
    fn near_the_front_follows_the_settings() {
        let mut s = QueueSettings::with_name("Main");
        s.notification_interval = 15;
        assert!(near_the_front(&s, 2, 60));
        assert!(near_the_front(&s, 4, 15));
        assert!(!near_the_front(&s, 4, 16));
        assert!(!near_the_front(&s, 0, 0));
        s.auto_notifications = false;
        assert!(!near_the_front(&s, 1, 5));
    }

    #[test]
    fn memory_is_bounded() {
        let mut m = Memory::default();
        let first = Uuid::now_v7();
        m.keep(first, HashMap::new());
        for _ in 0..REMEMBERED_QUEUES {
            m.keep(Uuid::now_v7(), HashMap::new());
        }
        assert_eq!(m.queues.len(), REMEMBERED_QUEUES);
        assert!(m.take(first).is_none(), "the oldest is forgotten");
    }

    #[test]
    fn a_queue_is_quiet_only_until_a_customer_of_its_tenant_joins() {
        let mut m = Memory::default();
        let (q, other) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(!m.is_quiet(q, 0), "unknown queues are not quiet");
        m.set_quiet(q, 3, true);
        assert!(m.is_quiet(q, 3));
        assert!(!m.is_quiet(other, 3));
        assert!(
            !m.is_quiet(q, 4),
            "a customer joined since the line was read"
        );
        m.set_quiet(q, 4, false);
        assert!(
            !m.is_quiet(q, 3) && !m.is_quiet(q, 4),
            "someone listens now"
        );
        for _ in 0..=REMEMBERED_QUEUES {
            m.set_quiet(Uuid::now_v7(), 0, true);
        }
        assert!(m.quiet.len() <= REMEMBERED_QUEUES, "bounded");
    }
}
