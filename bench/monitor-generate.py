#!/usr/bin/env python3
"""Realistic activity for an operating model, with planted incidents and their truth.

Writes weeks of GitHub audit-log records (NDJSON, as the REST API exports them with
include=all) and sshd auth-log lines that follow each person's declared hours in their
own zone, their team's repositories and the hosts their roles reach, then plants
incidents of every activity-monitor detector's kind and writes what it planted.

    bench/monitor-generate.py --model examples/acme/palisade.toml --out DIR \\
        --weeks 4 --start 2026-10-05 --seed 7 [--scale 50]
    bench/monitor-generate.py --model examples/acme/palisade.toml --check DIR

Writes DIR/github.ndjson, DIR/auth.log (RFC 3339 prefixes in UTC), DIR/grants.json
(the grant windows the run assumes) and DIR/truth.json (the period, the daylight-saving
changes inside it, counts, and every planted incident). `--check DIR` reads a generated
directory back and checks its records' shape. Standard library only; output is a pure
function of the model, the options and the seed.

Planted incidents are placed by week and weekday from --start (a Monday); shapes tied to
a date (the daylight-saving changes of 2026-10-25 in Europe and 2026-11-01 in the US)
are planted only when the run spans them. Events are merged from lazy per-person-day
streams, so memory stays flat whatever --scale is.
"""

import argparse
import base64
import datetime as dt
import heapq
import json
import os
import random
import re
import sys
import time
import tomllib
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ORG = "acme"
US = 1_000_000  # microseconds per second

# Daylight-saving changes the shapes are built around.
DST_CHANGES = [
    ("2026-10-25", "Europe (EU): clocks go back at 01:00 UTC; London BST->GMT, Berlin/Warsaw CEST->CET"),
    ("2026-11-01", "United States: clocks go back at 02:00 local; New York EDT->EST"),
]

# Repository names under the org that no service declares: the mass-download bursts
# and some least-privilege shapes use them.
EXTRA_REPOS = [
    "risk-engine", "fraud-rules", "kyc-service", "treasury", "billing", "merchant-portal",
    "settlement", "fx-rates", "reconciliation", "chargebacks", "card-vault", "tokenizer",
    "webhooks", "sdk-js", "sdk-python", "sdk-java", "terraform-modules", "helm-charts",
    "ci-templates", "design-system", "data-pipelines", "ml-scoring", "audit-export",
    "support-tools", "pricing", "payouts", "disputes", "onboarding", "reporting",
    "partner-api",
]

COUNTRY = {
    "Europe/London": "GB", "Europe/Berlin": "DE", "Europe/Warsaw": "PL",
    "America/New_York": "US", "Asia/Kolkata": "IN", "Asia/Singapore": "SG",
    "Asia/Manila": "PH",
}

# Offices: an address shared by the people of a team kind in a zone. Legitimate
# addresses come from the lower halves of the documentation ranges; planted incidents
# use the upper halves and 2001:db8:bad::/48, so the two never collide.
OFFICES = {
    ("internal", "Europe/London"): "198.51.100.10",
    ("internal", "Europe/Berlin"): "198.51.100.30",
    ("internal", "America/New_York"): "198.51.100.50",
    ("nimbus", "Asia/Kolkata"): "203.0.113.10",
    ("harbor", "Europe/Warsaw"): "203.0.113.30",
}

# Habits narrower than the declared hours: people rarely use all of them. The rare-hour
# shapes are planted inside the declared hours but outside these habits.
HABITS = {
    # Kavya overlaps with London: she starts at 11:00 though her hours begin at 09:30.
    "kavya": {"start_shift_min": 90},
    # Omar's Saturdays are short: 10:00-14:00 though his hours run to 18:00.
    "omar": {"short_days": {5: 240}},
}

CA_FP = "q3f1Xb0cYtLw9m2kR8vN4pZs7eHj6uAo5iGd1lTyWcE"


# ---------------------------------------------------------------- model


def parse_duration(text, default):
    if text is None:
        return default
    total = 0
    for n, unit in re.findall(r"(\d+)\s*([dhms])", str(text)):
        total += int(n) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
    return dt.timedelta(seconds=total) if total else default


def parse_days(spec):
    days = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = (DAY_NAMES.index(x.strip()[:3].title()) for x in part.split("-"))
            i = a
            while True:
                days.add(i)
                if i == b:
                    break
                i = (i + 1) % 7
        else:
            days.add(DAY_NAMES.index(part[:3].title()))
    return days


def parse_hours(text):
    """`Mon-Fri 09:00-17:30; Fri 08:00-13:00` into [(days, start_min, end_min)]."""
    text = (text or "").strip()
    if not text:
        return []
    if text == "always":
        return [(set(range(7)), 0, 24 * 60)]
    parts = []
    for part in text.split(";"):
        days, span = part.strip().rsplit(" ", 1)
        a, b = span.split("-")
        sm = int(a[:2]) * 60 + int(a[3:])
        em = int(b[:2]) * 60 + int(b[3:])
        if em <= sm:
            em += 24 * 60  # runs past midnight
        parts.append((parse_days(days), sm, em))
    return parts


def instantiate(pattern):
    """A host glob into a few concrete names: `app-??.prod` -> app-01..app-04."""
    if "*" not in pattern and "?" not in pattern:
        return [pattern]
    out = []
    for i in range(1, 5):
        name = re.sub(r"\?+", lambda m: str(i).zfill(len(m.group())), pattern)
        while "*" in name:
            at = name.index("*")
            rep = str(i) if at > 0 and name[at - 1] == "-" else ["app-1", "jobs-1", "web-1", "cache-1"][i - 1]
            name = name[:at] + rep + name[at + 1:]
        out.append(name)
    return out


class Model:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = tomllib.load(f)
        raw = self.raw
        mon = raw.get("monitor", {})
        self.grace = parse_duration(mon.get("grace"), dt.timedelta(minutes=30))
        self.rare_min = int(mon.get("rare_hour_min_events", 200))
        self.rare_share = float(mon.get("rare_hour_share", 0.005))
        self.mass_repos = int(mon.get("mass_download_repositories", 20))
        self.failed_logins = int(mon.get("failed_logins", 5))
        self.teams = {t["id"]: t for t in raw.get("teams", [])}
        self.roles = {r["id"]: r for r in raw.get("roles", [])}
        self.envs = {e["id"]: e for e in raw.get("environments", [])}
        self.repos_of_team = {}
        for s in raw.get("services", []):
            repos = s.get("repos") or s.get("repository") or []
            if isinstance(repos, str):
                repos = [repos]
            self.repos_of_team.setdefault(s.get("team"), set()).update(repos)
        self.hosts = {}  # host -> (env, resource, sensitivity)
        for env in raw.get("environments", []):
            for res in env.get("resources", []):
                if res.get("kind") == "ssh_host":
                    for pat in res.get("hosts", []):
                        for h in instantiate(pat):
                            self.hosts[h] = (env["id"], res["id"], env.get("sensitivity", "low"))
        self.people = [Person(self, p, i) for i, p in enumerate(raw.get("people", []))]
        self.by_handle = {p.handle: p for p in self.people}

    def role_hosts(self, role_id, seen=None):
        seen = seen if seen is not None else set()
        if role_id in seen or role_id not in self.roles:
            return set()
        seen.add(role_id)
        role = self.roles[role_id]
        out = set()
        for inc in role.get("includes", []):
            out |= self.role_hosts(inc, seen)
        for g in role.get("grants", []):
            env = self.envs.get(g.get("environment"), {})
            wanted = g.get("resources")
            for res in env.get("resources", []):
                if res.get("kind") != "ssh_host" or (wanted and res["id"] not in wanted):
                    continue
                for pat in res.get("hosts", []):
                    out.update(instantiate(pat))
        return out


