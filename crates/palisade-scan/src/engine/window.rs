//! Running a rule's regex only around its keywords' occurrences, when that finds exactly
//! what a search of the whole buffer finds.
//!
//! A search of the whole buffer finds, from each position, the leftmost match. Two facts
//! about a pattern, read from its syntax, let a bounded search find the same matches:
//! every match holds one of the rule's keywords (so every match starts near a keyword's
//! occurrence), and every match is short or stays on one line (so a haystack cut a little
//! after the last such start sees every byte those matches and their look-arounds see).
//! Then, for each region of possible starts, a search of the buffer cut at the region's
//! [`Region::end`] finds the same match from each position up to [`Region::last`], and no
//! match can start outside the regions.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Bytes past a match that an assertion may read (a Unicode word boundary decodes one
/// character).
const LOOKAHEAD: usize = 4;
/// Most strings a part of a pattern is expanded to (beyond, it counts as unknown).
const MAX_STRINGS: usize = 64;
/// Most steps of the search for a keyword every match holds.
const MAX_STEPS: usize = 10_000;
/// Most distinct bytes (a letter's two cases counting once) a class may hold to count as a
/// literal piece.
const MAX_CLASS: usize = 8;

/// Where a rule's matches lie around its keywords, for a pattern every match of which
/// holds one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reach {
    /// A match holds a line feed only as its first or last byte (`(?:^|[^a-z])` before a
    /// token, `(?:[^a-z]|$)` after it): it starts at the earliest on the line feed before
    /// its keyword's line and ends at the latest one byte past its last start's line.
    pub(super) line: bool,
    /// The longest a match can be, in bytes.
    pub(super) max_len: Option<usize>,
    /// The most bytes other than ASCII whitespace a match can hold, when it has no
    /// `max_len` (only runs of whitespace, `\s*`, are unbounded).
    pub(super) max_solid: Option<usize>,
    /// The most lines holding more than whitespace that a match can touch, when it is not
    /// `line` (its line feeds are few, or in runs of whitespace that cross blank lines).
    pub(super) lines: Option<usize>,
}

/// Possible match starts `first..=last`, searched in the buffer cut at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Region {
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) end: usize,
}

impl Region {
    /// The whole of a buffer of `len` bytes.
    pub(super) fn whole(len: usize) -> Region {
        Region {
            first: 0,
            last: len,
            end: len,
        }
    }
}

