//! Repository access as GitHub's REST API exports it, against the model.

use palisade_gate::drift::{self, DriftKind, Finding};
use palisade_model::Index;

use super::model::{MODEL, model};

/// An item of `GET /repos/{owner}/{repo}/collaborators`, with every field
/// GitHub returns.
fn collaborator(login: &str, id: u64, role: &str) -> String {
    let (admin, maintain, push, triage) = match role {
        "admin" => (true, true, true, true),
        "maintain" => (false, true, true, true),
        "write" => (false, false, true, true),
        "triage" => (false, false, false, true),
        _ => (false, false, false, false),
    };
    format!(
        r#"{{
    "login": "{login}",
    "id": {id},
    "node_id": "MDQ6VXNlcj{id}",
    "avatar_url": "https://avatars.githubusercontent.com/u/{id}?v=4",
    "gravatar_id": "",
    "url": "https://api.github.com/users/{login}",
    "html_url": "https://github.com/{login}",
    "followers_url": "https://api.github.com/users/{login}/followers",
    "following_url": "https://api.github.com/users/{login}/following{{/other_user}}",
    "gists_url": "https://api.github.com/users/{login}/gists{{/gist_id}}",
    "starred_url": "https://api.github.com/users/{login}/starred{{/owner}}{{/repo}}",
    "subscriptions_url": "https://api.github.com/users/{login}/subscriptions",
    "organizations_url": "https://api.github.com/users/{login}/orgs",
    "repos_url": "https://api.github.com/users/{login}/repos",
    "events_url": "https://api.github.com/users/{login}/events{{/privacy}}",
    "received_events_url": "https://api.github.com/users/{login}/received_events",
    "type": "User",
    "user_view_type": "public",
    "site_admin": false,
    "permissions": {{ "pull": true, "triage": {triage}, "push": {push}, "maintain": {maintain}, "admin": {admin} }},
    "role_name": "{role}"
  }}"#
    )
}

/// An item of `GET /repos/{owner}/{repo}/teams`.
fn team(slug: &str, id: u64, permission: &str, parent: Option<&str>) -> String {
    let parent = match parent {
        Some(p) => format!(
            r#"{{ "id": 1, "node_id": "MDQ6VGVhbTE=", "url": "https://api.github.com/teams/1", "html_url": "https://github.com/orgs/acme/teams/{p}", "name": "{p}", "slug": "{p}", "description": null, "privacy": "closed", "notification_setting": "notifications_enabled", "permission": "pull", "members_url": "https://api.github.com/teams/1/members{{/member}}", "repositories_url": "https://api.github.com/teams/1/repos", "type": "organization" }}"#
        ),
        None => "null".to_owned(),
    };
    format!(
        r#"{{
    "id": {id},
    "node_id": "MDQ6VGVhbT{id}",
    "url": "https://api.github.com/teams/{id}",
    "html_url": "https://github.com/orgs/acme/teams/{slug}",
    "name": "{slug}",
    "slug": "{slug}",
    "description": "A team.",
    "privacy": "closed",
    "notification_setting": "notifications_enabled",
    "permission": "{permission}",
    "members_url": "https://api.github.com/teams/{id}/members{{/member}}",
    "repositories_url": "https://api.github.com/teams/{id}/repos",
    "type": "organization",
    "parent": {parent}
  }}"#
    )
}

fn kinds(findings: &[Finding]) -> Vec<(DriftKind, &str)> {
    let mut v: Vec<(DriftKind, &str)> =
        findings.iter().map(|f| (f.kind, f.name.as_str())).collect();
    v.sort();
    v
}

