//! Where the current time comes from.
//!
//! Every time-dependent decision of the crate (token expiry, `nbf`, claim ages, key cache
//! age, refetch cooldown) reads a [`Clock`], so tests move time instead of sleeping.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use tower_supertokens::clock::{Clock, ManualClock};
//!
//! let clock = ManualClock::at_unix_seconds(1_733_507_300);
//! clock.advance(Duration::from_secs(5));
//! assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_733_507_305));
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock. The default everywhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Clone, Default)]
pub struct ManualClock {
    micros_since_epoch: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `time`.
    #[must_use]
    pub fn new(time: SystemTime) -> Self {
        let clock = Self::default();
        clock.set(time);
        clock
    }

    /// A clock standing at `seconds` after the Unix epoch.
    #[must_use]
    pub fn at_unix_seconds(seconds: u64) -> Self {
        Self::new(UNIX_EPOCH + Duration::from_secs(seconds))
    }

    /// Moves the clock to `time`.
    pub fn set(&self, time: SystemTime) {
        let micros = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        self.micros_since_epoch.store(micros, Ordering::SeqCst);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let micros = u64::try_from(by.as_micros()).unwrap_or(u64::MAX);
        self.micros_since_epoch.fetch_add(micros, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_micros(self.micros_since_epoch.load(Ordering::SeqCst))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// Shared handle to a clock, as stored in configurations.
pub(crate) type SharedClock = Arc<dyn Clock>;
