//! User names in home-directory paths: `/home/NAME/`, `/Users/NAME/`,
//! `C:\Users\NAME\` (also with `/` or JSON-escaped `\\`). Only the name is
//! replaced, so the rest of the path stays useful for debugging.
//!
//! Not applied inside `http(s)` and other non-`file:` URLs, nor relative web
//! URLs with a query: `https://example.com/home/feed` is a web route.

use super::scan::{is, Hit, Scan, DELIM};
use super::url::Tok;

/// Directory names under the home root that are not people.
const NOT_USERS: &[&[u8]] = &[b"Shared", b"Public", b"Default"];

impl Scan<'_, '_> {
    /// The user name starting at `ns`: up to a separator or one of `: , ; ? #`,
    /// with a trailing sentence period left out.
    fn home_name(&self, ns: usize) -> Option<Hit> {
        let b = self.b;
        let mut ne = ns;
        while ne < b.len()
            && !is(b[ne], DELIM)
            && !matches!(b[ne], b'/' | b':' | b',' | b';' | b'?' | b'#')
        {
            ne += 1;
        }
        while ne > ns && b[ne - 1] == b'.' {
            ne -= 1;
        }
        let name = &b[ns..ne];
        // A name starting with `[` is a placeholder (ours, or one a second
        // pass would see where the first pass put `[ip]` and the like).
        if name.is_empty() || name[0] == b'[' || NOT_USERS.contains(&name) {
            return None;
        }
        Hit::new(ns, ne, "[user]")
    }

    /// `/home/NAME` or `/Users/NAME` at a `/`.
    pub(crate) fn slash_home(&self, i: usize, tok: &Tok) -> Option<Hit> {
        if tok.web_path(i) {
            return None;
        }
        let ns = if self.lit(i, b"/home/") {
            i + 6
        } else if self.lit(i, b"/Users/") {
            i + 7
        } else {
            return None;
        };
        self.home_name(ns)
    }

    /// `C:\Users\NAME` (or `C:/Users/NAME`, `C:\\Users\\NAME`) at the drive
    /// letter.
    pub(crate) fn drive_home(&self, i: usize, tok: &Tok) -> Option<Hit> {
        let b = self.b;
        if self.at(i + 1) != b':' || tok.web_path(i) {
            return None;
        }
        let sep = self.at(i + 2);
        let width = match sep {
            b'/' => 1,
            b'\\' if self.at(i + 3) == b'\\' => 2,
            b'\\' => 1,
            _ => return None,
        };
        let us = i + 2 + width;
        if b.len() < us + 5 + width || !b[us..us + 5].eq_ignore_ascii_case(b"users") {
            return None;
        }
        if b[us + 5..us + 5 + width].iter().any(|&c| c != sep) {
            return None;
        }
        let ns = us + 5 + width;
        // Windows names stop at the next backslash, which is a delimiter.
        self.home_name(ns)
    }
}
