//! Props and contexts on the record path: untrusted JSON text in, bounded
//! and scrubbed JSON text out, in one pass and without building a tree.
//!
//! This is the hot path of every `track()`: the wrapper hands over the props
//! as JSON text, and the item stores them as JSON text. Reading them into a
//! [`Json`](crate::core::json::Json) tree, cleaning the tree, scrubbing it
//! and writing it again cost an allocation per key and per string and three
//! walks; here each token is read ([`Reader`]), bounded, scrubbed and written
//! once, and a string without escapes is never copied before it is written.
//!
//! The rules are those of [`crate::core::sanitize`] (bounds) and
//! [`Scrubber::scrub_value`] (keys, strings, card numbers), applied in the
//! same order, so both paths give the same text (a host test compares them).

use std::borrow::Cow;

use crate::core::json::{push_clean_string, push_string, PushByte, Reader, Result, Token};
use crate::core::policy::Policy;
use crate::core::sanitize::{truncate_chars, Cleaning, DEPTH_MARKER};
use crate::core::scrub::{Scrubber, FILTERED};

/// What a card number in a number position becomes.
const CARD: &str = "[creditcard]";

/// Slots of the [`KeyCache`]: more than the keys an extension uses in most
/// props, few enough to stay a few KiB.
const KEY_CACHE_SLOTS: usize = 64;

/// What the scrubber said of recently seen keys that it leaves as they are:
/// whether their value is filtered. Props repeat their keys from call to
/// call, and deciding a key (the deny-list match and a text scan) costs more
/// than the rest of its entry; a key scrubbing would rename is not kept.
/// Direct-mapped by a hash of the key, so a lookup is one comparison.
#[derive(Debug, Default)]
pub struct KeyCache {
    slots: Vec<Option<(String, bool)>>,
    /// The writer's key positions, kept between calls for their capacity.
    positions: Vec<(usize, usize)>,
}

impl KeyCache {
    fn slot(key: &str) -> usize {
        // FNV-1a: a few instructions per byte, well spread for short keys.
        let mut hash: u32 = 0x811c_9dc5;
        for &b in key.as_bytes() {
            hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
        hash as usize % KEY_CACHE_SLOTS
    }

    fn get(&self, key: &str) -> Option<bool> {
        match self.slots.get(Self::slot(key)) {
            Some(Some((known, filtered))) if **known == *key => Some(*filtered),
            _ => None,
        }
    }

    fn put(&mut self, key: &str, filtered: bool) {
        if self.slots.is_empty() {
            // A loop, not `resize` (a clone loop for the type) nor `collect`.
            for _ in 0..KEY_CACHE_SLOTS {
                self.slots.push(None);
            }
        }
        if let Some(slot) = self.slots.get_mut(Self::slot(key)) {
            *slot = Some((key.into(), filtered));
        }
    }
}

/// Appends the props object for `text` to `out`: `{}` when there is none,
/// when it is `null` or not JSON; an object is kept; any other value is
/// wrapped as `{"value": ...}` (and counts as truncated). Keys, strings,
/// lengths and depth are bounded by `policy`, then scrubbed by `scrubber`.
pub fn write_props(
    text: Option<&str>,
    policy: &Policy,
    scrubber: &Scrubber,
    keys: &mut KeyCache,
    cleaning: &mut Cleaning,
    out: &mut String,
) {
    let Some(text) = text else {
        out.push_str("{}");
        return;
    };
    let start = out.len();
    let before = *cleaning;
    let positions = std::mem::take(&mut keys.positions);
    let mut writer = Writer {
        policy,
        scrubber,
        cache: keys,
        cleaning,
        out,
        keys: positions,
    };
    let read = writer.document(text);
    let mut positions = writer.keys;
    positions.clear();
    keys.positions = positions;
    if read.is_err() {
        // Not JSON: as if there were no props (the wrapper never sends such text).
        out.truncate(start);
        *cleaning = before;
        out.push_str("{}");
    }
}

/// The state of one transformation.
struct Writer<'p, 'o> {
    policy: &'p Policy,
    scrubber: &'p Scrubber,
    cache: &'o mut KeyCache,
    cleaning: &'o mut Cleaning,
    out: &'o mut String,
    /// Where the keys of the objects being written sit in `out`, to drop a
    /// key that scrubbing made equal to an earlier one (the first is kept).
    keys: Vec<(usize, usize)>,
}

impl Writer<'_, '_> {
    fn document(&mut self, text: &str) -> Result<()> {
        let mut reader = Reader::new(text);
        match reader.value()? {
            Token::Null => self.out.push_str("{}"),
            Token::Object => self.object(&mut reader, 1)?,
            other => {
                self.cleaning.truncated = true;
                self.out.push_str("{\"value\":");
                self.value(&mut reader, other, 1)?;
                self.out.push_byte(b'}');
            }
        }
        reader.finish()
    }

