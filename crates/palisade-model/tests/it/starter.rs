//! `palisade init`'s starter model: people guessed from git history and
//! `.mailmap`, owners from recent activity and CODEOWNERS, and a model that
//! passes `palisade check`.

use std::collections::HashSet;

use palisade_model::{Level, Model, Person, RepoFacts, Source, check, starter_model};
use proptest::prelude::*;

use crate::today;

/// Seconds since the epoch of a day, counted from 2026-01-01.
fn day(n: i64) -> i64 {
    1_767_225_600 + n * 86_400
}

fn facts(dirs: &[&str]) -> RepoFacts {
    RepoFacts {
        name: "shop".into(),
        top_dirs: dirs.iter().map(|d| (*d).to_owned()).collect(),
        timezone: "UTC".into(),
        ..RepoFacts::default()
    }
}

/// The starter of `facts`, checked: it must have no errors at all.
fn clean_model(facts: &RepoFacts) -> (String, Model) {
    let text = starter_model(facts).unwrap();
    let checked = check(&Source::new("palisade.toml", text.clone()), today());
    assert_eq!(checked.errors(), 0, "{text}\n{:#?}", checked.diagnostics);
    (text, checked.model.unwrap())
}

fn person<'m>(model: &'m Model, handle: &str) -> &'m Person {
    model
        .people
        .iter()
        .find(|p| p.handle == handle)
        .unwrap_or_else(|| {
            let handles: Vec<&str> = model.people.iter().map(|p| p.handle.as_str()).collect();
            panic!("no person `{handle}` among {handles:?}")
        })
}

fn owners<'m>(model: &'m Model, service: &str) -> (&'m str, Option<&'m str>) {
    let s = model.services.iter().find(|s| s.id == service).unwrap();
    (s.owner.as_str(), s.backup_owner.as_deref())
}

#[test]
fn starter_from_codeowners_passes_check_and_uses_its_owners() {
    let facts = RepoFacts {
        name: "Shop".into(),
        top_dirs: vec!["api".into(), "web".into(), "infra".into(), "node_modules".into(), ".github".into()],
        codeowners: Some("# owners\n*       @shop/platform @lee\n/web/  @shop/frontend @kim @ana\napi/ dev@shop.example\n".into()),
        timezone: "Europe/Madrid".into(),
        ..RepoFacts::default()
    };
    let (text, model) = clean_model(&facts);
    let ids: Vec<&str> = model.services.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["api", "infra", "web"]);
    let web = model.services.iter().find(|s| s.id == "web").unwrap();
    assert_eq!(
        (
            web.team.as_str(),
            web.owner.as_str(),
            web.backup_owner.as_deref()
        ),
        ("frontend", "kim", Some("ana"))
    );
    let api = model.services.iter().find(|s| s.id == "api").unwrap();
    assert_eq!(api.owner, "dev");
    let infra = model.services.iter().find(|s| s.id == "infra").unwrap();
    assert_eq!(
        (infra.team.as_str(), infra.owner.as_str()),
        ("platform", "lee")
    );
    assert_ne!(infra.backup_owner.as_deref(), Some("lee"));
    assert!(text.contains("# "), "the starter is commented");
    // CODEOWNERS logins are GitHub logins, and teams GitHub teams.
    assert_eq!(person(&model, "kim").github.as_deref(), Some("kim"));
    assert_eq!(person(&model, "dev").github, None);
    let frontend = model.teams.iter().find(|t| t.id == "frontend").unwrap();
    assert_eq!(frontend.github_team.as_deref(), Some("shop/frontend"));
    assert!(
        !text.contains("owner-a") && !text.contains("placeholder"),
        "no placeholder owners: {text}"
    );
}

#[test]
fn no_commits_and_no_codeowners_is_an_error_that_says_what_to_do() {
    let facts = RepoFacts {
        name: "empty \"repo\"".into(),
        timezone: "UTC".into(),
        ..RepoFacts::default()
    };
    let err = starter_model(&facts).unwrap_err().to_string();
    assert!(err.contains("no commits and no CODEOWNERS"), "{err}");
    assert!(
        err.contains("make a first commit") && err.contains("CODEOWNERS"),
        "{err}"
    );

    // Bots alone are nobody either.
    let mut bots = facts.clone();
    bots.add_commit(
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        day(1),
        ["api"],
    );
    let err = starter_model(&bots).unwrap_err().to_string();
    assert!(err.contains("its only commit is by a bot"), "{err}");
    bots.add_commit("GitHub", "noreply@github.com", day(2), ["api"]);
    let err = starter_model(&bots).unwrap_err().to_string();
    assert!(err.contains("all 2 commits are by bots"), "{err}");
}

