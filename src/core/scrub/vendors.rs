//! Vendor API keys and tokens recognised by their published formats: a
//! literal prefix, the alphabet and minimum length of the body, and a few
//! rules per entry (the body must look random, start with a digit, or carry
//! a valid checksum).
//!
//! The formats are facts taken from the vendors' documentation and the
//! public rule sets of secret scanners (gitleaks, trufflehog,
//! detect-secrets). Minimum lengths sit at or below the real lengths so that
//! a token cut short in a log is still caught, and well above anything a
//! prose word could reach. The table is grouped by the prefix's first byte,
//! so a word is only compared with the few prefixes it could start.

use super::scan::{is, Hit, Scan, ALNUM, B64URL, DIGIT};
use super::validate::{github_crc_ok, random_body};

/// Longest body taken for a key: real ones are at most about a kilobyte,
/// and the bound keeps the checks on a body (randomness, checksum) from
/// costing more than a fixed amount per word start.
const MAX_BODY: usize = 4096;

/// Alphabet of a key's body; its discriminant is its byte in [`PACKED`]
/// and its slot in [`Scan::memo_run`].
#[derive(Clone, Copy)]
#[repr(u8)]
pub(crate) enum Body {
    /// `A-Z 0-9`.
    UpperDigit,
    /// `a-z 0-9`.
    LowerDigit,
    /// `A-Z a-z 0-9`.
    Alnum,
    /// `A-Z a-z 0-9 _`.
    AlnumUnderscore,
    /// base64url: `A-Z a-z 0-9 - _`.
    B64Url,
    /// `0-9 a-f A-F`.
    Hex,
    /// Hex plus `-` (UUID-shaped bodies).
    HexDash,
    /// base64url plus `.` (multi-part tokens).
    Dotted,
    /// base64 plus `-`, `_` and `.`.
    B64,
    /// URL path bytes of a webhook: base64url plus `/`.
    Path,
}

/// Every [`Body`], by discriminant.
const BODIES: [Body; 10] = [
    Body::UpperDigit,
    Body::LowerDigit,
    Body::Alnum,
    Body::AlnumUnderscore,
    Body::B64Url,
    Body::Hex,
    Body::HexDash,
    Body::Dotted,
    Body::B64,
    Body::Path,
];

impl Body {
    fn has(self, c: u8) -> bool {
        match self {
            Body::UpperDigit => c.is_ascii_uppercase() || c.is_ascii_digit(),
            Body::LowerDigit => c.is_ascii_lowercase() || c.is_ascii_digit(),
            Body::Alnum => c.is_ascii_alphanumeric(),
            Body::AlnumUnderscore => c.is_ascii_alphanumeric() || c == b'_',
            Body::B64Url => is(c, B64URL),
            Body::Hex => c.is_ascii_hexdigit(),
            Body::HexDash => c.is_ascii_hexdigit() || c == b'-',
            Body::Dotted => is(c, B64URL) || c == b'.',
            Body::B64 => is(c, B64URL) || matches!(c, b'+' | b'/' | b'=' | b'.'),
            Body::Path => is(c, B64URL) || c == b'/',
        }
    }
}

/// No extra rule.
const NONE: u8 = 0;
/// The body must start with a digit (Slack's `xoxb-<team id>-...`).
const DIGIT1: u8 = 1;
/// GitHub-style CRC32 suffix: a 36-byte body whose last 6 bytes are the
/// base62 CRC32 of the first 30 is accepted whatever it looks like.
const CRC: u8 = 2;
/// Keep the prefix (a webhook host and path) and replace only the body.
const KEEP: u8 = 4;
/// Not checked for randomness: the prefix alone is distinctive and bodies
/// may be structured (digits and dots, base64 of JSON). Prefixes of five
/// bytes or more holding punctuation (`sk_live_`, `glpat-`) are treated so
/// too, unless marked [`WEAK`].
const STRONG: u8 = 8;
/// Checked for randomness although long: the prefix is also a common word
/// or identifier start (`secret_`).
const WEAK: u8 = 16;

/// A vendor key shape: prefix, body alphabet, minimum body length, rules,
/// and the length of the prefix's leading run of letters and digits. Only
/// written in the source: the module ships [`PACKED`].
pub(crate) struct VendorKey {
    prefix: &'static [u8],
    body: Body,
    min: u8,
    rules: u8,
    alnum: u8,
}

