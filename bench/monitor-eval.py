#!/usr/bin/env python3
"""Score the activity monitor's alerts against a generator's planted incidents.

    bench/monitor-eval.py ALERTS.json TRUTH.json [--format text|json] [--verbose]
    bench/monitor-eval.py --self-test

ALERTS.json is what `palisade monitor ingest ... --format json` prints: an object with an
"alerts" list (a bare list is accepted too), each alert with "detector", "person",
"actor", "first_seen" and "last_seen". TRUTH.json is bench/monitor-generate.py's
truth.json (an object with "incidents", or a bare list of incidents).

An alert matches an incident when the detector is the same, the person is the same
(when the incident names no person: the actor is the same), and the alert's
[first_seen, last_seen] overlaps the incident's [from, until] widened by 10 minutes on
each side. Per detector: incidents, alerts, true positives (alerts that match an
incident), incidents found (incidents some alert matches), precision (true positives /
alerts) and recall (incidents found / incidents). Standard library only.
"""

import argparse
import datetime as dt
import json
import re
import sys
import unittest

SLACK = dt.timedelta(minutes=10)
DETECTORS = ["off_hours", "after_end", "least_privilege", "mass_download", "failed_logins",
             "new_address", "rare_hour", "security_change", "unknown_actor"]


def parse_time(text):
    """RFC 3339 with Z or an offset and any number of fraction digits, or epoch ms."""
    if isinstance(text, (int, float)):
        return dt.datetime.fromtimestamp(text / 1000, dt.timezone.utc)
    t = text.strip().replace("z", "Z")
    t = re.sub(r"Z$", "+00:00", t)
    t = re.sub(r"(\.\d{6})\d+", r"\1", t)  # nanoseconds to microseconds
    value = dt.datetime.fromisoformat(t)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def load_alerts(doc):
    alerts = doc.get("alerts", []) if isinstance(doc, dict) else doc
    out = []
    for a in alerts:
        first = a.get("first_seen") or a.get("time") or a.get("last_seen")
        last = a.get("last_seen") or first
        out.append(dict(a, _from=parse_time(first), _until=parse_time(last)))
    return out


def load_incidents(doc):
    incidents = doc.get("incidents", []) if isinstance(doc, dict) else doc
    return [dict(i, _from=parse_time(i["from"]), _until=parse_time(i["until"])) for i in incidents]


def matches(alert, incident):
    if alert.get("detector") != incident["detector"]:
        return False
    if incident.get("person") is not None:
        if alert.get("person") != incident["person"]:
            return False
    elif alert.get("actor") != incident.get("actor"):
        return False
    return alert["_from"] <= incident["_until"] + SLACK and alert["_until"] >= incident["_from"] - SLACK


def score(alerts, incidents):
    """Per-detector and total figures, with the unmatched alerts and missed incidents."""
    matched_alerts = set()
    found = set()
    for ai, a in enumerate(alerts):
        for ii, inc in enumerate(incidents):
            if matches(a, inc):
                matched_alerts.add(ai)
                found.add(ii)
    names = list(DETECTORS) + sorted({a.get("detector") for a in alerts} | {i["detector"] for i in incidents}
                                     - set(DETECTORS) - {None})
    rows = {}
    for d in names + ["total"]:
        sel_a = [i for i, a in enumerate(alerts) if d == "total" or a.get("detector") == d]
        sel_i = [i for i, inc in enumerate(incidents) if d == "total" or inc["detector"] == d]
        tp = sum(1 for i in sel_a if i in matched_alerts)
        fnd = sum(1 for i in sel_i if i in found)
        rows[d] = {
            "incidents": len(sel_i), "alerts": len(sel_a), "true_positives": tp, "found": fnd,
            "precision": (tp / len(sel_a)) if sel_a else None,
            "recall": (fnd / len(sel_i)) if sel_i else None,
        }
    unmatched = [public(alerts[i]) for i in range(len(alerts)) if i not in matched_alerts]
    missed = [public(incidents[i]) for i in range(len(incidents)) if i not in found]
    return rows, unmatched, missed


def public(record):
    return {k: v for k, v in record.items() if not k.startswith("_")}


def pct(x):
    return "-" if x is None else f"{100 * x:5.1f}%"


def render_text(rows, unmatched, missed, verbose):
    out = [f"{'detector':<16} {'incidents':>9} {'alerts':>7} {'true pos':>8} {'found':>6} {'precision':>9} {'recall':>7}"]
    for d, r in rows.items():
        if d != "total" and not r["incidents"] and not r["alerts"]:
            continue
        if d == "total":
            out.append("-" * 68)
        out.append(f"{d:<16} {r['incidents']:>9} {r['alerts']:>7} {r['true_positives']:>8} {r['found']:>6} "
                   f"{pct(r['precision']):>9} {pct(r['recall']):>7}")
    if verbose:
        out.append("")
        out.append(f"alerts matching no incident ({len(unmatched)}):")
        for a in unmatched:
            out.append(f"  {a.get('detector')} person={a.get('person')} actor={a.get('actor')} "
                       f"resource={a.get('resource')} {a.get('first_seen')}..{a.get('last_seen')} x{a.get('count')}: "
                       f"{a.get('sentence', '')}")
        out.append(f"incidents no alert matches ({len(missed)}):")
        for i in missed:
            out.append(f"  {i['detector']} person={i.get('person')} actor={i.get('actor')} "
                       f"{i['from']}..{i['until']}: {i.get('note', '')}")
    return "\n".join(out)


