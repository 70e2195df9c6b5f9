//! `core::json` behaviour that needs neither serde_json nor proptest, written
//! once so it can run on the host (`tests/json.rs`) and, if wired into
//! `tests/wasm_service_worker.rs`, inside the browser.

use mv3_telemetry::core::json::{self, Json, JsonError, JsonErrorKind, Number, MAX_DEPTH};
use serde::{Deserialize, Serialize};

fn obj(entries: &[(&str, Json)]) -> Json {
    Json::Object(entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
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
        ("a", Json::Array(vec![num("1"), num("-2.5e3"), Json::Bool(true), Json::Bool(false), Json::Null, s("x")])),
        ("b", Json::Object(vec![])),
        ("c", Json::Array(vec![])),
    ]);
    assert_eq!(json::parse(text), Ok(expected));
    for (text, value) in [("0", num("0")), ("\"\"", s("")), ("null", Json::Null), ("  true  ", Json::Bool(true))] {
        assert_eq!(json::parse(text), Ok(value), "{text}");
    }
}

pub fn objects_keep_key_order_and_the_last_duplicate_wins_on_lookup() {
    let value = json::parse(r#"{"z":1,"a":2,"m":3,"a":4}"#).unwrap();
    let keys: Vec<&str> = value.as_object().unwrap().iter().map(|(k, _)| k.as_str()).collect();
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
    assert_eq!(value.get("f").and_then(Json::as_f64), Some(0.5));
    assert_eq!(value.get("f").and_then(Json::as_u64), None);
    assert_eq!(value.get("b").and_then(Json::as_bool), Some(true));
    assert_eq!(value.get("a").and_then(Json::as_array).map(Vec::len), Some(1));
    assert!(value.get("z").is_some_and(Json::is_null));
    assert_eq!(value.get("s").and_then(Json::as_u64), None);
    assert_eq!(value.get("n").and_then(Json::as_str), None);
    assert_eq!(value.get("n").and_then(Json::as_object), None);
    assert!(!value.is_null());
}

pub fn writes_compact_json_like_json_stringify() {
    let text = "{ \"a\" : [ 1 , 2.50 , { } ] , \"b\" : \"q\\\"\\\\\\n\" , \"c\" : null }";
    assert_eq!(json::to_string(&json::parse(text).unwrap()), r#"{"a":[1,2.50,{}],"b":"q\"\\\n","c":null}"#);
    let mut out = String::from("prefix:");
    json::write(&Json::Array(vec![Json::Bool(false), Json::Null]), &mut out);
    assert_eq!(out, "prefix:[false,null]");
}

pub fn strings_are_escaped_as_json_stringify_does() {
    let cases = [
        ("plain", r#""plain""#),
        ("quote \" backslash \\ slash /", r#""quote \" backslash \\ slash /""#),
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
    let value = json::parse(r#""\"\\\/\b\f\n\r\t\u0041\u00e9\u2713\uD83D\uDE00\ud83d\ude00""#).unwrap();
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
    assert_eq!(json::parse(&deep(MAX_DEPTH + 1)), Err(err(JsonErrorKind::Depth, MAX_DEPTH)));
    let objects = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
    assert_eq!(json::parse(&objects).map_err(|e| e.kind), Err(JsonErrorKind::Depth));
    // Depth counts open containers, not how many were seen: siblings are fine.
    let wide = format!("[{}]", vec![deep(MAX_DEPTH - 1); 1000].join(","));
    assert!(json::parse(&wide).is_ok());
}

pub fn a_hundred_thousand_open_brackets_is_a_depth_error_not_a_stack_overflow() {
    assert_eq!(json::parse(&"[".repeat(100_000)).map_err(|e| e.kind), Err(JsonErrorKind::Depth));
    assert_eq!(json::parse(&"{\"a\":".repeat(100_000)).map_err(|e| e.kind), Err(JsonErrorKind::Depth));
}

pub fn numbers_keep_their_text() {
    for text in ["0", "-0", "1.0", "1.50", "1e3", "1E+3", "-1.25e-7", "123456789012345678901234567890", "1e400"] {
        assert_eq!(json::to_string(&json::parse(text).unwrap()), text);
        assert_eq!(Number::parse(text).map(|n| n.as_str().to_string()), Some(text.to_string()));
    }
    for text in ["", " 1", "1 ", "+1", "01", "1.", ".1", "1e", "--1", "0x10", "NaN", "-Infinity", "1_000"] {
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

pub fn floats_read_correctly_rounded_in_common_cases() {
    let cases: [(&str, f64); 14] = [
        ("0.25", 0.25),
        ("0.1", 0.1),
        ("-0.3", -0.3),
        ("1e-7", 1e-7),
        ("123.456", 123.456),
        ("0.30000000000000004", 0.30000000000000004),
        ("1.7976931348623157e308", f64::MAX),
        ("5e-324", 5e-324),
        ("2.2250738585072014e-308", f64::MIN_POSITIVE),
        ("9007199254740993", 9007199254740992.0),
        ("18446744073709551615", 18446744073709551615.0),
        ("1e22", 1e22),
        ("1e23", 1e23),
        ("0.000000000000000000000000000001", 1e-30),
    ];
    for (text, expected) in cases {
        assert_eq!(Number::parse(text).unwrap().as_f64(), Some(expected), "{text}");
    }
    assert_eq!(Number::parse("-0").unwrap().as_f64().map(f64::is_sign_negative), Some(true));
    assert_eq!(Number::parse("1e400").unwrap().as_f64(), None);
    assert_eq!(Number::parse("1e-400").unwrap().as_f64(), Some(0.0));
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Consent {
    #[default]
    Pending,
    Granted,
    Denied,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub last_activity: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub seq: u64,
    pub json: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion: Option<String>,
    /// Never persisted.
    #[serde(skip)]
    pub in_flight: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snap {
    pub version: u32,
    pub consent: Consent,
    #[serde(default)]
    pub anonymous_id: Option<String>,
    #[serde(default)]
    pub session: Option<Session>,
    #[serde(default)]
    pub queued: Vec<Item>,
    #[serde(default)]
    pub next_seq: u64,
    #[serde(default)]
    pub offset: i64,
    #[serde(default)]
    pub flags: (bool, u8),
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "json::object")]
    pub extra: Vec<(String, Json)>,
    #[serde(default)]
    pub pairs: Vec<(String, Json)>,
    #[serde(default = "null")]
    pub props: Json,
}

fn null() -> Json {
    Json::Null
}

pub fn sample_snapshot() -> Snap {
    Snap {
        version: 1,
        consent: Consent::Granted,
        anonymous_id: Some("0b8e7c2a-5d2f-4c41-9a38-1f0e2d3c4b5a".into()),
        session: Some(Session { id: "s\"1\\\n\u{1}é😀".into(), last_activity: u64::MAX }),
        queued: vec![
            Item { seq: u64::MAX - 1, json: r#"{"type":"event","props":{"a":1.5}}"#.into(), deletion: None, in_flight: None },
            Item { seq: 0, json: String::new(), deletion: Some("all".into()), in_flight: None },
        ],
        next_seq: 18_446_744_073_709_551_614,
        offset: i64::MIN,
        flags: (true, 255),
        extra: vec![("daily".into(), json::parse(r#"{"day":20412,"ratio":0.30000000000000004,"big":1e400}"#).unwrap()), ("z".into(), Json::Null)],
        pairs: vec![("k".into(), Json::Bool(true))],
        props: json::parse(r#"[1.50,-0,{"z":null,"a":[true]}]"#).unwrap(),
    }
}

pub fn a_snapshot_like_struct_round_trips_through_serde() {
    let snap = sample_snapshot();
    let text = json::to_string_of(&snap);
    let back: Snap = json::from_str_of(&text).unwrap();
    assert_eq!(back, snap);
    // Numbers inside `Json` fields keep their exact text both ways.
    assert!(text.contains(r#""ratio":0.30000000000000004,"big":1e400"#), "{text}");
    assert!(text.contains(r#""props":[1.50,-0,{"z":null,"a":[true]}]"#), "{text}");
    assert!(text.contains(r#""last_activity":18446744073709551615"#), "{text}");
    assert!(text.contains(r#""offset":-9223372036854775808"#), "{text}");
    assert!(text.contains(r#""consent":"granted""#), "{text}");
    assert!(text.contains(r#""flags":[true,255]"#), "{text}");
    // `with = "json::object"` writes pairs as an object; plain pairs stay arrays.
    assert!(text.contains(r#""extra":{"daily":{"day":20412,"#), "{text}");
    assert!(text.contains(r#","z":null}"#), "{text}");
    assert!(text.contains(r#""pairs":[["k",true]]"#), "{text}");
    assert!(!text.contains("in_flight"), "{text}");
    assert!(!text.contains("\"deletion\":null"), "{text}");
    // Writing what was read gives the same text.
    assert_eq!(json::to_string_of(&back), text);
    // Through a `Json` value too.
    let value = json::parse(&text).unwrap();
    assert_eq!(json::to_string_of(&value), text);
    assert_eq!(json::from_json::<Snap>(value), Ok(snap));
}

pub fn missing_default_fields_take_their_defaults_and_unknown_fields_are_ignored() {
    let text = r#"{"future":{"nested":[1,{"x":"y"}]},"version":2,"consent":"denied","also_new":1e999,
                   "queued":[{"seq":5,"json":"{}","in_flight":9,"extra_field":[]}]}"#;
    let snap: Snap = json::from_str_of(text).unwrap();
    assert_eq!(snap.version, 2);
    assert_eq!(snap.consent, Consent::Denied);
    assert_eq!(snap.anonymous_id, None);
    assert_eq!(snap.session, None);
    assert_eq!(snap.next_seq, 0);
    assert_eq!(snap.extra, vec![]);
    assert_eq!(snap.pairs, vec![]);
    assert_eq!(snap.props, Json::Null);
    // `in_flight` is skipped: present in the input, still not read.
    assert_eq!(snap.queued, vec![Item { seq: 5, json: "{}".into(), deletion: None, in_flight: None }]);
}

pub fn an_extra_map_written_as_an_object_reads_back_in_order() {
    let text = r#"{"version":1,"consent":"granted","extra":{"b":1.50,"a":{"x":[1,"y"]},"b":2}}"#;
    let snap: Snap = json::from_str_of(text).unwrap();
    let keys: Vec<&str> = snap.extra.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["b", "a", "b"]);
    assert_eq!(snap.extra[0].1, num("1.50"));
    assert_eq!(json::from_str_of::<Snap>(r#"{"version":1,"consent":"granted","extra":[1]}"#).map_err(|e| e.kind), Err(JsonErrorKind::Type));
}

pub fn null_reads_as_none_for_options() {
    let snap: Snap = json::from_str_of(r#"{"version":1,"consent":"pending","anonymous_id":null,"session":null}"#).unwrap();
    assert_eq!((snap.anonymous_id, snap.session), (None, None));
}

pub fn shape_errors_have_kinds_and_no_messages() {
    use JsonErrorKind::*;
    let kind = |text: &str| json::from_str_of::<Snap>(text).map(|_| ()).map_err(|e| e.kind);
    assert_eq!(kind(r#"{"consent":"granted"}"#), Err(MissingField));
    assert_eq!(kind(r#"{"version":1,"consent":"maybe"}"#), Err(UnknownVariant));
    assert_eq!(kind(r#"{"version":1,"consent":"Granted"}"#), Err(UnknownVariant));
    assert_eq!(kind(r#"{"version":"1","consent":"granted"}"#), Err(Type));
    assert_eq!(kind(r#"{"version":4294967296,"consent":"granted"}"#), Err(Type));
    assert_eq!(kind(r#"{"version":-1,"consent":"granted"}"#), Err(Type));
    assert_eq!(kind(r#"{"version":1.5,"consent":"granted"}"#), Err(Type));
    assert_eq!(kind(r#"{"version":1,"consent":"granted","flags":[true]}"#), Err(Type));
    assert_eq!(kind(r#"{"version":1,"consent":"granted","flags":[true,1,2]}"#), Err(Type));
    // Unlike serde_json, structs are read from objects only: JSON.stringify never writes them as arrays.
    assert_eq!(kind(r#"[1,"granted"]"#), Err(Type));
    assert_eq!(kind(r#"{"version":1,"consent":"granted","session":["id",1]}"#), Err(Type));
    assert_eq!(kind("[1,"), Err(Eof));
    assert_eq!(kind("{} x"), Err(TrailingCharacters));
    assert_eq!(json::from_str_of::<u8>("256").map_err(|e| e.kind), Err(Type));
    assert_eq!(json::from_str_of::<i8>("-129").map_err(|e| e.kind), Err(Type));
    assert_eq!(json::from_str_of::<char>("\"ab\"").map_err(|e| e.kind), Err(Type));
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[allow(dead_code)]
        a: u8,
    }
    assert_eq!(json::from_str_of::<Strict>(r#"{"a":1,"b":2}"#).map_err(|e| e.kind).map(|_| ()), Err(Type));
    assert_eq!(json::from_str_of::<Strict>(r#"{"a":1,"a":2}"#).map_err(|e| e.kind).map(|_| ()), Err(Type));
    // Display is for hosts and logs; offsets are only shown where they mean something.
    assert_eq!(json::parse("[1,]").unwrap_err().to_string(), "JSON syntax error at byte 3");
    assert_eq!(kind(r#"{"consent":"granted"}"#).map_err(|k| JsonError { kind: k, offset: 0 }.to_string()), Err("missing field".to_string()));
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    Unit,
    New(u32),
    Pair(u8, String),
    Named { a: String, b: Option<bool> },
}

pub fn enums_with_data_are_single_entry_objects() {
    let shapes = vec![Shape::Unit, Shape::New(7), Shape::Pair(1, "x".into()), Shape::Named { a: "y".into(), b: None }];
    let text = json::to_string_of(&shapes);
    assert_eq!(text, r#"["Unit",{"New":7},{"Pair":[1,"x"]},{"Named":{"a":"y","b":null}}]"#);
    assert_eq!(json::from_str_of::<Vec<Shape>>(&text), Ok(shapes));
    assert_eq!(json::from_str_of::<Shape>(r#"{"Unit":null}"#), Ok(Shape::Unit));
    assert_eq!(json::from_str_of::<Shape>(r#""New""#).map_err(|e| e.kind), Err(JsonErrorKind::Type));
    assert_eq!(json::from_str_of::<Shape>(r#"{"New":1,"Unit":null}"#).map_err(|e| e.kind), Err(JsonErrorKind::Type));
    assert_eq!(json::from_str_of::<Shape>(r#"{"Other":1}"#).map_err(|e| e.kind), Err(JsonErrorKind::UnknownVariant));
}

pub fn an_input_object_that_has_the_internal_number_key_stays_an_object() {
    let text = r#"{"$mv3_telemetry::json::Number":"1"}"#;
    let value: Json = json::from_str_of(text).unwrap();
    assert_eq!(value, json::parse(text).unwrap());
    assert_eq!(json::to_string_of(&value), text);
}

#[derive(Serialize)]
struct Floats {
    values: Vec<f64>,
    single: f32,
}

pub fn floats_are_written_in_javascript_number_syntax() {
    let values = vec![0.1, 0.25, -1.5, 3.0, -0.0, 1e21, 1e20, 1.5e-7, 0.000001, 123.456, 1e300, 5e-324, 0.30000000000000004, f64::NAN, f64::INFINITY, 2f64.powi(60)];
    let text = json::to_string_of(&Floats { values, single: 0.5 });
    assert_eq!(
        text,
        r#"{"values":[0.1,0.25,-1.5,3,0,1e+21,100000000000000000000,1.5e-7,0.000001,123.456,1e+300,5e-324,0.30000000000000004,null,null,1152921504606847000],"single":0.5}"#
    );
}

pub fn map_keys_are_strings_and_numeric_keys_are_quoted() {
    let mut map = std::collections::BTreeMap::new();
    map.insert(-3i32, "a");
    map.insert(10, "b");
    assert_eq!(json::to_string_of(&map), r#"{"-3":"a","10":"b"}"#);
    let mut nested = std::collections::BTreeMap::new();
    nested.insert((1, 2), 3);
    assert_eq!(json::to_string_of(&nested), "null", "a key that is no string, number or bool fails the whole value");
    let strings: std::collections::BTreeMap<String, u64> = json::from_str_of(r#"{"b":2,"a":1}"#).unwrap();
    assert_eq!(strings.into_iter().collect::<Vec<_>>(), [("a".to_string(), 1), ("b".to_string(), 2)]);
}

pub fn a_failing_serialize_implementation_writes_null() {
    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom(format_args!("{}", 1.5)))
        }
    }
    assert_eq!(json::to_string_of(&vec![Fails]), "null");
}

pub fn plain_values_serialize_like_serde_json() {
    assert_eq!(json::to_string_of("a\"b"), r#""a\"b""#);
    assert_eq!(json::to_string_of(&'\n'), r#""\n""#);
    assert_eq!(json::to_string_of(&Some(1u8)), "1");
    assert_eq!(json::to_string_of(&None::<u8>), "null");
    assert_eq!(json::to_string_of(&()), "null");
    assert_eq!(json::to_string_of(&(1, "x", [false])), r#"[1,"x",[false]]"#);
    assert_eq!(json::to_string_of(&Bytes), "[0,255]");
    assert_eq!(json::to_string_of(&Json::String("x".into())), r#""x""#);
}

struct Bytes;

impl Serialize for Bytes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&[0, 255])
    }
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
            floats_read_correctly_rounded_in_common_cases,
            a_snapshot_like_struct_round_trips_through_serde,
            missing_default_fields_take_their_defaults_and_unknown_fields_are_ignored,
            an_extra_map_written_as_an_object_reads_back_in_order,
            null_reads_as_none_for_options,
            shape_errors_have_kinds_and_no_messages,
            enums_with_data_are_single_entry_objects,
            an_input_object_that_has_the_internal_number_key_stays_an_object,
            floats_are_written_in_javascript_number_syntax,
            map_keys_are_strings_and_numeric_keys_are_quoted,
            a_failing_serialize_implementation_writes_null,
            plain_values_serialize_like_serde_json
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
