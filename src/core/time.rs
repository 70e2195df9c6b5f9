//! Time formatting and parsing without a date crate (size): RFC 3339 output
//! for `sent_at`, HTTP-date input for `Retry-After`.

use crate::core::json::{push_u64, PushByte};
use crate::core::split::all_bytes;

/// Milliseconds since the Unix epoch, as every core API takes time.
pub type Millis = u64;

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date for a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The UTC day number of a timestamp (for once-a-day logic).
pub fn utc_day(ms: Millis) -> i64 {
    (ms as i64).div_euclid(MS_PER_DAY)
}

/// Appends `value` in decimal, zero-padded to `width` digits.
pub(crate) fn push_padded(out: &mut String, value: i64, width: usize) {
    let magnitude = value.unsigned_abs();
    if value < 0 {
        out.push_byte(b'-');
    }
    // The digits are counted, not written into a `String` of their own.
    let mut digits = 1;
    let mut rest = magnitude / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    for _ in digits..width {
        out.push_byte(b'0');
    }
    push_u64(out, magnitude);
}

/// `2026-11-21T10:00:00.000Z` for a Unix timestamp in milliseconds.
pub fn format_rfc3339(ms: Millis) -> String {
    let mut out = String::with_capacity(24);
    push_rfc3339(&mut out, ms);
    out
}

/// Appends [`format_rfc3339`]'s text: writers that put a timestamp into a
/// body need no `String` of their own (size).
pub fn push_rfc3339(out: &mut String, ms: Millis) {
    let ms = ms as i64;
    let (year, month, day) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let in_day = ms.rem_euclid(MS_PER_DAY);
    push_padded(out, year, 4);
    out.push_byte(b'-');
    push_padded(out, month as i64, 2);
    out.push_byte(b'-');
    push_padded(out, day as i64, 2);
    out.push_byte(b'T');
    push_padded(out, in_day / 3_600_000, 2);
    out.push_byte(b':');
    push_padded(out, in_day / 60_000 % 60, 2);
    out.push_byte(b':');
    push_padded(out, in_day / 1000 % 60, 2);
    out.push_byte(b'.');
    push_padded(out, in_day % 1000, 3);
    out.push_byte(b'Z');
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses an HTTP-date in any of RFC 9110's three forms (IMF-fixdate, RFC 850,
/// asctime) to Unix milliseconds.
pub fn parse_http_date(text: &str) -> Option<Millis> {
    // Tokenise on spaces, commas, colons and dashes; the forms differ only in
    // order. Size: a byte loop (the separators are ASCII, so every cut is a
    // char boundary), not `str::split` on a char array.
    let mut tokens: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().chain([b' ']).enumerate() {
        if matches!(b, b' ' | b',' | b':' | b'-') {
            if i > start {
                tokens.push(&text[start..i]);
            }
            start = i + 1;
        }
    }
    let month_of = |t: &str| {
        MONTHS
            .iter()
            .position(|m| t.eq_ignore_ascii_case(m))
            .map(|i| i as u32 + 1)
    };
    let num = |t: &str| -> Option<i64> {
        if t.is_empty() || t.len() > 4 || !all_bytes(t, |b| b.is_ascii_digit()) {
            return None;
        }
        super::json::parse_u64(t).map(|n| n as i64)
    };
    let (day, month, year, h, m, s) = match tokens.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT  /  Sunday, 06-Nov-94 08:49:37 GMT
        [_, d, mon, y, h, m, s, zone] if zone.eq_ignore_ascii_case("GMT") => {
            let mut year = num(y)?;
            if y.len() == 2 {
                year += if year < 70 { 2000 } else { 1900 };
            }
            (num(d)?, month_of(mon)?, year, num(h)?, num(m)?, num(s)?)
        }
        // Sun Nov  6 08:49:37 1994
        [_, mon, d, h, m, s, y] => (num(d)?, month_of(mon)?, num(y)?, num(h)?, num(m)?, num(s)?),
        _ => return None,
    };
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day as u32);
    Some((days * MS_PER_DAY + (h * 3600 + m * 60 + s) * 1000) as Millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_epoch_and_a_recent_date() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(1_763_719_200_123),
            "2025-11-21T10:00:00.123Z"
        );
        assert_eq!(format_rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn parses_the_three_http_date_forms() {
        let expected = Some(784_111_777_000);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
    }

    #[test]
    fn rejects_garbage_dates() {
        for bad in [
            "",
            "tomorrow",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "12",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_days_through_the_civil_calendar() {
        for days in [-1000i64, 0, 59, 60, 10_957, 20_000, 100_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
