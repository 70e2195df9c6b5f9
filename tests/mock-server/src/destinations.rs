//! Receivers for the SDK's other destinations (`docs/destinations.md`): Sentry
//! envelopes, OTLP/HTTP JSON logs and metrics, PostHog's `/batch/`. They check
//! what each backend itself insists on, count items by their ids like the v1
//! endpoints (Sentry `event_id`, OTLP `log.record.uid`, PostHog `uuid`), and
//! answer as the backend does.

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::validation::{Endpoint, ValidBatch};

/// A Sentry envelope (header line, then header and payload lines per item)
/// as JSON the store can keep: `{"header":{…},"items":[{"header":{…},"payload":…}]}`.
pub fn parse_envelope(bytes: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::invalid("body", "an envelope is UTF-8 text"))?;
    let mut rest = text;
    let next_line = |rest: &mut &str| -> Option<String> {
        if rest.is_empty() {
            return None;
        }
        let (line, tail) = rest.split_once('\n').unwrap_or((rest, ""));
        *rest = tail;
        Some(line.to_owned())
    };
    let parse = |line: &str, what: &str| -> Result<Value> {
        serde_json::from_str(line).map_err(|err| Error::invalid(what, format!("not JSON: {err}")))
    };
    let header = parse(
        &next_line(&mut rest).ok_or_else(|| Error::invalid("body", "empty envelope"))?,
        "envelope header",
    )?;
    let mut items = Vec::new();
    while let Some(line) = next_line(&mut rest) {
        if line.is_empty() {
            continue;
        }
        let item_header = parse(&line, "item header")?;
        // With a `length`, the payload is exactly that many bytes; without, one line.
        let payload_text = match item_header.get("length").and_then(Value::as_u64) {
            Some(length) => {
                let length = length as usize;
                let payload = rest
                    .get(..length)
                    .ok_or_else(|| Error::invalid("item", "payload shorter than its length"))?;
                rest = rest[length..].strip_prefix('\n').unwrap_or(&rest[length..]);
                payload.to_owned()
            }
            None => next_line(&mut rest).unwrap_or_default(),
        };
        items.push(
            json!({ "header": item_header, "payload": parse(&payload_text, "item payload")? }),
        );
    }
    Ok(json!({ "header": header, "items": items }))
}

/// Checks Sentry's query authentication: `sentry_key` and `sentry_version=7`.
pub fn check_sentry_auth(query: Option<&str>) -> Result<()> {
    let pairs: Vec<(&str, &str)> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let has = |key: &str, ok: &dyn Fn(&str) -> bool| pairs.iter().any(|(k, v)| *k == key && ok(v));
    if !has("sentry_key", &|v| !v.is_empty()) || !has("sentry_version", &|v| v == "7") {
        return Err(Error::forbidden(
            "missing sentry_key or sentry_version=7 in the query",
        ));
    }
    Ok(())
}

/// The success answer of each receiver, as the real backend sends it.
pub fn accepted_body(endpoint: Endpoint, body: Option<&Value>) -> Value {
    match endpoint {
        Endpoint::Sentry => json!({ "id": body.and_then(|b| b["header"]["event_id"].as_str()) }),
        Endpoint::Posthog => json!({ "status": 1 }),
        _ => json!({}),
    }
}

fn string<'a>(object: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str> {
    object
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid(format!("{path}{key}"), "expected a string"))
}