#[test]
fn a_repository_with_files_only_gets_one_service_owned_by_its_authors() {
    let mut facts = facts(&[]);
    facts.name = "empty \"repo\"".into();
    facts.add_commit("Kim Park", "kim@shop.example", day(1), ["README.md"]);
    facts.add_commit("Ana Silva", "ana@shop.example", day(2), ["README.md"]);
    facts.add_commit("Ana Silva", "ana@shop.example", day(3), ["Makefile"]);
    let (_, model) = clean_model(&facts);
    assert_eq!(model.services.len(), 1);
    assert_eq!(model.services[0].paths, ["**"]);
    let only = &model.services[0];
    assert_eq!(
        (only.owner.as_str(), only.backup_owner.as_deref()),
        ("ana", Some("kim"))
    );
}

#[test]
fn regression_awkward_directory_names_still_give_a_clean_model() {
    let mut facts = RepoFacts {
        name: "odd".into(),
        top_dirs: vec![
            "API".into(),
            "api".into(),
            "web{old}".into(),
            "[legacy]".into(),
            "my dir".into(),
        ],
        codeowners: None,
        timezone: "UTC".into(),
        ..RepoFacts::default()
    };
    facts.add_commit("Kim Park", "kim@odd.example", day(1), ["api/x"]);
    facts.add_commit("Ana Silva", "ana@odd.example", day(2), ["my dir/y"]);
    let (_, model) = clean_model(&facts);
    let ids: Vec<String> = model.services.iter().map(|s| s.id.clone()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.contains(&"api".to_owned()) && ids.contains(&"api-2".to_owned()));
}

#[test]
fn mailmap_honours_all_four_forms_and_comments() {
    let mut f = facts(&["api"]);
    f.mailmap = Some(
        "# the team's mailmap\n\
         Kim Park <kim@old.example>\n\
         <ana@shop.example> <ana@laptop.example>   # her laptop\n\
         Lee Chan <lee@shop.example> <lee@old.example>\n\
         Joe Bloggs <joe@shop.example> joe <shared@old.example>\n\
         # Nobody Here <nobody@shop.example> <kim@shop.example>\n\
         not a mapping line\n"
            .into(),
    );
    // Form 1: only the name changes.
    f.add_commit("kimmy", "kim@old.example", day(1), ["api"]);
    // Form 2: only the address changes.
    f.add_commit("Ana Silva", "ana@laptop.example", day(2), ["api"]);
    f.add_commit("Ana Silva", "ana@shop.example", day(3), ["api"]);
    // Form 3: both change.
    f.add_commit("lee", "lee@old.example", day(4), ["api"]);
    // Form 4: only this name under that address is mapped...
    f.add_commit("JOE", "Shared@Old.example", day(5), ["api"]);
    // ...another name under it is someone else.
    f.add_commit("Max Mustermann", "shared@old.example", day(6), ["api"]);
    // A commented-out line maps nothing.
    f.add_commit("Kim", "kim@shop.example", day(7), ["api"]);

    let (_, model) = clean_model(&f);
    let kim = person(&model, "kim");
    assert_eq!(kim.name, "Kim Park");
    assert_eq!(kim.email, "kim@old.example");
    let ana = person(&model, "ana");
    assert_eq!(
        (ana.email.as_str(), ana.emails.len()),
        ("ana@shop.example", 0)
    );
    let lee = person(&model, "lee");
    assert_eq!(
        (lee.name.as_str(), lee.email.as_str()),
        ("Lee Chan", "lee@shop.example")
    );
    let joe = person(&model, "joe");
    assert_eq!(
        (joe.name.as_str(), joe.email.as_str()),
        ("Joe Bloggs", "joe@shop.example")
    );
    let max = model
        .people
        .iter()
        .find(|p| p.name == "Max Mustermann")
        .unwrap();
    assert_eq!(max.email, "shared@old.example");
    // `Kim <kim@shop.example>` is not `Kim Park`: another person.
    let other = model
        .people
        .iter()
        .find(|p| p.email == "kim@shop.example")
        .unwrap();
    assert_eq!(other.name, "Kim");
    assert_ne!(other.handle, "kim");
    assert_eq!(model.people.len(), 6, "{:#?}", model.people);
}

