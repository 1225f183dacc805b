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

/// A compiled path glob.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    prefix: String,
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
    fn contains(&self, c: char) -> bool {
        match self {
            CharSet::Char(x) => *x == c,
            CharSet::Segment => c != '/',
            CharSet::Any => true,
            CharSet::Class { ranges, negated } => {
                c != '/' && (ranges.iter().any(|&(a, b)| a <= c && c <= b) != *negated)
            }
        }
    }

    /// A character all three sets contain, if there is one we can find.
    /// Readable characters are tried first so that witnesses look like paths.
    fn common(&self, other: &CharSet, third: &CharSet) -> Option<char> {
        let mut candidates: Vec<char> = Vec::new();
        for set in [self, other] {
            match set {
                CharSet::Char(c) => candidates.push(*c),
                CharSet::Class { ranges, .. } => {
                    for &(a, b) in ranges {
                        candidates.push(a);
                        candidates.push(b);
                        if let Some(n) = char::from_u32(a as u32 + 1) {
                            candidates.push(n);
                        }
                        if let Some(n) = char::from_u32((b as u32).saturating_sub(1)) {
                            candidates.push(n);
                        }
                    }
                }
                CharSet::Segment | CharSet::Any => {}
            }
        }
        candidates.extend("x0a_-.zZ9~".chars());
        candidates
            .into_iter()
            .find(|&c| self.contains(c) && other.contains(c) && third.contains(c))
    }
}

#[derive(Debug, Clone, Default)]
struct Nfa {
    /// Per state: (set, target).
    edges: Vec<Vec<(CharSet, usize)>>,
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
        self.edges[from].push((set, to));
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
        let segments: Vec<&str> = body.split('/').collect();
        if let Some(pos) = segments.iter().position(|s| s.is_empty()) {
            let offset = lead + segments[..pos].iter().map(|s| s.len() + 1).sum::<usize>();
            return Err(bad(
                offset,
                "empty path segment (`//`); remove the extra slash",
            ));
        }

        let mut nfa = Nfa::default();
        let start = nfa.state();
        let mut cur = start;
        let mut offset = lead;
        let last = segments.len() - 1;
        for (i, seg) in segments.iter().enumerate() {
            if *seg == "**" {
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
                let final_double_star = i + 1 == last && segments[last] == "**";
                if i != last && !final_double_star {
                    let s = nfa.state();
                    nfa.edge(cur, CharSet::Char('/'), s);
                    cur = s;
                }
            }
            offset += seg.len() + 1;
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
        let prefix: String = body
            .chars()
            .take_while(|c| !matches!(c, '*' | '?' | '['))
            .collect();
        Ok(Glob {
            text: text.to_owned(),
            prefix,
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

    /// Whether `path` (relative, `/`-separated) matches.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches('/');
        let n = self.nfa.edges.len();
        let mut seen = vec![false; n];
        let mut current = vec![0];
        seen[0] = true;
        self.nfa.closure(&mut current, &mut seen);
        for c in path.chars() {
            seen.iter_mut().for_each(|s| *s = false);
            let mut next = Vec::new();
            for &s in &current {
                for (set, t) in &self.nfa.edges[s] {
                    if set.contains(c) && !seen[*t] {
                        seen[*t] = true;
                        next.push(*t);
                    }
                }
            }
            self.nfa.closure(&mut next, &mut seen);
            if next.is_empty() {
                return false;
            }
            current = next;
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
            // From the start of a segment only a non-`/` character may come;
            // inside one, anything (a `/` starts the next segment).
            let (allowed, slash_ok) = if v == 0 {
                (CharSet::Segment, false)
            } else {
                (CharSet::Any, true)
            };
            for (sa, ta) in &a.edges[p] {
                for (sb, tb) in &b.edges[q] {
                    if let Some(c) = sa.common(sb, &allowed) {
                        visit(*ta, *tb, 1, Some(c), &mut queue);
                    }
                    if slash_ok && sa.contains('/') && sb.contains('/') {
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
/// Returns (i, j, witness) with `i < j` indexes into `globs`.
///
/// Two globs can only overlap if one's literal prefix is a prefix of the
/// other's, so after sorting by prefix each glob is only compared with the
/// run of globs whose prefix extends its own: near-linear for the usual
/// model where services live in their own directories.
pub fn overlapping_pairs(globs: &[(&str, &Glob)]) -> Vec<(usize, usize, String)> {
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
            if let Some(w) = g.overlap(h) {
                out.push((i.min(j), i.max(j), w));
            }
        }
    }
    out.sort();
    out
}
