//! Changing `palisade.toml` in place: the few edits Palisade makes to the
//! model itself (offboarding people, removing standing roles a review
//! revoked), on the file's text, so that its comments, blank lines, key order
//! and quoting stay exactly as their authors wrote them.
//!
//! Every function takes the whole text and returns the whole new text, or an
//! [`EditError`] saying why it could not: the caller decides whether and how
//! to write the file. [`unified_diff`] renders a change for a caller that
//! cannot write it, so that a person can apply it by hand.
//!
//! Only the values that change are touched: a key that exists keeps its
//! place and its trailing comment; a key that is added goes where the model's
//! documentation puts it (`status` and `offboarded_on` after `hours`).

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use crate::diag::did_you_mean;
use crate::values::Day;

/// Why an edit of the model's text could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The text is not valid TOML.
    #[error("the model is not valid TOML: {message}")]
    NotToml {
        /// The TOML parser's message, with the line and column.
        message: String,
    },
    /// The model has no `[[people]]` at all.
    #[error("the model has no [[people]]; add the person before editing them")]
    NoPeople,
    /// `people` is written in a form the editor does not change (an inline
    /// array `people = [{ … }]`, or a plain table).
    #[error(
        "`people` is written as {found}; write each person as a [[people]] table so that Palisade can edit it"
    )]
    PeopleNotTables {
        /// What was found instead, e.g. `an inline array`.
        found: &'static str,
    },
    /// No `[[people]]` entry has this handle.
    #[error("no person `{handle}` in the model{}", hint(.suggestion))]
    UnknownPerson {
        /// The handle asked for.
        handle: String,
        /// The closest handle the model has, if one is close.
        suggestion: Option<String>,
    },
    /// A person's `roles` is not an array of strings.
    #[error("`roles` of `{handle}` is not an array; write it as roles = [\"…\"]")]
    RolesNotArray {
        /// The person.
        handle: String,
    },
    /// A person does not hold the standing role to remove.
    #[error("`{handle}` holds no standing role `{role}`{}", hint(.suggestion))]
    RoleNotHeld {
        /// The person.
        handle: String,
        /// The role asked for.
        role: String,
        /// The closest role they hold, if one is close.
        suggestion: Option<String>,
    },
    /// A value the edit must change has a form it cannot change (a
    /// `status` that is not a string, an `offboarded_on` that is not a date).
    #[error("`{key}` of `{handle}` is {found}; fix it by hand, then run this again")]
    UnexpectedValue {
        /// The person.
        handle: String,
        /// The key.
        key: &'static str,
        /// What it holds, e.g. `an integer`.
        found: &'static str,
    },
}

fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

/// Marks each person of `handles` offboarded on `day`: `status =
/// "offboarded"` and `offboarded_on = <day>` in their `[[people]]` entry.
///
/// A person who already has an `offboarded_on` no later than `day` keeps it:
/// that is the day they left, and access used after it is already a finding
/// that a later date would hide. A later `offboarded_on` (a planned leaving
/// day) becomes `day`, since they are leaving now. Running this twice changes
/// nothing the second time.
///
/// Every handle must name a person; the first that does not is an error with
/// the closest handle the model has.
pub fn mark_offboarded(text: &str, handles: &[&str], day: Day) -> Result<String, EditError> {
    let mut doc = parse(text)?;
    let people = people_mut(&mut doc)?;
    check_handles(people, handles)?;
    let date: Value = day
        .to_string()
        .parse()
        .expect("a Day displays as a TOML local date");
    for person in people.iter_mut() {
        let Some(handle) = handle_of(person) else {
            continue;
        };
        if !handles.contains(&handle.as_str()) {
            continue;
        }
        set_string(
            person,
            &handle,
            "status",
            "offboarded",
            &["hours", "timezone", "team"],
        )?;
        let keep = match person.get("offboarded_on") {
            None => false,
            Some(item) => match item.as_value() {
                Some(Value::Datetime(d)) => existing_day(d.value()).is_some_and(|d| d <= day),
                Some(Value::String(s)) => s.value().parse::<Day>().is_ok_and(|d| d <= day),
                Some(other) => {
                    return Err(EditError::UnexpectedValue {
                        handle,
                        key: "offboarded_on",
                        found: type_name(other),
                    });
                }
                None => {
                    return Err(EditError::UnexpectedValue {
                        handle,
                        key: "offboarded_on",
                        found: "a table",
                    });
                }
            },
        };
        if !keep {
            set_value(person, "offboarded_on", date.clone(), &["status"]);
        }
    }
    Ok(doc.to_string())
}

