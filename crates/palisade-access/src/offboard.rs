//! Offboarding: a person, a team or a whole vendor leaves, at once.
//!
//! [`plan`] works out, from the model alone, who leaves, which services must
//! change hands (and who of their owners and escalation stays), which shared
//! credentials the leavers know and must be rotated, and the exit checklist
//! of the vendor's contract. [`execute`] then withdraws every request and
//! grant each leaver has open (credentials issued for them are revoked with
//! their grants) and records the offboarding in the ledger. Marking the
//! people offboarded in `palisade.toml` is the caller's, through
//! [`palisade_model::edit`]; [`record_model_edit`] puts that step in the
//! ledger too.
//!
//! Nothing here prints, writes files or reads the clock.

use jiff::Timestamp;
use palisade_ledger::ledger::{Event, Ledger, LedgerError};
use palisade_model::{
    Clause, Contract, DataClass, Day, Index, IpScope, PersonId, Status, TeamId, TeamKind,
    did_you_mean,
};
use serde::Serialize;
use serde_json::json;

use crate::grants::{AccessError, Grants, RequestView};

/// The ledger kinds of offboarding.
pub mod kind {
    /// The whole offboarding: who, services to move, credentials to rotate, checklist.
    pub const PLAN: &str = "offboard.plan";
    /// One person offboarded: what was withdrawn, what they owned and knew.
    pub const PERSON: &str = "offboard.person";
    /// `palisade.toml` marked them offboarded, or could not be written.
    pub const MODEL: &str = "offboard.model";
}

/// Who leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OffboardTarget {
    /// One person, by handle or any identity the model knows them by.
    Person(String),
    /// Every member of a team (a team id).
    Team(String),
    /// Every member of every team of a vendor (a vendor id).
    Vendor(String),
}

impl OffboardTarget {
    /// How the ledger names it: the handle, `team:ID` or `vendor:ID`.
    pub fn subject(&self) -> String {
        match self {
            OffboardTarget::Person(p) => p.clone(),
            OffboardTarget::Team(t) => format!("team:{t}"),
            OffboardTarget::Vendor(v) => format!("vendor:{v}"),
        }
    }
}

impl std::fmt::Display for OffboardTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OffboardTarget::Person(p) => write!(f, "{p}"),
            OffboardTarget::Team(t) => write!(f, "team {t}"),
            OffboardTarget::Vendor(v) => write!(f, "vendor {v}"),
        }
    }
}

/// Why offboarding could not be planned or carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OffboardError {
    /// Nobody in the model goes by this name.
    #[error("no person `{name}` in the model{}", hint(.suggestion))]
    UnknownPerson {
        /// The name asked for.
        name: String,
        /// The closest handle, if one is close.
        suggestion: Option<String>,
    },
    /// No team has this id.
    #[error("no team `{id}` in the model{}", hint(.suggestion))]
    UnknownTeam {
        /// The id asked for.
        id: String,
        /// The closest team id, if one is close.
        suggestion: Option<String>,
    },
    /// No vendor has this id.
    #[error("no vendor `{id}` in the model{}", hint(.suggestion))]
    UnknownVendor {
        /// The id asked for.
        id: String,
        /// The closest vendor id, if one is close.
        suggestion: Option<String>,
    },
    /// The actor may not offboard anyone.
    #[error("{actor} may not offboard: {because}")]
    NotAllowed {
        /// Who tried.
        actor: String,
        /// Why not.
        because: String,
    },
    /// Withdrawing a leaver's access failed.
    #[error("withdrawing {person}'s access: {source}")]
    Access {
        /// Whose.
        person: String,
        /// What failed.
        source: AccessError,
    },
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

/// A person who leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leaver {
    /// Their handle.
    pub handle: String,
    /// Their name.
    pub name: String,
    /// Their team.
    pub team: String,
    /// Their vendor, if their team is a vendor's.
    pub vendor: Option<String>,
    /// Standing roles the model gives them (removed with their offboarding:
    /// an offboarded person holds nothing).
    pub standing_roles: Vec<String>,
}

/// Someone skipped because the model already has them offboarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlreadyOffboarded {
    /// Their handle.
    pub handle: String,
    /// The day the model says they left.
    pub offboarded_on: Option<Day>,
}

