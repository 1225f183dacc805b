//! Command-line definitions (clap derive). Every subcommand has a one-line
//! summary and an example in its `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Palisade: explicit ownership, risk-based gates, scanning, just-in-time
/// access and tamper-evident evidence for work with external developer teams.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Exit codes: 0 clean, 1 findings (model errors, failed gate, denied request), 2 could not run.

Start here:
  palisade init                 write a starter palisade.toml for this repository
  palisade check                validate it
  palisade apply                record it as the current model in the store";

/// Options every subcommand takes, listed under their own heading after
/// each command's own options.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Output format: `human` for people, `json` for machines; `palisade scan`
    /// also writes `jsonl`, `sarif` and `github` (Actions annotations)
    #[arg(long, global = true, value_enum, default_value_t = Format::Human, env = "PALISADE_FORMAT", display_order = 900)]
    pub format: Format,

    /// When to colour human output (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, display_order = 901)]
    pub color: Color,

    /// The store: a SQLite file path or a postgres:// URL
    #[arg(
        long,
        global = true,
        env = "PALISADE_DB",
        default_value = ".palisade/palisade.db",
        hide_env_values = true,
        display_order = 902
    )]
    pub db: String,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text, with source snippets for diagnostics.
    Human,
    /// One JSON document on stdout.
    Json,
    /// One JSON object per line (`palisade scan`: one per finding).
    Jsonl,
    /// SARIF 2.1.0, for code-scanning dashboards (`palisade scan`).
    Sarif,
    /// GitHub Actions annotations (`palisade scan`).
    Github,
}

impl Format {
    /// Whether only `palisade scan` writes this format.
    pub fn scan_only(self) -> bool {
        matches!(self, Format::Jsonl | Format::Sarif | Format::Github)
    }
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the operating model and report problems with their location
    #[command(after_help = "\
Examples:
  palisade check                              # ./palisade.toml
  palisade check examples/acme/palisade.toml
  palisade check --format json | jq '.diagnostics[].code'
  palisade check --deny-warnings              # CI: warnings fail too

Exit codes: 0 no errors, 1 errors found (or warnings with --deny-warnings), 2 could not run.")]
    Check(CheckArgs),

    /// Write a commented starter palisade.toml for the current git repository
    #[command(after_help = "\
Services are guessed from the repository's top-level directories; people
from the authors of HEAD's history (one person per name, through .mailmap,
bots left out); each service's owner and backup owner from its most active
authors of the last year of history, except where CODEOWNERS (.github/, the
root or docs/) names them. With two people or more the result passes
`palisade check`; edit it to make it true. With neither a commit nor a
CODEOWNERS file there is nobody to name, and it stops.

Examples:
  palisade init
  palisade init --output ops/palisade.toml --force")]
    Init(InitArgs),

    /// Find a person by any identity: handle, GitHub or GitLab login, e-mail or SSH principal
    #[command(after_help = "\
Prints their team, vendor and phase, their roles and what those allow, their
vetting status today, their working hours and their local time now. Logins
and e-mail addresses match without regard to case; a leading `@` is fine.

Examples:
  palisade who arjun-menon-nimbus            # a GitHub login from an audit log
  palisade who dana.k@users.noreply.github.com
  palisade who dana-break-glass              # an SSH certificate principal
  palisade who --vendor nimbus               # everyone of one vendor company
  palisade who sofia --format json | jq .grants

Exit codes: 0 found, 1 no such person (the nearest identity is suggested), 2 could not run.")]
    Who(WhoArgs),

    /// Print the JSON Schema of palisade.toml
    #[command(after_help = "\
Example: editors use it for completion and validation, e.g. taplo:
  palisade schema > palisade.schema.json
and `#:schema ./palisade.schema.json` as the first line of palisade.toml.")]
    Schema,

    /// Check the model and record it in the store as the current version
    #[command(after_help = "\
