//! Semantic checks of a parsed model: references, ownership, access
//! eligibility, contracts and vetting. Each check has a stable code so that
//! users and CI can talk about it.

use std::collections::{HashMap, HashSet};

use crate::diag::{Diagnostic, ModelPath, at, did_you_mean};
use crate::glob::{Glob, overlapping_pairs};
use crate::index::identity::{
    email_problem, github_login_problem, github_team_problem, gitlab_group_problem,
    gitlab_name_problem, ssh_principal_problem,
};
use crate::index::{IdentityKind, Index, PersonId, ProductionReach, RoleId, VettingState};
use crate::types::{Model, Phase, ResourceKind, RiskTier, Status, TeamKind};
use crate::values::{Day, GrantDuration};

/// Ids of one kind of thing in the model, looked up in the index.
struct Ids<'i, 'm> {
    what: &'static str,
    list: &'static str,
    index: &'i Index<'m>,
}

impl<'i, 'm> Ids<'i, 'm> {
    /// Reports invalid and duplicate ids of `list`.
    fn build(
        out: &mut Vec<Diagnostic>,
        index: &'i Index<'m>,
        (what, list, field): (&'static str, &'static str, &'static str),
        ids: impl Iterator<Item = &'m str>,
    ) -> Self {
        for (i, id) in ids.enumerate() {
            if let Some(problem) = id_problem(id) {
                out.push(
                    Diagnostic::error("invalid-id", at(list, i, field), format!("invalid {what} {field} `{id}`: {problem}"))
                        .label("invalid id")
                        .help("ids are lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit"),
                );
            }
        }
        for d in index.duplicates.iter().filter(|d| d.list == list) {
            out.push(
                Diagnostic::error(
                    "duplicate-id",
                    at(list, d.second, field),
                    format!(
                        "{what} `{}` is defined twice",
                        id_at(index.model(), list, d.second)
                    ),
                )
                .label("second definition")
                .also(at(list, d.first, field), "first defined here")
                .help(format!(
                    "each {what} needs its own {field}; rename or remove one"
                )),
            );
        }
        Ids { what, list, index }
    }

    fn get(&self, id: &str) -> Option<usize> {
        let ix = self.index;
        match self.list {
            "teams" => ix.team_by_id(id).map(|x| x.index()),
            "people" => ix.person_by_handle(id).map(|x| x.index()),
            "services" => ix.service_by_id(id).map(|x| x.index()),
            "environments" => ix.environment_by_id(id).map(|x| x.index()),
            "roles" => ix.role_by_id(id).map(|x| x.index()),
            "contracts" => ix.contract_by_id(id).map(|x| x.index()),
            "vendors" => ix.vendor_by_id(id).map(|x| x.index()),
            _ => None,
        }
    }

    /// Looks `id` up, reporting an unknown reference at `path` (built only
    /// when needed: resolving is the hot path of a large model).
    fn resolve(
        &self,
        out: &mut Vec<Diagnostic>,
        id: &str,
        path: impl FnOnce() -> ModelPath,
    ) -> Option<usize> {
        if let Some(i) = self.get(id) {
            return Some(i);
        }
        let mut d = Diagnostic::error(
            "unknown-reference",
            path(),
            format!("unknown {} `{id}`", self.what),
        )
        .label(format!("no {} has this id", self.what));
        d = match did_you_mean(id, self.index.ids_of(self.list)) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d.help(format!(
                "define it under [[{}]], or fix the spelling",
                self.list
            )),
        };
        out.push(d);
        None
    }
}

/// The id of item `i` of `list`.
fn id_at<'m>(model: &'m Model, list: &str, i: usize) -> &'m str {
    match list {
        "teams" => &model.teams[i].id,
        "people" => &model.people[i].handle,
        "services" => &model.services[i].id,
        "environments" => &model.environments[i].id,
        "roles" => &model.roles[i].id,
        "contracts" => &model.contracts[i].id,
        "vendors" => &model.vendors[i].id,
        _ => "",
    }
}

fn id_problem(id: &str) -> Option<&'static str> {
    let mut chars = id.chars();
    match chars.next() {
        None => Some("it is empty"),
        Some(c) if !(c.is_ascii_lowercase() || c.is_ascii_digit()) => {
            Some("it must start with a lower-case letter or a digit")
        }
        _ if id.len() > 128 => Some("it is longer than 128 characters"),
        _ if !chars.all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
        }) =>
        {
            Some("it may only contain lower-case letters, digits, `-`, `_` and `.`")
        }
        _ => None,
    }
}

/// The most overlapping glob pairs reported: beyond that the model is
/// wrong wholesale, and listing millions of pairs helps nobody.
const MAX_OVERLAPS: usize = 100;

/// Runs every semantic check. `today` decides what has expired or gone stale.
pub fn validate(model: &Model, today: Day) -> Vec<Diagnostic> {
    let index = Index::new(model);
    validate_with(&index, today)
}

/// Runs every semantic check on an index already built.
pub fn validate_with(index: &Index<'_>, today: Day) -> Vec<Diagnostic> {
    let model = index.model();
    let mut out = Vec::new();
    let teams = Ids::build(
        &mut out,
        index,
        ("team", "teams", "id"),
        model.teams.iter().map(|t| t.id.as_str()),
    );
    let people = Ids::build(
        &mut out,
        index,
        ("person", "people", "handle"),
        model.people.iter().map(|p| p.handle.as_str()),
    );
    Ids::build(
        &mut out,
        index,
        ("service", "services", "id"),
        model.services.iter().map(|s| s.id.as_str()),
    );
    let envs = Ids::build(
        &mut out,
        index,
        ("environment", "environments", "id"),
        model.environments.iter().map(|e| e.id.as_str()),
    );
    let roles = Ids::build(
        &mut out,
        index,
        ("role", "roles", "id"),
        model.roles.iter().map(|r| r.id.as_str()),
    );
    let contracts = Ids::build(
        &mut out,
        index,
        ("contract", "contracts", "id"),
        model.contracts.iter().map(|c| c.id.as_str()),
    );
    let vendors = Ids::build(
        &mut out,
        index,
        ("vendor", "vendors", "id"),
        model.vendors.iter().map(|v| v.id.as_str()),
    );

    let v = Validator {
        model,
        index,
        today,
        teams,
        people,
        envs,
        roles,
        contracts,
        vendors,
    };
    v.org(&mut out);
    v.witnesses(&mut out);
    v.vendors(&mut out);
    v.environments(&mut out);
    v.roles(&mut out);
    v.contracts(&mut out);
    v.teams(&mut out);
    v.people(&mut out);
    v.identities(&mut out);
    v.services(&mut out);
    v.gates(&mut out);
    v.shared_credentials(&mut out);
    v.monitor(&mut out);
    v.metrics(&mut out);
    out
}

struct Validator<'i, 'm> {
    model: &'m Model,
    index: &'i Index<'m>,
    today: Day,
    teams: Ids<'i, 'm>,
    people: Ids<'i, 'm>,
    envs: Ids<'i, 'm>,
    roles: Ids<'i, 'm>,
    contracts: Ids<'i, 'm>,
    vendors: Ids<'i, 'm>,
}

fn check_timezone(out: &mut Vec<Diagnostic>, zone: &str, path: ModelPath) {
    if jiff::tz::TimeZone::get(zone).is_ok() {
        return;
    }
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| jiff::tz::db().available().map(|n| n.to_string()).collect());
    let mut d = Diagnostic::error(
        "invalid-timezone",
        path,
        format!("unknown time zone `{zone}`"),
    )
    .label("not an IANA time zone");
    d = match did_you_mean(zone, names.iter().map(String::as_str)) {
        Some(best) => d.help(format!(
            "did you mean `{best}`? time zones are IANA names such as `Europe/London`"
        )),
        None => d.help("use an IANA time zone name such as `Europe/London` or `Asia/Kolkata`"),
    };
    out.push(d);
}

fn check_glob(
    out: &mut Vec<Diagnostic>,
    text: &str,
    path: impl FnOnce() -> ModelPath,
) -> Option<Glob> {
    match Glob::new(text) {
        Ok(g) => Some(g),
        Err(e) => {
            glob_error(out, text, &e, path);
            None
        }
    }
}

fn glob_error(
    out: &mut Vec<Diagnostic>,
    text: &str,
    e: &crate::glob::GlobError,
    path: impl FnOnce() -> ModelPath,
) {
    out.push(
        Diagnostic::error("invalid-glob", path(), format!("invalid path glob `{text}`: {}", e.message))
            .within(e.offset..(e.offset + 1).min(text.len().max(1)))
            .label("here")
            .help("globs use `*` (within a directory), `?`, `[a-z]` and `**` (any depth); see docs/model.md"),
    );
}

