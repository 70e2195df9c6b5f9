// Carries out the storage reads and writes the wasm core decides, against the
// storage area (chrome.storage.local, or the `storage` option). The core
// chooses the keys, the values and their order (one write at a time); this
// module only calls `get`, `set` and `remove`, so the wasm holds no bindings
// to them. Nothing here throws: a failure is an answer the core understands.

// A rejection's text is shown only when it is a string (chrome.storage's
// errors are); an Error object adds nothing the message does not say.
function warnFailure(debug, message, error) {
  if (debug) console.warn(`mv3-telemetry: ${message}${typeof error === 'string' && error ? `: ${error}` : ''}`);
}

/** Resolves with what `get(keys)` found (an object), or null when it failed. */
export async function read(area, keys, debug) {
  try {
    return await area.get(keys);
  } catch (error) {
    warnFailure(debug, 'could not read queued items', error);
    return null;
  }
}

/**
 * Writes `pairs` (key, value, key, value...) in one `set` (one storage
 * transaction), then removes `removals` in one `remove`, if the set landed.
 * Resolves with `[set landed, remove landed]`.
 */
export async function write(area, pairs, removals, debug) {
  if (pairs.length > 0) {
    const items = {};
    for (let i = 0; i + 1 < pairs.length; i += 2) items[pairs[i]] = pairs[i + 1];
    try {
      await area.set(items);
    } catch (error) {
      warnFailure(debug, 'could not persist state', error);
      return [false, false];
    }
  }
  if (removals.length > 0) {
    try {
      await area.remove(removals);
    } catch (error) {
      warnFailure(debug, 'could not remove old state', error);
      return [true, false];
    }
  }
  return [true, true];
}
