//! Path globs of the model, and the question `palisade check` must answer
//! about them: can two services' globs claim the same file?
//!
//! A glob is compiled to a small automaton. Two globs overlap exactly when
//! the product of their automata reaches a pair of accepting states, and the
//! characters along the way spell a path both claim, which we show the user.
//!
//! Syntax (relative to the repository root, `/`-separated):
//! `*` any run of characters within one path segment, `?` one character
//! within a segment, `[a-z]` / `[!a-z]` a character class, `**` any number of
//! whole segments (`a/**`, `**/b`, `a/**/b`). A glob with no wildcard names a
//! file or a directory and claims everything below it; a trailing `/` says
//! "directory" explicitly.

use std::collections::VecDeque;

/// The longest glob accepted: overlap tests cost the product of two globs'
/// lengths, and no real path pattern comes close.
pub const MAX_GLOB_BYTES: usize = 1024;

/// A compiled path glob.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    prefix: String,
    suffix: String,
    /// Literal runs between wildcards, `/` trimmed from their ends: every
    /// path it matches contains each of them, a cheap test before the automaton.
    needles: Vec<String>,
    /// When the glob claims exactly a directory's contents (and maybe the
    /// path itself): that directory, and whether the path itself counts.
    directory: Option<(String, bool)>,
    nfa: Nfa,
}

/// Why a glob is not valid, and where in its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What is wrong and how to write it.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum CharSet {
    Char(char),
    /// Any character but `/`.
    Segment,
    /// Any character at all.
    Any,
    /// A class; never matches `/`.
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
}

impl CharSet {
    /// The set as sorted, disjoint, inclusive intervals of code points.
    fn intervals(&self) -> Vec<(u32, u32)> {
        const MAX: u32 = char::MAX as u32;
        const SLASH: u32 = '/' as u32;
        let without_slash = |iv: Vec<(u32, u32)>| -> Vec<(u32, u32)> {
            let mut out = Vec::with_capacity(iv.len() + 1);
            for (lo, hi) in iv {
                if lo <= SLASH && SLASH <= hi {
                    if lo < SLASH {
                        out.push((lo, SLASH - 1));
                    }
                    if SLASH < hi {
                        out.push((SLASH + 1, hi));
                    }
                } else {
                    out.push((lo, hi));
                }
            }
            out
        };
        match self {
            CharSet::Char(c) => vec![(*c as u32, *c as u32)],
            CharSet::Any => vec![(0, MAX)],
            CharSet::Segment => without_slash(vec![(0, MAX)]),
            CharSet::Class { ranges, negated } => {
                let mut iv: Vec<(u32, u32)> =
                    ranges.iter().map(|&(a, b)| (a as u32, b as u32)).collect();
                iv.sort_unstable();
                let mut merged: Vec<(u32, u32)> = Vec::with_capacity(iv.len());
                for (lo, hi) in iv {
                    match merged.last_mut() {
                        Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                        _ => merged.push((lo, hi)),
                    }
                }
                if *negated {
                    let mut complement = Vec::with_capacity(merged.len() + 1);
                    let mut next = 0u32;
                    for (lo, hi) in merged {
                        if lo > next {
                            complement.push((next, lo - 1));
                        }
                        next = hi.saturating_add(1);
                    }
                    if next <= MAX {
                        complement.push((next, MAX));
                    }
                    merged = complement;
                }
                without_slash(merged)
            }
        }
    }
}