#[test]
fn addresses_of_one_name_are_one_person_with_the_most_used_address_first() {
    let mut f = facts(&["api"]);
    f.add_commit("Kim Park", "kim@home.example", day(1), ["api"]);
    f.add_commit("kim  park", "Kim@Shop.example", day(2), ["api"]);
    f.add_commit("KIM PARK", "kim@shop.example", day(3), ["api"]);
    f.add_commit(" Kim\tPark ", "kim.park@old.example", day(4), ["api"]);
    f.add_commit("Ana Silva", "ana@shop.example", day(5), ["api"]);
    let (_, model) = clean_model(&f);
    assert_eq!(model.people.len(), 2, "{:#?}", model.people);
    let kim = model
        .people
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case("kim park"))
        .unwrap();
    assert!(
        kim.email.eq_ignore_ascii_case("kim@shop.example"),
        "{kim:?}"
    );
    let mut others = kim.emails.clone();
    others.sort();
    assert_eq!(others, ["kim.park@old.example", "kim@home.example"]);
    assert_eq!(kim.handle, "kim");
}

#[test]
fn one_address_under_two_names_is_one_person() {
    let mut f = facts(&["api"]);
    f.add_commit("kim", "kim@shop.example", day(1), ["api"]);
    f.add_commit("Kim Park", "kim@shop.example", day(2), ["api"]);
    f.add_commit("Kim Park", "kim@home.example", day(3), ["api"]);
    f.add_commit("Ana Silva", "ana@shop.example", day(4), ["api"]);
    let (_, model) = clean_model(&f);
    assert_eq!(model.people.len(), 2, "{:#?}", model.people);
    let kim = person(&model, "kim");
    assert_eq!(kim.name, "Kim Park");
    assert_eq!(kim.emails.len(), 1);
}

#[test]
fn github_noreply_addresses_give_valid_logins_only() {
    let mut f = facts(&["api"]);
    f.add_commit(
        "Octo Cat",
        "12345+Octo-Cat@users.noreply.github.com",
        day(1),
        ["api"],
    );
    f.add_commit(
        "Old Timer",
        "oldtimer@users.noreply.github.com",
        day(2),
        ["api"],
    );
    f.add_commit(
        "Under Score",
        "777+under_score@users.noreply.github.com",
        day(3),
        ["api"],
    );
    f.add_commit(
        "Dash End",
        "dash-@users.noreply.github.com",
        day(4),
        ["api"],
    );
    f.add_commit(
        "Too Long",
        &format!("{}@users.noreply.github.com", "x".repeat(40)),
        day(5),
        ["api"],
    );
    f.add_commit(
        "Not Numeric",
        "abc+login@users.noreply.github.com",
        day(6),
        ["api"],
    );
    let (_, model) = clean_model(&f);
    let octo = person(&model, "octo-cat");
    assert_eq!(octo.github.as_deref(), Some("Octo-Cat"));
    assert_eq!(
        person(&model, "oldtimer").github.as_deref(),
        Some("oldtimer")
    );
    for name in ["Under Score", "Dash End", "Too Long", "Not Numeric"] {
        let p = model.people.iter().find(|p| p.name == name).unwrap();
        assert_eq!(p.github, None, "{p:?}");
    }
}

#[test]
fn one_github_login_under_two_names_is_one_person() {
    let mut f = facts(&["api"]);
    f.add_commit(
        "Kim Park",
        "12345+kim@users.noreply.github.com",
        day(1),
        ["api"],
    );
    f.add_commit("Kim P.", "kim@users.noreply.github.com", day(2), ["api"]);
    f.add_commit("Ana Silva", "ana@shop.example", day(3), ["api"]);
    let (_, model) = clean_model(&f);
    assert_eq!(model.people.len(), 2, "{:#?}", model.people);
    assert_eq!(person(&model, "kim").emails.len(), 1);
}

