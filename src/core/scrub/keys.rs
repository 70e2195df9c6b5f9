//! Key-name matching on word parts.
//!
//! Substring matching (what sentry-javascript and Relay's `@password` do) hits
//! `author` for `auth` and `keyboard` for `key`. Here a key is split into word
//! parts (on any ASCII punctuation or space, on camelCase and acronym
//! boundaries, and between letters and digits), lower-cased, and a deny entry
//! matches when its own parts appear as consecutive parts of the key:
//! `X-Api-Key` is `[x, api, key]` and contains `api key`; `tokenizer_version`
//! is `[tokenizer, version]` and contains no entry.

use super::scan::{eq_ic, in_packed, pack, packed_len, packed_words};

/// The base deny list (`docs/DESIGN.md` section 6), as written by users: each entry is split into
/// parts the same way keys are, so `api_key` matches `apiKey` and `X-API-KEY`.
const BASE_DENY: &[&[u8]] = &[
    b"password",
    b"passwords",
    b"passwd",
    b"pwd",
    b"passphrase",
    b"secret",
    b"secrets",
    b"token",
    b"api_key",
    b"apikey",
    b"auth",
    b"authorization",
    b"credentials",
    b"credential",
    b"cookie",
    b"cookies",
    b"session",
    b"sessionid",
    b"csrf",
    b"xsrf",
    b"private_key",
    b"privatekey",
    b"jwt",
    b"bearer",
];
static BASE_DENY_PACKED: [u8; packed_len(BASE_DENY)] = pack(BASE_DENY);

/// A match is ignored when the key's only remaining part after the matched
/// entry is one of these: `token_count`, `session_timeout`, `auth_type` or
/// `password_required` describe the secret without holding it, and dropping
/// them hurts debugging for no privacy gain. `sessionId`, `tokenValue` or
/// `auth_header` still match.
const NEUTRAL_SUFFIX: &[&[u8]] = &[
    b"count",
    b"length",
    b"len",
    b"size",
    b"type",
    b"kind",
    b"ttl",
    b"timeout",
    b"duration",
    b"expiry",
    b"expires",
    b"expired",
    b"status",
    b"version",
    b"enabled",
    b"required",
    b"present",
    b"valid",
    b"strength",
    b"policy",
    b"url",
    b"uri",
    b"endpoint",
    b"mode",
    b"method",
    b"provider",
    b"scheme",
];
static NEUTRAL_PACKED: [u8; packed_len(NEUTRAL_SUFFIX)] = pack(NEUTRAL_SUFFIX);

/// Names that hold a credential when a value is assigned to them in text
/// (`DB_PASS=...`, `pw: ...`), on top of the deny list. Not used for JSON
/// keys, where `pass` or `pw` are too often something else.
const TEXT_DENY: &[&[u8]] = &[
    b"pass",
    b"pw",
    b"psw",
    b"pswd",
    b"passcode",
    b"creds",
    b"connection_string",
    b"conn_str",
];
static TEXT_DENY_PACKED: [u8; packed_len(TEXT_DENY)] = pack(TEXT_DENY);

/// Name parts that mark a credential when the value also looks generated
/// (`STRIPE_KEY=...`, `signature: ...`): a `key` may also be a keyboard key
/// or a cache key, whose values are words or paths.
const CREDENTIAL_WORDS: &[&[u8]] = &[
    b"key",
    b"keys",
    b"signature",
    b"sig",
    b"salt",
    b"hmac",
    b"access",
    b"pat",
    b"sas",
    b"cred",
    b"seed",
    b"license",
    b"sk",
    b"ak",
];
static CREDENTIAL_WORDS_PACKED: [u8; packed_len(CREDENTIAL_WORDS)] = pack(CREDENTIAL_WORDS);

/// Name parts that make a `key` something else than a credential, one
/// string of words separated by spaces: a slice of `&[u8]` would ship an
/// address and a length per word, and this list is only read on the rare
/// names that hold a credential word.
const NOT_CREDENTIAL: &[u8] = b"public publishable pub cache primary foreign sort partition row \
    idempotency dedup dedupe lookup map i18n translation hot react unique \
    composite group index shard routing object file path local storage \
    item event message site query hash checksum digest etag commit sha id \
    kid fingerprint hint press code name label count version type list \
    control log trace request state";

