// Turns whatever the extension passes into what the core accepts (JSON text,
// string names, a taken-apart error) without ever throwing: recording calls
// must not break the code that makes them.

// Bounds on the walk, so a huge or deep object costs a bounded amount of time.
const MAX_DEPTH = 10;
const MAX_NODES = 1000;
// Text longer than this is cut before it crosses into wasm, so a 10 MB string
// costs microseconds instead of a 10 MB copy and parse. It is above every
// limit of the core (names 128, prop strings 1,000, feedback 4,000, an item
// 16 KiB), so the core still sees the text is too long, cuts it to its own
// limit and counts the item as truncated.
export const MAX_TEXT_CHARS = 16_384;

/** `text` cut to MAX_TEXT_CHARS (one more char, so the core sees it was long). */
export function boundText(text) {
  return text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS + 1) : text;
}

/**
 * The keys of `a` then `b` in one new object, at most MAX_NODES of each: a
 * timer's start and stop props. Never throws (a Proxy's traps may): what
 * cannot be read is left out.
 */
export function mergeProps(a, b) {
  const out = {};
  for (const source of [a, b]) {
    if (!source || typeof source !== 'object') continue;
    try {
      let n = 0;
      for (const key of Object.keys(source)) {
        if (++n > MAX_NODES) break;
        try {
          out[key] = source[key];
        } catch {
          out[key] = '[unreadable]';
        }
      }
    } catch {
      // a Proxy without keys: nothing of it is kept
    }
  }
  return out;
}

/**
 * Turns any value into JSON-safe data without throwing: cycles become
 * "[Circular]", BigInt a string, functions and symbols are dropped, depth and
 * node count are bounded. Returns the JSON text, or undefined.
 */
export function normalizeToJson(value) {
  if (value === undefined || value === null) return undefined;
  try {
    if (isFlatPlain(value)) return JSON.stringify(value);
  } catch {
    // a getter threw: the careful walk below copes with it
  }
  let nodes = 0;
  const path = new Set();
  const walk = (v, depth) => {
    // Every value counts, primitives too: a flat object with a million keys
    // must cost no more than a nested one.
    if (++nodes > MAX_NODES) return undefined;
    switch (typeof v) {
      case 'string':
        return boundText(v);
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'bigint':
        return `${v}n`;
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (v === null) return null;
    if (depth >= MAX_DEPTH) return '[depth limit]';
    if (path.has(v)) return '[Circular]';
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (v instanceof Error) return { name: v.name, message: String(v.message) };
    path.add(v);
    try {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) {
        const out = [];
        const len = Math.min(v.length, MAX_NODES);
        for (let i = 0; i < len; i++) {
          const item = walk(v[i], depth + 1);
          if (nodes > MAX_NODES) break;
          out.push(item === undefined ? null : item);
        }
        return out;
      }
      if (v instanceof Map) return walk(Object.fromEntries(v), depth);
      if (v instanceof Set) return walk([...v], depth);
      const out = {};
      for (const key of Object.keys(v)) {
        let item;
        try {
          item = walk(v[key], depth + 1);
        } catch {
          item = '[unreadable]';
        }
        if (nodes > MAX_NODES) break;
        if (item !== undefined) out[key] = item;
      }
      return out;
    } finally {
      path.delete(v);
    }
  };
  try {
    const data = walk(value, 0);
    return data === undefined ? undefined : JSON.stringify(data);
  } catch {
    return undefined;
  }
}

// The common case, a plain object of strings, finite numbers, booleans and
// nulls, or of plain arrays of them (`tags: ['a', 'b']`), is already
// JSON-safe: skip the walk (it is most of track()'s cost). At most 100
// values in all, so the check stays cheap.
function isFlatPlain(value) {
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  let n = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key) || ++n > 100) return false;
    const v = value[key];
    if (isFlatValue(v)) continue;
    if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype || (n += v.length) > 100) return false;
    // `of`, not `every`: a hole reads as undefined and sends the array to the walk.
    for (const item of v) if (!isFlatValue(item)) return false;
  }
  return true;
}

function isFlatValue(v) {
  const t = typeof v;
  return t === 'string' ? v.length <= MAX_TEXT_CHARS : t === 'boolean' || v === null || (t === 'number' && Number.isFinite(v));
}

/** A name the core can take: primitives as text; anything else is empty, which the core counts as `invalid`. */
export function coerceName(name) {
  if (typeof name === 'string') return boundText(name);
  if (typeof name === 'number' || typeof name === 'boolean' || typeof name === 'bigint') return String(name);
  return '';
}

/**
 * Takes any thrown value apart into { kind, message, stack }: Error and its
 * subclasses, DOMException, strings, chrome.runtime.lastError and other
 * objects with a message, plain objects, undefined.
 */
export function describeThrown(value) {
  try {
    if (value instanceof Error || (typeof DOMException !== 'undefined' && value instanceof DOMException)) {
      const kind = String(value.name || value.constructor?.name || 'Error');
      return { kind: boundText(kind), message: boundText(String(value.message ?? '')), stack: typeof value.stack === 'string' ? boundText(value.stack) : undefined };
    }
    if (value === undefined || value === null) return { kind: String(value), message: String(value) };
    if (typeof value === 'string') return { kind: 'Error', message: boundText(value) };
    if (typeof value === 'object') {
      if (typeof value.message === 'string') {
        const kind = typeof value.name === 'string' && value.name ? value.name : 'Error';
        return { kind: boundText(kind), message: boundText(value.message), stack: typeof value.stack === 'string' ? boundText(value.stack) : undefined };
      }
      const text = normalizeToJson(value) ?? String(value);
      return { kind: 'Object', message: text.length > 500 ? text.slice(0, 500) + '…' : text };
    }
    return { kind: typeof value, message: boundText(String(value)) };
  } catch {
    return { kind: 'Error', message: '[unreadable thrown value]' };
  }
}