class Person:
    def __init__(self, model, raw, index):
        self.raw = raw
        self.index = index
        self.handle = raw["handle"]
        self.github = raw.get("github")
        self.principals = raw.get("ssh_principals", [])
        self.team = raw.get("team")
        team = model.teams.get(self.team, {})
        self.team_kind = team.get("kind", "internal")
        self.vendor = team.get("vendor")
        self.zone_name = raw.get("timezone", model.raw.get("org", {}).get("timezone", "UTC"))
        self.zone = ZoneInfo(self.zone_name)
        self.hours = parse_hours(raw.get("hours", "Mon-Fri 09:00-17:00"))
        self.roles = raw.get("roles", [])
        self.offboarded = raw.get("status") == "offboarded" or "offboarded_on" in raw
        self.repos = sorted(model.repos_of_team.get(self.team, set()))
        hosts = set()
        for r in self.roles:
            hosts |= model.role_hosts(r)
        self.hosts = sorted(hosts)
        self.bastions = [h for h in self.hosts if h.startswith("bastion.")]
        self.inner = [h for h in self.hosts if not h.startswith("bastion.")]
        self.uid = 1001 + index
        self.country = COUNTRY.get(self.zone_name, "GB")
        rng = random.Random(f"addresses|{self.handle}")
        office = OFFICES.get((self.vendor or "internal", self.zone_name))
        home = f"192.0.2.{10 + index * 3}"
        addrs = [office] if office else []
        addrs.append(home)
        if not office or rng.random() < 0.3:
            addrs.append(f"2001:db8:1:{index + 1:x}::{rng.randrange(2, 250):x}")
        self.addresses = addrs
        self.key_fp = fingerprint(f"key|{self.handle}")
        self.habit = HABITS.get(self.handle, {})

    def windows(self, date):
        """Declared working windows that start on this local date, as aware datetimes."""
        out = []
        for days, sm, em in self.hours:
            if date.weekday() in days:
                base = dt.datetime(date.year, date.month, date.day, tzinfo=self.zone)
                out.append((local_plus(base, sm), local_plus(base, em)))
        return out


