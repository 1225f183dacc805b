//! Renderings of a verdict: human, Markdown, GitHub annotations, JUnit XML
//! and the documented JSON.
//!
//! Each is a pure function of the [`Verdict`]: nothing here prints, reads the
//! clock or looks at the environment. Text that came from outside (reasons
//! quoting a pull request, evidence file names) is escaped for each format,
//! so a `|`, a newline or a control character in it can never break a table,
//! start a workflow command or make the XML unreadable.

use std::fmt::Write as _;

use crate::verdict::{ControlResult, ControlVerdict, Outcome, TierReason, Verdict};

/// The `schema` field of [`json`]: bumped when a documented field changes
/// meaning or goes away (new fields do not bump it).
pub const JSON_SCHEMA: &str = "palisade.gate.verdict/v1";

/// The longest a reason or note gets in Markdown, annotations and JUnit
/// `message` attributes, in characters; the JSON always has the whole text.
pub const MAX_TEXT: usize = 1000;

/// Annotations of one kind GitHub shows for a step; past this the last one
/// says how many more there are.
pub const ANNOTATIONS_PER_KIND: usize = 10;

/// The verdict as people read it in a terminal or a CI log.
///
/// Its first line is the answer (`PASS`, `WARN`, `FAIL`, or `PLAN` for a
/// plan) with the tier; then why that tier, the services touched, every
/// control aligned with its result and reason, what to provide for the ones
/// that block, and the waivers, uncounted evidence, warnings and unowned
/// paths. `color` adds ANSI colours; the text is the same without them.
pub fn human(v: &Verdict, color: bool) -> String {
    let paint = Paint(color);
    let mut out = String::new();
    let word = if v.plan {
        "PLAN"
    } else {
        match v.verdict {
            Outcome::Pass => "PASS",
            Outcome::Warn => "WARN",
            Outcome::Fail => "FAIL",
        }
    };
    let style = if v.plan {
        Style::Info
    } else {
        outcome_style(v.verdict)
    };
    let _ = writeln!(
        out,
        "{}  tier {}: {}",
        paint.bold(style, word),
        v.tier.key(),
        terminal(&summary(v))
    );
    let indent = " ".repeat(word.len() + 2);
    let _ = writeln!(out, "{indent}why: {}", terminal(&tier_why(&v.tier_reasons)));
    let _ = writeln!(out, "{indent}services: {}", terminal(&services(v)));
    let _ = writeln!(out, "{indent}change: {}", terminal(&change(v)));

    if v.plan {
        human_plan(v, paint, &mut out);
    } else {
        human_controls(v, paint, &mut out);
    }

    if !v.waivers_used.is_empty() {
        let _ = writeln!(
            out,
            "\nwaivers used: {}",
            terminal(&v.waivers_used.join(", "))
        );
    }
    let uncounted: Vec<_> = v.evidence.iter().filter(|e| !e.counted).collect();
    if !uncounted.is_empty() {
        let _ = writeln!(out, "\nevidence that did not count:");
        for e in uncounted {
            let _ = writeln!(
                out,
                "  {} ({}, {}): {}",
                terminal(&e.source),
                terminal(&e.kind),
                short_digest(&e.digest),
                terminal(e.note.as_deref().unwrap_or("no reason given"))
            );
        }
    }
    if !v.warnings.is_empty() {
        let _ = writeln!(out, "\n{}", paint.color(Style::Warn, "warnings:"));
        for w in &v.warnings {
            let _ = writeln!(out, "  - {}", indent_lines(&terminal(w), "    "));
        }
    }
    if !v.unowned.is_empty() {
        let _ = writeln!(out, "\nchanged paths no service owns:");
        for p in &v.unowned {
            let _ = writeln!(out, "  {}", terminal(p));
        }
    }
    out
}

