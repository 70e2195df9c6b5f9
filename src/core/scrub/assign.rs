//! Secrets assigned in text: the syntaxes of config files, logs, shells and
//! code that put a value next to a credential's name.
//!
//! - `name=value`, `name = value`, `name: value`, `name := value`,
//!   `name ::= value`, `name ?= value`, `$name .= 'value'`,
//!   `name => value`, `export NAME=value`, `<name>value</name>`;
//! - `"name": value` and `'name' => value` (JSON, Python and PHP printed
//!   into a message), also with escaped quotes (`\"name\"`);
//! - `--name value` and `--name=value` on a command line, `curl -u
//!   user:password`;
//! - `Authorization: <scheme> <credentials>` with any scheme or none;
//! - a generated-looking value right after a credential word (`token
//!   9f8Kq2...`), the generic detector for formats nobody listed.
//!
//! What the name says decides what is filtered ([`Tier`]): under a
//! credential's name (`password`, `api_key`, `DB_PASS`) every real value,
//! under a name that often holds one (`STRIPE_KEY`, `signature`) only values
//! that look generated. Unquoted values after a spaced operator or a colon
//! must look like a secret rather than prose (`password: required` stays).

use super::keys::{is_not_credential, Tier};
use super::scan::{in_packed, is, pack, packed_len, Hit, Scan, ALNUM, B64URL, DELIM};
use super::validate::looks_random;
use crate::core::split::has_byte;

const LITERALS: &[&[u8]] = &[
    b"true",
    b"false",
    b"null",
    b"undefined",
    b"none",
    b"nil",
    b"empty",
    b"redacted",
];

static LITERALS_PACKED: [u8; packed_len(LITERALS)] = pack(LITERALS);

/// Values that describe absence or point elsewhere rather than hold a
/// secret; filtering them would only hide useful debugging facts
/// (`token=undefined`, `password=${DB_PASSWORD}`, `secret: ****`).
fn is_literal(v: &[u8]) -> bool {
    if matches!(v.first(), Some(b'$' | b'%' | b'*' | b'<' | b'{'))
        || (v.len() <= 9
            && v.first().is_some_and(u8::is_ascii_alphabetic)
            && in_packed(&LITERALS_PACKED, v))
    {
        return true;
    }
    // `${` or `{{` in the first 64 bytes; a plain loop, as this runs on
    // every candidate value.
    let h = &v[..v.len().min(64)];
    let mut k = 1;
    while k < h.len() {
        if h[k] == b'{' && matches!(h[k - 1], b'$' | b'{') {
            return true;
        }
        k += 1;
    }
    false
}

/// Whether an unquoted value after `: ` or ` = ` reads as a secret rather
/// than a word of prose: no lower-case or capitalised word, no path.
fn secretish(v: &[u8]) -> bool {
    if v.len() < 3 || matches!(v[0], b'/' | b'.' | b'~' | b'#' | b'@') {
        return false;
    }
    let word =
        v[0].is_ascii_alphabetic() && v[1..].iter().all(|c| c.is_ascii_lowercase() || *c == b'-');
    let upper_word = v.iter().all(|c| c.is_ascii_uppercase() || *c == b'_');
    // The word shapes first: they reject most prose for less than the
    // literal list costs.
    !word && !upper_word && !is_literal(v)
}

/// Whether `v` is a UUID (`8-4-4-4-12` hex digits), the shape of trace and
/// request ids.
fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(k, &c)| {
            if matches!(k, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Where an unquoted value ends (`&` too after a tight `=`). Inlined: it
/// runs on every byte of a value, and a call per byte cost more than the
/// test.
#[inline(always)]
fn value_stop(c: u8) -> bool {
    is(c, DELIM) || matches!(c, b',' | b';' | b'}' | b']' | b')')
}

/// [`Scan::memo_run`] slots of unquoted values and of names (after the
/// vendor bodies').
const TIGHT_SLOT: usize = 10;
const LOOSE_SLOT: usize = 11;
const NAME_SLOT: usize = 12;

/// Quote styles.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Quote {
    Double,
    Single,
    Back,
    /// `\"`: JSON inside a JSON string (a stringified body in a message).
    Escaped,
}

/// How a value is attached to its name.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    /// `name=value`, nothing around `=`: env files, logs, form-like text.
    Tight,
    /// A spaced operator or a colon: YAML, logs, code.
    Loose,
    /// `--name value`.
    Flag,
    /// `name value`: no operator, a credential word then the value.
    Bare,
    /// `<name>value</name>`.
    Xml,
}

