//! Fault injection: a FIFO list of rules that the next ingestion requests consume.

use std::collections::VecDeque;

use axum::http::HeaderValue;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::validation::Endpoint;

/// Longest delay a fault may ask for, so a typo cannot hang a test run for hours.
pub const MAX_DELAY_MS: u64 = 10 * 60 * 1000;

/// What one faulted request gets; the default is no fault at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Treatment {
    /// Status to answer with; `None` means "process normally" (a pure delay).
    pub status: Option<u16>,
    /// Value of the `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// Value of Sentry's `X-Sentry-Rate-Limits` header, sent with any status (200 too).
    pub rate_limits: Option<String>,
    /// Milliseconds to wait before answering (or before dropping the connection).
    pub delay_ms: u64,
    /// Read the body, then close the socket without answering.
    pub drop_connection: bool,
}

/// One rule of the fault list, as shown by `GET /__mock/faults`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultRule {
    /// Status answered; `null` for a pure delay (the request is then processed normally)
    /// and for a dropped connection (nothing is answered).
    pub status: Option<u16>,
    /// Requests still to be affected; the rule disappears at 0.
    pub count: u64,
    /// `Retry-After` header value sent with the status.
    pub retry_after: Option<String>,
    /// `X-Sentry-Rate-Limits` header value, sent whatever the status.
    pub rate_limits: Option<String>,
    /// Delay before answering, in milliseconds.
    pub delay_ms: u64,
    /// Close the connection without answering.
    pub drop_connection: bool,
    /// Only requests to this endpoint consume the rule; `null` for any endpoint.
    #[serde(serialize_with = "serialize_endpoint")]
    pub endpoint: Option<Endpoint>,
    /// From `for_ms`: the rule disappears at this time (Unix ms), whatever its
    /// count, so a test can take a destination down for a while.
    pub expires_at_ms: Option<u64>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn serialize_endpoint<S: serde::Serializer>(
    endpoint: &Option<Endpoint>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match endpoint {
        Some(endpoint) => serializer.serialize_str(endpoint.name()),
        None => serializer.serialize_none(),
    }
}

impl FaultRule {
    fn treatment(&self) -> Treatment {
        Treatment {
            status: self.status,
            retry_after: self.retry_after.clone(),
            rate_limits: self.rate_limits.clone(),
            delay_ms: self.delay_ms,
            drop_connection: self.drop_connection,
        }
    }
}

/// The FIFO list of pending fault rules.
#[derive(Debug, Default)]
pub struct FaultQueue {
    rules: VecDeque<FaultRule>,
}

impl FaultQueue {
    /// Appends rules at the end of the list.
    pub fn extend(&mut self, rules: impl IntoIterator<Item = FaultRule>) {
        self.rules
            .extend(rules.into_iter().filter(|rule| rule.count > 0));
    }

    /// Consumes one unit of the first rule matching `endpoint`, if any.
    pub fn take(&mut self, endpoint: Endpoint) -> Option<Treatment> {
        let now = now_ms();
        self.rules
            .retain(|rule| rule.expires_at_ms.is_none_or(|at| at > now));
        let position = self
            .rules
            .iter()
            .position(|rule| rule.endpoint.is_none_or(|only| only == endpoint))?;
        let rule = &mut self.rules[position];
        let treatment = rule.treatment();
        rule.count -= 1;
        if rule.count == 0 {
            self.rules.remove(position);
        }
        Some(treatment)
    }

    /// The remaining rules, first to be consumed first.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().cloned().collect()
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }
}

/// Parses the body of `POST /__mock/faults`: one fault object or an array of them.
pub fn parse_faults(body: &Value) -> Result<Vec<FaultRule>> {
    match body {
        Value::Array(specs) => specs
            .iter()
            .enumerate()
            .map(|(index, spec)| parse_fault(spec, &format!("[{index}]")))
            .collect(),
        spec => parse_fault(spec, "").map(|rule| vec![rule]),
    }
}

