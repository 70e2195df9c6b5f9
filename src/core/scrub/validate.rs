//! Checksums and format validators used after a scanner has found a candidate.
//!
//! Matching a shape alone (16 digits, two letters and two digits) flags far too
//! much: timestamps, order ids, hex hashes. Each format here has a checksum or a
//! structural rule, so a candidate is only replaced when it validates. All
//! functions work on ASCII bytes and never allocate except `jwt_header_ok`,
//! which decodes a bounded header.

/// Luhn (mod 10) check over ASCII digits. Every real card number passes it; a
/// random digit string passes one time in ten, which the prefix table cuts
/// further.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    for &d in digits.iter().rev() {
        let mut v = u32::from(d.wrapping_sub(b'0'));
        if v > 9 {
            return false;
        }
        if double {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
        double = !double;
    }
    sum % 10 == 0
}

/// Whether `digits` (13 to 19 ASCII digits) starts with an issuer prefix that
/// issues numbers of that length. Numbers starting with 1 (UATP aside, which we
/// skip on purpose) are never cards: this is what keeps millisecond and
/// microsecond epoch timestamps (`1716300000000`) away from `[creditcard]`.
pub(crate) fn card_prefix_ok(digits: &[u8]) -> bool {
    let len = digits.len();
    // No issuer uses a leading 0, 1, 7, 8 or 9: most numbers (timestamps,
    // ids) stop here.
    if !(13..=19).contains(&len) || !matches!(digits[0], b'2'..=b'6') {
        return false;
    }
    // The first 6 digits as a number; shorter prefixes by division.
    let p6 = digits[..6]
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d.wrapping_sub(b'0')));
    let (p1, p2, p3, p4) = (p6 / 100_000, p6 / 10_000, p6 / 1000, p6 / 100);
    let l16_19 = (16..=19).contains(&len);
    // Visa.
    (p1 == 4 && (len == 13 || len == 16 || len == 19))
        // Mastercard, 51-55 and the 2-series.
        || ((51..=55).contains(&p2) && len == 16)
        || ((2221..=2720).contains(&p4) && len == 16)
        // American Express.
        || ((p2 == 34 || p2 == 37) && len == 15)
        // Discover.
        || ((p4 == 6011 || (644..=649).contains(&p3) || p2 == 65) && l16_19)
        || ((622_126..=622_925).contains(&p6) && l16_19)
        // Diners Club.
        || (((300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
            && (14..=19).contains(&len))
        // JCB.
        || ((3528..=3589).contains(&p4) && l16_19)
        // UnionPay.
        || (p2 == 62 && l16_19)
        // Mir.
        || ((2200..=2204).contains(&p4) && l16_19)
        // Maestro.
        || (matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761 | 6762 | 6763)
            && (13..=19).contains(&len))
}

/// Card candidate: prefix table, then Luhn.
pub(crate) fn card_ok(digits: &[u8]) -> bool {
    card_prefix_ok(digits) && luhn(digits)
}

/// IBAN length for a country code (upper-case ASCII), from the SWIFT IBAN
/// registry. Unknown countries yield `None`, so `XX12...` never matches.
/// One string, each length in two digits followed by its countries' codes:
/// a `match` on the codes compiled to a comparison per country, several
/// times the bytes of the string in the wasm.
pub(crate) fn iban_length(cc: [u8; 2]) -> Option<usize> {
    const TABLE: &[u8] = b"15NO16BE18DKFIFOGLNLSDFK19MKSI20ATBAEEKZLTLUXKMN21CHHRLILV22BGBHCRDEGBGEIEMERSVA23AEGIILIQTLOMSO24ADCZESMDPKROSASESKTNVG25LYPTST26ISTR27BIDJFRGRITMCMRSM28ALAZBYCYDOGTHULBPLSVNI29BREGPSQAUA30JOKWMU31MTSC32LC33RU";
    let mut n = 0;
    let mut k = 0;
    while k + 1 < TABLE.len() {
        let (a, b) = (TABLE[k], TABLE[k + 1]);
        if a.is_ascii_digit() {
            n = usize::from(a - b'0') * 10 + usize::from(b - b'0');
        } else if [a, b] == cc {
            return Some(n);
        }
        k += 2;
    }
    None
}

/// ISO 13616 mod-97 check over an IBAN's alphanumeric characters (any case,
/// no spaces): move the first four characters to the end, map letters to
/// 10..35, and the number must be 1 mod 97. Computed digit by digit so no big
/// integers are needed.
pub(crate) fn iban_mod97(chars: &[u8]) -> bool {
    if chars.len() < 5 {
        return false;
    }
    let mut rem = 0u32;
    for &c in chars[4..].iter().chain(chars[..4].iter()) {
        match c {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' | b'a'..=b'z' => {
                let v = u32::from(c.to_ascii_uppercase() - b'A') + 10;
                rem = (rem * 100 + v) % 97;
            }
            _ => return false,
        }
    }
    rem == 1
}