/// Single words after which a generated-looking value is a credential even
/// without an operator (`token 9f8Kq2...`).
const BARE_WORDS: &[&[u8]] = &[
    b"token",
    b"secret",
    b"password",
    b"passwd",
    b"passphrase",
    b"key",
    b"apikey",
    b"api_key",
    b"session",
    b"sessionid",
    b"credential",
    b"credentials",
    b"jwt",
];

/// First words of two-word names (`api key: ...`, `access token = ...`).
const FIRST_WORDS: &[&[u8]] = &[
    b"api",
    b"access",
    b"secret",
    b"private",
    b"client",
    b"auth",
    b"refresh",
    b"session",
    b"app",
    b"master",
    b"signing",
    b"encryption",
    b"shared",
    b"account",
    b"admin",
    b"user",
    b"db",
    b"root",
    b"bot",
    b"webhook",
    b"consumer",
    b"oauth",
    b"personal",
    b"bearer",
    b"id",
    b"service",
];

/// For each [`name_bucket`], a bit per length (up to 15) of the words in
/// [`BARE_WORDS`] (low half) and [`FIRST_WORDS`] (high half) in it: most
/// words followed by a space are rejected by one lookup, and the others
/// are compared with the one list that may hold them.
const NAME_STARTS: [u32; 32] = {
    let mut t = [0u32; 32];
    let lists: [&[&[u8]]; 2] = [BARE_WORDS, FIRST_WORDS];
    let mut l = 0;
    while l < lists.len() {
        let mut k = 0;
        while k < lists[l].len() {
            let w = lists[l][k];
            t[name_bucket(w)] |= 1 << (w.len() + 16 * l);
            k += 1;
        }
        l += 1;
    }
    t
};

/// Which lists `w` may be in: bit 0 for [`BARE_WORDS`], bit 16 for
/// [`FIRST_WORDS`]; 0 for most words. Inlined: it runs on most words
/// followed by a space.
#[inline(always)]
fn name_lists(w: &[u8]) -> u32 {
    if w.len() > 15 {
        return 0;
    }
    (NAME_STARTS[name_bucket(w)] >> w.len()) & 0x1_0001
}

/// A word's bucket from its first, second and last bytes, lower-cased: by
/// first letter alone, the common initials of English words (`s`, `r`,
/// `p`, `w`) shared a bucket with a listed word of the same length
/// (`status`, `reading`, `writing`) and cost a list comparison each; with
/// the last byte only, still one word in nine of English prose (`for`,
/// `Cannot`, `storage`). The weights were chosen on the prose of `docs/`,
/// where about one word in fifteen now passes.
#[inline(always)]
const fn name_bucket(w: &[u8]) -> usize {
    let second = w[if w.len() > 1 { 1 } else { 0 }];
    (5 * (w[0] | 0x20) as usize
        + 3 * (second | 0x20) as usize
        + 2 * (w[w.len() - 1] | 0x20) as usize)
        & 31
}

/// [`BARE_WORDS`] and [`FIRST_WORDS`] as they ship.
static BARE_PACKED: [u8; packed_len(BARE_WORDS)] = pack(BARE_WORDS);
static FIRST_PACKED: [u8; packed_len(FIRST_WORDS)] = pack(FIRST_WORDS);

/// Letters, digits, `_ - .`; inlined: it runs on every byte of a name.
#[inline(always)]
fn is_name_byte(c: u8) -> bool {
    is(c, B64URL) || c == b'.'
}