def local_plus(base, minutes):
    """Wall-clock minutes after local midnight (a wall time, so DST days work)."""
    d = base.date() + dt.timedelta(days=minutes // (24 * 60))
    m = minutes % (24 * 60)
    return dt.datetime(d.year, d.month, d.day, m // 60, m % 60, tzinfo=base.tzinfo)


def to_us(aware):
    return int(round(aware.timestamp() * US))


def fingerprint(seed):
    rng = random.Random(seed)
    return base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode().rstrip("=")


def rfc3339_us(t_us):
    s, us = divmod(t_us, US)
    tm = time.gmtime(s)
    return (f"{tm.tm_year:04d}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:"
            f"{tm.tm_min:02d}:{tm.tm_sec:02d}.{us:06d}+00:00")


def rfc3339_z(t_us, ceil=False):
    s = -(-t_us // US) if ceil else t_us // US
    return dt.datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- records


class Records:
    """Formats records; an event is (t_us, kind, line, person, actor, tag)."""

    def __init__(self, seed):
        self.rng = random.Random(f"records|{seed}")

    def doc_id(self, rng):
        return base64.urlsafe_b64encode(rng.getrandbits(128).to_bytes(16, "big")).decode()[:22]

    def gh(self, rng, t_us, actor, action, repo, ip, country, person, tag=None, proto="ssh", extra=None):
        ms = t_us // 1000
        if extra is None and action.startswith("git."):
            line = (f'{{"@timestamp":{ms},"_document_id":"{self.doc_id(rng)}","action":"{action}",'
                    f'"actor":"{actor}","actor_ip":"{ip}","actor_location":{{"country_code":"{country}"}},'
                    f'"created_at":{ms},"org":"{ORG}","repo":"{repo}","repository":"{repo}",'
                    f'"repository_public":false,"transport_protocol_name":"{proto}",'
                    f'"user_agent":"git/2.43.0"}}')
        else:
            rec = {"@timestamp": ms, "_document_id": self.doc_id(rng), "action": action,
                   "actor": actor, "actor_ip": ip, "actor_location": {"country_code": country},
                   "created_at": ms, "org": ORG}
            if repo:
                rec["repo"] = repo
                rec["repository"] = repo
            if action.startswith("git."):
                rec["transport_protocol_name"] = proto
                rec["user_agent"] = "git/2.43.0"
            else:
                rec["user_agent"] = ("Mozilla/5.0 (X11; Linux x86_64; rv:131.0) "
                                     "Gecko/20100101 Firefox/131.0")
            rec.update(extra or {})
            line = json.dumps(rec, separators=(",", ":"))
        return (t_us, "gh", line, person, actor, tag)

    @staticmethod
    def ssh(t_us, host, pid, msg, person, actor, tag=None):
        return (t_us, "ssh", f"{rfc3339_us(t_us)} {host} sshd[{pid}]: {msg}", person, actor, tag)


def ssh_session(rec, rng, t_us, host, principal, ip, person, *, uid, key_fp, dur_s,
                method="publickey", grant=None, serial=None, tag=None, wrong_key_first=False):
    """A login: optional failed key, Accepted, session opened, later session closed."""
    pid = rng.randrange(1200, 65000)
    port = rng.randrange(32768, 61000)
    out = []
    t = t_us
    if wrong_key_first:
        other = fingerprint(f"other|{principal}")
        out.append(rec.ssh(t, host, pid, f"Failed publickey for {principal} from {ip} port {port} ssh2: ED25519 SHA256:{other}", person, principal, tag))
        t += rng.randrange(200_000, 900_000)
    if method == "cert":
        msg = (f"Accepted publickey for {principal} from {ip} port {port} ssh2: ED25519-CERT SHA256:{key_fp} "
               f"ID {grant} (serial {serial}) CA ED25519 SHA256:{CA_FP}")
    elif method == "password":
        msg = f"Accepted password for {principal} from {ip} port {port} ssh2"
    else:
        msg = f"Accepted publickey for {principal} from {ip} port {port} ssh2: ED25519 SHA256:{key_fp}"
    out.append(rec.ssh(t, host, pid, msg, person, principal, tag))
    t += rng.randrange(2_000, 40_000)
    out.append(rec.ssh(t, host, pid, f"pam_unix(sshd:session): session opened for user {principal}(uid={uid}) by (uid=0)", person, principal, tag))
    out.append(rec.ssh(t + int(dur_s * US), host, pid, f"pam_unix(sshd:session): session closed for user {principal}", person, principal, tag))
    return out


def ssh_failed(rec, rng, t_us, host, user, ip, person, *, invalid=False, tag=None):
    pid = rng.randrange(1200, 65000)
    port = rng.randrange(32768, 61000)
    out = []
    if invalid:
        out.append(rec.ssh(t_us, host, pid, f"Invalid user {user} from {ip} port {port}", person, user, tag))
        out.append(rec.ssh(t_us + 1_500_000, host, pid, f"Failed password for invalid user {user} from {ip} port {port} ssh2", person, user, tag))
    else:
        out.append(rec.ssh(t_us, host, pid, f"Failed password for {user} from {ip} port {port} ssh2", person, user, tag))
    return out


# ---------------------------------------------------------------- normal activity


def person_day(ctx, p, date):
    """A person's events of the working windows starting on one local date, in time order."""
    seed, scale, start = ctx["seed"], ctx["scale"], ctx["start"]
    rng = random.Random(f"{seed}|{p.handle}|{date.isoformat()}")
    rec = ctx["records"]
    day_index = (date - start).days
    windows = p.windows(date)
    if not windows or p.offboarded:
        return
    if day_index >= 7 and rng.random() < 0.04:
        return  # leave, sickness
    if day_index < 7:
        addr = p.addresses[day_index % len(p.addresses)]  # every stable address shows in week one
    else:
        addr = p.addresses[0] if rng.random() < 0.6 else rng.choice(p.addresses)
    addr = ctx["travel"].get((p.handle, date), addr)
    for ws, we in windows:
        s = ws + dt.timedelta(minutes=rng.choice([-12, -5, 0, 3, 8, 15, 25, 40]) + rng.random() * 4)
        roll = rng.random()
        if roll < 0.2:
            e = we + dt.timedelta(minutes=rng.uniform(3, 24))  # a slightly late evening, inside the grace
        elif roll < 0.3:
            e = we - dt.timedelta(minutes=rng.uniform(45, 100))  # leaves early
        else:
            e = we - dt.timedelta(minutes=rng.uniform(0, 40))
        if "start_shift_min" in p.habit:
            s = ws + dt.timedelta(minutes=p.habit["start_shift_min"] + rng.uniform(0, 15))
        short = p.habit.get("short_days", {}).get(date.weekday())
        if short:
            e = ws + dt.timedelta(minutes=short - rng.uniform(0, 20))
        s_us, e_us = to_us(s), to_us(e)
        if e_us - s_us < 1800 * US:
            continue
        lunch = None
        if e_us - s_us > 6 * 3600 * US:
            mid = s_us + (e_us - s_us) // 2 + int(rng.uniform(-3600, 1800) * US)
            lunch = (mid, mid + int(rng.uniform(30, 65) * 60 * US))
        yield from window_events(ctx, rec, rng, p, addr, s_us, e_us, lunch, scale)


def window_events(ctx, rec, rng, p, addr, s_us, e_us, lunch, scale):
    gh_rate = 2.4 * scale / 3600  # events per second
    ssh_rate = (0.35 * scale / 3600) if (p.principals and p.hosts) else 0.0
    rate = gh_rate + ssh_rate
    pending = []  # later events of open sessions
    seq = 0
    t = s_us
    repos = p.repos
    while True:
        t += int(rng.expovariate(rate) * US) + 1
        if lunch and lunch[0] <= t < lunch[1]:
            t = lunch[1] + int(rng.uniform(0, 300) * US)
        while pending and pending[0][0] <= t:
            yield heapq.heappop(pending)[2]
        if t >= e_us:
            break
        if rng.random() * rate < gh_rate:
            if not repos:
                continue
            repo = repos[0] if len(repos) == 1 or rng.random() < 0.7 else rng.choice(repos)
            r = rng.random()
            if r < 0.55:
                action = "git.fetch"
            elif r < 0.80:
                action = "git.push"
            elif r < 0.88:
                action = "git.clone"
            elif r < 0.93:
                action = "pull_request.create"
            elif r < 0.995:
                action = "pull_request.merge"
            else:
                action = "repo.download_zip"
            if action.startswith("git."):
                proto = "ssh" if rng.random() < 0.8 else "http"
                yield rec.gh(rng, t, p.github, action, repo, addr, p.country, p.handle, proto=proto)
            elif action == "repo.download_zip":
                yield rec.gh(rng, t, p.github, action, repo, addr, p.country, p.handle, extra={})
            else:
                number = rng.randrange(100, 9000)
                yield rec.gh(rng, t, p.github, action, repo, addr, p.country, p.handle,
                             extra={"pull_request_id": number, "pull_request_title": f"change {number}"})
        else:
            room = (e_us - t) / US - 90
            if room < 120:
                continue
            dur = min(rng.expovariate(1 / 1800) + 30, room)
            principal = p.principals[0]
            host = rng.choice(p.bastions) if p.bastions and rng.random() < 0.6 else rng.choice(p.hosts)
            events = ssh_session(rec, rng, t, host, principal, addr, p.handle, uid=p.uid,
                                 key_fp=p.key_fp, dur_s=dur,
                                 # a wrong key now and then; no more often at --scale, or bursts appear
                                 wrong_key_first=rng.random() < 0.03 / max(1.0, scale))
            if host.startswith("bastion.") and p.inner and rng.random() < 0.6:
                inner = [h for h in p.inner if h.split(".", 1)[1] == host.split(".", 1)[1]]
                if inner:
                    t2 = t + int(rng.uniform(5, 60) * US)
                    events += ssh_session(rec, rng, t2, rng.choice(inner), principal, addr, p.handle,
                                          uid=p.uid, key_fp=p.key_fp,
                                          dur_s=max(20, dur - (t2 - t) / US - rng.uniform(5, 60)))
            events.sort(key=lambda e: e[0])
            for ev in events:
                if ev[0] <= t:
                    yield ev
                else:
                    seq += 1
                    heapq.heappush(pending, (ev[0], seq, ev))
    while pending:
        yield heapq.heappop(pending)[2]


# ---------------------------------------------------------------- planted incidents


class Planter:
    """Builds the planted events, the grant windows and the truth."""

    def __init__(self, model, start, weeks, seed, period):
        self.m = model
        self.start = start
        self.weeks = weeks
        self.rng = random.Random(f"planted|{seed}")
        self.rec = Records(seed)
        self.period = period
        self.events = []
        self.truth = []
        self.grants = []
        self.groups = {}  # tag -> {"person", "note", "rare": bool}
        self.skipped = []
        self.n = 0

    # -- time helpers

    def local(self, handle_or_zone, week, weekday, hhmm, fold=0):
        zone = self.m.by_handle[handle_or_zone].zone if handle_or_zone in self.m.by_handle else ZoneInfo(handle_or_zone)
        d = self.start + dt.timedelta(days=7 * week + DAY_NAMES.index(weekday))
        return self.at(zone, d, hhmm, fold)

    def on(self, handle_or_zone, date_text, hhmm, fold=0):
        zone = self.m.by_handle[handle_or_zone].zone if handle_or_zone in self.m.by_handle else ZoneInfo(handle_or_zone)
        return self.at(zone, dt.date.fromisoformat(date_text), hhmm, fold)

    @staticmethod
    def at(zone, d, hhmm, fold):
        parts = [int(x) for x in hhmm.split(":")]
        while len(parts) < 3:
            parts.append(0)
        return to_us(dt.datetime(d.year, d.month, d.day, *parts, tzinfo=zone, fold=fold))

    # -- groups

    def group(self, note, events, incidents, person=None, rare_probe=None):
        """One planted situation: its events and the incidents it is (possibly none).

        `rare_probe`: whether the rare-hour rule is computed over its events (by default
        for off-hours situations; grant-covered night work asks for it too)."""
        if rare_probe is None:
            rare_probe = any(inc[0] == "off_hours" for inc in incidents)
        if not events:
            return
        times = [e[0] for e in events]
        if min(times) < self.period[0] or max(times) >= self.period[1]:
            self.skipped.append(note)
            return
        self.n += 1
        tag = f"g{self.n}"
        events = [e[:5] + (tag,) for e in events]
        self.events.extend(events)
        self.groups[tag] = {"person": person, "note": note, "rare_probe": rare_probe}
        for inc in incidents:
            detector, who, actor = inc[:3]
            sel = inc[3] if len(inc) > 3 else None
            ts = [e[0] for e in events if sel is None or sel(e)]
            self.truth.append({
                "detector": detector, "person": who, "actor": actor,
                "from": rfc3339_z(min(ts)), "until": rfc3339_z(max(ts), ceil=True),
                "note": note,
            })

    def grant(self, request, person, role, env, t_from, t_until, break_glass=False):
        self.grants.append({"request": request, "person": person, "role": role, "environment": env,
                            "from": rfc3339_z(t_from), "until": rfc3339_z(t_until),
                            "break_glass": break_glass})

    # -- event helpers

    def gh(self, handle, t, action, repo, ip=None, actor=None, extra=None, proto="ssh"):
        p = self.m.by_handle.get(handle)
        actor = actor or p.github
        ip = ip or p.addresses[0]
        country = p.country if p else "US"
        if extra is None and not action.startswith("git."):
            extra = {}
        return self.rec.gh(self.rng, t, actor, action, f"{ORG}/{repo}" if repo and "/" not in repo else repo,
                           ip, country, handle if p and actor == p.github else None, proto=proto, extra=extra)

    def login(self, handle, t, host, ip=None, principal=None, method="publickey", grant=None, dur_min=25):
        p = self.m.by_handle.get(handle)
        principal = principal or p.principals[0]
        ip = ip or p.addresses[0]
        serial = None
        if method == "cert":
            serial = 4000 + sum(map(ord, grant)) % 900
        return ssh_session(self.rec, self.rng, t, host, principal, ip, handle if p else None,
                           uid=p.uid if p else 990, key_fp=p.key_fp if p else fingerprint(principal),
                           dur_s=dur_min * 60, method=method, grant=grant, serial=serial)

    def fail(self, t, host, user, ip, handle=None, invalid=False):
        return ssh_failed(self.rec, self.rng, t, host, user, ip, handle, invalid=invalid)

    def plant(self):
        m, L, gh, login, fail = self.m, self.local, self.gh, self.login, self.fail
        MIN = 60 * US
        bastion_prod = next((h for h in m.hosts if h.startswith("bastion.prod")), None)
        bastion_stg = next((h for h in m.hosts if h.startswith("bastion.staging")), None)
        app = sorted(h for h in m.hosts if h.startswith("app-") and ".prod." in h)
        worker = sorted(h for h in m.hosts if h.startswith("worker-") and ".prod." in h)
        extra = [f"{ORG}/{r}" for r in EXTRA_REPOS]
        P = m.by_handle

        # ---------------- off hours
        t = L("eleanor", 3, "Wed", "18:07")
        self.group("off hours, just outside the grace: eleanor (London, ends 17:30, grace 30m) fetches and pushes at 18:07-18:11 GMT",
                   [gh("eleanor", t, "git.fetch", "platform"), gh("eleanor", t + 4 * MIN, "git.push", "platform")],
                   [("off_hours", "eleanor", "ewhitfield")], "eleanor")
        t = L("marcus", 0, "Tue", "07:52")
        self.group("off hours, just before the grace: marcus (London, starts 08:30, grace 30m) pushes at 07:52 BST",
                   [gh("marcus", t, "git.push", "platform")], [("off_hours", "marcus", "marcus-o")], "marcus")
        t = L("piotr", 3, "Tue", "23:40")
        self.group("off hours, well outside: piotr (Warsaw, 09:00-17:00) clones and fetches at 23:40 CET, after the EU change",
                   [gh("piotr", t, "git.clone", "platform"), gh("piotr", t + 15 * MIN, "git.fetch", "platform")],
                   [("off_hours", "piotr", "pzielinski")], "piotr")
        t = L("ananya", 3, "Thu", "22:10")
        self.group("off hours, just outside in Kolkata: ananya (12:00-21:00 IST, grace to 21:30) pushes at 22:10 IST",
                   [gh("ananya", t, "git.push", "payments")], [("off_hours", "ananya", "ananya-g")], "ananya")
        t = L("vikram", 0, "Wed", "03:15")
        self.group("off hours, well outside in Kolkata: vikram (10:00-19:00 IST) pushes at 03:15 IST and fetches at 03:40",
                   [gh("vikram", t, "git.push", "mobile"), gh("vikram", t + 25 * MIN, "git.fetch", "mobile")],
                   [("off_hours", "vikram", "vrao-nimbus")], "vikram")
        t = self.on("katarzyna", "2026-10-26", "07:25")
        self.group("off hours across the EU change: katarzyna (Warsaw, starts 08:00) fetches and pushes at 07:25 CET on Monday 2026-10-26 (06:25 UTC; with last week's CEST offset it would look like 08:25, inside)",
                   [gh("katarzyna", t, "git.fetch", "platform"), gh("katarzyna", t + 3 * MIN, "git.push", "platform")],
                   [("off_hours", "katarzyna", "knowak-harbor")], "katarzyna")
        t = self.on("dana", "2026-11-01", "01:40", fold=1)
        self.group("off hours in the repeated hour of the US change: dana fetches at 01:40 EST on Sunday 2026-11-01 (the second 01:40, 06:40 UTC)",
                   [gh("dana", t, "git.fetch", "platform")], [("off_hours", "dana", "dkowalczyk")], "dana")
        t = self.on("dana", "2026-11-02", "08:20")
        self.group("off hours across the US change: dana (New York, starts 09:00, grace 30m) pushes at 08:20 EST on Monday 2026-11-02 (13:20 UTC; with EDT it would look like 09:20, inside)",
                   [gh("dana", t, "git.push", "platform")], [("off_hours", "dana", "dkowalczyk")], "dana")
        t = L("miguel", 0, "Sat", "07:50")
        self.group("off hours after a night shift: miguel (Manila, Mon-Fri 22:00-07:00; Friday's shift ends Saturday 07:00, grace to 07:30) fetches at 07:50 on Saturday",
                   [gh("miguel", t, "git.fetch", "platform")], [("off_hours", "miguel", "msantos-harbor")], "miguel")
        t = L("miguel", 3, "Sun", "22:30")
        self.group("off hours before a night shift: miguel pushes at 22:30 Manila on Sunday (his shifts start Monday 22:00)",
                   [gh("miguel", t, "git.push", "platform")], [("off_hours", "miguel", "msantos-harbor")], "miguel")
        t = L("omar", 1, "Mon", "11:00")
        self.group("off hours on a weekday: omar works Tue-Sat; he pushes on Monday at 11:00 London",
                   [gh("omar", t, "git.push", "payments")], [("off_hours", "omar", "ohaddad")], "omar")
        t = L("tomas", 0, "Fri", "14:10")
        self.group("off hours on a short day: tomas (New York, Fri 08:00-13:00) pushes on Friday at 14:10 EDT",
                   [gh("tomas", t, "git.push", "platform")], [("off_hours", "tomas", "tribeiro")], "tomas")
        t = L("wei", 3, "Sat", "14:00")
        self.group("off hours at a weekend: wei (Singapore) clones on Saturday at 14:00 SGT",
                   [gh("wei", t, "git.clone", "payments")], [("off_hours", "wei", "tanweiling")], "wei")

        # ---------------- grants: off-hours work they cover (not incidents)
        g_from, g_until = L("dana", 1, "Sat", "02:00"), L("dana", 1, "Sat", "06:00")
        self.grant("req-1041", "dana", "incident-responder", "prod", g_from, g_until, break_glass=True)
        ev = login("dana", g_from + 14 * MIN, bastion_prod, principal="dana-break-glass", method="cert", grant="req-1041", dur_min=170)
        ev += login("dana", g_from + 16 * MIN, app[2], principal="dana-break-glass", method="cert", grant="req-1041", dur_min=150)
        ev += [gh("dana", g_from + 65 * MIN, "git.fetch", "platform"), gh("dana", g_from + 100 * MIN, "git.push", "platform")]
        self.group("covered: dana's break-glass grant req-1041 (incident-responder, Saturday 02:00-06:00 New York) and her night work under it",
                   ev, [], "dana", rare_probe=True)
        g_from, g_until = L("marcus", 3, "Sat", "10:00"), L("marcus", 3, "Sat", "13:00")
        self.grant("req-1049", "marcus", "prod-reader", "prod", g_from, g_until)
        ev = login("marcus", g_from + 20 * MIN, bastion_prod, dur_min=50) + [gh("marcus", g_from + 80 * MIN, "git.fetch", "platform")]
        self.group("covered: marcus's Saturday on-call grant req-1049 (prod-reader, 10:00-13:00 London)", ev, [], "marcus", rare_probe=True)
        g_from, g_until = L("arjun", 1, "Sat", "21:00"), L("arjun", 1, "Sat", "23:30")
        self.grant("req-1063", "arjun", "prod-reader", "prod", g_from, g_until)
        ev = login("arjun", g_from + 10 * MIN, bastion_prod, method="cert", grant="req-1063", dur_min=90)
        ev += login("arjun", g_from + 12 * MIN, app[0], method="cert", grant="req-1063", dur_min=80)
        ev += [gh("arjun", g_from + 40 * MIN, "git.push", "payments")]
        self.group("covered: arjun's release-night grant req-1063 (prod-reader, Saturday 21:00-23:30 IST)", ev, [], "arjun", rare_probe=True)
        g_from, g_until = L("kavya", 2, "Tue", "11:30"), L("kavya", 2, "Tue", "15:30")
        self.grant("req-1057", "kavya", "prod-reader", "prod", g_from, g_until)
        ev = login("kavya", g_from + 25 * MIN, app[1], method="cert", grant="req-1057", dur_min=40)
        self.group("covered: kavya's grant req-1057 (prod-reader, which her standing roles lack) lets her read a prod host", ev, [], "kavya")
        g_from, g_until = L("sofia", 3, "Tue", "18:00"), L("sofia", 3, "Tue", "20:00")
        self.grant("req-1082", "sofia", "prod-reader", "prod", g_from, g_until)
        ev = login("sofia", g_from + 10 * MIN, app[1], method="cert", grant="req-1082", dur_min=80)
        self.group("covered: sofia's evening grant req-1082 (prod-reader, 18:00-20:00 Berlin)", ev, [], "sofia", rare_probe=True)

        # ---------------- after the end
        t = L("gareth", 1, "Wed", "11:20")
        self.group("after the end: gareth, offboarded on 2026-08-29, clones and fetches acme/platform in what were his hours",
                   [gh("gareth", t, "git.clone", "platform", ip="198.51.100.210"), gh("gareth", t + 25 * MIN, "git.fetch", "platform", ip="198.51.100.210")],
                   [("after_end", "gareth", "glloyd")], "gareth")
        t = L("gareth", 3, "Thu", "14:05")
        self.group("after the end: gareth downloads an archive of acme/platform",
                   [gh("gareth", t, "repo.download_zip", "platform", ip="198.51.100.210")],
                   [("after_end", "gareth", "glloyd")], "gareth")
        t = L("sofia", 3, "Tue", "20:40")
        self.group("after the end and off hours: sofia's certificate for grant req-1082 (until 20:00 Berlin) logs in at 20:40",
                   login("sofia", t, app[1], method="cert", grant="req-1082", dur_min=15),
                   [("after_end", "sofia", "sofia"), ("off_hours", "sofia", "sofia")], "sofia")
        t = L("arjun", 3, "Mon", "12:00")
        self.group("after the end: arjun's certificate for grant req-1063 (ended Saturday 23:30 IST two weeks earlier) logs in to a prod host on Monday, inside his hours and his standing role",
                   login("arjun", t, app[0], method="cert", grant="req-1063", dur_min=20),
                   [("after_end", "arjun", "arjun.menon")], "arjun")
        t = L("kavya", 2, "Wed", "12:30")
        self.group("after the end and least privilege: kavya's certificate for grant req-1057 (ended Tuesday 15:30 IST) logs in to a prod host the next day",
                   login("kavya", t, app[1], method="cert", grant="req-1057", dur_min=15),
                   [("after_end", "kavya", "kavya.iyer"), ("least_privilege", "kavya", "kavya.iyer")], "kavya")

        # ---------------- least privilege
        t = L("piotr", 1, "Thu", "10:30")
        self.group("least privilege: piotr (harbor, whose services live in acme/platform) clones and fetches acme/payments",
                   [gh("piotr", t, "git.clone", "payments"), gh("piotr", t + 20 * MIN, "git.fetch", "payments")],
                   [("least_privilege", "piotr", "pzielinski")], "piotr")
        t = L("meera", 2, "Tue", "14:00")
        self.group("least privilege: meera (nimbus-mobile, acme/mobile only) clones acme/platform",
                   [gh("meera", t, "git.clone", "platform"), gh("meera", t + 30 * MIN, "git.fetch", "platform")],
                   [("least_privilege", "meera", "meera-pillai")], "meera")
        t = L("jan", 3, "Wed", "13:00")
        self.group("least privilege: jan (harbor, no roles) clones acme/treasury, which no service declares",
                   [gh("jan", t, "git.clone", "treasury")], [("least_privilege", "jan", "jkowalski-harbor")], "jan")
        t = L("eleanor", 1, "Mon", "15:00")
        self.group("least privilege: eleanor (platform) clones acme/mobile, nimbus-mobile's repository",
                   [gh("eleanor", t, "git.clone", "mobile")], [("least_privilege", "eleanor", "ewhitfield")], "eleanor")
        t = L("kavya", 1, "Wed", "15:00")
        self.group("least privilege: kavya (staging-deployer only) logs in to a prod host with her key and no grant",
                   login("kavya", t, app[0], dur_min=12), [("least_privilege", "kavya", "kavya.iyer")], "kavya")
        t = L("rohan", 3, "Thu", "16:00")
        self.group("least privilege: rohan (staging-deployer only) logs in to the prod bastion",
                   login("rohan", t, bastion_prod, dur_min=8), [("least_privilege", "rohan", "rohan.desai")], "rohan")

        # ---------------- mass download (each also reads repositories outside the team's services)
        t = L("katarzyna", 2, "Thu", "11:00")
        ev = [gh("katarzyna", t + i * 90 * US + self.rng.randrange(0, 60) * US, "git.clone", r) for i, r in enumerate(extra[:26])]
        self.group("mass download: katarzyna clones 26 repositories in 40 minutes", ev,
                   [("mass_download", "katarzyna", "knowak-harbor"), ("least_privilege", "katarzyna", "knowak-harbor")], "katarzyna")
        t = L("arjun", 3, "Wed", "15:10")
        ev = [gh("arjun", t + i * 130 * US + self.rng.randrange(0, 60) * US, "repo.download_zip", r) for i, r in enumerate(extra[4:26])]
        self.group("mass download: arjun downloads archives of 22 repositories in 48 minutes", ev,
                   [("mass_download", "arjun", "arjun-menon-nimbus"), ("least_privilege", "arjun", "arjun-menon-nimbus")], "arjun")
        t = L("wei", 1, "Tue", "16:35")
        ev = [gh("wei", t + i * 60 * US + self.rng.randrange(0, 40) * US, "git.clone", r) for i, r in enumerate(extra[:12])]
        t2 = L("wei", 1, "Tue", "17:00")
        ev += [gh("wei", t2 + i * 130 * US + self.rng.randrange(0, 40) * US, "git.clone", r) for i, r in enumerate(extra[12:24])]
        self.group("mass download across a clock hour: wei clones 24 repositories in 55 minutes (12 before 17:00 SGT, 12 after; no clock hour holds 20)", ev,
                   [("mass_download", "wei", "tanweiling"), ("least_privilege", "wei", "tanweiling")], "wei")
        t = L("priya", 3, "Tue", "10:00")
        ev = [gh("priya", t + i * 30 * MIN + self.rng.randrange(0, 600) * US, "git.clone", r) for i, r in enumerate(extra[10:22])]
        self.group("mass download against her baseline: priya (about one repository a day) clones 12 repositories over six hours, never more than 2 an hour", ev,
                   [("mass_download", "priya", "priya-n"), ("least_privilege", "priya", "priya-n")], "priya")

        # ---------------- failed logins
        t = L("arjun", 1, "Thu", "14:10")
        ev = []
        for i in range(7):
            ev += fail(t + i * 35 * US, bastion_prod, "arjun.menon", "203.0.113.177", "arjun")
        self.group("failed logins per user: 7 failed passwords for arjun.menon from one address in 4 minutes", ev,
                   [("failed_logins", "arjun", "arjun.menon")], "arjun", rare_probe=False)
        t = L("sofia", 2, "Mon", "10:00")
        ev = []
        for i in range(6):
            ev += fail(t + i * 80 * US, bastion_prod, "sofia", f"203.0.113.{150 + i * 7}", "sofia")
        self.group("failed logins per user, spread: 6 failed passwords for sofia from 6 addresses in 8 minutes", ev,
                   [("failed_logins", "sofia", "sofia")], "sofia", rare_probe=False)
        t = L("UTC", 2, "Fri", "14:00")  # inside all five people's hours
        ev = []
        for i, (h, u) in enumerate([("eleanor", "eleanor"), ("marcus", "marcus"), ("james", "james"), ("dana", "dana"), ("sofia", "sofia")]):
            ev += fail(t + i * 40 * US, bastion_prod, u, "198.51.100.223", h)
        self.group("failed logins per address: 198.51.100.223 sprays five real principals once each in 3 minutes", ev,
                   [("failed_logins", None, "198.51.100.223")], None, rare_probe=False)
        t = L("UTC", 0, "Sat", "04:12")
        ev = []
        for i, u in enumerate(["admin", "oracle", "test", "ubuntu", "postgres", "git"]):
            ev += fail(t + i * 20 * US, bastion_stg, u, "203.0.113.166", None, invalid=True)
        self.group("failed logins per address: 203.0.113.166 tries six invalid users in 2 minutes (failed attempts by names no identity has are this detector's, not unknown_actor's)", ev,
                   [("failed_logins", None, "203.0.113.166")], None, rare_probe=False)
        t = L("rohan", 3, "Tue", "15:00")
        ev = []
        for i in range(6):
            ev += fail(t + i * 30 * US, bastion_stg, "rohan.desai", "203.0.113.145", "rohan")
        ev += login("rohan", t + 220 * US, bastion_stg, ip="203.0.113.145", method="password", dur_min=6)
        self.group("failed logins then a success: 6 failed passwords for rohan.desai then an accepted password from the same address", ev,
                   [("failed_logins", "rohan", "rohan.desai")], "rohan", rare_probe=False)

        # ---------------- new address on a critical environment's host
        t = L("eleanor", 3, "Wed", "11:05")
        self.group("new address: eleanor logs in to the prod bastion from 198.51.100.201, never seen for her",
                   login("eleanor", t, bastion_prod, ip="198.51.100.201", dur_min=20),
                   [("new_address", "eleanor", "eleanor")], "eleanor")
        t = L("james", 3, "Fri", "14:20")
        self.group("new address: james logs in to a prod app host from 2001:db8:bad::15 (IPv6), never seen for him",
                   login("james", t, app[3], ip="2001:db8:bad::15", dur_min=30),
                   [("new_address", "james", "james")], "james")
        t = L("arjun", 3, "Thu", "15:30")
        self.group("new address: arjun logs in to a prod worker from 203.0.113.240, never seen for him",
                   login("arjun", t, worker[2], ip="203.0.113.240", dur_min=25),
                   [("new_address", "arjun", "arjun.menon")], "arjun")
        t = L("dana", 3, "Tue", "10:10")
        self.group("new address: dana logs in to the prod bastion from 198.51.100.250 after the EU change but before the US one",
                   login("dana", t, bastion_prod, ip="198.51.100.250", dur_min=15),
                   [("new_address", "dana", "dana")], "dana")

        # ---------------- rare hour inside the declared hours
        t = L("kavya", 3, "Fri", "09:40")
        ev = [gh("kavya", t, "git.fetch", "platform"), gh("kavya", t + 6 * MIN, "git.push", "platform")]
        ev += login("kavya", t + 9 * MIN, bastion_stg, dur_min=10)
        self.group("rare hour inside her hours: kavya (09:30-18:30 IST declared, habitually from 11:00) works at 09:40 after four weeks of history", ev,
                   [("rare_hour", "kavya", "kavya-iyer")], "kavya", rare_probe=False)
        t = L("omar", 3, "Sat", "16:30")
        self.group("rare hour inside his hours: omar (Tue-Sat 10:00-18:00, Saturdays habitually to 14:00) pushes at 16:30 on a Saturday",
                   [gh("omar", t, "git.push", "payments"), gh("omar", t + 10 * MIN, "git.fetch", "payments")],
                   [("rare_hour", "omar", "ohaddad")], "omar", rare_probe=False)

        # ---------------- security changes by vendor members
        t = L("katarzyna", 2, "Wed", "13:10")
        self.group("security change: katarzyna (harbor) deletes main's branch protection on acme/platform",
                   [gh("katarzyna", t, "protected_branch.destroy", "platform", extra={"branch": "main", "name": "main"})],
                   [("security_change", "katarzyna", "knowak-harbor")], "katarzyna")
        t = L("meera", 3, "Tue", "15:00")
        self.group("security change: meera (nimbus) makes acme/mobile public",
                   [gh("meera", t, "repo.access", "mobile", extra={"visibility": "public", "previous_visibility": "private"})],
                   [("security_change", "meera", "meera-pillai")], "meera")
        t = L("rohan", 1, "Fri", "12:00")
        self.group("security change: rohan (nimbus) adds an outside collaborator to the org",
                   [gh("rohan", t, "org.add_outside_collaborator", None, extra={"user": "contractor-gh-4471"})],
                   [("security_change", "rohan", "rohandesai")], "rohan")
        t = L("miguel", 3, "Wed", "23:30")
        self.group("security change: miguel (harbor) requests a fine-grained personal access token, during his night shift",
                   [gh("miguel", t, "personal_access_token.request_created", None,
                       extra={"user": "msantos-harbor", "token_id": 88213, "permissions": {"repository": {"contents": "write"}}})],
                   [("security_change", "miguel", "msantos-harbor")], "miguel")
        t = L("vikram", 2, "Thu", "16:00")
        self.group("security change: vikram (nimbus) creates a read-write deploy key on acme/mobile",
                   [gh("vikram", t, "deploy_key.create", "mobile", extra={"title": "ci-mirror", "read_only": False,
                                                                         "fingerprint": "SHA256:" + fingerprint("deploy|vikram")})],
                   [("security_change", "vikram", "vrao-nimbus")], "vikram")
        t = L("agnieszka", 3, "Thu", "10:20")
        self.group("security change: agnieszka (harbor) lowers main's required reviews from 2 to 0 on acme/platform",
                   [gh("agnieszka", t, "protected_branch.update", "platform",
                       extra={"branch": "main", "name": "main", "required_approving_review_count": 0,
                              "old_required_approving_review_count": 2})],
                   [("security_change", "agnieszka", "awojcik")], "agnieszka")
        t = L("dana", 1, "Tue", "11:00")
        self.group("not an incident: dana (internal platform) creates a read-only deploy key on acme/platform",
                   [gh("dana", t, "deploy_key.create", "platform", extra={"title": "terraform-ci", "read_only": True,
                                                                          "fingerprint": "SHA256:" + fingerprint("deploy|dana")})],
                   [], "dana")

        # ---------------- unknown actors
        t = L("UTC", 1, "Mon", "03:00")
        self.group("unknown actor: build-bot-legacy, a login no identity has, clones and fetches acme/platform",
                   [self.rec.gh(self.rng, t, "build-bot-legacy", "git.clone", f"{ORG}/platform", "198.51.100.190", "US", None),
                    self.rec.gh(self.rng, t + 4 * MIN, "build-bot-legacy", "git.fetch", f"{ORG}/platform", "198.51.100.190", "US", None)],
                   [("unknown_actor", None, "build-bot-legacy")], None)
        t = L("kavya", 2, "Thu", "14:00")
        self.group("unknown actor: kavya-iyer-personal, a personal account the model does not know, pushes to acme/platform from kavya's address",
                   [self.rec.gh(self.rng, t, "kavya-iyer-personal", "git.push", f"{ORG}/platform", P["kavya"].addresses[0], "IN", None)],
                   [("unknown_actor", None, "kavya-iyer-personal")], None)
        t = L("UTC", 3, "Sun", "04:00")
        self.group("unknown actor: principal deploy, which no identity has, logs in to a prod worker with a key",
                   ssh_session(self.rec, self.rng, t, worker[1], "deploy", "198.51.100.177", None, uid=998,
                               key_fp=fingerprint("deploy"), dur_s=300),
                   [("unknown_actor", None, "deploy")], None)
        t = L("UTC", 3, "Thu", "09:00")
        self.group("unknown actor: principal ops logs in to the prod bastion with a certificate naming req-9999, a grant that does not exist",
                   ssh_session(self.rec, self.rng, t, bastion_prod, "ops", "203.0.113.199", None, uid=997,
                               key_fp=fingerprint("ops"), dur_s=240, method="cert", grant="req-9999", serial=9),
                   [("unknown_actor", None, "ops")], None)

        # ---------------- legitimate new addresses on non-critical hosts (not incidents)
        self.travel = {}
        for handle, week, days, ip in [("ruth", 1, ["Tue", "Wed", "Thu"], "198.51.100.150"),
                                       ("wei", 2, ["Mon", "Tue"], "2001:db8:2::9")]:
            for d in days:
                self.travel[(handle, self.start + dt.timedelta(days=7 * week + DAY_NAMES.index(d)))] = ip

        self.events.sort(key=lambda e: e[0])
        self.truth.sort(key=lambda i: (i["from"], i["detector"]))
        self.grants.sort(key=lambda g: g["from"])


# ---------------------------------------------------------------- the run


def run(args):
    model = Model(args.model)
    start = dt.date.fromisoformat(args.start)
    if start.weekday() != 0:
        print(f"warning: --start {start} is not a Monday; planted shapes are placed by week and weekday from it", file=sys.stderr)
    days = 7 * args.weeks
    zones = {p.zone for p in model.people}
    p_from = min(to_us(dt.datetime(start.year, start.month, start.day, tzinfo=z)) for z in zones)
    end = start + dt.timedelta(days=days)
    p_until = max(to_us(dt.datetime(end.year, end.month, end.day, tzinfo=z)) for z in zones)
    spanned = [(d, what) for d, what in DST_CHANGES if start <= dt.date.fromisoformat(d) < end]
    for d, what in DST_CHANGES:
        if (d, what) not in spanned:
            print(f"warning: the run does not span {d} ({what}); its shapes are left out", file=sys.stderr)

    planter = Planter(model, start, args.weeks, args.seed, (p_from, p_until))
    planter.plant()
    for note in planter.skipped:
        print(f"note: outside the period, not planted: {note}", file=sys.stderr)

    ctx = {"seed": args.seed, "scale": args.scale, "start": start, "records": Records(args.seed),
           "travel": planter.travel}
    # Lazy streams: each person-day joins the merge when the clock reaches its local midnight.
    pending = []
    for d in range(days):
        date = start + dt.timedelta(days=d)
        for p in model.people:
            if not p.windows(date):
                continue
            t0 = to_us(dt.datetime(date.year, date.month, date.day, tzinfo=p.zone))
            pending.append((t0, p.index, date, p))
    pending.sort(key=lambda x: (x[0], x[1]))

    os.makedirs(args.out, exist_ok=True)
    gh_out = open(os.path.join(args.out, "github.ndjson"), "w", buffering=1 << 20)
    ssh_out = open(os.path.join(args.out, "auth.log"), "w", buffering=1 << 20)
    counts = {}
    hist = {p.handle: [0] * 168 for p in model.people}
    totals = {p.handle: 0 for p in model.people}
    rare_hits = {}  # tag -> [events]
    normal_rare = 0
    probe_history = {}  # tag -> the person's events before the situation's first
    zone_of = {p.handle: p.zone for p in model.people}

    heap = []
    sid = 0
    pi = 0

    def push(gen, stream):
        ev = next(gen, None)
        if ev is not None:
            heapq.heappush(heap, (ev[0], stream, ev, gen))

    push(iter(planter.events), 0)
    while heap or pi < len(pending):
        while pi < len(pending) and (not heap or pending[pi][0] <= heap[0][0]):
            sid += 1
            push(person_day(ctx, pending[pi][3], pending[pi][2]), sid)
            pi += 1
        if not heap:
            continue
        _, stream, ev, gen = heapq.heappop(heap)
        push(gen, stream)
        t_us, kind, line, person, actor, tag = ev
        if t_us < p_from or t_us >= p_until:
            continue
        (gh_out if kind == "gh" else ssh_out).write(line + "\n")
        key = kind + ":" + (line.split('"action":"', 1)[1].split('"', 1)[0] if kind == "gh" else ssh_kind(line))
        counts[key] = counts.get(key, 0) + 1
        if person:
            local = dt.datetime.fromtimestamp(t_us / US, zone_of[person])
            b = local.weekday() * 24 + local.hour
            h = hist[person]
            total = totals[person]
            rare = total >= model.rare_min and h[b] < model.rare_share * total
            if tag and tag not in probe_history and planter.groups[tag]["rare_probe"]:
                probe_history[tag] = total
            if rare:
                if tag and planter.groups[tag]["rare_probe"]:
                    rare_hits.setdefault(tag, []).append((t_us, actor, total))
                elif not tag:
                    normal_rare += 1
            h[b] += 1
            totals[person] = total + 1
    gh_out.close()
    ssh_out.close()

    # Rare hour as the model's rule computes it, for planted and grant-covered situations:
    # an hour of the week (in the person's zone) holding less than rare_hour_share of at
    # least rare_hour_min_events of their earlier activity.
    for tag, hits in rare_hits.items():
        g = planter.groups[tag]
        ts = [h[0] for h in hits]
        planter.truth.append({
            "detector": "rare_hour", "person": g["person"], "actor": hits[0][1],
            "from": rfc3339_z(min(ts)), "until": rfc3339_z(max(ts), ceil=True),
            "note": f"computed: {len(ts)} event(s) in an hour of the week holding less than "
                    f"{model.rare_share:g} of {g['person']}'s {hits[0][2]} earlier events "
                    f"(the rule needs {model.rare_min}); situation: {g['note']}",
        })
    planter.truth.sort(key=lambda i: (i["from"], i["detector"]))

    by_detector = {}
    for inc in planter.truth:
        by_detector[inc["detector"]] = by_detector.get(inc["detector"], 0) + 1
    events = sum(counts.values())
    meta = {
        "model": args.model, "seed": args.seed, "start": args.start, "weeks": args.weeks,
        "scale": args.scale,
        "period": {"from": rfc3339_z(p_from), "until": rfc3339_z(p_until)},
        "daylight_saving_changes": [{"date": d, "what": w} for d, w in spanned],
        "grace_minutes": model.grace.total_seconds() / 60,
        "events": events,
        "counts": dict(sorted(counts.items())),
        "incidents_by_detector": dict(sorted(by_detector.items())),
        "normal_events_in_rare_hours": normal_rare,
        "rare_hour_probes": [{"person": planter.groups[t]["person"], "history": n, "rare": t in rare_hits,
                              "situation": planter.groups[t]["note"]} for t, n in probe_history.items()],
        "incidents": planter.truth,
    }
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(args.out, "grants.json"), "w") as f:
        json.dump(planter.grants, f, indent=1)
        f.write("\n")
    return meta


def ssh_kind(line):
    msg = line.split(": ", 1)[1]
    if msg.startswith("Accepted"):
        return "accepted_cert" if "-CERT " in msg else "accepted_" + msg.split()[1]
    if msg.startswith("Failed"):
        return "failed_" + msg.split()[1]
    if msg.startswith("Invalid user"):
        return "invalid_user"
    if "session opened" in msg:
        return "session_opened"
    if "session closed" in msg:
        return "session_closed"
    return "other"


# ---------------------------------------------------------------- check


IP = r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]+)"
KEY = r"SHA256:[A-Za-z0-9+/]{43}"
PREFIX = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00) ([A-Za-z0-9.-]+) sshd\[(\d+)\]: (.*)$")
MESSAGES = [
    re.compile(rf"^Accepted publickey for (\S+) from ({IP}) port \d+ ssh2: ED25519 {KEY}$"),
    re.compile(rf"^Accepted publickey for (\S+) from ({IP}) port \d+ ssh2: ED25519-CERT {KEY} ID (\S+) \(serial \d+\) CA ED25519 {KEY}$"),
    re.compile(rf"^Accepted password for (\S+) from ({IP}) port \d+ ssh2$"),
    re.compile(rf"^Failed password for (?:invalid user )?(\S+) from ({IP}) port \d+ ssh2$"),
    re.compile(rf"^Failed publickey for (\S+) from ({IP}) port \d+ ssh2: ED25519 {KEY}$"),
    re.compile(rf"^Invalid user (\S+) from ({IP}) port \d+$"),
    re.compile(r"^pam_unix\(sshd:session\): session opened for user (\S+)\(uid=\d+\) by \(uid=0\)$"),
    re.compile(r"^pam_unix\(sshd:session\): session closed for user (\S+)$"),
]
DETECTORS = {"off_hours", "after_end", "least_privilege", "mass_download", "failed_logins",
             "new_address", "rare_hour", "security_change", "unknown_actor"}
