//! One CODEOWNERS path pattern: gitignore's syntax less what GitHub leaves
//! out (`!` negation, `[ ]` character ranges, `\#` escapes), compiled once
//! into segments and matched segment by segment.
//!
//! The rules, as GitHub documents them:
//! - a pattern with a slash at its start or in its middle is anchored to the
//!   repository root; one without (`*.js`, `apps/`) matches at any depth;
//! - a trailing slash matches directories only (`apps/` claims what is
//!   below a directory named `apps`, never a file named so);
//! - `*` and `?` never cross a `/`; `**` as a whole segment spans any number
//!   of segments (`**/logs`, `a/**/b`), and a trailing `/**` everything below;
//! - a pattern that names a directory claims everything below it, except a
//!   pattern ending in `/*` (`docs/*`), which claims direct children only;
//! - matching is case-sensitive.
//!
//! Matching walks the path's segments once, carrying the set of pattern
//! positions reached as a bit set: linear in the path, no backtracking,
//! whatever the pattern.

/// The most segments a pattern may have (positions fit in a `u64`).
pub const MAX_SEGMENTS: usize = 63;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Matches exactly this text.
    Literal(Box<str>),
    /// `*` and `?` within one segment.
    Wild(Box<[Token]>),
    /// `**`: any number of whole segments (at the end: at least one).
    Any,
}

/// A piece of a wildcard segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// This text.
    Text(Box<str>),
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    One,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// The segments; a pattern that matches at any depth starts with `Any`.
    pub(crate) segments: Box<[Segment]>,
    /// A trailing `/`: only directories match.
    dir_only: bool,
    /// A final `/*`: direct children only, never what is below them.
    no_descend: bool,
}

impl Pattern {
    /// Compiles `text` (one pattern, escapes still in it), or says why GitHub
    /// would reject it.
    pub(crate) fn new(text: &str) -> Result<Pattern, String> {
        if text.starts_with('!') {
            return Err(format!(
                "`{text}`: CODEOWNERS has no `!` negation; to leave paths without owners, write the pattern with no owners after a broader rule"
            ));
        }
        if text.starts_with("\\#") {
            return Err(format!(
                "`{text}`: CODEOWNERS cannot escape a leading `#`; anchor the pattern instead, e.g. `/{}`",
                &text[1..]
            ));
        }
        // Unescape, remembering which characters were escaped (and so literal).
        let mut chars: Vec<(char, bool)> = Vec::with_capacity(text.len());
        let mut it = text.chars();
        while let Some(c) = it.next() {
            if c == '\\' {
                match it.next() {
                    Some(e) => chars.push((e, true)),
                    None => {
                        return Err(format!(
                            "`{text}` ends with a lone `\\`; remove it or escape a character after it"
                        ));
                    }
                }
            } else {
                if c == '[' || c == ']' {
                    return Err(format!(
                        "`{text}`: CODEOWNERS has no `[ ]` character ranges; list each path, or use `?` or `*`"
                    ));
                }
                chars.push((c, false));
            }
        }
        let is_slash = |&(c, escaped): &(char, bool)| c == '/' && !escaped;
        let dir_only = chars.last().is_some_and(is_slash);
        if dir_only {
            chars.pop();
        }
        let leading = chars.first().is_some_and(is_slash);
        let body: &[(char, bool)] = if leading { &chars[1..] } else { &chars };
        if body.is_empty() {
            return Err(format!(
                "`{text}` names no path; use `*` to match every file"
            ));
        }
        let parts: Vec<&[(char, bool)]> = body.split(is_slash).collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "`{text}` has an empty path segment (`//`); remove the extra slash"
            ));
        }
        let anchored = leading || parts.len() > 1;
        let mut segments: Vec<Segment> = Vec::with_capacity(parts.len() + 1);
        if !anchored {
            segments.push(Segment::Any);
        }
        for part in &parts {
            let seg = compile_segment(part);
            // `**/**` means `**`.
            if seg == Segment::Any && segments.last() == Some(&Segment::Any) {
                continue;
            }
            segments.push(seg);
        }
        if segments.len() > MAX_SEGMENTS {
            return Err(format!(
                "`{text}` has more than {MAX_SEGMENTS} segments; no repository path is that deep"
            ));
        }
        let no_descend =
            !dir_only && parts.len() > 1 && matches!(parts.last(), Some(p) if p == &[('*', false)]);
        // `/*` (a root-level `*`) also claims root-level files only.
        let no_descend = no_descend || (leading && !dir_only && parts == [&[('*', false)][..]]);
        Ok(Pattern {
            segments: segments.into(),
            dir_only,
            no_descend,
        })
    }

    /// Whether the pattern claims `segments` (a path split at `/`), a
    /// directory when `is_dir`.
    pub(crate) fn matches(&self, segments: &[&str], is_dir: bool) -> bool {
        let n = self.segments.len();
        let last = n - 1;
        let accept = 1u64 << n;
        // Positions reached, after following `**`'s zero-segment skips
        // (a final `**` needs at least one segment, so it has none).
        let close = |mut set: u64| {
            for (i, seg) in self.segments.iter().enumerate() {
                if set & (1 << i) != 0 && *seg == Segment::Any && i != last {
                    set |= 1 << (i + 1);
                }
            }
            set
        };
        let mut set = close(1);
        for (k, part) in segments.iter().enumerate() {
            let mut next = 0u64;
            let mut live = set & (accept - 1);
            while live != 0 {
                let i = live.trailing_zeros() as usize;
                live &= live - 1;
                match &self.segments[i] {
                    Segment::Any => next |= (1 << i) | (1 << (i + 1)),
                    Segment::Literal(lit) => {
                        if **lit == **part {
                            next |= 1 << (i + 1);
                        }
                    }
                    Segment::Wild(tokens) => {
                        if wild_match(tokens, part) {
                            next |= 1 << (i + 1);
                        }
                    }
                }
            }
            set = close(next);
            if set == 0 {
                return false;
            }
            // The pattern matched a directory above the path: everything
            // below it is claimed, unless it ends in `/*`.
            if set & accept != 0 && k + 1 < segments.len() && !self.no_descend {
                return true;
            }
        }
        set & accept != 0 && (is_dir || !self.dir_only)
    }
}