/// What a leaver was to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerRole {
    /// Its primary owner.
    Owner,
    /// Its backup owner.
    BackupOwner,
    /// On its escalation list.
    Escalation,
}

impl OwnerRole {
    /// The key that names it in `palisade.toml`.
    pub fn key(self) -> &'static str {
        match self {
            OwnerRole::Owner => "owner",
            OwnerRole::BackupOwner => "backup_owner",
            OwnerRole::Escalation => "escalation",
        }
    }
}

/// A service whose ownership must move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceHandover {
    /// The service.
    pub service: String,
    /// Its risk tier.
    pub risk: &'static str,
    /// Its owning team.
    pub team: String,
    /// Whether the owning team itself leaves (a team or vendor offboarded).
    pub team_leaves: bool,
    /// The leavers and what they were to it.
    pub leaving: Vec<(String, OwnerRole)>,
    /// Its owners and escalation contacts who stay (active), in the model's order.
    pub remaining: Vec<String>,
    /// What must be named anew: `owner`, `backup_owner`, `team`.
    pub needs: Vec<&'static str>,
    /// Its runbook, which must be handed over.
    pub runbook: Option<String>,
    /// The repositories holding its code.
    pub repos: Vec<String>,
}

/// A shared credential a leaver knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialRotation {
    /// The credential.
    pub id: String,
    /// What it is.
    pub description: String,
    /// How to rotate it, as the model says.
    pub rotate: Option<String>,
    /// The environment it opens.
    pub environment: Option<String>,
    /// The leavers who know it, and the team through which they do (`None`: named themselves).
    pub known_by: Vec<(String, Option<String>)>,
    /// Active people who stay and know it: they get the new one.
    pub remaining: Vec<String>,
}

/// Whether the contract backs an exit step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Coverage {
    /// The contract has the clause that obliges the vendor to it.
    Covered {
        /// The contract.
        contract: String,
        /// The clause.
        clause: &'static str,
    },
    /// The contract lacks the clause: the company must get it done without one.
    NotCovered {
        /// The contract.
        contract: String,
        /// The clause it lacks.
        clause: &'static str,
    },
    /// A step the company takes itself, whatever the contract says.
    CompanyStep,
    /// The leavers are not under a vendor contract (internal staff).
    NoContract,
}

/// One step of the exit checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    /// Stable key: `runbook_handover`, `credential_rotation`,
    /// `repository_ownership_transfer`, `data_return_deletion`,
    /// `documentation_completeness`.
    pub key: &'static str,
    /// What to do, in a few words.
    pub title: &'static str,
    /// Whether the contract covers it.
    pub coverage: Coverage,
    /// The specifics, one a line (services, repositories, credentials).
    pub details: Vec<String>,
}

/// Everything an offboarding does and asks, worked out from the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OffboardPlan {
    /// Who was asked for.
    pub target: OffboardTarget,
    /// The day they leave.
    pub day: Day,
    /// Who leaves now.
    pub people: Vec<Leaver>,
    /// Who was skipped, already offboarded.
    pub already_offboarded: Vec<AlreadyOffboarded>,
    /// The vendor contract the exit is under, if any.
    pub contract: Option<String>,
    /// Services whose ownership must move.
    pub services: Vec<ServiceHandover>,
    /// Shared credentials to rotate.
    pub credentials: Vec<CredentialRotation>,
    /// The exit checklist.
    pub checklist: Vec<ChecklistItem>,
}

impl OffboardPlan {
    /// The handles of the people who leave now.
    pub fn handles(&self) -> Vec<&str> {
        self.people.iter().map(|p| p.handle.as_str()).collect()
    }
}

