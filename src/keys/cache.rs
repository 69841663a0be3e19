//! The fetched-key cache: the current snapshot, the rules for answering from it (max age,
//! stale-if-error window, refetch cooldown) and the single-flight fetch.
//!
//! Reading takes a `std::sync::RwLock` read lock just long enough to clone an `Arc`; no
//! async lock is touched unless the cache cannot answer. Fetches are serialised by an async
//! mutex and counted: a caller that waited for the mutex while someone else fetched answers
//! from that fetch instead of fetching again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, watch};

use super::KeyLookup;
use super::error::FetchError;
use super::fetch::Fetcher;
use super::jwks::KeySet;
use crate::clock::SharedClock;

/// The time rules of the cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// Age after which the key set is refreshed (in the background while it still answers).
    pub(crate) max_age: Duration,
    /// Least time between two fetch attempts caused by misses or staleness.
    pub(crate) cooldown: Duration,
    /// How long past `max_age` cached keys keep answering while refetches fail.
    pub(crate) stale_if_error: Duration,
}

/// What the cache knows at one point in time. Replaced whole after every fetch attempt.
pub(crate) struct Snapshot {
    pub(crate) keys: Arc<KeySet>,
    /// When `keys` were fetched; `None` until the first successful fetch.
    pub(crate) fetched_at: Option<SystemTime>,
    /// When the last fetch attempt (success or failure) ended.
    pub(crate) last_attempt: Option<SystemTime>,
    /// Whether that attempt succeeded.
    pub(crate) last_attempt_ok: bool,
}

impl Snapshot {
    pub(crate) fn empty() -> Self {
        Self {
            keys: Arc::new(KeySet::empty()),
            fetched_at: None,
            last_attempt: None,
            last_attempt_ok: false,
        }
    }
}

/// What to do with a lookup.
pub(crate) enum Decision {
    /// Answer now.
    Answer(KeyLookup),
    /// Answer now with keys past `max_age`, and refresh in the background.
    AnswerAndRefresh(KeyLookup),
    /// Fetch before answering.
    Fetch,
}

/// Time from `then` to `now`; zero when the clock went backwards.
fn age(then: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or(Duration::ZERO)
}

impl Policy {
    /// How to answer `kid` from `snapshot` at `now`, without waiting.
    pub(crate) fn decide(&self, snapshot: &Snapshot, kid: &str, now: SystemTime) -> Decision {
        let in_cooldown = self.in_cooldown(snapshot, now);
        if let Some(found) = self.usable(snapshot, kid, now) {
            let stale = snapshot
                .fetched_at
                .is_some_and(|fetched_at| age(fetched_at, now) > self.max_age);
            return if stale && !in_cooldown {
                Decision::AnswerAndRefresh(found)
            } else {
                Decision::Answer(found)
            };
        }
        if in_cooldown {
            Decision::Answer(Self::absent(snapshot))
        } else {
            Decision::Fetch
        }
    }

    /// How to answer `kid` right after a fetch attempt (ours or a concurrent one).
    pub(crate) fn after_fetch(&self, snapshot: &Snapshot, kid: &str, now: SystemTime) -> KeyLookup {
        self.usable(snapshot, kid, now)
            .unwrap_or_else(|| Self::absent(snapshot))
    }

    /// The keys for `kid`, if cached and not past the stale-if-error window.
    fn usable(&self, snapshot: &Snapshot, kid: &str, now: SystemTime) -> Option<KeyLookup> {
        let fetched_at = snapshot.fetched_at?;
        let keys = snapshot.keys.get(kid)?;
        let limit = self.max_age.saturating_add(self.stale_if_error);
        (age(fetched_at, now) <= limit).then(|| KeyLookup::Found(Arc::clone(keys)))
    }

    /// No usable key for the kid: after a successful fetch the kid is unknown; after a
    /// failed one nobody can tell (it may be a newly rotated key), so keys are unavailable.
    fn absent(snapshot: &Snapshot) -> KeyLookup {
        if snapshot.last_attempt_ok {
            KeyLookup::UnknownKid
        } else {
            KeyLookup::Unavailable
        }
    }

    fn in_cooldown(&self, snapshot: &Snapshot, now: SystemTime) -> bool {
        snapshot
            .last_attempt
            .is_some_and(|last| age(last, now) < self.cooldown)
    }

    /// Time until the cooldown after the last attempt ends, in whole seconds, at least 1 s.
    pub(crate) fn retry_after(&self, snapshot: &Snapshot, now: SystemTime) -> Duration {
        let remaining = snapshot.last_attempt.map_or(Duration::ZERO, |last| {
            self.cooldown.saturating_sub(age(last, now))
        });
        let seconds = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
        Duration::from_secs(seconds.max(1))
    }
}

