//! Where the database lives: parsing `Store::open`'s argument, and keeping passwords out of
//! everything we show.

use std::path::PathBuf;

use crate::StoreError;

/// A parsed database location.
#[derive(Clone)]
pub(crate) enum Location {
    /// A SQLite database: a file (`path` set) or in memory (`path` unset).
    Sqlite {
        /// The string to hand to sqlx: `sqlite:` URL or plain path.
        spec: SqliteSpec,
        /// The file, when there is one (its parent directory is created on open).
        path: Option<PathBuf>,
    },
    /// A PostgreSQL URL.
    Postgres {
        /// The URL exactly as given (holds the password: never show it).
        url: String,
        /// Password values found in the URL, to scrub from driver messages.
        secrets: Vec<String>,
    },
}

/// How the SQLite database was named.
#[derive(Clone)]
pub(crate) enum SqliteSpec {
    /// A filesystem path.
    Path(PathBuf),
    /// A `sqlite:` URL (sqlx's syntax, including `sqlite::memory:` and `?mode=` options).
    Url(String),
}

impl Location {
    /// Classifies `location`: a `postgres://` or `postgresql://` URL, a `sqlite:` URL, or a
    /// filesystem path.
    pub(crate) fn parse(location: &str) -> Result<Location, StoreError> {
        let invalid = |reason: &str| StoreError::InvalidLocation {
            location: redact_location(location),
            reason: reason.to_owned(),
        };
        if location.trim().is_empty() {
            return Err(invalid(
                "it is empty; give a file path, a sqlite: URL or a postgres:// URL",
            ));
        }
        let lower = location.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Location::Postgres {
                url: location.to_owned(),
                secrets: url_passwords(location),
            });
        }
        if lower.starts_with("sqlite:") {
            let rest = location
                .get("sqlite:".len()..)
                .unwrap_or_default()
                .trim_start_matches("//");
            let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
            let in_memory =
                database == ":memory:" || params.split('&').any(|pair| pair == "mode=memory");
            let path = if in_memory || database.is_empty() {
                None
            } else {
                Some(PathBuf::from(percent_decode(database)))
            };
            if path.is_none() && !in_memory {
                return Err(invalid(
                    "the sqlite: URL names no file; use sqlite:path/to/palisade.db or sqlite::memory:",
                ));
            }
            return Ok(Location::Sqlite {
                spec: SqliteSpec::Url(location.to_owned()),
                path,
            });
        }
        if let Some((scheme, _)) = location.split_once("://")
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(invalid(&format!(
                "unsupported URL scheme {scheme}:// (use a file path, a sqlite: URL or a postgres:// URL)"
            )));
        }
        let path = PathBuf::from(location);
        Ok(Location::Sqlite {
            spec: SqliteSpec::Path(path.clone()),
            path: Some(path),
        })
    }

    /// The location as it may be shown: passwords replaced by `***`.
    pub(crate) fn display(&self) -> String {
        match self {
            Location::Sqlite {
                spec: SqliteSpec::Path(path),
                ..
            } => path.display().to_string(),
            Location::Sqlite {
                spec: SqliteSpec::Url(url),
                ..
            } => url.clone(),
            Location::Postgres { url, .. } => redact_location(url),
        }
    }
}

/// Returns `location` with any password replaced by `***`, for messages and logs.
///
/// Handles the password in the user-info part of a URL (`postgres://user:secret@host/db`)
/// and `password=` / `sslpassword=` query parameters. When in doubt (e.g. a malformed URL
/// with several `@`), it hides more rather than less. Paths are returned unchanged.
pub fn redact_location(location: &str) -> String {
    let Some(scheme_end) = location.find("://") else {
        return location.to_owned();
    };
    let authority_start = scheme_end + 3;
    let (head, rest) = location.split_at(authority_start);
    let mut out = String::with_capacity(location.len());
    out.push_str(head);
    // The last '@' ends the user info even when an unencoded '/', '?' or '@' sits in the
    // password: splitting there can only hide too much, never too little.
    let after_userinfo = match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push_str(":***");
                }
                None => out.push_str(userinfo),
            }
            &rest[at..]
        }
        None => rest,
    };
    match after_userinfo.split_once('?') {
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            out.push_str(&redact_query(query));
        }
        None => out.push_str(after_userinfo),
    }
    out
}

