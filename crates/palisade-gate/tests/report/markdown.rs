//! `report::markdown`, rendered by GitHub's own cmark-gfm and by comrak
//! (the engine of GitLab's Markdown): the tables keep their rows and cells,
//! outside text shows as written and never turns into markup.

use palisade_gate::report::markdown;
use palisade_gate::verdict::{ControlResult, Verdict};
use serde_json::Value;

use super::{cleaned, clipped, fixtures, python_json};

/// Renders stdin with the engine named by argv[1] and prints the blocks of
/// the HTML as JSON: headings, paragraphs, lists (items) and tables (rows of
/// cells), each piece of text with the tags found inside it (`<br>` read as
/// a line break, not a tag).
const RENDER: &str = r#"
import html.parser, json, sys

engine, src = sys.argv[1], sys.stdin.read()
if engine == "github":
    import cmarkgfm
    from cmarkgfm.cmark import Options
    out = cmarkgfm.github_flavored_markdown_to_html(src, options=Options.CMARK_OPT_UNSAFE)
else:
    import comrak
    ext = comrak.ExtensionOptions()
    for name in ("table", "strikethrough", "autolink", "tasklist", "footnotes",
                 "math_dollars", "math_code", "multiline_block_quotes", "alerts"):
        setattr(ext, name, True)
    render = comrak.RenderOptions()
    render.unsafe_ = True
    out = comrak.render_markdown(src, extension_options=ext, render_options=render)

