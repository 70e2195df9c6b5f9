// Options page: shows consent status and lets the user allow or deny.
// Talks to the service worker by messages (which also wake it when stopped);
// its own telemetry goes through connect(), recorded by the worker's SDK.
// No inline scripts: the extension CSP forbids them.
import { connect } from './vendor/mv3-telemetry/page.js';

const telemetry = connect();

const $ = (id) => document.getElementById(id);

async function send(msg) {
  const res = await chrome.runtime.sendMessage(msg);
  if (!res || !res.ok) throw new Error((res && res.error) || 'no answer from the service worker');
  return res.value;
}

function formatStats(stats) {
  if (!stats) return '–';
  const dropped = Object.entries(stats.dropped || {})
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `queued ${stats.queued}, sent ${stats.sent}, retries ${stats.retries}` +
    (dropped ? `, dropped: ${dropped}` : '');
}

function render(status) {
  const labels = { pending: 'not decided yet (nothing is collected)', granted: 'allowed', denied: 'denied (nothing is collected)' };
  $('consent-status').textContent = labels[status.consent] || status.consent;
  $('consent-status').dataset.consent = status.consent;
  $('anonymous-id').textContent = status.anonymousId || 'none';
  $('stats').textContent = formatStats(status.stats);
  $('send-test').disabled = status.consent !== 'granted';
  $('error').hidden = true;
}

function showError(err) {
  $('error').textContent = `Error: ${err.message || err}`;
  $('error').hidden = false;
}

async function refresh() {
  try { render(await send({ cmd: 'status' })); } catch (err) { showError(err); }
}

async function setConsent(granted) {
  try { render(await send({ cmd: 'setConsent', granted })); } catch (err) { showError(err); }
}

$('allow').addEventListener('click', () => setConsent(true));
$('deny').addEventListener('click', () => setConsent(false));
$('refresh').addEventListener('click', refresh);
$('send-test').addEventListener('click', async () => {
  try {
    await telemetry.track('options_test_event');
    await telemetry.flush();
  } catch (err) { showError(err); }
  refresh();
});

refresh();