/// Removes standing roles: each `(handle, role)` takes `role` out of that
/// person's `roles = [...]`, keeping the array's layout (one line or one
/// role a line) and the comments of the roles that stay. A role removed
/// from a one-per-line array takes its own line with it, and a comment
/// above it.
///
/// A person who does not hold the role is an error (with the closest role
/// they do hold), so that a misspelt role id is never silently ignored;
/// callers removing roles a stale list names should check the model first.
pub fn remove_standing_roles(text: &str, removals: &[(&str, &str)]) -> Result<String, EditError> {
    let mut doc = parse(text)?;
    let people = people_mut(&mut doc)?;
    let handles: Vec<&str> = removals.iter().map(|(h, _)| *h).collect();
    check_handles(people, &handles)?;
    for (handle, role) in removals {
        for person in people.iter_mut() {
            if handle_of(person).as_deref() != Some(*handle) {
                continue;
            }
            let roles = match person.get_mut("roles") {
                None => None,
                Some(item) => match item.as_value_mut() {
                    Some(Value::Array(a)) => Some(a),
                    _ => {
                        return Err(EditError::RolesNotArray {
                            handle: (*handle).to_owned(),
                        });
                    }
                },
            };
            let held: Vec<String> = roles
                .as_ref()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let Some(index) = held.iter().position(|r| r == role) else {
                return Err(EditError::RoleNotHeld {
                    handle: (*handle).to_owned(),
                    role: (*role).to_owned(),
                    suggestion: did_you_mean(role, held.iter().map(String::as_str))
                        .map(str::to_owned),
                });
            };
            // `held` skips values that are not strings; find the real index.
            let roles = roles.expect("a held role comes from the array");
            let index = roles
                .iter()
                .enumerate()
                .filter(|(_, v)| v.as_str().is_some())
                .nth(index)
                .map(|(i, _)| i)
                .expect("the role was found among the array's strings");
            remove_element(roles, index);
        }
    }
    Ok(doc.to_string())
}

/// The change from `before` to `after` as a unified diff (`diff -u`), with
/// three lines of context, under the file name `name`; empty when they are
/// the same.
pub fn unified_diff(name: &str, before: &str, after: &str) -> String {
    use gix_imara_diff::{Algorithm, BasicLineDiffPrinter, Diff, InternedInput, UnifiedDiffConfig};
    if before == after {
        return String::new();
    }
    let input = InternedInput::new(before, after);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let printer = BasicLineDiffPrinter(&input.interner);
    let hunks = diff.unified_diff(&printer, UnifiedDiffConfig::default(), &input);
    format!("--- {name}\n+++ {name}\n{hunks}")
}

fn parse(text: &str) -> Result<DocumentMut, EditError> {
    text.parse::<DocumentMut>().map_err(|e| EditError::NotToml {
        message: e.to_string().trim().to_owned(),
    })
}

fn people_mut(doc: &mut DocumentMut) -> Result<&mut toml_edit::ArrayOfTables, EditError> {
    match doc.get_mut("people") {
        None => Err(EditError::NoPeople),
        Some(Item::ArrayOfTables(a)) => Ok(a),
        Some(Item::Value(Value::Array(_))) => Err(EditError::PeopleNotTables {
            found: "an inline array",
        }),
        Some(Item::Table(_)) | Some(Item::Value(Value::InlineTable(_))) => {
            Err(EditError::PeopleNotTables { found: "a table" })
        }
        Some(_) => Err(EditError::PeopleNotTables { found: "a value" }),
    }
}

fn handle_of(person: &Table) -> Option<String> {
    person.get("handle")?.as_str().map(str::to_owned)
}

fn check_handles(people: &toml_edit::ArrayOfTables, handles: &[&str]) -> Result<(), EditError> {
    let known: Vec<String> = people.iter().filter_map(handle_of).collect();
    for handle in handles {
        if !known.iter().any(|k| k == handle) {
            return Err(EditError::UnknownPerson {
                handle: (*handle).to_owned(),
                suggestion: did_you_mean(handle, known.iter().map(String::as_str))
                    .map(str::to_owned),
            });
        }
    }
    Ok(())
}

fn existing_day(d: &toml_edit::Datetime) -> Option<Day> {
    match (d.date, d.time, d.offset) {
        (Some(date), None, None) => {
            jiff::civil::Date::new(date.year as i16, date.month as i8, date.day as i8)
                .ok()
                .map(Day)
        }
        _ => None,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    }
}

/// Sets `key` to the string `value`, which must be a string already if set.
fn set_string(
    table: &mut Table,
    handle: &str,
    key: &'static str,
    value: &str,
    after: &[&str],
) -> Result<(), EditError> {
    match table.get(key).map(|i| i.as_value()) {
        None | Some(Some(Value::String(_))) => {}
        Some(Some(other)) => {
            return Err(EditError::UnexpectedValue {
                handle: handle.to_owned(),
                key,
                found: type_name(other),
            });
        }
        Some(None) => {
            return Err(EditError::UnexpectedValue {
                handle: handle.to_owned(),
                key,
                found: "a table",
            });
        }
    }
    set_value(table, key, Value::from(value), after);
    Ok(())
}

