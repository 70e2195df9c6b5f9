//! HTTP routes: ingestion, control API, live page and CORS.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde_json::{json, Value};

use crate::destinations;
use crate::error::{Error, Result};
use crate::faults::parse_faults;
use crate::page::PAGE;
use crate::server::ConnectionKiller;
use crate::store::{AcceptedBatch, RequestRecord, Store};
use crate::validation::{
    decode_body, parse_json, summarize, too_large, validate, ContentEncoding, Endpoint,
    MAX_BODY_BYTES,
};

/// An oversized body is still read up to this size so the client gets its 400 instead of a
/// reset socket; past it the server stops reading.
const DRAIN_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// Longest time spent reading one body, so a stalled client cannot pin a handler forever.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// If a dropped connection is somehow not torn down, answer after this long rather than hang.
const DROP_FALLBACK: Duration = Duration::from_secs(10);

/// Shared state handed to every handler.
#[derive(Clone)]
pub struct AppState {
    store: Arc<Mutex<Store>>,
}

impl AppState {
    /// Wraps a store for sharing between handlers.
    pub fn new(store: Store) -> Self {
        AppState {
            store: Arc::new(Mutex::new(store)),
        }
    }

    /// Locks the store. A panic elsewhere never leaves counters half-updated in a way that
    /// matters to a mock, so a poisoned lock is simply taken over.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Builds the application: every route plus the CORS layer.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(live_page))
        .route("/v1/{endpoint}", post(ingest).fallback(ingest_wrong_method))
        // Other destinations (`docs/destinations.md`); static paths win over `/v1/{endpoint}`.
        .route(
            "/v1/logs",
            post(ingest_otlp_logs).fallback(ingest_wrong_method),
        )
        .route(
            "/v1/metrics",
            post(ingest_otlp_metrics).fallback(ingest_wrong_method),
        )
        .route(
            "/api/{project}/envelope/",
            post(ingest_sentry).fallback(ingest_wrong_method),
        )
        .route(
            "/batch/",
            post(ingest_posthog).fallback(ingest_wrong_method),
        )
        .route("/__mock/batches", get(list_batches))
        .route("/__mock/requests", get(list_requests))
        .route("/__mock/stats", get(stats))
        .route("/__mock/info", get(info))
        .route("/__mock/faults", get(list_faults).post(add_faults))
        .route("/__mock/reset", post(reset))
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn(cors))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

async fn ingest(
    State(app): State<AppState>,
    Path(endpoint_name): Path<String>,
    request: Request,
) -> Response {
    let Some(endpoint) = Endpoint::from_v1_path(&endpoint_name) else {
        return not_found_response(request.uri().path());
    };
    ingest_at(app, endpoint, request).await
}

async fn ingest_otlp_logs(State(app): State<AppState>, request: Request) -> Response {
    ingest_at(app, Endpoint::OtlpLogs, request).await
}

async fn ingest_otlp_metrics(State(app): State<AppState>, request: Request) -> Response {
    ingest_at(app, Endpoint::OtlpMetrics, request).await
}

async fn ingest_posthog(State(app): State<AppState>, request: Request) -> Response {
    ingest_at(app, Endpoint::Posthog, request).await
}

async fn ingest_sentry(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    // Relay answers 403 before reading anything when the key is missing.
    if let Err(err) = destinations::check_sentry_auth(query.as_deref()) {
        let (seq, _) = app.store().arrive(Endpoint::Sentry);
        let record = RequestRecord {
            seq,
            endpoint: Endpoint::Sentry,
            received_at_ms: now_ms(),
            status: Some(err.status().as_u16()),
            batch_id: None,
            gzip: false,
            items: 0,
            error: Some(err.to_string()),
        };
        app.store().complete(record, None);
        return err.into_response();
    }
    ingest_at(app, Endpoint::Sentry, request).await
}

/// The body as JSON: Sentry envelopes are lines of JSON, turned into one value.
fn parse_body(endpoint: Endpoint, bytes: &[u8]) -> Result<Value> {
    match endpoint {
        Endpoint::Sentry => destinations::parse_envelope(bytes),
        _ => parse_json(bytes),
    }
}

/// PostHog and Sentry bodies may be gzip without saying so in a header
/// (PostHog sniffs the magic bytes): decode them when they start with it.
fn sniff_gzip(endpoint: Endpoint, raw: &[u8], encoding: ContentEncoding) -> ContentEncoding {
    match (endpoint, encoding) {
        (Endpoint::Posthog | Endpoint::Sentry, ContentEncoding::Identity)
            if raw.starts_with(&[0x1f, 0x8b]) =>
        {
            ContentEncoding::Gzip
        }
        _ => encoding,
    }
}

