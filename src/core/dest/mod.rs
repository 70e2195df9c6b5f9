//! Destinations beside the v1 collector: Sentry, OTLP/HTTP JSON and PostHog
//! (`docs/destinations.md`). This module holds their options, checked here so
//! the rules are host-tested; the encoders, one file per backend, turn stored
//! v1 items into each backend's body at send time; [`response`] decides what
//! an answer means for the batch.

pub mod otlp;
pub mod posthog;
pub mod response;
pub mod sentry;

use super::error::{Error, Result};
use super::json::{push_escaped, push_string, push_u64, Json, PushByte};
use super::time::{push_rfc3339, Millis};
use super::wire::Context;
use crate::core::split::{all_bytes, first_byte_not, split_first, split_last};

/// The kinds of item a destination can carry, as a set of bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Types(u8);

/// One item kind, as named in the options' `types` and in v1 items' `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    /// Usage events (`track`).
    Event,
    /// Captured errors.
    Error,
    /// Timer aggregates.
    Timing,
    /// User feedback.
    Feedback,
}

impl ItemType {
    /// Every kind, in the order the options list them.
    pub const ALL: [ItemType; 4] = [
        ItemType::Event,
        ItemType::Error,
        ItemType::Timing,
        ItemType::Feedback,
    ];

    /// The name in `types` and in a v1 item's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Event => "event",
            ItemType::Error => "error",
            ItemType::Timing => "timing",
            ItemType::Feedback => "feedback",
        }
    }

    /// The kind of a name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<ItemType> {
        ItemType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl Types {
    /// The set holding `types`.
    pub fn of(types: &[ItemType]) -> Types {
        Types(types.iter().fold(0, |bits, t| bits | 1 << *t as u8))
    }

    /// True if `kind` is in the set.
    pub fn contains(self, kind: ItemType) -> bool {
        self.0 & 1 << kind as u8 != 0
    }

    /// True if nothing is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`ItemType::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = ItemType> {
        ItemType::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

/// A destination besides the v1 collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Sentry envelopes.
    Sentry,
    /// An OpenTelemetry collector, OTLP/HTTP with JSON bodies.
    Otlp,
    /// PostHog's `/batch/` capture endpoint.
    Posthog,
}

impl Kind {
    /// Every destination, in the order the options list them.
    pub const ALL: [Kind; 3] = [Kind::Sentry, Kind::Otlp, Kind::Posthog];

    /// The option naming it.
    pub fn option(self) -> &'static str {
        match self {
            Kind::Sentry => "sentry",
            Kind::Otlp => "otlp",
            Kind::Posthog => "posthog",
        }
    }

    /// What it can carry, which is also its default `types`: Sentry has no
    /// place for usage events or timer aggregates, PostHog none for
    /// timings or feedback (issue 14).
    pub fn carries(self) -> &'static [ItemType] {
        match self {
            Kind::Sentry => &[ItemType::Error, ItemType::Feedback],
            Kind::Otlp => &ItemType::ALL,
            Kind::Posthog => &[ItemType::Event, ItemType::Error],
        }
    }

    fn types_field(self) -> &'static str {
        match self {
            Kind::Sentry => "sentry.types",
            Kind::Otlp => "otlp.types",
            Kind::Posthog => "posthog.types",
        }
    }

    /// Reads a `types` option: absent means [`carries`](Kind::carries); a
    /// name it cannot carry, or an empty list, is an error naming the field.
    pub fn types(self, names: Option<&[String]>) -> Result<Types> {
        let Some(names) = names else {
            return Ok(Types::of(self.carries()));
        };
        let field = self.types_field();
        let mut types = Types::default();
        for name in names {
            match ItemType::from_name(name) {
                Some(t) if self.carries().contains(&t) => types = Types(types.0 | 1 << t as u8),
                _ => return Err(invalid(field, "lists a type this destination cannot carry")),
            }
        }
        if types.is_empty() {
            return Err(invalid(field, "must name at least one type"));
        }
        Ok(types)
    }
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    Error::InvalidOption { field, reason }
}