/// Whether `word` is one of the space-separated `words`, in any case.
fn in_words(words: &[u8], word: &[u8]) -> bool {
    words.split(|&c| c == b' ').any(|w| eq_ic(w, word))
}

/// Whether `word` (one word, any case) turns a following `key` into
/// something else than a credential (`cache key`, `public key`).
pub(crate) fn is_not_credential(word: &[u8]) -> bool {
    in_words(NOT_CREDENTIAL, word)
}

/// Query and fragment parameter names that carry secrets in URLs. Compared
/// whole and case-insensitively, on top of the key deny list: `code`, `state`,
/// `key` or `sig` are secrets in a URL but ordinary words in a message.
const URL_PARAMS: &[&[u8]] = &[
    b"token",
    b"access_token",
    b"id_token",
    b"refresh_token",
    b"code",
    b"code_verifier",
    b"state",
    b"key",
    b"api_key",
    b"apikey",
    b"password",
    b"passwd",
    b"pwd",
    b"secret",
    b"client_secret",
    b"signature",
    b"sig",
    b"x-amz-signature",
    b"x-amz-credential",
    b"x-amz-security-token",
    b"x-goog-signature",
    b"x-goog-credential",
    b"session",
    b"sessionid",
    b"session_id",
    b"sid",
    b"jsessionid",
    b"phpsessid",
    b"auth",
    b"jwt",
    b"otp",
];
static URL_PARAMS_PACKED: [u8; packed_len(URL_PARAMS)] = pack(URL_PARAMS);

/// Iterator over the word parts of a key, as byte ranges.
struct Parts<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parts<'a> {
    fn new(key: &'a [u8]) -> Self {
        Parts { b: key, i: 0 }
    }
}

/// Parts [`split`] keeps on the stack: keys and names rarely have more,
/// and a larger array cost its initialisation on every split.
const STACK_PARTS: usize = 8;

/// Calls `f` with the parts of `key`, on the stack for up to
/// [`STACK_PARTS`] parts, else on the heap.
fn split<R>(key: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> R {
    let mut arr: [&[u8]; STACK_PARTS] = [&[]; STACK_PARTS];
    let mut n = 0;
    let mut it = Parts::new(key);
    for p in it.by_ref() {
        if n == arr.len() {
            let mut v: Vec<&[u8]> = arr.to_vec();
            v.push(p);
            v.extend(it);
            return f(&v);
        }
        arr[n] = p;
        n += 1;
    }
    f(&arr[..n])
}

/// Character kinds for boundary detection; bytes >= 0x80 count as lower-case
/// letters so non-ASCII keys split only on ASCII punctuation.
#[derive(Clone, Copy, PartialEq)]
enum K {
    Sep,
    Lower,
    Upper,
    Digit,
}

/// Inlined: it runs twice per byte of every name split.
#[inline(always)]
fn kind(c: u8) -> K {
    match c {
        b'a'..=b'z' => K::Lower,
        b'A'..=b'Z' => K::Upper,
        b'0'..=b'9' => K::Digit,
        0x80..=0xff => K::Lower,
        _ => K::Sep,
    }
}

/// Names of our own placeholders (`[token]`, `[secret]`...). A scrubbed
/// name such as `?[secret]=x` must not turn sensitive on a second pass just
/// because the placeholder spells a deny-listed word.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"email",
    b"creditcard",
    b"iban",
    b"ip",
    b"jwt",
    b"token",
    b"secret",
    b"auth",
    b"Filtered",
    b"user",
    b"pemkey",
    b"phone",
    b"ssn",
];

impl<'a> Iterator for Parts<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let (start, part) = self.next_raw()?;
            // A placeholder always follows a non-alphanumeric byte (every
            // detector starts at a word boundary), so `user[token]` is a
            // real name while `?[token]=` is scrubber output.
            let end = start + part.len();
            let bracketed = start > 0
                && self.b[start - 1] == b'['
                && self.b.get(end) == Some(&b']')
                && (start == 1 || !self.b[start - 2].is_ascii_alphanumeric());
            if bracketed && PLACEHOLDER_WORDS.contains(&part) {
                continue;
            }
            return Some(part);
        }
    }
}

