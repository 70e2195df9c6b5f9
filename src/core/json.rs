//! A small JSON value, parser, writer and serde bridge: what the SDK needs of
//! JSON, without serde_json.
//!
//! Why not serde_json: in the wasm build it cost about 66 KB of code, plus
//! ~15 KB of float formatting (`core::fmt` flt2dec, reached through serde's
//! `Unexpected::Float` error messages) and the BTreeMap code behind
//! `serde_json::Map`. The whole package has to fit in 40 KB gzipped, so this
//! module is built to link as little as possible:
//!
//! - numbers are kept as their validated text ([`Number`]): reading and
//!   writing a value never formats or parses a float;
//! - objects are a `Vec` of pairs in document order (JavaScript key order),
//!   not a map;
//! - errors are a kind and a byte offset ([`JsonError`]) and never format a
//!   message, so serde's `Unexpected`/`Expected` `Display` code is unreachable;
//! - the serde bridge ([`to_string_of`], [`from_str_of`], [`from_json`]) writes
//!   text directly and deserializes from a parsed [`Json`], with no
//!   intermediate buffering types.
//!
//! serde_json stays a host-only dev-dependency: the tests use it as an oracle.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer as _, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize};

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// A JSON value. Objects keep insertion order (JS key order) in a Vec; numbers keep their text.
///
/// A `Vec` of pairs rather than a map: the objects the SDK sees are small
/// (event properties, a snapshot's `extra`), a linear scan beats hashing at
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

    /// The value as an `f64`; `None` if it is beyond the `f64` range (JSON
    /// allows `1e400`; JavaScript would read it as `Infinity`).
    ///
    /// Hand-written rather than `str::parse::<f64>`, whose power-of-five
    /// table and big-number fallback cost kilobytes of wasm. The result is
    /// correctly rounded when the digits form an integer of at most 2^53
    /// scaled by at most 10^±22 (every number with up to 15 significant
    /// digits and a modest exponent, e.g. a sample rate like `0.25`).
    /// Otherwise it goes through 64-bit extended precision and is within one
    /// unit in the last place (exact for 99.96% of random `f64` bit patterns
    /// as serde_json writes them); at most 19 significant digits are read.
    pub fn as_f64(&self) -> Option<f64> {
        let (negative, magnitude) = decimal_parts(self.0.as_bytes());
        let value = match magnitude {
            Some((mantissa, exponent)) => decimal_to_f64(mantissa, exponent),
            None => 0.0,
        };
        let value = if negative { -value } else { value };
        value.is_finite().then_some(value)
    }

    /// The number's text, exactly as parsed or written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `text` as a number if it is exactly one JSON number (RFC 8259 grammar:
    /// no leading `+`, no leading zeros, no bare `.`, no `NaN`/`Infinity`, no
    /// surrounding whitespace).
    pub fn parse(text: &str) -> Option<Number> {
        is_number(text).then(|| Number(text.to_owned()))
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

    /// The number as a `u64`, if this is a non-negative integer that fits (see [`Number::as_u64`]).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The number as an `f64`, if this is a finite number (see [`Number::as_f64`]).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => n.as_f64(),
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
    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The entries in document order, if this is an object.
    pub fn as_object(&self) -> Option<&Vec<(String, Json)>> {
        match self {
            Json::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Errors carry no formatted text on purpose (formatting code costs wasm size): a kind and a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonError {
    /// What went wrong.
    pub kind: JsonErrorKind,
    /// Byte offset into the text where parsing stopped; 0 for errors found
    /// after parsing (a value of the wrong shape for the target type).
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
    /// The value does not fit the target type: wrong type, out-of-range
    /// number, wrong length, an unknown or duplicate field where the type
    /// forbids them; or, when serializing, a map key that is not a string,
    /// number or boolean.
    Type,
    /// A field the target type requires is absent.
    MissingField,
    /// An enum variant the target type does not have.
    UnknownVariant,
    /// A `Serialize`/`Deserialize` implementation reported its own error
    /// (its message is dropped unformatted).
    Custom,
}

impl JsonError {
    fn new(kind: JsonErrorKind, offset: usize) -> JsonError {
        JsonError { kind, offset }
    }

    /// An error found after parsing, where no offset is known.
    fn kind(kind: JsonErrorKind) -> JsonError {
        JsonError { kind, offset: 0 }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            JsonErrorKind::Syntax => "JSON syntax error",
            JsonErrorKind::Eof => "unexpected end of JSON input",
            JsonErrorKind::Depth => "JSON nested too deeply",
            JsonErrorKind::TrailingCharacters => "trailing characters after the JSON value",
            JsonErrorKind::Type => "JSON value of the wrong type or shape",
            JsonErrorKind::MissingField => "missing field",
            JsonErrorKind::UnknownVariant => "unknown enum variant",
            JsonErrorKind::Custom => "invalid value",
        };
        f.write_str(what)?;
        match self.kind {
            JsonErrorKind::Syntax | JsonErrorKind::Eof | JsonErrorKind::Depth | JsonErrorKind::TrailingCharacters => {
                write!(f, " at byte {}", self.offset)
            }
            _ => Ok(()),
        }
    }
}

impl std::error::Error for JsonError {}

/// The result of JSON operations.
pub type Result<T> = std::result::Result<T, JsonError>;

// serde needs its error types to be constructible from messages. Every
// constructor is overridden to drop its arguments unformatted: the default
// implementations format `Unexpected` values, which links float formatting.
impl ser::Error for JsonError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        JsonError::kind(JsonErrorKind::Custom)
    }
}

