// The service worker's console as DevTools shows it: console.* calls,
// uncaught exceptions and the browser's own messages (CORS, network), which
// Playwright's worker `console` event does not carry. Read through a session
// on the worker's own DevTools target (Browser.attachToWorker).
import { waitFor } from './harness.mjs';

/** One line per console entry, the way DevTools prints its first line. */
const LINE_OF = {
  'Runtime.consoleAPICalled': (params) => {
    const parts = params.args.map((a) => (a.type === 'string' ? a.value : a.description ?? String(a.value)));
    return `${params.type}: ${parts.join(' ')}`;
  },
  'Runtime.exceptionThrown': (params) => {
    const d = params.exceptionDetails;
    const what = d.exception?.description ?? d.text;
    return `error: ${d.text === 'Uncaught' ? 'Uncaught ' : `${d.text} `}${what}`;
  },
  'Log.entryAdded': (params) => `${params.entry.level}: ${params.entry.text}`,
};

/**
 * Starts recording the console of the extension's service worker (running
 * now; Runtime.enable replays what it logged before). Returns {lines,
 * waitForLine(re, {timeout, message})}: the first line matching `re`, or a
 * timeout error that shows the whole console.
 */
export async function recordWorkerConsole(browser) {
  const lines = [];
  const session = await browser.attachToWorker();
  for (const [method, lineOf] of Object.entries(LINE_OF)) session.on(method, (params) => lines.push(lineOf(params)));
  await session.send('Runtime.enable');
  await session.send('Log.enable');
  return {
    lines,
    waitForLine: (re, { timeout = 15_000, message = String(re) } = {}) => waitFor(() => lines.find((l) => re.test(l)), {
      timeout, message, describe: async () => `worker console:\n  ${lines.join('\n  ')}`,
    }),
  };
}