/// A character in both interval sets other than `/`, readable ones first so
/// that example paths look like paths. Exact: if the sets share any
/// character but `/`, one is found.
fn pick(a: &[(u32, u32)], b: &[(u32, u32)]) -> Option<char> {
    const PREFERRED: &str = "x0a_-.zZ9~";
    let mut common = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            common.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    for p in PREFERRED.chars() {
        let c = p as u32;
        if common.iter().any(|&(lo, hi)| lo <= c && c <= hi) {
            return Some(p);
        }
    }
    // Then a letter or digit, then anything printable, then anything.
    let tests: [fn(char) -> bool; 3] = [char::is_alphanumeric, |c| !c.is_control(), |_| true];
    for test in tests {
        for &(lo, hi) in &common {
            // Looking at the first few hundred code points of each interval
            // is enough to find a readable one if the interval has any.
            let mut c = lo;
            let mut looked = 0;
            while c <= hi && looked < 512 {
                if c == '/' as u32 {
                    c += 1;
                    continue;
                }
                match char::from_u32(c) {
                    Some(ch) if test(ch) => return Some(ch),
                    Some(_) => c += 1,
                    // Surrogates are not characters; skip past them.
                    None => c = 0xE000,
                }
                looked += 1;
            }
        }
    }
    // An interval whose first 512 code points failed every test still has a
    // character (the tests end with one that accepts all), so this is only
    // reached when the intersection is empty or just `/`.
    None
}

/// A transition: the characters it takes, as sorted disjoint intervals of
/// code points, and the state it leads to.
type Edge = (Vec<(u32, u32)>, usize);

/// Whether the intervals hold `c`.
fn holds(intervals: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    let i = intervals.partition_point(|&(_, hi)| hi < c);
    intervals.get(i).is_some_and(|&(lo, _)| lo <= c)
}

#[derive(Debug, Clone, Default)]
struct Nfa {
    /// Per state: its transitions.
    edges: Vec<Vec<Edge>>,
    /// Per state: epsilon targets.
    eps: Vec<Vec<usize>>,
    accept: usize,
}

impl Nfa {
    fn state(&mut self) -> usize {
        self.edges.push(Vec::new());
        self.eps.push(Vec::new());
        self.edges.len() - 1
    }

    fn edge(&mut self, from: usize, set: CharSet, to: usize) {
        self.edges[from].push((set.intervals(), to));
    }

    fn closure(&self, states: &mut Vec<usize>, seen: &mut [bool]) {
        let mut i = 0;
        while i < states.len() {
            for &t in &self.eps[states[i]] {
                if !seen[t] {
                    seen[t] = true;
                    states.push(t);
                }
            }
            i += 1;
        }
    }
}