impl de::Error for JsonError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        JsonError::kind(JsonErrorKind::Custom)
    }

    fn invalid_type(_unexp: de::Unexpected<'_>, _exp: &dyn de::Expected) -> Self {
        JsonError::kind(JsonErrorKind::Type)
    }

    fn invalid_value(_unexp: de::Unexpected<'_>, _exp: &dyn de::Expected) -> Self {
        JsonError::kind(JsonErrorKind::Type)
    }

    fn invalid_length(_len: usize, _exp: &dyn de::Expected) -> Self {
        JsonError::kind(JsonErrorKind::Type)
    }

    fn unknown_variant(_variant: &str, _expected: &'static [&'static str]) -> Self {
        JsonError::kind(JsonErrorKind::UnknownVariant)
    }

    fn unknown_field(_field: &str, _expected: &'static [&'static str]) -> Self {
        JsonError::kind(JsonErrorKind::Type)
    }

    fn missing_field(_field: &'static str) -> Self {
        JsonError::kind(JsonErrorKind::MissingField)
    }

    fn duplicate_field(_field: &'static str) -> Self {
        JsonError::kind(JsonErrorKind::Type)
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// The deepest nesting of arrays and objects [`parse`] accepts (128 levels
/// parse; 129 are an error). The parser recurses once per level; the limit
/// keeps hostile input like 100 000 `[` from overflowing the stack.
pub const MAX_DEPTH: usize = 128;

/// Parses one JSON value (RFC 8259, strictly: no comments, no trailing
/// commas, nothing but whitespace after the value), in linear time.
///
/// `\uXXXX` escapes are decoded, surrogate pairs combined; a lone surrogate
/// becomes U+FFFD, as it would when a JavaScript string holding one crosses
/// into Rust.
pub fn parse(text: &str) -> Result<Json> {
    let mut parser = Parser { text, pos: 0, depth: 0, scratch: String::new() };
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos != text.len() {
        return Err(JsonError::new(JsonErrorKind::TrailingCharacters, parser.pos));
    }
    Ok(value)
}

/// An unexpected byte at `at`, or the end of input if `at` is past it.
fn unexpected(bytes: &[u8], at: usize) -> JsonError {
    let kind = if at >= bytes.len() { JsonErrorKind::Eof } else { JsonErrorKind::Syntax };
    JsonError::new(kind, at)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    /// Reused for strings with escapes.
    scratch: String,
}

impl<'a> Parser<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn unexpected(&self, at: usize) -> JsonError {
        unexpected(self.bytes(), at)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Json> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                self.pos += 1;
                self.string().map(Json::String)
            }
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                match scan_number(self.bytes(), start) {
                    Ok(end) => {
                        self.pos = end;
                        Ok(Json::Number(Number(slice(self.text, start, end).to_owned())))
                    }
                    Err(at) => Err(self.unexpected(at)),
                }
            }
            _ => Err(self.unexpected(self.pos)),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json> {
        let rest = self.bytes().get(self.pos..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else if word.as_bytes().starts_with(rest) {
            Err(self.unexpected(self.text.len()))
        } else {
            Err(self.unexpected(self.pos))
        }
    }

    /// Counts a level of nesting and consumes the opening bracket.
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(JsonError::new(JsonErrorKind::Depth, self.pos));
        }
        self.pos += 1;
        Ok(())
    }

    fn array(&mut self) -> Result<Json> {
        self.enter()?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                items.push(self.value()?);
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected(self.pos)),
                }
            }
        }
        self.depth -= 1;
        Ok(Json::Array(items))
    }

    fn object(&mut self) -> Result<Json> {
        self.enter()?;
        let mut entries = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_whitespace();
                if self.peek() != Some(b'"') {
                    return Err(self.unexpected(self.pos));
                }
                self.pos += 1;
                let key = self.string()?;
                self.skip_whitespace();
                if self.peek() != Some(b':') {
                    return Err(self.unexpected(self.pos));
                }
                self.pos += 1;
                let value = self.value()?;
                entries.push((key, value));
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected(self.pos)),
                }
            }
        }
        self.depth -= 1;
        Ok(Json::Object(entries))
    }

    /// The rest of a string whose opening quote is consumed.
    ///
    /// Runs of plain bytes are copied as slices: a string without escapes
    /// costs one scan and one exactly sized allocation. One with escapes is
    /// assembled in a scratch buffer kept across strings, then copied once,
    /// rather than grown through a series of reallocations. Splitting only at
    /// ASCII bytes keeps every slice on a char boundary (the input is already
    /// valid UTF-8).
    fn string(&mut self) -> Result<String> {
        let bytes = self.bytes();
        // Taken only at the first escape; `scratch` keeps its capacity.
        let mut out: Option<String> = None;
        let mut run = self.pos;
        let mut i = self.pos;
        loop {
            match bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    let last = slice(self.text, run, i);
                    return Ok(match out {
                        None => last.to_owned(),
                        Some(mut buf) => {
                            buf.push_str(last);
                            let text = buf.as_str().to_owned();
                            self.scratch = buf;
                            text
                        }
                    });
                }
                Some(b'\\') => {
                    let buf = out.get_or_insert_with(|| {
                        let mut scratch = std::mem::take(&mut self.scratch);
                        scratch.clear();
                        scratch
                    });
                    buf.push_str(slice(self.text, run, i));
                    i = Self::escape(bytes, i + 1, buf)?;
                    run = i;
                }
                Some(&b) if b < 0x20 => return Err(self.unexpected(i)),
                Some(_) => i += 1,
                None => return Err(self.unexpected(i)),
            }
        }
    }

    /// Decodes the escape whose backslash precedes `i`; returns the index after it.
    fn escape(bytes: &[u8], i: usize, out: &mut String) -> Result<usize> {
        let c = match bytes.get(i) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return Self::unicode_escape(bytes, i + 1, out),
            _ => return Err(unexpected(bytes, i)),
        };
        out.push(c);
        Ok(i + 1)
    }

    /// Decodes `XXXX` (after `\u`) at `i`, pairing surrogates; returns the index after it.
    fn unicode_escape(bytes: &[u8], i: usize, out: &mut String) -> Result<usize> {
        let first = Self::hex4(bytes, i)?;
        let mut next = i + 4;
        let c = match first {
            0xD800..=0xDBFF => {
                let mut paired = None;
                if bytes.get(next) == Some(&b'\\') && bytes.get(next + 1) == Some(&b'u') {
                    let second = Self::hex4(bytes, next + 2)?;
                    if (0xDC00..=0xDFFF).contains(&second) {
                        next += 6;
                        paired = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
                    }
                    // Otherwise the second escape is decoded on its own next.
                }
                paired.unwrap_or('\u{FFFD}')
            }
            // A lone surrogate has no UTF-8 form; this is what JS does on the way into Rust.
            0xDC00..=0xDFFF => '\u{FFFD}',
            _ => char::from_u32(first).unwrap_or('\u{FFFD}'),
        };
        out.push(c);
        Ok(next)
    }

    fn hex4(bytes: &[u8], i: usize) -> Result<u32> {
        let mut value = 0;
        for at in i..i + 4 {
            let digit = match bytes.get(at) {
                Some(&b @ b'0'..=b'9') => b - b'0',
                Some(&b @ b'a'..=b'f') => b - b'a' + 10,
                Some(&b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(unexpected(bytes, at)),
            };
            value = value * 16 + u32::from(digit);
        }
        Ok(value)
    }
}