#[test]
fn bots_are_left_out() {
    let mut f = facts(&["api"]);
    f.add_commit(
        "dependabot[bot]",
        "49699333+dependabot[bot]@users.noreply.github.com",
        day(1),
        ["api"],
    );
    f.add_commit(
        "github-actions",
        "41898282+github-actions[bot]@users.noreply.github.com",
        day(2),
        ["api"],
    );
    f.add_commit("GitHub", "noreply@github.com", day(3), ["api"]);
    f.add_commit("Renovate Bot", "bot@renovateapp.com", day(4), ["api"]);
    f.add_commit("Kim Park", "kim@shop.example", day(5), ["api"]);
    f.add_commit("Ana Silva", "ana@shop.example", day(6), ["api"]);
    let (text, model) = clean_model(&f);
    let names: Vec<&str> = model.people.iter().map(|p| p.name.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.contains("[bot]") || *n == "GitHub"),
        "{names:?}"
    );
    // Only the exact `noreply@github.com` and `[bot]` mark a bot.
    assert!(names.contains(&"Renovate Bot"), "{names:?}");
    assert!(
        text.contains("# Bots are left out: GitHub, dependabot[bot], github-actions."),
        "{text}"
    );
}

#[test]
fn owners_are_the_most_active_recent_authors() {
    let mut f = facts(&["api", "legacy", "web"]);
    // api: Old did most, but more than a year before the newest commit.
    for i in 0..10 {
        f.add_commit("Old Hand", "old@shop.example", day(i), ["api/x.rs"]);
    }
    for i in 0..3 {
        f.add_commit("Bo Recent", "bo@shop.example", day(500 + i), ["api/y.rs"]);
    }
    f.add_commit(
        "Cy Recent",
        "cy@shop.example",
        day(600),
        ["api/z.rs", "web/a.ts"],
    );
    // legacy: nobody touched it in the last year, so all history counts.
    f.add_commit("Cy Recent", "cy@shop.example", day(1), ["legacy/a"]);
    f.add_commit("Old Hand", "old@shop.example", day(2), ["legacy/a"]);
    f.add_commit("Old Hand", "old@shop.example", day(3), ["legacy/b"]);
    // web: one author; the backup is the most active of the repository.
    f.add_commit("Bo Recent", "bo@shop.example", day(700), ["README.md"]);
    let (text, model) = clean_model(&f);
    assert_eq!(owners(&model, "api"), ("bo", Some("cy")));
    assert_eq!(owners(&model, "legacy"), ("old", Some("cy")));
    assert_eq!(owners(&model, "web"), ("cy", Some("bo")));
    assert!(
        text.contains("owner = \"bo\"   # 3 commits here in the last year"),
        "{text}"
    );
    assert!(
        text.contains("none here; 4 commits elsewhere in the last year"),
        "{text}"
    );
}

#[test]
fn a_service_with_one_recent_author_takes_its_older_authors_as_backup() {
    let mut f = facts(&["api"]);
    f.add_commit("Old Hand", "old@shop.example", day(0), ["api/a"]);
    f.add_commit("Kim Park", "kim@shop.example", day(500), ["api/a"]);
    for i in 0..5 {
        f.add_commit("Busy Else", "busy@shop.example", day(500 + i), ["docs/x"]);
    }
    let (_, model) = clean_model(&f);
    assert_eq!(owners(&model, "api"), ("kim", Some("old")));
}

#[test]
fn ties_go_to_the_most_recent_commit_then_the_handle() {
    let mut f = facts(&["api", "web"]);
    f.add_commit("Zed Last", "zed@shop.example", day(1), ["api/a"]);
    f.add_commit("Amy First", "amy@shop.example", day(2), ["api/a"]);
    f.add_commit("Zed Last", "zed@shop.example", day(3), ["web/a"]);
    f.add_commit("Amy First", "amy@shop.example", day(3), ["web/a"]);
    let (_, model) = clean_model(&f);
    assert_eq!(owners(&model, "api"), ("amy", Some("zed")));
    assert_eq!(owners(&model, "web"), ("amy", Some("zed")));
    let mut g = facts(&["web"]);
    g.add_commit("Amy First", "amy@shop.example", day(1), ["web/a"]);
    g.add_commit("Zed Last", "zed@shop.example", day(2), ["web/a"]);
    let (_, model) = clean_model(&g);
    assert_eq!(owners(&model, "web"), ("zed", Some("amy")));
}

