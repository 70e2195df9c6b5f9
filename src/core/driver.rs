//! The driver: what the worker does around the engine, decided without IO so
//! host tests cover it (after glean's upload scheduler). It answers when to
//! wake (an in-worker timer, cheap and precise but dying with the worker, and
//! a `chrome.alarms` alarm that survives it), when to persist (debounced, or at
//! once, and always before a new batch is sent), when a `flush()` has settled,
//! and how much `keepalive` budget a request may use.

use super::engine::{Action, Engine, Request};
use super::ids::Entropy;
use super::time::Millis;

/// Accepted items reach storage within this delay (the contract says 1 s).
pub const PERSIST_DELAY_MS: Millis = 200;
/// MV3 kills a worker whose fetch takes over 30 s; give up before that.
pub const REQUEST_TIMEOUT_MS: u32 = 25_000;
/// `chrome.alarms` cannot fire sooner than this after being set.
pub const ALARM_MIN_DELAY_MS: Millis = 30_000;
/// In-flight `keepalive` bodies share this budget (Chrome's is 64 KiB).
pub const KEEPALIVE_BUDGET: usize = 60_000;
/// An alarm within this much of the wanted time is left alone: re-creating
/// it costs a browser round trip.
const ALARM_SLACK_MS: Millis = 1_000;
/// After storage refuses a write, the next try waits this long, doubling
/// with every refusal up to [`STORAGE_RETRY_MAX_MS`]: space may come back
/// (the extension frees some), and hammering a full storage helps nobody.
pub const STORAGE_RETRY_MS: Millis = 1_000;
/// The longest wait between two writes to a refusing storage.
pub const STORAGE_RETRY_MAX_MS: Millis = 60_000;

/// A change to a timer or alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// Leave it as it is.
    Keep,
    /// Cancel it.
    Clear,
    /// (Re-)arm it for this time.
    At(Millis),
}

/// Everything one [`Driver::tick`] asks of the platform, in this order:
/// persist (if `persist_now`), then send and read, then arm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Write storage now (a new batch must be stored before it is sent; a
    /// `daily_active` mark must not be repeated by a worker stopped right after).
    pub persist_now: bool,
    /// Requests to send.
    pub sends: Vec<Request>,
    /// Chunk keys to read and hand to [`Engine::on_read`].
    pub reads: Vec<Vec<String>>,
    /// The in-worker wake-up timer.
    pub timer: Arm,
    /// The `chrome.alarms` wake-up.
    pub alarm: Arm,
    /// Every pending `flush()` can resolve now.
    pub settle_flushes: bool,
}

/// The driver's memory between ticks.
#[derive(Debug, Clone, Default)]
pub struct Driver {
    timer_at: Option<Millis>,
    alarm_at: Option<Millis>,
    keepalive_in_use: usize,
    persist_armed: bool,
    /// Writes storage refused in a row.
    refused_writes: u32,
    reads_pending: usize,
    flushes: usize,
}

impl Driver {
    /// A driver with nothing armed (a fresh worker).
    pub fn new() -> Driver {
        Driver::default()
    }

    /// Polls the engine until it has nothing to do now, and decides timers,
    /// alarm, persistence and flush settling.
    pub fn tick(&mut self, engine: &mut Engine, now: Millis, entropy: &mut dyn Entropy) -> Plan {
        let marked_day = engine.mark_daily_active(now, entropy);
        let mut sends = Vec::new();
        let mut reads = Vec::new();
        let wake = loop {
            match engine.poll(now, entropy) {
                Action::Send(request) => sends.push(request),
                Action::Read(keys) => reads.push(keys),
                Action::WaitUntil(at) => break Some(at),
                Action::Idle => break None,
            }
        };
        self.reads_pending += reads.len();
        let keep_timer =
            matches!((self.timer_at, wake), (Some(armed), Some(at)) if armed <= at && armed > now);
        let timer = if keep_timer {
            Arm::Keep
        } else {
            let had = std::mem::replace(&mut self.timer_at, wake);
            match wake {
                Some(at) => Arm::At(at),
                None if had.is_some() => Arm::Clear,
                None => Arm::Keep,
            }
        };
        let wanted = engine
            .has_pending()
            .then(|| wake.unwrap_or(now).max(now + ALARM_MIN_DELAY_MS));
        let alarm = match (self.alarm_at, wanted) {
            (None, None) => Arm::Keep,
            (Some(_), None) => {
                self.alarm_at = None;
                Arm::Clear
            }
            (armed, Some(at)) => {
                if armed.map_or(true, |armed| armed <= now || at + ALARM_SLACK_MS < armed) {
                    self.alarm_at = Some(at);
                    Arm::At(at)
                } else {
                    Arm::Keep
                }
            }
        };
        let settle_flushes = self.flushes > 0 && !engine.has_in_flight() && self.reads_pending == 0;
        if settle_flushes {
            self.flushes = 0;
            engine.end_flush();
        }
        let persist_now = marked_day || (!sends.is_empty() && engine.needs_persist_before_send());
        Plan {
            persist_now,
            sends,
            reads,
            timer,
            alarm,
            settle_flushes,
        }
    }

    /// The in-worker timer fired.
    pub fn timer_fired(&mut self) {
        self.timer_at = None;
    }

    /// A read from [`Plan::reads`] finished (either way).
    pub fn read_done(&mut self) {
        self.reads_pending = self.reads_pending.saturating_sub(1);
    }

    /// A `flush()` began: the engine skips age thresholds and backoff until
    /// the next tick that finds nothing in flight.
    pub fn begin_flush(&mut self, engine: &mut Engine, now: Millis) {
        self.flushes += 1;
        engine.request_flush(now);
    }

    /// After a recording call: `Some(delay)` when the debounced persist must
    /// be armed (once until [`Driver::persist_started`]).
    pub fn persist_delay(&mut self, engine: &Engine) -> Option<Millis> {
        if !engine.is_dirty() || self.persist_armed {
            return None;
        }
        self.persist_armed = true;
        if !engine.storage_refused() {
            self.refused_writes = 0;
            return Some(PERSIST_DELAY_MS);
        }
        self.refused_writes = self.refused_writes.saturating_add(1);
        let doublings = (self.refused_writes - 1).min(16);
        Some((STORAGE_RETRY_MS << doublings).min(STORAGE_RETRY_MAX_MS))
    }

    /// The debounced persist fired (or a persist ran at once).
    pub fn persist_started(&mut self) {
        self.persist_armed = false;
    }

    /// Whether a body of `size` bytes may use `keepalive` (it survives the
    /// worker being stopped); if so, it holds that much budget until released.
    pub fn take_keepalive(&mut self, size: usize) -> bool {
        let fits = self.keepalive_in_use + size <= KEEPALIVE_BUDGET;
        if fits {
            self.keepalive_in_use += size;
        }
        fits
    }

    /// A `keepalive` request of `size` bytes ended.
    pub fn release_keepalive(&mut self, size: usize) {
        self.keepalive_in_use = self.keepalive_in_use.saturating_sub(size);
    }
}