impl<'a> Parts<'a> {
    fn next_raw(&mut self) -> Option<(usize, &'a [u8])> {
        let b = self.b;
        while self.i < b.len() && kind(b[self.i]) == K::Sep {
            self.i += 1;
        }
        if self.i >= b.len() {
            return None;
        }
        let start = self.i;
        let mut j = start + 1;
        let mut p = kind(b[start]);
        while j < b.len() {
            let c = kind(b[j]);
            let split = match (p, c) {
                (_, K::Sep) => true,
                (K::Lower, K::Upper) => true,
                (K::Digit, K::Lower | K::Upper) | (K::Lower | K::Upper, K::Digit) => true,
                // `APIKey`: the last capital of a run starts the next word.
                (K::Upper, K::Upper) => j + 1 < b.len() && kind(b[j + 1]) == K::Lower,
                _ => false,
            };
            if split {
                break;
            }
            p = c;
            j += 1;
        }
        self.i = j;
        Some((start, &b[start..j]))
    }
}

/// The lower-cased parts of `s`. Loops rather than `collect` here and in
/// [`KeyMatcher::new`]: each `collect` into a new element type links its own
/// copy of std's iterator-to-`Vec` code (about 300 B of wasm each).
fn lower_parts(s: &[u8]) -> Vec<Vec<u8>> {
    let mut parts = Vec::new();
    for p in Parts::new(s) {
        parts.push(p.to_ascii_lowercase());
    }
    parts
}

/// The lower-cased parts of each entry of a packed word list.
fn lower_entries(packed: &'static [u8]) -> Vec<Vec<Vec<u8>>> {
    let mut entries = Vec::new();
    for word in packed_words(packed) {
        entries.push(lower_parts(word));
    }
    entries
}

/// Parts joined by `_`, lower-cased: the canonical form used for allow-list
/// comparison, so allowing `token_count` also allows `tokenCount`.
///
/// Bytes rather than text: names cut from a `str` at ASCII bytes need no
/// UTF-8 check (`str::from_utf8` would link the validator for them).
fn canonical(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for p in Parts::new(s) {
        if !out.is_empty() {
            out.push(b'_');
        }
        let start = out.len();
        out.extend_from_slice(p);
        if let Some(part) = out.get_mut(start..) {
            part.make_ascii_lowercase();
        }
    }
    out
}

/// What a name in text says about the value assigned to it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tier {
    /// Not a credential's name.
    None,
    /// Not a credential's name, and no part of it may start a listed word
    /// (`Error`, `runtime.lastError`). The parts after a separator are the
    /// parts of the name cut there, so no tail of such a name (cut after
    /// an ASCII separator) is a credential's name either.
    Never,
    /// A credential's name (`password`, `api_key`, `DB_PASS`): any real
    /// value is filtered.
    Any,
    /// A name that holds a credential in text but is also a common word
    /// (`pass`, `pw`): unquoted values must look like a secret.
    Weak,
    /// A name that often holds a credential (`STRIPE_KEY`, `signature`):
    /// the value is filtered when it looks generated.
    Random,
}

/// A list of entries split into lower-case parts, with each entry's first
/// byte and first part's length alongside: matching scans these heads and
/// follows an entry's pointers only when its head fits, where comparing
/// the parts of every entry cost about twenty instructions each.
struct Entries {
    parts: Vec<Vec<Vec<u8>>>,
    heads: Vec<(u8, usize)>,
}

impl Entries {
    /// Parts are never empty, nor are entries.
    fn new(parts: Vec<Vec<Vec<u8>>>) -> Self {
        let mut heads = Vec::with_capacity(parts.len());
        for e in &parts {
            heads.push((e[0][0], e[0].len()));
        }
        Entries { parts, heads }
    }
}

/// Compiled deny and allow lists.
pub(crate) struct KeyMatcher {
    deny: Entries,
    text_deny: Entries,
    allow: Vec<Vec<u8>>,
    /// For each lower-cased first byte, a bit per length (1..63) of the deny
    /// entries' first parts starting with it. Most parts of most keys
    /// (`event`, `page`, `q`) start no entry, and this rejects them with one
    /// lookup instead of a comparison per entry.
    first: Box<[u64; 256]>,
    /// The same for the first parts of [`TEXT_DENY`] entries and for
    /// [`CREDENTIAL_WORDS`]: most names in text hold none of them.
    first_text: Box<[u64; 256]>,
}

