// A chrome.storage.local look-alike kept in memory, for tests and for workers
// that are not extensions. Same promise-based get/set/remove surface.

/** A chrome.storage.local look-alike kept in memory (tests, non-extension workers). */
export function createMemoryStorage() {
  const data = new Map();
  return {
    data,
    async get(keys) {
      const list = keys == null ? [...data.keys()] : Array.isArray(keys) ? keys : [keys];
      const out = {};
      for (const key of list) if (data.has(key)) out[key] = data.get(key);
      return out;
    },
    async set(items) {
      for (const [key, value] of Object.entries(items)) data.set(key, value);
    },
    async remove(keys) {
      for (const key of Array.isArray(keys) ? keys : [keys]) data.delete(key);
    },
  };
}