/// Works out what offboarding `target` on `day` means. People the model
/// already has offboarded are skipped and listed as such.
pub fn plan(
    index: &Index<'_>,
    target: OffboardTarget,
    day: Day,
) -> Result<OffboardPlan, OffboardError> {
    let model = index.model();
    let (candidates, leaving_teams, contract): (Vec<PersonId>, Vec<TeamId>, Option<&Contract>) =
        match &target {
            OffboardTarget::Person(name) => {
                let person = index
                    .person_by_handle(name)
                    .or_else(|| index.find_person(name).map(|(p, _)| p))
                    .ok_or_else(|| OffboardError::UnknownPerson {
                        name: name.clone(),
                        suggestion: did_you_mean(name, index.ids_of("people")).map(str::to_owned),
                    })?;
                let contract = index
                    .team_of(person)
                    .and_then(|t| team_contract(index, t, day));
                (vec![person], Vec::new(), contract)
            }
            OffboardTarget::Team(id) => {
                let team = index
                    .team_by_id(id)
                    .ok_or_else(|| OffboardError::UnknownTeam {
                        id: id.clone(),
                        suggestion: did_you_mean(id, index.ids_of("teams")).map(str::to_owned),
                    })?;
                (
                    index.members(team).to_vec(),
                    vec![team],
                    team_contract(index, team, day),
                )
            }
            OffboardTarget::Vendor(id) => {
                let vendor =
                    index
                        .vendor_by_id(id)
                        .ok_or_else(|| OffboardError::UnknownVendor {
                            id: id.clone(),
                            suggestion: did_you_mean(id, index.ids_of("vendors"))
                                .map(str::to_owned),
                        })?;
                let contract = current_contract(
                    index
                        .vendor_contracts(vendor)
                        .iter()
                        .map(|&c| index.contract(c)),
                    day,
                );
                (
                    index.vendor_people(vendor),
                    index.vendor_teams(vendor).to_vec(),
                    contract,
                )
            }
        };

    let mut people = Vec::new();
    let mut already_offboarded = Vec::new();
    let mut leaving: Vec<PersonId> = Vec::new();
    for p in candidates {
        let person = index.person(p);
        if person.status == Status::Offboarded {
            already_offboarded.push(AlreadyOffboarded {
                handle: person.handle.clone(),
                offboarded_on: person.offboarded_on,
            });
            continue;
        }
        leaving.push(p);
        people.push(Leaver {
            handle: person.handle.clone(),
            name: person.name.clone(),
            team: person.team.clone(),
            vendor: index.vendor_of(p).map(|v| index.vendor(v).id.clone()),
            standing_roles: person.roles.clone(),
        });
    }
    let leaves = |handle: &str| people.iter().any(|l| l.handle == handle);
    let stays = |handle: &str| {
        !leaves(handle)
            && index
                .person_by_handle(handle)
                .is_some_and(|p| index.person(p).status == Status::Active)
    };
    let team_leaves = |team: &str| leaving_teams.iter().any(|&t| index.team(t).id == team);

    let mut services = Vec::new();
    for service in &model.services {
        let mut who: Vec<(String, OwnerRole)> = Vec::new();
        if leaves(&service.owner) {
            who.push((service.owner.clone(), OwnerRole::Owner));
        }
        if let Some(b) = service.backup_owner.as_deref().filter(|b| leaves(b)) {
            who.push((b.to_owned(), OwnerRole::BackupOwner));
        }
        for e in service.escalation.iter().filter(|e| leaves(e)) {
            if !who.iter().any(|(h, _)| h == e) {
                who.push((e.clone(), OwnerRole::Escalation));
            }
        }
        let whole_team = team_leaves(&service.team);
        if who.is_empty() && !whole_team {
            continue;
        }
        let mut remaining: Vec<String> = Vec::new();
        for h in std::iter::once(&service.owner)
            .chain(service.backup_owner.as_ref())
            .chain(&service.escalation)
        {
            if stays(h) && !remaining.contains(h) {
                remaining.push(h.clone());
            }
        }
        let mut needs = Vec::new();
        if leaves(&service.owner) {
            needs.push("owner");
        }
        if service.backup_owner.as_deref().is_some_and(leaves) {
            needs.push("backup_owner");
        }
        if whole_team {
            needs.push("team");
        }
        services.push(ServiceHandover {
            service: service.id.clone(),
            risk: service.risk.key(),
            team: service.team.clone(),
            team_leaves: whole_team,
            leaving: who,
            remaining,
            needs,
            runbook: service.runbook.clone(),
            repos: service.repos.clone(),
        });
    }

    let mut credentials = Vec::new();
    for cred in &model.shared_credentials {
        let mut known_by: Vec<(String, Option<String>)> = Vec::new();
        let mut remaining: Vec<String> = Vec::new();
        for name in &cred.known_by {
            let named: Vec<(PersonId, Option<&str>)> = match index.person_by_handle(name) {
                Some(p) => vec![(p, None)],
                None => match index.team_by_id(name) {
                    Some(t) => index
                        .members(t)
                        .iter()
                        .map(|&p| (p, Some(name.as_str())))
                        .collect(),
                    None => Vec::new(),
                },
            };
            for (p, via) in named {
                let handle = &index.person(p).handle;
                if leaves(handle) {
                    if !known_by.iter().any(|(h, _)| h == handle) {
                        known_by.push((handle.clone(), via.map(str::to_owned)));
                    }
                } else if stays(handle) && !remaining.contains(handle) {
                    remaining.push(handle.clone());
                }
            }
        }
        if known_by.is_empty() {
            continue;
        }
        credentials.push(CredentialRotation {
            id: cred.id.clone(),
            description: cred.description.clone(),
            rotate: cred.rotate.clone(),
            environment: cred.environment.clone(),
            known_by,
            remaining,
        });
    }

    let checklist = checklist(
        index,
        contract,
        &services,
        &credentials,
        &leaving,
        &leaving_teams,
    );
    Ok(OffboardPlan {
        target,
        day,
        people,
        already_offboarded,
        contract: contract.map(|c| c.id.clone()),
        services,
        credentials,
        checklist,
    })
}