/// US SSN ranges that the SSA never issues: area 000, 666 and 900-999, group
/// 00, serial 0000. Values outside these are treated as SSNs.
pub(crate) fn ssn_ok(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

fn b64url_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' | b'+' => 62,
        b'_' | b'/' => 63,
        _ => return None,
    }))
}

/// Decodes unpadded base64url (standard alphabet accepted too) into `out`.
/// Returns false on a character outside the alphabet or an impossible length.
pub(crate) fn base64url_decode(s: &[u8], out: &mut Vec<u8>) -> bool {
    let s = match s.iter().position(|&c| c == b'=') {
        Some(p) => &s[..p],
        None => s,
    };
    if s.len() % 4 == 1 {
        return false;
    }
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in s {
        let Some(v) = b64url_value(c) else {
            return false;
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    true
}

/// Whether a JWT's first segment decodes to a JSON object. This is what
/// separates a real token from any three dotted base64url-looking words: every
/// JWS/JWE header is a JSON object (`{"alg":...}`).
pub(crate) fn jwt_header_ok(part: &[u8]) -> bool {
    // Real headers are a few dozen bytes; bounding the decode keeps a huge
    // fake header from costing more than its scan.
    if part.len() < 4 || part.len() > 4096 {
        return false;
    }
    let mut buf = Vec::with_capacity(part.len() * 3 / 4 + 1);
    if !base64url_decode(part, &mut buf) {
        return false;
    }
    // Each byte as the char of the same number (Latin-1): JSON's structure
    // is ASCII, so an object is still an object, and no UTF-8 validator is
    // linked for this one check. A header that is not UTF-8 is taken as a
    // token's, which only scrubs more.
    let mut text = String::with_capacity(buf.len());
    for &b in &buf {
        text.push(char::from(b));
    }
    matches!(
        crate::core::json::parse(&text),
        Ok(crate::core::json::Json::Object(_))
    )
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it), bit by bit: the
/// inputs are 30 bytes, and a 1 KiB table would cost more wasm than it saves.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &d in data {
        crc ^= u32::from(d);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Value of a base62 digit (`0-9 A-Z a-z`).
fn b62(c: u8) -> Option<u64> {
    Some(u64::from(match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'Z' => c - b'A' + 10,
        b'a'..=b'z' => c - b'a' + 36,
        _ => return None,
    }))
}

/// GitHub and npm token checksum: the body's last 6 bytes are the base62
/// CRC32 of the bytes before them (GitHub's published token format).
pub(crate) fn github_crc_ok(body: &[u8]) -> bool {
    if body.len() < 7 {
        return false;
    }
    let (payload, sum) = body.split_at(body.len() - 6);
    let mut v = 0u64;
    for &c in sum {
        match b62(c) {
            Some(d) => v = v * 62 + d,
            None => return false,
        }
    }
    v == u64::from(crc32(payload))
}

/// Character statistics of a candidate token: letters by case, digits, and
/// changes of kind between adjacent letters and digits.
struct Shape {
    upper: usize,
    lower: usize,
    digit: usize,
    changes: usize,
}

fn shape(t: &[u8]) -> Shape {
    let mut s = Shape {
        upper: 0,
        lower: 0,
        digit: 0,
        changes: 0,
    };
    let mut prev = 0u8;
    for &c in t {
        let k = match c {
            b'A'..=b'Z' => {
                s.upper += 1;
                1
            }
            b'a'..=b'z' => {
                s.lower += 1;
                2
            }
            b'0'..=b'9' => {
                s.digit += 1;
                3
            }
            _ => 0,
        };
        if k != 0 {
            if prev != 0 && k != prev {
                s.changes += 1;
            }
            prev = k;
        }
    }
    s
}

/// Whether a vendor key's body looks generated rather than written: it has
/// digits (or both cases in fair proportion, for letter-only formats), and
/// its letters and digits change kind often. `requiredCharacteristicTypes`
/// or `compile_pattern_v2` after a known prefix are identifiers; a real
/// body of 20 or more random characters changes kind about every other byte.
pub(crate) fn random_body(body: &[u8]) -> bool {
    let n = body.len();
    let s = shape(body);
    let mixed = s.upper * 5 >= n && s.lower * 5 >= n;
    (s.digit > 0 || mixed) && s.upper + s.lower > 0 && s.changes * 6 >= n
}

/// Shannon entropy of `t` in bits per byte, times 100 (`f64::ln`, which the
/// wasm carries anyway for the timing sketches).
fn entropy_centibits(t: &[u8]) -> u32 {
    let mut counts = [0u16; 128];
    for &c in t {
        counts[usize::from(c & 0x7f)] += 1;
    }
    let n = t.len() as f64;
    let mut h = 0.0f64;
    for &k in counts.iter() {
        if k > 0 {
            let p = f64::from(k) / n;
            h -= p * p.ln();
        }
    }
    // nats to centibits.
    (h * 144.269_504) as u32
}

/// Whether a value next to a credential word (`api_key = ...`,
/// `token 4f9c...`) is a generated secret rather than a word, a number, an
/// identifier or a path: at least `min` bytes, letters and digits (or both
/// cases), frequent changes of kind, and enough entropy for its length.
pub(crate) fn looks_random(t: &[u8], min: usize) -> bool {
    let n = t.len();
    if n < min || n > 512 {
        return false;
    }
    let s = shape(t);
    let classes = usize::from(s.upper > 0) + usize::from(s.lower > 0) + usize::from(s.digit > 0);
    if classes < 2 || s.changes * 5 < n || (s.digit == 0 && (s.upper * 5 < n || s.lower * 5 < n)) {
        return false;
    }
    // Random text of n bytes over 16 symbols reaches about log2(min(n, 16))
    // bits; ask for most of what its alphabet allows.
    let need = if s.upper == 0 || s.lower == 0 {
        300
    } else {
        350
    };
    entropy_centibits(t) >= need
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_values() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"378282246310005"));
        assert!(!luhn(b"4111111111111112"));
        assert!(!luhn(b"41x1"));
    }

    #[test]
    fn card_prefixes() {
        assert!(card_ok(b"4111111111111111"));
        assert!(card_ok(b"5555555555554444"));
        assert!(card_ok(b"2223003122003222"));
        assert!(card_ok(b"378282246310005"));
        assert!(card_ok(b"6011111111111117"));
        assert!(card_ok(b"3530111333300000"));
        assert!(card_ok(b"30569309025904"));
        // Epoch milliseconds and microseconds start with 1.
        assert!(!card_ok(b"1716300000000"));
        assert!(!card_ok(b"1716300000000000"));
    }

    #[test]
    fn iban_checks() {
        assert!(iban_mod97(b"DE89370400440532013000"));
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(iban_mod97(b"gb82west12345698765432"));
        assert!(!iban_mod97(b"DE89370400440532013001"));
        assert_eq!(iban_length(*b"DE"), Some(22));
        assert_eq!(iban_length(*b"XX"), None);
        // The first and last entries of the packed table, and one inside.
        assert_eq!(iban_length(*b"NO"), Some(15));
        assert_eq!(iban_length(*b"RU"), Some(33));
        assert_eq!(iban_length(*b"FK"), Some(18));
        assert_eq!(iban_length(*b"SM"), Some(27));
        assert_eq!(iban_length(*b"15"), None);
    }

    #[test]
    fn ssn_ranges() {
        assert!(ssn_ok(123, 45, 6789));
        assert!(!ssn_ok(0, 45, 6789));
        assert!(!ssn_ok(666, 45, 6789));
        assert!(!ssn_ok(901, 45, 6789));
        assert!(!ssn_ok(123, 0, 6789));
        assert!(!ssn_ok(123, 45, 0));
    }

    #[test]
    fn github_checksums_are_checked() {
        // CRC32 of the ASCII digits 1-9 is the classic check value.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let payload = b"Zq3T8vLw0Xk2Yb7Nc4Rm9Hs1Pd6Gf5J";
        let mut sum = [b'0'; 6];
        let mut v = crc32(payload);
        for k in (0..6).rev() {
            sum[k] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                [(v % 62) as usize];
            v /= 62;
        }
        let mut body = payload.to_vec();
        body.extend_from_slice(&sum);
        assert!(github_crc_ok(&body));
        body[3] ^= 1;
        assert!(!github_crc_ok(&body));
    }

    #[test]
    fn random_bodies_are_told_from_identifiers() {
        assert!(random_body(b"Zq3T8vLw0Xk2Yb7Nc4Rm9Hs1Pd6Gf5J"));
        assert!(random_body(b"qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuI"));
        assert!(!random_body(b"requiredCharacteristicTypes"));
        assert!(!random_body(b"compile_pattern_v2_for_agents"));
        assert!(looks_random(b"9f8Kq2LmZx7Vb3Nc5Rt1Yw", 16));
        assert!(looks_random(b"4f9c2e7a1b8d3f6e0a5c9b2d7e4f1a8c", 16));
        assert!(!looks_random(b"user_settings_v2", 16));
        assert!(!looks_random(b"ThisIsAnIdentifier", 16));
        assert!(!looks_random(b"1716300000000123", 16));
    }

    #[test]
    fn base64_and_jwt_header() {
        let mut out = Vec::new();
        assert!(base64url_decode(b"eyJhbGciOiJIUzI1NiJ9", &mut out));
        assert_eq!(out, br#"{"alg":"HS256"}"#);
        assert!(jwt_header_ok(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
        assert!(!jwt_header_ok(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVC")); // truncated
        assert!(!jwt_header_ok(b"eyJ"));
        assert!(!jwt_header_ok(b"eyJ!!!"));
    }

    #[test]
    fn a_jwt_header_is_any_json_object_whatever_its_bytes_outside_ascii() {
        // {"kid":"é"}: UTF-8 inside a string.
        assert!(jwt_header_ok(b"eyJraWQiOiLDqSJ9"));
        // {"kid":"<0xff>"}: not UTF-8, still an object's shape: a token.
        assert!(jwt_header_ok(b"eyJraWQiOiL_In0"));
        // ["alg"]: JSON, but not an object.
        assert!(!jwt_header_ok(b"WyJhbGciXQ"));
    }
}
