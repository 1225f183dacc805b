//! Arguments of `palisade ledger` and its subcommands.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// What `palisade ledger --help` shows after the options.
pub(super) const LEDGER_HELP: &str = "\
Every decision Palisade makes is an entry in an RFC 9162 Merkle log with
Ed25519-signed checkpoints (C2SP formats). Examples:
  palisade ledger keygen                        # once: the log's signing key
  palisade ledger append --kind gate.verdict --subject payments-api --data '{\"pass\":true}'
  palisade ledger tail -n 20 --kind access.grant
  palisade ledger prove 41 -o receipt.txt       # a receipt anyone can check offline
  palisade ledger verify                        # re-hash everything, name the first divergence
  palisade ledger export --since 2026-10-01 --until 2026-11-01 -o evidence/";

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
