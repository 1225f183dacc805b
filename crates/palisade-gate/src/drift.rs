//! Ownership drift: repository access exported from GitHub against the model.
