//! The parser: JSON text read token by token ([`Reader`]), or into a
//! [`Json`] tree ([`parse`]), strictly by RFC 8259.

use std::borrow::Cow;

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
    let mut reader = Reader::new(text);
    let value = tree(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

/// One value as a tree, read from `reader` (recursion bounded by [`MAX_DEPTH`]).
fn tree(reader: &mut Reader<'_>) -> Result<Json> {
    Ok(match reader.value()? {
        Token::Null => Json::Null,
        Token::Bool(b) => Json::Bool(b),
        Token::Number(text) => Json::Number(Number(text.to_owned())),
        Token::String(text) => Json::String(text.into_owned()),
        Token::Array => {
            let mut items = Vec::new();
            while reader.next_item(items.is_empty())? {
                items.push(tree(reader)?);
            }
            Json::Array(items)
        }
        Token::Object => {
            let mut entries = Vec::new();
            while let Some(key) = reader.next_key(entries.is_empty())? {
                let key = key.into_owned();
                entries.push((key, tree(reader)?));
            }
            Json::Object(entries)
        }
    })
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

/// The first token of a value, as [`Reader::value`] reads it.
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number's validated text.
    Number(&'a str),
    /// A string, unescaped: borrowed from the input when it has no escapes.
    String(Cow<'a, str>),
    /// `[`: read the items with [`Reader::next_item`].
    Array,
    /// `{`: read the entries with [`Reader::next_key`].
    Object,
}

/// A pull parser: JSON text read token by token, so a caller can transform
/// a document into another text without building a tree (the record path
/// cleans and scrubs props this way, see `core::props`). [`parse`] builds
/// its tree on top of it. Nesting deeper than [`MAX_DEPTH`] is an error.
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    /// Reused for strings with escapes.
    scratch: String,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            pos: 0,
            depth: 0,
            scratch: String::new(),
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    // Inlined with `skip_whitespace`: called once or twice per token, and the
    // call cost more than the read (record path: -7% instructions, 35 B gzipped).
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn unexpected(&self, at: usize) -> JsonError {
        unexpected(self.bytes(), at)
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Only whitespace is left.
    pub fn finish(&mut self) -> Result<()> {
        self.skip_whitespace();
        if self.pos != self.text.len() {
            return Err(JsonError::at(JsonErrorKind::TrailingCharacters, self.pos));
        }
        Ok(())
    }

    /// Reads the first token of the next value (the whole value for scalars).
    pub fn value(&mut self) -> Result<Token<'a>> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.enter().map(|()| Token::Object),
            Some(b'[') => self.enter().map(|()| Token::Array),
            Some(b'"') => {
                self.pos += 1;
                self.string().map(Token::String)
            }
            Some(b't') => self.literal("true", Token::Bool(true)),
            Some(b'f') => self.literal("false", Token::Bool(false)),
            Some(b'n') => self.literal("null", Token::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                match scan_number(self.bytes(), start) {
                    Ok(end) => {
                        self.pos = end;
                        Ok(Token::Number(slice(self.text, start, end)))
                    }
                    Err(at) => Err(self.unexpected(at)),
                }
            }
            _ => Err(self.unexpected(self.pos)),
        }
    }

    /// Skips the rest of a value whose first token was `token`.
    pub fn skip(&mut self, token: Token<'a>) -> Result<()> {
        match token {
            Token::Array => {
                let mut first = true;
                while self.next_item(first)? {
                    first = false;
                    let item = self.value()?;
                    self.skip(item)?;
                }
            }
            Token::Object => {
                let mut first = true;
                while self.next_key(first)?.is_some() {
                    first = false;
                    let item = self.value()?;
                    self.skip(item)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Inside an array: true when an item follows (read it with
    /// [`Reader::value`]), false after the closing `]`. `first` is true for
    /// the call right after [`Token::Array`].
    pub fn next_item(&mut self, first: bool) -> Result<bool> {
        self.skip_whitespace();
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                Ok(true)
            }
            _ if first => Ok(true),
            _ => Err(self.unexpected(self.pos)),
        }
    }

    /// Inside an object: the next key (its `:` consumed; read the value
    /// with [`Reader::value`]), or `None` after the closing `}`. `first` is
    /// true for the call right after [`Token::Object`].
    pub fn next_key(&mut self, first: bool) -> Result<Option<Cow<'a, str>>> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                return Ok(None);
            }
            Some(b',') if !first => {
                self.pos += 1;
                self.skip_whitespace();
            }
            _ if first => {}
            _ => return Err(self.unexpected(self.pos)),
        }
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
        Ok(Some(key))
    }

    fn literal(&mut self, word: &str, token: Token<'a>) -> Result<Token<'a>> {
        let rest = self.bytes().get(self.pos..).unwrap_or_default();
        if rest.starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(token)
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

    /// The rest of a string whose opening quote is consumed.
    ///
    /// A string without escapes is borrowed from the input: one scan, no
    /// allocation. One with escapes is
    /// assembled in a scratch buffer kept across strings, then copied once,
    /// rather than grown through a series of reallocations. Splitting only at
    /// ASCII bytes keeps every slice on a char boundary (the input is already
    /// valid UTF-8).
    fn string(&mut self) -> Result<Cow<'a, str>> {
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
                        None => Cow::Borrowed(last),
                        Some(mut buf) => {
                            buf.push_str(last);
                            let text = buf.as_str().to_owned();
                            self.scratch = buf;
                            Cow::Owned(text)
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
