#!/usr/bin/env python3
"""Positive examples of the peers' public rule sets, and palisade's coverage of them.

Driven by bench/rule-coverage.sh; see its header for the method. Two commands:

  extract  read the peers' rule files straight from their git repositories and write
           one file per positive example under WORK/cases, with WORK/cases.json
           (peer, rule, file) and WORK/not-extracted.json (what could not be evaluated)
  report   join `palisade scan --format json` over WORK/cases with the cases and print
           found/total per peer and per peer rule; write the whole as JSON

Gitleaks keeps its rule tests in Go (cmd/generate/config/rules/*.go): each rule function
passes a `tps` value to utils.Validate. This script evaluates the small subset of Go those
values are written in: string literals, `+`, local and package variables, []string and
map[string]string literals, append(...), fmt.Sprintf, strings.Repeat/ToUpper, the
single-`return` helpers of cmd/generate/config/utils (Hex, AlphaNumeric, ...,
GenerateSampleSecret), GenerateSampleSecrets (its templates are read from gitleaks'
generate.go, not copied here), and secrets.NewSecret(regex), which gitleaks evaluates with
a random string generator at test time: here a random string is generated from the
regex with Python's own regex parser, seeded, so that runs are repeatable. Anything
else (loops, base64 encoding, unknown helpers) is listed as not extracted, never dropped
silently. Only the rules gitleaks' generator registers (cmd/generate/config/main.go) are
read.
"""

import argparse
import base64
import json
import os
import random
import re
import subprocess
import sys
from collections import defaultdict

try:  # Python 3.11 moved the regex parser
    import re._parser as sre_parse
    import re._constants as sre_c
except ImportError:  # pragma: no cover
    import sre_parse
    import sre_constants as sre_c

import yaml


# ------------------------------------------------------------------ git access


class Repo:
    def __init__(self, path, rev):
        self.git_dir = os.path.join(path, ".git") if os.path.isdir(os.path.join(path, ".git")) else path
        self.rev = rev
        self.commit = self._git("rev-parse", rev + "^{commit}").strip()

    def _git(self, *args):
        return subprocess.run(
            ["git", "--git-dir", self.git_dir, *args], check=True, capture_output=True, text=True
        ).stdout

    def ls(self, folder):
        out = self._git("ls-tree", "-r", "--name-only", self.commit, "--", folder)
        return [line for line in out.splitlines() if line]

    def show(self, path):
        return self._git("show", f"{self.commit}:{path}")


# ------------------------------------------------------------------ strings from regexes


class Unsupported(Exception):
    pass


PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]
CATEGORIES = {
    sre_c.CATEGORY_DIGIT: "0123456789",
    sre_c.CATEGORY_WORD: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    sre_c.CATEGORY_SPACE: " ",
    sre_c.CATEGORY_NOT_DIGIT: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    sre_c.CATEGORY_NOT_WORD: "-.:/+=",
    sre_c.CATEGORY_NOT_SPACE: "abcdefghijklmnopqrstuvwxyz0123456789",
}


def regex_sample(pattern, rng):
    """A random string the (Go) regex matches: unbounded repeats add up to 8 more."""
    pattern = pattern.replace(r"\z", "").replace("(?-i:", "(?:")
    pattern = re.sub(r"\(\?i\)", "", pattern)
    try:
        parsed = sre_parse.parse(pattern)
    except Exception as e:  # noqa: BLE001 - any parser complaint means "cannot generate"
        raise Unsupported(f"regex {pattern!r}: {e}") from e
    groups = {}
    return _gen(parsed, rng, groups)


def _charset(items):
    chars, negate = [], False
    for op, av in items:
        if op == sre_c.NEGATE:
            negate = True
        elif op == sre_c.LITERAL:
            chars.append(chr(av))
        elif op == sre_c.RANGE:
            chars.extend(chr(c) for c in range(av[0], av[1] + 1))
        elif op == sre_c.CATEGORY:
            chars.extend(CATEGORIES[av])
        else:
            raise Unsupported(f"character class item {op}")
    if negate:
        chars = [c for c in PRINTABLE if c not in set(chars)]
    return chars