impl Scan<'_, '_> {
    /// The end of a quoted value whose opening quote ends at `vs`, honouring
    /// backslash escapes (one level deeper for `\"`). Unterminated values run
    /// to the end of the text: a truncated secret is still a secret.
    fn quoted_end(&self, vs: usize, q: Quote) -> usize {
        let b = self.b;
        let mut j = vs;
        let mut esc = false;
        while j < b.len() {
            let (c, step) = match q {
                Quote::Escaped if b[j] == b'\\' && j + 1 < b.len() => {
                    if b[j + 1] == b'"' || b[j + 1] == b'\\' {
                        (b[j + 1], 2)
                    } else {
                        (b'x', 2)
                    }
                }
                Quote::Escaped if b[j] == b'"' => return j,
                _ => (b[j], 1),
            };
            let close = match q {
                Quote::Double | Quote::Escaped => b'"',
                Quote::Single => b'\'',
                Quote::Back => b'`',
            };
            if c == b'\\' {
                esc = !esc;
            } else if c == close && !esc {
                return j;
            } else {
                esc = false;
            }
            j += step;
        }
        j
    }

    /// The value starting at `v` (quotes excluded) and whether it was
    /// quoted; `None` for objects, arrays and calls, whose parts are
    /// checked on their own.
    fn value_at(&self, v: usize, op: Op) -> Option<(usize, usize, bool)> {
        let b = self.b;
        let q = match self.at(v) {
            b'"' => Some((Quote::Double, 1)),
            b'\'' => Some((Quote::Single, 1)),
            b'`' => Some((Quote::Back, 1)),
            b'\\' if self.at(v + 1) == b'"' => Some((Quote::Escaped, 2)),
            _ => None,
        };
        if let Some((q, ql)) = q {
            let vs = v + ql;
            return Some((vs, self.quoted_end(vs, q), true));
        }
        if self.lit(v, b"[Filtered]") {
            return Some((v, v + 10, false));
        }
        if matches!(self.at(v), b'{' | b'[' | b'(') || (op != Op::Xml && self.at(v) == b'<') {
            return None;
        }
        let mut j = match op {
            // Bounded by the next tag or line: not worth a slot.
            Op::Xml => {
                let mut j = v;
                while j < b.len() && !matches!(b[j], b'<' | b'\n' | b'\r') {
                    j += 1;
                }
                j
            }
            Op::Tight => self.memo_run(TIGHT_SLOT, v, |c| !value_stop(c) && c != b'&'),
            _ => self.memo_run(LOOSE_SLOT, v, |c| !value_stop(c)),
        };
        // `name = getToken()`: a call, not a value.
        if op != Op::Xml && self.at(j) == b'(' {
            return None;
        }
        while j > v && op == Op::Xml && matches!(b[j - 1], b' ' | b'\t') {
            j -= 1;
        }
        // A sentence period is not part of an unquoted value.
        if op != Op::Tight && op != Op::Xml {
            while j > v && b[j - 1] == b'.' {
                j -= 1;
            }
        }
        Some((v, j, false))
    }

    /// Whether the word before `i` (within a few bytes, never before the
    /// last replacement) turns a `key` into something else (`cache key`).
    fn after_neutral_word(&self, i: usize) -> bool {
        let b = self.b;
        let floor = self.floor();
        let mut e = i;
        while e > floor && e + 3 > i && matches!(b[e - 1], b' ' | b'_' | b'-' | b'.') {
            e -= 1;
        }
        if e == i {
            return false;
        }
        let mut s = e;
        while s > floor && e - s < 16 && is(b[s - 1], ALNUM) {
            s -= 1;
        }
        if s == e {
            return false;
        }
        is_not_credential(&b[s..e])
    }