/// The syntax of `pattern` as `regex::bytes::Regex` compiles it by default (Unicode on,
/// matching bytes that are not UTF-8 allowed), or `None` when it does not parse.
pub(super) fn parse(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// The reach of `pattern` (compiled as `regex::bytes::Regex` compiles it by default) for
/// `keywords` (lowercase, found ASCII case-insensitively), or `None` when a match might
/// hold none of them or be both unbounded and span lines.
pub(super) fn reach(pattern: &str, keywords: &[String]) -> Option<Reach> {
    let hir = parse(pattern)?;
    let keywords: Vec<Vec<u8>> = keywords
        .iter()
        .map(|k| k.as_bytes().to_ascii_lowercase())
        .collect();
    let mut budget = MAX_STEPS;
    if keywords.iter().any(Vec::is_empty) || !holds_keyword(&hir, &keywords, &mut budget) {
        return None;
    }
    let line = newlines_only_at_ends(&hir);
    let max_len = hir.properties().maximum_len();
    let max_solid = if max_len.is_some() {
        None
    } else {
        solid_len(&hir)
    };
    let lines = if line || keywords.iter().any(|k| k.iter().all(|&b| is_space(b))) {
        None
    } else {
        line_feeds(&hir).map(|(single, runs)| 1 + single + runs)
    };
    (line || max_len.is_some() || max_solid.is_some() || lines.is_some()).then_some(Reach {
        line,
        max_len,
        max_solid,
        lines,
    })
}

/// The regions to search for a rule of `reach` whose keywords occur at `places` (start
/// and end, sorted by start), into `regions`. False when they cover so much of `data` that
/// one search of the whole buffer is cheaper.
pub(super) fn regions(
    data: &[u8],
    reach: Reach,
    places: &[(usize, usize)],
    regions: &mut Vec<Region>,
) -> bool {
    regions.clear();
    let mut covered = 0;
    let budget = data.len() / 2;
    // The last start whose line was looked up, and the line feed before it (0 for none):
    // the next start's line feed is searched for back to there only, so that many
    // keywords on one long line do not each read it back to its beginning.
    let mut line_of = (0, 0);
    let mut solid_from = SolidWindow::default();
    for &(start, end) in places {
        let mut first = 0;
        if reach.line {
            let (seen, feed) = line_of;
            first = if start >= seen {
                memchr::memrchr(b'\n', &data[seen..start]).map_or(feed, |i| seen + i)
            } else {
                memchr::memrchr(b'\n', &data[..start]).unwrap_or(0)
            };
            line_of = (start, first);
        }
        if let Some(max) = reach.max_len {
            first = first.max(end.saturating_sub(max));
        }
        if let Some(max) = reach.max_solid {
            first = first.max(solid_from.first(data, end, max));
        }
        if let Some(lines) = reach.lines {
            first = first.max(lines_back(data, start, lines));
        }
        match regions.last_mut() {
            // Starts are sorted, so a region only ever grows at its end (`first` can be
            // smaller than the last region's only if the regions touch).
            Some(last) if first <= last.last + 1 => {
                last.first = last.first.min(first);
                last.last = last.last.max(start);
            }
            _ => {
                if let Some(last) = regions.last_mut() {
                    last.end = cut(data, reach, last.last);
                    covered += last.end - last.first;
                    if covered > budget {
                        return false;
                    }
                }
                regions.push(Region {
                    first,
                    last: start,
                    end: 0,
                });
            }
        }
    }
    if let Some(last) = regions.last_mut() {
        last.end = cut(data, reach, last.last);
        covered += last.end - last.first;
    }
    covered <= budget
}

/// The first byte that can be in a match ending by a keyword's end, for a pattern whose
/// matches hold at most `max` solid bytes (not ASCII whitespace): the byte after the
/// solid byte number `max + 1` back from the end. For ends that only grow, as a rule's
/// keywords are taken in order, the window slides forward instead of counting back from
/// each end.
#[derive(Debug, Default)]
struct SolidWindow {
    /// The last end, where the window starts and how many solid bytes it holds.
    last: Option<(usize, usize, usize)>,
}

impl SolidWindow {
    fn first(&mut self, data: &[u8], end: usize, max: usize) -> usize {
        let (from, count) = match self.last {
            // A short step forward: slide.
            Some((last, from, count))
                if last <= end && end - last <= max.saturating_mul(2).saturating_add(64) =>
            {
                let mut count = count + data[last..end].iter().filter(|&&b| !is_space(b)).count();
                let mut from = from;
                while count > max {
                    count -= usize::from(!is_space(data[from]));
                    from += 1;
                }
                (from, count)
            }
            _ => {
                // Back 64 bytes at a time while the count stays within `max` (a count
                // the compiler vectorises), then byte by byte.
                let mut solid = 0;
                let mut back = end;
                while back >= 64 {
                    let chunk = data[back - 64..back]
                        .iter()
                        .filter(|&&b| !is_space(b))
                        .count();
                    if solid + chunk > max {
                        break;
                    }
                    solid += chunk;
                    back -= 64;
                }
                let before = data[..back].iter().rposition(|&b| {
                    solid += usize::from(!is_space(b));
                    solid > max
                });
                match before {
                    Some(i) => (i + 1, max),
                    None => (0, solid),
                }
            }
        };
        self.last = Some((end, from, count));
        from
    }
}

/// Where the haystack can be cut for matches starting at or before `last`.
fn cut(data: &[u8], reach: Reach, last: usize) -> usize {
    let mut end = data.len();
    if reach.line {
        let after = (last + 1).min(end);
        if let Some(i) = memchr::memchr(b'\n', &data[after..]) {
            end = end.min(after + i + 1 + LOOKAHEAD);
        }
    }
    if let Some(max) = reach.max_len {
        end = end.min(last.saturating_add(max).saturating_add(LOOKAHEAD));
    }
    if let Some(lines) = reach.lines {
        end = end.min(lines_forward(data, last, lines));
    }
    if let Some(max) = reach.max_solid {
        // A match starting by `last` ends before its solid byte number `max + 1`.
        let mut solid = 0;
        if let Some(i) = data[last..end].iter().position(|&b| {
            solid += usize::from(!is_space(b));
            solid > max
        }) {
            end = end.min(last + i + LOOKAHEAD);
        }
    }
    end
}

/// Where a match holding the keyword that starts at `start`, and touching at most `lines`
/// lines with more than whitespace, can start at the earliest: after the line feed of the
/// such line before the `lines` ones that end at the keyword's.
fn lines_back(data: &[u8], start: usize, lines: usize) -> usize {
    let mut seen = 0;
    // The line before `end` (exclusive), from its start.
    let mut end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
    loop {
        let begin = memchr::memrchr(b'\n', &data[..end]).map_or(0, |i| i + 1);
        if !data[begin..end].iter().all(|&b| is_space(b)) {
            seen += 1;
            if seen > lines {
                // `end` is this line's line feed.
                return end + 1;
            }
        }
        if begin == 0 {
            return 0;
        }
        end = begin - 1;
    }
}

/// Where the haystack can be cut for matches starting at or before `last` that touch at
/// most `lines` lines with more than whitespace: a look-ahead past the start of the next
/// such line after `lines` of them.
fn lines_forward(data: &[u8], last: usize, lines: usize) -> usize {
    let mut seen = 0;
    let mut begin = memchr::memrchr(b'\n', &data[..last]).map_or(0, |i| i + 1);
    while begin < data.len() {
        let end = memchr::memchr(b'\n', &data[begin..]).map_or(data.len(), |i| begin + i);
        if !data[begin..end].iter().all(|&b| is_space(b)) {
            seen += 1;
            if seen > lines {
                return (begin + LOOKAHEAD).min(data.len());
            }
        }
        begin = end + 1;
    }
    data.len()
}

/// How many line feeds a match of `hir` holds outside runs of whitespace, and how many
/// places of it match runs of whitespace that may hold line feeds; `None` when either is
/// unbounded. A run of whitespace crosses only blank lines between the lines where it
/// starts and ends, so a match touches at most `1 + single + runs` lines with more than
/// whitespace.
fn line_feeds(hir: &Hir) -> Option<(usize, usize)> {
    if !can_match_byte(hir, b'\n') {
        return Some((0, 0));
    }
    if only_space(hir) {
        return Some((0, 1));
    }
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some((0, 0)),
        HirKind::Literal(literal) => Some((literal.0.iter().filter(|&&b| b == b'\n').count(), 0)),
        HirKind::Class(_) => Some((1, 0)),
        HirKind::Capture(capture) => line_feeds(&capture.sub),
        HirKind::Concat(parts) => parts.iter().try_fold((0usize, 0usize), |(s, r), part| {
            let (single, runs) = line_feeds(part)?;
            Some((s.checked_add(single)?, r.checked_add(runs)?))
        }),
        HirKind::Alternation(branches) => {
            branches
                .iter()
                .try_fold((0usize, 0usize), |(s, r), branch| {
                    let (single, runs) = line_feeds(branch)?;
                    Some((s.max(single), r.max(runs)))
                })
        }
        HirKind::Repetition(repetition) => {
            let (single, runs) = line_feeds(&repetition.sub)?;
            let times = usize::try_from(repetition.max?).ok()?;
            Some((single.checked_mul(times)?, runs.checked_mul(times)?))
        }
    }
}