def _gen(parsed, rng, groups):
    out = []
    for op, av in parsed:
        if op == sre_c.LITERAL:
            out.append(chr(av))
        elif op == sre_c.NOT_LITERAL:
            out.append(rng.choice([c for c in PRINTABLE if c != chr(av)]))
        elif op == sre_c.ANY:
            out.append(rng.choice(PRINTABLE))
        elif op == sre_c.IN:
            out.append(rng.choice(_charset(av)))
        elif op == sre_c.CATEGORY:
            out.append(rng.choice(CATEGORIES[av]))
        elif op == sre_c.BRANCH:
            out.append(_gen(rng.choice(av[1]), rng, groups))
        elif op == sre_c.SUBPATTERN:
            text = _gen(av[-1], rng, groups)
            if av[0]:
                groups[av[0]] = text
            out.append(text)
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            hi = lo + 8 if hi == sre_c.MAXREPEAT else hi
            out.extend(_gen(sub, rng, groups) for _ in range(rng.randint(lo, hi)))
        elif op == sre_c.GROUPREF:
            out.append(groups.get(av, ""))
        elif op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
            continue
        else:
            raise Unsupported(f"regex operator {op}")
    return "".join(out)


# ------------------------------------------------------------------ a little Go


TOKEN = re.compile(
    r"""(?P<ws>[ \t\r]+)|(?P<nl>\n)|(?P<comment>//[^\n]*|/\*.*?\*/)
    |(?P<raw>`[^`]*`)|(?P<str>"(?:\\.|[^"\\\n])*")|(?P<rune>'(?:\\.|[^'\\\n])+')
    |(?P<num>\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_]\w*)
    |(?P<op>\.\.\.|:=|&&|\|\||[-+*/%&|^<>=!]=?|[{}()\[\],;.:])""",
    re.S | re.X,
)
GO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"', "'": "'"}


def go_unquote(lit):
    if lit[0] == "`":
        return lit[1:-1].replace("\r", "")
    body, out, i = lit[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1]
        if e in GO_ESCAPES:
            out.append(GO_ESCAPES[e])
            i += 2
        elif e == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif e == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif e == "U":
            out.append(chr(int(body[i + 2 : i + 10], 16)))
            i += 10
        else:
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
    return "".join(out)


def tokenize(src):
    toks = []
    for m in TOKEN.finditer(src):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            if kind == "comment" and "\n" in m.group():
                toks.append(("nl", "\n"))
            continue
        if kind == "raw" or kind == "str":
            toks.append(("str", m.group()))
        else:
            toks.append((kind, m.group()))
    return toks


class NotEvaluated:
    """A Go expression this script does not evaluate, kept as its source text."""

    def __init__(self, text, why):
        self.text, self.why = text, why


class Fail(Exception):
    pass


OPEN, CLOSE = "([{", ")]}"
ENDS_STATEMENT = {"ident", "str", "num", "rune"}


def split_statements(toks):
    """Top-level statements of a token list (Go's semicolon insertion, roughly)."""
    stmts, cur, depth = [], [], 0
    for kind, text in toks:
        if kind == "op" and text in OPEN:
            depth += 1
        elif kind == "op" and text in CLOSE:
            depth -= 1
        if kind == "nl" or (kind == "op" and text == ";"):
            last = next((t for t in reversed(cur) if t[0] != "nl"), None)
            if depth == 0 and last and (last[0] in ENDS_STATEMENT or last[1] in CLOSE):
                stmts.append(cur)
                cur = []
            elif depth > 0:
                cur.append((kind, text))
            continue
        cur.append((kind, text))
    if cur:
        stmts.append(cur)
    return stmts


def split_top(toks, sep=","):
    """Split a token list at depth-0 separators."""
    parts, cur, depth = [], [], 0
    for tok in toks:
        kind, text = tok
        if kind == "nl":
            continue
        if kind == "op" and text in OPEN:
            depth += 1
        elif kind == "op" and text in CLOSE:
            depth -= 1
        if depth == 0 and kind == "op" and text == sep:
            parts.append(cur)
            cur = []
        else:
            cur.append(tok)
    if cur:
        parts.append(cur)
    return parts


