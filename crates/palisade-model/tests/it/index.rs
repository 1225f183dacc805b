//! The index against naive definitions: identity lookups against a linear
//! scan of the people, effective grants against a recursive closure, path
//! ownership against every glob, on generated models; and its answers on
//! the example organisation.

use std::collections::BTreeSet;

use palisade_model::glob::Glob;
use palisade_model::{
    Access, Environment, IdentityKind, Index, Model, Person, Resource, ResourceKind, Role,
    RoleGrant, Service, Source, VettingState, check,
};
use proptest::prelude::*;

use crate::{acme, today};

fn person(handle: String, email: String) -> Person {
    Person {
        handle,
        name: "Someone".into(),
        email,
        emails: Vec::new(),
        github: None,
        gitlab: None,
        ssh_principals: Vec::new(),
        team: "t".into(),
        timezone: None,
        hours: None,
        status: Default::default(),
        offboarded_on: None,
        roles: Vec::new(),
        vetting: Default::default(),
    }
}

/// Generated people whose identities are drawn from a small alphabet, so
/// that collisions (and case differences) are common.
fn people() -> impl Strategy<Value = Vec<Person>> {
    let name = "[a-cA-C]{1,3}";
    proptest::collection::vec(
        (
            name,
            name,
            proptest::option::of(name),
            proptest::option::of(name),
            proptest::collection::vec(name, 0..3),
            proptest::collection::vec(name, 0..2),
        ),
        0..12,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (handle, mail, gh, gl, principals, emails))| {
                // Every other handle is drawn from the logins' alphabet, so a
                // login can equal another person's handle.
                let handle = if i % 2 == 0 {
                    handle.to_lowercase()
                } else {
                    format!("p{i}")
                };
                let mut p = person(handle, format!("{mail}@x.example"));
                p.github = gh;
                p.gitlab = gl;
                p.ssh_principals = principals;
                p.emails = emails
                    .into_iter()
                    .map(|e| format!("{e}@x.example"))
                    .collect();
                p
            })
            .collect()
    })
}

/// The naive answer: the first person (in model order, identity order) who
/// holds `name` as `kind`, compared as that system compares names; `None`
/// when an earlier person holds the same folded name under another kind
/// (the index keeps the first claim of a name).
fn naive_by(model: &Model, kind: IdentityKind, name: &str) -> Option<usize> {
    if kind == IdentityKind::Handle {
        // Handles are ids: the first person with exactly this one.
        return model.people.iter().position(|p| p.handle == name);
    }
    let fold = |s: &str| s.to_lowercase();
    let holds = |p: &Person, k: IdentityKind, exact: bool| -> bool {
        let eq = |v: &str| {
            if exact {
                v == name
            } else {
                fold(v) == fold(name)
            }
        };
        match k {
            IdentityKind::Handle => eq(&p.handle),
            IdentityKind::Email => std::iter::once(&p.email).chain(&p.emails).any(|e| eq(e)),
            IdentityKind::Github => p.github.as_deref().is_some_and(eq),
            IdentityKind::Gitlab => p.gitlab.as_deref().is_some_and(eq),
            IdentityKind::SshPrincipal => p.ssh_principals.iter().any(|s| eq(s)),
            _ => false,
        }
    };
    // Who claimed the folded name first, under any kind?
    let first = model
        .people
        .iter()
        .position(|p| IdentityKind::ALL.iter().any(|&k| holds(p, k, false)))?;
    let p = &model.people[first];
    let exact = matches!(kind, IdentityKind::Handle | IdentityKind::SshPrincipal);
    holds(p, kind, exact).then_some(first)
}