impl Glob {
    /// Compiles `text`.
    pub fn new(text: &str) -> Result<Glob, GlobError> {
        let bad = |offset, message: &str| GlobError {
            offset,
            message: message.to_owned(),
        };
        if text.trim().is_empty() {
            return Err(bad(0, "empty glob; use `**` for every file"));
        }
        if text.len() > MAX_GLOB_BYTES {
            return Err(bad(
                MAX_GLOB_BYTES,
                "glob longer than 1024 bytes; no real path needs that",
            ));
        }
        if text.trim() != text {
            return Err(bad(
                0,
                "glob starts or ends with white space, so it would claim nothing; remove it",
            ));
        }
        if text.contains('\\') {
            return Err(bad(
                text.find('\\').unwrap_or(0),
                "backslash in a glob; paths are `/`-separated and escapes are not supported",
            ));
        }
        if let Some(i) = text.find(['{', '}']) {
            return Err(bad(
                i,
                "braces are not supported; list each alternative as its own glob",
            ));
        }
        let lead = text.len() - text.trim_start_matches('/').len();
        let body = &text[lead..];
        let dir = body.ends_with('/');
        let body = body.trim_end_matches('/');
        let has_wild = body.contains(['*', '?', '[']);
        // Each segment with its byte offset in `text`.
        let mut next_offset = lead;
        let mut segments: Vec<(&str, usize)> = body
            .split('/')
            .map(|seg| {
                let at = next_offset;
                next_offset += seg.len() + 1;
                (seg, at)
            })
            .collect();
        if let Some(&(_, offset)) = segments.iter().find(|(seg, _)| seg.is_empty()) {
            return Err(bad(
                offset,
                "empty path segment (`//`); remove the extra slash",
            ));
        }

        // `**/**` means the same as `**`.
        segments.dedup_by(|a, b| a.0 == "**" && b.0 == "**");

        let mut nfa = Nfa::default();
        let start = nfa.state();
        let mut cur = start;
        let last = segments.len() - 1;
        for (i, &(seg, offset)) in segments.iter().enumerate() {
            if seg == "**" {
                if i == last {
                    // `a/**` (or `**`): one or more characters of anything.
                    if i > 0 {
                        let s = nfa.state();
                        nfa.edge(cur, CharSet::Char('/'), s);
                        cur = s;
                    }
                    let s = nfa.state();
                    nfa.edge(cur, CharSet::Any, s);
                    nfa.edge(s, CharSet::Any, s);
                    cur = s;
                } else {
                    // `**/`: nothing, or anything that ends with `/`. The slash
                    // before it (if any) was already emitted.
                    let loop_state = nfa.state();
                    let after = nfa.state();
                    nfa.eps[cur].push(after);
                    nfa.edge(cur, CharSet::Any, loop_state);
                    nfa.edge(loop_state, CharSet::Any, loop_state);
                    nfa.edge(loop_state, CharSet::Char('/'), after);
                    cur = after;
                }
            } else {
                cur = compile_segment(&mut nfa, cur, seg, offset)?;
                // The slash before a final `**` belongs to that `**`.
                let final_double_star = i + 1 == last && segments[last].0 == "**";
                if i != last && !final_double_star {
                    let s = nfa.state();
                    nfa.edge(cur, CharSet::Char('/'), s);
                    cur = s;
                }
            }
        }
        if !has_wild || dir {
            // A plain path or a directory: also everything below it.
            let slash = nfa.state();
            let below = nfa.state();
            nfa.edge(cur, CharSet::Char('/'), slash);
            nfa.edge(slash, CharSet::Any, below);
            nfa.edge(below, CharSet::Any, below);
            let accept = nfa.state();
            nfa.eps[below].push(accept);
            if !dir {
                nfa.eps[cur].push(accept);
            }
            cur = accept;
        }
        nfa.accept = cur;
        // Every path it matches also ends with the literal text after the
        // last wildcard, unless it claims whole directories.
        let suffix = if !has_wild || dir || body.ends_with("**") {
            String::new()
        } else {
            body.rfind(['*', '?', ']'])
                .map_or(String::new(), |i| body[i + 1..].to_owned())
        };
        let prefix: String = body
            .chars()
            .take_while(|c| !matches!(c, '*' | '?' | '['))
            .collect();
        // Only shapes whose automaton claims exactly "below a directory":
        // `a/**/` or `**/` (a directory below something) claim less.
        let directory = if !has_wild {
            Some((body.to_owned(), !dir))
        } else if dir {
            None
        } else if body == "**" {
            Some((String::new(), false))
        } else {
            body.strip_suffix("/**")
                .filter(|d| !d.contains(['*', '?', '[']))
                .map(|d| (d.to_owned(), false))
        };
        let needles = literal_runs(body);
        Ok(Glob {
            text: text.to_owned(),
            prefix,
            suffix,
            needles,
            directory,
            nfa,
        })
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The literal text every path it matches starts with.
    pub fn literal_prefix(&self) -> &str {
        &self.prefix
    }

    /// When the glob claims exactly everything below one directory (`a/b/**`,
    /// `a/b/`, `**`), or a plain path and everything below it (`a/b`): the
    /// directory (`""` for the root) and whether the path itself matches too.
    /// Such globs need no automaton to match.
    pub fn directory_claim(&self) -> Option<(&str, bool)> {
        self.directory
            .as_ref()
            .map(|(d, itself)| (d.as_str(), *itself))
    }

    /// Whether `path` (relative, `/`-separated) matches.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches('/');
        // A `**/` before the suffix may match no directory, so its `/` is not required.
        if !path.starts_with(self.prefix.as_str())
            || !path.ends_with(self.suffix.trim_start_matches('/'))
        {
            return false;
        }
        if let Some((dir, itself)) = &self.directory {
            return if dir.is_empty() {
                !path.is_empty()
            } else {
                (path.len() == dir.len() && *itself)
                    || path
                        .strip_prefix(dir.as_str())
                        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
            };
        }
        if self.needles.iter().any(|n| !path.contains(n.as_str())) {
            return false;
        }
        let n = self.nfa.edges.len();
        let mut seen = vec![false; n];
        let mut current = vec![0];
        let mut next = Vec::new();
        seen[0] = true;
        self.nfa.closure(&mut current, &mut seen);
        for c in path.chars() {
            seen.iter_mut().for_each(|s| *s = false);
            next.clear();
            for &s in &current {
                for (set, t) in &self.nfa.edges[s] {
                    if holds(set, c) && !seen[*t] {
                        seen[*t] = true;
                        next.push(*t);
                    }
                }
            }
            self.nfa.closure(&mut next, &mut seen);
            if next.is_empty() {
                return false;
            }
            std::mem::swap(&mut current, &mut next);
        }
        current.contains(&self.nfa.accept)
    }

