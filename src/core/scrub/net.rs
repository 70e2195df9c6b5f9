//! Emails and IP addresses.

use super::scan::{in_packed, is, pack, packed_len, Hit, Scan, ALNUM, DIGIT, HEX};

/// Local-part bytes we accept. Narrower than RFC 5322 on purpose: `=`, `?`,
/// `/` or `'` before an `@` are far more often query syntax or prose than
/// part of an address.
fn is_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Parses a dotted quad at `i`: four decimal octets 0-255 without leading
/// zeros. Returns the end.
pub(crate) fn parse_ipv4(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for k in 0..4 {
        let s = j;
        let mut v = 0u32;
        while j < b.len() && b[j].is_ascii_digit() && j - s < 3 {
            v = v * 10 + u32::from(b[j] - b'0');
            j += 1;
        }
        let len = j - s;
        if len == 0 || v > 255 || (len > 1 && b[s] == b'0') {
            return None;
        }
        if k < 3 {
            if j >= b.len() || b[j] != b'.' {
                return None;
            }
            j += 1;
        }
    }
    Some(j)
}

/// Words after which a dotted quad is a version, not an address.
const VERSION_WORDS: &[&[u8]] = &[
    b"v",
    b"ver",
    b"build",
    b"chrome",
    b"chromium",
    b"firefox",
    b"edge",
    b"safari",
    b"release",
    b"os",
    b"app",
];
static VERSION_PACKED: [u8; packed_len(VERSION_WORDS)] = pack(VERSION_WORDS);

impl Scan<'_, '_> {
    /// Email at an `@` (or `%40`, `at_len` 3): the local part is found by
    /// looking back at most 64 bytes, the domain by looking ahead at most 253.
    pub(crate) fn email(&self, at: usize, at_len: usize) -> Option<Hit> {
        let b = self.b;
        let floor = self.floor();
        let mut s = at;
        while s > floor && is_local(b[s - 1]) {
            s -= 1;
            if at - s > 64 {
                return None;
            }
        }
        // Leading dots and %XX escapes (an encoded quote or space) are not
        // part of the address.
        loop {
            if s < at && b[s] == b'.' {
                s += 1;
            } else if s + 3 <= at && b[s] == b'%' && is(b[s + 1], HEX) && is(b[s + 2], HEX) {
                s += 3;
            } else {
                break;
            }
        }
        if !b[s..at].iter().any(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let dstart = at + at_len;
        let mut j = dstart;
        let mut labels = 0;
        let mut tld = (0, 0);
        loop {
            let ls = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
                j += 1;
                if j - dstart > 253 {
                    return None;
                }
            }
            if j == ls || b[ls] == b'-' || b[j - 1] == b'-' {
                break;
            }
            labels += 1;
            tld = (ls, j);
            if self.at(j) == b'.' && is(self.at(j + 1), ALNUM) {
                j += 1;
            } else {
                break;
            }
        }
        if labels < 2 {
            return None;
        }
        let t = &b[tld.0..tld.1];
        let tld_ok = (t.len() >= 2 && t.iter().all(u8::is_ascii_alphabetic))
            || (t.len() > 4 && t[..4].eq_ignore_ascii_case(b"xn--"));
        if !tld_ok {
            return None;
        }
        Hit::new(s, tld.1, "[email]")
    }

    /// Whether the word before `i` makes a dotted quad a version number:
    /// `Chrome/124.0.0.0`, `version 1.2.3.4`, `Chrome 124.0.0.0`.
    fn version_context(&self, i: usize) -> bool {
        let b = self.b;
        let floor = self.floor();
        if self.prev(i) == Some(b'/') && i >= 2 && i - 1 > floor && is(b[i - 2], ALNUM) {
            return true;
        }
        let mut j = i;
        let mut skipped = 0;
        while j > floor && skipped < 3 && matches!(b[j - 1], b' ' | b':' | b'=') {
            j -= 1;
            skipped += 1;
        }
        let e = j;
        while j > floor && e - j < 24 && (b[j - 1].is_ascii_alphabetic() || b[j - 1] == b'_') {
            j -= 1;
        }
        let w = &b[j..e];
        if w.is_empty() || (j > floor && is(b[j - 1], ALNUM)) {
            return false;
        }
        let ends_version = w.len() >= 7 && w[w.len() - 7..].eq_ignore_ascii_case(b"version");
        ends_version || in_packed(&VERSION_PACKED, w)
    }

    /// IPv4 at a digit word start.
    pub(crate) fn ipv4(&self, i: usize) -> Option<Hit> {
        if self.prev(i) == Some(b'.') {
            return None;
        }
        let end = parse_ipv4(self.b, i)?;
        let c = self.at(end);
        if is(c, ALNUM) || c == b'[' || (c == b'.' && is(self.at(end + 1), DIGIT)) {
            return None;
        }
        if self.version_context(i) {
            return None;
        }
        Hit::new(i, end, "[ip]")
    }

    /// IPv6 at a hex word start or at `::`. Full form needs 8 groups; a
    /// compressed form needs at least one group. Times (`10:30:00`), MAC
    /// addresses (6 groups) and `line:column` do not parse.
    pub(crate) fn ipv6(&self, i: usize) -> Option<Hit> {
        let b = self.b;
        // Quick reject: an address starts with `::` or with 1-4 hex digits
        // and a colon; most words and numbers do not.
        if b[i] != b':' {
            let h = self.run(i, HEX);
            if h - i > 4 || self.at(h) != b':' {
                return None;
            }
        }
        match self.prev(i) {
            Some(p) if is(p, ALNUM) || p == b':' || p == b'.' => return None,
            _ => {}
        }
        let mut j = i;
        let mut groups = 0;
        let mut double = false;
        if b[j] == b':' {
            if self.at(j + 1) != b':' {
                return None;
            }
            double = true;
            j += 2;
        }
        loop {
            let gs = j;
            while j < b.len() && is(b[j], HEX) && j - gs < 5 {
                j += 1;
            }
            let glen = j - gs;
            if glen == 0 {
                break;
            }
            if glen > 4 {
                return None;
            }
            if self.at(j) == b'.' {
                // Embedded IPv4 tail (`::ffff:192.0.2.1`) counts as 2 groups;
                // any other dot ends the address (checked below).
                if let Some(e) = parse_ipv4(b, gs) {
                    groups += 2;
                    j = e;
                } else {
                    groups += 1;
                }
                break;
            }
            groups += 1;
            if self.at(j) == b':' && self.at(j + 1) == b':' {
                if double {
                    return None;
                }
                double = true;
                j += 2;
                continue;
            }
            if self.at(j) == b':' && is(self.at(j + 1), HEX) && groups < 8 {
                j += 1;
                continue;
            }
            break;
        }
        // `fe80::` alone is too close to `bad::` in prose or code; a
        // compressed address needs two groups unless it starts with `::`.
        let ok = if double {
            (if b[i] == b':' { 1 } else { 2 }..=7).contains(&groups)
        } else {
            groups == 8
        };
        if !ok {
            return None;
        }
        let c = self.at(j);
        if is(c, ALNUM)
            || matches!(c, b':' | b'(' | b'_' | b'[')
            || (c == b'.' && (is(self.at(j + 1), ALNUM) || self.at(j + 1) == b'['))
        {
            return None;
        }
        // Zone index (`fe80::1%eth0`) belongs to the address.
        if c == b'%' && is(self.at(j + 1), ALNUM) {
            j = self.run(j + 1, ALNUM);
        }
        Hit::new(i, j, "[ip]")
    }
}
