//! What of the options stays a JS value: `scrub.extraPatterns`, RegExps run
//! by the browser's own engine (no regex code in the wasm). The rest of the
//! options is one JSON text read by the core ([`crate::core::options`]).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js::{Array, JsString, RegExp};

use crate::core::scrub::{ScrubOptions, Scrubber};
use crate::core::split::has_byte;

/// `scrub.extraPatterns`, each made global so every match is replaced. They run
/// through the browser's own RegExp engine: no regex code in the wasm.
pub fn global_patterns(patterns: &JsValue) -> Vec<RegExp> {
    let Some(array) = patterns.dyn_ref::<Array>() else {
        return Vec::new();
    };
    // A loop rather than `collect`: that links std's iterator-to-`Vec` code
    // for the element type.
    let mut out = Vec::new();
    for index in 0..array.length() {
        let Ok(re) = array.get(index).dyn_into::<RegExp>() else {
            continue;
        };
        let flags = re.flags();
        out.push(if has_byte(flags.as_bytes(), b'g') {
            re
        } else {
            RegExp::new(&re.source(), &(flags + "g"))
        });
    }
    out
}

/// The scrubber with the user's keys and extra patterns.
pub fn scrubber(options: ScrubOptions, patterns: Vec<RegExp>) -> Scrubber {
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
                let subject: JsString = JsValue::from_str(subject).unchecked_into();
                current = subject.replace_by_pattern(re, "[Filtered]").as_string();
            }
        }
        current
    }))
}
