//! A small JSON value, a parser and a writer: what the SDK needs of JSON,
//! without serde.
//!
//! Why not serde_json (or serde at all): in the wasm build serde_json cost
//! about 66 KB of code, and a serde bridge of our own about 40 KB for two
//! structs, plus float formatting reached through serde's error messages.
//! This module is built to link as little as possible:
//!
//! - numbers are kept as their validated text ([`Number`]): reading and
//!   writing a value never formats or parses a float;
//! - objects are a `Vec` of pairs in document order (JavaScript key order),
//!   not a map;
//! - errors are a kind and a byte offset ([`JsonError`]) and never format a
//!   message;
//! - records are read and written by hand: `to_json(&self, out: &mut String)`
//!   appends with [`push_string`], [`push_u64`], [`push_array`]...;
//!   `from_json(&Json) -> Option<Self>` reads with [`Json::get`], the `as_*`
//!   accessors, [`Json::field_or_default`], [`Json::optional_field`] and
//!   [`Json::array_of`].
//!
//! The parser is in `parse.rs`, the writer in `write.rs`. serde_json stays a
//! host-only dev-dependency: the tests use it as an oracle.

use std::fmt;

mod parse;
mod write;

pub use parse::{parse, Reader, Token, MAX_DEPTH};
pub use write::{
    push_array, push_clean_string, push_escaped, push_i64, push_optional_string, push_optional_u64,
    push_string, push_u64, to_string, write, PushByte,
};

/// A JSON value. Objects keep insertion order (JS key order) in a Vec; numbers keep their text.
///
/// A `Vec` of pairs rather than a map: the objects the SDK sees are small
/// (event properties, a record's `extra`), a linear scan beats hashing at
/// that size, the order a caller wrote is kept, and no map code is linked.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object: keys in document order; duplicates are kept (lookups take the last).
    Object(Vec<(String, Json)>),
}

/// A JSON number kept as its validated text (as JS's JSON.stringify wrote it), so no float parsing/formatting code is linked.
///
/// Equality is textual: `1.0` and `1` are different numbers here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

impl Number {
    /// The number `n`, written in decimal.
    pub fn from_u64(n: u64) -> Number {
        let mut text = String::new();
        push_u64(&mut text, n);
        Number(text)
    }

    /// The number `n`, written in decimal.
    pub fn from_i64(n: i64) -> Number {
        let mut text = String::new();
        push_i64(&mut text, n);
        Number(text)
    }

    /// The value if the text is a non-negative integer (no fraction, no
    /// exponent) that fits in a `u64`. JavaScript writes every integer below
    /// 1e21 this way, and every integer it writes with an exponent is beyond
    /// `u64::MAX`, so nothing representable is refused.
    pub fn as_u64(&self) -> Option<u64> {
        parse_digits(self.0.as_bytes())
    }

    /// The value if the text is an integer (no fraction, no exponent) that
    /// fits in an `i64`. `-0` is `0`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0.as_bytes() {
            [b'-', digits @ ..] => {
                let magnitude = parse_digits(digits)?;
                // `2^63 as i64` is `i64::MIN`, which negates to itself: exactly right.
                (magnitude <= 1 << 63).then(|| (magnitude as i64).wrapping_neg())
            }
            digits => parse_digits(digits).and_then(|n| i64::try_from(n).ok()),
        }
    }

    /// The number's text, exactly as parsed or written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `text` as a number if it is exactly one JSON number (RFC 8259 grammar:
    /// no leading `+`, no leading zeros, no bare `.`, no `NaN`/`Infinity`, no
    /// surrounding whitespace).
    pub fn parse(text: &str) -> Option<Number> {
        parse::is_number(text).then(|| Number(text.to_owned()))
    }
}

impl Json {
    /// The value of `key` if this is an object that has it. With duplicate
    /// keys the last one wins, as in `JSON.parse`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The string, copied, if this is one: `Json::to_owned_str` reads a
    /// `String` field in `from_json` code.
    pub fn to_owned_str(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }

