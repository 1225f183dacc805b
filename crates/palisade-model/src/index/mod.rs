//! The model's index: built once from a parsed model, immutable, and shared
//! by every engine and by validation. It answers the questions the engines
//! ask (who is this login, who owns this path, what may this person do, is
//! their vetting current) without a scan of the model.
//!
//! The index never fails to build: on a model with errors it keeps the
//! first of each duplicate and skips references it cannot resolve, and it
//! records what it skipped so that validation can report it. Engines build
//! it from a model that `check` accepted, where nothing is skipped.

mod access;
pub mod identity;
mod paths;
mod people;
pub mod profile;

use std::borrow::Cow;
use std::collections::HashMap;

use crate::glob::{Glob, GlobError};
use crate::types::{
    Contract, Environment, Model, Person, Phase, Resource, ResourceKind, Role, Service, Status,
    Team, TeamKind, Vendor,
};
use crate::values::{HoursError, WorkingHours};

pub use access::{EffectiveGrant, ProductionReach};
pub use identity::IdentityKind;
use identity::{fold, with_folded};
pub use people::{VettingItem, VettingRecord, VettingState, VettingStatus};
pub use profile::Profile;

/// The index's maps: keys are short names, and foldhash is several times
/// faster than SipHash on them.
/// Seeded per map, so that a model crafted for collisions cannot make
/// building the index quadratic.
pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

fn map_with<K, V>(capacity: usize) -> Map<K, V> {
    Map::with_capacity_and_hasher(capacity, foldhash::fast::RandomState::default())
}

/// An id type: a position in one list of the model.
trait Position: Copy {
    fn at(i: usize) -> Self;
    fn position(self) -> usize;
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl $name {
            /// The position in its list of the model.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            pub(crate) fn at(i: usize) -> Self {
                // Lists are bounded by the model's size limit, far below u32::MAX.
                Self(u32::try_from(i).unwrap_or(u32::MAX))
            }
        }

        impl Position for $name {
            fn at(i: usize) -> Self {
                $name::at(i)
            }

            fn position(self) -> usize {
                self.index()
            }
        }
    )*};
}

ids! {
    /// A person of the model (`people[i]`).
    PersonId;
    /// A team of the model (`teams[i]`).
    TeamId;
    /// A vendor of the model (`vendors[i]`).
    VendorId;
    /// A service of the model (`services[i]`).
    ServiceId;
    /// An environment of the model (`environments[i]`).
    EnvId;
    /// A role of the model (`roles[i]`).
    RoleId;
    /// A contract of the model (`contracts[i]`).
    ContractId;
}

/// A resource of an environment (`environments[env].resources[i]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId {
    /// Its environment.
    pub env: EnvId,
    /// Its position in the environment's `resources`.
    pub position: u32,
}

/// Where an identity is written: the field of `people[person]`, and the
/// position in that field's list (`None` for the single-valued fields
/// `handle`, `email`, `github` and `gitlab`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentitySlot {
    /// Whose identity it is.
    pub person: PersonId,
    /// Which kind.
    pub kind: IdentityKind,
    /// The position in `emails` or `ssh_principals`.
    pub position: Option<usize>,
}

impl IdentitySlot {
    /// The field of `[[people]]` it is written in.
    pub fn field(&self) -> &'static str {
        match (self.kind, self.position) {
            (IdentityKind::Email, Some(_)) => "emails",
            (kind, _) => kind.field(),
        }
    }
}

/// Two people claim one identity (compared as the owning system compares
/// names), or one person lists it twice. The first keeps it.
#[derive(Debug, Clone)]
pub struct IdentityConflict {
    /// The identity as the second place writes it.
    pub value: String,
    /// Where it was first claimed.
    pub first: IdentitySlot,
    /// Where it was claimed again.
    pub second: IdentitySlot,
}

/// An id defined twice in one list; the first definition wins.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DuplicateId {
    pub list: &'static str,
    pub first: usize,
    pub second: usize,
}

/// Two teams that name one GitHub team or GitLab group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TeamConflict {
    pub field: &'static str,
    pub first: TeamId,
    pub second: TeamId,
}

#[derive(Debug, Clone, Copy)]
struct Claim {
    person: PersonId,
    kinds: u8,
}

