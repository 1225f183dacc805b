//! `palisade who`: a person by any identity, or everyone of one vendor.

use std::process::ExitCode;

use anyhow::Context as _;
use palisade_model::index::profile::Profile;
use palisade_model::{Index, did_you_mean};
use serde_json::json;

use super::check::count;
use crate::cli::WhoArgs;
use crate::output::Output;

pub fn run(args: &WhoArgs, out: &Output) -> anyhow::Result<ExitCode> {
    let now = match &args.now {
        Some(text) => text.parse::<jiff::Timestamp>().with_context(|| {
            format!("invalid --now `{text}`; write it as RFC 3339, e.g. 2026-12-06T09:30:00Z")
        })?,
        None => jiff::Timestamp::now(),
    };
    let (source, model) = super::check::load_model(&args.model)?;
    let index = Index::new(&model);
    let today = palisade_model::Day(now.to_zoned(jiff::tz::TimeZone::UTC).date());
    let errors = palisade_model::validate_indexed(&index, today)
        .iter()
        .filter(|d| d.level == palisade_model::Level::Error)
        .count();
    if errors > 0 {
        out.warning(format!(
            "{} has {} error{}, so some answers may be incomplete; run `palisade check {}`",
            source.name,
            errors,
            if errors == 1 { "" } else { "s" },
            source.name
        ));
    }

    if let Some(vendor) = &args.vendor {
        return vendor_people(&index, vendor, now, out);
    }
    let query = args.query.as_deref().unwrap_or_default();
    let Some((person, kind)) = index.find_person(query) else {
        let folded = query.trim().trim_start_matches('@').to_lowercase();
        let nearest = did_you_mean(&folded, index.identity_names()).map(str::to_owned);
        if out.json() {
            out.print_json(&json!({ "found": false, "query": query, "nearest": nearest }))?;
        } else {
            let hint = match &nearest {
                Some(n) => format!("; did you mean `{n}`?"),
                None => "; `palisade who` takes a handle, a GitHub or GitLab login, an e-mail address or an SSH principal".to_owned(),
            };
            out.line(format!(
                "no one in {} has the identity `{query}`{hint}",
                source.name
            ))?;
        }
        return Ok(ExitCode::from(1));
    };
    // An identity two people claim names neither with certainty: refuse
    // rather than answer with whoever comes first in the file.
    let folded = query.trim().trim_start_matches('@').to_lowercase();
    if let Some(c) = index
        .identity_conflicts()
        .iter()
        .find(|c| c.first.person != c.second.person && c.value.to_lowercase() == folded)
    {
        anyhow::bail!(
            "`{query}` is claimed by both {} and {}, so it names neither with certainty; fix the model (`palisade check {}` shows where)",
            index.person(c.first.person).handle,
            index.person(c.second.person).handle,
            source.name
        );
    }
    let profile = index.profile(person, Some(kind), now);
    if out.json() {
        out.print_json(&serde_json::to_value(&profile)?)?;
    } else {
        out.line(render(&profile))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn vendor_people(
    index: &Index<'_>,
    vendor: &str,
    now: jiff::Timestamp,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let Some(v) = index.vendor_by_id(vendor) else {
        let ids = index.ids_of("vendors");
        let hint = match did_you_mean(vendor, ids.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if ids.is_empty() => "the model defines no [[vendors]]".to_owned(),
            None => format!("vendors: {}", {
                let mut ids = ids;
                ids.sort_unstable();
                ids.join(", ")
            }),
        };
        anyhow::bail!("no vendor `{vendor}` in the model; {hint}");
    };
    let people: Vec<Profile> = index
        .vendor_people(v)
        .into_iter()
        .map(|p| index.profile(p, None, now))
        .collect();
    let company = index.vendor(v);
    if out.json() {
        out.print_json(&json!({
            "vendor": company.id,
            "name": company.name,
            "teams": index.vendor_teams(v).iter().map(|&t| &index.team(t).id).collect::<Vec<_>>(),
            "contracts": index.vendor_contracts(v).iter().map(|&c| &index.contract(c).id).collect::<Vec<_>>(),
            "people": people,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    out.line(format!(
        "{} ({}): {}, {}",
        company.id,
        company.name,
        count(index.vendor_teams(v).len(), "team"),
        count(people.len(), "person"),
    ))?;
    for p in &people {
        let team = p.team.as_ref();
        out.line(format!(
            "  {:<14} {:<24} {:<16} {:<11} {}{}",
            p.handle,
            p.name,
            team.map_or("", |t| t.id.as_str()),
            team.and_then(|t| t.phase).unwrap_or("-"),
            if p.production.any {
                "production"
            } else {
                "no production"
            },
            if p.status == "offboarded" {
                ", offboarded"
            } else {
                ""
            },
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The human form of a profile.
fn render(p: &Profile) -> String {
    let mut lines = vec![format!(
        "{} — {} <{}>",
        p.handle, p.name, p.identities.emails[0]
    )];
    let mut row = |label: &str, value: String| lines.push(format!("  {label:<12} {value}"));
    if let Some(m) = p.matched {
        row("matched", m.to_owned());
    }
    let mut ids = Vec::new();
    if let Some(g) = &p.identities.github {
        ids.push(format!("github {g}"));
    }
    if let Some(g) = &p.identities.gitlab {
        ids.push(format!("gitlab {g}"));
    }
    if p.identities.emails.len() > 1 {
        ids.push(format!(
            "e-mail also {}",
            p.identities.emails[1..].join(", ")
        ));
    }
    if !p.identities.ssh_principals.is_empty() {
        ids.push(format!("ssh {}", p.identities.ssh_principals.join(", ")));
    }
    if !ids.is_empty() {
        row("identities", ids.join(" · "));
    }
    match &p.team {
        Some(t) => {
            let mut text = match (&t.vendor, &t.vendor_name) {
                (Some(v), Some(n)) => format!("{} ({}), a team of vendor {v} ({n})", t.id, t.name),
                _ => format!("{} ({}), {}", t.id, t.name, t.kind),
            };
            if let Some(phase) = t.phase {
                text.push_str(&format!(", phase {phase}"));
                if let Some(since) = &t.phase_since {
                    text.push_str(&format!(" since {since}"));
                }
            }
            row("team", text);
        }
        None => row("team", "none (the model names an unknown team)".to_owned()),
    }
    row(
        "status",
        match &p.offboarded_on {
            Some(d) if p.status == "offboarded" => format!("offboarded on {d}"),
            Some(d) => format!("active, leaving on {d}"),
            None => p.status.to_owned(),
        },
    );
    row(
        "roles",
        if p.roles.is_empty() {
            "none standing".to_owned()
        } else {
            p.roles.join(", ")
        },
    );
    if p.grants.is_empty() {
        row("grants", "none".to_owned());
    }
    for (i, g) in p.grants.iter().enumerate() {
        let target = match &g.resource {
            Some(r) => format!("{}/{r}", g.environment),
            None => g.environment.clone(),
        };
        row(
            if i == 0 { "grants" } else { "" },
            format!(
                "{:<7} {target}{}",
                g.access,
                if g.production { "  (production)" } else { "" }
            ),
        );
    }
    row(
        "production",
        match (p.production.any, p.production.admin) {
            (false, _) => "no standing access".to_owned(),
            (true, false) => "standing access, not admin".to_owned(),
            (true, true) => "standing admin".to_owned(),
        },
    );
    let v = &p.vetting;
    let summary = if v.complete {
        let next = v
            .records
            .iter()
            .filter_map(|r| r.until.as_deref().map(|u| (u, r.record)))
            .min();
        match next {
            Some((until, what)) => format!("complete on {}; {what} counts until {until}", v.day),
            None => format!("complete on {}", v.day),
        }
    } else {
        let gaps: Vec<String> = v
            .records
            .iter()
            .filter(|r| r.state != "current")
            .map(|r| format!("{} {}", r.record, r.state))
            .collect();
        format!("incomplete on {}: {}", v.day, gaps.join(", "))
    };
    row("vetting", summary);
    row(
        "hours",
        format!(
            "{} ({})",
            p.time.hours.as_deref().unwrap_or("none declared"),
            p.time.timezone
        ),
    );
    if let Some(local) = &p.time.local_time {
        row(
            "local time",
            format!(
                "{local}{}",
                match p.time.working {
                    Some(true) => " (working hours)",
                    Some(false) => " (outside working hours)",
                    None => "",
                }
            ),
        );
    }
    lines.join("\n")
}