/// The control table of a judged verdict: key, result, reason, and under it
/// what to provide, the waiver or the evidence that decided it.
fn human_controls(v: &Verdict, paint: Paint, out: &mut String) {
    let key_width = key_width(&v.controls);
    let result_width = v
        .controls
        .iter()
        .map(|c| result_word(c.result).len())
        .max()
        .unwrap_or(0);
    // Continuation lines start under the reason.
    let under = " ".repeat(2 + key_width + 2 + result_width + 2);
    out.push('\n');
    for c in &v.controls {
        let word = result_word(c.result);
        let _ = write!(
            out,
            "  {:key_width$}  {}{}  ",
            c.id.key(),
            paint.color(result_style(c.result), word),
            " ".repeat(result_width - word.len()),
        );
        let _ = writeln!(out, "{}", indent_lines(&terminal(&c.reason), &under));
        if c.result.blocks()
            && let Some(provide) = &c.provide
        {
            let _ = writeln!(
                out,
                "{under}{} {}",
                paint.bold(Style::Info, "provide:"),
                indent_lines(&terminal(provide), &under)
            );
        }
        if let Some(waiver) = &c.waiver {
            let _ = writeln!(out, "{under}waiver: {}", terminal(waiver));
        }
        if !c.evidence.is_empty() && c.result != ControlResult::NotRequired {
            let _ = writeln!(out, "{under}evidence: {}", terminal(&c.evidence.join(", ")));
        }
    }
}

/// A plan: what each required control will need, then the rest in a line.
fn human_plan(v: &Verdict, paint: Paint, out: &mut String) {
    let needed: Vec<&ControlVerdict> = v
        .controls
        .iter()
        .filter(|c| c.result == ControlResult::Needed)
        .collect();
    if needed.is_empty() {
        let _ = writeln!(out, "\nthis change will need no controls");
    } else {
        let key_width = key_width(&v.controls);
        let under = " ".repeat(2 + key_width + 2);
        let _ = writeln!(out, "\nthis change will need:");
        for c in needed {
            let _ = writeln!(
                out,
                "  {}{}  {}",
                paint.color(Style::Info, c.id.key()),
                " ".repeat(key_width - c.id.key().len()),
                indent_lines(&terminal(what_to_provide(c)), &under)
            );
        }
    }
    for (result, label) in [
        (ControlResult::NotApplicable, "not applicable here"),
        (ControlResult::NotRequired, "not required at this tier"),
    ] {
        let keys: Vec<&str> = v
            .controls
            .iter()
            .filter(|c| c.result == result)
            .map(|c| c.id.key())
            .collect();
        if !keys.is_empty() {
            let _ = writeln!(
                out,
                "{}",
                paint.color(Style::Dim, &format!("{label}: {}", keys.join(", ")))
            );
        }
    }
}

/// The verdict as Markdown, for `$GITHUB_STEP_SUMMARY` and merge-request
/// notes: a heading with the answer and tier, the controls as a table, what
/// to provide, waivers, evidence, warnings and unowned paths.
///
/// It uses only what GitHub's and GitLab's Markdown both render the same:
/// ATX headings, GFM tables, bullet lists, emphasis, code spans and `<br>`.
/// Outside text is escaped with backslashes (every table cell's `|`
/// included), its line breaks become `<br>`, and control characters become
/// U+FFFD.
pub fn markdown(v: &Verdict) -> String {
    let mut out = String::new();
    if v.plan {
        let _ = writeln!(out, "## Palisade gate plan: tier {}\n", v.tier.key());
    } else {
        let _ = writeln!(
            out,
            "## Palisade gate: {} (tier {})\n",
            v.verdict.key().to_uppercase(),
            v.tier.key()
        );
    }
    let _ = writeln!(out, "{}\n", md(&summary(v)));
    let _ = writeln!(
        out,
        "- **Tier {}:** {}",
        v.tier.key(),
        md(&tier_why(&v.tier_reasons))
    );
    let _ = writeln!(out, "- **Services:** {}", md(&services(v)));
    let _ = writeln!(out, "- **Change:** {}", md(&change(v)));

    if v.plan {
        let needed: Vec<_> = v
            .controls
            .iter()
            .filter(|c| c.result == ControlResult::Needed)
            .collect();
        if needed.is_empty() {
            let _ = writeln!(out, "\nThis change will need no controls.");
        } else {
            let _ = writeln!(out, "\n### This change will need\n");
            for c in needed {
                let _ = writeln!(out, "- **{}**: {}", c.id.key(), md(what_to_provide(c)));
            }
        }
    }

    let _ = writeln!(out, "\n### Controls\n");
    let _ = writeln!(out, "| Control | Result | Reason |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for c in &v.controls {
        let result = match c.result {
            ControlResult::Fail | ControlResult::Missing => {
                format!("**{}**", result_word(c.result).to_uppercase())
            }
            other => result_word(other).to_owned(),
        };
        let mut reason = md(&c.reason);
        if let Some(waiver) = &c.waiver {
            let _ = write!(reason, " (waiver {})", md(waiver));
        }
        let _ = writeln!(out, "| `{}` | {result} | {reason} |", c.id.key());
    }

    let blocking: Vec<_> = v.controls.iter().filter(|c| c.result.blocks()).collect();
    if !v.plan && !blocking.is_empty() {
        let _ = writeln!(out, "\n### What to provide\n");
        for c in blocking {
            let _ = writeln!(out, "- **{}**: {}", c.id.key(), md(what_to_provide(c)));
        }
    }

    if !v.waivers_used.is_empty() {
        let _ = writeln!(out, "\n### Waivers used\n");
        for w in &v.waivers_used {
            let controls: Vec<&str> = v
                .controls
                .iter()
                .filter(|c| c.waiver.as_deref() == Some(w.as_str()))
                .map(|c| c.id.key())
                .collect();
            if controls.is_empty() {
                let _ = writeln!(out, "- {}", md(w));
            } else {
                let _ = writeln!(out, "- {}: {}", md(w), md(&controls.join(", ")));
            }
        }
    }

    if !v.evidence.is_empty() {
        let _ = writeln!(out, "\n### Evidence\n");
        let _ = writeln!(out, "| Source | Kind | Digest | Counted |");
        let _ = writeln!(out, "| --- | --- | --- | --- |");
        for e in &v.evidence {
            let counted = if e.counted {
                "yes".to_owned()
            } else {
                format!("no: {}", md(e.note.as_deref().unwrap_or("no reason given")))
            };
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {counted} |",
                md(&e.source),
                md(&e.kind),
                code(&short_digest(&e.digest))
            );
        }
    }

    if !v.warnings.is_empty() {
        let _ = writeln!(out, "\n### Warnings\n");
        for w in &v.warnings {
            let _ = writeln!(out, "- {}", md(w));
        }
    }
    if !v.unowned.is_empty() {
        let _ = writeln!(out, "\n### Changed paths no service owns\n");
        for p in &v.unowned {
            let _ = writeln!(out, "- {}", md(p));
        }
    }
    out
}