/// The model's index. See the module documentation.
#[derive(Debug)]
pub struct Index<'m> {
    model: &'m Model,
    team_ids: Map<&'m str, TeamId>,
    person_ids: Map<&'m str, PersonId>,
    service_ids: Map<&'m str, ServiceId>,
    env_ids: Map<&'m str, EnvId>,
    role_ids: Map<&'m str, RoleId>,
    contract_ids: Map<&'m str, ContractId>,
    vendor_ids: Map<&'m str, VendorId>,
    pub(crate) duplicates: Vec<DuplicateId>,

    identities: Map<Cow<'m, str>, Claim>,
    pub(crate) identity_conflicts: Vec<IdentityConflict>,
    github_teams: Map<Box<str>, TeamId>,
    gitlab_groups: Map<Box<str>, TeamId>,
    pub(crate) team_conflicts: Vec<TeamConflict>,

    person_team: Vec<Option<TeamId>>,
    team_members: Vec<Vec<PersonId>>,
    team_vendor: Vec<Option<VendorId>>,
    vendor_teams: Vec<Vec<TeamId>>,
    vendor_contracts: Vec<Vec<ContractId>>,

    roles: access::RoleTable,

    pub(crate) service_globs: Vec<Vec<Result<Glob, GlobError>>>,
    paths: paths::PathIndex,
    service_envs: Vec<Vec<EnvId>>,
    env_owners: Vec<Vec<PersonId>>,
    hosts_exact: Map<Box<str>, Vec<ResourceId>>,
    hosts_glob: Vec<(Box<str>, ResourceId)>,

    zones: people::Zones,
    hours: people::Hours,
}

/// Ids of one list → their position; a repeated id keeps its first place
/// and is recorded in `duplicates`.
fn id_map<'m, T, I: Position>(
    items: &'m [T],
    id: impl Fn(&'m T) -> &'m str,
    duplicates: &mut Vec<DuplicateId>,
    list: &'static str,
) -> Map<&'m str, I> {
    let mut map = map_with(items.len());
    for (i, item) in items.iter().enumerate() {
        match map.entry(id(item)) {
            std::collections::hash_map::Entry::Occupied(e) => duplicates.push(DuplicateId {
                list,
                first: I::position(*e.get()),
                second: i,
            }),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(I::at(i));
            }
        }
    }
    map
}