impl Validator<'_, '_> {
    fn org(&self, out: &mut Vec<Diagnostic>) {
        let org = &self.model.org;
        check_timezone(
            out,
            &org.timezone,
            ModelPath::root().key("org").key("timezone"),
        );
        let log = &org.log_name;
        if log.is_empty() || log.chars().any(|c| c.is_whitespace() || c.is_control()) {
            out.push(
                Diagnostic::error(
                    "invalid-log-name",
                    ModelPath::root().key("org").key("log_name"),
                    format!("the ledger's log name `{log}` must be one word with no spaces"),
                )
                .help("use a domain-like name such as `acme.example/palisade`; it becomes the first line of every signed checkpoint"),
            );
        }
        if let Some(key) = &org.log_key {
            let path = || ModelPath::root().key("org").key("log_key");
            // The ledger's own parser: a key `check` accepts is one the ledger pins.
            match crate::note_key::parse_verifier_key(key) {
                Err(problem) => out.push(
                    Diagnostic::error(
                        "invalid-log-key",
                        path(),
                        format!("the ledger's verifier key is invalid: {problem}"),
                    )
                    .help("paste the verifier key `palisade ledger keygen` printed (also in .palisade/ledger.vkey): `<name>+<8 hex digits>+<base64>`"),
                ),
                Ok(parsed) if parsed.algorithm != crate::note_key::Algorithm::Ed25519 => out.push(
                    Diagnostic::error(
                        "invalid-log-key",
                        path(),
                        format!(
                            "the ledger's verifier key is a {} key; checkpoints are signed with an Ed25519 note key",
                            parsed.algorithm
                        ),
                    )
                    .help("paste the log's verifier key, not a witness's"),
                ),
                Ok(_) => {}
            }
        }
    }

    fn witnesses(&self, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::new();
        for (i, w) in self.model.org.witnesses.iter().enumerate() {
            let path = || ModelPath::root().key("org").key("witnesses").index(i);
            // The ledger's own parser: a key `check` accepts is one the ledger accepts.
            match crate::note_key::parse_verifier_key(&w.key) {
                Err(problem) => out.push(
                    Diagnostic::error(
                        "invalid-witness-key",
                        path().key("key"),
                        format!("witness `{}` has an invalid verifier key: {problem}", w.name),
                    )
                    .help("paste the witness's verifier key as it publishes it: `<name>+<8 hex digits>+<base64>`"),
                ),
                Ok(key) if key.name != w.name => out.push(
                    Diagnostic::error(
                        "invalid-witness-key",
                        path().key("name"),
                        format!(
                            "witness name `{}` does not match its key's name `{}`",
                            w.name, key.name
                        ),
                    )
                    .help("the name must be exactly the first part of the verifier key"),
                ),
                Ok(_) => {}
            }
            if !seen.insert(w.name.as_str()) {
                out.push(
                    Diagnostic::error(
                        "duplicate-id",
                        path().key("name"),
                        format!("witness `{}` is listed twice", w.name),
                    )
                    .help("remove one"),
                );
            }
        }
    }

    fn environments(&self, out: &mut Vec<Diagnostic>) {
        let mut hosts = Vec::new();
        for (i, env) in self.model.environments.iter().enumerate() {
            let path = ModelPath::root().key("environments").index(i);
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (j, r) in env.resources.iter().enumerate() {
                let rpath = path.key("resources").index(j).key("id");
                if let Some(problem) = id_problem(&r.id) {
                    out.push(
                    Diagnostic::error("invalid-id", rpath.clone(), format!("invalid resource id `{}`: {problem}", r.id))
                        .help("ids are lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit"),
                );
                }
                if let Some(&first) = seen.get(r.id.as_str()) {
                    out.push(
                        Diagnostic::error(
                            "duplicate-id",
                            rpath,
                            format!(
                                "resource `{}` is defined twice in environment `{}`",
                                r.id, env.id
                            ),
                        )
                        .also(
                            path.key("resources").index(first).key("id"),
                            "first defined here",
                        )
                        .help("rename or remove one"),
                    );
                } else {
                    seen.insert(&r.id, j);
                }
                if r.access.is_empty() {
                    out.push(
                        Diagnostic::warning(
                            "no-access-kinds",
                            path.key("resources").index(j).key("access"),
                            format!(
                                "resource `{}` offers no access, so no role can use it",
                                r.id
                            ),
                        )
                        .help(
                            "list the access kinds it offers, e.g. access = [\"read\", \"deploy\"]",
                        ),
                    );
                }
            }
            for (j, r) in env.resources.iter().enumerate() {
                self.db_roles(out, path.key("resources").index(j), r);
            }
            if env.production_data && !env.production {
                out.push(
                    Diagnostic::warning("production-data-outside-production", path.key("production_data"), format!("environment `{}` is not production but may hold production data", env.id))
                        .help("keep real personal data in production only; use synthetic data elsewhere, or mark the environment `production = true`"),
                );
            }
            for (j, g) in env.data_paths.iter().enumerate() {
                check_glob(out, g, || path.key("data_paths").index(j));
            }
            self.environment_owners(out, i);
            self.resource_hosts(out, i, &mut hosts);
        }
        self.host_overlaps(out, &hosts);
    }