def matching(toks, i):
    """Index of the bracket closing toks[i]."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][0] == "op" and toks[j][1] in OPEN:
            depth += 1
        elif toks[j][0] == "op" and toks[j][1] in CLOSE:
            depth -= 1
            if depth == 0:
                return j
    raise Fail("unbalanced brackets")


def source(toks):
    return " ".join(t for k, t in toks if k != "nl")


class Go:
    """Evaluates gitleaks' rule-test expressions."""

    def __init__(self, helpers, templates, rng):
        self.helpers = helpers  # name -> (params, return tokens)
        self.templates = templates  # GenerateSampleSecrets' templates
        self.rng = rng
        self.globals = {}

    def new_secret(self, regex):
        try:
            return regex_sample(regex, self.rng)
        except Unsupported as e:
            raise Fail(str(e)) from e

    def call(self, name, args, env):
        short = name.split(".")[-1]
        if short in ("NewSecret",):
            return self.new_secret(args[0])
        if short == "newPlausibleSecret":  # NewSecret until it holds a digit 1-9
            for _ in range(100):
                value = self.new_secret(args[0])
                if re.search("[1-9]", value):
                    return value
            raise Fail("no plausible secret")
        if short == "GenerateSampleSecrets":
            ident, secret = args
            return [
                t.replace("{i}", ident).replace("{I}", ident.upper()).replace("{s}", secret)
                for t in self.templates
            ]
        if name == "fmt.Sprintf":
            fmt, rest = args[0], list(args[1:])

            def sub(m):
                if m.group() == "%%":
                    return "%"
                return str(rest.pop(0))

            return re.sub(r"%[-+# 0]*\d*[svdq%]", sub, fmt)
        if short == "EncodeToString":  # base64.StdEncoding.EncodeToString and the like
            encoding = name.split(".")[-2]
            raw = args[0].encode("utf-8")
            text = (base64.urlsafe_b64encode if "URL" in encoding else base64.b64encode)(raw).decode()
            return text.rstrip("=") if encoding.startswith("Raw") else text
        if name == "strings.Repeat":
            return args[0] * int(args[1])
        if name == "strings.ToUpper":
            return args[0].upper()
        if name == "strings.ToLower":
            return args[0].lower()
        if name == "append":
            return list(args[0]) + [x for a in args[1:] for x in (a if isinstance(a, list) else [a])]
        if short in self.helpers:
            params, body = self.helpers[short]
            return self.expr(body, dict(zip(params, args)))
        raise Fail(f"unknown function {name}")

    def expr(self, toks, env):
        toks = [t for t in toks if t[0] != "nl"]
        if not toks:
            raise Fail("empty expression")
        parts = split_top(toks, "+")
        if len(parts) > 1:
            values = [self.expr(p, env) for p in parts]
            if all(isinstance(v, str) for v in values):
                return "".join(values)
            raise Fail("+ of non-strings")
        return self.primary(toks, env)

    def primary(self, toks, env):
        kind, text = toks[0]
        if len(toks) == 1:
            if kind == "str":
                return go_unquote(text)
            if kind == "num":
                return int(text)
            if kind == "ident":
                if text in env:
                    return env[text]
                if text in self.globals:
                    return self.globals[text]
                if text == "nil":
                    return []
                raise Fail(f"unknown variable {text}")
        if kind == "op" and text == "(" and matching(toks, 0) == len(toks) - 1:
            return self.expr(toks[1:-1], env)
        if [t[1] for t in toks[:4]] == ["[", "]", "byte", "("]:  # []byte(x)
            return self.expr(toks[3:], env)
        # composite literal: []string{...}, map[string]string{...}, map[string][]string{...}
        if kind == "op" and text == "[" or (kind == "ident" and text == "map"):
            brace = next(i for i, t in enumerate(toks) if t == ("op", "{"))
            if matching(toks, brace) != len(toks) - 1:
                raise Fail("not a composite literal")
            is_map = text == "map"
            items = split_top(toks[brace + 1 : -1])
            if is_map:
                out = {}
                for item in items:
                    k, v = split_top(item, ":")[0], item[len(split_top(item, ":")[0]) + 1 :]
                    out[self.expr(k, env)] = self.element(v, env)
                return out
            return [self.element(item, env) for item in items]
        # a call: name(args) with name a possibly dotted identifier
        name, i = [], 0
        while i < len(toks) and (toks[i][0] == "ident" or toks[i] == ("op", ".")):
            name.append(toks[i][1])
            i += 1
        if name and i < len(toks) and toks[i] == ("op", "(") and matching(toks, i) == len(toks) - 1:
            args, fname = [], "".join(name)
            for arg in split_top(toks[i + 1 : -1]):
                spread = arg and arg[-1] == ("op", "...")
                arg = arg[:-1] if spread else arg
                # append keeps what it can: one unevaluated element does not lose the others
                value = self.element(arg, env) if fname == "append" else self.expr(arg, env)
                if spread:
                    if isinstance(value, NotEvaluated):
                        value = [value]
                    if not isinstance(value, list):
                        raise Fail("... of a non-slice")
                    args.append(value)
                else:
                    args.append(value)
            if any(isinstance(a, NotEvaluated) for a in args) and "".join(name) != "append":
                raise Fail("argument not evaluated")
            return self.call("".join(name), args, env)
        raise Fail(f"cannot evaluate {source(toks)[:60]}")

    def element(self, toks, env):
        """A list element or map value: evaluated, or kept as not evaluated."""
        try:
            return self.expr(toks, env)
        except (Fail, StopIteration, IndexError, ValueError, KeyError, TypeError) as e:
            return NotEvaluated(source(toks), str(e))

    def run(self, stmts, env):
        """Evaluate assignments (x := e, x = e, var x = e, var ( ... )) in order."""
        for st in stmts:
            if st[0] == ("ident", "var"):
                if st[1] == ("op", "("):
                    self.run(split_statements(st[2:-1]), env)
                    continue
                st = st[1:]
                eq = next((i for i, t in enumerate(st) if t == ("op", "=")), None)
                if eq is None:
                    if st[0][0] == "ident":
                        env[st[0][1]] = []  # var x []string
                    continue
                st = [st[0], ("op", "=")] + st[eq + 1 :]
            if len(st) >= 3 and st[0][0] == "ident" and st[1] in (("op", ":="), ("op", "=")):
                env[st[0][1]] = self.element(st[2:], env)
            elif any(t == ("ident", "append") for t in st) or st[0][1] in ("for", "if"):
                # a loop or a branch that may add examples: say so
                targets = {t[1] for t in st if t[0] == "ident"} & set(env)
                for name in targets:
                    value = env[name]
                    if isinstance(value, list):
                        value.append(NotEvaluated(source(st)[:200], "statement not evaluated"))