impl<'m> Index<'m> {
    /// Builds the index of `model`.
    pub fn new(model: &'m Model) -> Index<'m> {
        let mut duplicates = Vec::new();
        let dups = &mut duplicates;
        let team_ids = id_map(&model.teams, |t| t.id.as_str(), dups, "teams");
        let person_ids = id_map(&model.people, |p| p.handle.as_str(), dups, "people");
        let service_ids = id_map(&model.services, |s| s.id.as_str(), dups, "services");
        let env_ids = id_map(&model.environments, |e| e.id.as_str(), dups, "environments");
        let role_ids = id_map(&model.roles, |r| r.id.as_str(), dups, "roles");
        let contract_ids = id_map(&model.contracts, |c| c.id.as_str(), dups, "contracts");
        let vendor_ids = id_map(&model.vendors, |v| v.id.as_str(), dups, "vendors");

        let mut index = Index {
            model,
            team_ids,
            person_ids,
            service_ids,
            env_ids,
            role_ids,
            contract_ids,
            vendor_ids,
            duplicates,
            identities: map_with(model.people.len() * 4),
            identity_conflicts: Vec::new(),
            github_teams: map_with(0),
            gitlab_groups: map_with(0),
            team_conflicts: Vec::new(),
            person_team: Vec::with_capacity(model.people.len()),
            team_members: vec![Vec::new(); model.teams.len()],
            team_vendor: Vec::with_capacity(model.teams.len()),
            vendor_teams: vec![Vec::new(); model.vendors.len()],
            vendor_contracts: vec![Vec::new(); model.vendors.len()],
            roles: access::RoleTable::default(),
            service_globs: Vec::with_capacity(model.services.len()),
            paths: paths::PathIndex::default(),
            service_envs: Vec::with_capacity(model.services.len()),
            env_owners: Vec::with_capacity(model.environments.len()),
            hosts_exact: map_with(0),
            hosts_glob: Vec::new(),
            zones: people::Zones::default(),
            hours: people::Hours::default(),
        };
        index.index_people();
        index.index_teams();
        index.roles = access::RoleTable::build(&index);
        index.index_services();
        index.index_environments();
        index
    }

    fn index_people(&mut self) {
        let model = self.model;
        self.zones.org = self.zones.intern(&model.org.timezone);
        for (i, p) in model.people.iter().enumerate() {
            let id = PersonId::at(i);
            let slot = |kind, position| IdentitySlot {
                person: id,
                kind,
                position,
            };
            self.claim(&p.handle, slot(IdentityKind::Handle, None));
            self.claim(p.email.trim(), slot(IdentityKind::Email, None));
            for (j, e) in p.emails.iter().enumerate() {
                self.claim(e.trim(), slot(IdentityKind::Email, Some(j)));
            }
            if let Some(login) = &p.github {
                self.claim(login, slot(IdentityKind::Github, None));
            }
            if let Some(login) = &p.gitlab {
                self.claim(login, slot(IdentityKind::Gitlab, None));
            }
            for (j, pr) in p.ssh_principals.iter().enumerate() {
                self.claim(pr, slot(IdentityKind::SshPrincipal, Some(j)));
            }
            let team = self.team_ids.get(p.team.as_str()).copied();
            if let Some(t) = team {
                self.team_members[t.index()].push(id);
            }
            self.person_team.push(team);
            let zone = p.timezone.as_deref().map(|z| self.zones.intern(z));
            self.zones.people.push(zone);
            let hours = p.hours.as_deref().map(|h| self.hours.intern(h));
            self.hours.people.push(hours);
        }
    }

    /// Records that `slot` claims `name`, or the conflict if someone did first.
    fn claim(&mut self, name: &'m str, slot: IdentitySlot) {
        if name.is_empty() {
            return;
        }
        let key = fold(name);
        let Some(claim) = self.identities.get(key.as_ref()).copied() else {
            self.identities.insert(
                key,
                Claim {
                    person: slot.person,
                    kinds: slot.kind.bit(),
                },
            );
            return;
        };
        if claim.person == slot.person {
            if claim.kinds & slot.kind.bit() != 0 {
                // Listed twice by the same person, in the same kind of field.
                let first = self.first_slot(slot.person, slot.kind, &key);
                self.identity_conflicts.push(IdentityConflict {
                    value: name.to_owned(),
                    first,
                    second: slot,
                });
            }
            if let Some(c) = self.identities.get_mut(key.as_ref()) {
                c.kinds |= slot.kind.bit();
            }
            return;
        }
        let kind = IdentityKind::ALL
            .into_iter()
            .find(|k| claim.kinds & k.bit() != 0)
            .unwrap_or(IdentityKind::Handle);
        let first = self.first_slot(claim.person, kind, &key);
        self.identity_conflicts.push(IdentityConflict {
            value: name.to_owned(),
            first,
            second: slot,
        });
    }

    /// Where `person` first wrote an identity of `kind` that folds to `key`.
    fn first_slot(&self, person: PersonId, kind: IdentityKind, key: &str) -> IdentitySlot {
        let p = &self.model.people[person.index()];
        let position = match kind {
            IdentityKind::Email => {
                if fold(p.email.trim()) == key {
                    None
                } else {
                    p.emails.iter().position(|e| fold(e.trim()) == key)
                }
            }
            IdentityKind::SshPrincipal => p.ssh_principals.iter().position(|e| fold(e) == key),
            _ => None,
        };
        IdentitySlot {
            person,
            kind,
            position,
        }
    }

    fn index_teams(&mut self) {
        let model = self.model;
        for (i, t) in model.teams.iter().enumerate() {
            let id = TeamId::at(i);
            let vendor = t
                .vendor
                .as_deref()
                .and_then(|v| self.vendor_ids.get(v).copied());
            if let Some(v) = vendor {
                self.vendor_teams[v.index()].push(id);
            }
            self.team_vendor.push(vendor);
            for (field, value, map) in [
                ("github_team", &t.github_team, &mut self.github_teams),
                ("gitlab_group", &t.gitlab_group, &mut self.gitlab_groups),
            ] {
                let Some(value) = value.as_deref().filter(|v| !v.is_empty()) else {
                    continue;
                };
                let key: Box<str> = fold(value).into();
                match map.get(&key) {
                    Some(&first) => self.team_conflicts.push(TeamConflict {
                        field,
                        first,
                        second: id,
                    }),
                    None => {
                        map.insert(key, id);
                    }
                }
            }
        }
        for (i, c) in model.contracts.iter().enumerate() {
            if let Some(&v) = self.vendor_ids.get(c.vendor.as_str()) {
                self.vendor_contracts[v.index()].push(ContractId::at(i));
            }
        }
    }

    fn index_services(&mut self) {
        let model = self.model;
        for (i, s) in model.services.iter().enumerate() {
            let id = ServiceId::at(i);
            let globs: Vec<Result<Glob, GlobError>> =
                s.paths.iter().map(|p| Glob::new(p)).collect();
            for (j, g) in globs.iter().enumerate() {
                if let Ok(g) = g {
                    self.paths.add(id, j, &s.repos, g);
                }
            }
            self.service_globs.push(globs);
            let envs = s
                .environments
                .iter()
                .filter_map(|e| self.env_ids.get(e.as_str()).copied())
                .collect();
            self.service_envs.push(envs);
        }
    }

    fn index_environments(&mut self) {
        let model = self.model;
        for (i, env) in model.environments.iter().enumerate() {
            let mut owners: Vec<PersonId> = env
                .owners
                .iter()
                .filter_map(|h| self.person_ids.get(h.as_str()).copied())
                .collect();
            for t in &env.owner_teams {
                if let Some(&t) = self.team_ids.get(t.as_str()) {
                    owners.extend(&self.team_members[t.index()]);
                }
            }
            let mut seen = std::collections::HashSet::new();
            owners.retain(|p| seen.insert(*p));
            self.env_owners.push(owners);
            for (j, r) in env.resources.iter().enumerate() {
                let rid = ResourceId {
                    env: EnvId::at(i),
                    position: u32::try_from(j).unwrap_or(u32::MAX),
                };
                for host in &r.hosts {
                    let key: Box<str> = fold(host.trim_end_matches('.')).into();
                    if key.contains(['*', '?']) {
                        self.hosts_glob.push((key, rid));
                    } else {
                        self.hosts_exact.entry(key).or_default().push(rid);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------ the model

    /// The model this indexes.
    pub fn model(&self) -> &'m Model {
        self.model
    }

    /// The person `id` names.
    pub fn person(&self, id: PersonId) -> &'m Person {
        &self.model.people[id.index()]
    }

    /// The team `id` names.
    pub fn team(&self, id: TeamId) -> &'m Team {
        &self.model.teams[id.index()]
    }

    /// The vendor `id` names.
    pub fn vendor(&self, id: VendorId) -> &'m Vendor {
        &self.model.vendors[id.index()]
    }

    /// The service `id` names.
    pub fn service(&self, id: ServiceId) -> &'m Service {
        &self.model.services[id.index()]
    }

    /// The environment `id` names.
    pub fn environment(&self, id: EnvId) -> &'m Environment {
        &self.model.environments[id.index()]
    }

