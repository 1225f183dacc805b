//! A CODEOWNERS file written from the model.
//!
//! One block per service of the repository, in model order, each headed by
//! a comment naming the service and its team; one line per path glob, the
//! glob anchored at the root (`/services/api/`), owned by the team's GitHub
//! team, then the primary owner, then the backup owner. The output depends
//! on nothing but the model: the same model writes the same bytes.

use std::fmt::Write as _;

use palisade_model::{Index, Service};

use crate::owners::{code_owners, in_repo, missing_logins};

/// The file and what the caller should know about it.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The CODEOWNERS text.
    pub text: String,
    /// How many rules it has.
    pub rules: usize,
    /// Things left out that do not make the file wrong (a team with no
    /// GitHub team is not listed; its people still are).
    pub warnings: Vec<String>,
}

/// Why no file can be written; every problem found, not just the first.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// No service lives in the repository.
    #[error("no service of the model lives in {repo}; {hint}")]
    NoServices {
        /// The repository asked about.
        repo: String,
        /// What to do.
        hint: String,
    },
    /// Globs CODEOWNERS cannot express, or owners GitHub cannot name.
    #[error("cannot write CODEOWNERS from the model:\n  {}", .problems.join("\n  "))]
    Problems {
        /// One line each: the service, the glob or person, and the fix.
        problems: Vec<String>,
    },
}

/// The CODEOWNERS of `repo` (`None`: the repository holding the model).
/// `command` is the command line that regenerates it, for the header.
pub fn generate(
    index: &Index<'_>,
    repo: Option<&str>,
    command: &str,
) -> Result<Generated, GenerateError> {
    let services: Vec<&Service> = index
        .model()
        .services
        .iter()
        .filter(|s| in_repo(s, repo))
        .collect();
    if services.is_empty() {
        let named: std::collections::BTreeSet<&str> = index
            .model()
            .services
            .iter()
            .flat_map(|s| s.repos.iter().map(String::as_str))
            .collect();
        return Err(GenerateError::NoServices {
            repo: repo.map_or_else(
                || "the repository holding the model".to_owned(),
                str::to_owned,
            ),
            hint: if named.is_empty() {
                "add [[services]] with `paths` to the model".to_owned()
            } else {
                format!(
                    "pass --repo with one of: {}",
                    named.into_iter().collect::<Vec<_>>().join(", ")
                )
            },
        });
    }

    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut body = String::new();
    let mut rules = 0;
    for s in &services {
        for (role, handle) in missing_logins(index, s) {
            let fix = match index.person_by_handle(handle) {
                Some(_) => format!("add `github = \"<login>\"` to the person `{handle}`"),
                None => format!("`{handle}` is not a person of the model"),
            };
            problems.push(format!(
                "service `{}`: its {} `{handle}` has no GitHub login; {fix}",
                s.id,
                role.replace('_', " ")
            ));
        }
        if let Some(t) = index.team_by_id(&s.team)
            && index.team(t).github_team.is_none()
        {
            warnings.push(format!(
                "team `{}` has no `github_team`, so service `{}` is owned by its people only; add `github_team = \"org/slug\"` to the team",
                s.team, s.id
            ));
        }
        let owners = code_owners(index, s);
        let owners: Vec<String> = owners.iter().map(ToString::to_string).collect();
        let _ = writeln!(body, "\n# {} (team {})", s.id, s.team);
        if s.paths.is_empty() {
            warnings.push(format!(
                "service `{}` has no `paths`, so CODEOWNERS gives it nothing",
                s.id
            ));
        }
        for glob in &s.paths {
            match translate(glob) {
                Ok(pattern) => {
                    rules += 1;
                    let _ = writeln!(body, "{pattern} {}", owners.join(" "));
                }
                Err(why) => problems.push(format!("service `{}`: path `{glob}` {why}", s.id)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(GenerateError::Problems { problems });
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Generated from the operating model (palisade.toml) by `{command}`."
    );
    let _ = writeln!(
        text,
        "# Do not edit: change the model and run the command again. `palisade owners check` compares the two."
    );
    let _ = writeln!(
        text,
        "# Owners of each path: the owning team, then the primary owner, then the backup owner."
    );
    text.push_str(&body);
    Ok(Generated {
        text,
        rules,
        warnings,
    })
}

/// A model glob as a CODEOWNERS pattern that claims the same files, or why
/// there is none.
///
/// Model globs are relative to the root, so the pattern is anchored with a
/// leading `/`. A plain path or a directory (`a/b`, `a/b/`, `a/**`, `a/**/`)
/// claims everything below it in both syntaxes. A wildcard glob claims the
/// files it spells out; so does the CODEOWNERS pattern, which also claims
/// the contents of a directory whose name matches its last segment
/// (`/**/*.tf` claims `x.tf/main.go`), a case `palisade owners check`
/// catches on a real tree.
pub fn translate(glob: &str) -> Result<String, String> {
    if glob.chars().any(char::is_whitespace) {
        return Err(
            "holds white space, which CODEOWNERS cannot write in a pattern; rename the path or claim its directory".to_owned(),
        );
    }
    if glob.contains(['[', ']']) {
        return Err(
            "uses a `[ ]` character class, which CODEOWNERS does not support; list the alternatives as separate globs".to_owned(),
        );
    }
    if glob.contains(['\\', '{', '}']) {
        return Err("uses a `\\`, `{` or `}`, which the model does not allow".to_owned());
    }
    let body = glob.trim_start_matches('/');
    let dir = body.ends_with('/');
    let mut body = body.trim_end_matches('/');
    // `a/**` claims what is below `a`: the directory `/a/`. (`a/**/` claims
    // what is below a directory inside `a`, as `/a/**/` does.)
    let mut below = dir;
    if !dir {
        while let Some(rest) = body.strip_suffix("/**") {
            body = rest;
            below = true;
        }
    }
    if body.is_empty() || body == "**" {
        return Ok(if dir { "/**/" } else { "*" }.to_owned());
    }
    if body.split('/').any(str::is_empty) {
        return Err("has an empty segment (`//`); remove the extra slash".to_owned());
    }
    // `**` inside a segment means `*` in both syntaxes; write it so.
    let segments: Vec<String> = body
        .split('/')
        .map(|seg| {
            if seg == "**" {
                seg.to_owned()
            } else {
                let mut out = String::with_capacity(seg.len());
                for c in seg.chars() {
                    if !(c == '*' && out.ends_with('*')) {
                        out.push(c);
                    }
                }
                out
            }
        })
        .collect();
    let mut pattern = format!("/{}", segments.join("/"));
    if below {
        pattern.push('/');
    }
    Ok(pattern)
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn translations() {
        let t = |g: &str| translate(g).expect("expressible");
        assert_eq!(t("services/api/**"), "/services/api/");
        assert_eq!(t("services/api"), "/services/api");
        assert_eq!(t("web/"), "/web/");
        assert_eq!(t("a/**/"), "/a/**/");
        assert_eq!(t("a/**/**"), "/a/");
        assert_eq!(t("**/*.tf"), "/**/*.tf");
        assert_eq!(t("**"), "*");
        assert_eq!(t("src/a**b.rs"), "/src/a*b.rs");
        assert!(translate("src/[ab].rs").is_err());
        assert!(translate("my docs/").is_err());
    }
}
