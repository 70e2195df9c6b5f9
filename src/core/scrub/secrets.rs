//! Credentials in text: JWTs, `Bearer`/`Basic` values, vendor API keys, PEM
//! private keys, and `name=value` / `"name": "value"` pairs whose name is a
//! deny-listed key.

use super::scan::{is, Hit, Scan, ALNUM, B64URL, DELIM, DIGIT};
use super::validate::{base64url_decode, jwt_header_ok};

/// Alphabet of a vendor key's body.
#[derive(Clone, Copy)]
enum Body {
    /// `A-Z 0-9` (AWS access key ids).
    UpperDigit,
    /// `A-Z a-z 0-9`.
    Alnum,
    /// `A-Z a-z 0-9 _`.
    AlnumUnderscore,
    /// base64url: `A-Z a-z 0-9 - _`.
    B64Url,
    /// `0-9 a-f A-F`.
    Hex,
    /// base64url plus `.` (SendGrid's two-part keys).
    Dotted,
    /// base64 plus `-` and `_`.
    B64,
}

impl Body {
    fn has(self, c: u8) -> bool {
        match self {
            Body::UpperDigit => c.is_ascii_uppercase() || c.is_ascii_digit(),
            Body::Alnum => c.is_ascii_alphanumeric(),
            Body::AlnumUnderscore => c.is_ascii_alphanumeric() || c == b'_',
            Body::B64Url => is(c, B64URL),
            Body::Hex => c.is_ascii_hexdigit(),
            Body::Dotted => is(c, B64URL) || c == b'.',
            Body::B64 => is(c, B64URL) || matches!(c, b'+' | b'/' | b'='),
        }
    }
}

/// A vendor key shape: literal prefix (case-sensitive), body alphabet,
/// minimum body length, and the length of the prefix's leading run of
/// letters and digits (a cheap filter, see `vendor_key`).
type VendorKey = (&'static [u8], Body, usize, usize);

/// Length of the leading run of ASCII letters and digits of `p`.
const fn alnum_len(p: &[u8]) -> usize {
    let mut k = 0;
    while k < p.len() && p[k].is_ascii_alphanumeric() {
        k += 1;
    }
    k
}

/// Builds a [`VendorKey`] entry, computing the run length at compile time.
macro_rules! vk {
    ($p:literal, $body:ident, $min:literal) => {
        ($p, Body::$body, $min, alnum_len($p))
    };
}

/// Vendor key shapes, grouped by the prefix's first byte so that a word is
/// only compared with the few prefixes it could start (most words start none).
/// Prefixes come from the vendors' documented token formats (the same
/// families gitleaks covers); minimum lengths sit below the real lengths so
/// truncated keys in logs are still caught, and well above anything a prose
/// word could reach.
fn vendor_keys_for(c: u8) -> &'static [VendorKey] {
    match c {
        // AWS access key ids (AKIA long-term, ASIA temporary, and the other
        // unique-id prefixes), Google API keys, age secret keys.
        b'A' => {
            const {
                &[
                    vk!(b"AKIA", UpperDigit, 16),
                    vk!(b"ASIA", UpperDigit, 16),
                    vk!(b"ABIA", UpperDigit, 16),
                    vk!(b"ACCA", UpperDigit, 16),
                    vk!(b"AGPA", UpperDigit, 16),
                    vk!(b"AIDA", UpperDigit, 16),
                    vk!(b"AROA", UpperDigit, 16),
                    vk!(b"AIPA", UpperDigit, 16),
                    vk!(b"ANPA", UpperDigit, 16),
                    vk!(b"ANVA", UpperDigit, 16),
                    vk!(b"APKA", UpperDigit, 16),
                    vk!(b"AIza", B64Url, 30),
                    vk!(b"AGE-SECRET-KEY-1", UpperDigit, 50),
                ]
            }
        }
        // Google OAuth access tokens and client secrets.
        b'y' => const { &[vk!(b"ya29.", B64Url, 20)] },
        b'G' => const { &[vk!(b"GOCSPX-", B64Url, 20)] },
        // GitHub and GitLab.
        b'g' => {
            const {
                &[
                    vk!(b"ghp_", Alnum, 30),
                    vk!(b"gho_", Alnum, 30),
                    vk!(b"ghu_", Alnum, 30),
                    vk!(b"ghs_", Alnum, 30),
                    vk!(b"ghr_", Alnum, 30),
                    vk!(b"github_pat_", AlnumUnderscore, 30),
                    vk!(b"glpat-", B64Url, 20),
                    vk!(b"gldt-", B64Url, 20),
                    vk!(b"glrt-", B64Url, 20),
                    vk!(b"glptt-", B64Url, 20),
                    vk!(b"glsoat-", B64Url, 20),
                    vk!(b"glcbt-", B64Url, 20),
                    vk!(b"gloas-", B64Url, 20),
                ]
            }
        }
        // Slack (`xox?-`) and app-level tokens.
        b'x' => {
            const {
                &[
                    vk!(b"xoxb-", B64Url, 10),
                    vk!(b"xoxp-", B64Url, 10),
                    vk!(b"xoxa-", B64Url, 10),
                    vk!(b"xoxr-", B64Url, 10),
                    vk!(b"xoxs-", B64Url, 10),
                    vk!(b"xoxe-", B64Url, 10),
                    vk!(b"xoxo-", B64Url, 10),
                    vk!(b"xapp-", B64Url, 10),
                ]
            }
        }
        // Stripe secret keys; OpenAI / Anthropic style `sk-...` (plain `sk-`
        // also needs a digit); Shopify; Sentry; Square.
        b's' => {
            const {
                &[
                    vk!(b"sk_live_", Alnum, 10),
                    vk!(b"sk_test_", Alnum, 10),
                    vk!(b"sk-ant-", B64Url, 20),
                    vk!(b"sk-proj-", B64Url, 20),
                    vk!(b"sk-", B64Url, 20),
                    vk!(b"shpat_", Hex, 32),
                    vk!(b"shpss_", Hex, 32),
                    vk!(b"shpca_", Hex, 32),
                    vk!(b"shppa_", Hex, 32),
                    vk!(b"sntrys_", B64, 50),
                    vk!(b"sq0atp-", B64Url, 22),
                    vk!(b"sq0csp-", B64Url, 22),
                ]
            }
        }
        // Stripe restricted keys and webhook secrets.
        b'r' => const { &[vk!(b"rk_live_", Alnum, 10), vk!(b"rk_test_", Alnum, 10)] },
        b'w' => const { &[vk!(b"whsec_", Alnum, 20)] },
        // npm, Hugging Face, DigitalOcean, Databricks, PyPI, Postman,
        // Linear, Mailgun.
        b'n' => const { &[vk!(b"npm_", Alnum, 30)] },
        b'h' => const { &[vk!(b"hf_", Alnum, 30)] },
        b'd' => {
            const {
                &[
                    vk!(b"dop_v1_", Hex, 64),
                    vk!(b"doo_v1_", Hex, 64),
                    vk!(b"dor_v1_", Hex, 64),
                    vk!(b"dapi", Hex, 32),
                ]
            }
        }
        b'p' => const { &[vk!(b"pypi-", B64Url, 50)] },
        b'P' => const { &[vk!(b"PMAK-", B64Url, 50)] },
        b'l' => const { &[vk!(b"lin_api_", Alnum, 32)] },
        b'k' => const { &[vk!(b"key-", Hex, 32)] },
        // SendGrid `SG.<22>.<43>`.
        b'S' => const { &[vk!(b"SG.", Dotted, 40)] },
        _ => &[],
    }
}