    /// The resource `id` names.
    pub fn resource(&self, id: ResourceId) -> &'m Resource {
        &self.environment(id.env).resources[id.position as usize]
    }

    /// The role `id` names.
    pub fn role(&self, id: RoleId) -> &'m Role {
        &self.model.roles[id.index()]
    }

    /// The contract `id` names.
    pub fn contract(&self, id: ContractId) -> &'m Contract {
        &self.model.contracts[id.index()]
    }

    // ------------------------------------------------------------ by id

    /// The team with this id.
    pub fn team_by_id(&self, id: &str) -> Option<TeamId> {
        self.team_ids.get(id).copied()
    }

    /// The vendor with this id.
    pub fn vendor_by_id(&self, id: &str) -> Option<VendorId> {
        self.vendor_ids.get(id).copied()
    }

    /// The service with this id.
    pub fn service_by_id(&self, id: &str) -> Option<ServiceId> {
        self.service_ids.get(id).copied()
    }

    /// The environment with this id.
    pub fn environment_by_id(&self, id: &str) -> Option<EnvId> {
        self.env_ids.get(id).copied()
    }

    /// The role with this id.
    pub fn role_by_id(&self, id: &str) -> Option<RoleId> {
        self.role_ids.get(id).copied()
    }

    /// The contract with this id.
    pub fn contract_by_id(&self, id: &str) -> Option<ContractId> {
        self.contract_ids.get(id).copied()
    }

    /// The resource `id` of environment `env`.
    pub fn resource_by_id(&self, env: EnvId, id: &str) -> Option<ResourceId> {
        self.environment(env)
            .resources
            .iter()
            .position(|r| r.id == id)
            .map(|j| ResourceId {
                env,
                position: u32::try_from(j).unwrap_or(u32::MAX),
            })
    }

    /// Every id of one list (`"teams"`, `"people"`, …), for suggestions.
    pub fn ids_of(&self, list: &str) -> Vec<&'m str> {
        fn keys<'m, V>(m: &Map<&'m str, V>) -> Vec<&'m str> {
            m.keys().copied().collect()
        }
        match list {
            "teams" => keys(&self.team_ids),
            "people" => keys(&self.person_ids),
            "services" => keys(&self.service_ids),
            "environments" => keys(&self.env_ids),
            "roles" => keys(&self.role_ids),
            "contracts" => keys(&self.contract_ids),
            "vendors" => keys(&self.vendor_ids),
            _ => Vec::new(),
        }
    }

    // ------------------------------------------------------------ identities

    /// The person with this handle (exactly as written: handles are ids).
    pub fn person_by_handle(&self, handle: &str) -> Option<PersonId> {
        self.person_ids.get(handle).copied()
    }

    /// The person who holds identity `name` of `kind`, compared as the
    /// owning system compares it: without regard to case for logins and
    /// e-mail addresses, exactly for handles and SSH principals.
    pub fn person_by(&self, kind: IdentityKind, name: &str) -> Option<PersonId> {
        match kind {
            IdentityKind::Handle => return self.person_by_handle(name),
            IdentityKind::Email => return self.lookup(name.trim(), kind),
            // Logins are ASCII: a look-alike such as the Kelvin sign, which
            // lower-cases to `k`, must not reach someone else's login.
            IdentityKind::Github | IdentityKind::Gitlab if !name.is_ascii() => return None,
            _ => {}
        }
        let person = self.lookup(name, kind)?;
        if kind == IdentityKind::SshPrincipal
            && !self.person(person).ssh_principals.iter().any(|p| p == name)
        {
            return None;
        }
        Some(person)
    }

    fn lookup(&self, name: &str, kind: IdentityKind) -> Option<PersonId> {
        let claim = with_folded(name, |key| self.identities.get(key).copied())?;
        (claim.kinds & kind.bit() != 0).then_some(claim.person)
    }

    /// The person any identity names (handle, SSH principal, GitHub or
    /// GitLab login, e-mail address; case ignored), and which kind matched.
    pub fn find_person(&self, name: &str) -> Option<(PersonId, IdentityKind)> {
        let name = name.trim();
        let name = name.strip_prefix('@').unwrap_or(name);
        let claim = with_folded(name, |key| self.identities.get(key).copied())?;
        let person = self.person(claim.person);
        let kind = IdentityKind::ALL.into_iter().find(|&k| {
            claim.kinds & k.bit() != 0
                && match k {
                    // sshd compares principals exactly; so does this.
                    IdentityKind::SshPrincipal => person.ssh_principals.iter().any(|p| p == name),
                    IdentityKind::Github | IdentityKind::Gitlab | IdentityKind::Handle => {
                        name.is_ascii()
                    }
                    _ => true,
                }
        })?;
        Some((claim.person, kind))
    }

    /// Identities claimed twice (by two people, or twice by one), first
    /// claim first; a checked model has none.
    pub fn identity_conflicts(&self) -> &[IdentityConflict] {
        &self.identity_conflicts
    }

    /// Every identity the index knows, folded, for "did you mean".
    pub fn identity_names(&self) -> impl Iterator<Item = &str> {
        self.identities.keys().map(|k| k.as_ref())
    }

    /// The team whose GitHub team is `org/slug` (case ignored; a leading `@` is allowed).
    pub fn team_by_github(&self, team: &str) -> Option<TeamId> {
        let team = team.strip_prefix('@').unwrap_or(team);
        self.github_teams.get(fold(team).as_ref()).copied()
    }

    /// The team whose GitLab group is this full path (case ignored).
    pub fn team_by_gitlab(&self, group: &str) -> Option<TeamId> {
        let group = group.strip_prefix('@').unwrap_or(group);
        self.gitlab_groups.get(fold(group).as_ref()).copied()
    }

    // ------------------------------------------------------------ organisation

    /// The team a person belongs to.
    pub fn team_of(&self, person: PersonId) -> Option<TeamId> {
        self.person_team[person.index()]
    }

    /// A team's members, in model order.
    pub fn members(&self, team: TeamId) -> &[PersonId] {
        &self.team_members[team.index()]
    }

    /// The vendor company of a team (`None` for internal teams).
    pub fn vendor_of_team(&self, team: TeamId) -> Option<VendorId> {
        self.team_vendor[team.index()]
    }

    /// The vendor company a person works for (`None` for employees).
    pub fn vendor_of(&self, person: PersonId) -> Option<VendorId> {
        self.team_of(person).and_then(|t| self.vendor_of_team(t))
    }

    /// The onboarding phase of a team (vendor teams only).
    pub fn phase_of_team(&self, team: TeamId) -> Option<Phase> {
        let t = self.team(team);
        match t.kind {
            TeamKind::Vendor => t.phase,
            TeamKind::Internal => None,
        }
    }

    /// The onboarding phase of a person's team (vendor teams only).
    pub fn phase_of(&self, person: PersonId) -> Option<Phase> {
        self.team_of(person).and_then(|t| self.phase_of_team(t))
    }

    /// Whether a person is in a vendor team.
    pub fn is_vendor(&self, person: PersonId) -> bool {
        self.team_of(person)
            .is_some_and(|t| self.team(t).kind == TeamKind::Vendor)
    }

    /// A vendor's teams, in model order.
    pub fn vendor_teams(&self, vendor: VendorId) -> &[TeamId] {
        &self.vendor_teams[vendor.index()]
    }

    /// A vendor's people (the members of all its teams).
    pub fn vendor_people(&self, vendor: VendorId) -> Vec<PersonId> {
        self.vendor_teams(vendor)
            .iter()
            .flat_map(|&t| self.members(t).iter().copied())
            .collect()
    }

    /// A vendor's contracts, in model order.
    pub fn vendor_contracts(&self, vendor: VendorId) -> &[ContractId] {
        &self.vendor_contracts[vendor.index()]
    }

    // ------------------------------------------------------------ services and environments

    /// The services that own `path` in repository `repo` (`owner/name`,
    /// case ignored), or with `None` in the repository that holds the
    /// model (services with no `repos`). A valid model has at most one.
    pub fn services_for_path(&self, repo: Option<&str>, path: &str) -> Vec<ServiceId> {
        let mut out = Vec::new();
        self.paths.owners(&self.service_globs, repo, path, &mut out);
        out
    }

    /// [`Index::services_for_path`] into a buffer the caller reuses.
    pub fn services_for_path_into(&self, repo: Option<&str>, path: &str, out: &mut Vec<ServiceId>) {
        self.paths.owners(&self.service_globs, repo, path, out);
    }

    /// The environments a service deploys to.
    pub fn service_environments(&self, service: ServiceId) -> &[EnvId] {
        &self.service_envs[service.index()]
    }

    /// The services that deploy to an environment.
    pub fn environment_services(&self, env: EnvId) -> Vec<ServiceId> {
        (0..self.model.services.len())
            .map(ServiceId::at)
            .filter(|&s| self.service_envs[s.index()].contains(&env))
            .collect()
    }

    /// Everyone who owns an environment: its `owners` and the members of its
    /// `owner_teams`, each once, whatever their status.
    pub fn environment_owners(&self, env: EnvId) -> &[PersonId] {
        &self.env_owners[env.index()]
    }

    /// The people who may approve access to an environment: its active owners.
    pub fn approvers(&self, env: EnvId) -> Vec<PersonId> {
        self.environment_owners(env)
            .iter()
            .copied()
            .filter(|&p| self.person(p).status == Status::Active)
            .collect()
    }

    /// The `ssh_host` resources whose `hosts` cover `host` (case ignored;
    /// `*` in a pattern stands for any run of characters, `?` for one).
    pub fn resources_for_host(&self, host: &str) -> Vec<ResourceId> {
        let host = fold(host.trim().trim_end_matches('.'));
        let mut out: Vec<ResourceId> = self
            .hosts_exact
            .get(host.as_ref())
            .cloned()
            .unwrap_or_default();
        for (pattern, rid) in &self.hosts_glob {
            if wildcard_match(pattern.as_bytes(), host.as_bytes()) && !out.contains(rid) {
                out.push(*rid);
            }
        }
        out.retain(|r| self.resource(*r).kind == ResourceKind::SshHost);
        out.sort_unstable();
        out
    }

    // ------------------------------------------------------------ time

    /// A person's effective IANA time zone name: theirs, or the org's.
    pub fn timezone_name(&self, person: PersonId) -> &'m str {
        self.person(person)
            .timezone
            .as_deref()
            .unwrap_or(&self.model.org.timezone)
    }

    /// A person's effective time zone (`None` when its name is unknown).
    pub fn timezone(&self, person: PersonId) -> Option<&jiff::tz::TimeZone> {
        let z = self.zones.people[person.index()].unwrap_or(self.zones.org);
        self.zones.get(z)
    }

    /// Whether a zone name is a known IANA time zone.
    pub(crate) fn zone_known(&self, name: &str) -> bool {
        self.zones.known(name)
    }

    /// A person's declared working hours, parsed (`None` if they declare none).
    pub fn hours(&self, person: PersonId) -> Option<Result<&WorkingHours, &HoursError>> {
        self.hours.people[person.index()].map(|h| self.hours.get(h))
    }

    /// A person's local time at `now`.
    pub fn local_time(&self, person: PersonId, now: jiff::Timestamp) -> Option<jiff::Zoned> {
        self.timezone(person).map(|tz| now.to_zoned(tz.clone()))
    }

    /// Whether `now` is inside a person's declared working hours, in their
    /// own time zone (`None` when they declare none, or the zone is unknown).
    pub fn is_working(&self, person: PersonId, now: jiff::Timestamp) -> Option<bool> {
        let hours = self.hours(person)?.ok()?;
        let local = self.local_time(person, now)?;
        let minute = u16::try_from(local.hour()).ok()? * 60 + u16::try_from(local.minute()).ok()?;
        Some(hours.contains(local.weekday(), minute))
    }
}

