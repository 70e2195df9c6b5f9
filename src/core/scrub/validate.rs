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
pub(crate) fn iban_length(cc: [u8; 2]) -> Option<usize> {
    let n = match &cc {
        b"NO" => 15,
        b"BE" => 16,
        b"BI" | b"DJ" => 27,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" | b"SD" | b"FK" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"XK" | b"MN" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"TL" | b"OM" | b"SO" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"LY" | b"PT" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"PL" | b"SV" | b"NI" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        b"RU" => 33,
        _ => return None,
    };
    Some(n)
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
    match std::str::from_utf8(&buf) {
        Ok(text) => matches!(
            crate::core::json::parse(text),
            Ok(crate::core::json::Json::Object(_))
        ),
        Err(_) => false,
    }
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
    fn base64_and_jwt_header() {
        let mut out = Vec::new();
        assert!(base64url_decode(b"eyJhbGciOiJIUzI1NiJ9", &mut out));
        assert_eq!(out, br#"{"alg":"HS256"}"#);
        assert!(jwt_header_ok(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
        assert!(!jwt_header_ok(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVC")); // truncated
        assert!(!jwt_header_ok(b"eyJ"));
        assert!(!jwt_header_ok(b"eyJ!!!"));
    }
}