/// `https://host[:port][/path]`, or `http:` for `localhost` and `127.0.0.1`
/// only, without credentials, query or fragment: split into the origin and
/// the path (without a trailing slash). `js/options.js` has given the user
/// its detailed message already; this is the core's own check.
fn split_url<'a>(field: &'static str, url: &'a str) -> Result<(&'a str, &'a str)> {
    let bad = || {
        invalid(field, "must be an https: URL (http: only for localhost and 127.0.0.1), without credentials, query or fragment")
    };
    let (scheme_len, rest, https) = match url.strip_prefix("https://") {
        Some(rest) => (8, rest, true),
        None => (7, url.strip_prefix("http://").ok_or_else(bad)?, false),
    };
    let host_end = first_byte_not(rest.as_bytes(), |b| b != b'/').unwrap_or(rest.len());
    let host = &rest[..host_end];
    // `[::1]` has colons of its own; a port follows the last one otherwise.
    let name = match split_last(host, b':') {
        Some((name, port)) if !host.ends_with(']') => {
            if !all_bytes(port, |b| b.is_ascii_digit()) {
                return Err(bad());
            }
            name
        }
        _ => host,
    };
    let local = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    if name.is_empty()
        || !all_bytes(url, |b| !matches!(b, b'@' | b'?' | b'#' | b' '))
        || !(https || local)
    {
        return Err(bad());
    }
    let mut path = &rest[host_end..];
    while let Some(trimmed) = path.strip_suffix('/') {
        path = trimmed;
    }
    Ok((&url[..scheme_len + host.len()], path))
}

/// A parsed Sentry DSN: `{proto}://{publicKey}@{host}{path}/{projectId}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentryDsn {
    /// `https://o1.ingest.sentry.io`, plus the path before the project id (usually empty).
    pub base: String,
    /// Sent as `sentry_key`.
    pub public_key: String,
    /// The numeric project id.
    pub project_id: String,
}

impl SentryDsn {
    /// Parses `sentry.dsn`; an error names the field.
    pub fn parse(dsn: &str) -> Result<SentryDsn> {
        const FIELD: &str = "sentry.dsn";
        let bad = || invalid(FIELD, "must be https://<publicKey>@<host>/<projectId>");
        let scheme_len = if dsn.starts_with("https://") { 8 } else { 7 };
        let at = first_byte_not(dsn.as_bytes(), |b| b != b'@').ok_or_else(bad)?;
        let key = dsn.get(scheme_len..at).ok_or_else(bad)?;
        // A secret key (`public:secret@`) is legacy and must never ship in an extension.
        let public_key = split_first(key, b':').map_or(key, |(public, _)| public);
        if public_key.is_empty() || !all_bytes(public_key, |b| b.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        let url = dsn[..scheme_len].to_owned() + &dsn[at + 1..];
        let (origin, path) = split_url(FIELD, &url)?;
        let (prefix, project_id) = split_last(path, b'/').ok_or_else(bad)?;
        if project_id.is_empty() || !all_bytes(project_id, |b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(SentryDsn {
            base: origin.to_owned() + prefix,
            public_key: public_key.to_owned(),
            project_id: project_id.to_owned(),
        })
    }

    /// The envelope URL with the query authentication browser SDKs use
    /// (no `X-Sentry-Auth` header, so no CORS preflight).
    pub fn envelope_url(&self) -> String {
        self.base.clone()
            + "/api/"
            + &self.project_id
            + "/envelope/?sentry_key="
            + &self.public_key
            + "&sentry_version=7&sentry_client="
            + sentry::CLIENT
    }
}

/// The `sentry` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentryOptions {
    /// From `sentry.dsn`.
    pub dsn: SentryDsn,
    /// From `sentry.types`.
    pub types: Types,
}

/// The `otlp` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpOptions {
    /// The collector's base URL; `/v1/logs` and `/v1/metrics` are appended.
    pub endpoint: String,
    /// Sent with every request (API keys of hosted backends).
    pub headers: Vec<(String, String)>,
    /// From `otlp.types`.
    pub types: Types,
}

impl OtlpOptions {
    /// Checks `otlp.endpoint` and `otlp.types`.
    pub fn new(
        endpoint: &str,
        headers: Vec<(String, String)>,
        types: Option<&[String]>,
    ) -> Result<OtlpOptions> {
        let (origin, path) = split_url("otlp.endpoint", endpoint)?;
        if path.ends_with("/v1/logs") || path.ends_with("/v1/metrics") {
            return Err(invalid(
                "otlp.endpoint",
                "must be the collector's base URL: the SDK appends /v1/logs and /v1/metrics",
            ));
        }
        for (name, _) in &headers {
            if name.is_empty() || !all_bytes(name, |b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(invalid("otlp.headers", "must map header names to strings"));
            }
        }
        Ok(OtlpOptions {
            endpoint: origin.to_owned() + path,
            headers,
            types: Kind::Otlp.types(types)?,
        })
    }
}