Refuses a model with errors. Recording the same text twice is a no-op.

Examples:
  palisade apply
  palisade apply examples/acme/palisade.toml --db postgres://palisade@db/palisade")]
    Apply(ApplyArgs),

    /// Inspect and migrate the store
    #[command(subcommand)]
    Db(DbCommand),

    /// Find secrets, personal data and plaintext transport in code or git history
    #[command(after_help = "\
Sources (default: the working tree at PATH or `.`, respecting .gitignore):
  palisade scan                          # this tree
  palisade scan src/ config/             # some directories
  palisade scan --staged                 # pre-commit: only the lines being committed
  palisade scan --history                # every blob ever committed, once each
  palisade scan --range main..HEAD       # what a branch adds
  cat file | palisade scan --stdin

Reports: --format human (default) | json | jsonl | sarif | github
Silence a finding with a `palisade:allow` comment on its line or the line
above, with scan.allow_paths / scan.allow_patterns in the model, or accept
today's findings once: palisade scan --write-baseline .palisade-baseline.json
and set scan.baseline (fingerprints never depend on line numbers).
Secrets are never printed: only a short prefix, the length and a digest.

Exit codes: 0 no findings, 1 findings, 2 could not run.")]
    Scan(ScanArgs),

    /// The tamper-evident evidence ledger: append, prove, verify, export
    #[command(after_help = "\
Every decision Palisade makes is an entry in an RFC 9162 Merkle log with
Ed25519-signed checkpoints (C2SP formats). Examples:
  palisade ledger keygen                        # once: the log's signing key
  palisade ledger append --kind gate.verdict --subject payments-api --data '{\"pass\":true}'
  palisade ledger tail -n 20 --kind access.grant
  palisade ledger prove 41 -o receipt.txt       # a receipt anyone can check offline
  palisade ledger verify                        # re-hash everything, name the first divergence
  palisade ledger export --since 2026-10-01 --until 2026-11-01 -o evidence/")]
    Ledger(LedgerArgs),
}

