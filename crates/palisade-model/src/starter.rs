//! A commented starter `palisade.toml` for an existing repository, guessed
//! from its top-level directories, its git history (through `.mailmap`) and
//! its CODEOWNERS file.
//!
//! Everything here works on plain data the caller collected: this module
//! never runs git, reads files or looks at the clock. "Recent" means the
//! year before the newest commit, so the same history always gives the same
//! model.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use crate::glob::Glob;
use crate::index::identity::{email_problem, github_login_problem, github_team_problem};

/// What `palisade init` learnt about the repository.
#[derive(Debug, Clone, Default)]
pub struct RepoFacts {
    /// The repository's name (usually its directory name).
    pub name: String,
    /// Top-level directories that hold code.
    pub top_dirs: Vec<String>,
    /// The CODEOWNERS file's text, if there is one.
    pub codeowners: Option<String>,
    /// The org's default time zone.
    pub timezone: String,
    /// The commits of the current branch's history, in any order.
    pub commits: Vec<CommitFacts>,
    /// The text of `.mailmap` at the repository root, if there is one.
    pub mailmap: Option<String>,
}

impl RepoFacts {
    /// Records a commit: its author as the commit spells it, its author time
    /// (seconds since the Unix epoch) and the paths it changed, `/`-separated.
    /// A path may be a top-level directory standing for everything under it.
    pub fn add_commit<P: Into<String>>(
        &mut self,
        author_name: &str,
        author_email: &str,
        time: i64,
        paths: impl IntoIterator<Item = P>,
    ) {
        self.commits.push(CommitFacts {
            author_name: author_name.to_owned(),
            author_email: author_email.to_owned(),
            time,
            paths: paths.into_iter().map(Into::into).collect(),
        });
    }
}

/// One commit as the starter needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitFacts {
    /// The author's name, as written in the commit.
    pub author_name: String,
    /// The author's e-mail address, as written in the commit.
    pub author_email: String,
    /// Author time, seconds since the Unix epoch.
    pub time: i64,
    /// Paths the commit changed (empty for merges), `/`-separated; a
    /// top-level directory stands for everything under it.
    pub paths: Vec<String>,
}

/// Why no starter model could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StarterError {
    /// Neither the history nor CODEOWNERS names anybody who could own a service.
    #[error("{}", no_people_message(*.commits, *.bots, *.codeowners))]
    NoPeople {
        /// Commits in the history.
        commits: usize,
        /// How many of them were made by bots.
        bots: usize,
        /// Whether there is a CODEOWNERS file.
        codeowners: bool,
    },
}

fn no_people_message(commits: usize, bots: usize, codeowners: bool) -> String {
    let history = match commits {
        0 => "this repository has no commits".to_owned(),
        1 if bots == 1 => "its only commit is by a bot".to_owned(),
        n if n == bots => format!("all {n} commits are by bots"),
        n => format!("none of the {n} commits names its author"),
    };
    let codeowners = if codeowners {
        "its CODEOWNERS names no person"
    } else {
        "no CODEOWNERS file"
    };
    let why = format!("{history} and {codeowners}");
    format!(
        "found nobody to own the services: {why}; make a first commit (`git commit`) or add a CODEOWNERS file naming owners (`/api/ @login`), then run `palisade init` again"
    )
}

/// Directories that are never services of their own.
const NOT_SERVICES: &[&str] = &[
    "target",
    "node_modules",
    "dist",
    "build",
    "out",
    "vendor",
    "third_party",
    "tmp",
    "bin",
    "obj",
    "coverage",
];

/// How far back "recent" activity reaches from the newest commit.
const RECENT_SECONDS: i64 = 365 * 24 * 60 * 60;

/// The longest handle the starter derives (ids may be up to 128 characters).
const MAX_HANDLE: usize = 40;

/// The host of GitHub's private commit e-mail addresses.
const GITHUB_NOREPLY_HOST: &str = "users.noreply.github.com";

struct Rule {
    glob: Glob,
    owners: Vec<String>,
}

fn parse_codeowners(text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        let owners: Vec<String> = words.map(str::to_owned).collect();
        // CODEOWNERS patterns without a slash (other than a trailing one)
        // match at any depth; anchored ones from the root.
        let trimmed = pattern.trim_end_matches('/');
        let anchored = pattern.starts_with('/') || trimmed.contains('/');
        let mut glob_text = if anchored {
            pattern.trim_start_matches('/').to_owned()
        } else {
            format!("**/{pattern}")
        };
        if pattern == "*" {
            glob_text = "**".to_owned();
        }
        if let Ok(glob) = Glob::new(&glob_text) {
            rules.push(Rule { glob, owners });
        }
    }
    rules
}

/// Turns any name into a model id: lower-case, `-` for anything else.
pub(crate) fn to_id(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    id = id
        .trim_matches(|c| c == '-' || c == '.' || c == '_')
        .to_owned();
    if id.is_empty() {
        "service".to_owned()
    } else {
        id
    }
}