#[test]
fn people_and_teams_against_the_model() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let collaborators = format!(
        "[{}]",
        [
            collaborator("ewa-gh", 11, "admin"), // internal admin, owns: fine
            collaborator("raj-nimbus", 12, "maintain"), // vendor maintain
            collaborator("olga-nimbus", 13, "read"), // offboarded
            collaborator("stranger", 14, "write"), // unknown
            collaborator("Tom-R", 15, "write"),  // login case differs: fine
        ]
        .join(",")
    );
    let teams = format!(
        "[{}]",
        [
            team("platform", 21, "push", None),
            team("nimbus-web", 22, "admin", Some("vendors")),
            team("ghosts", 23, "pull", None),
        ]
        .join(",")
    );
    let c = drift::parse_collaborators("collaborators.json", &collaborators).unwrap();
    let t = drift::parse_teams("teams.json", &teams).unwrap();
    assert_eq!(c[1].rights().highest(), "maintain");
    let found = drift::drift(&index, "acme/web", None, &c, &t);
    assert_eq!(
        kinds(&found),
        [
            (DriftKind::VendorAdmin, "acme/nimbus-web"),
            (DriftKind::VendorAdmin, "raj-nimbus"),
            (DriftKind::OffboardedAccess, "olga-nimbus"),
            (DriftKind::UnknownLogin, "stranger"),
            (DriftKind::UnknownTeam, "acme/ghosts"),
        ]
    );
    // In a repository the model holds no service of theirs, write is drift.
    let elsewhere = drift::drift(&index, "acme/mobile", Some("acme/web"), &c, &t);
    let k = kinds(&elsewhere);
    assert!(
        k.contains(&(DriftKind::WriteWithoutOwnership, "ewa-gh")),
        "{k:?}"
    );
    assert!(
        k.contains(&(DriftKind::WriteWithoutOwnership, "Tom-R")),
        "{k:?}"
    );
    assert!(
        k.contains(&(DriftKind::WriteWithoutOwnership, "acme/platform")),
        "{k:?}"
    );
    // nimbus-web owns `mobile` there.
    assert!(
        !k.contains(&(DriftKind::WriteWithoutOwnership, "acme/nimbus-web")),
        "{k:?}"
    );
    assert!(
        !k.contains(&(DriftKind::WriteWithoutOwnership, "raj-nimbus")),
        "{k:?}"
    );
}

#[test]
fn paginated_exports_read_as_one_list_and_bad_shapes_say_what_to_run() {
    let pages = format!(
        "[{}]\n[{}]",
        collaborator("a", 1, "read"),
        collaborator("b", 2, "write")
    );
    assert_eq!(drift::parse_collaborators("c", &pages).unwrap().len(), 2);
    let slurped = format!(
        "[[{}],[{}]]",
        collaborator("a", 1, "read"),
        collaborator("b", 2, "write")
    );
    assert_eq!(drift::parse_collaborators("c", &slurped).unwrap().len(), 2);
    let err = drift::parse_collaborators("c.json", r#"{"message": "Not Found"}"#).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("c.json")
            && msg.contains("gh api --paginate repos/{owner}/{repo}/collaborators"),
        "{msg}"
    );
    assert!(drift::parse_teams("t", r#"[{"permission": "push"}]"#).is_err());
}

#[test]
fn a_collaborator_or_team_listed_twice_counts_once_with_its_highest_right() {
    let m = model(MODEL);
    let index = Index::new(&m);
    let page = format!(
        "[{},{}]",
        collaborator("stranger", 1, "read"),
        collaborator("raj-nimbus", 2, "maintain")
    );
    // The same page twice, then the stranger again with more rights and
    // another case.
    let text = format!("{page}\n{page}\n[{}]", collaborator("Stranger", 1, "admin"));
    let c = drift::parse_collaborators("c", &text).unwrap();
    let logins: Vec<(&str, &str)> = c
        .iter()
        .map(|c| (c.login.as_str(), c.rights().highest()))
        .collect();
    assert_eq!(logins, [("Stranger", "admin"), ("raj-nimbus", "maintain")]);
    let teams = format!(
        "[{}]\n[{}]",
        [
            team("ghosts", 1, "pull", None),
            team("platform", 2, "push", None)
        ]
        .join(","),
        [
            team("ghosts", 1, "push", None),
            team("Platform", 2, "pull", None)
        ]
        .join(",")
    );
    let t = drift::parse_teams("t", &teams).unwrap();
    let slugs: Vec<(&str, &str)> = t
        .iter()
        .map(|t| (t.slug.as_str(), t.rights().highest()))
        .collect();
    assert_eq!(slugs, [("ghosts", "write"), ("platform", "write")]);
    // `drift` itself counts each once, whoever built the lists.
    let twice: Vec<drift::Collaborator> = c.iter().chain(&c).cloned().collect();
    let found = drift::drift(&index, "acme/web", None, &twice, &t);
    assert_eq!(
        kinds(&found),
        [
            (DriftKind::VendorAdmin, "raj-nimbus"),
            (DriftKind::UnknownLogin, "Stranger"),
            (DriftKind::UnknownTeam, "acme/ghosts"),
        ]
    );
}
