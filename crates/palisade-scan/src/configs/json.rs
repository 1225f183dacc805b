//! A JSON reader that keeps where each string sits in the file: a finding must point at
//! the value in the file, which `serde_json`'s values forget. Strict RFC 8259 (a UTF-8
//! byte order mark allowed), nesting limited so that hostile input cannot exhaust the
//! stack.

use std::ops::Range;

/// Deepest nesting of arrays and objects read; tools' configuration files nest a handful
/// of levels.
const MAX_DEPTH: usize = 128;

/// A JSON value; strings keep their place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `null`.
    Scalar,
    /// A number: its value if it is a whole one that fits a `u64`.
    Number(Option<u64>),
    /// `true` or `false`.
    Bool(bool),
    /// A string.
    Str(Str),
    /// An array.
    Array(Vec<Value>),
    /// An object's members, in file order (duplicates kept).
    Object(Vec<(Str, Value)>),
}

/// A string and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Str {
    /// The bytes between its quotes, in the file.
    pub(crate) raw: Range<usize>,
    /// Its value, escapes decoded.
    pub(crate) value: Vec<u8>,
}

impl Value {
    /// The member `key` of an object (the last one, as most readers do).
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| k.value == key.as_bytes())
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&Str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a buffer is not JSON: what was expected, and the byte where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    /// Byte offset.
    pub(crate) at: usize,
    /// What is wrong.
    pub(crate) what: &'static str,
}

/// Reads `data` as one JSON document.
pub(crate) fn parse(data: &[u8]) -> Result<Value, Error> {
    let mut reader = Reader { data, at: 0 };
    if data.starts_with(b"\xEF\xBB\xBF") {
        reader.at = 3;
    }
    let value = reader.value(0)?;
    reader.space();
    if reader.at != data.len() {
        return Err(reader.error("nothing after the document"));
    }
    Ok(value)
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn error(&self, what: &'static str) -> Error {
        Error { at: self.at, what }
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.data.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.at).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        self.space();
        match self.peek() {
            None => Err(self.error("the document ends where a value was expected")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Scalar),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("a value was expected")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.at += 1;
        let mut members = Vec::new();
        self.space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return Err(self.error("a member name in quotes was expected"));
            }
            let key = self.string()?;
            self.space();
            if self.peek() != Some(b':') {
                return Err(self.error("`:` was expected after a member name"));
            }
            self.at += 1;
            let value = self.value(depth)?;
            members.push((key, value));
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("`,` or `}` was expected")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.at += 1;
        let mut items = Vec::new();
        self.space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("`,` or `]` was expected")),
            }
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, Error> {
        if self.data[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("`true`, `false` or `null` was expected"))
        }
    }

    fn number(&mut self) -> Result<Value, Error> {
        let first = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.at += 1;
            }
            r.at > from
        };
        if !digits(self) {
            return Err(self.error("a digit was expected"));
        }
        if self.data[start] == b'0' && self.at - start > 1 {
            return Err(Error {
                at: start,
                what: "a number has a leading zero",
            });
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(self.error("a digit was expected after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if !digits(self) {
                return Err(self.error("a digit was expected in the exponent"));
            }
        }
        let whole = std::str::from_utf8(&self.data[first..self.at])
            .ok()
            .and_then(|text| text.parse().ok());
        Ok(Value::Number(whole))
    }

    fn string(&mut self) -> Result<Str, Error> {
        self.at += 1;
        let start = self.at;
        let mut value = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.error("a string is not closed"));
            };
            match b {
                b'"' => {
                    let raw = start..self.at;
                    self.at += 1;
                    return Ok(Str { raw, value });
                }
                b'\\' => {
                    self.at += 1;
                    let Some(escaped) = self.peek() else {
                        return Err(self.error("a string is not closed"));
                    };
                    self.at += 1;
                    let plain = match escaped {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let c = self.unicode_escape()?;
                            let mut buf = [0; 4];
                            value.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return Err(self.error("an unknown escape in a string")),
                    };
                    value.push(plain);
                }
                0..=0x1f => return Err(self.error("a control character in a string")),
                _ => {
                    value.push(b);
                    self.at += 1;
                }
            }
        }
    }

    /// The character of a `\u` escape and its four hex digits (the `\u` read), a
    /// surrogate pair joined; a lone surrogate becomes U+FFFD, as most readers make it.
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return Ok(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        if self.data[self.at..].starts_with(b"\\u") {
            let back = self.at;
            self.at += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.at = back;
        }
        Ok(char::REPLACEMENT_CHARACTER)
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(digits) = self.data.get(self.at..self.at + 4) else {
            return Err(self.error("`\\u` needs four hex digits"));
        };
        let mut n = 0;
        for &d in digits {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.error("`\\u` needs four hex digits"))?;
            n = n * 16 + v;
        }
        self.at += 4;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keep_their_place_and_escapes_are_decoded() {
        let data = br#"{"a": ["x\"y", 1.5e3, true, null], "b\u00e9": "\ud83d\ude00"}"#;
        let value = parse(data).expect("valid");
        let Some(Value::Array(items)) = value.get("a") else {
            panic!("an array: {value:?}");
        };
        let s = items[0].as_str().expect("a string");
        assert_eq!(&data[s.raw.clone()], br#"x\"y"#);
        assert_eq!(s.value, b"x\"y");
        let emoji = value
            .get("b\u{e9}")
            .and_then(Value::as_str)
            .expect("member");
        assert_eq!(emoji.value, "\u{1F600}".as_bytes());
    }

    #[test]
    fn broken_documents_say_where() {
        for (text, at) in [
            (&br#"{"a": 1"#[..], 7),
            (br#"{"a" 1}"#, 5),
            (br#"[1, 2,]"#, 6),
            (br#"{"a": "b"} x"#, 11),
            (br#"{"a": 01}"#, 6),
            (b"\"\x01\"", 1),
            (b"", 0),
        ] {
            let err = parse(text).expect_err("broken");
            assert_eq!(err.at, at, "{:?}: {err:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert_eq!(
            parse(deep.as_bytes()).expect_err("deep").what,
            "nested too deep"
        );
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
    }
}
