//! V8 stack trace parser (`Error.prototype.stack` in Chrome's service
//! worker).
//!
//! V8 prints a header (`Error: message`, possibly on several lines), then one
//! `    at ...` line per frame, innermost first:
//!
//! ```text
//! TypeError: Cannot read properties of undefined (reading 'id')
//!     at handleMessage (chrome-extension://abcdefghijklmnopabcdefghijklmnop/background.js:42:17)
//!     at async Promise.all (index 0)
//!     at new Queue (chrome-extension://abcdefghijklmnopabcdefghijklmnop/lib/queue.js:3:9)
//!     at eval (eval at load (chrome-extension://abcdefghijklmnopabcdefghijklmnop/a.js:1:2), <anonymous>:1:1)
//!     at mv3_telemetry.wasm.__wbg_x (chrome-extension://abcdefghijklmnopabcdefghijklmnop/pkg/x_bg.wasm:wasm-function[12]:0x1a2b)
//!     at chrome-extension://abcdefghijklmnopabcdefghijklmnop/background.js:7:3
//! ```
//!
//! Frames keep V8's order (innermost first). Parsing is bounded: at most
//! [`MAX_FRAMES`] frames, each line cut to [`MAX_LINE`] bytes, so a hostile
//! `stack` string costs at most one pass over its lines.

use super::json::{self, parse_u64, Json, PushByte};
use crate::core::split::{all_bytes, pieces, split_first, split_last, split_last_str};

/// Most frames kept; deeper frames add bytes to every error report and
/// almost never help to find the cause.
pub const MAX_FRAMES: usize = 50;

/// Longest frame line parsed, in bytes; longer lines are cut (at a character
/// boundary) before parsing.
pub const MAX_LINE: usize = 1024;

/// One stack frame, serialized as `{function, file, line, column}` with
/// `null` for unknown parts (wire format v1, `docs/DESIGN.md` section 5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Function name as V8 prints it (`foo`, `Object.<anonymous>`,
    /// `new Queue`, `Foo.bar [as baz]`), without the `async` marker.
    pub function: Option<String>,
    /// Script URL, reduced to the path inside the extension for
    /// `chrome-extension://<id>/path` (`/path`); `<anonymous>` or `native`
    /// when V8 says so.
    pub file: Option<String>,
    /// 1-based line; for wasm frames, the function index from
    /// `wasm-function[N]` when present.
    pub line: Option<u32>,
    /// 1-based column; for wasm frames, the byte offset (`0x1a2b`).
    pub column: Option<u32>,
}

impl Frame {
    /// Appends `{"function":..,"file":..,"line":..,"column":..}`, unknown
    /// parts as `null`: the wire format of a frame, also how it persists.
    pub fn to_json(&self, out: &mut String) {
        out.push_str("{\"function\":");
        json::push_optional_string(out, self.function.as_deref());
        out.push_str(",\"file\":");
        json::push_optional_string(out, self.file.as_deref());
        out.push_str(",\"line\":");
        json::push_optional_u64(out, self.line.map(u64::from));
        out.push_str(",\"column\":");
        json::push_optional_u64(out, self.column.map(u64::from));
        out.push_byte(b'}');
    }

    /// Reads what [`to_json`](Frame::to_json) wrote (absent parts are
    /// unknown); `None` if it is not an object or a part has the wrong type.
    pub fn from_json(value: &Json) -> Option<Frame> {
        value.as_object()?;
        Some(Frame {
            function: value.optional_field("function", Json::to_owned_str)?,
            file: value.optional_field("file", Json::to_owned_str)?,
            line: value.optional_field("line", Json::as_u32)?,
            column: value.optional_field("column", Json::as_u32)?,
        })
    }
}

/// Cuts `s` to at most `max` bytes without splitting a character.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `chrome-extension://<32 letters a-p>/path` becomes `/path`: the id differs
/// per install for unpacked extensions and says nothing about the bug.
fn reduce_file(file: &str) -> String {
    const SCHEME: &str = "chrome-extension://";
    if let Some(rest) = file.strip_prefix(SCHEME) {
        let id_len = rest
            .bytes()
            .take_while(|c| (b'a'..=b'p').contains(c))
            .count();
        if id_len == 32 && rest[32..].starts_with('/') {
            return rest[32..].to_owned();
        }
    }
    file.to_owned()
}

/// Splits `loc:line:col` / `loc:line`; the numeric parts must be all digits.
fn split_line_col(loc: &str) -> (&str, Option<u32>, Option<u32>) {
    let num = |s: &str| -> Option<u32> {
        if !s.is_empty() && all_bytes(s, |c| c.is_ascii_digit()) {
            parse_u64(s).and_then(|n| u32::try_from(n).ok())
        } else {
            None
        }
    };
    if let Some((rest, last)) = split_last(loc, b':') {
        if let Some(n) = num(last) {
            if let Some((file, mid)) = split_last(rest, b':') {
                if let Some(l) = num(mid) {
                    return (file, Some(l), Some(n));
                }
            }
            return (rest, Some(n), None);
        }
    }
    (loc, None, None)
}

