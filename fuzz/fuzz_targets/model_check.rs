//! Any bytes given to `palisade check` must yield a model or diagnostics,
//! never a panic, and every diagnostic must point inside the text. The
//! index built from whatever parsed (identities, vendors, owners, hosts,
//! service environments) must answer every question without a panic, and
//! find each person by each of their identities.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_model::{Day, IdentityKind, Index, PersonId, Source, check};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::from_bytes("fuzz.toml".into(), data.to_vec()) else { return };
    let today: Day = "2026-11-22".parse().expect("a valid date");
    let checked = check(&source, today);
    for d in &checked.diagnostics {
        if let Some(span) = &d.primary.span {
            assert!(span.start <= span.end && span.end <= source.text.len());
        }
    }
    let Some(model) = &checked.model else { return };
    let index = Index::new(model);
    let now = jiff::Timestamp::from_second(1_796_000_000).expect("a valid moment");
    for (i, p) in model.people.iter().enumerate().take(64) {
        let id = index.person_by_handle(&p.handle);
        if let Some(found) = id {
            let _ = index.profile(found, None, now);
            let _ = index.vetting(found, today);
            let _ = index.standing_grants(found);
        }
        // A person's own identities find someone (the first claimant), and
        // never panic, whatever the text.
        for name in std::iter::once(&p.email).chain(&p.emails).chain(&p.github).chain(&p.gitlab) {
            let _ = index.find_person(name);
            let _ = index.person_by(IdentityKind::Email, name);
        }
        for pr in &p.ssh_principals {
            let _ = index.person_by(IdentityKind::SshPrincipal, pr);
        }
        if checked.errors() == 0 {
            assert_eq!(id.map(PersonId::index), Some(i));
        }
    }
    for s in model.services.iter().take(64) {
        for path in &s.paths {
            let probe = path.replace("**", "x/y").replace(['*', '?'], "z");
            let _ = index.services_for_path(s.repos.first().map(String::as_str), &probe);
            let _ = index.services_for_path(None, &probe);
        }
    }
    for e in &model.environments {
        if let Some(env) = index.environment_by_id(&e.id) {
            let _ = index.approvers(env);
            let _ = index.environment_services(env);
        }
        for r in &e.resources {
            for h in &r.hosts {
                let _ = index.resources_for_host(&h.replace('*', "a").replace('?', "b"));
            }
        }
    }
    for r in &model.roles {
        if let Some(role) = index.role_by_id(&r.id) {
            let _ = index.role_grants(role);
        }
    }
});