/// The contract a team works under: the one it names, or else its vendor's
/// current one. Internal teams have none.
fn team_contract<'m>(index: &Index<'m>, team: TeamId, day: Day) -> Option<&'m Contract> {
    let t = index.team(team);
    if t.kind == TeamKind::Internal {
        return None;
    }
    t.contract
        .as_deref()
        .and_then(|id| index.contract_by_id(id))
        .map(|c| index.contract(c))
        .or_else(|| {
            let vendor = index.vendor_of_team(team)?;
            current_contract(
                index
                    .vendor_contracts(vendor)
                    .iter()
                    .map(|&c| index.contract(c)),
                day,
            )
        })
}

/// The contract in force on `day`, or else the one that ended last (an exit
/// after a contract lapsed is still under its exit terms).
fn current_contract<'m>(
    contracts: impl Iterator<Item = &'m Contract>,
    day: Day,
) -> Option<&'m Contract> {
    let all: Vec<&Contract> = contracts.collect();
    all.iter()
        .copied()
        .filter(|c| c.starts <= day && day <= c.ends)
        .max_by_key(|c| c.ends)
        .or_else(|| all.iter().copied().max_by_key(|c| c.ends))
}

fn coverage(contract: Option<&Contract>, clause: Clause, holds: bool) -> Coverage {
    match contract {
        None => Coverage::NoContract,
        Some(c) if holds => Coverage::Covered {
            contract: c.id.clone(),
            clause: clause.key(),
        },
        Some(c) => Coverage::NotCovered {
            contract: c.id.clone(),
            clause: clause.key(),
        },
    }
}

fn ip_covers(contract: Option<&Contract>, scope: IpScope) -> bool {
    contract.is_some_and(|c| c.clauses.ip_assignment.contains(&scope))
}