DOC_RANGES = ("192.0.2.", "198.51.100.", "203.0.113.", "2001:db8:")


def parse_z(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check(model_path, out):
    model = Model(model_path)
    handles = set(model.by_handle)
    problems = []
    with open(os.path.join(out, "truth.json")) as f:
        meta = json.load(f)
    p_from, p_until = parse_z(meta["period"]["from"]), parse_z(meta["period"]["until"])
    last = None
    n = 0
    with open(os.path.join(out, "github.ndjson"), encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            n += 1
            try:
                r = json.loads(line)
            except ValueError as e:
                problems.append(f"github.ndjson:{i}: not JSON: {e}")
                continue
            for k in ("@timestamp", "_document_id", "action", "actor", "actor_ip", "org"):
                if k not in r:
                    problems.append(f"github.ndjson:{i}: no {k}")
            if r.get("action", "").startswith("git."):
                for k in ("repo", "user_agent", "transport_protocol_name"):
                    if k not in r:
                        problems.append(f"github.ndjson:{i}: git event without {k}")
                if r.get("transport_protocol_name") not in ("ssh", "http"):
                    problems.append(f"github.ndjson:{i}: transport {r.get('transport_protocol_name')}")
            if not isinstance(r.get("@timestamp"), int):
                problems.append(f"github.ndjson:{i}: @timestamp is not epoch milliseconds")
            elif last is not None and r["@timestamp"] < last:
                problems.append(f"github.ndjson:{i}: out of order")
            else:
                last = r["@timestamp"]
                t = dt.datetime.fromtimestamp(r["@timestamp"] / 1000, UTC)
                if not p_from <= t < p_until:
                    problems.append(f"github.ndjson:{i}: outside the period")
            if not str(r.get("actor_ip", "")).startswith(DOC_RANGES):
                problems.append(f"github.ndjson:{i}: address {r.get('actor_ip')} outside documentation ranges")
            if len(problems) > 50:
                break
    gh_lines = n
    n = 0
    last = None
    with open(os.path.join(out, "auth.log"), encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            n += 1
            m = PREFIX.match(line.rstrip("\n"))
            if not m:
                problems.append(f"auth.log:{i}: no RFC 3339 sshd prefix: {line[:80]!r}")
                continue
            if not any(rx.match(m.group(4)) for rx in MESSAGES):
                problems.append(f"auth.log:{i}: message outside the sshd grammar: {m.group(4)[:100]!r}")
            if last is not None and m.group(1) < last:
                problems.append(f"auth.log:{i}: out of order")
            last = m.group(1)
            for ip in re.findall(r" from (\S+) port", m.group(4)):
                if not ip.startswith(DOC_RANGES):
                    problems.append(f"auth.log:{i}: address {ip} outside documentation ranges")
            if len(problems) > 50:
                break
    ssh_lines = n
    seen = set()
    for inc in meta["incidents"]:
        if inc["detector"] not in DETECTORS:
            problems.append(f"truth: unknown detector {inc['detector']}")
        seen.add(inc["detector"])
        if inc["person"] is not None and inc["person"] not in handles:
            problems.append(f"truth: {inc['person']} is no handle of the model")
        if inc["person"] is None and inc["detector"] not in ("unknown_actor", "failed_logins"):
            problems.append(f"truth: a {inc['detector']} incident without a person")
        a, b = parse_z(inc["from"]), parse_z(inc["until"])
        if not (p_from <= a <= b < p_until):
            problems.append(f"truth: {inc['detector']} {inc['from']}..{inc['until']} outside the period")
    for d in sorted(DETECTORS - seen):
        problems.append(f"truth: no incident of {d}")
    with open(os.path.join(out, "grants.json")) as f:
        for g in json.load(f):
            if g["person"] not in handles:
                problems.append(f"grants: {g['person']} is no handle of the model")
            if g["role"] not in model.roles:
                problems.append(f"grants: {g['role']} is no role of the model")
    problems += stray_off_hours(model, out, meta)
    for p in problems[:50]:
        print(p, file=sys.stderr)
    print(f"checked {gh_lines} GitHub records, {ssh_lines} auth.log lines, {len(meta['incidents'])} incidents: "
          f"{'ok' if not problems else f'{len(problems)} problem(s)'}")
    return not problems


def stray_off_hours(model, out, meta):
    """Events of known people outside their hours and grace that no off-hours or
    after-end incident and no grant explains: normal activity must have none."""
    who = {}
    for p in model.people:
        who[p.github] = p
        for pr in p.principals:
            who[pr] = p
    minute = dt.timedelta(minutes=1)
    spans = [(parse_z(i["from"]) - minute, parse_z(i["until"]) + minute) for i in meta["incidents"]
             if i["detector"] in ("off_hours", "after_end")]
    with open(os.path.join(out, "grants.json")) as f:
        spans += [(parse_z(g["from"]) - minute, parse_z(g["until"]) + minute) for g in json.load(f)]

    def stray(p, t):
        if any(a <= t <= b for a, b in spans):
            return False
        local = t.astimezone(p.zone).date()
        for d in (local, local - dt.timedelta(days=1)):
            for s, e in p.windows(d):
                if s - model.grace <= t <= e + model.grace:
                    return False
        return True

    found = []
    with open(os.path.join(out, "github.ndjson"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            p = who.get(r.get("actor"))
            if p and stray(p, dt.datetime.fromtimestamp(r["@timestamp"] / 1000, UTC)):
                found.append(f"github.ndjson: {p.handle} off hours outside any incident: {line[:90]}")
    user = re.compile(r" for (?:invalid user |user )?([^\s(]+)")
    with open(os.path.join(out, "auth.log"), encoding="utf-8") as f:
        for line in f:
            m = user.search(line)
            p = who.get(m.group(1)) if m else None
            if p and stray(p, dt.datetime.fromisoformat(line[:32])):
                found.append(f"auth.log: {p.handle} off hours outside any incident: {line[:90]}")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the operating model (palisade.toml)")
    ap.add_argument("--out", help="directory to write into")
    ap.add_argument("--weeks", type=int, default=4)
    ap.add_argument("--start", default="2026-10-05", help="a Monday (default 2026-10-05)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every person's activity rate (over 4 weeks, 102 gives about 1 M events, 1020 about 10 M)")
    ap.add_argument("--check", metavar="DIR", help="check a generated directory instead of generating")
    args = ap.parse_args()
    if args.check:
        sys.exit(0 if check(args.model, args.check) else 1)
    if not args.out:
        ap.error("--out DIR is needed (or --check DIR)")
    started = time.monotonic()
    meta = run(args)
    took = time.monotonic() - started
    print(f"{meta['events']} events ({sum(v for k, v in meta['counts'].items() if k.startswith('gh:'))} GitHub, "
          f"{sum(v for k, v in meta['counts'].items() if k.startswith('ssh:'))} sshd) from {meta['period']['from']} "
          f"to {meta['period']['until']}, {len(meta['incidents'])} incidents, in {took:.1f}s -> {args.out}")
    for d in meta["daylight_saving_changes"]:
        print(f"spans {d['date']}: {d['what']}")
    print("incidents: " + ", ".join(f"{k} {v}" for k, v in meta["incidents_by_detector"].items()))


if __name__ == "__main__":
    main()
