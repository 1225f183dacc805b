//! The paths a change touches: a tree diff of two commits through gix.