fn parse_fault(spec: &Value, path: &str) -> Result<FaultRule> {
    let object = spec
        .as_object()
        .ok_or_else(|| Error::invalid(or_body(path), "expected a fault object"))?;
    let field = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    for key in object.keys() {
        if !matches!(
            key.as_str(),
            "status"
                | "count"
                | "for_ms"
                | "retry_after"
                | "rate_limits"
                | "delay_ms"
                | "drop_connection"
                | "endpoint"
        ) {
            return Err(Error::invalid(
                field(key),
                "unknown fault field (known: status, count, for_ms, retry_after, rate_limits, delay_ms, drop_connection, endpoint)",
            ));
        }
    }

    let explicit_status = optional_u64(object, "status", &field)?
        .map(|status| match u16::try_from(status) {
            Ok(status @ 200..=599) => Ok(status),
            _ => Err(Error::invalid(
                field("status"),
                "expected an HTTP status between 200 and 599",
            )),
        })
        .transpose()?;
    let for_ms = optional_u64(object, "for_ms", &field)?;
    // A rule with a duration affects every request until it ends, unless a
    // count ends it sooner.
    let count = optional_u64(object, "count", &field)?.unwrap_or(if for_ms.is_some() {
        u64::MAX
    } else {
        1
    });
    let delay_ms = optional_u64(object, "delay_ms", &field)?;
    if delay_ms.is_some_and(|delay| delay > MAX_DELAY_MS) {
        return Err(Error::invalid(
            field("delay_ms"),
            format!("at most {MAX_DELAY_MS} ms"),
        ));
    }
    let retry_after = match object.get("retry_after") {
        None | Some(Value::Null) => None,
        Some(Value::Number(number)) => Some(number.to_string()),
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            return Err(Error::invalid(
                field("retry_after"),
                "expected a number or a string",
            ))
        }
    };
    if let Some(text) = &retry_after {
        if HeaderValue::from_str(text).is_err() {
            return Err(Error::invalid(
                field("retry_after"),
                "not a valid header value",
            ));
        }
    }
    let rate_limits = match object.get("rate_limits") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if HeaderValue::from_str(text).is_ok() => Some(text.clone()),
        Some(_) => {
            return Err(Error::invalid(
                field("rate_limits"),
                "expected an X-Sentry-Rate-Limits header value, e.g. \"60:error:organization\"",
            ))
        }
    };
    let drop_connection = match object.get("drop_connection") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            return Err(Error::invalid(
                field("drop_connection"),
                "expected a boolean",
            ))
        }
    };
    let endpoint = match object.get("endpoint") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(Endpoint::from_name(name).ok_or_else(|| {
            Error::invalid(
                field("endpoint"),
                "expected one of events, errors, performance, feedback, deletion, sentry, otlp_logs, otlp_metrics, posthog",
            )
        })?),
        Some(_) => return Err(Error::invalid(field("endpoint"), "expected a string")),
    };

    // A bare delay is a slow but healthy collector; anything else without a status
    // is the documented default failure, 503.
    let status = match explicit_status {
        Some(status) => Some(status),
        // A dropped connection sends no status at all.
        None if drop_connection => None,
        None if delay_ms.is_some() && retry_after.is_none() => None,
        // A rate limit alone rides on a normal answer: Sentry sends it with a 200 too.
        None if rate_limits.is_some() && retry_after.is_none() => None,
        None => Some(503),
    };

    Ok(FaultRule {
        status,
        count,
        retry_after,
        rate_limits,
        delay_ms: delay_ms.unwrap_or(0),
        drop_connection,
        endpoint,
        expires_at_ms: for_ms.map(|ms| now_ms().saturating_add(ms)),
    })
}

fn or_body(path: &str) -> &str {
    if path.is_empty() {
        "body"
    } else {
        path
    }
}

fn optional_u64(
    object: &Map<String, Value>,
    key: &str,
    field: &impl Fn(&str) -> String,
) -> Result<Option<u64>> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::invalid(field(key), "expected a non-negative integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_one_503() {
        let rules = parse_faults(&json!({})).unwrap();
        assert_eq!(rules[0].status, Some(503));
        assert_eq!(rules[0].count, 1);
    }

    #[test]
    fn a_bare_delay_processes_normally() {
        let rules = parse_faults(&json!({"delay_ms": 10})).unwrap();
        assert_eq!(rules[0].status, None);
    }

    #[test]
    fn rules_are_consumed_first_in_first_out_by_matching_endpoint() {
        let mut queue = FaultQueue::default();
        queue.extend(
            parse_faults(&json!([
                {"status": 500, "endpoint": "errors"},
                {"status": 429, "count": 2}
            ]))
            .unwrap(),
        );
        assert_eq!(queue.take(Endpoint::Events).unwrap().status, Some(429));
        assert_eq!(queue.take(Endpoint::Errors).unwrap().status, Some(500));
        assert_eq!(queue.take(Endpoint::Errors).unwrap().status, Some(429));
        assert_eq!(queue.take(Endpoint::Errors), None);
    }

    #[test]
    fn a_rule_with_a_duration_affects_every_request_until_it_ends() {
        let mut queue = FaultQueue::default();
        queue.extend(
            parse_faults(&json!({"status": 503, "for_ms": 60_000, "endpoint": "posthog"})).unwrap(),
        );
        for _ in 0..100 {
            assert_eq!(queue.take(Endpoint::Posthog).unwrap().status, Some(503));
        }
        assert!(queue.take(Endpoint::Sentry).is_none());
        queue.extend(parse_faults(&json!({"status": 500, "for_ms": 0})).unwrap());
        assert_eq!(
            queue.take(Endpoint::Sentry).map(|t| t.status),
            None,
            "ended at once"
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        match parse_faults(&json!([{}, {"retryAfter": 3}])) {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "[1].retryAfter"),
            other => panic!("{other:?}"),
        }
    }
}