/// The verdict as GitHub Actions workflow commands, one per line: an
/// `::error` for the overall failure and each failed or missing control, a
/// `::warning` for each waiver used, warning, uncounted piece of evidence and
/// the unowned paths, and a `::notice` for a pass or a plan.
///
/// Data is escaped as the Actions toolkit does (`%`, CR and LF as `%25`,
/// `%0D`, `%0A`; properties also `:` and `,` as `%3A`, `%2C`). GitHub shows
/// at most [`ANNOTATIONS_PER_KIND`] of each kind for a step, so past that
/// the last one of a kind counts the rest.
pub fn github_annotations(v: &Verdict) -> String {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut notices = Vec::new();

    let headline = format!("tier {}: {}", v.tier.key(), summary(v));
    if v.plan {
        let needed: Vec<String> = v
            .controls
            .iter()
            .filter(|c| c.result == ControlResult::Needed)
            .map(|c| format!("{}: {}", c.id.key(), what_to_provide(c)))
            .collect();
        let mut text = headline;
        if !needed.is_empty() {
            text.push_str("\nthis change will need:\n");
            text.push_str(&needed.join("\n"));
        }
        notices.push(("palisade gate plan".to_owned(), text));
    } else {
        match v.verdict {
            Outcome::Pass => notices.push(("palisade gate: pass".to_owned(), headline)),
            Outcome::Warn => warnings.push(("palisade gate: warn".to_owned(), headline)),
            Outcome::Fail => errors.push(("palisade gate: fail".to_owned(), headline)),
        }
    }

    for c in &v.controls {
        if c.result.blocks() {
            let mut text = clip(&c.reason);
            if let Some(provide) = &c.provide {
                text.push_str("\nprovide: ");
                text.push_str(&clip(provide));
            }
            errors.push((
                format!("palisade gate: {} {}", c.id.key(), c.result.key()),
                text,
            ));
        } else if c.result == ControlResult::Waived {
            let by = c.waiver.as_deref().unwrap_or("a waiver");
            warnings.push((
                format!("palisade gate: {} waived", c.id.key()),
                format!("waived by {by}: {}", clip(&c.reason)),
            ));
        }
    }
    for w in &v.waivers_used {
        if !v
            .controls
            .iter()
            .any(|c| c.waiver.as_deref() == Some(w.as_str()))
        {
            warnings.push(("palisade gate: waiver used".to_owned(), w.clone()));
        }
    }
    for w in &v.warnings {
        warnings.push(("palisade gate: warning".to_owned(), clip(w)));
    }
    for e in v.evidence.iter().filter(|e| !e.counted) {
        warnings.push((
            "palisade gate: evidence not counted".to_owned(),
            format!(
                "{} ({}): {}",
                e.source,
                e.kind,
                clip(e.note.as_deref().unwrap_or("no reason given"))
            ),
        ));
    }
    if !v.unowned.is_empty() {
        warnings.push((
            "palisade gate: unowned paths".to_owned(),
            format!(
                "no service owns these changed paths:\n{}",
                v.unowned.join("\n")
            ),
        ));
    }

    let mut out = String::new();
    for (command, list) in [
        ("error", errors),
        ("warning", warnings),
        ("notice", notices),
    ] {
        for (title, text) in capped(list) {
            let _ = writeln!(
                out,
                "::{command} title={}::{}",
                workflow_property(&title),
                workflow_data(&clean(&text))
            );
        }
    }
    out
}