/// Whether every byte a match of `hir` holds is ASCII whitespace.
fn only_space(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(literal) => literal.0.iter().all(|&b| is_space(b)),
        HirKind::Class(Class::Bytes(class)) => class
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(is_space)),
        HirKind::Class(Class::Unicode(class)) => class.ranges().iter().all(|r| {
            (u32::from(r.start())..=u32::from(r.end())).all(|c| u8::try_from(c).is_ok_and(is_space))
        }),
        HirKind::Capture(capture) => only_space(&capture.sub),
        HirKind::Repetition(repetition) => only_space(&repetition.sub),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => parts.iter().all(only_space),
    }
}

/// ASCII whitespace as `(?-u:\s)` has it.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ')
}

/// The most bytes other than ASCII whitespace that a match of `hir` holds; `None` when
/// unbounded.
fn solid_len(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(literal) => Some(literal.0.iter().filter(|&&b| !is_space(b)).count()),
        HirKind::Class(class) => {
            let space = match class {
                Class::Bytes(class) => class
                    .ranges()
                    .iter()
                    .all(|r| (r.start()..=r.end()).all(is_space)),
                Class::Unicode(class) => class.ranges().iter().all(|r| {
                    (u32::from(r.start())..=u32::from(r.end()))
                        .all(|c| u8::try_from(c).is_ok_and(is_space))
                }),
            };
            if space {
                Some(0)
            } else {
                hir.properties().maximum_len()
            }
        }
        HirKind::Capture(capture) => solid_len(&capture.sub),
        HirKind::Repetition(repetition) => match solid_len(&repetition.sub)? {
            0 => Some(0),
            once => repetition
                .max
                .and_then(|max| usize::try_from(max).ok()?.checked_mul(once)),
        },
        HirKind::Concat(parts) => parts
            .iter()
            .try_fold(0usize, |sum, part| sum.checked_add(solid_len(part)?)),
        HirKind::Alternation(branches) => branches
            .iter()
            .try_fold(0usize, |most, branch| Some(most.max(solid_len(branch)?))),
    }
}