/// The end of the JSON number starting at `start`, or the offset of the first
/// byte that breaks the grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn scan_number(b: &[u8], start: usize) -> std::result::Result<usize, usize> {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while digit(i) {
                i += 1;
            }
        }
        _ => return Err(i),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digit(i) {
            return Err(i);
        }
        while digit(i) {
            i += 1;
        }
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        if !digit(i) {
            return Err(i);
        }
        while digit(i) {
            i += 1;
        }
    }
    Ok(i)
}

/// `text[from..to]` without a panic path (and the formatting code a str
/// slicing panic links). Callers split only next to ASCII bytes, so the
/// range is always on char boundaries and the fallback is unreachable.
fn slice(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to).unwrap_or_default()
}

fn is_number(text: &str) -> bool {
    scan_number(text.as_bytes(), 0) == Ok(text.len())
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

/// Splits validated number text into its sign and `mantissa * 10^exponent`
/// (`None` for zero). At most 19 significant digits are kept (they fit a
/// `u64`); the rest only shift the exponent.
fn decimal_parts(b: &[u8]) -> (bool, Option<(u64, i32)>) {
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let mut mantissa: u64 = 0;
    let mut exponent: i32 = 0;
    let mut fraction = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                if mantissa < 1_000_000_000_000_000_000 {
                    mantissa = mantissa * 10 + u64::from(c - b'0');
                    if fraction {
                        exponent = exponent.saturating_sub(1);
                    }
                } else if !fraction {
                    exponent = exponent.saturating_add(1);
                }
            }
            b'.' => fraction = true,
            _ => break,
        }
        i += 1;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let negative_exponent = b.get(i) == Some(&b'-');
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let mut e: i32 = 0;
        for &c in b.get(i..).unwrap_or_default() {
            // Beyond ±100 000 every value is 0 or infinite anyway.
            e = (e * 10 + i32::from(c.wrapping_sub(b'0'))).min(100_000);
        }
        exponent = exponent.saturating_add(if negative_exponent { -e } else { e });
    }
    (negative, (mantissa != 0).then_some((mantissa, exponent)))
}

/// `10^n`, exact for `n <= 22` (every step is an exactly representable integer).
fn pow10(n: u32) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= 10.0;
    }
    p
}

/// `mantissa * 10^exponent` as an `f64` (see [`Number::as_f64`]).
fn decimal_to_f64(mantissa: u64, exponent: i32) -> f64 {
    // Clinger's fast path: both operands exact, so the one operation rounds correctly.
    if mantissa <= 1 << 53 && (-22..=22).contains(&exponent) {
        let m = mantissa as f64;
        return if exponent < 0 { m / pow10(exponent.unsigned_abs()) } else { m * pow10(exponent as u32) };
    }
    // Out of range either way (the mantissa has at most 19 digits); this
    // also bounds the work in `Ext::pow10`.
    if mantissa == 0 || exponent < -345 {
        return 0.0;
    }
    if exponent > 310 {
        return f64::INFINITY;
    }
    let shift = mantissa.leading_zeros();
    Ext { m: mantissa << shift, e: -(shift as i32) }.mul_to_f64(Ext::pow10(exponent))
}

