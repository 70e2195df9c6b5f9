// Types for mv3-telemetry. The full contract (defaults, wire format, privacy
// guarantees) is in the package README.

/** The user's consent. `pending` and `denied` record, store and send nothing. */
export type ConsentStatus = 'pending' | 'granted' | 'denied';

/**
 * Why items were not delivered; every drop is counted under one of these in
 * `stats().dropped` and reported in the next batch's `dropped`.
 *
 * - `queue_full`: `maxQueuedItems` reached (the oldest item made room), or too many calls before `ready`
 * - `sampled`: removed by `sampleRate`
 * - `before_send`: `beforeSend` returned `null`
 * - `rejected`: the collector answered 4xx (not 408/429)
 * - `invalid`: unusable input (empty name, unknown feedback type)
 * - `retry_exhausted`: `retry.maxAttempts` failures answered by the collector (network errors never exhaust)
 * - `hook_error`: `beforeSend` threw; the item was kept unchanged
 * - `storage_full`: storage refused a write or `maxStorageBytes` was reached; the oldest items made room
 * - `corrupt_state`: stored state under the SDK's keys could not be read or validated
 * - `ratelimit_backoff`: Sentry's rate limit for the item's category was running (counted once per destination after acceptance)
 */
export type DropReason =
  | 'queue_full'
  | 'sampled'
  | 'before_send'
  | 'rejected'
  | 'invalid'
  | 'retry_exhausted'
  | 'hook_error'
  | 'storage_full'
  | 'corrupt_state'
  | 'ratelimit_backoff';

/** A JSON value, as items carry it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * Properties of an event, a timer or an error's context. Any object is
 * accepted: values that are not JSON (cycles, BigInt, functions, Dates, Maps)
 * are coerced, truncated or dropped, never thrown on.
 */
export type Props = { readonly [key: string]: any };

/**
 * The storage the SDK keeps its state in: `chrome.storage.local` (the
 * default), `chrome.storage.session`, or any object with the same promise
 * API. The SDK calls `get` and `remove` with an array of keys and `set` with
 * an object of string values.
 */
export interface StorageAreaLike {
  get(keys: string[]): Promise<{ [key: string]: unknown }>;
  set(items: { [key: string]: unknown }): Promise<void>;
  remove(keys: string[]): Promise<void>;
}

/** An in-memory {@link StorageAreaLike}; `data` holds what was written. */
export interface MemoryStorage extends StorageAreaLike {
  readonly data: Map<string, unknown>;
}

/** `batch` option: when a queue is sent. */
export interface BatchOptions {
  /**
   * Items per request (1 to 10000).
   * @defaultValue 50
   */
  maxEvents?: number;
  /**
   * Serialized bytes per request (1024 to 1000000); the default stays under `fetch` keepalive's 64 KiB budget.
   * @defaultValue 60000
   */
  maxBytes?: number;
  /**
   * Age in ms of the oldest queued item that triggers a send; also the timing aggregation window.
   * @defaultValue 30000
   */
  flushIntervalMs?: number;
  /**
   * The same for errors.
   * @defaultValue 1000
   */
  errorFlushDelayMs?: number;
}

/** `retry` option: full-jitter exponential backoff, never earlier than `Retry-After`. */
export interface RetryOptions {
  /**
   * The first retry waits up to this many ms.
   * @defaultValue 1000
   */
  baseDelayMs?: number;
  /**
   * The longest wait in ms (not less than `baseDelayMs`).
   * @defaultValue 3600000
   */
  maxDelayMs?: number;
  /**
   * Failures the collector answered (5xx, 408, 429) before a batch is dropped as `retry_exhausted`
   * (1 to 1000). Network errors (offline) never drop a batch; they only lengthen the backoff.
   * @defaultValue 10
   */
  maxAttempts?: number;
}

/** `scrub` option: additions to the built-in scrubbing rules. */
export interface ScrubOptions {
  /**
   * Key names whose values become `[Filtered]`, besides the built-in list (password, token, api_key, cookie, ...).
   * @defaultValue []
   */
  denyKeys?: readonly string[];
  /**
   * Key names never filtered by key name (their text is still scrubbed).
   * @defaultValue []
   */
  allowKeys?: readonly string[];
  /**
   * Patterns whose matches in text become `[Filtered]`, run by the browser's RegExp engine.
   * @defaultValue []
   */
  extraPatterns?: readonly RegExp[];
}

/** The item types a destination can take; each destination carries a subset (see its `types`). */
export type ItemType = 'event' | 'error' | 'timing' | 'feedback';

