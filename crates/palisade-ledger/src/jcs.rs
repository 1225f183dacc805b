//! RFC 8785 JSON Canonicalization Scheme (JCS) of a [`serde_json::Value`].
//!
//! - Object members are sorted by their names' UTF-16 code units (so
//!   `"\u{1F600}"`, encoded `D83D DE00`, sorts before `"\u{FB33}"`).
//! - Strings are escaped minimally: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
//!   `\t`, other characters below U+0020 as lowercase `\u00xx`, everything
//!   else (including `/`, U+007F and U+2028) written as is.
//! - Numbers are written as ECMAScript's `Number.prototype.toString` writes
//!   the IEEE 754 double they denote (`1e+30`, `0.000001`, `1e-7`, `-0`
//!   as `0`).
//! - No whitespace.
//!
//! Two refusals, so that canonical bytes always mean exactly the value given:
//! a non-finite number (which JSON cannot spell), and an *integer* (a number
//! written without fraction or exponent) whose canonical spelling is another
//! integer. JCS reads every number as an IEEE 754 double, so
//! `9007199254740993` would silently come out as `9007199254740992`; we
//! refuse it instead. Every integer of magnitude up to 2^53 is accepted, and
//! so is any larger one that is already in canonical form
//! (`1152921504606847000`), which keeps canonical text a fixed point.
//! Numbers written with a fraction or exponent are taken as the double they
//! denote.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JcsError {
    /// A number is NaN or infinite.
    #[error("number at {pointer:?} is not finite")]
    NonFinite {
        /// JSON Pointer (RFC 6901) to the number; empty for the root.
        pointer: String,
    },
    /// An integer whose canonical spelling is another integer.
    #[error(
        "integer {value} at {pointer:?} has no exact canonical form: as a JSON number (an IEEE 754 double) it is written {canonical}"
    )]
    UnsafeInteger {
        /// The integer, as written.
        value: String,
        /// How JCS would write it.
        canonical: String,
        /// JSON Pointer (RFC 6901) to the number; empty for the root.
        pointer: String,
    },
}

impl JcsError {
    /// The same error for a value nested under `prefix` (a JSON Pointer).
    pub fn under(self, prefix: &str) -> Self {
        match self {
            JcsError::NonFinite { pointer } => JcsError::NonFinite {
                pointer: format!("{prefix}{pointer}"),
            },
            JcsError::UnsafeInteger {
                value,
                canonical,
                pointer,
            } => JcsError::UnsafeInteger {
                value,
                canonical,
                pointer: format!("{prefix}{pointer}"),
            },
        }
    }
}

/// The canonical UTF-8 bytes of `value`.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, JcsError> {
    to_string(value).map(String::into_bytes)
}

/// The canonical text of `value`.
pub fn to_string(value: &Value) -> Result<String, JcsError> {
    let mut out = String::new();
    let mut pointer = Vec::new();
    write_value(value, &mut out, &mut pointer)?;
    Ok(out)
}

/// A path segment of the value being written, for error messages.
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn render_pointer(path: &[Segment<'_>]) -> String {
    let mut s = String::new();
    for segment in path {
        s.push('/');
        match segment {
            Segment::Key(key) => s.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Index(i) => {
                let _ = write!(s, "{i}");
            }
        }
    }
    s
}

fn write_value<'a>(
    value: &'a Value,
    out: &mut String,
    path: &mut Vec<Segment<'a>>,
) -> Result<(), JcsError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out).map_err(|kind| kind.at(render_pointer(path)))?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                path.push(Segment::Index(i));
                write_value(item, out, path)?;
                path.pop();
            }
            out.push(']');
        }
        Value::Object(map) => write_object(map, out, path)?,
    }
    Ok(())
}