    /// The number as a `u64`, if this is a non-negative integer that fits (see [`Number::as_u64`]).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as a `u32`, if this is a non-negative integer that fits.
    pub fn as_u32(&self) -> Option<u32> {
        self.as_u64().and_then(|n| u32::try_from(n).ok())
    }

    /// The number as an `i64`, if this is an integer that fits (see [`Number::as_i64`]).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The entries in document order, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Every element read by `read`, if this is an array and `read` accepts
    /// each one; `None` otherwise. E.g. `value.array_of(Json::as_u64)`.
    pub fn array_of<T>(&self, mut read: impl FnMut(&Json) -> Option<T>) -> Option<Vec<T>> {
        // A loop, not `collect` into `Option<Vec<T>>`: std's short-circuiting
        // collect links about 300 B of wasm per element type.
        let items = self.as_array()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(read(item)?);
        }
        Some(out)
    }

    /// The field `key` read by `read`, with `T::default()` when the field is
    /// absent or `null`; `None` (the record is corrupt) when it is present
    /// and `read` refuses it. For fields a later version may add:
    /// `next_seq: value.field_or_default("next_seq", Json::as_u64)?`.
    pub fn field_or_default<T: Default>(
        &self,
        key: &str,
        read: impl FnOnce(&Json) -> Option<T>,
    ) -> Option<T> {
        match self.get(key) {
            None | Some(Json::Null) => Some(T::default()),
            Some(value) => read(value),
        }
    }

    /// The field `key` read by `read` as an `Option`: `Some(None)` when it is
    /// absent or `null`, `Some(Some(_))` when `read` accepts it, `None` (the
    /// record is corrupt) when `read` refuses it:
    /// `fingerprint: value.optional_field("fingerprint", Json::to_owned_str)?`.
    pub fn optional_field<T>(
        &self,
        key: &str,
        read: impl FnOnce(&Json) -> Option<T>,
    ) -> Option<Option<T>> {
        self.field_or_default(key, |value| read(value).map(Some))
    }
}

/// Errors carry no formatted text on purpose (formatting code costs wasm size): a kind and a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// What went wrong.
    pub kind: JsonErrorKind,
    /// Byte offset into the text where parsing stopped.
    pub offset: usize,
}

/// The kinds of [`JsonError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The text is not JSON: an unexpected character, a bad escape or number,
    /// a raw control character inside a string.
    Syntax,
    /// The text ended in the middle of a value.
    Eof,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    Depth,
    /// Something other than whitespace follows the value.
    TrailingCharacters,
}

impl JsonError {
    fn at(kind: JsonErrorKind, offset: usize) -> JsonError {
        JsonError { kind, offset }
    }
}

/// For hosts and logs. Built from string pieces and [`push_u64`], not
/// `write!`, so even this links no integer formatting.
impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::from(match self.kind {
            JsonErrorKind::Syntax => "JSON syntax error",
            JsonErrorKind::Eof => "unexpected end of JSON input",
            JsonErrorKind::Depth => "JSON nested too deeply",
            JsonErrorKind::TrailingCharacters => "trailing characters after the JSON value",
        });
        text.push_str(" at byte ");
        push_u64(&mut text, self.offset as u64);
        f.write_str(&text)
    }
}

impl std::error::Error for JsonError {}

/// The result of parsing.
pub type Result<T> = std::result::Result<T, JsonError>;

/// `text[from..to]` without a panic path (and the formatting code a str
/// slicing panic links). Callers split only next to ASCII bytes, so the
/// range is always on char boundaries and the fallback is unreachable.
/// Inlined: it runs twice per string written or read, and the size-tuned
/// build kept it a call (record path: -2% instructions for 28 B gzipped).
#[inline(always)]
fn slice(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to).unwrap_or_default()
}

/// `text.parse::<u64>().ok()` (an optional `+`, then ASCII digits, no
/// overflow) without std's integer parser. Size: std's is generic, one copy
/// per integer type and radix (~300 bytes of wasm each).
pub fn parse_u64(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    parse_digits(digits.strip_prefix(b"+").unwrap_or(digits))
}

/// The value of a non-empty run of ASCII digits, if it fits.
fn parse_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}
