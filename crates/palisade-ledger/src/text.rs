//! Small strict parsers shared by the text formats.

/// Parses canonical ASCII decimal: digits only, no sign, no leading zero
/// (but "0"), at most `u64::MAX`. The error says what is wrong.
pub(crate) fn parse_decimal(text: &str) -> Result<u64, &'static str> {
    if text.is_empty() {
        return Err("is empty");
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a decimal number");
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err("has a leading zero");
    }
    text.parse::<u64>().map_err(|_| "does not fit in 64 bits")
}