/** `sentry` option: errors and feedback as Sentry envelopes (`docs/destinations.md`). */
export interface SentryOptions {
  /** The project's DSN, `https://<publicKey>@o1.ingest.sentry.io/<projectId>`. Required. */
  dsn: string;
  /**
   * What goes to Sentry.
   * @defaultValue `['error', 'feedback']`
   */
  types?: readonly ('error' | 'feedback')[];
}

/** `otlp` option: an OpenTelemetry collector, OTLP/HTTP with JSON bodies. */
export interface OtlpOptions {
  /** The collector's base URL (the SDK appends `/v1/logs` and `/v1/metrics`), e.g. `https://otel.example.com`. Required. */
  endpoint: string;
  /**
   * Sent with every request, e.g. `{ 'x-api-key': '…' }` for a hosted backend.
   * @defaultValue {}
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * What goes to the collector: events, errors and feedback as log records, timings as exponential histograms.
   * @defaultValue `['event', 'error', 'timing', 'feedback']`
   */
  types?: readonly ItemType[];
}

/** `posthog` option: events and errors to PostHog's `/batch/`, without person profiles. */
export interface PosthogOptions {
  /** The project API key, `phc_…`. Required. */
  apiKey: string;
  /**
   * The PostHog host.
   * @defaultValue `'https://us.i.posthog.com'`
   */
  host?: string;
  /**
   * What goes to PostHog.
   * @defaultValue `['event', 'error']`
   */
  types?: readonly ('event' | 'error')[];
}

/** What `init()` takes. Unknown options and invalid values throw a `TypeError` naming the field. */
export interface TelemetryOptions {
  /**
   * The v1 collector's origin, e.g. `https://collector.example.com`: `https:`, or `http:` only for localhost and 127.0.0.1.
   * Required unless `sentry`, `otlp` or `posthog` is set (see {@link OptionsWithoutEndpoint}).
   */
  endpoint: string;
  /** Errors and feedback to Sentry, with release health (README, "Sending to Sentry, OpenTelemetry or PostHog"). */
  sentry?: SentryOptions;
  /** Events, errors, timings and feedback to an OpenTelemetry collector. */
  otlp?: OtlpOptions;
  /** Events and errors to PostHog. */
  posthog?: PosthogOptions;
  /**
   * Sent as `context.app_version`.
   * @defaultValue the manifest's `version`
   */
  appVersion?: string;
  /**
   * Sent as `context.environment`.
   * @defaultValue `'production'`
   */
  environment?: string;
  /**
   * Consent until the user chooses; a stored choice wins.
   * @defaultValue `'pending'`
   */
  defaultConsent?: ConsentStatus;
  /**
   * Fraction of usage events kept, 0 to 1 (drops are counted as `sampled`; errors, timings and feedback are never sampled).
   * @defaultValue 1
   */
  sampleRate?: number;
  /**
   * Items held at most (1 to 100000); past it the oldest is dropped as `queue_full`.
   * @defaultValue 1000
   */
  maxQueuedItems?: number;
  /**
   * Bytes the SDK's own keys may take in `chrome.storage.local` (65536 to 1 GiB); past it the
   * oldest items are dropped as `storage_full`. A storage that refuses writes shrinks it for a while.
   * @defaultValue 4194304
   */
  maxStorageBytes?: number;
  /** When a queue is sent. */
  batch?: BatchOptions;
  /** How failed requests are retried. */
  retry?: RetryOptions;
  /** Additions to the scrubbing rules. */
  scrub?: ScrubOptions;
  /**
   * Sees every item as it will be sent. Return it (edited or not; an edited
   * item is scrubbed again and keeps its `id` and `type`), `undefined` to keep
   * it unchanged, or `null` to drop it (counted as `before_send`). A throw
   * keeps the item unchanged (counted as `hook_error`).
   * @defaultValue none
   */
  beforeSend?: (item: Item) => Item | null | undefined;
  /**
   * Capture the worker's `error` and `unhandledrejection` events (observed only, no `preventDefault`).
   * @defaultValue true
   */
  captureGlobalErrors?: boolean;
  /**
   * With consent: `extension_installed`, `extension_updated`, `browser_startup` and `daily_active` events.
   * @defaultValue true
   */
  lifecycleEvents?: boolean;
  /**
   * Request bodies compressed with `CompressionStream`, or sent as they are.
   * @defaultValue `'gzip'`
   */
  compression?: 'gzip' | 'none';
  /**
   * `console.warn` on drops and failed requests.
   * @defaultValue false
   */
  debug?: boolean;
  /**
   * A timer sample above this many ms also records a `slow_operation` event.
   * @defaultValue 1000
   */
  slowThresholdMs?: number;
  /**
   * Where state is persisted (tests, non-extension workers).
   * @defaultValue `chrome.storage.local`
   */
  storage?: StorageAreaLike;
}