/// Length of the leading run of ASCII letters and digits of `p`.
const fn alnum_len(p: &[u8]) -> u8 {
    let mut k = 0;
    while k < p.len() && p[k].is_ascii_alphanumeric() {
        k += 1;
    }
    k as u8
}

/// Builds a [`VendorKey`] entry, computing the run length at compile time.
macro_rules! vk {
    ($p:literal, $body:ident, $min:literal) => {
        vk!($p, $body, $min, NONE)
    };
    ($p:literal, $body:ident, $min:literal, $rules:expr) => {
        VendorKey {
            prefix: $p,
            body: Body::$body,
            min: $min,
            rules: $rules,
            alnum: alnum_len($p),
        }
    };
}

/// The prefixes a word starting with `c` could begin.
const fn vendor_keys_for(c: u8) -> &'static [VendorKey] {
    match c {
        // AWS access key ids (AKIA long-term, ASIA temporary and the other
        // unique-id prefixes), Google API keys, age, Alibaba, JFrog,
        // Atlassian, Bitbucket, Yandex, Twitter app-only bearer tokens.
        b'A' => {
            const {
                &[
                    vk!(b"AKIA", UpperDigit, 16, STRONG),
                    vk!(b"ASIA", UpperDigit, 16, STRONG),
                    vk!(b"ABIA", UpperDigit, 16, STRONG),
                    vk!(b"ACCA", UpperDigit, 16, STRONG),
                    vk!(b"AGPA", UpperDigit, 16, STRONG),
                    vk!(b"AIDA", UpperDigit, 16, STRONG),
                    vk!(b"AROA", UpperDigit, 16, STRONG),
                    vk!(b"AIPA", UpperDigit, 16, STRONG),
                    vk!(b"ANPA", UpperDigit, 16, STRONG),
                    vk!(b"ANVA", UpperDigit, 16, STRONG),
                    vk!(b"APKA", UpperDigit, 16, STRONG),
                    vk!(b"A3T", UpperDigit, 17),
                    vk!(b"AIza", B64Url, 30, STRONG),
                    vk!(b"AGE-SECRET-KEY-1", UpperDigit, 50, STRONG),
                    vk!(b"AKCp", Alnum, 60),
                    vk!(b"ATATT3", B64, 100),
                    vk!(b"ATCTT3", B64, 100),
                    vk!(b"ATBB", Alnum, 32),
                    vk!(b"AQVN", B64Url, 33),
                    vk!(b"AAAAAAAAAAAAAAAAAAAAA", B64, 40, STRONG),
                    vk!(b"API-", UpperDigit, 25),
                ]
            }
        }
        b'a' => {
            const {
                &[
                    vk!(b"access_token$production$", Dotted, 40, STRONG),
                    vk!(b"access_token$sandbox$", Dotted, 40, STRONG),
                    vk!(b"access-production-", HexDash, 36),
                    vk!(b"access-sandbox-", HexDash, 36),
                    vk!(b"access-development-", HexDash, 36),
                    vk!(b"api_org_", Alnum, 30),
                    vk!(b"api_live.", B64Url, 30),
                    vk!(b"api_sandbox.", B64Url, 30),
                    vk!(b"aio_", Alnum, 28),
                    vk!(b"api.telegram.org/bot", Dotted, 40, KEEP),
                ]
            }
        }
        b'b' => const { &[vk!(b"bkua_", Hex, 40)] },
        b'C' => {
            const {
                &[
                    vk!(b"CLOJARS_", Alnum, 60),
                    vk!(b"CFPAT-", B64Url, 43),
                    vk!(b"CCIPAT_", B64Url, 40),
                ]
            }
        }
        b'c' => const { &[vk!(b"cio", Alnum, 32), vk!(b"cmVmdGtu", B64Url, 56)] },
        // DigitalOcean, Databricks, Doppler, Docker Hub, Duffel, Dynatrace,
        // Deno, Discord webhooks.
        b'd' => {
            const {
                &[
                    vk!(b"dop_v1_", Hex, 64),
                    vk!(b"doo_v1_", Hex, 64),
                    vk!(b"dor_v1_", Hex, 64),
                    vk!(b"dapi", Hex, 32),
                    vk!(b"dp.pt.", Alnum, 40),
                    vk!(b"dp.st.", Dotted, 40),
                    vk!(b"dp.ct.", Alnum, 40),
                    vk!(b"dp.sa.", Alnum, 40),
                    vk!(b"dp.scim.", Alnum, 40),
                    vk!(b"dp.audit.", Alnum, 40),
                    vk!(b"dckr_pat_", B64Url, 27),
                    vk!(b"dckr_oat_", B64Url, 27),
                    vk!(b"duffel_live_", B64Url, 43),
                    vk!(b"duffel_test_", B64Url, 43),
                    vk!(b"dt0c01.", Dotted, 80, STRONG),
                    vk!(b"dt0s01.", Dotted, 80, STRONG),
                    vk!(b"ddp_", Alnum, 36),
                    vk!(b"ddw_", Alnum, 36),
                    vk!(b"discord.com/api/webhooks/", Path, 60, KEEP),
                    vk!(b"discordapp.com/api/webhooks/", Path, 60, KEEP),
                ]
            }
        }
        b'E' => {
            const {
                &[
                    vk!(b"EAACEdEose0cBA", Alnum, 40),
                    vk!(b"EAAA", B64Url, 60),
                    vk!(b"EAAB", Alnum, 60),
                    vk!(b"EAAG", Alnum, 60),
                    vk!(b"EAAI", Alnum, 60),
                    vk!(b"EZAK", Alnum, 54),
                    vk!(b"EZTK", Alnum, 54),
                ]
            }
        }
        b'e' => {
            const {
                &[
                    vk!(b"eyJrIjoi", B64, 50, STRONG),
                    vk!(b"esecret_", Alnum, 20),
                ]
            }
        }
        b'F' => {
            const {
                &[
                    vk!(b"FLWSECK_TEST-", HexDash, 32),
                    vk!(b"FLWSECK-", HexDash, 32),
                    vk!(b"FlyV1 ", B64, 50),
                ]
            }
        }
        b'f' => {
            const {
                &[
                    vk!(b"figd_", B64Url, 40),
                    vk!(b"fio-u-", B64Url, 64),
                    vk!(b"fm1r_", B64, 50),
                    vk!(b"fm1a_", B64, 50),
                    vk!(b"fm2_", B64, 50),
                    vk!(b"fo1_", B64Url, 40),
                    vk!(b"fw_", Alnum, 24),
                ]
            }
        }
        // Google OAuth client secrets, GitLab runner registration tokens.
        b'G' => const { &[vk!(b"GOCSPX-", B64Url, 20), vk!(b"GR1348941", B64Url, 20)] },
        // GitHub and GitLab; Grafana; Groq.
        b'g' => {
            const {
                &[
                    vk!(b"ghp_", Alnum, 30, CRC),
                    vk!(b"gho_", Alnum, 30, CRC),
                    vk!(b"ghu_", Alnum, 30, CRC),
                    vk!(b"ghs_", Alnum, 30, CRC),
                    vk!(b"ghr_", Alnum, 30, CRC),
                    vk!(b"github_pat_", AlnumUnderscore, 30),
                    vk!(b"glpat-", B64Url, 20),
                    vk!(b"gldt-", B64Url, 20),
                    vk!(b"glrt-", B64Url, 20),
                    vk!(b"glrtr-", B64Url, 20),
                    vk!(b"glptt-", Hex, 40),
                    vk!(b"glsoat-", B64Url, 20),
                    vk!(b"glcbt-", B64Url, 20),
                    vk!(b"gloas-", B64Url, 20),
                    vk!(b"glft-", B64Url, 20),
                    vk!(b"glimt-", B64Url, 25),
                    vk!(b"glagent-", B64Url, 50),
                    vk!(b"glffct-", B64Url, 20),
                    vk!(b"glc_", B64, 32),
                    vk!(b"glsa_", AlnumUnderscore, 32),
                    vk!(b"gsk_", Alnum, 50),
                ]
            }
        }
        b'H' => const { &[vk!(b"HRKU-", B64Url, 30)] },
        // Hugging Face, HashiCorp Vault, Slack webhooks, Zapier, HubSpot.
        b'h' => {
            const {
                &[
                    vk!(b"hf_", Alnum, 30),
                    vk!(b"hvs.", B64Url, 24),
                    vk!(b"hvb.", B64Url, 24),
                    vk!(b"hooks.slack.com/services/", Path, 20, KEEP),
                    vk!(b"hooks.slack.com/workflows/", Path, 20, KEEP),
                    vk!(b"hooks.slack.com/triggers/", Path, 20, KEEP),
                    vk!(b"hooks.zapier.com/hooks/catch/", Path, 10, KEEP),
                ]
            }
        }
        b'i' => const { &[vk!(b"ico-", Alnum, 32)] },
        b'k' => const { &[vk!(b"key-", Hex, 32)] },
        b'l' => {
            const {
                &[
                    vk!(b"lin_api_", Alnum, 32),
                    vk!(b"lin_oauth_", Alnum, 32),
                    vk!(b"live_", B64Url, 35),
                    vk!(b"lsv2_pt_", AlnumUnderscore, 40),
                    vk!(b"lsv2_sk_", AlnumUnderscore, 40),
                ]
            }
        }
        b'N' => {
            const {
                &[
                    vk!(b"NRAK-", UpperDigit, 27),
                    vk!(b"NRJS-", Hex, 19),
                    vk!(b"NRII-", B64Url, 32),
                    vk!(b"NRAA-", Alnum, 27),
                    vk!(b"NF-", Alnum, 32),
                ]
            }
        }
        b'n' => const { &[vk!(b"npm_", Alnum, 30, CRC), vk!(b"nfp_", Alnum, 36)] },
        b'o' => {
            const {
                &[
                    vk!(b"oy2", LowerDigit, 43),
                    vk!(b"ops_eyJ", B64, 100, STRONG),
                    vk!(b"outlook.office.com/webhook/", Path, 40, KEEP),
                ]
            }
        }
        b'P' => const { &[vk!(b"PMAK-", B64Url, 50)] },
        // PyPI, Planetscale, Pulumi, Perplexity, Prefect, Pinecone,
        // HubSpot private apps.
        b'p' => {
            const {
                &[
                    vk!(b"pypi-", B64Url, 50),
                    vk!(b"pscale_tkn_", B64Url, 32),
                    vk!(b"pscale_pw_", B64Url, 32),
                    vk!(b"pscale_oauth_", B64Url, 32),
                    vk!(b"pul-", Hex, 40),
                    vk!(b"pplx-", Alnum, 40),
                    vk!(b"pnu_", Alnum, 36),
                    vk!(b"pcsk_", AlnumUnderscore, 40),
                    vk!(b"pat-na1-", HexDash, 36),
                    vk!(b"pat-eu1-", HexDash, 36),
                ]
            }
        }
        b'r' => {
            const {
                &[
                    vk!(b"rk_live_", Alnum, 10),
                    vk!(b"rk_test_", Alnum, 10),
                    vk!(b"rubygems_", Hex, 48),
                    vk!(b"rdme_", Alnum, 64),
                    vk!(b"r8_", Alnum, 36),
                    vk!(b"rnd_", Alnum, 30),
                    vk!(b"re_", B64Url, 30),
                ]
            }
        }
        // SendGrid, Twilio API keys, Square.
        b'S' => {
            const {
                &[
                    vk!(b"SG.", Dotted, 40),
                    vk!(b"SK", Hex, 32),
                    vk!(b"SSWS ", B64Url, 40),
                ]
            }
        }
        // Stripe, OpenAI, Anthropic and other `sk-` keys, Shopify, Sentry,
        // Square, Notion, Supabase, Shippo, Sourcegraph, ElevenLabs,
        // OpenShift, Mapbox, Mercury, Scalingo.
        b's' => {
            const {
                &[
                    vk!(b"sk_live_", Alnum, 10),
                    vk!(b"sk_test_", Alnum, 10),
                    vk!(b"sk-ant-", B64Url, 20),
                    vk!(b"sk-proj-", B64Url, 20),
                    vk!(b"sk-svcacct-", B64Url, 20),
                    vk!(b"sk-admin-", B64Url, 20),
                    vk!(b"sk-or-v1-", Hex, 40),
                    vk!(b"sk-", B64Url, 20),
                    vk!(b"sk_", Hex, 40),
                    vk!(b"sk.eyJ", Dotted, 60, STRONG),
                    vk!(b"shpat_", Hex, 32),
                    vk!(b"shpss_", Hex, 32),
                    vk!(b"shpca_", Hex, 32),
                    vk!(b"shppa_", Hex, 32),
                    vk!(b"sntrys_", B64, 50, STRONG),
                    vk!(b"sntryu_", Hex, 64),
                    vk!(b"sq0atp-", B64Url, 22),
                    vk!(b"sq0csp-", B64Url, 40),
                    vk!(b"secret_", Alnum, 40, WEAK),
                    vk!(b"secret-token:", AlnumUnderscore, 40),
                    vk!(b"sbp_", Hex, 40),
                    vk!(b"sb_secret_", B64Url, 20),
                    vk!(b"shippo_live_", Hex, 40),
                    vk!(b"shippo_test_", Hex, 40),
                    vk!(b"sgp_", AlnumUnderscore, 40),
                    vk!(b"sha256~", B64Url, 43),
                    vk!(b"sl.", B64Url, 100),
                ]
            }
        }
        b't' => {
            const {
                &[
                    vk!(b"tskey-", B64Url, 30),
                    vk!(b"tfp_", Dotted, 40),
                    vk!(b"tk-us-", B64Url, 48),
                    vk!(b"test_", Hex, 35),
                ]
            }
        }
        b'v' => const { &[vk!(b"v1.0-", HexDash, 150)] },
        b'w' => const { &[vk!(b"whsec_", B64, 20), vk!(b"webhookb2/", Path, 60, KEEP)] },
        // Slack (`xox?-`, app-level, config tokens), Brevo, xAI.
        b'x' => {
            const {
                &[
                    vk!(b"xoxb-", B64Url, 10, DIGIT1),
                    vk!(b"xoxp-", B64Url, 10, DIGIT1),
                    vk!(b"xoxa-", B64Url, 10, DIGIT1),
                    vk!(b"xoxr-", B64Url, 10, DIGIT1),
                    vk!(b"xoxs-", B64Url, 10, DIGIT1),
                    vk!(b"xoxe-", B64Url, 10, DIGIT1),
                    vk!(b"xoxo-", B64Url, 10, DIGIT1),
                    vk!(b"xoxe.xoxp-", B64Url, 10, DIGIT1),
                    vk!(b"xapp-", B64Url, 10, DIGIT1),
                    vk!(b"xkeysib-", HexDash, 60),
                    vk!(b"xsmtpsib-", HexDash, 60),
                    vk!(b"xai-", Alnum, 60),
                ]
            }
        }
        // Google OAuth access tokens, Yandex.
        b'y' => const { &[vk!(b"ya29.", B64Url, 20), vk!(b"y0_", B64Url, 50)] },
        b'Y' => const { &[vk!(b"YC", B64Url, 38)] },
        _ => &[],
    }
}

