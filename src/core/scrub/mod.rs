//! Sensitive-data scrubber (`docs/DESIGN.md` section 6).
//!
//! Everything that leaves the SDK passes through [`Scrubber`]: free text goes
//! through hand-written detectors (emails, card numbers, IBANs, IPs, JWTs,
//! `Bearer`/`Basic` credentials, vendor API keys, PEM private keys, URL
//! credentials and sensitive URL parameters, home-directory user names,
//! phone numbers, US SSNs), and JSON values are also filtered by key name.
//!
//! Why hand-written scanners instead of the `regex` crate: the wasm module's
//! size is a feature (the regex crate alone would add more than the whole
//! SDK), and a single pass that dispatches on the byte at hand is both faster
//! and easier to keep linear than a dozen independent patterns. Every
//! candidate is validated where the format allows it (Luhn, mod-97, JWT header
//! JSON, octet ranges, SSN ranges), which is what keeps timestamps, versions,
//! hashes and ids intact.
//!
//! Guarantees, tested on a corpus, with proptest and by fuzzing:
//! - idempotent: `scrub(scrub(x)) == scrub(x)`;
//! - linear in the input size, whatever the input;
//! - never panics on any UTF-8 input;
//! - clean text comes back borrowed, without allocating.
//!
//! Module map: `scan` (byte classes, hits, output, look-around helpers:
//! the leaf every other module imports), `text` (the scanner walk), `url` (token classification,
//! URL credentials and parameters), `net` (emails, IPs), `numbers` (cards,
//! IBANs, phones, SSNs), `secrets` (JWTs, bearer, vendor keys, PEM, key=value
//! in text), `paths` (home directories), `keys` (key-name matching),
//! `validate` (checksums).

mod assign;
mod keys;
mod net;
mod numbers;
mod paths;
mod scan;
mod secrets;
pub(crate) mod text;
mod url;
mod validate;
mod vendors;

use std::borrow::Cow;
use std::cell::OnceCell;

use super::json::Json;

use keys::KeyMatcher;

/// The placeholder that replaces values under sensitive keys (and sensitive
/// URL parameters).
pub const FILTERED: &str = "[Filtered]";

/// User configuration of the scrubber (`scrub.denyKeys`, `scrub.allowKeys`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrubOptions {
    /// Extra key names whose values are filtered, matched on word parts like
    /// the built-in list (`"userEmail"` also matches `user_email`).
    pub deny_keys: Vec<String>,
    /// Key names never filtered by name (compared on their word parts, so
    /// `token_count` also allows `tokenCount`). Text detectors still run on
    /// their values.
    pub allow_keys: Vec<String>,
}

/// Extra text pass supplied by the platform: returns the rewritten text, or
/// `None` when it changed nothing.
pub type ExtraPass = Box<dyn Fn(&str) -> Option<String>>;

/// The scrubber: compiled key lists plus an optional platform text pass.
pub struct Scrubber {
    /// The user's key lists, compiled into `keys` at the first use: a worker
    /// builds its scrubber on the way to `ready`, where every function it
    /// calls is compiled on its first call (`docs/size.md`), and scrubs
    /// nothing before its first record.
    options: ScrubOptions,
    keys: OnceCell<KeyMatcher>,
    extra: Option<ExtraPass>,
}

impl Default for Scrubber {
    /// The built-in rules with no user deny or allow keys.
    fn default() -> Self {
        Scrubber::new(ScrubOptions::default())
    }
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrubber")
            .field("extra_pass", &self.extra.is_some())
            .finish_non_exhaustive()
    }
}

impl Scrubber {
    /// Builds a scrubber from user options.
    pub fn new(options: ScrubOptions) -> Self {
        Scrubber {
            options,
            keys: OnceCell::new(),
            extra: None,
        }
    }