    /// One value at `depth` (the props object is depth 1).
    fn value<'a>(&mut self, reader: &mut Reader<'a>, token: Token<'a>, depth: usize) -> Result<()> {
        match token {
            Token::Null => self.out.push_str("null"),
            Token::Bool(true) => self.out.push_str("true"),
            Token::Bool(false) => self.out.push_str("false"),
            Token::Number(text) => {
                if self.scrubber.is_card_number(text) {
                    push_string(self.out, CARD);
                } else {
                    self.out.push_str(text);
                }
            }
            Token::String(text) => {
                let cut = truncate_chars(&text, self.policy.max_string_chars, self.cleaning);
                let bounded = cut.as_deref().unwrap_or(&text);
                match (&text, cut.is_none(), self.scrubber.scrub_text(bounded)) {
                    // Unescaped in the input, not cut, not scrubbed: clean.
                    (Cow::Borrowed(_), true, Cow::Borrowed(same)) => {
                        push_clean_string(self.out, same);
                    }
                    (_, _, scrubbed) => push_string(self.out, &scrubbed),
                }
            }
            Token::Array | Token::Object if depth > self.policy.max_depth => {
                self.cleaning.truncated = true;
                reader.skip(token)?;
                push_string(self.out, DEPTH_MARKER);
            }
            Token::Array => self.array(reader, depth)?,
            Token::Object => self.object(reader, depth)?,
        }
        Ok(())
    }

    fn array(&mut self, reader: &mut Reader<'_>, depth: usize) -> Result<()> {
        self.out.push_byte(b'[');
        let mut n = 0;
        while reader.next_item(n == 0)? {
            let item = reader.value()?;
            if n >= self.policy.max_collection_len {
                self.cleaning.truncated = true;
                reader.skip(item)?;
            } else {
                if n > 0 {
                    self.out.push_byte(b',');
                }
                self.value(reader, item, depth + 1)?;
            }
            n += 1;
        }
        self.out.push_byte(b']');
        Ok(())
    }

    fn object(&mut self, reader: &mut Reader<'_>, depth: usize) -> Result<()> {
        self.out.push_byte(b'{');
        let base = self.keys.len();
        // Once scrubbing renamed a key, later keys may collide with it.
        let mut renamed = false;
        let mut n = 0;
        while let Some(key) = reader.next_key(n == 0)? {
            let item = reader.value()?;
            n += 1;
            if n > self.policy.max_collection_len {
                self.cleaning.truncated = true;
                reader.skip(item)?;
                continue;
            }
            let key = match truncate_chars(&key, self.policy.max_name_chars, self.cleaning) {
                Some(cut) => Cow::Owned(cut),
                None => key,
            };
            let at = self.out.len();
            if base < self.keys.len() {
                self.out.push_byte(b',');
            }
            let key_start = self.out.len();
            let filtered = match self.cache.get(&key) {
                Some(filtered) => {
                    match &key {
                        Cow::Borrowed(clean) => push_clean_string(self.out, clean),
                        Cow::Owned(escaped) => push_string(self.out, escaped),
                    }
                    filtered
                }
                None => {
                    // Sensitivity is decided on the key as written, before
                    // scrubbing renames it.
                    let filtered = self.scrubber.is_sensitive_key(&key);
                    match self.scrubber.scrub_text(&key) {
                        Cow::Borrowed(same) => {
                            self.cache.put(same, filtered);
                            push_string(self.out, same);
                        }
                        Cow::Owned(other) => {
                            renamed = true;
                            push_string(self.out, &other);
                        }
                    }
                    filtered
                }
            };
            let written = self.out.get(key_start..).unwrap_or_default();
            let repeated = renamed
                && self
                    .keys
                    .get(base..)
                    .unwrap_or_default()
                    .iter()
                    .any(|&(from, to)| self.out.get(from..to) == Some(written));
            if repeated {
                self.out.truncate(at);
                reader.skip(item)?;
                continue;
            }
            self.keys.push((key_start, self.out.len()));
            self.out.push_byte(b':');
            if filtered {
                reader.skip(item)?;
                push_string(self.out, FILTERED);
            } else {
                self.value(reader, item, depth + 1)?;
            }
        }
        self.keys.truncate(base);
        self.out.push_byte(b'}');
        Ok(())
    }
}
