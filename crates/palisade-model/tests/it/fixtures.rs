//! Every broken fixture yields exactly the diagnostics its header promises,
//! each pointing at a real place in the file; valid models yield none.

use palisade_model::{Level, Source, check};

use crate::{acme, fixtures, today, toml_files};

fn expectations(text: &str) -> Vec<String> {
    let mut e: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_owned)
        .collect();
    e.sort();
    e
}

#[test]
fn each_broken_fixture_yields_its_specific_diagnostics() {
    let files = toml_files(&fixtures().join("broken"));
    assert!(
        files.len() >= 30,
        "expected the broken fixtures, found {}",
        files.len()
    );
    for path in files {
        let source = Source::load(&path).unwrap();
        let expected = expectations(&source.text);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` lines",
            path.display()
        );
        let checked = check(&source, today());
        let mut got: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.level, d.code))
            .collect();
        got.sort();
        assert_eq!(
            got,
            expected,
            "{}: {:#?}",
            path.display(),
            checked.diagnostics
        );
        for d in &checked.diagnostics {
            let span = d.primary.span.clone().expect("primary span resolved");
            assert!(
                span.end <= source.text.len(),
                "{}: span out of range",
                path.display()
            );
            assert!(!d.message.is_empty());
            assert!(
                d.help.is_some() || d.level == Level::Warning,
                "{}: error {} has no help",
                path.display(),
                d.code
            );
            for l in &d.secondary {
                assert!(
                    l.span.is_some(),
                    "{}: secondary label unresolved",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn diagnostics_point_at_the_offending_text() {
    let cases = [
        ("unknown-owner", "\"adda\""),
        ("unknown-key", "backup_ownr"),
        ("invalid-hours", "Fry"),
        ("invalid-timezone", "\"America/Chicgo\""),
        ("unknown-role", "\"prod-reed\""),
        ("same-primary-and-backup", "\"ada\""),
        ("overlapping-paths", "\"services/*/**\""),
        ("wrong-type", "\"one\""),
        ("duplicate-login", "\"Ada-L\""),
        ("login-equals-handle", "\"bob\""),
        ("duplicate-email", "\"ADA@minimal.example\""),
        ("duplicate-principal", "\"ops\""),
        ("invalid-principal", "\"ada,root\""),
        ("vendor-only-production-owner", "[\"chen\"]"),
        ("missing-vendor", "\"vendor\""),
        ("shared-credential-problems", "\"chn\""),
    ];
    for (name, expected) in cases {
        let source = Source::load(&fixtures().join("broken").join(format!("{name}.toml"))).unwrap();
        let checked = check(&source, today());
        let span = checked.diagnostics[0].primary.span.clone().unwrap();
        assert_eq!(&source.text[span], expected, "fixture {name}");
    }
}

#[test]
fn hints_suggest_the_likely_spelling() {
    let hint = |name: &str| {
        let source = Source::load(&fixtures().join("broken").join(format!("{name}.toml"))).unwrap();
        check(&source, today()).diagnostics[0].help.clone().unwrap()
    };
    assert!(hint("unknown-key").contains("did you mean `backup_owner`"));
    assert!(hint("unknown-value").contains("did you mean `vendor`"));
    assert!(hint("unknown-owner").contains("did you mean `ada`"));
    assert!(hint("unknown-role").contains("did you mean `prod-read`"));
    assert!(hint("invalid-timezone").contains("America/Chicago"));
    assert!(hint("shared-credential-problems").contains("did you mean `chen`"));
}

#[test]
fn valid_models_pass_cleanly() {
    for path in toml_files(&fixtures().join("valid")) {
        let source = Source::load(&path).unwrap();
        let checked = check(&source, today());
        assert!(checked.model.is_some());
        assert_eq!(checked.diagnostics, vec![], "{}", path.display());
    }
}

#[test]
fn acme_passes_with_only_the_intended_warning() {
    let source = Source::load(&acme()).unwrap();
    let checked = check(&source, today());
    let model = checked.model.as_ref().unwrap();
    assert_eq!(checked.errors(), 0, "{:#?}", checked.diagnostics);
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["contract-missing-clause"]);
    assert!(checked.diagnostics[0].message.contains("dpa"));
    // The shape the issue asks of the example organisation.
    let internal = model
        .teams
        .iter()
        .filter(|t| t.kind == palisade_model::TeamKind::Internal)
        .count();
    let vendors: Vec<_> = model
        .teams
        .iter()
        .filter(|t| t.kind == palisade_model::TeamKind::Vendor)
        .collect();
    assert_eq!(internal, 2);
    assert_eq!(vendors.len(), 3);
    assert_eq!(model.vendors.len(), 2);
    let phases: std::collections::HashSet<_> = vendors.iter().map(|t| t.phase).collect();
    assert!(phases.len() >= 2, "vendor teams in one phase only");
    // A vendor with several teams, all under its own contracts.
    let index = palisade_model::Index::new(model);
    let nimbus = index.vendor_by_id("nimbus").unwrap();
    assert_eq!(index.vendor_teams(nimbus).len(), 2);
    for &c in index.vendor_contracts(nimbus) {
        assert_eq!(index.contract(c).vendor, "nimbus");
    }
    // Everyone has a GitHub login; some have a second e-mail and SSH principals.
    assert!(model.people.iter().all(|p| p.github.is_some()));
    assert!(model.people.iter().any(|p| !p.emails.is_empty()));
    assert!(model.people.iter().any(|p| !p.ssh_principals.is_empty()));
    assert!(model.teams.iter().all(|t| t.github_team.is_some()));
    assert!(
        model
            .environments
            .iter()
            .all(|e| !e.owners.is_empty() || !e.owner_teams.is_empty())
    );
    assert!(model.services.iter().all(|s| !s.environments.is_empty()));
    assert!((20..=30).contains(&model.people.len()));
    assert!((10..=14).contains(&model.services.len()));
    for tier in palisade_model::RiskTier::ALL {
        assert!(
            model.services.iter().any(|s| s.risk == tier),
            "no {tier:?} service"
        );
    }
    let zones: std::collections::HashSet<_> = model
        .people
        .iter()
        .filter_map(|p| p.timezone.as_deref())
        .collect();
    assert!(zones.len() >= 5);
    let envs: Vec<&str> = model.environments.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(envs, ["dev", "staging", "prod"]);
}

#[test]
fn expiry_is_judged_against_the_given_day() {
    let source = Source::load(&acme()).unwrap();
    // Nimbus' contract ends 2028-01-31: two weeks before, a warning; after, an error.
    let before = check(&source, "2028-01-17".parse().unwrap());
    assert!(
        before
            .diagnostics
            .iter()
            .any(|d| d.code == "contract-expiring" && d.message.contains("14 days"))
    );
    let after = check(&source, "2028-02-01".parse().unwrap());
    assert!(
        after
            .diagnostics
            .iter()
            .any(|d| d.code == "contract-expired" && d.message.contains("nimbus-msa-2025"))
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.toml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(palisade_model::MAX_MODEL_BYTES + 1).unwrap();
    let err = Source::load(&path).unwrap_err();
    assert!(
        matches!(err, palisade_model::LoadError::TooLarge { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("is the right file"));
}

#[test]
fn invalid_utf8_is_reported_with_its_position() {
    let err =
        Source::from_bytes("x.toml".into(), b"[org]\nname = \"\xff\"\n".to_vec()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("line 2, column 9"), "{text}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let checked = check(&Source::new("deep.toml", text), today());
    assert_eq!(checked.errors(), 1);
    assert!(checked.model.is_none());
}

#[test]
fn regression_witness_keys_with_plus_in_base64_are_accepted() {
    let base = std::fs::read_to_string(fixtures().join("valid/minimal.toml")).unwrap();
    let with = |key: &str| {
        let text = base.replacen(
            "log_name = \"minimal.example/palisade\"\n",
            &format!("log_name = \"minimal.example/palisade\"\n\n[[org.witnesses]]\nname = \"w1.example\"\nkey = \"{key}\"\n"),
            1,
        );
        check(&Source::new("m.toml", text), today())
    };
    assert_eq!(
        with("w1.example+de9f8318+AdwawSXC4nQGuF+1qBm8Hd26HHNmFb3fuYKhPoqDD0Tx").diagnostics,
        vec![]
    );
    let wrong = with("w1.example+00000000+AdwawSXC4nQGuF+1qBm8Hd26HHNmFb3fuYKhPoqDD0Tx");
    assert_eq!(wrong.diagnostics.len(), 1);
    assert!(
        wrong.diagnostics[0]
            .message
            .contains("does not match the key"),
        "{:?}",
        wrong.diagnostics
    );
}

#[test]
fn regression_spans_inside_escaped_or_multibyte_strings_stay_on_characters() {
    let base = std::fs::read_to_string(fixtures().join("valid/minimal.toml")).unwrap();
    for hours in [
        "\\tMon-Fry 09:00-17:00",
        "Mon-\u{3000}09:00-17:00",
        "Mon,\u{a0}09:00-17:00",
        "Mon-Frî 09:00-17:00",
    ] {
        let text = base.replacen(
            "hours = \"Mon-Fri 09:00-17:00\"",
            &format!("hours = \"{hours}\""),
            1,
        );
        let checked = check(&Source::new("m.toml", text.clone()), today());
        assert_eq!(checked.errors(), 1, "{hours}: {:?}", checked.diagnostics);
        let span = checked.diagnostics[0].primary.span.clone().unwrap();
        assert!(
            text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
            "{hours}"
        );
        assert!(span.start < span.end);
    }
}
