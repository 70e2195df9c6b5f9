//! Shared by the scrubber benches: `benches/scrub.rs` (native) and
//! `tests/bench_scrub_sw.rs` (Chromium service worker), so both run the same
//! deterministic corpus, the same `regex`-crate baseline and the same
//! adversarial inputs. Plain functions, no timing here.
#![allow(dead_code)]

use std::borrow::Cow;

use regex::{Captures, Regex};

pub const EXT: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

/// Clean lines (what most telemetry text looks like).
pub fn clean_lines() -> Vec<String> {
    vec![
        "Uncaught TypeError: Cannot read properties of undefined (reading 'token')".into(),
        format!("    at handleMessage ({EXT}/background.js:42:17)"),
        format!("    at async Promise.all (index 0)"),
        format!("    at mv3_telemetry.wasm.__wbg_fetch_1b2c ({EXT}/pkg/mv3_telemetry_bg.wasm:wasm-function[123]:0x1a2b3)"),
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36".into(),
        "Failed to fetch https://collector.example.com/v1/events (status 503) after 3 retries".into(),
        "timestamp 1716300000000 exceeded deadline by 1250 ms; batch 0b9c4a7e2f31 has 50 items".into(),
        "request id 123e4567-e89b-12d3-a456-426614174000 failed with code ERR_NETWORK".into(),
        r#"{"event":"feature_used","props":{"feature":"dark_mode","count":3,"version":"1.2.3"}}"#.into(),
        "chrome.runtime.lastError: Could not establish connection. Receiving end does not exist.".into(),
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 built at 2024-05-21T14:03:11.123Z".into(),
        "https://www.example.com/search?q=privacy+first&page=2&lang=en-US#results".into(),
        "QuotaExceededError: storage limit 10485760 bytes reached while writing queue".into(),
        "The bearer token is missing; keydown key=ArrowDown code=40 ignored".into(),
    ]
}

/// Lines holding a secret of some kind.
pub fn dirty_lines() -> Vec<String> {
    vec![
        "Failed to sync contacts for john.doe@example.com: 403 Forbidden".into(),
        "Payment failed for card 4111 1111 1111 1111 (exp 12/27)".into(),
        "SEPA transfer to DE89 3704 0044 0532 0130 00 failed".into(),
        "net::ERR_CONNECTION_REFUSED at http://192.168.1.23:8080/api/status".into(),
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".into(),
        "GET https://example.com/callback?code=4/0AY0e-g7xyz&state=af0ifjsldkj&scope=email 302".into(),
        "Stripe: Invalid API Key provided: sk_test_4eC39HqLyjWDarjtT1zdp7dc".into(),
        "Error: ENOENT: no such file or directory, open '/home/jsmith/projects/ext/manifest.json'".into(),
        "Failed to connect to postgres://admin:S3cr3tP4ss@db.internal.example.com:5432/app".into(),
        "Call us at +1 (415) 555-2671, ssn 123-45-6789".into(),
    ]
}

/// Deterministic xorshift, so every run benches the same corpus.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The mixed corpus: about `target` bytes (counting a newline per line) of
/// clean and dirty lines, always the same for the same `target`.
pub fn build_corpus(target: usize) -> Vec<String> {
    let clean = clean_lines();
    let dirty = dirty_lines();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut lines = Vec::new();
    let mut size = 0;
    while size < target {
        let line = if rng.next() % 100 < 15 {
            &dirty[(rng.next() % dirty.len() as u64) as usize]
        } else {
            &clean[(rng.next() % clean.len() as u64) as usize]
        };
        size += line.len() + 1;
        lines.push(line.clone());
    }
    lines
}

pub fn luhn(d: &[u8]) -> bool {
    let mut sum = 0;
    for (k, &c) in d.iter().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if k % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

pub fn mod97(s: &str) -> bool {
    let s: Vec<u8> = s.bytes().filter(|c| c.is_ascii_alphanumeric()).collect();
    if s.len() < 5 {
        return false;
    }
    let mut rem = 0u32;
    for &c in s[4..].iter().chain(&s[..4]) {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(c.to_ascii_uppercase() - b'A') + 10) % 97;
        }
    }
    rem == 1
}

pub type Fixer = Box<dyn Fn(&Captures) -> String>;

/// The regex baseline: one pattern per detector, applied in turn.
pub struct RegexBaseline {
    rules: Vec<(Regex, Fixer)>,
}

