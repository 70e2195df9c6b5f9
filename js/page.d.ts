// Types of `mv3-telemetry/page`: the page client for content scripts, the
// popup, the options page, side panels and offscreen documents.
import type { ConsentStatus, ContextKind, Feedback, FlushResult, Props, Timer } from './index.js';

export type { ConsentStatus, ContextKind, Feedback, FlushResult, Props, Timer };

/** Options of `connect()`; the worker's options (endpoint, scrub, ...) stay in the worker. */
export interface ConnectOptions {
  /** Capture this context's `error` and `unhandledrejection` events. Default `true`. */
  captureGlobalErrors?: boolean;
  /**
   * The kind of context, when the manifest cannot tell (an extension page
   * opened another way). The worker ignores it for content scripts.
   */
  context?: ContextKind;
}

/**
 * The worker's recording calls, forwarded to it. Each recording call
 * resolves to `true` once the worker accepted the item, `false` if it was
 * dropped or consent is not granted; code that ignores the result works as
 * with the worker's own calls.
 */
export interface PageTelemetry {
  track(name: string, props?: Props): Promise<boolean>;
  captureError(error: unknown, context?: Props): Promise<boolean>;
  startTimer(name: string, props?: Props): Timer;
  measure<T>(name: string, fn: () => T): Promise<Awaited<T>>;
  feedback(feedback: Feedback): Promise<boolean>;
  /** The worker's consent state, as this page last learned it. */
  consentStatus(): Promise<ConsentStatus>;
  setConsent(granted: boolean): Promise<void>;
  flush(): Promise<FlushResult>;
}

/**
 * Connects this page or content script to the SDK in the service worker
 * (which must call `init()`): one consent, one anonymous ID, one queue.
 * Sends nothing while consent is not granted.
 * @throws TypeError naming the option, when an option is invalid.
 */
export function connect(options?: ConnectOptions): PageTelemetry;
