//! Coercion of untrusted input into bounded, well-formed values. Recording
//! never fails on bad input: it is truncated here, or dropped as `invalid`.

use super::json::Json;

/// An object as the core keeps it: insertion-ordered pairs.
pub type Object = Vec<(String, Json)>;

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

/// Cuts `text` to at most `max_chars` characters, the last being an
/// ellipsis, on a char boundary. `None` when it already fits.
pub fn truncate_chars(text: &str, max_chars: usize, cleaning: &mut Cleaning) -> Option<String> {
    // A string of at most `max_chars` bytes has at most that many chars: most do.
    if text.len() <= max_chars {
        return None;
    }
    text.char_indices().nth(max_chars)?;
    let cut = text
        .char_indices()
        .nth(max_chars.saturating_sub(1))
        .map_or(text.len(), |(at, _)| at);
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
pub fn clean_props(props: Option<Json>, policy: &Policy, cleaning: &mut Cleaning) -> Object {
    match props {
        None | Some(Json::Null) => Object::new(),
        Some(Json::Object(map)) => clean_object(map, policy, 1, cleaning),
        Some(other) => {
            cleaning.truncated = true;
            vec![("value".to_owned(), clean_value(other, policy, 1, cleaning))]
        }
    }
}

fn clean_object(map: Object, policy: &Policy, depth: usize, cleaning: &mut Cleaning) -> Object {
    if map.len() > policy.max_collection_len {
        cleaning.truncated = true;
    }
    let mut out = Object::with_capacity(map.len().min(policy.max_collection_len));
    for (key, value) in map.into_iter().take(policy.max_collection_len) {
        let key = truncate_chars(&key, policy.max_name_chars, cleaning).unwrap_or(key);
        out.push((key, clean_value(value, policy, depth + 1, cleaning)));
    }
    out
}

/// Bounds one value: string length, collection length and nesting depth.
pub fn clean_value(value: Json, policy: &Policy, depth: usize, cleaning: &mut Cleaning) -> Json {
    match value {
        Json::String(text) => match truncate_chars(&text, policy.max_string_chars, cleaning) {
            Some(cut) => Json::String(cut),
            None => Json::String(text),
        },
        Json::Array(_) | Json::Object(_) if depth > policy.max_depth => {
            cleaning.truncated = true;
            Json::String(DEPTH_MARKER.into())
        }
        Json::Array(items) => {
            if items.len() > policy.max_collection_len {
                cleaning.truncated = true;
            }
            Json::Array(
                items
                    .into_iter()
                    .take(policy.max_collection_len)
                    .map(|v| clean_value(v, policy, depth + 1, cleaning))
                    .collect(),
            )
        }
        Json::Object(map) => Json::Object(clean_object(map, policy, depth, cleaning)),
        scalar => scalar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::{parse, Number};

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
        let cleaned = clean_value(Json::String(long), &policy, 1, &mut c);
        let text = cleaned.as_str().unwrap();
        assert_eq!(text.chars().count(), policy.max_string_chars);
        assert!(text.ends_with(ELLIPSIS));
        assert!(c.truncated);
    }

    #[test]
    fn non_object_props_are_wrapped() {
        let policy = Policy::default();
        let mut c = Cleaning::default();
        let five = Json::Number(Number::from_u64(5));
        assert_eq!(
            Json::Object(clean_props(Some(five), &policy, &mut c)),
            parse(r#"{"value":5}"#).unwrap()
        );
        assert_eq!(
            Json::Object(clean_props(None, &policy, &mut c)),
            parse("{}").unwrap()
        );
    }
}
