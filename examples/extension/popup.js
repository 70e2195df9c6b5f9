// Popup: buttons that exercise the SDK in the service worker. Every action is
// a message; the worker does the work, so errors and timings happen where the
// SDK watches (the worker's own `error` and `unhandledrejection` events).
// The popup's own errors and events go through connect(): one consent, one
// anonymous ID and one queue with the worker.
import { connect } from './vendor/mv3-telemetry/page.js';

const telemetry = connect();
telemetry.track('popup_opened');

const $ = (id) => document.getElementById(id);

async function send(msg) {
  const res = await chrome.runtime.sendMessage(msg);
  if (!res || !res.ok) throw new Error((res && res.error) || 'no answer from the service worker');
  return res.value;
}

function render({ consent, stats }) {
  const labels = { pending: 'off (not decided yet)', granted: 'on', denied: 'off (denied)' };
  $('consent-status').textContent = labels[consent] || consent;
  $('consent-status').dataset.consent = consent;
  $('consent-hint').hidden = consent === 'granted';
  for (const button of document.querySelectorAll('.actions button, #send-feedback')) {
    button.disabled = consent !== 'granted';
  }
  const dropped = Object.values(stats.dropped || {}).reduce((a, n) => a + n, 0);
  $('stat-queued').textContent = stats.queued;
  $('stat-sent').textContent = stats.sent;
  $('stat-dropped').textContent = dropped;
}

function say(text, { error = false } = {}) {
  $('result').textContent = text;
  $('result').classList.toggle('error', error);
}

const showError = (err) => say(`Error: ${err.message}`, { error: true });

async function refresh() {
  try { render(await send({ cmd: 'status' })); } catch (err) { showError(err); }
}

// Runs `work`, then says what it returned (or what went wrong) and refreshes.
async function act(work) {
  say('…');
  try {
    say(await work());
  } catch (err) {
    showError(err);
  }
  refresh();
}

// A button that runs an action in the worker.
function button(id, action, done) {
  $(id).addEventListener('click', () => act(async () => done(await send({ cmd: 'action', name: action.name, args: action.args?.() }))));
}

let clicks = 0;
button('send-event', { name: 'sendEvent', args: () => ({ clicks: ++clicks }) }, () => 'Event recorded: feature_used');
button('throw-error', { name: 'throwError' }, () => 'Error thrown in the service worker (captured, scrubbed)');
button('reject-promise', { name: 'rejectPromise' }, () => 'Promise rejected in the service worker (captured)');
button('slow-operation', { name: 'slowOperation' }, (ms) => `sync_settings took ${ms} ms: timing and slow_operation recorded`);

// An exception in the popup itself, nobody catches it: connect() sees it
// through the popup's `error` event and the worker records it.
$('throw-in-popup').addEventListener('click', () => {
  say('Error thrown in the popup (captured, recorded by the worker)');
  throw new Error('Popup could not render the list for bob@example.org');
});

$('feedback-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const rating = $('feedback-rating').value;
  const fields = {
    type: $('feedback-type').value,
    message: $('feedback-message').value,
    ...(rating ? { rating: Number(rating) } : {}),
    ...($('feedback-contact').value ? { contact: $('feedback-contact').value } : {}),
  };
  act(async () => {
    await send({ cmd: 'action', name: 'feedback', args: fields });
    $('feedback-message').value = '';
    return 'Thank you! Feedback recorded';
  });
});

$('flush').addEventListener('click', () => act(async () => {
  const { sent, pending } = await send({ cmd: 'flush' });
  return `Sent ${sent}, ${pending} still pending`;
}));

$('open-options').addEventListener('click', (event) => {
  event.preventDefault();
  chrome.runtime.openOptionsPage();
});

refresh();