/// A handle from a name or an e-mail's local part: lower-case ASCII letters
/// and digits, with a single `-`, `_` or `.` between them; empty if nothing
/// of the name survives.
fn to_handle(name: &str) -> String {
    let mut ascii = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else {
            ascii.push_str(fold_latin(c).unwrap_or("-"));
        }
    }
    let mut out = String::new();
    let mut sep: Option<char> = None;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            let sep = sep.take().filter(|_| !out.is_empty());
            if out.len() + usize::from(sep.is_some()) >= MAX_HANDLE {
                break;
            }
            out.extend(sep);
            out.push(c.to_ascii_lowercase());
        } else if matches!(c, '.' | '_') {
            // Keep `.` and `_` where the name had them, `-` for the rest.
            sep = Some(c);
        } else if sep.is_none() {
            sep = Some('-');
        }
    }
    out
}

/// Common accented Latin letters as their plain ASCII spelling, so that
/// `José Núñez` becomes `jose-nunez` rather than `jos-n-ez`.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
            "a"
        }
        'æ' | 'Æ' => "ae",
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ę' | 'Ě' => {
            "e"
        }
        'ğ' | 'Ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'İ' => "i",
        'ł' | 'Ł' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ő' => {
            "o"
        }
        'œ' | 'Œ' => "oe",
        'ř' | 'Ř' => "r",
        'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => "s",
        'ß' => "ss",
        'ť' | 'Ť' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ů' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ů' | 'Ű' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        'þ' | 'Þ' => "th",
        _ => return None,
    })
}

/// An e-mail address or login as the systems that own them compare it.
fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A name as people compare it: case and runs of white space do not matter.
fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The GitHub login a private commit address (`12345+login@users.noreply.github.com`
/// or `login@users.noreply.github.com`) stands for, if it is a valid login.
fn github_login_of(email: &str) -> Option<String> {
    let (local, host) = email.trim().rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(GITHUB_NOREPLY_HOST) {
        return None;
    }
    let login = match local.split_once('+') {
        Some((id, login)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => login,
        Some(_) => return None,
        None => local,
    };
    github_login_problem(login)
        .is_none()
        .then(|| login.to_owned())
}

/// Whether an author is a bot whose commits say nothing about ownership.
fn is_bot(name: &str, email: &str) -> bool {
    let has_bot = |s: &str| s.to_ascii_lowercase().contains("[bot]");
    has_bot(name) || has_bot(email) || email.trim().eq_ignore_ascii_case("noreply@github.com")
}

// ---------------------------------------------------------------------------
// .mailmap
// ---------------------------------------------------------------------------

/// What a `.mailmap` entry replaces an author's name and e-mail with.
#[derive(Debug, Clone, Default)]
struct Replacement {
    name: Option<String>,
    email: Option<String>,
}

impl Replacement {
    /// Later lines fill in or override what earlier ones said.
    fn merge(&mut self, name: Option<String>, email: Option<String>) {
        if name.is_some() {
            self.name = name;
        }
        if email.is_some() {
            self.email = email;
        }
    }
}

#[derive(Debug, Default)]
struct MailmapEntry {
    /// For every commit name under this e-mail.
    any_name: Replacement,
    /// For one commit name (folded) under this e-mail.
    by_name: HashMap<String, Replacement>,
}

/// A parsed `.mailmap`, looked up the way `git log --use-mailmap` does.
#[derive(Debug, Default)]
pub struct Mailmap {
    /// By folded commit e-mail.
    entries: HashMap<String, MailmapEntry>,
}

/// The next `Name <email>` of a mailmap line: the (trimmed, possibly empty)
/// name, the e-mail, and the rest of the line.
fn name_and_email(text: &str) -> Option<(Option<String>, String, &str)> {
    let open = text.find('<')?;
    let close = open + text[open..].find('>')?;
    let name = text[..open].trim();
    let email = text[open + 1..close].trim();
    Some((
        (!name.is_empty()).then(|| name.to_owned()),
        email.to_owned(),
        &text[close + 1..],
    ))
}

impl Mailmap {
    /// Parses the four forms git reads (see `gitmailmap(5)`):
    ///
    /// ```text
    /// Proper Name <commit@email>
    /// <proper@email> <commit@email>
    /// Proper Name <proper@email> <commit@email>
    /// Proper Name <proper@email> Commit Name <commit@email>
    /// ```
    ///
    /// A line starting with `#` is a comment, as is anything after the last
    /// address; lines that are not one of the forms are ignored, as git does.
    pub fn parse(text: &str) -> Mailmap {
        let mut map = Mailmap::default();
        for line in text.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let Some((name1, email1, rest)) = name_and_email(line) else {
                continue;
            };
            let (proper_name, proper_email, commit_name, commit_email) = match name_and_email(rest)
            {
                Some((name2, email2, _)) => (name1, Some(email1), name2, email2),
                None => (name1, None, None, email1),
            };
            let entry = map.entries.entry(fold(&commit_email)).or_default();
            match commit_name {
                // A line for one commit name replaces any earlier one for it;
                // lines for the address alone add up, as in git.
                Some(n) => {
                    entry.by_name.insert(
                        name_key(&n),
                        Replacement {
                            name: proper_name,
                            email: proper_email,
                        },
                    );
                }
                None => entry.any_name.merge(proper_name, proper_email),
            }
        }
        map
    }

    /// The author's proper name and e-mail.
    pub fn map(&self, name: &str, email: &str) -> (String, String) {
        let Some(entry) = self.entries.get(&fold(email)) else {
            return (name.to_owned(), email.to_owned());
        };
        let r = entry
            .by_name
            .get(&name_key(name))
            .unwrap_or(&entry.any_name);
        (
            r.name.clone().unwrap_or_else(|| name.to_owned()),
            r.email.clone().unwrap_or_else(|| email.to_owned()),
        )
    }
}

// ---------------------------------------------------------------------------
// People from history
// ---------------------------------------------------------------------------

/// How often a spelling (of a name or an address) was used, and when last.
#[derive(Debug, Clone, Copy, Default)]
struct Use {
    count: usize,
    last: i64,
}

impl Use {
    fn add(&mut self, time: i64) {
        if self.count == 0 || time > self.last {
            self.last = time;
        }
        self.count += 1;
    }

    fn merge(&mut self, other: Use) {
        if self.count == 0 || other.last > self.last {
            self.last = other.last;
        }
        self.count += other.count;
    }
}

/// The most used of some spellings (then the most recent, then the first in order).
fn most_used(spellings: &BTreeMap<String, Use>) -> Option<&str> {
    spellings
        .iter()
        .max_by(|a, b| {
            (a.1.count, a.1.last)
                .cmp(&(b.1.count, b.1.last))
                .then_with(|| b.0.cmp(a.0))
        })
        .map(|(s, _)| s.as_str())
}

/// Everything seen under one (folded) commit address, after `.mailmap`.
#[derive(Debug, Default)]
struct Address {
    spellings: BTreeMap<String, Use>,
    names: BTreeMap<String, Use>,
    uses: Use,
    /// Addresses the commits wrote before `.mailmap` changed them (folded).
    raw: HashSet<String>,
    commits: Vec<usize>,
}

/// A person the starter writes.
#[derive(Debug, Default)]
struct Person {
    handle: String,
    name: String,
    /// Valid addresses, the most used first.
    emails: Vec<String>,
    /// Addresses their commits carried that the model cannot hold.
    unusable: Vec<String>,
    github: Option<String>,
    /// Every address they are known by, folded, for matching CODEOWNERS.
    known: HashSet<String>,
    /// Indices of their commits in [`RepoFacts::commits`].
    commits: Vec<usize>,
    last: i64,
    /// Where the entry came from, for its comment.
    note: Option<String>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            // The lower index stays the root, so the result is independent
            // of the order unions happen in.
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            self.0[hi] = lo;
        }
    }
}