/// Sets `key` to `value`. An existing value keeps its place and its
/// surrounding spaces and comment; a new key goes right after the first of
/// `after` the table has (or last, when it has none of them).
fn set_value(table: &mut Table, key: &str, mut value: Value, after: &[&str]) {
    if let Some(old) = table.get_mut(key).and_then(Item::as_value_mut) {
        *value.decor_mut() = old.decor().clone();
        *old = value;
        return;
    }
    let keys: Vec<String> = table.iter().map(|(k, _)| k.to_owned()).collect();
    let anchor = after
        .iter()
        .find_map(|a| keys.iter().position(|k| k == a && table.contains_value(k)));
    let Some(anchor) = anchor else {
        table.insert(key, Item::Value(value));
        return;
    };
    // Tables keep their items in insertion order: take out everything after
    // the anchor, add the new key, and put the rest back with their own
    // formatting (sub-tables keep their place in the document regardless).
    let moved: Vec<(toml_edit::Key, Item)> = keys[anchor + 1..]
        .iter()
        .filter_map(|k| table.remove_entry(k))
        .collect();
    table.insert(key, Item::Value(value));
    for (k, item) in moved {
        table.insert_formatted(&k, item);
    }
}

/// Removes element `index` of `array`, leaving the others laid out as they
/// were: the element after it takes its place on its line, and a comment
/// that ended the previous element's line stays there.
fn remove_element(array: &mut Array, index: usize) {
    let prefix_of = |array: &Array, i: usize| -> String {
        array
            .get(i)
            .and_then(|v| v.decor().prefix())
            .and_then(|p| p.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if i == 0 {
                    String::new()
                } else {
                    " ".to_owned()
                }
            })
    };
    let removed = prefix_of(array, index);
    let last = index + 1 == array.len();
    if !last {
        let next = prefix_of(array, index + 1);
        let merged = merge_prefix(&removed, &next);
        array
            .get_mut(index + 1)
            .expect("the next element exists")
            .decor_mut()
            .set_prefix(merged);
    } else if let Some(trailing) = array.trailing().as_str().map(str::to_owned)
        && removed.contains('\n')
        && trailing.contains('\n')
    {
        array.set_trailing(merge_prefix(&removed, &trailing));
    }
    array.remove(index);
    if array.is_empty() {
        array.set_trailing("");
        array.set_trailing_comma(false);
    }
}

