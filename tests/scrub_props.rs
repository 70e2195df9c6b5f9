#![cfg(not(target_arch = "wasm32"))]
//! Property tests for the scrubber: no panic on any string, idempotence, and
//! generated secrets (valid cards, IBANs, emails, JWTs, vendor keys, IPs)
//! embedded in random text never survive.

use mv3_telemetry::core::scrub::Scrubber;
use proptest::prelude::*;
use proptest::sample::select;

#[path = "common/scrub_fragments.rs"]
mod scrub_fragments;
use scrub_fragments::FRAGMENTS;

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(select(FRAGMENTS), 0..48).prop_map(|v| v.concat())
}

fn luhn_complete(body: &str) -> String {
    // Appends the check digit that makes `body` + digit pass Luhn.
    let mut sum = 0;
    for (k, c) in body.bytes().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if k % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn card() -> impl Strategy<Value = String> {
    let issuers = select(vec![
        ("4", 16),
        ("4", 13),
        ("51", 16),
        ("55", 16),
        ("2221", 16),
        ("34", 15),
        ("37", 15),
        ("6011", 16),
        ("65", 16),
        ("3528", 16),
        ("62", 19),
        ("36", 14),
    ]);
    (issuers, "[0-9]{18}", 0..3usize).prop_map(|((p, len), digits, style)| {
        let body = format!("{p}{}", &digits[..len - 1 - p.len()]);
        let n = luhn_complete(&body);
        if style == 0 || len != 16 {
            n
        } else {
            let sep = if style == 1 { " " } else { "-" };
            n.as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(sep)
        }
    })
}

fn iban() -> impl Strategy<Value = String> {
    ("[0-9]{18}", any::<bool>()).prop_map(|(bban, spaced)| {
        // Check digits: 98 - (BBAN + "DE00" as digits) mod 97.
        let rearranged = format!("{bban}131400");
        let rem = rearranged
            .bytes()
            .fold(0u32, |r, c| (r * 10 + u32::from(c - b'0')) % 97);
        let iban = format!("DE{:02}{bban}", 98 - rem);
        if spaced {
            iban.as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            iban
        }
    })
}

fn email() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9._+-]{0,14}[a-z0-9]",
        "[a-z][a-z0-9-]{0,10}[a-z0-9]",
        "[a-z]{2,6}",
        any::<bool>(),
    )
        .prop_map(|(l, d, t, enc)| format!("{l}{}{d}.{t}", if enc { "%40" } else { "@" }))
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..=n {
            out.push(A[((v >> (18 - 6 * k)) & 63) as usize] as char);
        }
    }
    out
}

fn jwt() -> impl Strategy<Value = String> {
    (
        select(vec!["HS256", "RS256", "ES256", "none"]),
        "[a-z0-9]{0,8}",
        "[a-zA-Z0-9]{1,12}",
        prop::collection::vec(any::<u8>(), 16..48),
    )
        .prop_map(|(alg, kid, sub, sig)| {
            let h = format!(r#"{{"alg":"{alg}","kid":"{kid}","typ":"JWT"}}"#);
            let p = format!(r#"{{"sub":"{sub}","iat":1716300000}}"#);
            format!(
                "{}.{}.{}",
                b64url(h.as_bytes()),
                b64url(p.as_bytes()),
                b64url(&sig)
            )
        })
}

fn vendor_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "AKIA[A-Z0-9]{16}",
        "ASIA[A-Z0-9]{16}",
        "ghp_[A-Za-z0-9]{36}",
        "github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        "xox[bpars]-[0-9]{10,12}-[0-9]{10,13}-[A-Za-z0-9]{24}",
        "sk_live_[A-Za-z0-9]{24,40}",
        "rk_test_[A-Za-z0-9]{24}",
        "AIza[A-Za-z0-9_-]{35}",
        "npm_[A-Za-z0-9]{36}",
        "glpat-[A-Za-z0-9_-]{20}",
    ]
}