/// The `posthog` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosthogOptions {
    /// The project API key (`phc_…`): public by design, sent in the body.
    pub api_key: String,
    /// `https://us.i.posthog.com`, `https://eu.i.posthog.com` or a self-hosted one.
    pub host: String,
    /// From `posthog.types`.
    pub types: Types,
}

/// PostHog's US cloud: the host when `posthog.host` is left out.
pub const POSTHOG_DEFAULT_HOST: &str = "https://us.i.posthog.com";

impl PosthogOptions {
    /// Checks `posthog.apiKey`, `posthog.host` and `posthog.types`.
    pub fn new(
        api_key: &str,
        host: Option<&str>,
        types: Option<&[String]>,
    ) -> Result<PosthogOptions> {
        if api_key.is_empty() || api_key.contains(|c: char| c.is_whitespace()) {
            return Err(invalid(
                "posthog.apiKey",
                "is required: the project API key, phc_…",
            ));
        }
        let (origin, path) = split_url("posthog.host", host.unwrap_or(POSTHOG_DEFAULT_HOST))?;
        Ok(PosthogOptions {
            api_key: api_key.to_owned(),
            host: origin.to_owned() + path,
            types: Kind::Posthog.types(types)?,
        })
    }
}

/// Every destination configured, the v1 collector included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Destinations {
    /// The v1 collector's origin, if `endpoint` is set.
    pub endpoint: Option<String>,
    /// The `sentry` option.
    pub sentry: Option<SentryOptions>,
    /// The `otlp` option.
    pub otlp: Option<OtlpOptions>,
    /// The `posthog` option.
    pub posthog: Option<PosthogOptions>,
}

impl Destinations {
    /// Checks that at least one destination is set.
    pub fn check(self) -> Result<Destinations> {
        if self.endpoint.is_none()
            && self.sentry.is_none()
            && self.otlp.is_none()
            && self.posthog.is_none()
        {
            return Err(invalid(
                "endpoint",
                "is required unless sentry, otlp or posthog is set",
            ));
        }
        Ok(self)
    }

    /// Checks a v1 `endpoint` by the same URL rules.
    pub fn endpoint(url: &str) -> Result<String> {
        let (origin, path) = split_url("endpoint", url)?;
        Ok(origin.to_owned() + path)
    }
}

/// A string field of a stored item, `""` if absent. One out-of-line reader
/// for every encoder: inlined lookups at each use cost wasm size.
#[inline(never)]
pub(crate) fn text<'a>(item: &'a Json, key: &str) -> &'a str {
    item.get(key).and_then(Json::as_str).unwrap_or_default()
}

// The encoders' JSON writers. Not inlined on purpose: `String::push_str`
// and `push` inline their growth check at every call site (~30 bytes of wasm
// each) and the encoders have some 200 of them; one call each instead, and a
// literal written with the value after it (`,"key":` + value) is one call.

/// Appends `text` as it is.
#[inline(never)]
pub(crate) fn put(out: &mut String, text: &str) {
    out.push_str(text);
}

/// Appends `lit`, then `value` as a JSON string.
#[inline(never)]
pub(crate) fn put_str(out: &mut String, lit: &str, value: &str) {
    put(out, lit);
    push_string(out, value);
}

/// Appends `lit`, then `true` or `false` (literals the JSON writer has
/// already, so no second copy of the key per value).
#[inline(never)]
pub(crate) fn put_bool(out: &mut String, lit: &str, value: bool) {
    put(out, lit);
    put(out, if value { "true" } else { "false" });
}

/// Appends `lit`, then `n` in decimal.
#[inline(never)]
pub(crate) fn put_u64(out: &mut String, lit: &str, n: u64) {
    put(out, lit);
    push_u64(out, n);
}

/// A comma, unless `out` has just opened an array or object: list writers
/// need no `first` flags.
#[inline(never)]
pub(crate) fn sep(out: &mut String) {
    if !matches!(out.as_bytes().last(), None | Some(b'[' | b'{')) {
        out.push_byte(b',');
    }
}

/// The array under `key` of a stored item, empty if absent.
#[inline(never)]
pub(crate) fn list<'a>(item: &'a Json, key: &str) -> &'a [Json] {
    match item.get(key) {
        Some(Json::Array(values)) => values,
        _ => &[],
    }
}

