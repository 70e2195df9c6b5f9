// posthog-js as PostHog documents it for browser extensions (Manifest V3):
// the `no-external` bundle (no remotely loaded code), a PostHog instance,
// `persistence: 'localStorage'`, `disable_external_dependency_loading`.
// Page-only features (pageviews, autocapture, session recording, surveys)
// are off, since a service worker has no page. Batching is PostHog's own
// (request_batching, on by default, with its gzip-js compression).
//
// Two departures from the defaults, both because of the bench itself: the
// client rate limit (10 events/s, bursts of 100, the rest dropped with a
// console error each) is lifted, or 900 of every 1,000 bench events would
// never reach PostHog's queue and the bench would time that drop path; and
// the bot filter is off, since headless Chromium says `HeadlessChrome` in
// its user agent, which a user's Chrome does not.
import { PostHog } from 'posthog-js/dist/module.no-external';

const posthog = new PostHog();
const ready = new Promise((resolve) => {
  posthog.init('phc_bench0000000000000000000000000000000000', {
    api_host: `${__COLLECTOR__}/posthog`,
    persistence: 'localStorage',
    disable_external_dependency_loading: true,
    capture_pageview: false,
    capture_pageleave: false,
    autocapture: false,
    disable_session_recording: true,
    disable_surveys: true,
    person_profiles: 'identified_only',
    opt_out_useragent_filter: true,
    rate_limiting: { events_per_second: 1e6, events_burst_limit: 1e7 },
    loaded: () => resolve(),
  });
});

self.benchSdk = {
  ready,
  track: (name, props) => posthog.capture(name, props),
  captureError: (error) => posthog.captureException(error),
  flush: null,
};