    /// A database resource's role mapping: on databases only, naming roles
    /// PostgreSQL accepts, for access levels the resource offers.
    fn db_roles(&self, out: &mut Vec<Diagnostic>, path: ModelPath, r: &crate::types::Resource) {
        if r.kind != ResourceKind::Database {
            for (field, set) in [
                ("database", r.database.is_some()),
                ("db_roles", r.db_roles.is_some()),
            ] {
                if set {
                    out.push(
                        Diagnostic::error(
                            "database-field-on-other-resource",
                            path.key(field),
                            format!("resource `{}` is not a database but sets `{field}`", r.id),
                        )
                        .help("set `kind = \"database\"`, or remove the field"),
                    );
                }
            }
            return;
        }
        let Some(roles) = &r.db_roles else { return };
        for access in [
            crate::types::Access::Read,
            crate::types::Access::Deploy,
            crate::types::Access::Admin,
        ] {
            let Some(role) = roles.get(access) else {
                continue;
            };
            let at = path.key("db_roles").key(access.key());
            if role.is_empty()
                || role.len() > 63
                || !role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                || !role
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                out.push(
                    Diagnostic::error(
                        "invalid-db-role",
                        at.clone(),
                        format!("`{role}` is not a plain PostgreSQL role name"),
                    )
                    .help("use lower-case letters, digits and `_`, starting with a letter or `_`, at most 63 characters"),
                );
            }
            if !r.access.contains(&access) {
                out.push(
                    Diagnostic::warning(
                        "db-role-for-unoffered-access",
                        at,
                        format!(
                            "resource `{}` maps `{}` to a role but does not offer `{}` access",
                            r.id,
                            access.key(),
                            access.key()
                        ),
                    )
                    .help("add it to `access`, or remove the mapping"),
                );
            }
        }
    }

    /// Who owns an environment: people and teams that exist, active, and not
    /// only vendors where the environment is production.
    fn environment_owners(&self, out: &mut Vec<Diagnostic>, i: usize) {
        let model = self.model;
        let env = &model.environments[i];
        let path = ModelPath::root().key("environments").index(i);
        for (j, h) in env.owners.iter().enumerate() {
            let Some(p) = self.people.resolve(out, h, || path.key("owners").index(j)) else {
                continue;
            };
            if model.people[p].status == Status::Offboarded {
                out.push(
                    Diagnostic::error(
                        "offboarded-environment-owner",
                        path.key("owners").index(j),
                        format!("{h} owns environment `{}` but is offboarded", env.id),
                    )
                    .also(at("people", p, "status"), "offboarded here")
                    .help("remove them from `owners`; someone who left cannot approve access"),
                );
            }
        }
        for (j, t) in env.owner_teams.iter().enumerate() {
            self.teams
                .resolve(out, t, || path.key("owner_teams").index(j));
        }
        if !env.production {
            return;
        }
        let Some(id) = self.index.environment_by_id(&env.id) else {
            return;
        };
        let approvers = self.index.approvers(id);
        if env.owners.is_empty() && env.owner_teams.is_empty() {
            out.push(
                Diagnostic::warning("production-environment-without-owner", path.key("id"), format!("production environment `{}` has no owner, so nobody can approve access to it", env.id))
                    .help("add `owners = [\"<handle>\"]` or `owner_teams = [\"<team>\"]`: the people who approve access to it"),
            );
        } else if approvers.is_empty() {
            let key = if env.owners.is_empty() {
                "owner_teams"
            } else {
                "owners"
            };
            out.push(
                Diagnostic::warning("production-environment-without-owner", path.key(key), format!("no active person owns production environment `{}`, so nobody can approve access to it", env.id))
                    .help("name an active person in `owners`, or a team with active members in `owner_teams`"),
            );
        } else if !approvers.is_empty() && approvers.iter().all(|&p| self.index.is_vendor(p)) {
            let names: Vec<&str> = approvers
                .iter()
                .map(|&p| self.index.person(p).handle.as_str())
                .collect();
            let key = if env.owners.is_empty() {
                "owner_teams"
            } else {
                "owners"
            };
            out.push(
                Diagnostic::error("vendor-only-production-owner", path.key(key), format!("production environment `{}` is owned only by vendor staff ({})", env.id, names.join(", ")))
                    .help("add an internal owner: access to production must be approvable by the company itself"),
            );
        }
    }

    /// The hosts `ssh_host` resources cover: well formed and on SSH hosts
    /// only; each valid one is added to `hosts` for [`Self::host_overlaps`].
    fn resource_hosts(&self, out: &mut Vec<Diagnostic>, i: usize, hosts: &mut Vec<HostAt>) {
        let env = &self.model.environments[i];
        let path = ModelPath::root().key("environments").index(i);
        for (j, r) in env.resources.iter().enumerate() {
            let rpath = path.key("resources").index(j);
            if !r.hosts.is_empty() && r.kind != ResourceKind::SshHost {
                out.push(
                    Diagnostic::warning("hosts-on-non-ssh-resource", rpath.key("hosts"), format!("resource `{}` lists hosts but is not an `ssh_host`, so no log line maps to it", r.id))
                        .help("set `kind = \"ssh_host\"`, or remove `hosts`"),
                );
            }
            for (k, host) in r.hosts.iter().enumerate() {
                if let Some(why) = host_problem(host) {
                    out.push(
                        Diagnostic::error("invalid-host", rpath.key("hosts").index(k), format!("`{host}` is not a host name or pattern: {why}"))
                            .help("write host names as logs show them (`web-1.prod.acme.internal`), or patterns with `*` and `?` (`*.prod.acme.internal`)"),
                    );
                    continue;
                }
                // As the index keys them: case and a final dot ignored.
                hosts.push(HostAt {
                    key: host.trim_end_matches('.').to_ascii_lowercase(),
                    env: i,
                    resource: j,
                    position: k,
                });
            }
        }
    }

    /// One host name under two resources is an error; a pattern that can
    /// match a name or pattern of another resource is a warning, since a
    /// log line naming such a host maps to both.
    fn host_overlaps(&self, out: &mut Vec<Diagnostic>, hosts: &[HostAt]) {
        let at = |h: &HostAt| {
            ModelPath::root()
                .key("environments")
                .index(h.env)
                .key("resources")
                .index(h.resource)
                .key("hosts")
                .index(h.position)
        };
        let written = |h: &HostAt| {
            self.model.environments[h.env].resources[h.resource].hosts[h.position].clone()
        };
        let mut first: HashMap<&str, &HostAt> = HashMap::new();
        let mut patterns: Vec<&HostAt> = Vec::new();
        let mut overlaps = 0;
        for h in hosts {
            let same_resource = |o: &HostAt| (o.env, o.resource) == (h.env, h.resource);
            if h.key.contains(['*', '?']) {
                patterns.push(h);
                continue;
            }
            match first.get(h.key.as_str()) {
                Some(&o) if !same_resource(o) => out.push(
                    Diagnostic::error(
                        "duplicate-host",
                        at(h),
                        format!("host `{}` is listed under two resources", written(h)),
                    )
                    .also(at(o), "also listed here")
                    .help("a host maps to one resource, so that a log line names one; remove one"),
                ),
                Some(_) => {}
                None => {
                    first.insert(&h.key, h);
                }
            }
        }
        for (n, p) in patterns.iter().enumerate() {
            let others = hosts
                .iter()
                .filter(|o| !o.key.contains(['*', '?']))
                .chain(patterns[..n].iter().copied());
            for o in others {
                if (o.env, o.resource) == (p.env, p.resource)
                    || !crate::index::patterns_overlap(p.key.as_bytes(), o.key.as_bytes())
                {
                    continue;
                }
                overlaps += 1;
                if overlaps > MAX_OVERLAPS {
                    return;
                }
                out.push(
                    Diagnostic::warning(
                        "overlapping-hosts",
                        at(p),
                        format!(
                            "host pattern `{}` also matches `{}` of another resource",
                            written(p),
                            written(o)
                        ),
                    )
                    .also(at(o), "the other resource's host")
                    .help("narrow the pattern so that each host maps to one resource"),
                );
            }
        }
    }

    /// Checks roles and what each reaches in production.
    fn roles(&self, out: &mut Vec<Diagnostic>) {
        let model = self.model;
        for (i, role) in model.roles.iter().enumerate() {
            let path = ModelPath::root().key("roles").index(i);
            for (j, g) in role.grants.iter().enumerate() {
                let gpath = path.key("grants").index(j);
                let Some(e) = self
                    .envs
                    .resolve(out, &g.environment, || gpath.key("environment"))
                else {
                    continue;
                };
                let env = &model.environments[e];
                let mut offered_anywhere = false;
                for (k, rid) in g.resources.iter().enumerate() {
                    match env.resources.iter().find(|r| &r.id == rid) {
                        Some(r) => {
                            offered_anywhere = true;
                            if !r.access.contains(&g.access) {
                                out.push(
                                    Diagnostic::error(
                                        "access-not-offered",
                                        gpath.key("access"),
                                        format!(
                                            "resource `{rid}` in `{}` does not offer `{}` access",
                                            env.id,
                                            g.access.key()
                                        ),
                                    )
                                    .also(gpath.key("resources").index(k), "this resource")
                                    .help(format!(
                                        "it offers: {}",
                                        join(r.access.iter().map(|a| a.key()))
                                    )),
                                );
                            }
                        }
                        None => {
                            let names = env.resources.iter().map(|r| r.id.as_str());
                            let mut d = Diagnostic::error(
                                "unknown-reference",
                                gpath.key("resources").index(k),
                                format!("unknown resource `{rid}` in environment `{}`", env.id),
                            );
                            d = match did_you_mean(rid, names) {
                                Some(best) => d.help(format!("did you mean `{best}`?")),
                                None => d.help(format!(
                                    "define it under [[environments.resources]] of `{}`",
                                    env.id
                                )),
                            };
                            out.push(d);
                        }
                    }
                }
                if g.resources.is_empty() {
                    offered_anywhere = env.resources.iter().any(|r| r.access.contains(&g.access));
                    if !offered_anywhere && !env.resources.is_empty() {
                        out.push(
                            Diagnostic::error("access-not-offered", gpath.key("access"), format!("no resource in `{}` offers `{}` access", env.id, g.access.key()))
                                .help("add the access kind to a resource's `access` list, or grant a kind they offer"),
                        );
                    }
                }
                let _ = offered_anywhere;
            }
            for (j, inc) in role.includes.iter().enumerate() {
                self.roles
                    .resolve(out, inc, || path.key("includes").index(j));
            }
        }

        // Cycles in `includes`, reported once per cycle at its first role.
        let n = model.roles.len();
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        for start in 0..n {
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            while let Some(&(r, next)) = stack.last() {
                let incs = &model.roles[r].includes;
                if next < incs.len() {
                    let inc = &incs[next];
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    let Some(t) = self.roles.get(inc) else {
                        continue;
                    };
                    match state[t] {
                        0 => {
                            state[t] = 1;
                            stack.push((t, 0));
                        }
                        1 => {
                            let from = stack.iter().position(|&(s, _)| s == t).unwrap_or(0);
                            let mut cycle: Vec<usize> =
                                stack[from..].iter().map(|&(s, _)| s).collect();
                            let mut key = cycle.clone();
                            key.sort_unstable();
                            if reported.insert(key) {
                                cycle.push(t);
                                let names = join(
                                    cycle
                                        .iter()
                                        .map(|&c| model.roles[c].id.as_str())
                                        .collect::<Vec<_>>()
                                        .into_iter(),
                                )
                                .replace(", ", " → ");
                                let (r0, j0) = (r, next);
                                out.push(
                                    Diagnostic::error("role-cycle", ModelPath::root().key("roles").index(r0).key("includes").index(j0), format!("roles include each other in a cycle: {names}"))
                                        .label("closes the cycle")
                                        .help("a role may include others only if they never include it back; remove one of these includes"),
                                );
                            }
                        }
                        _ => {}
                    }
                } else {
                    state[r] = 2;
                    stack.pop();
                }
            }
        }

        let reach: Vec<ProductionReach> = (0..n)
            .map(|r| self.index.role_reach(RoleId::at(r)))
            .collect();
        for (i, role) in model.roles.iter().enumerate() {
            if reach[i].any && role.approvals == 0 {
                out.push(
                    Diagnostic::warning("unapproved-production-role", ModelPath::root().key("roles").index(i).key("id"), format!("role `{}` grants production access without any approval", role.id))
                        .help("set `approvals = 1` or more so a second person sees every production grant"),
                );
            }
            if let Some(d) = role.max_duration
                && reach[i].any
                && d > GrantDuration::from_minutes(24 * 60)
            {
                out.push(
                    Diagnostic::warning(
                        "long-production-grant",
                        ModelPath::root().key("roles").index(i).key("max_duration"),
                        format!("role `{}` allows production grants of {d}", role.id),
                    )
                    .help("keep production grants to a working day or less (e.g. `8h`)"),
                );
            }
        }
    }

    fn contracts(&self, out: &mut Vec<Diagnostic>) {
        let policy = &self.model.org.policy;
        for (i, c) in self.model.contracts.iter().enumerate() {
            let path = ModelPath::root().key("contracts").index(i);
            self.vendors.resolve(out, &c.vendor, || path.key("vendor"));
            if c.ends < c.starts {
                out.push(
                    Diagnostic::error(
                        "invalid-dates",
                        path.key("ends"),
                        format!(
                            "contract `{}` ends ({}) before it starts ({})",
                            c.id, c.ends, c.starts
                        ),
                    )
                    .also(path.key("starts"), "starts here")
                    .help("swap the dates or correct the typo"),
                );
            }
            let missing: Vec<&str> = policy
                .required_clauses
                .iter()
                .filter(|cl| !c.clauses.has(**cl))
                .map(|cl| cl.key())
                .collect();
            if !missing.is_empty() {
                out.push(
                    Diagnostic::warning(
                        "contract-missing-clause",
                        path.key("id"),
                        format!(
                            "contract `{}` lacks required clause{}: {}",
                            c.id,
                            plural(missing.len()),
                            missing.join(", ")
                        ),
                    )
                    .label("required by org.policy.required_clauses")
                    .help("amend the contract, then record the clause under [contracts.clauses]"),
                );
            }
            if !c.clauses.ip_assignment.is_empty() {
                let uncovered: Vec<&str> = policy
                    .required_ip_coverage
                    .iter()
                    .filter(|s| !c.clauses.ip_assignment.contains(s))
                    .map(|s| s.key())
                    .collect();
                if !uncovered.is_empty() {
                    out.push(
                        Diagnostic::warning("ip-coverage-incomplete", path.key("clauses").key("ip_assignment"), format!("contract `{}` does not assign IP in: {}", c.id, uncovered.join(", ")))
                            .help("org.policy.required_ip_coverage lists what the IP assignment must cover"),
                    );
                }
            }
            if let Some(h) = c.clauses.breach_notification_hours
                && h > policy.max_breach_notification_hours
            {
                out.push(
                        Diagnostic::warning("breach-notification-too-slow", path.key("clauses").key("breach_notification_hours"), format!("contract `{}` allows {h} hours to notify a breach; policy allows at most {}", c.id, policy.max_breach_notification_hours)),
                    );
            }
            if let Some(code) = c.currency.as_deref()
                && (code.len() != 3 || !code.chars().all(|ch| ch.is_ascii_uppercase()))
            {
                out.push(
                    Diagnostic::error(
                        "invalid-currency",
                        path.key("currency"),
                        format!("`{code}` is not an ISO 4217 currency code"),
                    )
                    .help("use three capital letters, e.g. USD, EUR, INR"),
                );
            }
            if c.monthly_cost.is_some_and(|m| !(m.is_finite() && m >= 0.0)) {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        path.key("monthly_cost"),
                        "monthly cost must be a non-negative number",
                    )
                    .help("write the amount per month, e.g. `monthly_cost = 42000`"),
                );
            }
        }
    }

    fn teams(&self, out: &mut Vec<Diagnostic>) {
        let policy = &self.model.org.policy;
        for (i, team) in self.model.teams.iter().enumerate() {
            let path = ModelPath::root().key("teams").index(i);
            self.code_host_team(out, i);
            match team.kind {
                TeamKind::Vendor => {
                    let vendor = match &team.vendor {
                        None => {
                            out.push(
                                Diagnostic::error("missing-vendor", path.key("kind"), format!("vendor team `{}` does not say which vendor company it belongs to", team.id))
                                    .help("add `vendor = \"<id>\"` naming one of [[vendors]]: the vendor groups its teams, people and contracts"),
                            );
                            None
                        }
                        Some(v) => self.vendors.resolve(out, v, || path.key("vendor")),
                    };
                    if let (Some(v), Some(cid)) = (vendor, &team.contract)
                        && let Some(c) = self.contracts.get(cid)
                    {
                        let contract = &self.model.contracts[c];
                        let vendor = &self.model.vendors[v];
                        if contract.vendor != vendor.id {
                            out.push(
                                Diagnostic::error("contract-vendor-mismatch", path.key("contract"), format!("team `{}` of vendor `{}` works under contract `{cid}`, which is with `{}`", team.id, vendor.id, contract.vendor))
                                    .also(ModelPath::root().key("contracts").index(c).key("vendor"), "the contract's vendor")
                                    .help("name a contract of the team's own vendor, or correct the team's `vendor`"),
                            );
                        }
                    }
                    match &team.contract {
                        None => out.push(
                            Diagnostic::error("vendor-without-contract", path.key("id"), format!("vendor team `{}` has no contract", team.id))
                                .help("add `contract = \"<id>\"` naming one of [[contracts]]; no vendor works without one"),
                        ),
                        Some(cid) => {
                            if let Some(c) = self.contracts.resolve(out, cid, || path.key("contract")) {
                                let contract = &self.model.contracts[c];
                                let cpath = ModelPath::root().key("contracts").index(c);
                                let left = self.today.days_until(contract.ends);
                                if left < 0 {
                                    out.push(
                                        Diagnostic::error("contract-expired", path.key("contract"), format!("vendor team `{}` works under contract `{cid}`, which ended on {}", team.id, contract.ends))
                                            .also(cpath.key("ends"), "ended here")
                                            .help("renew the contract and update `ends`, or offboard the team"),
                                    );
                                } else if left <= i64::from(policy.contract_expiry_warning_days) {
                                    out.push(
                                        Diagnostic::warning("contract-expiring", path.key("contract"), format!("contract `{cid}` of vendor team `{}` ends in {left} day{} ({})", team.id, plural(left as usize), contract.ends))
                                            .also(cpath.key("ends"), "ends here")
                                            .help("start the renewal, or plan the exit (transition assistance, data return)"),
                                    );
                                }
                                if self.today < contract.starts {
                                    out.push(
                                        Diagnostic::warning("contract-not-started", path.key("contract"), format!("contract `{cid}` only starts on {}", contract.starts))
                                            .also(cpath.key("starts"), "starts here"),
                                    );
                                }
                            }
                        }
                    }
                    if team.phase.is_none() {
                        out.push(
                            Diagnostic::error("missing-phase", path.key("id"), format!("vendor team `{}` has no onboarding phase", team.id))
                                .help("add `phase = \"observe\"`, `\"co-deliver\"` or `\"own\"` with `phase_since = <date>`"),
                        );
                    } else if team.phase_since.is_none() {
                        out.push(
                            Diagnostic::warning("missing-phase-since", path.key("phase"), format!("vendor team `{}` does not say since when it is in this phase", team.id))
                                .help("add `phase_since = <date>`: onboarding reviews measure time in each phase"),
                        );
                    }
                    if let Some(since) = team.phase_since
                        && since > self.today
                    {
                        out.push(
                            Diagnostic::error(
                                "invalid-dates",
                                path.key("phase_since"),
                                format!(
                                    "phase of team `{}` begins in the future ({since})",
                                    team.id
                                ),
                            )
                            .help("record the day the phase actually began"),
                        );
                    }
                }
                TeamKind::Internal => {
                    for key in ["vendor", "contract", "phase", "phase_since"] {
                        let set = match key {
                            "vendor" => team.vendor.is_some(),
                            "contract" => team.contract.is_some(),
                            "phase" => team.phase.is_some(),
                            _ => team.phase_since.is_some(),
                        };
                        if set {
                            out.push(
                                Diagnostic::warning(
                                    "internal-team-vendor-field",
                                    path.key(key),
                                    format!(
                                        "`{key}` only applies to vendor teams; `{}` is internal",
                                        team.id
                                    ),
                                )
                                .help("remove it, or set `kind = \"vendor\"`"),
                            );
                        }
                    }
                }
            }
        }
    }

    fn people(&self, out: &mut Vec<Diagnostic>) {
        let model = self.model;
        let index = self.index;
        for (i, p) in model.people.iter().enumerate() {
            let path = ModelPath::root().key("people").index(i);
            let id = PersonId::at(i);
            let team = self
                .teams
                .resolve(out, &p.team, || path.key("team"))
                .map(|t| &model.teams[t]);

            if let Some(zone) = p.timezone.as_deref()
                && !index.zone_known(zone)
            {
                check_timezone(out, zone, path.key("timezone"));
            }
            match index.hours(id) {
                Some(Err(e)) => out.push(
                    Diagnostic::error("invalid-hours", path.key("hours"), format!("invalid working hours: {}", e.message))
                        .within(e.offset..e.offset + e.len)
                        .label("here")
                        .help("working hours look like `Mon-Fri 09:00-18:00` or `Mon-Thu 08:00-16:00; Fri 08:00-12:00`"),
                ),
                Some(Ok(_)) => {}
                None if p.status == Status::Active => out.push(
                    Diagnostic::warning("missing-hours", path.key("handle"), format!("{} declares no working hours, so activity outside them cannot be flagged", p.handle))
                        .help("add e.g. `hours = \"Mon-Fri 09:00-18:00\"` (in their own time zone)"),
                ),
                None => {}
            }

            match (p.status, p.offboarded_on) {
                (Status::Offboarded, None) => out.push(
                    Diagnostic::error("offboarded-without-date", path.key("status"), format!("{} is offboarded but has no `offboarded_on` date", p.handle))
                        .help("add `offboarded_on = <date>`: reviews and the ledger need to know from when access must be gone"),
                ),
                (Status::Active, Some(day)) if day < self.today => out.push(
                    Diagnostic::warning("offboarding-overdue", path.key("offboarded_on"), format!("{} was due to leave on {day} but is still active", p.handle))
                        .help("run `palisade offboard` for them, or correct the date"),
                ),
                _ => {}
            }

            let mut holds_production = false;
            for (j, rid) in p.roles.iter().enumerate() {
                let rpath = path.key("roles").index(j);
                let Some(r) = self.roles.resolve(out, rid, || rpath.clone()) else {
                    continue;
                };
                let role = &model.roles[r];
                let reach = index.role_reach(RoleId::at(r));
                holds_production |= reach.any;
                if p.status == Status::Offboarded {
                    out.push(
                        Diagnostic::error(
                            "offboarded-holds-role",
                            rpath.clone(),
                            format!("{} is offboarded but still holds role `{rid}`", p.handle),
                        )
                        .also(path.key("status"), "offboarded here")
                        .help("remove the role: people who left must hold nothing"),
                    );
                }
                let Some(team) = team else { continue };
                if !role.team_kinds.is_empty() && !role.team_kinds.contains(&team.kind) {
                    out.push(
                        Diagnostic::error(
                            "role-not-allowed",
                            rpath.clone(),
                            format!(
                                "role `{rid}` is not for {} teams, and {} is in `{}`",
                                kind_name(team.kind),
                                p.handle,
                                team.id
                            ),
                        )
                        .also(
                            ModelPath::root().key("roles").index(r).key("team_kinds"),
                            "allowed team kinds",
                        )
                        .help("remove the role from this person, or widen the role's `team_kinds`"),
                    );
                }
                if team.kind == TeamKind::Vendor
                    && let Some(phase) = team.phase
                {
                    if !role.phases.is_empty() && !role.phases.contains(&phase) {
                        out.push(
                            Diagnostic::error(
                                "role-not-allowed",
                                rpath.clone(),
                                format!(
                                    "role `{rid}` is not for teams in phase `{}`, and `{}` is",
                                    phase.key(),
                                    team.id
                                ),
                            )
                            .also(
                                ModelPath::root().key("roles").index(r).key("phases"),
                                "allowed phases",
                            )
                            .help("move the team to a phase the role allows, or remove the role"),
                        );
                    }
                    if phase == Phase::Observe && reach.any {
                        out.push(
                                Diagnostic::error("observe-phase-production-role", rpath.clone(), format!("{} holds production role `{rid}`, but vendor team `{}` is still in phase `observe`", p.handle, team.id))
                                    .help("teams that observe get no production access; move the team to `co-deliver` first or remove the role"),
                            );
                    }
                }
                if reach.admin && p.status == Status::Active {
                    out.push(
                        Diagnostic::warning("standing-production-admin", rpath.clone(), format!("{} holds admin on production as a standing role (`{rid}`)", p.handle))
                            .help("grant production admin just in time instead (`palisade access request`)"),
                    );
                }
            }

            if holds_production && p.status == Status::Active {
                self.vetting(out, i);
            }
        }
    }

    fn vetting(&self, out: &mut Vec<Diagnostic>, i: usize) {
        let p = &self.model.people[i];
        let path = ModelPath::root().key("people").index(i);
        let status = self.index.vetting(PersonId::at(i), self.today);
        let missing: Vec<&str> = status.missing().map(|r| r.key()).collect();
        if !missing.is_empty() {
            out.push(
                Diagnostic::error(
                    "vetting-missing",
                    path.key("roles"),
                    format!(
                        "{} holds a production role but has no record of: {}",
                        p.handle,
                        missing.join(", ")
                    ),
                )
                .help(format!(
                    "record the dates under [people.vetting] for {}, or remove the production role",
                    p.handle
                )),
            );
        }
        for item in &status.items {
            let key = item.record.key();
            match item.state {
                VettingState::Stale {
                    age_days,
                    max_age_days,
                } => out.push(
                    Diagnostic::error(
                        "vetting-stale",
                        path.key("vetting").key(key),
                        format!(
                            "{}'s {} is {age_days} days old; policy allows {max_age_days} for production access",
                            p.handle,
                            key.replace('_', " ")
                        ),
                    )
                    .help("renew it and record the new date, or remove the production role"),
                ),
                VettingState::Future => out.push(
                    Diagnostic::error(
                        "invalid-dates",
                        path.key("vetting").key(key),
                        format!(
                            "{}'s {} is dated in the future ({})",
                            p.handle,
                            key.replace('_', " "),
                            item.done.map(|d| d.to_string()).unwrap_or_default()
                        ),
                    )
                    .help("record the day it was actually done"),
                ),
                VettingState::Missing | VettingState::Current { .. } => {}
            }
        }
    }

    /// A team's GitHub team and GitLab group: well formed, and no other team's.
    fn code_host_team(&self, out: &mut Vec<Diagnostic>, i: usize) {
        let team = &self.model.teams[i];
        let path = ModelPath::root().key("teams").index(i);
        for (field, value, problem, system) in [
            (
                "github_team",
                &team.github_team,
                github_team_problem as fn(&str) -> Option<String>,
                "GitHub team",
            ),
            (
                "gitlab_group",
                &team.gitlab_group,
                gitlab_group_problem,
                "GitLab group",
            ),
        ] {
            let Some(value) = value else { continue };
            if let Some(why) = problem(value) {
                out.push(
                    Diagnostic::error("invalid-code-host-team", path.key(field), format!("`{value}` is not a valid {system}: {why}"))
                        .help(match field {
                            "github_team" => "write the team as CODEOWNERS names it, without the `@`: `acme/payments`",
                            _ => "write the group's full path as GitLab shows it: `acme/payments`",
                        }),
                );
            }
        }
        for c in self
            .index
            .team_conflicts
            .iter()
            .filter(|c| c.second.index() == i)
        {
            let first = &self.model.teams[c.first.index()];
            out.push(
                Diagnostic::error(
                    "duplicate-identity",
                    path.key(c.field),
                    format!(
                        "teams `{}` and `{}` both name `{}` as their {}",
                        first.id,
                        team.id,
                        match c.field {
                            "github_team" => team.github_team.as_deref(),
                            _ => team.gitlab_group.as_deref(),
                        }
                        .unwrap_or_default(),
                        if c.field == "github_team" {
                            "GitHub team"
                        } else {
                            "GitLab group"
                        }
                    ),
                )
                .also(
                    at("teams", c.first.index(), c.field),
                    format!("`{}` names it first", first.id),
                )
                .help("a code-host team maps to one team of the model; correct one of them"),
            );
        }
    }

    fn vendors(&self, out: &mut Vec<Diagnostic>) {
        for (i, v) in self.model.vendors.iter().enumerate() {
            let path = ModelPath::root().key("vendors").index(i);
            if v.name.trim().is_empty() {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        path.key("name"),
                        format!("vendor `{}` has an empty name", v.id),
                    )
                    .help("write the company's legal name, as its contracts do"),
                );
            }
            if let Some(contact) = &v.contact
                && let Some(how) = email_problem(contact.trim())
            {
                out.push(
                    Diagnostic::error(
                        "invalid-email",
                        path.key("contact"),
                        format!("`{contact}` is not an email address"),
                    )
                    .help(how),
                );
            }
        }
    }

    /// People's identities: each well formed, and each one person's.
    fn identities(&self, out: &mut Vec<Diagnostic>) {
        for (i, p) in self.model.people.iter().enumerate() {
            let path = ModelPath::root().key("people").index(i);
            let emails = std::iter::once((path.key("email"), &p.email)).chain(
                p.emails
                    .iter()
                    .enumerate()
                    .map(|(j, e)| (path.key("emails").index(j), e)),
            );
            for (at_path, email) in emails {
                if let Some(how) = email_problem(email.trim()) {
                    out.push(
                        Diagnostic::error(
                            "invalid-email",
                            at_path,
                            format!("`{email}` is not an email address"),
                        )
                        .help(how),
                    );
                }
            }
            for (field, login, problem, system) in [
                (
                    "github",
                    &p.github,
                    github_login_problem as fn(&str) -> Option<String>,
                    "GitHub",
                ),
                ("gitlab", &p.gitlab, gitlab_name_problem, "GitLab"),
            ] {
                if let Some(login) = login
                    && let Some(why) = problem(login)
                {
                    out.push(
                        Diagnostic::error(
                            "invalid-login",
                            path.key(field),
                            format!("`{login}` is not a valid {system} login: {why}"),
                        )
                        .label("not a login")
                        .help(format!("copy the login from the person's {system} profile")),
                    );
                }
            }
            for (j, pr) in p.ssh_principals.iter().enumerate() {
                if let Some(why) = ssh_principal_problem(pr) {
                    out.push(
                        Diagnostic::error("invalid-principal", path.key("ssh_principals").index(j), format!("`{pr}` is not a valid SSH principal: {why}"))
                            .help("list each principal as its own string, e.g. ssh_principals = [\"asha\", \"asha-admin\"]"),
                    );
                }
            }
        }
        let slot_path = |s: &crate::index::IdentitySlot| {
            let p = at("people", s.person.index(), s.field());
            match s.position {
                Some(j) => p.index(j),
                None => p,
            }
        };
        for c in &self.index.identity_conflicts {
            let first = &self.model.people[c.first.person.index()];
            let second = &self.model.people[c.second.person.index()];
            let d = if c.first.person == c.second.person {
                Diagnostic::warning(
                    "duplicate-identity",
                    slot_path(&c.second),
                    format!(
                        "{} lists the {} `{}` twice",
                        second.handle, c.second.kind, c.value
                    ),
                )
                .also(slot_path(&c.first), "first listed here")
                .help("remove the repeat")
            } else {
                let what = if c.first.kind == c.second.kind {
                    format!("{}'s {}", first.handle, c.first.kind)
                } else {
                    format!(
                        "{}'s {} (`{}`)",
                        first.handle,
                        c.first.kind,
                        self.identity_value(&c.first)
                    )
                };
                let case = if c.first.kind.ignores_case() && c.second.kind.ignores_case() {
                    ", ignoring case"
                } else {
                    ""
                };
                Diagnostic::error(
                    "duplicate-identity",
                    slot_path(&c.second),
                    format!("{}'s {} `{}` is already {what}{case}", second.handle, c.second.kind, c.value),
                )
                .label(format!("claimed by {} too", second.handle))
                .also(slot_path(&c.first), format!("{}'s", first.handle))
                .help("an identity names one person, so that a login in an audit log or a commit resolves to exactly one person; correct one of them")
            };
            out.push(d);
        }
    }

    fn identity_value(&self, slot: &crate::index::IdentitySlot) -> String {
        let p = &self.model.people[slot.person.index()];
        match (slot.kind, slot.position) {
            (IdentityKind::Handle, _) => p.handle.clone(),
            (IdentityKind::Email, None) => p.email.clone(),
            (IdentityKind::Email, Some(j)) => p.emails[j].clone(),
            (IdentityKind::Github, _) => p.github.clone().unwrap_or_default(),
            (IdentityKind::Gitlab, _) => p.gitlab.clone().unwrap_or_default(),
            (IdentityKind::SshPrincipal, Some(j)) => p.ssh_principals[j].clone(),
            (_, _) => String::new(),
        }
    }

    fn services(&self, out: &mut Vec<Diagnostic>) {
        let model = self.model;
        // Each glob once; then one (service, path index, repo, glob) entry per
        // repository the service lives in.
        let mut compiled: Vec<Glob> = Vec::new();
        let mut globs: Vec<(usize, usize, &str, usize)> = Vec::new();
        for (i, s) in model.services.iter().enumerate() {
            let path = ModelPath::root().key("services").index(i);
            self.teams.resolve(out, &s.team, || path.key("team"));
            let owner = self.people.resolve(out, &s.owner, || path.key("owner"));
            let backup = match &s.backup_owner {
                None => {
                    out.push(
                        Diagnostic::error("missing-backup-owner", path.key("owner"), format!("service `{}` has no backup owner", s.id))
                            .label("the only owner")
                            .help("add `backup_owner = \"<handle>\"`, ideally someone in another time zone, so the service is never unowned"),
                    );
                    None
                }
                Some(b) if b == &s.owner => {
                    out.push(
                        Diagnostic::error(
                            "same-primary-and-backup",
                            path.key("backup_owner"),
                            format!(
                                "service `{}` has `{b}` as both primary and backup owner",
                                s.id
                            ),
                        )
                        .also(path.key("owner"), "primary owner")
                        .help("choose a different person as backup owner"),
                    );
                    None
                }
                Some(b) => self.people.resolve(out, b, || path.key("backup_owner")),
            };
            for (who, field) in [(owner, "owner"), (backup, "backup_owner")] {
                let Some(p) = who else { continue };
                let person = &model.people[p];
                if person.status == Status::Offboarded {
                    out.push(
                        Diagnostic::error(
                            "offboarded-owner",
                            path.key(field),
                            format!(
                                "service `{}` is owned by {}, who is offboarded",
                                s.id, person.handle
                            ),
                        )
                        .also(at("people", p, "status"), "offboarded here")
                        .help("hand the service to an active person before offboarding completes"),
                    );
                }
            }
            for (j, h) in s.escalation.iter().enumerate() {
                if let Some(p) = self
                    .people
                    .resolve(out, h, || path.key("escalation").index(j))
                    && model.people[p].status == Status::Offboarded
                {
                    out.push(
                        Diagnostic::warning(
                            "offboarded-in-escalation",
                            path.key("escalation").index(j),
                            format!(
                                "{} is offboarded but still in the escalation of `{}`",
                                h, s.id
                            ),
                        )
                        .help("remove them from the escalation"),
                    );
                }
            }
            for (j, e) in s.environments.iter().enumerate() {
                self.envs
                    .resolve(out, e, || path.key("environments").index(j));
            }
            if s.risk >= RiskTier::High && s.runbook.is_none() {
                out.push(
                    Diagnostic::warning("missing-runbook", path.key("risk"), format!("{} service `{}` has no runbook", s.risk.key(), s.id))
                        .help("add `runbook = \"docs/runbooks/<service>.md\"`; on-call in another time zone needs it at 3 AM"),
                );
            }
            if model.gates.tiers.get(s.risk).is_none() {
                out.push(
                    Diagnostic::error(
                        "missing-gate",
                        path.key("risk"),
                        format!("no gate is defined for risk tier `{}`", s.risk.key()),
                    )
                    .help(format!(
                        "add a [gates.tiers.{}] table with the controls such changes need",
                        s.risk.key()
                    )),
                );
            }
            for (j, repo) in s.repos.iter().enumerate() {
                let ok = repo
                    .split_once('/')
                    .is_some_and(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
                    && !repo.contains(char::is_whitespace);
                if !ok {
                    out.push(
                        Diagnostic::error(
                            "invalid-repo",
                            path.key("repos").index(j),
                            format!("`{repo}` is not a repository name"),
                        )
                        .help("write repositories as `owner/name`"),
                    );
                }
            }
            if s.paths.is_empty() {
                out.push(
                    Diagnostic::warning(
                        "no-paths",
                        path.key("id"),
                        format!(
                            "service `{}` claims no paths, so no change is ever attributed to it",
                            s.id
                        ),
                    )
                    .help("add `paths = [\"services/<name>/**\"]`"),
                );
            }
            for (j, g) in s.paths.iter().enumerate() {
                let compiled_glob = match &self.index.service_globs[i][j] {
                    Ok(glob) => Some(glob.clone()),
                    Err(e) => {
                        glob_error(out, g, e, || path.key("paths").index(j));
                        None
                    }
                };
                if let Some(glob) = compiled_glob {
                    compiled.push(glob);
                    let k = compiled.len() - 1;
                    if s.repos.is_empty() {
                        globs.push((i, j, "", k));
                    }
                    for repo in &s.repos {
                        globs.push((i, j, repo.as_str(), k));
                    }
                }
            }
        }

        // GitHub and GitLab ignore the case of repository names; so does the index.
        let repos: Vec<String> = globs.iter().map(|g| g.2.to_ascii_lowercase()).collect();
        let refs: Vec<(&str, &Glob)> = globs
            .iter()
            .zip(&repos)
            .map(|(&(_, _, _, k), repo)| (repo.as_str(), &compiled[k]))
            .collect();
        let mut reported = HashSet::new();
        let (pairs, truncated) = overlapping_pairs(&refs, MAX_OVERLAPS);
        if truncated {
            out.push(
                Diagnostic::error(
                    "overlapping-paths",
                    ModelPath::root().key("services"),
                    format!("more than {MAX_OVERLAPS} pairs of service globs overlap; only the first are listed"),
                )
                .help("services' paths overlap wholesale: give each service its own directory"),
            );
        }
        for (a, b, witness) in pairs {
            let (sa, pa) = (globs[a].0, globs[a].1);
            let (sb, pb) = (globs[b].0, globs[b].1);
            if sa == sb || !reported.insert((sa.min(sb), sa.max(sb), pa, pb)) {
                continue;
            }
            let (first, second) = if (sa, pa) < (sb, pb) {
                ((sa, pa), (sb, pb))
            } else {
                ((sb, pb), (sa, pa))
            };
            let (s1, s2) = (&model.services[first.0], &model.services[second.0]);
            let repo = if globs[a].2.is_empty() {
                String::new()
            } else {
                format!(" in {}", globs[a].2)
            };
            out.push(
                Diagnostic::error("overlapping-paths", at("services", second.0, "paths").index(second.1), format!("services `{}` and `{}` both claim `{witness}`{repo}", s2.id, s1.id))
                    .label(format!("claimed by `{}`", s2.id))
                    .also(at("services", first.0, "paths").index(first.1), format!("also claimed by `{}`", s1.id))
                    .help("every file needs exactly one owning service; narrow one glob or exclude the shared directory"),
            );
        }
    }

    fn gates(&self, out: &mut Vec<Diagnostic>) {
        let tiers = &self.model.gates.tiers;
        let mut previous: Option<(RiskTier, &crate::types::GateControls)> = None;
        for tier in RiskTier::ALL {
            let Some(controls) = tiers.get(tier) else {
                continue;
            };
            if let Some((lower, lc)) = previous {
                let mut weaker = Vec::new();
                let flags = [
                    ("tests", lc.tests, controls.tests),
                    ("secret_scan", lc.secret_scan, controls.secret_scan),
                    (
                        "internal_approval",
                        lc.internal_approval,
                        controls.internal_approval,
                    ),
                    ("docs_updated", lc.docs_updated, controls.docs_updated),
                    (
                        "signed_artifact",
                        lc.signed_artifact,
                        controls.signed_artifact,
                    ),
                    ("rollback_plan", lc.rollback_plan, controls.rollback_plan),
                ];
                weaker.extend(flags.iter().filter(|f| f.1 && !f.2).map(|f| f.0.to_owned()));
                if controls.owner_approvals < lc.owner_approvals {
                    weaker.push(format!(
                        "owner_approvals ({} < {})",
                        controls.owner_approvals, lc.owner_approvals
                    ));
                }
                match (lc.static_analysis, controls.static_analysis) {
                    (Some(_), None) => weaker.push("static_analysis".to_owned()),
                    (Some(l), Some(h)) if h > l => {
                        weaker.push("static_analysis (a laxer threshold)".to_owned())
                    }
                    _ => {}
                }
                if !weaker.is_empty() {
                    out.push(
                        Diagnostic::warning(
                            "gate-weaker-than-lower-tier",
                            ModelPath::root().key("gates").key("tiers").key(tier.key()),
                            format!(
                                "the `{}` gate is weaker than the `{}` gate in: {}",
                                tier.key(),
                                lower.key(),
                                weaker.join(", ")
                            ),
                        )
                        .help("a riskier tier should require at least what a safer one does"),
                    );
                }
            }
            previous = Some((tier, controls));
        }
        for (i, rule) in self.model.gates.path_rules.iter().enumerate() {
            for (j, g) in rule.paths.iter().enumerate() {
                check_glob(out, g, || {
                    ModelPath::root()
                        .key("gates")
                        .key("path_rules")
                        .index(i)
                        .key("paths")
                        .index(j)
                });
            }
            if tiers.get(rule.raise_to).is_none() {
                out.push(
                    Diagnostic::error(
                        "missing-gate",
                        ModelPath::root()
                            .key("gates")
                            .key("path_rules")
                            .index(i)
                            .key("raise_to"),
                        format!(
                            "path rule `{}` raises to `{}`, which has no gate",
                            rule.name,
                            rule.raise_to.key()
                        ),
                    )
                    .help(format!("add a [gates.tiers.{}] table", rule.raise_to.key())),
                );
            }
        }
        self.environment_gates(out);
        self.signers(out);
        self.waivers(out);
    }

    fn environment_gates(&self, out: &mut Vec<Diagnostic>) {
        let tiers = &self.model.gates.tiers;
        for (i, g) in self.model.gates.environments.iter().enumerate() {
            let path = ModelPath::root().key("gates").key("environments").index(i);
            self.envs
                .resolve(out, &g.environment, || path.key("environment"));
            if tiers.get(g.min_tier).is_none() {
                out.push(
                    Diagnostic::error(
                        "missing-gate",
                        path.key("min_tier"),
                        format!(
                            "environment `{}` needs at least `{}`, which has no gate",
                            g.environment,
                            g.min_tier.key()
                        ),
                    )
                    .help(format!("add a [gates.tiers.{}] table", g.min_tier.key())),
                );
            }
        }
    }

    fn signers(&self, out: &mut Vec<Diagnostic>) {
        let mut seen: Vec<&str> = Vec::new();
        for (i, signer) in self.model.gates.signers.iter().enumerate() {
            let path = ModelPath::root().key("gates").key("signers").index(i);
            if seen.contains(&signer.id.as_str()) {
                out.push(
                    Diagnostic::error(
                        "duplicate-id",
                        path.key("id"),
                        format!("signer `{}` is listed twice", signer.id),
                    )
                    .help("give every signer its own id"),
                );
            }
            seen.push(&signer.id);
            if let Some(day) = signer.expires
                && day < self.today
            {
                out.push(
                    Diagnostic::warning(
                        "signer-expired",
                        path.key("expires"),
                        format!("signer `{}` expired on {day}: the gate no longer accepts its signatures", signer.id),
                    )
                    .help("list the key that replaced it, and remove this one once nothing needs it"),
                );
            }
            let key = signer.key.trim();
            if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                out.push(
                    Diagnostic::error(
                        "invalid-signer-key",
                        path.key("key"),
                        format!(
                            "signer `{}` has a key of {} characters that is not 64 hex digits",
                            signer.id,
                            key.len()
                        ),
                    )
                    .help("write the Ed25519 public key as 64 hex digits, as securesystemslib's `keyval.public` holds it"),
                );
            }
        }
    }

    fn waivers(&self, out: &mut Vec<Diagnostic>) {
        let mut seen: Vec<&str> = Vec::new();
        for (i, waiver) in self.model.gates.waivers.iter().enumerate() {
            let path = ModelPath::root().key("gates").key("waivers").index(i);
            if let Some(problem) = id_problem(&waiver.id) {
                out.push(
                    Diagnostic::error(
                        "invalid-id",
                        path.key("id"),
                        format!("waiver id `{}` {problem}", waiver.id),
                    )
                    .help("use lowercase letters, digits and `-`, e.g. `legacy-billing-no-sast`"),
                );
            }
            if seen.contains(&waiver.id.as_str()) {
                out.push(
                    Diagnostic::error(
                        "duplicate-id",
                        path.key("id"),
                        format!("waiver `{}` is listed twice", waiver.id),
                    )
                    .help("give every waiver its own id"),
                );
            }
            seen.push(&waiver.id);
            for (j, service) in waiver.services.iter().enumerate() {
                if self.index.service_by_id(service).is_none() {
                    let nearest =
                        did_you_mean(service, self.model.services.iter().map(|s| s.id.as_str()));
                    let mut d = Diagnostic::error(
                        "unknown-service",
                        path.key("services").index(j),
                        format!("waiver `{}` names no known service `{service}`", waiver.id),
                    );
                    d = d.help(match nearest {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "name a service by its id in [[services]]".to_owned(),
                    });
                    out.push(d);
                }
            }
            for (j, g) in waiver.paths.iter().enumerate() {
                check_glob(out, g, || path.key("paths").index(j));
            }
            if waiver.services.is_empty() && waiver.paths.is_empty() {
                out.push(
                    Diagnostic::warning(
                        "waiver-covers-everything",
                        path.key("control"),
                        format!(
                            "waiver `{}` names no services and no paths, so it waives `{}` for every change",
                            waiver.id,
                            waiver.control.key()
                        ),
                    )
                    .help("name the `services` or `paths` it is for"),
                );
            }
            if let Some(p) = self
                .people
                .resolve(out, &waiver.approved_by, || path.key("approved_by"))
            {
                let person = &self.model.people[p];
                if person.status == Status::Offboarded {
                    out.push(
                        Diagnostic::warning(
                            "offboarded-approver",
                            path.key("approved_by"),
                            format!(
                                "waiver `{}` was approved by {}, who is offboarded",
                                waiver.id, person.handle
                            ),
                        )
                        .help("have an active owner re-approve it, or let it expire"),
                    );
                }
                if self.index.is_vendor(PersonId::at(p)) {
                    out.push(
                        Diagnostic::error(
                            "vendor-approved-waiver",
                            path.key("approved_by"),
                            format!(
                                "waiver `{}` is approved by {}, a member of a vendor team",
                                waiver.id, person.handle
                            ),
                        )
                        .help("a waiver of a control needs an approver from an internal team"),
                    );
                }
            }
            if waiver.reason.trim().is_empty() {
                out.push(
                    Diagnostic::error(
                        "waiver-without-reason",
                        path.key("reason"),
                        format!("waiver `{}` gives no reason", waiver.id),
                    )
                    .help("say why the control cannot be met and what replaces it"),
                );
            }
            if waiver.expires < self.today {
                out.push(
                    Diagnostic::error(
                        "waiver-expired",
                        path.key("expires"),
                        format!(
                            "waiver `{}` of `{}` expired on {}",
                            waiver.id,
                            waiver.control.key(),
                            waiver.expires
                        ),
                    )
                    .help("meet the control, or renew the waiver with a new approver and expiry; the gate no longer honours it"),
                );
            }
        }
    }
}

