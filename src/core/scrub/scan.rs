//! Leaf pieces shared by the scanner walk (`text`) and every detector:
//! byte classes, the replacement [`Hit`], the lazily built output [`Out`] and
//! the [`Scan`] state with its look-around helpers. Depends on nothing else
//! in the scrubber but key matching, so detectors and the walk import it
//! without importing each other.

use std::borrow::Cow;
use std::cell::Cell;

use super::keys::KeyMatcher;

/// ASCII letter or digit.
pub(crate) const ALNUM: u8 = 1;
/// ASCII digit.
pub(crate) const DIGIT: u8 = 2;
/// ASCII hex digit.
pub(crate) const HEX: u8 = 4;
/// Token delimiter: whitespace, control bytes, quotes, brackets that never
/// appear inside a URL.
pub(crate) const DELIM: u8 = 8;
/// base64url alphabet (`A-Z a-z 0-9 - _`).
pub(crate) const B64URL: u8 = 16;
/// Punctuation at which some detector may start.
pub(crate) const TRIGGER: u8 = 32;
/// Relative-URL path bytes (see `url::classify`).
pub(crate) const PATH: u8 = 64;
/// Bytes `classify` must look at: `: ? # = &`.
pub(crate) const URLISH: u8 = 128;

const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        let mut v = 0u8;
        if b.is_ascii_alphanumeric() {
            v |= ALNUM | B64URL;
        }
        if b.is_ascii_digit() {
            v |= DIGIT;
        }
        if b.is_ascii_hexdigit() {
            v |= HEX;
        }
        if b == b'-' || b == b'_' {
            v |= B64URL;
        }
        if b < 0x20
            || b == 0x7f
            || matches!(
                b,
                b' ' | b'"'
                    | b'\''
                    | b'`'
                    | b'<'
                    | b'>'
                    | b'('
                    | b')'
                    | b'{'
                    | b'}'
                    | b'|'
                    | b'\\'
                    | b'^'
            )
        {
            v |= DELIM;
        }
        if matches!(
            b,
            b'@' | b'%'
                | b'+'
                | b'/'
                | b'-'
                | b':'
                | b'"'
                | b'\''
                | b'\\'
                | b'?'
                | b'&'
                | b'#'
                | b';'
        ) {
            v |= TRIGGER;
        }
        // `[` and `]` count as path bytes so that a path holding one of our
        // placeholders classifies the same on a second pass.
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'/' | b'.' | b'_' | b'~' | b'%' | b'+' | b'-' | b'[' | b']'
            )
        {
            v |= PATH;
        }
        if matches!(b, b':' | b'?' | b'#' | b'=' | b'&') {
            v |= URLISH;
        }
        t[c] = v;
        c += 1;
    }
    t
}

/// Byte classes, indexed by byte value.
pub(crate) static CLASS: [u8; 256] = build_classes();

#[inline]
pub(crate) fn is(c: u8, class: u8) -> bool {
    CLASS[c as usize] & class != 0
}

/// ASCII case-insensitive equality, lengths compared first. The hot
/// callers look words up in lists where almost every entry has another
/// length; std's `eq_ignore_ascii_case` only rejects those after a call
/// (the size-tuned build does not inline it), which was a tenth of the
/// scan. Only the length check is inlined.
#[inline(always)]
pub(crate) fn eq_ic(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && same_ic(a, b)
}

/// The bytes of `eq_ic`, for callers that compared the lengths already.
/// std's loop: a hand-written zip of `u8::eq_ignore_ascii_case` cost
/// 300 bytes of gzipped wasm more.
pub(crate) fn same_ic(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Bytes of a word list packed by [`pack`].
pub(crate) const fn packed_len(list: &[&[u8]]) -> usize {
    let mut n = 0;
    let mut k = 0;
    while k < list.len() {
        n += 1 + list[k].len();
        k += 1;
    }
    n
}

/// A word list as it ships: one byte string, each word preceded by its
/// length, shortest words first. A `&[&[u8]]` ships an address and a
/// length per word (8 bytes in wasm32), which compress far worse than the
/// words; the order lets [`in_packed`] stop at the first longer word.
pub(crate) const fn pack<const N: usize>(list: &[&[u8]]) -> [u8; N] {
    let mut t = [0u8; N];
    let mut n = 0;
    let mut len = 1;
    while len < 256 {
        let mut k = 0;
        while k < list.len() {
            let w = list[k];
            if w.len() == len {
                t[n] = len as u8;
                let mut q = 0;
                while q < len {
                    t[n + 1 + q] = w[q];
                    q += 1;
                }
                n += 1 + len;
            }
            k += 1;
        }
        len += 1;
    }
    assert!(n == N, "word lists hold words of 1 to 255 bytes");
    t
}

/// The words `packed` by [`pack`], shortest first.
pub(crate) fn packed_words(packed: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut k = 0;
    std::iter::from_fn(move || {
        let n = usize::from(*packed.get(k)?);
        let w = packed.get(k + 1..k + 1 + n)?;
        k += 1 + n;
        Some(w)
    })
}

/// Whether `w` is one of the lower-case words `packed` by [`pack`], in
/// any case. Lengths and first bytes are compared inline: they reject
/// almost every entry, and the scan ends at the first longer word.
pub(crate) fn in_packed(packed: &[u8], w: &[u8]) -> bool {
    let mut k = 0;
    while k < packed.len() {
        let n = usize::from(packed[k]);
        if n > w.len() {
            return false;
        }
        if n == w.len() {
            if let Some(e) = packed.get(k + 1..k + 1 + n) {
                if e[0] | 0x20 == w[0] | 0x20 && same_ic(w, e) {
                    return true;
                }
            }
        }
        k += 1 + n;
    }
    false
}

/// A replacement: bytes `start..end` of the input become `repl`.
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub repl: &'static str,
}