class Blocks(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks, self.piece, self.depth = [], None, 0
    def start_piece(self):
        self.piece = {"text": "", "tags": []}
    def handle_starttag(self, tag, attrs):
        if self.piece is not None:
            if tag == "br":
                self.piece["text"] += "\n"
            else:
                self.piece["tags"].append(tag)
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p"):
            self.kind = tag
            self.start_piece()
        elif tag in ("ul", "ol"):
            self.blocks.append({"type": "list", "items": []})
        elif tag == "li":
            self.kind = "li"
            self.start_piece()
        elif tag == "table":
            self.blocks.append({"type": "table", "rows": []})
        elif tag == "tr":
            self.blocks[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self.kind = tag
            self.start_piece()
        elif tag not in ("thead", "tbody"):
            self.blocks.append({"type": "other", "tag": tag})
    def handle_endtag(self, tag):
        if self.piece is None or tag != self.kind:
            if self.piece is not None and tag != "br":
                self.piece["tags"].append("/" + tag)
            return
        piece, self.piece = self.piece, None
        piece["tags"] = [t for t in piece["tags"] if not t.startswith("/")]
        if tag == "li":
            self.blocks[-1]["items"].append(piece)
        elif tag in ("td", "th"):
            self.blocks[-1]["rows"][-1].append(piece)
        else:
            self.blocks.append({"type": tag, **piece})
    def handle_data(self, data):
        if self.piece is not None:
            self.piece["text"] += data

p = Blocks()
p.feed(out)
print(json.dumps({"html": out, "blocks": p.blocks}))
"#;

const ENGINES: [&str; 2] = ["github", "gitlab"];

/// Outside text as a rendered cell or item shows it: cut, each line cleaned
/// and trimmed.
fn shown(text: &str) -> String {
    clipped(text)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|l| cleaned(l).trim().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn render(v: &Verdict, engine: &str) -> Option<Value> {
    python_json(RENDER, &markdown(v), &[engine])
}

fn blocks<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    doc["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == kind)
        .collect()
}

fn text(piece: &Value) -> &str {
    piece["text"].as_str().unwrap()
}

fn tags(piece: &Value) -> Vec<&str> {
    piece["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

/// The list that follows the `h3` heading `title`.
fn list_after<'a>(doc: &'a Value, title: &str) -> Option<&'a Value> {
    let all = doc["blocks"].as_array().unwrap();
    let at = all
        .iter()
        .position(|b| b["type"] == "h3" && b["text"] == title)?;
    all.get(at + 1).filter(|b| b["type"] == "list")
}

#[test]
fn every_table_keeps_its_rows_and_cells_and_the_text_as_written() {
    for engine in ENGINES {
        for (name, v) in fixtures::all() {
            let Some(doc) = render(&v, engine) else {
                return;
            };
            let ctx = format!("{engine} {name}:\n{}", markdown(&v));
            let tables = blocks(&doc, "table");
            assert_eq!(
                tables.len(),
                1 + usize::from(!v.evidence.is_empty()),
                "{ctx}"
            );

            let rows = tables[0]["rows"].as_array().unwrap();
            assert_eq!(rows.len(), 1 + v.controls.len(), "{ctx}");
            let header: Vec<&str> = rows[0].as_array().unwrap().iter().map(text).collect();
            assert_eq!(header, ["Control", "Result", "Reason"], "{ctx}");
            for (row, c) in rows[1..].iter().zip(&v.controls) {
                let cells = row.as_array().unwrap();
                assert_eq!(cells.len(), 3, "{ctx}\n{row}");
                assert_eq!(text(&cells[0]), c.id.key(), "{ctx}");
                assert_eq!(tags(&cells[0]), ["code"], "{ctx}");
                let word = c.result.key().replace('_', " ");
                if c.result.blocks() {
                    assert_eq!(text(&cells[1]), word.to_uppercase(), "{ctx}");
                    assert_eq!(tags(&cells[1]), ["strong"], "{ctx}");
                } else {
                    assert_eq!(text(&cells[1]), word, "{ctx}");
                }
                let mut reason = shown(&c.reason);
                if let Some(w) = &c.waiver {
                    reason = format!("{reason} (waiver {})", shown(w));
                }
                assert_eq!(text(&cells[2]), reason, "{ctx}");
                assert!(tags(&cells[2]).is_empty(), "{ctx}\n{}", cells[2]);
            }

            if let Some(evidence) = tables.get(1) {
                let rows = evidence["rows"].as_array().unwrap();
                assert_eq!(rows.len(), 1 + v.evidence.len(), "{ctx}");
                for (row, e) in rows[1..].iter().zip(&v.evidence) {
                    let cells = row.as_array().unwrap();
                    assert_eq!(cells.len(), 4, "{ctx}\n{row}");
                    assert_eq!(text(&cells[0]), shown(&e.source), "{ctx}");
                    assert_eq!(text(&cells[1]), e.kind, "{ctx}");
                    assert_eq!(text(&cells[2]), &e.digest[..19], "{ctx}");
                    let counted = match (&e.counted, &e.note) {
                        (true, _) => "yes".to_owned(),
                        (false, Some(note)) => format!("no: {}", shown(note)),
                        (false, None) => "no: no reason given".to_owned(),
                    };
                    assert_eq!(text(&cells[3]), counted, "{ctx}");
                    assert!(
                        tags(&cells[0]).is_empty() && tags(&cells[3]).is_empty(),
                        "{ctx}"
                    );
                }
            }
        }
    }
}

#[test]
fn headings_are_ours_alone() {
    for engine in ENGINES {
        for (name, v) in fixtures::all() {
            let Some(doc) = render(&v, engine) else {
                return;
            };
            let h2: Vec<&str> = blocks(&doc, "h2").into_iter().map(text).collect();
            let title = if v.plan {
                format!("Palisade gate plan: tier {}", v.tier.key())
            } else {
                format!(
                    "Palisade gate: {} (tier {})",
                    v.verdict.key().to_uppercase(),
                    v.tier.key()
                )
            };
            assert_eq!(h2, [title.as_str()], "{engine} {name}");
            for h3 in blocks(&doc, "h3") {
                assert!(
                    [
                        "This change will need",
                        "Controls",
                        "What to provide",
                        "Waivers used",
                        "Evidence",
                        "Warnings",
                        "Changed paths no service owns",
                    ]
                    .contains(&text(h3)),
                    "{engine} {name}: {h3}"
                );
            }
            for kind in ["h1", "h4", "other"] {
                assert!(
                    blocks(&doc, kind).is_empty(),
                    "{engine} {name}: {kind} in {}",
                    doc["html"]
                );
            }
        }
    }
}

#[test]
fn lists_have_one_item_per_entry_and_no_markup_from_outside() {
    for engine in ENGINES {
        for (name, v) in fixtures::all() {
            let Some(doc) = render(&v, engine) else {
                return;
            };
            let ctx = format!("{engine} {name}: {}", doc["html"]);
            let blocking: Vec<_> = v.controls.iter().filter(|c| c.result.blocks()).collect();
            match list_after(&doc, "What to provide") {
                Some(list) => {
                    let items = list["items"].as_array().unwrap();
                    assert_eq!(items.len(), blocking.len(), "{ctx}");
                    for (item, c) in items.iter().zip(&blocking) {
                        let provide = c.provide.as_deref().unwrap_or(&c.reason);
                        assert_eq!(
                            text(item),
                            format!("{}: {}", c.id.key(), shown(provide)),
                            "{ctx}"
                        );
                        assert_eq!(tags(item), ["strong"], "{ctx}");
                    }
                }
                None => assert!(v.plan || blocking.is_empty(), "{ctx}"),
            }
            if v.plan {
                let list =
                    list_after(&doc, "This change will need").expect("a plan lists the needs");
                let needed: Vec<_> = v
                    .controls
                    .iter()
                    .filter(|c| c.result == ControlResult::Needed)
                    .collect();
                let items = list["items"].as_array().unwrap();
                assert_eq!(items.len(), needed.len(), "{ctx}");
            }
            for (title, entries) in [
                ("Warnings", &v.warnings),
                ("Changed paths no service owns", &v.unowned),
            ] {
                let Some(list) = list_after(&doc, title) else {
                    assert!(entries.is_empty(), "{ctx}");
                    continue;
                };
                let items = list["items"].as_array().unwrap();
                assert_eq!(items.len(), entries.len(), "{ctx}");
                for (item, entry) in items.iter().zip(entries) {
                    assert_eq!(text(item), shown(entry), "{ctx}");
                    assert!(tags(item).is_empty(), "{ctx}");
                }
            }
            if !v.waivers_used.is_empty() {
                let list = list_after(&doc, "Waivers used").expect("waivers are listed");
                let items = list["items"].as_array().unwrap();
                assert_eq!(items.len(), v.waivers_used.len(), "{ctx}");
                assert!(
                    text(&items[0]).starts_with(&shown(&v.waivers_used[0])),
                    "{ctx}"
                );
            }
        }
    }
}

#[test]
fn a_long_reason_is_cut_and_says_where_the_rest_is() {
    let text = markdown(&fixtures::awkward());
    assert!(text.contains("… (cut; the JSON report has all of it)"));
    assert!(text.len() < 12_000, "{}", text.len());
}

#[test]
fn snapshot_of_a_warning_verdict() {
    insta::assert_snapshot!("markdown_warn", markdown(&fixtures::warn()));
}
