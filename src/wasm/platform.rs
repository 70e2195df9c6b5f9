//! Bindings to the service worker's globals and to the JS host (the
//! functions of `js/transport.js` and `js/store.js`). Everything is reached
//! through the global scope (`self`), never `window`: a worker has none.

use js_sys::{Array, Function, JsString, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::core::ids::Entropy;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);

    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buffer: &mut [u8]);

    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);

    /// `chrome.alarms`.
    type Alarms;
    #[wasm_bindgen(method, catch)]
    fn create(this: &Alarms, name: &str, info: &Object) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn clear(this: &Alarms, name: &str) -> Result<JsValue, JsValue>;

    /// The JS functions that carry effects out: `compress` and `post` of
    /// `js/transport.js`, `read` and `write` of `js/store.js`.
    pub type Host;
    /// Resolves with the body to send: gzip bytes, or the text itself.
    #[wasm_bindgen(method)]
    pub fn compress(this: &Host, text: &str, gzip: bool) -> Promise;
    /// Resolves with `[status, retryAfter, rateLimits, text]`, or `null`
    /// when no answer came.
    #[wasm_bindgen(method)]
    #[allow(clippy::too_many_arguments)]
    pub fn post(
        this: &Host,
        url: &str,
        body: &JsValue,
        content_type: &str,
        headers: &Array,
        keepalive: bool,
        read_body: bool,
        timeout_ms: u32,
        debug: bool,
    ) -> Promise;
    /// Resolves with what the storage area's `get(keys)` found, or `null`.
    #[wasm_bindgen(method)]
    pub fn read(this: &Host, area: &JsValue, keys: &Array, debug: bool) -> Promise;
    /// Resolves with `[set landed, remove landed]`.
    #[wasm_bindgen(method)]
    pub fn write(
        this: &Host,
        area: &JsValue,
        pairs: &Array,
        removals: &Array,
        debug: bool,
    ) -> Promise;

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
    js_sys::Date::now() as u64
}

/// Logs a warning (debug mode only; callers check).
pub fn warn(message: &str) {
    console_warn(message);
}

fn global() -> Object {
    js_sys::global()
}

fn path(root: &JsValue, keys: &[&str]) -> Option<JsValue> {
    let mut value = root.clone();
    for key in keys {
        value = Reflect::get(&value, &JsValue::from_str(key)).ok()?;
        if value.is_undefined() || value.is_null() {
            return None;
        }
    }
    Some(value)
}

/// `chrome.storage.local` when running in an extension.
pub fn chrome_storage_local() -> Option<JsValue> {
    path(&global(), &["chrome", "storage", "local"])
}

/// The string values of `keys` in the object a storage `get` resolved with.
pub fn read_items(items: &JsValue, keys: &[String]) -> Vec<Option<String>> {
    // A loop rather than `collect` (std's iterator-to-`Vec` code per type).
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        out.push(
            Reflect::get(items, &JsValue::from_str(key))
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
    let view = unsafe { Uint8Array::view_mut_raw(bytes.as_mut_ptr(), capacity) };
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

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, f64::from(ms));
    });
    let _ = JsFuture::from(promise).await;
}

/// Schedules (`Some(when)`) or clears the wake-up alarm. Absent outside extensions.
pub fn set_alarm(name: &str, when_ms: Option<u64>) {
    let Some(alarms) = path(&global(), &["chrome", "alarms"]).map(JsCast::unchecked_into::<Alarms>)
    else {
        return;
    };
    // Alarm calls return promises in MV3; a rejection only means the wake-up
    // is not armed, and the next pump re-arms it, so results are not awaited.
    let _ = match when_ms {
        Some(when) => {
            let info = Object::new();
            let _ = Reflect::set(
                &info,
                &JsValue::from_str("when"),
                &JsValue::from_f64(when as f64),
            );
            alarms.create(name, &info)
        }
        None => alarms.clear(name),
    };
}

/// A one-shot timer, cancelled when dropped (as gloo's `Timeout`).
#[must_use = "a timer is cancelled when dropped; keep it while it should fire"]
pub struct Timer {
    handle: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    /// Calls `callback` after `ms` milliseconds (global `setTimeout`).
    pub fn after(ms: u64, callback: impl FnOnce() + 'static) -> Timer {
        let mut callback = Some(callback);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = callback.take() {
                f();
            }
        });
        let handle = set_timeout(
            closure.as_ref().unchecked_ref(),
            ms.min(i32::MAX as u64) as f64,
        );
        Timer {
            handle,
            _callback: closure,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

/// Bytes of entropy fetched per `crypto.getRandomValues` call: 256 IDs.
/// The call crosses to JS and back through a copy each way, which cost about
/// 0.3 µs per `track()` when a block held 16 IDs.
const ENTROPY_BLOCK: usize = 4096;

/// Entropy from `crypto.getRandomValues`, fetched in blocks of
/// [`ENTROPY_BLOCK`] bytes.
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