/// Whether `pattern` (`*` any run, `?` one character) matches all of `text`.
pub(crate) fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Whether some name matches both patterns (`*` any run, `?` one character).
pub(crate) fn patterns_overlap(a: &[u8], b: &[u8]) -> bool {
    // memo[i][j]: can a[i..] and b[j..] match one string? 0 unknown, 1 no, 2 yes.
    let mut memo = vec![0u8; (a.len() + 1) * (b.len() + 1)];
    fn go(a: &[u8], b: &[u8], i: usize, j: usize, memo: &mut [u8]) -> bool {
        let at = i * (b.len() + 1) + j;
        if memo[at] != 0 {
            return memo[at] == 2;
        }
        let yes = if i == a.len() && j == b.len() {
            true
        } else if i < a.len() && a[i] == b'*' {
            // The star matches nothing, or swallows one more character of b.
            go(a, b, i + 1, j, memo) || (j < b.len() && go(a, b, i, j + 1, memo))
        } else if j < b.len() && b[j] == b'*' {
            go(a, b, i, j + 1, memo) || (i < a.len() && go(a, b, i + 1, j, memo))
        } else if i < a.len() && j < b.len() {
            (a[i] == b'?' || b[j] == b'?' || a[i] == b[j]) && go(a, b, i + 1, j + 1, memo)
        } else {
            false
        };
        memo[at] = if yes { 2 } else { 1 };
        yes
    }
    go(a, b, 0, 0, &mut memo)
}

