// A content script written against the published types of
// 'mv3-telemetry/page': every export and every member of the page client. It
// must type-check with `tsc --strict` (tests/e2e/types.test.mjs).
import {
  connect,
  type ConnectOptions,
  type ConsentStatus,
  type ContextKind,
  type Feedback,
  type FlushResult,
  type PageTelemetry,
  type Props,
  type Timer,
} from 'mv3-telemetry/page';

const kind: ContextKind = 'side_panel';
const options: ConnectOptions = { captureGlobalErrors: true, context: kind };
const telemetry: PageTelemetry = connect(options);
connect();

export async function run(): Promise<void> {
  const props: Props = { button: 'save' };
  const accepted: boolean = await telemetry.track('clicked', props);
  const captured: boolean = await telemetry.captureError(new Error('broke'), { step: 'save' });
  const timer: Timer = telemetry.startTimer('render', props);
  const ms: number = timer.stop({ rows: 3 });
  const value: number = await telemetry.measure('load', async () => 42);
  const feedback: Feedback = { type: 'idea', rating: 5, message: 'nice' };
  const sent: boolean = await telemetry.feedback(feedback);
  const consent: ConsentStatus = await telemetry.consentStatus();
  await telemetry.setConsent(consent !== 'granted');
  const flushed: FlushResult = await telemetry.flush();
  console.log(accepted, captured, ms, value, sent, flushed.sent, flushed.pending);
}