/** What `feedback()` takes. */
export type FeedbackType = 'bug' | 'idea' | 'praise' | 'other';
/** A rating from 1 to 5; anything else is left out of the item. */
export type FeedbackRating = 1 | 2 | 3 | 4 | 5;

/** User feedback, as given to `feedback()`. */
export interface Feedback {
  type: FeedbackType;
  rating?: FeedbackRating;
  /** Scrubbed, capped at 4,000 characters. */
  message?: string;
  /** How to reach the user; kept as given (capped at 320 characters), sent only if given. */
  contact?: string;
}

/** A running timer from `startTimer()`. */
export interface Timer {
  /**
   * Records one sample, with `props` merged over the timer's, and returns the
   * elapsed milliseconds. Stopping again records nothing and returns the same value.
   */
  stop(props?: Props): number;
}

/** What `flush()` resolves with. */
export interface FlushResult {
  /** Items delivered by this flush. */
  readonly sent: number;
  /** Items still held (waiting for a retry, or recorded meanwhile). */
  readonly pending: number;
}

/**
 * Counters for dashboards and tests. Before `ready` they are zeros, `dropped`
 * is empty and `buffered` counts the calls waiting for the core; once ready,
 * `dropped` has every reason and `truncated` is present.
 */
export interface TelemetryStats {
  /** Items held: queued, in flight or waiting for a retry. */
  readonly queued: number;
  /** Items delivered since the installation started sending. */
  readonly sent: number;
  /** Retried attempts. */
  readonly retries: number;
  /** Items accepted after something in them was truncated or coerced. */
  readonly truncated: number;
  /** Drops by reason; every reason is present. */
  readonly dropped: { readonly [R in DropReason]: number };
  /** Calls waiting for the core to load (0 once `ready` has resolved). */
  readonly buffered: number;
}

/** The kind of extension context a page client (`connect()`) reports from. */
export type ContextKind = 'content_script' | 'popup' | 'options' | 'side_panel' | 'offscreen' | 'extension_page';

/** Fields every item has. */
export interface ItemBase {
  /** Unique per item (UUID v4); the collector de-duplicates by it. */
  id: string;
  /** Milliseconds since the epoch. */
  ts: number;
  /** Where a page client recorded it; absent for the worker's own items. */
  context_kind?: ContextKind;
  /** A content script's page origin (`https://host[:port]`, never a path or query). */
  origin?: string;
}

/** A usage event from `track()` (and the SDK's lifecycle events), sent to `/v1/events`. */
export interface EventItem extends ItemBase {
  type: 'event';
  name: string;
  props: JsonObject;
}

/** One parsed stack frame; `chrome-extension://<id>/` is reduced to the path. */
export interface StackFrame {
  function: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  /** `false` for a frame of a web page's own script (a content script's error; its file is the page's origin). */
  in_app?: false;
}

/** One of the last 20 `track()` calls before an error. */
export interface Breadcrumb {
  name: string;
  ts: number;
}

/**
 * A captured error, sent to `/v1/errors`. As `beforeSend` sees it, without
 * `count`: repeats within a flush window fold into one item, whose count is
 * added when the batch is sent (see {@link SentErrorItem}).
 */
export interface ErrorItem extends ItemBase {
  type: 'error';
  /** The error's name (`TypeError`, `DOMException`, ...). */
  kind: string;
  message: string;
  stack: StackFrame[];
  fingerprint: string;
  context: JsonObject;
  breadcrumbs: Breadcrumb[];
  /**
   * The error's `cause` chain, when it has Error-like causes: the direct
   * cause first, the root cause last, at most 5, each scrubbed like the
   * error. Not part of the fingerprint.
   */
  causes?: ErrorCause[];
}

/** One link of an error's `cause` chain: the error's own three parts. */
export interface ErrorCause {
  kind: string;
  message: string;
  stack: StackFrame[];
}

/** Timer samples of one name and props, aggregated per flush window, sent to `/v1/performance`. */
export interface TimingItem extends ItemBase {
  type: 'timing';
  name: string;
  props: JsonObject;
  count: number;
  sum: number;
  min: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
  unit: 'ms';
}

/** User feedback, sent to `/v1/feedback`; the feedback's `type` is sent as `kind`. */
export interface FeedbackItem extends ItemBase {
  type: 'feedback';
  kind: FeedbackType;
  rating?: FeedbackRating;
  message?: string;
  contact?: string;
}

