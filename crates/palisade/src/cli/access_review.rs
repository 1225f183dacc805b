//! Arguments of `palisade access review`.

use clap::{ArgGroup, Args, Subcommand};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(subcommand)]
    pub command: ReviewCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Open a campaign over every standing role and active grant, each with its last use
    #[command(
        after_help = "Reviewers have [access] review_within (default 14d); at the deadline what nobody reviewed\nis revoked unless [access] revoke_unreviewed = false.\n\nExample:\n  palisade access review start --as eleanor"
    )]
    Start,
    /// List campaigns, newest first
    #[command(
        after_help = "Examples:\n  palisade access review list\n  palisade access review list --format json"
    )]
    List,
    /// Show a campaign's items: who holds what, its last use, and any decision
    #[command(
        after_help = "Examples:\n  palisade access review show\n  palisade access review show rev-3f2a9c0b1d4e --pending --format json"
    )]
    Show {
        /// The campaign (default: the open one, else the latest)
        campaign: Option<String>,
        /// Only items nobody reviewed yet
        #[arg(long)]
        pending: bool,
    },
    /// Keep or revoke one item, with a reason
    #[command(
        group(ArgGroup::new("verdict").required(true).args(["keep", "revoke"])),
        after_help = "A reviewer is someone who may approve the role for the person, and never the person.\nRevoking a grant withdraws it now; revoking a standing role removes it from the model file\n(or prints the change to make when the file cannot be written).\n\nExamples:\n  palisade access review decide 4 --keep --as sofia --reason \"on the on-call rota\"\n  palisade access review decide 7 --revoke --as dana --reason \"left the payments team\""
    )]
    Decide {
        /// The item number (`palisade access review show` lists them)
        item: u32,
        /// The access stays
        #[arg(long)]
        keep: bool,
        /// The access goes
        #[arg(long)]
        revoke: bool,
        /// Why
        #[arg(long)]
        reason: String,
        /// The campaign (default: the open one)
        #[arg(long)]
        campaign: Option<String>,
    },
    /// Close the open campaign: at or after its deadline, or once every item is reviewed
    #[command(
        after_help = "Every `palisade access review` command closes a campaign whose deadline has come; run\nthis from cron to close it on time.\n\nExample:\n  palisade access review close --as eleanor"
    )]
    Close,
    /// Who reviewed what: each item's decision, reviewer, reason, time and outcome, with totals
    #[command(
        after_help = "Examples:\n  palisade access review report\n  palisade access review report rev-3f2a9c0b1d4e --format json"
    )]
    Report {
        /// The campaign (default: the open one, else the latest)
        campaign: Option<String>,
    },
}