/// `v * 2^n` for any `n` an `f64` computation can need.
fn scale2(mut v: f64, mut n: i32) -> f64 {
    while n > 1023 {
        v *= f64::from_bits(0x7FE0_0000_0000_0000); // 2^1023
        n -= 1023;
    }
    while n < -1022 {
        v *= f64::from_bits(0x0010_0000_0000_0000); // 2^-1022
        n += 1022;
    }
    v * f64::from_bits(((n + 1023) as u64) << 52)
}

/// `m * 2^e` with `m` normalized (top bit set): 64 significant bits where an
/// `f64` has 53, so scaling by a power of ten in a handful of rounded steps
/// stays well below an `f64` ulp. This is what stands in for the kilobytes of
/// power-of-five tables in `core`'s float parser and in Ryu: results are
/// within one ulp, and exact for 99.96% of random bit patterns written by
/// Ryu (serde_json), the hard cases.
#[derive(Clone, Copy)]
struct Ext {
    m: u64,
    e: i32,
}

impl Ext {
    /// The product, rounded to 64 bits.
    fn mul(self, other: Ext) -> Ext {
        let product = u128::from(self.m) * u128::from(other.m); // in [2^126, 2^128)
        let top = (product >> 127) as i32; // 1 if the product has 128 bits
        let kept = product >> (62 + top); // 65 bits: 64 plus a rounding bit
        let rounded = (kept + 1) >> 1;
        let e = self.e + other.e + 63 + top;
        if rounded >> 64 == 0 {
            Ext { m: rounded as u64, e }
        } else {
            // Rounding carried out of the top bit: the value is exactly 2^64.
            Ext { m: 1 << 63, e: e + 1 }
        }
    }

    /// The product as the nearest `f64`, rounded once: the low half of the
    /// 128-bit product is folded into a sticky bit rather than rounded away
    /// first, so no double rounding.
    fn mul_to_f64(self, other: Ext) -> f64 {
        let product = u128::from(self.m) * u128::from(other.m);
        let high = (product >> 64) as u64; // at least 2^62: 53 bits kept, 9+ below
        let sticky = u64::from(product as u64 != 0);
        // The u64 -> f64 conversion rounds to nearest even; scaling by a power
        // of two is exact unless the result is subnormal.
        scale2((high | sticky) as f64, self.e + other.e + 64)
    }