/// Keeps at most [`ANNOTATIONS_PER_KIND`] annotations; the last one kept
/// says how many did not fit.
fn capped(mut list: Vec<(String, String)>) -> Vec<(String, String)> {
    if list.len() > ANNOTATIONS_PER_KIND {
        let rest = list.len() - (ANNOTATIONS_PER_KIND - 1);
        list.truncate(ANNOTATIONS_PER_KIND - 1);
        list.push((
            "palisade gate: more".to_owned(),
            format!("{rest} more like these: see the step summary or the JSON report"),
        ));
    }
    list
}

/// The verdict as JUnit XML, for test-report views (GitLab's
/// `artifacts:reports:junit`, GitHub test-report actions): one
/// `<testsuite name="palisade gate">` with a `<testcase>` per control, its
/// class name `palisade.gate.<tier>`. A failed or missing control is a
/// `<failure>`; a waived, not-required or not-applicable one (and in a plan,
/// a needed one) is `<skipped>`; a passed one carries its reason in
/// `<system-out>`. There is no timestamp: the library has no clock.
pub fn junit(v: &Verdict) -> String {
    let failures = v.controls.iter().filter(|c| c.result.blocks()).count();
    let skipped = v
        .controls
        .iter()
        .filter(|c| {
            matches!(
                c.result,
                ControlResult::Waived
                    | ControlResult::NotRequired
                    | ControlResult::NotApplicable
                    | ControlResult::Needed
            )
        })
        .count();
    let tests = v.controls.len();
    let counts = format!(r#"tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}""#);
    let class = format!("palisade.gate.{}", v.tier.key());

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, r#"<testsuites name="palisade gate" {counts}>"#);
    let _ = writeln!(out, r#"  <testsuite name="palisade gate" {counts}>"#);
    let _ = writeln!(out, "    <properties>");
    let mut properties = vec![
        (
            "verdict",
            if v.plan { "plan" } else { v.verdict.key() }.to_owned(),
        ),
        ("tier", v.tier.key().to_owned()),
        ("base", v.base.clone()),
        ("head", v.head.clone()),
    ];
    if let Some(env) = &v.environment {
        properties.push(("environment", env.clone()));
    }
    for (name, value) in properties {
        let _ = writeln!(
            out,
            r#"      <property name="palisade.{name}" value="{}"/>"#,
            xml_attr(&value)
        );
    }
    let _ = writeln!(out, "    </properties>");

    for c in &v.controls {
        let _ = write!(
            out,
            r#"    <testcase classname="{}" name="{}""#,
            xml_attr(&class),
            c.id.key()
        );
        let mut body = c.reason.clone();
        if let Some(provide) = c.provide.as_ref().filter(|_| c.result.blocks()) {
            let _ = write!(body, "\nprovide: {provide}");
        }
        if !c.evidence.is_empty() {
            let _ = write!(body, "\nevidence: {}", c.evidence.join(", "));
        }
        match c.result {
            ControlResult::Fail | ControlResult::Missing => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    xml_attr(&clip(&c.reason)),
                    c.result.key(),
                    xml_text(&body)
                );
            }
            ControlResult::Waived => {
                let by = c.waiver.as_deref().unwrap_or("a waiver");
                let message = format!("waived by {by}: {}", clip(&c.reason));
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_attr(&message)
                );
            }
            ControlResult::NotRequired | ControlResult::NotApplicable => {
                let message = format!("{}: {}", result_word(c.result), clip(&c.reason));
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_attr(&message)
                );
            }
            ControlResult::Needed => {
                let message = format!("needed: {}", clip(what_to_provide(c)));
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml_attr(&message)
                );
            }
            ControlResult::Pass => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    xml_text(&body)
                );
            }
        }
    }
    let _ = writeln!(out, "  </testsuite>");
    let _ = writeln!(out, "</testsuites>");
    out
}

