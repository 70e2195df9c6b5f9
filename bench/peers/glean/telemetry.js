// Glean.js (@mozilla/glean, its `web` entry: 5.x has no web-extension entry
// any more). Metrics are normally generated from metrics.yaml by
// glean_parser; the one event metric the bench records is declared here by
// hand with the same class the generated code uses. Glean has no error
// capture API, so there is no error row for it.
//
// Configuration: upload enabled (the user has opted in), channel `release`,
// `maxEvents: 500` (glean-core's default for the built-in `events` ping; the
// Glean.js default of 1 sends one ping per event). Glean refuses an
// `http:` server endpoint outside its test mode, so the endpoint stays the
// production one and a thin uploader hands each ping to Glean's own browser
// uploader with the bench collector's address instead.
import Glean, { BrowserSendBeaconFallbackUploader } from '@mozilla/glean/web';
import Uploader from '@mozilla/glean/uploader';
import EventMetricType from '@mozilla/glean/private/metrics/event';

const SERVER = 'https://incoming.telemetry.mozilla.org';

class ToBenchCollector extends Uploader {
  post(url, request) {
    return BrowserSendBeaconFallbackUploader.post(url.replace(SERVER, `${__COLLECTOR__}/glean`), request);
  }
  supportsCustomHeaders() { return false; }
}

const usage = new EventMetricType(
  { category: 'bench', name: 'usage', sendInPings: ['events'], lifetime: 'ping', disabled: false },
  ['name', 'i', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'j'],
);

Glean.initialize('mv3-telemetry-bench', true, {
  serverEndpoint: SERVER,
  httpClient: new ToBenchCollector(),
  channel: 'release',
  appDisplayVersion: '1.0.0',
  maxEvents: 500,
});

self.benchSdk = {
  // initialize() queues its work on Glean's dispatcher and returns; calls
  // made before it has run are queued too, so Glean is ready to record then.
  ready: Promise.resolve(),
  track: (name, props) => usage.record({ name, ...props }),
  captureError: null,
  flush: null,
};
