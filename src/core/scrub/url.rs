//! URLs: credentials in the authority and sensitive query/fragment parameters.
//!
//! Parameters are only filtered inside URLs (so `key=ArrowDown` in a message
//! is left alone while `?key=AIza...` is not). What counts as "inside a URL"
//! is decided once per token by [`Scan::classify`]:
//! - a token containing `scheme://`: parameters after the authority
//!   (`? & # ;`, so `;jsessionid=` path parameters too);
//! - a relative URL (`/cb?code=...`, `page.html#access_token=...`): a `?` or
//!   `#` preceded by a path (only path characters, with a `/` or `.`);
//! - a form body (`grant_type=x&code=y`): a token starting with `name=` and
//!   holding a `&`.

use super::scan::{Hit, Scan, CLASS, DELIM, PATH, URLISH};

/// The classification of the current token.
///
/// Idempotence constrains what a classification may depend on: a second
/// pass sees placeholders where the first pass replaced text, so a rule must
/// not hinge on bytes a later replacement in the same token could remove.
/// Hence the narrow relative-URL rule (a pure path before the `?`, which no
/// detector can consume) and [`Tok::consumed`], which turns a URL token into
/// plain text once a replacement swallowed its `://`.
pub(crate) struct Tok {
    /// First byte of the token.
    pub start: usize,
    /// One past the last byte (trailing sentence punctuation excluded).
    pub end: usize,
    /// Separators `? & # ;` at or after this position start parameters.
    pub params_from: usize,
    /// `user:pass` span of `scheme://user:pass@host` (empty when none).
    pub userinfo: (usize, usize),
    /// Position of the `:` of `://` (URL tokens).
    pub scheme_sep: usize,
    /// First byte of the scheme (URL tokens).
    pub scheme_start: usize,
    /// Kind of token, for rules that depend on it.
    pub kind: Kind,
    /// Whether `classify` ran. Classification is lazy: most tokens are
    /// plain words and numbers, and only a token holding one of `: ? # = &`
    /// (or about to be asked about home paths or form bodies) is scanned.
    /// An unclassified token behaves as plain text of unknown end.
    pub classified: bool,
}

/// What a token looks like.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Plain,
    /// Has `scheme://`; `file` tells a `file:` URL (home paths still apply).
    Url {
        file: bool,
    },
    /// Relative URL: a path, then a query or fragment.
    RelUrl,
    /// `name=value&name=value`.
    Form,
}

impl Tok {
    /// A token starting at `start`, not classified yet.
    pub(crate) fn pending(start: usize) -> Tok {
        Tok {
            start,
            end: usize::MAX,
            params_from: usize::MAX,
            userinfo: (usize::MAX, 0),
            scheme_sep: usize::MAX,
            scheme_start: usize::MAX,
            kind: Kind::Plain,
            classified: false,
        }
    }

    pub(crate) fn query_like(&self) -> bool {
        self.kind == Kind::Form
    }

    /// Whether `/home/x` at `i` is a web route rather than a filesystem
    /// path: after the `://` of a non-`file:` URL, or in a relative URL.
    pub(crate) fn web_path(&self, i: usize) -> bool {
        match self.kind {
            Kind::Url { file: false } => self.scheme_sep < i,
            Kind::RelUrl => true,
            _ => false,
        }
    }

    /// Called after a replacement of `start..end`: if it touched the scheme
    /// or the `://`, the rest of the token is no longer a URL (and a second
    /// pass will not see one either).
    pub(crate) fn consumed(&mut self, start: usize, end: usize) {
        if matches!(self.kind, Kind::Url { .. })
            && start <= self.scheme_sep
            && end > self.scheme_start.saturating_sub(1)
        {
            self.kind = Kind::Plain;
            self.params_from = usize::MAX;
            self.userinfo = (usize::MAX, 0);
        }
    }
}

fn is_scheme_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'.' || c == b'-'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']')
}

