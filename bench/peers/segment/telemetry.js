// @segment/analytics-next loaded from npm (AnalyticsBrowser.load), its
// settings fetched from the CDN address as in production (here the bench
// collector stands in for cdn.segment.com and api.segment.io) and the
// Segment.io destination's own batching delivery strategy (batches of 10
// events or 5 s). Segment has no error capture API, so no error row.
import { AnalyticsBrowser } from '@segment/analytics-next';

const analytics = AnalyticsBrowser.load({
  writeKey: 'benchWriteKey',
  cdnURL: `${__COLLECTOR__}/segment-cdn`,
});

self.benchSdk = {
  ready: analytics.then(() => undefined),
  track: (name, props) => { analytics.track(name, props); },
  captureError: null,
  flush: null,
};