    /// Decides on a value of `name` found at `v` with operator `op`.
    fn assigned(&self, name: &[u8], name_start: usize, v: usize, op: Op) -> Option<Hit> {
        // Most `name: value` pairs in logs are prose or code (`TypeError:
        // Cannot`, `popup.js:42`): an unquoted value that could not be a
        // secret under any name ends the check before the name is split.
        // `Authorization: <scheme> <credentials>` starts with a plain scheme
        // word, so it is never rejected here.
        let authorization =
            name.len() >= 13 && name[name.len() - 13..].eq_ignore_ascii_case(b"authorization");
        if !authorization
            && op != Op::Tight
            && op != Op::Xml
            && !matches!(self.at(v), b'"' | b'\'' | b'`' | b'\\' | b'[')
        {
            let e = self.memo_run(LOOSE_SLOT, v, |c| !value_stop(c));
            let val = &self.b[v..e];
            if !secretish(val) && !looks_random(val, 16) {
                return None;
            }
        }
        let tier = self.keys.text_tier(name);
        if tier == Tier::Never {
            self.tierless.set((name_start, name_start + name.len()));
        }
        if matches!(tier, Tier::None | Tier::Never) {
            return None;
        }
        let b = self.b;
        // `Authorization: <scheme> <credentials>`.
        if op == Op::Loose && authorization {
            if let Some(h) = self.authorization(v) {
                return Some(h);
            }
        }
        let (vs, ve, quoted) = self.value_at(v, op)?;
        let val = &b[vs..ve];
        if self.lit(vs, b"[Filtered]") && ve - vs == 10 {
            // Already scrubbed: a no-op hit keeps a second pass aligned.
            return Hit::new(vs, ve, "[Filtered]");
        }
        if val.is_empty() || is_literal(val) {
            return None;
        }
        let ok = match tier {
            Tier::Random => {
                looks_random(val, if op == Op::Bare { 20 } else { 16 })
                    && !(op == Op::Bare && is_uuid(val))
                    && !self.after_neutral_word(name_start)
            }
            _ => match op {
                _ if quoted => true,
                Op::Tight if tier == Tier::Weak => secretish(val),
                Op::Tight | Op::Xml => true,
                Op::Loose | Op::Flag => secretish(val),
                Op::Bare => looks_random(val, 16) && !is_uuid(val),
            },
        };
        if !ok {
            return None;
        }
        Hit::new(vs, ve, "[Filtered]")
    }

    /// The credentials after `Authorization:`: the scheme word is kept
    /// (`Digest`, `Token`, `AWS4-HMAC-SHA256`...), the rest of the value up
    /// to the end of the line or a quote is filtered; `Bearer` and `Basic`
    /// values become `[token]` as elsewhere.
    fn authorization(&self, v: usize) -> Option<Hit> {
        let b = self.b;
        let mut s = v;
        while s < b.len() && (is(b[s], ALNUM) || b[s] == b'-') {
            s += 1;
        }
        let scheme = &b[v..s];
        let (start, repl) =
            if s > v && self.at(s) == b' ' && (is(self.at(s + 1), ALNUM) || self.at(s + 1) == b'[')
            {
                let bearer =
                    scheme.eq_ignore_ascii_case(b"bearer") || scheme.eq_ignore_ascii_case(b"basic");
                (s + 1, if bearer { "[token]" } else { "[Filtered]" })
            } else {
                (v, "[Filtered]")
            };
        // `Digest username="...", response="..."`: parameters run to the
        // end of the line, quotes included.
        let params = start > v && {
            let w = self.run(start, ALNUM);
            w > start && self.at(w) == b'='
        };
        let mut e = start;
        while e < b.len()
            && !matches!(b[e], b'\n' | b'\r')
            && (params || !matches!(b[e], b'"' | b'\'' | b'`' | b'\\'))
        {
            e += 1;
        }
        while e > start && matches!(b[e - 1], b' ' | b'\t' | b',' | b';' | b'.') {
            e -= 1;
        }
        let val = &b[start..e];
        if self.lit(start, repl.as_bytes()) {
            return Hit::new(start, start + repl.len(), repl);
        }
        if val.len() < 3 || is_literal(val) || (start == v && !secretish(val)) {
            return None;
        }
        // Prose after a scheme word (`Bearer token required`) is no value.
        if start > v && val.iter().all(|c| c.is_ascii_lowercase() || *c == b' ') {
            return None;
        }
        Hit::new(start, e, repl)
    }