const LITERALS: &[&[u8]] = &[b"true", b"false", b"null", b"undefined", b"none", b"nil"];

/// Values that describe absence rather than hold a secret; filtering them
/// would only hide useful debugging facts (`token=undefined`).
fn is_literal(v: &[u8]) -> bool {
    LITERALS.iter().any(|l| v.eq_ignore_ascii_case(l))
}

/// Quote styles for `"name": "value"` pairs in text.
#[derive(Clone, Copy, PartialEq)]
enum Quote {
    Double,
    Single,
    /// `\"`: JSON inside a JSON string (a stringified body in a message).
    Escaped,
}

impl Scan<'_, '_> {
    /// JWT/JWE: `eyJ` + base64url segments joined by dots, the first decoding
    /// to a JSON object.
    pub(crate) fn jwt(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        if !self.lit(i, b"eyJ") || self.prev_is(i, B64URL) {
            return None;
        }
        let p1 = self.run(i, B64URL);
        if self.at(p1) != b'.' {
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
        if !jwt_header_ok(&b[i..p1]) {
            return None;
        }
        Hit::new(i, end, "[jwt]")
    }

    /// `Bearer <token>` / `Basic <credentials>`: the value becomes `[token]`.
    /// Prose (`Bearer authentication`, `Bearer undefined`) is left alone: a
    /// value must hold a digit, or be long and not a plain lower-case word.
    pub(crate) fn bearer(&self, i: usize, r: usize) -> Option<Hit> {
        let w = &self.b[i..r];
        if !(w.eq_ignore_ascii_case(b"bearer") || w.eq_ignore_ascii_case(b"basic")) {
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
                && out.contains(&b':')
                && out.iter().all(|&c| (0x20..0x7f).contains(&c))
        };
        let ok = (has_digit && t.len() >= 6) || (t.len() >= 20 && !wordy) || basic_creds;
        ok.then_some(Hit {
            start: ts,
            end: j,
            repl: "[token]",
        })
    }

    /// Vendor API keys by prefix; the body must reach the minimum length and
    /// end at a non-alphanumeric byte.
    pub(crate) fn vendor_key(&self, i: usize, r: usize) -> Option<Hit> {
        let b = self.b;
        let run = r - i;
        for &(prefix, body, min, alnum) in vendor_keys_for(b[i]) {
            // The word's run of letters and digits must fit the prefix's:
            // exactly as long when the prefix has punctuation (`sk_live_`
            // needs the run `sk`), at least as long otherwise (`AKIA...`).
            let fits = if alnum < prefix.len() {
                run == alnum
            } else {
                run >= alnum
            };
            if !fits || !self.lit(i, prefix) {
                continue;
            }
            let bs = i + prefix.len();
            let mut j = bs;
            while j < b.len() && body.has(b[j]) {
                j += 1;
            }
            if j - bs < min || is(self.at(j), ALNUM) {
                continue;
            }
            if prefix == b"sk-" && !b[bs..j].iter().any(|&c| is(c, DIGIT)) {
                continue;
            }
            return Hit::new(i, j, "[secret]");
        }
        None
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

    /// Value span (without quotes) starting at `v`, or `None` when it is not
    /// worth filtering (empty, a literal like `null`, or an object/array
    /// whose own keys are checked one by one).
    fn kv_value(&self, v: usize, stop_at_amp: bool) -> Option<(usize, usize)> {
        let b = self.b;
        let (vs, ve) = match self.at(v) {
            b'"' => (v + 1, self.quoted_end(v + 1, Quote::Double)),
            b'\'' => (v + 1, self.quoted_end(v + 1, Quote::Single)),
            b'\\' if self.at(v + 1) == b'"' => (v + 2, self.quoted_end(v + 2, Quote::Escaped)),
            b'[' if self.lit(v, b"[Filtered]") => (v, v + 10),
            b'{' | b'[' => return None,
            _ => {
                let mut j = v;
                while j < b.len() {
                    let c = b[j];
                    if is(c, DELIM) || matches!(c, b',' | b';' | b'}') || (stop_at_amp && c == b'&')
                    {
                        break;
                    }
                    j += 1;
                }
                (v, j)
            }
        };
        let val = &b[vs..ve];
        // An existing `[Filtered]` still yields a (no-op) hit, so a second
        // pass skips the same bytes as the first did.
        if val.is_empty() || is_literal(val) {
            return None;
        }
        Some((vs, ve))
    }

    /// `name=value` or `name: "value"` at a word start, when `name` is a
    /// deny-listed key (`password=hunter2`, `api_key: 'abc'`). Bare
    /// `name: value` is not taken: `token: expected 3 parts` is prose.
    pub(crate) fn text_kv(&self, i: usize, r: usize) -> Option<Hit> {
        let b = self.b;
        if !matches!(self.at(r), b'=' | b':' | b'_' | b'-' | b'.') {
            return None;
        }
        // Inside a dotted or dashed name already scanned (`chrome.runtime.x`)
        // every later word start would scan to the same end: skip.
        if i < self.kv_skip.get() {
            return None;
        }
        let mut e = r;
        while e < b.len() && (is(b[e], ALNUM) || matches!(b[e], b'_' | b'-' | b'.')) {
            e += 1;
        }
        if !matches!(self.at(e), b'=' | b':') {
            self.kv_skip.set(e);
            return None;
        }
        if e - i > 64 {
            // A later word start in the name may still be short enough.
            return None;
        }
        let v = match self.at(e) {
            b'=' if self.at(e + 1) != b'=' => e + 1,
            b':' => {
                let mut j = e + 1;
                while self.at(j) == b' ' && j - e <= 2 {
                    j += 1;
                }
                if !matches!(self.at(j), b'"' | b'\'') {
                    return None;
                }
                j
            }
            _ => return None,
        };
        // ASCII only by construction.
        let name = std::str::from_utf8(&b[i..e]).ok()?;
        if !self.keys.is_sensitive(name) {
            return None;
        }
        let (vs, ve) = self.kv_value(v, true)?;
        Hit::new(vs, ve, "[Filtered]")
    }

    /// `"name": value` with double, single or escaped (`\"`) quotes: JSON or
    /// a Python/JS object printed into a message.
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
                Quote::Escaped => c == b'\\' && self.at(ke + 1) == b'"',
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
        while self.at(j) == b' ' && j - ke < 4 {
            j += 1;
        }
        if self.at(j) != b':' {
            return None;
        }
        j += 1;
        while matches!(self.at(j), b' ' | b'\t') && j - ke < 8 {
            j += 1;
        }
        let key = std::str::from_utf8(&b[ks..ke]).ok()?;
        if !self.keys.is_sensitive(key) {
            return None;
        }
        let (vs, ve) = match q {
            Quote::Escaped if self.at(j) == b'\\' => self.kv_value(j, false)?,
            Quote::Escaped if self.at(j) == b'"' => return None,
            _ => self.kv_value(j, false)?,
        };
        Hit::new(vs, ve, "[Filtered]")
    }
}