/// Bytes of the entries of every first byte, in [`PACKED`].
const fn packed_len() -> usize {
    let mut n = 0;
    let mut c = 0;
    while c < 128 {
        let list = vendor_keys_for(c as u8);
        let mut k = 0;
        while k < list.len() {
            n += 5 + list[k].prefix.len();
            k += 1;
        }
        c += 1;
    }
    n
}

/// The table as it ships: for each entry, grouped by first byte, the
/// prefix's length, [`Body`], minimum, rules and alphanumeric run, then the
/// prefix. One byte string compresses far better than a slice of structs
/// holding pointers (each `&[u8]` is an address and a length).
static PACKED: [u8; packed_len()] = {
    let mut t = [0u8; packed_len()];
    let mut n = 0;
    let mut c = 0;
    while c < 128 {
        let list = vendor_keys_for(c as u8);
        let mut k = 0;
        while k < list.len() {
            let v = &list[k];
            t[n] = v.prefix.len() as u8;
            t[n + 1] = v.body as u8;
            t[n + 2] = v.min;
            t[n + 3] = v.rules;
            t[n + 4] = v.alnum;
            let mut q = 0;
            while q < v.prefix.len() {
                t[n + 5 + q] = v.prefix[q];
                q += 1;
            }
            n += 5 + v.prefix.len();
            k += 1;
        }
        c += 1;
    }
    t
};

