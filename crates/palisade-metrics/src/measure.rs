//! What a figure is about, and a figure that may have nothing behind it.

use serde::{Serialize, Serializer};

/// A figure, or the reason there is none. Serialised as the value itself, or
/// as `{"no_data": "<why>"}`; never as a zero standing in for "unknown".
#[derive(Debug, Clone, PartialEq)]
pub enum Measured<T> {
    /// Measured from at least one record.
    Value(T),
    /// Nothing to measure from, and why (e.g. "no production deployments in 2026-10").
    NoData(String),
}

impl<T> Measured<T> {
    /// The value, if measured.
    pub fn value(&self) -> Option<&T> {
        match self {
            Measured::Value(v) => Some(v),
            Measured::NoData(_) => None,
        }
    }

    /// A measured value mapped through `f`; no data stays no data.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Measured<U> {
        match self {
            Measured::Value(v) => Measured::Value(f(v)),
            Measured::NoData(why) => Measured::NoData(why),
        }
    }

    /// `Value(v)`, or no data for `why` when `v` is `None`.
    pub fn from_option(v: Option<T>, why: impl FnOnce() -> String) -> Measured<T> {
        match v {
            Some(v) => Measured::Value(v),
            None => Measured::NoData(why()),
        }
    }
}

impl<T: Serialize> Serialize for Measured<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Measured::Value(v) => v.serialize(s),
            Measured::NoData(why) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("no_data", why)?;
                m.end()
            }
        }
    }
}

/// Whom a figure is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// The whole organisation.
    Org,
    /// A vendor company (an id of `[[vendors]]`): all its teams.
    Vendor(String),
    /// A team (an id of `[[teams]]`).
    Team(String),
    /// A service (an id of `[[services]]`).
    Service(String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Org => f.write_str("organisation"),
            Scope::Vendor(id) => write!(f, "vendor {id}"),
            Scope::Team(id) => write!(f, "team {id}"),
            Scope::Service(id) => write!(f, "service {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_data_serialises_as_its_reason_never_as_zero() {
        let none: Measured<f64> = Measured::NoData("no deployments".into());
        assert_eq!(
            serde_json::to_string(&none).expect("json"),
            r#"{"no_data":"no deployments"}"#
        );
        assert_eq!(
            serde_json::to_string(&Measured::Value(0.25)).expect("json"),
            "0.25"
        );
    }
}
