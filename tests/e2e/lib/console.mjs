// The service worker's console as DevTools shows it: console.* calls,
// uncaught exceptions and the browser's own messages (CORS, network), which
// Playwright's worker `console` event does not carry. It attaches to the
// worker's DevTools target through the harness's CDP session.

/** One line per console entry, the way DevTools prints its first line. */
function lineOf(method, params) {
  if (method === 'Runtime.consoleAPICalled') {
    const parts = params.args.map((a) => (a.type === 'string' ? a.value : a.description ?? String(a.value)));
    return `${params.type}: ${parts.join(' ')}`;
  }
  if (method === 'Runtime.exceptionThrown') {
    const d = params.exceptionDetails;
    const what = d.exception?.description ?? d.text;
    return `error: ${d.text === 'Uncaught' ? 'Uncaught ' : `${d.text} `}${what}`;
  }
  if (method === 'Log.entryAdded') return `${params.entry.level}: ${params.entry.text}`;
  return null;
}

/**
 * Starts recording the console of the extension's service worker (running
 * now). Returns {lines, find(re), attach()}; call attach() again after the
 * worker restarted, since each start is a new DevTools target.
 */
export async function recordWorkerConsole(browser) {
  const cdp = browser._cdp;
  const lines = [];
  let nextId = 1;
  const sessions = new Set();
  cdp.on('Target.receivedMessageFromTarget', ({ sessionId, message }) => {
    if (!sessions.has(sessionId)) return;
    const { method, params } = JSON.parse(message);
    const line = method && lineOf(method, params);
    if (line) lines.push(line);
  });
  async function attach() {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const worker = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(browser.extensionUrl('')));
    if (!worker) throw new Error('no service worker target to attach to');
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
    sessions.add(sessionId);
    for (const method of ['Runtime.enable', 'Log.enable']) {
      await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: nextId++, method }) });
    }
  }
  await attach();
  return {
    lines,
    attach,
    /** The first line matching `re`, or undefined. */
    find: (re) => lines.find((l) => re.test(l)),
  };
}
