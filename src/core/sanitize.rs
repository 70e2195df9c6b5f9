//! Coercion of untrusted input into bounded, well-formed values. Recording
//! never fails on bad input: it is truncated here, or dropped as `invalid`.

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
        let mut kept = String::with_capacity(trimmed.len());
        for c in trimmed.chars().filter(|c| !c.is_control()) {
            kept.push(c);
        }
        kept
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut c = Cleaning::default();
        let long = "é".repeat(5_000);
        let cut = truncate_chars(&long, 100, &mut c).unwrap();
        assert_eq!(cut.chars().count(), 100);
        assert!(cut.ends_with(ELLIPSIS));
        assert!(c.truncated);
    }
}