/// Where the entries of each first byte (`A` to `z`) start in [`PACKED`];
/// the next byte's start ends them.
static GROUPS: [u16; 59] = {
    let mut t = [0u16; 59];
    let mut n = 0;
    let mut c = 0;
    while c < 128 {
        if c >= b'A' as usize && c <= b'z' as usize + 1 {
            t[c - b'A' as usize] = n as u16;
        }
        let list = vendor_keys_for(c as u8);
        let mut k = 0;
        while k < list.len() {
            n += 5 + list[k].prefix.len();
            k += 1;
        }
        c += 1;
    }
    t
};

/// For each first byte `A` to `z`, a filter on the next two bytes of its
/// prefixes: the low half has a bit per second byte modulo 32, the high
/// half a bit per third byte modulo 32 (every bit for a group holding a
/// two-byte prefix). A shared bit only costs a look at the prefixes; most
/// words (`status`, `Error`, `search`) are rejected by one lookup. With the
/// second byte alone, words like `search` or `should` walked the whole `s`
/// group: the third byte took a third off the time spent here.
static NEXT_BYTES: [u64; 58] = {
    let mut t = [0u64; 58];
    let mut c = 0;
    while c < 58 {
        let list = vendor_keys_for(b'A' + c as u8);
        let mut k = 0;
        while k < list.len() {
            let p = list[k].prefix;
            t[c] |= 1 << (p[1] % 32);
            t[c] |= if p.len() > 2 {
                1 << (32 + p[2] % 32)
            } else {
                0xffff_ffff << 32
            };
            k += 1;
        }
        c += 1;
    }
    t
};

