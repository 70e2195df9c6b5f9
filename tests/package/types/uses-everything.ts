// A service worker written against the published types: every export, every
// option and every member of the API, as a user would write them. It must
// type-check with `tsc --strict` (tests/e2e/types.test.mjs).
import {
  init,
  scrub,
  createMemoryStorage,
  type Batch,
  type BatchOptions,
  type Breadcrumb,
  type ConsentStatus,
  type ContextKind,
  type DeletionRequest,
  type DropReason,
  type ErrorCause,
  type ErrorItem,
  type EventItem,
  type Feedback,
  type FeedbackItem,
  type FeedbackRating,
  type FeedbackType,
  type FlushResult,
  type Item,
  type ItemBase,
  type ItemType,
  type JsonObject,
  type JsonValue,
  type MemoryStorage,
  type OptionsWithoutEndpoint,
  type OtlpOptions,
  type PosthogOptions,
  type Props,
  type RetryOptions,
  type ScrubOptions,
  type SentErrorItem,
  type SentryOptions,
  type SentItem,
  type StackFrame,
  type StorageAreaLike,
  type Telemetry,
  type TelemetryOptions,
  type TelemetryStats,
  type Timer,
  type TimingItem,
} from 'mv3-telemetry';

const storage: MemoryStorage = createMemoryStorage();
const written: Map<string, unknown> = storage.data;
const area: StorageAreaLike = storage;

const batch: BatchOptions = { maxEvents: 20, maxBytes: 32_000, flushIntervalMs: 10_000, errorFlushDelayMs: 500 };
const retry: RetryOptions = { baseDelayMs: 500, maxDelayMs: 60_000, maxAttempts: 5 };
const scrubbing: ScrubOptions = { denyKeys: ['ssn'], allowKeys: ['session_length'] as const, extraPatterns: [/order-\d+/g] };

// Interfaces (not only object literals) are accepted as props.
interface SyncProps {
  provider: string;
  items: number;
}
const syncProps: SyncProps = { provider: 'drive', items: 3 };

function redact(item: Item): Item | null | undefined {
  switch (item.type) {
    case 'event': {
      const event: EventItem = item;
      if (event.name === 'noise') return null;
      // Items from a page client (connect()) say where they came from.
      const from: ContextKind | undefined = event.context_kind;
      if (from === 'content_script' && event.origin?.startsWith('http:')) return null;
      event.props['edited'] = true;
      return event;
    }
    case 'error': {
      const error: ErrorItem = item;
      const frames: StackFrame[] = error.stack;
      const top: string | null = frames[0]?.in_app === false ? null : frames[0]?.file ?? null;
      const crumbs: Breadcrumb[] = error.breadcrumbs;
      const causes: ErrorCause[] = error.causes ?? [];
      return { ...error, context: { ...error.context, top, crumbs: crumbs.length, causes: causes.map((c) => c.kind).join(' < '), fingerprint: error.fingerprint, kind: error.kind } };
    }
    case 'timing': {
      const timing: TimingItem = item;
      const summary: number[] = [timing.count, timing.sum, timing.min, timing.max, timing.p50, timing.p95, timing.p99];
      const unit: 'ms' = timing.unit;
      return summary.length > 0 && unit === 'ms' ? timing : undefined;
    }
    case 'feedback': {
      const feedback: FeedbackItem = item;
      const kind: FeedbackType = feedback.kind;
      const rating: FeedbackRating | undefined = feedback.rating;
      return kind === 'other' && rating === undefined && feedback.message === undefined && feedback.contact === undefined ? null : feedback;
    }
  }
}

const consent: ConsentStatus = 'pending';
const options: TelemetryOptions = {
  endpoint: 'https://collector.example.com',
  appVersion: '1.2.3',
  environment: 'staging',
  defaultConsent: consent,
  sampleRate: 0.5,
  maxQueuedItems: 500,
  maxStorageBytes: 1_048_576,
  batch,
  retry,
  scrub: scrubbing,
  beforeSend: redact,
  captureGlobalErrors: true,
  lifecycleEvents: false,
  compression: 'none',
  debug: false,
  slowThresholdMs: 250,
  storage: area,
  sentry: { dsn: 'https://abc123@o1.ingest.sentry.io/4505', types: ['error'] },
  otlp: { endpoint: 'https://otel.example.com', headers: { 'x-api-key': 'k' }, types: ['event', 'timing'] },
  posthog: { apiKey: 'phc_x', host: 'https://eu.i.posthog.com', types: ['event'] },
};
// Without the v1 collector, one other destination is enough.
const sentry: SentryOptions = { dsn: 'https://abc123@o1.ingest.sentry.io/4505' };
const otlp: OtlpOptions = { endpoint: 'http://127.0.0.1:4318' };
const posthog: PosthogOptions = { apiKey: 'phc_x' };
const otlpTypes: ItemType[] = ['feedback'];
const withoutEndpoint: OptionsWithoutEndpoint = { sentry, environment: 'staging' };
init(withoutEndpoint);
init({ otlp: { ...otlp, types: otlpTypes } });
init({ posthog, debug: true });