#[test]
fn a_single_author_says_so_and_only_lacks_backup_owners() {
    let mut f = facts(&["api", "web"]);
    f.add_commit("Kim Park", "kim@shop.example", day(1), ["api/a"]);
    f.add_commit("Kim Park", "kim@shop.example", day(2), ["web/a"]);
    let text = starter_model(&f).unwrap();
    assert!(text.contains("# Only one person was found"), "{text}");
    let checked = check(&Source::new("palisade.toml", text.clone()), today());
    let errors: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| d.code)
        .collect();
    assert_eq!(errors, ["missing-backup-owner"; 2], "{text}");
    assert_eq!(
        owners(checked.model.as_ref().unwrap(), "api"),
        ("kim", None)
    );
}

#[test]
fn codeowners_wins_where_it_names_people_and_history_fills_in_the_rest() {
    let mut f = facts(&["api", "infra", "web"]);
    f.codeowners = Some("/web/ @shop/frontend @kim @ana\n/infra/ @shop/ops\n".into());
    // kim commits with a GitHub no-reply address, ana with her work address.
    f.add_commit(
        "Kim Park",
        "1+kim@users.noreply.github.com",
        day(1),
        ["web/a"],
    );
    f.add_commit("Ana Silva", "ana@shop.example", day(2), ["api/a"]);
    f.add_commit("Ana Silva", "ana@shop.example", day(3), ["api/b"]);
    f.add_commit("Lee Chan", "lee@shop.example", day(4), ["api/c", "infra/x"]);
    let (text, model) = clean_model(&f);
    assert_eq!(model.people.len(), 3, "{text}");
    assert_eq!(owners(&model, "web"), ("kim", Some("ana")));
    assert_eq!(owners(&model, "api"), ("ana", Some("lee")));
    // infra: CODEOWNERS names only a team, so history names the people.
    let infra = model.services.iter().find(|s| s.id == "infra").unwrap();
    assert_eq!((infra.team.as_str(), infra.owner.as_str()), ("ops", "lee"));
    let ana = person(&model, "ana");
    assert_eq!(
        ana.github.as_deref(),
        Some("ana"),
        "matched by address: {text}"
    );
    assert_eq!(ana.email, "ana@shop.example");
    assert_eq!(person(&model, "lee").github, None);
    assert!(
        text.contains("owner = \"kim\"   # from CODEOWNERS"),
        "{text}"
    );
}

#[test]
fn codeowners_people_without_commits_get_their_noreply_address() {
    let mut f = facts(&["web"]);
    f.codeowners = Some("* @newcomer\n".into());
    f.add_commit("Kim Park", "kim@shop.example", day(1), ["web/a"]);
    let (_, model) = clean_model(&f);
    let newcomer = person(&model, "newcomer");
    assert_eq!(newcomer.github.as_deref(), Some("newcomer"));
    assert_eq!(newcomer.email, "newcomer@users.noreply.github.com");
    assert_eq!(owners(&model, "web"), ("newcomer", Some("kim")));
}

#[test]
fn codeowners_finds_people_by_a_login_they_once_committed_under() {
    let mut f = facts(&["web"]);
    f.codeowners = Some("* @old-name @ana\n".into());
    f.add_commit(
        "Kim Park",
        "1+old-name@users.noreply.github.com",
        day(1),
        ["web/a"],
    );
    f.add_commit(
        "Kim Park",
        "1+new-name@users.noreply.github.com",
        day(2),
        ["web/a"],
    );
    f.add_commit(
        "Kim Park",
        "1+new-name@users.noreply.github.com",
        day(3),
        ["web/a"],
    );
    f.add_commit("Ana Silva", "ana@shop.example", day(4), ["web/a"]);
    let (text, model) = clean_model(&f);
    assert_eq!(model.people.len(), 2, "{text}");
    assert_eq!(owners(&model, "web"), ("new-name", Some("ana")));
}

#[test]
fn handles_and_addresses_are_unique() {
    let mut f = facts(&["api"]);
    f.codeowners = Some("* @dev\n".into());
    // Two people whose addresses start alike, and a third whose login is
    // what the others' handles would be.
    f.add_commit("Dev One", "dev@a.example", day(1), ["api"]);
    f.add_commit("Dev Two", "dev@b.example", day(2), ["api"]);
    f.add_commit(
        "Dev Three",
        "9+dev@users.noreply.github.com",
        day(3),
        ["api"],
    );
    f.add_commit("José Núñez", "x@c.example", day(4), ["api"]);
    f.add_commit("root", "root@localhost", day(5), ["api"]);
    f.add_commit("", "", day(6), ["api"]);
    let (text, model) = clean_model(&f);
    let mut handles: Vec<&str> = model.people.iter().map(|p| p.handle.as_str()).collect();
    handles.sort();
    assert_eq!(
        handles,
        ["dev", "dev-2", "dev-3", "jose-nunez", "root"],
        "{text}"
    );
    assert_eq!(person(&model, "dev").name, "Dev Three");
    assert_eq!(person(&model, "root").email, "root@example.invalid");
    assert!(
        text.contains("root@localhost, which is not a usable address"),
        "{text}"
    );
}