impl Validator<'_, '_> {
    /// Shared credentials: valid, unique ids; everyone who knows one is a
    /// person or team of the model; and one that someone who has left still
    /// knows is a warning until it is rotated and they are taken off it.
    fn shared_credentials(&self, out: &mut Vec<Diagnostic>) {
        let mut seen: Vec<&str> = Vec::new();
        for (i, cred) in self.model.shared_credentials.iter().enumerate() {
            let path = ModelPath::root().key("shared_credentials").index(i);
            if let Some(problem) = id_problem(&cred.id) {
                out.push(
                    Diagnostic::error(
                        "invalid-id",
                        path.key("id"),
                        format!("invalid shared credential id `{}`: {problem}", cred.id),
                    )
                    .label("invalid id")
                    .help("ids are lower-case letters, digits, `-`, `_` and `.`, starting with a letter or digit"),
                );
            }
            if let Some(first) = seen.iter().position(|id| *id == cred.id) {
                out.push(
                    Diagnostic::error(
                        "duplicate-id",
                        path.key("id"),
                        format!("shared credential `{}` is defined twice", cred.id),
                    )
                    .label("second definition")
                    .also(at("shared_credentials", first, "id"), "first defined here")
                    .help("give every shared credential its own id"),
                );
            }
            seen.push(&cred.id);
            if cred.known_by.is_empty() {
                out.push(
                    Diagnostic::warning(
                        "shared-credential-known-by-nobody",
                        path.key("known_by"),
                        format!("nobody is listed as knowing shared credential `{}`", cred.id),
                    )
                    .help("list the people (handles) and teams (ids) who know it, so that it is rotated when one of them leaves"),
                );
            }
            for (j, name) in cred.known_by.iter().enumerate() {
                if let Some(p) = self.index.person_by_handle(name) {
                    let person = self.index.person(p);
                    if person.status == Status::Offboarded {
                        out.push(
                            Diagnostic::warning(
                                "shared-credential-known-by-offboarded",
                                path.key("known_by").index(j),
                                format!(
                                    "shared credential `{}` is known by {name}, who is offboarded",
                                    cred.id
                                ),
                            )
                            .also(at("people", p.index(), "status"), "offboarded here")
                            .help("rotate it, then take them off `known_by`"),
                        );
                    }
                    continue;
                }
                if self.index.team_by_id(name).is_some() {
                    continue;
                }
                let candidates = self
                    .index
                    .ids_of("people")
                    .into_iter()
                    .chain(self.index.ids_of("teams"));
                let d = Diagnostic::error(
                    "unknown-reference",
                    path.key("known_by").index(j),
                    format!("unknown person or team `{name}`"),
                )
                .label("no person has this handle and no team this id");
                out.push(match did_you_mean(name, candidates) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None => d.help("name a person by their handle or a team by its id"),
                });
            }
            if let Some(env) = &cred.environment {
                self.envs.resolve(out, env, || path.key("environment"));
            }
            if cred.rotate.as_deref().is_some_and(|r| r.trim().is_empty()) {
                out.push(
                    Diagnostic::warning(
                        "shared-credential-rotation-empty",
                        path.key("rotate"),
                        format!("shared credential `{}` says nothing about how to rotate it", cred.id),
                    )
                    .help("say where and how it is rotated (a runbook, a console page), or leave `rotate` out"),
                );
            }
        }
    }
}