async fn ingest_at(app: AppState, endpoint: Endpoint, request: Request) -> Response {
    let received_at_ms = now_ms();
    let (seq, fault) = app.store().arrive(endpoint);
    let killer = request.extensions().get::<ConnectionKiller>().cloned();
    let header_batch_id = request
        .headers()
        .get("x-batch-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let encoding = content_encoding(request.headers());
    let gzip = matches!(encoding, Ok(ContentEncoding::Gzip));

    let raw = read_body(request.into_body()).await;
    let gzip = gzip
        || matches!(&raw, Ok(bytes) if sniff_gzip(endpoint, bytes, ContentEncoding::Identity) == ContentEncoding::Gzip);
    let parsed = raw.and_then(|raw| {
        let json = decode_body(&raw, sniff_gzip(endpoint, &raw, encoding?))?;
        parse_body(endpoint, &json)
    });
    let (body_batch_id, items) = summarize(parsed.as_ref().ok());
    let mut record = RequestRecord {
        seq,
        endpoint,
        received_at_ms,
        status: None,
        batch_id: header_batch_id.clone().or(body_batch_id),
        gzip,
        items,
        error: None,
    };
    let fault = fault.unwrap_or_default();

    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    let retry_after = fault
        .retry_after
        .as_deref()
        .and_then(|text| HeaderValue::from_str(text).ok());
    let rate_limits = fault
        .rate_limits
        .as_deref()
        .and_then(|text| HeaderValue::from_str(text).ok());

    if fault.drop_connection {
        // The collector got the batch but the answer is lost: this is what makes a
        // well-behaved client retry, and the mock then counts the duplicates.
        let outcome = check_batch(endpoint, parsed, header_batch_id.as_deref());
        record.error = Some(match &outcome {
            Ok(_) => "connection dropped after accepting the batch (injected fault)".to_owned(),
            Err(err) => format!("connection dropped (injected fault); body refused: {err}"),
        });
        app.store().complete(record, outcome.ok());
        return drop_connection(killer).await;
    }

    let status = fault
        .status
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::OK);
    if !status.is_success() {
        record.status = Some(status.as_u16());
        record.error = Some(format!("injected fault: status {}", status.as_u16()));
        app.store().complete(record, None);
        let body = Json(json!({ "error": "injected fault", "status": status.as_u16() }));
        let response = with_retry_after((status, body).into_response(), retry_after);
        return with_rate_limits(response, rate_limits);
    }

    match check_batch(endpoint, parsed, header_batch_id.as_deref()) {
        Ok(accepted) if !endpoint.is_v1() => {
            record.status = Some(status.as_u16());
            record.items = accepted.item_ids.len();
            let body = destinations::accepted_body(
                endpoint,
                serde_json::from_str(accepted.body.get()).ok().as_ref(),
            );
            app.store().complete(record, Some(accepted));
            let response = with_retry_after((status, Json(body)).into_response(), retry_after);
            with_rate_limits(response, rate_limits)
        }
        Ok(accepted) => {
            let accepted_items = accepted.item_ids.len();
            record.status = Some(status.as_u16());
            app.store().complete(record, Some(accepted));
            let body = Json(Accepted {
                ok: true,
                accepted: accepted_items,
            });
            with_retry_after((status, body).into_response(), retry_after)
        }
        Err(err) => {
            record.status = Some(err.status().as_u16());
            record.error = Some(err.to_string());
            app.store().complete(record, None);
            err.into_response()
        }
    }
}

/// The success answer, `{"ok":true,"accepted":<items>}`.
#[derive(serde::Serialize)]
struct Accepted {
    ok: bool,
    accepted: usize,
}

/// Validates a parsed body and prepares it for storage.
fn check_batch(
    endpoint: Endpoint,
    parsed: Result<Value>,
    header_batch_id: Option<&str>,
) -> Result<AcceptedBatch> {
    let body = parsed?;
    let valid = validate(endpoint, &body)?;
    if let (Some(header), Some(body_id)) = (header_batch_id, valid.batch_id.as_deref()) {
        if header != body_id {
            return Err(Error::invalid(
                "batch_id",
                format!("does not match the X-Batch-Id header ({header:?})"),
            ));
        }
    }
    let compact = serde_json::value::to_raw_value(&body)
        .map_err(|err| Error::invalid("body", format!("cannot re-encode body: {err}")))?;
    Ok(AcceptedBatch {
        body: compact,
        item_ids: valid.item_ids,
    })
}

/// Closes the request's connection without a response.
async fn drop_connection(killer: Option<ConnectionKiller>) -> Response {
    if let Some(killer) = killer {
        // The connection task drops this future together with the socket.
        killer.kill();
        tokio::time::sleep(DROP_FALLBACK).await;
    }
    // Only reached when the router runs outside `serve`, where there is no socket to drop.
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "error": "connection drop requested but not possible here" })),
    )
        .into_response()
}

fn with_rate_limits(mut response: Response, rate_limits: Option<HeaderValue>) -> Response {
    if let Some(value) = rate_limits {
        response.headers_mut().insert("x-sentry-rate-limits", value);
    }
    response
}

