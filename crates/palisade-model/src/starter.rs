//! A commented starter `palisade.toml` for an existing repository, guessed
//! from its top-level directories and its CODEOWNERS file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::glob::Glob;

/// What `palisade init` learnt about the repository.
#[derive(Debug, Clone, Default)]
pub struct RepoFacts {
    /// The repository's name (usually its directory name).
    pub name: String,
    /// Top-level directories that hold code.
    pub top_dirs: Vec<String>,
    /// The CODEOWNERS file's text, if there is one.
    pub codeowners: Option<String>,
    /// The org's default time zone.
    pub timezone: String,
}

/// Directories that are never services of their own.
const NOT_SERVICES: &[&str] = &[
    "target",
    "node_modules",
    "dist",
    "build",
    "out",
    "vendor",
    "third_party",
    "tmp",
    "bin",
    "obj",
    "coverage",
];

struct Rule {
    glob: Glob,
    owners: Vec<String>,
}

fn parse_codeowners(text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        let owners: Vec<String> = words.map(str::to_owned).collect();
        // CODEOWNERS patterns without a slash (other than a trailing one)
        // match at any depth; anchored ones from the root.
        let trimmed = pattern.trim_end_matches('/');
        let anchored = pattern.starts_with('/') || trimmed.contains('/');
        let mut glob_text = if anchored {
            pattern.trim_start_matches('/').to_owned()
        } else {
            format!("**/{pattern}")
        };
        if pattern == "*" {
            glob_text = "**".to_owned();
        }
        if let Ok(glob) = Glob::new(&glob_text) {
            rules.push(Rule { glob, owners });
        }
    }
    rules
}

/// Turns any name into a model id: lower-case, `-` for anything else.
pub(crate) fn to_id(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    id = id
        .trim_matches(|c| c == '-' || c == '.' || c == '_')
        .to_owned();
    if id.is_empty() {
        "service".to_owned()
    } else {
        id
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Default)]
struct Guess {
    people: Vec<(String, String)>, // (handle, email)
    teams: Vec<String>,
}

impl Guess {
    fn person(&mut self, handle: &str, email: String) -> String {
        let id = to_id(handle);
        if !self.people.iter().any(|(h, _)| *h == id) {
            self.people.push((id.clone(), email));
        }
        id
    }

    fn team(&mut self, name: &str) -> String {
        let id = to_id(name);
        if !self.teams.contains(&id) {
            self.teams.push(id.clone());
        }
        id
    }
}