/// What the history says about people.
struct History {
    people: Vec<Person>,
    /// The names (or addresses) of the bots left out.
    bots: BTreeSet<String>,
    bot_commits: usize,
}

/// Turns commits into people: one per address after `.mailmap`, then
/// addresses that share a name (ignoring case and spacing) or a GitHub
/// login joined into one person.
fn people_from_history(commits: &[CommitFacts], mailmap: &Mailmap) -> History {
    let mut addresses: BTreeMap<String, Address> = BTreeMap::new();
    let mut bots: BTreeSet<String> = BTreeSet::new();
    let mut bot_commits = 0;
    for (i, c) in commits.iter().enumerate() {
        let (name, email) = mailmap.map(c.author_name.trim(), c.author_email.trim());
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let email = email.trim().to_owned();
        if is_bot(&name, &email) {
            bot_commits += 1;
            bots.insert(if name.is_empty() { email } else { name });
            continue;
        }
        if name.is_empty() && email.is_empty() {
            continue;
        }
        // Authors without an address are told apart by name alone.
        let key = if email.is_empty() {
            format!("\0{}", name_key(&name))
        } else {
            fold(&email)
        };
        let a = addresses.entry(key).or_default();
        if !email.is_empty() {
            a.spellings.entry(email).or_default().add(c.time);
        }
        if !name.is_empty() {
            a.names.entry(name).or_default().add(c.time);
        }
        a.uses.add(c.time);
        let raw = fold(&c.author_email);
        if !raw.is_empty() {
            a.raw.insert(raw);
        }
        a.commits.push(i);
    }

    let list: Vec<(&String, &Address)> = addresses.iter().collect();
    let mut sets = UnionFind((0..list.len()).collect());
    let mut first_by: HashMap<String, usize> = HashMap::new();
    for (i, (_, a)) in list.iter().enumerate() {
        let logins = a
            .spellings
            .keys()
            .filter_map(|e| github_login_of(e))
            .map(|l| format!("github:{}", fold(&l)));
        let names = a.names.keys().map(|n| format!("name:{}", name_key(n)));
        for k in names.chain(logins) {
            match first_by.get(&k) {
                Some(&j) => sets.union(i, j),
                None => {
                    first_by.insert(k, i);
                }
            }
        }
    }

    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..list.len() {
        let root = sets.find(i);
        groups.entry(root).or_default().push(i);
    }
    let mut people = Vec::new();
    for members in groups.values() {
        let mut names: BTreeMap<String, Use> = BTreeMap::new();
        let mut emails: Vec<(String, Use)> = Vec::new();
        let mut p = Person::default();
        let mut uses = Use::default();
        for &m in members {
            let (key, a) = list[m];
            for (n, u) in &a.names {
                names.entry(n.clone()).or_default().merge(*u);
            }
            if let Some(spelling) = most_used(&a.spellings) {
                emails.push((spelling.to_owned(), a.uses));
            }
            if !key.starts_with('\0') {
                p.known.insert(key.clone());
            }
            p.known.extend(a.raw.iter().cloned());
            p.commits.extend(&a.commits);
            uses.merge(a.uses);
        }
        p.last = uses.last;
        p.commits.sort_unstable();
        // The most used address first (between equals, one that is a
        // mailbox rather than GitHub's no-reply address); the GitHub login
        // of the most used no-reply address.
        emails.sort_by(|a, b| {
            let key = |(e, u): &(String, Use)| (u.count, github_login_of(e).is_none(), u.last);
            key(b).cmp(&key(a)).then_with(|| a.0.cmp(&b.0))
        });
        p.github = emails.iter().find_map(|(e, _)| github_login_of(e));
        for (e, _) in emails {
            if email_problem(&e).is_none() {
                p.emails.push(e);
            } else {
                p.unusable.push(e);
            }
        }
        p.name = most_used(&names).unwrap_or_default().to_owned();
        people.push(p);
    }
    History {
        people,
        bots,
        bot_commits,
    }
}

