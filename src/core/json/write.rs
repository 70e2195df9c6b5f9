//! The writer: compact JSON text, as `JSON.stringify` writes it, built by
//! appending to a `String` (no `core::fmt`: formatting code costs wasm size).

use super::{slice, Json};

/// Appending one ASCII byte to a `String`.
///
/// `String::push` takes a `char` and encodes it as UTF-8 through a call that
/// the size-tuned build never inlines: about 40 instructions per byte, and on
/// the record path (quotes, commas, colons) it was a tenth of a `track()`.
/// Every literal ASCII character the crate writes goes through this instead.
pub trait PushByte {
    /// Appends `byte` if it is ASCII (a non-ASCII byte is a bug: dropped).
    fn push_byte(&mut self, byte: u8);

    /// Appends `bytes` in one copy if they are all ASCII (else nothing: a
    /// bug). For text ASCII by construction (digits, hex): `str::from_utf8`
    /// would link the UTF-8 validator, and a byte at a time costs a call each.
    fn push_ascii(&mut self, bytes: &[u8]);
}

impl PushByte for String {
    #[inline]
    fn push_byte(&mut self, byte: u8) {
        if byte.is_ascii() {
            // SAFETY: one ASCII byte is a whole UTF-8 character, so the
            // string stays valid UTF-8.
            unsafe { self.as_mut_vec() }.push(byte);
        }
    }

    fn push_ascii(&mut self, bytes: &[u8]) {
        if bytes.iter().all(u8::is_ascii) {
            // SAFETY: ASCII bytes are whole UTF-8 characters, so the string
            // stays valid UTF-8.
            unsafe { self.as_mut_vec() }.extend_from_slice(bytes);
        }
    }
}

/// Appends `value` as compact JSON (no whitespace), like `JSON.stringify`.
/// Numbers are written as their text; object keys in their stored order.
pub fn write(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(n) => out.push_str(n.as_str()),
        Json::String(s) => push_string(out, s),
        Json::Array(items) => push_array(out, items, |out, item| write(item, out)),
        Json::Object(entries) => {
            out.push_byte(b'{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_byte(b',');
                }
                push_string(out, key);
                out.push_byte(b':');
                write(item, out);
            }
            out.push_byte(b'}');
        }
    }
}

/// `value` as compact JSON text (see [`write()`]).
pub fn to_string(value: &Json) -> String {
    let mut out = String::with_capacity(128);
    write(value, &mut out);
    out
}

/// Appends `text` as a quoted JSON string literal.
///
/// Escapes exactly what `JSON.stringify` (and serde_json) escape: `"`, `\`
/// and control characters below U+0020 (`\b \f \n \r \t` by name, the rest
/// as lowercase `\u00XX`). Everything else, U+2028/U+2029 included, is copied
/// in runs of unescaped bytes.
pub fn push_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push_byte(b'"');
    push_escaped(out, text);
    out.push_byte(b'"');
}

/// Appends `text` as a quoted string literal that needs no escape: text
/// read unescaped from a JSON string ([`Token::String`](super::Token) as
/// `Cow::Borrowed`, which holds no `"`, `\` or control character), or any
/// part of it. Skips [`push_string`]'s scan for characters to escape: on
/// the record path every key and most string values are such text.
pub fn push_clean_string(out: &mut String, text: &str) {
    debug_assert!(!text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
    out.reserve(text.len() + 2);
    out.push_byte(b'"');
    out.push_str(text);
    out.push_byte(b'"');
}

/// Appends `text` escaped as [`push_string`] does, without the quotes: for a
/// string written in parts.
pub fn push_escaped(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut run = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.push_str(slice(text, run, i));
        run = i + 1;
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
    out.push_str(slice(text, run, text.len()));
}

/// Appends `text` as a string literal, or `null` for `None`.
pub fn push_optional_string(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => push_string(out, text),
        None => out.push_str("null"),
    }
}

/// Appends the decimal digits of `n`. The crate's one digit writer: every
/// integer the SDK writes goes through it, never through `core::fmt`.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut len = 0;
    // Iterators rather than indexing: no bounds checks, no panic path.
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    out.push_ascii(buf.get(buf.len() - len..).unwrap_or_default());
}

/// Appends `n` in decimal, with a `-` if it is negative.
pub fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push_byte(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends the decimal digits of `n`, or `null` for `None`.
pub fn push_optional_u64(out: &mut String, n: Option<u64>) {
    match n {
        Some(n) => push_u64(out, n),
        None => out.push_str("null"),
    }
}

/// Appends a JSON array: `[`, each item written by `write_item`, separated by
/// commas, `]`. For hand-written `to_json` code:
/// `push_array(out, self.counts.iter().copied(), push_u64)`.
pub fn push_array<T>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    mut write_item: impl FnMut(&mut String, T),
) {
    out.push_byte(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_byte(b',');
        }
        write_item(out, item);
    }
    out.push_byte(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_appended_and_anything_else_is_refused_whole() {
        let mut out = String::from("a");
        out.push_byte(b'b');
        out.push_byte(0xff);
        out.push_ascii(b"cd-09");
        out.push_ascii(&[b'x', 0xc3, 0xa9]);
        assert_eq!(out, "abcd-09");
    }

    #[test]
    fn integers_are_written_as_their_decimal_digits() {
        for n in [0, 7, 10, 1_234_567_890, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
        let mut out = String::new();
        push_i64(&mut out, i64::MIN);
        assert_eq!(out, i64::MIN.to_string());
    }
}