    /// `name <op> value` at a word start, and the other text syntaxes listed
    /// in the module docs. `r` is the end of the word's run of letters and
    /// digits.
    pub(crate) fn text_kv(&self, i: usize, r: usize) -> Option<Hit> {
        let b = self.b;
        // Inside a dotted or dashed name already scanned (`chrome.runtime.x`)
        // every later word start would scan to the same end: skip.
        if i < self.kv_skip.get() {
            return None;
        }
        // A word then spaces (`at handleMessage`, prose): what follows the
        // spaces decides, as below, but without scanning the name (it ends
        // at the space) or looking back: unless an operator follows, only
        // a flag (`-u user`) or a listed word one space before its value
        // (`token 9f8K...`) makes it a name. Most words in text end here.
        if matches!(self.at(r), b' ' | b'\t') {
            let mut j = r + 1;
            while matches!(self.at(j), b' ' | b'\t') && j - r < 8 {
                j += 1;
            }
            if !matches!(self.at(j), b'=' | b':' | b'?' | b'.' | b'+' | b'|')
                && (j - r > 1 || (name_lists(&b[i..r]) == 0 && self.prev(i) != Some(b'-')))
            {
                if r - i <= 64 {
                    self.kv_skip.set(r);
                }
                return None;
            }
        }
        // Names are at most 64 bytes, trailing dots and dashes included.
        let mut e = self.memo_run(NAME_SLOT, r, is_name_byte);
        if e - i > 64 {
            return None;
        }
        while e > r && matches!(b[e - 1], b'.' | b'-') {
            e -= 1;
        }
        let before = self.prev(i);
        let flag = before == Some(b'-')
            && ((i >= 2 && i - 1 > self.floor() && b[i - 2] == b'-') || e - i == 1);
        if before == Some(b'<') && self.at(e) == b'>' {
            return self.xml_value(i, e);
        }
        let mut j = e;
        while matches!(self.at(j), b' ' | b'\t') && j - e < 8 {
            j += 1;
        }
        let spaced = j > e;
        let (op, v) = match (self.at(j), self.at(j + 1), self.at(j + 2)) {
            (b'=', b'=' | b'~', _) => return None,
            (b'=', b'>', _) => (Op::Loose, j + 2),
            (b'=', c, _) => {
                let tight = !spaced && !matches!(c, b' ' | b'\t');
                (if tight { Op::Tight } else { Op::Loose }, j + 1)
            }
            (b':', b':', b'=') => (Op::Loose, j + 3),
            (b':', b'=', _) => (Op::Loose, j + 2),
            (b':', b':' | b'/', _) => return None,
            (b':', _, _) if !spaced => (Op::Loose, j + 1),
            (b'?' | b'.' | b'+', b'=', _) => (Op::Loose, j + 2),
            (b'|', b'|', b'=') => (Op::Loose, j + 3),
            (c, _, _) if spaced && j - e == 1 && flag && c != b'-' => (Op::Flag, j),
            (c, _, _) if spaced && j - e == 1 && name_lists(&b[i..e]) != 0 => {
                let lists = name_lists(&b[i..e]);
                if c.is_ascii_alphabetic() && lists > 1 && in_packed(&FIRST_PACKED, &b[i..e]) {
                    if let Some(h) = self.two_word(i, j) {
                        return Some(h);
                    }
                }
                if lists & 1 == 0 || !in_packed(&BARE_PACKED, &b[i..e]) {
                    self.kv_skip.set(e);
                    return None;
                }
                (Op::Bare, j)
            }
            _ => {
                self.kv_skip.set(e);
                return None;
            }
        };
        // `--name=value` is a flag too: its value must look like a secret
        // (`--password-store=basic` is an option).
        let op = if flag && op == Op::Tight {
            Op::Flag
        } else {
            op
        };
        let mut v = v;
        while matches!(self.at(v), b' ' | b'\t') && v - j < 8 {
            v += 1;
        }
        if flag
            && e - i <= 4
            && (b[i..e].eq_ignore_ascii_case(b"u") || b[i..e].eq_ignore_ascii_case(b"user"))
        {
            return self.user_password(v);
        }
        // A tail of a name found without a part that may start a listed
        // word (`Tier::Never`) is none either: the later word starts
        // inside it (`runtime` and `lastError` of `chrome.runtime.lastError:
        // ...`) end here, without splitting the name or reading the value
        // again. Only after an ASCII separator: a start right after a
        // replacement may cut a part in two, and a non-ASCII byte belongs
        // to the part it precedes.
        let (ts, te) = self.tierless.get();
        if te == e && ts < i && b[i - 1] < 0x80 && !is(b[i - 1], ALNUM) {
            return None;
        }
        self.assigned(&b[i..e], i, v, op)
    }

