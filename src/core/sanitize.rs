//! Coercion of untrusted input into bounded, well-formed values. Recording
//! never fails on bad input: it is truncated here, or dropped as `invalid`.

use serde_json::{Map, Value};

use super::policy::Policy;

/// What replaces a subtree nested deeper than [`Policy::max_depth`].
pub const DEPTH_MARKER: &str = "[depth limit]";
/// Appended to a truncated string, so a reader knows it was cut.
pub const ELLIPSIS: char = '…';

/// Tracks whether anything was changed while cleaning, for the `truncated` counter.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cleaning {
    /// Something was cut, dropped or replaced.
    pub truncated: bool,
}

/// Cuts `text` to at most `max_chars` characters (plus an ellipsis), on a char boundary.
pub fn truncate_chars(text: &str, max_chars: usize, cleaning: &mut Cleaning) -> Option<String> {
    let cut = text.char_indices().nth(max_chars).map(|(at, _)| at)?;
    cleaning.truncated = true;
    let mut out = String::with_capacity(cut + ELLIPSIS.len_utf8());
    out.push_str(&text[..cut]);
    out.push(ELLIPSIS);
    Some(out)
}

/// A usable event name: trimmed, control characters removed, truncated.
/// `None` when nothing is left (counted as `invalid` by the caller).
pub fn clean_name(name: &str, policy: &Policy, cleaning: &mut Cleaning) -> Option<String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return None;
    }
    let mut owned: String = if trimmed.chars().any(char::is_control) {
        cleaning.truncated = true;
        trimmed.chars().filter(|c| !c.is_control()).collect()
    } else {
        trimmed.to_owned()
    };
    if owned.is_empty() {
        return None;
    }
    if let Some(cut) = truncate_chars(&owned, policy.max_name_chars, cleaning) {
        owned = cut;
    }
    Some(owned)
}

/// Turns any JSON value into a props object: `null`/absent is `{}`, a
/// non-object is wrapped as `{ "value": ... }`, and everything is bounded.
pub fn clean_props(props: Option<Value>, policy: &Policy, cleaning: &mut Cleaning) -> Map<String, Value> {
    match props {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => clean_object(map, policy, 1, cleaning),
        Some(other) => {
            cleaning.truncated = true;
            let mut map = Map::new();
            map.insert("value".into(), clean_value(other, policy, 1, cleaning));
            map
        }
    }
}

fn clean_object(map: Map<String, Value>, policy: &Policy, depth: usize, cleaning: &mut Cleaning) -> Map<String, Value> {
    if map.len() > policy.max_collection_len {
        cleaning.truncated = true;
    }
    let mut out = Map::new();
    for (key, value) in map.into_iter().take(policy.max_collection_len) {
        let key = truncate_chars(&key, policy.max_name_chars, cleaning).unwrap_or(key);
        out.insert(key, clean_value(value, policy, depth + 1, cleaning));
    }
    out
}

/// Bounds one value: string length, collection length and nesting depth.
pub fn clean_value(value: Value, policy: &Policy, depth: usize, cleaning: &mut Cleaning) -> Value {
    match value {
        Value::String(text) => match truncate_chars(&text, policy.max_string_chars, cleaning) {
            Some(cut) => Value::String(cut),
            None => Value::String(text),
        },
        Value::Array(_) | Value::Object(_) if depth > policy.max_depth => {
            cleaning.truncated = true;
            Value::String(DEPTH_MARKER.into())
        }
        Value::Array(items) => {
            if items.len() > policy.max_collection_len {
                cleaning.truncated = true;
            }
            Value::Array(
                items
                    .into_iter()
                    .take(policy.max_collection_len)
                    .map(|v| clean_value(v, policy, depth + 1, cleaning))
                    .collect(),
            )
        }
        Value::Object(map) => Value::Object(clean_object(map, policy, depth, cleaning)),
        scalar => scalar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_and_blank_names_are_unusable() {
        let policy = Policy::default();
        let mut c = Cleaning::default();
        assert_eq!(clean_name("", &policy, &mut c), None);
        assert_eq!(clean_name("  \t ", &policy, &mut c), None);
        assert_eq!(clean_name("\u{7}", &policy, &mut c), None);
        assert_eq!(clean_name(" ok ", &policy, &mut c).as_deref(), Some("ok"));
    }

    #[test]
    fn long_strings_are_cut_on_a_char_boundary() {
        let policy = Policy::default();
        let mut c = Cleaning::default();
        let long = "é".repeat(5_000);
        let cleaned = clean_value(Value::String(long), &policy, 1, &mut c);
        let text = cleaned.as_str().unwrap();
        assert_eq!(text.chars().count(), policy.max_string_chars + 1);
        assert!(text.ends_with(ELLIPSIS));
        assert!(c.truncated);
    }

    #[test]
    fn non_object_props_are_wrapped() {
        let policy = Policy::default();
        let mut c = Cleaning::default();
        assert_eq!(Value::Object(clean_props(Some(json!(5)), &policy, &mut c)), json!({"value": 5}));
        assert_eq!(Value::Object(clean_props(None, &policy, &mut c)), json!({}));
    }
}