#[cfg(test)]
mod tests {
    use super::{patterns_overlap, wildcard_match};

    #[test]
    fn patterns_overlap_when_one_name_matches_both() {
        let o = |a: &str, b: &str| patterns_overlap(a.as_bytes(), b.as_bytes());
        assert!(o("*.acme.internal", "web-1.staging.acme.internal"));
        assert!(o("*.prod.x", "app-*.prod.x"));
        assert!(o("app-??.x", "app-1*.x"));
        assert!(!o("*.prod.x", "*.staging.y"));
        assert!(!o("app-??.x", "app-???.x"));
        assert!(!o("a.x", "b.x"));
        // Agrees with matching a witness.
        for (a, b, w) in [("*b", "a*", "ab"), ("?x*", "*x?", "axb")] {
            assert!(
                o(a, b)
                    && wildcard_match(a.as_bytes(), w.as_bytes())
                    && wildcard_match(b.as_bytes(), w.as_bytes())
            );
        }
    }

    #[test]
    fn wildcards_match_whole_names() {
        let m = |p: &str, t: &str| wildcard_match(p.as_bytes(), t.as_bytes());
        assert!(m("*.prod.acme.internal", "db1.prod.acme.internal"));
        assert!(!m("*.prod.acme.internal", "prod.acme.internal"));
        assert!(m("web-??", "web-01"));
        assert!(!m("web-??", "web-001"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
    }
}