/// Whether every match of `hir` holds one of `keywords`, ASCII case-insensitively. False
/// when in doubt.
fn holds_keyword(hir: &Hir, keywords: &[Vec<u8>], budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    if let Some(all) = strings(hir) {
        return all.iter().all(|s| holds(s, keywords));
    }
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(_) | HirKind::Literal(_) => false,
        HirKind::Capture(capture) => holds_keyword(&capture.sub, keywords, budget),
        HirKind::Repetition(repetition) => {
            repetition.min >= 1 && holds_keyword(&repetition.sub, keywords, budget)
        }
        HirKind::Alternation(branches) => {
            branches.iter().all(|b| holds_keyword(b, keywords, budget))
        }
        HirKind::Concat(parts) => {
            if parts.iter().any(|p| holds_keyword(p, keywords, budget)) {
                return true;
            }
            // Consecutive parts that match one of a few strings match one of their
            // concatenations, which may hold a keyword between them (`(?i)http://` is
            // four classes and a literal).
            // A part that matches too many strings still starts with one of a few and
            // ends with one of a few (`[a-z_]*(?:key|token)` ends with `key` or
            // `token`), which the run reaches into.
            let mut run: Vec<Vec<u8>> = vec![Vec::new()];
            for part in parts {
                let next = strings(part);
                let joined = next.as_ref().and_then(|next| product(&run, next));
                if joined.is_none() {
                    let reached = product(&run, &edge(part, Edge::Start));
                    if reached
                        .as_ref()
                        .unwrap_or(&run)
                        .iter()
                        .all(|s| holds(s, keywords))
                    {
                        return true;
                    }
                }
                run = joined.or(next).unwrap_or_else(|| edge(part, Edge::End));
            }
            if run.iter().all(|s| holds(s, keywords)) {
                return true;
            }
            // A common prefix lifted out of an alternation (`github…|gh_token` is
            // `g(?:ithub…|h_token)`) leaves the alternation inside the concatenation:
            // each branch in its place must hold a keyword.
            parts.iter().enumerate().any(|(i, part)| {
                let HirKind::Alternation(branches) = part.kind() else {
                    return false;
                };
                branches.iter().all(|branch| {
                    let mut whole = parts.clone();
                    whole[i] = branch.clone();
                    holds_keyword(&Hir::concat(whole), keywords, budget)
                })
            })
        }
    }
}