impl Scan<'_, '_> {
    /// Classifies the token starting at `i` (a non-delimiter byte). Scans to
    /// the token's end once; tokens never overlap, so this is linear overall.
    pub(crate) fn classify(&self, i: usize) -> Tok {
        let b = self.b;
        // Most tokens are words or numbers without any of `: ? # = &`: find
        // the end in a tight loop and stop there.
        let mut j = i;
        while j < b.len() && CLASS[b[j] as usize] & (DELIM | URLISH) == 0 {
            j += 1;
        }
        if j >= b.len() || CLASS[b[j] as usize] & DELIM != 0 {
            let mut end = j;
            while end > i && matches!(b[end - 1], b'.' | b',' | b';' | b'!') {
                end -= 1;
            }
            let mut tok = Tok::pending(i);
            tok.end = end;
            tok.classified = true;
            return tok;
        }
        // Continue from the first `: ? # = &`; only those bytes matter here.
        let mut scheme_sep = None;
        let mut first_q = None;
        let mut first_eq = None;
        let mut amp = false;
        while j < b.len() {
            let cls = CLASS[b[j] as usize];
            if cls & (DELIM | URLISH) == 0 {
                j += 1;
                continue;
            }
            if cls & DELIM != 0 {
                break;
            }
            match b[j] {
                b':' if scheme_sep.is_none()
                    && b.get(j + 1) == Some(&b'/')
                    && b.get(j + 2) == Some(&b'/') =>
                {
                    scheme_sep = Some(j)
                }
                b'?' | b'#' if first_q.is_none() => first_q = Some(j),
                b'=' if first_eq.is_none() => first_eq = Some(j),
                b'&' => amp = true,
                _ => {}
            }
            j += 1;
        }
        let mut end = j;
        while end > i && matches!(b[end - 1], b'.' | b',' | b':' | b';' | b'!' | b'?') {
            end -= 1;
        }
        let mut tok = Tok::pending(i);
        tok.end = end;
        tok.classified = true;
        if let Some(p) = scheme_sep.filter(|&p| p + 3 <= end) {
            let mut s = p;
            while s > i && p - s < 32 && is_scheme_char(b[s - 1]) {
                s -= 1;
            }
            while s < p && !b[s].is_ascii_alphabetic() {
                s += 1;
            }
            if s < p {
                let auth_start = p + 3;
                let mut auth_end = auth_start;
                let mut at = None;
                while auth_end < end && !matches!(b[auth_end], b'/' | b'?' | b'#' | b'\\') {
                    if b[auth_end] == b'@' {
                        at = Some(auth_end);
                    }
                    auth_end += 1;
                }
                if let Some(at) = at.filter(|&at| at > auth_start) {
                    tok.userinfo = (auth_start, at);
                }
                tok.params_from = auth_end;
                tok.scheme_sep = p;
                tok.scheme_start = s;
                tok.kind = Kind::Url {
                    file: b[s..p].eq_ignore_ascii_case(b"file"),
                };
                return tok;
            }
        }
        // A relative URL: only path bytes before the `?`, with a `/` or `.`.
        let rel_url = |q: usize| {
            let prefix = &b[i..q];
            prefix.iter().all(|&c| CLASS[c as usize] & PATH != 0)
                && prefix.iter().any(|&c| c == b'/' || c == b'.')
        };
        if let Some(q) = first_q.filter(|&q| q > i && q < end && rel_url(q)) {
            tok.params_from = q;
            tok.kind = Kind::RelUrl;
        } else if amp {
            if let Some(e) = first_eq {
                if e > i && b[i..e].iter().all(|&c| is_name_char(c)) {
                    tok.params_from = i;
                    tok.kind = Kind::Form;
                }
            }
        }
        tok
    }

    /// A parameter whose name starts at `name_start` (right after a separator
    /// at `sep`, or at the start of a form token). Replaces the value of a
    /// sensitive parameter with `[Filtered]`.
    pub(crate) fn url_param(&self, sep: usize, name_start: usize, tok: &Tok) -> Option<Hit> {
        let b = self.b;
        let end = tok.end;
        let mut j = name_start;
        while j < end
            && j - name_start <= 64
            && !matches!(b[j], b'=' | b'&' | b'#' | b';' | b'?' | b'/')
        {
            j += 1;
        }
        if j >= end || b[j] != b'=' || j == name_start || j - name_start > 64 {
            return None;
        }
        if !self.keys.is_sensitive_param(&b[name_start..j]) {
            return None;
        }
        let vstart = j + 1;
        let path_param = sep < b.len() && b[sep] == b';';
        let mut v = vstart;
        while v < end {
            let c = b[v];
            if c == b'&' || c == b'#' || (path_param && matches!(c, b';' | b'?' | b'/')) {
                break;
            }
            v += 1;
        }
        if v == vstart {
            return None;
        }
        Hit::new(vstart, v, "[Filtered]")
    }
}
