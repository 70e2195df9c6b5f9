// Mistakes a user of 'mv3-telemetry/page' can make; tsc must reject exactly
// the lines marked `// misuse:` (tests/e2e/types.test.mjs).
import { connect, type ContextKind } from 'mv3-telemetry/page';

const telemetry = connect();
connect({ endpoint: 'https://collector.example.com' }); // misuse: worker options stay in the worker
connect({ captureGlobalErrors: 'yes' }); // misuse: a boolean
connect({ context: 'background' }); // misuse: not a context kind
const kind: ContextKind = 'service_worker'; // misuse: not a context kind

export async function run(): Promise<void> {
  const consent: 'granted' = telemetry.consentStatus(); // misuse: a promise here
  const recorded: void = await telemetry.track('x'); // misuse: resolves to a boolean
  telemetry.track(42); // misuse: names are strings
  telemetry.feedback({ type: 'complaint' }); // misuse: not a feedback type
  telemetry.setConsent('yes'); // misuse: a boolean
  telemetry.anonymousId(); // misuse: the worker's, not a page's
  telemetry.stats(); // misuse: the worker's, not a page's
  console.log(consent, recorded, kind);
}
