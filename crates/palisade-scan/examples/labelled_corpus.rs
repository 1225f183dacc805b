//! Writes the labelled secret-scanning cases as a corpus that any scanner can be run over.
//!
//! ```text
//! cargo run -p palisade-scan --example labelled_corpus -- <testdata> <outdir>
//! ```
//!
//! `<testdata>` is the shared test-data folder (the one holding `secrets/`). Each case
//! becomes its own file `<outdir>/cases/<n>-<file_name>`, and `<outdir>/labels.jsonl`
//! gets one line per case: `{"file": "cases/<n>-<file_name>", "source": "...",
//! "label": "positive" | "negative", "reviewed": "positive" | "negative" | null,
//! "review_note": ...}`: the source's label, and the label after the review by hand in
//! `tests/support/labelled.rs` (`null`: left out of the reviewed figures). An existing `<outdir>/cases` is replaced.

#[path = "../tests/support/labelled.rs"]
mod labelled;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(testdata), Some(outdir), None) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: labelled_corpus <testdata> <outdir>");
        std::process::exit(2);
    };
    let testdata = PathBuf::from(testdata);
    let outdir = PathBuf::from(outdir);

    let cases = labelled::load(&testdata).unwrap_or_else(|error| {
        eprintln!("labelled_corpus: cannot load the labelled cases: {error}");
        std::process::exit(1);
    });

    let cases_dir = outdir.join("cases");
    if cases_dir.exists() {
        fs::remove_dir_all(&cases_dir).expect("remove the previous cases folder");
    }
    fs::create_dir_all(&cases_dir).expect("create the cases folder");
    let labels_file = fs::File::create(outdir.join("labels.jsonl")).expect("create labels.jsonl");
    let mut labels = BufWriter::new(labels_file);

    let width = cases.len().to_string().len();
    let (mut positives, mut negatives) = (0usize, 0usize);
    for (index, case) in cases.iter().enumerate() {
        let relative = format!("cases/{:0width$}-{}", index + 1, case.file_name);
        fs::write(outdir.join(&relative), &case.content).expect("write a case file");
        let line = serde_json::json!({
            "file": relative,
            "source": case.source,
            "label": case.label.as_str(),
            "reviewed": case.reviewed_label().map(labelled::Label::as_str),
            "review_note": match case.review {
                labelled::Review::Kept => None,
                labelled::Review::Relabelled(_, why) | labelled::Review::Excluded(why) => Some(why),
            },
        });
        writeln!(labels, "{line}").expect("write labels.jsonl");
        match case.label {
            labelled::Label::Positive => positives += 1,
            labelled::Label::Negative => negatives += 1,
        }
    }
    labels.flush().expect("write labels.jsonl");
    println!(
        "{} cases ({positives} positive, {negatives} negative) written to {}",
        cases.len(),
        outdir.display()
    );
}