impl KeyMatcher {
    pub(crate) fn new(extra_deny: &[String], allow: &[String]) -> Self {
        let mut deny = lower_entries(&BASE_DENY_PACKED);
        for e in extra_deny {
            let p = lower_parts(e.as_bytes());
            if !p.is_empty() && !deny.contains(&p) {
                deny.push(p);
            }
        }
        let mut allowed = Vec::new();
        for a in allow {
            let a = canonical(a.as_bytes());
            if !a.is_empty() {
                allowed.push(a);
            }
        }
        let mut first = Box::new([0u64; 256]);
        for e in &deny {
            let p = &e[0];
            // Parts are never empty; longer than 63 bytes matches nothing
            // real, but keep it exact by marking bit 0 ("check anyway").
            let bit = if p.len() < 64 { 1u64 << p.len() } else { 1 };
            first[usize::from(p[0].to_ascii_lowercase())] |= bit;
        }
        let text_deny = lower_entries(&TEXT_DENY_PACKED);
        let mut first_text = Box::new([0u64; 256]);
        for p in text_deny
            .iter()
            .map(|e| &e[0][..])
            .chain(packed_words(&CREDENTIAL_WORDS_PACKED))
        {
            first_text[usize::from(p[0])] |= 1u64 << p.len();
        }
        KeyMatcher {
            deny: Entries::new(deny),
            text_deny: Entries::new(text_deny),
            allow: allowed,
            first,
            first_text,
        }
    }

    /// Whether the key is explicitly allowed (`scrub.allowKeys`).
    pub(crate) fn is_allowed(&self, key: &[u8]) -> bool {
        !self.allow.is_empty() && self.allow.contains(&canonical(key))
    }

    /// Deny-list match on word parts, ignoring the allow list. The key is
    /// split once and each deny entry is compared at each part position.
    pub(crate) fn matches_deny(&self, key: &[u8]) -> bool {
        split(key, |parts| self.match_parts(parts))
    }

    fn match_parts(&self, parts: &[&[u8]]) -> bool {
        let n = parts.len();
        for s in 0..n {
            let p = parts[s];
            let mask = self.first[usize::from(p[0].to_ascii_lowercase())];
            let bit = if p.len() < 64 { 1u64 << p.len() } else { 1 };
            if mask & (bit | 1) == 0 {
                continue;
            }
            if Self::match_at(&self.deny, parts, s) {
                return true;
            }
        }
        false
    }

    /// Whether an entry of `list` matches `parts` from part `s` on, and is
    /// not followed by a single neutral part.
    fn match_at(list: &Entries, parts: &[&[u8]], s: usize) -> bool {
        let n = parts.len();
        let rest = &parts[s..];
        let key = (rest[0][0].to_ascii_lowercase(), rest[0].len());
        for (k, head) in list.heads.iter().enumerate() {
            // Only the heads are read in the loop: zipping them with the
            // entries cost more than the comparisons in the size-tuned
            // build, and indexing called `Vec::index`.
            if *head != key {
                continue;
            }
            let Some(entry) = list.parts.get(k) else {
                continue;
            };
            let len = entry.len();
            if len > rest.len() || !entry.iter().zip(rest).all(|(e, p)| eq_ic(p, e)) {
                continue;
            }
            // Matched; ignore it only when exactly one neutral part follows.
            if s + len + 1 == n && in_packed(&NEUTRAL_PACKED, parts[n - 1]) {
                continue;
            }
            return true;
        }
        false
    }

    /// Calls `f` with the parts of `key`; `None` for more than 24 parts.
    fn with_parts<R>(key: &[u8], f: impl FnOnce(&[&[u8]]) -> R) -> Option<R> {
        split(key, |parts| {
            if parts.len() > 24 {
                None
            } else {
                Some(f(parts))
            }
        })
    }

