//! Splitting text at an ASCII byte (or, for stack frames, a short pattern).
//!
//! std's `split(char)`, `find(char)`, `split_once(char)` and their reverse
//! forms link its char searchers and `memchr` (about 1.5 KB of wasm, see
//! `docs/size.md`), and its string patterns the two-way searcher; here each
//! is a loop over bytes. Splitting at an ASCII byte never cuts a UTF-8
//! character: every byte of a multi-byte character is above 0x7F.

/// The text before and after the first `byte` (ASCII), as
/// `str::split_once` gives it.
pub fn split_first(text: &str, byte: u8) -> Option<(&str, &str)> {
    // Index loops here: `position` and `rposition` would each link an
    // iterator fold for their closure.
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == byte {
            return around(text, at);
        }
        at += 1;
    }
    None
}

/// The text before and after the last `byte` (ASCII), as
/// `str::rsplit_once` gives it.
pub fn split_last(text: &str, byte: u8) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let mut at = bytes.len();
    while at > 0 {
        at -= 1;
        if bytes[at] == byte {
            return around(text, at);
        }
    }
    None
}

/// The text before and after the last `pattern`, as `str::rsplit_once`
/// gives it for a string pattern: a plain reverse scan (std's links its
/// two-way searcher; the texts here are short).
pub fn split_last_str<'a>(text: &'a str, pattern: &str) -> Option<(&'a str, &'a str)> {
    let last = text.len().checked_sub(pattern.len())?;
    let at = (0..=last)
        .rev()
        .find(|&i| text.as_bytes()[i..].starts_with(pattern.as_bytes()))?;
    // A match of a whole UTF-8 pattern starts and ends on char boundaries.
    Some((text.get(..at)?, text.get(at + pattern.len()..)?))
}

fn around(text: &str, at: usize) -> Option<(&str, &str)> {
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// Whether every byte of `bytes` passes `ok`, and the index of the first
/// that does not. One loop through a function pointer for the checks of
/// options and origins (not hot): `all`, `any` and `position` with a
/// closure each link an iterator fold of their own.
pub fn first_byte_not(bytes: &[u8], ok: fn(u8) -> bool) -> Option<usize> {
    let mut at = 0;
    while at < bytes.len() {
        if !ok(bytes[at]) {
            return Some(at);
        }
        at += 1;
    }
    None
}

/// Whether every byte of `text` passes `ok` (see [`first_byte_not`]).
pub fn all_bytes(text: &str, ok: fn(u8) -> bool) -> bool {
    first_byte_not(text.as_bytes(), ok).is_none()
}

/// Whether `bytes` holds `byte`: a plain loop, where `<[u8]>::contains`
/// links `memchr` (265 B of wasm) for slices of a few dozen bytes.
#[allow(clippy::manual_contains)]
pub fn has_byte(bytes: &[u8], byte: u8) -> bool {
    bytes.iter().any(|&b| b == byte)
}

/// The pieces of `text` between its `byte`s (ASCII), as `str::split` gives
/// them: empty text is one empty piece.
pub fn pieces(text: &str, byte: u8) -> Pieces<'_> {
    Pieces {
        rest: Some(text),
        byte,
    }
}

/// The iterator of [`pieces`].
#[derive(Debug, Clone)]
pub struct Pieces<'a> {
    rest: Option<&'a str>,
    byte: u8,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match split_first(rest, self.byte) {
            Some((piece, tail)) => {
                self.rest = Some(tail);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_split_gives_what_the_std_split_it_replaces_gives() {
        let cases = ["", ",", "a", "a,b", ",a,,b,", "é,ü,", "1:2:3", "::"];
        for text in cases {
            for byte in [b',', b':'] {
                let c = char::from(byte);
                assert_eq!(split_first(text, byte), text.split_once(c), "{text:?}");
                assert_eq!(split_last(text, byte), text.rsplit_once(c), "{text:?}");
                assert_eq!(
                    pieces(text, byte).collect::<Vec<_>>(),
                    text.split(c).collect::<Vec<_>>(),
                    "{text:?}"
                );
                assert_eq!(
                    has_byte(text.as_bytes(), byte),
                    text.as_bytes().contains(&byte)
                );
                assert_eq!(
                    first_byte_not(text.as_bytes(), |b| b != b','),
                    text.bytes().position(|b| b == b',')
                );
                assert_eq!(
                    all_bytes(text, |b| b != b':'),
                    text.bytes().all(|b| b != b':')
                );
            }
            for pattern in [",", ", ", ":0x", "é,"] {
                assert_eq!(
                    split_last_str(text, pattern),
                    text.rsplit_once(pattern),
                    "{text:?} {pattern:?}"
                );
            }
        }
    }
}