impl Validator<'_, '_> {
    /// `[monitor]`: thresholds that make sense, mappings with known kinds,
    /// alert hooks with known kinds; and each role's `repositories`.
    fn monitor(&self, out: &mut Vec<Diagnostic>) {
        let m = &self.model.monitor;
        let path = ModelPath::root().key("monitor");
        let one_of = |out: &mut Vec<Diagnostic>,
                      value: &str,
                      allowed: &[&str],
                      at: ModelPath,
                      what: &str| {
            if !allowed.contains(&value) {
                let d =
                    Diagnostic::error("invalid-value", at, format!("`{value}` is not a {what}"))
                        .label(format!("one of {}", allowed.join(", ")));
                out.push(match did_you_mean(value, allowed.iter().copied()) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None => d.help(format!("write one of {}", allowed.join(", "))),
                });
            }
        };
        for (key, value) in [
            ("mass_download_repositories", m.mass_download_repositories),
            ("failed_logins", m.failed_logins),
            ("baseline_factor", m.baseline_factor),
        ] {
            if value == 0 {
                out.push(
                    Diagnostic::error("invalid-value", path.key(key), format!("{key} is 0"))
                        .label("must be at least 1")
                        .help("0 would alert on everything; raise it, or leave it out for the default"),
                );
            }
        }
        if !(m.rare_hour_share > 0.0 && m.rare_hour_share < 1.0) {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    path.key("rare_hour_share"),
                    format!("rare_hour_share is {}", m.rare_hour_share),
                )
                .label("must be between 0 and 1")
                .help("a share of a person's history, e.g. 0.005 for half a percent"),
            );
        }
        let mut names: Vec<&str> = Vec::new();
        for (i, n) in m.ndjson.iter().enumerate() {
            let at = path.key("ndjson").index(i);
            if let Some(problem) = id_problem(&n.name) {
                out.push(
                    Diagnostic::error(
                        "invalid-id",
                        at.key("name"),
                        format!("invalid ndjson source name `{}`: {problem}", n.name),
                    )
                    .label("invalid name")
                    .help("names are lower-case letters, digits, `-`, `_` and `.`"),
                );
            }
            if names.contains(&n.name.as_str()) {
                out.push(
                    Diagnostic::error(
                        "duplicate-id",
                        at.key("name"),
                        format!("ndjson source `{}` is defined twice", n.name),
                    )
                    .label("second definition")
                    .help("give every source its own name"),
                );
            }
            names.push(&n.name);
            one_of(
                out,
                &n.time_format,
                &["rfc3339", "epoch_s", "epoch_ms"],
                at.key("time_format"),
                "time format",
            );
            one_of(
                out,
                &n.actor_kind,
                &["email", "github", "gitlab", "ssh_principal", "handle"],
                at.key("actor_kind"),
                "kind of actor name",
            );
            if let Some(kind) = &n.resource_kind {
                one_of(
                    out,
                    kind,
                    &["repository", "host", "database"],
                    at.key("resource_kind"),
                    "kind of resource",
                );
            }
            for (key, field) in [
                ("time", &n.time),
                ("actor", &n.actor),
                ("action", &n.action),
            ] {
                if field.trim().is_empty() {
                    out.push(
                        Diagnostic::error("invalid-value", at.key(key), format!("the {key} field is empty"))
                            .label("name a field")
                            .help("name the field that holds it; a dotted path reaches into nested objects"),
                    );
                }
            }
        }
        for (i, hook) in m.alert_hooks.iter().enumerate() {
            let at = path.key("alert_hooks").index(i);
            one_of(
                out,
                &hook.kind,
                &["slack", "webhook"],
                at.key("kind"),
                "kind of alert hook",
            );
            if let Some(sev) = &hook.min_severity {
                one_of(
                    out,
                    sev,
                    &["low", "medium", "high", "critical"],
                    at.key("min_severity"),
                    "severity",
                );
            }
            if hook.kind == "webhook" && hook.secret_env.is_none() {
                out.push(
                    Diagnostic::error(
                        "missing-field",
                        at.clone(),
                        "a signed webhook needs secret_env".to_owned(),
                    )
                    .label("no secret")
                    .help("name the environment variable that holds its whsec_ secret"),
                );
            }
        }
        for (i, role) in self.model.roles.iter().enumerate() {
            for (j, repo) in role.repositories.iter().enumerate() {
                let ok = repo.split_once('/').is_some_and(|(o, n)| {
                    !o.is_empty()
                        && !n.is_empty()
                        && !n.contains('/')
                        && !repo.contains(char::is_whitespace)
                });
                if !ok {
                    out.push(
                        Diagnostic::error(
                            "invalid-value",
                            ModelPath::root().key("roles").index(i).key("repositories").index(j),
                            format!("`{repo}` is not a repository"),
                        )
                        .label("write owner/name")
                        .help("a repository is `owner/name`; `*` stands for any characters within a part, e.g. `acme/payments-*`"),
                    );
                }
            }
        }
    }
}