fn grants_model(
    n_roles: usize,
    includes: &[(usize, usize)],
    grants: &[(usize, usize, Option<usize>, u8)],
) -> Model {
    let mut model = Model::default();
    for e in 0..3 {
        model.environments.push(Environment {
            id: format!("e{e}"),
            production: e == 2,
            sensitivity: Default::default(),
            production_data: false,
            data_paths: Vec::new(),
            owners: Vec::new(),
            owner_teams: Vec::new(),
            resources: (0..e)
                .map(|r| Resource {
                    id: format!("r{r}"),
                    kind: ResourceKind::Other,
                    address: None,
                    access: if r == 0 {
                        vec![Access::Read, Access::Deploy, Access::Admin]
                    } else {
                        vec![Access::Read]
                    },
                    hosts: Vec::new(),
                    database: None,
                    db_roles: None,
                })
                .collect(),
        });
    }
    for r in 0..n_roles {
        model.roles.push(Role {
            id: format!("role{r}"),
            description: String::new(),
            grants: Vec::new(),
            includes: Vec::new(),
            max_duration: None,
            approvals: 0,
            team_kinds: Vec::new(),
            phases: Vec::new(),
            repositories: Vec::new(),
        });
    }
    for &(a, b) in includes {
        let (a, b) = (a % n_roles, b % n_roles);
        let id = format!("role{b}");
        model.roles[a].includes.push(id);
    }
    for &(r, e, res, access) in grants {
        let access = [Access::Read, Access::Deploy, Access::Admin][access as usize % 3];
        model.roles[r % n_roles].grants.push(RoleGrant {
            environment: format!("e{}", e % 3),
            resources: res.map(|x| vec![format!("r{}", x % 2)]).unwrap_or_default(),
            access,
        });
    }
    model
}

