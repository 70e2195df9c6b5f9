//! Credentials in text with a format of their own: JWTs (also
//! base64-encoded whole), `Bearer`/`Basic` values and PEM private keys.
//! Vendor keys live in `vendors`, assignments (`password=...`) in `assign`.

use super::scan::{eq_ic, is, Hit, Scan, ALNUM, B64URL, DIGIT};
use super::validate::{base64url_decode, jwt_header_ok};
use crate::core::split::has_byte;

impl Scan<'_, '_> {
    /// JWT/JWE: base64url segments joined by dots, the first decoding to a
    /// JSON object. Every such header starts with `e` (`{` is `e` in
    /// base64), whatever its layout: `eyJ` for `{"`, `eyA` for `{ "`,
    /// `ewo` for `{` and a newline.
    pub(crate) fn jwt(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        if b[i] != b'e' || self.prev_is(i, B64URL) {
            return None;
        }
        let p1 = self.run(i, B64URL);
        if p1 - i < 4 || self.at(p1) != b'.' {
            return None;
        }
        let p2 = self.run(p1 + 1, B64URL);
        if p2 == p1 + 1 || self.at(p2) != b'.' {
            return None;
        }
        let mut end = self.run(p2 + 1, B64URL);
        // JWE compact form has five segments.
        if self.at(end) == b'.' {
            let p4 = self.run(end + 1, B64URL);
            if p4 > end + 1 && self.at(p4) == b'.' {
                end = self.run(p4 + 1, B64URL);
            }
        }
        if is(self.at(end), ALNUM) || !jwt_header_ok(&b[i..p1]) {
            return None;
        }
        Hit::new(i, end, "[jwt]")
    }

    /// A whole JWT encoded once more in base64 (`ZXlK...`, as some cookies
    /// and message queues carry them): decodes the run and checks that it
    /// holds a JWT.
    pub(crate) fn jwt_base64(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        // Only at the start of a base64 run: starts inside one
        // (`ZXlK...+ZXlK...`) would each decode the rest of the run.
        if !self.lit(i, b"ZX")
            || self.prev_is(i, B64URL)
            || matches!(self.prev(i), Some(b'+' | b'/'))
        {
            return None;
        }
        let mut e = i;
        while e < b.len() && (is(b[e], B64URL) || matches!(b[e], b'+' | b'/')) {
            e += 1;
        }
        let body_end = e;
        while self.at(e) == b'=' && e - body_end < 2 {
            e += 1;
        }
        if body_end - i < 40 || body_end - i > 16_384 || is(self.at(e), ALNUM) {
            return None;
        }
        let mut out = Vec::with_capacity((body_end - i) * 3 / 4 + 1);
        if !base64url_decode(&b[i..body_end], &mut out) {
            return None;
        }
        let dot = out.iter().position(|&c| c == b'.')?;
        let second = out[dot + 1..].iter().position(|&c| c == b'.')?;
        let plain = |s: &[u8]| s.iter().all(|&c| is(c, B64URL) || c == b'.' || c == b'=');
        if second == 0 || !plain(&out) || !jwt_header_ok(&out[..dot]) {
            return None;
        }
        Hit::new(i, e, "[jwt]")
    }

    /// `Bearer <token>` / `Basic <credentials>`: the value becomes `[token]`.
    /// Prose (`Bearer authentication`, `Bearer undefined`) is left alone: a
    /// value must hold a digit, or be long and not a plain lower-case word.
    pub(crate) fn bearer(&self, i: usize, r: usize) -> Option<Hit> {
        let w = &self.b[i..r];
        if !(eq_ic(w, b"bearer") || eq_ic(w, b"basic")) {
            return None;
        }
        let mut j = r;
        while self.at(j) == b' ' && j - r < 3 {
            j += 1;
        }
        if j == r {
            return None;
        }
        let ts = j;
        while j < self.b.len()
            && (is(self.b[j], ALNUM)
                || matches!(self.b[j], b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-'))
        {
            j += 1;
        }
        if self.lit(ts, b"[token]") {
            return Hit::new(ts, ts + 7, "[token]");
        }
        let t = &self.b[ts..j];
        let has_digit = t.iter().any(|&c| is(c, DIGIT));
        let wordy = t.iter().all(|&c| c.is_ascii_lowercase() || c == b'-');
        // `Basic` has a format to check: base64 of `user:password`.
        let basic_creds = w.len() == 5 && t.len() >= 4 && t.len() <= 1024 && {
            let mut out = Vec::with_capacity(t.len());
            base64url_decode(t, &mut out)
                && has_byte(&out, b':')
                && out.iter().all(|&c| (0x20..0x7f).contains(&c))
        };
        let ok = (has_digit && t.len() >= 6) || (t.len() >= 20 && !wordy) || basic_creds;
        ok.then_some(Hit {
            start: ts,
            end: j,
            repl: "[token]",
        })
    }

    /// PEM private key: the body after `-----BEGIN ... PRIVATE KEY-----`
    /// becomes `[pemkey]`. The body is the run of base64, whitespace, escaped
    /// newlines (`\n` in JSON) and the header characters of encrypted keys
    /// (`Proc-Type: 4,ENCRYPTED`), up to the `-----END` line or whatever
    /// else stops it (a truncated log). Taking the run rather than searching
    /// for the END line keeps the work linear and the result idempotent.
    pub(crate) fn pem(&self, i: usize) -> Option<Hit> {
        const BEGIN: &[u8] = b"-----BEGIN ";
        let b = self.b;
        if !self.lit(i, BEGIN) || self.prev(i) == Some(b'-') {
            return None;
        }
        let ls = i + BEGIN.len();
        let mut le = ls;
        while le < b.len() && le - ls < 64 && b[le] != b'-' && b[le] != b'\n' {
            le += 1;
        }
        if !self.lit(le, b"-----") {
            return None;
        }
        if !b[ls..le].windows(11).any(|w| w == b"PRIVATE KEY") {
            return None;
        }
        let body_start = le + 5;
        let mut j = body_start;
        while j < b.len() {
            let c = b[j];
            if is(c, ALNUM)
                || matches!(
                    c,
                    b'+' | b'/' | b'=' | b' ' | b'\t' | b'\r' | b'\n' | b':' | b','
                )
                || (c == b'-' && !self.lit(j, b"-----"))
            {
                j += 1;
            } else if c == b'\\' && matches!(self.at(j + 1), b'n' | b'r') {
                j += 2;
            } else {
                break;
            }
        }
        if self.lit(body_start, b"[pemkey]") {
            // Already scrubbed: a no-op hit keeps the second pass aligned.
            j = body_start + 8;
        }
        if j == body_start {
            return None;
        }
        Hit::new(body_start, j, "[pemkey]")
    }
}
