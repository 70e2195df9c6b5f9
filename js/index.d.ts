// Types for mv3-telemetry. See README.md for the full contract.

/** The user's consent. `pending` and `denied` record, store and send nothing. */
export type ConsentStatus = 'pending' | 'granted' | 'denied';

/** Why items were dropped; every drop is counted under one of these. */
export type DropReason = 'queue_full' | 'sampled' | 'before_send' | 'rejected' | 'invalid' | 'retry_exhausted' | 'hook_error';

/** A JSON-like property bag. Anything else is coerced, never thrown on. */
export type Props = Record<string, unknown>;

/** A storage area with chrome.storage.local's promise API. */
export interface StorageAreaLike {
  get(keys?: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export interface TelemetryOptions {
  /** Collector origin, e.g. `https://collector.example.com`. `https:` only, or `http:` for localhost/127.0.0.1. */
  endpoint: string;
  /** Sent as `context.app_version`. Default: the manifest's `version`. */
  appVersion?: string;
  /** Sent as `context.environment`. Default: `'production'`. */
  environment?: string;
  /** Consent before the user chooses. Default: `'pending'`. */
  defaultConsent?: ConsentStatus;
  /** Fraction of usage events kept (errors and feedback are never sampled). Default: 1. */
  sampleRate?: number;
  /** Items held at most; the oldest are dropped past it. Default: 1000. */
  maxQueuedItems?: number;
  batch?: {
    /** Items per request. Default: 50. */
    maxEvents?: number;
    /** Serialized bytes per request. Default: 60000. */
    maxBytes?: number;
    /** Age of the oldest queued item that triggers a send. Default: 30000. */
    flushIntervalMs?: number;
    /** The same for errors. Default: 1000. */
    errorFlushDelayMs?: number;
  };
  retry?: {
    /** First retry waits up to this (full jitter). Default: 1000. */
    baseDelayMs?: number;
    /** Longest wait. Default: 3600000. */
    maxDelayMs?: number;
    /** Attempts before a batch is dropped. Default: 10. */
    maxAttempts?: number;
  };
  scrub?: {
    /** Extra key names whose values become `[Filtered]`. Default: []. */
    denyKeys?: string[];
    /** Key names never filtered. Default: []. */
    allowKeys?: string[];
    /** Extra patterns replaced by `[Filtered]` in text. Default: []. */
    extraPatterns?: RegExp[];
  };
  /** Edit or drop (`null`) each item before it is queued. */
  beforeSend?: (item: Record<string, unknown>) => Record<string, unknown> | null;
  /** Capture the worker's `error` and `unhandledrejection`. Default: true. */
  captureGlobalErrors?: boolean;
  /** Install/update/startup events and daily actives. Default: true. */
  lifecycleEvents?: boolean;
  /** Request bodies gzip-compressed. Default: `'gzip'`. */
  compression?: 'gzip' | 'none';
  /** `console.warn` on drops and failed requests. Default: false. */
  debug?: boolean;
  /** Samples slower than this also produce a `slow_operation` event. Default: 1000. */
  slowThresholdMs?: number;
  /** Storage override (tests, non-extension workers). Default: `chrome.storage.local`. */
  storage?: StorageAreaLike;
}

/** Counters for dashboards and tests. */
export interface TelemetryStats {
  queued: number;
  sent: number;
  retries: number;
  truncated?: number;
  dropped: Partial<Record<DropReason, number>>;
}

/** A running timer. */
export interface Timer {
  /** Records one sample (once) and returns the elapsed milliseconds. */
  stop(props?: Props): number;
}

/** What `feedback()` takes. */
export interface Feedback {
  type: 'bug' | 'idea' | 'praise' | 'other';
  /** 1 to 5. */
  rating?: number;
  message?: string;
  /** How to reach the user; sent only if given. */
  contact?: string;
}

export interface Telemetry {
  /** Resolves when the core is loaded and persisted state restored. */
  readonly ready: Promise<void>;
  consentStatus(): ConsentStatus;
  /** Persisted. `false` after `true` purges the queue and ID and sends one deletion request. */
  setConsent(granted: boolean): Promise<void>;
  /** Records a usage event. Never throws. */
  track(name: string, props?: Props): void;
  /**
   * Reports any thrown value (Error and subclasses, DOMException, strings,
   * chrome.runtime.lastError, plain objects, undefined) as an `error` item with
   * a parsed, scrubbed stack. Repeats within a flush window become one item
   * with a `count`. Never throws.
   */
  captureError(error: unknown, context?: Props): void;
  /**
   * Starts a timer; `stop()` records one sample and returns the milliseconds
   * (stopping twice records once). Samples aggregate per name and props into
   * `timing` items (count, sum, min, max, p50, p95, p99) per flush window.
   */
  startTimer(name: string, props?: Props): Timer;
  /** Times an async function; records `{ok: false}` on failure and rethrows. */
  measure<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /** User feedback; `message` is scrubbed and capped at 4,000 characters; `contact` is kept only if given. */
  feedback(feedback: Feedback): void;
  /** Tries to deliver everything now. */
  flush(): Promise<{ sent: number; pending: number }>;
  /** `null` unless consent is granted. */
  anonymousId(): string | null;
  stats(): TelemetryStats;
}

/** Starts the SDK; call at the top level of the service worker. Throws a TypeError on invalid options. */
export function init(options: TelemetryOptions): Telemetry;

/** An in-memory storage area with chrome.storage.local's API. */
export function createMemoryStorage(): StorageAreaLike & { data: Map<string, unknown> };
