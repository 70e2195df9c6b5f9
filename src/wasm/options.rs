//! What of the options stays a JS value: `scrub.extraPatterns`, RegExps run
//! by the browser's own engine (no regex code in the wasm). The rest of the
//! options is one JSON text read by the core ([`crate::core::options`]).

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::scrub::{ScrubOptions, Scrubber};
use crate::core::split::has_byte;

/// `scrub.extraPatterns`, each made global so every match is replaced. They run
/// through the browser's own RegExp engine: no regex code in the wasm.
pub fn global_patterns(patterns: &JsValue) -> Vec<js_sys::RegExp> {
    let Some(array) = patterns.dyn_ref::<Array>() else {
        return Vec::new();
    };
    // A loop rather than `collect`: that links std's iterator-to-`Vec` code
    // for the element type.
    let mut out = Vec::new();
    for pattern in array.iter() {
        let Ok(re) = pattern.dyn_into::<js_sys::RegExp>() else {
            continue;
        };
        let flags = String::from(re.flags());
        out.push(if has_byte(flags.as_bytes(), b'g') {
            re
        } else {
            js_sys::RegExp::new(&String::from(re.source()), &(flags + "g"))
        });
    }
    out
}

/// The scrubber with the user's keys and extra patterns.
pub fn scrubber(options: ScrubOptions, patterns: Vec<js_sys::RegExp>) -> Scrubber {
    let scrubber = Scrubber::new(options);
    if patterns.is_empty() {
        return scrubber;
    }
    scrubber.with_extra_pass(Box::new(move |text: &str| {
        let mut current: Option<String> = None;
        for re in &patterns {
            let subject = current.as_deref().unwrap_or(text);
            re.set_last_index(0);
            if re.test(subject) {
                let replaced: String = js_sys::JsString::from(subject)
                    .replace_by_pattern(re, "[Filtered]")
                    .into();
                current = Some(replaced);
            }
        }
        current
    }))
}