impl Validator<'_, '_> {
    /// `[metrics]` and `[org.policy.readiness]`: a severity scale with no
    /// blank or repeated step, and readiness percentages that can be met.
    fn metrics(&self, out: &mut Vec<Diagnostic>) {
        let scale = &self.model.metrics.incident_severities;
        let at = ModelPath::root().key("metrics").key("incident_severities");
        if scale.is_empty() {
            out.push(
                Diagnostic::error("invalid-value", at.clone(), "the incident severity scale is empty".to_owned())
                    .label("no severities")
                    .help("list them most severe first, e.g. `incident_severities = [\"sev1\", \"sev2\", \"sev3\"]`, or leave the key out for sev1 to sev4"),
            );
        }
        for (i, sev) in scale.iter().enumerate() {
            if sev.trim().is_empty() || sev.contains(char::is_whitespace) {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        at.clone().index(i),
                        format!("`{sev}` is not a severity name"),
                    )
                    .label("blank or with spaces")
                    .help("a severity is one word, e.g. `sev1` or `critical`"),
                );
            } else if scale[..i].contains(sev) {
                out.push(
                    Diagnostic::error(
                        "duplicate-id",
                        at.clone().index(i),
                        format!("severity `{sev}` is listed twice"),
                    )
                    .label("repeated")
                    .help("each step of the scale appears once, most severe first"),
                );
            }
        }
        let r = &self.model.org.policy.readiness;
        let at = ModelPath::root().key("org").key("policy").key("readiness");
        for (key, pct) in [
            ("gated_deployments_pct", r.gated_deployments_pct),
            ("gated_deployments_warn_pct", r.gated_deployments_warn_pct),
        ] {
            if pct > 100 {
                out.push(
                    Diagnostic::error(
                        "invalid-value",
                        at.clone().key(key),
                        format!("{pct}% is more than all deployments"),
                    )
                    .label("above 100")
                    .help("write a percentage from 0 to 100"),
                );
            }
        }
        if r.gated_deployments_warn_pct > r.gated_deployments_pct {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    at.clone().key("gated_deployments_warn_pct"),
                    format!(
                        "the warning line ({}%) is above the passing line ({}%)",
                        r.gated_deployments_warn_pct, r.gated_deployments_pct
                    ),
                )
                .label("above gated_deployments_pct")
                .help("below gated_deployments_pct the control warns, below this it fails: make it the lower of the two"),
            );
        }
        if r.trend_months < 2 {
            out.push(
                Diagnostic::error(
                    "invalid-value",
                    at.key("trend_months"),
                    format!("a trend over {} month cannot worsen", r.trend_months),
                )
                .label("fewer than 2")
                .help("compare at least two months, e.g. `trend_months = 3`"),
            );
        }
    }
}

/// A valid host name or pattern of a resource, where it is written.
struct HostAt {
    key: String,
    env: usize,
    resource: usize,
    position: usize,
}

/// What is wrong with a host name or pattern, if anything.
fn host_problem(host: &str) -> Option<&'static str> {
    if host.is_empty() {
        return Some("it is empty");
    }
    if host.len() > 253 {
        return Some("it is longer than 253 characters");
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    if name
        .split('.')
        .any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-'))
    {
        return Some("a label (between dots) is empty, or starts or ends with a hyphen");
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '*' | '?' | ':'))
    {
        return Some("host names have letters, digits, `-`, `.` (and `*`, `?` in patterns)");
    }
    None
}

fn kind_name(kind: TeamKind) -> &'static str {
    match kind {
        TeamKind::Internal => "internal",
        TeamKind::Vendor => "vendor",
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn join<'s>(items: impl Iterator<Item = &'s str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}
