//! `palisade who`: a person by any identity, end to end.

use serde_json::Value;

use crate::{Run, palisade, root};

/// A moment with Arjun at work in Bengaluru and Dana asleep in New York.
const NOW: &str = "2026-12-07T05:30:00Z";

fn who(args: &[&str]) -> Run {
    let mut all = vec!["who"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--model", "examples/acme/palisade.toml", "--now", NOW]);
    palisade(&root(), &all)
}

#[test]
fn who_finds_a_person_by_each_kind_of_identity() {
    for (query, kind) in [
        ("arjun", "handle"),
        ("arjun-menon-nimbus", "GitHub login"),
        ("@Arjun-Menon-Nimbus", "GitHub login"),
        ("ARJUN@nimbus.example", "e-mail address"),
        ("arjun.menon", "SSH principal"),
    ] {
        let run = who(&[query, "--format", "json"]);
        assert_eq!(run.code, 0, "{query}: {}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(v["handle"], "arjun", "{query}");
        assert_eq!(v["matched"], kind, "{query}");
    }
    let run = who(&["k.nowak", "--format", "json"]);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (v["handle"].as_str(), v["matched"].as_str()),
        (Some("katarzyna"), Some("GitLab username"))
    );
}

#[test]
fn who_prints_team_vendor_grants_vetting_and_local_time() {
    let run = who(&["arjun-menon-nimbus"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let run = who(&["dana-break-glass"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn who_json_carries_the_same_answers() {
    let run = who(&["sofia", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["team"]["id"], "payments");
    assert_eq!(v["team"]["kind"], "internal");
    assert!(v["team"].get("vendor").is_none());
    assert_eq!(v["production"]["any"], true);
    assert_eq!(v["production"]["admin"], false);
    assert_eq!(v["vetting"]["complete"], true);
    assert_eq!(v["vetting"]["day"], "2026-12-07");
    assert_eq!(v["time"]["timezone"], "Europe/Berlin");
    assert_eq!(v["time"]["local_time"], "2026-12-07T06:30:00+01:00");
    assert_eq!(v["time"]["working"], false);
    let grants: Vec<String> = v["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            format!(
                "{} {}/{}",
                g["access"].as_str().unwrap(),
                g["environment"].as_str().unwrap(),
                g["resource"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        grants,
        [
            "admin dev/dev-cluster",
            "read prod/prod-hosts",
            "read prod/prod-cluster"
        ]
    );
}

#[test]
fn who_an_unknown_identity_exits_1_and_suggests_the_nearest() {
    let run = who(&["arjn"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("did you mean `arjun`?"),
        "{}",
        run.stdout
    );
    let run = who(&["dkowalcyzk", "--format", "json"]);
    assert_eq!(run.code, 1);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["found"], false);
    assert_eq!(v["nearest"], "dkowalczyk");
}

#[test]
fn who_lists_a_vendors_people_across_its_teams() {
    let run = who(&["--vendor", "nimbus", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["teams"], serde_json::json!(["nimbus", "nimbus-mobile"]));
    assert_eq!(v["contracts"], serde_json::json!(["nimbus-msa-2025"]));
    assert_eq!(v["people"].as_array().unwrap().len(), 7);
    let run = who(&["--vendor", "harbor"]);
    insta::assert_snapshot!(run.stdout);
    let run = who(&["--vendor", "nimbo"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("did you mean `nimbus`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn who_refuses_a_bad_moment_with_the_expected_form() {
    let run = palisade(
        &root(),
        &[
            "who",
            "arjun",
            "--model",
            "examples/acme/palisade.toml",
            "--now",
            "yesterday",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("RFC 3339"), "{}", run.stderr);
}

#[test]
fn who_refuses_an_identity_two_people_claim() {
    let dir = tempfile::tempdir().unwrap();
    let acme = std::fs::read_to_string(root().join("examples/acme/palisade.toml")).unwrap();
    // Kavya (a vendor, later in the file) claims Sofia's login in another case.
    let text = acme.replacen("github = \"kavya-iyer\"", "github = \"SofiaBrandt\"", 1);
    assert_ne!(text, acme);
    std::fs::write(dir.path().join("palisade.toml"), text).unwrap();
    let run = palisade(dir.path(), &["who", "sofiabrandt", "--now", NOW]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("claimed by both sofia and kavya"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("1 error"),
        "the model's errors are announced: {}",
        run.stderr
    );
}
