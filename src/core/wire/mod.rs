//! Wire format v1 (`docs/DESIGN.md` section 5): endpoints, drop reasons, the
//! batch envelope and the deletion body. Item bodies are in [`items`].

pub mod items;

use super::json::push_string as push_json_string;
/// The digit writer, re-exported for the engine and the glue (it lives in [`super::json`]).
pub use super::json::push_u64;
use super::json::{Json, PushByte};

/// The SDK's name as sent in every batch.
pub const SDK_NAME: &str = "mv3-telemetry";
/// The SDK's version as sent in every batch (the crate's).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a request goes. The four ingestion endpoints each have a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `/v1/events`: usage events.
    Events,
    /// `/v1/errors`: captured errors.
    Errors,
    /// `/v1/performance`: timing aggregates.
    Performance,
    /// `/v1/feedback`: user feedback.
    Feedback,
    /// `/v1/deletion`: the one request sent when consent is revoked.
    Deletion,
}

impl Endpoint {
    /// The endpoints that carry items, in queue order.
    pub const INGESTION: [Endpoint; 4] = [
        Endpoint::Events,
        Endpoint::Errors,
        Endpoint::Performance,
        Endpoint::Feedback,
    ];

    /// The URL path, appended to the configured collector origin.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Events => "/v1/events",
            Endpoint::Errors => "/v1/errors",
            Endpoint::Performance => "/v1/performance",
            Endpoint::Feedback => "/v1/feedback",
            Endpoint::Deletion => "/v1/deletion",
        }
    }

    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 5] = [
        Endpoint::Events,
        Endpoint::Errors,
        Endpoint::Performance,
        Endpoint::Feedback,
        Endpoint::Deletion,
    ];

    /// The lowercase name (`events`, `errors`, `performance`, `feedback`,
    /// `deletion`): how a persisted record names the endpoint.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Events => "events",
            Endpoint::Errors => "errors",
            Endpoint::Performance => "performance",
            Endpoint::Feedback => "feedback",
            Endpoint::Deletion => "deletion",
        }
    }

    /// The endpoint of a lowercase [`name`](Endpoint::name).
    pub fn from_name(name: &str) -> Option<Endpoint> {
        // Over the array by reference: by value, iterating links an
        // `array::IntoIter` and its fold for the type.
        Endpoint::ALL.iter().find(|e| e.name() == name).copied()
    }

    /// Appends the endpoint as a JSON string of its lowercase name: `"events"`.
    pub fn to_json(self, out: &mut String) {
        out.push_byte(b'"');
        out.push_str(self.name());
        out.push_byte(b'"');
    }

    /// Reads what [`to_json`](Endpoint::to_json) wrote; `None` for anything else.
    pub fn from_json(value: &Json) -> Option<Endpoint> {
        Endpoint::from_name(value.as_str()?)
    }

    /// Index of its lane (ingestion endpoints only).
    pub(crate) fn lane_index(self) -> Option<usize> {
        Endpoint::INGESTION.iter().position(|e| *e == self)
    }
}

/// Why an item was not delivered. Every drop is counted under one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// `maxQueuedItems` reached: the oldest item made room for a new one.
    QueueFull,
    /// Removed by `sampleRate`.
    Sampled,
    /// `beforeSend` returned `null`.
    BeforeSend,
    /// The collector answered 4xx (not 408/429): retrying cannot help.
    Rejected,
    /// Unusable input: empty name, wrong type.
    Invalid,
    /// `retry.maxAttempts` failed attempts.
    RetryExhausted,
    /// `beforeSend` threw; the item was kept unchanged, the failure counted.
    HookError,
    /// Storage refused a write (quota) or `maxStorageBytes` was reached: the
    /// oldest items made room (`docs/persistence.md`, "Storage refuses").
    StorageFull,
    /// Stored state that could not be read or validated (garbage under the
    /// SDK's keys, a missing chunk, a record of a later version).
    CorruptState,
    /// Sentry answered with a rate limit for the item's category (or one
    /// was running when it was due): not sent, since Sentry would refuse it
    /// (`docs/destinations.md`, "Responses").
    RateLimitBackoff,
}

impl DropReason {
    /// Every reason, in wire order.
    pub const ALL: [DropReason; 10] = [
        DropReason::QueueFull,
        DropReason::Sampled,
        DropReason::BeforeSend,
        DropReason::Rejected,
        DropReason::Invalid,
        DropReason::RetryExhausted,
        DropReason::HookError,
        DropReason::StorageFull,
        DropReason::CorruptState,
        DropReason::RateLimitBackoff,
    ];

    /// The key used in `dropped` on the wire and in `stats()`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::Sampled => "sampled",
            DropReason::BeforeSend => "before_send",
            DropReason::Rejected => "rejected",
            DropReason::Invalid => "invalid",
            DropReason::RetryExhausted => "retry_exhausted",
            DropReason::HookError => "hook_error",
            DropReason::StorageFull => "storage_full",
            DropReason::CorruptState => "corrupt_state",
            DropReason::RateLimitBackoff => "ratelimit_backoff",
        }
    }

    /// Parses a wire key back.
    pub fn from_key(key: &str) -> Option<DropReason> {
        DropReason::ALL.iter().find(|r| r.as_str() == key).copied()
    }

    /// The five reasons `docs/DESIGN.md` section 5 always lists, even at zero.
    fn always_sent(self) -> bool {
        self as usize <= DropReason::Invalid as usize
    }
}

/// A count per [`DropReason`]. Serialized as `{ "queue_full": 0, ... }`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts([u64; 10]);

