// The cause chain of a thrown value (error.cause), for the worker's
// captureError and the page client's alike. Self-contained and short: the
// page client bundles it and has a 2 KiB gzip budget.

// Causes taken, deeper ones left out (the core keeps 5 too).
export const MAX_CAUSES = 5;

/**
 * The cause chain of a thrown value, `[{kind, message, stack}, …]` with the
 * direct cause first (the keys of the error itself; the core takes it as
 * JSON text), or undefined when there is none. Only Error-like causes are
 * taken (a string or plain object as `cause` ends the walk), at most
 * MAX_CAUSES, each once (a cycle ends the walk). Never throws: a getter or
 * Proxy that throws ends the walk with what was read so far. Texts are not
 * bounded here (the worker bounds them when it writes the JSON, a page's
 * message is bounded by js/bridge.js).
 */
export function describeCauses(value) {
  const causes = [];
  const seen = [value];
  try {
    // Error-like: an Error or DOMException (an Error in V8), or an Error of
    // another realm (an iframe's): not instanceof Error, but V8's stack string.
    for (let cause = value?.cause; causes.length < MAX_CAUSES && (cause instanceof Error || typeof cause?.stack === 'string') && !seen.includes(cause); cause = cause.cause) {
      seen.push(cause);
      // As page.js takes the error itself apart (gzip finds the repeat).
      causes.push({ kind: String(cause.name ?? 'Error'), message: String(cause.message ?? ''), stack: typeof cause.stack === 'string' ? cause.stack : undefined });
    }
  } catch {
    // What was read before the throw is kept.
  }
  return causes[0] && causes;
}