/// The documented JSON: the verdict's fields (`verdict`, `plan`, `tier`,
/// `tier_reasons`, `services`, `base`, `head`, `environment`,
/// `changed_paths`, `unowned`, `controls[]` with `id`, `result`, `reason`,
/// `provide`, `evidence`, `waiver`, `waivers_used`, `evidence[]`,
/// `warnings`) and `schema`: [`JSON_SCHEMA`].
pub fn json(v: &Verdict) -> serde_json::Value {
    let mut value = serde_json::to_value(v)
        .expect("a verdict has string keys and no floats, so it always serialises");
    if let Some(map) = value.as_object_mut() {
        map.insert("schema".to_owned(), JSON_SCHEMA.into());
    }
    value
}

// ---- wording shared by every rendering ----

/// One line: how the required controls came out.
fn summary(v: &Verdict) -> String {
    let count = |r: ControlResult| v.controls.iter().filter(|c| c.result == r).count();
    let blocking: Vec<&str> = v
        .controls
        .iter()
        .filter(|c| c.result.blocks())
        .map(|c| c.id.key())
        .collect();
    let (passed, waived, na) = (
        count(ControlResult::Pass),
        count(ControlResult::Waived),
        count(ControlResult::NotApplicable),
    );
    if v.plan {
        let needed = count(ControlResult::Needed);
        return format!(
            "{needed} {} required",
            plural(needed, "control", "controls")
        );
    }
    let required = passed + waived + blocking.len();
    let mut text = if blocking.is_empty() {
        format!(
            "{passed} of {required} required {} met",
            plural(required, "control", "controls")
        )
    } else {
        format!(
            "{} of {required} required {} not met ({})",
            blocking.len(),
            plural(required, "control", "controls"),
            blocking.join(", ")
        )
    };
    if waived > 0 {
        let _ = write!(text, ", {waived} waived");
    }
    if na > 0 {
        let _ = write!(text, ", {na} not applicable");
    }
    text
}