    /// A path that both globs match, if there is one.
    ///
    /// Only real relative paths count: no leading, trailing or doubled `/`.
    /// A third automaton in the product enforces that: state 0 is "at the
    /// start of a segment" (the next character may not be `/`), state 1 is
    /// "inside a segment"; only state 1 accepts.
    pub fn overlap(&self, other: &Glob) -> Option<String> {
        let (a, b) = (&self.nfa, &other.nfa);
        let (na, nb) = (a.edges.len(), b.edges.len());
        let id = |p: usize, q: usize, v: usize| (p * nb + q) * 2 + v;
        // Parent pointers: (previous pair, character consumed or None for epsilon).
        let mut parent: Vec<Option<(usize, Option<char>)>> = vec![None; na * nb * 2];
        let mut visited = vec![false; na * nb * 2];
        let mut queue = VecDeque::new();
        visited[id(0, 0, 0)] = true;
        queue.push_back((0usize, 0usize, 0usize));
        while let Some((p, q, v)) = queue.pop_front() {
            if p == a.accept && q == b.accept && v == 1 {
                let mut out = Vec::new();
                let mut at = id(p, q, v);
                while let Some((prev, c)) = parent[at] {
                    if let Some(c) = c {
                        out.push(c);
                    }
                    at = prev;
                }
                out.reverse();
                return Some(out.into_iter().collect());
            }
            let mut visit =
                |np: usize, nq: usize, nv: usize, c: Option<char>, queue: &mut VecDeque<_>| {
                    if !visited[id(np, nq, nv)] {
                        visited[id(np, nq, nv)] = true;
                        parent[id(np, nq, nv)] = Some((id(p, q, v), c));
                        queue.push_back((np, nq, nv));
                    }
                };
            for &t in &a.eps[p] {
                visit(t, q, v, None, &mut queue);
            }
            for &t in &b.eps[q] {
                visit(p, t, v, None, &mut queue);
            }
            // Any character but `/` continues (or starts) a segment; a `/`
            // may only end a non-empty one.
            for (ia, ta) in &a.edges[p] {
                for (ib, tb) in &b.edges[q] {
                    if let Some(c) = pick(ia, ib) {
                        visit(*ta, *tb, 1, Some(c), &mut queue);
                    }
                    if v == 1 && holds(ia, '/') && holds(ib, '/') {
                        visit(*ta, *tb, 0, Some('/'), &mut queue);
                    }
                }
            }
        }
        None
    }
}

