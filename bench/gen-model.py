#!/usr/bin/env python3
"""Generate a large, realistic palisade.toml for benchmarks.

Usage: bench/gen-model.py PEOPLE SERVICES [--broken FRACTION] > model.toml

The model is valid (0 errors) unless --broken is given, in which case that
fraction of services name an unknown owner, so the diagnostic path (span
lookup, rendering) is measured too.
"""
import random
import sys

def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    people, services = int(args[0]), int(args[1])
    broken = float(args[args.index("--broken") + 1]) if "--broken" in args else 0.0
    rng = random.Random(42)
    zones = ["Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Manila", "America/New_York",
             "America/Sao_Paulo", "Europe/Warsaw", "Asia/Singapore", "Africa/Lagos", "Australia/Sydney"]
    teams = max(4, people // 50)
    out = []
    w = out.append
    w('[org]\nname = "Generated"\ntimezone = "Europe/London"\nlog_name = "generated.example/palisade"\n')
    contracts = []
    # Vendor companies own every third team; each company has two teams.
    vendor_of = {t: f"vendor-{t // 6:03}" for t in range(teams) if t % 3 == 2}
    for v in sorted(set(vendor_of.values())):
        w(f'[[vendors]]\nid = "{v}"\nname = "Vendor {v} Ltd"\n')
    for t in range(teams):
        vendor = t % 3 == 2
        w(f'[[teams]]\nid = "team-{t:04}"\nname = "Team {t}"\nkind = "{"vendor" if vendor else "internal"}"\n'
          f'github_team = "generated/team-{t:04}"')
        if vendor:
            contracts.append((f"msa-{t:04}", vendor_of[t]))
            w(f'vendor = "{vendor_of[t]}"\ncontract = "msa-{t:04}"\nphase = "{rng.choice(["co-deliver", "own"])}"\nphase_since = 2026-01-05')
        w("")
    for p in range(people):
        t = p % teams
        prod = p % 10 == 0
        roles = '"dev", "prod-read"' if prod else '"dev"'
        w(f'[[people]]\nhandle = "p{p:05}"\nname = "Person {p}"\nemail = "p{p:05}@generated.example"\n'
          f'github = "gh-person-{p:05}"\nssh_principals = ["p{p:05}"]\n'
          f'team = "team-{t:04}"\ntimezone = "{zones[p % len(zones)]}"\nhours = "Mon-Fri 09:00-18:00"\nroles = [{roles}]')
        if p % 4 == 0:
            w(f'emails = ["person.{p}@users.generated.example"]')
        if prod:
            w('[people.vetting]\nbackground_check = 2025-01-01\nnda_signed = 2025-01-01\n'
              'secure_coding_training = 2026-06-01\nsecurity_awareness_training = 2026-06-01\nincident_drill = 2026-06-01')
        w("")
    tiers = ["low", "medium", "high", "critical"]
    for s in range(services):
        t = s % teams
        owner = t + teams * rng.randrange(max(1, people // teams))
        backup = (owner + teams) % people
        if rng.random() < broken:
            owner_id = f"nobody-{s}"
        else:
            owner_id = f"p{owner % people:05}"
        tier = tiers[s % 4]
        w(f'[[services]]\nid = "svc-{s:05}"\ndescription = "Service {s}"\nrepos = ["gen/repo-{s % 20:02}"]\n'
          f'paths = ["services/svc-{s:05}/**", "libs/svc-{s:05}/*.rs"]\nteam = "team-{t:04}"\n'
          f'owner = "{owner_id}"\nbackup_owner = "p{backup % people:05}"\nrisk = "{tier}"\nenvironments = ["dev", "prod"]')
        if tier in ("high", "critical"):
            w(f'runbook = "docs/runbooks/svc-{s:05}.md"')
        w('')
    w('[[environments]]\nid = "dev"\nowner_teams = ["team-0000"]\n[[environments.resources]]\nid = "dev-hosts"\nkind = "ssh_host"\n'
      'access = ["read", "deploy", "admin"]\nhosts = ["*.dev.generated.internal"]\n')
    w('[[environments]]\nid = "prod"\nproduction = true\nproduction_data = true\nsensitivity = "critical"\nowners = ["p00000", "p00001"]\n'
      '[[environments.resources]]\nid = "prod-hosts"\nkind = "ssh_host"\naccess = ["read", "deploy"]\nhosts = ["bastion.prod.generated.internal", "app-*.prod.generated.internal"]\n')
    w('[[roles]]\nid = "dev"\ngrants = [{ environment = "dev", access = "admin" }]\n')
    w('[[roles]]\nid = "prod-read"\ngrants = [{ environment = "prod", resources = ["prod-hosts"], access = "read" }]\nmax_duration = "8h"\napprovals = 1\n')
    for tier in tiers:
        w(f'[gates.tiers.{tier}]\ntests = true\nsecret_scan = true\nowner_approvals = {tiers.index(tier) // 2 + 1}\n')
    for c, v in contracts:
        w(f'[[contracts]]\nid = "{c}"\nvendor = "{v}"\nstarts = 2025-01-01\nends = 2029-12-31\n[contracts.clauses]\n'
          'nda = true\ndpa = true\nip_assignment = ["source", "artifacts", "docs"]\naudit_rights = true\n'
          'breach_notification_hours = 24\ntransition_assistance = true\ndata_return_deletion = true\n')
    sys.stdout.write("\n".join(out))

if __name__ == "__main__":
    main()