/// One entry read from [`PACKED`].
struct Entry {
    prefix: &'static [u8],
    body: Body,
    min: u8,
    rules: u8,
    alnum: u8,
}

impl Scan<'_, '_> {
    /// Vendor API keys by prefix; the body must reach the minimum length,
    /// end at a non-alphanumeric byte and pass the entry's rules.
    pub(crate) fn vendor_key(&self, i: usize, r: usize) -> Option<Hit> {
        let b = self.b;
        let run = r - i;
        let c = b[i];
        if !matches!(c, b'A'..=b'z') {
            return None;
        }
        let g = usize::from(c - b'A');
        let next = NEXT_BYTES[g];
        if next & (1 << (self.at(i + 1) % 32)) == 0 || next & (1 << (32 + self.at(i + 2) % 32)) == 0
        {
            return None;
        }
        let mut e = usize::from(GROUPS[g]);
        let group_end = usize::from(GROUPS[g + 1]);
        let second = self.at(i + 1);
        while e < group_end {
            let at = e;
            let plen = usize::from(PACKED[at]);
            e += 5 + plen;
            // Every prefix has two bytes or more: its second one rejects
            // most entries before they are decoded.
            if PACKED[at + 6] != second {
                continue;
            }
            let v = Entry {
                prefix: &PACKED[at + 5..at + 5 + plen],
                body: BODIES[usize::from(PACKED[at + 1]) % BODIES.len()],
                min: PACKED[at + 2],
                rules: PACKED[at + 3],
                alnum: PACKED[at + 4],
            };
            // The word's run of letters and digits must fit the prefix's:
            // exactly as long when the prefix has punctuation (`sk_live_`
            // needs the run `sk`), at least as long otherwise (`AKIA...`).
            let alnum = usize::from(v.alnum);
            let fits = if alnum < v.prefix.len() {
                run == alnum
            } else {
                run >= alnum
            };
            if !fits || !self.lit(i, v.prefix) {
                continue;
            }
            let bs = i + v.prefix.len();
            let body_class = v.body;
            let mut j = self.memo_run(body_class as usize, bs, |c| body_class.has(c));
            // A trailing sentence period is not part of a dotted body.
            while j > bs && matches!(v.body, Body::Dotted | Body::B64) && b[j - 1] == b'.' {
                j -= 1;
            }
            let body = &b[bs..j];
            if body.len() < usize::from(v.min)
                || body.len() > MAX_BODY
                || is(self.at(j), ALNUM)
                || self.at(j) == b'['
            {
                continue;
            }
            let distinctive =
                v.prefix.len() >= 5 && usize::from(v.alnum) < v.prefix.len() && v.rules & WEAK == 0;
            let crc_ok = v.rules & CRC != 0 && body.len() == 36 && github_crc_ok(body);
            let ok = if v.rules & STRONG != 0 || (distinctive && v.rules & DIGIT1 == 0) || crc_ok {
                true
            } else if v.rules & DIGIT1 != 0 {
                is(body[0], DIGIT)
            } else {
                random_body(body)
            };
            if !ok {
                continue;
            }
            if v.rules & KEEP != 0 {
                return Hit::new(bs, j, "[secret]");
            }
            return Hit::new(i, j, "[secret]");
        }
        None
    }
}