class MatchingTest(unittest.TestCase):
    def inc(self, **kw):
        base = {"detector": "off_hours", "person": "eleanor", "actor": "ewhitfield",
                "from": "2026-10-28T18:07:00Z", "until": "2026-10-28T18:11:00Z", "note": ""}
        base.update(kw)
        return load_incidents([base])[0]

    def alert(self, **kw):
        base = {"id": "a1", "detector": "off_hours", "severity": "medium", "person": "eleanor",
                "actor": "ewhitfield", "resource": "repository:acme/platform",
                "first_seen": "2026-10-28T18:07:00Z", "last_seen": "2026-10-28T18:11:00Z",
                "count": 2, "sentence": ""}
        base.update(kw)
        return load_alerts([base])[0]

    def test_same_detector_person_and_time_match(self):
        self.assertTrue(matches(self.alert(), self.inc()))

    def test_another_detector_does_not_match(self):
        self.assertFalse(matches(self.alert(detector="rare_hour"), self.inc()))

    def test_another_person_does_not_match(self):
        self.assertFalse(matches(self.alert(person="marcus"), self.inc()))

    def test_person_matches_whatever_the_actor(self):
        # an sshd principal or a GitHub login both name eleanor
        self.assertTrue(matches(self.alert(actor="eleanor"), self.inc()))

    def test_without_a_person_the_actor_decides(self):
        inc = self.inc(detector="unknown_actor", person=None, actor="build-bot-legacy")
        self.assertTrue(matches(self.alert(detector="unknown_actor", person=None, actor="build-bot-legacy"), inc))
        self.assertFalse(matches(self.alert(detector="unknown_actor", person=None, actor="deploy"), inc))

    def test_ten_minutes_of_slack_each_side(self):
        inc = self.inc()
        self.assertTrue(matches(self.alert(first_seen="2026-10-28T18:20:59Z", last_seen="2026-10-28T18:30:00Z"), inc))
        self.assertFalse(matches(self.alert(first_seen="2026-10-28T18:21:01Z", last_seen="2026-10-28T18:30:00Z"), inc))
        self.assertTrue(matches(self.alert(first_seen="2026-10-28T17:50:00Z", last_seen="2026-10-28T17:57:00Z"), inc))
        self.assertFalse(matches(self.alert(first_seen="2026-10-28T17:50:00Z", last_seen="2026-10-28T17:56:59Z"), inc))

    def test_an_alert_spanning_the_incident_matches(self):
        self.assertTrue(matches(self.alert(first_seen="2026-10-28T12:00:00Z", last_seen="2026-10-29T12:00:00Z"), self.inc()))

    def test_offsets_and_nanoseconds_are_read(self):
        a = self.alert(first_seen="2026-10-28T19:07:00.123456789+01:00", last_seen="2026-10-28T19:08:00+01:00")
        self.assertTrue(matches(a, self.inc()))

    def test_scores_per_detector(self):
        incidents = [self.inc(), self.inc(person="marcus", actor="marcus-o"),
                     self.inc(detector="unknown_actor", person=None, actor="deploy")]
        alerts = [self.alert(), self.alert(id="a2"),  # two alerts for one incident: both true positives
                  self.alert(id="a3", person="priya"),  # a false positive
                  self.alert(id="a4", detector="unknown_actor", person=None, actor="deploy")]
        rows, unmatched, missed = score(alerts, incidents)
        self.assertEqual(rows["off_hours"], {"incidents": 2, "alerts": 3, "true_positives": 2, "found": 1,
                                             "precision": 2 / 3, "recall": 0.5})
        self.assertEqual(rows["unknown_actor"]["recall"], 1.0)
        self.assertEqual(rows["total"]["true_positives"], 3)
        self.assertEqual(rows["total"]["found"], 2)
        self.assertEqual([a["id"] for a in unmatched], ["a3"])
        self.assertEqual([i["person"] for i in missed], ["marcus"])
        self.assertIsNone(rows["new_address"]["precision"])

    def test_alerts_object_and_bare_list_are_both_read(self):
        doc = {"alerts": [{"detector": "x", "first_seen": "2026-10-28T18:07:00Z", "last_seen": "2026-10-28T18:07:00Z"}]}
        self.assertEqual(len(load_alerts(doc)), 1)
        self.assertEqual(len(load_alerts(doc["alerts"])), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("alerts", nargs="?")
    ap.add_argument("truth", nargs="?")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument("--verbose", action="store_true", help="list each unmatched alert and missed incident")
    ap.add_argument("--self-test", action="store_true", help="run the matching's unit tests")
    args = ap.parse_args()
    if args.self_test:
        result = unittest.main(argv=[sys.argv[0]], exit=False, verbosity=1).result
        sys.exit(0 if result.wasSuccessful() else 1)
    if not args.alerts or not args.truth:
        ap.error("ALERTS.json and TRUTH.json are needed (or --self-test)")
    with open(args.alerts) as f:
        alerts = load_alerts(json.load(f))
    with open(args.truth) as f:
        incidents = load_incidents(json.load(f))
    rows, unmatched, missed = score(alerts, incidents)
    if args.format == "json":
        doc = {"detectors": rows}
        if args.verbose:
            doc["unmatched_alerts"] = unmatched
            doc["missed_incidents"] = missed
        print(json.dumps(doc, indent=1, default=str))
    else:
        print(render_text(rows, unmatched, missed, args.verbose))


if __name__ == "__main__":
    main()
