//! `core::json` behaviour that needs neither serde_json nor proptest, written
//! once so it can run on the host (`tests/json.rs`) and, if wired into
//! `tests/wasm_service_worker.rs`, inside the browser: the value, the parser,
//! the writer, the accessors hand-written `from_json` code uses, and the
//! `to_json`/`from_json` round trip of every record the core persists
//! outside the engine.

use mv3_telemetry::core::json::{self, Json, JsonError, JsonErrorKind, Number, MAX_DEPTH};
use mv3_telemetry::core::sketch::Sketch;
use mv3_telemetry::core::stack::Frame;
use mv3_telemetry::core::wire::{Context, DropCounts, DropReason, Endpoint};

fn obj(entries: &[(&str, Json)]) -> Json {
    Json::Object(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn num(text: &str) -> Json {
    Json::Number(Number::parse(text).expect("a valid number"))
}

fn s(text: &str) -> Json {
    Json::String(text.to_string())
}

fn err(kind: JsonErrorKind, offset: usize) -> JsonError {
    JsonError { kind, offset }
}

pub fn parses_every_kind_of_value() {
    let text = " {\"a\" : [1, -2.5e3, true, false, null, \"x\"], \"b\":{}, \"c\":[]}\n";
    let expected = obj(&[
        (
            "a",
            Json::Array(vec![
                num("1"),
                num("-2.5e3"),
                Json::Bool(true),
                Json::Bool(false),
                Json::Null,
                s("x"),
            ]),
        ),
        ("b", Json::Object(vec![])),
        ("c", Json::Array(vec![])),
    ]);
    assert_eq!(json::parse(text), Ok(expected));
    for (text, value) in [
        ("0", num("0")),
        ("\"\"", s("")),
        ("null", Json::Null),
        ("  true  ", Json::Bool(true)),
    ] {
        assert_eq!(json::parse(text), Ok(value), "{text}");
    }
}

pub fn objects_keep_key_order_and_the_last_duplicate_wins_on_lookup() {
    let value = json::parse(r#"{"z":1,"a":2,"m":3,"a":4}"#).unwrap();
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(keys, ["z", "a", "m", "a"]);
    assert_eq!(value.get("a").and_then(Json::as_u64), Some(4));
    assert_eq!(value.get("missing"), None);
    assert_eq!(json::to_string(&value), r#"{"z":1,"a":2,"m":3,"a":4}"#);
    assert_eq!(Json::Null.get("a"), None);
}

pub fn accessors_answer_only_for_their_own_kind() {
    let value = json::parse(r#"{"s":"x","n":7,"f":0.5,"b":true,"a":[1],"z":null}"#).unwrap();
    assert_eq!(value.get("s").and_then(Json::as_str), Some("x"));
    assert_eq!(value.get("n").and_then(Json::as_u64), Some(7));
    assert_eq!(value.get("f").and_then(Json::as_u64), None);
    assert_eq!(value.get("f").and_then(Json::as_i64), None);
    assert_eq!(value.get("b").and_then(Json::as_bool), Some(true));
    assert_eq!(
        value.get("a").and_then(Json::as_array).map(<[Json]>::len),
        Some(1)
    );
    assert_eq!(value.get("a").and_then(Json::as_object), None);
    assert!(value.get("z").is_some_and(Json::is_null));
    assert_eq!(value.get("s").and_then(Json::as_u64), None);
    assert_eq!(value.get("n").and_then(Json::as_str), None);
    assert_eq!(value.get("n").and_then(Json::as_object), None);
    assert!(!value.is_null());
}

pub fn writes_compact_json_like_json_stringify() {
    let text = "{ \"a\" : [ 1 , 2.50 , { } ] , \"b\" : \"q\\\"\\\\\\n\" , \"c\" : null }";
    assert_eq!(
        json::to_string(&json::parse(text).unwrap()),
        r#"{"a":[1,2.50,{}],"b":"q\"\\\n","c":null}"#
    );
    let mut out = String::from("prefix:");
    json::write(&Json::Array(vec![Json::Bool(false), Json::Null]), &mut out);
    assert_eq!(out, "prefix:[false,null]");
}

pub fn strings_are_escaped_as_json_stringify_does() {
    let cases = [
        ("plain", r#""plain""#),
        (
            "quote \" backslash \\ slash /",
            r#""quote \" backslash \\ slash /""#,
        ),
        ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
        ("\u{0}\u{1}\u{1f}\u{7f}", "\"\\u0000\\u0001\\u001f\u{7f}\""),
        ("é ✓ 😀 \u{2028}\u{2029}", "\"é ✓ 😀 \u{2028}\u{2029}\""),
        ("", r#""""#),
    ];
    for (raw, quoted) in cases {
        let mut out = String::new();
        json::push_string(&mut out, raw);
        assert_eq!(out, quoted);
        assert_eq!(json::parse(&out), Ok(Json::String(raw.to_string())));
    }
}

pub fn escapes_decode_including_surrogate_pairs() {
    let value =
        json::parse(r#""\"\\\/\b\f\n\r\t\u0041\u00e9\u2713\uD83D\uDE00\ud83d\ude00""#).unwrap();
    assert_eq!(value, s("\"\\/\u{8}\u{c}\n\r\tAé✓😀😀"));
}

pub fn lone_surrogates_become_replacement_characters() {
    let cases = [
        (r#""\ud800""#, "\u{FFFD}"),
        (r#""\udc00""#, "\u{FFFD}"),
        (r#""a\ud800b""#, "a\u{FFFD}b"),
        (r#""\ud800\ud800""#, "\u{FFFD}\u{FFFD}"),
        (r#""\ud800\u0041""#, "\u{FFFD}A"),
        (r#""\udc00\ud800\udc00""#, "\u{FFFD}𐀀"),
        (r#""\ud800\n""#, "\u{FFFD}\n"),
    ];
    for (text, expected) in cases {
        assert_eq!(json::parse(text), Ok(s(expected)), "{text}");
    }
}

pub fn invalid_json_is_rejected_with_a_kind_and_an_offset() {
    use JsonErrorKind::*;
    let cases = [
        ("", err(Eof, 0)),
        ("   ", err(Eof, 3)),
        ("[1,", err(Eof, 3)),
        ("{\"a\"", err(Eof, 4)),
        ("\"abc", err(Eof, 4)),
        ("tru", err(Eof, 3)),
        ("nul", err(Eof, 3)),
        ("trUe", err(Syntax, 0)),
        ("[1,]", err(Syntax, 3)),
        ("{\"a\":1,}", err(Syntax, 7)),
        ("{a:1}", err(Syntax, 1)),
        ("{\"a\" 1}", err(Syntax, 5)),
        ("[1 2]", err(Syntax, 3)),
        ("'x'", err(Syntax, 0)),
        ("\"a\tb\"", err(Syntax, 2)),
        ("\"\\x\"", err(Syntax, 2)),
        ("\"\\u12g4\"", err(Syntax, 5)),
        ("\"\\u12", err(Eof, 5)),
        ("\"\\ud800\\u12\"", err(Syntax, 11)),
        ("01", err(TrailingCharacters, 1)),
        ("+1", err(Syntax, 0)),
        ("-", err(Eof, 1)),
        ("-a", err(Syntax, 1)),
        ("1.", err(Eof, 2)),
        ("1.e5", err(Syntax, 2)),
        (".5", err(Syntax, 0)),
        ("1e", err(Eof, 2)),
        ("1e+", err(Eof, 3)),
        ("NaN", err(Syntax, 0)),
        ("Infinity", err(Syntax, 0)),
        ("[1]x", err(TrailingCharacters, 3)),
        ("{} {}", err(TrailingCharacters, 3)),
        ("1 2", err(TrailingCharacters, 2)),
        ("\u{feff}1", err(Syntax, 0)),
    ];
    for (text, expected) in cases {
        assert_eq!(json::parse(text), Err(expected), "{text:?}");
    }
}

pub fn nesting_up_to_the_depth_limit_parses_and_one_more_level_is_an_error() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(json::parse(&deep(MAX_DEPTH)).is_ok());
    assert_eq!(
        json::parse(&deep(MAX_DEPTH + 1)),
        Err(err(JsonErrorKind::Depth, MAX_DEPTH))
    );
    let objects = format!(
        "{}1{}",
        "{\"a\":".repeat(MAX_DEPTH + 1),
        "}".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(
        json::parse(&objects).map_err(|e| e.kind),
        Err(JsonErrorKind::Depth)
    );
    // Depth counts open containers, not how many were seen: siblings are fine.
    let wide = format!("[{}]", vec![deep(MAX_DEPTH - 1); 1000].join(","));
    assert!(json::parse(&wide).is_ok());
}

pub fn a_hundred_thousand_open_brackets_is_a_depth_error_not_a_stack_overflow() {
    assert_eq!(
        json::parse(&"[".repeat(100_000)).map_err(|e| e.kind),
        Err(JsonErrorKind::Depth)
    );
    assert_eq!(
        json::parse(&"{\"a\":".repeat(100_000)).map_err(|e| e.kind),
        Err(JsonErrorKind::Depth)
    );
}

pub fn numbers_keep_their_text() {
    for text in [
        "0",
        "-0",
        "1.0",
        "1.50",
        "1e3",
        "1E+3",
        "-1.25e-7",
        "123456789012345678901234567890",
        "1e400",
    ] {
        assert_eq!(json::to_string(&json::parse(text).unwrap()), text);
        assert_eq!(
            Number::parse(text).map(|n| n.as_str().to_string()),
            Some(text.to_string())
        );
    }
    for text in [
        "",
        " 1",
        "1 ",
        "+1",
        "01",
        "1.",
        ".1",
        "1e",
        "--1",
        "0x10",
        "NaN",
        "-Infinity",
        "1_000",
    ] {
        assert_eq!(Number::parse(text), None, "{text:?}");
    }
}

pub fn integers_read_exactly_at_the_u64_and_i64_limits() {
    let n = |text: &str| Number::parse(text).unwrap();
    assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(n("18446744073709551616").as_u64(), None);
    assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
    assert_eq!(n("9223372036854775808").as_i64(), None);
    assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(n("-9223372036854775809").as_i64(), None);
    assert_eq!(n("-1").as_u64(), None);
    assert_eq!(n("-0").as_i64(), Some(0));
    assert_eq!(n("1.0").as_u64(), None);
    assert_eq!(n("1e3").as_i64(), None);
    assert_eq!(Number::from_u64(u64::MAX).as_str(), "18446744073709551615");
    assert_eq!(Number::from_i64(i64::MIN).as_str(), "-9223372036854775808");
    assert_eq!(Number::from_u64(0).as_str(), "0");
}

pub fn integer_accessors_read_only_integers_of_their_range() {
    let value =
        json::parse(r#"[4294967295,4294967296,-3,-0,1.0,1e2,"7",18446744073709551615]"#).unwrap();
    let items = value.as_array().unwrap();
    assert_eq!(
        items.iter().map(Json::as_u32).collect::<Vec<_>>(),
        [Some(u32::MAX), None, None, None, None, None, None, None]
    );
    assert_eq!(
        items.iter().map(Json::as_i64).collect::<Vec<_>>(),
        [
            Some(4294967295),
            Some(4294967296),
            Some(-3),
            Some(0),
            None,
            None,
            None,
            None
        ]
    );
    assert_eq!(
        items.iter().map(Json::as_u64).collect::<Vec<_>>(),
        [
            Some(4294967295),
            Some(4294967296),
            None,
            None,
            None,
            None,
            None,
            Some(u64::MAX)
        ]
    );
}

pub fn to_owned_str_copies_strings_and_refuses_everything_else() {
    assert_eq!(s("é\n").to_owned_str(), Some("é\n".to_string()));
    assert_eq!(num("1").to_owned_str(), None);
    assert_eq!(Json::Null.to_owned_str(), None);
}

pub fn array_of_reads_every_element_or_nothing() {
    assert_eq!(
        json::parse("[1,2,3]").unwrap().array_of(Json::as_u64),
        Some(vec![1, 2, 3])
    );
    assert_eq!(
        json::parse("[]").unwrap().array_of(Json::as_u64),
        Some(vec![])
    );
    assert_eq!(
        json::parse(r#"[1,"2",3]"#).unwrap().array_of(Json::as_u64),
        None
    );
    assert_eq!(
        json::parse(r#"{"0":1}"#).unwrap().array_of(Json::as_u64),
        None
    );
}

pub fn field_or_default_gives_the_default_for_absent_or_null_and_refuses_the_wrong_type() {
    let value = json::parse(r#"{"n":7,"z":null,"s":"x"}"#).unwrap();
    assert_eq!(value.field_or_default("n", Json::as_u64), Some(7));
    assert_eq!(value.field_or_default("missing", Json::as_u64), Some(0));
    assert_eq!(value.field_or_default("z", Json::as_u64), Some(0));
    assert_eq!(
        value.field_or_default("s", Json::as_u64),
        None,
        "present with the wrong type: the record is corrupt"
    );
    assert_eq!(
        value.field_or_default("z", |v| v.array_of(Json::as_u64)),
        Some(vec![])
    );
}

pub fn optional_field_is_none_for_absent_or_null_and_refuses_the_wrong_type() {
    let value = json::parse(r#"{"s":"x","z":null,"n":1}"#).unwrap();
    assert_eq!(
        value.optional_field("s", Json::to_owned_str),
        Some(Some("x".to_string()))
    );
    assert_eq!(value.optional_field("z", Json::to_owned_str), Some(None));
    assert_eq!(
        value.optional_field("missing", Json::to_owned_str),
        Some(None)
    );
    assert_eq!(value.optional_field("n", Json::to_owned_str), None);
    assert_eq!(
        Json::Null.optional_field("s", Json::to_owned_str),
        Some(None),
        "a non-object has no fields"
    );
}

pub fn the_digit_and_array_writers_append_compact_json() {
    let mut out = String::new();
    json::push_array(&mut out, [0u64, 7, u64::MAX], json::push_u64);
    out.push(' ');
    json::push_array(&mut out, [i64::MIN, -1, 0, i64::MAX], json::push_i64);
    out.push(' ');
    json::push_array(&mut out, Vec::<u64>::new(), json::push_u64);
    out.push(' ');
    json::push_array(&mut out, [Some("a\""), None], json::push_optional_string);
    out.push(' ');
    json::push_array(&mut out, [Some(3), None], json::push_optional_u64);
    assert_eq!(
        out,
        r#"[0,7,18446744073709551615] [-9223372036854775808,-1,0,9223372036854775807] [] ["a\"",null] [3,null]"#
    );
}

pub fn errors_display_their_kind_and_offset() {
    assert_eq!(
        json::parse("[1,]").unwrap_err().to_string(),
        "JSON syntax error at byte 3"
    );
    assert_eq!(
        json::parse("[").unwrap_err().to_string(),
        "unexpected end of JSON input at byte 1"
    );
    assert_eq!(
        json::parse("1 2").unwrap_err().to_string(),
        "trailing characters after the JSON value at byte 2"
    );
    assert_eq!(
        json::parse(&"[".repeat(MAX_DEPTH + 1))
            .unwrap_err()
            .to_string(),
        "JSON nested too deeply at byte 128"
    );
}

/// `to_json` output as text, for the record round trips.
fn text_of(write: impl FnOnce(&mut String)) -> String {
    let mut out = String::new();
    write(&mut out);
    out
}

pub fn an_endpoint_round_trips_as_its_lowercase_name() {
    for endpoint in Endpoint::ALL {
        let text = text_of(|out| endpoint.to_json(out));
        assert_eq!(
            text,
            format!("\"{}\"", endpoint.path().trim_start_matches("/v1/"))
        );
        assert_eq!(
            Endpoint::from_json(&json::parse(&text).unwrap()),
            Some(endpoint)
        );
    }
    assert_eq!(Endpoint::from_json(&s("Events")), None);
    assert_eq!(Endpoint::from_json(&num("0")), None);
}

pub fn drop_counts_round_trip_keeping_only_non_zero_counts() {
    let mut counts = DropCounts::default();
    counts.add(DropReason::QueueFull, 3);
    counts.add(DropReason::HookError, u64::MAX);
    let text = text_of(|out| counts.to_json(out));
    assert_eq!(
        text,
        r#"{"queue_full":3,"hook_error":18446744073709551615}"#
    );
    assert_eq!(
        DropCounts::from_json(&json::parse(&text).unwrap()),
        Some(counts)
    );
    assert_eq!(text_of(|out| DropCounts::default().to_json(out)), "{}");
    assert_eq!(
        DropCounts::from_json(&json::parse("{}").unwrap()),
        Some(DropCounts::default())
    );
    // A later version's reason is ignored; a count that is not a count is corrupt.
    let read = DropCounts::from_json(&json::parse(r#"{"sampled":2,"from_the_future":9}"#).unwrap())
        .unwrap();
    assert_eq!(read.get(DropReason::Sampled), 2);
    assert_eq!(
        DropCounts::from_json(&json::parse(r#"{"sampled":-1}"#).unwrap()),
        None
    );
    assert_eq!(DropCounts::from_json(&json::parse("[]").unwrap()), None);
}

pub fn a_frame_round_trips_with_nulls_for_unknown_parts() {
    let frames = [
        Frame {
            function: Some("f \"q\"".into()),
            file: None,
            line: Some(1),
            column: None,
        },
        Frame {
            function: None,
            file: Some("/a.js".into()),
            line: None,
            column: Some(u32::MAX),
        },
        Frame {
            function: None,
            file: None,
            line: None,
            column: None,
        },
    ];
    for frame in frames {
        let text = text_of(|out| frame.to_json(out));
        assert_eq!(Frame::from_json(&json::parse(&text).unwrap()), Some(frame));
    }
    let text = text_of(|out| {
        Frame {
            function: Some("f".into()),
            file: None,
            line: Some(1),
            column: None,
        }
        .to_json(out)
    });
    assert_eq!(
        text,
        r#"{"function":"f","file":null,"line":1,"column":null}"#
    );
    assert_eq!(
        Frame::from_json(&json::parse("{}").unwrap()),
        Some(Frame {
            function: None,
            file: None,
            line: None,
            column: None
        })
    );
    assert_eq!(
        Frame::from_json(&json::parse(r#"{"line":4294967296}"#).unwrap()),
        None
    );
    assert_eq!(
        Frame::from_json(&json::parse(r#"{"file":1}"#).unwrap()),
        None
    );
    assert_eq!(Frame::from_json(&Json::Null), None);
}

pub fn a_context_round_trips_and_absent_fields_are_empty() {
    let context = Context {
        app_version: "1.2.3".into(),
        environment: "production".into(),
        browser: "Chrome 156".into(),
        os: "linux".into(),
        locale: "en-US".into(),
    };
    let text = text_of(|out| context.to_json(out));
    assert_eq!(
        text,
        r#"{"app_version":"1.2.3","environment":"production","browser":"Chrome 156","os":"linux","locale":"en-US"}"#
    );
    assert_eq!(
        Context::from_json(&json::parse(&text).unwrap()),
        Some(context)
    );
    assert_eq!(
        Context::from_json(&json::parse(r#"{"os":"mac"}"#).unwrap()),
        Some(Context {
            os: "mac".into(),
            ..Context::default()
        })
    );
    assert_eq!(
        Context::from_json(&json::parse(r#"{"os":1}"#).unwrap()),
        None
    );
    assert_eq!(Context::from_json(&s("x")), None);
}

pub fn a_sketch_round_trips_bit_exactly_and_a_missing_field_is_corrupt() {
    let mut sketch = Sketch::new();
    for v in [0.0, 0.5, 3.25, 1e300, 0.1 + 0.2] {
        sketch.add(v);
    }
    for sketch in [Sketch::new(), sketch] {
        let text = text_of(|out| sketch.to_json(out));
        let back = Sketch::from_json(&json::parse(&text).unwrap()).unwrap();
        assert_eq!(back, sketch);
        assert_eq!(back.sum().to_bits(), sketch.sum().to_bits());
    }
    let empty = text_of(|out| Sketch::new().to_json(out));
    assert_eq!(
        empty,
        format!(
            r#"{{"offset":0,"counts":[],"zeros":0,"count":0,"sum_bits":0,"min_bits":{},"max_bits":{},"scale":6}}"#,
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits()
        )
    );
    let without_count = empty.replace(r#""count":0,"#, "");
    assert_eq!(
        Sketch::from_json(&json::parse(&without_count).unwrap()),
        None
    );
    let offset_beyond_i32 = empty.replace(r#""offset":0"#, r#""offset":2147483648"#);
    assert_eq!(
        Sketch::from_json(&json::parse(&offset_beyond_i32).unwrap()),
        None
    );
}

/// Declares one test per case with the given test attribute; the second
/// argument names this module at the including crate's root (for
/// `common::json_cases`, `use common::json_cases;` first).
#[macro_export]
macro_rules! json_cases {
    ($attr:meta; $module:ident) => {
        $crate::json_cases!(@each $attr; $module;
            parses_every_kind_of_value,
            objects_keep_key_order_and_the_last_duplicate_wins_on_lookup,
            accessors_answer_only_for_their_own_kind,
            writes_compact_json_like_json_stringify,
            strings_are_escaped_as_json_stringify_does,
            escapes_decode_including_surrogate_pairs,
            lone_surrogates_become_replacement_characters,
            invalid_json_is_rejected_with_a_kind_and_an_offset,
            nesting_up_to_the_depth_limit_parses_and_one_more_level_is_an_error,
            a_hundred_thousand_open_brackets_is_a_depth_error_not_a_stack_overflow,
            numbers_keep_their_text,
            integers_read_exactly_at_the_u64_and_i64_limits,
            integer_accessors_read_only_integers_of_their_range,
            to_owned_str_copies_strings_and_refuses_everything_else,
            array_of_reads_every_element_or_nothing,
            field_or_default_gives_the_default_for_absent_or_null_and_refuses_the_wrong_type,
            optional_field_is_none_for_absent_or_null_and_refuses_the_wrong_type,
            the_digit_and_array_writers_append_compact_json,
            errors_display_their_kind_and_offset,
            an_endpoint_round_trips_as_its_lowercase_name,
            drop_counts_round_trip_keeping_only_non_zero_counts,
            a_frame_round_trips_with_nulls_for_unknown_parts,
            a_context_round_trips_and_absent_fields_are_empty,
            a_sketch_round_trips_bit_exactly_and_a_missing_field_is_corrupt
        );
    };
    (@each $attr:meta; $module:ident; $($case:ident),* $(,)?) => {
        $(
            #[$attr]
            fn $case() {
                $crate::$module::$case();
            }
        )*
    };
}