/// A string field of a stored item, if present.
#[inline(never)]
pub(crate) fn opt_text<'a>(item: &'a Json, key: &str) -> Option<&'a str> {
    match item.get(key) {
        Some(Json::String(value)) => Some(value),
        _ => None,
    }
}

/// An integer field of a stored item, if present.
#[inline(never)]
pub(crate) fn number(item: &Json, key: &str) -> Option<u64> {
    item.get(key).and_then(Json::as_u64)
}

/// Appends `lit`, then the string field `key` of `item` (`""` if absent) as
/// a JSON string. The lookup inside: a `&str` returned to each call site
/// goes through memory in wasm (size).
#[inline(never)]
pub(crate) fn put_field(out: &mut String, lit: &str, item: &Json, key: &str) {
    put_str(out, lit, text(item, key));
}

/// Appends `lit`, then the integer field `key` of `item`, if it has one;
/// true if it had.
#[inline(never)]
pub(crate) fn put_opt_u64(out: &mut String, lit: &str, item: &Json, key: &str) -> bool {
    let n = number(item, key);
    if let Some(n) = n {
        put_u64(out, lit, n);
    }
    n.is_some()
}

/// The item's type as an enum (`None` for an unknown one): one call where
/// the encoders branch on it.
#[inline(never)]
pub(crate) fn item_type(item: &Json) -> Option<ItemType> {
    ItemType::from_name(text(item, "type"))
}

/// The item's `ts`, or `now` if it has none.
#[inline(never)]
pub(crate) fn timestamp(item: &Json, now: Millis) -> Millis {
    number(item, "ts").unwrap_or(now)
}

/// What every encoder needs besides the items: who sends, and when.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    /// The extension's name (`chrome.runtime.getManifest().name`): Sentry's
    /// release prefix, OTel's `service.name`.
    pub app_name: &'a str,
    /// Version, environment, browser, OS, locale.
    pub context: &'a Context,
    /// The anonymous ID: Sentry `user.id`, PostHog `distinct_id`, OTel `app.installation.id`.
    pub anonymous_id: &'a str,
    /// The attempt's time: `sent_at`, never stored.
    pub now: Millis,
}

/// Appends a v1 stack frame's file as the backends should see it, escaped
/// for a JSON string (without quotes). The SDK reduces
/// `chrome-extension://<id>/path` to `/path` at record time, and Sentry (and
/// PostHog's error tracking, which uses Sentry's shape) want `app:///path`
/// so source maps match across installs and Sentry's browser-extension
/// inbound filter does not drop the event: `/path` and
/// `chrome-extension://<id>/path` become `app:///path`, anything else stays.
/// Written, not returned: a returned pair of strings goes through memory.
#[inline(never)]
pub(crate) fn push_app_path(out: &mut String, file: &str) {
    let mut rest = file;
    if file.starts_with('/') {
        put(out, "app://");
    } else if let Some(tail) = file.strip_prefix("chrome-extension://") {
        // An index loop: `split_once('/')` links a char searcher, and
        // iterator adapters stay calls at this opt-level (size).
        let bytes = tail.as_bytes();
        let mut at = 0;
        while at < bytes.len() && bytes[at] != b'/' {
            at += 1;
        }
        put(out, "app:///");
        rest = tail.get(at + 1..).unwrap_or_default();
    }
    push_escaped(out, rest);
}

/// Appends `lit`, then `prefix` (ASCII that needs no escaping) and `rest`
/// as one JSON string: no allocation to join them.
pub(crate) fn put_joined(out: &mut String, lit: &str, prefix: &str, rest: &str) {
    put(out, lit);
    put(out, "\"");
    put(out, prefix);
    push_escaped(out, rest);
    put(out, "\"");
}

/// Appends `lit`, then a frame's file as [`push_app_path`] rewrites it, as a JSON string.
#[inline(never)]
pub(crate) fn put_path(out: &mut String, lit: &str, file: &str) {
    put(out, lit);
    put(out, "\"");
    push_app_path(out, file);
    put(out, "\"");
}

/// Appends `lit`, then `ms` as an RFC 3339 timestamp string.
#[inline(never)]
pub(crate) fn put_time(out: &mut String, lit: &str, ms: Millis) {
    put(out, lit);
    put(out, "\"");
    push_rfc3339(out, ms);
    put(out, "\"");
}