fn compile_segment(
    nfa: &mut Nfa,
    mut cur: usize,
    seg: &str,
    base: usize,
) -> Result<usize, GlobError> {
    let mut chars = seg.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '*' => {
                // `**` inside a segment (`a**b`) means the same as `*`.
                while chars.peek().is_some_and(|&(_, c)| c == '*') {
                    chars.next();
                }
                let s = nfa.state();
                nfa.eps[cur].push(s);
                nfa.edge(s, CharSet::Segment, s);
                cur = s;
            }
            '?' => {
                let s = nfa.state();
                nfa.edge(cur, CharSet::Segment, s);
                cur = s;
            }
            '[' => {
                let mut negated = false;
                let mut ranges = Vec::new();
                let mut closed = false;
                if chars.peek().is_some_and(|&(_, c)| c == '!' || c == '^') {
                    chars.next();
                    negated = true;
                }
                let mut first = true;
                while let Some((_, c)) = chars.next() {
                    if c == ']' && !first {
                        closed = true;
                        break;
                    }
                    first = false;
                    if chars.peek().is_some_and(|&(_, d)| d == '-') {
                        let mut look = chars.clone();
                        look.next();
                        match look.peek() {
                            Some(&(_, end)) if end != ']' => {
                                chars.next();
                                chars.next();
                                if end < c {
                                    return Err(GlobError {
                                        offset: base + i,
                                        message: format!(
                                            "range `{c}-{end}` runs backwards; write `{end}-{c}`"
                                        ),
                                    });
                                }
                                ranges.push((c, end));
                                continue;
                            }
                            _ => {}
                        }
                    }
                    ranges.push((c, c));
                }
                if !closed {
                    return Err(GlobError {
                        offset: base + i,
                        message: "unclosed `[`; add `]`".to_owned(),
                    });
                }
                let s = nfa.state();
                nfa.edge(cur, CharSet::Class { ranges, negated }, s);
                cur = s;
            }
            ']' => {
                return Err(GlobError {
                    offset: base + i,
                    message: "`]` without `[`".to_owned(),
                });
            }
            c => {
                let s = nfa.state();
                nfa.edge(cur, CharSet::Char(c), s);
                cur = s;
            }
        }
    }
    Ok(cur)
}

/// Finds pairs of globs that can match the same path. `globs` holds
/// (group, glob) where only globs of one group (a repository) can clash.
/// Returns (i, j, witness) with `i < j` indexes into `globs`, at most
/// `limit` of them (the search stops there), and whether it stopped early.
///
/// Two globs can only overlap if one's literal prefix is a prefix of the
/// other's, and one's literal suffix a suffix of the other's. After sorting
/// by prefix, each glob is compared only with the run of globs whose prefix
/// extends its own, and the automata are only built into a product when the
/// suffixes agree: near-linear for the usual model where services live in
/// their own directories or own their own file extensions.
pub fn overlapping_pairs(
    globs: &[(&str, &Glob)],
    limit: usize,
) -> (Vec<(usize, usize, String)>, bool) {
    let mut order: Vec<usize> = (0..globs.len()).collect();
    order.sort_by(|&x, &y| {
        (globs[x].0, globs[x].1.literal_prefix()).cmp(&(globs[y].0, globs[y].1.literal_prefix()))
    });
    let mut out = Vec::new();
    for (pos, &i) in order.iter().enumerate() {
        let (group, g) = globs[i];
        for &j in &order[pos + 1..] {
            let (other_group, h) = globs[j];
            if other_group != group || !h.literal_prefix().starts_with(g.literal_prefix()) {
                break;
            }
            if !g.suffix.ends_with(h.suffix.as_str()) && !h.suffix.ends_with(g.suffix.as_str()) {
                continue;
            }
            if let Some(w) = g.overlap(h) {
                out.push((i.min(j), i.max(j), w));
                if out.len() >= limit {
                    out.sort();
                    return (out, true);
                }
            }
        }
    }
    out.sort();
    (out, false)
}

/// The literal runs of a glob's body between wildcards and character
/// classes, each with `/` trimmed from its ends (a `**/` may match no
/// directory at all), empty runs left out.
fn literal_runs(body: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run = String::new();
    let mut in_class = false;
    for c in body.chars() {
        match c {
            '[' if !in_class => {
                in_class = true;
                runs.push(std::mem::take(&mut run));
            }
            ']' if in_class => in_class = false,
            _ if in_class => {}
            '*' | '?' => {
                runs.push(std::mem::take(&mut run));
            }
            _ => run.push(c),
        }
    }
    runs.push(run);
    runs.into_iter()
        .map(|r| r.trim_matches('/').to_owned())
        .filter(|r| !r.is_empty())
        .collect()
}
