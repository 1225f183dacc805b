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

impl Scope {
    /// The scope a caller names: a vendor, a team or a service of the model
    /// (the first given, in that order), or the organisation when none is.
    pub fn resolve(
        index: &palisade_model::Index<'_>,
        vendor: Option<&str>,
        team: Option<&str>,
        service: Option<&str>,
    ) -> Result<Scope, UnknownScope> {
        let model = index.model();
        let unknown = |kind: &'static str, id: &str, known: Vec<&str>| UnknownScope {
            kind,
            id: id.to_owned(),
            known: known.into_iter().map(str::to_owned).collect(),
        };
        if let Some(v) = vendor {
            return match index.vendor_by_id(v) {
                Some(_) => Ok(Scope::Vendor(v.to_owned())),
                None => Err(unknown(
                    "vendor",
                    v,
                    model.vendors.iter().map(|v| v.id.as_str()).collect(),
                )),
            };
        }
        if let Some(t) = team {
            return match index.team_by_id(t) {
                Some(_) => Ok(Scope::Team(t.to_owned())),
                None => Err(unknown(
                    "team",
                    t,
                    model.teams.iter().map(|t| t.id.as_str()).collect(),
                )),
            };
        }
        if let Some(s) = service {
            return match index.service_by_id(s) {
                Some(_) => Ok(Scope::Service(s.to_owned())),
                None => Err(unknown(
                    "service",
                    s,
                    model.services.iter().map(|s| s.id.as_str()).collect(),
                )),
            };
        }
        Ok(Scope::Org)
    }
}

/// A vendor, team or service the model does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{id}`; the model's {kind}s are: {}", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
pub struct UnknownScope {
    /// `vendor`, `team` or `service`.
    pub kind: &'static str,
    /// The id asked for.
    pub id: String,
    /// The ids the model has, in its order.
    pub known: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_resolves_against_the_model_and_an_unknown_one_lists_the_known() {
        let model = palisade_model::parse(include_str!("../../../examples/acme/palisade.toml"))
            .expect("the example model");
        let index = palisade_model::Index::new(&model);
        assert_eq!(Scope::resolve(&index, None, None, None), Ok(Scope::Org));
        assert_eq!(
            Scope::resolve(&index, Some("nimbus"), None, None),
            Ok(Scope::Vendor("nimbus".into()))
        );
        assert_eq!(
            Scope::resolve(&index, None, Some("payments"), None),
            Ok(Scope::Team("payments".into()))
        );
        let err = Scope::resolve(&index, Some("nimbos"), None, None).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown vendor `nimbos`; the model's vendors are: nimbus, harbor"
        );
        assert_eq!(
            Scope::resolve(&index, None, None, Some("ledger")),
            Ok(Scope::Service("ledger".into()))
        );
        let err = Scope::resolve(&index, None, Some("payment"), None).expect_err("unknown");
        assert_eq!(err.kind, "team");
        assert!(err.known.iter().any(|t| t == "payments"), "{err}");
    }

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
