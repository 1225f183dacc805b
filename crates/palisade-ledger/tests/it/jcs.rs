//! RFC 8785 canonical JSON, against the RFC's own examples (expected
//! strings written from its rules).

use palisade_ledger::jcs::{self, JcsError};
use serde_json::{Value, json};

fn canon(text: &str) -> String {
    let value: Value = serde_json::from_str(text).unwrap();
    jcs::to_string(&value).unwrap()
}

/// RFC 8785 §3.2.2's example of the whole transformation.
#[test]
fn rfc_8785_example() {
    let input = r#"{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#;
    assert_eq!(
        canon(input),
        "{\"literals\":[null,true,false],\
         \"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\
         \"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
    );
}

/// RFC 8785 §3.2.3: property names sort by UTF-16 code units, so the
/// emoji (D83D DE00) comes before U+FB33, unlike in UTF-8 or code points.
#[test]
fn rfc_8785_sorting_by_utf16_code_units() {
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    assert_eq!(
        canon(input),
        "{\"\\r\":\"Carriage Return\",\
         \"1\":\"One\",\
         \"\u{80}\":\"Control\",\
         \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\
         \"\u{20ac}\":\"Euro Sign\",\
         \"\u{1F600}\":\"Emoji: Grinning Face\",\
         \"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    );
}

/// RFC 8785 Appendix B: IEEE 754 doubles and their ECMAScript spelling.
#[test]
fn rfc_8785_number_table() {
    let table: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    for &(bits, expected) in table {
        let f = f64::from_bits(bits);
        assert_eq!(jcs::format_f64(f).as_deref(), Some(expected), "{bits:016x}");
        // The same through a JSON value, and back through its text.
        assert_eq!(jcs::to_string(&json!(f)).unwrap(), expected, "{bits:016x}");
        assert_eq!(canon(expected), expected, "{bits:016x}");
    }
    assert_eq!(jcs::format_f64(f64::NAN), None);
    assert_eq!(jcs::format_f64(f64::INFINITY), None);
    assert_eq!(jcs::format_f64(f64::NEG_INFINITY), None);
}

#[test]
fn strings_are_escaped_minimally() {
    let value = json!("\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f} \u{7f}/\u{2028}é\"\\");
    assert_eq!(
        jcs::to_string(&value).unwrap(),
        "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \u{7f}/\u{2028}é\\\"\\\\\""
    );
}

#[test]
fn nesting_and_whitespace() {
    assert_eq!(
        canon(r#" { "b" : [ 1 , { "z" : {}, "a" : [] } ] , "a" : -0.0 } "#),
        r#"{"a":0,"b":[1,{"a":[],"z":{}}]}"#
    );
    assert_eq!(canon("[1.0, 100, 1e2, -7, 0.5e-6]"), "[1,100,100,-7,5e-7]");
}

#[test]
fn integers_a_double_would_change_are_refused_with_their_place() {
    let value: Value = serde_json::from_str(r#"{"a/b": [1, 9007199254740993]}"#).unwrap();
    assert_eq!(
        jcs::to_string(&value),
        Err(JcsError::UnsafeInteger {
            value: "9007199254740993".into(),
            canonical: "9007199254740992".into(),
            pointer: "/a~1b/1".into(),
        })
    );
    assert!(jcs::to_string(&json!(u64::MAX)).is_err());
    assert!(jcs::to_string(&json!(i64::MIN + 1)).is_err());
    // 2^60 is a double, but JCS spells it 1152921504606847000.
    let err = jcs::to_string(&json!(1u64 << 60)).unwrap_err();
    assert!(
        err.to_string().contains("written 1152921504606847000"),
        "{err}"
    );
    assert_eq!(canon("1152921504606847000"), "1152921504606847000");
    for n in [
        9_007_199_254_740_992i64,
        -9_007_199_254_740_992,
        9_007_199_254_740_991,
        0,
        -1,
    ] {
        assert_eq!(jcs::to_string(&json!(n)).unwrap(), n.to_string());
    }
    // Written as a double, the same magnitude is fine: it is the double.
    assert_eq!(canon("9007199254740993.0"), "9007199254740992");
    assert_eq!(canon("1e18"), "1000000000000000000");
}

#[test]
fn canonical_text_is_a_fixed_point() {
    for text in [
        r#"{"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}"#,
        r#"{"":null,"a":[true,false,"\u001f"]}"#,
        "[-1e-7,123456789012345680000,1.5]",
    ] {
        assert_eq!(canon(text), text);
    }
}
