//! Error grouping: a normalized message and a short stable fingerprint.
//!
//! Two reports of the same bug must get the same fingerprint even when the
//! message carries a varying id (`Failed to fetch item 123` / `item 456`) or
//! the build moved code by a few lines; two different bugs should not.
//!
//! The fingerprint hashes:
//! - the error kind (`TypeError`),
//! - the normalized message,
//! - the function and file of the top 5 frames.
//!
//! Line and column numbers are left out on purpose: any edit above the
//! failing line, or a new bundler run, shifts them, which would split one
//! bug into a new group per release. Function plus file is what Sentry and
//! others group on for the same reason. Five frames is enough to tell call
//! paths apart without letting deep framework frames (which vary with the
//! caller's timing, e.g. async schedulers) split groups.

use crate::core::json::PushByte;
use crate::core::stack::Frame;

/// Frames that take part in the fingerprint.
pub const FINGERPRINT_FRAMES: usize = 5;

/// Placeholders used by [`normalize_message`].
const NUM: &str = "<n>";
const HEX: &str = "<hex>";
const UUID: &str = "<uuid>";
const STR: &str = "<str>";

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Length of a UUID (8-4-4-4-12 hex) at the start of `b`, if any.
fn uuid_len(b: &[u8]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut j = 0;
    for (g, &len) in GROUPS.iter().enumerate() {
        if g > 0 {
            if b.get(j) != Some(&b'-') {
                return None;
            }
            j += 1;
        }
        if b.len() < j + len || !b[j..j + len].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        j += len;
    }
    (!b.get(j).is_some_and(|&c| is_word(c))).then_some(j)
}

/// Replaces the varying parts of an error message with placeholders so that
/// reports of one bug group together:
/// - UUIDs -> `<uuid>`;
/// - `0x` hex literals and hex words of 6+ characters holding a digit and a
///   letter (ids, hashes) -> `<hex>`;
/// - numbers (integers and decimals) standing alone -> `<n>`;
/// - quoted strings (`'...'`, `"..."`, `` `...` ``) containing a digit ->
///   `<str>` (`Unexpected token '<'` keeps its quote, `'item-42'` does not).
///
/// Words that merely contain digits (`utf8`, `v8`, `base64`) are kept.
pub fn normalize_message(msg: &str) -> String {
    let b = msg.as_bytes();
    let mut out = String::with_capacity(msg.len());
    let mut i = 0;
    // Everything below splits only at ASCII bytes, so slices of `msg` taken
    // at these positions are always at character boundaries.
    let mut copied = 0;
    let emit = |out: &mut String, copied: &mut usize, start: usize, end: usize, p: &str| {
        out.push_str(&msg[*copied..start]);
        out.push_str(p);
        *copied = end;
    };
    while i < b.len() {
        let c = b[i];
        let word_start = i == 0 || !is_word(b[i - 1]);
        if matches!(c, b'\'' | b'"' | b'`') {
            if let Some(len) = b[i + 1..].iter().take(200).position(|&q| q == c) {
                let inner = &b[i + 1..i + 1 + len];
                if inner.iter().any(u8::is_ascii_digit) {
                    emit(&mut out, &mut copied, i, i + len + 2, STR);
                    i += len + 2;
                    continue;
                }
            }
        } else if word_start && c.is_ascii_hexdigit() {
            if let Some(len) = uuid_len(&b[i..]) {
                emit(&mut out, &mut copied, i, i + len, UUID);
                i += len;
                continue;
            }
            let mut j = i;
            if c == b'0' && matches!(b.get(i + 1), Some(b'x' | b'X')) {
                j = i + 2;
                let s = j;
                while j < b.len() && b[j].is_ascii_hexdigit() {
                    j += 1;
                }
                if j > s && !b.get(j).is_some_and(|&d| is_word(d)) {
                    emit(&mut out, &mut copied, i, j, HEX);
                    i = j;
                    continue;
                }
                j = i;
            }
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
            let w = &b[i..j];
            let ends_word = !b.get(j).is_some_and(|&d| is_word(d));
            if ends_word && w.iter().all(u8::is_ascii_digit) {
                // Decimal part, if any.
                if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                emit(&mut out, &mut copied, i, j, NUM);
                i = j;
                continue;
            }
            if ends_word
                && w.len() >= 6
                && w.iter().any(u8::is_ascii_digit)
                && w.iter().any(u8::is_ascii_alphabetic)
            {
                emit(&mut out, &mut copied, i, j, HEX);
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&msg[copied..]);
    out
}

/// 64-bit FNV-1a. Chosen because it is a few lines with no dependency (wasm
/// size), gives the same value on every platform and Rust version (unlike
/// `std`'s `DefaultHasher`, whose algorithm and keys are unspecified), and a
/// grouping key needs no cryptographic strength: nobody gains from forging
/// a collision between their own error reports.
struct Fnv1a(u64);

impl Fnv1a {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Fnv1a(Self::OFFSET)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// A field followed by a separator byte that cannot occur in UTF-8, so
    /// `("ab", "c")` and `("a", "bc")` hash differently.
    fn field(&mut self, s: &str) {
        self.write(s.as_bytes());
        self.write(&[0xff]);
    }
}

/// Stable 16-hex-digit fingerprint over the kind, the normalized message and
/// the top [`FINGERPRINT_FRAMES`] frames' function and file (see the module
/// documentation for why lines and columns are left out).
pub fn fingerprint(kind: &str, message: &str, frames: &[Frame]) -> String {
    let mut h = Fnv1a::new();
    h.field(kind);
    h.field(&normalize_message(message));
    for f in frames.iter().take(FINGERPRINT_FRAMES) {
        h.field(f.function.as_deref().unwrap_or(""));
        h.field(f.file.as_deref().unwrap_or(""));
    }
    // Hand-written hex: `format!("{:016x}")` would link core::fmt's integer
    // formatting into the wasm module for 16 characters.
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    for (k, digit) in digits.iter_mut().enumerate() {
        *digit = HEX_DIGITS[((h.0 >> (60 - 4 * k)) & 0xf) as usize];
    }
    let mut out = String::with_capacity(16);
    out.push_ascii(&digits);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        // Published FNV-1a 64 test vectors.
        let mut h = Fnv1a::new();
        h.write(b"");
        assert_eq!(h.0, 0xcbf2_9ce4_8422_2325);
        let mut h = Fnv1a::new();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
        let mut h = Fnv1a::new();
        h.write(b"foobar");
        assert_eq!(h.0, 0x8594_4171_f739_67e8);
    }

    #[test]
    fn normalizes() {
        assert_eq!(
            normalize_message("Failed to fetch item 123"),
            "Failed to fetch item <n>"
        );
        assert_eq!(normalize_message("took 12.5 ms"), "took <n> ms");
        assert_eq!(normalize_message("utf8 v8 base64"), "utf8 v8 base64");
    }
}
