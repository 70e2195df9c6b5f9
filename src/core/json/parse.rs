//! The parser: JSON text to a [`Json`] tree, strictly by RFC 8259.

use super::{slice, Json, JsonError, JsonErrorKind, Number, Result};

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
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
        scratch: String::new(),
    };
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos != text.len() {
        return Err(JsonError::at(JsonErrorKind::TrailingCharacters, parser.pos));
    }
    Ok(value)
}

/// An unexpected byte at `at`, or the end of input if `at` is past it.
fn unexpected(bytes: &[u8], at: usize) -> JsonError {
    let kind = if at >= bytes.len() {
        JsonErrorKind::Eof
    } else {
        JsonErrorKind::Syntax
    };
    JsonError::at(kind, at)
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
                        Ok(Json::Number(Number(
                            slice(self.text, start, end).to_owned(),
                        )))
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
            return Err(JsonError::at(JsonErrorKind::Depth, self.pos));
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
                        paired =
                            char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
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

/// Whether `text` is exactly one JSON number.
pub(super) fn is_number(text: &str) -> bool {
    scan_number(text.as_bytes(), 0) == Ok(text.len())
}