    /// The compiled key lists, built on the first call.
    fn keys(&self) -> &KeyMatcher {
        self.keys
            .get_or_init(|| KeyMatcher::new(&self.options.deny_keys, &self.options.allow_keys))
    }

    /// Extra text pass supplied by the platform (JS RegExps from
    /// `scrub.extraPatterns`); applied after the built-in detectors to every
    /// string. It returns `None` when it changed nothing.
    pub fn with_extra_pass(mut self, pass: ExtraPass) -> Self {
        self.extra = Some(pass);
        self
    }

    /// Scrubs free text. Returns `Cow::Borrowed` when nothing matched, so the
    /// common clean case allocates nothing.
    pub fn scrub_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let out = if cannot_match(text) {
            Cow::Borrowed(text)
        } else {
            text::scrub_text(text, self.keys())
        };
        match &self.extra {
            None => out,
            Some(pass) => match pass(&out) {
                Some(s) => Cow::Owned(s),
                None => out,
            },
        }
    }

    /// Whether values under `key` are filtered: a deny-list match on word
    /// parts (built-in list plus `deny_keys`) that is not in `allow_keys`.
    pub fn is_sensitive_key(&self, key: &str) -> bool {
        self.keys().is_sensitive(key)
    }

    /// Whether a JSON number's text is a valid card number (13 or more
    /// digits passing the Luhn check): such a number is written as
    /// `"[creditcard]"`.
    pub fn is_card_number(&self, text: &str) -> bool {
        let digits = text.as_bytes();
        digits.len() >= 13 && digits.iter().all(u8::is_ascii_digit) && validate::card_ok(digits)
    }

    /// Scrubs a JSON value in place: object values under sensitive keys become
    /// `"[Filtered]"` whatever their type; every other string (object keys
    /// included) goes through [`Scrubber::scrub_text`]; integers that are
    /// valid card numbers become `"[creditcard]"`.
    ///
    /// Iterative, so arbitrarily deep values cannot overflow the stack. When
    /// two keys scrub to the same text (`a@x.com` and `b@y.com` both become
    /// `[email]`), the first one's value is kept.
    pub fn scrub_value(&self, value: &mut Json) {
        let mut stack: Vec<&mut Json> = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Json::String(s) => {
                    if let Cow::Owned(o) = self.scrub_text(s) {
                        *s = o;
                    }
                }
                Json::Number(n) => {
                    if self.is_card_number(n.as_str()) {
                        *v = Json::String("[creditcard]".to_owned());
                    }
                }
                Json::Array(items) => stack.extend(items.iter_mut()),
                Json::Object(map) => {
                    let rename = map
                        .iter()
                        .any(|(k, _)| matches!(self.scrub_text(k), Cow::Owned(_)));
                    if rename {
                        // Decide on the original key names, then rename.
                        let old = std::mem::take(map);
                        for (k, mut child) in old {
                            if self.is_sensitive_key(&k) {
                                child = Json::String(FILTERED.to_owned());
                            }
                            let nk = self.scrub_text(&k).into_owned();
                            if !map.iter().any(|(existing, _)| *existing == nk) {
                                map.push((nk, child));
                            }
                        }
                    }
                    for (k, child) in map.iter_mut() {
                        if self.is_sensitive_key(k) {
                            *child = Json::String(FILTERED.to_owned());
                        } else {
                            stack.push(child);
                        }
                    }
                }
                Json::Null | Json::Bool(_) => {}
            }
        }
    }
}

