//! Wire format v1 (DESIGN section 5): endpoints, body decoding and shape checks.

use std::io::Read;

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Largest body accepted, compressed or decompressed: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One of the five ingestion endpoints under `/v1/`, or a receiver of another
/// destination's protocol (`docs/destinations.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/v1/events`: usage events.
    Events,
    /// `/v1/errors`: captured errors.
    Errors,
    /// `/v1/performance`: aggregated timings.
    Performance,
    /// `/v1/feedback`: user feedback.
    Feedback,
    /// `/v1/deletion`: erase everything held for an anonymous id.
    Deletion,
    /// `/api/<projectId>/envelope/`: Sentry envelopes.
    Sentry,
    /// `/v1/logs`: OTLP/HTTP JSON log records.
    OtlpLogs,
    /// `/v1/metrics`: OTLP/HTTP JSON metrics.
    OtlpMetrics,
    /// `/batch/`: PostHog's batch capture.
    Posthog,
}

impl Endpoint {
    /// All endpoints, in the order they are listed in stats.
    pub const ALL: [Endpoint; 9] = [
        Endpoint::Events,
        Endpoint::Errors,
        Endpoint::Performance,
        Endpoint::Feedback,
        Endpoint::Deletion,
        Endpoint::Sentry,
        Endpoint::OtlpLogs,
        Endpoint::OtlpMetrics,
        Endpoint::Posthog,
    ];

    /// The five endpoints of wire format v1, under `/v1/<name>`.
    pub const V1: [Endpoint; 5] = [
        Endpoint::Events,
        Endpoint::Errors,
        Endpoint::Performance,
        Endpoint::Feedback,
        Endpoint::Deletion,
    ];

    /// The path segment after `/v1/`, also used as the endpoint's name in the control API.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Events => "events",
            Endpoint::Errors => "errors",
            Endpoint::Performance => "performance",
            Endpoint::Feedback => "feedback",
            Endpoint::Deletion => "deletion",
            Endpoint::Sentry => "sentry",
            Endpoint::OtlpLogs => "otlp_logs",
            Endpoint::OtlpMetrics => "otlp_metrics",
            Endpoint::Posthog => "posthog",
        }
    }

    /// Parses an endpoint name as used in `?endpoint=` filters and fault rules.
    pub fn from_name(name: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.name() == name)
    }

    /// True for the five endpoints of wire format v1.
    pub fn is_v1(self) -> bool {
        Endpoint::V1.contains(&self)
    }

    /// Parses the segment of `/v1/<name>` (v1 endpoints only).
    pub fn from_v1_path(name: &str) -> Option<Endpoint> {
        Endpoint::V1.into_iter().find(|e| e.name() == name)
    }

    /// The item `type` this endpoint carries; `None` for deletion, which has no items.
    pub fn item_type(self) -> Option<&'static str> {
        match self {
            Endpoint::Events => Some("event"),
            Endpoint::Errors => Some("error"),
            Endpoint::Performance => Some("timing"),
            Endpoint::Feedback => Some("feedback"),
            _ => None,
        }
    }

    /// Position in [`Endpoint::ALL`], for per-endpoint counters.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How the request body was encoded on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentEncoding {
    /// No `Content-Encoding`, or `identity`.
    Identity,
    /// `Content-Encoding: gzip` (or `x-gzip`).
    Gzip,
}

impl ContentEncoding {
    /// Reads a `Content-Encoding` header value; anything but gzip or identity is refused.
    pub fn from_header(value: Option<&str>) -> Result<ContentEncoding> {
        let Some(value) = value else {
            return Ok(ContentEncoding::Identity);
        };
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "identity" => Ok(ContentEncoding::Identity),
            "gzip" | "x-gzip" => Ok(ContentEncoding::Gzip),
            other => Err(Error::invalid(
                "content-encoding",
                format!("unsupported Content-Encoding {other:?}: send gzip or plain JSON"),
            )),
        }
    }
}