fn compile_segment(part: &[(char, bool)]) -> Segment {
    if part == [('*', false), ('*', false)] {
        return Segment::Any;
    }
    if part
        .iter()
        .all(|&(c, escaped)| escaped || (c != '*' && c != '?'))
    {
        return Segment::Literal(part.iter().map(|&(c, _)| c).collect::<String>().into());
    }
    let mut tokens: Vec<Token> = Vec::new();
    let mut text = String::new();
    for &(c, escaped) in part {
        let wild = match (c, escaped) {
            ('*', false) => Some(Token::Star),
            ('?', false) => Some(Token::One),
            _ => None,
        };
        match wild {
            None => text.push(c),
            Some(w) => {
                if !text.is_empty() {
                    tokens.push(Token::Text(std::mem::take(&mut text).into()));
                }
                // `**` inside a segment (`a**b`) is `*`.
                if !(w == Token::Star && tokens.last() == Some(&Token::Star)) {
                    tokens.push(w);
                }
            }
        }
    }
    if !text.is_empty() {
        tokens.push(Token::Text(text.into()));
    }
    Segment::Wild(tokens.into())
}

/// Whether the wildcard tokens match all of `s` (one path segment). Greedy
/// with one backtracking point, the last `*`: linear in practice.
pub(crate) fn wild_match(tokens: &[Token], s: &str) -> bool {
    let mut t = 0;
    let mut i = 0;
    // (token after the last `*`, position in `s` it was tried from)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if t < tokens.len() {
            match &tokens[t] {
                Token::Star => {
                    t += 1;
                    star = Some((t, i));
                    continue;
                }
                Token::Text(lit) => {
                    if s[i..].starts_with(&**lit) {
                        i += lit.len();
                        t += 1;
                        continue;
                    }
                }
                Token::One => {
                    if let Some(c) = s[i..].chars().next() {
                        i += c.len_utf8();
                        t += 1;
                        continue;
                    }
                }
            }
        } else if i == s.len() {
            return true;
        }
        // Mismatch: let the last `*` take one more character.
        match star {
            Some((st, si)) => match s[si..].chars().next() {
                Some(c) => {
                    let si = si + c.len_utf8();
                    star = Some((st, si));
                    t = st;
                    i = si;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, path: &str) -> bool {
        let segs: Vec<&str> = path.split('/').collect();
        Pattern::new(p).expect("valid").matches(&segs, false)
    }

    #[test]
    fn documented_examples() {
        assert!(m("*", "a/b/c.txt"));
        assert!(m("*.js", "a/b/c.js"));
        assert!(!m("*.js", "a/b/c.jsx"));
        assert!(m("/build/logs/", "build/logs/x/y"));
        assert!(!m("/build/logs/", "a/build/logs/x"));
        assert!(m("docs/*", "docs/getting-started.md"));
        assert!(!m("docs/*", "docs/build-app/troubleshooting.md"));
        assert!(m("apps/", "x/apps/y"));
        assert!(!m("apps/", "x/apps"));
        assert!(m("**/logs", "deeply/nested/logs/x"));
        assert!(m("/apps/github", "apps/github/a"));
        assert!(!m("/*", "a/b"));
        assert!(m("/*", "a"));
        assert!(!m("Docs/", "docs/a"));
        assert!(m("a/**/b", "a/b"));
        assert!(m("a/**/b", "a/x/y/b/z"));
        assert!(!m("a/b/**", "a/b"));
        assert!(m("a/b/**", "a/b/c/d"));
        assert!(m("f\\*o", "f*o"));
        assert!(!m("f\\*o", "foo"));
    }

    #[test]
    fn rejected() {
        for p in ["!a", "\\#a", "*.[ch]", "a\\", "/", "a//b"] {
            assert!(Pattern::new(p).is_err(), "{p}");
        }
    }
}