/// Short text made only of ASCII letters, `_` and spaces holds nothing a
/// detector replaces: no digit (cards, phones, IPs, IBANs), no `@`, `:`, `=`,
/// `/` or `-` (emails, URLs, assignments, flags), and it is shorter than any
/// token format. Most prop keys and values are like this, so they skip the
/// scan (the corpus test guards the rule's recall).
fn cannot_match(text: &str) -> bool {
    text.len() < 16
        && text
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'_' || b == b' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(t: &str) -> String {
        Scrubber::default().scrub_text(t).into_owned()
    }

    #[test]
    fn clean_text_is_borrowed() {
        let sc = Scrubber::default();
        assert!(matches!(
            sc.scrub_text("nothing to see here 123"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            sc.scrub_text("[email] and [ip]"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn each_detector() {
        assert_eq!(s("mail john.doe@example.com now"), "mail [email] now");
        assert_eq!(s("u=john%40example.com"), "u=[email]");
        assert_eq!(s("card 4111 1111 1111 1111 ok"), "card [creditcard] ok");
        assert_eq!(s("iban DE89 3704 0044 0532 0130 00."), "iban [iban].");
        assert_eq!(s("from 192.168.1.20:443"), "from [ip]:443");
        assert_eq!(s("Chrome/124.0.0.0 Safari"), "Chrome/124.0.0.0 Safari");
        assert_eq!(s("peer [2001:db8::1]:443"), "peer [[ip]]:443");
        assert_eq!(
            s("Authorization: Bearer abc123def456"),
            "Authorization: Bearer [token]"
        );
        assert_eq!(s("key AKIAIOSFODNN7EXAMPLE."), "key [secret].");
        assert_eq!(
            s("https://bob:hunter2@db.example.com/x?token=abc&page=2"),
            "https://[auth]@db.example.com/x?token=[Filtered]&page=2"
        );
        assert_eq!(s("key=ArrowDown"), "key=ArrowDown");
        assert_eq!(s("open /home/alice/.config"), "open /home/[user]/.config");
        assert_eq!(s(r"C:\Users\Bob\AppData"), r"C:\Users\[user]\AppData");
        assert_eq!(s("call +1 415 555 2671"), "call [phone]");
        assert_eq!(s("ssn 123-45-6789"), "ssn [ssn]");
        assert_eq!(s("ssn 666-45-6789"), "ssn 666-45-6789");
        assert_eq!(
            s("password=hunter2 user=bob"),
            "password=[Filtered] user=bob"
        );
        assert_eq!(
            s(r#"{"password":"x y","n":1}"#),
            r#"{"password":"[Filtered]","n":1}"#
        );
        assert_eq!(
            s("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----"),
            "-----BEGIN RSA PRIVATE KEY-----[pemkey]-----END RSA PRIVATE KEY-----"
        );
    }

    fn to_core(value: serde_json::Value) -> Json {
        crate::core::json::parse(&value.to_string()).unwrap()
    }

    #[test]
    fn values() {
        let sc = Scrubber::new(ScrubOptions {
            deny_keys: vec!["userEmail".into()],
            allow_keys: vec!["session_count".into()],
        });
        let mut v = to_core(json!({
            "password": {"nested": 1},
            "props": {"X-Api-Key": 5, "note": "mail a@b.io", "user_email": "x"},
            "list": ["ok", "Bearer abcdef123456"],
            "a@b.com": "k",
            "author": "Jane",
            "n": 4111111111111111u64,
            "session_count": 3,
        }));
        sc.scrub_value(&mut v);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&crate::core::json::to_string(&v)).unwrap(),
            json!({
                "password": "[Filtered]",
                "props": {"X-Api-Key": "[Filtered]", "note": "mail [email]", "user_email": "[Filtered]"},
                "list": ["ok", "Bearer [token]"],
                "[email]": "k",
                "author": "Jane",
                "n": "[creditcard]",
                "session_count": 3,
            })
        );
    }

    #[test]
    fn extra_pass_runs_last() {
        let sc = Scrubber::default().with_extra_pass(Box::new(|t: &str| {
            t.contains("ACME-").then(|| t.replace("ACME-1", "[acme]"))
        }));
        assert_eq!(sc.scrub_text("id ACME-1 a@b.io"), "id [acme] [email]");
        assert!(matches!(sc.scrub_text("plain"), Cow::Borrowed(_)));
    }
}