/** Every item `beforeSend` sees, told apart by `type`. */
export type Item = EventItem | ErrorItem | TimingItem | FeedbackItem;

/** An error item as sent: with the number of occurrences folded into it. */
export interface SentErrorItem extends ErrorItem {
  count: number;
}

/** An item as it arrives at the collector. */
export type SentItem = EventItem | SentErrorItem | TimingItem | FeedbackItem;

/** The JSON body of `POST /v1/events`, `/v1/errors`, `/v1/performance` and `/v1/feedback` (for collector authors). */
export interface Batch {
  /** The same on every retry of this batch (also in the `X-Batch-Id` header). */
  batch_id: string;
  /** RFC 3339 time of this attempt. */
  sent_at: string;
  sdk: { name: 'mv3-telemetry'; version: string };
  anonymous_id: string;
  session_id: string;
  context: {
    app_version: string;
    environment: string;
    browser: string;
    os: string;
    locale: string;
  };
  items: SentItem[];
  /** Drops since the last batch: the first five reasons always, the others when not zero. */
  dropped: { [R in 'queue_full' | 'sampled' | 'before_send' | 'rejected' | 'invalid']: number } & {
    [R in 'retry_exhausted' | 'hook_error' | 'storage_full' | 'corrupt_state' | 'ratelimit_backoff']?: number;
  };
}

/** The JSON body of `POST /v1/deletion`, sent once when consent is revoked. */
export interface DeletionRequest {
  anonymous_id: string;
  /** RFC 3339. */
  requested_at: string;
}

/** The SDK instance `init()` returns. */
export interface Telemetry {
  /** Resolves when the core is loaded and persisted state restored; rejects if the core cannot start (e.g. CSP without `'wasm-unsafe-eval'`). */
  readonly ready: Promise<void>;
  /** The current consent. */
  consentStatus(): ConsentStatus;
  /**
   * Persisted. `false` after `true` purges the queue and the anonymous ID
   * from memory and storage, then sends one deletion request.
   */
  setConsent(granted: boolean): Promise<void>;
  /** Records a usage event. Never throws; bad input is coerced, truncated or dropped with a counted reason. */
  track(name: string, props?: Props): void;
  /**
   * Reports any thrown value (Error and subclasses, DOMException, strings,
   * chrome.runtime.lastError, plain objects, undefined) as an `error` item
   * with a parsed, scrubbed stack and the recent `track()` calls as
   * breadcrumbs. Repeats within a flush window become one item with a
   * `count`. Never throws.
   */
  captureError(error: unknown, context?: Props): void;
  /**
   * Starts a timer. Samples aggregate per name and props into `timing` items
   * (count, sum, min, max, p50, p95, p99) per flush window.
   */
  startTimer(name: string, props?: Props): Timer;
  /** Times `fn` (sync or async) with props `{ok: true}`, or `{ok: false}` when it throws or rejects (then rethrows). */
  measure<T>(name: string, fn: () => T): Promise<Awaited<T>>;
  /** Records user feedback. Never throws; an unknown `type` is dropped as `invalid`. */
  feedback(feedback: Feedback): void;
  /** Tries to deliver everything now (still honouring `Retry-After`). */
  flush(): Promise<FlushResult>;
  /** The installation's random UUID v4; `null` unless consent is granted. */
  anonymousId(): string | null;
  /** Counters; see {@link TelemetryStats}. */
  stats(): TelemetryStats;
}

/**
 * Starts the SDK. Call it at the top level of the service worker: it returns
 * at once, registers its listeners synchronously (as MV3 requires) and
 * buffers calls until the core is ready. A second call returns the first
 * instance.
 * @throws TypeError naming the field, when an option is unknown or invalid.
 */
export function init(options: TelemetryOptions | OptionsWithoutEndpoint): Telemetry;

/** Options without the v1 collector: then at least one of `sentry`, `otlp` or `posthog` is required. */
export type OptionsWithoutEndpoint = Omit<TelemetryOptions, 'endpoint'> & { endpoint?: undefined } & (
  | { sentry: SentryOptions }
  | { otlp: OtlpOptions }
  | { posthog: PosthogOptions }
);

/**
 * The scrubber alone, with the default rules: a string is returned scrubbed;
 * any other value is normalized to JSON (as `track()` props are) and returned
 * as a scrubbed copy, in which values under sensitive keys are the string
 * `'[Filtered]'`. Pure. Needs the core: call it after `telemetry.ready`.
 * @throws Error when called before the core has loaded.
 */
export function scrub<T>(value: T): T;

/** An in-memory storage area with `chrome.storage.local`'s API (tests, non-extension workers). */
export function createMemoryStorage(): MemoryStorage;