/// Why the change has its tier, in one line.
fn tier_why(reasons: &[TierReason]) -> String {
    if reasons.is_empty() {
        return "nothing raises it above the lowest tier".to_owned();
    }
    reasons
        .iter()
        .map(|r| {
            let source = r.source.replace('_', " ");
            match &r.example {
                Some(path) => format!("{source} {} ({}, {path})", r.name, r.tier.key()),
                None => format!("{source} {} ({})", r.name, r.tier.key()),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The services touched, in one line.
fn services(v: &Verdict) -> String {
    if v.services.is_empty() {
        return "none".to_owned();
    }
    v.services
        .iter()
        .map(|s| {
            format!(
                "{} ({}, team {}, {} {})",
                s.id,
                s.risk.key(),
                s.team,
                s.paths,
                plural(s.paths, "path", "paths")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The commits, paths and environment, in one line.
fn change(v: &Verdict) -> String {
    let mut text = format!(
        "{}..{}, {} {} changed",
        short_commit(&v.base),
        short_commit(&v.head),
        v.changed_paths,
        plural(v.changed_paths, "path", "paths")
    );
    if !v.unowned.is_empty() {
        let _ = write!(text, " ({} unowned)", v.unowned.len());
    }
    if let Some(env) = &v.environment {
        let _ = write!(text, ", bound for {env}");
    }
    text
}

/// What to provide for a control: its `provide`, else its reason (a plan
/// puts it there).
fn what_to_provide(c: &ControlVerdict) -> &str {
    c.provide.as_deref().unwrap_or(&c.reason)
}

/// The result as a report word.
fn result_word(r: ControlResult) -> &'static str {
    match r {
        ControlResult::Pass => "pass",
        ControlResult::Fail => "fail",
        ControlResult::Missing => "missing",
        ControlResult::Waived => "waived",
        ControlResult::NotApplicable => "not applicable",
        ControlResult::NotRequired => "not required",
        ControlResult::Needed => "needed",
    }
}

fn key_width(controls: &[ControlVerdict]) -> usize {
    controls.iter().map(|c| c.id.key().len()).max().unwrap_or(0)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The first 12 hex digits of a commit.
fn short_commit(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

/// `sha256:` and the first 12 hex digits.
fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algo, hex)) => format!("{algo}:{}", hex.get(..12).unwrap_or(hex)),
        None => digest.get(..19).unwrap_or(digest).to_owned(),
    }
}

/// At most [`MAX_TEXT`] characters, marked when cut.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}… (cut; the JSON report has all of it)", &text[..at]),
        None => text.to_owned(),
    }
}

// ---- escaping, one function per format ----

/// Whether a character is a control character no rendering should pass on:
/// C0 except tab, LF and CR, DEL, and C1 (whose CSI would steer a terminal).
/// XML 1.0 also forbids U+FFFE and U+FFFF.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Unsafe characters replaced by U+FFFD and tabs by a space.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if is_unsafe(c) => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// For a terminal: control characters shown as `\u{..}` so that none can
/// move the cursor or change colours; line breaks normalised to LF.
fn terminal(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push(' '),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Every line after the first indented by `indent`.
fn indent_lines(text: &str, indent: &str) -> String {
    text.replace('\n', &format!("\n{indent}"))
}

/// Outside text as inline Markdown for GitHub and GitLab: cut to
/// [`MAX_TEXT`], line breaks as `<br>`, ASCII punctuation that could start
/// markup backslash-escaped (CommonMark lets any ASCII punctuation be), a
/// leading list or heading marker escaped, control characters as U+FFFD.
fn md(text: &str) -> String {
    let text = clip(text).replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        let line = clean(line);
        let line = line.trim();
        // A line break inside a list item or table cell is `<br>`, so each
        // line starts inline; only its very first characters could open a
        // block (`- x`, `1. x`: up to nine digits) where the text begins a
        // list item.
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        for (j, c) in line.chars().enumerate() {
            let leading_marker = (j == 0 && matches!(c, '-' | '+' | '='))
                || (j == digits && (1..=9).contains(&digits) && matches!(c, '.' | ')'));
            if leading_marker
                || matches!(
                    c,
                    '\\' | '`'
                        | '*'
                        | '_'
                        | '['
                        | ']'
                        | '<'
                        | '>'
                        | '|'
                        | '~'
                        | '#'
                        | '!'
                        | '&'
                        | '$'
                )
            {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Text for a code span in a table cell: no backticks or line breaks, `|`
/// escaped (GFM splits table cells before it reads code spans).
fn code(text: &str) -> String {
    clean(text)
        .replace(['`', '\n', '\r'], " ")
        .replace('|', "\\|")
}

/// Workflow-command data: `%`, CR and LF percent-encoded.
fn workflow_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow-command property: as data, and `:` and `,` too.
fn workflow_property(text: &str) -> String {
    workflow_data(&clean(text))
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// XML element text: markup characters as entities, CR kept as `&#13;`,
/// characters XML 1.0 forbids as U+FFFD.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if is_unsafe(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An XML attribute value in double quotes: as element text, and quotes and
/// whitespace as character references so that a parser's attribute-value
/// normalisation leaves line breaks and tabs as they were.
fn xml_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c => out.push_str(&xml_text(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

// ---- colour ----

#[derive(Clone, Copy)]
enum Style {
    Good,
    Warn,
    Bad,
    Info,
    Dim,
}

fn outcome_style(o: Outcome) -> Style {
    match o {
        Outcome::Pass => Style::Good,
        Outcome::Warn => Style::Warn,
        Outcome::Fail => Style::Bad,
    }
}

fn result_style(r: ControlResult) -> Style {
    match r {
        ControlResult::Pass => Style::Good,
        ControlResult::Fail | ControlResult::Missing => Style::Bad,
        ControlResult::Waived => Style::Warn,
        ControlResult::Needed => Style::Info,
        ControlResult::NotApplicable | ControlResult::NotRequired => Style::Dim,
    }
}

/// ANSI colours, or none.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn code(style: Style) -> &'static str {
        match style {
            Style::Good => "32",
            Style::Warn => "33",
            Style::Bad => "31",
            Style::Info => "36",
            Style::Dim => "2",
        }
    }

    fn color(self, style: Style, text: &str) -> String {
        if self.0 {
            format!("\x1b[{}m{text}\x1b[0m", Paint::code(style))
        } else {
            text.to_owned()
        }
    }

    fn bold(self, style: Style, text: &str) -> String {
        if self.0 {
            format!("\x1b[1;{}m{text}\x1b[0m", Paint::code(style))
        } else {
            text.to_owned()
        }
    }
}
