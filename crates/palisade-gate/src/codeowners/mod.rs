//! GitHub's CODEOWNERS format: parse, match, generate from the model, check.