fn author() -> impl Strategy<Value = (String, String)> {
    let name = prop_oneof![
        Just("Kim Park".to_owned()),
        Just("kim  park".to_owned()),
        Just("Ana".to_owned()),
        Just("dev".to_owned()),
        Just("Dev".to_owned()),
        Just("José".to_owned()),
        Just(String::new()),
        "[A-Za-z ]{1,8}",
    ];
    let email = prop_oneof![
        Just("kim@shop.example".to_owned()),
        Just("KIM@shop.example".to_owned()),
        Just("dev@a.example".to_owned()),
        Just("dev@b.example".to_owned()),
        Just("1+dev@users.noreply.github.com".to_owned()),
        Just("2+Dev@users.noreply.github.com".to_owned()),
        Just("kim@users.noreply.github.com".to_owned()),
        Just("root@localhost".to_owned()),
        Just(String::new()),
        "[a-z]{1,4}@[a-z]{1,3}\\.example",
        "[0-9]{1,3}\\+[a-zA-Z0-9-]{1,6}@users\\.noreply\\.github\\.com",
    ];
    (name, email)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn guessed_people_have_unique_handles_and_addresses(
        authors in proptest::collection::vec((author(), 0i64..800, 0usize..3), 2..12),
        codeowners in proptest::option::of("(@(dev|kim|ana|new-one) ){1,3}"),
    ) {
        let mut f = facts(&["api", "web"]);
        f.codeowners = codeowners.map(|o| format!("* {o}\n"));
        for ((name, email), when, dir) in &authors {
            f.add_commit(name, email, day(*when), [["api/a", "web/a", "README"][*dir]]);
        }
        let Ok(text) = starter_model(&f) else {
            return Ok(());
        };
        let checked = check(&Source::new("palisade.toml", text.clone()), today());
        let dups: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| matches!(d.code, "duplicate-identity" | "duplicate-id" | "invalid-id" | "invalid-email" | "invalid-login"))
            .collect();
        prop_assert!(dups.is_empty(), "{text}\n{dups:#?}");
        let model = checked.model.as_ref().unwrap();
        let mut handles = HashSet::new();
        let mut emails = HashSet::new();
        for p in &model.people {
            prop_assert!(handles.insert(p.handle.clone()), "{text}");
            for e in std::iter::once(&p.email).chain(&p.emails) {
                prop_assert!(emails.insert(e.to_lowercase()), "{text}");
            }
        }
        // With two people or more the model is clean.
        if model.people.len() >= 2 {
            prop_assert_eq!(checked.errors(), 0, "{}", text);
        }
    }
}

#[test]
fn the_starter_proposes_path_rules_and_a_production_minimum() {
    let facts = RepoFacts {
        codeowners: Some("* @shop/platform @lee @kim\n".into()),
        ..facts(&["api", "infra"])
    };
    let (_, model) = clean_model(&facts);
    let names: Vec<&str> = model
        .gates
        .path_rules
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "infrastructure code",
            "IAM and policy",
            "database migrations",
            "CI workflows",
            "authentication code",
            "dependency lockfiles"
        ]
    );
    let rule = |name: &str| {
        model
            .gates
            .path_rules
            .iter()
            .find(|r| r.name == name)
            .unwrap()
    };
    assert_eq!(
        rule("IAM and policy").raise_to,
        palisade_model::RiskTier::Critical
    );
    assert_eq!(
        rule("IAM and policy").config,
        Some(palisade_model::ConfigKind::Access)
    );
    assert_eq!(
        rule("CI workflows").config,
        Some(palisade_model::ConfigKind::Deployment)
    );
    assert!(
        rule("dependency lockfiles")
            .paths
            .contains(&"**/Cargo.lock".to_owned())
    );
    assert_eq!(model.gates.environments.len(), 1);
    assert_eq!(model.gates.environments[0].environment, "prod");
    assert_eq!(
        model.gates.environments[0].min_tier,
        palisade_model::RiskTier::High
    );
}