/// Turns the raw body into the JSON bytes it carries, refusing more than [`MAX_BODY_BYTES`].
///
/// The decompressed size is capped while inflating, so a gzip bomb costs at most
/// [`MAX_BODY_BYTES`] + 1 bytes of memory before it is refused.
pub fn decode_body(raw: &[u8], encoding: ContentEncoding) -> Result<Vec<u8>> {
    if raw.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    match encoding {
        ContentEncoding::Identity => Ok(raw.to_vec()),
        ContentEncoding::Gzip => {
            let mut inflated = Vec::with_capacity(raw.len().saturating_mul(4).min(MAX_BODY_BYTES));
            MultiGzDecoder::new(raw)
                .take(MAX_BODY_BYTES as u64 + 1)
                .read_to_end(&mut inflated)
                .map_err(|err| Error::invalid("body", format!("invalid gzip body: {err}")))?;
            if inflated.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            Ok(inflated)
        }
    }
}

/// The error for a body past [`MAX_BODY_BYTES`].
pub fn too_large() -> Error {
    Error::invalid(
        "body",
        format!("body is larger than {MAX_BODY_BYTES} bytes (1 MB), compressed or decompressed"),
    )
}

/// Parses JSON text, naming the body as the culprit when it is not JSON.
pub fn parse_json(bytes: &[u8]) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|err| Error::invalid("body", format!("malformed JSON: {err}")))
}

/// What a valid body contributes to the collector's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidBatch {
    /// The batch's `batch_id`; `None` for deletion requests.
    pub batch_id: Option<String>,
    /// The `id` of every item, in order.
    pub item_ids: Vec<String>,
}

/// Checks a parsed body against wire format v1 for the given endpoint.
///
/// Unknown extra fields are allowed so that newer SDKs stay compatible.
pub fn validate(endpoint: Endpoint, body: &Value) -> Result<ValidBatch> {
    let root = body
        .as_object()
        .ok_or_else(|| Error::invalid("body", "expected a JSON object"))?;
    match endpoint {
        Endpoint::Sentry | Endpoint::OtlpLogs | Endpoint::OtlpMetrics | Endpoint::Posthog => {
            crate::destinations::validate(endpoint, root)
        }
        _ => validate_v1(endpoint, root),
    }
}

fn validate_v1(endpoint: Endpoint, root: &Map<String, Value>) -> Result<ValidBatch> {
    match endpoint.item_type() {
        None => {
            require_string(root, "", "anonymous_id")?;
            require_string(root, "", "requested_at")?;
            Ok(ValidBatch {
                batch_id: None,
                item_ids: Vec::new(),
            })
        }
        Some(item_type) => validate_batch(endpoint, item_type, root),
    }
}

fn validate_batch(
    endpoint: Endpoint,
    item_type: &str,
    root: &Map<String, Value>,
) -> Result<ValidBatch> {
    let batch_id = require_non_empty_string(root, "", "batch_id")?;
    require_string(root, "", "sent_at")?;
    let sdk = require_object(root, "", "sdk")?;
    require_string(sdk, "sdk", "name")?;
    require_string(sdk, "sdk", "version")?;
    require_string(root, "", "anonymous_id")?;
    require_string(root, "", "session_id")?;
    require_object(root, "", "context")?;

    let items = require(root, "", "items")?
        .as_array()
        .ok_or_else(|| Error::invalid("items", "expected an array"))?;
    let mut item_ids = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let path = format!("items[{index}]");
        let item = item
            .as_object()
            .ok_or_else(|| Error::invalid(&path, "expected an object"))?;
        let id = require_non_empty_string(item, &path, "id")?;
        let actual_type = require_string(item, &path, "type")?;
        if actual_type != item_type {
            return Err(Error::invalid(
                format!("{path}.type"),
                format!(
                    "item type {actual_type:?} does not belong on /v1/{} (expected {item_type:?})",
                    endpoint.name()
                ),
            ));
        }
        item_ids.push(id.to_owned());
    }

    let dropped = require_object(root, "", "dropped")?;
    for (reason, count) in dropped {
        if count.as_u64().is_none() {
            return Err(Error::invalid(
                format!("dropped.{reason}"),
                "expected a non-negative integer",
            ));
        }
    }

    Ok(ValidBatch {
        batch_id: Some(batch_id.to_owned()),
        item_ids,
    })
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn require<'a>(object: &'a Map<String, Value>, parent: &str, key: &str) -> Result<&'a Value> {
    object
        .get(key)
        .ok_or_else(|| Error::invalid(join(parent, key), "missing field"))
}

