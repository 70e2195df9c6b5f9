// The example extension as its user meets it: the options page asks for
// consent in plain words, the popup's buttons exercise the SDK, and the mock
// collector receives scrubbed telemetry. Screenshots of both pages are saved
// (test-results/screenshots; docs/screenshots with UPDATE_SCREENSHOTS=1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_EXTENSION, ROOT, readJson, setup, waitFor } from './lib/harness.mjs';
import {
  TOUR_FEEDBACK, chooseOnOptionsPage, clickEveryPopupButton, openPopup, screenshot, shownConsent, waitForTour,
} from './lib/tour.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('the example manifest is manifest-example.json with the collector host, an options page and a popup', () => {
  const example = readJson('examples/extension/manifest.json');
  const template = readJson('manifest-example.json');
  // The example also shows a content script and an offscreen document (connect()).
  const onlyInExample = ['name', 'description', 'version', 'host_permissions', 'options_ui', 'action', 'content_scripts'];
  assert.deepEqual(example.permissions, [...template.permissions, 'offscreen'], 'the template\'s permissions, and offscreen for the demo');
  for (const [key, value] of Object.entries(template)) {
    if (onlyInExample.includes(key) || key === 'permissions') continue;
    assert.deepEqual(example[key], value, `manifest.json's ${key} differs from manifest-example.json`);
  }
  const extra = Object.keys(example).filter((k) => !(k in template) && !onlyInExample.includes(k));
  assert.deepEqual(extra, [], 'the example asks for nothing the template does not');
  assert.deepEqual(template.permissions, ['storage', 'alarms']);
  assert.equal(template.background.type, 'module');
  assert.match(template.content_security_policy.extension_pages, /'wasm-unsafe-eval'/);
  assert.ok(example.host_permissions.every((h) => /^http:\/\/(127\.0\.0\.1|localhost)\/\*$/.test(h)), 'only the local collector');
  assert.ok(example.content_scripts.every((c) => c.matches.every((h) => /^http:\/\/(127\.0\.0\.1|localhost)\/\*$/.test(h))), 'content script on local test pages only');
  assert.equal(example.action.default_popup, 'popup.html');
  assert.ok(existsSync(join(EXAMPLE_EXTENSION, example.options_ui.page)));
});

test('a user allows telemetry on the options page, clicks every popup button and the collector gets it all, scrubbed', { timeout: 180_000 }, async () => {
  const env = await setup({ debug: true });
  try {
    const { browser, mock } = env;

    // The options page, before any choice: plain words, nothing collected.
    const options = await browser.openOptions();
    assert.equal(await shownConsent(options), 'pending');
    const words = await options.textContent('main');
    for (const phrase of ['What is sent', 'What is never sent', 'You can change your mind later', 'Allow', 'Deny']) {
      assert.ok(words.includes(phrase), `the options page says "${phrase}"`);
    }
    assert.equal(await options.textContent('#anonymous-id'), 'none');

    // The popup before consent: its buttons are off and it says why.
    let popup = await openPopup(browser);
    assert.equal(await shownConsent(popup), 'pending');
    assert.equal(await popup.isVisible('#consent-hint'), true);
    assert.equal(await popup.isDisabled('#send-event'), true);
    await popup.close();

    const chosen = await chooseOnOptionsPage(browser, { page: options });
    assert.equal(chosen.before, 'pending');
    assert.match(chosen.anonymousId, UUID, 'the options page shows the new anonymous ID');

    popup = await openPopup(browser);
    assert.equal(await shownConsent(popup), 'granted');
    assert.equal(await popup.isVisible('#consent-hint'), false);
    const said = await clickEveryPopupButton(popup);
    assert.match(said['send-event'], /Event recorded/);
    assert.match(said['throw-error'], /Error thrown/);
    assert.match(said['reject-promise'], /Promise rejected/);
    assert.match(said['slow-operation'], /sync_settings took \d+ ms/);
    assert.match(said['send-feedback'], /Feedback recorded/);
    assert.match(said.flush, /^Sent \d+, \d+ still pending$/);

    const items = await waitForTour(mock, popup);
    const event = items.events.find((it) => it.name === 'feature_used');
    assert.deepEqual(event.props, { feature: 'popup_button', clicks: 1 });
    assert.ok(items.events.some((it) => it.name === 'slow_operation' && it.props.name === 'sync_settings'),
      `a slow_operation event for sync_settings: ${JSON.stringify(items.events.filter((it) => it.name === 'slow_operation'))}`);

    const thrown = items.errors.find((it) => /sync settings/.test(it.message));
    assert.ok(thrown, `the thrown error arrived: ${JSON.stringify(items.errors.map((e) => e.message))}`);
    assert.equal(thrown.kind, 'Error');
    assert.doesNotMatch(thrown.message, /alice@example\.com|sk_live_/, 'the e-mail address and the token are scrubbed');
    assert.ok(thrown.stack.length > 0 && thrown.stack.some((f) => /(^|\/)background\.js$/.test(f.file)),
      `frames point into background.js: ${JSON.stringify(thrown.stack)}`);
    const rejected = items.errors.find((it) => it.kind === 'TypeError');
    assert.ok(rejected, 'the unhandled rejection arrived');
    assert.doesNotMatch(rejected.message, /AIzaSy/, 'the API key is scrubbed');

    const timing = items.performance.find((it) => it.name === 'sync_settings');
    assert.equal(timing.count, 1);
    assert.equal(timing.unit, 'ms');
    assert.ok(timing.p50 >= 1000, `the slow operation took over a second: ${JSON.stringify(timing)}`);

    const feedback = items.feedback[0];
    assert.equal(feedback.kind, TOUR_FEEDBACK.type);
    assert.equal(feedback.rating, Number(TOUR_FEEDBACK.rating));
    assert.doesNotMatch(feedback.message, /carol@example\.net/, 'the message is scrubbed');
    assert.equal(feedback.contact, TOUR_FEEDBACK.contact, 'contact is kept as given');

    // The options page shows the counters going up.
    await options.reload();
    assert.equal(await shownConsent(options), 'granted');
    await waitFor(async () => {
      await options.click('#refresh');
      return /sent [1-9]/.test(await options.textContent('#stats'));
    }, { timeout: 20_000, interval: 500, message: 'the options page to count sent items' });
    assert.equal(await options.textContent('#anonymous-id'), chosen.anonymousId);

    await screenshot(options, 'options');
    await popup.evaluate(() => { document.getElementById('feedback-contact').value = ''; });
    await screenshot(popup, 'popup');

    // Changing one's mind: Deny deletes the ID and asks the collector to delete.
    const denied = await chooseOnOptionsPage(browser, { allow: false, page: options });
    assert.equal(denied.anonymousId, 'none');
    await mock.waitForStats((s) => s.per_endpoint.deletion && s.per_endpoint.deletion.requests >= 1,
      { timeout: 30_000, message: 'the deletion request' });
    const deletion = (await mock.batches('deletion'))[0];
    assert.equal(deletion.body.anonymous_id, chosen.anonymousId);
  } catch (err) {
    err.message += `\n--- worker log ---\n${env.browser.dumpLogs(60)}`;
    throw err;
  } finally {
    await env.close();
  }
});

test('the README shows the screenshots this test takes', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const name of ['options', 'popup']) {
    const rel = `docs/screenshots/${name}.png`;
    assert.ok(readme.includes(`(${rel})`), `README.md links ${rel}`);
    assert.ok(existsSync(join(ROOT, rel)), `${rel} exists (UPDATE_SCREENSHOTS=1 make test-e2e refreshes it)`);
  }
});