fn checklist(
    index: &Index<'_>,
    contract: Option<&Contract>,
    services: &[ServiceHandover],
    credentials: &[CredentialRotation],
    leaving: &[PersonId],
    leaving_teams: &[TeamId],
) -> Vec<ChecklistItem> {
    let model = index.model();
    let clauses = contract.map(|c| &c.clauses);
    // A service they were only an escalation contact of stays where it is:
    // its escalation list changes, nothing is handed over.
    let services: Vec<&ServiceHandover> = services.iter().filter(|s| !s.needs.is_empty()).collect();
    let services = services.as_slice();

    let mut runbooks = Vec::new();
    let mut undocumented = Vec::new();
    for s in services {
        match &s.runbook {
            Some(r) => runbooks.push(format!("{}: {r}", s.service)),
            None => undocumented.push(format!(
                "{}: no runbook in the model; write one before the handover",
                s.service
            )),
        }
    }

    let mut repos: Vec<String> = Vec::new();
    for s in services {
        for r in &s.repos {
            if !repos.contains(r) {
                repos.push(r.clone());
            }
        }
    }
    let mut access = Vec::new();
    for &t in leaving_teams {
        let team = index.team(t);
        if let Some(g) = &team.github_team {
            access.push(format!(
                "GitHub team @{g}: remove it from every repository, then delete it"
            ));
        }
        if let Some(g) = &team.gitlab_group {
            access.push(format!(
                "GitLab group {g}: remove its access, then archive it"
            ));
        }
    }
    for &p in leaving {
        let person = index.person(p);
        if let Some(login) = &person.github {
            access.push(format!(
                "GitHub: remove {login} ({}) from the organisation",
                person.handle
            ));
        }
        if let Some(login) = &person.gitlab {
            access.push(format!(
                "GitLab: remove {login} ({}) from the groups",
                person.handle
            ));
        }
    }
    let mut repository_details: Vec<String> = repos
        .iter()
        .map(|r| {
            format!("{r}: transfer the moving services' CODEOWNERS entries to their new owners")
        })
        .collect();
    repository_details.extend(access);

    let data: Vec<String> = services
        .iter()
        .filter_map(|s| {
            let service = model.services.iter().find(|x| x.id == s.service)?;
            (service.data >= DataClass::Confidential).then(|| {
                format!(
                    "{}: holds {} data; get written confirmation it was returned and deleted",
                    s.service,
                    match service.data {
                        DataClass::Restricted => "restricted",
                        _ => "confidential",
                    }
                )
            })
        })
        .collect();

    let rotation: Vec<String> = credentials
        .iter()
        .map(|c| match &c.rotate {
            Some(how) => format!("{}: {how}", c.id),
            None => format!("{}: the model says not how; find its owner", c.id),
        })
        .collect();

    let mut docs = undocumented;
    for s in services {
        docs.push(format!(
            "{}: architecture notes, on-call knowledge and open work written down before the last day",
            s.service
        ));
    }

    vec![
        ChecklistItem {
            key: "runbook_handover",
            title: "hand over the runbooks of the services that move",
            coverage: coverage(
                contract,
                Clause::TransitionAssistance,
                clauses.is_some_and(|c| c.transition_assistance),
            ),
            details: runbooks,
        },
        ChecklistItem {
            key: "credential_rotation",
            title: "rotate the shared credentials the leavers knew",
            coverage: Coverage::CompanyStep,
            details: rotation,
        },
        ChecklistItem {
            key: "repository_ownership_transfer",
            title: "transfer repository ownership and remove code-host access",
            coverage: coverage(
                contract,
                Clause::IpAssignment,
                ip_covers(contract, IpScope::Source),
            ),
            details: repository_details,
        },
        ChecklistItem {
            key: "data_return_deletion",
            title: "have the vendor return and delete the company's data",
            coverage: coverage(
                contract,
                Clause::DataReturnDeletion,
                clauses.is_some_and(|c| c.data_return_deletion),
            ),
            details: data,
        },
        ChecklistItem {
            key: "documentation_completeness",
            title: "check the documentation of what they worked on is complete",
            coverage: coverage(
                contract,
                Clause::IpAssignment,
                ip_covers(contract, IpScope::Docs),
            ),
            details: docs,
        },
    ]
}

/// What [`execute`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OffboardOutcome {
    /// For each leaver, the requests and grants withdrawn (pending ones
    /// denied, approved and active ones revoked).
    pub withdrawn: Vec<(String, Vec<RequestView>)>,
    /// The ledger index of the first offboarding entry.
    pub first_entry: u64,
}

