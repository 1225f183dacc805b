//! Quoting of identifiers and literals for the statements PostgreSQL takes
//! no parameters in (`CREATE ROLE`, `COMMENT ON`, `GRANT`, `DROP ROLE`).
//!
//! Every name and text the issuer puts into such a statement goes through
//! [`quote_ident`] or [`quote_literal`]; nothing is interpolated unchecked.

/// The longest identifier PostgreSQL keeps (`NAMEDATALEN - 1` bytes); longer
/// names are silently truncated by the server, so they are refused here.
pub const MAX_IDENT_BYTES: usize = 63;

/// Why a name or text cannot be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// An empty identifier.
    #[error("a PostgreSQL name cannot be empty")]
    EmptyIdent,
    /// An identifier PostgreSQL would truncate.
    #[error("a PostgreSQL name is at most {MAX_IDENT_BYTES} bytes long, this one is {len}")]
    IdentTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// A NUL character, which PostgreSQL text cannot hold.
    #[error("PostgreSQL names and text cannot hold a NUL character")]
    Nul,
}

/// Quotes `name` as a PostgreSQL identifier: `"name"`, with every `"` doubled.
///
/// The result always names exactly `name` (case kept, keywords harmless).
pub fn quote_ident(name: &str) -> Result<String, QuoteError> {
    if name.is_empty() {
        return Err(QuoteError::EmptyIdent);
    }
    if name.len() > MAX_IDENT_BYTES {
        return Err(QuoteError::IdentTooLong { len: name.len() });
    }
    if name.contains('\0') {
        return Err(QuoteError::Nul);
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// Quotes `text` as a PostgreSQL string literal.
///
/// Single quotes are doubled. Text holding a backslash is written as an
/// escape string (`E'…'`) with every backslash doubled, so its meaning does
/// not depend on the server's `standard_conforming_strings` setting.
pub fn quote_literal(text: &str) -> Result<String, QuoteError> {
    if text.contains('\0') {
        return Err(QuoteError::Nul);
    }
    let escape = text.contains('\\');
    let mut out = String::with_capacity(text.len() + 3);
    if escape {
        out.push('E');
    }
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_double_quoted_with_quotes_doubled() {
        assert_eq!(quote_ident("payments_ro").as_deref(), Ok("\"payments_ro\""));
        assert_eq!(quote_ident("a\"b").as_deref(), Ok("\"a\"\"b\""));
        assert_eq!(quote_ident(""), Err(QuoteError::EmptyIdent));
        assert_eq!(quote_ident("a\0b"), Err(QuoteError::Nul));
        assert_eq!(
            quote_ident(&"x".repeat(64)),
            Err(QuoteError::IdentTooLong { len: 64 })
        );
        assert!(quote_ident(&"x".repeat(63)).is_ok());
    }

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(quote_literal("it's").as_deref(), Ok("'it''s'"));
        assert_eq!(quote_literal("a\\'b").as_deref(), Ok("E'a\\\\''b'"));
        assert_eq!(quote_literal("").as_deref(), Ok("''"));
        assert_eq!(quote_literal("\0"), Err(QuoteError::Nul));
    }
}