fn ipv4() -> impl Strategy<Value = String> {
    (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
}

fn ipv6() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u16>(), 8).prop_map(|g| {
        g.iter()
            .map(|x| format!("{x:x}"))
            .collect::<Vec<_>>()
            .join(":")
    })
}

/// Text around an embedded secret: neutral words and the delimiters secrets
/// appear next to in logs.
fn before() -> impl Strategy<Value = String> {
    select(vec![
        "",
        "x ",
        "error: ",
        "value=",
        "(",
        "\"",
        "'",
        "<",
        "\n",
        "user ",
        "at ",
        "id: ",
        "failed for ",
        "{\"data\":\"",
        "[",
        "got ",
    ])
    .prop_map(str::to_owned)
}

fn after() -> impl Strategy<Value = String> {
    select(vec![
        "",
        " ",
        ".",
        ",",
        ")",
        "\"",
        "'",
        ">",
        " failed",
        "\n",
        ";",
        "!",
        " and more text",
        "\"}",
    ])
    .prop_map(str::to_owned)
}

fn assert_removed(secret: &str, pre: &str, post: &str) -> Result<(), TestCaseError> {
    let input = format!("{pre}{secret}{post}");
    let out = Scrubber::default().scrub_text(&input).into_owned();
    prop_assert!(
        !out.contains(secret),
        "{secret:?} survived: {input:?} -> {out:?}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_string_no_panic_and_idempotent(s in any::<String>()) {
        let sc = Scrubber::default();
        let once = sc.scrub_text(&s).into_owned();
        let twice = sc.scrub_text(&once).into_owned();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn secret_cards_removed(x in card(), pre in before(), post in after()) {
        assert_removed(&x, &pre, &post)?;
    }

    #[test]
    fn secret_ibans_removed(x in iban(), pre in before(), post in after()) {
        assert_removed(&x, &pre, &post)?;
    }

    #[test]
    fn secret_emails_removed(x in email(), pre in before(), post in after()) {
        assert_removed(&x, &pre, &post)?;
    }

    #[test]
    fn secret_jwts_removed(x in jwt(), pre in before(), post in after()) {
        assert_removed(&x, &pre, &post)?;
    }

    #[test]
    fn secret_vendor_keys_removed(x in vendor_key(), pre in before(), post in after()) {
        assert_removed(&x, &pre, &post)?;
    }

    #[test]
    fn secret_ipv4_removed(x in ipv4(), pre in before(), post in after()) {
        assert_removed(&x, &pre, &post)?;
    }

    #[test]
    fn secret_ipv6_removed(x in ipv6(), pre in before(), post in after()) {
        assert_removed(&x, &pre, &post)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn fragment_soup_idempotent(s in soup()) {
        let sc = Scrubber::default();
        let once = sc.scrub_text(&s).into_owned();
        let twice = sc.scrub_text(&once).into_owned();
        prop_assert_eq!(&once, &twice, "input {:?}", s);
    }

    #[test]
    fn scrub_value_no_panic_and_idempotent(keys in prop::collection::vec(soup(), 0..6), vals in prop::collection::vec(soup(), 0..6)) {
        use mv3_telemetry::core::json::{Json, Number};
        let sc = Scrubber::default();
        let mut pairs = Vec::new();
        for (k, v) in keys.iter().zip(vals.iter()) {
            let inner = Json::Object(vec![
                ("inner".to_owned(), Json::String(v.clone())),
                (k.clone(), Json::Number(Number::from_u64(4111111111111111))),
            ]);
            pairs.push((k.clone(), Json::Array(vec![Json::String(v.clone()), inner])));
        }
        let mut once = Json::Object(pairs);
        sc.scrub_value(&mut once);
        let mut twice = once.clone();
        sc.scrub_value(&mut twice);
        prop_assert_eq!(once, twice);
    }
}
