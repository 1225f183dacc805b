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

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Output format: `human` for people, `json` for machines
    #[arg(long, global = true, value_enum, default_value_t = Format::Human, env = "PALISADE_FORMAT")]
    pub format: Format,

    /// When to colour human output (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// The store: a SQLite file path or a postgres:// URL
    #[arg(
        long,
        global = true,
        env = "PALISADE_DB",
        default_value = ".palisade/palisade.db",
        hide_env_values = true
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
Services are guessed from the repository's top-level directories and their
owners from CODEOWNERS (.github/, the root or docs/). The result passes
`palisade check`; edit it to make it true.

Examples:
  palisade init
  palisade init --output ops/palisade.toml --force")]
    Init(InitArgs),

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
