//! Names and text with quotes cannot break out of the statements they go into.

use std::cell::RefCell;

use palisade_access::postgres::sql::{MAX_IDENT_BYTES, quote_ident, quote_literal};
use palisade_access::postgres::{RoleTag, role_name};
use palisade_model::Access;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sqlx::{AssertSqlSafe, Connection, Row};

use super::support::{in_seconds, target};

/// Text rich in the characters that matter to SQL quoting, and any other
/// character but NUL.
fn hostile_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec![
                "'", "''", "\"", "\\", "\\'", "E'", "$$", "$x$", ";", "--", "/*", "*/", "\n", " ",
                "U&'", "\\x41", "\\u0041",
            ])
            .prop_map(str::to_owned),
            3 => any::<char>()
                .prop_filter("PostgreSQL text holds no NUL", |c| *c != '\0')
                .prop_map(String::from),
        ],
        0..max,
    )
    .prop_map(|parts| parts.concat())
}

/// Reads one literal as PostgreSQL's lexer does (plain and escape strings);
/// returns the text and what follows it.
fn read_literal(quoted: &str) -> Option<(String, &str)> {
    let (escapes, rest) = match quoted.strip_prefix("E'") {
        Some(rest) => (true, rest),
        None => (false, quoted.strip_prefix('\'')?),
    };
    let mut out = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if matches!(chars.peek(), Some((_, '\''))) => {
                chars.next();
                out.push('\'');
            }
            '\'' => return Some((out, &rest[i + 1..])),
            '\\' if escapes => match chars.next()? {
                (_, '\\') => out.push('\\'),
                (_, '\'') => out.push('\''),
                // Any other escape would change the text: a quoting bug.
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}

/// Reads one quoted identifier; returns the name and what follows it.
fn read_ident(quoted: &str) -> Option<(String, &str)> {
    let rest = quoted.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if matches!(chars.peek(), Some((_, '"'))) => {
                chars.next();
                out.push('"');
            }
            '"' => return Some((out, &rest[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

proptest! {
    #[test]
    fn a_quoted_literal_is_one_token_holding_exactly_the_text(text in hostile_text(24)) {
        let quoted = quote_literal(&text).expect("no NUL");
        prop_assert_eq!(read_literal(&quoted), Some((text, "")));
    }

    #[test]
    fn a_quoted_identifier_is_one_token_naming_exactly_the_name(name in hostile_text(12)) {
        prop_assume!(!name.is_empty() && name.len() <= MAX_IDENT_BYTES);
        let quoted = quote_ident(&name).expect("a quotable name");
        prop_assert_eq!(read_ident(&quoted), Some((name, "")));
    }

    #[test]
    fn role_names_are_always_plain_and_short(grant in hostile_text(40)) {
        let role = role_name(&grant);
        prop_assert!(role.len() <= MAX_IDENT_BYTES);
        prop_assert!(role.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
    }
}

/// The server itself reads every quoted literal and identifier back unchanged.
#[test]
fn the_server_reads_quoted_text_and_names_back_unchanged() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let Some(t) = runtime.block_on(target()) else {
        return;
    };
    let conn = RefCell::new(runtime.block_on(t.admin_conn()));
    let strategy = (hostile_text(24), hostile_text(12));
    let mut runner = TestRunner::new(Config::with_cases(128));
    let outcome = runner.run(&strategy, |(text, name)| {
        let name = if name.is_empty() || name.len() > MAX_IDENT_BYTES {
            "x".to_owned()
        } else {
            name
        };
        let sql = format!(
            "SELECT {}::text AS {}",
            quote_literal(&text).expect("no NUL"),
            quote_ident(&name).expect("a quotable name")
        );
        let row = runtime
            .block_on(sqlx::query(AssertSqlSafe(sql)).fetch_one(&mut *conn.borrow_mut()))
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let read: String = row.get(0);
        prop_assert_eq!(&read, &text);
        use sqlx::Column as _;
        prop_assert_eq!(row.columns()[0].name(), name.as_str());
        Ok(())
    });
    let _ = runtime.block_on(conn.into_inner().close());
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[tokio::test]
async fn a_hostile_grant_id_and_handle_cannot_inject_sql() {
    let Some(t) = target().await else { return };
    let grant = "g'); DROP TABLE payments; --\"; DROP ROLE palisade; \\' $$ E'\\x27";
    let person = "o'brien\"; ALTER ROLE palisade NOSUPERUSER; --\\";
    let issuer = t.issuer();
    let credential = issuer
        .issue(grant, person, Access::Read, in_seconds(3600))
        .await
        .expect("issued");
    let tag = RoleTag::from_comment(&t.role_comment(&credential.role).await.expect("tagged"))
        .expect("a Palisade tag");
    assert_eq!(tag.grant, grant);
    assert_eq!(tag.person, person);

    let mut conn = t
        .login(&credential.role, credential.password.expose())
        .await
        .expect("logs in");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
        .fetch_one(&mut conn)
        .await
        .expect("the table is still there");
    assert_eq!(rows, 2);
    let _ = conn.close().await;
    let mut admin = t.admin_conn().await;
    let superuser: bool =
        sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .fetch_one(&mut admin)
            .await
            .expect("the admin is still there");
    assert!(superuser);
    let _ = admin.close().await;

    let revocation = issuer.revoke(grant).await.expect("revoked");
    assert_eq!(revocation.role, credential.role);
    assert!(!t.role_exists(&credential.role).await);
}