    /// `10^k` as `10^r * (10^±27)^q` with `0 <= r < 27`: `10^r` and `10^27`
    /// are exact in 64 bits (`5^27 < 2^64`), `10^-27` is rounded once, and
    /// each of the `q <= 13` products rounds once more. The error stays a few
    /// units of 2^-64, far below an `f64` ulp (2^-52).
    fn pow10(k: i32) -> Ext {
        const TEN_27: Ext = Ext { m: 0xCECB_8F27_F420_0F3A, e: 26 };
        const TENTH_27: Ext = Ext { m: 0x9E74_D1B7_91E0_7E48, e: -153 };
        let (big, q) = if k >= 0 { (TEN_27, k / 27) } else { (TENTH_27, (26 - k) / 27) };
        let r = (k - if k >= 0 { 27 * q } else { -27 * q }) as u32; // in 0..27
        let small = 5u64.pow(r); // 10^r = 5^r * 2^r
        let shift = small.leading_zeros();
        let mut result = Ext { m: small << shift, e: r as i32 - shift as i32 };
        for _ in 0..q {
            result = result.mul(big);
        }
        result
    }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Appends `value` as compact JSON (no whitespace), like `JSON.stringify`.
/// Numbers are written as their text; object keys in their stored order.
pub fn write(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Number(n) => out.push_str(&n.0),
        Json::String(s) => push_string(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Json::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(out, key);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

/// `value` as compact JSON text (see [`write`]).
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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push('"');
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
    out.push('"');
}

/// The decimal digits of `n`, at the end of `buf`. Hand-written so integer
/// output does not go through `core::fmt`.
fn u64_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
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
    buf.get(buf.len() - len..).unwrap_or_default()
}

/// Appends ASCII digits and signs. One checked copy; no `unsafe` for the
/// sake of skipping a validation of at most 20 bytes.
fn push_ascii(out: &mut String, ascii: &[u8]) {
    out.push_str(std::str::from_utf8(ascii).unwrap_or_default());
}

/// Appends the decimal digits of `n` (no `core::fmt`: formatting code costs wasm size).
pub fn push_u64(out: &mut String, n: u64) {
    push_ascii(out, u64_digits(n, &mut [0; 20]));
}

fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends a finite `f64` in JavaScript's number syntax, or `null` for NaN
/// and infinities (as `JSON.stringify` does).
///
/// Not a proper shortest-round-trip algorithm (Ryu/Grisu would cost
/// kilobytes of tables): the value is rounded to 1, 2, ... 17 significant
/// digits in 64-bit extended precision, and the first that reads back
/// (through [`decimal_to_f64`]) as the same value is written. Ordinary values
/// come out as JavaScript writes them (`0.1`, `2.5e-7`, `1e+21`); rare hard
/// ones get one digit more than the shortest form. The SDK never serializes
/// floats in its snapshot; this exists so a float never makes serialization
/// fail, and it is linked only where a float is serialized.
fn push_f64(out: &mut String, v: f64) {
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        // Integers (and -0, which JavaScript writes as 0) need no digit search.
        push_i64(out, v as i64);
        return;
    }
    if v < 0.0 {
        out.push('-');
    }
    let a = v.abs();
    let bits = a.to_bits();
    let (m, e) = match bits >> 52 {
        0 => (bits, -1074),
        biased => ((bits & ((1 << 52) - 1)) | (1 << 52), biased as i32 - 1075),
    };
    let shift = m.leading_zeros();
    let a_ext = Ext { m: m << shift, e: e - shift as i32 };
    // floor(log2(a)) * log10(2), rounded down: the decimal exponent or one less.
    let mut e10 = ((63 + a_ext.e) * 78_913) >> 18;
    // The candidate: `mantissa * 10^exponent`.
    let mut best = (0u64, 0i32);
    for precision in 1..=17i32 {
        let (low, high) = (10u64.pow(precision as u32 - 1), 10u64.pow(precision as u32));
        let mut tries = 0;
        let mantissa = loop {
            // round(a * 10^(precision - 1 - e10)), below 2^57 when e10 is right.
            let x = a_ext.mul(Ext::pow10(precision - 1 - e10));
            let m = match -x.e {
                s if s <= 0 => u64::MAX,
                s if s <= 64 => ((x.m >> (s - 1)) + 1) >> 1,
                _ => 0,
            };
            tries += 1;
            if m >= high && tries < 3 {
                e10 += 1;
            } else if m < low && tries < 3 {
                e10 -= 1;
            } else {
                break m;
            }
        };
        best = (mantissa, e10 - (precision - 1));
        if decimal_to_f64(best.0, best.1) == a {
            break;
        }
    }
    let (mut mantissa, mut exponent) = best;
    while mantissa % 10 == 0 && mantissa != 0 {
        mantissa /= 10;
        exponent += 1;
    }
    let mut buf = [0; 20];
    let d = u64_digits(mantissa, &mut buf);
    let k = d.len() as i32;
    // The decimal point sits after `n` digits: value = 0.d1d2.. * 10^n.
    let n = k + exponent;
    if k <= n && n <= 21 {
        push_ascii(out, d);
        for _ in k..n {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        let (integer, fraction) = d.split_at_checked(n as usize).unwrap_or((d, &[]));
        push_ascii(out, integer);
        out.push('.');
        push_ascii(out, fraction);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in n..0 {
            out.push('0');
        }
        push_ascii(out, d);
    } else {
        let (first, rest) = d.split_at_checked(1).unwrap_or((d, &[]));
        push_ascii(out, first);
        if !rest.is_empty() {
            out.push('.');
            push_ascii(out, rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        push_u64(out, u64::from((n - 1).unsigned_abs()));
    }
}

// ---------------------------------------------------------------------------
// serde: serializing
// ---------------------------------------------------------------------------

/// A newtype-struct name telling [`Writer`] to copy the inner string as
/// already-encoded JSON; used by `Json`'s `Serialize` to write its numbers'
/// text (and everything else) without a float round trip.
///
/// This and [`JSON_TOKEN`] are `static`s recognized by address (see
/// [`is_token`]): no user type can collide with them, and the check folds at
/// compile time where a string comparison would stay a call.
static RAW_TOKEN: &str = "$mv3_telemetry::json::Raw";

/// A newtype-struct name telling [`ValueDe`] that `Json` is asking, so numbers
/// are handed over as their text (see [`NUMBER_TOKEN`]).
static JSON_TOKEN: &str = "$mv3_telemetry::json::Json";

/// Whether `name` is `token` itself (the same static), not just equal text.
fn is_token(name: &str, token: &'static str) -> bool {
    std::ptr::eq(name.as_ptr(), token.as_ptr()) && name.len() == token.len()
}

/// The single key of the map a number is presented as to `Json`'s visitor
/// (the technique serde_json's `arbitrary_precision` uses): serde's data
/// model has no "number as text" case.
///
/// A `static`, not a `const`: the visitor recognizes the key by its address
/// (see [`FirstKey`]), so an input object that merely has this key is still
/// an object.
static NUMBER_TOKEN: &str = "$mv3_telemetry::json::Number";

/// `value` as compact JSON text, written directly by a minimal serde
/// `Serializer` (no serde_json, no intermediate value).
///
/// Structs and maps become objects, sequences and tuples arrays, unit
/// variants strings, other variants `{"Variant": value}`, `None` and `()`
/// `null`; newtype structs are transparent. Map keys must serialize as
/// strings, integers or booleans (the latter two are quoted, as serde_json
/// does). Integers are exact. Floats are written without `core::fmt`, in
/// JavaScript's number syntax, NaN and infinities as `null`; ordinary values
/// come out in their shortest form, rare hard ones one digit longer or (0.04%
/// of random bit patterns) one ulp off. The SDK never serializes floats in
/// its snapshot, and this code is linked only where a float is serialized.
///
/// If the value's own `Serialize` implementation fails (it calls
/// `Error::custom`) or a map key is unsupported, the result is `null`.
pub fn to_string_of<T: Serialize + ?Sized>(value: &T) -> String {
    let mut writer = Writer { out: String::with_capacity(128), raw: false };
    match value.serialize(&mut writer) {
        Ok(()) => writer.out,
        Err(_) => String::from("null"),
    }
}

/// The serde `Serializer` behind [`to_string_of`].
struct Writer {
    out: String,
    /// Set while serializing the inner string of a [`RAW_TOKEN`] newtype.
    raw: bool,
}

/// Whether `S` is this module's serializer, so `Json` can hand it raw text.
///
/// serde has no way to ask a serializer what it is, and `TypeId` needs
/// `'static`. A wrong "no" would only cost fidelity (numbers would go
/// through `f64`), never soundness. The names are compared by address first:
/// for this module's serializer both are the same constant, so the answer
/// folds at compile time and the serde-data-model branch of `Json`'s
/// `Serialize` (with its float code) is not linked into the wasm build; a
/// plain string comparison is a call LLVM does not fold at `opt-level = "z"`.
#[inline(always)]
fn is_writer<S>() -> bool {
    let (name, ours) = (std::any::type_name::<S>(), std::any::type_name::<&mut Writer>());
    (name.as_ptr() == ours.as_ptr() && name.len() == ours.len()) || name == ours
}

/// An open array or object of [`Writer`].
struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
}

impl Compound<'_> {
    fn separator(&mut self) {
        if !self.first {
            self.writer.out.push(',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.separator();
        value.serialize(&mut *self.writer)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        self.separator();
        push_string(&mut self.writer.out, key);
        self.writer.out.push(':');
        value.serialize(&mut *self.writer)
    }

    fn close(self, closing: &str) -> Result<()> {
        self.writer.out.push_str(closing);
        Ok(())
    }
}

impl Writer {
    /// Opens `{"variant":` plus `opening`, for the enum forms that carry data.
    fn open_variant(&mut self, variant: &str, opening: &str) -> Compound<'_> {
        self.out.push('{');
        push_string(&mut self.out, variant);
        self.out.push(':');
        self.out.push_str(opening);
        Compound { writer: self, first: true }
    }

    fn open(&mut self, opening: char) -> Compound<'_> {
        self.out.push(opening);
        Compound { writer: self, first: true }
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<()> {
        push_i64(&mut self.out, v);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<()> {
        push_u64(&mut self.out, v);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<()> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        push_f64(&mut self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<()> {
        push_string(&mut self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<()> {
        if self.raw {
            self.out.push_str(v);
        } else {
            push_string(&mut self.out, v);
        }
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        let mut seq = self.open('[');
        for &b in v {
            seq.separator();
            push_u64(&mut seq.writer.out, u64::from(b));
        }
        seq.close("]")
    }

    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<()> {
        self.out.push_str("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        push_string(&mut self.out, variant);
        Ok(())
    }

    #[inline(always)]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<()> {
        if is_token(name, RAW_TOKEN) {
            self.raw = true;
            let result = value.serialize(&mut *self);
            self.raw = false;
            return result;
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _name: &'static str, _index: u32, variant: &'static str, value: &T) -> Result<()> {
        let compound = self.open_variant(variant, "");
        value.serialize(&mut *compound.writer)?;
        compound.close("}")
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.open('['))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>> {
        Ok(self.open('['))
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>> {
        Ok(self.open('['))
    }

    fn serialize_tuple_variant(self, _name: &'static str, _index: u32, variant: &'static str, _len: usize) -> Result<Compound<'a>> {
        Ok(self.open_variant(variant, "["))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>> {
        Ok(self.open('{'))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>> {
        Ok(self.open('{'))
    }

    fn serialize_struct_variant(self, _name: &'static str, _index: u32, variant: &'static str, _len: usize) -> Result<Compound<'a>> {
        Ok(self.open_variant(variant, "{"))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        self.close("]")
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        self.close("]")
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        self.close("]")
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        self.close("]}")
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = JsonError;

    /// Keys are serialized like values, then checked: strings pass, numbers
    /// and booleans get quoted, anything else is refused. Cheaper in code than
    /// a dedicated key serializer.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.separator();
        let start = self.writer.out.len();
        key.serialize(&mut *self.writer)?;
        let out = &mut self.writer.out;
        match out.as_bytes().get(start) {
            Some(b'"') => Ok(()),
            Some(b'-' | b'0'..=b'9' | b't' | b'f') => {
                out.insert(start, '"');
                out.push('"');
                Ok(())
            }
            _ => Err(JsonError::kind(JsonErrorKind::Type)),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.writer.out.push(':');
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<()> {
        self.close("}")
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<()> {
        self.close("}")
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<()> {
        self.close("}}")
    }
}

/// With [`to_string_of`] the value is written by [`write`], numbers as their
/// text. Other serializers get the serde data model: integers as `u64`/`i64`,
/// other numbers as `f64` (`null` beyond its range), objects as maps.
impl Serialize for Json {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        if is_writer::<S>() {
            return serializer.serialize_newtype_struct(RAW_TOKEN, to_string(self).as_str());
        }
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => {
                if let Some(u) = n.as_u64() {
                    serializer.serialize_u64(u)
                } else if let Some(i) = n.as_i64() {
                    serializer.serialize_i64(i)
                } else if let Some(f) = n.as_f64() {
                    serializer.serialize_f64(f)
                } else {
                    serializer.serialize_unit()
                }
            }
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => serializer.collect_seq(items),
            Json::Object(entries) => serializer.collect_map(entries.iter().map(|(k, v)| (k, v))),
        }
    }
}

/// `#[serde(with = "json::object")]` for a `Vec<(String, Json)>` field: the
/// pairs are written and read as one JSON object, `{"key": value, ...}`, in
/// order.
///
/// Without it serde writes a `Vec` of pairs as an array of two-element
/// arrays, and an object in the input (for instance a field that used to be
/// a `serde_json::Map`, as the snapshot's `extra` was) fails to read.
pub mod object {
    use super::{de, ser, Json};
    use serde::Deserialize;

    /// Writes the pairs as an object.
    pub fn serialize<S: ser::Serializer>(entries: &[(String, Json)], serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_map(entries.iter().map(|(k, v)| (k, v)))
    }

    /// Reads an object as its pairs, in document order (duplicates kept).
    pub fn deserialize<'de, D: de::Deserializer<'de>>(deserializer: D) -> std::result::Result<Vec<(String, Json)>, D::Error> {
        match Json::deserialize(deserializer)? {
            Json::Object(entries) => Ok(entries),
            _ => Err(de::Error::invalid_type(de::Unexpected::Other("a non-object"), &"a JSON object")),
        }
    }
}

// ---------------------------------------------------------------------------
// serde: deserializing
// ---------------------------------------------------------------------------

/// Parses `text` (see [`parse`]) and deserializes a `T` from it.
///
/// Follows serde's data model the way serde_json does, so derive attributes
/// (`default`, `rename_all`, `skip`, ...) behave as they do with serde_json;
/// unknown fields are ignored unless the type denies them. Errors after
/// parsing carry offset 0.
pub fn from_str_of<T: de::DeserializeOwned>(text: &str) -> Result<T> {
    from_json(parse(text)?)
}

/// Deserializes a `T` from a parsed value, consuming it: strings are moved,
/// not copied.
///
/// `null` is `None` for options; an enum is a string (unit variant) or a
/// one-entry object `{"Variant": value}`; integers are read from the number
/// text exactly, floats via [`Number::as_f64`]. Map keys are strings (maps
/// keyed by numbers are not supported).
pub fn from_json<T: de::DeserializeOwned>(value: Json) -> Result<T> {
    T::deserialize(ValueDe(value))
}

/// A serde `Deserializer` over an owned [`Json`]. Private so [`Json`] itself
/// does not grow a public `Deserializer` impl.
struct ValueDe(Json);

fn type_error() -> JsonError {
    JsonError::kind(JsonErrorKind::Type)
}

fn key_de(key: String) -> de::value::StringDeserializer<JsonError> {
    key.into_deserializer()
}

/// Integer hints read the number text as `u64` or `i64` only: a fraction or
/// exponent is a type error without any float code.
macro_rules! integer_hints {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
                match &self.0 {
                    Json::Number(n) => match (n.as_u64(), n.as_i64()) {
                        (Some(u), _) => visitor.visit_u64(u),
                        (None, Some(i)) => visitor.visit_i64(i),
                        _ => Err(type_error()),
                    },
                    _ => Err(type_error()),
                }
            }
        )*
    };
}

// Each typed hint accepts only its own kind of value rather than forwarding
// to `deserialize_any`: serde instantiates these methods once per visitor,
// and a forwarding method would link every `visit_*` of every visitor (a
// derived struct's `visit_seq`, float handling in integer visitors, ...).
// serde_json also reads structs from arrays; JSON written by
// `JSON.stringify` or `to_string_of` never needs that.
impl<'de> de::Deserializer<'de> for ValueDe {
    type Error = JsonError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::Null => visitor.visit_unit(),
            Json::Bool(b) => visitor.visit_bool(b),
            Json::Number(n) => visit_number(&n, visitor),
            Json::String(s) => visitor.visit_string(s),
            Json::Array(items) => visit_array(items, visitor),
            Json::Object(entries) => visit_object(entries, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::Bool(b) => visitor.visit_bool(b),
            _ => Err(type_error()),
        }
    }

    integer_hints! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::Number(n) => visit_number(&n, visitor),
            _ => Err(type_error()),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::String(s) => visitor.visit_string(s),
            _ => Err(type_error()),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::Null => visitor.visit_none(),
            other => visitor.visit_some(ValueDe(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::Null => visitor.visit_unit(),
            _ => Err(type_error()),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    // Inlined so the token check folds at each call site: otherwise `Json`'s
    // instance keeps the non-token branch, and with it the float path.
    #[inline(always)]
    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        if !is_token(name, JSON_TOKEN) {
            return visitor.visit_newtype_struct(self);
        }
        // `Json` is asking: hand numbers over as text. Spelled out rather than
        // forwarded to `deserialize_any`, which would link `Json`'s float path.
        match self.0 {
            Json::Null => visitor.visit_unit(),
            Json::Bool(b) => visitor.visit_bool(b),
            Json::Number(n) => visitor.visit_map(NumberDe(Some(n.0))),
            Json::String(s) => visitor.visit_string(s),
            Json::Array(items) => visit_array(items, visitor),
            Json::Object(entries) => visit_object(entries, visitor),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::Array(items) => visit_array(items, visitor),
            _ => Err(type_error()),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Json::Object(entries) => visit_object(entries, visitor),
            _ => Err(type_error()),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(self, _name: &'static str, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], visitor: V) -> Result<V::Value> {
        match self.0 {
            // serde's string deserializer is an `EnumAccess` for unit variants.
            Json::String(variant) => visitor.visit_enum(key_de(variant)),
            Json::Object(entries) if entries.len() == 1 => match entries.into_iter().next() {
                Some((variant, value)) => visitor.visit_enum(VariantDe { variant, value }),
                None => Err(type_error()),
            },
            _ => Err(type_error()),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        visitor.visit_f64(n.as_f64().ok_or_else(type_error)?)
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: Vec<Json>, visitor: V) -> Result<V::Value> {
    let mut access = SeqDe(items.into_iter());
    let value = visitor.visit_seq(&mut access)?;
    // Like serde_json: a tuple that stopped early is the wrong shape.
    if access.0.len() == 0 {
        Ok(value)
    } else {
        Err(type_error())
    }
}

fn visit_object<'de, V: Visitor<'de>>(entries: Vec<(String, Json)>, visitor: V) -> Result<V::Value> {
    let mut access = MapDe { entries: entries.into_iter(), value: None };
    let value = visitor.visit_map(&mut access)?;
    if access.entries.len() == 0 {
        Ok(value)
    } else {
        Err(type_error())
    }
}

struct SeqDe(std::vec::IntoIter<Json>);

impl<'de> SeqAccess<'de> for SeqDe {
    type Error = JsonError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.0.next() {
            Some(item) => seed.deserialize(ValueDe(item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct MapDe {
    entries: std::vec::IntoIter<(String, Json)>,
    /// The value of the key just handed out.
    value: Option<Json>,
}

impl<'de> MapAccess<'de> for MapDe {
    type Error = JsonError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(key_de(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        match self.value.take() {
            Some(value) => seed.deserialize(ValueDe(value)),
            None => Err(type_error()),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// The `{"Variant": value}` form of an enum.
struct VariantDe {
    variant: String,
    value: Json,
}

impl<'de> de::EnumAccess<'de> for VariantDe {
    type Error = JsonError;
    type Variant = ValueDe;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, ValueDe)> {
        let variant = seed.deserialize(key_de(self.variant))?;
        Ok((variant, ValueDe(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for ValueDe {
    type Error = JsonError;

    fn unit_variant(self) -> Result<()> {
        match self.0 {
            Json::Null => Ok(()),
            _ => Err(type_error()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }
}

/// A number presented to `Json`'s visitor as `{NUMBER_TOKEN: "text"}`.
struct NumberDe(Option<String>);

impl<'de> MapAccess<'de> for NumberDe {
    type Error = JsonError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.0.is_none() {
            return Ok(None);
        }
        seed.deserialize(de::value::BorrowedStrDeserializer::new(NUMBER_TOKEN)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        match self.0.take() {
            Some(text) => seed.deserialize(key_de(text)),
            None => Err(type_error()),
        }
    }
}

/// Deserializes any self-describing input. From [`from_json`]/[`from_str_of`]
/// numbers keep their text exactly; from other deserializers they arrive as
/// `u64`/`i64`/`f64` and floats are rewritten (see [`to_string_of`] on float
/// fidelity; NaN and infinities become `null`).
impl<'de> de::Deserialize<'de> for Json {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> std::result::Result<Json, D::Error> {
        deserializer.deserialize_newtype_struct(JSON_TOKEN, JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Json, E> {
        Ok(Json::Number(Number::from_i64(v)))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Json, E> {
        Ok(Json::Number(Number::from_u64(v)))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Json, E> {
        if !v.is_finite() {
            return Ok(Json::Null);
        }
        let mut text = String::new();
        push_f64(&mut text, v);
        Ok(Json::Number(Number(text)))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<Json, D::Error> {
        de::Deserialize::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Json, A::Error> {
        // The hint is capped: it comes from the input.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Json, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        match map.next_key_seed(FirstKey)? {
            None => return Ok(Json::Object(entries)),
            Some(None) => {
                let text: String = map.next_value()?;
                return match is_number(&text) {
                    true => Ok(Json::Number(Number(text))),
                    false => Err(de::Error::custom("invalid JSON number")),
                };
            }
            Some(Some(key)) => entries.push((key, map.next_value()?)),
        }
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

/// Reads an object's first key: `None` if it is [`NUMBER_TOKEN`] (the map is
/// a number), else the key, moved rather than copied when possible.
///
/// The token is recognized by address, as a borrowed `&'static str` pointing
/// at the static itself: keys from any input (ours arrive as owned strings,
/// other deserializers' as copies or slices of their input) never match, so
/// no input object can pose as a number.
struct FirstKey;

impl<'de> DeserializeSeed<'de> for FirstKey {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> std::result::Result<Option<String>, D::Error> {
        deserializer.deserialize_string(self)
    }
}

impl<'de> Visitor<'de> for FirstKey {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Option<String>, E> {
        Ok((!is_token(v, NUMBER_TOKEN)).then(|| v.to_owned()))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Option<String>, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Option<String>, E> {
        Ok(Some(v))
    }
}