fn write_object<'a>(
    map: &'a Map<String, Value>,
    out: &mut String,
    path: &mut Vec<Segment<'a>>,
) -> Result<(), JcsError> {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push('{');
    for (i, (key, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        path.push(Segment::Key(key));
        write_value(value, out, path)?;
        path.pop();
    }
    out.push('}');
    Ok(())
}

/// Appends `s` as a canonical JSON string.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    // Most strings need no escape: copy them whole, then escape the rest a
    // character at a time.
    let plain = s
        .bytes()
        .position(|b| b < 0x20 || b == b'"' || b == b'\\')
        .unwrap_or(s.len());
    out.push_str(&s[..plain]);
    for c in s[plain..].chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < '\u{20}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// What is wrong with a number, before its place is known.
enum NumberError {
    NonFinite,
    Unsafe { value: String, canonical: String },
}

impl NumberError {
    fn at(self, pointer: String) -> JcsError {
        match self {
            NumberError::NonFinite => JcsError::NonFinite { pointer },
            NumberError::Unsafe { value, canonical } => JcsError::UnsafeInteger {
                value,
                canonical,
                pointer,
            },
        }
    }
}

fn write_number(n: &Number, out: &mut String) -> Result<(), NumberError> {
    // Integers are converted as a JSON parser would (to the nearest double)
    // and must spell the same integer back.
    let integer = if let Some(u) = n.as_u64() {
        Some((u.to_string(), u as f64))
    } else {
        n.as_i64().map(|i| (i.to_string(), i as f64))
    };
    if let Some((value, f)) = integer {
        let mut canonical = String::new();
        write_f64(f, &mut canonical);
        if canonical != value {
            return Err(NumberError::Unsafe { value, canonical });
        }
        out.push_str(&canonical);
        return Ok(());
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => {
            write_f64(f, out);
            Ok(())
        }
        _ => Err(NumberError::NonFinite),
    }
}

/// A double as JCS writes it (ECMAScript's `Number.prototype.toString`), or
/// `None` if it is not finite.
pub fn format_f64(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let mut out = String::new();
    write_f64(f, &mut out);
    Some(out)
}

/// Writes a finite double as ECMA-262 `Number::toString` (radix 10) does.
fn write_f64(f: f64, out: &mut String) {
    if f == 0.0 {
        // Both +0 and -0.
        out.push('0');
        return;
    }
    if f < 0.0 {
        out.push('-');
    }
    let (digits, n) = shortest_digits(f.abs());
    let k = digits.len() as i32;
    // The value is 0.<digits> × 10^n.
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        let _ = write!(out, "{}", (n - 1).abs());
    }
}

/// The shortest decimal digits that read back as the positive, finite `f`,
/// the closest to `f` among those and, when two are equally close, the one
/// with an even last digit (ECMA-262 `Number::toString` step 5); with `n`
/// such that `f ≈ 0.<digits> × 10^n`.
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust prints the shortest round-tripping digits, the closest to `f`,
    // but breaks an exact tie upwards, not to even: fix that case.
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let n = exponent + 1;
    if let Some(even) = even_tie_alternative(f, &digits, exponent - (k - 1)) {
        let len = even.len() as i32;
        let trimmed = even.trim_end_matches('0').to_owned();
        return (trimmed, n + (len - k));
    }
    (digits, n)
}

/// When `f` lies exactly halfway between `digits × 10^q` and its neighbour
/// one unit away in the last digit, and that neighbour has the even last
/// digit and also reads back as `f`, the neighbour's digits.
fn even_tie_alternative(f: f64, digits: &str, q: i32) -> Option<String> {
    let d: u128 = digits.parse().ok()?;
    // f = m × 2^e exactly, m odd.
    let bits = f.to_bits();
    let (mut m, mut e) = match (bits >> 52) as i32 {
        0 => (u128::from(bits & ((1 << 52) - 1)), -1074),
        biased => (u128::from(bits & ((1 << 52) - 1) | 1 << 52), biased - 1075),
    };
    let t = m.trailing_zeros();
    m >>= t;
    e += t as i32;
    // A tie means 2f / 10^q = m × 2^(e + 1 - q) × 5^(-q) is an odd integer
    // 2p + 1, with the two candidates p and p + 1.
    if e + 1 != q {
        return None;
    }
    let odd = if q >= 0 {
        let five = 5u128.checked_pow(q.unsigned_abs())?;
        if m % five != 0 {
            return None;
        }
        m / five
    } else {
        m.checked_mul(5u128.checked_pow(q.unsigned_abs())?)?
    };
    let p = (odd - 1) / 2;
    let even = if p % 2 == 0 { p } else { p + 1 };
    if (d != p && d != p + 1) || d == even {
        return None;
    }
    let candidate = even.to_string();
    let reads_back = format!("{candidate}e{q}").parse::<f64>().ok() == Some(f);
    reads_back.then_some(candidate)
}