// The options every ledger subcommand takes are listed under their own heading, after
// each subcommand's own options (a doc comment here would replace the command's about).
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// The operating model (for the log's name and its witnesses)
    #[arg(
        long,
        global = true,
        default_value = "palisade.toml",
        help_heading = "Ledger options",
        display_order = 800
    )]
    pub model: PathBuf,

    /// The log's signing key (default .palisade/ledger.key)
    #[arg(
        long,
        global = true,
        env = "PALISADE_LEDGER_KEY",
        help_heading = "Ledger options",
        display_order = 801
    )]
    pub key: Option<PathBuf>,

    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Create the log's Ed25519 signing key (file mode 0600) and print its verifier key
    #[command(
        after_help = "Example:\n  palisade ledger keygen --model examples/acme/palisade.toml"
    )]
    Keygen {
        /// Key name (default: the model's org.log_name)
        #[arg(long)]
        name: Option<String>,
        /// Where to write the key (default: --key or .palisade/ledger.key)
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Replace an existing key
        #[arg(long)]
        force: bool,
    },
    /// Append an entry (or many, from JSON Lines)
    #[command(
        after_help = "Examples:\n  palisade ledger append --kind access.grant --subject grant-17 --actor dana --data '{\"role\":\"prod-reader\"}'\n  palisade ledger append --from events.jsonl --batch 1000"
    )]
    Append {
        /// What kind of decision, e.g. gate.verdict
        #[arg(long)]
        kind: Option<String>,
        /// What it is about
        #[arg(long)]
        subject: Option<String>,
        /// Who made it
        #[arg(long, default_value = "palisade")]
        actor: String,
        /// Details, as JSON
        #[arg(long)]
        data: Option<String>,
        /// Append each line of this JSON Lines file (`-` for stdin); prints each index once durable
        #[arg(long, conflicts_with_all = ["kind", "subject", "data"])]
        from: Option<PathBuf>,
        /// With --from: entries per transaction
        #[arg(long, default_value_t = 1)]
        batch: usize,
    },
    /// Print one entry exactly as it was hashed
    #[command(after_help = "Example:\n  palisade ledger show 41 > entry-41.json")]
    Show {
        /// The entry's index
        index: u64,
    },
    /// The latest entries, optionally filtered
    #[command(
        after_help = "Example:\n  palisade ledger tail -n 50 --kind gate.verdict --since 2026-11-01"
    )]
    Tail {
        /// How many
        #[arg(short, default_value_t = 10)]
        n: u64,
        /// Only this kind
        #[arg(long)]
        kind: Option<String>,
        /// Only this subject
        #[arg(long)]
        subject: Option<String>,
        /// Only from this day or time on
        #[arg(long)]
        since: Option<String>,
        /// Only before this day or time
        #[arg(long)]
        until: Option<String>,
    },
    /// Sign and store a checkpoint of the log as it is now
    #[command(after_help = "Example:\n  palisade ledger checkpoint > checkpoint.txt")]
    Checkpoint,
    /// A receipt (C2SP tlog-proof) proving an entry is in the log
    #[command(after_help = "Example:\n  palisade ledger prove 41 -o receipt-41.txt")]
    Prove {
        /// The entry's index
        index: u64,
        /// Write the receipt here instead of stdout
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// A consistency proof between two sizes of the log
    #[command(after_help = "Example:\n  palisade ledger consistency 1000 --to 2000 --format json")]
    Consistency {
        /// The older size
        from: u64,
        /// The newer size (default: now)
        #[arg(long)]
        to: Option<u64>,
    },
    /// Check a receipt offline against an entry and the log's pinned verifier key
    #[command(
        name = "verify-receipt",
        after_help = "Exit codes: 0 proven, 1 the receipt does not prove the entry (or its checkpoint is not trusted), 2 could not run.\n\nExample:\n  palisade ledger verify-receipt receipt-41.txt --entry entry-41.json --verifier log.vkey"
    )]
    VerifyReceipt {
        /// The receipt file
        receipt: PathBuf,
        /// The entry's exact bytes (one trailing newline is ignored unless --raw)
        #[arg(long)]
        entry: Option<PathBuf>,
        /// The entry is opaque bytes, not a ledger entry: hash the file exactly as it is
        #[arg(long)]
        raw: bool,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Re-hash the whole log and check every node, checkpoint and cosignature
    #[command(
        after_help = "Exit codes: 0 intact, 1 tampered (the first divergence is named), 2 could not run.\n\nExample:\n  palisade ledger verify --checkpoint witness-copy.txt"
    )]
    Verify {
        /// Checkpoints held elsewhere (by a witness or an auditor) that must be prefixes of today's log
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Rebuild the index of entries by subject from the entries themselves
    #[command(
        after_help = "The index is derived data, not evidence: rebuild it when `palisade ledger verify` reports it edited. Entries, nodes and checkpoints are not touched.\n\nExample:\n  palisade ledger reindex"
    )]
    Reindex,
    /// Record a witness's cosignatures of one of our checkpoints
    #[command(after_help = "Example:\n  palisade ledger cosign cosigned-checkpoint.txt")]
    Cosign {
        /// The checkpoint note with the witness's cosignature lines
        file: PathBuf,
    },
    /// Write an evidence bundle for auditors
    #[command(
        after_help = "Example:\n  palisade ledger export --since 2026-10-01 --until 2026-11-01 -o evidence-2026-10"
    )]
    Export {
        /// First day (or time) included
        #[arg(long, required_unless_present = "tiles")]
        since: Option<String>,
        /// First day (or time) not included
        #[arg(long, required_unless_present = "tiles")]
        until: Option<String>,
        /// The directory to write
        #[arg(long, short, required_unless_present = "tiles")]
        output: Option<PathBuf>,
        /// Write the whole log as C2SP tlog-tiles to DIR instead (the same as `export-tiles DIR`)
        #[arg(long, value_name = "DIR", conflicts_with_all = ["since", "until", "output"])]
        tiles: Option<PathBuf>,
    },
    /// Check an evidence bundle offline against the log's pinned verifier key
    #[command(
        name = "verify-bundle",
        after_help = "The bundle's own log.vkey is never trusted: it is only compared with the pinned key.\n\nExit codes: 0 verified, 1 altered or not signed by a pinned key, 2 could not run.\n\nExample:\n  palisade ledger verify-bundle evidence-2026-10 --verifier acme.vkey"
    )]
    VerifyBundle {
        /// The bundle's directory
        dir: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Check any signed note (a checkpoint of any log, say) against pinned keys
    #[command(
        name = "verify-note",
        after_help = "Exit codes: 0 verified, 1 no pinned key's signature verifies (or one is invalid), 2 could not run.\n\nExample:\n  palisade ledger verify-note checkpoint --verifier 'example.com/log+33d7b496+AeHT…'"
    )]
    VerifyNote {
        /// The note file
        file: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Check that a newer checkpoint of a log extends an older one
    #[command(
        name = "verify-consistency",
        after_help = "The proof is one base64 hash a line (as `palisade ledger consistency` prints it). Without --proof, the proof comes from this log's store, which only works for checkpoints of our own log.\n\nExit codes: 0 consistent, 1 not signed by a pinned key or not consistent, 2 could not run.\n\nExample:\n  palisade ledger verify-consistency old.txt new.txt --proof proof.txt --verifier log.vkey"
    )]
    VerifyConsistency {
        /// The older checkpoint
        old: PathBuf,
        /// The newer checkpoint
        new: PathBuf,
        /// The consistency proof, one base64 hash a line
        #[arg(long)]
        proof: Option<PathBuf>,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Write the log as C2SP tlog-tiles (static files anyone can mirror), only what changed
    #[command(
        name = "export-tiles",
        after_help = "Writes `checkpoint`, `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`. Run it again to publish the log's growth: tiles already present are left untouched, grown ones are added, and the checkpoint is replaced last.\n\nExample:\n  palisade ledger export-tiles public/log"
    )]
    ExportTiles {
        /// The directory to write (created if needed)
        dir: PathBuf,
    },
    /// Check a tiled log (C2SP tlog-tiles) against the log's pinned verifier key
    #[command(
        name = "verify-tiles",
        after_help = "Recomputes every tile from the entry bundles, level by level, and the root from the tiles. The key is never read from DIR.\n\nExit codes: 0 verified, 1 damaged (the first damaged file and position are named), 2 could not run.\n\nExample:\n  palisade ledger verify-tiles public/log --verifier log.vkey"
    )]
    VerifyTiles {
        /// The tiled log's directory
        dir: PathBuf,
        /// The log's verifier key, or a file of them one a line (repeatable)
        #[arg(long = "verifier", value_name = "KEY", required = true)]
        verifiers: Vec<String>,
        /// Check against this checkpoint instead of DIR/checkpoint (an older one, say)
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
}

