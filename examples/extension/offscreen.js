// Offscreen document: DOM work the worker cannot do (here, parsing HTML).
// Offscreen documents have chrome.runtime only; connect() asks the worker for
// the consent state and reports through it.
import { connect } from './vendor/mv3-telemetry/page.js';

const telemetry = connect();
const parsed = new DOMParser().parseFromString('<ul><li>one</li><li>two</li></ul>', 'text/html');
telemetry.track('offscreen_parsed', { items: parsed.querySelectorAll('li').length });
