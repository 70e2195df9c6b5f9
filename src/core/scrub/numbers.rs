//! Card numbers, IBANs, phone numbers and US SSNs.

use super::scan::{is, Hit, Scan, ALNUM, B64URL, DIGIT};
use super::validate::{card_ok, iban_length, iban_mod97, ssn_ok};

impl Scan<'_, '_> {
    /// Whether a number ending at `e` really ends there: not followed by a
    /// letter or digit, nor by a decimal part (`1716300000000.123`), nor by
    /// `[`. The last rule is for idempotence: when the first pass rejects a
    /// number because of what follows and then replaces what follows, the
    /// second pass sees a placeholder (`[...`) there and must reject too.
    fn number_ends(&self, e: usize) -> bool {
        let c = self.at(e);
        !is(c, ALNUM) && c != b'[' && !(c == b'.' && is(self.at(e + 1), DIGIT))
    }

    /// Card number at a digit word start: 13 to 19 digits, contiguous or in
    /// groups of 3 to 6 digits (a short last group allowed) separated by
    /// single spaces or dashes (one kind), with an issuer
    /// prefix and a valid Luhn digit. A grouped run is tried from its longest
    /// prefix of whole groups down to 13 digits, so a card followed by another
    /// number (`4111 1111 1111 1111 1234`) is still found. Looks ahead at most
    /// 19 digits plus separators.
    pub(crate) fn card(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        if self.prev(i) == Some(b'.') {
            return None;
        }
        let mut digits = [0u8; 19];
        let mut n = 0;
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            if n == 19 {
                return None;
            }
            digits[n] = b[j];
            n += 1;
            j += 1;
        }
        if n >= 13 {
            return (self.number_ends(j) && card_ok(&digits[..n])).then_some(Hit {
                start: i,
                end: j,
                repl: "[creditcard]",
            });
        }
        // Printed card groupings (4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3, ...) have
        // groups of 3 to 6 digits, except a short last one (`4222 2222 2222
        // 2`). Anything else (`41-41-41`, dates, phone fragments) stops here.
        let sep = self.at(j);
        if !(3..=6).contains(&n) || !(sep == b' ' || sep == b'-') || !is(self.at(j + 1), DIGIT) {
            return None;
        }
        // Group ends: (digit count, byte end).
        let mut ends = [(0usize, 0usize); 10];
        let mut groups = 0;
        ends[groups] = (n, j);
        groups += 1;
        while self.at(j) == sep && is(self.at(j + 1), DIGIT) && groups < ends.len() {
            let mut k = j + 1;
            while k < b.len() && b[k].is_ascii_digit() && n < 19 && k - j <= 6 {
                digits[n] = b[k];
                n += 1;
                k += 1;
            }
            // A group longer than 6 digits, or one crossing 19 digits, is not
            // card grouping; keep only the whole groups before it.
            if k < b.len() && b[k].is_ascii_digit() {
                break;
            }
            j = k;
            ends[groups] = (n, j);
            groups += 1;
            if n - ends[groups - 2].0 < 3 {
                // A short group can only be the last one.
                break;
            }
        }
        for &(count, end) in ends[1..groups].iter().rev() {
            if count < 13 {
                break;
            }
            if count <= 19 && self.number_ends(end) && card_ok(&digits[..count]) {
                return Hit::new(i, end, "[creditcard]");
            }
        }
        None
    }

    /// US SSN at a digit word start: `ddd-dd-dddd`, also with spaces or dots,
    /// outside the ranges the SSA never issues; nine digits in a row only
    /// right after the word `SSN`. Not when part of a longer number.
    pub(crate) fn ssn(&self, i: usize, len: usize) -> Option<Hit> {
        let b = self.b;
        if matches!(self.prev(i), Some(b'-' | b'.' | b'+' | b'/' | b':' | b',')) {
            return None;
        }
        let (e, digits): (usize, [u8; 9]) = if len == 9 {
            if !self.after_ssn_word(i) {
                return None;
            }
            let mut d = [0u8; 9];
            d.copy_from_slice(&b[i..i + 9]);
            (i + 9, d)
        } else {
            if b.len() < i + 11 {
                return None;
            }
            let s = &b[i..i + 11];
            let sep = s[3];
            if s[6] != sep {
                return None;
            }
            let idx = [0, 1, 2, 4, 5, 7, 8, 9, 10];
            if !idx.iter().all(|&k| s[k].is_ascii_digit()) {
                return None;
            }
            let mut d = [0u8; 9];
            for (k, &x) in idx.iter().enumerate() {
                d[k] = s[x];
            }
            (i + 11, d)
        };
        if !self.number_ends(e)
            || (matches!(self.at(e), b'-' | b' ' | b'.') && is(self.at(e + 1), DIGIT))
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| {
            digits[r]
                .iter()
                .fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'))
        };
        ssn_ok(num(0..3), num(3..5), num(5..9)).then_some(Hit {
            start: i,
            end: e,
            repl: "[ssn]",
        })
    }

    /// Whether `ssn` (any case, maybe followed by `#`, `:` or `=`) ends at
    /// most a few bytes before `i`.
    fn after_ssn_word(&self, i: usize) -> bool {
        let b = self.b;
        let floor = self.floor();
        let mut k = i;
        while k > floor && i - k < 4 && matches!(b[k - 1], b' ' | b'#' | b':' | b'=' | b'\'' | b'"')
        {
            k -= 1;
        }
        k >= floor + 3
            && b[k - 3..k].eq_ignore_ascii_case(b"ssn")
            && (k == floor + 3 || !is(b[k - 4], ALNUM))
    }

    /// Telegram bot token: the bot id, `:`, then `AA` and 33 base64url bytes.
    pub(crate) fn telegram_token(&self, i: usize, r: usize) -> Option<Hit> {
        if !self.lit(r + 1, b"AA") || self.prev_is(i, DIGIT) {
            return None;
        }
        let e = self.run(r + 1, B64URL);
        if e - (r + 1) < 30 || is(self.at(e), ALNUM) {
            return None;
        }
        Hit::new(i, e, "[secret]")
    }

    /// Phone number in a national format at a digit word start: North
    /// American `(415) 555-2671`, `415-555-2671`, `415.555.2671`,
    /// `1-415-555-2671`, or a trunk `0` number in groups (`030 901820`,
    /// `020 7946 0958`, `06 12 34 56 78`, `0049 30 901820`). Dates,
    /// versions, ISBNs and card groupings have other shapes.
    pub(crate) fn phone_national(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        let paren = self.prev(i) == Some(b'(') && i > self.floor();
        if !paren
            && matches!(self.prev(i), Some(p) if is(p, ALNUM) || matches!(p, b'.' | b'-' | b'/' | b':' | b'+' | b'_' | b'[' | b'#' | b'$'))
        {
            return None;
        }
        let mut groups = [0usize; 6];
        let mut n = 0;
        let mut j = i;
        let mut sep = 0u8;
        let mut end;
        loop {
            let s = j;
            while j < b.len() && b[j].is_ascii_digit() && j - s <= 8 {
                j += 1;
            }
            let g = j - s;
            if g == 0 || g > 8 || n == groups.len() {
                return None;
            }
            groups[n] = g;
            n += 1;
            end = j;
            // The separator after this group.
            let (c, skip) = if paren && n == 1 {
                match (self.at(j), self.at(j + 1)) {
                    (b')', b' ') => (b')', 2),
                    (b')', d) if d.is_ascii_digit() => (b')', 1),
                    _ => return None,
                }
            } else {
                (self.at(j), 1)
            };
            if !matches!(c, b' ' | b'-' | b'.' | b')') || !is(self.at(j + skip), DIGIT) {
                break;
            }
            if c != b')' {
                if sep != 0 && sep != c && !(paren && n == 2) {
                    break;
                }
                sep = c;
            }
            j += skip;
        }
        let groups = &groups[..n];
        let total: usize = groups.iter().sum();
        let first = b[i];
        let nanp = |g: &[usize], at: usize| g == [3, 3, 4] && matches!(b[at], b'2'..=b'9');
        let ok = if paren {
            groups == [3, 3, 4] && first != b'0' && first != b'1'
        } else if first == b'1' && groups.first() == Some(&1) && sep != b' ' {
            nanp(&groups[1..], i + 2)
        } else if first == b'0' {
            n >= 2
                && (9..=12).contains(&total)
                && groups.iter().all(|&g| g >= 2)
                && (sep != b'.' || groups.iter().all(|&g| g == 2))
        } else {
            nanp(groups, i) && first != b'1'
        };
        if !ok || !self.number_ends(end) || matches!(self.at(end), b'-' | b'/' | b'%') {
            return None;
        }
        let start = if paren { i - 1 } else { i };
        Hit::new(start, end, "[phone]")
    }

    /// International phone number at `+`: a country code digit 1-9, then 8 to
    /// 15 digits in all (E.164), separated by at most two of ` -.()`.
    pub(crate) fn phone(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        if matches!(self.prev(i), Some(p) if is(p, ALNUM) || p == b'+') {
            return None;
        }
        if !matches!(self.at(i + 1), b'1'..=b'9') {
            return None;
        }
        let mut j = i + 1;
        let mut count = 0;
        let mut last = j;
        let mut seps = 0;
        while j < b.len() {
            let c = b[j];
            if c.is_ascii_digit() {
                count += 1;
                if count > 15 {
                    return None;
                }
                seps = 0;
                j += 1;
                last = j;
            } else if matches!(c, b' ' | b'-' | b'.' | b'(' | b')') && seps < 2 {
                seps += 1;
                j += 1;
            } else {
                break;
            }
        }
        if count < 8 || !self.number_ends(last) {
            return None;
        }
        Hit::new(i, last, "[phone]")
    }

    /// IBAN at a letter word start: known country code, its exact length,
    /// optionally in groups of four separated by single spaces, valid mod-97.
    pub(crate) fn iban(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        if !(b[i].is_ascii_alphabetic()
            && self.at(i + 1).is_ascii_alphabetic()
            && self.at(i + 2).is_ascii_digit()
            && self.at(i + 3).is_ascii_digit())
        {
            return None;
        }
        let cc = [b[i].to_ascii_uppercase(), b[i + 1].to_ascii_uppercase()];
        let len = iban_length(cc)?;
        let mut chars = [0u8; 34];
        let mut n = 0;
        let mut j = i;
        while n < len {
            let c = self.at(j);
            if is(c, ALNUM) {
                chars[n] = c;
                n += 1;
                j += 1;
            } else if c == b' ' && n % 4 == 0 && n > 0 && is(self.at(j + 1), ALNUM) {
                j += 1;
            } else {
                return None;
            }
        }
        if is(self.at(j), ALNUM) || self.at(j) == b'[' {
            return None;
        }
        iban_mod97(&chars[..n]).then_some(Hit {
            start: i,
            end: j,
            repl: "[iban]",
        })
    }
}
