//! `ledger append`: one entry, or many from JSON Lines, each index printed once durable.

use super::*;

/// `append --kind K --subject S`: one entry, acknowledged with its index (and, as JSON,
/// its receipt).
pub(super) async fn append_one(
    ledger: &Ledger,
    out: &Output,
    kind: Option<&str>,
    subject: Option<&str>,
    actor: &str,
    data: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let (Some(kind), Some(subject)) = (kind, subject) else {
        bail!("give --kind and --subject (and optionally --data), or --from FILE.jsonl");
    };
    let data: Value = match data {
        Some(text) => serde_json::from_str(text).context("--data is not JSON")?,
        None => Value::Null,
    };
    let appended = ledger
        .append(Event {
            time: Timestamp::now(),
            actor: actor.to_owned(),
            kind: kind.to_owned(),
            subject: subject.to_owned(),
            data,
        })
        .await?;
    if out.json() {
        out.print_json(&json!({
            "index": appended.index,
            "size": appended.size,
            "root": b64(&appended.root),
            "receipt": appended.receipt.as_ref().map(ToString::to_string),
        }))?;
    } else {
        out.line(format!(
            "appended entry {} (log size {}, root {})",
            appended.index,
            appended.size,
            b64(&appended.root)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `append --from FILE`: events from JSON Lines (`-` for stdin), `batch` to a
/// transaction; each index is printed on stdout as soon as it is durable.
pub(super) async fn append_lines(
    ledger: &Ledger,
    path: &Path,
    actor: &str,
    batch: usize,
) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        ))
    };
    let mut pending = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let event = Event::from_json_line(&line, Timestamp::now(), actor)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), n + 1))?;
        pending.push(event);
        if pending.len() >= batch.max(1) {
            flush(ledger, &mut pending, &mut stdout, batch).await?;
        }
    }
    flush(ledger, &mut pending, &mut stdout, batch).await?;
    Ok(ExitCode::SUCCESS)
}

async fn flush(
    ledger: &Ledger,
    pending: &mut Vec<Event>,
    stdout: &mut impl Write,
    batch: usize,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    if batch <= 1 {
        for event in pending.drain(..) {
            let a = ledger.append(event).await?;
            writeln!(stdout, "{}", a.index)?;
            stdout.flush()?;
        }
    } else {
        let b = ledger.append_batch(pending, Timestamp::now()).await?;
        for i in b.first..b.first + b.count {
            writeln!(stdout, "{i}")?;
        }
        stdout.flush()?;
        pending.clear();
    }
    Ok(())
}