impl Hit {
    pub(crate) fn new(start: usize, end: usize, repl: &'static str) -> Option<Hit> {
        Some(Hit { start, end, repl })
    }
}

/// Lazily built output.
pub(crate) struct Out<'a> {
    src: &'a str,
    buf: String,
    /// Input consumed up to here (copied or replaced).
    last: usize,
    /// Whether `last` is the end of a placeholder written by this pass.
    pub(crate) after_placeholder: bool,
}

impl<'a> Out<'a> {
    /// An output over `src` with nothing replaced yet.
    pub(crate) fn new(src: &'a str) -> Self {
        Out {
            src,
            buf: String::new(),
            last: 0,
            after_placeholder: false,
        }
    }

    pub(crate) fn replace(&mut self, start: usize, end: usize, repl: &str) {
        debug_assert!(self.last <= start && start <= end);
        if start < self.last || end < start {
            // Cannot happen (detectors never reach before the last
            // replacement); refusing beats panicking on a slice.
            return;
        }
        // Already a placeholder: leave it. Keeps the second pass allocation
        // free and its view of the text identical to the first.
        if &self.src.as_bytes()[start..end] == repl.as_bytes() {
            return;
        }
        if self.buf.capacity() == 0 {
            self.buf.reserve(self.src.len());
        }
        self.buf.push_str(&self.src[self.last..start]);
        self.buf.push_str(repl);
        self.last = end;
        self.after_placeholder = true;
    }

    pub(crate) fn finish(mut self) -> Cow<'a, str> {
        if self.buf.capacity() == 0 && self.last == 0 {
            return Cow::Borrowed(self.src);
        }
        self.buf.push_str(&self.src[self.last..]);
        Cow::Owned(self.buf)
    }
}

/// The scanner state shared by all detectors.
pub(crate) struct Scan<'a, 'k> {
    pub b: &'a [u8],
    pub keys: &'k KeyMatcher,
    pub(crate) out: Out<'a>,
    /// `text_kv` found no `name=` for word starts before this position.
    pub kv_skip: Cell<usize>,
    /// The last name found without a part that may start a listed word
    /// (`Tier::Never`; start, end; `(0, 0)` for none).
    pub tierless: Cell<(usize, usize)>,
    /// The last run scanned by [`Scan::memo_run`] in each slot. Borrowed
    /// from the pass's frame: held by value, the zeroed array was built
    /// and then copied into the state, twice the stores per pass.
    pub runs: &'k [Cell<(usize, usize)>; RUN_SLOTS],
}

/// Slots of [`Scan::memo_run`]: one per vendor body alphabet, then
/// unquoted values and names in `assign`.
pub(crate) const RUN_SLOTS: usize = 13;

impl Scan<'_, '_> {
    /// Position before which detectors must not look or reach back.
    #[inline]
    pub(crate) fn floor(&self) -> usize {
        self.out.last
    }

    /// The byte before `i` as a second pass would see it: `]` right after a
    /// placeholder, `None` at the start of the text. Inlined: called at
    /// most word starts, where the call cost more than the body.
    #[inline(always)]
    pub(crate) fn prev(&self, i: usize) -> Option<u8> {
        if i == 0 {
            None
        } else if i == self.out.last && self.out.after_placeholder {
            Some(b']')
        } else {
            // `get` rather than an index: no panic branch in each of the
            // many places this is inlined.
            self.b.get(i - 1).copied()
        }
    }

    /// Whether the byte before `i` (as seen by `prev`) is in `class`.
    #[inline]
    pub(crate) fn prev_is(&self, i: usize, class: u8) -> bool {
        matches!(self.prev(i), Some(c) if is(c, class))
    }

    /// Byte at `i`, or 0 past the end (0 is in no class but DELIM).
    #[inline]
    pub(crate) fn at(&self, i: usize) -> u8 {
        if i < self.b.len() {
            self.b[i]
        } else {
            0
        }
    }

    /// Whether the input at `i` starts with `lit`. A byte loop: literals
    /// are a few bytes and most calls fail on the first one, where a
    /// `memcmp` call would cost more than the comparison.
    #[inline]
    pub(crate) fn lit(&self, i: usize, lit: &[u8]) -> bool {
        let b = self.b;
        if b.len() < i || b.len() - i < lit.len() {
            return false;
        }
        let mut k = 0;
        while k < lit.len() {
            if b[i + k] != lit[k] {
                return false;
            }
            k += 1;
        }
        true
    }

    /// End of the run of bytes accepted by `accept` starting at `i`, where
    /// `slot` names `accept` (one slot, one predicate). A run already
    /// scanned from an earlier start that covers `i` ends at the same place:
    /// remembering it keeps repeated starts inside one long run
    /// (`sk-sk-sk-...`, `KEY=KEY=KEY=...`) from each scanning to its end,
    /// which would make the pass quadratic.
    #[inline]
    pub(crate) fn memo_run(&self, slot: usize, i: usize, accept: impl Fn(u8) -> bool) -> usize {
        let (s, e) = self.runs[slot].get();
        // `(0, 0)`, the initial value, is no memo (an empty run at 0 is
        // scanned again): zeroed slots cost less to set up per pass than
        // a sentinel copied into each.
        if s <= i && i <= e && e > 0 {
            return e;
        }
        let mut j = i;
        while j < self.b.len() && accept(self.b[j]) {
            j += 1;
        }
        self.runs[slot].set((i, j));
        j
    }

    /// End of the run of bytes in `class` starting at `i`.
    #[inline]
    pub(crate) fn run(&self, mut i: usize, class: u8) -> usize {
        while i < self.b.len() && is(self.b[i], class) {
            i += 1;
        }
        i
    }
}