// ---------------------------------------------------------------------------
// The guess
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct TeamGuess {
    id: String,
    github_team: Option<String>,
}

#[derive(Debug, Default)]
struct Guess {
    people: Vec<Person>,
    teams: Vec<TeamGuess>,
}

impl Guess {
    fn team(&mut self, name: &str, github_team: Option<&str>) -> usize {
        let id = to_id(name);
        if let Some(i) = self.teams.iter().position(|t| t.id == id) {
            return i;
        }
        self.teams.push(TeamGuess {
            id,
            github_team: github_team
                .filter(|t| github_team_problem(t).is_none())
                .map(str::to_owned),
        });
        self.teams.len() - 1
    }

    /// The person CODEOWNERS means by `@login`: the one whose commits carry
    /// that GitHub login (in a no-reply address); else the one person whose address starts with
    /// `login@`; else a new person known only from CODEOWNERS.
    fn by_login(&mut self, login: &str) -> Option<usize> {
        let key = fold(login);
        // Their login, or an older one they once committed under.
        let is_login = |l: &str| fold(l) == key;
        if let Some(i) = self.people.iter().position(|p| {
            p.github.as_deref().is_some_and(is_login)
                || p.known
                    .iter()
                    .any(|e| github_login_of(e).is_some_and(|l| is_login(&l)))
        }) {
            return Some(i);
        }
        let valid = github_login_problem(login).is_none();
        let by_address: Vec<usize> = self
            .people
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                p.github.is_none()
                    && !p.commits.is_empty()
                    && p.known
                        .iter()
                        .any(|e| e.split_once('@').is_some_and(|(l, _)| l == key))
            })
            .map(|(i, _)| i)
            .collect();
        if let [i] = by_address[..] {
            let p = &mut self.people[i];
            if valid {
                p.github = Some(login.to_owned());
                p.note = Some(format!(
                    "GitHub login from CODEOWNERS (@{login}), matched by their commit address"
                ));
            }
            return Some(i);
        }
        if !valid {
            // Not a GitHub login (a GitLab name?): nobody to attach it to.
            return None;
        }
        self.people.push(Person {
            handle: String::new(),
            name: login.to_owned(),
            emails: vec![format!("{login}@{GITHUB_NOREPLY_HOST}")],
            github: Some(login.to_owned()),
            note: Some(format!(
                "named in CODEOWNERS (@{login}); no commits in this history"
            )),
            ..Person::default()
        });
        Some(self.people.len() - 1)
    }

    /// The person CODEOWNERS means by an e-mail address.
    fn by_email(&mut self, email: &str) -> Option<usize> {
        let key = fold(email);
        if let Some(i) = self.people.iter().position(|p| p.known.contains(&key)) {
            return Some(i);
        }
        if email_problem(email).is_some() {
            return None;
        }
        let (local, _) = email.split_once('@')?;
        self.people.push(Person {
            handle: String::new(),
            name: local.to_owned(),
            emails: vec![email.to_owned()],
            known: HashSet::from([key]),
            note: Some(format!(
                "named in CODEOWNERS ({email}); no commits in this history"
            )),
            ..Person::default()
        });
        Some(self.people.len() - 1)
    }

    /// Gives everyone a unique handle: their GitHub login where they have
    /// one, else from their address or name. Logins are reserved first, so
    /// nobody's handle is somebody else's login.
    fn assign_handles(&mut self) {
        let mut taken: HashSet<String> = self
            .people
            .iter()
            .filter_map(|p| p.github.as_deref().map(fold))
            .collect();
        for p in &mut self.people {
            if let Some(login) = &p.github {
                p.handle = login.to_ascii_lowercase();
            }
        }
        for p in self.people.iter_mut().filter(|p| p.github.is_none()) {
            let from_email = p
                .emails
                .first()
                .or(p.unusable.first())
                .and_then(|e| e.split_once('@'))
                .map(|(local, _)| to_handle(local))
                .filter(|h| h.len() >= 2);
            let base = from_email
                .or_else(|| Some(to_handle(&p.name)).filter(|h| !h.is_empty()))
                .unwrap_or_else(|| "person".to_owned());
            let mut handle = base.clone();
            let mut n = 2;
            while taken.contains(&handle) {
                handle = format!("{base}-{n}");
                n += 1;
            }
            taken.insert(handle.clone());
            p.handle = handle;
        }
    }

    /// Makes every address name exactly one person, and gives a person whose
    /// commits carry no usable address one that says so.
    fn settle_emails(&mut self) {
        let mut seen: HashSet<String> = HashSet::new();
        for p in &mut self.people {
            p.emails.retain(|e| seen.insert(fold(e)));
            if p.emails.is_empty() {
                let mut stand_in = format!("{}@example.invalid", p.handle);
                let mut n = 2;
                while !seen.insert(fold(&stand_in)) {
                    stand_in = format!("{}-{n}@example.invalid", p.handle);
                    n += 1;
                }
                p.emails.push(stand_in);
            }
            if p.name.trim().is_empty() {
                p.name = p.handle.clone();
            }
        }
    }
}