def go_functions(toks):
    """func NAME(params) RESULT { body } -> (name, params, body tokens)."""
    i = 0
    while i < len(toks):
        if toks[i] == ("ident", "func") and i + 1 < len(toks) and toks[i + 1][0] == "ident":
            name = toks[i + 1][1]
            close = matching(toks, i + 2)
            params = [p[0][1] for p in split_top(toks[i + 3 : close]) if p and p[0][0] == "ident"]
            brace = next(j for j in range(close, len(toks)) if toks[j] == ("op", "{"))
            end = matching(toks, brace)
            yield name, params, toks[brace + 1 : end]
            i = end + 1
        else:
            i += 1


def top_level_vars(toks):
    """Top-level `var` declarations of a Go file, as statements."""
    stmts, depth, i = [], 0, 0
    while i < len(toks):
        kind, text = toks[i]
        if kind == "op" and text in OPEN:
            depth += 1
        elif kind == "op" and text in CLOSE:
            depth -= 1
        if depth == 0 and (kind, text) == ("ident", "var"):
            j = i + 1
            if toks[j] == ("op", "("):
                end = matching(toks, j)
            else:
                end = j
                while end < len(toks) and toks[end][0] != "nl":
                    if toks[end][0] == "op" and toks[end][1] in OPEN:
                        end = matching(toks, end)
                    end += 1
            stmts.extend(split_statements(toks[i : end + 1]))
            i = end + 1
            continue
        i += 1
    return stmts