/// Whose signatures a `verify*` ledger command trusts: keys pinned by the auditor,
/// never a key that ships with the data being checked.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The log's verifier key `<name>+<id>+<base64>`, or a file of them, one a line
    /// (repeatable; default: the model's org.log_key)
    // Not named `key`: the ledger's global `--key` (the signing key) has that id.
    #[arg(long = "verifier", value_name = "KEY")]
    pub verifiers: Vec<String>,
    /// The origin the checkpoint must have (default: org.log_name with the model's key,
    /// else the name of the --verifier key)
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Option<String>,
    /// A witness's cosignature/v1 verifier key, or a file of them (repeatable)
    #[arg(long = "witness", value_name = "KEY")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned (default: all of them)
    #[arg(long, value_name = "N")]
    pub min_witnesses: Option<usize>,
}

#[derive(Debug, Args)]
pub struct WhoArgs {
    /// Any identity of the person: handle, login, e-mail address or SSH principal
    #[arg(required_unless_present = "vendor", conflicts_with = "vendor")]
    pub query: Option<String>,

    /// List everyone of this vendor company instead (its id in [[vendors]])
    #[arg(long, value_name = "ID")]
    pub vendor: Option<String>,

    /// The model file
    #[arg(long, default_value = "palisade.toml")]
    pub model: PathBuf,

