//! Bindings to the service worker's globals (`crypto`, `console`, `Date`,
//! `TextEncoder`, reached through the global scope, never `window`: a worker
//! has none) and to the JS host (`js/host.js`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::exports::Callbacks;
use super::js::{self, Array, JsString, Uint8Array};
use crate::core::ids::Entropy;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buffer: &mut [u8]);

    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);

    /// `js/host.js`: carries out the requests, storage calls, timers and the
    /// alarm the core decides. Each call returns at once; the outcome comes
    /// back through the [`Callbacks`] given to [`Host::bind`].
    pub type Host;
    /// Where the host reports outcomes.
    #[wasm_bindgen(method)]
    pub fn bind(this: &Host, callbacks: Callbacks);
    /// (Re-)arms timer `kind` to fire after `ms` milliseconds
    /// ([`Callbacks::fired`]); a negative `ms` clears it.
    #[wasm_bindgen(method)]
    pub fn arm(this: &Host, kind: u8, ms: f64);
    /// Creates the wake-up alarm for `when` (ms since the epoch); a negative
    /// `when` clears it. Absent outside extensions.
    #[wasm_bindgen(method)]
    pub fn alarm(this: &Host, when: f64);
    /// Reads `keys` from the storage area ([`Callbacks::read_done`]).
    #[wasm_bindgen(method)]
    pub fn read(this: &Host, id: u32, keys: &Array);
    /// `pairs` (key, value, ...) in one `set`, then `removals` in one
    /// `remove` if the set landed ([`Callbacks::written`]).
    #[wasm_bindgen(method)]
    pub fn write(this: &Host, pairs: &Array, removals: &Array);
    /// Compresses `text` (`bytes` long in UTF-8) when `gzip`, asks
    /// [`Callbacks::sized`], POSTs it and reports to [`Callbacks::answered`].
    #[wasm_bindgen(method)]
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        this: &Host,
        id: f64,
        url: &str,
        text: &str,
        bytes: u32,
        gzip: bool,
        content_type: &str,
        headers: &Array,
        read_body: bool,
        timeout_ms: u32,
    );

    #[derive(Clone)]
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &JsString, into: &Uint8Array) -> EncodeResult;

    type EncodeResult;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeResult) -> u32;

}

/// Milliseconds since the Unix epoch (`Date.now()`).
pub fn now_ms() -> u64 {
    js::date_now() as u64
}

/// Logs a warning (debug mode only; callers check).
pub fn warn(message: &str) {
    console_warn(message);
}

/// `strings` as a JS array (storage keys for the host).
pub fn string_array(strings: &[String]) -> Array {
    let out = Array::new();
    for text in strings {
        out.push(&JsValue::from_str(text));
    }
    out
}

/// `pairs` as one flat JS array: name, value, name, value... (the host's
/// shape for headers and for the keys and values of a `set`).
pub fn pair_array(pairs: &[(String, String)]) -> Array {
    let out = Array::new();
    for (name, value) in pairs {
        out.push(&JsValue::from_str(name));
        out.push(&JsValue::from_str(value));
    }
    out
}

/// The string values of `keys` in the object a storage `get` resolved with.
pub fn read_items(items: &JsValue, keys: &[String]) -> Vec<Option<String>> {
    // A loop rather than `collect` (std's iterator-to-`Vec` code per type).
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        out.push(
            js::reflect_get(items, &JsValue::from_str(key))
                .ok()
                .and_then(|value| stored_text(&value)),
        );
    }
    out
}

/// A value read from storage as text: `None` when absent. A value that is
/// there but not a string (foreign code wrote a number or an object under
/// our key) reads as empty text: the core then counts it as corrupt state
/// instead of taking it for an absent key.
pub fn stored_text(value: &JsValue) -> Option<String> {
    if value.is_undefined() {
        return None;
    }
    Some(
        value
            .dyn_ref::<JsString>()
            .map_or_else(String::new, string_from_js),
    )
}

/// A JS string into Rust with one `TextEncoder.encodeInto` into wasm memory,
/// not a per-character loop: chunks and the record can be large.
fn string_from_js(text: &JsString) -> String {
    let capacity = text.length() as usize * 3;
    let mut bytes: Vec<u8> = Vec::with_capacity(capacity);
    // SAFETY: the view covers `bytes`' spare capacity only while `encodeInto`
    // runs; nothing allocates in between, so wasm memory cannot move.
    let view = unsafe { js::memory_view(bytes.as_mut_ptr(), capacity) };
    let written = text_encoder().encode_into(text, &view).written() as usize;
    // SAFETY: `encodeInto` wrote `written` bytes of UTF-8 (lone surrogates
    // as U+FFFD): the length covers initialized bytes only, and the text
    // needs no second check (`String::from_utf8` would link the validator).
    unsafe {
        bytes.set_len(written.min(capacity));
        String::from_utf8_unchecked(bytes)
    }
}

thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

fn text_encoder() -> TextEncoder {
    ENCODER.with(|e| e.clone())
}

/// Bytes of entropy fetched per `crypto.getRandomValues` call: 256 IDs.
/// The call crosses to JS and back through a copy each way, which cost about
/// 0.3 µs per `track()` when a block held 16 IDs.
const ENTROPY_BLOCK: usize = 4096;

/// Entropy from `crypto.getRandomValues`, fetched in blocks of
/// `ENTROPY_BLOCK` bytes.
pub struct CryptoEntropy {
    pool: [u8; ENTROPY_BLOCK],
    used: usize,
}

impl CryptoEntropy {
    /// An empty pool, filled on first use.
    pub fn new() -> CryptoEntropy {
        CryptoEntropy {
            pool: [0; ENTROPY_BLOCK],
            used: ENTROPY_BLOCK,
        }
    }
}

impl Default for CryptoEntropy {
    fn default() -> Self {
        Self::new()
    }
}

impl Entropy for CryptoEntropy {
    fn fill(&mut self, out: &mut [u8]) {
        for byte in out.iter_mut() {
            if self.used == self.pool.len() {
                get_random_values(&mut self.pool);
                self.used = 0;
            }
            *byte = self.pool[self.used];
            self.used += 1;
        }
    }
}