/// The naive closure: recursion with a visited set.
fn naive_grants(model: &Model, role: usize) -> BTreeSet<(String, Option<String>, Access)> {
    fn visit(
        model: &Model,
        r: usize,
        seen: &mut BTreeSet<usize>,
        out: &mut BTreeSet<(String, Option<String>, Access)>,
    ) {
        if !seen.insert(r) {
            return;
        }
        let role = &model.roles[r];
        for g in &role.grants {
            let env = model
                .environments
                .iter()
                .find(|e| e.id == g.environment)
                .unwrap();
            if !g.resources.is_empty() {
                for rid in &g.resources {
                    if env.resources.iter().any(|x| &x.id == rid) {
                        out.insert((env.id.clone(), Some(rid.clone()), g.access));
                    }
                }
            } else if env.resources.is_empty() {
                out.insert((env.id.clone(), None, g.access));
            } else {
                for x in env
                    .resources
                    .iter()
                    .filter(|x| x.access.contains(&g.access))
                {
                    out.insert((env.id.clone(), Some(x.id.clone()), g.access));
                }
            }
        }
        for inc in &role.includes {
            if let Some(t) = model.roles.iter().position(|x| &x.id == inc) {
                visit(model, t, seen, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    visit(model, role, &mut BTreeSet::new(), &mut out);
    out
}

fn service(id: &str, repos: &[&str], paths: Vec<String>) -> Service {
    Service {
        id: id.into(),
        description: String::new(),
        repos: repos.iter().map(|r| (*r).to_owned()).collect(),
        paths,
        team: "t".into(),
        owner: "o".into(),
        backup_owner: None,
        risk: palisade_model::RiskTier::Low,
        runbook: None,
        escalation: Vec::new(),
        data: Default::default(),
        environments: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn identity_lookup_agrees_with_a_linear_scan(people in people(), query in "[a-cA-C]{1,3}(@x\\.example)?") {
        let model = Model { people, ..Model::default() };
        let index = Index::new(&model);
        for kind in IdentityKind::ALL {
            let got = index.person_by(kind, &query).map(|p| p.index());
            prop_assert_eq!(got, naive_by(&model, kind, &query), "{:?} {}", kind, query);
        }
        // Any-identity lookup finds the first claimant of the folded name.
        let any = index.find_person(&query).map(|(p, _)| p.index());
        let q = query.to_lowercase();
        // The first claimant of the folded name, if the query names them
        // the way that system compares (principals exactly, the rest
        // without regard to case).
        let claimant = model.people.iter().position(|p| {
            std::iter::once(&p.handle)
                .chain(std::iter::once(&p.email))
                .chain(&p.emails)
                .chain(&p.github)
                .chain(&p.gitlab)
                .chain(&p.ssh_principals)
                .any(|n| n.to_lowercase() == q)
        });
        let first = claimant.filter(|&i| {
            let p = &model.people[i];
            std::iter::once(&p.handle)
                .chain(std::iter::once(&p.email))
                .chain(&p.emails)
                .chain(&p.github)
                .chain(&p.gitlab)
                .any(|n| n.to_lowercase() == q)
                || p.ssh_principals.contains(&query)
        });
        prop_assert_eq!(any, first, "{}", query);
    }

    #[test]
    fn every_shared_identity_is_reported_once(people in people()) {
        let model = Model { people, ..Model::default() };
        let index = Index::new(&model);
        // Count the folded names each person holds, then how many people hold each.
        let mut owners: std::collections::BTreeMap<String, BTreeSet<usize>> = Default::default();
        let mut claims = 0usize;
        let mut distinct = 0usize;
        for (i, p) in model.people.iter().enumerate() {
            let mut names: Vec<String> = std::iter::once(p.handle.clone())
                .chain(std::iter::once(p.email.clone()))
                .chain(p.emails.iter().cloned())
                .chain(p.github.clone())
                .chain(p.gitlab.clone())
                .chain(p.ssh_principals.iter().cloned())
                .map(|n| n.to_lowercase())
                .collect();
            claims += names.len();
            names.sort();
            names.dedup();
            distinct += names.len();
            for n in names {
                owners.entry(n).or_default().insert(i);
            }
        }
        let cross: usize = owners.values().map(|s| s.len() - 1).sum();
        let conflicts = index_conflicts(&model);
        // Every extra claimant of a name is one conflict; repeats within one
        // person are reported only when the same kind of field repeats.
        prop_assert!(conflicts >= cross, "{} conflicts for {} shared names", conflicts, cross);
        prop_assert!(conflicts <= cross + (claims - distinct));
        prop_assert_eq!(index.identity_names().count(), owners.len());
    }

    #[test]
    fn effective_grants_agree_with_a_naive_closure(
        n in 1usize..6,
        includes in proptest::collection::vec((0usize..6, 0usize..6), 0..8),
        grants in proptest::collection::vec((0usize..6, 0usize..3, proptest::option::of(0usize..2), 0u8..3), 0..10),
    ) {
        let model = grants_model(n, &includes, &grants);
        let index = Index::new(&model);
        for r in 0..n {
            let role = index.role_by_id(&format!("role{r}")).unwrap();
            let got: BTreeSet<_> = index
                .role_grants(role)
                .iter()
                .map(|g| (index.environment(g.env).id.clone(), g.resource.map(|x| index.resource(x).id.clone()), g.access))
                .collect();
            prop_assert_eq!(got.len(), index.role_grants(role).len(), "grants listed twice");
            let naive = naive_grants(&model, r);
            prop_assert_eq!(&got, &naive, "role{}", r);
            let reach = index.role_reach(role);
            prop_assert_eq!(reach.admin, naive.iter().any(|g| g.0 == "e2" && g.2 == Access::Admin)
                || model_claims_prod_admin(&model, r));
        }
    }

    #[test]
    fn path_owners_agree_with_every_glob(
        globs in proptest::collection::vec(proptest::collection::vec("(a|b|c|\\*|\\*\\*|[ab]\\*|\\?)", 1..4).prop_map(|s| s.join("/")), 1..8),
        trailing in proptest::collection::vec(any::<bool>(), 8),
        paths in proptest::collection::vec(proptest::collection::vec("(a|b|c|ab|x)", 1..5).prop_map(|s| s.join("/")), 30),
    ) {
        let services: Vec<Service> = globs
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let g = if trailing[i] { format!("{g}/") } else { g.clone() };
                // Repositories are named in either case; GitHub ignores it.
                let repos: &[&str] = match i % 3 {
                    0 => &["Org/Repo"],
                    1 => &["org/repo"],
                    _ => &[],
                };
                service(&format!("s{i}"), repos, vec![g])
            })
            .collect();
        let model = Model { services, ..Model::default() };
        let index = Index::new(&model);
        for p in &paths {
            for repo in [None, Some("org/repo")] {
                let got: Vec<usize> = index.services_for_path(repo, p).iter().map(|s| s.index()).collect();
                let naive: Vec<usize> = model
                    .services
                    .iter()
                    .enumerate()
                    .filter(|(i, s)| (repo.is_some() == (i % 3 != 2)) && Glob::new(&s.paths[0]).is_ok_and(|g| g.matches(p)))
                    .map(|(i, _)| i)
                    .collect();
                prop_assert_eq!(&got, &naive, "{:?} {} with {:?}", repo, p, model.services.iter().map(|s| &s.paths[0]).collect::<Vec<_>>());
            }
        }
        // Whenever a path has two owners, `check` reports the overlap.
        let two_owners = paths.iter().any(|p| {
            [None, Some("ORG/repo")].iter().any(|&r| index.services_for_path(r, p).len() > 1)
        });
        if two_owners {
            let overlaps = palisade_model::validate_model(&model, today())
                .iter()
                .filter(|d| d.code == "overlapping-paths")
                .count();
            prop_assert!(overlaps > 0, "a path has two owners but check saw no overlap");
        }
    }
}

fn model_claims_prod_admin(model: &Model, role: usize) -> bool {
    // Reach also counts a production admin grant whose resources match nothing.
    let mut seen = BTreeSet::new();
    let mut todo = vec![role];
    while let Some(r) = todo.pop() {
        if !seen.insert(r) {
            continue;
        }
        if model.roles[r]
            .grants
            .iter()
            .any(|g| g.environment == "e2" && g.access == Access::Admin)
        {
            return true;
        }
        for inc in &model.roles[r].includes {
            if let Some(t) = model.roles.iter().position(|x| &x.id == inc) {
                todo.push(t);
            }
        }
    }
    false
}

fn index_conflicts(model: &Model) -> usize {
    palisade_model::validate_model(model, today())
        .iter()
        .filter(|d| d.code == "duplicate-identity")
        .count()
}

#[test]
fn acme_answers_the_engines_questions() {
    let source = Source::load(&acme()).unwrap();
    let checked = check(&source, today());
    let model = checked.model.as_ref().unwrap();
    let index = Index::new(model);

    // Outside names resolve to one person.
    let arjun = index.person_by_handle("arjun").unwrap();
    assert_eq!(
        index.person_by(IdentityKind::Github, "ARJUN-MENON-NIMBUS"),
        Some(arjun)
    );
    assert_eq!(
        index.person_by(IdentityKind::Email, "arjun@nimbus.example"),
        Some(arjun)
    );
    assert_eq!(
        index.person_by(IdentityKind::SshPrincipal, "arjun.menon"),
        Some(arjun)
    );
    assert_eq!(
        index.person_by(IdentityKind::SshPrincipal, "ARJUN.MENON"),
        None,
        "sshd compares principals exactly"
    );
    assert_eq!(
        index.person_by(IdentityKind::Github, "arjun"),
        None,
        "a handle is not a login"
    );
    let platform = index.team_by_id("platform").unwrap();
    assert_eq!(index.team_by_github("@Acme/Platform"), Some(platform));
    assert_eq!(
        index.team_by_gitlab("harbor-digital/acme"),
        index.team_by_id("harbor")
    );

    // Vendor and phase.
    let nimbus = index.vendor_by_id("nimbus").unwrap();
    assert_eq!(index.vendor_of(arjun), Some(nimbus));
    assert_eq!(
        index.phase_of(arjun),
        Some(palisade_model::Phase::CoDeliver)
    );
    assert_eq!(
        index.vendor_of(index.person_by_handle("sofia").unwrap()),
        None
    );
    assert_eq!(index.vendor_people(nimbus).len(), 7);

    // Paths in repositories.
    let owners = |repo: &str, path: &str| -> Vec<&str> {
        index
            .services_for_path(Some(repo), path)
            .iter()
            .map(|&s| index.service(s).id.as_str())
            .collect()
    };
    assert_eq!(
        owners("acme/payments", "services/ledger/src/lib.rs"),
        ["ledger"]
    );
    assert_eq!(
        owners("ACME/Payments", "migrations/ledger/0001.sql"),
        ["ledger"]
    );
    assert_eq!(
        owners("acme/platform", "services/ledger/src/lib.rs"),
        Vec::<&str>::new()
    );
    assert_eq!(owners("acme/mobile", "app/ios/App.swift"), ["mobile-app"]);

    // Roles, grants and reach.
    let responder = index.role_by_id("incident-responder").unwrap();
    let closure: Vec<&str> = index
        .role_closure(responder)
        .iter()
        .map(|&r| index.role(r).id.as_str())
        .collect();
    assert_eq!(
        closure,
        [
            "incident-responder",
            "prod-deployer",
            "staging-deployer",
            "prod-reader"
        ]
    );
    assert!(index.role_reach(responder).admin);
    let reach = index.production_reach(arjun);
    assert!(reach.any && !reach.admin);

    // Environments: owners, approvers, services, hosts.
    let prod = index.environment_by_id("prod").unwrap();
    let approvers: Vec<&str> = index
        .approvers(prod)
        .iter()
        .map(|&p| index.person(p).handle.as_str())
        .collect();
    assert_eq!(approvers, ["eleanor", "sofia", "dana"]);
    let dev = index.environment_by_id("dev").unwrap();
    assert_eq!(index.approvers(dev).len(), 5, "platform's active members");
    assert!(
        index
            .environment_services(prod)
            .contains(&index.service_by_id("docs-site").unwrap())
    );
    let hosts = |h: &str| -> Vec<String> {
        index
            .resources_for_host(h)
            .iter()
            .map(|&r| format!("{}/{}", index.environment(r.env).id, index.resource(r).id))
            .collect()
    };
    assert_eq!(hosts("app-07.prod.acme.internal"), ["prod/prod-hosts"]);
    assert_eq!(hosts("Bastion.Prod.Acme.Internal."), ["prod/prod-hosts"]);
    assert_eq!(
        hosts("web-1.staging.acme.internal"),
        ["staging/staging-hosts"]
    );
    assert_eq!(hosts("app-107.prod.acme.internal"), Vec::<String>::new());

    // Vetting for anyone, on any day.
    let kavya = index.person_by_handle("kavya").unwrap();
    let status = index.vetting(kavya, today());
    assert!(!status.is_complete());
    assert_eq!(status.missing().count(), 5);
    let sofia = index.person_by_handle("sofia").unwrap();
    assert!(index.vetting(sofia, today()).is_complete());
    let expiry = index.vetting(sofia, today()).next_expiry().unwrap();
    assert!(
        index.vetting(sofia, expiry).is_complete(),
        "still counts on its last day"
    );
    let after = index.vetting(sofia, expiry.plus_days(1).unwrap());
    assert!(
        after
            .items
            .iter()
            .any(|i| matches!(i.state, VettingState::Stale { .. }))
    );

    // Time.
    assert_eq!(index.timezone_name(arjun), "Asia/Kolkata");
    let morning_utc: jiff::Timestamp = "2026-12-07T05:30:00Z".parse().unwrap();
    assert_eq!(index.is_working(arjun, morning_utc), Some(true));
    let dana = index.person_by_handle("dana").unwrap();
    assert_eq!(index.is_working(dana, morning_utc), Some(false));
}