/// The strings, lowercase, that `hir` matches, when they are few: literals, classes of a
/// few ASCII bytes (a letter's cases counting once), and what they make up.
fn strings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut all = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![Vec::new()],
        HirKind::Literal(literal) => vec![literal.0.to_ascii_lowercase()],
        HirKind::Class(class) => class_bytes(class)?.into_iter().map(|b| vec![b]).collect(),
        HirKind::Capture(capture) => strings(&capture.sub)?,
        HirKind::Concat(parts) => parts
            .iter()
            .try_fold(vec![Vec::new()], |run, part| product(&run, &strings(part)?))?,
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(strings(branch)?);
                if all.len() > MAX_STRINGS {
                    return None;
                }
            }
            all
        }
        HirKind::Repetition(repetition) => {
            let max = repetition.max.filter(|&max| max <= 2)?;
            let once = strings(&repetition.sub)?;
            let mut all = Vec::new();
            let mut times = vec![Vec::new()];
            for count in 0..=max {
                if count >= repetition.min {
                    all.extend(times.iter().cloned());
                }
                times = product(&times, &once)?;
            }
            all
        }
    };
    all.sort_unstable();
    all.dedup();
    (all.len() <= MAX_STRINGS).then_some(all)
}

/// Which end of its matches [`edge`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

/// Strings, lowercase, one of which every match of `hir` starts with ([`Edge::Start`]) or
/// ends with ([`Edge::End`]); the empty string alone when nothing better is known.
fn edge(hir: &Hir, side: Edge) -> Vec<Vec<u8>> {
    if let Some(all) = strings(hir) {
        return all;
    }
    let unknown = || vec![Vec::new()];
    match hir.kind() {
        HirKind::Capture(capture) => edge(&capture.sub, side),
        HirKind::Repetition(repetition) if repetition.min >= 1 => edge(&repetition.sub, side),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(edge(branch, side));
                if all.len() > MAX_STRINGS {
                    return unknown();
                }
            }
            all.sort_unstable();
            all.dedup();
            all
        }
        HirKind::Concat(parts) => {
            // The fixed parts at this end, then the edge of the first part that is not.
            let mut ordered: Vec<&Hir> = parts.iter().collect();
            if side == Edge::End {
                ordered.reverse();
            }
            let mut run: Vec<Vec<u8>> = vec![Vec::new()];
            for part in ordered {
                let (next, fixed) = match strings(part) {
                    Some(all) => (all, true),
                    None => (edge(part, side), false),
                };
                let joined = match side {
                    Edge::Start => product(&run, &next),
                    Edge::End => product(&next, &run),
                };
                let Some(joined) = joined else {
                    return run;
                };
                run = joined;
                if !fixed {
                    break;
                }
            }
            run
        }
        _ => unknown(),
    }
}

/// Every string of `left` followed by every string of `right`, if not too many.
fn product(left: &[Vec<u8>], right: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if left.len() * right.len() > MAX_STRINGS {
        return None;
    }
    Some(
        left.iter()
            .flat_map(|l| right.iter().map(move |r| [l.as_slice(), r].concat()))
            .collect(),
    )
}

/// The bytes, lowercase, of a class of a few ASCII bytes.
fn class_bytes(class: &Class) -> Option<Vec<u8>> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(class) => class
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(class) => class
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut bytes = Vec::new();
    for (start, end) in ranges {
        if end >= 0x80 || (end - start) as usize + bytes.len() >= 2 * MAX_CLASS {
            return None;
        }
        bytes.extend((start..=end).filter_map(|c| u8::try_from(c).ok()));
    }
    bytes.iter_mut().for_each(|b| b.make_ascii_lowercase());
    bytes.sort_unstable();
    bytes.dedup();
    (!bytes.is_empty() && bytes.len() <= MAX_CLASS).then_some(bytes)
}