const telemetry: Telemetry = init(options);
// An inline hook gets its parameter type from the option.
init({ endpoint: 'http://127.0.0.1:8787', beforeSend: (item) => (item.type === 'event' && item.name === 'x' ? null : item) });
init({ endpoint: 'http://localhost:8787', compression: 'gzip', defaultConsent: 'denied', beforeSend: () => undefined });

async function main(): Promise<void> {
  const ready: Promise<void> = telemetry.ready;
  await ready;
  const status: ConsentStatus = telemetry.consentStatus();
  if (status !== 'granted') await telemetry.setConsent(true);

  telemetry.track('popup_opened');
  telemetry.track('sync', syncProps);
  telemetry.track('feature_used', { feature: 'dark_mode', nested: { on: true }, when: new Date(), big: 10n });
  const props: Props = { tab_count: 3 };
  telemetry.track('tabs', props);

  telemetry.captureError(new TypeError('boom'));
  telemetry.captureError('a string', { step: 'load' });
  telemetry.captureError(undefined);

  const timer: Timer = telemetry.startTimer('load', { cold: true });
  const ms: number = timer.stop({ cache: 'miss' });
  telemetry.startTimer('quick').stop();

  const answer: number = await telemetry.measure('compute', async () => 42);
  const label: string = await telemetry.measure('sync_label', () => 'done');
  const nothing: void = await telemetry.measure('sleep', () => new Promise<void>((resolve) => setTimeout(resolve, 1)));

  const feedback: Feedback = { type: 'bug', rating: 4, message: 'Sync broke', contact: 'me@example.com' };
  telemetry.feedback(feedback);
  telemetry.feedback({ type: 'idea' });

  const flushed: FlushResult = await telemetry.flush();
  const counts: number = flushed.sent + flushed.pending;
  const id: string | null = telemetry.anonymousId();

  const stats: TelemetryStats = telemetry.stats();
  const reason: DropReason = 'hook_error';
  const dropped: number = stats.dropped[reason];
  const total: number = stats.queued + stats.sent + stats.retries + stats.truncated + stats.buffered + dropped;

  const text: string = scrub('mail alice@example.com');
  const cleaned: { email: string; nested: { token: string } } = scrub({ email: 'a@b.c', nested: { token: 'x' } });

  const json: JsonValue = [1, 'two', { three: null }];
  const object: JsonObject = { json };
  console.log(written, ms, answer, label, nothing, counts, id, total, text, cleaned, object);
  await telemetry.setConsent(false);
}

// For collector authors: the wire types.
function receive(body: Batch, deletion: DeletionRequest): number {
  const base: ItemBase = body.items[0] ?? { id: '', ts: 0 };
  let errors = 0;
  for (const item of body.items as SentItem[]) {
    if (item.type === 'error') {
      const sent: SentErrorItem = item;
      errors += sent.count;
    }
  }
  const lost: number = body.dropped.queue_full + body.dropped.sampled + body.dropped.before_send + body.dropped.rejected +
    body.dropped.invalid + (body.dropped.retry_exhausted ?? 0) + (body.dropped.hook_error ?? 0) +
    (body.dropped.storage_full ?? 0) + (body.dropped.corrupt_state ?? 0);
  const sdk: 'mv3-telemetry' = body.sdk.name;
  return errors + lost + base.ts + body.batch_id.length + body.sent_at.length + body.anonymous_id.length + body.session_id.length +
    body.context.app_version.length + body.context.environment.length + body.context.browser.length + body.context.os.length +
    body.context.locale.length + sdk.length + body.sdk.version.length + deletion.anonymous_id.length + deletion.requested_at.length;
}

void main();
void receive;