fn with_retry_after(mut response: Response, retry_after: Option<HeaderValue>) -> Response {
    if let Some(value) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn content_encoding(headers: &HeaderMap) -> Result<ContentEncoding> {
    let value = match headers.get(header::CONTENT_ENCODING) {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            Error::invalid("content-encoding", "Content-Encoding is not readable text")
        })?),
    };
    ContentEncoding::from_header(value)
}

/// Reads the whole body, keeping at most [`MAX_BODY_BYTES`]; bigger bodies are drained
/// (up to [`DRAIN_LIMIT_BYTES`]) and refused.
async fn read_body(body: Body) -> Result<Bytes> {
    match tokio::time::timeout(BODY_READ_TIMEOUT, read_body_unbounded_in_time(body)).await {
        Ok(result) => result,
        Err(_) => Err(Error::invalid("body", "timed out reading the body")),
    }
}

async fn read_body_unbounded_in_time(mut body: Body) -> Result<Bytes> {
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|err| Error::invalid("body", format!("could not read body: {err}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > MAX_BODY_BYTES {
            kept = Vec::new();
            if total > DRAIN_LIMIT_BYTES {
                break;
            }
        } else {
            kept.extend_from_slice(&data);
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(Bytes::from(kept))
}

/// `?endpoint=NAME&limit=N` of the list routes.
struct ListQuery {
    endpoint: Option<Endpoint>,
    limit: Option<usize>,
}

fn parse_list_query(query: Option<&str>) -> Result<ListQuery> {
    let mut list = ListQuery {
        endpoint: None,
        limit: None,
    };
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "endpoint" if !value.is_empty() => {
                list.endpoint = Some(Endpoint::from_name(value).ok_or_else(|| {
                    Error::invalid(
                        "endpoint",
                        "expected one of events, errors, performance, feedback, deletion, sentry, otlp_logs, otlp_metrics, posthog",
                    )
                })?)
            }
            "limit" => {
                list.limit = Some(
                    value
                        .parse()
                        .map_err(|_| Error::invalid("limit", "expected a non-negative integer"))?,
                )
            }
            // Unknown parameters (cache busters and the like) are ignored.
            _ => {}
        }
    }
    Ok(list)
}

async fn list_batches(State(app): State<AppState>, RawQuery(query): RawQuery) -> Result<Response> {
    let list = parse_list_query(query.as_deref())?;
    // Clone the handles under the lock, serialize after releasing it.
    let batches = app.store().batches(list.endpoint, list.limit);
    let borrowed: Vec<_> = batches.iter().map(|batch| &**batch).collect();
    Ok(Json(borrowed).into_response())
}

async fn list_requests(State(app): State<AppState>, RawQuery(query): RawQuery) -> Result<Response> {
    let list = parse_list_query(query.as_deref())?;
    let requests = app.store().requests(list.endpoint, list.limit);
    Ok(Json(requests).into_response())
}

async fn stats(State(app): State<AppState>) -> Response {
    let stats = app.store().stats();
    Json(stats).into_response()
}

async fn info(State(app): State<AppState>) -> Response {
    let info = app.store().info();
    Json(info).into_response()
}

async fn list_faults(State(app): State<AppState>) -> Response {
    let faults = app.store().faults();
    Json(faults).into_response()
}

async fn add_faults(State(app): State<AppState>, body: Bytes) -> Result<Response> {
    let spec: Value = parse_json(&body)?;
    let rules = parse_faults(&spec)?;
    let remaining = {
        let mut store = app.store();
        store.add_faults(rules);
        store.faults()
    };
    Ok(Json(json!({ "ok": true, "faults": remaining })).into_response())
}

async fn reset(State(app): State<AppState>) -> Response {
    app.store().reset();
    Json(json!({ "ok": true })).into_response()
}

async fn live_page() -> Response {
    let mut response = Html(PAGE).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Other methods on `/v1/<name>`: 404 for names that are not endpoints, 405 for real ones.
async fn ingest_wrong_method(Path(endpoint_name): Path<String>, request: Request) -> Response {
    if Endpoint::from_name(&endpoint_name).is_none() {
        return not_found_response(request.uri().path());
    }
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(json!({ "error": "ingestion endpoints take POST", "field": "method" })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
    response
}

async fn not_found(request: Request) -> Response {
    not_found_response(request.uri().path())
}

fn not_found_response(path: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": format!("no route for {path}"), "field": "path" })),
    )
        .into_response()
}

/// Whether a browser origin may read the collector's answers: extensions, and pages
/// served from this machine (the live page, local test pages).
pub fn is_allowed_origin(origin: &str) -> bool {
    if origin.starts_with("chrome-extension://") {
        return true;
    }
    ["http://127.0.0.1", "http://localhost"]
        .iter()
        .any(|local| {
            origin.strip_prefix(local).is_some_and(|rest| {
                rest.is_empty()
                    || (rest.starts_with(':') && rest[1..].bytes().all(|b| b.is_ascii_digit()))
            })
        })
}

async fn cors(request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .filter(|value| value.to_str().is_ok_and(is_allowed_origin))
        .cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, GET, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, content-encoding, x-batch-id"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after, x-sentry-rate-limits"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    response
}