/// The whitespace before an element that takes the place of one removed,
/// from the removed element's prefix and its own: when both start new lines,
/// the end of the line before (a trailing comment) from the removed one and
/// the indentation of its own; otherwise simply the removed one's.
fn merge_prefix(removed: &str, next: &str) -> String {
    match (removed.split_once('\n'), next.split_once('\n')) {
        (Some((line_end, _)), Some((_, indent))) => format!("{line_end}\n{indent}"),
        _ => removed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    const PEOPLE: &str = r#"# the people
[[people]]
handle = "ann"   # lead
team = "core"
hours = "Mon-Fri 09:00-17:00"
roles = ["dev", "prod-reader"]  # on call

# the second
[[people]]
handle = "bob"
team = "core"
roles = [
  "dev",         # everyone
  "prod-reader", # on call
  "staging",
]
[people.vetting]
nda_signed = 2024-01-01
"#;

    #[test]
    fn marks_a_person_after_their_hours() {
        let out = mark_offboarded(PEOPLE, &["ann"], day("2026-11-22")).unwrap();
        assert_eq!(
            out,
            PEOPLE.replace(
                "hours = \"Mon-Fri 09:00-17:00\"\n",
                "hours = \"Mon-Fri 09:00-17:00\"\nstatus = \"offboarded\"\noffboarded_on = 2026-11-22\n"
            )
        );
    }

    #[test]
    fn marks_a_person_without_hours_after_their_team_and_before_their_subtable() {
        let out = mark_offboarded(PEOPLE, &["bob"], day("2026-11-22")).unwrap();
        assert_eq!(
            out,
            PEOPLE.replace(
                "handle = \"bob\"\nteam = \"core\"\n",
                "handle = \"bob\"\nteam = \"core\"\nstatus = \"offboarded\"\noffboarded_on = 2026-11-22\n"
            )
        );
    }

    #[test]
    fn an_earlier_leaving_day_stays_and_a_later_one_becomes_today() {
        let text = "[[people]]\nhandle = \"a\"\nstatus = \"active\" # still\noffboarded_on = 2026-12-31\n\n[[people]]\nhandle = \"b\"\nstatus = \"offboarded\"\noffboarded_on = 2026-01-02\n";
        let out = mark_offboarded(text, &["a", "b"], day("2026-11-22")).unwrap();
        assert_eq!(
            out,
            "[[people]]\nhandle = \"a\"\nstatus = \"offboarded\" # still\noffboarded_on = 2026-11-22\n\n[[people]]\nhandle = \"b\"\nstatus = \"offboarded\"\noffboarded_on = 2026-01-02\n"
        );
        let again = mark_offboarded(&out, &["a", "b"], day("2026-11-23")).unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn removes_a_role_from_a_one_line_array() {
        let out = remove_standing_roles(PEOPLE, &[("ann", "dev")]).unwrap();
        assert_eq!(
            out,
            PEOPLE.replace(
                "roles = [\"dev\", \"prod-reader\"]  # on call",
                "roles = [\"prod-reader\"]  # on call"
            )
        );
        let out = remove_standing_roles(PEOPLE, &[("ann", "prod-reader")]).unwrap();
        assert_eq!(
            out,
            PEOPLE.replace(
                "roles = [\"dev\", \"prod-reader\"]  # on call",
                "roles = [\"dev\"]  # on call"
            )
        );
        let out = remove_standing_roles(PEOPLE, &[("ann", "prod-reader"), ("ann", "dev")]).unwrap();
        assert_eq!(
            out,
            PEOPLE.replace(
                "roles = [\"dev\", \"prod-reader\"]  # on call",
                "roles = []  # on call"
            )
        );
    }

    #[test]
    fn removes_a_role_from_a_one_per_line_array_with_its_own_comment() {
        let out = remove_standing_roles(PEOPLE, &[("bob", "prod-reader")]).unwrap();
        assert_eq!(out, PEOPLE.replace("  \"prod-reader\", # on call\n", ""));
        let out = remove_standing_roles(PEOPLE, &[("bob", "dev")]).unwrap();
        assert_eq!(out, PEOPLE.replace("  \"dev\",         # everyone\n", ""));
        let out = remove_standing_roles(PEOPLE, &[("bob", "staging")]).unwrap();
        assert_eq!(out, PEOPLE.replace("  \"staging\",\n", ""));
    }

    #[test]
    fn unknown_people_and_roles_are_errors_with_a_suggestion() {
        let e = mark_offboarded(PEOPLE, &["anne"], day("2026-11-22")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no person `anne` in the model; did you mean `ann`?"
        );
        let e = remove_standing_roles(PEOPLE, &[("bob", "prod-read")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`bob` holds no standing role `prod-read`; did you mean `prod-reader`?"
        );
        let e = remove_standing_roles(PEOPLE, &[("zed", "dev")]).unwrap_err();
        assert!(matches!(
            e,
            EditError::UnknownPerson {
                suggestion: None,
                ..
            }
        ));
    }

    #[test]
    fn forms_it_cannot_edit_are_errors() {
        let e = mark_offboarded("people = [{ handle = \"a\" }]\n", &["a"], day("2026-11-22"))
            .unwrap_err();
        assert_eq!(
            e,
            EditError::PeopleNotTables {
                found: "an inline array"
            }
        );
        let e = mark_offboarded("[org]\nname = \"x\"\n", &["a"], day("2026-11-22")).unwrap_err();
        assert_eq!(e, EditError::NoPeople);
        let e = mark_offboarded("[[people]\n", &["a"], day("2026-11-22")).unwrap_err();
        assert!(matches!(e, EditError::NotToml { .. }), "{e}");
        let e = mark_offboarded(
            "[[people]]\nhandle = \"a\"\nstatus = 1\n",
            &["a"],
            day("2026-11-22"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`status` of `a` is an integer; fix it by hand, then run this again"
        );
        let e = remove_standing_roles(
            "[[people]]\nhandle = \"a\"\nroles = \"dev\"\n",
            &[("a", "dev")],
        )
        .unwrap_err();
        assert_eq!(e, EditError::RolesNotArray { handle: "a".into() });
    }

    #[test]
    fn the_diff_shows_exactly_the_lines_that_change() {
        let out = mark_offboarded(PEOPLE, &["ann"], day("2026-11-22")).unwrap();
        assert_eq!(
            unified_diff("palisade.toml", PEOPLE, &out),
            "--- palisade.toml\n+++ palisade.toml\n@@ -3,6 +3,8 @@\n handle = \"ann\"   # lead\n team = \"core\"\n hours = \"Mon-Fri 09:00-17:00\"\n+status = \"offboarded\"\n+offboarded_on = 2026-11-22\n roles = [\"dev\", \"prod-reader\"]  # on call\n \n # the second\n"
        );
        assert_eq!(unified_diff("x", PEOPLE, PEOPLE), "");
    }
}