/// Writes a starter model that `palisade check` accepts.
pub fn starter_model(facts: &RepoFacts) -> String {
    let rules = facts
        .codeowners
        .as_deref()
        .map(parse_codeowners)
        .unwrap_or_default();
    let org_id = to_id(&facts.name);
    let mut guess = Guess::default();
    let mut services: BTreeMap<String, (String, String, Option<String>, Option<String>)> =
        BTreeMap::new();

    let dirs: Vec<&String> = facts
        .top_dirs
        .iter()
        .filter(|d| !d.starts_with('.') && !NOT_SERVICES.contains(&d.as_str()))
        // A name with glob or quoting characters cannot be a path glob as it
        // is; such directories are left for the user to add by hand.
        .filter(|d| {
            d.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ' '))
        })
        .collect();
    for dir in &dirs {
        let probe = format!("{dir}/file");
        let owners = rules
            .iter()
            .rev()
            .find(|r| r.glob.matches(&probe))
            .map(|r| r.owners.clone())
            .unwrap_or_default();
        let mut team = None;
        let mut people = Vec::new();
        for o in &owners {
            if let Some(rest) = o.strip_prefix('@') {
                match rest.split_once('/') {
                    Some((_, t)) => {
                        team.get_or_insert_with(|| guess.team(t));
                    }
                    None => people.push(guess.person(rest, format!("{rest}@example.com"))),
                }
            } else if let Some((user, _)) = o.split_once('@') {
                people.push(guess.person(user, o.clone()));
            }
        }
        let mut id = to_id(dir);
        let mut n = 2;
        while services.contains_key(&id) {
            id = format!("{}-{n}", to_id(dir));
            n += 1;
        }
        services.insert(
            id,
            (
                (*dir).clone(),
                team.unwrap_or_default(),
                people.first().cloned(),
                people.get(1).cloned(),
            ),
        );
    }

    let default_team = if guess.teams.is_empty() {
        guess.team("platform")
    } else {
        guess.teams[0].clone()
    };
    let placeholder_a = guess.person("owner-a", "owner-a@example.com".to_owned());
    let placeholder_b = guess.person("owner-b", "owner-b@example.com".to_owned());

    let mut t = String::new();
    let _ = writeln!(
        t,
        "# palisade.toml — the operating model of {}.",
        facts.name
    );
    t.push_str(
        "# Written by `palisade init` from this repository's layout and CODEOWNERS.\n\
         # Everything here is a guess to start from: check it with `palisade check`,\n\
         # then adjust owners, risk tiers and hours. Reference: docs/model.md.\n\n",
    );
    t.push_str("[org]\n");
    let _ = writeln!(t, "name = {}", quote(&facts.name));
    let _ = writeln!(
        t,
        "timezone = {}   # default IANA zone for people who name none",
        quote(&facts.timezone)
    );
    let _ = writeln!(
        t,
        "log_name = {}   # origin line of the evidence ledger's checkpoints",
        quote(&format!("{org_id}.example/palisade"))
    );
    t.push_str(
        "\n# Policy thresholds (these are the defaults):\n\
         # [org.policy]\n\
         # training_max_age_days = 365\n\
         # background_check_max_age_days = 1095\n\
         # required_clauses = [\"nda\", \"dpa\", \"ip_assignment\", \"audit_rights\", \"breach_notification\", \"transition_assistance\", \"data_return_deletion\"]\n\n",
    );

    t.push_str("# Teams: `internal`, or `vendor` with a contract and an onboarding phase\n# (observe → co-deliver → own).\n");
    for team in &guess.teams {
        let _ = writeln!(
            t,
            "[[teams]]\nid = {}\nname = {}\nkind = \"internal\"\n",
            quote(team),
            quote(team)
        );
    }
    t.push_str(
        "# [[teams]]\n# id = \"vendor-x\"\n# name = \"Vendor X\"\n# kind = \"vendor\"\n# contract = \"vendor-x-msa\"\n# phase = \"observe\"\n# phase_since = 2026-01-05\n\n",
    );

    t.push_str("# People: handle (VCS login), team, time zone and declared working hours.\n");
    for (handle, email) in &guess.people {
        let placeholder = *handle == placeholder_a || *handle == placeholder_b;
        let _ = writeln!(
            t,
            "[[people]]\nhandle = {}\nname = {}{}\nemail = {}\nteam = {}\nhours = \"Mon-Fri 09:00-18:00\"\n",
            quote(handle),
            quote(handle),
            if placeholder {
                "   # placeholder: replace with a real owner"
            } else {
                ""
            },
            quote(email),
            quote(&default_team),
        );
    }

    t.push_str("# Services: the paths they own, who owns them, and how risky a change is.\n");
    if services.is_empty() {
        services.insert(
            to_id(&facts.name),
            ("**".to_owned(), String::new(), None, None),
        );
    }
    for (id, (dir, team, owner, backup)) in &services {
        let team = if team.is_empty() { &default_team } else { team };
        let owner = owner.clone().unwrap_or_else(|| placeholder_a.clone());
        let mut backup = backup.clone().unwrap_or_else(|| placeholder_b.clone());
        if backup == owner {
            backup = if owner == placeholder_b {
                placeholder_a.clone()
            } else {
                placeholder_b.clone()
            };
        }
        let paths = if dir == "**" {
            "**".to_owned()
        } else {
            format!("{dir}/**")
        };
        let _ = writeln!(
            t,
            "[[services]]\nid = {}\npaths = [{}]\nteam = {}\nowner = {}\nbackup_owner = {}\nrisk = \"medium\"   # low | medium | high | critical\n",
            quote(id),
            quote(&paths),
            quote(team),
            quote(&owner),
            quote(&backup),
        );
    }

    t.push_str(
        "# Environments and the resources in them.\n\
         [[environments]]\nid = \"dev\"\nsensitivity = \"low\"\n\n\
         [[environments]]\nid = \"staging\"\nsensitivity = \"medium\"\n\n\
         [[environments]]\nid = \"prod\"\nproduction = true\nproduction_data = true\nsensitivity = \"critical\"\n\
         # [[environments.resources]]\n# id = \"app-hosts\"\n# kind = \"ssh_host\"\n# address = \"app.prod.internal:22\"\n# access = [\"read\", \"deploy\", \"admin\"]\n\n",
    );
    t.push_str(
        "# Roles: what a holder may do where. Prefer just-in-time grants to standing roles.\n\
         [[roles]]\nid = \"prod-deployer\"\ndescription = \"Deploy to production\"\n\
         grants = [{ environment = \"prod\", access = \"deploy\" }]\n\
         max_duration = \"4h\"\napprovals = 1\nteam_kinds = [\"internal\"]\n\n",
    );
    t.push_str(
        "# Gates: the controls a change needs, per risk tier.\n\
         [gates.tiers.low]\ntests = true\nsecret_scan = true\n\n\
         [gates.tiers.medium]\ntests = true\nsecret_scan = true\nowner_approvals = 1\nstatic_analysis = \"high\"\n\n\
         [gates.tiers.high]\ntests = true\nsecret_scan = true\nowner_approvals = 1\nstatic_analysis = \"medium\"\ninternal_approval = true\nrollback_plan = true\n\n\
         [gates.tiers.critical]\ntests = true\nsecret_scan = true\nowner_approvals = 2\nstatic_analysis = \"medium\"\ninternal_approval = true\nrollback_plan = true\nsigned_artifact = true\ndocs_updated = true\n\n\
         [[gates.path_rules]]\nname = \"infrastructure and CI\"\npaths = [\"**/*.tf\", \".github/workflows/**\"]\nraise_to = \"high\"\n\n",
    );
    t.push_str(
        "# Contracts of vendor teams:\n# [[contracts]]\n# id = \"vendor-x-msa\"\n# vendor = \"Vendor X Ltd\"\n# starts = 2026-01-01\n# ends = 2027-12-31\n# [contracts.clauses]\n# nda = true\n# dpa = true\n# ip_assignment = [\"source\", \"artifacts\", \"docs\"]\n",
    );
    t
}