impl RegexBaseline {
    pub fn new() -> Self {
        let fixed = |s: &'static str| -> Fixer { Box::new(move |_| s.to_owned()) };
        let rules: Vec<(&str, Fixer)> = vec![
            (
                r"-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s]+",
                fixed("-----BEGIN PRIVATE KEY-----[pemkey]"),
            ),
            (
                r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
                fixed("[jwt]"),
            ),
            (
                r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}",
                Box::new(|c| format!("{} [token]", &c[1])),
            ),
            (
                r"\b(?:(?:AKIA|ASIA)[A-Z0-9]{16}|AIza[A-Za-z0-9_-]{35}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{30,}|xox[baprs]-[A-Za-z0-9-]{10,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|npm_[A-Za-z0-9]{36}|glpat-[A-Za-z0-9_-]{20,})\b",
                fixed("[secret]"),
            ),
            (
                r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]*@",
                Box::new(|c| format!("{}[auth]@", &c[1])),
            ),
            (
                r"(?i)([?&#;](?:token|access_token|id_token|refresh_token|code|state|key|api_key|password|secret|signature|sig|x-amz-signature|x-amz-credential|session_id|sessionid|jsessionid)=)[^&#\s]+",
                Box::new(|c| format!("{}[Filtered]", &c[1])),
            ),
            (
                r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
                fixed("[email]"),
            ),
            (
                r"\b(?:\d[ -]?){12,18}\d\b",
                Box::new(|c| {
                    let d: Vec<u8> = c[0].bytes().filter(u8::is_ascii_digit).collect();
                    if matches!(d[0], b'2'..=b'6') && luhn(&d) {
                        "[creditcard]".to_owned()
                    } else {
                        c[0].to_owned()
                    }
                }),
            ),
            (
                r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
                Box::new(|c| {
                    if mod97(&c[0]) {
                        "[iban]".to_owned()
                    } else {
                        c[0].to_owned()
                    }
                }),
            ),
            (
                r"(^|[^/\w.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b",
                Box::new(|c| {
                    let ok = (2..=5).all(|k| c[k].parse::<u32>().is_ok_and(|v| v <= 255));
                    if ok {
                        format!("{}[ip]", &c[1])
                    } else {
                        c[0].to_owned()
                    }
                }),
            ),
            (
                r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}\b",
                fixed("[ip]"),
            ),
            (
                r"(/home/|/Users/|[A-Za-z]:\\Users\\)[^/\\\s]+",
                Box::new(|c| format!("{}[user]", &c[1])),
            ),
            (r"\+[1-9](?:[ .()-]{0,2}\d){7,14}\b", fixed("[phone]")),
            (
                r"\b(\d{3})-(\d{2})-(\d{4})\b",
                Box::new(|c| {
                    let a: u32 = c[1].parse().unwrap();
                    if a == 0 || a == 666 || a >= 900 || &c[2] == "00" || &c[3] == "0000" {
                        c[0].to_owned()
                    } else {
                        "[ssn]".to_owned()
                    }
                }),
            ),
        ];
        RegexBaseline {
            rules: rules
                .into_iter()
                .map(|(p, f)| (Regex::new(p).expect("valid pattern"), f))
                .collect(),
        }
    }

    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for (re, fix) in &self.rules {
            if let Cow::Owned(o) = re.replace_all(&out, |c: &Captures| fix(c)) {
                out = Cow::Owned(o);
            }
        }
        out
    }
}

/// The 1 MB adversarial inputs (long digit runs, many `@`, repeated `eyJ`,
/// unterminated PEM headers...): time must stay proportional to size.
pub fn adversarial_inputs() -> Vec<(&'static str, String)> {
    adversarial_inputs_of(1 << 20)
}

/// The adversarial inputs, each about `size` bytes (cut at a character
/// boundary): the linearity test compares two sizes.
pub fn adversarial_inputs_of(size: usize) -> Vec<(&'static str, String)> {
    let rep = |unit: &str| {
        let mut s = unit.repeat(size / unit.len() + 1);
        let mut end = size;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s
    };
    vec![
        ("digits", rep("1")),
        ("spaced digits", rep("4 ")),
        ("dashed digits", rep("41-")),
        ("many @", rep("@")),
        ("a@ repeated", rep("a@")),
        ("local@label.", rep("ab.c@d")),
        ("%40 repeated", rep("a%40")),
        ("eyJ run", rep("eyJ")),
        ("eyJ. segments", rep("eyJ.")),
        ("PEM headers", rep("-----BEGIN PRIVATE KEY-----")),
        ("dots", rep("1.")),
        ("dotted names", rep("a.")),
        ("colons", rep("a:")),
        ("double colons", rep("::1:")),
        ("plus digits", rep("+1 ")),
        ("home paths", rep("/home/")),
        ("quotes", rep("\"")),
        ("json password keys", rep("\"password\":\"")),
        ("query separators", rep("?token=&")),
        ("url schemes", rep("a://")),
        ("bearer words", rep("Bearer ")),
        ("key=value", rep("password=")),
        ("credential names", rep("STRIPE_KEY=")),
        ("vendor prefixes", rep("sk-")),
        ("dotted vendor prefixes", rep("SG.")),
        ("base64 JWT starts", rep("ZXlKaGJH+")),
        ("long base64", rep("QUJD")),
        ("IBAN prefixes", rep("DE89 ")),
        ("non-ASCII", rep("日本é")),
    ]
}
