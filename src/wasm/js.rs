//! The few JavaScript built-ins the glue uses, bound here instead of through
//! `js-sys`: linking `js-sys` at all keeps its JSPI task export, whose code
//! (a waker and its closure stubs) stays in the function table although
//! nothing calls it; without it the wasm is 1,786 B smaller, 598 B gzip
//! (`docs/size.md`). Each binding is the JS call its name says; `catch`
//! ones return the thrown value as `Err`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A JS array.
    #[wasm_bindgen(js_name = Array)]
    pub type Array;
    /// `new Array()`.
    #[wasm_bindgen(constructor, js_class = Array)]
    pub fn new() -> Array;
    /// `array.push(value)`.
    #[wasm_bindgen(method, js_class = Array)]
    pub fn push(this: &Array, value: &JsValue);
    /// `array[index]`.
    #[wasm_bindgen(method, indexing_getter, js_class = Array)]
    pub fn get(this: &Array, index: u32) -> JsValue;
    /// `array.length`.
    #[wasm_bindgen(method, getter, js_class = Array)]
    pub fn length(this: &Array) -> u32;

    /// A JS function (a callback or the `beforeSend` hook).
    #[wasm_bindgen(is_type_of = JsValue::is_function)]
    pub type Function;
    /// `f.call(this)`.
    #[wasm_bindgen(method, catch, js_name = call)]
    pub fn call0(this: &Function, context: &JsValue) -> Result<JsValue, JsValue>;
    /// `f.call(this, arg)`.
    #[wasm_bindgen(method, catch, js_name = call)]
    pub fn call1(this: &Function, context: &JsValue, arg: &JsValue) -> Result<JsValue, JsValue>;

    /// A JS string, kept on the JS side.
    #[wasm_bindgen(is_type_of = JsValue::is_string)]
    pub type JsString;
    /// `string.length` (UTF-16 code units).
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &JsString) -> u32;
    /// `string.replace(pattern, with)`.
    #[wasm_bindgen(method, js_name = replace)]
    pub fn replace_by_pattern(this: &JsString, pattern: &RegExp, with: &str) -> JsString;

    /// A JS regular expression (`scrub.extraPatterns`).
    #[wasm_bindgen(js_name = RegExp)]
    pub type RegExp;
    /// `new RegExp(source, flags)`.
    #[wasm_bindgen(constructor, js_class = RegExp)]
    pub fn new(source: &str, flags: &str) -> RegExp;
    /// `re.source`.
    #[wasm_bindgen(method, getter, js_class = RegExp)]
    pub fn source(this: &RegExp) -> String;
    /// `re.flags`.
    #[wasm_bindgen(method, getter, js_class = RegExp)]
    pub fn flags(this: &RegExp) -> String;
    /// `re.test(text)`.
    #[wasm_bindgen(method, js_class = RegExp)]
    pub fn test(this: &RegExp, text: &str) -> bool;
    /// `re.lastIndex = index`.
    #[wasm_bindgen(method, setter = lastIndex, js_class = RegExp)]
    pub fn set_last_index(this: &RegExp, index: u32);

    /// A `TypeError`, thrown to JS by `new Client` and `start`.
    #[wasm_bindgen(js_name = TypeError)]
    pub type TypeError;
    /// `new TypeError(message)`.
    #[wasm_bindgen(constructor, js_class = TypeError)]
    pub fn new(message: &str) -> TypeError;

    /// `JSON.parse(text)`.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub fn json_parse(text: &str) -> Result<JsValue, JsValue>;
    /// `JSON.stringify(value)`: a string, or undefined for what JSON cannot hold.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = stringify)]
    pub fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;

    /// `Reflect.get(target, key)`.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    pub fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;

    /// `Date.now()`.
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    pub fn date_now() -> f64;

    /// The wasm instance's `WebAssembly.Memory`.
    type Memory;
    #[wasm_bindgen(method, getter)]
    fn buffer(this: &Memory) -> JsValue;

    /// A `Uint8Array` (here: a view of wasm memory).
    #[wasm_bindgen(js_name = Uint8Array)]
    pub type Uint8Array;
    #[wasm_bindgen(constructor, js_class = Uint8Array)]
    fn new_view(buffer: &JsValue, offset: u32, length: u32) -> Uint8Array;
}

/// A `Uint8Array` over `length` bytes of wasm memory from `start`.
///
/// # Safety
/// The view aliases wasm memory: it must not outlive the bytes, and nothing
/// may allocate while it is in use (growing memory detaches it).
pub unsafe fn memory_view(start: *mut u8, length: usize) -> Uint8Array {
    let memory: Memory = wasm_bindgen::memory().unchecked_into();
    Uint8Array::new_view(&memory.buffer(), start as u32, length as u32)
}
