//! `palisade init`'s starter model passes `palisade check`.

use palisade_model::{RepoFacts, Source, check, starter_model};

use crate::today;

#[test]
fn starter_from_codeowners_passes_check_and_uses_its_owners() {
    let facts = RepoFacts {
        name: "Shop".into(),
        top_dirs: vec!["api".into(), "web".into(), "infra".into(), "node_modules".into(), ".github".into()],
        codeowners: Some("# owners\n*       @shop/platform @lee\n/web/  @shop/frontend @kim @ana\napi/ dev@shop.example\n".into()),
        timezone: "Europe/Madrid".into(),
    };
    let text = starter_model(&facts);
    let checked = check(&Source::new("palisade.toml", text.clone()), today());
    assert_eq!(checked.errors(), 0, "{text}\n{:#?}", checked.diagnostics);
    let model = checked.model.unwrap();
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
}

#[test]
fn starter_for_an_empty_repository_passes_check() {
    let facts = RepoFacts {
        name: "empty \"repo\"".into(),
        timezone: "UTC".into(),
        ..RepoFacts::default()
    };
    let text = starter_model(&facts);
    let checked = check(&Source::new("palisade.toml", text.clone()), today());
    assert_eq!(checked.errors(), 0, "{text}\n{:#?}", checked.diagnostics);
    assert_eq!(checked.model.unwrap().services.len(), 1);
}

#[test]
fn regression_awkward_directory_names_still_give_a_clean_model() {
    let facts = RepoFacts {
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
    };
    let text = starter_model(&facts);
    let checked = check(&Source::new("palisade.toml", text.clone()), today());
    assert_eq!(checked.errors(), 0, "{text}\n{:#?}", checked.diagnostics);
    let ids: Vec<String> = checked
        .model
        .unwrap()
        .services
        .iter()
        .map(|s| s.id.clone())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.contains(&"api".to_owned()) && ids.contains(&"api-2".to_owned()));
}