/// Keys fetched from JWKS URIs.
pub(crate) struct RemoteKeys {
    fetcher: Fetcher,
    policy: Policy,
    clock: SharedClock,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Held for the duration of one fetch.
    fetch_lock: Mutex<()>,
    /// Number of completed fetch attempts.
    attempts: watch::Sender<u64>,
    /// A background refresh is spawned and not finished.
    background: AtomicBool,
}

/// Clears the background flag when the background refresh ends, however it ends.
struct BackgroundGuard(Arc<RemoteKeys>);

impl Drop for BackgroundGuard {
    fn drop(&mut self) {
        self.0.background.store(false, Ordering::Release);
    }
}

impl RemoteKeys {
    pub(crate) fn new(fetcher: Fetcher, policy: Policy, clock: SharedClock) -> Self {
        Self {
            fetcher,
            policy,
            clock,
            snapshot: RwLock::new(Arc::new(Snapshot::empty())),
            fetch_lock: Mutex::new(()),
            attempts: watch::Sender::new(0),
            background: AtomicBool::new(false),
        }
    }

    pub(crate) fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// The current snapshot.
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn attempts(&self) -> u64 {
        *self.attempts.borrow()
    }

    /// Answers from the cache alone; may start a background refresh.
    pub(crate) fn cached(self: &Arc<Self>, kid: &str) -> Option<KeyLookup> {
        match self.policy.decide(&self.snapshot(), kid, self.clock.now()) {
            Decision::Answer(lookup) => Some(lookup),
            Decision::AnswerAndRefresh(lookup) => {
                self.spawn_refresh();
                Some(lookup)
            }
            Decision::Fetch => None,
        }
    }

    /// Answers `kid`, fetching first when the cache cannot answer (single-flight).
    pub(crate) async fn resolve(self: &Arc<Self>, kid: &str) -> KeyLookup {
        // Read before the cache: an attempt that ends after this point is seen either by
        // `cached` or by the comparison below.
        let seen = self.attempts();
        if let Some(lookup) = self.cached(kid) {
            return lookup;
        }
        {
            let _fetching = self.fetch_lock.lock().await;
            if self.attempts() == seen {
                // Failures are logged by the fetcher and recorded in the snapshot.
                let _ = self.attempt().await;
            }
        }
        self.policy
            .after_fetch(&self.snapshot(), kid, self.clock.now())
    }

    /// Fetches now, whatever the cache holds (still one fetch at a time).
    pub(crate) async fn refresh(&self) -> Result<usize, FetchError> {
        let _fetching = self.fetch_lock.lock().await;
        self.attempt().await
    }

    /// One fetch; call with `fetch_lock` held. Records the outcome in a new snapshot.
    async fn attempt(&self) -> Result<usize, FetchError> {
        let result = self.fetcher.fetch().await;
        let now = self.clock.now();
        let previous = self.snapshot();
        let (next, outcome) = match result {
            Ok(keys) => {
                let count = keys.len();
                let next = Snapshot {
                    keys: Arc::new(keys),
                    fetched_at: Some(now),
                    last_attempt: Some(now),
                    last_attempt_ok: true,
                };
                (next, Ok(count))
            }
            Err(error) => {
                if previous.fetched_at.is_some() {
                    tracing::warn!(
                        "keeping the previously fetched JWKS while the JWKS cannot be fetched"
                    );
                }
                let next = Snapshot {
                    keys: Arc::clone(&previous.keys),
                    fetched_at: previous.fetched_at,
                    last_attempt: Some(now),
                    last_attempt_ok: false,
                };
                (next, Err(error))
            }
        };
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        self.attempts
            .send_modify(|count| *count = count.wrapping_add(1));
        outcome
    }

    /// Starts a background refresh unless one is running or no Tokio runtime is present.
    fn spawn_refresh(self: &Arc<Self>) {
        if self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let guard = BackgroundGuard(Arc::clone(self));
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let seen = self.attempts();
        runtime.spawn(async move {
            let keys = &guard.0;
            let _fetching = keys.fetch_lock.lock().await;
            let current = keys.attempts();
            if current == seen {
                let _ = keys.attempt().await;
            }
        });
    }

    pub(crate) fn retry_after(&self) -> Duration {
        self.policy.retry_after(&self.snapshot(), self.clock.now())
    }

    /// Number of completed fetch attempts, to wait on in tests.
    #[cfg(test)]
    pub(crate) fn subscribe_attempts(&self) -> watch::Receiver<u64> {
        self.attempts.subscribe()
    }
}