/// How active someone was where it matters.
#[derive(Debug, Clone, Copy, Default)]
struct Activity {
    recent: Use,
    all: Use,
}

/// Everyone with commits matching `touches`, most active first: those active
/// in the recent window by recent commits, then the rest by all commits; ties
/// go to the most recent commit, then the handle.
fn ranked(
    people: &[Person],
    commits: &[CommitFacts],
    cutoff: i64,
    touches: impl Fn(&CommitFacts) -> bool,
) -> Vec<(usize, Activity)> {
    let mut active: Vec<(usize, Activity)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let mut a = Activity::default();
        for c in p.commits.iter().filter_map(|&c| commits.get(c)) {
            if touches(c) {
                a.all.add(c.time);
                if c.time >= cutoff {
                    a.recent.add(c.time);
                }
            }
        }
        if a.all.count > 0 {
            active.push((i, a));
        }
    }
    active.sort_by(|(i, a), (j, b)| {
        let key = |a: &Activity| {
            if a.recent.count > 0 {
                (1, a.recent.count, a.recent.last)
            } else {
                (0, a.all.count, a.all.last)
            }
        };
        key(b)
            .cmp(&key(a))
            .then_with(|| people[*i].handle.cmp(&people[*j].handle))
    });
    active
}

fn touches_dir(c: &CommitFacts, dir: &str) -> bool {
    c.paths.iter().any(|p| {
        p.strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Why someone was chosen as an owner, for the comment beside them.
fn why_here(a: &Activity) -> String {
    if a.recent.count > 0 {
        format!("{} here in the last year", plural(a.recent.count, "commit"))
    } else {
        format!(
            "{} here, none in the last year",
            plural(a.all.count, "commit")
        )
    }
}

/// Why someone with no commits to a service was chosen for it.
fn why_elsewhere(a: &Activity) -> String {
    if a.recent.count > 0 {
        format!(
            "none here; {} elsewhere in the last year",
            plural(a.recent.count, "commit")
        )
    } else {
        format!("none here; {} elsewhere", plural(a.all.count, "commit"))
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn day_of(time: i64) -> String {
    jiff::Timestamp::from_second(time)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| "an unknown day".to_owned())
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text that is safe inside a TOML comment (no control characters).
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One service of the starter.
struct ServiceGuess {
    dir: String,
    team: Option<usize>,
    owner: usize,
    owner_why: String,
    backup: Option<(usize, String)>,
}

/// Writes a starter model that `palisade check` accepts whenever it found
/// at least two people (with one, every service lacks a backup owner, which
/// the model's comments say).
pub fn starter_model(facts: &RepoFacts) -> Result<String, StarterError> {
    let rules = facts
        .codeowners
        .as_deref()
        .map(parse_codeowners)
        .unwrap_or_default();
    let mailmap = facts
        .mailmap
        .as_deref()
        .map(Mailmap::parse)
        .unwrap_or_default();
    let history = people_from_history(&facts.commits, &mailmap);
    let mut guess = Guess {
        people: history.people,
        teams: Vec::new(),
    };

    let mut dirs: Vec<&String> = facts
        .top_dirs
        .iter()
        .filter(|d| !d.starts_with('.') && !NOT_SERVICES.contains(&d.as_str()))
        // A name with glob or quoting characters cannot be a path glob as it
        // is; such directories are left for the user to add by hand.
        .filter(|d| {
            d.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ' '))
        })
        .collect();
    dirs.sort();
    dirs.dedup();

    // CODEOWNERS first: it names teams and the owners of the paths it covers.
    let mut named: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
    for dir in &dirs {
        let probe = format!("{dir}/file");
        let owners = rules
            .iter()
            .rev()
            .find(|r| r.glob.matches(&probe))
            .map(|r| r.owners.clone())
            .unwrap_or_default();
        let mut team = None;
        let mut people: Vec<usize> = Vec::new();
        for o in &owners {
            let who = if let Some(rest) = o.strip_prefix('@') {
                match rest.split_once('/') {
                    Some((_, t)) => {
                        team.get_or_insert_with(|| guess.team(t, Some(rest)));
                        None
                    }
                    None => guess.by_login(rest),
                }
            } else if o.contains('@') {
                guess.by_email(o)
            } else {
                None
            };
            if let Some(i) = who
                && !people.contains(&i)
            {
                people.push(i);
            }
        }
        named.push((team, people));
    }

    if guess.people.is_empty() {
        return Err(StarterError::NoPeople {
            commits: facts.commits.len(),
            bots: history.bot_commits,
            codeowners: facts.codeowners.is_some(),
        });
    }
    guess.assign_handles();
    guess.settle_emails();

    let newest = facts.commits.iter().map(|c| c.time).max().unwrap_or(0);
    let cutoff = newest.saturating_sub(RECENT_SECONDS);
    let commits = &facts.commits;
    let people = &guess.people;
    // Everyone in the order a service falls back on: the most active in the
    // whole repository first, then those only CODEOWNERS names.
    let overall = ranked(people, commits, cutoff, |_| true);
    let mut fallback: Vec<(usize, String)> = overall
        .iter()
        .map(|(i, a)| (*i, why_elsewhere(a)))
        .collect();
    let active: HashSet<usize> = overall.iter().map(|(i, _)| *i).collect();
    fallback.extend(
        (0..people.len())
            .filter(|i| !active.contains(i))
            .map(|i| (i, "named in CODEOWNERS elsewhere".to_owned())),
    );

    let mut services: BTreeMap<String, ServiceGuess> = BTreeMap::new();
    let mut plan: Vec<(String, Option<usize>, Vec<usize>)> = dirs
        .iter()
        .zip(named)
        .map(|(d, (t, p))| ((*d).clone(), t, p))
        .collect();
    if plan.is_empty() {
        plan.push(("**".to_owned(), None, Vec::new()));
    }
    for (dir, team, owners) in plan {
        let here = if dir == "**" {
            overall.clone()
        } else {
            ranked(people, commits, cutoff, |c| touches_dir(c, &dir))
        };
        let mut candidates: Vec<(usize, String)> = owners
            .iter()
            .map(|&i| (i, "from CODEOWNERS".to_owned()))
            .collect();
        candidates.extend(here.iter().map(|(i, a)| (*i, why_here(a))));
        candidates.extend(fallback.iter().cloned());
        let mut seen = HashSet::new();
        candidates.retain(|(i, _)| seen.insert(*i));
        let mut picks = candidates.into_iter();
        let Some((owner, owner_why)) = picks.next() else {
            continue;
        };
        let backup = picks.next();
        let base = if dir == "**" {
            to_id(&facts.name)
        } else {
            to_id(&dir)
        };
        let mut id = base.clone();
        let mut n = 2;
        while services.contains_key(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        services.insert(
            id,
            ServiceGuess {
                dir,
                team,
                owner,
                owner_why,
                backup,
            },
        );
    }

    let default_team = match guess.teams.first() {
        Some(_) => 0,
        None => guess.team("platform", None),
    };
    Ok(write_model(
        facts,
        &guess,
        &services,
        default_team,
        &Summary {
            bots: &history.bots,
            overall: &overall,
        },
    ))
}

struct Summary<'a> {
    bots: &'a BTreeSet<String>,
    overall: &'a [(usize, Activity)],
}

fn write_model(
    facts: &RepoFacts,
    guess: &Guess,
    services: &BTreeMap<String, ServiceGuess>,
    default_team: usize,
    summary: &Summary<'_>,
) -> String {
    let org_id = to_id(&facts.name);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# palisade.toml — the operating model of {}.",
        comment_text(&facts.name)
    );
    t.push_str(
        "# Written by `palisade init` from this repository's layout, git history and CODEOWNERS.\n\
         # Everything here is a guess to start from: check it with `palisade check`,\n\
         # then adjust owners, risk tiers and hours. Reference: docs/model.md.\n\n",
    );
    t.push_str("[org]\n");
    let _ = writeln!(t, "name = {}", quote(&facts.name));
    let _ = writeln!(
        t,
        "timezone = {}   # default IANA zone for people who name none",
        quote(&facts.timezone)
    );
    let _ = writeln!(
        t,
        "log_name = {}   # origin line of the evidence ledger's checkpoints",
        quote(&format!("{org_id}.example/palisade"))
    );
    t.push_str(
        "\n# Policy thresholds (these are the defaults):\n\
         # [org.policy]\n\
         # training_max_age_days = 365\n\
         # background_check_max_age_days = 1095\n\
         # required_clauses = [\"nda\", \"dpa\", \"ip_assignment\", \"audit_rights\", \"breach_notification\", \"transition_assistance\", \"data_return_deletion\"]\n\n",
    );

    t.push_str("# Vendors: the companies whose teams work here.\n# [[vendors]]\n# id = \"vendor-x\"\n# name = \"Vendor X Ltd\"\n\n");
    t.push_str("# Teams: `internal`, or `vendor` with a contract and an onboarding phase\n# (observe → co-deliver → own).\n");
    for team in &guess.teams {
        let _ = write!(
            t,
            "[[teams]]\nid = {}\nname = {}\nkind = \"internal\"\n",
            quote(&team.id),
            quote(&team.id),
        );
        if let Some(gh) = &team.github_team {
            let _ = writeln!(t, "github_team = {}   # as CODEOWNERS names it", quote(gh));
        }
        t.push('\n');
    }
    t.push_str(
        "# [[teams]]\n# id = \"vendor-x-dev\"\n# name = \"Vendor X developers\"\n# kind = \"vendor\"\n# vendor = \"vendor-x\"\n# contract = \"vendor-x-msa\"\n# phase = \"observe\"\n# phase_since = 2026-01-05\n\n",
    );

    let commits = facts.commits.len();
    if commits == 0 {
        t.push_str("# People: named in CODEOWNERS (the repository has no commits yet).\n");
    } else {
        let _ = writeln!(
            t,
            "# People: guessed from {} of git history{}{}.",
            plural(commits, "commit"),
            if facts.mailmap.is_some() {
                " (through .mailmap)"
            } else {
                ""
            },
            if facts.codeowners.is_some() {
                " and from CODEOWNERS"
            } else {
                ""
            }
        );
    }
    t.push_str(
        "# Addresses of one name are one person; `emails` lists their other addresses.\n\
         # Set each person's team, time zone and declared working hours.\n\
         # \"The last year\" below means the year before the newest commit.\n",
    );
    if !summary.bots.is_empty() {
        let names: Vec<String> = summary
            .bots
            .iter()
            .take(5)
            .map(|b| comment_text(b))
            .collect();
        let more = summary.bots.len().saturating_sub(names.len());
        let _ = writeln!(
            t,
            "# Bots are left out: {}{}.",
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    if guess.people.len() == 1 {
        t.push_str(
            "# Only one person was found, so no service has a backup owner yet: add a\n\
             # second person here and name them as `backup_owner` of each service.\n",
        );
    }
    t.push('\n');

    // The most active first, then those only CODEOWNERS names.
    let mut order: Vec<usize> = summary.overall.iter().map(|(i, _)| *i).collect();
    let active: HashSet<usize> = order.iter().copied().collect();
    order.extend((0..guess.people.len()).filter(|i| !active.contains(i)));
    for i in order {
        let p = &guess.people[i];
        if !p.commits.is_empty() {
            let _ = writeln!(
                t,
                "# {}, the last on {}",
                plural(p.commits.len(), "commit"),
                day_of(p.last)
            );
        }
        if let Some(note) = &p.note {
            let _ = writeln!(t, "# {}", comment_text(note));
        }
        if !p.unusable.is_empty() {
            let list: Vec<String> = p.unusable.iter().map(|e| comment_text(e)).collect();
            let _ = writeln!(
                t,
                "# their commits also carry {}, {}",
                list.join(", "),
                if list.len() == 1 {
                    "which is not a usable address"
                } else {
                    "which are not usable addresses"
                }
            );
        }
        let _ = writeln!(t, "[[people]]\nhandle = {}", quote(&p.handle));
        let _ = writeln!(t, "name = {}", quote(&p.name));
        if let Some((first, rest)) = p.emails.split_first() {
            if first.ends_with("@example.invalid") {
                let _ = writeln!(
                    t,
                    "email = {}   # none of their commits has a usable address: put theirs here",
                    quote(first)
                );
            } else {
                let _ = writeln!(t, "email = {}", quote(first));
            }
            if !rest.is_empty() {
                let list: Vec<String> = rest.iter().map(|e| quote(e)).collect();
                let _ = writeln!(t, "emails = [{}]", list.join(", "));
            }
        }
        if let Some(gh) = &p.github {
            let _ = writeln!(t, "github = {}", quote(gh));
        }
        let _ = writeln!(
            t,
            "team = {}\nhours = \"Mon-Fri 09:00-18:00\"\n",
            quote(&guess.teams[default_team].id)
        );
    }

    t.push_str(
        "# Services: the paths they own, who owns them, and how risky a change is.\n\
         # Owners are the most active recent authors of each directory (CODEOWNERS\n\
         # wins where it names people); the comment beside each says why.\n",
    );
    for (id, s) in services {
        let team = s.team.unwrap_or(default_team);
        let paths = if s.dir == "**" {
            "**".to_owned()
        } else {
            format!("{}/**", s.dir)
        };
        let _ = writeln!(
            t,
            "[[services]]\nid = {}\npaths = [{}]\nteam = {}",
            quote(id),
            quote(&paths),
            quote(&guess.teams[team].id),
        );
        let _ = writeln!(
            t,
            "owner = {}   # {}",
            quote(&guess.people[s.owner].handle),
            s.owner_why
        );
        match &s.backup {
            Some((b, why)) => {
                let _ = writeln!(
                    t,
                    "backup_owner = {}   # {}",
                    quote(&guess.people[*b].handle),
                    why
                );
            }
            None => t.push_str(
                "# backup_owner = \"\"   # only one person was found; name a second one here\n",
            ),
        }
        t.push_str("risk = \"medium\"   # low | medium | high | critical\n\n");
    }

    t.push_str(
        "# Environments and the resources in them.\n\
         [[environments]]\nid = \"dev\"\nsensitivity = \"low\"\n\n\
         [[environments]]\nid = \"staging\"\nsensitivity = \"medium\"\n\n\
         [[environments]]\nid = \"prod\"\nproduction = true\nproduction_data = true\nsensitivity = \"critical\"\n\
         # [[environments.resources]]\n# id = \"app-hosts\"\n# kind = \"ssh_host\"\n# address = \"app.prod.internal:22\"\n# access = [\"read\", \"deploy\", \"admin\"]\n\n",
    );
    t.push_str(
        "# Roles: what a holder may do where. Prefer just-in-time grants to standing roles.\n\
         [[roles]]\nid = \"prod-deployer\"\ndescription = \"Deploy to production\"\n\
         grants = [{ environment = \"prod\", access = \"deploy\" }]\n\
         max_duration = \"4h\"\napprovals = 1\nteam_kinds = [\"internal\"]\n\n",
    );
    t.push_str(
        "# Gates: the controls a change needs, per risk tier.\n\
         [gates.tiers.low]\ntests = true\nsecret_scan = true\n\n\
         [gates.tiers.medium]\ntests = true\nsecret_scan = true\nowner_approvals = 1\nstatic_analysis = \"high\"\n\n\
         [gates.tiers.high]\ntests = true\nsecret_scan = true\nowner_approvals = 1\nstatic_analysis = \"medium\"\ninternal_approval = true\nrollback_plan = true\n\n\
         [gates.tiers.critical]\ntests = true\nsecret_scan = true\nowner_approvals = 2\nstatic_analysis = \"medium\"\ninternal_approval = true\nrollback_plan = true\nsigned_artifact = true\ndocs_updated = true\n\n\
         # Path rules: what a change touches can raise its tier above its services' risk.\n\
         [[gates.path_rules]]\nname = \"infrastructure code\"\npaths = [\"infra/**\", \"terraform/**\", \"**/*.tf\", \"**/*.tfvars\", \"**/helm/**\", \"**/k8s/**\", \"**/Dockerfile\"]\nraise_to = \"high\"\nconfig = \"deployment\"\n\n\
         [[gates.path_rules]]\nname = \"IAM and policy\"\npaths = [\"**/iam/**\", \"**/policies/**\", \"**/*.cedar\", \"**/*.rego\", \"**/CODEOWNERS\"]\nraise_to = \"critical\"\nconfig = \"access\"\n\n\
         [[gates.path_rules]]\nname = \"database migrations\"\npaths = [\"**/migrations/**\", \"**/migrate/**\", \"**/*.sql\"]\nraise_to = \"high\"\n\n\
         [[gates.path_rules]]\nname = \"CI workflows\"\npaths = [\".github/workflows/**\", \".github/actions/**\", \".gitlab-ci.yml\", \".gitlab/ci/**\", \"Jenkinsfile\", \".circleci/**\"]\nraise_to = \"high\"\nconfig = \"deployment\"\n\n\
         [[gates.path_rules]]\nname = \"authentication code\"\npaths = [\"**/auth/**\", \"**/oauth/**\", \"**/session/**\", \"**/authn/**\", \"**/authz/**\"]\nraise_to = \"high\"\n\n\
         [[gates.path_rules]]\nname = \"dependency lockfiles\"\npaths = [\"**/Cargo.lock\", \"**/package-lock.json\", \"**/yarn.lock\", \"**/pnpm-lock.yaml\", \"**/go.sum\", \"**/poetry.lock\", \"**/Gemfile.lock\", \"**/composer.lock\", \"**/uv.lock\"]\nraise_to = \"medium\"\n\n\
         # A change bound for production needs at least the high tier (`palisade gate --env prod`).\n\
         [[gates.environments]]\nenvironment = \"prod\"\nmin_tier = \"high\"\n\n",
    );
    t.push_str(
        "# Contracts of vendor teams:\n# [[contracts]]\n# id = \"vendor-x-msa\"\n# vendor = \"vendor-x\"\n# starts = 2026-01-01\n# ends = 2027-12-31\n# [contracts.clauses]\n# nda = true\n# dpa = true\n# ip_assignment = [\"source\", \"artifacts\", \"docs\"]\n",
    );
    t
}