def gitleaks_cases(repo, rng):
    utils = "cmd/generate/config/utils/"
    helpers, templates = {}, []
    for path in repo.ls(utils):
        if not path.endswith(".go") or path.endswith("_test.go"):
            continue
        toks = tokenize(repo.show(path))
        for name, params, body in go_functions(toks):
            body_nl = [t for t in body if t[0] != "nl"]
            if body_nl and body_nl[0] == ("ident", "return") and sum(1 for t in body_nl if t == ("ident", "return")) == 1:
                helpers[name] = (params, body_nl[1:])
            if name == "GenerateSampleSecrets":
                at = next(j for j, t in enumerate(body) if t == ("ident", "samples"))
                brace = next(j for j in range(at, len(body)) if body[j] == ("op", "{"))
                literal = body[brace + 1 : matching(body, brace)]
                for item in split_top(literal):
                    key = split_top(item, ":")[0]
                    templates.append(go_unquote(item[len(key) + 1 :][0][1]))
    if not templates:
        raise SystemExit("gitleaks: GenerateSampleSecrets' templates not found in " + utils)
    go = Go(helpers, templates, rng)

    registered = re.findall(r"rules\.(\w+)\(\)", repo.show("cmd/generate/config/main.go"))
    rule_files = [p for p in repo.ls("cmd/generate/config/rules/") if p.endswith(".go") and not p.endswith("_test.go")]
    parsed = {path: tokenize(repo.show(path)) for path in rule_files}
    functions = {}
    for path, toks in parsed.items():
        go.run(top_level_vars(toks), go.globals)
        for name, params, body in go_functions(toks):
            functions[name] = (path, params, body)
    # package-level helpers returning a string or a slice (e.g. newPlausibleSecret is built in)
    for name, (path, params, body) in functions.items():
        flat = [t for t in body if t[0] != "nl"]
        if params and flat and flat[0] == ("ident", "return") and flat.count(("ident", "return")) == 1:
            go.helpers.setdefault(name, (params, flat[1:]))

    cases, not_extracted = [], []
    for fn in registered:
        if fn not in functions:
            not_extracted.append({"rule": fn, "expression": f"rules.{fn}()", "why": "function not found"})
            continue
        path, _, body = functions[fn]
        flat = [t for t in body if t[0] != "nl"]
        rule_id = None
        for j, t in enumerate(flat):
            if t == ("ident", "RuleID") and flat[j + 1] in (("op", ":"), ("op", "=")):
                rule_id = go_unquote(flat[j + 2][1]) if flat[j + 2][0] == "str" else None
                break
        if rule_id is None:
            # rules built from another rule function: r := OtherRule(); r.RuleID = ...
            m = re.search(r'RuleID\s*[:=]\s*"([^"]+)"', source(body).replace(" ", ""))
            rule_id = m.group(1) if m else fn
        env = {}
        go.run(split_statements(body), env)
        validate = next(
            (j for j, t in enumerate(flat) if t[0] == "ident" and t[1] in ("Validate", "ValidateWithPaths")),
            None,
        )
        if validate is None:
            not_extracted.append({"rule": rule_id, "expression": "(no utils.Validate call)", "why": "no tests"})
            continue
        args = split_top(flat[validate + 2 : matching(flat, validate + 1)])
        value = go.element(args[1], env)
        with_paths = flat[validate][1] == "ValidateWithPaths"
        if isinstance(value, NotEvaluated):
            not_extracted.append({"rule": rule_id, "expression": value.text[:200], "why": value.why})
            continue
        items = value.items() if with_paths else [(None, v) for v in value]
        for file_path, example in items:
            if isinstance(example, NotEvaluated):
                not_extracted.append({"rule": rule_id, "expression": example.text[:200], "why": example.why})
            elif isinstance(example, str):
                cases.append({"rule": rule_id, "example": example, "path": file_path})
            else:
                not_extracted.append({"rule": rule_id, "expression": repr(example)[:200], "why": "not a string"})
    return cases, not_extracted