/// Carries out `plan`: withdraws everything each leaver has open through
/// `grants` (each withdrawal ledgered with its reason), then records one
/// `offboard.person` entry for each leaver and one `offboard.plan` entry for
/// the whole, atomically. `actor` must be an active member of an internal
/// team: vendor staff do not decide who leaves.
///
/// Safe to run again: what was withdrawn stays withdrawn, and a second run
/// withdraws whatever appeared since.
pub async fn execute(
    plan: &OffboardPlan,
    grants: &Grants<'_, '_>,
    ledger: &Ledger,
    index: &Index<'_>,
    actor: &str,
    now: Timestamp,
) -> Result<OffboardOutcome, OffboardError> {
    check_actor(index, actor)?;
    let reason = format!("offboarding {} on {}", plan.target, plan.day);
    let mut withdrawn = Vec::new();
    for person in &plan.people {
        let changed = grants
            .withdraw_all(&person.handle, actor, &reason, now)
            .await
            .map_err(|source| OffboardError::Access {
                person: person.handle.clone(),
                source,
            })?;
        withdrawn.push((person.handle.clone(), changed));
    }

    let mut events = Vec::new();
    for (person, (_, changed)) in plan.people.iter().zip(&withdrawn) {
        let services: Vec<serde_json::Value> = plan
            .services
            .iter()
            .filter_map(|s| {
                let role = s.leaving.iter().find(|(h, _)| *h == person.handle)?.1;
                Some(json!({"service": s.service, "as": role.key()}))
            })
            .collect();
        let credentials: Vec<&str> = plan
            .credentials
            .iter()
            .filter(|c| c.known_by.iter().any(|(h, _)| *h == person.handle))
            .map(|c| c.id.as_str())
            .collect();
        events.push(Event {
            time: now,
            actor: actor.to_owned(),
            kind: kind::PERSON.to_owned(),
            subject: person.handle.clone(),
            data: json!({
                "target": plan.target.subject(),
                "day": plan.day.to_string(),
                "team": person.team,
                "vendor": person.vendor,
                "withdrawn": changed.iter().map(|r| json!({"id": r.id, "role": r.role, "state": r.state})).collect::<Vec<_>>(),
                "standing_roles": person.standing_roles,
                "services": services,
                "credentials": credentials,
            }),
        });
    }
    events.push(Event {
        time: now,
        actor: actor.to_owned(),
        kind: kind::PLAN.to_owned(),
        subject: plan.target.subject(),
        data: serde_json::to_value(plan).unwrap_or(serde_json::Value::Null),
    });
    let mut tx = ledger.begin().await?;
    let (first_entry, _) = ledger.append_in(&mut tx, &events).await?;
    tx.commit().await.map_err(LedgerError::from)?;
    Ok(OffboardOutcome {
        withdrawn,
        first_entry,
    })
}

/// Records the change to `palisade.toml` that marks the leavers offboarded:
/// the model's digest before and after, and whether the file was written
/// (when it was not, someone must apply `diff` by hand).
pub async fn record_model_edit(
    ledger: &Ledger,
    plan: &OffboardPlan,
    actor: &str,
    now: Timestamp,
    before: &str,
    after: &str,
    written: bool,
) -> Result<u64, OffboardError> {
    let event = Event {
        time: now,
        actor: actor.to_owned(),
        kind: kind::MODEL.to_owned(),
        subject: plan.target.subject(),
        data: json!({
            "people": plan.handles(),
            "day": plan.day.to_string(),
            "model_before": palisade_model::digest(before),
            "model_after": palisade_model::digest(after),
            "written": written,
        }),
    };
    let mut tx = ledger.begin().await?;
    let (index, _) = ledger.append_in(&mut tx, &[event]).await?;
    tx.commit().await.map_err(LedgerError::from)?;
    Ok(index)
}

/// Whether `actor` may offboard: an active member of an internal team.
pub fn check_actor(index: &Index<'_>, actor: &str) -> Result<(), OffboardError> {
    let Some(p) = index.person_by_handle(actor) else {
        return Err(OffboardError::NotAllowed {
            actor: actor.to_owned(),
            because: match did_you_mean(actor, index.ids_of("people")) {
                Some(s) => format!("no person has this handle; did you mean `{s}`?"),
                None => "no person of the model has this handle".to_owned(),
            },
        });
    };
    if index.person(p).status != Status::Active {
        return Err(OffboardError::NotAllowed {
            actor: actor.to_owned(),
            because: "they are offboarded themselves".to_owned(),
        });
    }
    if index.is_vendor(p) {
        return Err(OffboardError::NotAllowed {
            actor: actor.to_owned(),
            because: "they are on a vendor team; offboarding is decided by the company's own staff"
                .to_owned(),
        });
    }
    Ok(())
}
