// Mistakes the published types must reject. Each line marked `misuse:` must
// be reported by tsc, and no other line may be (tests/e2e/types.test.mjs), so
// a broken import or a typo cannot make this file fail for another reason.
import { init, scrub, createMemoryStorage, type Feedback, type Item, type TelemetryOptions } from 'mv3-telemetry';

const endpoint = 'https://collector.example.com';
const telemetry = init({ endpoint });

init(); // misuse: options are required
init({}); // misuse: endpoint is required
init({ debug: true }); // misuse: endpoint or another destination is required
init({ sentry: { dsn: 'https://k@o1.ingest.sentry.io/1', types: ['event'] } }); // misuse: Sentry does not take events
init({ posthog: { apiKey: 'phc_x', types: ['timing'] } }); // misuse: PostHog does not take timings
init({ otlp: { headers: {} } }); // misuse: otlp.endpoint is required
init({ endpoint: new URL(endpoint) }); // misuse: endpoint is a string, not a URL
init({ endpoint, sampelRate: 0.5 }); // misuse: unknown option (typo)
init({ endpoint, defaultConsent: 'yes' }); // misuse: consent is pending, granted or denied
init({ endpoint, defaultConsent: true }); // misuse: consent is not a boolean
init({ endpoint, sampleRate: '0.5' }); // misuse: sampleRate is a number
init({ endpoint, compression: 'brotli' }); // misuse: compression is gzip or none
init({ endpoint, debug: 'verbose' }); // misuse: debug is a boolean
init({ endpoint, captureGlobalErrors: 1 }); // misuse: captureGlobalErrors is a boolean
init({ endpoint, batch: { maxEvents: '50' } }); // misuse: batch.maxEvents is a number
init({ endpoint, batch: { flushInterval: 1000 } }); // misuse: unknown batch option
init({ endpoint, retry: { attempts: 3 } }); // misuse: unknown retry option
init({ endpoint, scrub: { denyKeys: 'password' } }); // misuse: denyKeys is an array
init({ endpoint, scrub: { extraPatterns: ['secret-\\d+'] } }); // misuse: extraPatterns are RegExps
init({ endpoint, storage: new Map<string, string>() }); // misuse: storage needs chrome.storage's get, set and remove
init({ endpoint, beforeSend: (item: Item) => item.type === 'event' }); // misuse: beforeSend returns an item, null or undefined
init({ endpoint, beforeSend: (item: Item) => JSON.stringify(item) }); // misuse: beforeSend does not return text
init({ endpoint, beforeSend: (item: string) => item }); // misuse: beforeSend gets an item object
init({ endpoint, beforeSend: (item) => (item.type === 'event' ? item.message : item) }); // misuse: events have no message
init({ endpoint, beforeSend: (item) => ({ ...item, type: 'metric' }) }); // misuse: not an item type
const options: TelemetryOptions = { endpoint, appVersion: 1 }; // misuse: appVersion is a string

telemetry.setConsent('granted'); // misuse: setConsent takes a boolean
telemetry.setConsent(); // misuse: setConsent needs an argument
const status: 'granted' | 'denied' = telemetry.consentStatus(); // misuse: consent can also be pending
telemetry.track(); // misuse: track needs a name
telemetry.track('event', 'props'); // misuse: props are an object
telemetry.track('event', 42); // misuse: props are an object, not a number
telemetry.track('event', {}).then(() => {}); // misuse: track returns nothing
telemetry.captureError(new Error('x'), 'context'); // misuse: context is an object
telemetry.startTimer('load').stop('done'); // misuse: stop takes props, not a string
telemetry.startTimer('load').stop(42); // misuse: stop takes props, not a number
telemetry.startTimer('load').end(); // misuse: the timer's method is stop
const elapsed: string = telemetry.startTimer('load').stop(); // misuse: stop returns milliseconds
const measured: Promise<string> = telemetry.measure('compute', async () => 42); // misuse: measure resolves with fn's result
telemetry.measure('compute'); // misuse: measure needs a function
telemetry.feedback({ type: 'complaint' }); // misuse: feedback type is bug, idea, praise or other
telemetry.feedback({ type: 'bug', rating: '5' }); // misuse: rating is a number
telemetry.feedback({ type: 'bug', rating: 10 }); // misuse: rating is 1 to 5
telemetry.feedback({ message: 'no type' }); // misuse: feedback needs a type
telemetry.feedback({ type: 'bug', email: 'a@b.c' }); // misuse: the field is contact
const fb: Feedback = { type: 'idea', contact: 7 }; // misuse: contact is a string
telemetry.flush().then((r) => r.delivered); // misuse: flush resolves with sent and pending
const id: string = telemetry.anonymousId(); // misuse: the ID is null without consent
telemetry.stats().dropped.too_many; // misuse: not a drop reason
telemetry.stats().queued = 0; // misuse: stats are read-only
telemetry.ready = Promise.resolve(); // misuse: ready is read-only
telemetry.identify('user-1'); // misuse: there is no identify (anonymous only)
createMemoryStorage().data = new Map(); // misuse: data is read-only
const clean: number = scrub('text'); // misuse: scrub returns what it was given
scrub(); // misuse: scrub needs a value

void [options, status, elapsed, measured, fb, id, clean];