impl DropCounts {
    /// Adds `n` drops for `reason`.
    pub fn add(&mut self, reason: DropReason, n: u64) {
        self.0[reason as usize] = self.0[reason as usize].saturating_add(n);
    }
    /// The count for `reason`.
    pub fn get(&self, reason: DropReason) -> u64 {
        self.0[reason as usize]
    }
    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &DropCounts) {
        for reason in DropReason::ALL {
            self.add(reason, other.get(reason));
        }
    }
    /// Writes the wire object: the five documented reasons always, others when non-zero.
    pub fn write_json(&self, out: &mut String) {
        self.write_reasons(out, |reason, n| n > 0 || reason.always_sent());
    }

    /// Writes every reason, zeros included (the shape of `stats().dropped`).
    pub fn write_json_all(&self, out: &mut String) {
        self.write_reasons(out, |_, _| true);
    }

    /// Appends the persisted form: an object of the non-zero counts by wire
    /// key, e.g. `{"queue_full":3}` (`{}` when nothing was dropped).
    pub fn to_json(&self, out: &mut String) {
        self.write_reasons(out, |_, n| n > 0);
    }

    /// Reads an object of counts by wire key (zeros and absent reasons are
    /// zero; keys of reasons this build does not know are ignored, so a
    /// later version's record still reads). `None` if it is not an object or
    /// a known reason's count is not a non-negative integer.
    pub fn from_json(value: &Json) -> Option<DropCounts> {
        let mut counts = DropCounts::default();
        for (key, n) in value.as_object()? {
            if let Some(reason) = DropReason::from_key(key) {
                counts.add(reason, n.as_u64()?);
            }
        }
        Some(counts)
    }

    fn write_reasons(&self, out: &mut String, keep: impl Fn(DropReason, u64) -> bool) {
        out.push_byte(b'{');
        let mut first = true;
        for reason in DropReason::ALL {
            let n = self.get(reason);
            if !keep(reason, n) {
                continue;
            }
            if !first {
                out.push_byte(b',');
            }
            first = false;
            out.push_byte(b'"');
            out.push_str(reason.as_str());
            out.push_str("\":");
            push_u64(out, n);
        }
        out.push_byte(b'}');
    }
}

/// Facts about the installation sent with every batch; gathered by the platform.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The extension's version (`chrome.runtime.getManifest().version` by default).
    pub app_version: String,
    /// `production` unless configured.
    pub environment: String,
    /// Browser brand and major version, e.g. `Chrome 156`.
    pub browser: String,
    /// Operating system family, e.g. `linux`.
    pub os: String,
    /// UI locale, e.g. `en-US`.
    pub locale: String,
}

impl Context {
    /// Appends `{"app_version":..,"environment":..,"browser":..,"os":..,"locale":..}`,
    /// the shape batches carry.
    pub fn to_json(&self, out: &mut String) {
        write_context(out, self);
    }

    /// Reads what [`to_json`](Context::to_json) wrote; an absent or `null`
    /// field is empty, any other non-string makes it `None`.
    pub fn from_json(value: &Json) -> Option<Context> {
        let field = |key| value.field_or_default(key, Json::to_owned_str);
        value.as_object()?;
        Some(Context {
            app_version: field("app_version")?,
            environment: field("environment")?,
            browser: field("browser")?,
            os: field("os")?,
            locale: field("locale")?,
        })
    }
}

/// The identity fields of a batch envelope.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// Stable across retries: the collector de-duplicates on it.
    pub batch_id: &'a str,
    /// RFC 3339 time of this attempt.
    pub sent_at: &'a str,
    /// The installation's anonymous ID.
    pub anonymous_id: &'a str,
    /// The session the items were recorded in.
    pub session_id: &'a str,
    /// Installation facts.
    pub context: &'a Context,
    /// Drops to report with this batch.
    pub dropped: &'a DropCounts,
}

/// Builds a batch body by concatenation: items are stored already
/// serialized, so a send never re-encodes them; `write_items` appends them
/// comma-separated.
pub fn batch_body(
    envelope: &Envelope<'_>,
    size_hint: usize,
    write_items: impl FnOnce(&mut String),
) -> String {
    let mut out = String::with_capacity(size_hint + 512);
    out.push_str("{\"batch_id\":");
    push_json_string(&mut out, envelope.batch_id);
    out.push_str(",\"sent_at\":");
    push_json_string(&mut out, envelope.sent_at);
    out.push_str(",\"sdk\":{\"name\":\"");
    out.push_str(SDK_NAME);
    out.push_str("\",\"version\":\"");
    out.push_str(SDK_VERSION);
    out.push_str("\"},\"anonymous_id\":");
    push_json_string(&mut out, envelope.anonymous_id);
    out.push_str(",\"session_id\":");
    push_json_string(&mut out, envelope.session_id);
    out.push_str(",\"context\":");
    write_context(&mut out, envelope.context);
    out.push_str(",\"items\":[");
    write_items(&mut out);
    out.push_str("],\"dropped\":");
    envelope.dropped.write_json(&mut out);
    out.push_byte(b'}');
    out
}

fn write_context(out: &mut String, context: &Context) {
    let fields = [
        ("app_version", &context.app_version),
        ("environment", &context.environment),
        ("browser", &context.browser),
        ("os", &context.os),
        ("locale", &context.locale),
    ];
    out.push_byte(b'{');
    for (i, (key, value)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push_byte(b',');
        }
        out.push_byte(b'"');
        out.push_str(key);
        out.push_str("\":");
        push_json_string(out, value);
    }
    out.push_byte(b'}');
}

/// The body of `POST /v1/deletion`.
pub fn deletion_body(anonymous_id: &str, requested_at: &str) -> String {
    let mut out = String::with_capacity(96);
    out.push_str("{\"anonymous_id\":");
    push_json_string(&mut out, anonymous_id);
    out.push_str(",\"requested_at\":");
    push_json_string(&mut out, requested_at);
    out.push_byte(b'}');
    out
}
