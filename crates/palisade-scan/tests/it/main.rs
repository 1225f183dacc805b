//! Integration tests of palisade-scan.

mod accuracy;
mod git;
mod rules;
mod grouped;
mod scan;
mod vetoes;