/// Whether `text` (lowercase) holds one of `keywords`.
fn holds(text: &[u8], keywords: &[Vec<u8>]) -> bool {
    keywords
        .iter()
        .any(|k| text.windows(k.len()).any(|w| w == k.as_slice()))
}

/// Whether a line feed can only be the first or the last byte of a match of `hir`: it
/// holds none, or it is a concatenation whose first and last parts are one byte at most
/// and the parts between hold none. False when in doubt.
fn newlines_only_at_ends(hir: &Hir) -> bool {
    if !can_match_byte(hir, b'\n') {
        return true;
    }
    let HirKind::Concat(parts) = hir.kind() else {
        return false;
    };
    let at_end = |part: &Hir| {
        !can_match_byte(part, b'\n') || part.properties().maximum_len().is_some_and(|n| n <= 1)
    };
    match parts.as_slice() {
        [first, middle @ .., last] => {
            at_end(first) && at_end(last) && !middle.iter().any(|p| can_match_byte(p, b'\n'))
        }
        _ => false,
    }
}

/// Whether some match of `hir` may hold `byte`. True when in doubt.
fn can_match_byte(hir: &Hir, byte: u8) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(literal) => literal.0.contains(&byte),
        HirKind::Class(Class::Bytes(class)) => class
            .ranges()
            .iter()
            .any(|r| r.start() <= byte && byte <= r.end()),
        HirKind::Class(Class::Unicode(class)) => class
            .ranges()
            .iter()
            .any(|r| r.start() <= char::from(byte) && char::from(byte) <= r.end()),
        HirKind::Repetition(repetition) => {
            repetition.max != Some(0) && can_match_byte(&repetition.sub, byte)
        }
        HirKind::Capture(capture) => can_match_byte(&capture.sub, byte),
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            parts.iter().any(|p| can_match_byte(p, byte))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in rule's examples and counter-examples, alone and among other lines,
    /// spread over lines and repeated: the scanner (regexes around keywords where that is
    /// exact) finds what each triggered rule's regex finds over the whole buffer.
    #[test]
    fn around_keywords_as_over_the_whole_buffer_for_every_builtin_rule() {
        let rules = crate::rules::RuleSet::builtin().expect("the built-in rules load");
        let scanner = crate::engine::Scanner::new(rules).expect("the scanner builds");
        let texts: Vec<&str> = scanner
            .rules()
            .rules()
            .iter()
            .flat_map(|r| r.spec.examples.iter().chain(&r.spec.counter_examples))
            .map(String::as_str)
            .collect();
        let mut buffers: Vec<String> = Vec::new();
        for (i, group) in texts.chunks(8).enumerate() {
            let other = texts[(i * 7 + 3) % texts.len()];
            buffers.push(group.join("\n"));
            buffers.push(format!(
                "x = 1\n{}\n\n  \n{other}\nend\n",
                group.join("\n\n \t\n")
            ));
            buffers.push(
                group
                    .iter()
                    .map(|t| t.replace(' ', "\n\n "))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            buffers.push(format!(
                "{}{}\r\n",
                "a line of filler\n".repeat(40),
                group.join("\r\n")
            ));
        }
        for data in &buffers {
            let data = data.as_bytes();
            assert_eq!(
                scanner.scan(data),
                whole(&scanner, data),
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    /// The hits of every rule whose keywords occur, by its regex over the whole buffer.
    fn whole(scanner: &crate::engine::Scanner, data: &[u8]) -> Vec<crate::engine::Hit> {
        let lower = data.to_ascii_lowercase();
        let mut hits = Vec::new();
        let mut vetoed = Vec::new();
        for (index, rule) in scanner.rules().rules().iter().enumerate() {
            let occurs = |k: &String| memchr::memmem::find(&lower, k.as_bytes()).is_some();
            if !rule.spec.keywords.iter().any(occurs) {
                continue;
            }
            let whole = [Region::whole(data.len())];
            scanner.run_rule(index, rule, data, &whole, &mut hits, &mut vetoed);
        }
        scanner.finish(data, hits, &vetoed)
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn a_literal_token_prefix_is_bounded() {
        let reach = reach(
            r"(?-u)\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
            &words(&["ghp_"]),
        );
        assert_eq!(
            reach,
            Some(Reach {
                line: true,
                max_len: Some(40),
                max_solid: None,
                lines: None
            })
        );
    }

    #[test]
    fn case_insensitive_keywords_and_alternatives_count() {
        let pattern = r"(?i-u)\b(?:https?|ftp)://[a-z]+:(?P<secret>[^\s@]{3,})@";
        assert_eq!(
            reach(pattern, &words(&["http", "ftp"])),
            Some(Reach {
                line: true,
                max_len: None,
                max_solid: None,
                lines: None
            })
        );
        assert_eq!(reach(pattern, &words(&["https"])), None);
        let classes = r"(?-u)\b(?P<secret>vc[pirak]_[A-Za-z0-9]{56})\b";
        assert!(reach(classes, &words(&["vcp_", "vci_", "vcr_", "vca_", "vck_"])).is_some());
        assert_eq!(reach(classes, &words(&["vcp_", "vci_"])), None);
    }

    #[test]
    fn a_keyword_split_across_a_part_that_matches_many_strings_counts() {
        // `[a-z_]*(?:key|token)` ends with `key` or `token`, and `=` follows.
        let query =
            r"(?i-u)[?&](?P<name>[a-z0-9_.-]*(?:key|token|secret))=(?P<secret>[a-z0-9]{16,64})";
        assert!(reach(query, &words(&["key=", "token=", "secret="])).is_some());
        assert_eq!(reach(query, &words(&["key=", "token="])), None);
        // ` +` starts with a space: `ssws ` is in every match of the second branch.
        let scheme = r"(?-u)(?:okta_token=|SSWS +)(?P<secret>00[A-Za-z0-9_-]{40})";
        assert!(reach(scheme, &words(&["okta", "ssws "])).is_some());
        assert_eq!(reach(scheme, &words(&["okta", "ssws  "])), None);
        // A part that may be empty gives nothing to reach into.
        let optional = r"(?i-u)(?P<name>[a-z]*(?:key)?)=(?P<secret>[a-z0-9]{16})";
        assert_eq!(reach(optional, &words(&["key="])), None);
        // Nor does a starred part: `(?:ab)*` may match nothing.
        assert_eq!(reach(r"x(?:ab)*c[0-9]{8}", &words(&["xabc"])), None);
    }

    #[test]
    fn a_match_that_may_lack_a_keyword_or_span_lines_unbounded_is_refused() {
        // `key` is optional.
        assert_eq!(reach(r"(?:key)?[a-f0-9]{32}", &words(&["key"])), None);
        // `\w+` is unbounded and `\s*` crosses lines.
        assert_eq!(
            reach(r"token\s*=\s*(?P<secret>\w+)", &words(&["token"])),
            None
        );
        // Unicode case folding makes `k` match the Kelvin sign too: not a plain letter.
        assert_eq!(reach(r"(?i)key=(?P<secret>x)", &words(&["key"])), None);
        // A line feed may start it.
        assert_eq!(
            reach(
                r"(?-u)(?:^|[^a-z])(?P<secret>\$1\$[a-z]{8})",
                &words(&["$1$"])
            ),
            Some(Reach {
                line: true,
                max_len: Some(12),
                max_solid: None,
                lines: None
            })
        );
        // Bounded, so it may cross lines.
        assert_eq!(
            reach(r"(?-u)(?P<secret>\$1\$[a-z\n]{8})", &words(&["$1$"])),
            Some(Reach {
                line: false,
                max_len: Some(11),
                max_solid: None,
                lines: Some(9)
            })
        );
        // Only runs of whitespace are unbounded.
        assert_eq!(
            reach(
                r"(?i-u)(?:github|gh_)token\s*[:=]\s*(?P<secret>[a-f0-9]{40})",
                &words(&["github", "gh_token"])
            ),
            Some(Reach {
                line: false,
                max_len: None,
                max_solid: Some(52),
                lines: Some(3)
            })
        );
    }

    #[test]
    fn line_counts_skip_blank_lines() {
        let data = b"x\nkey\n\n  \nfoo = 1\nbar\n";
        assert_eq!(lines_back(data, 2, 1), 2);
        assert_eq!(lines_back(data, 2, 2), 0);
        assert_eq!(lines_forward(data, 2, 1), 14);
        assert_eq!(lines_forward(data, 3, 2), data.len());
        // Two `\s*` runs: the keyword's line and two more with text.
        let pattern = r"(?i-u)token\s*=\s*(?P<secret>[a-z]+)";
        assert_eq!(
            reach(pattern, &words(&["token"])).and_then(|r| r.lines),
            Some(3)
        );
        // A class holding a line feed besides whitespace counts once per repetition.
        let pattern = r"(?-u)token[;\s]{2}(?P<secret>[a-z]+)";
        assert_eq!(
            reach(pattern, &words(&["token"])).and_then(|r| r.lines),
            Some(3)
        );
        assert_eq!(
            reach(r"(?-u)token[^x]*(?P<secret>[a-z]+)", &words(&["token"])),
            None
        );
    }

    #[test]
    fn the_sliding_solid_window_starts_where_counting_back_does() {
        // Text of words and runs of spaces and line feeds, ends taken in order with steps
        // short and long, and once backwards.
        let mut seed = 7u32;
        let mut next = |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) % n
        };
        let data: Vec<u8> = (0..6000)
            .map(|_| match next(10) {
                0..=2 => b' ',
                3 => b'\n',
                _ => b'a' + next(26) as u8,
            })
            .collect();
        for max in [0, 1, 5, 40, 300] {
            let mut window = SolidWindow::default();
            let mut end = 0;
            for step in 0..400 {
                end = if step == 200 {
                    end / 2
                } else {
                    (end + next(90) as usize).min(data.len())
                };
                let mut solid = 0;
                let expected = data[..end]
                    .iter()
                    .rposition(|&b| {
                        solid += usize::from(!is_space(b));
                        solid > max
                    })
                    .map_or(0, |i| i + 1);
                assert_eq!(
                    window.first(&data, end, max),
                    expected,
                    "max {max}, end {end}"
                );
            }
        }
    }

    #[test]
    fn regions_merge_and_cut_after_the_last_start() {
        let data = b"aa key=1\nbb\ncc key=2 key=3\ndd";
        let reach = Reach {
            line: true,
            max_len: None,
            max_solid: None,
            lines: None,
        };
        let mut out = Vec::new();
        assert!(!regions(
            data,
            reach,
            &[(3, 6), (15, 18), (21, 24)],
            &mut out
        ));
        // From the line feed before, to a look-ahead past the line feed after.
        assert_eq!(
            out,
            [
                Region {
                    first: 0,
                    last: 3,
                    end: 13
                },
                Region {
                    first: 11,
                    last: 21,
                    end: 29
                }
            ]
        );
        let solid = Reach {
            line: false,
            max_len: None,
            max_solid: Some(4),
            lines: None,
        };
        let spaced = b"a b c d\n\n  e key f g h i j";
        assert!(!regions(spaced, solid, &[(13, 16)], &mut out));
        // At most four solid bytes, three of them the keyword's: a match starts after `d`
        // at the earliest, and one starting at the keyword ends before `g`.
        assert_eq!(
            out,
            [Region {
                first: 7,
                last: 13,
                end: 23
            }]
        );
        let bounded = Reach {
            line: false,
            max_len: Some(5),
            max_solid: None,
            lines: None,
        };
        let long = [b' '; 100];
        assert!(regions(&long, bounded, &[(50, 53)], &mut out));
        assert_eq!(
            out,
            [Region {
                first: 48,
                last: 50,
                end: 59
            }]
        );
    }
}
