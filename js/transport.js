// Carries out the requests the wasm core decides: compression and the POST.
// The core chooses what to send, where, with which headers, and whether a
// request may use `keepalive`; this module only runs the browser APIs, so the
// wasm holds no fetch, Blob, CompressionStream or Response bindings (and none
// of the code that builds their arguments). Nothing here throws: a failure is
// an answer the core understands (no body, or no response).

/**
 * The body to send: gzip bytes through CompressionStream when `gzip` is true
 * and the platform has it, else the text itself. Resolves, never rejects.
 */
export async function compress(text, gzip) {
  if (gzip && typeof CompressionStream === 'function') {
    try {
      const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch {
      // Sent as it is: an uncompressed body is still a valid request.
    }
  }
  return text;
}

/**
 * POSTs `body` (from compress) with the core's headers (`headers`: name,
 * value, name, value...). Never sends cookies; gives up after `timeoutMs`.
 * Resolves with `[status, retryAfter, rateLimits, text]` (header values
 * undefined when absent; `text` only for a 2xx answer when `readBody`), or
 * with `null` when no answer came (network, CORS, timeout). In debug mode a
 * failure is logged, without the URL's query (Sentry's carries its key).
 */
export async function post(url, body, contentType, headers, keepalive, readBody, timeoutMs, debug) {
  const sent = { 'Content-Type': contentType };
  if (typeof body !== 'string') sent['Content-Encoding'] = 'gzip';
  for (let i = 0; i + 1 < headers.length; i += 2) sent[headers[i]] = headers[i + 1];
  let answer = null;
  let failure = 'network error';
  try {
    const response = await fetch(url, {
      method: 'POST', headers: sent, body, credentials: 'omit', keepalive, signal: AbortSignal.timeout(timeoutMs),
    });
    const { status } = response;
    const ok = status >= 200 && status < 300;
    const text = readBody && ok ? await response.text().catch(() => undefined) : undefined;
    const header = (name) => response.headers.get(name) ?? undefined;
    answer = [status, header('retry-after'), header('x-sentry-rate-limits'), text];
    failure = ok ? '' : `status ${status}`;
  } catch {}
  if (debug && failure) console.warn(`mv3-telemetry: POST ${url.split('?')[0]} failed: ${failure}`);
  return answer;
}