/// Validates a parsed body for one of the destination receivers.
pub fn validate(endpoint: Endpoint, root: &Map<String, Value>) -> Result<ValidBatch> {
    let mut ids = Vec::new();
    match endpoint {
        Endpoint::Sentry => {
            let header = root
                .get("header")
                .and_then(Value::as_object)
                .ok_or_else(|| Error::invalid("header", "expected an object"))?;
            string(header, "sent_at", "header.")?;
            for (index, item) in root["items"].as_array().into_iter().flatten().enumerate() {
                let kind = item["header"]["type"].as_str().unwrap_or_default();
                let payload = &item["payload"];
                match kind {
                    "event" | "feedback" => {
                        let id = payload["event_id"].as_str().unwrap_or_default();
                        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                            return Err(Error::invalid(
                                format!("items[{index}].event_id"),
                                "expected 32 hex digits",
                            ));
                        }
                        if payload["sdk"]["settings"]["infer_ip"] != "never" {
                            return Err(Error::invalid(
                                format!("items[{index}].sdk.settings.infer_ip"),
                                "the SDK must say never",
                            ));
                        }
                        ids.push(id.to_owned());
                    }
                    "client_report" => {}
                    // Release health: an update of a session, not an item (the
                    // same session is updated again, so it is never a duplicate).
                    "session" => {
                        let at = |field: &str| format!("items[{index}].{field}");
                        if payload["sid"].as_str().is_none_or(|sid| sid.len() != 36) {
                            return Err(Error::invalid(at("sid"), "expected a UUID"));
                        }
                        if !matches!(
                            payload["status"].as_str(),
                            Some("ok" | "exited" | "crashed" | "abnormal" | "errored")
                        ) {
                            return Err(Error::invalid(at("status"), "expected a session status"));
                        }
                        if payload["attrs"]["release"]
                            .as_str()
                            .is_none_or(str::is_empty)
                        {
                            return Err(Error::invalid(
                                at("attrs.release"),
                                "Sentry drops sessions without a release",
                            ));
                        }
                        for field in ["started", "timestamp"] {
                            if !payload[field].is_string() {
                                return Err(Error::invalid(at(field), "expected an RFC 3339 time"));
                            }
                        }
                    }
                    other => {
                        return Err(Error::invalid(
                            format!("items[{index}].type"),
                            format!("unexpected item type {other:?}"),
                        ))
                    }
                }
            }
        }
        Endpoint::OtlpLogs => {
            for resource in root
                .get("resourceLogs")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("resourceLogs", "expected an array"))?
            {
                for scope in resource["scopeLogs"].as_array().into_iter().flatten() {
                    for record in scope["logRecords"].as_array().into_iter().flatten() {
                        if !record["timeUnixNano"].is_string() {
                            return Err(Error::invalid(
                                "logRecords.timeUnixNano",
                                "expected an int64 as a string",
                            ));
                        }
                        let uid = record["attributes"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .find(|kv| kv["key"] == "log.record.uid");
                        ids.push(
                            uid.and_then(|kv| kv["value"]["stringValue"].as_str())
                                .unwrap_or_default()
                                .to_owned(),
                        );
                    }
                }
            }
        }
        Endpoint::OtlpMetrics => {
            for resource in root
                .get("resourceMetrics")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("resourceMetrics", "expected an array"))?
            {
                for scope in resource["scopeMetrics"].as_array().into_iter().flatten() {
                    for metric in scope["metrics"].as_array().into_iter().flatten() {
                        let points = metric["exponentialHistogram"]["dataPoints"]
                            .as_array()
                            .ok_or_else(|| {
                                Error::invalid(
                                    "metrics.exponentialHistogram",
                                    "expected data points",
                                )
                            })?;
                        for point in points {
                            // A data point has no id: its series and window stand for one.
                            ids.push(format!(
                                "{}@{}",
                                metric["name"].as_str().unwrap_or_default(),
                                point["startTimeUnixNano"].as_str().unwrap_or_default()
                            ));
                        }
                    }
                }
            }
        }
        _ => {
            string(root, "api_key", "")?;
            for (index, event) in root
                .get("batch")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("batch", "expected an array"))?
                .iter()
                .enumerate()
            {
                let event = event.as_object().ok_or_else(|| {
                    Error::invalid(format!("batch[{index}]"), "expected an object")
                })?;
                let path = format!("batch[{index}].");
                string(event, "event", &path)?;
                string(event, "distinct_id", &path)?;
                ids.push(string(event, "uuid", &path)?.to_owned());
            }
        }
    }
    // Ids are counted per receiver: an item the SDK sends to two destinations
    // is one delivery to each, not a duplicate.
    let item_ids = ids
        .into_iter()
        .map(|id| endpoint.name().to_owned() + ":" + &id)
        .collect();
    Ok(ValidBatch {
        batch_id: None,
        item_ids,
    })
}
