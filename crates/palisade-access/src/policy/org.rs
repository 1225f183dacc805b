//! The organisation's own Cedar policies: parsed, renamed under `org/`, and
//! validated strictly against the generated schema before they take effect.

use std::fmt;

use cedar_policy::ffi::DetailedError;
use cedar_policy::{Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};

use super::{DecidingPolicy, PolicyError, PolicyOrigin, effect};

/// One problem in the organisation's policy file, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPolicyProblem {
    /// The policy it is in (`org/…`), when it parsed far enough to have one.
    pub policy: Option<String>,
    /// 1-based line (0 when Cedar gave no place).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, as Cedar says it.
    pub message: String,
}

impl OrgPolicyProblem {
    pub(crate) fn unlocated(message: String) -> OrgPolicyProblem {
        OrgPolicyProblem {
            policy: None,
            line: 0,
            column: 0,
            message,
        }
    }

    fn at(text: &str, policy: Option<String>, detail: &DetailedError) -> OrgPolicyProblem {
        let (line, column) = detail
            .source_locations
            .first()
            .map_or((0, 0), |l| line_column(text, l.loc.start));
        let mut message = detail.message.clone();
        if let Some(help) = &detail.help {
            message.push_str("; ");
            message.push_str(help);
        }
        OrgPolicyProblem {
            policy,
            line,
            column,
            message,
        }
    }
}

impl fmt::Display for OrgPolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}, column {}: ", self.line, self.column)?;
        }
        if let Some(p) = &self.policy {
            write!(f, "policy `{p}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Parses and validates `text`; each policy renamed `org/<@id>` (or
/// `org/policyN` by position), with what `explain` says of it.
pub(crate) fn load(
    file: &str,
    text: &str,
    schema: &Schema,
) -> Result<Vec<(Policy, DecidingPolicy)>, PolicyError> {
    let fail = |problems: Vec<OrgPolicyProblem>| PolicyError::OrgPolicies {
        file: file.to_owned(),
        problems,
    };
    let parsed: PolicySet = text.parse().map_err(|e: cedar_policy::ParseErrors| {
        fail(
            e.iter()
                .map(|e| OrgPolicyProblem::at(text, None, &DetailedError::from(e)))
                .collect(),
        )
    })?;
    if parsed.templates().next().is_some() {
        return Err(fail(vec![OrgPolicyProblem::unlocated(
            "policy templates are not supported; write each policy out".to_owned(),
        )]));
    }
    // Cedar numbers policies `policy0`, `policy1`, … in source order.
    let mut numbered: Vec<(usize, &Policy)> = parsed
        .policies()
        .map(|p| {
            let n = p
                .id()
                .to_string()
                .strip_prefix("policy")
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX);
            (n, p)
        })
        .collect();
    numbered.sort_by_key(|(n, _)| *n);

    let mut renamed = PolicySet::new();
    let mut out = Vec::with_capacity(numbered.len());
    let mut problems = Vec::new();
    for (n, p) in numbered {
        let id = match p.annotation("id") {
            Some(id) => format!("org/{id}"),
            None => format!("org/policy{n}"),
        };
        let policy = p.new_id(PolicyId::new(&id));
        let meta = DecidingPolicy {
            id: id.clone(),
            effect: effect(&policy),
            reason: policy.annotation("reason").unwrap_or_default().to_owned(),
            origin: PolicyOrigin::Organisation,
        };
        if let Err(e) = renamed.add(policy.clone()) {
            problems.push(OrgPolicyProblem {
                policy: Some(id),
                ..OrgPolicyProblem::unlocated(format!("{e}; give each policy its own @id"))
            });
            continue;
        }
        out.push((policy, meta));
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }

    let result = Validator::new(schema.clone()).validate(&renamed, ValidationMode::Strict);
    let mut problems: Vec<OrgPolicyProblem> = result
        .validation_errors()
        .map(|e| {
            OrgPolicyProblem::at(
                text,
                Some(e.policy_id().to_string()),
                &DetailedError::from(e),
            )
        })
        .collect();
    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.line, p.column));
        return Err(fail(problems));
    }
    Ok(out)
}
