// The one local collector every SDK of the peer benchmark sends to: a Node
// HTTP server on 127.0.0.1 that answers 2xx to anything, keeps each request's
// path and body size as received on the wire, and decodes bodies just enough
// to list the events in them (gzip, Sentry envelopes, PostHog's encodings,
// Glean pings, Segment batches, mv3-telemetry batches).
//
// Each SDK is pointed at its own path prefix (`/<sdk>/...`), which is how the
// collector tells them apart. mv3-telemetry's own mock collector (Rust) only
// speaks mv3-telemetry's wire format, so it cannot serve the peers.

import { createServer } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';

/** Events in a decoded body: [{name, i}], `i` being the `i` property if any. */
const DECODERS = {
  'mv3-telemetry': (body) => asJson(body)?.items?.map((it) => ({
    name: it.type === 'error' ? '$error' : it.name,
    i: it.props?.i,
  })) ?? [],

  // An envelope is a header line, then item header + payload line pairs. Logs
  // (the structured records we send usage events as) carry their attributes
  // as {value, type}; error events become one '$error' each.
  sentry: (body) => {
    const lines = body.toString('utf8').split('\n');
    const out = [];
    for (let k = 1; k + 1 < lines.length; k += 2) {
      const header = safeJson(lines[k]);
      const payload = safeJson(lines[k + 1]);
      if (!header || !payload) continue;
      if (header.type === 'log') {
        for (const log of payload.items ?? []) out.push({ name: log.body, i: log.attributes?.i?.value });
      } else if (header.type === 'event') {
        out.push({ name: '$error', i: undefined });
      }
    }
    return out;
  },

  // The bench's one Glean event metric carries the event's name as an extra.
  glean: (body) => (asJson(body)?.events ?? []).map((e) => ({
    name: e.extra?.name ?? `${e.category}.${e.name}`,
    i: e.extra?.i === undefined ? undefined : Number(e.extra.i),
  })),

  // posthog-js sends a JSON array (or one event), gzipped when
  // `compression=gzip-js` is in the query, or form-encoded base64 `data=`.
  posthog: (body) => {
    let json = asJson(body);
    if (json === undefined) {
      const data = new URLSearchParams(body.toString('utf8')).get('data');
      if (data) json = safeJson(Buffer.from(data, 'base64').toString('utf8'));
    }
    const events = Array.isArray(json) ? json : json?.batch ?? (json?.event ? [json] : []);
    return events.map((e) => ({
      name: e.event === '$exception' ? '$error' : e.event,
      i: e.properties?.i,
    }));
  },

  segment: (body) => {
    const json = asJson(body);
    const events = json?.batch ?? (json?.type ? [json] : []);
    return events.filter((e) => e.type === 'track').map((e) => ({ name: e.event, i: e.properties?.i }));
  },
};

export const SDK_PREFIXES = Object.keys(DECODERS);

function safeJson(text) {
  try { return JSON.parse(text); } catch { return undefined; }
}

/** JSON of a body, gunzipped or inflated first when it is compressed. */
function asJson(body) {
  return safeJson(decompress(body).toString('utf8'));
}

function decompress(body) {
  if (body.length > 2 && body[0] === 0x1f && body[1] === 0x8b) {
    try { return gunzipSync(body); } catch { return body; }
  }
  if (body.length > 2 && body[0] === 0x78) {
    try { return inflateSync(body); } catch { return body; }
  }
  return body;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
  'access-control-allow-headers': '*',
  'access-control-max-age': '600',
};

/**
 * Starts the collector on 127.0.0.1 (any free port). `routes` maps a path to
 * a function (url) -> JSON answer for SDKs that fetch configuration (Segment's
 * CDN settings). Returns {url, requests(sdk), setDown(bool), close()}.
 */
export async function startCollector({ routes = {} } = {}) {
  const log = [];
  let down = false;
  const server = createServer((req, res) => {
    if (down) {
      // Unreachable, as a network error: no answer at all.
      req.socket.destroy();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const body = Buffer.concat(chunks);
      const sdk = url.pathname.split('/')[1];
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS).end();
        return;
      }
      const route = Object.keys(routes).find((p) => url.pathname.startsWith(p));
      if (route) {
        res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(routes[route](url)));
        return;
      }
      if (req.method === 'POST' && DECODERS[sdk]) {
        let events = [];
        try { events = DECODERS[sdk](body, url); } catch { /* counted as a request without events */ }
        log.push({ sdk, at: Date.now(), path: url.pathname, bytes: body.length, events });
      }
      // `{}` satisfies every SDK here: mv3-telemetry and Sentry want any 2xx,
      // PostHog and Segment parse JSON, Glean reads the status only.
      res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    /** Ingestion requests of one SDK since `since` (ms): [{at, path, bytes, events}]. */
    requests: (sdk, since = 0) => log.filter((r) => r.sdk === sdk && r.at >= since),
    /** Time of the SDK's last ingestion request, or 0. */
    lastRequestAt: (sdk) => log.reduce((t, r) => (r.sdk === sdk && r.at > t ? r.at : t), 0),
    setDown(value) {
      down = value;
      if (down) server.closeAllConnections();
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * What one SDK's requests since `since` carried: request count, body bytes,
 * events named `name`, and the distinct `i` values among them.
 */
export function tally(requests, name) {
  const distinct = new Set();
  let events = 0;
  let bytes = 0;
  let carrying = 0;
  for (const r of requests) {
    bytes += r.bytes;
    const mine = r.events.filter((e) => e.name === name);
    if (mine.length) carrying++;
    events += mine.length;
    for (const e of mine) if (e.i !== undefined) distinct.add(Number(e.i));
  }
  return { requests: requests.length, carrying, bytes, events, distinct };
}