    /// Answer as of this moment (RFC 3339, e.g. 2026-12-06T09:30:00Z) instead of now
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The model file
    #[arg(default_value = "palisade.toml")]
    pub file: PathBuf,

    /// Judge expiry and staleness as of this day (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,

    /// Treat warnings as errors (exit 1 when there are any)
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the model (default: palisade.toml at the repository root)
    #[arg(long, short)]
    pub output: Option<PathBuf>,

    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The model file
    #[arg(default_value = "palisade.toml")]
    pub file: PathBuf,

    /// Judge expiry and staleness as of this day (YYYY-MM-DD) instead of today
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Show the backend, schema version, migrations and recorded models
    #[command(
        after_help = "Example:\n  palisade db status --db postgres://palisade@localhost/palisade"
    )]
    Status,
    /// Apply pending migrations (every command also does this on open)
    #[command(after_help = "Example:\n  palisade db migrate --db .palisade/palisade.db")]
    Migrate,
}

/// Arguments of `palisade scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (the repository, for git sources)
    pub paths: Vec<PathBuf>,

    /// Scan only the lines the staged change adds (pre-commit mode)
    #[arg(long, conflicts_with_all = ["history", "range", "stdin"])]
    pub staged: bool,

    /// Scan every blob of the repository's history once, reporting the commit that introduced it
    #[arg(long, conflicts_with_all = ["range", "stdin"])]
    pub history: bool,

    /// Scan the blobs a range of commits introduces, e.g. `main..HEAD`
    #[arg(long, value_name = "A..B", conflicts_with = "stdin")]
    pub range: Option<String>,

    /// Scan standard input
    #[arg(long)]
    pub stdin: bool,

    /// The path findings in standard input are reported under
    #[arg(long, default_value = "-", requires = "stdin")]
    pub stdin_name: String,

    /// The model with scan rules, allowlists and data paths (default: ./palisade.toml if present)
    #[arg(long)]
    pub model: Option<PathBuf>,

    /// Baseline of accepted findings (overrides scan.baseline in the model)
    #[arg(long)]
    pub baseline: Option<PathBuf>,

    /// Write the current findings as a baseline to FILE and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Do not look for personal data
    #[arg(long)]
    pub no_pii: bool,

    /// Threads (default: one per core)
    #[arg(long)]
    pub threads: Option<usize>,

    /// Append the scan's summary (counts, fingerprints, digests) to the ledger
    #[arg(long)]
    pub record: bool,

    /// Who ran the scan, for the ledger
    #[arg(long, env = "PALISADE_ACTOR", default_value = "palisade-scan")]
    pub actor: String,

    /// What was scanned, for the ledger (default: the path)
    #[arg(long)]
    pub subject: Option<String>,

    /// Report only findings of this severity or worse: `medium` leaves out guessable
    /// passwords and infrastructure identifiers (both `low`) [default: the model's
    /// scan.min_severity, else low]
    #[arg(long, value_name = "SEVERITY", value_parser = ["low", "medium", "high", "critical"])]
    pub min_severity: Option<String>,

    /// No progress line
    #[arg(long, short)]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// clap checks the whole command tree: a flag that collides with a
    /// global one, or a conflict naming an argument that does not exist,
    /// fails here instead of panicking in a user's hands.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