    /// How a name seen in text before an assigned value (`name=value`,
    /// `name: value`, `<name>value</name>`) is treated. The name is split
    /// once; most names (`event`, `Error`) hold no part that starts any
    /// listed word, which one lookup per part tells.
    pub(crate) fn text_tier(&self, name: &[u8]) -> Tier {
        if self.is_allowed(name) {
            return Tier::None;
        }
        // Most names (`event`, `page`, `Error`) hold no part that starts a
        // listed word, which one pass over the parts tells, before they
        // are collected and matched.
        let may = Parts::new(name).any(|p| {
            let c = usize::from(p[0].to_ascii_lowercase());
            let bit = if p.len() < 64 { 1u64 << p.len() } else { 1 };
            self.first[c] & (bit | 1) != 0 || (p.len() < 64 && self.first_text[c] & bit != 0)
        });
        if !may {
            return Tier::Never;
        }
        Self::with_parts(name, |parts| {
            if self.match_parts(parts) {
                return Tier::Any;
            }
            // Whether `p` may start a `TEXT_DENY` entry or be a credential
            // word: most parts are neither, and skip the comparisons.
            let starts = |p: &[u8]| {
                p.len() < 64
                    && self.first_text[usize::from(p[0].to_ascii_lowercase())] & (1u64 << p.len())
                        != 0
            };
            if !parts.iter().any(|p| starts(p)) {
                return Tier::None;
            }
            if (0..parts.len())
                .any(|s| starts(parts[s]) && Self::match_at(&self.text_deny, parts, s))
            {
                return Tier::Weak;
            }
            let has = |list: &[u8]| parts.iter().any(|p| starts(p) && in_packed(list, p));
            // A name of one part that is a credential word holds no
            // `NOT_CREDENTIAL` part (the lists share no word): `key=...`
            // skips scanning that list, which cost more than the rest.
            if has(&CREDENTIAL_WORDS_PACKED)
                && !(parts.len() > 1 && parts.iter().any(|p| in_words(NOT_CREDENTIAL, p)))
            {
                Tier::Random
            } else {
                Tier::None
            }
        })
        .unwrap_or_else(|| {
            // Over 24 parts: only the deny list, as for keys.
            if self.matches_deny(name) {
                Tier::Any
            } else {
                Tier::None
            }
        })
    }

    /// Key-based filtering decision: denied and not allowed.
    pub(crate) fn is_sensitive(&self, key: &str) -> bool {
        self.matches_deny(key.as_bytes()) && !self.is_allowed(key.as_bytes())
    }

    /// URL query/fragment parameter decision: the URL list (whole name) or the
    /// key deny list, unless allowed.
    pub(crate) fn is_sensitive_param(&self, name: &[u8]) -> bool {
        let listed = in_packed(&URL_PARAMS_PACKED, name);
        (listed || self.matches_deny(name)) && !self.is_allowed(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> Vec<String> {
        Parts::new(s.as_bytes())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    }

    #[test]
    fn splitting() {
        assert_eq!(parts("X-Api-Key"), ["X", "Api", "Key"]);
        assert_eq!(parts("sessionId"), ["session", "Id"]);
        assert_eq!(parts("APIKey"), ["API", "Key"]);
        assert_eq!(parts("myAPIKey2"), ["my", "API", "Key", "2"]);
        assert_eq!(parts("user_password"), ["user", "password"]);
        assert_eq!(parts("a.b c"), ["a", "b", "c"]);
        assert_eq!(parts(""), Vec::<String>::new());
    }

    #[test]
    fn base_matches() {
        let m = KeyMatcher::new(&[], &[]);
        for k in [
            "password",
            "user_password",
            "X-Api-Key",
            "apiKey",
            "APIKEY",
            "sessionId",
            "session_id",
            "access_token",
            "refreshToken",
            "Authorization",
            "csrfToken",
            "XSRF-TOKEN",
            "privateKey",
            "private_key",
            "set-cookie",
            "client_secret",
            "jwt",
            "auth",
        ] {
            assert!(m.is_sensitive(k), "{k} should match");
        }
        for k in [
            "author",
            "keyboard",
            "tokenizer_version",
            "key",
            "monkey",
            "token_count",
            "sessions",
            "authority",
            "passage",
            "secretary",
            "",
        ] {
            assert!(!m.is_sensitive(k), "{k} should not match");
        }
    }

    #[test]
    fn user_lists() {
        let m = KeyMatcher::new(&["userEmail".into()], &["sessionId".into()]);
        assert!(m.is_sensitive("user_email"));
        assert!(!m.is_sensitive("session_id"));
        assert!(m.is_sensitive("session"));
        assert!(m.is_sensitive_param(b"state"));
        assert!(!m.is_sensitive_param(b"error_code"));
    }
}