/// Parses a location (the part inside the parentheses, or the whole frame
/// of an anonymous one) into file, line, column.
fn parse_location(loc: &str) -> (Option<String>, Option<u32>, Option<u32>) {
    let loc = loc.trim();
    if loc.is_empty() {
        return (None, None, None);
    }
    // eval frames: `eval at foo (file:1:2), <anonymous>:1:1`. The origin of
    // the eval (innermost parenthesised location) is the useful file.
    if loc.starts_with("eval at ") {
        if let Some((inside, _)) = split_first(loc, b')') {
            if let Some((_, inner)) = split_last(inside, b'(') {
                return parse_location(inner);
            }
        }
        if let Some((_, tail)) = split_last_str(loc, ", ") {
            return parse_location(tail);
        }
        return (None, None, None);
    }
    // wasm frames: `url:wasm-function[12]:0x1a2b`, or the newer `url:0x1a2b`.
    if let Some((before, hex)) = split_last_str(loc, ":0x") {
        if !hex.is_empty() && hex.len() <= 8 && all_bytes(hex, |c| c.is_ascii_hexdigit()) {
            // At most 8 hex digits: fits. Size: not `u32::from_str_radix`.
            let offset = hex
                .bytes()
                .try_fold(0u32, |n, b| Some(n << 4 | (b as char).to_digit(16)?));
            let (file, index) = match split_last_str(before, ":wasm-function[") {
                Some((file, idx)) => (
                    file,
                    idx.strip_suffix(']')
                        .and_then(parse_u64)
                        .and_then(|n| u32::try_from(n).ok()),
                ),
                None => (before, None),
            };
            return (Some(reduce_file(file)), index, offset);
        }
    }
    let (file, line, column) = split_line_col(loc);
    (Some(reduce_file(file)), line, column)
}

/// Parses one frame line (without the leading `at `).
fn parse_frame(text: &str) -> Frame {
    let text = text.trim();
    let text = text.strip_prefix("async ").unwrap_or(text);
    // `function (location)`: the location is the last balanced parenthesised
    // group at the end of the line.
    if text.ends_with(')') {
        let bytes = text.as_bytes();
        let mut depth = 0usize;
        let mut open = None;
        for (k, &c) in bytes.iter().enumerate().rev() {
            match c {
                b')' => depth += 1,
                b'(' => {
                    depth -= 1;
                    if depth == 0 {
                        open = Some(k);
                        break;
                    }
                }
                _ => {}
            }
        }
        if let Some(open) = open {
            let function = text[..open].trim();
            if !function.is_empty() {
                let (file, line, column) = parse_location(&text[open + 1..text.len() - 1]);
                return Frame {
                    function: Some(function.to_owned()),
                    file,
                    line,
                    column,
                };
            }
        }
    }
    // Anonymous: `at file:1:2`, `at <anonymous>`, `at native`.
    let (file, line, column) = parse_location(text);
    Frame {
        function: None,
        file,
        line,
        column,
    }
}

/// Parses a V8 `error.stack` string into frames, innermost first. Header
/// lines (`Error: message` and any continuation) and anything else that is
/// not an `at ...` line are skipped. At most [`MAX_FRAMES`] frames.
pub fn parse_v8_stack(stack: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    for line in pieces(stack, b'\n') {
        if frames.len() >= MAX_FRAMES {
            break;
        }
        // `str::lines` without its char searcher (size): a `\r\n` ending too.
        let line = line.strip_suffix('\r').unwrap_or(line).trim_start();
        let Some(rest) = line.strip_prefix("at ") else {
            continue;
        };
        frames.push(parse_frame(truncate(rest, MAX_LINE)));
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_frames() {
        let f = parse_v8_stack("Error: x\n    at foo (chrome-extension://abcdefghijklmnopabcdefghijklmnop/a.js:1:2)\n    at b.js:3:4");
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].function.as_deref(), Some("foo"));
        assert_eq!(f[0].file.as_deref(), Some("/a.js"));
        assert_eq!((f[0].line, f[0].column), (Some(1), Some(2)));
        assert_eq!(f[1].function, None);
        assert_eq!(f[1].file.as_deref(), Some("b.js"));
    }

    #[test]
    fn truncation_is_char_safe() {
        let s = "é".repeat(1000);
        assert!(truncate(&s, 1023).len() <= 1023);
    }
}