    /// `api key: value`: a two-word name whose first word starts at `i` and
    /// second at `j`.
    fn two_word(&self, i: usize, j: usize) -> Option<Hit> {
        let b = self.b;
        let mut e = j;
        while e < b.len() && is_name_byte(b[e]) && e - j < 32 {
            e += 1;
        }
        let mut k = e;
        while matches!(self.at(k), b' ' | b'\t') && k - e < 4 {
            k += 1;
        }
        let v = match (self.at(k), self.at(k + 1)) {
            (b'=', b'=') => return None,
            (b'=', b'>') | (b':', b'=') => k + 2,
            (b'=' | b':', _) => k + 1,
            _ => return None,
        };
        // The second word alone must not be read again without its first.
        self.kv_skip.set(e);
        let mut v = v;
        while matches!(self.at(v), b' ' | b'\t') && v - k < 8 {
            v += 1;
        }
        self.assigned(&b[i..e], i, v, Op::Loose)
    }

    /// `<name>value</name>`, the value possibly on its own line.
    fn xml_value(&self, i: usize, e: usize) -> Option<Hit> {
        let mut v = e + 1;
        while matches!(self.at(v), b' ' | b'\t' | b'\n' | b'\r') && v - e < 64 {
            v += 1;
        }
        self.assigned(&self.b[i..e], i, v, Op::Xml)
    }

    /// `curl -u user:password`, `--user 'user:password'`: the credentials
    /// become `[auth]`, as in a URL.
    fn user_password(&self, v: usize) -> Option<Hit> {
        let (vs, ve, _) = self.value_at(v, Op::Flag)?;
        let val = &self.b[vs..ve];
        let colon = val.iter().position(|&c| c == b':')?;
        if colon == 0 || colon + 1 == val.len() || has_byte(val, b'/') {
            return None;
        }
        Hit::new(vs, ve, "[auth]")
    }

    /// `"name": value` with double, single or escaped (`\"`) quotes, and
    /// `'name' => value` or `["NAME"] = value`: JSON, a Python/JS/PHP
    /// object printed into a message, code.
    pub(crate) fn quoted_kv(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        let (q, ql) = match b[i] {
            b'\\' if self.at(i + 1) == b'"' => (Quote::Escaped, 2),
            b'"' if self.prev(i) != Some(b'\\') => (Quote::Double, 1),
            b'\'' => (Quote::Single, 1),
            _ => return None,
        };
        let ks = i + ql;
        let mut ke = ks;
        loop {
            let c = self.at(ke);
            let closes = match q {
                Quote::Double => c == b'"',
                Quote::Single => c == b'\'',
                _ => c == b'\\' && self.at(ke + 1) == b'"',
            };
            if closes {
                break;
            }
            // Key names: letters, digits, `_ - . $ @`, spaces, non-ASCII.
            // Anything else (a URL's `/` or `:`, `=`) means this quote opens
            // a value or prose, and the scan stops early.
            let key_byte =
                is(c, ALNUM) || matches!(c, b'_' | b'-' | b'.' | b'$' | b'@' | b' ') || c >= 0x80;
            if !key_byte || ke - ks >= 64 {
                return None;
            }
            ke += 1;
        }
        if ke == ks {
            return None;
        }
        let mut j = ke + ql;
        if self.at(j) == b']' {
            j += 1;
        }
        while self.at(j) == b' ' && j - ke < 4 {
            j += 1;
        }
        match (self.at(j), self.at(j + 1)) {
            (b':', b':') | (b'=', b'=') => return None,
            (b'=', b'>') => j += 2,
            (b':' | b'=', _) => j += 1,
            _ => return None,
        }
        while matches!(self.at(j), b' ' | b'\t') && j - ke < 8 {
            j += 1;
        }
        if q == Quote::Escaped && self.at(j) == b'"' {
            return None;
        }
        let name = &b[ks..ke];
        // Quoted names are JSON keys: the value is taken whatever it is.
        let op = if q == Quote::Escaped || self.at(j) != b'\\' {
            Op::Tight
        } else {
            Op::Loose
        };
        self.assigned(name, ks, j, op)
    }
}