/// Query keys whose values are secrets.
const SECRET_KEYS: [&str; 2] = ["password", "sslpassword"];

fn redact_query(query: &str) -> String {
    let (query, fragment) = query.split_once('#').unwrap_or((query, ""));
    let mut out = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str()) => {
                format!("{key}=***")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Every password in a URL, raw and percent-decoded, to scrub from driver messages.
fn url_passwords(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        if let Some(at) = rest.rfind('@')
            && let Some((_, password)) = rest[..at].split_once(':')
        {
            found.push(password.to_owned());
        }
        if let Some((_, query)) = rest.split_once('?') {
            for pair in query.split(['&', '#']) {
                if let Some((key, value)) = pair.split_once('=')
                    && SECRET_KEYS.contains(&key.to_ascii_lowercase().as_str())
                {
                    found.push(value.to_owned());
                }
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|raw| percent_decode(raw)).collect();
    found.extend(decoded);
    // Scrubbing a very short string would mangle messages and hide next to nothing.
    found.retain(|secret| secret.chars().count() >= 4);
    found.sort();
    found.dedup();
    found
}

/// Replaces every occurrence of a secret in `message` by `***`.
pub(crate) fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// Decodes `%XX` escapes (and leaves anything malformed as it is).
fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_userinfo_password() {
        assert_eq!(
            redact_location("postgres://palisade:s3cret@db.example:5432/palisade"),
            "postgres://palisade:***@db.example:5432/palisade"
        );
    }

    #[test]
    fn keeps_url_without_password() {
        let url = "postgresql://palisade@127.0.0.1/palisade?sslmode=require";
        assert_eq!(redact_location(url), url);
    }

    #[test]
    fn redacts_password_with_reserved_characters() {
        let redacted = redact_location("postgres://u:pa/ss?w@rd@host/db");
        assert!(!redacted.contains("pa/ss"), "{redacted}");
        assert!(!redacted.contains("w@rd"), "{redacted}");
        assert!(redacted.ends_with("@host/db"), "{redacted}");
    }

    #[test]
    fn redacts_query_passwords() {
        assert_eq!(
            redact_location("postgres://host/db?user=u&password=hunter22&sslmode=disable"),
            "postgres://host/db?user=u&password=***&sslmode=disable"
        );
        assert_eq!(
            redact_location("postgres://host/db?sslpassword=keypass1"),
            "postgres://host/db?sslpassword=***"
        );
    }

    #[test]
    fn paths_are_unchanged() {
        assert_eq!(
            redact_location(".palisade/palisade.db"),
            ".palisade/palisade.db"
        );
    }

    #[test]
    fn finds_raw_and_decoded_passwords() {
        let secrets = url_passwords("postgres://u:p%40ssword@h/db?password=another1");
        assert!(secrets.contains(&"p%40ssword".to_owned()));
        assert!(secrets.contains(&"p@ssword".to_owned()));
        assert!(secrets.contains(&"another1".to_owned()));
        assert_eq!(
            scrub("auth failed for p@ssword", &secrets),
            "auth failed for ***"
        );
    }

    #[test]
    fn percent_decode_handles_edges() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn classifies_locations() {
        assert!(matches!(
            Location::parse("postgresql://h/db"),
            Ok(Location::Postgres { .. })
        ));
        assert!(matches!(
            Location::parse("sqlite::memory:"),
            Ok(Location::Sqlite { path: None, .. })
        ));
        match Location::parse("sqlite://data/p.db?mode=rwc") {
            Ok(Location::Sqlite {
                path: Some(path), ..
            }) => {
                assert_eq!(path, PathBuf::from("data/p.db"));
            }
            _ => panic!("sqlite URL with a file not recognised"),
        }
        assert!(matches!(
            Location::parse(".palisade/palisade.db"),
            Ok(Location::Sqlite { path: Some(_), .. })
        ));
        let err = Location::parse("mysql://root:topsecret@h/db")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unsupported URL scheme mysql://"), "{err}");
        assert!(!err.contains("topsecret"), "{err}");
        assert!(Location::parse("  ").is_err());
    }
}