# ------------------------------------------------------------------ YAML rule sets


def yaml_cases(repo, folders):
    folder = next((f for f in folders if repo.ls(f)), None)
    if folder is None:
        raise SystemExit(f"{repo.git_dir}: none of {folders} holds rules")
    cases, not_extracted = [], []
    for path in repo.ls(folder):
        if not path.endswith((".yml", ".yaml")):
            continue
        doc = yaml.safe_load(repo.show(path)) or {}
        for rule in doc.get("rules", []):
            examples = rule.get("examples") or []
            if not examples:
                not_extracted.append({"rule": rule["id"], "expression": "(no examples)", "why": "no examples"})
            for example in examples:
                cases.append({"rule": rule["id"], "example": str(example), "path": None})
    return cases, not_extracted, folder


# ------------------------------------------------------------------ commands


def safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def extract(args):
    rng = random.Random(args.seed)
    peers = {}
    if args.gitleaks:
        repo = Repo(args.gitleaks, args.gitleaks_rev)
        cases, missing = gitleaks_cases(repo, rng)
        peers["gitleaks"] = (repo, "cmd/generate/config/rules/", cases, missing)
    for name, path, rev, folders in (
        ("noseyparker", args.noseyparker, args.noseyparker_rev, ["crates/noseyparker/data/default/builtin/rules/"]),
        ("kingfisher", args.kingfisher, args.kingfisher_rev, ["crates/kingfisher-rules/data/rules/", "data/rules/"]),
    ):
        if path:
            repo = Repo(path, rev)
            cases, missing, folder = yaml_cases(repo, folders)
            peers[name] = (repo, folder, cases, missing)
    index = {"peers": {}, "cases": [], "not_extracted": []}
    for peer, (repo, folder, cases, missing) in peers.items():
        index["peers"][peer] = {"repository": repo.git_dir, "commit": repo.commit, "rule_files": folder}
        counters = defaultdict(int)
        for case in cases:
            n = counters[case["rule"]] = counters[case["rule"]] + 1
            name = os.path.basename(case["path"]) if case["path"] else f"{n}.txt"
            rel = os.path.join("cases", peer, safe(case["rule"]), f"{n}", name)
            os.makedirs(os.path.join(args.work, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(args.work, rel), "w", encoding="utf-8", newline="") as f:
                f.write(case["example"])
                if not case["example"].endswith("\n"):
                    f.write("\n")
            index["cases"].append({"peer": peer, "rule": case["rule"], "file": rel})
        for item in missing:
            index["not_extracted"].append({"peer": peer, **item})
        print(f"{peer}: {len(cases)} examples, {len(missing)} not extracted", file=sys.stderr)
    with open(os.path.join(args.work, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)


def shape(text, limit=80):
    """An example with its secret-looking runs redacted to their character classes."""

    def cls(m):
        s = m.group()
        kinds = ("a" if re.search("[a-z]", s) else "") + ("A" if re.search("[A-Z]", s) else "") + ("9" if re.search("[0-9]", s) else "")
        return f"<{kinds}{len(s)}>"

    text = re.sub(r"[A-Za-z0-9+/=_.-]{12,}", lambda m: cls(m) if re.search("[0-9]", m.group()) else m.group(), text.strip())
    return text[:limit] + ("…" if len(text) > limit else "")


MADE_UP = re.compile(
    r"0123456|123456789|234567|abcdefg|ABCDEFG|bcdefgh|qrstuv|(?i:x{6,})|(.)\1{5,}"
    r"|(?i:example|sample|dummy|fake|your[_-]?(?:api|key|token|secret)|placeholder|redacted|secret[_-]?here)"
)


def miss_class(text):
    """A first guess at why an example is missed, for reading the misses in bulk."""
    if MADE_UP.search(text):
        return "made-up value"
    return "other"


def report(args):
    with open(os.path.join(args.work, "cases.json"), encoding="utf-8") as f:
        index = json.load(f)
    with open(args.findings, encoding="utf-8") as f:
        scan = json.load(f)
    counted = {"secret", "identifier"}
    by_file = defaultdict(list)
    for finding in scan["findings"]:
        if finding["kind"] in counted:
            by_file[os.path.normpath(finding["path"])].append(finding["rule"])
    peers = {}
    for case in index["cases"]:
        peer = peers.setdefault(case["peer"], {"found": 0, "total": 0, "rules": {}})
        rule = peer["rules"].setdefault(case["rule"], {"found": 0, "total": 0, "missed": [], "by": {}})
        hits = by_file.get(os.path.normpath(case["file"]), [])
        rule["total"] += 1
        peer["total"] += 1
        if hits:
            rule["found"] += 1
            peer["found"] += 1
            for h in set(hits):
                rule["by"][h] = rule["by"].get(h, 0) + 1
        else:
            with open(os.path.join(args.work, case["file"]), encoding="utf-8") as f:
                text = f.read()
            rule["missed"].append({"file": case["file"], "shape": shape(text), "class": miss_class(text)})
            peer.setdefault("missed_by_class", {}).setdefault(miss_class(text), 0)
            peer["missed_by_class"][miss_class(text)] += 1
    for name, meta in index["peers"].items():
        peers.setdefault(name, {"found": 0, "total": 0, "rules": {}}).update(meta)
    not_extracted = defaultdict(list)
    for item in index["not_extracted"]:
        not_extracted[item["peer"]].append(item)
    for name, peer in peers.items():
        peer["not_extracted"] = not_extracted.get(name, [])
        peer["coverage"] = round(peer["found"] / peer["total"], 4) if peer["total"] else None

    out = {"palisade": args.palisade_version, "peers": peers}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)

    total_found = sum(p["found"] for p in peers.values())
    total = sum(p["total"] for p in peers.values())
    print(f"{'peer':<12} {'found':>6} {'total':>6} {'coverage':>9} {'rules fully found':>18} {'not extracted':>14} {'made-up misses':>15}")
    for name, p in peers.items():
        full = sum(1 for r in p["rules"].values() if r["found"] == r["total"])
        pct = f"{100 * p['found'] / p['total']:.1f}%" if p["total"] else "-"
        rules = f"{full}/{len(p['rules'])}"
        made_up = p.get("missed_by_class", {}).get("made-up value", 0)
        print(f"{name:<12} {p['found']:>6} {p['total']:>6} {pct:>9} {rules:>18} {len(p['not_extracted']):>14} {made_up:>15}")
    if total:
        print(f"{'all':<12} {total_found:>6} {total:>6} {100 * total_found / total:>8.1f}%")
    if args.verbose:
        for name, p in peers.items():
            print(f"\n{name}: rules with misses (found/total, rule, a missed example's shape)")
            for rid, r in sorted(p["rules"].items()):
                if r["found"] < r["total"]:
                    print(f"  {r['found']:>3}/{r['total']:<3} {rid:<48} {r['missed'][0]['shape']}")
            for item in p["not_extracted"]:
                print(f"  not extracted: {item['rule']}: {item['why']}: {item['expression'][:90]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("extract", help="write one file per positive example")
    ex.add_argument("--work", required=True)
    ex.add_argument("--seed", type=int, default=1)
    for peer in ("gitleaks", "noseyparker", "kingfisher"):
        ex.add_argument(f"--{peer}", help=f"{peer}'s git directory or clone")
        ex.add_argument(f"--{peer}-rev", default="HEAD")
    rp = sub.add_parser("report", help="coverage from palisade's JSON findings")
    rp.add_argument("--work", required=True)
    rp.add_argument("--findings", required=True)
    rp.add_argument("--json", required=True)
    rp.add_argument("--palisade-version", default="")
    rp.add_argument("--verbose", action="store_true", help="list the rules with misses")
    args = ap.parse_args()
    extract(args) if args.command == "extract" else report(args)


if __name__ == "__main__":
    main()
