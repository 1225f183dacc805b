"""Scores the tools' outputs on the labelled corpora (called by bench/corpus-accuracy.sh).

Usage: score.py OUT_DIR RUN...   where RUN is corpus|corpus_dir|tool|version|output_file
"""

import datetime
import json
import os
import re
import sys


def paths_in(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key.lower() in ("path", "file", "filename") and isinstance(item, str):
                yield item
            else:
                yield from paths_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from paths_in(item)


def norm(path):
    path = path.replace("\\", "/")
    i = path.find("cases/")
    # Tools that print paths relative to the scanned folder drop its name.
    return path[i:] if i >= 0 else "cases/" + path.lstrip("./")


def flagged(tool, output):
    """{case file: set of kinds}; peers report no kind, so theirs is {'any'}."""
    hits = {}
    if not os.path.exists(output):
        return hits
    if tool == "palisade":
        for f in json.load(open(output))["findings"]:
            hits.setdefault(norm(f["path"]), set()).add(f["kind"])
        return hits
    if tool == "ripsecrets":
        paths = [m.group(1) for m in map(re.compile(r"^(.*?):\d+:").match, open(output, errors="replace")) if m]
    elif tool == "detect-secrets":
        paths = list(json.load(open(output))["results"].keys())
    else:
        text = open(output).read().strip()
        paths = list(paths_in(json.loads(text))) if text else []
    for p in paths:
        hits.setdefault(norm(p), set()).add("any")
    return hits


def found(tool, hits, case):
    kinds = hits.get(case["file"], set())
    if tool != "palisade":
        return bool(kinds)
    return case["kind"] in kinds


def score(tool, hits, cases, key="label"):
    """Recall and negatives flagged per kind; `key` "reviewed" scores the labels reviewed
    by hand (the shared corpus's labels.jsonl has them; null leaves a case out)."""
    row = {}
    for kind in ("secret", "pii"):
        pos = [c for c in cases if c["kind"] == kind and c.get(key, c["label"]) == "positive"]
        neg = [c for c in cases if c["kind"] == kind and c.get(key, c["label"]) == "negative"]
        fp = sum(found(tool, hits, c) for c in pos)
        fn = sum(found(tool, hits, c) for c in neg)
        row[kind] = {
            "recall": round(fp / len(pos), 4) if pos else None,
            "negatives_flagged": round(fn / len(neg), 4) if neg else None,
            "positives": len(pos), "positives_found": fp,
            "negatives": len(neg), "negatives_flagged_count": fn,
        }
    return row


def load(corpus, directory):
    cases = []
    for line in open(os.path.join(directory, "labels.jsonl")):
        c = json.loads(line)
        c.setdefault("kind", "secret")
        c["file"] = norm(c["file"])
        c["source"] = c["source"].split("/")[0]
        cases.append(c)
    return cases


def pct(v):
    return "    -  " if v is None else f"{100 * v:6.1f}%"


def main():
    out_dir, *runs = sys.argv[1:]
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "corpora": {}}
    misses = {}
    for run in runs:
        corpus, directory, tool, version, output = run.split("|")
        cases = load(corpus, directory)
        entry = report["corpora"].setdefault(corpus, {
            "tuned": corpus == "shared",
            "cases": len(cases),
            "by_source": {},
            "tools": [],
        })
        sources = sorted({c["source"] for c in cases})
        for s in sources:
            sc = [c for c in cases if c["source"] == s]
            entry["by_source"][s] = {
                f"{k}_{l}": sum(c["kind"] == k and c["label"] == l for c in sc)
                for k in ("secret", "pii") for l in ("positive", "negative")
            }
        hits = flagged(tool, output)
        row = {"tool": tool, "version": version, **score(tool, hits, cases),
               "reviewed": score(tool, hits, cases, "reviewed"), "by_source": {}}
        for s in sources:
            row["by_source"][s] = score(tool, hits, [c for c in cases if c["source"] == s])
        entry["tools"].append(row)
        if tool == "palisade":
            findings = {}
            for f in json.load(open(output))["findings"]:
                findings.setdefault(norm(f["path"]), []).append(
                    {k: f.get(k) for k in ("rule", "kind", "severity", "line", "redacted", "context")})
            misses[corpus] = {
                "missed": [{"id": c.get("id", c["file"]), "file": c["file"], "kind": c["kind"], "type": c.get("type"),
                            "other_findings": findings.get(c["file"], [])}
                           for c in cases if c["label"] == "positive" and not found(tool, hits, c)],
                "false_positives": [{"id": c.get("id", c["file"]), "file": c["file"], "kind": c["kind"],
                                     "type": c.get("type"), "findings": findings.get(c["file"], [])}
                                    for c in cases if c["label"] == "negative" and found(tool, hits, c)],
            }
    with open(os.path.join(out_dir, "corpus-accuracy.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    for corpus, m in misses.items():
        with open(os.path.join(out_dir, f"corpus-misses-{corpus}.json"), "w") as f:
            json.dump(m, f, indent=2)
            f.write("\n")

    for corpus, entry in report["corpora"].items():
        label = "TUNED on" if entry["tuned"] else "HELD OUT"
        print(f"\n== corpus {corpus} ({label}): {entry['cases']} cases")
        for s, n in entry["by_source"].items():
            print(f"   {s:<14} secret +{n['secret_positive']}/-{n['secret_negative']}"
                  f"   pii +{n['pii_positive']}/-{n['pii_negative']}")
        print(f"{'tool':<15} {'version':<18} {'secret recall':>20} {'secret neg flagged':>20}"
              f" {'PII recall':>18} {'PII neg flagged':>18}")
        for row in entry["tools"]:
            s, p = row["secret"], row["pii"]
            print(f"{row['tool']:<15} {row['version'][:18]:<18} "
                  f"{pct(s['recall'])} {s['positives_found']:>5}/{s['positives']:<5} "
                  f"{pct(s['negatives_flagged'])} {s['negatives_flagged_count']:>5}/{s['negatives']:<5} "
                  f"{pct(p['recall'])} {p['positives_found']:>4}/{p['positives']:<4} "
                  f"{pct(p['negatives_flagged'])} {p['negatives_flagged_count']:>4}/{p['negatives']:<4}")
        if any("reviewed" in c for c in load(corpus, dict(r.split("|")[:2] for r in runs)[corpus])):
            print("  on the labels reviewed by hand (tests/support/labelled.rs):")
            for row in entry["tools"]:
                s = row["reviewed"]["secret"]
                print(f"    {row['tool']:<15} secret recall {pct(s['recall'])} "
                      f"{s['positives_found']:>5}/{s['positives']:<5} negatives flagged "
                      f"{pct(s['negatives_flagged'])} {s['negatives_flagged_count']:>4}/{s['negatives']}")
        print("  by source (secret recall / secret neg. flagged / PII recall / PII neg. flagged):")
        for row in entry["tools"]:
            parts = []
            for src, r in row["by_source"].items():
                parts.append(f"{src} {pct(r['secret']['recall']).strip()}/{pct(r['secret']['negatives_flagged']).strip()}"
                             f"/{pct(r['pii']['recall']).strip()}/{pct(r['pii']['negatives_flagged']).strip()}")
            print(f"    {row['tool']:<15} " + "  ".join(parts))
    print(f"\nwritten to {os.path.join(out_dir, 'corpus-accuracy.json')}")


if __name__ == "__main__":
    main()
