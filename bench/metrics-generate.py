#!/usr/bin/env python3
"""Generate an organisation's delivery data for the monthly review benchmark.

Usage:
  bench/metrics-generate.py generate OUT [--seed 42] [--deployments 10000]
                                        [--months 6] [--now 2026-12-07T12:00:00Z]
  bench/metrics-generate.py resolve OUT

`generate` writes, deterministically for a seed:
  OUT/palisade.toml         10 vendors (two teams each), 10 internal teams, 100
                            services in 10 repositories gen/repo-0..9, people,
                            contracts with a monthly cost, dev and prod
  OUT/repos/repo-K.fi       a `git fast-import` stream per repository: one commit
                            per deployment, touching its service's path, authored
                            30 minutes to 40 days before it is deployed
  OUT/commits.tsv           the same commits: repository, mark, author time, author
                            (for the in-memory benchmark, benches/report.rs)
  OUT/deployments.tmpl      DevLake-shaped NDJSON whose commitSha are fast-import
                            marks (`:N`), replaced by `resolve`
  OUT/incidents.tsv         incidents: id, service, severity, deployment, opened, resolved
  OUT/alerts.jsonl          monitor alerts about the vendors' people, for
                            `palisade ledger append --from` (the ledger stamps them now)

`resolve` reads OUT/repos/repo-K.marks (fast-import's --export-marks) and writes
OUT/deployments.ndjson with the real commit ids.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

VENDORS = 10
TEAMS_PER_VENDOR = 2
INTERNAL_TEAMS = 10
SERVICES = 100
REPOS = 10
PEOPLE_PER_TEAM = 8
SEVERITIES = ["critical", "high", "medium", "low"]


def arg(args, name, default):
    return args[args.index(name) + 1] if name in args else default


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def model(teams, services):
    out = []
    w = out.append
    w('[org]\nname = "Generated Org"\ntimezone = "Europe/London"\nlog_name = "generated.example/palisade"\n')
    for v in range(VENDORS):
        w(f'[[vendors]]\nid = "vendor-{v}"\nname = "Vendor {v} Ltd"\n')
    for t in teams:
        w(f'[[teams]]\nid = "{t["id"]}"\nname = "Team {t["id"]}"\nkind = "{t["kind"]}"\ngithub_team = "gen/{t["id"]}"')
        if t["kind"] == "vendor":
            w(f'vendor = "{t["vendor"]}"\ncontract = "msa-{t["vendor"]}"\nphase = "own"\nphase_since = 2026-01-05')
        w("")
    for t in teams:
        for p in t["people"]:
            w(f'[[people]]\nhandle = "{p}"\nname = "Person {p}"\nemail = "{p}@generated.example"\n'
              f'github = "gh-{p}"\nteam = "{t["id"]}"\ntimezone = "Asia/Kolkata"\n'
              f'hours = "Mon-Fri 09:00-18:00"\nroles = ["dev"]\n')
    for s in services:
        t = s["team"]
        w(f'[[services]]\nid = "{s["id"]}"\ndescription = "Service {s["id"]}"\nrepos = ["gen/{s["repo"]}"]\n'
          f'paths = ["services/{s["id"]}/**"]\nteam = "{t["id"]}"\nowner = "{t["people"][0]}"\n'
          f'backup_owner = "{t["people"][1]}"\nrisk = "medium"\nenvironments = ["dev", "prod"]\n')
    w('[[environments]]\nid = "dev"\nowner_teams = ["internal-0"]\n')
    w('[[environments]]\nid = "prod"\nproduction = true\nproduction_data = true\nsensitivity = "critical"\n'
      f'owners = ["{teams[-1]["people"][0]}", "{teams[-1]["people"][1]}"]\n')
    w('[[roles]]\nid = "dev"\ngrants = [{ environment = "dev", access = "admin" }]\n')
    w('[gates.tiers.medium]\ntests = true\nsecret_scan = true\nowner_approvals = 1\n')
    for v in range(VENDORS):
        w(f'[[contracts]]\nid = "msa-vendor-{v}"\nvendor = "vendor-{v}"\nstarts = 2025-01-01\nends = 2029-12-31\n'
          f'monthly_cost = {40000 + 5000 * v}\ncurrency = "EUR"\n[contracts.clauses]\n'
          'nda = true\ndpa = true\nip_assignment = ["source", "artifacts", "docs"]\naudit_rights = true\n'
          'breach_notification_hours = 24\ntransition_assistance = true\ndata_return_deletion = true\n')
    return "\n".join(out)


def generate(out_dir, args):
    rng = random.Random(int(arg(args, "--seed", "42")))
    count = int(arg(args, "--deployments", "10000"))
    months = int(arg(args, "--months", "6"))
    now = datetime.fromisoformat(arg(args, "--now", "2026-12-07T12:00:00Z").replace("Z", "+00:00"))
    # From the first day of the oldest of the `months` calendar months ending with now's.
    y, m = now.year, now.month - (months - 1)
    while m < 1:
        y, m = y - 1, m + 12
    begin = datetime(y, m, 1, tzinfo=timezone.utc)

    teams = []
    for v in range(VENDORS):
        for k in range(TEAMS_PER_VENDOR):
            teams.append({"id": f"vendor-{v}-team-{k}", "kind": "vendor", "vendor": f"vendor-{v}"})
    for k in range(INTERNAL_TEAMS):
        teams.append({"id": f"internal-{k}", "kind": "internal"})
    for t in teams:
        t["people"] = [f"{t['id']}-p{n}" for n in range(PEOPLE_PER_TEAM)]
    services = [{"id": f"svc-{s:03}", "team": teams[s % len(teams)], "repo": f"repo-{s % REPOS}"}
                for s in range(SERVICES)]

    os.makedirs(os.path.join(out_dir, "repos"), exist_ok=True)
    with open(os.path.join(out_dir, "palisade.toml"), "w") as f:
        f.write(model(teams, services))

    # Deployment times, sorted, spread over the months; each ships one new commit
    # of its service's repository (commits are made in deployment order).
    times = sorted(begin + timedelta(seconds=rng.uniform(0, (now - begin).total_seconds() - 3600))
                   for _ in range(count))
    streams = {f"repo-{r}": [] for r in range(REPOS)}
    commit_rows = []
    marks = {f"repo-{r}": 0 for r in range(REPOS)}
    deployments = []
    for n, t in enumerate(times):
        s = services[rng.randrange(SERVICES)]
        repo = s["repo"]
        marks[repo] += 1
        mark = marks[repo]
        lead = rng.choice([0.5, 2, 6, 20, 50, 120, 400, 960]) * rng.uniform(0.8, 1.2)
        authored = t - timedelta(hours=lead)
        author = rng.choice(s["team"]["people"])
        stamp = int(authored.timestamp())
        body = f"change {n}\n"
        msg = f"change {n} to {s['id']}\n"
        lines = [f"commit refs/heads/main", f"mark :{mark}",
                 f"author Person {author} <{author}@generated.example> {stamp} +0000",
                 f"committer Person {author} <{author}@generated.example> {stamp} +0000",
                 f"data {len(msg.encode())}", msg.rstrip("\n"),
                 f"M 100644 inline services/{s['id']}/change.txt",
                 f"data {len(body.encode())}", body.rstrip("\n"), ""]
        streams[repo].append("\n".join(lines))
        commit_rows.append(f"{repo}\t{mark}\t{stamp}\t{author}")
        failed = rng.random() < 0.06
        deployments.append({
            "id": f"dep-{n:05}",
            "startedDate": iso(t - timedelta(minutes=8)),
            "finishedDate": iso(t),
            "result": "FAILURE" if failed else "SUCCESS",
            "environment": "PRODUCTION",
            "deploymentCommits": [{"repoUrl": f"https://github.com/gen/{repo}.git", "commitSha": f":{mark}"}],
            "_repo": repo,
            "_service": s["id"],
            "_ok": not failed,
        })
    for repo, commits in streams.items():
        with open(os.path.join(out_dir, "repos", f"{repo}.fi"), "w") as f:
            f.write("\n".join(commits) + "\n")
    with open(os.path.join(out_dir, "commits.tsv"), "w") as f:
        f.write("\n".join(commit_rows) + "\n")
    with open(os.path.join(out_dir, "deployments.tmpl"), "w") as f:
        for d in deployments:
            f.write(json.dumps(d) + "\n")

    # Incidents linked to about 3% of successful deployments, resolved hours later.
    with open(os.path.join(out_dir, "incidents.tsv"), "w") as f:
        ok = [d for d in deployments if d["_ok"]]
        for k, d in enumerate(rng.sample(ok, max(1, len(ok) * 3 // 100))):
            finished = datetime.fromisoformat(d["finishedDate"].replace("Z", "+00:00"))
            opened = finished + timedelta(minutes=rng.uniform(10, 600))
            resolved = opened + timedelta(hours=rng.choice([0.5, 1, 3, 8, 30]))
            if resolved >= now:
                resolved = now - timedelta(minutes=1)
            f.write("\t".join([f"INC-{k:04}", d["_service"], rng.choice(["sev1", "sev2", "sev3", "sev4"]),
                               d["id"], iso(opened), iso(resolved)]) + "\n")

    # Alerts about vendor people.
    with open(os.path.join(out_dir, "alerts.jsonl"), "w") as f:
        vendor_people = [p for t in teams if t["kind"] == "vendor" for p in t["people"]]
        for k in range(2000):
            f.write(json.dumps({
                "kind": "monitor.alert", "subject": f"alert-{k:05}", "actor": "palisade-monitor",
                "data": {"detector": rng.choice(["off_hours", "new_address", "mass_download"]),
                         "severity": rng.choice(SEVERITIES), "person": rng.choice(vendor_people)},
            }) + "\n")


def resolve(out_dir):
    shas = {}
    for repo in os.listdir(os.path.join(out_dir, "repos")):
        if repo.endswith(".marks"):
            name = repo[:-len(".marks")]
            with open(os.path.join(out_dir, "repos", repo)) as f:
                shas[name] = dict(line.split() for line in f if line.strip())
    with open(os.path.join(out_dir, "deployments.tmpl")) as f, \
            open(os.path.join(out_dir, "deployments.ndjson"), "w") as out:
        for line in f:
            d = json.loads(line)
            repo = d.pop("_repo")
            for k in ("_service", "_ok"):
                d.pop(k)
            for c in d["deploymentCommits"]:
                c["commitSha"] = shas[repo][c["commitSha"]]
            out.write(json.dumps(d) + "\n")


def main():
    args = sys.argv[1:]
    if len(args) < 2 or args[0] not in ("generate", "resolve"):
        sys.exit(__doc__)
    if args[0] == "generate":
        generate(args[1], args[2:])
    else:
        resolve(args[1])


if __name__ == "__main__":
    main()