fn require_string<'a>(object: &'a Map<String, Value>, parent: &str, key: &str) -> Result<&'a str> {
    require(object, parent, key)?
        .as_str()
        .ok_or_else(|| Error::invalid(join(parent, key), "expected a string"))
}

fn require_non_empty_string<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
) -> Result<&'a str> {
    match require_string(object, parent, key)? {
        "" => Err(Error::invalid(
            join(parent, key),
            "expected a non-empty string",
        )),
        text => Ok(text),
    }
}

fn require_object<'a>(
    object: &'a Map<String, Value>,
    parent: &str,
    key: &str,
) -> Result<&'a Map<String, Value>> {
    require(object, parent, key)?
        .as_object()
        .ok_or_else(|| Error::invalid(join(parent, key), "expected an object"))
}

/// Best-effort facts about any body, valid or not, for the request log.
///
/// Returns the body's `batch_id` when it is a string and the length of `items` when
/// it is an array (0 otherwise).
pub fn summarize(body: Option<&Value>) -> (Option<String>, usize) {
    let Some(object) = body.and_then(Value::as_object) else {
        return (None, 0);
    };
    let batch_id = object
        .get("batch_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let items = object
        .get("items")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    (batch_id, items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid_events() -> Value {
        json!({
            "batch_id": "b1", "sent_at": "2026-11-21T10:00:00.000Z",
            "sdk": {"name": "mv3-telemetry", "version": "0.1.0"},
            "anonymous_id": "a", "session_id": "s", "context": {},
            "items": [{"id": "i1", "type": "event", "name": "x"}],
            "dropped": {"queue_full": 0}
        })
    }

    fn field_of(result: Result<ValidBatch>) -> String {
        match result {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_batch_yields_its_ids() {
        let batch = validate(Endpoint::Events, &valid_events()).unwrap();
        assert_eq!(batch.batch_id.as_deref(), Some("b1"));
        assert_eq!(batch.item_ids, vec!["i1".to_owned()]);
    }

    #[test]
    fn errors_name_the_nested_field() {
        let mut body = valid_events();
        body["items"][0]["id"] = json!("");
        assert_eq!(field_of(validate(Endpoint::Events, &body)), "items[0].id");
        let mut body = valid_events();
        body["sdk"]["version"] = json!(1);
        assert_eq!(field_of(validate(Endpoint::Events, &body)), "sdk.version");
        let mut body = valid_events();
        body["dropped"]["sampled"] = json!(-1);
        assert_eq!(
            field_of(validate(Endpoint::Events, &body)),
            "dropped.sampled"
        );
    }

    #[test]
    fn the_item_type_must_match_the_endpoint() {
        assert_eq!(
            field_of(validate(Endpoint::Errors, &valid_events())),
            "items[0].type"
        );
    }

    #[test]
    fn a_gzip_bomb_is_refused_while_inflating() {
        use flate2::{write::GzEncoder, Compression};
        use std::io::Write;
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&vec![b' '; 8 * MAX_BODY_BYTES]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < MAX_BODY_BYTES);
        assert_eq!(
            field_of(decode_body(&bomb, ContentEncoding::Gzip).map(|_| unreachable!())),
            "body"
        );
    }
}
